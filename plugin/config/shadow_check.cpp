// SPDX-License-Identifier: Apache-2.0
// shadow_check.cpp - warning about rules an earlier catch-all rule hides.
#include "config/shadow_check.hpp"

#include "codes/stage.hpp"

namespace mv::config {

void check_shadowed_rules(const std::vector<policy::Rule>& rules, Diagnostics& diag) {
    const policy::Rule* catch_all = nullptr;
    for (const auto& rule : rules) {
        if (catch_all != nullptr && rule.stage >= catch_all->stage) {
            const std::string stage(codes::stage_name(catch_all->stage));
            diag.warning(rule.file, rule.line,
                         "rule '" + rule.name + "' can never " +
                             (rule.action == policy::Action::Continue ? "run" : "decide") +
                             ": rule '" + catch_all->name + "' (" +
                             (catch_all->file == rule.file ? "line " : catch_all->file + ":") +
                             std::to_string(catch_all->line) +
                             ") has no conditions and decides every message at " + stage +
                             " first; move '" + rule.name + "' before it, or give '" +
                             catch_all->name + "' a condition");
            continue;
        }
        if (catch_all == nullptr && rule.when == nullptr && !rule.monitor &&
            rule.action != policy::Action::Continue)
            catch_all = &rule;
    }
}

}  // namespace mv::config
