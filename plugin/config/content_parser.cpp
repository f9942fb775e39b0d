// SPDX-License-Identifier: Apache-2.0
// content_parser.cpp - the content keys of `when`: header, body, size,
// declared_size, rcpt_count (ConditionParser members; condition_parser.hpp).
//
//   header = { name = "Subject"; value = MATCH; raw = false; };   or present = true/false
//   header = ( { ... }, { ... } );       every group must hold
//   body = "/regex/";  body = ["/a/", "/b/"];  body = { regex = [...]; case_sensitive = true; };
//   size = { over = 10485760; };  declared_size = { over = N; under = N; };  rcpt_count = { over =
//   50; };
//
// Errors: reported to the Diagnostics at the key's line (a bad regex at its
// own line, a list file's line for "@name" entries); ok is set false.
#include <stdexcept>

#include "config/condition_parser.hpp"
#include "config/schema.hpp"
#include "config/string_match_reader.hpp"

namespace mv::config {

using codes::Stage;
using libconfig::Setting;
using policy::ConditionPtr;

ConditionPtr ConditionParser::content_key(const Setting& s, bool& ok) {
    const std::string k = s.getName();
    if (k == "header") {
        need(Stage::EndOfData);
        if (s.isList()) {
            std::vector<ConditionPtr> parts;
            for (int i = 0; i < s.getLength(); ++i)
                if (ConditionPtr c = header(s[i], ok)) parts.push_back(std::move(c));
            if (!ok) return nullptr;
            return policy::make_all(std::move(parts));
        }
        return header(s, ok);
    }
    if (k == "body") {
        need(Stage::EndOfData);
        return body(s, ok);
    }
    policy::Bounds b;
    if (!bounds(s, b)) {
        ok = false;
        return nullptr;
    }
    try {
        // Only an upper bound says "too many" / "too big"; `under` alone is
        // no reason of its own (codes/defaults.hpp).
        if (k == "rcpt_count") {
            need(Stage::Rcpt);
            if (b.over) note_reason(codes::Reason::TooManyRecipients);
            return policy::make_rcpt_count_condition(b);
        }
        if (b.over) note_reason(codes::Reason::MessageTooBig);
        if (k == "declared_size") {
            need(Stage::Mail);
            return policy::make_size_condition(policy::SizeOf::Declared, b);
        }
        need(Stage::EndOfData);
        return policy::make_size_condition(policy::SizeOf::Message, b);
    } catch (const std::invalid_argument& e) {
        diag_.error(s, e.what());
        ok = false;
        return nullptr;
    }
}

bool ConditionParser::bounds(const Setting& s, policy::Bounds& out) {
    const std::string what = s.getName() ? s.getName() : "bounds";
    if (!s.isGroup()) {
        diag_.error(s, what + " must be a group { over = N; under = N; }, not " + type_name(s));
        return false;
    }
    check_keys(s, {"over", "under"}, what, diag_);
    bool ok = true;
    for (const char* key : {"over", "under"}) {
        if (!s.exists(key)) continue;
        const auto v = read_int(s[key], diag_);
        if (!v) {
            ok = false;
            continue;
        }
        if (*v < 0) {
            diag_.error(s[key], what + "." + key + " must not be negative");
            ok = false;
            continue;
        }
        (std::string(key) == "over" ? out.over : out.under) = static_cast<std::uint64_t>(*v);
    }
    if (ok && !out.over && !out.under) {
        diag_.error(s, what + " needs over = N or under = N");
        ok = false;
    }
    return ok;
}

ConditionPtr ConditionParser::header(const Setting& s, bool& ok) {
    if (!s.isGroup()) {
        diag_.error(s,
                    "header must be a group { name = \"Subject\"; value = ...; } or a list of "
                    "them, not " +
                        type_name(s));
        ok = false;
        return nullptr;
    }
    check_keys(s, {"name", "value", "raw", "present"}, "header", diag_);
    if (!s.exists("name")) {
        diag_.error(s, "header needs name = \"NAME\"");
        ok = false;
        return nullptr;
    }
    const auto name = read_string(s["name"], diag_);
    if (!name) {
        ok = false;
        return nullptr;
    }
    bool printable = !name->empty();
    for (unsigned char c : *name)
        if (c <= 0x20 || c >= 0x7f || c == ':') printable = false;
    if (!printable) {
        diag_.error(s["name"], "bad header name '" + *name + "' (RFC 5322: printable, no ':')");
        ok = false;
        return nullptr;
    }
    const bool has_present = s.exists("present");
    if (has_present == s.exists("value")) {
        diag_.error(s, "header '" + *name + "' needs either present = true/false or value = MATCH");
        ok = false;
        return nullptr;
    }
    if (has_present) {
        const auto p = read_bool(s["present"], diag_);
        if (!p) {
            ok = false;
            return nullptr;
        }
        return policy::make_header_present_condition(*name, *p);
    }
    bool raw = false;
    if (s.exists("raw")) {
        const auto r = read_bool(s["raw"], diag_);
        if (!r) {
            ok = false;
            return nullptr;
        }
        raw = *r;
    }
    StringMatchSpec spec;
    if (!read_string_match(s["value"], lists_, diag_, spec)) {
        ok = false;
        return nullptr;
    }
    try {
        return policy::make_header_condition(*name, spec.match, raw);
    } catch (const std::invalid_argument& e) {
        diag_.error(s["value"], std::string("header '") + *name + "': " + e.what());
        ok = false;
        return nullptr;
    }
}

ConditionPtr ConditionParser::body(const Setting& s, bool& ok) {
    StringMatchSpec spec;
    if (!read_string_match(s, lists_, diag_, spec)) {
        ok = false;
        return nullptr;
    }
    const policy::StringMatch& m = spec.match;
    if (!m.exact.empty() || !m.domains.empty() || !m.subdomains.empty() || m.null_sender) {
        diag_.error(s, "body takes regexes only: write \"/regex/\" or { regex = [...]; }");
        ok = false;
        return nullptr;
    }
    if (m.regexes.empty()) {
        diag_.error(s, "body matches nothing (no regex given)");
        ok = false;
        return nullptr;
    }
    try {
        return policy::make_body_condition(m.regexes, m.icase_regex);
    } catch (const std::invalid_argument& e) {
        for (const auto& entry : spec.entries) {
            try {
                (void)policy::make_body_condition({entry.value}, m.icase_regex);
            } catch (const std::invalid_argument& e1) {
                ListTable::report(entry.origin, e1.what(), diag_);
            }
        }
        diag_.error(s, std::string("body: ") + e.what());
        ok = false;
        return nullptr;
    }
}

}  // namespace mv::config
