// SPDX-License-Identifier: Apache-2.0
// schema.hpp - key and type checks shared by every part of the loader.
//
// check_keys() reports every key of a group that is not in the known set,
// with "did you mean" when a known key is one or two edits away. The read_*
// helpers return the value of a setting of the expected type, or report
// "KEY must be a TYPE, not a TYPE" at the setting's line and return nullopt.
//
// Thread contract: pure functions over a Diagnostics owned by the caller.
#pragma once

#include <libconfig.h++>

#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/diagnostics.hpp"

namespace mv::config {

// "a string", "a boolean", "an integer", "a group", "an array", "a list", ...
std::string type_name(const libconfig::Setting& s);

// The setting's name for messages: "rules.[3].reply.code" style paths are
// unreadable, so the key itself ("code") or "element N" for list elements.
std::string key_name(const libconfig::Setting& s);

// Reports each key of `group` not in `known`; `where` names the group ("rule", "when").
void check_keys(const libconfig::Setting& group, std::initializer_list<std::string_view> known,
                std::string_view where, Diagnostics& diag);

// The closest of `known` to `word` within two edits, or "".
std::string closest(std::string_view word, std::initializer_list<std::string_view> known);
std::string closest(std::string_view word, const std::vector<std::string>& known);

// The key of ours that a Postfix (access(5), smtpd restrictions, policy
// delegation attributes) or postfwd admin means by `word` ("recipient" ->
// "rcpt", "client_address" -> "client_addr", "helo_name" -> "helo"), when it
// is one of `known`; "" otherwise.
std::string habit_key(std::string_view word, std::initializer_list<std::string_view> known);

// " (did you mean 'KEY'?)" for an unknown key: the Postfix word first, then
// the closest key within two edits; "" when there is neither.
std::string key_suggestion(std::string_view word, std::initializer_list<std::string_view> known);

std::optional<std::string> read_string(const libconfig::Setting& s, Diagnostics& diag);
std::optional<bool> read_bool(const libconfig::Setting& s, Diagnostics& diag);
std::optional<long long> read_int(const libconfig::Setting& s, Diagnostics& diag);

// A string or an array/list of strings: true when `s` has that shape.
bool is_strings(const libconfig::Setting& s);

}  // namespace mv::config
