// SPDX-License-Identifier: Apache-2.0
// test_session_monitor.cpp - Session in monitor mode (per rule and global).
#include <cppunit/extensions/HelperMacros.h>

#include <cstdint>

#include "fake_condition.hpp"
#include "policy/session.hpp"
#include "policy_builder.hpp"

using namespace mv::policy;
using namespace mv::test;
using mv::codes::Stage;

namespace {

std::vector<std::string> header_values(const Verdict& v, const std::string& name) {
    std::vector<std::string> out;
    for (const auto& [n, value] : v.add_headers)
        if (n == name) out.push_back(value);
    return out;
}

}  // namespace

class SessionMonitorTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(SessionMonitorTest);
    CPPUNIT_TEST(testMonitoredRuleDoesNotRefuse);
    CPPUNIT_TEST(testMonitoredRuleLogsWouldBeReply);
    CPPUNIT_TEST(testMonitorHeaderAtEndOfMessage);
    CPPUNIT_TEST(testNoMonitorHeaderWhenHeaderNameEmpty);
    CPPUNIT_TEST(testGlobalMonitorCapsHeadersAtSixteen);
    CPPUNIT_TEST(testMonitoredRcptDecisionLetsLaterRulesRun);
    CPPUNIT_TEST(testGlobalMonitorReportsOnlyTheFirst);
    CPPUNIT_TEST(testGlobalMonitorEarlierAcceptSuppressesLaterReject);
    CPPUNIT_TEST(testGlobalMonitorRcptAcceptWinsForItsRecipient);
    CPPUNIT_TEST(testGlobalMonitorRcptDecisionsEndTheMessage);
    CPPUNIT_TEST(testMonitoredRuleAddsNoHeadersOfItsOwn);
    CPPUNIT_TEST(testMonitoredTempErrorWouldTempfail);
    CPPUNIT_TEST(testRepeatedHeloMarksOnce);
    CPPUNIT_TEST(testWouldBeNamesRuleActionAndReply);
    CPPUNIT_TEST(testWouldBeOfDelayedRuleHasTheRcptReply);
    CPPUNIT_TEST(testVerdictTimingMarksEvaluatedCalls);
    CPPUNIT_TEST(testHeldWouldBeReportedForEachRecipient);
    CPPUNIT_TEST(testGlobalMonitorHeldRefusalOfEveryRecipientEndsMessage);
    CPPUNIT_TEST(testGlobalMonitorRefusalAtMailEndsMessage);
    CPPUNIT_TEST(testGlobalMonitorContentRulesSeeOnlyRecipientsEnforcementKeeps);
    CPPUNIT_TEST_SUITE_END();

  public:
    // The structured form of the would-be decision (decision log, metrics).
    void testWouldBeNamesRuleActionAndReply() {
        PolicyBuilder b;
        b.settings().delay_reject = false;
        b.rule("trial-block", Action::Reject, sender_domain("spam.example"), 550, "5.7.1",
               "Sender blocked")
            .monitor = true;
        b.rule("trial-hold", Action::Quarantine, sender_domain("spam.example")).monitor = true;
        Session s(b.build());
        s.connect();
        const Verdict v = s.mail("x@spam.example");
        CPPUNIT_ASSERT_EQUAL(std::size_t{2}, v.would.size());
        CPPUNIT_ASSERT_EQUAL(std::string("trial-block"), v.would[0].rule);
        CPPUNIT_ASSERT(v.would[0].action == Action::Reject);
        CPPUNIT_ASSERT_EQUAL(std::string("550 5.7.1 Sender blocked"), v.would[0].reply.summary());
        CPPUNIT_ASSERT_EQUAL(std::string("trial-hold"), v.would[1].rule);
        CPPUNIT_ASSERT(v.would[1].action == Action::Quarantine);
        CPPUNIT_ASSERT(v.would[1].reply.empty());
        // Nothing would have happened at RCPT: no would-be there.
        CPPUNIT_ASSERT(s.rcpt("y@c.example").would.empty());
    }

    // A monitored MAIL rule with delay_reject would refuse at RCPT: the
    // would-be reply is the one RCPT would carry (450 there for a tempfail).
    void testWouldBeOfDelayedRuleHasTheRcptReply() {
        PolicyBuilder b;
        b.rule("trial-defer", Action::Tempfail, sender_domain("spam.example")).monitor = true;
        Session s(b.build());
        s.connect();
        // Held until RCPT, as enforcement would hold it: reported there.
        CPPUNIT_ASSERT(s.mail("x@spam.example").would.empty());
        const Verdict v = s.rcpt("y@b.example");
        CPPUNIT_ASSERT_EQUAL(std::size_t{1}, v.would.size());
        CPPUNIT_ASSERT_EQUAL(450, v.would[0].reply.basic);
        CPPUNIT_ASSERT_EQUAL(std::string("4.7.1"), v.would[0].reply.enhanced);
    }

    void testVerdictTimingMarksEvaluatedCalls() {
        PolicyBuilder b;
        b.rule("accept-all", Action::Accept, sender_domain("ok.example"));
        Session s(b.build());
        const Verdict c = s.connect();
        CPPUNIT_ASSERT(c.timing.evaluated);
        CPPUNIT_ASSERT(c.timing.engine.count() >= 0);
        CPPUNIT_ASSERT_EQUAL(std::int64_t{0},
                             static_cast<std::int64_t>(c.timing.state_wait.count()));
        const Verdict m = s.mail("a@ok.example");  // accepts the message
        CPPUNIT_ASSERT(m.timing.evaluated);
        // Nothing runs after the message was accepted.
        CPPUNIT_ASSERT(!s.rcpt("b@c.example").timing.evaluated);
    }

    void testMonitoredRuleDoesNotRefuse() {
        PolicyBuilder b;
        b.settings().delay_reject = false;
        b.rule("block-sender", Action::Reject, sender_domain("spam.example"), 550, "5.7.1",
               "Sender blocked")
            .monitor = true;
        Session s(b.build());
        s.connect();
        const Verdict v = s.mail("x@spam.example");
        CPPUNIT_ASSERT(v.action == Action::Continue);
        CPPUNIT_ASSERT(v.monitor);
        CPPUNIT_ASSERT(s.rcpt("y@c.example").action == Action::Continue);
    }

    void testMonitoredRuleLogsWouldBeReply() {
        PolicyBuilder b;
        b.settings().delay_reject = false;
        b.rule("block-sender", Action::Reject, sender_domain("spam.example"), 550, "5.7.1",
               "Sender blocked")
            .monitor = true;
        Session s(b.build());
        s.connect();
        const Verdict v = s.mail("x@spam.example");
        CPPUNIT_ASSERT_EQUAL(std::size_t{1}, v.log.size());
        CPPUNIT_ASSERT_EQUAL(
            std::string("rule #1 block-sender (monitor) would reject 550 5.7.1 Sender blocked"),
            v.log[0].text);
    }

    void testMonitorHeaderAtEndOfMessage() {
        PolicyBuilder b;
        b.rule("block-sender", Action::Reject, sender_domain("spam.example"), 550, "5.7.1",
               "Sender blocked")
            .monitor = true;
        Session s(b.build());
        s.connect();
        s.mail("x@spam.example");
        s.rcpt("y@c.example");
        const Verdict v = s.end_of_message();
        CPPUNIT_ASSERT(v.action == Action::Continue);
        CPPUNIT_ASSERT(
            header_values(v, "X-Milter-Verdict") ==
            std::vector<std::string>{"would reject 550 5.7.1 Sender blocked (rule block-sender)"});
    }

    void testNoMonitorHeaderWhenHeaderNameEmpty() {
        PolicyBuilder b;
        b.settings().monitor = true;
        b.settings().monitor_header = "";
        b.rule("block", Action::Reject, sender_domain("spam.example"), 550, "5.7.1", "no");
        Session s(b.build());
        s.connect();
        s.mail("x@spam.example");
        s.rcpt("y@c.example");
        const Verdict v = s.end_of_message();
        CPPUNIT_ASSERT(v.action == Action::Continue);
        CPPUNIT_ASSERT(v.add_headers.empty());
    }

    // Twenty rules each with its own monitor flag all report (none would
    // decide when enforcing); the marks are capped. (Under the global switch
    // only the first would report: testGlobalMonitorReportsOnlyTheFirst.)
    void testGlobalMonitorCapsHeadersAtSixteen() {
        PolicyBuilder b;
        b.settings().monitor = true;
        for (int i = 0; i < 20; ++i)
            b.rule("r" + std::to_string(i), Action::Reject, sender_domain("spam.example"), 550,
                   "5.7.1", "no")
                .monitor = true;
        Session s(b.build());
        s.connect();
        const Verdict m = s.mail("x@spam.example");
        CPPUNIT_ASSERT(m.action == Action::Continue);
        CPPUNIT_ASSERT_EQUAL(std::size_t{20}, m.log.size());
        s.rcpt("y@c.example");
        const Verdict v = s.end_of_message();
        CPPUNIT_ASSERT_EQUAL(std::size_t{16}, header_values(v, "X-Milter-Verdict").size());
        bool noted = false;
        for (const auto& l : v.log)
            noted = noted || l.text.find("4 monitor headers not added") == 0;
        CPPUNIT_ASSERT(noted);
    }

    // DESIGN.md section 3: with the whole policy in monitor mode, what is
    // reported is what enforcement would do: the first deciding rule only.
    void testGlobalMonitorReportsOnlyTheFirst() {
        PolicyBuilder b;
        b.settings().monitor = true;
        for (int i = 0; i < 20; ++i)
            b.rule("r" + std::to_string(i), Action::Reject, sender_domain("spam.example"), 550,
                   "5.7.1", "no");
        b.rule("late", Action::Tempfail, rcpt_domain("c.example"), 450, "4.7.1", "later");
        Session s(b.build());
        s.connect();
        // delay_reject: held until RCPT, where enforcement would refuse.
        const Verdict m = s.mail("x@spam.example");
        CPPUNIT_ASSERT(m.action == Action::Continue);
        CPPUNIT_ASSERT(m.would.empty());
        const Verdict r = s.rcpt("y@c.example");
        CPPUNIT_ASSERT(r.action == Action::Continue);
        CPPUNIT_ASSERT_EQUAL(std::size_t{1}, r.would.size());
        CPPUNIT_ASSERT_EQUAL(std::string("r0"), r.would[0].rule);
        s.data();
        const Verdict v = s.end_of_message();
        CPPUNIT_ASSERT(v.would.empty());
        const auto marks = header_values(v, "X-Milter-Verdict");
        CPPUNIT_ASSERT_EQUAL(std::size_t{1}, marks.size());
        CPPUNIT_ASSERT(marks[0].find("(rule r0)") != std::string::npos);
    }

    // delay_reject: enforcement would hold a MAIL refusal and refuse each
    // recipient that no earlier rule decides, once per recipient (the
    // decisions counted per reply); monitor reports it the same way, with
    // each recipient's reply, and not for the recipient an earlier rule
    // accepts.
    void testHeldWouldBeReportedForEachRecipient() {
        PolicyBuilder b;
        b.rule("postmaster", Action::Accept, rcpt_is("postmaster@b.example"));
        b.rule("bad-sender", Action::Reject, sender_domain("spam.example"), 550, "5.7.1",
               "no mail for ${rcpt}")
            .monitor = true;
        Session s(b.build());
        s.connect();
        const Verdict m = s.mail("a@spam.example");
        CPPUNIT_ASSERT(m.would.empty());
        const Verdict x = s.rcpt("x@b.example");
        CPPUNIT_ASSERT(x.action == Action::Continue);
        CPPUNIT_ASSERT_EQUAL(std::size_t{1}, x.would.size());
        CPPUNIT_ASSERT_EQUAL(std::string("bad-sender"), x.would[0].rule);
        CPPUNIT_ASSERT_EQUAL(550, x.would[0].reply.basic);
        CPPUNIT_ASSERT(x.would[0].reply.lines.at(0).find("x@b.example") != std::string::npos);
        const Verdict pm = s.rcpt("postmaster@b.example");
        CPPUNIT_ASSERT(pm.would.empty());
        const Verdict y = s.rcpt("y@b.example");
        CPPUNIT_ASSERT_EQUAL(std::size_t{1}, y.would.size());
        CPPUNIT_ASSERT(y.would[0].reply.lines.at(0).find("y@b.example") != std::string::npos);
        s.data();
        CPPUNIT_ASSERT(s.end_of_message().would.empty());
    }

    // Whole policy in monitor mode, delay_reject: the MAIL refusal would
    // refuse every recipient, so enforcement never reaches DATA: the earlier
    // end-of-data rule's would-be decision is not reported.
    void testGlobalMonitorHeldRefusalOfEveryRecipientEndsMessage() {
        PolicyBuilder b;
        b.settings().monitor = true;
        b.rule("body", Action::Reject, fake(Match::Yes, Stage::EndOfData), 550, "5.7.1", "body");
        b.rule("bad-sender", Action::Reject, sender_domain("spam.example"), 550, "5.7.1", "no");
        Session s(b.build());
        s.connect();
        CPPUNIT_ASSERT(s.mail("a@spam.example").would.empty());
        for (const char* r : {"x@b.example", "y@b.example"}) {
            const Verdict v = s.rcpt(r);
            CPPUNIT_ASSERT_EQUAL(std::size_t{1}, v.would.size());
            CPPUNIT_ASSERT_EQUAL(std::string("bad-sender"), v.would[0].rule);
        }
        CPPUNIT_ASSERT(s.data().would.empty());
        const Verdict e = s.end_of_message();
        CPPUNIT_ASSERT(e.would.empty());
    }

    // Whole policy in monitor mode, delay_reject = false: the MAIL refusal
    // would end the message at MAIL; nothing after is reported.
    void testGlobalMonitorRefusalAtMailEndsMessage() {
        PolicyBuilder b;
        b.settings().monitor = true;
        b.settings().delay_reject = false;
        b.rule("body", Action::Reject, fake(Match::Yes, Stage::EndOfData), 550, "5.7.1", "body");
        b.rule("bad-sender", Action::Reject, sender_domain("spam.example"), 550, "5.7.1", "no");
        Session s(b.build());
        s.connect();
        const Verdict m = s.mail("a@spam.example");
        CPPUNIT_ASSERT_EQUAL(std::size_t{1}, m.would.size());
        CPPUNIT_ASSERT_EQUAL(std::string("bad-sender"), m.would[0].rule);
        CPPUNIT_ASSERT(s.rcpt("x@b.example").would.empty());
        CPPUNIT_ASSERT(s.data().would.empty());
        CPPUNIT_ASSERT(s.end_of_message().would.empty());
    }

    // Whole policy in monitor mode: a recipient a rule would refuse at RCPT
    // is not in the message enforcement would have, so DATA and end-of-data
    // rules do not see it (found in review: #2, keyed to bad@, made the
    // DATA tempfail #3 wait and then "would accept", where enforcement
    // tempfails at DATA). The caller's Transaction keeps every recipient.
    void testGlobalMonitorContentRulesSeeOnlyRecipientsEnforcementKeeps() {
        for (const bool monitor : {false, true}) {
            PolicyBuilder b;
            b.settings().monitor = monitor;
            b.rule("bad", Action::Reject, rcpt_is("bad@example.org"), 550, "5.7.1", "no");
            std::vector<ConditionPtr> parts;
            parts.push_back(rcpt_is("bad@example.org"));
            parts.push_back(fake(Match::Yes, Stage::EndOfData));
            b.rule("trusted", Action::Accept, make_all(std::move(parts)));
            b.rule("data-tempfail", Action::Tempfail, fake(Match::Yes, Stage::Data), 451, "4.7.1",
                   "later");
            Session s(b.build());
            s.connect();
            s.mail("a@example.net");
            s.rcpt("bad@example.org");
            s.rcpt("ok@example.org");
            const Verdict d = s.data();
            if (monitor) {
                CPPUNIT_ASSERT_EQUAL(std::size_t{1}, d.would.size());
                CPPUNIT_ASSERT_EQUAL(std::string("data-tempfail"), d.would[0].rule);
                CPPUNIT_ASSERT_EQUAL(std::size_t{2}, s.transaction().recipients.size());
            } else {
                CPPUNIT_ASSERT(d.action == Action::Tempfail);
                CPPUNIT_ASSERT_EQUAL(std::string("data-tempfail"), d.rule);
            }
        }
    }

    // An earlier would-be accept (MAIL) and a later reject (MAIL): only the
    // accept is reported, as enforcement would accept the message.
    void testGlobalMonitorEarlierAcceptSuppressesLaterReject() {
        PolicyBuilder b;
        b.settings().monitor = true;
        b.settings().delay_reject = false;
        b.rule("ok", Action::Accept, sender_domain("b.example"));
        b.rule("bad-net", Action::Reject, client_in("203.0.113.0/24"), 550, "5.7.1", "bad");
        b.rule("rcpt-block", Action::Reject, rcpt_domain("c.example"), 550, "5.7.1", "no");
        Session s(b.build());
        s.transaction().client_addr = "203.0.113.5";
        const Verdict c = s.connect();
        // bad-net (connect) would wait for ok (MAIL, written before it).
        CPPUNIT_ASSERT(c.would.empty());
        const Verdict m = s.mail("a@b.example");
        CPPUNIT_ASSERT_EQUAL(std::size_t{1}, m.would.size());
        CPPUNIT_ASSERT_EQUAL(std::string("ok"), m.would[0].rule);
        CPPUNIT_ASSERT(m.would[0].action == Action::Accept);
        const Verdict r = s.rcpt("x@c.example");
        CPPUNIT_ASSERT(r.would.empty());
        s.data();
        const Verdict v = s.end_of_message();
        CPPUNIT_ASSERT(v.would.empty());
        const auto marks = header_values(v, "X-Milter-Verdict");
        CPPUNIT_ASSERT_EQUAL(std::size_t{1}, marks.size());
        CPPUNIT_ASSERT_EQUAL(std::string("would accept (rule ok)"), marks[0]);
        // Another sender: nothing accepts, the held connect refusal is the one.
        const Verdict m2 = s.mail("a@other.example");
        CPPUNIT_ASSERT_EQUAL(std::size_t{1}, m2.would.size());
        CPPUNIT_ASSERT_EQUAL(std::string("bad-net"), m2.would[0].rule);
    }

    // Accept postmaster (RCPT) before a MAIL reject held until RCPT: the
    // reject is postmaster's neither at RCPT nor for the message.
    void testGlobalMonitorRcptAcceptWinsForItsRecipient() {
        PolicyBuilder b;
        b.settings().monitor = true;
        b.settings().delay_reject = true;
        b.rule("postmaster", Action::Accept, rcpt_is("postmaster@c.example"));
        b.rule("block", Action::Reject, sender_domain("spam.example"), 550, "5.7.1", "no");
        {
            Session s(b.build());
            s.connect();
            CPPUNIT_ASSERT(s.mail("x@spam.example").would.empty());
            const Verdict r = s.rcpt("postmaster@c.example");
            CPPUNIT_ASSERT_EQUAL(std::size_t{1}, r.would.size());
            CPPUNIT_ASSERT_EQUAL(std::string("postmaster"), r.would[0].rule);
            CPPUNIT_ASSERT(s.data().would.empty());
            const Verdict v = s.end_of_message();
            CPPUNIT_ASSERT(v.would.empty());
            const auto marks = header_values(v, "X-Milter-Verdict");
            CPPUNIT_ASSERT_EQUAL(std::size_t{1}, marks.size());
        }
        {
            Session s(b.build());
            s.connect();
            s.mail("x@spam.example");
            CPPUNIT_ASSERT_EQUAL(std::size_t{1}, s.rcpt("postmaster@c.example").would.size());
            const Verdict r = s.rcpt("user@c.example");
            CPPUNIT_ASSERT_EQUAL(std::size_t{1}, r.would.size());
            CPPUNIT_ASSERT_EQUAL(std::string("block"), r.would[0].rule);
            CPPUNIT_ASSERT_EQUAL(std::string("550 5.7.1 no"), r.would[0].reply.summary());
        }
    }

    // Every recipient would be refused at RCPT: enforcement never reaches
    // DATA, so a DATA or end-of-data rule reports nothing.
    void testGlobalMonitorRcptDecisionsEndTheMessage() {
        PolicyBuilder b;
        b.settings().monitor = true;
        b.rule("rcpt-block", Action::Reject, rcpt_domain("c.example"), 550, "5.7.1", "no");
        b.rule("size", Action::Reject,
               std::make_unique<FakeCondition>(Match::Yes, Stage::EndOfData), 552, "5.3.4", "big");
        Session s(b.build());
        s.connect();
        s.mail("a@b.example");
        CPPUNIT_ASSERT_EQUAL(std::size_t{1}, s.rcpt("x@c.example").would.size());
        CPPUNIT_ASSERT_EQUAL(std::size_t{1}, s.rcpt("y@c.example").would.size());
        s.data();
        const Verdict v = s.end_of_message();
        CPPUNIT_ASSERT(v.would.empty());
    }

    void testMonitoredRcptDecisionLetsLaterRulesRun() {
        PolicyBuilder b;
        b.rule("watch", Action::Reject, rcpt_domain("c.example"), 550, "5.7.1", "watched").monitor =
            true;
        b.rule("real", Action::Tempfail, rcpt_domain("c.example"), 450, "4.7.1", "real");
        Session s(b.build());
        s.connect();
        s.mail("a@b.example");
        const Verdict v = s.rcpt("x@c.example");
        CPPUNIT_ASSERT(v.action == Action::Tempfail);
        CPPUNIT_ASSERT_EQUAL(std::string("real"), v.rule);
        CPPUNIT_ASSERT(v.monitor);
        CPPUNIT_ASSERT_EQUAL(std::size_t{2}, v.log.size());
    }

    void testMonitoredRuleAddsNoHeadersOfItsOwn() {
        PolicyBuilder b;
        auto& r = b.rule("watch", Action::Reject, sender_domain("b.example"), 550, "5.7.1", "no");
        r.monitor = true;
        r.add_headers.push_back({"X-Spam", "yes"});
        Session s(b.build());
        s.connect();
        s.mail("a@b.example");
        s.rcpt("x@c.example");
        const Verdict v = s.end_of_message();
        CPPUNIT_ASSERT(header_values(v, "X-Spam").empty());
        CPPUNIT_ASSERT_EQUAL(std::size_t{1}, header_values(v, "X-Milter-Verdict").size());
    }

    void testMonitoredTempErrorWouldTempfail() {
        PolicyBuilder b;
        b.rule("rbl", Action::Reject, fake(Match::TempError, Stage::Rcpt), 550, "5.7.1", "listed")
            .monitor = true;
        Session s(b.build());
        s.connect();
        s.mail("a@b.example");
        const Verdict r = s.rcpt("x@c.example");
        CPPUNIT_ASSERT(r.action == Action::Continue);
        const Verdict v = s.end_of_message();
        CPPUNIT_ASSERT(header_values(v, "X-Milter-Verdict") ==
                       std::vector<std::string>{"would tempfail 451 4.4.3 Temporary lookup "
                                                "failure, please try again later (rule rbl)"});
    }

    void testRepeatedHeloMarksOnce() {
        PolicyBuilder b;
        b.rule("helo-check", Action::Reject, helo_is("h.example"), 550, "5.7.1", "bad helo")
            .monitor = true;
        Session s(b.build());
        s.connect();
        s.helo("h.example");
        s.helo("h.example");  // EHLO again after STARTTLS
        s.mail("a@b.example");
        s.rcpt("x@c.example");
        const Verdict v = s.end_of_message();
        CPPUNIT_ASSERT_EQUAL(std::size_t{1}, header_values(v, "X-Milter-Verdict").size());
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(SessionMonitorTest);
