// SPDX-License-Identifier: Apache-2.0
// policy_builder.hpp - builds Policy objects in code for engine tests, the way
// the config loader would (Rule::stage from the condition, replies as given).
#pragma once

#include <memory>
#include <string>

#include "policy/conditions.hpp"
#include "policy/policy.hpp"

namespace mv::test {

class PolicyBuilder {
  public:
    PolicyBuilder() : p_(std::make_shared<policy::Policy>()) {}

    policy::Settings& settings() { return p_->settings; }

    // Adds a rule; its stage is the condition's (Connect when there is none).
    policy::Rule& rule(std::string name, policy::Action action, policy::ConditionPtr when,
                       int basic = 0, std::string enhanced = {}, std::string text = {}) {
        policy::Rule r;
        r.name = std::move(name);
        r.action = action;
        r.stage = when ? when->stage() : codes::Stage::Connect;
        r.when = std::move(when);
        r.reply.basic = basic;
        r.reply.enhanced = std::move(enhanced);
        if (!text.empty()) r.reply.text.push_back(std::move(text));
        r.file = "test.conf";
        r.line = static_cast<int>(p_->rules.size()) + 1;
        p_->rules.push_back(std::move(r));
        return p_->rules.back();
    }

    policy::PolicyPtr build() { return p_; }

  private:
    std::shared_ptr<policy::Policy> p_;
};

inline policy::ConditionPtr sender_domain(std::string d) {
    policy::StringMatch m;
    m.domains.push_back(std::move(d));
    return policy::make_string_condition(policy::Field::Sender, m);
}

inline policy::ConditionPtr rcpt_is(std::string a) {
    policy::StringMatch m;
    m.exact.push_back(std::move(a));
    return policy::make_string_condition(policy::Field::Recipient, m);
}

inline policy::ConditionPtr rcpt_domain(std::string d) {
    policy::StringMatch m;
    m.domains.push_back(std::move(d));
    return policy::make_string_condition(policy::Field::Recipient, m);
}

inline policy::ConditionPtr helo_is(std::string h) {
    policy::StringMatch m;
    m.exact.push_back(std::move(h));
    return policy::make_string_condition(policy::Field::Helo, m);
}

inline policy::ConditionPtr client_in(std::string net) {
    return policy::make_client_addr_condition({std::move(net)});
}

}  // namespace mv::test
