// SPDX-License-Identifier: Apache-2.0
// test_session_order.cpp - file order is decision order at every stage
// (DESIGN.md section 3, issue 24): a decision reached early waits while an
// earlier rule that needs later data is undecided; an accept ends the
// conversation only when no earlier rule can still decide; monitor mode
// reports only would-be decisions no earlier rule overrides; no DNS lookup
// starts for mail already decided.
#include <cppunit/extensions/HelperMacros.h>

#include <algorithm>

#include "fake_condition.hpp"
#include "fake_dns.hpp"
#include "policy/dns_evidence.hpp"
#include "policy/session.hpp"
#include "policy_builder.hpp"
#include "state_policy.hpp"

using namespace mv::policy;
using namespace mv::test;
using mv::codes::Stage;

namespace {

bool logged(const Verdict& v, const std::string& needle) {
    for (const auto& l : v.log)
        if (l.text.find(needle) != std::string::npos) return true;
    return false;
}

bool called(const FakeDnsState& d, const std::string& c) {
    return std::find(d.calls.begin(), d.calls.end(), c) != d.calls.end();
}

// config/examples/mx-greylisting-redis.conf's rules #2 and #3.
const char* kSaslRate = R"(
rules = (
    { name = "sasl-rate";
      when = { auth = true;
               rate_limit = { key = "sasl_login"; count = "recipient";
                              limit = ["30/1m", "500/1d"]; }; };
      action = "tempfail";
      on_backend_error = "closed"; },
    { name = "authenticated";
      when = { auth = true; };
      action = "accept"; }
);
)";

}  // namespace

class SessionOrderTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(SessionOrderTest);
    CPPUNIT_TEST(testAcceptWaitsForEarlierRecipientRateLimit);
    CPPUNIT_TEST(testAcceptBeforeLaterStageRuleDecidesAtOnce);
    CPPUNIT_TEST(testConnectAcceptWaitsForEarlierMailRule);
    CPPUNIT_TEST(testRefusalWithoutDelayRejectWaitsForEarlierRcptRule);
    CPPUNIT_TEST(testRefusalWithoutDelayRejectGoesOutAtOnceWhenNothingEarlierPends);
    CPPUNIT_TEST(testRcptRefusalDoesNotWaitForEarlierContentRule);
    CPPUNIT_TEST(testMailRefusalDoesNotWaitForEarlierContentAccept);
    CPPUNIT_TEST(testEnvelopeRefusalWaitsForEarlierRcptRefusal);
    CPPUNIT_TEST(testDataRefusalWaitsForEarlierEndOfDataRefusal);
    CPPUNIT_TEST(testNoWaitForEarlierRuleThatCannotMatch);
    CPPUNIT_TEST(testConnectionAcceptIsNotRuledInByOneHelo);
    CPPUNIT_TEST(testNonSmtpEnvelopeRefusalNotOverriddenByContentAccept);
    CPPUNIT_TEST(testWaitingRefusalGoesOutOnceEarlierRuleCannotMatch);
    CPPUNIT_TEST(testHeldAcceptIsNotSettled);
    CPPUNIT_TEST(testOverriddenWouldBeIsNotReported);
    CPPUNIT_TEST(testWouldBeReportedWhenEarlierRuleDoesNotDecide);
    CPPUNIT_TEST(testMonitoredRuleBeforeEnforcingAcceptIsEvaluated);
    CPPUNIT_TEST(testMonitoredDnsTimeoutOverriddenByEarlierAccept);
    CPPUNIT_TEST(testNoLookupWhenAcceptedAtConnect);
    CPPUNIT_TEST(testLookupStartsWhenNothingDecided);
    CPPUNIT_TEST(testEarlierMailAcceptDoesNotWaitForLaterListRule);
    CPPUNIT_TEST(testEarlierRcptAcceptDoesNotWaitForLaterListRule);
    CPPUNIT_TEST(testEveryRecipientAcceptedNoWaitAtData);
    CPPUNIT_TEST(testNonSmtpWaitingRefusalGoesOutAtEndOfData);
    CPPUNIT_TEST_SUITE_END();

  public:
    // Non-SMTP: the sender refusal goes out at end of data, and the earlier
    // end-of-data accept does not override it (as in an SMTP session, where
    // it is given at RCPT first; found in review).
    void testNonSmtpEnvelopeRefusalNotOverriddenByContentAccept() {
        PolicyBuilder b;
        b.rule("trusted-header", Action::Accept, fake(Match::Yes, Stage::EndOfData));
        b.rule("bad-sender", Action::Reject, sender_domain("spam.example"), 550, "5.7.1", "no");
        Session s(b.build());
        s.transaction().non_smtp = true;
        s.connect();
        s.mail("a@spam.example");
        CPPUNIT_ASSERT(s.rcpt("x@b.example").action == Action::Continue);
        s.data();
        const Verdict e = s.end_of_message();
        CPPUNIT_ASSERT(e.action == Action::Reject);
        CPPUNIT_ASSERT_EQUAL(std::string("bad-sender"), e.rule);
    }

    // A connection-wide accept (connect or HELO) must not rely on data that
    // a later HELO or message changes: rule #1 (HELO name and sender) is
    // not ruled out by the first HELO; after EHLO again with its name, it
    // decides the message first (found in review).
    void testConnectionAcceptIsNotRuledInByOneHelo() {
        PolicyBuilder b;
        std::vector<ConditionPtr> parts;
        parts.push_back(helo_is("mx.good.example"));
        parts.push_back(sender_domain("x.example"));
        b.rule("tls-helo-x", Action::Reject, make_all(std::move(parts)), 550, "5.7.1", "no");
        b.rule("net-ok", Action::Accept, fake(Match::Yes, Stage::Connect));
        Session s(b.build());
        s.connect();
        s.helo("plain.example");    // before STARTTLS
        s.helo("mx.good.example");  // EHLO again after STARTTLS
        const Verdict m = s.mail("a@x.example");
        const Verdict r = s.rcpt("b@y.example");
        CPPUNIT_ASSERT_MESSAGE("rule #1 should decide (flat first match on final HELO)",
                               m.action == Action::Reject || r.action == Action::Reject);
    }
    // Issue 24 point 1: the accept at MAIL (rule #2) waits for the recipient
    // rate limit (rule #1): every recipient is counted, the 31st is refused
    // 450 4.7.1 (DESIGN.md section 2: rate limit), the others are accepted
    // by rule "authenticated".
    void testAcceptWaitsForEarlierRecipientRateLimit() {
        StatePolicy sp(kSaslRate);
        Session s = sp.session();
        s.transaction().auth_login = "alice";
        s.connect();
        const Verdict m = s.mail("alice@example.org");
        CPPUNIT_ASSERT(m.action == Action::Continue);
        CPPUNIT_ASSERT(logged(m, "(waits for rule #1 sasl-rate)"));
        CPPUNIT_ASSERT(!s.settled(Stage::Mail));
        for (int i = 1; i <= 30; ++i) {
            const Verdict v = s.rcpt("r" + std::to_string(i) + "@example.net");
            CPPUNIT_ASSERT(v.action == Action::Continue);
            CPPUNIT_ASSERT_EQUAL(std::string("authenticated"), v.rule);
            CPPUNIT_ASSERT(v.decided_at == Stage::Mail);
        }
        const Verdict v = s.rcpt("r31@example.net");
        CPPUNIT_ASSERT(v.action == Action::Tempfail);
        CPPUNIT_ASSERT_EQUAL(std::string("sasl-rate"), v.rule);
        CPPUNIT_ASSERT_EQUAL(std::string("450 4.7.1"), wire(v).substr(0, 9));
        // The message goes on for the 30 accepted recipients.
        CPPUNIT_ASSERT(s.data().action == Action::Continue);
        CPPUNIT_ASSERT(s.end_of_message().action == Action::Continue);
    }

    void testAcceptBeforeLaterStageRuleDecidesAtOnce() {
        PolicyBuilder b;
        b.rule("allow", Action::Accept, sender_domain("a.example"));
        b.rule("block", Action::Reject, rcpt_is("x@b.example"), 550, "5.7.1", "no");
        Session s(b.build());
        s.connect();
        const Verdict v = s.mail("u@a.example");
        CPPUNIT_ASSERT(v.action == Action::Accept);
        CPPUNIT_ASSERT(s.settled(Stage::Mail));
    }

    // A connection accept (rule #2) waits for the MAIL rule #1, then is the
    // message's accept at MAIL, for each message.
    void testConnectAcceptWaitsForEarlierMailRule() {
        PolicyBuilder b;
        b.rule("spam", Action::Reject, sender_domain("spam.example"), 550, "5.7.1", "no");
        b.rule("ours", Action::Accept, client_in("192.0.2.0/24"));
        Session s(b.build());
        s.transaction().client_addr = "192.0.2.9";
        CPPUNIT_ASSERT(s.connect().action == Action::Continue);
        CPPUNIT_ASSERT(!s.settled(Stage::Connect));
        const Verdict ok = s.mail("u@ok.example");
        CPPUNIT_ASSERT(ok.action == Action::Accept);
        CPPUNIT_ASSERT_EQUAL(std::string("ours"), ok.rule);
        CPPUNIT_ASSERT(ok.decided_at == Stage::Connect);
        CPPUNIT_ASSERT(ok.delivered_at == Stage::Mail);
        CPPUNIT_ASSERT(s.mail("u@spam.example").action == Action::Continue);  // held: RCPT
        const Verdict r = s.rcpt("v@ok.example");
        CPPUNIT_ASSERT(r.action == Action::Reject);
        CPPUNIT_ASSERT_EQUAL(std::string("spam"), r.rule);
    }

    // delay_reject = false: a connect refusal (rule #2) waits for the RCPT
    // accept (rule #1) and goes out at RCPT for other recipients.
    void testRefusalWithoutDelayRejectWaitsForEarlierRcptRule() {
        PolicyBuilder b;
        b.settings().delay_reject = false;
        b.rule("postmaster", Action::Accept, rcpt_is("postmaster@example.org"));
        b.rule("bad-net", Action::Reject, client_in("203.0.113.0/24"), 550, "5.7.1", "bad");
        Session s(b.build());
        s.transaction().client_addr = "203.0.113.5";
        const Verdict c = s.connect();
        CPPUNIT_ASSERT(c.action == Action::Continue);
        CPPUNIT_ASSERT(logged(c, "(waits for rule #1 postmaster)"));
        CPPUNIT_ASSERT(s.mail("a@x.example").action == Action::Continue);
        const Verdict pm = s.rcpt("postmaster@example.org");
        CPPUNIT_ASSERT(pm.action == Action::Continue);
        CPPUNIT_ASSERT_EQUAL(std::string("postmaster"), pm.rule);
        const Verdict other = s.rcpt("b@example.org");
        CPPUNIT_ASSERT(other.action == Action::Reject);
        CPPUNIT_ASSERT_EQUAL(std::string("bad-net"), other.rule);
        CPPUNIT_ASSERT(other.delivered_at == Stage::Rcpt);
    }

    void testRefusalWithoutDelayRejectGoesOutAtOnceWhenNothingEarlierPends() {
        PolicyBuilder b;
        b.settings().delay_reject = false;
        b.rule("bad-net", Action::Reject, client_in("203.0.113.0/24"), 550, "5.7.1", "bad");
        b.rule("postmaster", Action::Accept, rcpt_is("postmaster@example.org"));
        Session s(b.build());
        s.transaction().client_addr = "203.0.113.5";
        const Verdict c = s.connect();
        CPPUNIT_ASSERT(c.action == Action::Reject);
        CPPUNIT_ASSERT(c.delivered_at == Stage::Connect);
    }

    // A recipient refusal (rule #2) waits for an earlier end-of-data rule
    // (#1): it is the message's, delivered at end of data when #1 does not
    // decide; an accept by #1 wins.
    // Postfix refuses a recipient before its header checks run: a content
    // rule (DATA, end of data) cannot let through a recipient an envelope
    // rule refused, whatever the file order. The refusal goes out at RCPT
    // for that recipient only; the others go on, and the content rule still
    // decides the message for them.
    void testRcptRefusalDoesNotWaitForEarlierContentRule() {
        for (const bool trusted : {false, true}) {
            PolicyBuilder b;
            b.rule("trusted-header", Action::Accept,
                   fake(trusted ? Match::Yes : Match::No, Stage::EndOfData));
            b.rule("block", Action::Reject, rcpt_is("x@b.example"), 550, "5.7.1", "no");
            Session s(b.build());
            s.connect();
            s.mail("a@x.example");
            const Verdict r = s.rcpt("x@b.example");
            CPPUNIT_ASSERT(r.action == Action::Reject);
            CPPUNIT_ASSERT_EQUAL(std::string("block"), r.rule);
            CPPUNIT_ASSERT(r.delivered_at == Stage::Rcpt);
            CPPUNIT_ASSERT_EQUAL(550, r.reply.basic);
            CPPUNIT_ASSERT(!logged(r, "waits for"));
            CPPUNIT_ASSERT(s.rcpt("y@b.example").action == Action::Continue);
            CPPUNIT_ASSERT(s.data().action == Action::Continue);
            const Verdict e = s.end_of_message();
            // y is delivered: accepted by trusted-header, or by no rule.
            CPPUNIT_ASSERT(e.action == (trusted ? Action::Accept : Action::Continue));
        }
    }

    // delay_reject = false: a MAIL refusal does not wait for an earlier
    // end-of-data accept (it would have to refuse the whole message there,
    // after the client sent it); it goes out at MAIL.
    void testMailRefusalDoesNotWaitForEarlierContentAccept() {
        PolicyBuilder b;
        b.settings().delay_reject = false;
        b.rule("trusted-header", Action::Accept, fake(Match::Yes, Stage::EndOfData));
        b.rule("bad-sender", Action::Reject, sender_domain("spam.example"), 550, "5.7.1", "no");
        Session s(b.build());
        s.connect();
        const Verdict m = s.mail("a@spam.example");
        CPPUNIT_ASSERT(m.action == Action::Reject);
        CPPUNIT_ASSERT_EQUAL(std::string("bad-sender"), m.rule);
        CPPUNIT_ASSERT(m.delivered_at == Stage::Mail);
    }

    // delay_reject = false: rule #1 tempfails recipient x at RCPT, rule #2
    // rejects the sender at MAIL. File order: x gets rule #1's 450, every
    // other recipient rule #2's 550, at RCPT (not 550 at MAIL for all).
    void testEnvelopeRefusalWaitsForEarlierRcptRefusal() {
        PolicyBuilder b;
        b.settings().delay_reject = false;
        b.rule("slow-x", Action::Tempfail, rcpt_is("x@b.example"), 450, "4.7.1", "later");
        b.rule("bad-sender", Action::Reject, sender_domain("spam.example"), 550, "5.7.1", "no");
        Session s(b.build());
        s.connect();
        const Verdict m = s.mail("a@spam.example");
        CPPUNIT_ASSERT(m.action == Action::Continue);
        CPPUNIT_ASSERT(logged(m, "(waits for rule #1 slow-x)"));
        const Verdict x = s.rcpt("x@b.example");
        CPPUNIT_ASSERT(x.action == Action::Tempfail);
        CPPUNIT_ASSERT_EQUAL(std::string("slow-x"), x.rule);
        CPPUNIT_ASSERT_EQUAL(450, x.reply.basic);
        CPPUNIT_ASSERT_EQUAL(std::string("4.7.1"), x.reply.enhanced);
        const Verdict y = s.rcpt("y@b.example");
        CPPUNIT_ASSERT(y.action == Action::Reject);
        CPPUNIT_ASSERT_EQUAL(std::string("bad-sender"), y.rule);
        CPPUNIT_ASSERT_EQUAL(550, y.reply.basic);
        CPPUNIT_ASSERT(y.decided_at == Stage::Mail);
        CPPUNIT_ASSERT(y.delivered_at == Stage::Rcpt);
    }

    // An earlier rule whose known conditions already fail cannot decide:
    // nothing waits for it ("sender big@ and size over N" for another
    // sender): the DATA refusal goes out at DATA.
    void testNoWaitForEarlierRuleThatCannotMatch() {
        for (const char* sender : {"a@x.example", "a@big.example"}) {
            PolicyBuilder b;
            std::vector<ConditionPtr> parts;
            parts.push_back(sender_domain("big.example"));
            parts.push_back(fake(Match::No, Stage::EndOfData));
            b.rule("big-later", Action::Tempfail, make_all(std::move(parts)), 451, "4.7.1", "x");
            b.rule("data-block", Action::Reject, fake(Match::Yes, Stage::Data), 554, "5.7.1", "no");
            Session s(b.build());
            s.connect();
            s.mail(sender);
            s.rcpt("y@b.example");
            const Verdict d = s.data();
            const bool big = std::string(sender) == "a@big.example";
            CPPUNIT_ASSERT(d.action == (big ? Action::Continue : Action::Reject));
            if (big) {
                CPPUNIT_ASSERT(logged(d, "(waits for rule #1 big-later)"));
                CPPUNIT_ASSERT(s.end_of_message().action == Action::Reject);
            }
        }
    }

    // delay_reject = false: a connect refusal waits for an earlier RCPT rule
    // of one sender; once MAIL shows another sender, that rule cannot match
    // and the refusal goes out at MAIL.
    void testWaitingRefusalGoesOutOnceEarlierRuleCannotMatch() {
        PolicyBuilder b;
        b.settings().delay_reject = false;
        std::vector<ConditionPtr> parts;
        parts.push_back(sender_domain("slow.example"));
        parts.push_back(rcpt_is("x@b.example"));
        b.rule("slow-x", Action::Tempfail, make_all(std::move(parts)), 450, "4.7.1", "later");
        b.rule("bad-net", Action::Reject, client_in("203.0.113.0/24"), 550, "5.7.1", "bad");
        Session s(b.build());
        s.transaction().client_addr = "203.0.113.5";
        const Verdict c = s.connect();
        CPPUNIT_ASSERT(c.action == Action::Continue);
        CPPUNIT_ASSERT(logged(c, "(waits for rule #1 slow-x)"));
        const Verdict m = s.mail("a@other.example");
        CPPUNIT_ASSERT(m.action == Action::Reject);
        CPPUNIT_ASSERT_EQUAL(std::string("bad-net"), m.rule);
        CPPUNIT_ASSERT(m.delivered_at == Stage::Mail);
    }

    // A DATA refusal waits for an earlier end-of-data rule of any action: a
    // matching end-of-data tempfail decides (451), not the later DATA reject.
    void testDataRefusalWaitsForEarlierEndOfDataRefusal() {
        for (const bool body : {false, true}) {
            PolicyBuilder b;
            b.rule("body-later", Action::Tempfail,
                   fake(body ? Match::Yes : Match::No, Stage::EndOfData), 451, "4.7.1", "later");
            b.rule("data-block", Action::Reject, fake(Match::Yes, Stage::Data), 550, "5.7.1", "no");
            Session s(b.build());
            s.connect();
            s.mail("a@x.example");
            s.rcpt("y@b.example");
            const Verdict d = s.data();
            CPPUNIT_ASSERT(d.action == Action::Continue);
            CPPUNIT_ASSERT(logged(d, "(waits for rule #1 body-later)"));
            const Verdict e = s.end_of_message();
            CPPUNIT_ASSERT(e.action == (body ? Action::Tempfail : Action::Reject));
            CPPUNIT_ASSERT_EQUAL(std::string(body ? "body-later" : "data-block"), e.rule);
            CPPUNIT_ASSERT(e.delivered_at == Stage::EndOfData);
        }
    }

    void testHeldAcceptIsNotSettled() {
        PolicyBuilder b;
        b.rule("rcpt-block", Action::Reject, rcpt_is("x@b.example"));
        b.rule("allow", Action::Accept, sender_domain("a.example"));
        Session s(b.build());
        s.connect();
        CPPUNIT_ASSERT(s.mail("u@a.example").action == Action::Continue);
        CPPUNIT_ASSERT(!s.settled(Stage::Mail));
        CPPUNIT_ASSERT(s.rcpt("x@b.example").action == Action::Reject);
        const Verdict ok = s.rcpt("y@b.example");
        CPPUNIT_ASSERT_EQUAL(std::string("allow"), ok.rule);
        CPPUNIT_ASSERT(s.data().action == Action::Continue);
        CPPUNIT_ASSERT(s.settled(Stage::Data));
    }

    // Issue 24 point 2: `authenticated` (accept, MAIL) then `bad-net`
    // (monitor, connect): an authenticated client of bad-net's network is
    // accepted, and bad-net's would-be refusal is neither reported nor marked.
    void testOverriddenWouldBeIsNotReported() {
        PolicyBuilder b;
        b.rule("authenticated", Action::Accept, fake(Match::Yes, Stage::Mail));
        b.rule("bad-net", Action::Reject, client_in("203.0.113.0/24"), 550, "5.7.1", "bad")
            .monitor = true;
        Session s(b.build());
        s.transaction().client_addr = "203.0.113.5";
        const Verdict c = s.connect();
        CPPUNIT_ASSERT(c.would.empty());
        CPPUNIT_ASSERT(!logged(c, "would reject"));
        const Verdict m = s.mail("a@x.example");
        CPPUNIT_ASSERT(m.action == Action::Accept);
        CPPUNIT_ASSERT(m.would.empty());
        CPPUNIT_ASSERT(!m.monitor);
        CPPUNIT_ASSERT(logged(m, "rule #2 bad-net (monitor): would-be decision not reported"));
        CPPUNIT_ASSERT(!logged(m, "would reject"));
    }

    void testWouldBeReportedWhenEarlierRuleDoesNotDecide() {
        PolicyBuilder b;
        b.rule("authenticated", Action::Accept, fake(Match::No, Stage::Mail));
        b.rule("bad-net", Action::Reject, client_in("203.0.113.0/24"), 550, "5.7.1", "bad")
            .monitor = true;
        Session s(b.build());
        s.transaction().client_addr = "203.0.113.5";
        CPPUNIT_ASSERT(s.connect().would.empty());
        // delay_reject: enforcement would refuse at each RCPT; so does the
        // report, once per recipient.
        const Verdict m = s.mail("a@x.example");
        CPPUNIT_ASSERT(m.action == Action::Continue);
        CPPUNIT_ASSERT(m.would.empty());
        CPPUNIT_ASSERT(
            logged(m, "rule #2 bad-net (monitor) would reject 550 5.7.1 bad (held until RCPT)"));
        const Verdict r = s.rcpt("y@x.example");
        CPPUNIT_ASSERT_EQUAL(std::size_t{1}, r.would.size());
        CPPUNIT_ASSERT_EQUAL(std::string("bad-net"), r.would[0].rule);
        CPPUNIT_ASSERT(logged(r,
                              "rule #2 bad-net (monitor, held from connect) would reject 550 "
                              "5.7.1 bad"));
        // A second message reports it again: it is each message's.
        s.mail("b@x.example");
        CPPUNIT_ASSERT_EQUAL(std::size_t{1}, s.rcpt("z@x.example").would.size());
    }

    // A monitored RCPT rule (#1) before an enforcing MAIL accept (#2): the
    // accept waits, so the monitored rule is evaluated for each recipient
    // as enforcement would; the accept then takes the recipient.
    void testMonitoredRuleBeforeEnforcingAcceptIsEvaluated() {
        PolicyBuilder b;
        b.rule("trial", Action::Reject, rcpt_is("x@b.example"), 550, "5.7.1", "no").monitor = true;
        b.rule("allow", Action::Accept, sender_domain("a.example"));
        Session s(b.build());
        s.connect();
        CPPUNIT_ASSERT(s.mail("u@a.example").action == Action::Continue);
        const Verdict x = s.rcpt("x@b.example");
        CPPUNIT_ASSERT(x.action == Action::Continue);
        CPPUNIT_ASSERT_EQUAL(std::size_t{1}, x.would.size());
        CPPUNIT_ASSERT_EQUAL(std::string("allow"), x.rule);
        const Verdict y = s.rcpt("y@b.example");
        CPPUNIT_ASSERT(y.would.empty());
        CPPUNIT_ASSERT_EQUAL(std::string("allow"), y.rule);
    }

    // A monitored DNS rule whose lookup times out (would tempfail 451 4.4.3)
    // is not reported when an earlier accept decides.
    void testMonitoredDnsTimeoutOverriddenByEarlierAccept() {
        PolicyBuilder b;
        b.settings().delay_reject = false;
        b.rule("authenticated", Action::Accept, fake(Match::Yes, Stage::Mail));
        auto& r = b.rule("dnsbl", Action::Reject,
                         make_dns_list_condition(0, "bl", Stage::Connect, false));
        r.reason = mv::codes::Reason::DnsBlockList;
        r.dns_deferrable = true;
        r.monitor = true;
        auto p = b.build();
        auto dns = attach_fake_dns(*p);
        dns->lists[0].in = false;
        dns->lists[0].arrives_on_wait = false;
        Session s(p);
        s.transaction().client_addr = "203.0.113.5";
        const Verdict c = s.connect();
        CPPUNIT_ASSERT(c.would.empty());
        const Verdict m = s.mail("a@x.example");
        CPPUNIT_ASSERT(m.action == Action::Accept);
        CPPUNIT_ASSERT(m.would.empty());
        CPPUNIT_ASSERT(!logged(m, "would tempfail"));
    }

    // Issue 24 point 4: a client accepted at connect by rule #1 is never
    // looked up for rule #2.
    void testNoLookupWhenAcceptedAtConnect() {
        PolicyBuilder b;
        b.rule("local", Action::Accept, client_in("127.0.0.0/8"));
        auto& r = b.rule("dnsbl", Action::Reject,
                         make_dns_list_condition(0, "bl", Stage::Connect, false));
        r.dns_deferrable = true;
        auto p = b.build();
        auto dns = attach_fake_dns(*p);
        Session s(p);
        s.transaction().client_addr = "127.0.0.1";
        CPPUNIT_ASSERT(s.connect().action == Action::Accept);
        CPPUNIT_ASSERT(!called(*dns, "start connect"));
        CPPUNIT_ASSERT(!called(*dns, "list 0 nowait") && !called(*dns, "list 0 wait"));
    }

    void testLookupStartsWhenNothingDecided() {
        PolicyBuilder b;
        b.rule("local", Action::Accept, client_in("127.0.0.0/8"));
        auto& r =
            b.rule("dnsbl", Action::Reject, make_dns_list_condition(0, "bl", Stage::Mail, false));
        r.dns_deferrable = true;
        auto p = b.build();
        auto dns = attach_fake_dns(*p);
        Session s(p);
        s.transaction().client_addr = "192.0.2.1";
        CPPUNIT_ASSERT(s.connect().action == Action::Continue);
        // Not accepted: the MAIL rule can still decide, its lookups start now.
        CPPUNIT_ASSERT(called(*dns, "start connect"));
    }

    // Issue 24 point 4: an authenticated submitter whose accept (rule #1,
    // MAIL) comes before a DNS list rule (#2, connect) whose answers are not
    // in (delay_reject): #1 decides at MAIL in file order, nothing waits for
    // the list.
    void testEarlierMailAcceptDoesNotWaitForLaterListRule() {
        PolicyBuilder b;
        b.rule("authenticated", Action::Accept, fake(Match::Yes, Stage::Mail));
        auto& r = b.rule("dnsbl", Action::Reject,
                         make_dns_list_condition(0, "bl", Stage::Connect, false));
        r.dns_deferrable = true;
        auto p = b.build();
        auto dns = attach_fake_dns(*p);
        dns->lists[0].in = false;
        dns->lists[0].arrives_on_wait = false;
        Session s(p);
        s.transaction().client_addr = "192.0.2.1";
        CPPUNIT_ASSERT(s.connect().action == Action::Continue);
        const Verdict m = s.mail("a@example.org");
        CPPUNIT_ASSERT(m.action == Action::Accept);
        CPPUNIT_ASSERT_EQUAL(std::string("authenticated"), m.rule);
        CPPUNIT_ASSERT(!called(*dns, "list 0 wait"));
    }

    // Non-SMTP mail: a refusal that waited for an earlier DATA rule still
    // goes out at end of data only (DESIGN.md section 2).
    void testNonSmtpWaitingRefusalGoesOutAtEndOfData() {
        PolicyBuilder b;
        b.rule("data-accept", Action::Accept, fake(Match::No, Stage::Data));
        b.rule("bad-net", Action::Reject, client_in("203.0.113.0/24"), 550, "5.7.1", "bad");
        Session s(b.build());
        s.transaction().client_addr = "203.0.113.5";
        s.transaction().non_smtp = true;
        s.connect();
        s.mail("a@example.org");
        CPPUNIT_ASSERT(s.rcpt("b@example.org").action == Action::Continue);
        CPPUNIT_ASSERT(s.data().action == Action::Continue);
        const Verdict e = s.end_of_message();
        CPPUNIT_ASSERT(e.action == Action::Reject);
        CPPUNIT_ASSERT(e.delivered_at == Stage::EndOfData);
    }

    // The RCPT case of testEarlierMailAcceptDoesNotWaitForLaterListRule:
    // "accept postmaster" (rule #1, RCPT) before a DNS list rule (#2,
    // connect) whose answers are not in decides for postmaster without
    // waiting for the list; the next recipient waits for it and gets the
    // list's refusal (held from connect).
    void testEarlierRcptAcceptDoesNotWaitForLaterListRule() {
        PolicyBuilder b;
        b.rule("postmaster", Action::Accept, rcpt_is("postmaster@example.org"));
        auto& r =
            b.rule("dnsbl", Action::Reject, make_dns_list_condition(0, "bl", Stage::Connect, false),
                   550, "5.7.1", "listed");
        r.dns_deferrable = true;
        auto p = b.build();
        auto dns = attach_fake_dns(*p);
        dns->lists[0].in = false;  // not in at connect; a wait gets it: listed
        dns->lists[0].arrives_on_wait = true;
        dns->lists[0].match = Match::Yes;
        Session s(p);
        s.transaction().client_addr = "192.0.2.1";
        CPPUNIT_ASSERT(s.connect().action == Action::Continue);
        CPPUNIT_ASSERT(s.evaluation_pending());
        CPPUNIT_ASSERT(s.mail("a@example.net").action == Action::Continue);
        const Verdict pm = s.rcpt("postmaster@example.org");
        CPPUNIT_ASSERT(pm.action == Action::Continue);
        CPPUNIT_ASSERT_EQUAL(std::string("postmaster"), pm.rule);
        CPPUNIT_ASSERT(!called(*dns, "list 0 wait"));
        const Verdict other = s.rcpt("b@example.org");
        CPPUNIT_ASSERT(called(*dns, "list 0 wait"));
        CPPUNIT_ASSERT(other.action == Action::Reject);
        CPPUNIT_ASSERT_EQUAL(std::string("dnsbl"), other.rule);
        CPPUNIT_ASSERT_EQUAL(std::string("550 5.7.1 listed"), other.reply.summary());
    }

    // Every recipient accepted by the RCPT rule written before the list rule
    // still waiting: the list rule can no longer decide the message, so DATA
    // and end of data do not wait for its answers (no lookup for what is
    // decided).
    void testEveryRecipientAcceptedNoWaitAtData() {
        PolicyBuilder b;
        b.rule("postmaster", Action::Accept, rcpt_is("postmaster@example.org"));
        auto& r =
            b.rule("dnsbl", Action::Reject, make_dns_list_condition(0, "bl", Stage::Connect, false),
                   550, "5.7.1", "listed");
        r.dns_deferrable = true;
        auto p = b.build();
        auto dns = attach_fake_dns(*p);
        dns->lists[0].in = false;
        dns->lists[0].arrives_on_wait = true;
        dns->lists[0].match = Match::Yes;
        Session s(p);
        s.transaction().client_addr = "192.0.2.1";
        s.connect();
        s.mail("a@example.net");
        CPPUNIT_ASSERT_EQUAL(std::string("postmaster"), s.rcpt("postmaster@example.org").rule);
        CPPUNIT_ASSERT(s.data().action == Action::Continue);
        CPPUNIT_ASSERT(s.end_of_message().action == Action::Continue);
        CPPUNIT_ASSERT(!called(*dns, "list 0 wait"));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(SessionOrderTest);
