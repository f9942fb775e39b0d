// SPDX-License-Identifier: Apache-2.0
// greylist_condition.cpp - the greylist condition (see state_conditions.hpp).
#include <algorithm>
#include <chrono>

#include "policy/state_conditions.hpp"

namespace mv::policy {

namespace {

class GreylistCondition final : public Condition {
  public:
    GreylistCondition(GreylistSpec spec, std::shared_ptr<state::StoreSlot> slot)
        : spec_(std::move(spec)), slot_(std::move(slot)) {}

    Match match(const Transaction& t) const override {
        // Local submissions have no client to greylist.
        if (t.non_smtp) return Match::No;
        const std::string net = client_network(t.client_addr, spec_.ipv4_prefix, spec_.ipv6_prefix);
        if (net.empty()) return Match::No;
        const auto store = slot_->get();
        if (!store) {
            t.state_error = "no state store";
            return Match::TempError;
        }
        state::GreylistRequest req;
        req.client = spec_.bucket;
        append_key_part(req.client, net);
        req.delay = spec_.delay;
        req.expiry = spec_.expiry;
        req.pass_lifetime = spec_.pass_lifetime;
        req.client_after = spec_.client_after;
        std::string prefix = req.client;
        append_key_part(prefix, t.sender.empty() ? "<>" : key_lower(t.sender));

        std::vector<std::string_view> rcpts;
        if (!t.current_rcpt.empty()) {
            rcpts.push_back(t.current_rcpt);
        } else {
            for (const auto& r : t.recipients) rcpts.push_back(r);
        }
        // Every recipient is recorded, even after one is deferred, so that the
        // retry of a multi-recipient message passes for all of them at once.
        bool deferred = false;
        state::Duration wait{0};
        for (std::string_view r : rcpts) {
            req.triplet = prefix;
            append_key_part(req.triplet, key_lower(r));
            const auto asked = std::chrono::steady_clock::now();
            const state::GreylistResult g = store->greylist(req);
            t.state_wait += std::chrono::steady_clock::now() - asked;
            if (!g.ok()) {
                t.state_error = g.error;
                return Match::TempError;
            }
            if (!g.passes()) {
                deferred = true;
                wait = std::max(wait, g.remaining);
            }
        }
        if (!deferred) return Match::No;
        t.retry = std::to_string((wait.count() + 999) / 1000);
        return Match::Yes;
    }

    codes::Stage stage() const override { return spec_.refuse_at; }

    std::string describe() const override {
        return "greylist delay " + std::to_string(spec_.delay.count() / 1000) + "s at " +
               std::string(codes::stage_name(spec_.refuse_at));
    }

  private:
    GreylistSpec spec_;
    std::shared_ptr<state::StoreSlot> slot_;
};

}  // namespace

ConditionPtr make_greylist_condition(GreylistSpec spec, std::shared_ptr<state::StoreSlot> slot) {
    return std::make_unique<GreylistCondition>(std::move(spec), std::move(slot));
}

}  // namespace mv::policy
