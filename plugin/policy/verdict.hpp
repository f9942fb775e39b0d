// SPDX-License-Identifier: Apache-2.0
// verdict.hpp - what the policy engine answers at each stage.
//
// Action::Continue means "no final decision here": the glue returns
// SMFIS_CONTINUE (after applying add_headers at end of message). For Reject and
// Tempfail `reply` is always filled and already validated and expanded.
//
// Thread contract: value type.
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "codes/reply.hpp"
#include "codes/stage.hpp"

namespace mv::policy {

enum class Action { Continue, Accept, Reject, Tempfail, Discard, Quarantine };

std::string_view action_name(Action a);  // "continue", "accept", "reject", ...

// What a rule in monitor mode would have done (Rule::monitor or
// Settings::monitor): the decision log and the metrics name the rule.
struct WouldBe {
    std::string rule;
    Action action = Action::Continue;
    codes::Reply reply;  // Reject / Tempfail: the reply it would have sent
};

// Time the engine spent on one Session call (observability only; never
// changes a verdict).
struct Timing {
    bool evaluated = false;                  // some rules ran for this call
    std::chrono::nanoseconds engine{0};      // evaluating the rules, waits included
    std::chrono::nanoseconds state_wait{0};  // of which: waiting for the state store
    std::chrono::nanoseconds dns_wait{0};    // of which: waiting for DNS answers
};

// One line of the decision log about a rule's evaluation (Verdict::log).
// `text` is the line as the log shows it after the message's id; `rule` and
// `action` are given as fields in the JSON log.
struct LogLine {
    LogLine() = default;
    // A line about no rule in particular ("body: first 65536 of ... bytes kept").
    LogLine(std::string t) : text(std::move(t)) {}  // NOLINT(google-explicit-constructor)
    LogLine(std::string t, std::string r, std::string a, bool d)
        : text(std::move(t)), rule(std::move(r)), action(std::move(a)), detail(d) {}

    std::string text;    // "rule #3 block-spammer matched: ... => reject 550 5.7.1 ..."
    std::string rule;    // the rule the line is about; "" for none
    std::string action;  // what the line says the rule does ("reject", "continue"); "" for none
    // Detail: a continue rule that adds nothing (no header added or, in
    // monitor mode, that would be, and no log text of its own): logged at
    // debug, so a tagging rule does not fill the log with a line per
    // connection.
    bool detail = false;
};

struct Verdict {
    Action action = Action::Continue;
    codes::Reply reply;       // Reject / Tempfail: the reply to send
    bool disconnect = false;  // reply is 421/521 and the MTA closes the session
    std::string rule;         // the rule that decided; "" when none did
    codes::Stage decided_at = codes::Stage::Connect;    // stage where the rule matched
    codes::Stage delivered_at = codes::Stage::Connect;  // stage where it is delivered
    std::string quarantine_reason;                      // Quarantine only
    // Headers to add at end of message (continue actions, monitor mode).
    std::vector<std::pair<std::string, std::string>> add_headers;
    // One line per matched rule, for the decision log:
    // "rule #3 block-spammer matched: sender domain spam.example => reject 550 5.7.1 ..."
    std::vector<LogLine> log;
    // Monitor mode: a rule would have decided but mail goes through; `would`
    // lists each such rule, in file order.
    bool monitor = false;
    std::vector<WouldBe> would;
    Timing timing;

    bool final() const { return action != Action::Continue; }
};

}  // namespace mv::policy
