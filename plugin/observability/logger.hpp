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
//         end-to-end tests and log parsers read it).
//   json  every line is one JSON object. log() wraps a text message as
//         {"event":"log","level":"LEVEL","message":"..."}; log_object()
//         writes an object the caller built (a decision, decision_log.hpp)
//         as it is. stderr gets the object alone on its line; syslog gets
//         it as the message (syslog and the journal add time and pid).
//
// Errors: an unknown syslog facility name is reported by facility_from_name().
//
// Thread contract: log() and log_object() are safe from any thread.
// SyslogLogger calls openlog() once in its constructor; create one per process.
#pragma once

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
    virtual void log(LogLevel level, std::string_view line) = 0;
    // `object` is one complete JSON object; only meaningful in LogFormat::Json.
    virtual void log_object(LogLevel level, std::string_view object) { log(level, object); }
    virtual LogFormat format() const { return LogFormat::Text; }
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

// The JSON object log() writes for a text message in LogFormat::Json.
std::string json_log_line(LogLevel level, std::string_view message);

}  // namespace mv::observability
