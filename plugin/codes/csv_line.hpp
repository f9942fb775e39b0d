// SPDX-License-Identifier: Apache-2.0
// csv_line.hpp - split one line of the registry's CSV data into fields.
//
// The format is RFC 4180 restricted to one record per line: fields separated
// by ',', a field may be quoted with '"' (then it may hold ',' and '""' for a
// quote). Used only for the embedded data in plugin/codes/data/.
//
// Errors: an unterminated quote or text after a closing quote returns
// nullopt and sets *error to a one-line message.
//
// Thread contract: pure function; thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mv::codes {

std::optional<std::vector<std::string>> split_csv_line(std::string_view line, std::string* error);

}  // namespace mv::codes
