// session.cpp - the per-connection state machine of the policy engine.
//
// Semantics are documented in session.hpp. Internally a decision that is not
// delivered at once is kept as a Decision with its rule index; every later
// stage evaluates only the rules that come before the earliest such pending
// decision (limit()), so the result is the one a flat first-match evaluation
// of the rule file would give, stage by stage.
#include "policy/session.hpp"

#include <algorithm>
#include <optional>

#include "codes/reply_text.hpp"
#include "policy/address.hpp"
#include "policy/rule_evaluator.hpp"

namespace mv::policy {

namespace {

using codes::Stage;

constexpr std::size_t kBodyMax = 64 * 1024;     // bytes of body kept for conditions
constexpr std::size_t kMaxMonitorHeaders = 16;  // per message
constexpr std::size_t kMaxAddedHeaders = 64;    // add_headers per message, after dedup

bool refusal(Action a) {
    return a == Action::Reject || a == Action::Tempfail;
}

std::size_t index_of(const std::optional<Decision>& d) {
    return d ? d->index : kNoRule;
}

}  // namespace

struct Session::State {
    // Connection lifetime.
    bool conn_accepted = false;            // Accept at connect/HELO
    bool conn_closed = false;              // refusal delivered at connect
    std::optional<Decision> conn_refusal;  // held (delay_reject) from connect/HELO
    std::optional<Decision> conn_final;    // Discard/Quarantine from connect/HELO
    std::vector<std::pair<std::string, std::string>> conn_headers;
    std::vector<std::string> conn_monitor;  // monitor header values
    // Message lifetime (reset by mail() and abort()).
    bool msg_accepted = false;            // Accept at MAIL, DATA or end of data
    bool msg_closed = false;              // refusal delivered at MAIL/DATA/end of data
    std::optional<Decision> msg_refusal;  // held from MAIL (delivered at each RCPT)
    std::optional<Decision> msg_final;    // Discard/Quarantine
    std::optional<Decision> eom_refusal;  // non-SMTP: refusal moved to end of data
    std::size_t rcpt_accepted = 0;        // recipients accepted by a rule
    std::size_t headers_seen = 0;         // all header() calls, stored or not
    std::size_t headers_unstored = 0;     // beyond kMaxHeaders or kMaxHeaderValue
    std::size_t body_seen = 0;            // body bytes received
    std::vector<std::pair<std::string, std::string>> msg_headers;
    std::vector<std::string> msg_monitor;

    void reset_message() {
        msg_accepted = msg_closed = false;
        msg_refusal.reset();
        msg_final.reset();
        eom_refusal.reset();
        rcpt_accepted = headers_seen = headers_unstored = body_seen = 0;
        msg_headers.clear();
        msg_monitor.clear();
    }
    // Rules at or after this index never run again in this message.
    std::size_t limit() const {
        return std::min({index_of(conn_refusal), index_of(conn_final), index_of(msg_refusal),
                         index_of(msg_final), index_of(eom_refusal)});
    }
    bool connection_over() const { return conn_accepted || conn_closed; }
    bool message_over() const { return connection_over() || msg_accepted || msg_closed; }
};

Session::Session(PolicyPtr policy)
    : policy_(std::move(policy)), state_(std::make_shared<State>()) {}

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
    tx.current_rcpt.clear();
    tx.headers.clear();
    tx.body.clear();
    tx.size = 0;
}

// Merge a stage's contributions into the verdict of the call and the
// connection- or message-level header lists.
void absorb(StageResult& r, Verdict& v, std::vector<std::pair<std::string, std::string>>& headers,
            std::vector<std::string>& monitor) {
    for (auto& h : r.headers) headers.push_back(std::move(h));
    for (auto& m : r.monitor_headers) monitor.push_back(std::move(m));
    for (auto& l : r.log) v.log.push_back(std::move(l));
    v.monitor = v.monitor || r.monitor;
}

// Say on the decision's log line that it is not delivered now.
void note(Verdict& v, const char* text) {
    if (!v.log.empty()) v.log.back() += text;
}

}  // namespace

// Deliver a Reject/Tempfail (or Accept/Discard/Quarantine) now.
static Verdict deliver(const RuleEvaluator& ev, const Decision& d, Stage delivered, Verdict v) {
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

Verdict Session::connect() {
    State& st = *state_;
    sync_fields(tx_);
    Verdict v;
    v.decided_at = v.delivered_at = Stage::Connect;
    if (st.connection_over()) return v;
    RuleEvaluator ev(*policy_, tx_);
    auto r = ev.run(Stage::Connect, st.limit());
    absorb(r, v, st.conn_headers, st.conn_monitor);
    if (!r.decision) return v;
    const Decision& d = *r.decision;
    if (d.action == Action::Accept) {
        st.conn_accepted = true;
        return deliver(ev, d, Stage::Connect, std::move(v));
    }
    if (d.action == Action::Discard || d.action == Action::Quarantine) {
        st.conn_final = d;
        note(v, " (at end of data of each message)");
        return v;
    }
    if (policy_->settings.delay_reject) {
        st.conn_refusal = d;
        note(v, " (held until RCPT)");
        return v;
    }
    st.conn_closed = true;
    return deliver(ev, d, Stage::Connect, std::move(v));
}

Verdict Session::helo(std::string_view name) {
    State& st = *state_;
    tx_.helo.assign(name.data(), name.size());
    sync_fields(tx_);
    Verdict v;
    v.decided_at = v.delivered_at = Stage::Helo;
    if (st.connection_over()) return v;
    RuleEvaluator ev(*policy_, tx_);
    auto r = ev.run(Stage::Helo, st.limit());
    absorb(r, v, st.conn_headers, st.conn_monitor);
    if (!r.decision) return v;
    const Decision& d = *r.decision;
    if (d.action == Action::Accept) {
        st.conn_accepted = true;
        return deliver(ev, d, Stage::Helo, std::move(v));
    }
    // Only rules before any held decision ran, so a new decision comes first
    // in the file and replaces the held one (a flat evaluation never reaches it).
    if (d.action == Action::Discard || d.action == Action::Quarantine) {
        st.conn_final = d;
        st.conn_refusal.reset();
        note(v, " (at end of data of each message)");
        return v;
    }
    if (policy_->settings.delay_reject) {
        st.conn_refusal = d;
        st.conn_final.reset();
        note(v, " (held until RCPT)");
        return v;
    }
    // Not sticky: the client may send another HELO, which is evaluated afresh.
    return deliver(ev, d, Stage::Helo, std::move(v));
}

Verdict Session::mail(std::string_view sender) {
    State& st = *state_;
    st.reset_message();
    reset_message_fields(tx_);
    tx_.sender = std::string(strip_address(sender));
    sync_fields(tx_);
    Verdict v;
    v.decided_at = v.delivered_at = Stage::Mail;
    if (st.message_over()) return v;
    RuleEvaluator ev(*policy_, tx_);
    auto r = ev.run(Stage::Mail, st.limit());
    absorb(r, v, st.msg_headers, st.msg_monitor);
    if (!r.decision) return v;
    const Decision& d = *r.decision;
    if (d.action == Action::Accept) {
        st.msg_accepted = true;
        return deliver(ev, d, Stage::Mail, std::move(v));
    }
    if (d.action == Action::Discard || d.action == Action::Quarantine) {
        st.msg_final = d;
        note(v, " (at end of data)");
        return v;
    }
    if (policy_->settings.delay_reject) {
        st.msg_refusal = d;
        note(v, " (held until RCPT)");
        return v;
    }
    st.msg_closed = true;
    return deliver(ev, d, Stage::Mail, std::move(v));
}

Verdict Session::rcpt(std::string_view recipient) {
    State& st = *state_;
    sync_fields(tx_);
    Verdict v;
    v.decided_at = v.delivered_at = Stage::Rcpt;
    if (st.message_over()) return v;
    RuleEvaluator ev(*policy_, tx_);
    const std::string rcpt(strip_address(recipient));
    tx_.current_rcpt = rcpt;

    // Refuse (or, non-SMTP, remember for end of data) a recipient.
    const auto refuse = [&](const Decision& d, Verdict out) {
        if (tx_.non_smtp) {
            if (!st.eom_refusal || d.index < st.eom_refusal->index) st.eom_refusal = d;
            out.log.push_back(ev.label(d) + " => " + ev.outcome(d, Stage::EndOfData) +
                              " (non-SMTP: delivered at end of data)");
            return out;
        }
        tx_.recipients.pop_back();  // a refused recipient is not part of the message
        return deliver(ev, d, Stage::Rcpt, std::move(out));
    };

    if (tx_.recipients.size() >= Limits::kMaxRecipients) {
        // Bounded: the recipient is not stored; the client may retry it later.
        Decision d;
        d.action = Action::Tempfail;
        d.reason = codes::Reason::TooManyRecipients;
        d.decided_at = Stage::Rcpt;
        d.rcpt = rcpt;
        tx_.recipients.push_back(rcpt);
        v.log.push_back("too many recipients (limit " + std::to_string(Limits::kMaxRecipients) +
                        ")");
        Verdict out = refuse(d, std::move(v));
        if (tx_.non_smtp) tx_.recipients.pop_back();
        return out;
    }
    tx_.recipients.push_back(rcpt);

    auto r = ev.run(Stage::Rcpt, st.limit());
    absorb(r, v, st.msg_headers, st.msg_monitor);
    if (r.decision) {
        const Decision& d = *r.decision;
        if (d.action == Action::Accept) {
            // This recipient only: Continue tells the MTA to go on (SMFIS_ACCEPT
            // here would accept the whole message); `rule` names the acceptor.
            ++st.rcpt_accepted;
            v.rule = ev.rule_name(d);
            return v;
        }
        if (d.action == Action::Discard || d.action == Action::Quarantine) {
            st.msg_final = d;
            note(v, " (at end of data)");
            return v;
        }
        return refuse(d, std::move(v));
    }
    // A held connect/HELO/MAIL refusal: the MAIL one is earlier in the file
    // (it was reached while only rules before the connection one ran). A
    // Discard/Quarantine of an earlier rule already decided the message.
    const std::optional<Decision>& held = st.msg_refusal ? st.msg_refusal : st.conn_refusal;
    if (held && held->index < std::min(index_of(st.msg_final), index_of(st.conn_final))) {
        Decision d = *held;
        d.rcpt = rcpt;
        v.log.push_back(ev.label(d) + " (held from " +
                        std::string(codes::stage_name(d.decided_at)) + ") => " +
                        ev.outcome(d, tx_.non_smtp ? Stage::EndOfData : Stage::Rcpt));
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
    if (st.rcpt_accepted > 0 && st.rcpt_accepted >= tx_.recipients.size()) return v;
    RuleEvaluator ev(*policy_, tx_);
    auto r = ev.run(Stage::Data, st.limit());
    absorb(r, v, st.msg_headers, st.msg_monitor);
    if (!r.decision) return v;
    const Decision& d = *r.decision;
    if (d.action == Action::Discard || d.action == Action::Quarantine) {
        st.msg_final = d;
        note(v, " (at end of data)");
        return v;
    }
    if (d.action == Action::Accept)
        st.msg_accepted = true;
    else
        st.msg_closed = true;
    return deliver(ev, d, Stage::Data, std::move(v));
}

void Session::header(std::string_view name, std::string_view value) {
    State& st = *state_;
    ++st.headers_seen;
    if (tx_.headers.size() >= Limits::kMaxHeaders || value.size() > Limits::kMaxHeaderValue ||
        name.size() > Limits::kMaxValue) {
        ++st.headers_unstored;  // counted, reported at end of message, never cut
        return;
    }
    tx_.headers.emplace_back(std::string(name), std::string(value));
}

void Session::body(std::string_view chunk) {
    State& st = *state_;
    st.body_seen += chunk.size();
    tx_.size += chunk.size();
    if (tx_.body.size() < kBodyMax)
        tx_.body.append(chunk.substr(0, std::min(chunk.size(), kBodyMax - tx_.body.size())));
}

Verdict Session::end_of_message() {
    State& st = *state_;
    tx_.current_rcpt.clear();
    sync_fields(tx_);
    Verdict v;
    v.decided_at = v.delivered_at = Stage::EndOfData;
    if (st.connection_over() || st.msg_closed) return v;
    RuleEvaluator ev(*policy_, tx_);
    if (st.headers_unstored)
        v.log.push_back(std::to_string(st.headers_unstored) + " of " +
                        std::to_string(st.headers_seen) +
                        " headers not kept for conditions (over the per-message bounds)");
    if (st.body_seen > kBodyMax)
        v.log.push_back("body: first " + std::to_string(kBodyMax) + " of " +
                        std::to_string(st.body_seen) + " bytes kept for conditions");

    std::optional<Decision> decided;
    const bool all_accepted = st.rcpt_accepted > 0 && st.rcpt_accepted >= tx_.recipients.size();
    if (!st.msg_accepted && !all_accepted) {
        auto r = ev.run(Stage::EndOfData, st.limit());
        absorb(r, v, st.msg_headers, st.msg_monitor);
        decided = r.decision;
        if (!decided) {
            // Pending decisions, earliest rule first.
            for (const auto* p : {&st.eom_refusal, &st.msg_final, &st.conn_final})
                if (*p && (!decided || (*p)->index < decided->index)) decided = **p;
        }
    }
    if (decided) {
        v = deliver(ev, *decided, Stage::EndOfData, std::move(v));
        if (decided->action == Action::Accept) st.msg_accepted = true;
        if (refusal(decided->action)) st.msg_closed = true;
    }
    // Headers matter only when the message goes on.
    if (v.action == Action::Continue || v.action == Action::Accept ||
        v.action == Action::Quarantine) {
        std::vector<std::pair<std::string, std::string>> all = st.conn_headers;
        all.insert(all.end(), st.msg_headers.begin(), st.msg_headers.end());
        std::size_t dropped = 0;
        for (auto& h : all) {
            if (std::find(v.add_headers.begin(), v.add_headers.end(), h) != v.add_headers.end())
                continue;
            if (v.add_headers.size() >= kMaxAddedHeaders) {
                ++dropped;
                continue;
            }
            v.add_headers.push_back(std::move(h));
        }
        const std::string& mh = policy_->settings.monitor_header;
        std::vector<std::string> mon = st.conn_monitor;
        mon.insert(mon.end(), st.msg_monitor.begin(), st.msg_monitor.end());
        std::size_t mon_added = 0, mon_dropped = 0;
        for (auto& m : mon) {
            if (mh.empty()) break;
            if (mon_added == kMaxMonitorHeaders) {
                ++mon_dropped;
                continue;
            }
            v.add_headers.emplace_back(mh, std::move(m));
            ++mon_added;
        }
        if (dropped)
            v.log.push_back(std::to_string(dropped) + " added headers dropped (at most " +
                            std::to_string(kMaxAddedHeaders) + " per message)");
        if (mon_dropped)
            v.log.push_back(std::to_string(mon_dropped) + " monitor headers not added (at most " +
                            std::to_string(kMaxMonitorHeaders) + " per message)");
    }
    // The queue id belongs to this message; the next one gets its own "i".
    tx_.macros.erase("i");
    return v;
}

void Session::abort() {
    state_->reset_message();
    tx_.macros.erase("i");
    reset_message_fields(tx_);
}

}  // namespace mv::policy
