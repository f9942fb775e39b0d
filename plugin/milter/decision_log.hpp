// decision_log.hpp - the one log line per decision.
//
// format_decision() renders a verdict delivered at a stage as one line; the
// daemon logs it at info. The format is stable (the end-to-end tests and
// log parsers read it); fields are space-separated key=value, values from the
// network sanitised and bounded with codes::sanitize_value:
//
//   decision queue=4XyZ1 client=mx.example[192.0.2.1] helo=mx.example
//     from=<a@b.example> rcpt=<c@d.example>,<e@d.example> stage=rcpt
//     rule=block-spam action=reject reply="550 5.7.1 Refused"
//
// (on one line). queue, rule and reply are "-" when unknown / none; rcpt shows
// the recipient being decided at the RCPT stage and every recipient (at most
// 20, then "+N") later; monitor verdicts add " monitor=yes"; a Continue at
// end of message is the message passing and is logged as action=accept.
// A front end other than the milter names itself last: " front_end=policy"
// (the Postfix policy service); the milter's lines carry no label.
//
// Thread contract: pure function.
#pragma once

#include <string>
#include <string_view>

#include "codes/stage.hpp"
#include "policy/transaction.hpp"
#include "policy/verdict.hpp"

namespace mv::milter {

std::string format_decision(const policy::Transaction& tx, const policy::Verdict& verdict,
                            codes::Stage stage, std::string_view front_end = {});

}  // namespace mv::milter
