// SPDX-License-Identifier: Apache-2.0
// metrics_probe.hpp - read values back from Metrics::render() in tests.
#pragma once

#include <map>
#include <string>

#include "observability/metrics.hpp"
#include "observability/scrape.hpp"

namespace mv::test {

using Labels = std::map<std::string, std::string>;

class MetricsProbe {
  public:
    explicit MetricsProbe(observability::Metrics& m)
        : scrape_(
              observability::parse_exposition(m.render(observability::ExpositionFormat::Text))) {}

    // The value of the one sample `name` with exactly these labels; -1 when absent.
    double value(const std::string& name, const Labels& labels = {}) const {
        for (const auto& s : scrape_.samples)
            if (s.name == name && s.labels == labels) return s.value;
        return -1;
    }
    // Samples of `name` (any labels).
    std::size_t count(const std::string& name) const {
        std::size_t n = 0;
        for (const auto& s : scrape_.samples) n += s.name == name;
        return n;
    }
    std::size_t samples() const { return scrape_.samples.size(); }
    std::size_t bad_lines() const { return scrape_.bad_lines; }

  private:
    observability::Exposition scrape_;
};

inline Labels decision(const std::string& rule, const std::string& action, const std::string& stage,
                       const std::string& code = "", const std::string& enhanced = "") {
    return {{"front_end", "milter"}, {"rule", rule}, {"action", action},
            {"stage", stage},        {"code", code}, {"enhanced", enhanced}};
}

inline Labels would(const std::string& rule, const std::string& action,
                    const std::string& code = "", const std::string& enhanced = "") {
    return {{"front_end", "milter"},
            {"rule", rule},
            {"action", action},
            {"code", code},
            {"enhanced", enhanced}};
}

}  // namespace mv::test
