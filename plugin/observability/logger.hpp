// SPDX-License-Identifier: Apache-2.0
// logger.hpp - where the daemon's log lines go: syslog or stderr, text or JSON.
//
// Logger is the interface every part writes to (one line per call, no
// newline); SyslogLogger and StderrLogger are the two targets of
// Settings::log_target; tests use a recording fake. Lines are written as
// given: callers sanitise values from the network (codes::sanitize_value).
//
// Formats (Settings::log_format, log_format.hpp):
//   text  stderr: "milter-verdict[PID]: LEVEL: message"; syslog: the message.
//         LEVEL = error, warning, info, debug. This form is stable (the
//         end-to-end tests and log parsers read it). A line about a
//         connection or message starts with its id, as Postfix's do
//         ("4QX9Yz1AbC: decision ...", "conn-00c0ffee01: ..."; recorder.hpp).
//   json  every line is one JSON object that starts with
//         "time" (RFC 3339, UTC, microseconds: "2026-12-08T00:48:00.123456Z"),
//         "host" (gethostname at start) and "level" (as above), then the
//         caller's fields. log() writes a text message as
//         {...,"event":"log","message":"..."}; log_object() takes an object
//         the caller built without those three (a decision,
//         decision_log.hpp) and adds them. stderr gets the object alone on
//         its line; syslog gets it as the message.
//
// Level: lines below the threshold (set_threshold, the setting log_level;
// default info) are not written: a debug line costs nothing by default.
//
// Errors: an unknown syslog facility name is reported by facility_from_name().
//
// Thread contract: log() and log_object() are safe from any thread.
// SyslogLogger calls openlog() once in its constructor; create one per process.
#pragma once

#include <atomic>
#include <chrono>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "observability/log_format.hpp"

namespace mv::observability {

enum class LogLevel { Error, Warning, Info, Debug };

class Logger {
  public:
    virtual ~Logger() = default;
    // Lines more detailed than `max` (Debug > Info > Warning > Error) are
    // dropped by the targets below; enabled() says whether one would be kept.
    void set_threshold(LogLevel max) { threshold_.store(max, std::memory_order_relaxed); }
    bool enabled(LogLevel level) const {
        return level <= threshold_.load(std::memory_order_relaxed);
    }
    virtual void log(LogLevel level, std::string_view line) = 0;
    // `object` is one complete JSON object; only meaningful in LogFormat::Json.
    virtual void log_object(LogLevel level, std::string_view object) { log(level, object); }
    virtual LogFormat format() const { return LogFormat::Text; }

  private:
    std::atomic<LogLevel> threshold_{LogLevel::Info};
};

class StderrLogger final : public Logger {
  public:
    explicit StderrLogger(LogFormat format = LogFormat::Text) : format_(format) {}
    void log(LogLevel level, std::string_view line) override;
    void log_object(LogLevel level, std::string_view object) override;
    LogFormat format() const override { return format_; }

  private:
    void write(const std::string& line);

    LogFormat format_;
    std::mutex mutex_;  // one line at a time from many workers
};

class SyslogLogger final : public Logger {
  public:
    // `facility` is a LOG_* value (facility_from_name).
    explicit SyslogLogger(int facility, LogFormat format = LogFormat::Text);
    ~SyslogLogger() override;
    SyslogLogger(const SyslogLogger&) = delete;
    SyslogLogger& operator=(const SyslogLogger&) = delete;

    void log(LogLevel level, std::string_view line) override;
    void log_object(LogLevel level, std::string_view object) override;
    LogFormat format() const override { return format_; }

  private:
    LogFormat format_;
};

// "mail", "daemon", "user", "local0".."local7" -> LOG_*; nullopt otherwise.
std::optional<int> facility_from_name(std::string_view name);

std::string_view level_name(LogLevel level);
// "error" | "warning" | "info" | "debug" -> LogLevel; nullopt otherwise.
std::optional<LogLevel> parse_log_level(std::string_view name);

// The JSON object log() writes for a text message in LogFormat::Json.
std::string json_log_line(LogLevel level, std::string_view message);
// `object` ("{...}", without time, host, level) with those three first.
std::string json_stamped(LogLevel level, std::string_view object);
// "2026-12-08T00:48:00.123456Z": the JSON lines' time, UTC, microseconds.
std::string rfc3339_utc(std::chrono::system_clock::time_point t);
// This machine's name (gethostname, read once), as the JSON "host".
const std::string& log_host();

}  // namespace mv::observability
