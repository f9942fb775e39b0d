// SPDX-License-Identifier: Apache-2.0
// shadow_check.hpp - rules that can never decide because an earlier rule
// always decides first.
//
// check_shadowed_rules() warns at each rule written after a rule that has no
// conditions (no `when`, or an empty one), a final action and no monitor
// flag, when that catch-all decides in its place: when the later rule runs at
// the catch-all's stage or later (the catch-all decides first; a `continue`
// rule never adds its header or log line), and when it runs at an earlier
// stage but file order makes its decision wait for the catch-all (an accept,
// discard or quarantine always; a refusal when the catch-all runs at an
// envelope stage, or a DATA refusal before an end-of-data catch-all;
// session.hpp). An envelope refusal before a content catch-all, and a
// `continue` rule of an earlier stage, are not reported. A catch-all with
// conditions that happen to always hold is not found, so no warning is
// ever wrong.
//
// Thread contract: pure function over a loaded Policy's rules.
#pragma once

#include "config/diagnostics.hpp"
#include "policy/policy.hpp"

namespace mv::config {

void check_shadowed_rules(const std::vector<policy::Rule>& rules, Diagnostics& diag);

}  // namespace mv::config
