// SPDX-License-Identifier: Apache-2.0
// json_text.hpp - JSON string literals from untrusted bytes.
//
// json_string(value, max) returns a complete JSON string literal (with the
// quotes) for any input: '"' and '\' are escaped, control characters, DEL,
// U+2028 and U+2029 become \uXXXX, valid UTF-8 passes through unchanged and
// every byte that is not part of a valid UTF-8 sequence (overlong forms,
// surrogates, code points over U+10FFFF, stray continuation bytes) becomes
// U+FFFD. A value longer than `max` bytes is cut at a character boundary at
// most max - 3 bytes in and ends with "..." (as codes::sanitize_value does
// for the text log), so the result always parses and is bounded by about
// 6 * max bytes.
//
// Thread contract: pure functions.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace mv::observability {

std::string json_string(std::string_view value, std::size_t max);
// Appends json_string(value, max) to `out`.
void append_json_string(std::string& out, std::string_view value, std::size_t max);

}  // namespace mv::observability
