// SPDX-License-Identifier: Apache-2.0
// recorder.hpp - what a front end calls for each verdict: log line and metrics in one.
//
// A front end (the milter glue, the Postfix policy service) opens one
// SessionRecorder per client session with its own name, keeps it for the
// session, and hands it every verdict it delivers:
//
//   observability::SessionRecorder rec = recorder.open(FrontEnd::PolicyService, policy);
//   ...
//   policy::Verdict v = session.rcpt(recipient);
//   rec.verdict(session.transaction(), v, codes::Stage::Rcpt);   // log + count
//
// (`settles`: the front end ends the conversation here because nothing is left
// to decide, Session::settled(); the milter answers SMFIS_ACCEPT and no end of
// message follows, so the message's decision line, action=accept, is written
// and counted now, and the transaction ends.)
//
// Every SessionRecorder made by Recorder::open() has a connection id,
// conn_id(): "conn-" + 10 lowercase hex digits, a per-process random start
// plus a counter, so ids do not repeat within a process and rarely across
// restarts. Every line it writes starts with the message's queue id, or
// with this id while there is none (decision_log.hpp).
//
// verdict() does, for a verdict delivered at `stage`:
//   * logs each rule line of the verdict ("4XyZ1: rule #N NAME matched: ..."),
//     at info, or at debug for a continue rule that adds nothing
//     (policy::LogLine::detail),
//     one line per monitor-mode would-be decision, and the decision line when
//     the verdict decides (a final action) or at end of data (decision_log.hpp),
//     in the logger's format (text or JSON);
//   * counts the decision (milter_verdict_decisions_total; also a recipient
//     accepted by a rule at RCPT, which the MTA sees as "go on"), each
//     would-be decision (milter_verdict_monitor_decisions_total), the engine
//     time and the state wait of the stage (histograms), and the transaction
//     (MAIL starts one; end of data, a refusal at MAIL or DATA, an accept or
//     discard of the message, end_message() or the end of the session end it).
// own_verdict() is for a verdict the front end made itself (an internal
// error, data over a bound): always one decision line, counted with rule "-".
// The SessionRecorder counts the connection while it lives (connections
// total and active).
//
// With metrics off (Recorder without Metrics) only the logging happens.
// A default-constructed SessionRecorder records nothing (tests, or a context
// made before the recorder existed).
//
// Thread contract: Recorder is shared (open() from any thread: a short mutex
// to find the policy's series); a SessionRecorder is used by one thread at a
// time, like the session it belongs to. Counting is lock-free.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "codes/stage.hpp"
#include "observability/front_end.hpp"
#include "observability/logger.hpp"
#include "observability/metrics.hpp"
#include "policy/policy.hpp"
#include "policy/transaction.hpp"
#include "policy/verdict.hpp"

namespace mv::observability {

class SessionRecorder {
  public:
    SessionRecorder() = default;
    SessionRecorder(FrontEnd fe, Logger& log, std::shared_ptr<const FrontEndSeries> series,
                    std::shared_ptr<const PolicyMetrics> policy);
    ~SessionRecorder();
    SessionRecorder(SessionRecorder&& other) noexcept;
    SessionRecorder& operator=(SessionRecorder&& other) noexcept;
    SessionRecorder(const SessionRecorder&) = delete;
    SessionRecorder& operator=(const SessionRecorder&) = delete;

    void verdict(const policy::Transaction& tx, const policy::Verdict& v, codes::Stage stage,
                 bool settles = false);
    void own_verdict(const policy::Transaction& tx, const policy::Verdict& v, codes::Stage stage);
    // The message ended without a verdict at end of data (abort, RSET).
    void end_message();
    // A line about this connection or its message (an error, a header not
    // added): "PREFIX: text", or a JSON {"event":"log",...} with the
    // envelope as fields (decision_log.hpp); `stage` when known.
    void note(policy::Transaction const& tx, LogLevel level, std::string_view text,
              std::optional<codes::Stage> stage = std::nullopt) const;
    // "conn-3f9a01c2e5"; "" for a default-constructed recorder.
    const std::string& conn_id() const { return conn_; }
    // What this connection's lines start with now: log_prefix(tx, conn_id()).
    std::string prefix(const policy::Transaction& tx) const;

  private:
    void log_decision(const policy::Transaction& tx, const policy::Verdict& v, codes::Stage stage);
    void count_decision(const policy::Verdict& v, policy::Action action, codes::Stage stage);
    void start_message();
    void release();

    FrontEnd fe_ = FrontEnd::Milter;
    Logger* log_ = nullptr;
    std::string conn_;
    std::shared_ptr<const FrontEndSeries> series_;
    std::shared_ptr<const PolicyMetrics> policy_;
    bool message_open_ = false;
};

// A fresh connection id ("conn-" + 10 hex digits); safe from any thread.
std::string next_connection_id();

class Recorder {
  public:
    // `metrics` may be null (metrics off); it must outlive the Recorder.
    explicit Recorder(Logger& log, Metrics* metrics = nullptr) : log_(log), metrics_(metrics) {}

    SessionRecorder open(FrontEnd fe, const policy::PolicyPtr& policy) const;

    Logger& log() const { return log_; }
    Metrics* metrics() const { return metrics_; }

  private:
    Logger& log_;
    Metrics* metrics_;
};

}  // namespace mv::observability
