// SPDX-License-Identifier: Apache-2.0
// logger.cpp - stderr and syslog targets, text and JSON.
#include "observability/logger.hpp"

#include <syslog.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <ctime>
#include <string>

#include "observability/json_text.hpp"

namespace mv::observability {

namespace {

// A log message is built by the daemon from bounded parts; this only keeps
// one JSON line from growing without limit if a caller forgets a bound.
constexpr std::size_t kMaxJsonMessage = 16384;

int priority(LogLevel level) {
    switch (level) {
        case LogLevel::Error:
            return LOG_ERR;
        case LogLevel::Warning:
            return LOG_WARNING;
        case LogLevel::Info:
            return LOG_INFO;
        case LogLevel::Debug:
            return LOG_DEBUG;
    }
    return LOG_INFO;
}

}  // namespace

std::string_view level_name(LogLevel level) {
    switch (level) {
        case LogLevel::Error:
            return "error";
        case LogLevel::Warning:
            return "warning";
        case LogLevel::Info:
            return "info";
        case LogLevel::Debug:
            return "debug";
    }
    return "info";
}

std::optional<LogLevel> parse_log_level(std::string_view name) {
    for (LogLevel l : {LogLevel::Error, LogLevel::Warning, LogLevel::Info, LogLevel::Debug})
        if (level_name(l) == name) return l;
    return std::nullopt;
}

std::string rfc3339_utc(std::chrono::system_clock::time_point t) {
    const auto us = std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch());
    auto secs = std::chrono::floor<std::chrono::seconds>(us);
    const auto frac = (us - secs).count();
    const std::time_t tt = static_cast<std::time_t>(secs.count());
    std::tm tm{};
    gmtime_r(&tt, &tm);
    char buf[40];
    const int n = std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%06lldZ",
                                tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
                                tm.tm_sec, static_cast<long long>(frac));
    return std::string(buf, n > 0 ? static_cast<std::size_t>(n) : 0);
}

const std::string& log_host() {
    static const std::string host = [] {
        char buf[256] = {};
        if (gethostname(buf, sizeof buf - 1) != 0) return std::string();
        return std::string(buf);
    }();
    return host;
}

std::string json_stamped(LogLevel level, std::string_view object) {
    std::string out = "{\"time\":\"";
    out += rfc3339_utc(std::chrono::system_clock::now());
    out += "\",\"host\":";
    append_json_string(out, log_host(), 255);
    out += ",\"level\":\"";
    out += level_name(level);
    out += '"';
    // The caller's object without its opening brace; "{}" adds nothing.
    if (object.size() >= 2 && object.front() == '{') {
        object.remove_prefix(1);
        if (object.front() != '}') out += ',';
        out += object;
    } else {
        out += '}';
    }
    return out;
}

std::string json_log_line(LogLevel level, std::string_view message) {
    std::string out = "{\"event\":\"log\",\"message\":";
    append_json_string(out, message, kMaxJsonMessage);
    out += '}';
    return json_stamped(level, out);
}

void StderrLogger::write(const std::string& out) {
    std::lock_guard<std::mutex> lock(mutex_);
    // One fwrite + flush per line, so lines from different threads never
    // interleave and a test reading the output sees each line as it happens.
    std::fwrite(out.data(), 1, out.size(), stderr);
    std::fflush(stderr);
}

void StderrLogger::log(LogLevel level, std::string_view line) {
    if (!enabled(level)) return;
    if (format_ == LogFormat::Json) {
        write(json_log_line(level, line) + '\n');
        return;
    }
    std::string out = "milter-verdict[" + std::to_string(getpid()) + "]: ";
    out += level_name(level);
    out += ": ";
    out += line;
    out += '\n';
    write(out);
}

void StderrLogger::log_object(LogLevel level, std::string_view object) {
    if (format_ != LogFormat::Json) {
        log(level, object);
        return;
    }
    if (!enabled(level)) return;
    std::string out = json_stamped(level, object);
    out += '\n';
    write(out);
}

SyslogLogger::SyslogLogger(int facility, LogFormat format) : format_(format) {
    openlog("milter-verdict", LOG_PID | LOG_NDELAY, facility);
}

SyslogLogger::~SyslogLogger() {
    closelog();
}

void SyslogLogger::log(LogLevel level, std::string_view line) {
    if (!enabled(level)) return;
    if (format_ == LogFormat::Json) {
        const std::string out = json_log_line(level, line);
        syslog(priority(level), "%.*s", static_cast<int>(out.size()), out.data());
        return;
    }
    // "%.*s": the line is data, never a format string.
    syslog(priority(level), "%.*s", static_cast<int>(line.size()), line.data());
}

void SyslogLogger::log_object(LogLevel level, std::string_view object) {
    if (format_ != LogFormat::Json) {
        log(level, object);
        return;
    }
    if (!enabled(level)) return;
    const std::string out = json_stamped(level, object);
    syslog(priority(level), "%.*s", static_cast<int>(out.size()), out.data());
}

std::optional<int> facility_from_name(std::string_view name) {
    struct Entry {
        std::string_view name;
        int value;
    };
    static constexpr std::array<Entry, 11> kFacilities = {{
        {"mail", LOG_MAIL},
        {"daemon", LOG_DAEMON},
        {"user", LOG_USER},
        {"local0", LOG_LOCAL0},
        {"local1", LOG_LOCAL1},
        {"local2", LOG_LOCAL2},
        {"local3", LOG_LOCAL3},
        {"local4", LOG_LOCAL4},
        {"local5", LOG_LOCAL5},
        {"local6", LOG_LOCAL6},
        {"local7", LOG_LOCAL7},
    }};
    for (const auto& e : kFacilities)
        if (e.name == name) return e.value;
    return std::nullopt;
}

}  // namespace mv::observability
