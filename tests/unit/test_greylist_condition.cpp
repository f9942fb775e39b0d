// SPDX-License-Identifier: Apache-2.0
// test_greylist_condition.cpp - greylist rules from configuration to reply.
#include <cppunit/extensions/HelperMacros.h>
#include <unistd.h>

#include "state_policy.hpp"

using namespace mv::policy;
using namespace mv::test;
using namespace std::chrono_literals;

class GreylistConditionTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(GreylistConditionTest);
    CPPUNIT_TEST(testNewTripletIsDeferredWithRemainingTime);
    CPPUNIT_TEST(testRetryAfterDelayIsAccepted);
    CPPUNIT_TEST(testTripletsAreKeyedByNetworkSenderAndRecipient);
    CPPUNIT_TEST(testRefuseAtDataDefersMultiRecipientMessageOnce);
    CPPUNIT_TEST(testClientWhitelistedAfterPasses);
    CPPUNIT_TEST(testNonSmtpMailIsNotGreylisted);
    CPPUNIT_TEST(testOwnReplyTextGetsRetry);
    CPPUNIT_TEST_SUITE_END();

    static constexpr const char* kRcpt = R"(
rules = ( { name = "grey"; when = { greylist = { delay = "5m"; expiry = "4h"; }; };
            action = "tempfail"; } );
)";

  public:
    void testNewTripletIsDeferredWithRemainingTime() {
        StatePolicy p(kRcpt);
        Session s = p.session();
        s.connect();
        s.mail("a@example.org");
        Verdict v = s.rcpt("b@example.net");
        CPPUNIT_ASSERT(v.action == Action::Tempfail);
        CPPUNIT_ASSERT_EQUAL(std::string("451 4.7.1 Greylisted, please try again in 300 seconds"),
                             wire(v));
        p.clock->advance(100s);
        v = s.rcpt("b@example.net");
        CPPUNIT_ASSERT_EQUAL(std::string("451 4.7.1 Greylisted, please try again in 200 seconds"),
                             wire(v));
    }

    void testRetryAfterDelayIsAccepted() {
        StatePolicy p(kRcpt);
        {
            Session s = p.session("203.0.113.7");
            s.connect();
            s.mail("a@example.org");
            CPPUNIT_ASSERT(s.rcpt("b@example.net").final());
        }
        p.clock->advance(301s);
        Session retry = p.session("203.0.113.99");  // another host of the same /24
        retry.connect();
        retry.mail("a@example.org");
        CPPUNIT_ASSERT(!retry.rcpt("b@example.net").final());
    }

    void testTripletsAreKeyedByNetworkSenderAndRecipient() {
        StatePolicy p(kRcpt);
        Session s = p.session();
        s.connect();
        s.mail("a@example.org");
        s.rcpt("b@example.net");
        p.clock->advance(301s);
        CPPUNIT_ASSERT(!s.rcpt("B@example.net").final());  // recipient case is ignored
        CPPUNIT_ASSERT(s.rcpt("c@example.net").final());   // another recipient
        s.abort();
        s.mail("other@example.org");
        CPPUNIT_ASSERT(s.rcpt("b@example.net").final());  // another sender
        Session far = p.session("198.51.100.7");
        far.connect();
        far.mail("a@example.org");
        CPPUNIT_ASSERT(far.rcpt("b@example.net").final());  // another network
    }

    void testRefuseAtDataDefersMultiRecipientMessageOnce() {
        StatePolicy p(R"(
rules = ( { name = "grey"; when = { greylist = { delay = "5m"; refuse_at = "data"; }; };
            action = "tempfail"; } );
)");
        Session s = p.session();
        s.connect();
        s.mail("a@example.org");
        CPPUNIT_ASSERT(!s.rcpt("b@example.net").final());
        CPPUNIT_ASSERT(!s.rcpt("c@example.net").final());
        const Verdict v = s.data();
        CPPUNIT_ASSERT(v.action == Action::Tempfail);
        CPPUNIT_ASSERT(wire(v).rfind("451 4.7.1 ", 0) == 0);
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), p.store->size());  // both triplets recorded
        p.clock->advance(300s);
        s.abort();
        s.mail("a@example.org");
        s.rcpt("b@example.net");
        s.rcpt("c@example.net");
        CPPUNIT_ASSERT(!s.data().final());
    }

    void testClientWhitelistedAfterPasses() {
        StatePolicy p(R"(
rules = ( { name = "grey";
            when = { greylist = { delay = "1m"; client_whitelist_after = 1; }; };
            action = "tempfail"; } );
)");
        Session s = p.session();
        s.connect();
        s.mail("a@example.org");
        s.rcpt("b@example.net");
        p.clock->advance(60s);
        CPPUNIT_ASSERT(!s.rcpt("b@example.net").final());    // passes: the client earns a pass
        CPPUNIT_ASSERT(!s.rcpt("new@example.net").final());  // whitelisted from now on
    }

    void testNonSmtpMailIsNotGreylisted() {
        StatePolicy p(kRcpt);
        Session s = p.session("");
        s.transaction().non_smtp = true;
        s.connect();
        s.mail("a@example.org");
        s.rcpt("b@example.net");
        CPPUNIT_ASSERT(!s.data().final());
        CPPUNIT_ASSERT(!s.end_of_message().final());
        CPPUNIT_ASSERT_EQUAL(std::size_t(0), p.store->size());
    }

    void testOwnReplyTextGetsRetry() {
        StatePolicy p(R"(
rules = ( { name = "grey"; when = { greylist = { delay = "90s"; }; }; action = "tempfail";
            reply = { code = 450; text = "Come back in ${retry}s"; }; } );
)");
        Session s = p.session();
        s.connect();
        s.mail("a@example.org");
        CPPUNIT_ASSERT_EQUAL(std::string("450 4.7.1 Come back in 90s"),
                             wire(s.rcpt("b@x.example")));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(GreylistConditionTest);
