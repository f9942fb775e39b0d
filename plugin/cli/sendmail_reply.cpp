// SPDX-License-Identifier: Apache-2.0
// sendmail_reply.cpp - see sendmail_reply.hpp.
#include "cli/sendmail_reply.hpp"

namespace mv::cli {

namespace {

using codes::Stage;

// Sendmail's fmtmsg() names the address only for these basic codes.
bool names_address(int basic) {
    return basic == 450 || basic == 550 || basic == 553;
}

}  // namespace

SendmailView sendmail_view(const codes::Reply& reply, bool reject, Stage delivered,
                           const std::string& address) {
    SendmailView v;
    v.lines = reply.wire_lines();
    switch (delivered) {
        case Stage::Connect:
            if (reply.basic == 421) {
                v.lines = {"421 4.7.0 $j closing connection"};
                v.notes = {"Sendmail sends its own 421 instead of the greeting and closes",
                           "the connection ($j: Sendmail's host name)"};
            } else if (reject) {
                v.lines = {"554 $j ESMTP not accepting messages", "550 5.0.0 Command rejected"};
                v.notes = {"Sendmail drops a milter's text at connect: the first line is the",
                           "greeting, the second answers MAIL, RCPT and every later command",
                           "but EHLO, NOOP, RSET and QUIT ($j: Sendmail's host name)"};
            } else {
                v.lines = {"451 4.3.2 Please try again later"};
                v.notes = {"Sendmail drops a milter's text at connect: the greeting is normal,",
                           "MAIL is answered with Sendmail's own tempfail"};
            }
            break;
        case Stage::Helo:
            if (reply.basic == 421) {
                v.notes = {"Sendmail answers EHLO with it and closes the connection"};
            } else {
                v.notes = {"Sendmail answers EHLO 250, then this reply to MAIL, RCPT and every",
                           "later mail command"};
            }
            break;
        case Stage::Mail:
        case Stage::Rcpt:
            if (names_address(reply.basic) && !v.lines.empty()) {
                std::string& first = v.lines.front();
                std::size_t at = 4;  // after "550 " or "550-"
                if (!reply.enhanced.empty() &&
                    first.compare(at, reply.enhanced.size() + 1, reply.enhanced + " ") == 0)
                    at += reply.enhanced.size() + 1;
                first.insert(at, "<" + address + ">... ");
            }
            break;
        case Stage::Data:
        case Stage::EndOfData:
            break;
    }
    return v;
}

}  // namespace mv::cli
