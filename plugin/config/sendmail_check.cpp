// SPDX-License-Identifier: Apache-2.0
// sendmail_check.cpp - see sendmail_check.hpp.
#include "config/sendmail_check.hpp"

#include <string>

namespace mv::config {

namespace {

bool refuses(policy::Action a) {
    return a == policy::Action::Reject || a == policy::Action::Tempfail;
}

std::string what_sendmail_shows(const policy::Rule& r) {
    if (r.reply.disconnect) return "Sendmail's own \"421 4.7.0 <host> closing connection\" instead";
    if (r.action == policy::Action::Reject)
        return "a 554 greeting, then \"550 5.0.0 Command rejected\" to every command";
    return "\"451 4.3.2 Please try again later\" at MAIL";
}

}  // namespace

void check_for_sendmail(const policy::Policy& policy,
                        const std::vector<ConditionParser::MacroUse>& macro_uses,
                        Diagnostics& diag) {
    for (const auto& m : macro_uses) {
        const std::string rule = "rule '" + m.rule + "': ";
        if (m.name == "rcpt_addr" || m.name == "mail_addr")
            diag.warning(
                m.file, m.line,
                rule + "under Sendmail {" + m.name +
                    "} is the mailer's user: only the local part for a local " +
                    (m.name == "rcpt_addr" ? "recipient; match rcpt" : "sender; match sender") +
                    " instead [--mta sendmail]");
        else if (m.name == "client_name")
            diag.warning(m.file, m.line,
                         rule +
                             "under Sendmail {client_name} of a client without a verified name is "
                             "\"[address]\", not \"unknown\"; the client_name condition sees "
                             "\"unknown\" from both MTAs [--mta sendmail]");
    }
    if (policy.settings.delay_reject) return;
    for (const auto& r : policy.rules) {
        if (r.stage != codes::Stage::Connect || !refuses(r.action) || r.monitor ||
            policy.settings.monitor)
            continue;
        diag.warning(r.file, r.line,
                     "rule '" + r.name +
                         "': under Sendmail a refusal at connect (delay_reject = false) does not "
                         "carry its text: the client sees " +
                         what_sendmail_shows(r) + " [--mta sendmail]");
    }
}

}  // namespace mv::config
