// SPDX-License-Identifier: Apache-2.0
// simulator.hpp - drive policy::Session through one SMTP transaction and print it.
//
// Follows the milter glue's call order (session.hpp): connection facts and
// macros, connect, helo, mail, each rcpt, data, headers, body,
// end_of_message, and stops where the MTA would: a refused connection or
// HELO ends the session, a refused MAIL or DATA ends the message, a refused
// RCPT refuses that recipient only, no accepted recipient means no DATA, and
// accept ends all checks for the message (or the connection at connect/HELO),
// as SMFIS_ACCEPT does. For each stage it prints what the client sent, the
// verdict, the deciding rule, the rule log lines and the exact reply lines
// the client would see; then the headers that would be added and a result.
// With Mta::Sendmail the reply lines are Sendmail's (sendmail_reply.hpp:
// "<rcpt>... " before 450/550/553 texts at MAIL and RCPT, its own replies for
// refusals at connect); with Mta::Postfix (the default) they are as written,
// with a note where Postfix replaces them (connect, HELO).
// Before each verdict it prints the DNS lookups the stage's rules read, with
// their answers, and each DNS list's score.
//
// Errors: run() returns false (after a message on `out`) only when the body
// file cannot be read; the policy itself never fails.
//
// Thread contract: one Simulator per thread.
#pragma once

#include <ostream>

#include "cli/sim_input.hpp"
#include "policy/policy.hpp"
#include "policy/verdict.hpp"

namespace mv::cli {

enum class Mta { Postfix, Sendmail };

class Simulator {
  public:
    Simulator(policy::PolicyPtr policy, std::ostream& out, Mta mta = Mta::Postfix)
        : policy_(std::move(policy)), out_(out), mta_(mta) {}

    bool run(const SimInput& in, int number);

  private:
    // `address`: the sender at MAIL, the recipient at RCPT (Sendmail names it).
    void print(const policy::Verdict& v, const std::string& address = "");

    policy::PolicyPtr policy_;
    std::ostream& out_;
    Mta mta_;
    policy::DnsEvidence* dns_ = nullptr;  // the running transaction's, for its trace
};

}  // namespace mv::cli
