// test_negotiation.cpp - protocol steps and macro lists chosen for a Policy.
#include <cppunit/extensions/HelperMacros.h>
#include <libmilter/mfapi.h>

#include <algorithm>

#include "milter/negotiation.hpp"

namespace mv::milter::test {

namespace {
constexpr unsigned long kAllActions = 0x1ff;
constexpr unsigned long kAllSteps = 0x1fffff;
}  // namespace

class NegotiationTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(NegotiationTest);
    CPPUNIT_TEST(testPolicyWithoutContentRulesSkipsHeadersBodyAndData);
    CPPUNIT_TEST(testDataIsKeptWhenSkippingItIsNotAllowed);
    CPPUNIT_TEST(testDataIsKeptForADataStageRule);
    CPPUNIT_TEST(testOnlyOfferedStepsAndActionsAreRequested);
    CPPUNIT_TEST(testMacrosForStageHaveBraces);
    CPPUNIT_TEST_SUITE_END();

  public:
    void testPolicyWithoutContentRulesSkipsHeadersBodyAndData() {
        policy::Policy p;
        const Negotiation n = negotiate(p, kAllActions, kAllSteps, true);
        for (unsigned long f :
             {SMFIP_NOHDRS, SMFIP_NOBODY, SMFIP_NOEOH, SMFIP_NOUNKNOWN, SMFIP_NODATA})
            CPPUNIT_ASSERT(n.protocol & f);
        for (unsigned long f : {SMFIP_NOCONNECT, SMFIP_NOHELO, SMFIP_NOMAIL, SMFIP_NORCPT,
                                SMFIP_NR_RCPT, SMFIP_NR_MAIL, SMFIP_NR_CONN})
            CPPUNIT_ASSERT(!(n.protocol & f));
        CPPUNIT_ASSERT(!n.symlists[SMFIM_CONNECT].empty());
    }
    void testDataIsKeptWhenSkippingItIsNotAllowed() {
        policy::Policy p;
        CPPUNIT_ASSERT(!(negotiate(p, kAllActions, kAllSteps, false).protocol & SMFIP_NODATA));
    }
    void testDataIsKeptForADataStageRule() {
        policy::Policy p;
        policy::Rule r;
        r.name = "at-data";
        r.action = policy::Action::Reject;
        r.stage = codes::Stage::Data;
        p.rules.push_back(std::move(r));
        CPPUNIT_ASSERT(!(negotiate(p, kAllActions, kAllSteps, true).protocol & SMFIP_NODATA));
    }
    void testOnlyOfferedStepsAndActionsAreRequested() {
        policy::Policy p;
        const Negotiation n = negotiate(p, SMFIF_ADDHDRS, SMFIP_NOHDRS | SMFIP_NOBODY, true);
        CPPUNIT_ASSERT_EQUAL(static_cast<unsigned long>(SMFIF_ADDHDRS), n.actions);
        CPPUNIT_ASSERT_EQUAL(static_cast<unsigned long>(SMFIP_NOHDRS | SMFIP_NOBODY), n.protocol);
        CPPUNIT_ASSERT(n.symlists[SMFIM_CONNECT].empty());  // no SMFIF_SETSYMLIST offered
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
