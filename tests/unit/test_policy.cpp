// SPDX-License-Identifier: Apache-2.0
// test_policy.cpp - Policy: macros asked per stage, content hooks.
#include <cppunit/extensions/HelperMacros.h>

#include <atomic>
#include <thread>

#include "policy/policy.hpp"
#include "policy/session.hpp"
#include "policy_builder.hpp"

using namespace mv::policy;
using namespace mv::test;
using mv::codes::Stage;

class PolicyTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(PolicyTest);
    CPPUNIT_TEST(testEngineMacrosAreAlwaysAsked);
    CPPUNIT_TEST(testKnownMacroIsAskedAtItsPostfixStage);
    CPPUNIT_TEST(testUnknownMacroIsAskedAtRuleStage);
    CPPUNIT_TEST(testNoContentNeededWithoutContentConditions);
    CPPUNIT_TEST(testSharedPolicyServesManyThreads);
    CPPUNIT_TEST(testRulesByStageAndFirstRuleFrom);
    CPPUNIT_TEST(testDerivedDataIsComputedOnceForManyThreads);
    CPPUNIT_TEST_SUITE_END();

  public:
    void testEngineMacrosAreAlwaysAsked() {
        Policy p;
        CPPUNIT_ASSERT(p.macros_needed(Stage::Connect) ==
                       (std::set<std::string>{"client_name", "client_resolve", "daemon_name"}));
        CPPUNIT_ASSERT(p.macros_needed(Stage::Helo) == std::set<std::string>{"tls_version"});
        CPPUNIT_ASSERT(p.macros_needed(Stage::Mail) == (std::set<std::string>{"auth_authen", "i"}));
        CPPUNIT_ASSERT(p.macros_needed(Stage::EndOfData) == std::set<std::string>{"i"});
    }
    void testKnownMacroIsAskedAtItsPostfixStage() {
        PolicyBuilder b;
        std::vector<ConditionPtr> parts;
        parts.push_back(make_macro_present_condition("cert_subject", Stage::Helo, true));
        parts.push_back(rcpt_domain("c.example"));
        b.rule("r", Action::Reject, make_all(std::move(parts)));
        auto p = b.build();
        CPPUNIT_ASSERT(p->rules[0].stage == Stage::Rcpt);
        CPPUNIT_ASSERT(p->macros_needed(Stage::Helo).count("cert_subject"));
        CPPUNIT_ASSERT(!p->macros_needed(Stage::Rcpt).count("cert_subject"));
    }
    void testUnknownMacroIsAskedAtRuleStage() {
        PolicyBuilder b;
        b.rule("r", Action::Reject, make_macro_present_condition("my_macro", Stage::Mail, true));
        auto p = b.build();
        CPPUNIT_ASSERT(p->macros_needed(Stage::Mail).count("my_macro"));
        CPPUNIT_ASSERT(!p->macros_needed(Stage::Connect).count("my_macro"));
    }
    void testNoContentNeededWithoutContentConditions() {
        PolicyBuilder b;
        b.rule("r", Action::Reject, sender_domain("b.example"));
        auto p = b.build();
        CPPUNIT_ASSERT(!p->needs_headers());
        CPPUNIT_ASSERT(!p->needs_body());
    }

    void testRulesByStageAndFirstRuleFrom() {
        PolicyBuilder b;
        b.rule("net", Action::Reject, client_in("198.51.100.0/24"));     // 0 connect
        b.rule("rcpt", Action::Reject, rcpt_domain("blocked.example"));  // 1 rcpt
        b.rule("helo", Action::Reject, helo_is("bad.example"));          // 2 helo
        b.rule("net2", Action::Reject, client_in("203.0.113.0/24"));     // 3 connect
        auto p = b.build();
        CPPUNIT_ASSERT(p->rules_at(Stage::Connect) == (std::vector<std::size_t>{0, 3}));
        CPPUNIT_ASSERT(p->rules_at(Stage::Helo) == std::vector<std::size_t>{2});
        CPPUNIT_ASSERT(p->rules_at(Stage::Rcpt) == std::vector<std::size_t>{1});
        CPPUNIT_ASSERT(p->rules_at(Stage::Data).empty());
        CPPUNIT_ASSERT_EQUAL(std::size_t(0), p->first_rule_from(Stage::Connect));
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), p->first_rule_from(Stage::Helo));
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), p->first_rule_from(Stage::Mail));
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), p->first_rule_from(Stage::Rcpt));
        CPPUNIT_ASSERT_EQUAL(std::size_t(4), p->first_rule_from(Stage::Data));
        CPPUNIT_ASSERT_EQUAL(std::size_t(4), p->first_rule_from(Stage::EndOfData));
    }

    // The first use computes what the policy derives from its rules, under
    // call_once: threads racing for it see one complete result (ASan/TSan-clean).
    void testDerivedDataIsComputedOnceForManyThreads() {
        PolicyBuilder b;
        for (int i = 0; i < 200; ++i)
            b.rule("r" + std::to_string(i), Action::Reject,
                   rcpt_domain("d" + std::to_string(i) + ".example"));
        const PolicyPtr p = b.build();
        std::atomic<int> wrong{0};
        std::vector<std::thread> threads;
        for (int t = 0; t < 4; ++t)
            threads.emplace_back([&] {
                if (p->rules_at(Stage::Rcpt).size() != 200) ++wrong;
                if (p->macros_needed(Stage::Rcpt) != std::set<std::string>{"i"}) ++wrong;
            });
        for (auto& th : threads) th.join();
        CPPUNIT_ASSERT_EQUAL(0, wrong.load());
    }

    // One immutable Policy, one Session per connection, connections on
    // different threads at once (libmilter's worker pool): every thread sees
    // the same answers. Under ASan this also checks the matchers share no
    // mutable state.
    void testSharedPolicyServesManyThreads() {
        PolicyBuilder b;
        b.settings().delay_reject = false;
        StringMatch re;
        re.regexes = {"^spam[0-9]+@", "@bulk\\."};
        // The connect rule first: it decides at once (file order, issue 24).
        b.rule("net", Action::Tempfail, client_in("198.51.100.0/24"), 451, "4.7.1", "net");
        b.rule("re", Action::Reject, make_string_condition(Field::Sender, re), 550, "5.7.1", "re");
        b.rule("dom", Action::Reject, rcpt_domain("blocked.example"), 550, "5.7.1", "dom");
        const PolicyPtr p = b.build();
        std::atomic<int> wrong{0};
        std::vector<std::thread> threads;
        for (int t = 0; t < 4; ++t)
            threads.emplace_back([&, t] {
                for (int i = 0; i < 500; ++i) {
                    Session s(p);
                    const bool bad_net = (i + t) % 3 == 0;
                    s.transaction().client_addr = bad_net ? "198.51.100.7" : "192.0.2.7";
                    if (s.connect().action != (bad_net ? Action::Tempfail : Action::Continue))
                        ++wrong;
                    if (bad_net) continue;
                    const bool spam = i % 2 == 0;
                    if (s.mail(spam ? "spam42@x.example" : "ok@x.example").action !=
                        (spam ? Action::Reject : Action::Continue))
                        ++wrong;
                    if (spam) continue;
                    if (s.rcpt("a@blocked.example").action != Action::Reject) ++wrong;
                    if (s.rcpt("a@fine.example").action != Action::Continue) ++wrong;
                }
            });
        for (auto& th : threads) th.join();
        CPPUNIT_ASSERT_EQUAL(0, wrong.load());
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(PolicyTest);
