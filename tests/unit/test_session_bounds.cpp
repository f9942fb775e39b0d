// SPDX-License-Identifier: Apache-2.0
// test_session_bounds.cpp - Session under hostile or huge input: recipient,
// header and body bounds, NUL bytes, megabyte values, 100,000 rules.
#include <cppunit/extensions/HelperMacros.h>

#include "policy/session.hpp"
#include "policy_builder.hpp"

using namespace mv::policy;
using namespace mv::test;
using mv::codes::Stage;

namespace {

bool logged(const Verdict& v, const std::string& needle) {
    for (const auto& l : v.log)
        if (l.text.find(needle) != std::string::npos) return true;
    return false;
}

}  // namespace

class SessionBoundsTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(SessionBoundsTest);
    CPPUNIT_TEST(testTenThousandRecipientsThenTempfail452);
    CPPUNIT_TEST(testRecipientAndHeloWithNulBytes);
    CPPUNIT_TEST(testMegabyteHeaderValueIsCountedNotStored);
    CPPUNIT_TEST(testHeadersBeyondLimitAreCounted);
    CPPUNIT_TEST(testBodyKeepsFirst64KiB);
    CPPUNIT_TEST(testHundredThousandRulesEvaluate);
    CPPUNIT_TEST(testAddedHeadersAreBoundedAndDropsLogged);
    CPPUNIT_TEST_SUITE_END();

  public:
    void testTenThousandRecipientsThenTempfail452() {
        PolicyBuilder b;
        b.rule("no-bad", Action::Reject, rcpt_domain("bad.example"), 550, "5.7.1", "no");
        Session s(b.build());
        s.connect();
        s.mail("a@b.example");
        for (std::size_t i = 0; i < Limits::kMaxRecipients; ++i)
            CPPUNIT_ASSERT(s.rcpt("u" + std::to_string(i) + "@c.example").action ==
                           Action::Continue);
        const Verdict v = s.rcpt("one-more@c.example");
        CPPUNIT_ASSERT(v.action == Action::Tempfail);
        CPPUNIT_ASSERT_EQUAL(std::string("452 4.5.3 Too many recipients"), v.reply.summary());
        CPPUNIT_ASSERT_EQUAL(Limits::kMaxRecipients, s.transaction().recipients.size());
        CPPUNIT_ASSERT(s.end_of_message().action == Action::Continue);
    }

    void testRecipientAndHeloWithNulBytes() {
        PolicyBuilder b;
        b.settings().delay_reject = false;
        b.rule("bad-helo", Action::Reject, helo_is("evil.example"), 550, "5.7.1", "helo ${helo}");
        b.rule("no-c", Action::Reject, rcpt_domain("c.example"), 550, "5.7.1", "rcpt ${rcpt}");
        Session s(b.build());
        s.connect();
        // "evil.example\0..." is not "evil.example".
        CPPUNIT_ASSERT(s.helo(std::string("evil.example\0x", 14)).action == Action::Continue);
        CPPUNIT_ASSERT_EQUAL(std::size_t{14}, s.transaction().helo.size());
        s.mail("a@b.example");
        CPPUNIT_ASSERT(s.rcpt(std::string("x\0y@d.example", 13)).action == Action::Continue);
        const Verdict v = s.rcpt(std::string("x\0y@c.example", 13));
        CPPUNIT_ASSERT(v.action == Action::Reject);
        CPPUNIT_ASSERT_EQUAL(std::string("550 5.7.1 rcpt x?y@c.example"), v.reply.summary());
    }

    void testMegabyteHeaderValueIsCountedNotStored() {
        PolicyBuilder b;
        Session s(b.build());
        s.connect();
        s.mail("a@b.example");
        s.rcpt("x@c.example");
        s.header("Subject", "hello");
        s.header("X-Huge", std::string(1 << 20, 'v'));
        CPPUNIT_ASSERT_EQUAL(std::size_t{1}, s.transaction().headers.size());
        const Verdict v = s.end_of_message();
        CPPUNIT_ASSERT(logged(v, "1 of 2 headers not kept"));
    }

    void testHeadersBeyondLimitAreCounted() {
        PolicyBuilder b;
        Session s(b.build());
        s.connect();
        s.mail("a@b.example");
        s.rcpt("x@c.example");
        for (std::size_t i = 0; i < Limits::kMaxHeaders + 5; ++i)
            s.header("X-N", std::to_string(i));
        CPPUNIT_ASSERT_EQUAL(Limits::kMaxHeaders, s.transaction().headers.size());
        CPPUNIT_ASSERT(logged(s.end_of_message(), "5 of 1005 headers not kept"));
        // The next message starts with no headers.
        s.mail("a@b.example");
        CPPUNIT_ASSERT(s.transaction().headers.empty());
    }

    void testBodyKeepsFirst64KiB() {
        PolicyBuilder b;
        // The log line about the bound is written only when a rule reads the body.
        b.rule("body", Action::Reject, make_body_condition({"never-in-this-body"}), 550, "5.7.1",
               "no");
        Session s(b.build());
        s.connect();
        s.mail("a@b.example");
        s.rcpt("x@c.example");
        for (int i = 0; i < 50; ++i) s.body(std::string(4096, 'b'));
        CPPUNIT_ASSERT_EQUAL(std::size_t{65536}, s.transaction().body.size());
        CPPUNIT_ASSERT_EQUAL(std::uint64_t{50 * 4096}, s.transaction().size);
        CPPUNIT_ASSERT(logged(s.end_of_message(), "first 65536 of 204800 bytes"));
    }

    void testHundredThousandRulesEvaluate() {
        PolicyBuilder b;
        b.settings().delay_reject = false;
        for (int i = 0; i < 100000; ++i)
            b.rule("r" + std::to_string(i), Action::Reject,
                   sender_domain("d" + std::to_string(i) + ".example"), 550, "5.7.1", "no");
        Session s(b.build());
        s.connect();
        CPPUNIT_ASSERT(s.mail("a@nowhere.example").action == Action::Continue);
        const Verdict v = s.mail("a@d99999.example");
        CPPUNIT_ASSERT(v.action == Action::Reject);
        CPPUNIT_ASSERT_EQUAL(std::string("r99999"), v.rule);
        CPPUNIT_ASSERT(logged(v, "rule #100000 r99999 matched"));
    }

    void testAddedHeadersAreBoundedAndDropsLogged() {
        PolicyBuilder b;
        b.rule("tag-rcpt", Action::Continue, rcpt_domain("c.example"))
            .add_headers.push_back({"X-Rcpt", "${rcpt}"});
        Session s(b.build());
        s.connect();
        s.mail("a@b.example");
        for (int i = 0; i < 100; ++i) s.rcpt("u" + std::to_string(i) + "@c.example");
        s.rcpt("u0@c.example");  // same value again: not a second header
        const Verdict v = s.end_of_message();
        CPPUNIT_ASSERT_EQUAL(std::size_t{64}, v.add_headers.size());
        CPPUNIT_ASSERT_EQUAL(std::string("u0@c.example"), v.add_headers.front().second);
        CPPUNIT_ASSERT(logged(v, "36 added headers dropped (at most 64 per message)"));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(SessionBoundsTest);
