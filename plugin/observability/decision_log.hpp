// SPDX-License-Identifier: Apache-2.0
// decision_log.hpp - the log lines of a decision, text or JSON.
//
// Every line about a connection or message starts with its id, as the lines
// of Postfix, opendkim and milter-greylist do, so `grep 4QX9Yz1AbC` (or a
// log collector keyed on the id before ": ") finds all of a message's lines:
//
//   PREFIX: the message's queue id (the MTA's macro "i", the policy
//           request's queue_id) once the MTA has sent it, else the
//           connection id "conn-" + 10 lowercase hex digits
//           ("conn-3f9a01c2e5"), the same on every line of one connection
//           (recorder.hpp). A Postfix or Sendmail queue id is letters and
//           digits only, so the '-' keeps the two apart; "NOQUEUE" when a
//           line has neither (a recorder-less test).
//
// Text (log_format "text"): fields are space-separated key=value after the
// prefix and the word "decision", values from the network sanitised and
// bounded with codes::sanitize_value:
//
//   4XyZ1: decision conn=conn-3f9a01c2e5 client=mx.example[192.0.2.1]
//     helo=mx.example sasl_username=alice from=<a@b.example>
//     rcpt=<c@d.example>,<e@d.example> stage=rcpt rule=block-spam
//     action=reject reply="550 5.7.1 Refused"
//
//   conn-3f9a01c2e5: decision client=mx.example[192.0.2.1] helo=- stage=connect
//     rule=no-rdns action=reject reply="550 5.7.1 Client has no reverse DNS"
//
// (each on one line). conn= appears when the prefix is a queue id (it ties
// the message to its connection); sasl_username= when the client
// authenticated (RFC 4954; the MTA's {auth_authen}, the policy request's
// sasl_username); rule and reply are "-" when none; from appears from the
// MAIL stage on; rcpt shows the recipient being decided at the RCPT stage and
// every recipient (at most 20, then "+N") later; a Continue at end of message
// is the message passing and is logged as action=accept; " non_smtp=yes"
// marks mail not received by SMTP; " front_end=policy_service" ends the line
// of the policy service (the milter's lines carry no label).
//
// Monitor mode: each rule in monitor mode that would have decided gets a line
// of its own, naming it, with what it would have done:
//
//   4XyZ1: decision conn=... stage=rcpt rule=trial-block action=continue
//     reply=- monitor=yes would="reject 550 5.7.1 Refused"
//
// action and reply are what the MTA was told for that rule (nothing: the
// mail goes on); `would` is the action and, for a refusal, the reply.
// `grep rule=NAME` finds every decision about a rule, monitor or not;
// `grep action=reject` finds only what was really refused.
//
// Rule lines and notes (errors, warnings about a message) are "PREFIX: text"
// ("4XyZ1: rule #3 block-spam matched: ... => reject 550 5.7.1 ...").
//
// JSON (log_format "json"): the same facts as one object per line, every
// string escaped (json_text.hpp) so the line parses whatever the client
// sent; absent values are null. The logger puts "time", "host" and "level"
// first (logger.hpp):
//
//   {"time":"2026-12-08T00:48:00.123456Z","host":"mx1","level":"info",
//    "event":"decision","front_end":"milter","queue":"4XyZ1",
//    "conn":"conn-3f9a01c2e5","client_name":"mx.example",
//    "client_addr":"192.0.2.1","helo":"mx.example","sasl_username":null,
//    "sender":"a@b.example","recipient":"c@d.example",
//    "recipients":["c@d.example"],"stage":"rcpt","rule":"block-spam",
//    "action":"reject","reply":"550 5.7.1 Refused","reply_code":550,
//    "reply_enhanced":"5.7.1","monitor":false,"non_smtp":false,
//    "latency_us":41}
//
// "sender" appears from MAIL on ("" is the null sender <>); "recipient" at
// RCPT (the one decided); "recipients" follows the text rule above, with
// "recipients_more": N past 20; "reply_code" and "reply_enhanced" are the
// basic and enhanced codes of "reply" (null without a reply; the enhanced
// code null when the reply has none). A monitor line has "monitor":true and
// "would":{"action":"reject","reply":"...","reply_code":550,
// "reply_enhanced":"5.7.1"}. "latency_us" is the engine's time for the
// verdict (Verdict::timing), 0 when no rule ran.
//
// A rule line is {"event":"rule", the same envelope up to "stage",
// "rule":NAME,"action":ACTION or null,"message":TEXT}; a note is
// {"event":"log", the envelope (sender and recipient when known, stage when
// given),"message":TEXT}.
//
// Thread contract: pure functions.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "codes/stage.hpp"
#include "observability/front_end.hpp"
#include "policy/transaction.hpp"
#include "policy/verdict.hpp"

namespace mv::observability {

// `conn` is the connection id (recorder.hpp); "" when there is none.

// "4XyZ1", else `conn`, else "NOQUEUE": what a line starts with (before ": ").
std::string log_prefix(const policy::Transaction& tx, std::string_view conn);

// The decision delivered at `stage`.
std::string format_decision(const policy::Transaction& tx, const policy::Verdict& verdict,
                            codes::Stage stage, FrontEnd fe = FrontEnd::Milter,
                            std::string_view conn = {});
// The line of one monitor-mode rule's would-be decision in a verdict at `stage`.
std::string format_would_be(const policy::Transaction& tx, const policy::WouldBe& would,
                            codes::Stage stage, FrontEnd fe = FrontEnd::Milter,
                            std::string_view conn = {});
// "PREFIX: text": a rule line or a note.
std::string format_note(const policy::Transaction& tx, std::string_view text,
                        std::string_view conn = {});

std::string json_decision(FrontEnd front_end, const policy::Transaction& tx,
                          const policy::Verdict& verdict, codes::Stage stage,
                          std::string_view conn = {});
std::string json_would_be(FrontEnd front_end, const policy::Transaction& tx,
                          const policy::Verdict& verdict, const policy::WouldBe& would,
                          codes::Stage stage, std::string_view conn = {});
std::string json_rule_line(FrontEnd front_end, const policy::Transaction& tx,
                           const policy::LogLine& line, codes::Stage stage,
                           std::string_view conn = {});
// A note; `stage` when the caller knows it.
std::string json_note(FrontEnd front_end, const policy::Transaction& tx, std::string_view text,
                      std::optional<codes::Stage> stage, std::string_view conn = {});

// "reject 550 5.7.1 text" / "discard": the value of `would`.
std::string would_be_text(const policy::WouldBe& would);

}  // namespace mv::observability
