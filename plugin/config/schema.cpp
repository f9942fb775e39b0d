// SPDX-License-Identifier: Apache-2.0
// schema.cpp - key and type checks with "did you mean" suggestions.
#include "config/schema.hpp"

#include <algorithm>
#include <cctype>
#include <utility>
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

namespace {

template <class Range>
std::string closest_in(std::string_view word, const Range& known) {
    std::string best;
    std::size_t best_d = 3;
    for (const auto& k : known) {
        const std::string_view kv(k);
        const std::size_t d = edit_distance(word, kv);
        // Two edits turn a short word into many others ("per" -> "key"):
        // for words under five letters only one edit counts.
        if (d < best_d && (d <= 1 || word.size() >= 5)) {
            best_d = d;
            best = std::string(kv);
        }
    }
    return best;
}

// Postfix and postfwd spellings of our keys: smtpd_access_policy(5)
// attributes, postfwd item names, access(5) habits. Only what maps to one key.
constexpr std::pair<std::string_view, std::string_view> kHabitKeys[] = {
    {"recipient", "rcpt"},
    {"recipients", "rcpt"},
    {"recipient_address", "rcpt"},
    {"rcpt_to", "rcpt"},
    {"recipient_domain", "rcpt_domain"},
    {"recipient_count", "rcpt_count"},
    {"client_address", "client_addr"},
    {"client_ip", "client_addr"},
    {"client", "client_addr"},
    {"reverse_client_name", "client_name"},
    {"client_hostname", "client_name"},
    {"helo_name", "helo"},
    {"ehlo", "helo"},
    {"helo_hostname", "helo"},
    {"sender_address", "sender"},
    {"mail_from", "sender"},
    {"from", "sender"},
    {"sasl_username", "auth"},
    {"sasl_login", "auth"},
    {"sasl", "auth"},
    {"encryption_protocol", "tls"},
    {"encryption", "tls"},
    {"message_size", "size"},
    {"rbl", "dns_list"},
    {"rhsbl", "dns_list"},
    {"dnsbl", "dns_list"},
    {"rhsbl_sender", "dns_list"},
    {"ratelimit", "rate_limit"},
    {"rate", "rate_limit"},
    {"greylisting", "greylist"},
    {"graylist", "greylist"},
    {"id", "name"},
    {"monitor_mode", "monitor"},
    // rate_limit keys (the same words, where "client_addr" is not a key).
    {"client_address", "client"},
    {"client_ip", "client"},
    {"sasl_username", "sasl_login"},
    {"sender_address", "sender"},
    {"warn_only", "monitor"},
};

}  // namespace

std::string closest(std::string_view word, std::initializer_list<std::string_view> known) {
    return closest_in(word, known);
}

std::string closest(std::string_view word, const std::vector<std::string>& known) {
    return closest_in(word, known);
}

std::string habit_key(std::string_view word, std::initializer_list<std::string_view> known) {
    std::string lower(word);
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    for (const auto& [theirs, ours] : kHabitKeys)
        if (lower == theirs && std::find(known.begin(), known.end(), ours) != known.end())
            return std::string(ours);
    return {};
}

std::string key_suggestion(std::string_view word, std::initializer_list<std::string_view> known) {
    std::string hint = habit_key(word, known);
    if (hint.empty()) {
        std::string lower(word);
        for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        hint = closest(lower, known);
    }
    return hint.empty() ? std::string() : " (did you mean '" + hint + "'?)";
}

void check_keys(const libconfig::Setting& group, std::initializer_list<std::string_view> known,
                std::string_view where, Diagnostics& diag) {
    const int n = group.getLength();
    for (int i = 0; i < n; ++i) {
        const libconfig::Setting& child = group[i];
        const std::string name = child.getName() != nullptr ? child.getName() : "";
        if (std::find(known.begin(), known.end(), name) != known.end()) continue;
        diag.error(child, "unknown key '" + name + "' in " + std::string(where) +
                              key_suggestion(name, known));
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
        std::string msg = key_name(s) + " must be true or false, not " + type_name(s);
        if (s.getType() == libconfig::Setting::TypeString) {
            // Postfix and postfwd write booleans as yes/no.
            std::string v = static_cast<const char*>(s);
            for (char& c : v) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
            if (v == "yes" || v == "on" || v == "true" || v == "1")
                msg += " (booleans are true/false, not yes/no: write " + key_name(s) + " = true;)";
            else if (v == "no" || v == "off" || v == "false" || v == "0")
                msg += " (booleans are true/false, not yes/no: write " + key_name(s) + " = false;)";
        }
        diag.error(s, msg);
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
