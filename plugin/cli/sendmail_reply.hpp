// SPDX-License-Identifier: Apache-2.0
// sendmail_reply.hpp - a refusal as Sendmail puts it on the wire, for
// `simulate --mta sendmail`.
//
// What Sendmail 8.14 to 8.17 does with a milter's reply (srvrsmtp.c and
// err.c; each case asserted on the wire by tests/sendmail):
//   connect  the text is dropped: a reject makes the greeting "554 $j ESMTP
//            not accepting messages" and every later command (but EHLO, NOOP,
//            RSET, QUIT) "550 5.0.0 Command rejected"; a tempfail answers MAIL
//            "451 4.3.2 Please try again later"; a 421 becomes Sendmail's own
//            "421 4.7.0 $j closing connection" and the connection is closed
//   HELO     a 421 answers EHLO and closes; any other refusal: EHLO is
//            answered 250 and the milter's reply, as written, answers every
//            later mail command
//   MAIL, RCPT  as written, except that for basic codes 450, 550 and 553
//            Sendmail puts the address before the first line's text:
//            "550 5.7.1 <bob@example.org>... text"
//   DATA, end of data  as written
// `$j` stands for Sendmail's host name.
//
// Thread contract: pure function.
#pragma once

#include <string>
#include <vector>

#include "codes/reply.hpp"
#include "codes/stage.hpp"

namespace mv::cli {

struct SendmailView {
    std::vector<std::string> lines;  // what the client reads, in order
    std::vector<std::string> notes;  // how Sendmail came to send it
};

// `reject`: a 5xx refusal (else a tempfail); `address`: the sender at MAIL,
// the recipient at RCPT, as the client wrote it without angle brackets.
SendmailView sendmail_view(const codes::Reply& reply, bool reject, codes::Stage delivered,
                           const std::string& address);

}  // namespace mv::cli
