// SPDX-License-Identifier: Apache-2.0
// rule_parser.cpp - rule keys, stages and delivery stages.
#include "config/rule_parser.hpp"

#include <cctype>
#include <utility>

#include "codes/reply_text.hpp"
#include "config/dns_parser.hpp"
#include "config/reply_parser.hpp"
#include "config/schema.hpp"
#include "config/settings_parser.hpp"

namespace mv::config {

using libconfig::Setting;
using policy::Action;

namespace {

std::optional<Action> parse_action(const std::string& a) {
    if (a == "accept") return Action::Accept;
    if (a == "reject") return Action::Reject;
    if (a == "tempfail") return Action::Tempfail;
    if (a == "discard") return Action::Discard;
    if (a == "quarantine") return Action::Quarantine;
    if (a == "continue") return Action::Continue;
    return std::nullopt;
}

// What a Postfix access(5) / smtpd_access_policy(5) or postfwd action word
// means here, for the "did you mean" of an unknown action: OK and PERMIT
// accept, REJECT rejects, DEFER, DEFER_IF_PERMIT and DEFER_IF_REJECT answer
// 4xx (tempfail), DUNNO and WARN go on (continue), HOLD keeps the message
// (quarantine), DISCARD discards. Compared case-insensitively, so "Reject"
// and "defer" are found too. "" when there is no such word.
std::string action_habit(const std::string& word) {
    std::string w;
    for (char c : word) w += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    static const std::pair<const char*, const char*> kWords[] = {
        {"accept", "accept"},
        {"reject", "reject"},
        {"tempfail", "tempfail"},
        {"discard", "discard"},
        {"quarantine", "quarantine"},
        {"continue", "continue"},
        {"ok", "accept"},
        {"permit", "accept"},
        {"pass", "accept"},
        {"defer", "tempfail"},
        {"defer_if_permit", "tempfail"},
        {"defer_if_reject", "tempfail"},
        {"dunno", "continue"},
        {"warn", "continue"},
        {"prepend", "continue"},
        {"hold", "quarantine"},
        {"fail", "reject"},
        {"deny", "reject"},
    };
    for (const auto& [theirs, ours] : kWords)
        if (w == theirs) return ours;
    return {};
}

// Checks a template for a header value or a log line; false after reporting.
bool check_text(const Setting& s, const std::string& what, const std::string& text,
                Diagnostics& diag) {
    const std::string why = codes::check_template(text);
    if (!why.empty()) {
        diag.error(s, what + ": " + why);
        return false;
    }
    if (text.find_first_of("\r\n") != std::string::npos) {
        diag.error(s, what + " contains a line break");
        return false;
    }
    return true;
}

}  // namespace

bool valid_rule_name(const std::string& name) {
    if (name.empty() || name.size() > 64) return false;
    for (char c : name) {
        const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                        (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
        if (!ok) return false;
    }
    return true;
}

bool RuleParser::parse_headers(const Setting& s, policy::Rule& rule) {
    bool ok = true;
    auto one = [&](const Setting& h) {
        if (!h.isGroup()) {
            diag_.error(h, "add_header must be a group { name; value; } or a list of them, not " +
                               type_name(h));
            ok = false;
            return;
        }
        check_keys(h, {"name", "value"}, "add_header", diag_);
        if (!h.exists("name") || !h.exists("value")) {
            diag_.error(h, "add_header needs name and value");
            ok = false;
            return;
        }
        const auto name = read_string(h["name"], diag_);
        const auto value = read_string(h["value"], diag_);
        if (!name || !value) {
            ok = false;
            return;
        }
        if (!valid_header_name(*name)) {
            diag_.error(h["name"], "bad header name '" + *name +
                                       "' (printable ASCII without ':' or space, at most 64)");
            ok = false;
            return;
        }
        if (!check_text(h["value"], "header value", *value, diag_)) {
            ok = false;
            return;
        }
        rule.add_headers.push_back({*name, *value});
    };
    if (s.isList()) {
        for (int i = 0; i < s.getLength(); ++i) one(s[i]);
    } else {
        one(s);
    }
    return ok;
}

std::optional<policy::Rule> RuleParser::parse(const Setting& s, int index) {
    if (!s.isGroup()) {
        diag_.error(s, "rule " + std::to_string(index) +
                           " must be a group { name; when; action; }, not " + type_name(s));
        return std::nullopt;
    }
    const int errors_before = diag_.errors();
    check_keys(s,
               {"name", "when", "action", "reply", "monitor", "add_header", "log",
                "quarantine_reason", "stage", "on_backend_error"},
               "rule", diag_);
    policy::Rule rule;
    rule.file = diag_.file_of(s);
    rule.line = diag_.line_of(s);
    rule.name = "#" + std::to_string(index);

    if (!s.exists("name")) {
        diag_.error(s, "rule " + std::to_string(index) + " has no name");
    } else if (const auto n = read_string(s["name"], diag_)) {
        if (!valid_rule_name(*n)) {
            diag_.error(s["name"],
                        "bad rule name '" + *n + "': 1 to 64 characters of A-Z a-z 0-9 . _ -");
        } else {
            rule.name = *n;
            const auto [it, fresh] = names_.emplace(*n, std::make_pair(rule.file, rule.line));
            if (!fresh)
                diag_.error(s["name"], "duplicate rule name '" + *n + "' (first defined at " +
                                           it->second.first + ":" +
                                           std::to_string(it->second.second) + ")");
        }
    }
    const std::string& name = rule.name;

    bool action_ok = false;
    if (!s.exists("action")) {
        diag_.error(s, "rule '" + name +
                           "' has no action (accept, reject, tempfail, discard, quarantine, "
                           "continue)");
    } else if (const auto a = read_string(s["action"], diag_)) {
        if (const auto act = parse_action(*a)) {
            rule.action = *act;
            action_ok = true;
        } else {
            const std::string ours = action_habit(*a);
            diag_.error(
                s["action"],
                "unknown action '" + *a +
                    (ours.empty() ? std::string("'") : "' (did you mean \"" + ours + "\"?)") +
                    " (accept, reject, tempfail, discard, quarantine, continue)");
        }
    }

    // A failed `when` still yields its stage, so the reply is checked too.
    rule.stage = codes::Stage::Connect;
    conditions_.set_rule_name(rule.name);
    if (s.exists("when")) conditions_.parse(s["when"], rule.when, rule.stage);
    const auto stateful = s.exists("when") ? conditions_.stateful_reason() : std::nullopt;
    if (s.exists("stage")) {
        const auto st = read_string(s["stage"], diag_);
        const auto parsed = st ? codes::parse_stage(*st) : std::nullopt;
        if (st && !parsed) {
            diag_.error(s["stage"], "unknown stage '" + *st +
                                        "' (connect, helo, mail, rcpt, data, end-of-data)");
        } else if (parsed && *parsed < rule.stage) {
            diag_.error(s["stage"], "rule '" + name + "': stage " + *st +
                                        " is earlier than its conditions allow (" +
                                        std::string(codes::stage_name(rule.stage)) + ")");
        } else if (parsed) {
            rule.stage = *parsed;
        }
    }

    if (stateful) {
        // A stateful condition counts correctly only at its own stage.
        for (const auto& [need, why] : conditions_.stage_requirements())
            if (rule.stage != need)
                diag_.error(s.exists("stage") ? s["stage"] : s["when"],
                            "rule '" + name + "': " + why + ", but it runs at " +
                                std::string(codes::stage_name(rule.stage)) +
                                " (other conditions or stage move it)");
    }
    if (s.exists("when")) rule.reason = conditions_.reason().value_or(codes::Reason::Policy);
    // A DNS rule without state may be evaluated later than its stage (delay_reject).
    const bool uses_dns = s.exists("when") && conditions_.uses_dns();
    rule.dns_deferrable = uses_dns && !stateful;
    rule.uses_dns = uses_dns;
    if (s.exists("on_backend_error")) {
        const auto v = read_string(s["on_backend_error"], diag_);
        if (v && *v == "open")
            rule.backend_fail_open = true;
        else if (v && *v == "closed")
            rule.backend_fail_open = false;
        else if (v)
            diag_.error(s["on_backend_error"],
                        "on_backend_error must be \"open\" or \"closed\", not '" + *v + "'");
        if (v && !stateful && !uses_dns)
            diag_.warning(s["on_backend_error"],
                          "rule '" + name +
                              "': on_backend_error has no effect without rate_limit, greylist or "
                              "a DNS condition");
    }

    if (s.exists("monitor"))
        if (const auto b = read_bool(s["monitor"], diag_)) rule.monitor = *b;
    if (s.exists("add_header")) parse_headers(s["add_header"], rule);
    if (s.exists("log")) {
        if (const auto l = read_string(s["log"], diag_))
            if (check_text(s["log"], "log", *l, diag_)) rule.log = *l;
    }
    if (s.exists("quarantine_reason")) {
        const auto q = read_string(s["quarantine_reason"], diag_);
        if (q && action_ok && rule.action != Action::Quarantine)
            diag_.error(s["quarantine_reason"],
                        "rule '" + name + "': quarantine_reason is only for action quarantine");
        else if (q && (q->empty() || q->find_first_of("\r\n") != std::string::npos))
            diag_.error(s["quarantine_reason"], "quarantine_reason must be one non-empty line");
        else if (q)
            rule.quarantine_reason = *q;
    }
    if (action_ok && rule.action == Action::Quarantine && rule.quarantine_reason.empty())
        rule.quarantine_reason = "milter-verdict rule " + name;

    if (action_ok) {
        // Delivery stage: delay_reject holds connect/HELO/MAIL verdicts until
        // the first RCPT, where Postfix can pass the reply text on.
        codes::Stage delivery = rule.stage;
        // An earlier final rule of a later stage makes a refusal wait for
        // it (file order is decision order): an envelope refusal for the
        // envelope stages up to RCPT, a DATA refusal for end of data.
        const bool refuses = rule.action == Action::Reject || rule.action == Action::Tempfail;
        const auto stage_of = [](int i) { return static_cast<codes::Stage>(i); };
        const auto where = [](const FinalRule& f) { return f.file + ":" + std::to_string(f.line); };
        const int last = rule.stage <= codes::Stage::Rcpt ? static_cast<int>(codes::Stage::Rcpt)
                                                          : codes::kStageCount - 1;
        bool warned = false;
        for (int st = last; refuses && st > static_cast<int>(rule.stage); --st) {
            if (!first_final_[st]) continue;
            // A DATA refusal keeps DATA's replies: valid at the DATA command
            // (where the policy service, which never sees the content, gives
            // it) and after the data alike (RFC 5321 4.3.2).
            if (delivery == rule.stage && rule.stage != codes::Stage::Data) delivery = stage_of(st);
            // Warned for when the refusal always waits for it: a rule that
            // the data in by then may rule out ("sender is x and ...") is
            // usually one for other mail.
            const auto& f = first_fixed_[st][static_cast<int>(rule.stage)];
            if (f && !warned && (!settings_.delay_reject || rule.stage == codes::Stage::Data)) {
                warned = true;
                diag_.warning(s, "rule '" + name + "': its refusal at " +
                                     std::string(codes::stage_name(rule.stage)) +
                                     " waits for the earlier rule '" + f->name + "' (" + where(*f) +
                                     "), which decides at " +
                                     std::string(codes::stage_name(stage_of(st))) +
                                     ": while that rule can still match, it goes out there "
                                     "at the earliest (file order is decision order" +
                                     (rule.stage == codes::Stage::Data
                                          ? std::string("; write it first to refuse at the "
                                                        "DATA command, before the message is "
                                                        "sent)")
                                          : std::string(", with delay_reject = false)")));
            }
        }
        if (refuses && rule.stage <= codes::Stage::Rcpt) {
            // The earliest content rule written before this envelope refusal
            // that would let the mail through (accept, discard, quarantine):
            // it can never do so for mail this rule refuses.
            const FinalRule* c = nullptr;
            for (const Action a : {Action::Accept, Action::Discard, Action::Quarantine})
                if (const auto& f = first_content_[static_cast<int>(a)];
                    f && (!c || f->order < c->order))
                    c = &*f;
            if (c)
                diag_.warning(s, "rule '" + name + "': its refusal at " +
                                     std::string(codes::stage_name(rule.stage)) +
                                     " goes out before the earlier rule '" + c->name + "' (" +
                                     where(*c) +
                                     ") can let the mail through on its content: a DATA or "
                                     "end-of-data rule never overrides a refusal of the "
                                     "envelope (as Postfix's header_checks come after its "
                                     "recipient restrictions); exclude that mail in this "
                                     "rule's conditions, or write this rule first");
        }
        if (settings_.delay_reject && delivery <= codes::Stage::Mail) delivery = codes::Stage::Rcpt;
        const Setting* reply = s.exists("reply") ? &s["reply"] : nullptr;
        // A dns_list refusal's text names what was listed (the client, its
        // name, the HELO name or the sender domain), not always the client.
        const std::string text = rule.reason == codes::Reason::DnsBlockList
                                     ? dns_list_text(conditions_.dns_list_keys())
                                     : std::string();
        parse_reply(reply, s, name, rule.action, delivery, rule.reply, rule.reason, diag_, text);
        rule.reply_stage = delivery;
        rule.default_codes =
            !rule.reply.disconnect &&
            (reply == nullptr || (!reply->exists("code") && !reply->exists("enhanced")));
    }
    if (diag_.errors() != errors_before) return std::nullopt;
    if (rule.action != Action::Continue) {
        const FinalRule me{rule.name, rule.file, rule.line, count_++};
        const int st = static_cast<int>(rule.stage);
        if (!first_final_[st]) first_final_[st] = me;
        for (int at = 0; at < st; ++at)
            if (!first_fixed_[st][at] &&
                !(rule.when && rule.when->may_rule_out(static_cast<codes::Stage>(at))))
                first_fixed_[st][at] = me;
        auto& c = first_content_[static_cast<int>(rule.action)];
        if (rule.stage >= codes::Stage::Data && !c) c = me;
    }
    return rule;
}

}  // namespace mv::config
