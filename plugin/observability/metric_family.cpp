// SPDX-License-Identifier: Apache-2.0
// metric_family.cpp - buckets and histograms (see metric_family.hpp).
#include "observability/metric_family.hpp"

#include <cmath>

namespace mv::observability {

Buckets::Buckets(std::initializer_list<double> seconds) {
    for (double s : seconds) {
        if (count_ == kMax) break;
        bound_ns_[count_] = static_cast<std::int64_t>(std::llround(s * 1e9));
        le_[count_] = format_double(s);
        ++count_;
    }
    le_[count_] = "+Inf";
}

std::size_t Buckets::index(std::int64_t ns) const {
    std::size_t i = 0;
    while (i < count_ && ns > bound_ns_[i]) ++i;
    return i;
}

const Buckets& latency_buckets() {
    static const Buckets kBuckets{0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001,
                                  0.0025,  0.005,    0.01,    0.025,  0.05,    0.1,    0.25,
                                  0.5,     1,        2.5,     5,      10};
    return kBuckets;
}

void Histogram::observe(std::chrono::nanoseconds d) {
    const std::int64_t ns = d.count() < 0 ? 0 : d.count();
    counts_[buckets_.index(ns)].fetch_add(1, std::memory_order_relaxed);
    sum_ns_.fetch_add(static_cast<std::uint64_t>(ns), std::memory_order_relaxed);
}

std::uint64_t Histogram::count() const {
    std::uint64_t n = 0;
    for (std::size_t i = 0; i <= buckets_.size(); ++i)
        n += counts_[i].load(std::memory_order_relaxed);
    return n;
}

void Histogram::write(ExpositionWriter& w, std::string_view name, std::string_view labels) const {
    std::uint64_t cumulative = 0;
    for (std::size_t i = 0; i <= buckets_.size(); ++i) {
        cumulative += counts_[i].load(std::memory_order_relaxed);
        w.bucket(name, labels, buckets_.le(i), cumulative);
    }
    w.sample(name, "_sum", labels,
             static_cast<double>(sum_ns_.load(std::memory_order_relaxed)) / 1e9);
    w.sample(name, "_count", labels, cumulative);
}

}  // namespace mv::observability
