// SPDX-License-Identifier: Apache-2.0
// reply_text.cpp - ${var} templates for reply text and header values.
#include "codes/reply_text.hpp"

#include <array>
#include <cstdio>

namespace mv::codes {

namespace {

struct VarInfo {
    std::string_view name;
    std::size_t max_len;
    std::string_view TextVars::*field;
    bool domain_only = false;  // the part of the field after its last '@'
};

std::string_view value_of(const VarInfo& v, const TextVars& vars) {
    std::string_view s = vars.*(v.field);
    if (v.domain_only) {
        const auto at = s.rfind('@');
        s = at == std::string_view::npos ? std::string_view() : s.substr(at + 1);
    }
    return s;
}

// Maximum lengths: addresses per RFC 5321 4.5.3.1 (path 256), names per
// domain length (255), rule names as the loader bounds them (64).
constexpr std::array<VarInfo, 12> kVars = {{
    {"client_addr", 45, &TextVars::client_addr},
    {"client_name", 255, &TextVars::client_name},
    {"helo", 255, &TextVars::helo},
    {"sender", 256, &TextVars::sender},
    {"sender_domain", 255, &TextVars::sender, true},
    {"rcpt", 256, &TextVars::rcpt},
    {"rule", 64, &TextVars::rule},
    {"retry", 20, &TextVars::retry},
    {"queue_id", 32, &TextVars::queue_id},
    // A few zone names; a score of at most 7 digits and a sign; a TXT is
    // shown only this far (RFC 5782 gives no bound; lists send a URL).
    {"dns_zones", 200, &TextVars::dns_zones},
    {"dns_score", 8, &TextVars::dns_score},
    {"dns_txt", 200, &TextVars::dns_txt},
}};

const VarInfo* find_var(std::string_view name) {
    for (const auto& v : kVars)
        if (v.name == name) return &v;
    return nullptr;
}

// Calls on_text(text) and on_var(info) in order; returns an error or "".
template <typename Text, typename Var>
std::string walk(std::string_view t, Text on_text, Var on_var) {
    std::size_t i = 0;
    while (i < t.size()) {
        const std::size_t d = t.find("${", i);
        if (d == std::string_view::npos) {
            on_text(t.substr(i));
            break;
        }
        on_text(t.substr(i, d - i));
        const std::size_t e = t.find('}', d + 2);
        if (e == std::string_view::npos) return "unterminated \"${\" in text";
        const std::string_view name = t.substr(d + 2, e - d - 2);
        const VarInfo* v = find_var(name);
        if (!v) return "unknown variable ${" + std::string(name) + "}";
        on_var(*v);
        i = e + 1;
    }
    return {};
}

}  // namespace

std::string check_template(std::string_view tmpl) {
    return walk(
        tmpl, [](std::string_view) {}, [](const VarInfo&) {});
}

std::string first_non_ascii(std::string_view tmpl) {
    for (std::size_t i = 0; i < tmpl.size(); ++i) {
        const auto c = static_cast<unsigned char>(tmpl[i]);
        if (c >= 0x20 && c <= 0x7e) continue;
        char hex[8];
        std::snprintf(hex, sizeof hex, "0x%02X", c);
        return std::string("byte ") + hex + " at column " + std::to_string(i + 1);
    }
    return {};
}

std::size_t max_expanded_length(std::string_view tmpl) {
    std::size_t n = 0;
    walk(
        tmpl, [&](std::string_view s) { n += s.size(); },
        [&](const VarInfo& v) { n += v.max_len; });
    return n;
}

std::string sanitize_value(std::string_view value, std::size_t max_len) {
    const bool cut = value.size() > max_len;
    const std::size_t keep = cut ? (max_len >= 3 ? max_len - 3 : 0) : value.size();
    // Copy, then mend in place: one allocation and a tight loop (this runs
    // for every field of every decision line).
    std::string out(value.substr(0, keep));
    for (char& ch : out) {
        const unsigned char c = static_cast<unsigned char>(ch);
        if (c < 0x20 || c > 0x7e) ch = '?';
    }
    if (cut) out.append(std::min<std::size_t>(3, max_len), '.');
    return out;
}

std::string expand_template(std::string_view tmpl, const TextVars& vars) {
    std::string out;
    walk(
        tmpl, [&](std::string_view s) { out += sanitize_value(s, s.size()); },
        [&](const VarInfo& v) { out += sanitize_value(value_of(v, vars), v.max_len); });
    return out;
}

}  // namespace mv::codes
