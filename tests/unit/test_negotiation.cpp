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
    CPPUNIT_TEST(testStagesBeforeTheFirstRuleGetNoReply);
    CPPUNIT_TEST(testConnectRuleKeepsEveryReply);
    CPPUNIT_TEST(testRcptAndDataAlwaysReply);
    CPPUNIT_TEST_SUITE_END();

    static policy::Policy policy_at(std::initializer_list<codes::Stage> stages) {
        policy::Policy p;
        for (const codes::Stage st : stages) {
            policy::Rule r;
            r.name = "at-" + std::string(codes::stage_name(st));
            r.action = policy::Action::Reject;
            r.stage = st;
            p.rules.push_back(std::move(r));
        }
        return p;
    }

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
    // Nothing can decide before the first rule's stage: those stages are sent
    // without a reply (one round trip at RCPT instead of four before it).
    void testStagesBeforeTheFirstRuleGetNoReply() {
        using codes::Stage;
        const unsigned long rcpt =
            negotiate(policy_at({Stage::Rcpt}), kAllActions, kAllSteps).protocol;
        CPPUNIT_ASSERT(rcpt & SMFIP_NR_CONN);
        CPPUNIT_ASSERT(rcpt & SMFIP_NR_HELO);
        CPPUNIT_ASSERT(rcpt & SMFIP_NR_MAIL);
        const unsigned long helo =
            negotiate(policy_at({Stage::EndOfData, Stage::Helo}), kAllActions, kAllSteps).protocol;
        CPPUNIT_ASSERT(helo & SMFIP_NR_CONN);
        CPPUNIT_ASSERT(!(helo & SMFIP_NR_HELO));
        CPPUNIT_ASSERT(!(helo & SMFIP_NR_MAIL));  // MAIL may settle the message (ACCEPT)
        const unsigned long mail =
            negotiate(policy_at({Stage::Mail}), kAllActions, kAllSteps).protocol;
        CPPUNIT_ASSERT(mail & SMFIP_NR_CONN);
        CPPUNIT_ASSERT(mail & SMFIP_NR_HELO);
        CPPUNIT_ASSERT(!(mail & SMFIP_NR_MAIL));
        // Never a step the MTA did not offer (libmilter aborts otherwise).
        CPPUNIT_ASSERT_EQUAL(
            0ul, negotiate(policy_at({Stage::Rcpt}), kAllActions, SMFIP_NOHDRS).protocol &
                     (SMFIP_NR_CONN | SMFIP_NR_HELO | SMFIP_NR_MAIL));
    }
    // A rule at connect (and an empty policy, settled at connect) needs the
    // connect reply to refuse or to answer SMFIS_ACCEPT.
    void testConnectRuleKeepsEveryReply() {
        using codes::Stage;
        const unsigned long none = SMFIP_NR_CONN | SMFIP_NR_HELO | SMFIP_NR_MAIL;
        CPPUNIT_ASSERT_EQUAL(
            0ul,
            negotiate(policy_at({Stage::Rcpt, Stage::Connect}), kAllActions, kAllSteps).protocol &
                none);
        CPPUNIT_ASSERT_EQUAL(0ul,
                             negotiate(policy::Policy{}, kAllActions, kAllSteps).protocol & none);
    }
    // RCPT answers the recipient bound whatever the policy; DATA is where the
    // conversation ends early (negotiation.hpp).
    void testRcptAndDataAlwaysReply() {
        using codes::Stage;
        for (const Stage st : {Stage::Rcpt, Stage::Data, Stage::EndOfData}) {
            const unsigned long f = negotiate(policy_at({st}), kAllActions, kAllSteps).protocol;
            CPPUNIT_ASSERT(!(f & SMFIP_NR_RCPT));
            CPPUNIT_ASSERT(!(f & SMFIP_NR_DATA));
            CPPUNIT_ASSERT(!(f & SMFIP_NODATA));
        }
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
