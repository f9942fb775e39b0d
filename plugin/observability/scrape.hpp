// SPDX-License-Identifier: Apache-2.0
// scrape.hpp - read a metrics endpoint: a small HTTP client and a text-format parser.
//
// fetch_metrics() sends one "GET /metrics HTTP/1.0" (Accept: the text
// format 0.0.4) to an address (metrics_address.hpp) and returns the body of
// a 200 answer. It is bounded: connect, send and every read wait at most
// `timeout`, and a body over 64 MiB is refused. parse_exposition() reads the
// text format into samples (comments and # HELP / # TYPE skipped). Used by
// `milter-verdict stats`; it reads only what a Prometheus server would.
//
// Errors: fetch_metrics() returns false with a one-line reason ("connect to
// 127.0.0.1:9809: Connection refused", "HTTP 404"); parse_exposition() skips
// lines it cannot read and counts them.
//
// Thread contract: pure functions / blocking I/O on the calling thread.
#pragma once

#include <chrono>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "observability/metrics_address.hpp"

namespace mv::observability {

bool fetch_metrics(const MetricsAddress& address, std::chrono::milliseconds timeout,
                   std::string& body, std::string& error);

struct Sample {
    std::string name;
    std::map<std::string, std::string> labels;
    double value = 0;

    const std::string& label(const std::string& key) const;  // "" when absent
};

struct Exposition {
    std::vector<Sample> samples;
    std::size_t bad_lines = 0;
};

Exposition parse_exposition(std::string_view text);

}  // namespace mv::observability
