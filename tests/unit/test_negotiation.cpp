// SPDX-License-Identifier: Apache-2.0
// test_negotiation.cpp - protocol steps and macro lists chosen for a Policy.
#include <cppunit/extensions/HelperMacros.h>
#include <libmilter/mfapi.h>

#include <algorithm>

#include "milter/negotiation.hpp"
#include "policy/conditions.hpp"

namespace mv::milter::test {

namespace {
constexpr unsigned long kAllActions = 0x1ff;
constexpr unsigned long kAllSteps = 0x1fffff;
}  // namespace

class NegotiationTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(NegotiationTest);
    CPPUNIT_TEST(testPolicyWithoutContentRulesSkipsHeadersAndBody);
    CPPUNIT_TEST(testDataIsNeverSkipped);
    CPPUNIT_TEST(testOnlyOfferedStepsAndActionsAreRequested);
    CPPUNIT_TEST(testMacrosForStageHaveBraces);
    CPPUNIT_TEST(testHeaderRuleAsksForHeadersOnlyWithoutReplies);
    CPPUNIT_TEST(testBodyRuleAsksForBodyWithoutReplies);
    CPPUNIT_TEST_SUITE_END();

  public:
    void testPolicyWithoutContentRulesSkipsHeadersAndBody() {
        policy::Policy p;
        const Negotiation n = negotiate(p, kAllActions, kAllSteps);
        for (unsigned long f : {SMFIP_NOHDRS, SMFIP_NOBODY, SMFIP_NOEOH, SMFIP_NOUNKNOWN})
            CPPUNIT_ASSERT(n.protocol & f);
        for (unsigned long f : {SMFIP_NOCONNECT, SMFIP_NOHELO, SMFIP_NOMAIL, SMFIP_NORCPT,
                                SMFIP_NR_RCPT, SMFIP_NR_MAIL, SMFIP_NR_CONN})
            CPPUNIT_ASSERT(!(n.protocol & f));
        CPPUNIT_ASSERT(!n.symlists[SMFIM_CONNECT].empty());
    }
    // DESIGN.md section 7: a skipped DATA stage leaves Postfix's DATA macros
    // unanswered, and its next write waits ~40 ms for their ACK on TCP.
    void testDataIsNeverSkipped() {
        policy::Policy empty;
        CPPUNIT_ASSERT(!(negotiate(empty, kAllActions, kAllSteps).protocol & SMFIP_NODATA));
        policy::Policy p;
        policy::Rule r;
        r.name = "at-data";
        r.action = policy::Action::Reject;
        r.stage = codes::Stage::Data;
        p.rules.push_back(std::move(r));
        CPPUNIT_ASSERT(!(negotiate(p, kAllActions, kAllSteps).protocol & SMFIP_NODATA));
    }
    void testOnlyOfferedStepsAndActionsAreRequested() {
        policy::Policy p;
        const Negotiation n = negotiate(p, SMFIF_ADDHDRS, SMFIP_NOHDRS | SMFIP_NOBODY);
        CPPUNIT_ASSERT_EQUAL(static_cast<unsigned long>(SMFIF_ADDHDRS), n.actions);
        CPPUNIT_ASSERT_EQUAL(static_cast<unsigned long>(SMFIP_NOHDRS | SMFIP_NOBODY), n.protocol);
        CPPUNIT_ASSERT(n.symlists[SMFIM_CONNECT].empty());  // no SMFIF_SETSYMLIST offered
    }
    void testHeaderRuleAsksForHeadersOnlyWithoutReplies() {
        policy::Policy p;
        policy::Rule r;
        r.name = "subject";
        r.action = policy::Action::Reject;
        policy::StringMatch m;
        m.exact = {"x"};
        r.when = policy::make_header_condition("Subject", m);
        r.stage = codes::Stage::EndOfData;
        p.rules.push_back(std::move(r));
        const Negotiation n = negotiate(p, kAllActions, kAllSteps);
        CPPUNIT_ASSERT(!(n.protocol & SMFIP_NOHDRS));
        CPPUNIT_ASSERT(n.protocol & SMFIP_NR_HDR);
        CPPUNIT_ASSERT(n.protocol & SMFIP_NOBODY);
    }
    void testBodyRuleAsksForBodyWithoutReplies() {
        policy::Policy p;
        policy::Rule r;
        r.name = "body";
        r.action = policy::Action::Reject;
        r.when = policy::make_body_condition({"x"});
        r.stage = codes::Stage::EndOfData;
        p.rules.push_back(std::move(r));
        const Negotiation n = negotiate(p, kAllActions, kAllSteps);
        CPPUNIT_ASSERT(!(n.protocol & SMFIP_NOBODY));
        CPPUNIT_ASSERT(n.protocol & SMFIP_NR_BODY);
        CPPUNIT_ASSERT(n.protocol & SMFIP_NOHDRS);
    }
    void testMacrosForStageHaveBraces() {
        policy::Policy p;
        const auto m = macros_for_stage(p, codes::Stage::Mail);
        CPPUNIT_ASSERT(std::find(m.begin(), m.end(), "i") != m.end());
        CPPUNIT_ASSERT(std::find(m.begin(), m.end(), "{auth_authen}") != m.end());
        CPPUNIT_ASSERT_EQUAL(std::string("auth_authen"), macro_key("{auth_authen}"));
        CPPUNIT_ASSERT_EQUAL(std::string("i"), macro_key("i"));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(NegotiationTest);

}  // namespace mv::milter::test
