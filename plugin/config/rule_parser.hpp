// SPDX-License-Identifier: Apache-2.0
// rule_parser.hpp - one element of `rules` -> one policy::Rule.
//
// Keys: name, when, action, reply, monitor, add_header, log,
// quarantine_reason, stage. The rule's stage is the latest stage its
// conditions need, or a later `stage` given explicitly; its reply is
// delivered at RCPT when delay_reject holds and the stage is connect, HELO or
// MAIL, else at the stage itself; the reply is completed and validated for
// that delivery stage (reply_parser.hpp).
//
// Call order: construct once per load (after the settings and lists are
// read), then parse() each rule in order; names must be unique across calls.
// Errors: reported to the Diagnostics; parse() then returns nullopt.
//
// Thread contract: one RuleParser per load, used by one thread.
#pragma once

#include <libconfig.h++>

#include <array>
#include <optional>
#include <string>
#include <unordered_map>

#include "config/condition_parser.hpp"
#include "config/diagnostics.hpp"
#include "policy/policy.hpp"

namespace mv::config {

class RuleParser {
  public:
    RuleParser(const policy::Settings& settings, ConditionParser& conditions, Diagnostics& diag)
        : settings_(settings), conditions_(conditions), diag_(diag) {}

    // `index` counts from 1, for messages about unnamed rules.
    std::optional<policy::Rule> parse(const libconfig::Setting& rule, int index);

  private:
    bool parse_headers(const libconfig::Setting& s, policy::Rule& rule);

    const policy::Settings& settings_;
    ConditionParser& conditions_;
    Diagnostics& diag_;
    std::unordered_map<std::string, std::pair<std::string, int>> names_;  // name -> file, line
    // The first earlier rule with a final action, per stage: a later refusal
    // waits for those of later envelope stages (or, at DATA, of end of data)
    // and goes out there at the earliest; one of DATA or end of data cannot
    // override an envelope refusal (Policy::first_final_after).
    struct FinalRule {
        std::string name, file;
        int line = 0;
        std::size_t order = 0;  // position in the file
    };
    std::size_t count_ = 0;
    std::array<std::optional<FinalRule>, codes::kStageCount> first_final_;
    // [stage][at]: the first of those that no data of the stages up to `at`
    // can rule out (Condition::may_rule_out): a refusal reached at `at`
    // always waits for it, which is worth a warning.
    std::array<std::array<std::optional<FinalRule>, codes::kStageCount>, codes::kStageCount>
        first_fixed_;
    // The first earlier DATA or end-of-data rule per action (indexed by
    // policy::Action): one that would let through mail an envelope refusal
    // written after it refuses is worth a warning.
    std::array<std::optional<FinalRule>, 6> first_content_;
};

// Valid rule names: 1-64 characters of [A-Za-z0-9._-].
bool valid_rule_name(const std::string& name);

}  // namespace mv::config
