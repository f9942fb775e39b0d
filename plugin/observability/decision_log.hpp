// SPDX-License-Identifier: Apache-2.0
// decision_log.hpp - the log line of a decision, text or JSON.
//
// Text (log_format "text", the historical format, read by the end-to-end
// tests and log parsers): fields are space-separated key=value, values from
// the network sanitised and bounded with codes::sanitize_value:
//
//   decision queue=4XyZ1 client=mx.example[192.0.2.1] helo=mx.example
//     from=<a@b.example> rcpt=<c@d.example>,<e@d.example> stage=rcpt
//     rule=block-spam action=reject reply="550 5.7.1 Refused"
//
// (on one line). queue, rule and reply are "-" when unknown / none; from
// appears from the MAIL stage on; rcpt shows the recipient being decided at
// the RCPT stage and every recipient (at most 20, then "+N") later; a
// Continue at end of message is the message passing and is logged as
// action=accept; " non_smtp=yes" ends the line of mail not received by SMTP.
//
// Monitor mode: each rule in monitor mode that would have decided gets a line
// of its own, naming it, with what it would have done:
//
//   decision queue=4XyZ1 client=... stage=rcpt rule=trial-block action=continue
//     reply=- monitor=yes would="reject 550 5.7.1 Refused"
//
// action and reply are what the MTA was told for that rule (nothing: the
// mail goes on); `would` is the action and, for a refusal, the reply.
// `grep rule=NAME` finds every line about a rule, monitor or not;
// `grep action=reject` finds only what was really refused.
//
// JSON (log_format "json"): the same facts as one object per line, every
// string escaped (json_text.hpp) so the line parses whatever the client
// sent; absent values are null:
//
//   {"event":"decision","front_end":"milter","queue":"4XyZ1",
//    "client_name":"mx.example","client_addr":"192.0.2.1","helo":"mx.example",
//    "sender":"a@b.example","recipients":["c@d.example"],"stage":"rcpt",
//    "rule":"block-spam","action":"reject","reply":"550 5.7.1 Refused",
//    "monitor":false,"non_smtp":false,"latency_us":41}
//
// "sender" appears from MAIL on ("" is the null sender <>); "recipients"
// follows the text rule above, with "recipients_more": N past 20; a monitor
// line has "monitor":true and "would":{"action":"reject","reply":"..."}.
// "latency_us" is the engine's time for the verdict (Verdict::timing), 0 when
// no rule ran.
//
// Thread contract: pure functions.
#pragma once

#include <string>

#include "codes/stage.hpp"
#include "observability/front_end.hpp"
#include "policy/transaction.hpp"
#include "policy/verdict.hpp"

namespace mv::observability {

// The decision delivered at `stage`.
// A front end other than the milter names itself last in the text form
// (" front_end=policy_service"); the milter's lines carry no label.
std::string format_decision(const policy::Transaction& tx, const policy::Verdict& verdict,
                            codes::Stage stage, FrontEnd fe = FrontEnd::Milter);
// The line of one monitor-mode rule's would-be decision in a verdict at `stage`.
std::string format_would_be(const policy::Transaction& tx, const policy::WouldBe& would,
                            codes::Stage stage, FrontEnd fe = FrontEnd::Milter);

std::string json_decision(FrontEnd front_end, const policy::Transaction& tx,
                          const policy::Verdict& verdict, codes::Stage stage);
std::string json_would_be(FrontEnd front_end, const policy::Transaction& tx,
                          const policy::Verdict& verdict, const policy::WouldBe& would,
                          codes::Stage stage);

// "reject 550 5.7.1 text" / "discard": the value of `would`.
std::string would_be_text(const policy::WouldBe& would);

}  // namespace mv::observability
