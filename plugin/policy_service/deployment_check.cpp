// SPDX-License-Identifier: Apache-2.0
// deployment_check.cpp - policy-service warnings for check-config (see deployment_check.hpp).
#include "policy_service/deployment_check.hpp"

#include <algorithm>
#include <set>

#include "codes/reply_text.hpp"
#include "policy_service/responder.hpp"

namespace mv::policy_service {

namespace {

using codes::Stage;

// "550 5.7.1 " + "<>: Recipient address rejected: ": Postfix's shortest frame.
constexpr std::size_t kPostfixFrame = 33;
constexpr std::size_t kPostfixCut = 510;

bool refusal(policy::Action a) {
    return a == policy::Action::Reject || a == policy::Action::Tempfail;
}

}  // namespace

std::vector<DeploymentNote> check_deployment(const policy::Policy& p) {
    std::vector<DeploymentNote> out;
    const auto& s = p.settings;
    if (s.policy_service.socket.empty()) return out;
    const bool alone = s.socket.empty();
    for (const auto& rule : p.rules) {
        const auto note = [&](std::string m) {
            out.push_back({rule.file, rule.line, "rule " + rule.name + ": " + std::move(m)});
        };
        if (alone && rule.when) {
            const unsigned content = rule.when->content_needed();
            if (content & policy::Condition::kNeedsHeaders)
                note(
                    "reads message headers, which the policy protocol does not carry: with "
                    "socket = \"\" (policy service only) it can never apply");
            if (content & policy::Condition::kNeedsBody)
                note(
                    "reads the message body, which the policy protocol does not carry: with "
                    "socket = \"\" (policy service only) it can never apply");
            std::set<std::string> macros;
            rule.when->needed_macros(macros);
            const auto& have = Responder::macros();
            for (const auto& m : macros)
                if (std::find(have.begin(), have.end(), m) == have.end())
                    note("reads macro " + m +
                         ", which the policy service does not fill from Postfix's request "
                         "attributes: with socket = \"\" it never has a value");
        }
        if (!refusal(rule.action) || rule.reply.basic == 0) continue;
        const auto disposition = rule.action == policy::Action::Reject
                                     ? codes::Disposition::Reject
                                     : codes::Disposition::Tempfail;
        if (rule.stage <= Stage::Mail && !s.delay_reject) {
            codes::ReplySpec spec = rule.reply;
            spec.text.clear();  // checked at load; the stage concerns the codes
            for (const auto& problem : codes::validate_reply(spec, disposition, Stage::Rcpt))
                note("on the policy service path its reply is answered at RCPT TO: " +
                     problem.message);
        }
        if (rule.reply.text.size() > 1) {
            std::size_t len = std::to_string(rule.reply.basic).size() + 1 +
                              (rule.reply.enhanced.empty() ? 0 : rule.reply.enhanced.size() + 1);
            for (const auto& line : rule.reply.text) len += codes::max_expanded_length(line) + 1;
            if (len - 1 + kPostfixFrame > kPostfixCut)
                note("its " + std::to_string(rule.reply.text.size()) +
                     "-line reply is joined into one line of up to " + std::to_string(len - 1) +
                     " octets on the policy service path; Postfix cuts a reply at " +
                     std::to_string(kPostfixCut) +
                     " octets with its \"<address>: ... rejected: \"" + " prefix");
        }
    }
    return out;
}

}  // namespace mv::policy_service
