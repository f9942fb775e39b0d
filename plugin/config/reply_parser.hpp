// SPDX-License-Identifier: Apache-2.0
// reply_parser.hpp - a rule's `reply` group -> a complete, validated ReplySpec.
//
// Keys: code (integer), enhanced ("5.7.1"), text (a string, or a list of
// strings for a multi-line reply, each with ${var} references), unregistered
// (the enhanced code is deliberately not in the registry), disconnect (the
// reply closes the session: 421/521). Missing parts come from
// codes::default_reply() for the rule's action, reason and delivery stage;
// then codes::validate_reply() checks the whole reply for the stage where
// the client sees it. Each Problem becomes a diagnostic at the reply's line
// (at the rule's line when the reply is all defaults).
//
// Errors: a reply for an action that sends none (accept, discard, continue,
// quarantine) is an error; so is every error Problem. Warnings stay warnings
// here (LoadOptions::strict promotes them in the loader).
//
// Thread contract: pure function over caller-owned objects.
#pragma once

#include <libconfig.h++>

#include <string>

#include "codes/validate.hpp"
#include "config/diagnostics.hpp"
#include "policy/verdict.hpp"

namespace mv::config {

// `reply` may be null (no reply key). Returns false when an error was reported.
// `reason` is in/out: RateLimit or Greylist preset by the caller are kept
// (their defaults apply), Disconnect when the reply disconnects, else Policy.
bool parse_reply(const libconfig::Setting* reply, const libconfig::Setting& rule,
                 const std::string& rule_name, policy::Action action, codes::Stage delivery,
                 codes::ReplySpec& out, codes::Reason& reason, Diagnostics& diag,
                 const std::string& default_text = {});
// `default_text`, when not empty, replaces the default table's text for this
// rule (a dns_list refusal names what its list is queried with).

}  // namespace mv::config
