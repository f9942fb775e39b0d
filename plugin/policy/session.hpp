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
// Thread contract: one Session per connection, used by one thread at a time
// (libmilter may move a connection between threads, never run it concurrently).
#pragma once

#include <string_view>

#include "policy/policy.hpp"
#include "policy/transaction.hpp"
#include "policy/verdict.hpp"

namespace mv::policy {

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

private:
    struct State;
    PolicyPtr policy_;
    Transaction tx_;
    // Implementation state (pending delayed verdict, per-message flags...) is
    // kept in session.cpp; keep this header stable for the glue.
    std::shared_ptr<State> state_;
};

}  // namespace mv::policy
