// SPDX-License-Identifier: Apache-2.0
// reply_parser.cpp - reply keys, defaults for the delivery stage, validation.
#include "config/reply_parser.hpp"

#include "codes/reply_text.hpp"
#include "config/schema.hpp"

namespace mv::config {

using libconfig::Setting;

namespace {

// Reads code/enhanced/text/unregistered/disconnect as written; false on an error.
bool read_reply_keys(const Setting& r, const std::string& rule_name, codes::ReplySpec& spec,
                     Diagnostics& diag) {
    bool ok = true;
    check_keys(r, {"code", "enhanced", "text", "unregistered", "disconnect"}, "reply", diag);
    for (int i = 0; i < r.getLength(); ++i) {
        const Setting& s = r[i];
        const std::string k = s.getName();
        if (k == "code") {
            const auto v = read_int(s, diag);
            if (!v) {
                ok = false;
            } else if (*v < 200 || *v > 599) {
                diag.error(s, "reply code " + std::to_string(*v) + " is not an SMTP reply code");
                ok = false;
            } else {
                spec.basic = static_cast<int>(*v);
            }
        } else if (k == "enhanced") {
            const auto v = read_string(s, diag);
            if (!v)
                ok = false;
            else if (v->empty()) {
                diag.error(s, "empty enhanced code (leave the key out for the default)");
                ok = false;
            } else {
                spec.enhanced = *v;
            }
        } else if (k == "text") {
            if (!is_strings(s) || (!s.isScalar() && s.getLength() == 0)) {
                diag.error(s, "text must be a string or a list of strings (one per line), not " +
                                  type_name(s));
                ok = false;
                continue;
            }
            auto add = [&](const Setting& line) {
                const std::string t = static_cast<const char*>(line);
                const std::string why = codes::check_template(t);
                if (!why.empty()) {
                    diag.error(line, "rule '" + rule_name + "': reply text: " + why);
                    ok = false;
                } else if (const std::string bad = codes::first_non_ascii(t); !bad.empty()) {
                    // Replies are ASCII; the glue would send '?' for the byte.
                    diag.error(line, "rule '" + rule_name +
                                         "': reply text is not ASCII (RFC 5321 section 2.4): " +
                                         bad + "; write it in ASCII (e.g. \"Zurueckgewiesen\")");
                    ok = false;
                }
                spec.text.push_back(t);
            };
            if (s.isScalar())
                add(s);
            else
                for (int j = 0; j < s.getLength(); ++j) add(s[j]);
        } else if (k == "unregistered") {
            const auto v = read_bool(s, diag);
            if (!v)
                ok = false;
            else
                spec.allow_unregistered = *v;
        } else if (k == "disconnect") {
            const auto v = read_bool(s, diag);
            if (!v)
                ok = false;
            else
                spec.disconnect = *v;
        } else {
            ok = false;  // unknown key, reported by check_keys
        }
    }
    return ok;
}

}  // namespace

bool parse_reply(const Setting* reply, const Setting& rule, const std::string& rule_name,
                 policy::Action action, codes::Stage delivery, codes::ReplySpec& out,
                 codes::Reason& reason, Diagnostics& diag, const std::string& default_text) {
    const bool refuses = action == policy::Action::Reject || action == policy::Action::Tempfail;
    if (reply != nullptr && !refuses) {
        diag.error(*reply, "rule '" + rule_name + "': action " +
                               std::string(policy::action_name(action)) +
                               " sends no reply; a reply is only for reject and tempfail");
        return false;
    }
    if (!refuses) return true;
    codes::ReplySpec spec;
    if (reply != nullptr) {
        if (!reply->isGroup()) {
            diag.error(*reply,
                       "reply must be a group { code; enhanced; text; }, not " + type_name(*reply));
            return false;
        }
        if (!read_reply_keys(*reply, rule_name, spec, diag)) return false;
    }
    const auto disposition = action == policy::Action::Reject ? codes::Disposition::Reject
                                                              : codes::Disposition::Tempfail;
    // The caller presets the reason its conditions give (Policy when none);
    // a disconnecting reply has its own defaults.
    if (spec.disconnect) reason = codes::Reason::Disconnect;
    if (spec.disconnect && disposition == codes::Disposition::Reject &&
        delivery != codes::Stage::Connect) {
        diag.error(reply != nullptr ? *reply : rule,
                   "rule '" + rule_name + "': reject with disconnect is delivered at " +
                       std::string(codes::stage_command(delivery)) +
                       ", where no permanent reply closes the session (521 is for the greeting, "
                       "RFC 7504; Postfix closes only after 421): use action tempfail (421) or "
                       "deliver it at connect (delay_reject = false)");
        return false;
    }
    if (reason == codes::Reason::TooManyRecipients && disposition == codes::Disposition::Reject)
        diag.warning(reply != nullptr ? *reply : rule,
                     "rule '" + rule_name +
                         "': rejects on rcpt_count; RFC 5321 4.5.3.1.10 asks for 452 (action "
                         "tempfail), so that the client sends the other recipients in a new "
                         "transaction");
    const codes::DefaultReply d = codes::default_reply(disposition, reason, delivery);
    if (spec.enhanced.empty()) {
        spec.enhanced = d.enhanced;
        // The default enhanced code follows the class of a code given
        // explicitly, so that one mistake gives one diagnostic.
        if (spec.basic != 0) spec.enhanced[0] = static_cast<char>('0' + spec.basic / 100);
    }
    if (spec.basic == 0) spec.basic = d.basic;
    if (spec.text.empty()) spec.text.push_back(default_text.empty() ? d.text : default_text);

    const Setting& at = reply != nullptr ? *reply : rule;
    bool ok = true;
    for (const auto& p : codes::validate_reply(spec, disposition, delivery)) {
        const std::string msg = "rule '" + rule_name + "': reply " + std::to_string(spec.basic) +
                                " " + spec.enhanced + ": " + p.message;
        if (p.severity == codes::Problem::Severity::Error) {
            diag.error(at, msg);
            ok = false;
        } else {
            diag.warning(at, msg);
        }
    }
    out = std::move(spec);
    return ok;
}

}  // namespace mv::config
