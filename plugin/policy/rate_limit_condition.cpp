// SPDX-License-Identifier: Apache-2.0
// rate_limit_condition.cpp - the rate_limit condition (see state_conditions.hpp).
#include <algorithm>
#include <chrono>

#include "policy/address.hpp"
#include "policy/state_conditions.hpp"

namespace mv::policy {

namespace {

using codes::Stage;

std::string format_duration(state::Duration d) {
    const long long s = d.count() / 1000;
    if (s % 86400 == 0) return std::to_string(s / 86400) + "d";
    if (s % 3600 == 0) return std::to_string(s / 3600) + "h";
    if (s % 60 == 0) return std::to_string(s / 60) + "m";
    return std::to_string(s) + "s";
}

class RateLimitCondition final : public Condition {
  public:
    RateLimitCondition(RateLimitSpec spec, std::shared_ptr<state::StoreSlot> slot)
        : spec_(std::move(spec)), slot_(std::move(slot)) {}

    Match match(const Transaction& t) const override {
        std::string key = spec_.bucket;
        for (RateKey k : spec_.keys) {
            const std::string v = value(k, t);
            if (v.empty()) return Match::No;  // nothing to count this event under
            append_key_part(key, v);
        }
        const auto store = slot_->get();
        if (!store) {
            t.state_error = "no state store";
            return Match::TempError;
        }
        state::RateRequest req;
        req.key = std::move(key);
        req.windows = spec_.windows;
        req.count_refused = spec_.strict;
        req.cost = cost(t);
        const auto asked = std::chrono::steady_clock::now();
        const state::RateResult r = store->rate(req);
        t.state_wait += std::chrono::steady_clock::now() - asked;
        if (!r.ok()) {
            t.state_error = r.error;
            return Match::TempError;
        }
        if (r.allowed) return Match::No;
        t.retry = std::to_string((r.retry_after.count() + 999) / 1000);
        return Match::Yes;
    }

    Stage stage() const override { return rate_limit_stage(spec_); }

    std::string describe() const override {
        std::string d = "rate_limit ";
        for (std::size_t i = 0; i < spec_.keys.size(); ++i)
            d += (i ? "+" : "") + std::string(rate_key_name(spec_.keys[i]));
        d += " per " + std::string(rate_count_name(spec_.count));
        for (const auto& w : spec_.windows)
            d += " " + std::to_string(w.limit) + "/" + format_duration(w.length);
        return d + (spec_.strict ? " (strict)" : "");
    }

  private:
    std::string value(RateKey k, const Transaction& t) const {
        switch (k) {
            case RateKey::Client:
                return key_lower(t.client_addr);
            case RateKey::ClientNet:
                return client_network(t.client_addr, spec_.ipv4_prefix, spec_.ipv6_prefix);
            case RateKey::Sender:
                return t.sender.empty() ? "<>" : key_lower(t.sender);
            case RateKey::SenderDomain:
                return t.sender.empty() ? "<>" : normalize_domain(address_domain(t.sender));
            case RateKey::SaslLogin:
                return t.auth_login;
            case RateKey::Rcpt:
                return key_lower(t.current_rcpt);
            case RateKey::RcptDomain:
                return normalize_domain(address_domain(t.current_rcpt));
        }
        return {};
    }

    // How many events this evaluation is. The rule's stage tells where we
    // are: current_rcpt is set only at RCPT; recipients exist only after it.
    std::uint64_t cost(const Transaction& t) const {
        const bool at_rcpt = !t.current_rcpt.empty();
        const bool after_rcpt = !at_rcpt && t.recipient_count() > 0;
        switch (spec_.count) {
            case RateCount::Connection:
                return 1;
            case RateCount::Message:
                // Counted at the first recipient; later ones only look, and
                // see the message's own answer (it is within the limit).
                return at_rcpt && t.recipients.size() > 1 ? 0 : 1;
            case RateCount::Recipient:
                return after_rcpt ? t.recipient_count() : 1;
        }
        return 1;
    }

    RateLimitSpec spec_;
    std::shared_ptr<state::StoreSlot> slot_;
};

}  // namespace

std::string_view rate_key_name(RateKey k) {
    switch (k) {
        case RateKey::Client:
            return "client";
        case RateKey::ClientNet:
            return "client_net";
        case RateKey::Sender:
            return "sender";
        case RateKey::SenderDomain:
            return "sender_domain";
        case RateKey::SaslLogin:
            return "sasl_login";
        case RateKey::Rcpt:
            return "rcpt";
        case RateKey::RcptDomain:
            return "rcpt_domain";
    }
    return "?";
}

std::string_view rate_count_name(RateCount c) {
    switch (c) {
        case RateCount::Connection:
            return "connection";
        case RateCount::Message:
            return "message";
        case RateCount::Recipient:
            return "recipient";
    }
    return "?";
}

Stage rate_limit_stage(const RateLimitSpec& spec) {
    Stage s = Stage::Connect;
    for (RateKey k : spec.keys) {
        if (k == RateKey::Sender || k == RateKey::SenderDomain || k == RateKey::SaslLogin)
            s = std::max(s, Stage::Mail);
        if (k == RateKey::Rcpt || k == RateKey::RcptDomain) s = std::max(s, Stage::Rcpt);
    }
    if (spec.count == RateCount::Message) s = std::max(s, Stage::Mail);
    if (spec.count == RateCount::Recipient) s = std::max(s, Stage::Rcpt);
    return s;
}

ConditionPtr make_rate_limit_condition(RateLimitSpec spec, std::shared_ptr<state::StoreSlot> slot) {
    return std::make_unique<RateLimitCondition>(std::move(spec), std::move(slot));
}

}  // namespace mv::policy
