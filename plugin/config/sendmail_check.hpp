// SPDX-License-Identifier: Apache-2.0
// sendmail_check.hpp - `check-config --mta sendmail`: rules that cannot work
// as written when the MTA is Sendmail.
//
// Found with a real Sendmail 8.17 (tests/sendmail): Sendmail honours the
// daemon's smfi_setsymlist, so every macro a rule reads arrives, but some
// values and replies differ from Postfix's:
//   * {rcpt_addr} and {mail_addr} are the mailer's user: for a local
//     recipient or sender only the local part ("bob", not "bob@example.org");
//     match `rcpt` or `sender` instead;
//   * {client_name} of a client without a verified name is "[192.0.2.1]"
//     (Postfix: "unknown"); the `client_name` condition sees "unknown" from
//     both MTAs;
//   * a refusal delivered at connect (delay_reject = false) loses its text:
//     Sendmail greets with 554 and answers "550 5.0.0 Command rejected" (a
//     reject), "451 4.3.2 Please try again later" at MAIL (a tempfail), or
//     "421 4.7.0 <host> closing connection" (a disconnect).
// Each is a warning at the rule's line (an error with --strict).
//
// Thread contract: pure function over one load's data.
#pragma once

#include <vector>

#include "config/condition_parser.hpp"
#include "config/diagnostics.hpp"
#include "policy/policy.hpp"

namespace mv::config {

void check_for_sendmail(const policy::Policy& policy,
                        const std::vector<ConditionParser::MacroUse>& macro_uses,
                        Diagnostics& diag);

}  // namespace mv::config
