// SPDX-License-Identifier: Apache-2.0
// list_table.hpp - the named lists of the `lists` group and "@name" references.
//
// A list is written inline (`trusted = ["192.0.2.0/24"];`) or read from a file
// (`blocked = { file = "blocked.txt"; };`, one entry per line, '#' starts a
// comment, blank lines ignored, the path relative to the directory of the
// configuration file that defines the list). Entries are plain strings: what
// they mean (network, domain, regex) is decided by the key that references
// them, which also validates them and reports a bad entry at its own file and
// line through origin().
//
// collect_values() reads a key's value (a string or an array/list of strings),
// replacing each "@name" by the entries of that list.
//
// Call order: load() once, then collect_values() for every key, then
// warn_unused(). Errors: reported to the Diagnostics; a list that fails to
// load is still defined (with what could be read) and marked failed, so that
// references to it add no second error ("matches nothing") of their own.
//
// Thread contract: one ListTable per load, used by one thread.
#pragma once

#include <libconfig.h++>

#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "config/diagnostics.hpp"

namespace mv::config {

struct NamedList {
    std::string name;
    const libconfig::Setting* defined_at = nullptr;
    std::string source;  // the list file, "" for an inline list
    std::vector<std::string> values;
    std::vector<int> lines;                           // file lists: the line of each value
    std::vector<const libconfig::Setting*> elements;  // inline lists: each value's setting
    bool used = false;
    bool failed = false;      // loading it reported an error: its values are not all there
    double read_seconds = 0;  // file lists: time to read and check the file
};

// Where one collected value came from, for error messages.
struct Origin {
    const libconfig::Setting* at = nullptr;  // the key (or inline list element)
    const NamedList* list = nullptr;         // file list: value `index` of it
    int index = 0;
};

struct Values {
    std::vector<std::string> items;
    std::vector<Origin> origins;
    // A referenced list failed to load (its error is reported): an empty or
    // short result says nothing about what the key was meant to match.
    bool incomplete = false;
};

class ListTable {
  public:
    void load(const libconfig::Setting& lists, Diagnostics& diag);

    // Appends the values of `s` to `out`. Returns false (after reporting) when
    // `s` is not a string or strings, or names an unknown list.
    bool collect_values(const libconfig::Setting& s, Diagnostics& diag, Values& out);

    // True when a list of that name is defined.
    bool known(const std::string& name) const { return lists_.count(name) != 0; }
    // Reports a reference to an undefined list at `at`, with the closest
    // defined name (two edits at most) as a suggestion.
    void report_unknown(const libconfig::Setting& at, const std::string& name,
                        Diagnostics& diag) const;

    // Reports a problem with one collected value at its own file and line.
    static void report(const Origin& origin, const std::string& message, Diagnostics& diag);
    // The same, as a warning (error with --strict).
    static void warn(const Origin& origin, const std::string& message, Diagnostics& diag);

    void warn_unused(Diagnostics& diag) const;

    // Every list in definition order (for check-config's list report).
    std::vector<const NamedList*> defined() const;

  private:
    void load_file(NamedList& list, const libconfig::Setting& file_setting, Diagnostics& diag);

    std::unordered_map<std::string, NamedList> lists_;
    std::vector<std::string> order_;  // definition order, for stable warnings
};

// Valid list names: [A-Za-z0-9_-]+ (no dot, so "@example.com" is never a name).
bool valid_list_name(std::string_view name);

}  // namespace mv::config
