// SPDX-License-Identifier: Apache-2.0
// latency_stats.cpp - percentiles of latency samples.
#include "latency_stats.hpp"

#include <algorithm>
#include <cmath>

namespace mv::bench {

void LatencyStats::merge(const LatencyStats& other) {
    for (const auto& [stage, v] : other.samples_) {
        auto& mine = samples_[stage];
        mine.insert(mine.end(), v.begin(), v.end());
    }
}

LatencyStats::Summary LatencyStats::summary(const std::string& stage) const {
    Summary s;
    const auto it = samples_.find(stage);
    if (it == samples_.end() || it->second.empty()) return s;
    std::vector<std::int64_t> v = it->second;
    std::sort(v.begin(), v.end());
    auto rank = [&](double p) {
        auto i = static_cast<std::size_t>(std::ceil(p * static_cast<double>(v.size())));
        return v[std::min(v.size() - 1, i == 0 ? 0 : i - 1)];
    };
    double sum = 0;
    for (auto x : v) sum += static_cast<double>(x);
    s.count = v.size();
    s.p50_ms = static_cast<double>(rank(0.50)) / 1e6;
    s.p99_ms = static_cast<double>(rank(0.99)) / 1e6;
    s.max_ms = static_cast<double>(v.back()) / 1e6;
    s.mean_ms = sum / static_cast<double>(v.size()) / 1e6;
    return s;
}

std::vector<std::string> LatencyStats::stages() const {
    std::vector<std::string> out;
    for (const auto& [stage, v] : samples_) out.push_back(stage);
    return out;
}

}  // namespace mv::bench
