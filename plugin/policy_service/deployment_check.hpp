// SPDX-License-Identifier: Apache-2.0
// deployment_check.hpp - what check-config says about the policy service path.
//
// check_deployment() looks at a loaded policy with policy_socket set and
// returns one warning per rule that behaves differently there:
// * with no milter listener (socket = ""), rules that read message headers
//   or the body (Postfix's policy protocol carries neither) and rules that
//   read a macro the service does not fill (responder.hpp lists them) can
//   never apply;
// * a refusal decided at CONNECT, HELO or MAIL is answered at the first RCPT
//   request (the recommended place for check_policy_service): without
//   delay_reject its reply was validated for its own stage only, so it is
//   validated here for RCPT TO as well;
// * a multi-line reply is joined into one line, and Postfix cuts a reply at
//   510 octets after its own "<address>: Recipient address rejected: "
//   prefix: a joined text that can exceed that is reported.
// The loader adds them as warnings at the rule's line (errors with --strict).
//
// Thread contract: pure function.
#pragma once

#include <string>
#include <vector>

#include "policy/policy.hpp"

namespace mv::policy_service {

struct DeploymentNote {
    std::string file;
    int line = 0;
    std::string message;
};

std::vector<DeploymentNote> check_deployment(const policy::Policy& policy);

}  // namespace mv::policy_service
