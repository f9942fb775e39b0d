// SPDX-License-Identifier: Apache-2.0
// policy_simulator.hpp - `simulate --policy-service`: what the Postfix policy
// service would answer.
//
// Drives the same Responder the daemon's policy service uses
// (policy_service/responder.hpp) and prints, per request, its protocol state
// and main attributes, the rule log lines and the exact `action=` line the
// service would send. Two inputs:
// * a transaction (sim_input.hpp): the requests Postfix sends for it with
//   check_policy_service in the restriction lists of `states` (default
//   RCPT: one request per recipient; END-OF-MESSAGE adds one request with
//   recipient_count, the size, and the recipient when exactly one passed);
//   each transaction is its own SMTP session. Macros, headers and body are
//   not part of the policy protocol: they are ignored, with a note.
// * a file of raw requests (name=value lines, an empty line after each, as
//   on the wire; "-" is standard input): each is answered in order; input
//   the service would close the connection on ends the run with the reason.
//
// Errors: a non-SMTP transaction (the service sees only smtpd's sessions) or
// an unknown state in `states` is a usage error returned as a message.
//
// Thread contract: one PolicySimulator per thread.
#pragma once

#include <istream>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "cli/sim_input.hpp"
#include "policy/policy.hpp"
#include "policy_service/request.hpp"

namespace mv::cli {

// "RCPT,END-OF-MESSAGE" -> states; "" and a message on an unknown name.
std::string parse_policy_states(const std::string& list,
                                std::vector<policy_service::ProtocolState>& out);

class PolicySimulator {
  public:
    PolicySimulator(policy::PolicyPtr policy, std::ostream& out);
    ~PolicySimulator();

    // "" when it ran, else a usage problem.
    std::string run(const SimInput& in, int number,
                    const std::vector<policy_service::ProtocolState>& states);
    // Raw requests; false when the input ended with something the service
    // would close the connection on.
    bool run_requests(std::istream& in);

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace mv::cli
