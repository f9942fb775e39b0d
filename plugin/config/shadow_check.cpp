// SPDX-License-Identifier: Apache-2.0
// shadow_check.cpp - warning about rules an earlier catch-all rule hides.
#include "config/shadow_check.hpp"

#include "codes/stage.hpp"

namespace mv::config {

namespace {

using codes::Stage;
using policy::Action;

// Whether `rule`, written after the catch-all `c`, can never decide. At the
// catch-all's stage or later: `c` decides first. At an earlier stage, file
// order makes the rule's decision wait for `c` (session.hpp), which then
// decides in its place: always for an accept, discard or quarantine; for a
// refusal when `c` runs at an envelope stage (an envelope refusal waits for
// every earlier envelope rule) or when the refusal is DATA's and `c` runs at
// end of data. An envelope refusal before a content catch-all still decides,
// and a `continue` rule of an earlier stage still runs.
bool hidden(const policy::Rule& rule, const policy::Rule& c) {
    if (rule.stage >= c.stage) return true;
    switch (rule.action) {
        case Action::Accept:
        case Action::Discard:
        case Action::Quarantine:
            return true;
        case Action::Reject:
        case Action::Tempfail:
            return c.stage <= Stage::Rcpt || rule.stage == Stage::Data;
        case Action::Continue:
            break;
    }
    return false;
}

}  // namespace

void check_shadowed_rules(const std::vector<policy::Rule>& rules, Diagnostics& diag) {
    const policy::Rule* catch_all = nullptr;
    for (const auto& rule : rules) {
        if (catch_all != nullptr && hidden(rule, *catch_all)) {
            const std::string stage(codes::stage_name(catch_all->stage));
            diag.warning(rule.file, rule.line,
                         "rule '" + rule.name + "' can never " +
                             (rule.action == policy::Action::Continue ? "run" : "decide") +
                             ": rule '" + catch_all->name + "' (" +
                             (catch_all->file == rule.file ? "line " : catch_all->file + ":") +
                             std::to_string(catch_all->line) +
                             ") has no conditions and decides every message at " + stage +
                             (rule.stage < catch_all->stage
                                  ? ", and file order makes '" + rule.name + "' wait for it"
                                  : std::string(" first")) +
                             "; move '" + rule.name + "' before it, or give '" + catch_all->name +
                             "' a condition");
            continue;
        }
        if (catch_all == nullptr && rule.when == nullptr && !rule.monitor &&
            rule.action != policy::Action::Continue)
            catch_all = &rule;
    }
}

}  // namespace mv::config
