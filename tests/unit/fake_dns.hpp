// SPDX-License-Identifier: Apache-2.0
// fake_dns.hpp - a DnsEvidence (policy/dns_evidence.hpp) with answers set by the
// test, for engine tests without any DNS code.
//
// FakeDnsState holds what the tests decide: per list index the facts, and
// whether the answer is "in" yet. An answer not in is pending when the
// session does not wait; when it waits, the answer arrives during the wait
// (arrives_on_wait) or the wait times out (TempError "timeout"). Every call
// is recorded ("start connect", "list 0 nowait") so tests can check when the
// engine asked and whether it waited.
//
// Thread contract: test-only, one thread.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "codes/stage.hpp"
#include "policy/dns_evidence.hpp"
#include "policy/policy.hpp"

namespace mv::test {

struct FakeDnsState {
    struct List {
        policy::Match match = policy::Match::No;
        bool in = true;               // the answer is in
        bool arrives_on_wait = true;  // not in: a wait gets it (else it times out)
        std::string zones = "bl.example", score = "3";
    };
    std::map<std::size_t, List> lists;
    policy::ReverseFacts reverse;
    std::vector<std::string> calls;
    bool waiting = true;
    int opened = 0;
};

class FakeDns final : public policy::DnsEvidence {
  public:
    explicit FakeDns(std::shared_ptr<FakeDnsState> s) : s_(std::move(s)) {}
    void start(codes::Stage stage, const policy::Transaction&) override {
        s_->calls.push_back("start " + std::string(codes::stage_name(stage)));
    }
    void new_message() override { s_->calls.push_back("new message"); }
    void set_waiting(bool w) override { s_->waiting = w; }
    policy::DnsListFacts list(std::size_t i, bool allowed, const policy::Transaction&) override {
        s_->calls.push_back("list " + std::to_string(i) + (s_->waiting ? " wait" : " nowait"));
        policy::DnsListFacts f;
        FakeDnsState::List& l = s_->lists[i];
        if (!l.in) {
            if (!s_->waiting) {
                f.match = policy::Match::TempError;
                f.pending = true;
                return f;
            }
            if (!l.arrives_on_wait) {
                f.match = policy::Match::TempError;
                f.error = "list " + std::to_string(i) + ": timeout after 2000 ms";
                return f;
            }
            l.in = true;
        }
        f.match = l.match;
        f.zones = l.zones;
        f.score = l.score;
        f.detail = "score " + l.score;
        (void)allowed;
        return f;
    }
    policy::ReverseFacts reverse(const policy::Transaction&) override {
        s_->calls.push_back("reverse");
        return s_->reverse;
    }
    policy::DomainFacts domain(std::string_view d, policy::DomainTest) override {
        s_->calls.push_back("domain " + std::string(d));
        return {};
    }
    std::vector<std::string> take_trace() override { return {}; }

  private:
    std::shared_ptr<FakeDnsState> s_;
};

class FakeDnsSource final : public policy::DnsSource {
  public:
    explicit FakeDnsSource(std::shared_ptr<FakeDnsState> s) : s_(std::move(s)) {}
    std::unique_ptr<policy::DnsEvidence> open() const override {
        ++s_->opened;
        return std::make_unique<FakeDns>(s_);
    }

  private:
    std::shared_ptr<FakeDnsState> s_;
};

// Attaches a fake to a policy built in code (PolicyBuilder) and marks it needed.
inline std::shared_ptr<FakeDnsState> attach_fake_dns(const policy::Policy& p) {
    auto s = std::make_shared<FakeDnsState>();
    p.dns_slot->set_needed();
    p.dns_slot->attach(std::make_shared<FakeDnsSource>(s));
    return s;
}

}  // namespace mv::test
