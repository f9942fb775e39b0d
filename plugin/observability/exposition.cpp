// SPDX-License-Identifier: Apache-2.0
// exposition.cpp - see exposition.hpp.
#include "observability/exposition.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <vector>

namespace mv::observability {

namespace {

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

bool iequal(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        char x = a[i], y = b[i];
        if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
        if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
        if (x != y) return false;
    }
    return true;
}

// One media range of an Accept header: type, its version parameter, q.
struct Range {
    std::string_view type;
    std::string_view version;
    double q = 1.0;
};

Range parse_range(std::string_view part) {
    Range r;
    std::size_t semi = part.find(';');
    r.type = trim(part.substr(0, semi));
    while (semi != std::string_view::npos) {
        part.remove_prefix(semi + 1);
        semi = part.find(';');
        const std::string_view param = trim(part.substr(0, semi));
        const std::size_t eq = param.find('=');
        if (eq == std::string_view::npos) continue;
        const std::string_view key = trim(param.substr(0, eq));
        std::string_view value = trim(param.substr(eq + 1));
        if (value.size() >= 2 && value.front() == '"' && value.back() == '"')
            value = value.substr(1, value.size() - 2);
        if (iequal(key, "q")) {
            double q = 0;
            const auto res = std::from_chars(value.data(), value.data() + value.size(), q);
            r.q = (res.ec == std::errc() && q >= 0 && q <= 1) ? q : 0;
        } else if (iequal(key, "version")) {
            r.version = value;
        }
    }
    return r;
}

template <typename T>
void append_number(std::string& out, T v) {
    char buf[32];
    const auto r = std::to_chars(buf, buf + sizeof buf, v);
    out.append(buf, r.ptr);
}

}  // namespace

ExpositionFormat negotiate(std::string_view accept) {
    // A header of thousands of ranges is not a scraper: look at the first 64.
    double q_open = -1, q_text = -1, q_any = -1;
    for (int n = 0; n < 64 && !accept.empty(); ++n) {
        const std::size_t comma = accept.find(',');
        const Range r = parse_range(accept.substr(0, comma));
        accept = comma == std::string_view::npos ? std::string_view() : accept.substr(comma + 1);
        if (iequal(r.type, "application/openmetrics-text")) {
            if (r.version.empty() || r.version == "1.0.0") q_open = std::max(q_open, r.q);
        } else if (iequal(r.type, "text/plain") || iequal(r.type, "text/*")) {
            if (r.version.empty() || r.version == "0.0.4") q_text = std::max(q_text, r.q);
        } else if (r.type == "*/*" || iequal(r.type, "application/*")) {
            q_any = std::max(q_any, r.q);
        }
    }
    if (q_text < 0) q_text = q_any;
    return q_open > 0 && q_open >= q_text ? ExpositionFormat::OpenMetrics : ExpositionFormat::Text;
}

std::string_view content_type(ExpositionFormat f) {
    return f == ExpositionFormat::OpenMetrics
               ? "application/openmetrics-text; version=1.0.0; charset=utf-8"
               : "text/plain; version=0.0.4; charset=utf-8";
}

void append_label_value(std::string& out, std::string_view value) {
    for (char c : value) {
        if (c == '\\')
            out += "\\\\";
        else if (c == '"')
            out += "\\\"";
        else if (c == '\n')
            out += "\\n";
        else
            out += c;
    }
}

std::string label_text(std::initializer_list<std::string_view> names,
                       std::initializer_list<std::string_view> values) {
    std::string out;
    auto v = values.begin();
    for (auto n = names.begin(); n != names.end() && v != values.end(); ++n, ++v) {
        if (!out.empty()) out += ',';
        out += *n;
        out += "=\"";
        append_label_value(out, *v);
        out += '"';
    }
    return out;
}

std::string format_double(double v) {
    if (std::isnan(v)) return "NaN";
    if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
    // Plain decimals ("0.0001", not "1e-04") where that is not absurdly long.
    char buf[64];
    const double a = std::fabs(v);
    const auto r = (a == 0 || (a >= 1e-9 && a < 1e15))
                       ? std::to_chars(buf, buf + sizeof buf, v, std::chars_format::fixed)
                       : std::to_chars(buf, buf + sizeof buf, v);
    return std::string(buf, r.ptr);
}

ExpositionWriter::ExpositionWriter(ExpositionFormat format) : format_(format) {
    out_.reserve(64 * 1024);
}

void ExpositionWriter::family(std::string_view name, std::string_view help, MetricKind kind) {
    std::string_view family = name;
    std::string_view type = "gauge";
    switch (kind) {
        case MetricKind::Counter:
            type = "counter";
            if (format_ == ExpositionFormat::OpenMetrics && family.ends_with("_total"))
                family.remove_suffix(6);
            break;
        case MetricKind::Gauge:
            break;
        case MetricKind::Histogram:
            type = "histogram";
            break;
        case MetricKind::Info:
            if (format_ == ExpositionFormat::OpenMetrics) {
                type = "info";
                if (family.ends_with("_info")) family.remove_suffix(5);
            }
            break;
    }
    out_ += "# HELP ";
    out_ += family;
    out_ += ' ';
    out_ += help;
    out_ += "\n# TYPE ";
    out_ += family;
    out_ += ' ';
    out_ += type;
    out_ += '\n';
}

void ExpositionWriter::head(std::string_view name, std::string_view suffix,
                            std::string_view labels) {
    out_ += name;
    out_ += suffix;
    if (!labels.empty()) {
        out_ += '{';
        out_ += labels;
        out_ += '}';
    }
    out_ += ' ';
}

void ExpositionWriter::sample(std::string_view name, std::string_view suffix,
                              std::string_view labels, std::uint64_t value) {
    head(name, suffix, labels);
    append_number(out_, value);
    out_ += '\n';
}

void ExpositionWriter::sample(std::string_view name, std::string_view suffix,
                              std::string_view labels, std::int64_t value) {
    head(name, suffix, labels);
    append_number(out_, value);
    out_ += '\n';
}

void ExpositionWriter::sample(std::string_view name, std::string_view suffix,
                              std::string_view labels, double value) {
    head(name, suffix, labels);
    out_ += format_double(value);
    out_ += '\n';
}

void ExpositionWriter::bucket(std::string_view name, std::string_view labels, std::string_view le,
                              std::uint64_t cumulative) {
    out_ += name;
    out_ += "_bucket{";
    if (!labels.empty()) {
        out_ += labels;
        out_ += ',';
    }
    out_ += "le=\"";
    out_ += le;
    out_ += "\"} ";
    append_number(out_, cumulative);
    out_ += '\n';
}

std::string ExpositionWriter::finish() {
    if (format_ == ExpositionFormat::OpenMetrics) out_ += "# EOF\n";
    return std::move(out_);
}

}  // namespace mv::observability
