// SPDX-License-Identifier: Apache-2.0
// stage.hpp - the SMTP stages at which a reply reaches the client.
//
// A milter callback runs at a milter stage, but the client sees the reply at
// an SMTP command: header, end-of-header, body and end-of-message replies all
// arrive as the answer to the final "." (EndOfData). Validation of reply codes
// (RFC 5321 section 4.3.2) is therefore done per SMTP stage.
//
// Thread contract: pure functions and constants, safe from any thread.
#pragma once

#include <bitset>
#include <optional>
#include <string_view>

namespace mv::codes {

enum class Stage : unsigned char { Connect, Helo, Mail, Rcpt, Data, EndOfData };
inline constexpr int kStageCount = 6;

// A set of stages, indexed by static_cast<int>(Stage).
using StageSet = std::bitset<kStageCount>;

// "connect", "helo", "mail", "rcpt", "data", "end-of-data".
std::string_view stage_name(Stage s);
// Inverse of stage_name; also accepts "eom" and "end_of_data". nullopt if unknown.
std::optional<Stage> parse_stage(std::string_view name);
// The SMTP command a client sees the reply to: "greeting", "HELO/EHLO", "MAIL FROM",
// "RCPT TO", "DATA", "end of data (.)".
std::string_view stage_command(Stage s);

}  // namespace mv::codes
