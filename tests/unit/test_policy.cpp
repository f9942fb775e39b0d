// test_policy.cpp - Policy: macros asked per stage, content hooks.
#include <cppunit/extensions/HelperMacros.h>

#include "policy/policy.hpp"
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
};

CPPUNIT_TEST_SUITE_REGISTRATION(PolicyTest);
