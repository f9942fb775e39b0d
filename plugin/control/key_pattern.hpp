// SPDX-License-Identifier: Apache-2.0
// key_pattern.hpp - which state records an admin means (milter-verdict state).
//
// Record keys are the ones the rules build (policy/state_conditions.hpp):
// "RULE|value|value..." with '|' and '\' inside a value escaped by '\'. A
// greylist triplet is RULE|NETWORK|SENDER|RECIPIENT, a greylist client
// RULE|NETWORK, a rate counter RULE|KEY-VALUES... Shown to an admin a key is
// KIND:KEY (g: triplet, c: client, r: rate) with bytes outside printable
// ASCII (and '%', space) percent-encoded as in the state file.
//
// A pattern selects records:
//   ""  or "*"        every record;
//   with * ? or [     a glob (fnmatch, case-insensitive) on the whole key
//                     (without KIND:), e.g. "greylist|192.0.2.0/24|*";
//   anything else     a word equal (case-insensitively) to one of the key's
//                     parts: a rule name, a sender, a recipient, a network;
//                     an IP address also selects the network parts
//                     ("192.0.2.0/24") that contain it.
// `kinds` narrows the record kinds ("gcr" = all).
//
// Thread contract: value types, pure functions.
#pragma once

#include <string>
#include <vector>

#include "state/entry.hpp"

namespace mv::control {

struct Selection {
    std::string kinds = "gcr";  // any of 'g', 'c', 'r'
    std::string pattern;        // see above

    bool matches(const std::string& key, const state::Entry& entry) const;
};

// The parts of a key, unescaped ("a|b\|c" -> {"a", "b|c"}).
std::vector<std::string> key_parts(const std::string& key);

// "g:" + percent-encoded key; and back (false when malformed).
std::string shown_key(state::Entry::Kind kind, const std::string& key);
bool parse_shown_key(const std::string& text, state::Entry::Kind& kind, std::string& key);

// "all", "greylist", "triplet", "client", "rate" (or "g", "c", "r",
// combined: "gc") as the kinds string; "" when unknown.
std::string parse_kinds(const std::string& name);

}  // namespace mv::control
