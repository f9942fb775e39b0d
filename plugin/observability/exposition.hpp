// SPDX-License-Identifier: Apache-2.0
// exposition.hpp - the two text formats a scraper can ask for.
//
//   Prometheus text format 0.0.4   Content-Type: text/plain; version=0.0.4; charset=utf-8
//   OpenMetrics 1.0.0              Content-Type: application/openmetrics-text; version=1.0.0;
//                                  charset=utf-8
//
// negotiate() picks one from the request's Accept header: OpenMetrics when
// the scraper accepts it (application/openmetrics-text, version 1.0.0 or no
// version) with a quality at least that of text/plain (or of */* when it
// names no text type), else the text format. Prometheus 2.x asks for
// OpenMetrics first; curl (Accept: */*) gets the text format.
//
// ExpositionWriter renders families in either format. The differences are
// the writer's, not the callers': OpenMetrics names a counter family without
// its "_total" suffix in # HELP / # TYPE (the samples keep it), has an
// "info" type (a gauge in the text format, whose family keeps "_info"), and
// ends with "# EOF". Label values are escaped (backslash, double quote, line
// feed) by label_text(); help texts are constants of the program.
//
// Thread contract: negotiate() and label_text() are pure; a writer belongs to
// one scrape.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>

namespace mv::observability {

enum class ExpositionFormat : unsigned char { Text, OpenMetrics };

enum class MetricKind : unsigned char { Counter, Gauge, Histogram, Info };

ExpositionFormat negotiate(std::string_view accept_header);
std::string_view content_type(ExpositionFormat f);

// {name="value",...} without the braces, values escaped; names are the
// program's constants. `names` and `values` have the same length.
std::string label_text(std::initializer_list<std::string_view> names,
                       std::initializer_list<std::string_view> values);
void append_label_value(std::string& out, std::string_view value);

// Shortest text that reads back as `v` ("0.005", "1", "+Inf", "NaN").
std::string format_double(double v);

class ExpositionWriter {
  public:
    explicit ExpositionWriter(ExpositionFormat format);

    ExpositionFormat format() const { return format_; }
    // # HELP and # TYPE of a family. Counter names end in "_total"; info
    // names in "_info".
    void family(std::string_view name, std::string_view help, MetricKind kind);
    // One sample: name + suffix + {labels} + value. `labels` is label_text()
    // output, possibly empty.
    void sample(std::string_view name, std::string_view suffix, std::string_view labels,
                std::uint64_t value);
    void sample(std::string_view name, std::string_view suffix, std::string_view labels,
                std::int64_t value);
    void sample(std::string_view name, std::string_view suffix, std::string_view labels,
                double value);
    // A histogram bucket: labels plus le="<le>".
    void bucket(std::string_view name, std::string_view labels, std::string_view le,
                std::uint64_t cumulative);

    // The whole exposition ("# EOF" added for OpenMetrics).
    std::string finish();

  private:
    void head(std::string_view name, std::string_view suffix, std::string_view labels);

    ExpositionFormat format_;
    std::string out_;
};

}  // namespace mv::observability
