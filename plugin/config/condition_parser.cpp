// condition_parser.cpp - `when` groups, string matches and list references.
#include "config/condition_parser.hpp"

#include <stdexcept>
#include <vector>

#include "config/schema.hpp"

namespace mv::config {

namespace {

using codes::Stage;
using libconfig::Setting;
using policy::ConditionPtr;
using policy::Field;

// Wraps a condition built once and shared by several rules.
class SharedCondition final : public policy::Condition {
  public:
    explicit SharedCondition(std::shared_ptr<const policy::Condition> inner)
        : inner_(std::move(inner)) {}
    policy::Match match(const policy::Transaction& t) const override { return inner_->match(t); }
    codes::Stage stage() const override { return inner_->stage(); }
    std::string describe() const override { return inner_->describe(); }
    void needed_macros(std::set<std::string>& out) const override { inner_->needed_macros(out); }

  private:
    std::shared_ptr<const policy::Condition> inner_;
};

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

// A string match being assembled, with each value's origin for error messages.
struct MatchBuild {
    struct Entry {
        char kind;  // 'e'xact, 'd'omain, 's'ubdomain, 'r'egex
        std::string value;
        Origin origin;
    };
    policy::StringMatch match;
    std::vector<Entry> entries;
    std::string key;
    bool has_reference = false;
};

bool is_shorthand_regex(const std::string& v) {
    return v.size() >= 2 && v.front() == '/' && v.back() == '/';
}

}  // namespace

ConditionPtr ConditionParser::share(const std::string& key, ConditionPtr made) {
    if (!made) return made;
    std::shared_ptr<const policy::Condition> shared(std::move(made));
    cache_[key] = shared;
    return std::make_unique<SharedCondition>(shared);
}

ConditionPtr ConditionParser::cached(const std::string& key) const {
    const auto it = cache_.find(key);
    if (it == cache_.end()) return nullptr;
    return std::make_unique<SharedCondition>(it->second);
}

bool ConditionParser::parse(const Setting& when, ConditionPtr& out, Stage& stage) {
    stage_ = Stage::Connect;
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
    check_keys(s,
               {"client_addr", "client_name", "client_resolve", "helo", "sender", "rcpt", "auth",
                "tls", "macro", "all", "any", "not"},
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
    if (k == "all") return combine(s, false, ok);
    if (k == "any") return combine(s, true, ok);
    if (k == "not") {
        if (!s.isGroup()) {
            diag_.error(s, "not must be a group { ... }, not " + type_name(s));
            ok = false;
            return nullptr;
        }
        bool inner_ok = true;
        ConditionPtr inner = group(s, inner_ok);
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

ConditionPtr ConditionParser::client_addr(const Setting& s, bool& ok) {
    Values v;
    if (!lists_.collect_values(s, diag_, v)) {
        ok = false;
        return nullptr;
    }
    const std::string cache_key = "client_addr\n" + v.key;
    if (v.has_reference)
        if (auto c = cached(cache_key)) return c;
    if (v.items.empty()) {
        diag_.error(s, "client_addr has no network (an empty list never matches)");
        ok = false;
        return nullptr;
    }
    try {
        ConditionPtr c = policy::make_client_addr_condition(v.items);
        return v.has_reference ? share(cache_key, std::move(c)) : std::move(c);
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
    MatchBuild b;
    const std::string what = key_name(s);
    auto add = [&](const Setting& at, std::string_view kind) -> bool {
        Values v;
        if (!lists_.collect_values(at, diag_, v)) return false;
        b.key += std::string(kind) + "=" + v.key;
        b.has_reference = b.has_reference || v.has_reference;
        for (std::size_t i = 0; i < v.items.size(); ++i) {
            const std::string& item = v.items[i];
            // Shorthand: a list's entries are taken as exact values; a value
            // written in the configuration may be "/regex/" or "<>".
            const bool literal = v.origins[i].list == nullptr;
            if (kind == "regex" || (kind == "shorthand" && literal && is_shorthand_regex(item))) {
                const std::string re = kind == "regex" ? item : item.substr(1, item.size() - 2);
                if (re.empty()) {
                    ListTable::report(v.origins[i], "empty regex", diag_);
                    ok = false;
                    continue;
                }
                b.match.regexes.push_back(re);
                b.entries.push_back({'r', re, v.origins[i]});
            } else if (kind == "shorthand" && literal && item == "<>") {
                b.match.null_sender = true;
            } else if (kind == "domain" || kind == "subdomain") {
                std::string d = item;
                if (kind == "subdomain" && !d.empty() && d[0] == '.') d.erase(0, 1);
                (kind == "domain" ? b.match.domains : b.match.subdomains).push_back(d);
                b.entries.push_back({kind == "domain" ? 'd' : 's', d, v.origins[i]});
            } else {
                if (item.empty()) {
                    ListTable::report(v.origins[i],
                                      "empty value (write \"<>\" or null = true for the empty "
                                      "sender)",
                                      diag_);
                    ok = false;
                    continue;
                }
                b.match.exact.push_back(item);
                b.entries.push_back({'e', item, v.origins[i]});
            }
        }
        return true;
    };

    if (s.isGroup()) {
        check_keys(s, {"exact", "domain", "subdomain", "regex", "null", "case_sensitive"},
                   what + " match", diag_);
        for (int i = 0; i < s.getLength(); ++i) {
            const Setting& m = s[i];
            const std::string k = m.getName();
            if (k == "null") {
                const auto n = read_bool(m, diag_);
                if (!n)
                    ok = false;
                else
                    b.match.null_sender = *n;
                b.key += "null=" + std::to_string(n.value_or(false)) + "\n";
            } else if (k == "case_sensitive") {
                const auto cs = read_bool(m, diag_);
                if (!cs)
                    ok = false;
                else
                    b.match.icase_regex = !*cs;
                b.key += "cs=" + std::to_string(cs.value_or(false)) + "\n";
            } else if (k == "exact" || k == "domain" || k == "subdomain" || k == "regex") {
                if (!add(m, k)) ok = false;
            } else {
                ok = false;  // unknown key, reported by check_keys
            }
        }
    } else if (is_strings(s)) {
        if (!add(s, "shorthand")) ok = false;
    } else {
        diag_.error(s, what +
                           " must be a string, an array of strings or a group { exact; domain; "
                           "subdomain; regex; null; }, not " +
                           type_name(s));
        ok = false;
    }
    if (!ok) return nullptr;
    const policy::StringMatch& m = b.match;
    if (m.exact.empty() && m.domains.empty() && m.subdomains.empty() && m.regexes.empty() &&
        !m.null_sender) {
        diag_.error(s, what + " matches nothing (no value given)");
        ok = false;
        return nullptr;
    }
    const std::string cache_key = "str" + std::to_string(static_cast<int>(field)) + "\n" + macro +
                                  "\n" + std::to_string(static_cast<int>(macro_stage)) + "\n" +
                                  b.key;
    if (b.has_reference)
        if (auto c = cached(cache_key)) return c;
    try {
        ConditionPtr c = policy::make_string_condition(field, b.match, macro, macro_stage);
        return b.has_reference ? share(cache_key, std::move(c)) : std::move(c);
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
