// SPDX-License-Identifier: Apache-2.0
// syntax_hint.cpp - guessing the cause of a libconfig syntax error.
#include "config/syntax_hint.hpp"

#include <cctype>
#include <vector>

namespace mv::config {

namespace {

// A line without its comment (#, // outside strings) and surrounding blanks.
std::string code_of(const std::string& line) {
    std::string out;
    bool quoted = false;
    for (std::size_t i = 0; i < line.size(); ++i) {
        const char c = line[i];
        if (quoted) {
            out += c;
            if (c == '\\' && i + 1 < line.size()) {
                out += line[++i];
            } else if (c == '"') {
                quoted = false;
            }
            continue;
        }
        if (c == '#' || (c == '/' && i + 1 < line.size() && line[i + 1] == '/')) break;
        if (c == '"') quoted = true;
        out += c;
    }
    const auto b = out.find_first_not_of(" \t\r");
    if (b == std::string::npos) return {};
    return out.substr(b, out.find_last_not_of(" \t\r") - b + 1);
}

// True when the line ends inside a string (an odd number of unescaped quotes).
bool open_string(const std::string& line) {
    bool quoted = false;
    for (std::size_t i = 0; i < line.size(); ++i) {
        if (quoted && line[i] == '\\') {
            ++i;
        } else if (line[i] == '"') {
            quoted = !quoted;
        } else if (!quoted && (line[i] == '#' ||
                               (line[i] == '/' && i + 1 < line.size() && line[i + 1] == '/'))) {
            break;
        }
    }
    return quoted;
}

bool word_char(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' || c == '-' || c == '.';
}

// Every "KEY = WORD" (or "KEY: WORD") of a line whose value is a bare word:
// {key, word}. true/false and numbers are values, not bare words.
std::vector<std::pair<std::string, std::string>> bare_values(const std::string& code) {
    std::vector<std::pair<std::string, std::string>> out;
    bool quoted = false;
    for (std::size_t i = 0; i < code.size(); ++i) {
        const char c = code[i];
        if (quoted) {
            if (c == '\\')
                ++i;
            else if (c == '"')
                quoted = false;
            continue;
        }
        if (c == '"') {
            quoted = true;
            continue;
        }
        if (c != '=' && c != ':') continue;
        std::size_t k = i;
        while (k > 0 && (code[k - 1] == ' ' || code[k - 1] == '\t')) --k;
        std::size_t ks = k;
        while (ks > 0 && word_char(code[ks - 1])) --ks;
        std::size_t v = code.find_first_not_of(" \t", i + 1);
        if (v == std::string::npos) continue;
        std::size_t ve = v;
        while (ve < code.size() && word_char(code[ve])) ++ve;
        if (ve == v || ks == k) continue;
        if (ve < code.size() && code[ve] == '"') continue;
        const std::string word = code.substr(v, ve - v);
        std::string lower;
        for (char ch : word)
            lower += static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
        if (lower == "true" || lower == "false") continue;
        if (std::isdigit(static_cast<unsigned char>(word[0])) || word[0] == '-' || word[0] == '.')
            continue;
        out.emplace_back(code.substr(ks, k - ks), word);
    }
    return out;
}

}  // namespace

std::string syntax_hint(const std::vector<std::string>& lines, int line) {
    if (line < 1 || static_cast<int>(lines.size()) < line) return {};
    std::string next;
    for (int n = line + 1; n <= static_cast<int>(lines.size()) && next.empty(); ++n)
        next = code_of(lines[n - 1]);
    const std::string here = code_of(lines[line - 1]);
    // The nearest line before with code on it, and its number.
    int prev_no = line - 1;
    while (prev_no >= 1 && code_of(lines[prev_no - 1]).empty()) --prev_no;
    const std::string prev = prev_no >= 1 ? code_of(lines[prev_no - 1]) : std::string();
    const std::string prev_at = "line " + std::to_string(prev_no);

    // A bare word where a value belongs: yes/no first (the Postfix boolean).
    for (const std::string* l : {&here, &prev}) {
        for (const auto& [key, word] : bare_values(*l)) {
            std::string lower;
            for (char ch : word)
                lower += static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
            if (lower == "yes" || lower == "on")
                return "booleans are true/false, not yes/no: write " + key + " = true;";
            if (lower == "no" || lower == "off")
                return "booleans are true/false, not yes/no: write " + key + " = false;";
        }
    }
    for (const std::string* l : {&here, &prev}) {
        for (const auto& [key, word] : bare_values(*l))
            return "a string needs double quotes: write " + key + " = \"" + word + "\";";
    }
    if (prev_no >= 1 && open_string(lines[prev_no - 1]))
        return "a string is not closed: a missing '\"' on " + prev_at + "?";
    if (open_string(lines[line - 1])) return "a string is not closed: a missing '\"'?";
    const char first = here.empty() ? '\0' : here.front();
    const char last = prev.empty() ? '\0' : prev.back();
    // Two groups (rules) in a list without the ',' between them, or with ';'.
    if ((first == '{' || first == '(') && prev.size() >= 2 &&
        (prev.compare(prev.size() - 2, 2, "};") == 0 ||
         prev.compare(prev.size() - 2, 2, ");") == 0))
        return "';' ends a setting, but the groups of a list are separated by ',': write ',' at "
               "the end of " +
               prev_at;
    const char next_first = next.empty() ? '\0' : next.front();
    if ((next_first == '{' || next_first == '(') && here.size() >= 2 &&
        (here.compare(here.size() - 2, 2, "};") == 0 ||
         here.compare(here.size() - 2, 2, ");") == 0))
        return "';' ends a setting, but the groups of a list are separated by ',': write ',' "
               "instead of the ';' at the end of this line";
    if ((first == '{' || first == '(') && (last == '}' || last == ')'))
        return "a missing ',' after " + prev_at + "? the groups of a list are separated by ','";
    if (first == ')' || first == ']') {
        if (last == ',') return "a ',' after the last element of a list (" + prev_at + ")";
    }
    if (!here.empty() &&
        (here.find(",)") != std::string::npos || here.find(", )") != std::string::npos ||
         here.find(",]") != std::string::npos || here.find(", ]") != std::string::npos))
        return "a ',' after the last element of a list";
    if (here.find("} {") != std::string::npos || here.find("}{") != std::string::npos)
        return "a missing ',' between two groups of a list ('}, {')";
    // A key with no '= VALUE' on the line before, or on this line.
    const auto bare_key = [](const std::string& l) {
        return !l.empty() && word_char(l.front()) && l.find_first_of("=:\"") == std::string::npos;
    };
    if (bare_key(prev)) return "'" + prev + "' on " + prev_at + " is a key without '= VALUE;'";
    if (bare_key(here)) return "'" + here + "' is a key without '= VALUE;'";
    // libconfig does not need the ';' after a setting; it fails when the
    // next line cannot continue the value of the line before.
    if (!prev.empty() && last != ';' && last != ',' && last != '{' && last != '(' && last != '[')
        return "a missing ';' at the end of " + prev_at + "?";
    return {};
}

}  // namespace mv::config
