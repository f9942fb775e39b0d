// SPDX-License-Identifier: Apache-2.0
// state_policy.hpp - load a configuration text with stateful rules for a test,
// with an embedded store on a fake clock attached.
#pragma once

#include <cppunit/extensions/HelperMacros.h>

#include <cstdio>
#include <fstream>
#include <memory>
#include <string>

#include "config/loader.hpp"
#include "policy/session.hpp"
#include "state/memory_store.hpp"

namespace mv::test {

struct StatePolicy {
    std::shared_ptr<state::FakeClock> clock = std::make_shared<state::FakeClock>();
    std::shared_ptr<state::MemoryStore> store =
        std::make_shared<state::MemoryStore>(state::MemoryOptions{10000, "", 4}, clock);
    policy::PolicyPtr policy;

    explicit StatePolicy(const std::string& text) {
        char path[] = "/tmp/mv-state-policy-XXXXXX";
        const int fd = mkstemp(path);
        CPPUNIT_ASSERT(fd >= 0);
        ::close(fd);
        std::ofstream(path) << text;
        config::LoadResult r = config::load_policy(path);
        std::remove(path);
        std::string diags;
        for (const auto& d : r.diagnostics) diags += d.to_string() + "\n";
        CPPUNIT_ASSERT_MESSAGE(diags, r.ok());
        policy = r.policy;
        policy->state_slot->attach(store);
    }

    policy::Session session(const std::string& client = "203.0.113.7") const {
        policy::Session s(policy);
        s.transaction().client_addr = client;
        return s;
    }
};

inline std::string wire(const policy::Verdict& v) {
    const auto lines = v.reply.wire_lines();
    return lines.empty() ? std::string() : lines.front();
}

}  // namespace mv::test
