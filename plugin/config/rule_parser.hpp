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
    // The earlier rule that may let mail through (accept, discard,
    // quarantine) with the latest stage: a later refusal waits for it (file
    // order is decision order) and is delivered at that stage at the earliest.
    std::optional<policy::Rule> permit_;
};

// Valid rule names: 1-64 characters of [A-Za-z0-9._-].
bool valid_rule_name(const std::string& name);

}  // namespace mv::config
