// SPDX-License-Identifier: Apache-2.0
// shadow_check.hpp - rules that can never decide because an earlier rule
// always decides first.
//
// check_shadowed_rules() warns at each rule written after a rule that has no
// conditions (no `when`, or an empty one), a final action and no monitor
// flag, when the later rule runs at the same stage as that rule or later:
// the earlier rule decides every message there first, so the later one never
// decides (and a `continue` rule never adds its header or log line). The
// check is conservative: a rule that could run at an earlier stage than the
// catch-all, or a catch-all with conditions that happen to always hold, is
// not reported, so no warning is ever wrong.
//
// Thread contract: pure function over a loaded Policy's rules.
#pragma once

#include "config/diagnostics.hpp"
#include "policy/policy.hpp"

namespace mv::config {

void check_shadowed_rules(const std::vector<policy::Rule>& rules, Diagnostics& diag);

}  // namespace mv::config
