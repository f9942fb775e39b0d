// SPDX-License-Identifier: Apache-2.0
// client_addr_condition.cpp - make_client_addr_condition(): the client address
// in a CidrSet (cidr_set.hpp). An unknown address ("" for a local or non-SMTP
// submission) is in no network: the condition answers No, never TempError.
#include "policy/cidr_set.hpp"
#include "policy/conditions.hpp"

namespace mv::policy {

namespace {

class ClientAddrCondition final : public Condition {
  public:
    explicit ClientAddrCondition(const std::vector<std::string>& networks) {
        for (const auto& n : networks) set_.add(n);
        for (std::size_t i = 0; i < networks.size() && i < 3; ++i)
            shown_ += (i ? ", " : "") + networks[i];
        if (networks.size() > 3) shown_ += " (+" + std::to_string(networks.size() - 3) + " more)";
        if (networks.empty()) shown_ = "(no network)";
    }
    bool pure() const override { return true; }
    Match match(const Transaction& t) const override {
        return set_.contains(t.client_addr) ? Match::Yes : Match::No;
    }
    codes::Stage stage() const override { return codes::Stage::Connect; }
    std::string describe() const override { return "client address in " + shown_; }

  private:
    CidrSet set_;
    std::string shown_;
};

}  // namespace

ConditionPtr make_client_addr_condition(const std::vector<std::string>& networks) {
    return std::make_unique<ClientAddrCondition>(networks);
}

}  // namespace mv::policy
