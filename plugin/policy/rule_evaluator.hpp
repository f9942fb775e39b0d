// SPDX-License-Identifier: Apache-2.0
// rule_evaluator.hpp - runs the rules of one stage against a Transaction and
// builds replies, log lines and headers for Session (session.hpp).
//
// run(stage, limit) evaluates, in file order, the rules whose Rule::stage is
// `stage` and whose index is below `limit` (Session passes the index of a held
// or pending decision: rules after it in the file never run, as in a flat
// first-match evaluation). It returns the first final decision, plus what the
// matching `continue` and monitored rules contributed before it (headers,
// monitor headers, log lines).
//
// Monitor (Rule::monitor or Settings::monitor): a matching final rule does not
// decide; it yields a Tentative (StageResult::would) with its log line "rule
// #N NAME (monitor) would reject 550 5.7.1 text" and monitor header value
// "would reject 550 5.7.1 text (rule NAME)", which the session reports or
// drops (an earlier rule decided in its place, session.hpp). A monitored
// rule changes nothing else: its add_headers are not applied.
//
// DNS: before each rule the evaluator clears the DNS variables of the
// Transaction; a rule that decides keeps them in its Decision (${dns_zones},
// ${dns_score}, ${dns_txt} of its reply); the condition's detail (the score
// and the zones) goes on the rule's log line.
// Timing: run() measures its own duration (steady clock) and the time its
// stateful conditions waited for the store (Transaction::state_wait).
//
// TempError from a rule's condition: with Settings::on_error == Tempfail a
// final rule decides Tempfail with the BackendFailure default reply (fail
// closed); with Accept (or for a `continue` rule, which has nothing to fail
// closed on) the rule does not match (fail open). A rule's own
// on_backend_error (Rule::backend_fail_open) overrides on_error. Logged
// either way.
//
// Errors: none; conditions never throw and templates are expanded defensively
// (a template the loader did not check is used literally, sanitised).
//
// Thread contract: a value used by one Session call at a time.
#pragma once

#include <cstddef>
#include <functional>
#include <limits>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "codes/reply.hpp"
#include "codes/validate.hpp"
#include "policy/policy.hpp"
#include "policy/transaction.hpp"

namespace mv::policy {

inline constexpr std::size_t kNoRule = std::numeric_limits<std::size_t>::max();

// A final decision, by a rule or by the engine (a bound), not yet delivered.
struct Decision {
    std::size_t index = kNoRule;  // rule index in Policy::rules; kNoRule = engine
    Action action = Action::Continue;
    codes::Reason reason = codes::Reason::Policy;  // BackendFailure after a TempError
    codes::Stage decided_at = codes::Stage::Connect;
    std::string rcpt;  // recipient current when decided, for ${rcpt}
    // ${dns_zones}, ${dns_score}, ${dns_txt} of the rule's DNS condition.
    std::string dns_zones, dns_score, dns_txt;
};

// A monitored rule's would-be decision, not reported yet: the session reports
// it (log line, WouldBe, monitor header) once no earlier rule can still
// decide in its place, and drops it when one does (session.hpp).
struct Tentative {
    std::size_t index = kNoRule;  // the monitored rule
    codes::Stage stage = codes::Stage::Connect;
    std::size_t log_pos = 0;  // where its line goes among StageResult::log
    LogLine log;              // "rule #2 x (monitor) would reject 550 5.7.1 ..."
    std::string header;       // monitor header value
    WouldBe would;
    Decision decision;  // to rebuild the reply for each recipient it is held for
};

struct StageResult {
    std::optional<Decision> decision;
    std::vector<std::pair<std::string, std::string>> headers;  // add_headers of matched rules
    std::vector<LogLine> log;
    std::vector<Tentative> would;  // what monitored rules would have done, in order
    Timing timing;                 // of this run (evaluated = true)
    // With `defer`: the index of the rule whose DNS answers were not in; the
    // run stopped there and the caller evaluates it (and the rest) later.
    std::optional<std::size_t> suspended;
};

// Where a refusal/decision reached at `stage` is delivered, given delay_reject
// and non-SMTP mode (session.hpp).
codes::Stage delivery_stage(const Settings& s, bool non_smtp, codes::Stage stage, Action a);

class RuleEvaluator {
  public:
    RuleEvaluator(const Policy& policy, const Transaction& tx) : policy_(policy), tx_(tx) {}

    // Called once before the first rule that reads DNS (Rule::uses_dns) is
    // evaluated: the session starts the lookups then, and only then.
    void before_dns(std::function<void()> f) { before_dns_ = std::move(f); }

    // Rules from index `from`. With `defer`, a rule that may be deferred
    // (Rule::dns_deferrable) does not wait for DNS: if an answer it needs is
    // not in, the run stops at it (StageResult::suspended).
    StageResult run(codes::Stage stage, std::size_t limit, std::size_t from = 0,
                    bool defer = false) const;

    // The expanded reply of a Reject/Tempfail decision delivered at `delivered`.
    codes::Reply reply(const Decision& d, codes::Stage delivered) const;
    bool disconnect(const Decision& d) const;
    std::string rule_name(const Decision& d) const;
    std::string quarantine_reason(const Decision& d) const;
    // "rule #3 block" or "engine".
    std::string label(const Decision& d) const;
    // "reject 550 5.7.1 text" / "accept" / "quarantine (reason)".
    std::string outcome(const Decision& d, codes::Stage delivered) const;
    // Expanded template, or the literal text sanitised if it is malformed.
    // DNS variables come from `d` when given, else from the rule being run.
    std::string expand(const std::string& tmpl, const std::string& rule, std::string_view rcpt,
                       const Decision* d = nullptr) const;

  private:
    StageResult run_rules(codes::Stage stage, std::size_t limit, std::size_t from,
                          bool defer) const;

    const Policy& policy_;
    const Transaction& tx_;
    mutable std::function<void()> before_dns_;
};

}  // namespace mv::policy
