// logger.cpp - stderr and syslog targets.
#include "milter/logger.hpp"

#include <syslog.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <string>

namespace mv::milter {

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

void StderrLogger::log(LogLevel level, std::string_view line) {
    std::string out = "milter-verdict[" + std::to_string(getpid()) + "]: ";
    out += level_name(level);
    out += ": ";
    out += line;
    out += '\n';
    std::lock_guard<std::mutex> lock(mutex_);
    // One fwrite + flush per line, so lines from different threads never
    // interleave and a test reading the output sees each line as it happens.
    std::fwrite(out.data(), 1, out.size(), stderr);
    std::fflush(stderr);
}

SyslogLogger::SyslogLogger(int facility) {
    openlog("milter-verdict", LOG_PID | LOG_NDELAY, facility);
}

SyslogLogger::~SyslogLogger() {
    closelog();
}

void SyslogLogger::log(LogLevel level, std::string_view line) {
    int prio = LOG_INFO;
    switch (level) {
        case LogLevel::Error:
            prio = LOG_ERR;
            break;
        case LogLevel::Warning:
            prio = LOG_WARNING;
            break;
        case LogLevel::Info:
            prio = LOG_INFO;
            break;
        case LogLevel::Debug:
            prio = LOG_DEBUG;
            break;
    }
    // "%.*s": the line is data, never a format string.
    syslog(prio, "%.*s", static_cast<int>(line.size()), line.data());
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

}  // namespace mv::milter
