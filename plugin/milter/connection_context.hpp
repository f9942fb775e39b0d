// SPDX-License-Identifier: Apache-2.0
// connection_context.hpp - the two lifetimes of a milter connection.
//
// A ConnectionContext is created when libmilter first calls us for a
// connection (negotiate, or connect when the MTA skips negotiation), attached
// with smfi_setpriv, and destroyed at close from a unique_ptr. It holds the
// policy::Session, which pins the Policy current at creation: a reload does
// not change the rules in the middle of a session. The message part
// (MessageState) is reset on abort and at each new MAIL; the connection part
// survives both.
//
// Errors: `overflow` records why data from the MTA exceeded a bound
// (policy::Limits); the handlers then stop feeding the engine and tempfail the
// message with that reason logged, instead of deciding on truncated data.
//
// Thread contract: used by one libmilter worker at a time (libmilter never
// runs two callbacks of one connection at once, but may move it between
// threads; nothing here is thread-local).
#pragma once

#include <memory>
#include <string>

#include "milter/negotiation.hpp"
#include "observability/recorder.hpp"
#include "policy/policy.hpp"
#include "policy/session.hpp"

namespace mv::milter {

struct MessageState {
    bool open = false;           // MAIL seen, message not ended or aborted
    std::string overflow;        // non-empty: a bound was exceeded in this message
    bool error_pending = false;  // an internal error at a no-reply stage (MAIL, header, body)
};

class ConnectionContext {
  public:
    explicit ConnectionContext(policy::PolicyPtr policy) : session_(std::move(policy)) {}

    policy::Session& session() { return session_; }
    policy::Transaction& tx() { return session_.transaction(); }
    const policy::Policy& policy() const { return session_.policy(); }

    // SMFIP_* steps negotiated (0 when the MTA did not negotiate): decides
    // whether header and body callbacks answer SMFIS_NOREPLY.
    unsigned long protocol = 0;
    unsigned long actions = 0;  // SMFIF_* negotiated; 0 = not negotiated
    bool negotiated = false;
    bool connected = false;  // connect() was called for this context
    // Set by a connect/HELO value over a bound: every message of the
    // connection is tempfailed.
    std::string overflow;
    // An internal error at connect or HELO negotiated without a reply
    // (negotiation.hpp): every RCPT of the connection answers on_error.
    bool error_pending = false;
    MessageState message;
    // The macro lists of the connection's policy (negotiation.hpp), shared by
    // every connection of that policy; set by the glue when it creates the
    // context.
    std::shared_ptr<const MacroPlan> macros;
    // Logs and counts this connection's verdicts (observability/recorder.hpp);
    // set by Milter::context().
    observability::SessionRecorder record;

    void reset_message() { message = MessageState{}; }

  private:
    policy::Session session_;
};

}  // namespace mv::milter
