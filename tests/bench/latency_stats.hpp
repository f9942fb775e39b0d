// SPDX-License-Identifier: Apache-2.0
// latency_stats.hpp - latency samples per named stage and their percentiles.
//
// Each load-generator thread keeps its own LatencyStats (no locking on the hot
// path); merge() folds them together once the threads have joined.
//
// Thread contract: not shared between threads while recording.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace mv::bench {

class LatencyStats {
  public:
    void add(const std::string& stage, std::int64_t nanoseconds) {
        samples_[stage].push_back(nanoseconds);
    }
    void merge(const LatencyStats& other);

    struct Summary {
        std::size_t count = 0;
        double p50_ms = 0, p99_ms = 0, max_ms = 0, mean_ms = 0;
    };
    // Nearest-rank percentiles; an unknown stage gives count 0.
    Summary summary(const std::string& stage) const;
    std::vector<std::string> stages() const;

  private:
    std::map<std::string, std::vector<std::int64_t>> samples_;
};

}  // namespace mv::bench
