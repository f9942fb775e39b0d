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
    // The rule that decided the current recipient at RCPT (or would, in
    // global monitor mode): a would-be decision of a later rule kept from
    // earlier stages is not this recipient's.
    std::size_t rcpt_decided = kNoRule;
    std::vector<Stage> dns_due;  // stages whose lookups are not started yet
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

// A copy of a log line with a note at its end.
LogLine with_note(LogLine l, const char* text) {
    l.text += text;
    return l;
}

// Say on the decision's log line that it is not delivered now.
void note(Verdict& v, const char* text) {
    if (!v.log.empty()) v.log.back().text += text;
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

// The earlier rule a decision of rule `i` reached at `at` waits for: the
// first rule before `i` in the file with a final action that runs after `at`
// (Policy::first_final_after: for a refusal, of the stages it waits for;
// with `enforcing_only`, not a monitored one) and can still match with the
// data of the stages up to `known` (Condition::ruled_out: "sender is x and
// size over N" cannot, once the sender is another). kNoRule when none.
std::size_t Session::waits_for(std::size_t i, Stage at, bool enforcing_only, bool for_refusal,
                               Stage known) const {
    const auto& rules = policy_->rules;
    for (std::size_t j = policy_->first_final_after(at, enforcing_only, for_refusal); j < i; ++j) {
        const Rule& r = rules[j];
        if (r.action == Action::Continue || r.stage <= at) continue;
        if (enforcing_only && r.monitor) continue;
        if (for_refusal && r.stage > Stage::Rcpt && at <= Stage::Rcpt) continue;
        if (r.when && r.when->ruled_out(tx_, known)) continue;
        return j;
    }
    return kNoRule;
}

// The data a decision of a rule of stage `at`, reached now, may rely on to
// rule out an earlier rule: a connect or HELO decision is the connection's
// (another HELO or message may change what a later stage saw), so only the
// connect data; a MAIL decision its own stage's (a rule caught up at a later
// call runs with the recipients hidden, catch_up()).
Stage Session::known_at(Stage at) {
    return at < Stage::Mail ? Stage::Connect : at;
}

// The rule that must decide before rule `i` (action `a`), reached at `at`,
// may (waits_for); `known`: the stage whose data it may rely on (default
// `at`, the call it is checked at).
std::size_t Session::blocker(std::size_t i, Stage at, Action a, std::optional<Stage> known) const {
    return waits_for(i, at, false, refusal(a), known.value_or(at));
}

std::string Session::waits_note(std::size_t j) const {
    return " (waits for rule #" + std::to_string(j + 1) + " " + policy_->rules[j].name + ")";
}

// Rules at or after this index are not decided yet because a rule's DNS
// answers were not in (delay_reject): nothing after it may be taken as final.
std::size_t Session::deferred_bound() const {
    const State& st = *state_;
    std::size_t bound = kNoRule;
    for (const auto* q : {&st.conn.deferred, &st.msg.deferred})
        for (const Deferred& d : *q)
            for (const std::size_t i : policy_->rules_at(d.stage))
                if (i >= d.from) {
                    bound = std::min(bound, i);
                    break;
                }
    return bound;
}

// Every recipient was accepted by a rule: rules after the earliest of those
// never decide the message (DATA and end-of-data rules before it still run).
// Global monitor mode counts the recipients rules would have accepted or
// refused the same way (a refused one would not be in the message; with none
// left, enforcement never reaches DATA: no rule after RCPT decides).
std::size_t Session::accept_bound() const {
    const State& st = *state_;
    const std::size_t accepted = st.msg.rcpt_accepted + st.msg.shadow_accepted;
    const std::size_t left =
        st.msg.rcpts_hidden
            ? tx_.recipients.size()
            : tx_.recipients.size() - std::min(tx_.recipients.size(), st.msg.shadow_refused);
    if (st.msg.shadow_refused > 0 && left == 0) return 0;
    return accepted > 0 && accepted >= left
               ? std::min(st.msg.rcpt_accept_min, st.msg.shadow_accept_min)
               : kNoRule;
}

// Global monitor: at DATA and end of data the rules see the message that
// enforcement would have, without the recipients a rule would have refused
// at RCPT (enforcement removes a refused recipient, rcpt()); the caller's
// Transaction gets them back when the call returns (the decision log names
// every recipient of the real message).
class Session::HiddenRecipients {
  public:
    HiddenRecipients(Transaction& tx, MessageState& msg) : tx_(tx), msg_(msg) {
        if (msg_.shadow_refused_rcpts.empty()) return;
        saved_ = tx_.recipients;
        for (const auto& r : msg_.shadow_refused_rcpts)
            if (auto it = std::find(tx_.recipients.begin(), tx_.recipients.end(), r);
                it != tx_.recipients.end())
                tx_.recipients.erase(it);
        msg_.rcpts_hidden = true;
    }
    ~HiddenRecipients() {
        if (!msg_.rcpts_hidden) return;
        tx_.recipients = std::move(saved_);
        msg_.rcpts_hidden = false;
    }
    HiddenRecipients(const HiddenRecipients&) = delete;
    HiddenRecipients& operator=(const HiddenRecipients&) = delete;

  private:
    Transaction& tx_;
    MessageState& msg_;
    std::vector<std::string> saved_;
};

// Non-SMTP: a refusal of the envelope (connect..RCPT) moved to end of data is
// not overridden by a DATA or end-of-data rule (it would not wait for one in
// an SMTP session, Policy::first_final_after): no content rule decides.
std::size_t Session::content_bound() const {
    const auto& e = state_->msg.eom_refusal;
    return e && e->decided_at <= Stage::Rcpt ? 0 : kNoRule;
}

// The decision kept for later by the earliest rule below `below`, or null.
std::optional<Decision>* Session::earliest_held(std::size_t below) {
    State& st = *state_;
    std::optional<Decision>* best = nullptr;
    for (auto* p : {&st.conn.accept, &st.conn.refusal, &st.conn.final, &st.msg.accept,
                    &st.msg.refusal, &st.msg.final, &st.msg.eom_refusal})
        if (*p && (*p)->index < below && (!best || (*p)->index < (*best)->index)) best = p;
    return best;
}

void Session::hook(RuleEvaluator& ev) {
    if (tx_.dns && !state_->dns_due.empty()) ev.before_dns([this] { start_dns(); });
}

// Lookups start when a rule that reads DNS is about to run, or at the end of
// a call while such a rule can still decide: never for mail already decided.
void Session::start_dns() {
    State& st = *state_;
    for (const Stage s : st.dns_due) tx_.dns->start(s, tx_);
    st.dns_due.clear();
}

void Session::due_dns(Stage s) {
    if (!tx_.dns) return;
    auto& d = state_->dns_due;
    if (std::find(d.begin(), d.end(), s) == d.end()) d.push_back(s);
}

// Merge a stage's contributions (rules run as at `stage`, during the call of
// stage `now`) into the verdict of the call and the connection- or
// message-level lists. A monitored rule's would-be decision is reported at
// once when no earlier enforcing rule can still decide in its place, else it
// waits for release_would().
void Session::absorb(StageResult& r, Verdict& v, Stage stage, Stage now) {
    State& st = *state_;
    const bool message = stage >= Stage::Mail;
    HeaderList& headers = message ? st.msg.headers : st.conn.headers;
    for (auto& h : r.headers) headers.add(std::move(h), kMaxAddedHeaders);
    std::size_t next = 0;
    for (std::size_t i = 0; i <= r.log.size(); ++i) {
        while (next < r.would.size() && r.would[next].log_pos <= i) {
            Tentative& t = r.would[next++];
            // Global monitor: the would-be decision of a rule enforcement
            // would run bounds the rules after it as a decision would.
            const bool shadow = policy_->settings.monitor && !policy_->rules[t.index].monitor;
            if (shadow && t.stage != Stage::Rcpt) {
                std::size_t& b = t.stage >= Stage::Mail ? st.msg.shadow : st.conn.shadow;
                b = std::min(b, t.index);
            }
            if (waits_for(t.index, t.stage, true, refusal(t.would.action), known_at(t.stage)) !=
                kNoRule) {
                (now >= Stage::Mail ? st.msg.would : st.conn.would).push_back(std::move(t));
                continue;
            }
            if (held_for_rcpt(t, now)) {
                // Enforcement would hold it (delay_reject) and refuse each
                // recipient no earlier rule decides: reported there, each time.
                if (now != Stage::Rcpt) v.log.push_back(with_note(t.log, " (held until RCPT)"));
                (now >= Stage::Mail ? st.msg.rcpt_would : st.conn.rcpt_would)
                    .push_back(std::move(t));
                continue;
            }
            if (shadow && refusal(t.would.action)) close_shadow(t.stage, now);
            if (shadow && t.stage == Stage::Rcpt) {
                st.rcpt_decided = std::min(st.rcpt_decided, t.index);
                if (t.would.action == Action::Accept) {
                    ++st.msg.shadow_accepted;
                    st.msg.shadow_accept_min = std::min(st.msg.shadow_accept_min, t.index);
                } else if (refusal(t.would.action)) {
                    ++st.msg.shadow_refused;
                    st.msg.shadow_refused_rcpts.push_back(tx_.current_rcpt);
                }
            }
            report(t, v, true);
        }
        if (i < r.log.size()) v.log.push_back(std::move(r.log[i]));
    }
    // One call may run several stages' rules (a deferred rule caught up at
    // RCPT, then the RCPT rules): their times add up.
    v.timing.evaluated = v.timing.evaluated || r.timing.evaluated;
    v.timing.engine += r.timing.engine;
    v.timing.state_wait += r.timing.state_wait;
    v.timing.dns_wait += r.timing.dns_wait;
}

void Session::report(Tentative& t, Verdict& v, bool log) {
    State& st = *state_;
    if (log) v.log.push_back(std::move(t.log));
    (t.stage >= Stage::Mail ? st.msg.monitor : st.conn.monitor)
        .add(std::move(t.header), kMaxMonitorHeaders);
    v.would.push_back(std::move(t.would));
    v.monitor = true;
}

// A would-be refusal of connect, HELO or MAIL that enforcement would deliver
// at each RCPT (held by delay_reject, or released at RCPT after waiting for
// an earlier RCPT rule) rather than once, now.
bool Session::held_for_rcpt(const Tentative& t, Stage now) const {
    if (!refusal(t.would.action) || t.stage >= Stage::Rcpt || tx_.non_smtp) return false;
    return now == Stage::Rcpt || (now <= Stage::Mail && state_->holds(policy_->settings));
}

// Global monitor: a refusal of a connect rule, or one enforcement would
// deliver now at MAIL or DATA, ends the connection or the message: no rule
// would run after it (a HELO refusal is not sticky: another HELO may follow).
void Session::close_shadow(Stage at, Stage now) {
    State& st = *state_;
    if (at == Stage::Connect)
        st.conn.shadow = 0;
    else if (now == Stage::Mail || now == Stage::Data)
        st.msg.shadow = 0;
}

// At RCPT: each would-be refusal held for every recipient is this
// recipient's unless an earlier rule decided it (or would, in global monitor
// mode: the first such rule's would-be is then the recipient's, the ones
// after it are not); it stays for the next recipients. One an earlier
// enforcing decision overrides for the whole message is dropped (a line
// says so).
void Session::release_rcpt_would(Verdict& v) {
    State& st = *state_;
    auto& list = st.msg.rcpt_would;
    const std::size_t decided = st.limit();
    std::vector<Tentative> keep;
    for (Tentative& t : list) {
        if (t.index > decided) {
            v.log.push_back("rule #" + std::to_string(t.index + 1) + " " + t.would.rule +
                            " (monitor): would-be decision not reported, rule #" +
                            std::to_string(decided + 1) + " " + policy_->rules[decided].name +
                            " decides first");
            continue;
        }
        keep.push_back(std::move(t));
    }
    list = std::move(keep);
    std::sort(list.begin(), list.end(),
              [](const Tentative& a, const Tentative& b) { return a.index < b.index; });
    const std::size_t wait = deferred_bound();
    RuleEvaluator ev(*policy_, tx_);
    for (const Tentative& held : list) {
        if (held.index > st.rcpt_decided || held.index > wait) break;
        Tentative t = held;
        t.decision.rcpt = tx_.current_rcpt;
        t.would.reply = ev.reply(t.decision, st.at(Stage::Rcpt));
        t.log.text = ev.label(t.decision) + " (monitor, held from " +
                     std::string(codes::stage_name(t.stage)) + ") would " +
                     ev.outcome(t.decision, st.at(Stage::Rcpt));
        if (const Rule& rule = policy_->rules[t.index]; !rule.log.empty())
            t.log.text += " - " + ev.expand(rule.log, rule.name, t.decision.rcpt, &t.decision);
        if (policy_->settings.monitor && !policy_->rules[t.index].monitor) {
            st.rcpt_decided = t.index;
            ++st.msg.shadow_refused;
            st.msg.shadow_refused_rcpts.push_back(tx_.current_rcpt);
        }
        report(t, v, true);
    }
}

// Would-be decisions kept because an earlier rule was undecided: reported
// once none is, dropped (a line says so) when an earlier rule decided.
void Session::release_would(Stage now, Verdict& v) {
    State& st = *state_;
    const bool message = now >= Stage::Mail;
    auto& list = message ? st.msg.would : st.conn.would;
    release_would_list(now, v, list);
    // Released at RCPT, a waiting refusal joined the held ones.
    if (now == Stage::Rcpt && !st.message_over()) release_rcpt_would(v);
}

void Session::release_would_list(Stage now, Verdict& v, std::vector<Tentative>& list) {
    State& st = *state_;
    const bool message = now >= Stage::Mail;
    if (list.empty()) return;
    const bool over = message ? st.message_over() : st.connection_over();
    std::size_t decided = std::min(st.limit(), now >= Stage::Data ? accept_bound() : kNoRule);
    const std::size_t wait = deferred_bound();
    std::vector<Tentative> keep;
    for (Tentative& t : list) {
        if (over || t.index > decided) {
            std::string by =
                decided < policy_->rules.size()
                    ? "rule #" + std::to_string(decided + 1) + " " + policy_->rules[decided].name
                    : (v.rule.empty() ? std::string("an earlier rule") : "rule " + v.rule);
            v.log.push_back({"rule #" + std::to_string(t.index + 1) + " " + t.would.rule +
                                 " (monitor): would-be decision not reported, " + by +
                                 " decides first",
                             t.would.rule, "", false});
            continue;
        }
        if (t.index > wait ||
            waits_for(t.index, now, true, refusal(t.would.action), now) != kNoRule) {
            keep.push_back(std::move(t));
            continue;
        }
        if (held_for_rcpt(t, now)) {
            if (now != Stage::Rcpt) v.log.push_back(with_note(t.log, " (held until RCPT)"));
            (message ? st.msg.rcpt_would : st.conn.rcpt_would).push_back(std::move(t));
            continue;
        }
        if (now == Stage::Rcpt && t.index > st.rcpt_decided) {
            keep.push_back(std::move(t));
            continue;
        }
        if (refusal(t.would.action) && policy_->settings.monitor &&
            !policy_->rules[t.index].monitor)
            close_shadow(t.stage, now);
        report(t, v, true);
    }
    list = std::move(keep);
}

// End of every call: would-be decisions, and the DNS lookups of rules that can
// still decide (their keys are known now; nothing later waits for them to start).
void Session::finish(Stage now, Verdict& v) {
    State& st = *state_;
    release_would(now, v);
    if (!tx_.dns || st.dns_due.empty()) return;
    const bool over = now >= Stage::Mail ? st.message_over() : st.connection_over();
    if (!over && policy_->first_dns_from(now) < st.limit()) start_dns();
}

// A decision of a connect, HELO or MAIL rule (`at`), reached during the call
// of stage `now`: hold it, or put it in `v`. True when `v` is to be delivered.
bool Session::settle(Stage at, const Decision& d, const RuleEvaluator& ev, Stage now, Verdict& v) {
    State& st = *state_;
    const bool message = at == Stage::Mail;
    const std::size_t j = blocker(d.index, at, d.action, known_at(at));
    // At HELO only rules before any held decision ran, so a new decision comes
    // first in the file and replaces the held one (a flat evaluation never
    // reaches it).
    if (at == Stage::Helo)
        for (auto* p : {&st.conn.refusal, &st.conn.final, &st.conn.accept})
            if (*p && (*p)->index > d.index) p->reset();
    if (d.action == Action::Accept) {
        if (j != kNoRule) {
            // An earlier rule needs later data: it decides first.
            (message ? st.msg.accept : st.conn.accept) = d;
            note(v, waits_note(j).c_str());
            return false;
        }
        (message ? st.msg.accepted : st.conn.accepted) = true;
        v = deliver(ev, d, st.at(now), std::move(v));
        return true;
    }
    if (d.action == Action::Discard || d.action == Action::Quarantine) {
        if (message) {
            st.msg.final = d;
            note(v, " (at end of data)");
            return false;
        }
        st.conn.final = d;
        note(v, " (at end of data of each message)");
        return false;
    }
    const bool holds = st.holds(policy_->settings);
    if (holds || j != kNoRule) {
        (message ? st.msg.refusal : st.conn.refusal) = d;
        if (holds) note(v, " (held until RCPT)");
        // Held past RCPT, or not held by delay_reject: say what it waits for.
        if (j != kNoRule && (!holds || policy_->rules[j].stage > Stage::Rcpt))
            note(v, waits_note(j).c_str());
        return false;
    }
    // At once. A HELO refusal is not sticky: another HELO is evaluated afresh.
    if (at == Stage::Connect) st.conn.closed = true;
    if (message) st.msg.closed = true;
    v = deliver(ev, d, st.at(now), std::move(v));
    return true;
}

// After the rules of `now` (HELO, MAIL or DATA) decided nothing: the decision
// kept by the earliest rule, when no earlier rule can still decide, goes out
// now (an Accept; a refusal that is not held for RCPT). True when `v` is to be
// delivered.
bool Session::release(Stage now, Verdict& v) {
    State& st = *state_;
    std::optional<Decision>* e = earliest_held(now >= Stage::Data ? accept_bound() : kNoRule);
    if (!e) return false;
    const Decision d = **e;
    if (d.index > deferred_bound() || blocker(d.index, now, d.action, known_at(now)) != kNoRule)
        return false;
    const bool message = now >= Stage::Mail;
    if (d.action == Action::Accept) {
        (message ? st.msg.accepted : st.conn.accepted) = true;
        if (!message) st.conn.accept.reset();
    } else if (refusal(d.action)) {
        // Non-SMTP: refusals go out at end of data only (session.hpp).
        if (tx_.non_smtp) return false;
        if (e == &st.msg.eom_refusal) {
            if (now != Stage::Data) return false;
        } else if (now < Stage::Rcpt && st.holds(policy_->settings)) {
            return false;
        }
        // A connection's refusal stays for the next HELO and message.
        if (message) st.msg.closed = true;
    } else {
        return false;  // Discard, Quarantine: at end of data
    }
    RuleEvaluator ev(*policy_, tx_);
    v.log.push_back({ev.label(d) + " (from " + std::string(codes::stage_name(d.decided_at)) +
                         ") => " + ev.outcome(d, st.at(now)),
                     ev.rule_name(d), std::string(action_name(d.action)), false});
    v = deliver(ev, d, st.at(now), std::move(v));
    return true;
}

// Runs the rules of `stage` from `from` on as at that stage. With
// delay_reject and DNS, a rule whose answers are not in stops the run and is
// queued with the rest. True when `v` is to be delivered.
bool Session::run_stage(Stage stage, std::size_t from, bool defer, Stage now, Verdict& v,
                        std::size_t bound) {
    State& st = *state_;
    RuleEvaluator ev(*policy_, tx_);
    hook(ev);
    auto r = ev.run(stage, std::min(st.limit(), bound), from, defer);
    const bool message = stage == Stage::Mail;
    // Tried again at every command until its answers are in: say it once.
    if (r.suspended && *r.suspended == st.last_suspended && !r.log.empty()) r.log.pop_back();
    if (r.suspended) st.last_suspended = *r.suspended;
    absorb(r, v, stage, now);
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
    due_dns(Stage::Connect);
    run_stage(Stage::Connect, 0, defer(), Stage::Connect, v);
    finish(Stage::Connect, v);
    return v;
}

Verdict Session::helo(std::string_view name) {
    State& st = *state_;
    tx_.helo.assign(name.data(), name.size());
    sync_fields(tx_);
    Verdict v;
    v.decided_at = v.delivered_at = Stage::Helo;
    if (st.connection_over()) return v;
    due_dns(Stage::Helo);
    // An earlier HELO still queued is evaluated with this name: a later HELO
    // replaces an earlier one.
    const bool queued = std::any_of(st.conn.deferred.begin(), st.conn.deferred.end(),
                                    [](const Deferred& d) { return d.stage == Stage::Helo; });
    const auto done = [&] {
        finish(Stage::Helo, v);
        return v;
    };
    if (catch_up(Stage::Helo, false, v) || st.connection_over()) return done();
    if (st.deferred()) {
        if (!queued) st.conn.deferred.push_back({Stage::Helo, 0});
        return done();
    }
    if (!queued && run_stage(Stage::Helo, 0, defer(), Stage::Helo, v)) return done();
    if (!st.deferred()) release(Stage::Helo, v);
    return done();
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
    // Would-be decisions of connection rules waiting for later rules: each
    // message has its own.
    st.msg.would = st.conn.would;
    st.msg.rcpt_would = st.conn.rcpt_would;
    if (tx_.dns) tx_.dns->new_message();
    due_dns(Stage::Mail);
    const auto done = [&] {
        finish(Stage::Mail, v);
        return v;
    };
    if (catch_up(Stage::Mail, false, v) || st.message_over()) return done();
    if (st.deferred()) {
        // The MAIL rules written before the rule waiting for DNS come first
        // in the file: they run now (an accept of authenticated senders
        // decides without waiting for a list lookup written after it); the
        // rest runs after the waiting rule.
        const std::size_t bound = deferred_bound();
        const std::size_t queued = st.msg.deferred.size();
        if (run_stage(Stage::Mail, 0, defer(), Stage::Mail, v, bound)) return done();
        if (!st.message_over() && st.msg.deferred.size() == queued)
            st.msg.deferred.push_back({Stage::Mail, std::min(bound, st.limit())});
        return done();
    }
    if (run_stage(Stage::Mail, 0, defer(), Stage::Mail, v)) return done();
    if (!st.deferred()) release(Stage::Mail, v);
    return done();
}

Verdict Session::rcpt(std::string_view recipient) {
    State& st = *state_;
    sync_fields(tx_);
    Verdict v;
    v.decided_at = v.delivered_at = Stage::Rcpt;
    if (st.message_over()) return v;
    const std::string rcpt(strip_address(recipient));
    tx_.current_rcpt = rcpt;
    st.rcpt_decided = kNoRule;
    const auto done = [&](Verdict out) {
        finish(Stage::Rcpt, out);
        return out;
    };
    // What waited for DNS since connect, HELO or MAIL runs before the RCPT
    // rules written after it, waiting now; the RCPT rules written before it
    // come first in the file and run first (an accept of postmaster does not
    // wait for a list lookup written after it).
    const std::size_t early = st.deferred() ? deferred_bound() : 0;
    due_dns(Stage::Rcpt);
    RuleEvaluator ev(*policy_, tx_);
    hook(ev);

    // Refuse (or, non-SMTP, remember for end of data) a recipient.
    const auto refuse = [&](const Decision& d, Verdict out) {
        if (tx_.non_smtp) {
            if (!st.msg.eom_refusal || d.index < st.msg.eom_refusal->index) st.msg.eom_refusal = d;
            out.log.push_back({ev.label(d) + " => " + ev.outcome(d, st.at(Stage::EndOfData)) +
                                   " (non-SMTP: delivered at end of data)",
                               ev.rule_name(d), std::string(action_name(d.action)), false});
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

    // This recipient accepted by rule `d` (at RCPT or held from earlier):
    // Continue tells the MTA to go on (SMFIS_ACCEPT here would accept the
    // whole message); `rule` names the acceptor.
    const auto accept_rcpt = [&](const Decision& d) {
        ++st.msg.rcpt_accepted;
        st.msg.rcpt_accept_min = std::min(st.msg.rcpt_accept_min, d.index);
        v.rule = ev.rule_name(d);
        v.decided_at = d.decided_at;
    };

    StageResult r;
    if (early > 0) {
        r = ev.run(Stage::Rcpt, std::min(st.limit(), early));
        absorb(r, v, Stage::Rcpt, Stage::Rcpt);
    }
    if (!r.decision) {
        if (catch_up(Stage::Rcpt, true, v) || st.message_over()) return done(std::move(v));
        r = ev.run(Stage::Rcpt, st.limit(), early);
        absorb(r, v, Stage::Rcpt, Stage::Rcpt);
    }
    if (r.decision) {
        const Decision& d = *r.decision;
        st.rcpt_decided = std::min(st.rcpt_decided, d.index);
        if (d.action == Action::Accept) {
            accept_rcpt(d);
            return done(std::move(v));
        }
        if (d.action == Action::Discard || d.action == Action::Quarantine) {
            st.msg.final = d;
            note(v, " (at end of data)");
            return done(std::move(v));
        }
        // A recipient's refusal waits for no DATA or end-of-data rule
        // (Policy::first_final_after): it goes out now.
        return done(refuse(d, std::move(v)));
    }
    // The decision held from connect, HELO or MAIL by the earliest rule, when
    // no earlier rule is still undecided: this recipient's.
    if (std::optional<Decision>* e = earliest_held(kNoRule);
        e && blocker((*e)->index, Stage::Rcpt, (*e)->action) == kNoRule) {
        Decision d = **e;
        d.rcpt = rcpt;
        const std::string from =
            " (held from " + std::string(codes::stage_name(d.decided_at)) + ")";
        if (d.action == Action::Accept) {
            v.log.push_back({ev.label(d) + from + " => accept (this recipient)", ev.rule_name(d),
                             "accept", false});
            accept_rcpt(d);
        } else if (refusal(d.action) && e != &st.msg.eom_refusal) {
            v.log.push_back(
                {ev.label(d) + from + " => " +
                     ev.outcome(d, tx_.non_smtp ? Stage::EndOfData : st.at(Stage::Rcpt)),
                 ev.rule_name(d), std::string(action_name(d.action)), false});
            return done(refuse(d, std::move(v)));
        }
    }
    return done(std::move(v));
}

Verdict Session::data() {
    State& st = *state_;
    tx_.current_rcpt.clear();
    sync_fields(tx_);
    Verdict v;
    v.decided_at = v.delivered_at = Stage::Data;
    if (st.message_over()) return v;
    const HiddenRecipients hidden(tx_, st.msg);
    const auto done = [&] {
        finish(Stage::Data, v);
        return v;
    };
    // Rules still waiting for DNS answers are caught up, unless every
    // recipient was accepted by an earlier rule: they can no longer decide
    // the message, nothing waits for their lookups.
    if ((accept_bound() >= deferred_bound() && catch_up(Stage::Data, true, v)) || st.message_over())
        return done();
    RuleEvaluator ev(*policy_, tx_);
    hook(ev);
    auto r = ev.run(Stage::Data, std::min({st.limit(), accept_bound(), content_bound()}));
    absorb(r, v, Stage::Data, Stage::Data);
    if (!r.decision) {
        release(Stage::Data, v);
        return done();
    }
    const Decision& d = *r.decision;
    if (d.action == Action::Discard || d.action == Action::Quarantine) {
        st.msg.final = d;
        note(v, " (at end of data)");
        return done();
    }
    if (const std::size_t j = blocker(d.index, Stage::Data, d.action); j != kNoRule) {
        // An earlier end-of-data rule decides first.
        if (d.action == Action::Accept)
            st.msg.accept = d;
        else if (!st.msg.eom_refusal || d.index < st.msg.eom_refusal->index)
            st.msg.eom_refusal = d;
        note(v, waits_note(j).c_str());
        return done();
    }
    if (d.action == Action::Accept)
        st.msg.accepted = true;
    else
        st.msg.closed = true;
    v = deliver(ev, d, st.at(Stage::Data), std::move(v));
    return done();
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
    const HiddenRecipients hidden(tx_, st.msg);
    if ((accept_bound() >= deferred_bound() && catch_up(Stage::EndOfData, true, v)) ||
        st.conn.closed || st.msg.closed) {
        finish(Stage::EndOfData, v);
        return v;
    }
    RuleEvaluator ev(*policy_, tx_);
    hook(ev);
    if (st.msg.headers_unstored)
        v.log.push_back(std::to_string(st.msg.headers_unstored) + " of " +
                        std::to_string(st.msg.headers_seen) +
                        " headers not kept for conditions (over the per-message bounds)");
    if (st.msg.body_seen > policy_->settings.body_limit && policy_->needs_body())
        v.log.push_back("body: first " + std::to_string(policy_->settings.body_limit) + " of " +
                        std::to_string(st.msg.body_seen) + " bytes kept for conditions");

    std::optional<Decision> decided;
    if (!st.msg.accepted && !st.conn.accepted) {
        const std::size_t bound = accept_bound();
        auto r = ev.run(Stage::EndOfData, std::min({st.limit(), bound, content_bound()}));
        absorb(r, v, Stage::EndOfData, Stage::EndOfData);
        decided = r.decision;
        if (!decided) {
            // Kept decisions, earliest rule first: nothing is left to decide
            // before them now.
            if (std::optional<Decision>* e = earliest_held(bound)) decided = **e;
            if (decided)
                v.log.push_back({ev.label(*decided) + " (from " +
                                     std::string(codes::stage_name(decided->decided_at)) + ") => " +
                                     ev.outcome(*decided, st.at(Stage::EndOfData)),
                                 ev.rule_name(*decided), std::string(action_name(decided->action)),
                                 false});
        }
    }
    if (decided) {
        v = deliver(ev, *decided, st.at(Stage::EndOfData), std::move(v));
        if (decided->action == Action::Accept) st.msg.accepted = true;
        if (refusal(decided->action)) st.msg.closed = true;
    }
    release_would(Stage::EndOfData, v);
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
        marks_pending(*policy_, st.conn.monitor) || !st.conn.would.empty() ||
        !st.conn.rcpt_would.empty())
        return false;
    if (message && (st.msg.refusal || st.msg.final || st.msg.eom_refusal ||
                    !st.msg.headers.items.empty() || marks_pending(*policy_, st.msg.monitor) ||
                    !st.msg.would.empty() || !st.msg.rcpt_would.empty()))
        return false;
    if (st.conn.accepted || (message && st.msg.accepted)) return true;
    // Rules waiting for DNS answers run at a later call.
    if (st.deferred()) return false;
    // A rule at HELO runs again at the next HELO; DATA-stage rules have run
    // when data() returns, and end-of-data rules after the earliest rule that
    // accepted a recipient are skipped when every recipient was accepted.
    // A held Accept counts in limit(): rules after it never run, and the
    // rules before it that it waits for are rules still to run.
    const Stage next = stage == Stage::Connect || stage == Stage::Helo ? Stage::Helo
                       : stage == Stage::Mail                          ? Stage::Rcpt
                                                                       : Stage::EndOfData;
    std::size_t bound = st.limit();
    if (stage == Stage::Data) bound = std::min(bound, accept_bound());
    return policy_->first_rule_from(next) >= std::min(bound, policy_->rules.size());
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
    // (flat first-match reading): do not deliver a later one out of order;
    // nor one an earlier rule still undecided at `at` may override.
    for (const auto* p : {&st.msg.refusal, &st.conn.refusal, &st.msg.eom_refusal, &st.msg.final,
                          &st.conn.final, &st.msg.accept, &st.conn.accept})
        if (*p && (*p)->index < d->index) return v;
    if (refusal(d->action) &&
        (blocker(d->index, at, d->action) != kNoRule || d->index > deferred_bound()))
        return v;
    RuleEvaluator ev(*policy_, tx_);
    d->rcpt = tx_.current_rcpt;
    v.log.push_back({ev.label(*d) + " (from " + std::string(codes::stage_name(d->decided_at)) +
                         ") => " + ev.outcome(*d, at),
                     ev.rule_name(*d), std::string(action_name(d->action)), false});
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
