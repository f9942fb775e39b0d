// SPDX-License-Identifier: Apache-2.0
// action.hpp - a verdict as the value of the policy protocol's `action=` attribute.
//
// Postfix reads the value as an access(5) action (smtpd_check.c,
// check_table_result): "NNN text" refuses with that code (4xx/5xx; 421 and
// 521 also close the session), "DUNNO" goes on with the restriction list,
// "OK" ends it with success, "DISCARD text" discards the whole message,
// "HOLD text" puts it on the hold queue, "PREPEND name: value" adds a header
// (not at END-OF-MESSAGE). Postfix frames a refusal as
// "NNN X.Y.Z <address>: Recipient address rejected: text" (the class names
// the restriction list the check is in), cuts the whole reply at 510 octets
// and may map an X.1.Y enhanced code to the list's class (smtpd_dsn_fix.c).
//
// refusal_action() joins the lines of a multi-line reply with one space
// (the protocol carries one line). The texts are already expanded and
// printable (codes/reply_text.hpp); nothing here can add a line break.
//
// check_reply() runs the milter's validator (codes/validate.hpp) on the codes
// of a concrete reply for the stage it is delivered at, so the policy path
// checks exactly what the milter path checks at load.
//
// Thread contract: pure functions.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "codes/reply.hpp"
#include "codes/stage.hpp"
#include "codes/validate.hpp"

namespace mv::policy_service {

std::string accept_action(bool ok);  // "OK" or "DUNNO"
std::string refusal_action(const codes::Reply& reply);
std::string discard_action(std::string_view rule);  // "DISCARD milter-verdict rule NAME"
std::string hold_action(std::string_view reason);   // "HOLD reason"
// "PREPEND name: value"; nullopt when the name is not a header name or the
// value holds a line break.
std::optional<std::string> prepend_action(std::string_view name, std::string_view value);

std::vector<codes::Problem> check_reply(const codes::Reply& reply, codes::Disposition disposition,
                                        codes::Stage stage, bool allow_unregistered,
                                        bool disconnect);

}  // namespace mv::policy_service
