// SPDX-License-Identifier: Apache-2.0
// session.hpp - the policy engine driven one SMTP session at a time.
//
// Call order (the milter glue and the simulator follow it):
//   connect() once, helo()*, then per message: mail(), rcpt()+, data(),
//   header()*, body()*, end_of_message(); abort() may come at any point of a
//   message and resets only the message. A session may end at any time.
// Before each call the caller stores the macros it received for that stage in
// transaction().macros (and the connection fields before connect()).
//
// Each call returns the Verdict to deliver now. Rules run at the earliest stage
// where their data exists, in order; the first final action decides. With
// settings.delay_reject a Reject/Tempfail decided at connect, HELO or MAIL is
// held and returned at every RCPT (as Postfix smtpd_delay_reject does).
// Discard and Quarantine are returned at end_of_message. In a non-SMTP session
// (Transaction::non_smtp) refusals of the RCPT stage move to end_of_message.
// Monitor mode returns Continue with `monitor` set, the would-be reply in
// `log`, and (at end_of_message) the marking header in add_headers.
//
// Errors: a condition's TempError makes the rule answer the policy's
// on_error: Tempfail with the BackendFailure default reply (451 4.4.3), or
// Continue (fail open); it is logged either way. Nothing here throws.
//
// Details decided here (the glue and simulate rely on them):
// * Scope of Accept. At connect/HELO: the whole connection, every later call
//   returns Continue without evaluating (glue: SMFIS_ACCEPT). At MAIL, DATA or
//   end of data: this message (glue: SMFIS_ACCEPT). At RCPT: this recipient
//   only; rcpt() then returns Action::Continue with `rule` naming the accepting
//   rule, because SMFIS_ACCEPT at RCPT would accept the whole message. DATA and
//   end-of-data rules are skipped when every recipient was accepted by a rule.
// * File order is decision order (DESIGN.md section 3, issue 24): a decision
//   of rule N reached at stage S waits while an earlier rule with a final
//   action runs after S (Policy::first_final_after): an Accept waits for any
//   such rule; a refusal reached at connect..RCPT for such rules of the
//   envelope stages only (it goes out by RCPT at the latest: DATA and
//   end-of-data rules never override an envelope refusal, as Postfix's
//   header checks never override its recipient restrictions), one reached
//   at DATA for the end-of-data rules. A waiting Accept of connect, HELO or
//   MAIL is the accept of each recipient that no earlier RCPT rule decides
//   (rcpt() answers Continue naming it), or of the message at the first stage
//   where no earlier rule is left; a waiting refusal goes out at its own
//   stage's delivery point once nothing earlier is left (without delay_reject
//   at HELO, MAIL or DATA; a DATA refusal waiting for an end-of-data rule at
//   end of data). Only an earlier rule that can still match is waited for
//   (Condition::ruled_out: its pure conditions already fail on the data in,
//   e.g. another sender). The log line of a waiting
//   decision ends "(waits for rule #N NAME)".
// * A decision held or pending (a waiting or delayed decision, a
//   Discard/Quarantine, a non-SMTP refusal moved to end of data) stops every
//   rule written after it from running later; rules written before it still
//   run at their stage and win if they decide (e.g. "accept postmaster" at RCPT
//   beats a held connect-time reject for that recipient).
// * Monitor: a monitored rule's would-be decision (log line, Verdict::would,
//   monitor header) is reported once no earlier enforcing rule can still
//   decide in its place (the same waiting rule as above), and dropped with a
//   line "rule #N NAME (monitor): would-be decision not reported, rule #M
//   NAME decides first" when one does. Monitored rules with a final action
//   count as earlier rules for enforcing decisions: an accept waits for them,
//   so they are evaluated as enforcement would (the outcome is the same).
//   Whole policy in monitor mode (Settings::monitor): a rule without its own
//   monitor flag is what enforcement would run, so it counts as enforcing
//   for the waiting above, and its would-be decision bounds the rules after
//   it as a decision would (State shadow: connection or message; at RCPT
//   for that recipient, and every recipient would-be accepted or refused
//   bounds DATA and end of data as accept_bound()): only the decision
//   enforcement would take is reported (DESIGN.md section 3).
//   A would-be refusal of connect, HELO or MAIL that enforcement would hold
//   until RCPT (delay_reject, or waiting for an earlier RCPT rule) is
//   reported at each RCPT it would refuse, with that recipient's reply (State
//   rcpt_would), so that it is counted once per reply, as enforcement's
//   decisions are; in global monitor mode it counts as that recipient's
//   would-be refusal for accept_bound(), and a refusal enforcement would
//   deliver at once at connect, MAIL or DATA ends the connection or message
//   for the rules after it (close_shadow()).
// * delay_reject: a held connect/HELO refusal lasts for the connection (it
//   survives abort() and new messages); a held MAIL refusal lasts for the
//   message. Each rcpt() then returns it with ${rcpt} = that recipient.
//   Without delay_reject a refusal is returned at once: at connect it ends the
//   session for the engine; at HELO it is not sticky (another HELO is evaluated
//   afresh); at MAIL/DATA/end of data it ends the message.
// * Refused recipients are removed from Transaction::recipients, so later
//   "any recipient" conditions see only recipients still in the message.
//   Transaction::current_rcpt is set by rcpt() and cleared by data() and
//   end_of_message().
// * Non-SMTP: every refusal that would be delivered at RCPT (a rule's or a
//   held one) is returned by end_of_message() instead, with the same reply.
// * Discard/Quarantine decided at connect/HELO apply to every message.
// * Headers from add_headers and monitor marks are returned only by
//   end_of_message() when the message goes on (Continue, Accept, Quarantine,
//   also after an Accept at connect/HELO/MAIL/DATA: the glue then answers
//   continue rather than SMFIS_ACCEPT, see settled());
//   duplicates are dropped, at most 64 added headers and 16 monitor headers
//   per message, any excess is logged, never silently dropped.
// * Bounds: at most Limits::kMaxRecipients recipients are stored; rcpt()
//   answers further ones Tempfail 452 4.5.3 (TooManyRecipients), and so it
//   does past the tighter bounds a front end sets with bound_recipients()
//   (a count, and the bytes of the recipient addresses kept). header()
//   stores at most Limits::kMaxHeaders headers, and none whose value is over
//   Limits::kMaxHeaderValue; the others are counted and end_of_message() logs
//   how many. body() keeps the first 64 KiB for conditions (and adds every
//   chunk to Transaction::size); end_of_message() logs when more came.
// * Fields: before evaluating, empty Transaction fields are filled from the
//   stored macros (client_addr, client_name, client_resolve, daemon_name, "i",
//   auth_authen, tls_version); the glue may set the fields itself instead.
//   mail() and abort() reset the message fields (sender, recipients, headers,
//   body, size, queue_id) but keep auth_login and tls_version, which last for
//   the connection. The macro "i" is forgotten after end_of_message()/abort()
//   so a stale queue id never labels the next message; fields stay readable
//   after end_of_message() (for the decision log) until the next mail().
// * Monitor headers: value "would reject 550 5.7.1 text (rule NAME)", one per
//   would-be decision, under settings.monitor_header (none when "").
// * DNS (dns_evidence.hpp): when the policy uses DNS and its DnsSlot has a
//   source, the session opens one DnsEvidence, points Transaction::dns at it
//   and calls start() for connect, HELO, MAIL and each RCPT just before the
//   first rule that reads DNS runs, or at the end of that call when a rule
//   reading DNS can still decide (none is below a held decision, the
//   connection or message is not decided): no lookup for mail already
//   decided; new_message() at MAIL. With delay_reject, a connect, HELO or MAIL rule
//   whose DNS answers are not in yet (Rule::dns_deferrable) is not waited
//   for: the evaluation stops at it and the rest of the rules (that stage's
//   and the following stages') run at the next call, in the same order, as
//   if they ran at their own stage (recipients are hidden from them). The
//   MAIL and RCPT rules written before the first rule still waiting run
//   first, at their own call (an accept of an authenticated sender or of
//   postmaster decides without waiting); when none of them decides, the
//   first RCPT waits for what is still out, within the DNS budget. When
//   every recipient was accepted by a rule written before them, DATA and end
//   of data do not wait for them (they can no longer decide the message). A
//   flat first-match reading of the rules gives the same result; only the
//   time the client waits changes: the lookups run while it sends HELO and
//   MAIL. A decision reached that way is applied as at its own stage: a
//   refusal is held until RCPT as usual, an Accept of the connection or the
//   message is returned by the call that reached it.
//
// Front ends asked at fewer stages than the milter (the Postfix policy
// service, plugin/policy_service/) replay the stages Postfix did not ask
// about and deliver every decision at the stage they are asked at:
// * hold_early_refusals(b) overrides settings.delay_reject for connect(),
//   helo() and mail() until changed (nullopt: the setting again); a replayed
//   stage holds its refusal so that every later RCPT gets it.
// * deliver_at(s) builds every reply the following calls deliver for stage s
//   (and sets Verdict::delivered_at to s) instead of the call's own stage.
// * take_pending(at, refusals, finals) delivers at `at` the decision the
//   session keeps for later: a held refusal (when `refusals`), a Discard or
//   Quarantine (when `finals`), the earliest rule first. The message is then
//   over (later calls return Continue); a refusal held from connect/HELO
//   stays held for the next messages. Continue when nothing is pending.
// * pending_headers() are the headers end_of_message() would add if the
//   message went on now (added headers, then monitor marks).
//
// Thread contract: one Session per connection, used by one thread at a time
// (libmilter may move a connection between threads, never run it concurrently).
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "policy/policy.hpp"
#include "policy/transaction.hpp"
#include "policy/verdict.hpp"

namespace mv::policy {

struct Decision;
struct StageResult;
struct Tentative;
class RuleEvaluator;

class Session {
  public:
    explicit Session(PolicyPtr policy);

    const Policy& policy() const { return *policy_; }
    Transaction& transaction() { return tx_; }
    const Transaction& transaction() const { return tx_; }

    Verdict connect();
    Verdict helo(std::string_view name);
    Verdict mail(std::string_view sender);  // sender without <>; starts a message
    Verdict rcpt(std::string_view recipient);
    Verdict data();
    void header(std::string_view name, std::string_view value);
    void body(std::string_view chunk);
    Verdict end_of_message();
    void abort();  // resets the message, keeps the connection

    // Rules still to evaluate because their DNS answers were not in (see
    // above): the session has something left to decide.
    bool evaluation_pending() const;
    // For front ends that replay stages (see above).
    void hold_early_refusals(std::optional<bool> hold);
    // Tighter bounds on the recipients one message keeps (the policy
    // service's, whose sessions outlive nothing the MTA bounds): at most
    // `count` (never more than Limits::kMaxRecipients) and `bytes` bytes of
    // addresses. recipient_bound(r) says why rcpt(r) would be refused by a
    // bound ("too many recipients (limit N)"), "" when it would not.
    void bound_recipients(std::size_t count, std::size_t bytes);
    std::string recipient_bound(std::string_view recipient) const;
    void deliver_at(std::optional<codes::Stage> stage);
    Verdict take_pending(codes::Stage at, bool refusals, bool finals);
    std::vector<std::pair<std::string, std::string>> pending_headers() const;

    // True when nothing is left to decide or to do after `stage` for the rest
    // of the connection (stage Connect or Helo) or of the message (Mail or
    // Data): no rule that can still run later (a rule at Helo counts at Helo:
    // a client may send HELO again), no rule waiting for DNS answers, no held
    // or pending decision, no header or monitor mark to add at end of
    // message. Always false at Rcpt (another recipient may come) and
    // EndOfData. The glue then answers SMFIS_ACCEPT and the MTA sends nothing
    // more for the connection or message: fewer round trips, and no
    // unanswered packet for the MTA's Nagle to wait on (DESIGN.md section 7).
    bool settled(codes::Stage stage) const;

  private:
    struct State;
    class HiddenRecipients;
    bool settle(codes::Stage at, const Decision& d, const RuleEvaluator& ev, codes::Stage now,
                Verdict& v);
    bool release(codes::Stage now, Verdict& v);
    std::size_t blocker(std::size_t i, codes::Stage at, Action a,
                        std::optional<codes::Stage> known = std::nullopt) const;
    static codes::Stage known_at(codes::Stage at);
    std::size_t waits_for(std::size_t i, codes::Stage at, bool enforcing_only, bool for_refusal,
                          codes::Stage known) const;
    std::string waits_note(std::size_t j) const;
    std::size_t deferred_bound() const;
    std::size_t accept_bound() const;
    std::size_t content_bound() const;
    std::optional<Decision>* earliest_held(std::size_t below);
    void hook(RuleEvaluator& ev);
    void start_dns();
    void due_dns(codes::Stage s);
    void absorb(StageResult& r, Verdict& v, codes::Stage stage, codes::Stage now);
    void report(Tentative& t, Verdict& v, bool log);
    void release_would(codes::Stage now, Verdict& v);
    void release_would_list(codes::Stage now, Verdict& v, std::vector<Tentative>& list);
    void release_rcpt_would(Verdict& v);
    bool held_for_rcpt(const Tentative& t, codes::Stage now) const;
    void close_shadow(codes::Stage at, codes::Stage now);
    void finish(codes::Stage now, Verdict& v);
    bool run_stage(codes::Stage stage, std::size_t from, bool defer, codes::Stage now, Verdict& v,
                   std::size_t bound = static_cast<std::size_t>(-1));
    bool catch_up(codes::Stage now, bool wait, Verdict& v);
    bool defer() const;
    PolicyPtr policy_;
    Transaction tx_;
    // Implementation state (pending delayed verdict, per-message flags...) is
    // kept in session.cpp; keep this header stable for the glue.
    std::shared_ptr<State> state_;
};

}  // namespace mv::policy
