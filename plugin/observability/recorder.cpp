// SPDX-License-Identifier: Apache-2.0
// recorder.cpp - see recorder.hpp.
#include "observability/recorder.hpp"

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <random>
#include <utility>

#include "codes/reply_text.hpp"
#include "observability/decision_log.hpp"
#include "observability/json_text.hpp"

namespace mv::observability {

namespace {

using codes::Stage;
using policy::Action;

// A final verdict at MAIL or DATA ends the message (refused, or accepted or
// discarded whole: libmilter sends nothing more for it); at RCPT only a
// discard does (a refusal there refuses one recipient).
bool ends_message(const policy::Verdict& v, Stage stage) {
    if (stage == Stage::EndOfData) return true;
    if (!v.final() || stage < Stage::Mail) return false;
    if (stage == Stage::Rcpt) return v.action == Action::Discard;
    return v.action != Action::Quarantine;  // quarantine only acts at end of data
}

}  // namespace

std::string next_connection_id() {
    // A random start per process, then a counter: unique within the
    // process, 40 bits so that ids of different runs rarely meet.
    static const std::uint64_t start = [] {
        std::random_device rd;
        return (static_cast<std::uint64_t>(rd()) << 32) ^ rd();
    }();
    static std::atomic<std::uint64_t> next{0};
    const std::uint64_t n =
        (start + next.fetch_add(1, std::memory_order_relaxed)) & 0xffffffffffULL;
    char buf[24];
    std::snprintf(buf, sizeof buf, "conn-%010llx", static_cast<unsigned long long>(n));
    return buf;
}

SessionRecorder::SessionRecorder(FrontEnd fe, Logger& log,
                                 std::shared_ptr<const FrontEndSeries> series,
                                 std::shared_ptr<const PolicyMetrics> policy)
    : fe_(fe),
      log_(&log),
      conn_(next_connection_id()),
      series_(std::move(series)),
      policy_(std::move(policy)) {
    if (series_) {
        series_->connections_total->add();
        series_->connections_active->add(1);
    }
}

SessionRecorder::~SessionRecorder() {
    release();
}

SessionRecorder::SessionRecorder(SessionRecorder&& o) noexcept
    : fe_(o.fe_),
      log_(std::exchange(o.log_, nullptr)),
      conn_(std::move(o.conn_)),
      series_(std::move(o.series_)),
      policy_(std::move(o.policy_)),
      message_open_(std::exchange(o.message_open_, false)) {}

SessionRecorder& SessionRecorder::operator=(SessionRecorder&& o) noexcept {
    if (this != &o) {
        release();
        fe_ = o.fe_;
        log_ = std::exchange(o.log_, nullptr);
        conn_ = std::move(o.conn_);
        series_ = std::move(o.series_);
        policy_ = std::move(o.policy_);
        message_open_ = std::exchange(o.message_open_, false);
    }
    return *this;
}

void SessionRecorder::release() {
    if (series_) {
        end_message();
        series_->connections_active->add(-1);
        series_.reset();
    }
    policy_.reset();
}

void SessionRecorder::start_message() {
    if (!series_) return;
    end_message();  // a new MAIL without abort ends the previous message
    series_->transactions_total->add();
    series_->transactions_active->add(1);
    message_open_ = true;
}

void SessionRecorder::end_message() {
    if (message_open_ && series_) series_->transactions_active->add(-1);
    message_open_ = false;
}

void SessionRecorder::log_decision(const policy::Transaction& tx, const policy::Verdict& v,
                                   Stage stage) {
    if (log_->format() == LogFormat::Json)
        log_->log_object(LogLevel::Info, json_decision(fe_, tx, v, stage, conn_));
    else
        log_->log(LogLevel::Info, format_decision(tx, v, stage, fe_, conn_));
}

std::string SessionRecorder::prefix(const policy::Transaction& tx) const {
    return log_prefix(tx, conn_);
}

void SessionRecorder::note(const policy::Transaction& tx, LogLevel level, std::string_view text,
                           std::optional<Stage> stage) const {
    if (!log_ || !log_->enabled(level)) return;
    if (log_->format() == LogFormat::Json)
        log_->log_object(level, json_note(fe_, tx, text, stage, conn_));
    else
        log_->log(level, format_note(tx, text, conn_));
}

void SessionRecorder::count_decision(const policy::Verdict& v, Action action, Stage stage) {
    if (policy_) policy_->decision(fe_, v.rule, action, stage, v.reply);
}

void SessionRecorder::verdict(const policy::Transaction& tx, const policy::Verdict& v, Stage stage,
                              bool settles) {
    if (!log_) return;
    const bool json = log_->format() == LogFormat::Json;
    for (const auto& line : v.log) {
        const LogLevel level = line.detail ? LogLevel::Debug : LogLevel::Info;
        if (!log_->enabled(level)) continue;
        if (json)
            log_->log_object(level, json_rule_line(fe_, tx, line, stage, conn_));
        else
            log_->log(level, format_note(tx, line.text, conn_));
    }
    for (const auto& w : v.would) {
        if (json)
            log_->log_object(LogLevel::Info, json_would_be(fe_, tx, v, w, stage, conn_));
        else
            log_->log(LogLevel::Info, format_would_be(tx, w, stage, fe_, conn_));
    }
    const bool decides = v.final() || stage == Stage::EndOfData;
    // Settled without a final action: the message (or connection) passes here.
    const bool passes_now = !decides && settles;
    if (decides) {
        log_decision(tx, v, stage);
    } else if (passes_now) {
        policy::Verdict logged = v;
        logged.action = Action::Accept;
        log_decision(tx, logged, stage);
    }

    if (!series_) return;
    const int s = static_cast<int>(stage);
    if (v.timing.evaluated) {
        series_->decision_duration[s]->observe(v.timing.engine);
        if (v.timing.state_wait.count() > 0) series_->state_wait[s]->observe(v.timing.state_wait);
        if (v.timing.dns_wait.count() > 0) series_->dns_wait[s]->observe(v.timing.dns_wait);
    }
    if (stage == Stage::Mail) start_message();
    if (policy_) {
        for (const auto& w : v.would) policy_->would_be(fe_, w);
        if (decides) {
            const bool passes = v.action == Action::Continue;  // end of data: the message goes on
            count_decision(v, passes ? Action::Accept : v.action, stage);
        } else if (passes_now || (stage == Stage::Rcpt && !v.rule.empty())) {
            // Passing here, or this recipient accepted by a rule.
            count_decision(v, Action::Accept, stage);
        }
    }
    if (settles || ends_message(v, stage)) end_message();
}

void SessionRecorder::own_verdict(const policy::Transaction& tx, const policy::Verdict& v,
                                  Stage stage) {
    if (!log_) return;
    log_decision(tx, v, stage);
    if (!series_) return;
    if (stage == Stage::Mail) start_message();
    if (policy_) {
        const bool passes = v.action == Action::Continue && stage == Stage::EndOfData;
        policy_->decision(fe_, "", passes ? Action::Accept : v.action, stage, v.reply);
    }
    if (ends_message(v, stage)) end_message();
}

SessionRecorder Recorder::open(FrontEnd fe, const policy::PolicyPtr& policy) const {
    if (!metrics_) return SessionRecorder(fe, log_, nullptr, nullptr);
    return SessionRecorder(fe, log_, metrics_->front_end(fe),
                           policy ? metrics_->binding(policy) : nullptr);
}

}  // namespace mv::observability
