// SPDX-License-Identifier: Apache-2.0
// string_match_reader.cpp - shorthand and group forms of a string match.
#include "config/string_match_reader.hpp"

#include "config/schema.hpp"

namespace mv::config {

using libconfig::Setting;

namespace {

bool is_shorthand_regex(const std::string& v) {
    return v.size() >= 2 && v.front() == '/' && v.back() == '/';
}

}  // namespace

bool read_string_match(const Setting& s, ListTable& lists, Diagnostics& diag,
                       StringMatchSpec& out) {
    bool ok = true;
    const std::string what = key_name(s);
    auto add = [&](const Setting& at, std::string_view kind) -> bool {
        Values v;
        if (!lists.collect_values(at, diag, v)) return false;
        if (v.incomplete) out.incomplete = true;
        for (std::size_t i = 0; i < v.items.size(); ++i) {
            const std::string& item = v.items[i];
            // Shorthand: a list's entries are taken as exact values; a value
            // written in the configuration may be "/regex/" or "<>".
            const bool literal = v.origins[i].list == nullptr;
            if (kind == "regex" || (kind == "shorthand" && literal && is_shorthand_regex(item))) {
                const std::string re = kind == "regex" ? item : item.substr(1, item.size() - 2);
                if (re.empty()) {
                    ListTable::report(v.origins[i], "empty regex", diag);
                    ok = false;
                    continue;
                }
                out.match.regexes.push_back(re);
                out.entries.push_back({'r', re, v.origins[i]});
            } else if (kind == "shorthand" && literal && item == "<>") {
                out.match.null_sender = true;
            } else if (kind == "domain" || kind == "subdomain") {
                std::string d = item;
                if (kind == "subdomain" && !d.empty() && d[0] == '.') d.erase(0, 1);
                (kind == "domain" ? out.match.domains : out.match.subdomains).push_back(d);
                out.entries.push_back({kind == "domain" ? 'd' : 's', d, v.origins[i]});
            } else {
                if (item.empty()) {
                    ListTable::report(v.origins[i],
                                      "empty value (write \"<>\" or null = true for the empty "
                                      "sender)",
                                      diag);
                    ok = false;
                    continue;
                }
                out.match.exact.push_back(item);
                out.entries.push_back({'e', item, v.origins[i]});
            }
        }
        return true;
    };

    if (s.isGroup()) {
        check_keys(s, {"exact", "domain", "subdomain", "regex", "null", "case_sensitive"},
                   what + " match", diag);
        for (int i = 0; i < s.getLength(); ++i) {
            const Setting& m = s[i];
            const std::string k = m.getName();
            if (k == "null") {
                const auto n = read_bool(m, diag);
                if (!n)
                    ok = false;
                else
                    out.match.null_sender = *n;
            } else if (k == "case_sensitive") {
                const auto cs = read_bool(m, diag);
                if (!cs)
                    ok = false;
                else
                    out.match.icase_regex = !*cs;
            } else if (k == "exact" || k == "domain" || k == "subdomain" || k == "regex") {
                if (!add(m, k)) ok = false;
            } else {
                ok = false;  // unknown key, reported by check_keys
            }
        }
    } else if (is_strings(s)) {
        if (!add(s, "shorthand")) ok = false;
    } else {
        diag.error(s, what +
                          " must be a string, an array of strings or a group { exact; domain; "
                          "subdomain; regex; null; }, not " +
                          type_name(s));
        ok = false;
    }
    if (!ok) return false;
    const policy::StringMatch& m = out.match;
    if (m.exact.empty() && m.domains.empty() && m.subdomains.empty() && m.regexes.empty() &&
        !m.null_sender) {
        // A list that failed to load has its own error; do not add a second one.
        if (!out.incomplete) diag.error(s, what + " matches nothing (no value given)");
        return false;
    }
    return true;
}

}  // namespace mv::config
