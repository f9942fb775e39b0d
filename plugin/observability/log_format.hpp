// SPDX-License-Identifier: Apache-2.0
// log_format.hpp - the daemon setting log_format: "text" or "json".
//
// Text is one line per event, the message's queue id (else the connection
// id) first, decisions as key=value (decision_log.hpp); JSON writes every
// log line as one JSON object with time, host and level first (logger.hpp),
// decisions and rule lines with their fields, other lines as
// {...,"event":"log","message":...}.
//
// Thread contract: constants and pure functions.
#pragma once

#include <optional>
#include <string_view>

namespace mv::observability {

enum class LogFormat : unsigned char { Text, Json };

// "text" | "json" -> LogFormat; nullopt for anything else.
constexpr std::optional<LogFormat> parse_log_format(std::string_view s) {
    if (s == "text") return LogFormat::Text;
    if (s == "json") return LogFormat::Json;
    return std::nullopt;
}

constexpr std::string_view log_format_name(LogFormat f) {
    return f == LogFormat::Json ? "json" : "text";
}

}  // namespace mv::observability
