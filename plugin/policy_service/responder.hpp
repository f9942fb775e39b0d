// SPDX-License-Identifier: Apache-2.0
// responder.hpp - one policy request in, one action out: the mapping between
// the Postfix policy protocol and the policy engine.
//
// answer(request) finds the request's SMTP session (session_table.hpp),
// fills the Transaction from the attributes, drives the Session through the
// stages Postfix did not ask about and then the request's own, and turns the
// Verdict into an action (action.hpp). The mapping:
//
//   protocol_state  CONNECT -> connect, EHLO/HELO -> helo, MAIL -> mail,
//                   RCPT -> rcpt, DATA -> data, END-OF-MESSAGE -> end of
//                   data; VRFY and ETRN are answered DUNNO (the engine has
//                   no such stage; no rule runs).
//   attributes      client_address, client_name ("unknown" when Postfix did
//                   not verify it), helo_name, sender, recipient, size
//                   (SIZE= before END-OF-MESSAGE, the actual size there),
//                   recipient_count, sasl_username (the SASL login),
//                   encryption_protocol (TLS), queue_id; and as macros for
//                   macro rules: i, client_addr, client_name, client_port,
//                   client_ptr (reverse_client_name), client_resolve, daemon_addr,
//                   daemon_port, auth_type, auth_authen, auth_author,
//                   tls_version, cipher, cipher_bits, cert_subject, cert_issuer
//                   (xtext-decoded), mail_addr, rcpt_addr.
//   client_resolve  OK when client_name is verified; FORGED when only
//                   reverse_client_name is known; TEMP when neither (the
//                   protocol does not say whether the lookup failed for good,
//                   so a DNS hiccup is never refused permanently).
//
// Sessions and messages. A new SMTP session (new identity, or a CONNECT
// request) gets a new Session on the policy in force: it keeps that policy
// to its end, as a milter connection does. A new `instance` is a new
// message (mail()); a message begun at a MAIL request adopts the instance
// its next request brings (Postfix assigns it after the sender
// restrictions). So a message-scoped rule runs, and a rate limit per message
// or a greylist triplet counts, once per message whatever the number of RCPT
// requests; a per-recipient limit counts each RCPT request. A request
// repeated with the same state, instance, sender and recipient (the check in
// two restriction lists evaluated at one command) gets the previous answer
// without evaluating again.
//
// Delivery. Every decision is answered at the request that reaches it or,
// when reached at a stage Postfix did not ask about, at the first request
// after it: stages replayed before a request hold their refusals (as
// delay_reject does), so each RCPT request of the message gets them; the
// reply is built and validated for the request's stage. At CONNECT, HELO and
// MAIL requests delay_reject applies as in the milter (held until a RCPT,
// DATA or END-OF-MESSAGE request). Discard and quarantine are answered at
// once (DISCARD, HOLD: Postfix applies them to the whole message), never at
// CONNECT or HELO (Postfix ignores them there). At DATA and END-OF-MESSAGE
// without earlier RCPT requests, the only recipient Postfix names (recipient
// is sent when it accepted exactly one) is replayed as a RCPT, and
// recipient_count is what rcpt_count and per-recipient limits count.
// Headers of add_header rules and monitor marks are answered one per
// request as PREPEND in place of DUNNO (at MAIL, RCPT and DATA; Postfix
// cannot add a header at END-OF-MESSAGE: they are logged as not added).
//
// Memory. What a session keeps grows with one thing only, the recipients of
// its current message (everything else is one request's attributes, each
// bounded by RequestReader): bound_recipients() caps them at `count`
// recipients and `bytes` bytes of addresses per message (policy_max_recipients,
// policy_max_recipient_bytes). A RCPT request past the cap is answered as
// the engine answers its own recipient bound (TooManyRecipients: 452 4.5.3
// "Too many recipients" by default, RFC 5321 4.5.3.1.10: the client sends
// the rest in a later transaction), never silently forgotten, and one
// warning per message names the session, the bound and the answer.
//
// Errors: a malformed request (Request::problem) and an internal error (an
// exception while evaluating) answer on_error: tempfail gives the
// InternalError default for the stage (451 4.3.0; 421 4.3.0 at CONNECT and
// HELO), accept gives DUNNO; logged either way. The service answers rather
// than closing the connection: Postfix would retry and then answer
// smtpd_policy_service_default_action (451 4.3.5), which on_error = accept
// could not override.
//
// Logging: the rule lines of every stage run, and one decision line
// (observability/decision_log.hpp, with front_end=policy_service) per final
// or monitored verdict and per END-OF-MESSAGE request, through the session's
// observability::SessionRecorder, which also counts them for the metrics.
//
// Thread contract: answer() is safe from many threads at once.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <functional>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "milter/logger.hpp"
#include "observability/recorder.hpp"
#include "policy/policy.hpp"
#include "policy_service/request.hpp"
#include "policy_service/service_settings.hpp"
#include "policy_service/session_table.hpp"

namespace mv::policy_service {

class Responder {
  public:
    using PolicySource = std::function<policy::PolicyPtr()>;

    // SMTP sessions followed at once, and how long an unused one is kept (an
    // SMTP session with no request for 15 minutes is over: smtpd_timeout is
    // 300 s); see session_table.hpp.
    static constexpr std::size_t kSessions = 8192;
    static constexpr std::chrono::seconds kSessionIdle{900};

    // `recorder`: logs and counts the verdicts (null: logs them, no metrics).
    Responder(PolicySource policies, milter::Logger& log, bool accept_ok,
              std::size_t capacity = kSessions, std::chrono::seconds idle = kSessionIdle,
              const observability::Recorder* recorder = nullptr);

    // The value of `action=` for `r`. `peer` names the service connection in
    // log lines.
    std::string answer(const Request& r, std::string_view peer);

    // True when evaluating `p` may wait on something slow (a Redis store):
    // the listener then evaluates on worker threads.
    static bool may_block(const policy::Policy& p);
    // The macros (names without braces) a request fills, listed above.
    static const std::vector<std::string_view>& macros();

    // The recipient bounds of every session begun afterwards (defaults:
    // ServiceSettings'). Call before the first answer().
    void bound_recipients(std::size_t count, std::size_t bytes) {
        max_rcpts_ = count;
        max_rcpt_bytes_ = bytes;
    }

    std::size_t sessions() const { return table_.size(); }
    // Forgets sessions unused for their idle time (the listener calls it).
    void sweep() { table_.sweep(std::chrono::steady_clock::now()); }
    std::uint64_t malformed() const { return malformed_.load(); }
    std::uint64_t errors() const { return errors_.load(); }

  private:
    std::string evaluate(Entry& e, const Request& r, codes::Stage stage, std::string_view peer);
    std::string internal_error(const policy::Policy* p, codes::Stage stage);
    std::string deliver(Entry& e, const Request& r, codes::Stage stage, policy::Verdict& v);
    std::string refusal(const policy::Policy& p, const policy::Verdict& v, codes::Stage stage);
    void warn_once(const std::string& key, const std::string& line);

    PolicySource policies_;
    milter::Logger& log_;
    observability::Recorder own_recorder_;     // logging only, when none is given
    const observability::Recorder* recorder_;  // the daemon's, or own_recorder_
    bool accept_ok_;
    SessionTable table_;
    std::size_t max_rcpts_ = ServiceSettings{}.max_recipients;
    std::size_t max_rcpt_bytes_ = ServiceSettings{}.max_recipient_bytes;
    std::atomic<std::uint64_t> malformed_{0}, errors_{0};
    std::mutex warned_mu_;
    std::set<std::string> warned_;  // (rule, stage) validator warnings already logged
};

}  // namespace mv::policy_service
