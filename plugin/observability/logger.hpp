// logger.hpp - where the daemon's log lines go: syslog or stderr.
//
// Logger is the interface the handlers write to (one line per call, no
// newline); SyslogLogger and StderrLogger are the two targets of
// Settings::log_target; tests use a recording fake. Lines are written as
// given: callers sanitise values from the network (codes::sanitize_value).
//
// The stderr format is stable (the end-to-end tests read it):
//   "milter-verdict[PID]: LEVEL: message"   LEVEL = error, warning, info, debug
//
// Errors: an unknown syslog facility name is reported by facility_from_name().
//
// Thread contract: log() is safe from any thread. SyslogLogger calls openlog()
// once in its constructor; create one per process.
#pragma once

#include <mutex>
#include <optional>
#include <string>
#include <string_view>

namespace mv::milter {

enum class LogLevel { Error, Warning, Info, Debug };

class Logger {
  public:
    virtual ~Logger() = default;
    virtual void log(LogLevel level, std::string_view line) = 0;
};

class StderrLogger final : public Logger {
  public:
    void log(LogLevel level, std::string_view line) override;

  private:
    std::mutex mutex_;  // one line at a time from many workers
};

class SyslogLogger final : public Logger {
  public:
    // `facility` is a LOG_* value (facility_from_name).
    explicit SyslogLogger(int facility);
    ~SyslogLogger() override;
    SyslogLogger(const SyslogLogger&) = delete;
    SyslogLogger& operator=(const SyslogLogger&) = delete;

    void log(LogLevel level, std::string_view line) override;
};

// "mail", "daemon", "user", "local0".."local7" -> LOG_*; nullopt otherwise.
std::optional<int> facility_from_name(std::string_view name);

std::string_view level_name(LogLevel level);

}  // namespace mv::milter
