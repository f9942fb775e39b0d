// SPDX-License-Identifier: Apache-2.0
// condition_parser.cpp - `when` groups, string matches and list references.
#include "config/condition_parser.hpp"

#include <cctype>
#include <map>
#include <stdexcept>
#include <vector>

#include "config/dns_parser.hpp"
#include "config/schema.hpp"
#include "config/shared_condition.hpp"
#include "config/state_condition_parser.hpp"
#include "config/string_match_reader.hpp"

namespace mv::config {

namespace {

using codes::Stage;
using libconfig::Setting;
using policy::ConditionPtr;
using policy::Field;

// The stage at which Postfix sends a macro by default (postconf(5)
// milter_*_macros); macros not listed are assumed known only at end of data,
// the one stage where every macro the MTA sends has arrived.
Stage default_macro_stage(const std::string& name) {
    static const std::pair<const char*, Stage> kKnown[] = {
        {"j", Stage::Connect},
        {"_", Stage::Connect},
        {"client_addr", Stage::Connect},
        {"client_name", Stage::Connect},
        {"client_ptr", Stage::Connect},
        {"client_resolve", Stage::Connect},
        {"client_port", Stage::Connect},
        {"client_connections", Stage::Connect},
        {"daemon_name", Stage::Connect},
        {"daemon_addr", Stage::Connect},
        {"daemon_port", Stage::Connect},
        {"if_name", Stage::Connect},
        {"if_addr", Stage::Connect},
        {"v", Stage::Connect},
        {"tls_version", Stage::Helo},
        {"cipher", Stage::Helo},
        {"cipher_bits", Stage::Helo},
        {"cert_subject", Stage::Helo},
        {"cert_issuer", Stage::Helo},
        {"auth_type", Stage::Mail},
        {"auth_authen", Stage::Mail},
        {"auth_author", Stage::Mail},
        {"mail_addr", Stage::Mail},
        {"mail_host", Stage::Mail},
        {"mail_mailer", Stage::Mail},
        {"rcpt_addr", Stage::Rcpt},
        {"rcpt_host", Stage::Rcpt},
        {"rcpt_mailer", Stage::Rcpt},
        {"i", Stage::Data},
    };
    for (const auto& [n, st] : kKnown)
        if (name == n) return st;
    return Stage::EndOfData;
}

bool valid_macro_name(const std::string& name) {
    if (name.empty() || name.size() > 64) return false;
    for (char c : name) {
        const bool ok =
            (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
        if (!ok) return false;
    }
    return true;
}

// Exact values written as Postfix access(5) tables or shell globs read
// them, which never match here: a bare domain as a sender or recipient (an
// exact address without '@'), and '*' or '?' taken literally. Warnings, each
// with the form that does what was meant. Addresses may legally hold '*' and
// '?' in the local part, so only a glob in a domain (or in a host name) is
// reported; "postmaster" is a valid recipient without a domain (RFC 5321).
void warn_habits(const StringMatchSpec& b, Field field, const std::string& what,
                 Diagnostics& diag) {
    const bool address = field == Field::Sender || field == Field::Recipient;
    const bool host = field == Field::Helo || field == Field::ClientName;
    if (!address && !host) return;
    // A list file of thousands of bare domains used as senders: its first
    // such line is reported with the count, not every line.
    std::map<const NamedList*, std::pair<const StringMatchSpec::Entry*, int>> per_list;
    auto report = [&](const StringMatchSpec::Entry& e, const std::string& msg) {
        if (e.origin.list == nullptr) {
            ListTable::warn(e.origin, msg, diag);
            return;
        }
        auto& [first, n] = per_list[e.origin.list];
        if (n++ == 0) first = &e;
    };
    std::map<const NamedList*, std::string> first_msg;
    for (const auto& e : b.entries) {
        if (e.kind != 'e') continue;
        const std::string& v = e.value;
        const auto at = v.rfind('@');
        const std::string domain = !address ? v : at == std::string::npos ? v : v.substr(at + 1);
        const bool star_local = address && at != std::string::npos && v.substr(0, at) == "*";
        if (star_local || domain.find_first_of("*?") != std::string::npos) {
            // "*.example.com" -> subdomain example.com; "*@example.com" -> domain.
            std::string d = domain;
            while (!d.empty() && (d[0] == '*' || d[0] == '?' || d[0] == '.')) d.erase(0, 1);
            const bool simple = !d.empty() && d.find_first_of("*?") == std::string::npos;
            std::string msg = what + " '" + v +
                              "': '*' and '?' are not wildcards in an exact value (it matches "
                              "only that literal text); ";
            if (simple && star_local)
                msg += "did you mean " + what + " = { domain = \"" + d + "\"; }?";
            else if (simple && domain[0] == '*' && (address ? at == std::string::npos : true))
                msg += "did you mean " + what + " = { subdomain = \"" + d +
                       "\"; } (the domain and every name under it)?";
            else
                msg += "write a domain or subdomain match, or a regex /.../";
            if (e.origin.list && !first_msg.count(e.origin.list)) first_msg[e.origin.list] = msg;
            report(e, msg);
            continue;
        }
        if (!address || at != std::string::npos || v == "<>") continue;
        std::string lower;
        for (char c : v) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        if (lower == "postmaster") continue;
        std::string msg = what + " '" + v +
                          "' has no '@': an exact value is a whole address and matches no "
                          "mail from a domain";
        if (v.find('.') != std::string::npos)
            msg += "; did you mean " + what + " = { domain = \"" + v + "\"; }?";
        if (e.origin.list && !first_msg.count(e.origin.list)) first_msg[e.origin.list] = msg;
        report(e, msg);
    }
    for (const auto& [list, first] : per_list) {
        std::string msg = first_msg[list];
        if (first.second > 1)
            msg += " (" + std::to_string(first.second - 1) + " more such value" +
                   (first.second > 2 ? "s" : "") + " in list '" + list->name + "')";
        ListTable::warn(first.first->origin, msg, diag);
    }
}

}  // namespace

ConditionPtr ConditionParser::shared(const Setting& s, const std::string& kind, bool& ok,
                                     const std::function<ConditionPtr(bool&)>& build) {
    bool has_ref = false;
    bool all_refs = true;
    std::string key = kind;
    fingerprint(s, key, has_ref, all_refs);
    if (!has_ref) return build(ok);
    const auto it = cache_.find(key);
    if (it != cache_.end()) {
        if (it->second) return std::make_unique<SharedCondition>(it->second);
        if (all_refs) {
            // The failure lies in the lists (reported once, at their own
            // lines) or in an unknown name (reported here, at this line).
            report_unknown_refs(s, lists_, diag_);
            ok = false;
            return nullptr;
        }
        // Inline values of this rule may be bad at this rule's own line.
        return build(ok);
    }
    bool built_ok = true;
    ConditionPtr c = build(built_ok);
    if (!built_ok || !c) {
        cache_[key] = nullptr;
        ok = false;
        return nullptr;
    }
    std::shared_ptr<const policy::Condition> sh(std::move(c));
    cache_[key] = sh;
    return std::make_unique<SharedCondition>(sh);
}

bool ConditionParser::parse(const Setting& when, ConditionPtr& out, Stage& stage) {
    stage_ = Stage::Connect;
    stateful_reason_.reset();
    reasons_.clear();
    negated_ = 0;
    stage_requirements_.clear();
    uses_dns_ = false;
    dns_list_keys_ = 0;
    if (!when.isGroup()) {
        diag_.error(when, "when must be a group { key = value; ... }, not " + type_name(when));
        return false;
    }
    bool ok = true;
    out = group(when, ok);
    stage = out ? out->stage() : stage_;
    return ok;
}

ConditionPtr ConditionParser::group(const Setting& s, bool& ok) {
    check_keys(s, {"client_addr", "client_name", "client_resolve",
                   "helo",        "sender",      "rcpt",
                   "auth",        "tls",         "macro",
                   "daemon_name", "daemon_port", "header",
                   "body",        "size",        "declared_size",
                   "rcpt_count",  "all",         "any",
                   "not",         "rate_limit",  "greylist",
                   "dns_list",    "reverse_dns", "sender_domain",
                   "rcpt_domain"},
               "when", diag_);
    std::vector<ConditionPtr> parts;
    for (int i = 0; i < s.getLength(); ++i) {
        bool part_ok = true;
        ConditionPtr c = key(s[i], part_ok);
        if (!part_ok) ok = false;
        if (c) parts.push_back(std::move(c));
    }
    if (!ok || parts.empty()) return nullptr;
    if (parts.size() == 1) return std::move(parts.front());
    return policy::make_all(std::move(parts));
}

ConditionPtr ConditionParser::key(const Setting& s, bool& ok) {
    const std::string k = s.getName();
    if (k == "helo") need(Stage::Helo);
    if (k == "sender" || k == "auth" || k == "tls") need(Stage::Mail);
    if (k == "rcpt") need(Stage::Rcpt);
    if (k == "client_addr") return client_addr(s, ok);
    if (k == "client_name") return string_match(s, Field::ClientName, ok);
    if (k == "client_resolve") return string_match(s, Field::ClientResolve, ok);
    if (k == "helo") return string_match(s, Field::Helo, ok);
    if (k == "sender") return string_match(s, Field::Sender, ok);
    if (k == "rcpt") return string_match(s, Field::Recipient, ok);
    if (k == "auth") {
        if (s.getType() == Setting::TypeBoolean)
            return policy::make_authenticated_condition(static_cast<bool>(s));
        return string_match(s, Field::AuthLogin, ok);
    }
    if (k == "tls") {
        const auto b = read_bool(s, diag_);
        if (!b) {
            ok = false;
            return nullptr;
        }
        return policy::make_tls_condition(*b);
    }
    if (k == "macro") {
        if (s.isList()) {
            std::vector<ConditionPtr> parts;
            for (int i = 0; i < s.getLength(); ++i) {
                ConditionPtr c = macro(s[i], ok);
                if (c) parts.push_back(std::move(c));
            }
            if (!ok) return nullptr;
            return policy::make_all(std::move(parts));
        }
        return macro(s, ok);
    }
    if (k == "daemon_name" || k == "daemon_port")
        return string_match(s, Field::Macro, ok, k, Stage::Connect);
    if (k == "header" || k == "body" || k == "size" || k == "declared_size" || k == "rcpt_count")
        return content_key(s, ok);
    if (k == "rate_limit") return rate_limit(s, ok);
    if (k == "greylist") return greylist(s, ok);
    if (is_dns_key(k)) return dns_key(s, ok);
    if (k == "all") return combine(s, false, ok);
    if (k == "any") return combine(s, true, ok);
    if (k == "not") {
        if (!s.isGroup()) {
            diag_.error(s, "not must be a group { ... }, not " + type_name(s));
            ok = false;
            return nullptr;
        }
        bool inner_ok = true;
        ++negated_;
        ConditionPtr inner = group(s, inner_ok);
        --negated_;
        if (!inner_ok) {
            ok = false;
            return nullptr;
        }
        // not {} = not(always) = never: all() of nothing is Yes.
        if (!inner) inner = policy::make_all({});
        return policy::make_not(std::move(inner));
    }
    ok = false;  // unknown key, already reported by check_keys
    return nullptr;
}

ConditionPtr ConditionParser::combine(const Setting& s, bool any, bool& ok) {
    const char* name = any ? "any" : "all";
    std::vector<ConditionPtr> parts;
    auto one = [&](const Setting& g) {
        if (!g.isGroup()) {
            diag_.error(g, std::string(name) +
                               " must be a list of groups ( { ... }, { ... } ), not " +
                               type_name(g));
            ok = false;
            return;
        }
        bool part_ok = true;
        ConditionPtr c = group(g, part_ok);
        if (!part_ok) ok = false;
        // An empty group always holds.
        parts.push_back(c ? std::move(c) : policy::make_all({}));
    };
    if (s.isGroup()) {
        one(s);
    } else if (s.isList()) {
        for (int i = 0; i < s.getLength(); ++i) one(s[i]);
    } else {
        diag_.error(s, std::string(name) + " must be a list of groups ( { ... }, { ... } ), not " +
                           type_name(s));
        ok = false;
    }
    if (!ok) return nullptr;
    return any ? policy::make_any(std::move(parts)) : policy::make_all(std::move(parts));
}

ConditionPtr ConditionParser::rate_limit(const Setting& s, bool& ok) {
    if (!stateful_reason_) stateful_reason_ = codes::Reason::RateLimit;
    note_reason(codes::Reason::RateLimit);
    auto spec = read_rate_limit(s, rule_name_, diag_);
    if (!spec) {
        ok = false;
        return nullptr;
    }
    const Stage st = policy::rate_limit_stage(*spec);
    need(st);
    if (spec->count == policy::RateCount::Connection)
        stage_requirements_.emplace_back(
            Stage::Connect, "rate_limit counting per connection needs a rule that runs at connect");
    const bool by_rcpt = std::any_of(spec->keys.begin(), spec->keys.end(), [](policy::RateKey k) {
        return k == policy::RateKey::Rcpt || k == policy::RateKey::RcptDomain;
    });
    if (by_rcpt)
        stage_requirements_.emplace_back(
            Stage::Rcpt, "rate_limit keyed on the recipient needs a rule that runs at rcpt");
    slot_->set_needed();
    return policy::make_rate_limit_condition(std::move(*spec), slot_);
}

ConditionPtr ConditionParser::greylist(const Setting& s, bool& ok) {
    if (!stateful_reason_) stateful_reason_ = codes::Reason::Greylist;
    note_reason(codes::Reason::Greylist);
    auto spec = read_greylist(s, rule_name_, diag_);
    if (!spec) {
        ok = false;
        return nullptr;
    }
    need(spec->refuse_at);
    stage_requirements_.emplace_back(spec->refuse_at,
                                     std::string("greylist with refuse_at = \"") +
                                         std::string(codes::stage_name(spec->refuse_at)) +
                                         "\" needs a rule that runs at that stage");
    slot_->set_needed();
    return policy::make_greylist_condition(std::move(*spec), slot_);
}

ConditionPtr ConditionParser::dns_key(const Setting& s, bool& ok) {
    if (!dns_) dns_ = std::make_shared<dns::Config>();
    DnsCondition c = read_dns_condition(s, *dns_, lists_, diag_);
    need(c.stage);
    if (c.reason) note_reason(*c.reason);
    if (negated_ == 0) dns_list_keys_ |= c.list_keys;
    if (!c.condition) {
        ok = false;
        return nullptr;
    }
    uses_dns_ = true;
    if (dns_slot_) dns_slot_->set_needed();
    return std::move(c.condition);
}

ConditionPtr ConditionParser::client_addr(const Setting& s, bool& ok) {
    return shared(s, "client_addr\n", ok, [&](bool& b_ok) { return build_client_addr(s, b_ok); });
}

ConditionPtr ConditionParser::build_client_addr(const Setting& s, bool& ok) {
    Values v;
    if (!lists_.collect_values(s, diag_, v)) {
        ok = false;
        return nullptr;
    }
    if (v.items.empty()) {
        // A list that failed to load has its own error; do not add a second one.
        if (!v.incomplete)
            diag_.error(s, "client_addr has no network (an empty list never matches)");
        ok = false;
        return nullptr;
    }
    try {
        return policy::make_client_addr_condition(v.items);
    } catch (const std::invalid_argument&) {
        // Find the bad entries one by one: only on this error path.
        for (std::size_t i = 0; i < v.items.size(); ++i) {
            try {
                (void)policy::make_client_addr_condition({v.items[i]});
            } catch (const std::invalid_argument& e) {
                ListTable::report(v.origins[i], e.what(), diag_);
            }
        }
        ok = false;
        return nullptr;
    }
}

ConditionPtr ConditionParser::string_match(const Setting& s, Field field, bool& ok,
                                           const std::string& macro, Stage macro_stage) {
    const std::string kind = "str" + std::to_string(static_cast<int>(field)) + "\n" + macro + "\n" +
                             std::to_string(static_cast<int>(macro_stage)) + "\n";
    return shared(s, kind, ok, [&](bool& b_ok) {
        return build_string_match(s, field, b_ok, macro, macro_stage);
    });
}

ConditionPtr ConditionParser::build_string_match(const Setting& s, Field field, bool& ok,
                                                 const std::string& macro, Stage macro_stage) {
    StringMatchSpec b;
    const std::string what = key_name(s);
    if (!read_string_match(s, lists_, diag_, b)) {
        ok = false;
        return nullptr;
    }
    warn_habits(b, field, what, diag_);
    const policy::StringMatch& m = b.match;
    if (m.exact.empty() && m.domains.empty() && m.subdomains.empty() && m.regexes.empty() &&
        !m.null_sender) {
        diag_.error(s, what + " matches nothing (no value given)");
        ok = false;
        return nullptr;
    }
    try {
        return policy::make_string_condition(field, b.match, macro, macro_stage);
    } catch (const std::invalid_argument& e) {
        // Find the bad entries one by one: only on this error path.
        bool located = false;
        for (const auto& entry : b.entries) {
            policy::StringMatch one;
            one.icase_regex = m.icase_regex;
            (entry.kind == 'r'   ? one.regexes
             : entry.kind == 'd' ? one.domains
             : entry.kind == 's' ? one.subdomains
                                 : one.exact)
                .push_back(entry.value);
            try {
                (void)policy::make_string_condition(field, one, macro, macro_stage);
            } catch (const std::invalid_argument& e1) {
                ListTable::report(entry.origin, e1.what(), diag_);
                located = true;
            }
        }
        if (!located) diag_.error(s, what + ": " + e.what());
        ok = false;
        return nullptr;
    }
}

ConditionPtr ConditionParser::macro(const Setting& s, bool& ok) {
    if (!s.isGroup()) {
        diag_.error(s, "macro must be a group { name = \"{NAME}\"; ... } or a list of them, not " +
                           type_name(s));
        ok = false;
        return nullptr;
    }
    check_keys(s, {"name", "stage", "present", "value"}, "macro", diag_);
    if (!s.exists("name")) {
        diag_.error(s, "macro needs name = \"{NAME}\"");
        ok = false;
        return nullptr;
    }
    auto name = read_string(s["name"], diag_);
    if (!name) {
        ok = false;
        return nullptr;
    }
    if (name->size() >= 2 && name->front() == '{' && name->back() == '}')
        *name = name->substr(1, name->size() - 2);
    if (!valid_macro_name(*name)) {
        diag_.error(s["name"], "bad macro name '" + *name + "'");
        ok = false;
        return nullptr;
    }
    macro_uses_.push_back({*name, rule_name_, diag_.file_of(s), diag_.line_of(s)});
    Stage stage = default_macro_stage(*name);
    need(stage);
    if (s.exists("stage")) {
        const auto st = read_string(s["stage"], diag_);
        const auto parsed = st ? codes::parse_stage(*st) : std::nullopt;
        if (st && !parsed)
            diag_.error(s["stage"], "unknown stage '" + *st +
                                        "' (connect, helo, mail, rcpt, data, end-of-data)");
        if (!parsed) {
            ok = false;
            return nullptr;
        }
        stage = *parsed;
    }
    need(stage);
    const bool has_present = s.exists("present");
    const bool has_match = s.exists("value");
    if (has_present == has_match) {
        diag_.error(s, "macro '" + *name + "' needs either present = true/false or value = MATCH");
        ok = false;
        return nullptr;
    }
    if (has_present) {
        const auto p = read_bool(s["present"], diag_);
        if (!p) {
            ok = false;
            return nullptr;
        }
        return policy::make_macro_present_condition(*name, stage, *p);
    }
    return string_match(s["value"], Field::Macro, ok, *name, stage);
}

}  // namespace mv::config
