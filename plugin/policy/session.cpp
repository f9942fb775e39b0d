// SPDX-License-Identifier: Apache-2.0
// session.cpp - the per-connection state machine of the policy engine.
//
// Semantics are documented in session.hpp; the state and its two lifetimes
// in session_state.hpp.
#include "policy/session.hpp"

#include <algorithm>
#include <cstdint>
#include <optional>

#include "codes/reply_text.hpp"
#include "policy/address.hpp"
#include "policy/rule_evaluator.hpp"
#include "policy/session_state.hpp"

namespace mv::policy {

namespace {

using codes::Stage;

bool refusal(Action a) {
    return a == Action::Reject || a == Action::Tempfail;
}

}  // namespace

struct Session::State {
    ConnectionState conn;
    MessageState msg;
    std::unique_ptr<DnsEvidence> dns;      // Transaction::dns points here
    std::size_t last_suspended = kNoRule;  // its "evaluated later" line is logged once
    // Front-end overrides (session.hpp): delay_reject and the delivery stage.
    std::optional<bool> hold;
    std::optional<Stage> deliver_at;
    // Recipients a message may keep (bound_recipients()).
    std::size_t max_rcpts = Limits::kMaxRecipients;
    std::size_t max_rcpt_bytes = SIZE_MAX;

    std::size_t limit() const { return ::mv::policy::limit(conn, msg); }
    bool holds(const Settings& s) const { return hold.value_or(s.delay_reject); }
    Stage at(Stage call) const { return deliver_at.value_or(call); }
    bool connection_over() const { return conn.accepted || conn.closed; }
    bool message_over() const { return connection_over() || msg.accepted || msg.closed; }
    bool deferred() const { return !conn.deferred.empty() || !msg.deferred.empty(); }
};

Session::Session(PolicyPtr policy) : policy_(std::move(policy)), state_(std::make_shared<State>()) {
    if (policy_->dns_slot->needed())
        if (const auto source = policy_->dns_slot->get()) {
            state_->dns = source->open();
            tx_.dns = state_->dns.get();
        }
}

void Session::bound_recipients(std::size_t count, std::size_t bytes) {
    state_->max_rcpts = std::min(count, Limits::kMaxRecipients);
    state_->max_rcpt_bytes = bytes;
}

std::string Session::recipient_bound(std::string_view recipient) const {
    const State& st = *state_;
    if (tx_.recipients.size() >= st.max_rcpts)
        return "too many recipients (limit " + std::to_string(st.max_rcpts) + ")";
    if (st.max_rcpt_bytes == SIZE_MAX) return {};
    std::size_t bytes = strip_address(recipient).size();
    for (const auto& r : tx_.recipients) bytes += r.size();
    if (bytes > st.max_rcpt_bytes)
        return "recipient addresses over " + std::to_string(st.max_rcpt_bytes) + " bytes (limit)";
    return {};
}

bool Session::evaluation_pending() const {
    return state_->deferred();
}

namespace {

// Fill Transaction fields from the macros the glue stored, when the glue did
// not set the field itself.
void sync_fields(Transaction& tx) {
    const auto fill = [&](std::string& field, std::string_view macro) {
        if (field.empty()) field = tx.macro(macro);
    };
    fill(tx.client_addr, "client_addr");
    fill(tx.client_name, "client_name");
    fill(tx.client_resolve, "client_resolve");
    fill(tx.daemon_name, "daemon_name");
    fill(tx.queue_id, "i");
    fill(tx.auth_login, "auth_authen");
    fill(tx.tls_version, "tls_version");
}

// SASL login and TLS last for the connection (RFC 4954 4, RFC 3207 4.2): a
// new message keeps them, as the caller may have set them before mail(). The
// queue id is the message's own: it comes again from a fresh "i".
void reset_message_fields(Transaction& tx) {
    tx.queue_id = tx.macro("i");
    tx.sender.clear();
    tx.recipients.clear();
    tx.known_rcpt_count = 0;
    tx.current_rcpt.clear();
    tx.headers.clear();
    tx.body.clear();
    tx.size = 0;
}

// Merge a stage's contributions into the verdict of the call and the
// connection- or message-level header lists.
void absorb(StageResult& r, Verdict& v, HeaderList& headers, MarkList& monitor) {
    for (auto& h : r.headers) headers.add(std::move(h), kMaxAddedHeaders);
    for (auto& m : r.monitor_headers) monitor.add(std::move(m), kMaxMonitorHeaders);
    for (auto& l : r.log) v.log.push_back(std::move(l));
    for (auto& w : r.would) v.would.push_back(std::move(w));
    v.monitor = v.monitor || r.monitor;
    // One call may run several stages' rules (a deferred rule caught up at
    // RCPT, then the RCPT rules): their times add up.
    v.timing.evaluated = v.timing.evaluated || r.timing.evaluated;
    v.timing.engine += r.timing.engine;
    v.timing.state_wait += r.timing.state_wait;
    v.timing.dns_wait += r.timing.dns_wait;
}

// Say on the decision's log line that it is not delivered now.
void note(Verdict& v, const char* text) {
    if (!v.log.empty()) v.log.back() += text;
}

// Deliver a decision now.
Verdict deliver(const RuleEvaluator& ev, const Decision& d, Stage delivered, Verdict v) {
    v.action = d.action;
    v.rule = ev.rule_name(d);
    v.decided_at = d.decided_at;
    v.delivered_at = delivered;
    if (refusal(d.action)) {
        v.reply = ev.reply(d, delivered);
        v.disconnect = ev.disconnect(d);
    }
    v.quarantine_reason = ev.quarantine_reason(d);
    return v;
}

}  // namespace

// A decision of a connect, HELO or MAIL rule (`at`), reached during the call
// of stage `now`: hold it, or put it in `v`. True when `v` is to be delivered.
bool Session::settle(Stage at, const Decision& d, const RuleEvaluator& ev, Stage now, Verdict& v) {
    State& st = *state_;
    const bool message = at == Stage::Mail;
    if (d.action == Action::Accept) {
        (message ? st.msg.accepted : st.conn.accepted) = true;
        v = deliver(ev, d, st.at(now), std::move(v));
        return true;
    }
    // At HELO only rules before any held decision ran, so a new decision comes
    // first in the file and replaces the held one (a flat evaluation never
    // reaches it).
    if (d.action == Action::Discard || d.action == Action::Quarantine) {
        if (message) {
            st.msg.final = d;
            note(v, " (at end of data)");
            return false;
        }
        st.conn.final = d;
        if (at == Stage::Helo) st.conn.refusal.reset();
        note(v, " (at end of data of each message)");
        return false;
    }
    if (st.holds(policy_->settings)) {
        if (message) {
            st.msg.refusal = d;
        } else {
            st.conn.refusal = d;
            if (at == Stage::Helo) st.conn.final.reset();
        }
        note(v, " (held until RCPT)");
        return false;
    }
    // At once. A HELO refusal is not sticky: another HELO is evaluated afresh.
    if (at == Stage::Connect) st.conn.closed = true;
    if (message) st.msg.closed = true;
    v = deliver(ev, d, st.at(now), std::move(v));
    return true;
}

// Runs the rules of `stage` from `from` on as at that stage. With
// delay_reject and DNS, a rule whose answers are not in stops the run and is
// queued with the rest. True when `v` is to be delivered.
bool Session::run_stage(Stage stage, std::size_t from, bool defer, Stage now, Verdict& v) {
    State& st = *state_;
    RuleEvaluator ev(*policy_, tx_);
    auto r = ev.run(stage, st.limit(), from, defer);
    const bool message = stage == Stage::Mail;
    // Tried again at every command until its answers are in: say it once.
    if (r.suspended && *r.suspended == st.last_suspended && !r.log.empty()) r.log.pop_back();
    if (r.suspended) st.last_suspended = *r.suspended;
    absorb(r, v, message ? st.msg.headers : st.conn.headers,
           message ? st.msg.monitor : st.conn.monitor);
    if (r.suspended) {
        (message ? st.msg.deferred : st.conn.deferred).push_back({stage, *r.suspended});
        return false;
    }
    if (!r.decision) return false;
    return settle(stage, *r.decision, ev, now, v);
}

// Runs what was deferred, in order, as at its own stage (no recipient known
// yet there); `wait`: DNS conditions wait for their answers (the first RCPT).
// True when `v` is to be delivered. Stops where a rule is still not answered.
bool Session::catch_up(Stage now, bool wait, Verdict& v) {
    State& st = *state_;
    if (!st.deferred()) return false;
    std::string rcpt;
    std::vector<std::string> rcpts;
    rcpt.swap(tx_.current_rcpt);
    rcpts.swap(tx_.recipients);
    bool delivered = false;
    for (auto* queue : {&st.conn.deferred, &st.msg.deferred}) {
        while (!queue->empty() && !delivered) {
            const bool over = queue == &st.msg.deferred ? st.message_over() : st.connection_over();
            if (over) {
                queue->clear();
                break;
            }
            const Deferred d = queue->front();
            queue->erase(queue->begin());
            const std::size_t before = queue->size();
            delivered = run_stage(d.stage, d.from, !wait, now, v);
            // Suspended again: it went to the back of its queue; it is first.
            if (queue->size() > before) {
                std::rotate(queue->begin(), queue->end() - 1, queue->end());
                break;
            }
        }
        if (!queue->empty() || delivered) break;
    }
    tx_.current_rcpt.swap(rcpt);
    tx_.recipients.swap(rcpts);
    // An Accept reached here ends the connection or the message: what is
    // still queued behind it never runs.
    if (st.connection_over()) st.conn.deferred.clear();
    if (st.message_over()) st.msg.deferred.clear();
    return delivered;
}

Verdict Session::connect() {
    State& st = *state_;
    sync_fields(tx_);
    Verdict v;
    v.decided_at = v.delivered_at = Stage::Connect;
    if (st.connection_over()) return v;
    if (tx_.dns) tx_.dns->start(Stage::Connect, tx_);
    run_stage(Stage::Connect, 0, defer(), Stage::Connect, v);
    return v;
}

Verdict Session::helo(std::string_view name) {
    State& st = *state_;
    tx_.helo.assign(name.data(), name.size());
    sync_fields(tx_);
    Verdict v;
    v.decided_at = v.delivered_at = Stage::Helo;
    if (st.connection_over()) return v;
    if (tx_.dns) tx_.dns->start(Stage::Helo, tx_);
    // An earlier HELO still queued is evaluated with this name: a later HELO
    // replaces an earlier one.
    const bool queued = std::any_of(st.conn.deferred.begin(), st.conn.deferred.end(),
                                    [](const Deferred& d) { return d.stage == Stage::Helo; });
    if (catch_up(Stage::Helo, false, v) || st.connection_over()) return v;
    if (st.deferred()) {
        if (!queued) st.conn.deferred.push_back({Stage::Helo, 0});
        return v;
    }
    if (queued) return v;  // the catch-up ran this HELO's rules
    run_stage(Stage::Helo, 0, defer(), Stage::Helo, v);
    return v;
}

Verdict Session::mail(std::string_view sender) {
    State& st = *state_;
    st.msg = MessageState{};
    reset_message_fields(tx_);
    tx_.sender = std::string(strip_address(sender));
    sync_fields(tx_);
    Verdict v;
    v.decided_at = v.delivered_at = Stage::Mail;
    if (st.message_over()) return v;
    if (tx_.dns) {
        tx_.dns->new_message();
        tx_.dns->start(Stage::Mail, tx_);
    }
    if (catch_up(Stage::Mail, false, v) || st.message_over()) return v;
    if (st.deferred()) {
        st.msg.deferred.push_back({Stage::Mail, 0});
        return v;
    }
    run_stage(Stage::Mail, 0, defer(), Stage::Mail, v);
    return v;
}

Verdict Session::rcpt(std::string_view recipient) {
    State& st = *state_;
    sync_fields(tx_);
    Verdict v;
    v.decided_at = v.delivered_at = Stage::Rcpt;
    if (st.message_over()) return v;
    const std::string rcpt(strip_address(recipient));
    tx_.current_rcpt = rcpt;
    if (tx_.dns) tx_.dns->start(Stage::Rcpt, tx_);
    // What waited for DNS since connect, HELO or MAIL runs first, waiting now.
    if (catch_up(Stage::Rcpt, true, v) || st.message_over()) return v;
    RuleEvaluator ev(*policy_, tx_);

    // Refuse (or, non-SMTP, remember for end of data) a recipient.
    const auto refuse = [&](const Decision& d, Verdict out) {
        if (tx_.non_smtp) {
            if (!st.msg.eom_refusal || d.index < st.msg.eom_refusal->index) st.msg.eom_refusal = d;
            out.log.push_back(ev.label(d) + " => " + ev.outcome(d, st.at(Stage::EndOfData)) +
                              " (non-SMTP: delivered at end of data)");
            return out;
        }
        tx_.recipients.pop_back();  // a refused recipient is not part of the message
        return deliver(ev, d, st.at(Stage::Rcpt), std::move(out));
    };

    if (std::string over = recipient_bound(rcpt); !over.empty()) {
        // Bounded: the recipient is not stored; the client may retry it later.
        Decision d;
        d.action = Action::Tempfail;
        d.reason = codes::Reason::TooManyRecipients;
        d.decided_at = Stage::Rcpt;
        d.rcpt = rcpt;
        tx_.recipients.push_back(rcpt);
        v.log.push_back(std::move(over));
        Verdict out = refuse(d, std::move(v));
        if (tx_.non_smtp) tx_.recipients.pop_back();
        return out;
    }
    tx_.recipients.push_back(rcpt);

    auto r = ev.run(Stage::Rcpt, st.limit());
    absorb(r, v, st.msg.headers, st.msg.monitor);
    if (r.decision) {
        const Decision& d = *r.decision;
        if (d.action == Action::Accept) {
            // This recipient only: Continue tells the MTA to go on (SMFIS_ACCEPT
            // here would accept the whole message); `rule` names the acceptor.
            ++st.msg.rcpt_accepted;
            v.rule = ev.rule_name(d);
            return v;
        }
        if (d.action == Action::Discard || d.action == Action::Quarantine) {
            st.msg.final = d;
            note(v, " (at end of data)");
            return v;
        }
        return refuse(d, std::move(v));
    }
    // A held connect/HELO/MAIL refusal: the MAIL one is earlier in the file
    // (it was reached while only rules before the connection one ran). A
    // Discard/Quarantine of an earlier rule already decided the message.
    const std::optional<Decision>& held = st.msg.refusal ? st.msg.refusal : st.conn.refusal;
    if (held && held->index < std::min(index_of(st.msg.final), index_of(st.conn.final))) {
        Decision d = *held;
        d.rcpt = rcpt;
        v.log.push_back(ev.label(d) + " (held from " +
                        std::string(codes::stage_name(d.decided_at)) + ") => " +
                        ev.outcome(d, tx_.non_smtp ? Stage::EndOfData : st.at(Stage::Rcpt)));
        return refuse(d, std::move(v));
    }
    return v;
}

Verdict Session::data() {
    State& st = *state_;
    tx_.current_rcpt.clear();
    sync_fields(tx_);
    Verdict v;
    v.decided_at = v.delivered_at = Stage::Data;
    if (st.message_over()) return v;
    if (catch_up(Stage::Data, true, v) || st.message_over()) return v;
    if (st.msg.rcpt_accepted > 0 && st.msg.rcpt_accepted >= tx_.recipients.size()) return v;
    RuleEvaluator ev(*policy_, tx_);
    auto r = ev.run(Stage::Data, st.limit());
    absorb(r, v, st.msg.headers, st.msg.monitor);
    if (!r.decision) return v;
    const Decision& d = *r.decision;
    if (d.action == Action::Discard || d.action == Action::Quarantine) {
        st.msg.final = d;
        note(v, " (at end of data)");
        return v;
    }
    if (d.action == Action::Accept)
        st.msg.accepted = true;
    else
        st.msg.closed = true;
    return deliver(ev, d, st.at(Stage::Data), std::move(v));
}

void Session::header(std::string_view name, std::string_view value) {
    State& st = *state_;
    ++st.msg.headers_seen;
    // The message size counts every header as "Name: value" CRLF, stored or not.
    tx_.size += name.size() + value.size() + 4;
    if (tx_.headers.size() >= Limits::kMaxHeaders || value.size() > Limits::kMaxHeaderValue ||
        name.size() > Limits::kMaxValue) {
        ++st.msg.headers_unstored;  // counted, reported at end of message, never cut
        return;
    }
    tx_.headers.emplace_back(std::string(name), std::string(value));
}

void Session::body(std::string_view chunk) {
    State& st = *state_;
    st.msg.body_seen += chunk.size();
    tx_.size += chunk.size();
    // Keep the first body_limit bytes with CRLF and lone CR made LF, so that
    // body regexes see one kind of line end whatever the MTA sends; a CRLF
    // split between two chunks is joined through body_cr.
    const std::size_t limit = policy_->settings.body_limit;
    while (!chunk.empty() && tx_.body.size() < limit) {
        if (st.msg.body_cr && chunk.front() == '\n') chunk.remove_prefix(1);
        st.msg.body_cr = false;
        const std::size_t cr = std::min(chunk.find('\r'), chunk.size());
        const std::size_t take = std::min(cr, limit - tx_.body.size());
        tx_.body.append(chunk.substr(0, take));
        chunk.remove_prefix(take);
        if (take < cr || chunk.empty()) break;  // limit reached, or chunk done
        tx_.body += '\n';                       // the CR itself
        chunk.remove_prefix(1);
        st.msg.body_cr = true;
    }
}

Verdict Session::end_of_message() {
    State& st = *state_;
    tx_.current_rcpt.clear();
    sync_fields(tx_);
    Verdict v;
    v.decided_at = v.delivered_at = Stage::EndOfData;
    if (st.conn.closed || st.msg.closed) return v;
    if (catch_up(Stage::EndOfData, true, v) || st.conn.closed || st.msg.closed) return v;
    RuleEvaluator ev(*policy_, tx_);
    if (st.msg.headers_unstored)
        v.log.push_back(std::to_string(st.msg.headers_unstored) + " of " +
                        std::to_string(st.msg.headers_seen) +
                        " headers not kept for conditions (over the per-message bounds)");
    if (st.msg.body_seen > policy_->settings.body_limit && policy_->needs_body())
        v.log.push_back("body: first " + std::to_string(policy_->settings.body_limit) + " of " +
                        std::to_string(st.msg.body_seen) + " bytes kept for conditions");

    std::optional<Decision> decided;
    const bool all_accepted =
        st.msg.rcpt_accepted > 0 && st.msg.rcpt_accepted >= tx_.recipients.size();
    if (!st.msg.accepted && !st.conn.accepted && !all_accepted) {
        auto r = ev.run(Stage::EndOfData, st.limit());
        absorb(r, v, st.msg.headers, st.msg.monitor);
        decided = r.decision;
        if (!decided) {
            // Pending decisions, earliest rule first.
            for (const auto* p : {&st.msg.eom_refusal, &st.msg.final, &st.conn.final})
                if (*p && (!decided || (*p)->index < decided->index)) decided = **p;
            if (decided)
                v.log.push_back(ev.label(*decided) + " (from " +
                                std::string(codes::stage_name(decided->decided_at)) + ") => " +
                                ev.outcome(*decided, st.at(Stage::EndOfData)));
        }
    }
    if (decided) {
        v = deliver(ev, *decided, st.at(Stage::EndOfData), std::move(v));
        if (decided->action == Action::Accept) st.msg.accepted = true;
        if (refusal(decided->action)) st.msg.closed = true;
    }
    // Headers matter only when the message goes on.
    if (v.action == Action::Continue || v.action == Action::Accept ||
        v.action == Action::Quarantine) {
        HeaderList all;
        for (const HeaderList* l : {&st.conn.headers, &st.msg.headers})
            for (const auto& h : l->items) all.add(h, kMaxAddedHeaders);
        all.dropped += st.conn.headers.dropped + st.msg.headers.dropped;
        MarkList marks;
        for (const MarkList* l : {&st.conn.monitor, &st.msg.monitor})
            for (const auto& m : l->items) marks.add(m, kMaxMonitorHeaders);
        marks.dropped += st.conn.monitor.dropped + st.msg.monitor.dropped;
        v.add_headers = std::move(all.items);
        const std::string& mh = policy_->settings.monitor_header;
        if (!mh.empty())
            for (auto& m : marks.items) v.add_headers.emplace_back(mh, std::move(m));
        if (all.dropped)
            v.log.push_back(std::to_string(all.dropped) + " added headers dropped (at most " +
                            std::to_string(kMaxAddedHeaders) + " per message)");
        if (marks.dropped && !mh.empty())
            v.log.push_back(std::to_string(marks.dropped) + " monitor headers not added (at most " +
                            std::to_string(kMaxMonitorHeaders) + " per message)");
    }
    // The queue id belongs to this message; the next one gets its own "i".
    tx_.macros.erase("i");
    return v;
}

namespace {

bool marks_pending(const Policy& p, const MarkList& m) {
    return !p.settings.monitor_header.empty() && !m.items.empty();
}

}  // namespace

bool Session::settled(Stage stage) const {
    const State& st = *state_;
    if (stage == Stage::Rcpt || stage == Stage::EndOfData) return false;
    if (st.conn.closed) return true;
    const bool message = stage == Stage::Mail || stage == Stage::Data;
    if (message && st.msg.closed) return true;
    if (st.conn.refusal || st.conn.final || !st.conn.headers.items.empty() ||
        marks_pending(*policy_, st.conn.monitor))
        return false;
    if (message && (st.msg.refusal || st.msg.final || st.msg.eom_refusal ||
                    !st.msg.headers.items.empty() || marks_pending(*policy_, st.msg.monitor)))
        return false;
    if (st.conn.accepted || (message && st.msg.accepted)) return true;
    // Rules waiting for DNS answers run at a later call.
    if (st.deferred()) return false;
    // A rule at HELO runs again at the next HELO; DATA-stage rules have run
    // when data() returns, and end-of-data rules are skipped when every
    // recipient was accepted by a rule.
    if (stage == Stage::Data && st.msg.rcpt_accepted > 0 &&
        st.msg.rcpt_accepted >= tx_.recipients.size())
        return true;
    const Stage next = stage == Stage::Connect || stage == Stage::Helo ? Stage::Helo
                       : stage == Stage::Mail                          ? Stage::Rcpt
                                                                       : Stage::EndOfData;
    return policy_->first_rule_from(next) >= std::min(st.limit(), policy_->rules.size());
}

bool Session::defer() const {
    return state_->holds(policy_->settings) && tx_.dns != nullptr;
}

void Session::abort() {
    state_->msg = MessageState{};
    tx_.declared_size = 0;
    tx_.macros.erase("i");
    reset_message_fields(tx_);
}

void Session::hold_early_refusals(std::optional<bool> hold) {
    state_->hold = hold;
}

void Session::deliver_at(std::optional<Stage> stage) {
    state_->deliver_at = stage;
}

Verdict Session::take_pending(Stage at, bool refusals, bool finals) {
    State& st = *state_;
    sync_fields(tx_);
    Verdict v;
    v.decided_at = v.delivered_at = at;
    if (st.message_over()) return v;
    // The earliest rule of what is kept for later, as end_of_message() and
    // rcpt() would pick it.
    std::optional<Decision> d;
    const auto consider = [&](const std::optional<Decision>& p, bool wanted) {
        if (wanted && p && (!d || p->index < d->index)) d = *p;
    };
    consider(st.msg.refusal, refusals);
    consider(st.conn.refusal, refusals);
    consider(st.msg.eom_refusal, refusals);
    consider(st.msg.final, finals);
    consider(st.conn.final, finals);
    if (!d) return v;
    // A kept decision of an earlier rule than the one asked for wins over it
    // (flat first-match reading): do not deliver a later one out of order.
    for (const auto* p :
         {&st.msg.refusal, &st.conn.refusal, &st.msg.eom_refusal, &st.msg.final, &st.conn.final})
        if (*p && (*p)->index < d->index) return v;
    RuleEvaluator ev(*policy_, tx_);
    d->rcpt = tx_.current_rcpt;
    v.log.push_back(ev.label(*d) + " (from " + std::string(codes::stage_name(d->decided_at)) +
                    ") => " + ev.outcome(*d, at));
    v = deliver(ev, *d, at, std::move(v));
    st.msg.closed = true;
    return v;
}

std::vector<std::pair<std::string, std::string>> Session::pending_headers() const {
    const State& st = *state_;
    HeaderList all;
    for (const HeaderList* l : {&st.conn.headers, &st.msg.headers})
        for (const auto& h : l->items) all.add(h, kMaxAddedHeaders);
    MarkList marks;
    for (const MarkList* l : {&st.conn.monitor, &st.msg.monitor})
        for (const auto& m : l->items) marks.add(m, kMaxMonitorHeaders);
    const std::string& mh = policy_->settings.monitor_header;
    if (!mh.empty())
        for (auto& m : marks.items) all.items.emplace_back(mh, std::move(m));
    return std::move(all.items);
}

}  // namespace mv::policy
