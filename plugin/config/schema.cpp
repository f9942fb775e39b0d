// SPDX-License-Identifier: Apache-2.0
// schema.cpp - key and type checks with "did you mean" suggestions.
#include "config/schema.hpp"

#include <algorithm>
#include <vector>

namespace mv::config {

namespace {

// Levenshtein distance, bounded: keys are short, so the full table is cheap.
std::size_t edit_distance(std::string_view a, std::string_view b) {
    std::vector<std::size_t> prev(b.size() + 1), cur(b.size() + 1);
    for (std::size_t j = 0; j <= b.size(); ++j) prev[j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i) {
        cur[0] = i;
        for (std::size_t j = 1; j <= b.size(); ++j) {
            const std::size_t subst = prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
            cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, subst});
        }
        std::swap(prev, cur);
    }
    return prev[b.size()];
}

}  // namespace

std::string type_name(const libconfig::Setting& s) {
    switch (s.getType()) {
        case libconfig::Setting::TypeInt:
        case libconfig::Setting::TypeInt64:
            return "an integer";
        case libconfig::Setting::TypeFloat:
            return "a number with a fraction";
        case libconfig::Setting::TypeString:
            return "a string";
        case libconfig::Setting::TypeBoolean:
            return "a boolean";
        case libconfig::Setting::TypeGroup:
            return "a group { ... }";
        case libconfig::Setting::TypeArray:
            return "an array [ ... ]";
        case libconfig::Setting::TypeList:
            return "a list ( ... )";
        default:
            return "nothing";
    }
}

std::string key_name(const libconfig::Setting& s) {
    const char* name = s.getName();
    if (name != nullptr) return name;
    return "element " + std::to_string(s.getIndex() + 1);
}

std::string closest(std::string_view word, std::initializer_list<std::string_view> known) {
    std::string best;
    std::size_t best_d = 3;
    for (auto k : known) {
        const std::size_t d = edit_distance(word, k);
        if (d < best_d) {
            best_d = d;
            best = std::string(k);
        }
    }
    return best;
}

void check_keys(const libconfig::Setting& group, std::initializer_list<std::string_view> known,
                std::string_view where, Diagnostics& diag) {
    const int n = group.getLength();
    for (int i = 0; i < n; ++i) {
        const libconfig::Setting& child = group[i];
        const std::string name = child.getName() != nullptr ? child.getName() : "";
        if (std::find(known.begin(), known.end(), name) != known.end()) continue;
        std::string msg = "unknown key '" + name + "' in " + std::string(where);
        const std::string hint = closest(name, known);
        if (!hint.empty()) msg += " (did you mean '" + hint + "'?)";
        diag.error(child, msg);
    }
}

std::optional<std::string> read_string(const libconfig::Setting& s, Diagnostics& diag) {
    if (s.getType() != libconfig::Setting::TypeString) {
        diag.error(s, key_name(s) + " must be a string, not " + type_name(s));
        return std::nullopt;
    }
    return std::string(static_cast<const char*>(s));
}

std::optional<bool> read_bool(const libconfig::Setting& s, Diagnostics& diag) {
    if (s.getType() != libconfig::Setting::TypeBoolean) {
        diag.error(s, key_name(s) + " must be true or false, not " + type_name(s));
        return std::nullopt;
    }
    return static_cast<bool>(s);
}

std::optional<long long> read_int(const libconfig::Setting& s, Diagnostics& diag) {
    if (s.getType() == libconfig::Setting::TypeInt)
        return static_cast<long long>(static_cast<int>(s));
    if (s.getType() == libconfig::Setting::TypeInt64) return static_cast<long long>(s);
    diag.error(s, key_name(s) + " must be an integer, not " + type_name(s));
    return std::nullopt;
}

bool is_strings(const libconfig::Setting& s) {
    if (s.getType() == libconfig::Setting::TypeString) return true;
    if (!s.isArray() && !s.isList()) return false;
    for (int i = 0; i < s.getLength(); ++i)
        if (s[i].getType() != libconfig::Setting::TypeString) return false;
    return true;
}

}  // namespace mv::config
