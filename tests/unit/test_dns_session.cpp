// SPDX-License-Identifier: Apache-2.0
// test_dns_session.cpp - the engine with DNS evidence (a fake behind
// policy::DnsEvidence): lookups are started at each stage before the rules,
// with delay_reject a connect-time DNS rule whose answer is not in is
// evaluated later (as late as the first RCPT, where it waits) without
// changing the first-match result, without delay_reject the rule waits at
// once, a timeout is a failure (on_error / on_backend_error), never "not
// listed", and the reply is the DNS block list default, 550 5.7.1 with the
// zones that listed the client (DESIGN.md section 2).
#include <cppunit/extensions/HelperMacros.h>

#include <algorithm>

#include "fake_dns.hpp"
#include "policy/dns_evidence.hpp"
#include "policy/session.hpp"
#include "policy_builder.hpp"

using mv::codes::Reason;
using mv::codes::Stage;
using mv::policy::Action;
using mv::policy::Match;
using mv::policy::Session;
using mv::policy::Verdict;
using mv::test::FakeDnsState;
using mv::test::PolicyBuilder;

namespace {

mv::policy::Rule& dnsbl_rule(PolicyBuilder& b, Action a = Action::Reject) {
    auto& r =
        b.rule("dnsbl", a, mv::policy::make_dns_list_condition(0, "bl", Stage::Connect, false));
    r.reason = Reason::DnsBlockList;
    r.dns_deferrable = true;
    return r;
}

std::size_t position(const std::vector<std::string>& calls, const std::string& c) {
    return static_cast<std::size_t>(std::find(calls.begin(), calls.end(), c) - calls.begin());
}

std::string reply(const Verdict& v) {
    return v.reply.wire_lines().empty() ? std::string() : v.reply.wire_lines().front();
}

}  // namespace

class DnsSessionTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(DnsSessionTest);
    CPPUNIT_TEST(testLookupsStartAtEachStageBeforeTheRules);
    CPPUNIT_TEST(testUnansweredConnectRuleIsDecidedAtFirstRcptWithItsOwnReply);
    CPPUNIT_TEST(testLaterAcceptDoesNotOvertakeADeferredEarlierRule);
    CPPUNIT_TEST(testCaughtUpConnectAcceptIsNotRuledInByOneMessage);
    CPPUNIT_TEST(testAnswerInByHeloIsDecidedAtHeloAndHeld);
    CPPUNIT_TEST(testWithoutDelayRejectTheRuleWaitsAtConnect);
    CPPUNIT_TEST(testTimeoutFailsClosedWith443);
    CPPUNIT_TEST(testTimeoutFailsOpenWhenTheRuleSaysSo);
    CPPUNIT_TEST(testRuleWithStateIsNeverDeferred);
    CPPUNIT_TEST(testNoResolverIsAFailureNotAListing);
    CPPUNIT_TEST(testDeferredMailRuleIsDroppedWithTheMessage);
    CPPUNIT_TEST(testARuleWaitingForDnsIsSomethingLeftToDecide);
    CPPUNIT_TEST_SUITE_END();

  public:
    void testLookupsStartAtEachStageBeforeTheRules() {
        PolicyBuilder b;
        dnsbl_rule(b);
        auto p = b.build();
        auto dns = mv::test::attach_fake_dns(*p);
        dns->lists[0].match = Match::No;
        Session s(p);
        CPPUNIT_ASSERT_EQUAL(1, dns->opened);
        s.connect();
        s.helo("client.example");
        s.mail("a@sender.example");
        s.rcpt("b@example.org");
        const auto& c = dns->calls;
        CPPUNIT_ASSERT(position(c, "start connect") < position(c, "list 0 nowait"));
        CPPUNIT_ASSERT(position(c, "start helo") < c.size());
        CPPUNIT_ASSERT(position(c, "new message") < position(c, "start mail"));
        CPPUNIT_ASSERT(position(c, "start rcpt") < c.size());
    }

    void testUnansweredConnectRuleIsDecidedAtFirstRcptWithItsOwnReply() {
        PolicyBuilder b;
        dnsbl_rule(b);
        auto p = b.build();
        auto dns = mv::test::attach_fake_dns(*p);
        dns->lists[0] = {Match::Yes, false, true, "zen.example, bl.example", "5"};
        Session s(p);
        s.transaction().client_addr = "192.0.2.10";
        CPPUNIT_ASSERT(!s.connect().final());
        CPPUNIT_ASSERT(s.evaluation_pending());
        CPPUNIT_ASSERT(!s.helo("client.example").final());
        CPPUNIT_ASSERT(!s.mail("a@sender.example").final());
        CPPUNIT_ASSERT(s.evaluation_pending());
        // Never waited before RCPT: the client's HELO and MAIL were not held up.
        CPPUNIT_ASSERT_EQUAL(std::size_t(0),
                             static_cast<std::size_t>(
                                 std::count(dns->calls.begin(), dns->calls.end(), "list 0 wait")));
        const Verdict v = s.rcpt("b@example.org");
        CPPUNIT_ASSERT(v.action == Action::Reject);
        CPPUNIT_ASSERT(v.decided_at == Stage::Connect);
        CPPUNIT_ASSERT_EQUAL(std::string("550 5.7.1 Client host [192.0.2.10] blocked using "
                                         "zen.example, bl.example"),
                             reply(v));
        CPPUNIT_ASSERT(!s.evaluation_pending());
        // Held for the connection: every later recipient gets it too.
        CPPUNIT_ASSERT(s.rcpt("c@example.org").action == Action::Reject);
    }

    // A connect accept caught up at MAIL (DNS answers in late) is the
    // connection's: the first message's sender, which rules out rule #1,
    // must not make it accept a second message rule #1 refuses (review).
    void testCaughtUpConnectAcceptIsNotRuledInByOneMessage() {
        PolicyBuilder b;
        b.rule("x-sender", Action::Reject, mv::test::sender_domain("x.example"));
        dnsbl_rule(b, Action::Accept);
        auto p = b.build();
        auto dns = mv::test::attach_fake_dns(*p);
        dns->lists[0] = {Match::Yes, false, false};
        Session s(p);
        s.connect();
        s.helo("client.example");
        dns->lists[0].in = true;
        const Verdict m1 = s.mail("a@other.example");
        const Verdict r1 = s.rcpt("b@example.org");
        s.data();
        s.end_of_message();
        // Second message of the same connection: x-sender (rule #1) comes first.
        const Verdict m2 = s.mail("a@x.example");
        const Verdict r2 = s.rcpt("b@example.org");
        CPPUNIT_ASSERT_MESSAGE("msg2 must be refused by rule #1 x-sender",
                               m2.action == Action::Reject || r2.action == Action::Reject);
    }

    void testLaterAcceptDoesNotOvertakeADeferredEarlierRule() {
        PolicyBuilder b;
        dnsbl_rule(b);
        b.rule("friend", Action::Accept, mv::test::sender_domain("sender.example"));
        auto p = b.build();
        auto dns = mv::test::attach_fake_dns(*p);
        dns->lists[0] = {Match::Yes, false, true};
        Session s(p);
        s.connect();
        s.helo("client.example");
        // The accept rule comes after the pending DNS rule: it must not decide first.
        CPPUNIT_ASSERT(s.mail("a@sender.example").action == Action::Continue);
        CPPUNIT_ASSERT(s.rcpt("b@example.org").action == Action::Reject);

        // Not listed: then the accept rule decides (in its turn, at the first RCPT).
        PolicyBuilder b2;
        dnsbl_rule(b2);
        b2.rule("friend", Action::Accept, mv::test::sender_domain("sender.example"));
        auto p2 = b2.build();
        auto dns2 = mv::test::attach_fake_dns(*p2);
        dns2->lists[0] = {Match::No, false, true};
        Session s2(p2);
        s2.connect();
        s2.helo("client.example");
        CPPUNIT_ASSERT(s2.mail("a@sender.example").action == Action::Continue);
        const Verdict v = s2.rcpt("b@example.org");
        CPPUNIT_ASSERT(v.action == Action::Accept);
        CPPUNIT_ASSERT_EQUAL(std::string("friend"), v.rule);
    }

    void testAnswerInByHeloIsDecidedAtHeloAndHeld() {
        PolicyBuilder b;
        dnsbl_rule(b);
        auto p = b.build();
        auto dns = mv::test::attach_fake_dns(*p);
        dns->lists[0] = {Match::Yes, false, false};
        Session s(p);
        CPPUNIT_ASSERT(!s.connect().final());
        dns->lists[0].in = true;  // the answer came while the client sent EHLO
        const Verdict h = s.helo("client.example");
        CPPUNIT_ASSERT(!h.final());
        CPPUNIT_ASSERT(!s.evaluation_pending());
        bool held = false;
        for (const auto& l : h.log)
            held = held || l.text.find("(held until RCPT)") != std::string::npos;
        CPPUNIT_ASSERT(held);
        s.mail("a@sender.example");
        CPPUNIT_ASSERT(s.rcpt("b@example.org").action == Action::Reject);
    }

    void testWithoutDelayRejectTheRuleWaitsAtConnect() {
        PolicyBuilder b;
        b.settings().delay_reject = false;
        dnsbl_rule(b);
        auto p = b.build();
        auto dns = mv::test::attach_fake_dns(*p);
        dns->lists[0] = {Match::Yes, false, true};
        Session s(p);
        const Verdict v = s.connect();
        CPPUNIT_ASSERT(v.action == Action::Reject);
        CPPUNIT_ASSERT(position(dns->calls, "list 0 wait") < dns->calls.size());
        // At the greeting the policy's 554 (RFC 5321 3.1), with the list's text.
        CPPUNIT_ASSERT_EQUAL(std::string("554 5.7.1"), reply(v).substr(0, 9));
    }

    void testTimeoutFailsClosedWith443() {
        PolicyBuilder b;
        dnsbl_rule(b);
        auto p = b.build();
        auto dns = mv::test::attach_fake_dns(*p);
        dns->lists[0] = {Match::Yes, false, false};
        Session s(p);
        s.connect();
        s.helo("client.example");
        s.mail("a@sender.example");
        const Verdict v = s.rcpt("b@example.org");
        CPPUNIT_ASSERT(v.action == Action::Tempfail);
        CPPUNIT_ASSERT_EQUAL(
            std::string("451 4.4.3 Temporary lookup failure, please try again later"), reply(v));
        bool logged = false;
        for (const auto& l : v.log)
            logged = logged || l.text.find("timeout after 2000 ms") != std::string::npos;
        CPPUNIT_ASSERT(logged);
    }

    void testTimeoutFailsOpenWhenTheRuleSaysSo() {
        PolicyBuilder b;
        dnsbl_rule(b).backend_fail_open = true;
        auto p = b.build();
        auto dns = mv::test::attach_fake_dns(*p);
        dns->lists[0] = {Match::Yes, false, false};
        Session s(p);
        s.connect();
        s.helo("client.example");
        s.mail("a@sender.example");
        const Verdict v = s.rcpt("b@example.org");
        CPPUNIT_ASSERT(v.action == Action::Continue);
        bool open = false;
        for (const auto& l : v.log) open = open || l.text.find("fail open") != std::string::npos;
        CPPUNIT_ASSERT(open);
    }

    void testRuleWithStateIsNeverDeferred() {
        PolicyBuilder b;
        dnsbl_rule(b).dns_deferrable = false;  // as the loader marks a rule with rate_limit
        auto p = b.build();
        auto dns = mv::test::attach_fake_dns(*p);
        dns->lists[0] = {Match::Yes, false, true};
        Session s(p);
        s.connect();
        CPPUNIT_ASSERT(!s.evaluation_pending());
        CPPUNIT_ASSERT(position(dns->calls, "list 0 wait") < dns->calls.size());
    }

    void testNoResolverIsAFailureNotAListing() {
        PolicyBuilder b;
        dnsbl_rule(b);
        auto p = b.build();
        p->dns_slot->set_needed();  // needed, but nobody attached a resolver
        Session s(p);
        CPPUNIT_ASSERT(s.transaction().dns == nullptr);
        s.connect();
        s.helo("client.example");
        s.mail("a@sender.example");
        const Verdict v = s.rcpt("b@example.org");
        CPPUNIT_ASSERT(v.action == Action::Tempfail);
        CPPUNIT_ASSERT_EQUAL(std::string("451 4.4.3"), reply(v).substr(0, 9));
    }

    void testDeferredMailRuleIsDroppedWithTheMessage() {
        PolicyBuilder b;
        auto& r = b.rule("rhs", Action::Reject,
                         mv::policy::make_dns_list_condition(0, "rhs", Stage::Mail, false));
        r.reason = Reason::DnsBlockList;
        r.dns_deferrable = true;
        auto p = b.build();
        auto dns = mv::test::attach_fake_dns(*p);
        dns->lists[0] = {Match::Yes, false, true};
        Session s(p);
        s.connect();
        s.mail("a@one.example");
        CPPUNIT_ASSERT(s.evaluation_pending());
        s.abort();
        CPPUNIT_ASSERT(!s.evaluation_pending());
        dns->lists[0] = {Match::No, true, true};
        s.mail("a@two.example");
        CPPUNIT_ASSERT(s.rcpt("b@example.org").action == Action::Continue);
    }

    // The glue answers SMFIS_ACCEPT when a session is settled: never while a
    // DNS rule waits, even when it is the only rule (connect stage).
    void testARuleWaitingForDnsIsSomethingLeftToDecide() {
        PolicyBuilder b;
        dnsbl_rule(b);
        auto p = b.build();
        auto dns = mv::test::attach_fake_dns(*p);
        dns->lists[0] = {Match::Yes, false, true};
        Session s(p);
        s.connect();
        CPPUNIT_ASSERT(!s.settled(Stage::Connect));
        s.helo("client.example");
        CPPUNIT_ASSERT(!s.settled(Stage::Helo));
        s.mail("a@sender.example");
        CPPUNIT_ASSERT(!s.settled(Stage::Mail));
        CPPUNIT_ASSERT(s.rcpt("b@example.org").action == Action::Reject);
        // Answered and not listed at connect: nothing is left after connect.
        PolicyBuilder b2;
        dnsbl_rule(b2);
        auto p2 = b2.build();
        auto dns2 = mv::test::attach_fake_dns(*p2);
        dns2->lists[0] = {Match::No, true, true};
        Session s2(p2);
        s2.connect();
        CPPUNIT_ASSERT(s2.settled(Stage::Connect));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(DnsSessionTest);
