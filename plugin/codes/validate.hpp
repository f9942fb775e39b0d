// validate.hpp - load-time validation of every reply the daemon can send,
// and the default reply for an action, a reason and a stage.
//
// validate_reply() implements the table of ../shared/DESIGN.md section 2: it
// returns every problem found (errors and warnings), never throws. The config
// loader calls it once per rule with the stage where the reply is delivered
// (after delay_reject is applied), and turns each Problem into a
// "file:line: message" diagnostic. Warnings become errors with --strict; that
// promotion is the caller's job.
//
// default_reply() gives the code used when a rule names an action but no code
// (DESIGN.md section 2 "Defaults"); each default carries its source.
//
// Thread contract: pure functions over the compiled registry; thread-safe.
#pragma once

#include <string>
#include <vector>

#include "codes/stage.hpp"

namespace mv::codes {

// What the reply is for. Reject => 5xx, Tempfail => 4xx.
enum class Disposition { Reject, Tempfail };

// A reply as written in the configuration, before variable expansion.
struct ReplySpec {
    int basic = 0;                    // 0 = not given (use default_reply)
    std::string enhanced;             // "" = not given
    std::vector<std::string> text;    // one entry per line, may hold ${var} references
    bool allow_unregistered = false;  // the rule says it means an unregistered enhanced code
    bool disconnect = false;          // the rule asks to close the session (421/521 allowed)
};

struct Problem {
    enum class Severity { Warning, Error };
    Severity severity;
    std::string message;  // one line, no "file:line:" prefix
};

// Every problem of `spec` used for `disposition`, delivered at `stage`.
// spec.basic must be non-zero (fill defaults first).
std::vector<Problem> validate_reply(const ReplySpec& spec, Disposition disposition, Stage stage);

// Why a refusal happens; selects the default code.
enum class Reason {
    Policy,             // 550 5.7.1 / 450 4.7.1 at RCPT, 451 4.7.1 elsewhere
    Greylist,           // 451 4.7.1
    RateLimit,          // 450 4.7.1
    TooManyRecipients,  // 452 4.5.3
    MessageTooBig,      // 552 5.3.4
    BackendFailure,     // 451 4.4.3 (state backend or DNS failure)
    Disconnect,         // 421 4.7.0
    InternalError,      // 451 4.3.0; 421 4.3.0 at connect and HELO (closes the session)
};

struct DefaultReply {
    int basic;
    std::string enhanced;
    std::string text;    // default human text, e.g. "Message refused by policy"
    std::string source;  // e.g. "RFC 5321 4.3.2; RFC 3463 X.7.1"
};

// The default reply for a disposition, reason and delivery stage. A Reject at
// the DATA command is 554 5.7.1 (RFC 5321 3.3/4.3.2).
DefaultReply default_reply(Disposition disposition, Reason reason, Stage stage);

}  // namespace mv::codes
