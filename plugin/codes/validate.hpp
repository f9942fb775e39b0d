// SPDX-License-Identifier: Apache-2.0
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
// default_reply(), the code used when a rule names an action but no code, is
// in defaults.hpp (included here for the callers of both).
//
// Thread contract: pure functions over the compiled registry; thread-safe.
#pragma once

#include <string>
#include <vector>

#include "codes/defaults.hpp"
#include "codes/stage.hpp"

namespace mv::codes {

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

}  // namespace mv::codes
