// SPDX-License-Identifier: Apache-2.0
// string_match_reader.hpp - a string match as written -> policy::StringMatch.
//
// A string match is a shorthand (a string or an array of strings: exact
// values, "/regex/", "<>" for the empty value, "@list" for a list's entries
// as exact values) or a group { exact; domain; subdomain; regex; null;
// case_sensitive; }. Every value keeps its origin, so that a value the
// policy constructors refuse can be reported at its own file and line.
//
// Errors: read_string_match() reports every problem to the Diagnostics and
// returns false; `out` is then incomplete.
//
// Thread contract: pure function over caller-owned objects.
#pragma once

#include <libconfig.h++>

#include <string>
#include <vector>

#include "config/diagnostics.hpp"
#include "config/list_table.hpp"
#include "policy/conditions.hpp"

namespace mv::config {

struct StringMatchSpec {
    struct Entry {
        char kind;  // 'e'xact, 'd'omain, 's'ubdomain, 'r'egex
        std::string value;
        Origin origin;
    };
    policy::StringMatch match;
    std::vector<Entry> entries;  // every value of `match` but null, with its origin
    bool incomplete = false;     // a referenced list failed to load (reported already)
};

bool read_string_match(const libconfig::Setting& s, ListTable& lists, Diagnostics& diag,
                       StringMatchSpec& out);

}  // namespace mv::config
