// SPDX-License-Identifier: Apache-2.0
// test_session.cpp - Session: rule order, stages, delay_reject, accept scopes,
// discard/quarantine, non-SMTP, TempError, replies and headers.
// (Monitor mode: test_session_monitor.cpp; bounds: test_session_bounds.cpp.)
#include <cppunit/extensions/HelperMacros.h>

#include "fake_condition.hpp"
#include "policy/session.hpp"
#include "policy_builder.hpp"

using namespace mv::policy;
using mv::codes::Stage;
using namespace mv::test;

namespace {

bool logged(const Verdict& v, const std::string& needle) {
    for (const auto& l : v.log)
        if (l.text.find(needle) != std::string::npos) return true;
    return false;
}

Session open(PolicyPtr p, std::string client = "192.0.2.1") {
    Session s(std::move(p));
    s.transaction().client_addr = std::move(client);
    return s;
}

}  // namespace

class SessionTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(SessionTest);
    CPPUNIT_TEST(testFirstFinalActionWins);
    CPPUNIT_TEST(testContinueRuleLetsEvaluationGoOn);
    CPPUNIT_TEST(testContinueRuleLineIsDetailUnlessItAddsSomething);
    CPPUNIT_TEST(testRuleRunsAtItsStageOnly);
    CPPUNIT_TEST(testCombinedRuleRunsAtLatestStageOfItsConditions);
    CPPUNIT_TEST(testDelayRejectHoldsConnectRejectUntilEachRcpt);
    CPPUNIT_TEST(testEarlierRcptAcceptBeatsHeldReject);
    CPPUNIT_TEST(testLaterRcptAcceptDoesNotBeatHeldReject);
    CPPUNIT_TEST(testWithoutDelayRejectRefusesAtOnce);
    CPPUNIT_TEST(testHeldConnectionRefusalSurvivesAbortAndNewMessage);
    CPPUNIT_TEST(testHeldMailRefusalIsResetWithMessage);
    CPPUNIT_TEST(testAcceptAtConnectAcceptsConnection);
    CPPUNIT_TEST(testAcceptAtMailAcceptsThatMessageOnly);
    CPPUNIT_TEST(testAcceptAtRcptAcceptsThatRecipientOnly);
    CPPUNIT_TEST(testEndOfDataRulesSkippedOnlyWhenEveryRecipientAccepted);
    CPPUNIT_TEST(testRefusedRecipientLeavesTheMessage);
    CPPUNIT_TEST(testDiscardIsReturnedAtEndOfMessage);
    CPPUNIT_TEST(testQuarantineIsReturnedAtEndOfMessageWithReason);
    CPPUNIT_TEST(testNonSmtpRcptRefusalMovesToEndOfMessage);
    CPPUNIT_TEST(testNonSmtpHeldRefusalMovesToEndOfMessage);
    CPPUNIT_TEST(testTempErrorFailsClosedWithBackendReply);
    CPPUNIT_TEST(testTempErrorFailsOpenWhenOnErrorIsAccept);
    CPPUNIT_TEST(testAddHeadersAreExpandedAndReturnedAtEnd);
    CPPUNIT_TEST(testReplyExpansionCannotInject);
    CPPUNIT_TEST(testDefaultReplyWhenRuleGivesNone);
    CPPUNIT_TEST(testDisconnectComesFromReply);
    CPPUNIT_TEST(testQueueIdFromMacroAndNotReusedByNextMessage);
    CPPUNIT_TEST(testLogLineNamesRuleConditionAndReply);
    CPPUNIT_TEST(testNullSenderInBracketsMatchesNullSenderRule);
    CPPUNIT_TEST(testRegexSenderRule);
    CPPUNIT_TEST(testAuthLoginSetByCallerSurvivesNewMessage);
    CPPUNIT_TEST_SUITE_END();

  public:
    void testFirstFinalActionWins() {
        PolicyBuilder b;
        b.settings().delay_reject = false;
        b.rule("tag", Action::Continue, sender_domain("a.example"));
        b.rule("block", Action::Reject, sender_domain("a.example"), 550, "5.7.1", "blocked");
        b.rule("allow", Action::Accept, sender_domain("a.example"));
        Session s = open(b.build());
        s.connect();
        const Verdict v = s.mail("x@a.example");
        CPPUNIT_ASSERT(v.action == Action::Reject);
        CPPUNIT_ASSERT_EQUAL(std::string("block"), v.rule);

        PolicyBuilder c;
        c.settings().delay_reject = false;
        c.rule("allow", Action::Accept, sender_domain("a.example"));
        c.rule("block", Action::Reject, sender_domain("a.example"), 550, "5.7.1", "blocked");
        Session t = open(c.build());
        t.connect();
        CPPUNIT_ASSERT(t.mail("x@a.example").action == Action::Accept);
    }

    // Issue 25 point 6: a continue rule that adds nothing (no header, no log
    // text of its own) gives a detail line (logged at debug); one that adds a
    // header or has a log text gives an ordinary line. Each names its rule.
    void testContinueRuleLineIsDetailUnlessItAddsSomething() {
        PolicyBuilder b;
        b.rule("quiet-tag", Action::Continue, sender_domain("a.example"));
        b.rule("logged-tag", Action::Continue, sender_domain("a.example")).log = "tagged";
        b.rule("header-tag", Action::Continue, sender_domain("a.example"))
            .add_headers.push_back({"X-Tag", "yes"});
        b.rule("block", Action::Reject, sender_domain("a.example"), 550, "5.7.1", "blocked");
        Session s = open(b.build());
        s.connect();
        const Verdict v = s.mail("x@a.example");
        CPPUNIT_ASSERT_EQUAL(std::size_t{4}, v.log.size());
        CPPUNIT_ASSERT_EQUAL(std::string("quiet-tag"), v.log[0].rule);
        CPPUNIT_ASSERT_EQUAL(std::string("continue"), v.log[0].action);
        CPPUNIT_ASSERT(v.log[0].detail);
        CPPUNIT_ASSERT_EQUAL(std::string("logged-tag"), v.log[1].rule);
        CPPUNIT_ASSERT(!v.log[1].detail);
        CPPUNIT_ASSERT_EQUAL(std::string("header-tag"), v.log[2].rule);
        CPPUNIT_ASSERT(!v.log[2].detail);
        CPPUNIT_ASSERT_EQUAL(std::string("block"), v.log[3].rule);
        CPPUNIT_ASSERT_EQUAL(std::string("reject"), v.log[3].action);
        CPPUNIT_ASSERT(!v.log[3].detail);
    }

    void testContinueRuleLetsEvaluationGoOn() {
        PolicyBuilder b;
        b.settings().delay_reject = false;
        b.rule("tag", Action::Continue, sender_domain("a.example")).log = "tagged";
        b.rule("block", Action::Reject, sender_domain("a.example"), 550, "5.7.1", "blocked");
        Session s = open(b.build());
        s.connect();
        const Verdict v = s.mail("x@a.example");
        CPPUNIT_ASSERT(v.action == Action::Reject);
        CPPUNIT_ASSERT_EQUAL(std::size_t{2}, v.log.size());
        CPPUNIT_ASSERT(
            logged(v, "rule #1 tag matched: sender domain a.example => continue - tagged"));
    }

    void testRuleRunsAtItsStageOnly() {
        PolicyBuilder b;
        b.settings().delay_reject = false;
        b.rule("bad-helo", Action::Reject, helo_is("bad.example"), 550, "5.7.1", "bad helo");
        Session s = open(b.build());
        CPPUNIT_ASSERT(s.connect().action == Action::Continue);
        const Verdict v = s.helo("bad.example");
        CPPUNIT_ASSERT(v.action == Action::Reject);
        CPPUNIT_ASSERT(v.decided_at == Stage::Helo);
        CPPUNIT_ASSERT(v.delivered_at == Stage::Helo);
        // Not evaluated again at MAIL (the rule belongs to HELO).
        CPPUNIT_ASSERT(s.mail("a@b.example").action == Action::Continue);
    }

    void testCombinedRuleRunsAtLatestStageOfItsConditions() {
        PolicyBuilder b;
        b.settings().delay_reject = false;
        std::vector<ConditionPtr> parts;
        parts.push_back(helo_is("h.example"));
        parts.push_back(rcpt_domain("c.example"));
        b.rule("helo-and-rcpt", Action::Reject, make_all(std::move(parts)), 550, "5.7.1", "no");
        Session s = open(b.build());
        s.connect();
        CPPUNIT_ASSERT(s.helo("h.example").action == Action::Continue);
        CPPUNIT_ASSERT(s.mail("a@b.example").action == Action::Continue);
        CPPUNIT_ASSERT(s.rcpt("x@d.example").action == Action::Continue);
        const Verdict v = s.rcpt("x@c.example");
        CPPUNIT_ASSERT(v.action == Action::Reject);
        CPPUNIT_ASSERT(v.decided_at == Stage::Rcpt);
    }

    void testDelayRejectHoldsConnectRejectUntilEachRcpt() {
        PolicyBuilder b;
        b.rule("bad-net", Action::Reject, client_in("192.0.2.0/24"), 550, "5.7.1",
               "${client_addr} may not send to ${rcpt}");
        Session s = open(b.build());
        const Verdict c = s.connect();
        CPPUNIT_ASSERT(c.action == Action::Continue);
        CPPUNIT_ASSERT(logged(c, "held until RCPT"));
        CPPUNIT_ASSERT(s.helo("h.example").action == Action::Continue);
        CPPUNIT_ASSERT(s.mail("a@b.example").action == Action::Continue);
        for (const std::string r : {"one@c.example", "two@c.example"}) {
            const Verdict v = s.rcpt(r);
            CPPUNIT_ASSERT(v.action == Action::Reject);
            CPPUNIT_ASSERT(v.decided_at == Stage::Connect);
            CPPUNIT_ASSERT(v.delivered_at == Stage::Rcpt);
            CPPUNIT_ASSERT_EQUAL(std::string("bad-net"), v.rule);
            CPPUNIT_ASSERT_EQUAL(std::string("550 5.7.1 192.0.2.1 may not send to ") + r,
                                 v.reply.summary());
        }
    }

    void testEarlierRcptAcceptBeatsHeldReject() {
        PolicyBuilder b;
        b.rule("postmaster", Action::Accept, rcpt_is("postmaster@c.example"));
        b.rule("bad-net", Action::Reject, client_in("192.0.2.0/24"), 550, "5.7.1", "go away");
        Session s = open(b.build());
        s.connect();
        s.mail("a@b.example");
        const Verdict pm = s.rcpt("postmaster@c.example");
        CPPUNIT_ASSERT(pm.action == Action::Continue);
        CPPUNIT_ASSERT_EQUAL(std::string("postmaster"), pm.rule);
        CPPUNIT_ASSERT(s.rcpt("bob@c.example").action == Action::Reject);
    }

    void testLaterRcptAcceptDoesNotBeatHeldReject() {
        PolicyBuilder b;
        b.rule("bad-net", Action::Reject, client_in("192.0.2.0/24"), 550, "5.7.1", "go away");
        b.rule("postmaster", Action::Accept, rcpt_is("postmaster@c.example"));
        Session s = open(b.build());
        s.connect();
        s.mail("a@b.example");
        const Verdict v = s.rcpt("postmaster@c.example");
        CPPUNIT_ASSERT(v.action == Action::Reject);
        CPPUNIT_ASSERT_EQUAL(std::string("bad-net"), v.rule);
    }

    void testWithoutDelayRejectRefusesAtOnce() {
        PolicyBuilder b;
        b.settings().delay_reject = false;
        b.rule("bad-net", Action::Reject, client_in("192.0.2.0/24"), 554, "5.7.1", "go away");
        b.rule("bad-sender", Action::Reject, sender_domain("b.example"), 550, "5.7.1", "no");
        Session s = open(b.build());
        const Verdict v = s.connect();
        CPPUNIT_ASSERT(v.action == Action::Reject);
        CPPUNIT_ASSERT(v.delivered_at == Stage::Connect);
        CPPUNIT_ASSERT_EQUAL(std::string("554 5.7.1 go away"), v.reply.summary());
        // The session is over for the engine: nothing more is evaluated.
        CPPUNIT_ASSERT(s.mail("a@b.example").action == Action::Continue);
        CPPUNIT_ASSERT(s.rcpt("x@c.example").action == Action::Continue);
    }

    void testHeldConnectionRefusalSurvivesAbortAndNewMessage() {
        PolicyBuilder b;
        b.rule("bad-helo", Action::Tempfail, helo_is("bad.example"), 450, "4.7.1", "later");
        Session s = open(b.build());
        s.connect();
        s.helo("bad.example");
        s.mail("a@b.example");
        CPPUNIT_ASSERT(s.rcpt("x@c.example").action == Action::Tempfail);
        s.abort();
        s.mail("a2@b.example");
        const Verdict v = s.rcpt("y@c.example");
        CPPUNIT_ASSERT(v.action == Action::Tempfail);
        CPPUNIT_ASSERT_EQUAL(std::string("450 4.7.1 later"), v.reply.summary());
    }

    void testHeldMailRefusalIsResetWithMessage() {
        PolicyBuilder b;
        b.rule("bad-sender", Action::Reject, sender_domain("b.example"), 550, "5.7.1", "no");
        Session s = open(b.build());
        s.connect();
        CPPUNIT_ASSERT(s.mail("a@b.example").action == Action::Continue);
        CPPUNIT_ASSERT(s.rcpt("x@c.example").action == Action::Reject);
        CPPUNIT_ASSERT(s.rcpt("y@c.example").action == Action::Reject);
        s.abort();
        s.mail("a@good.example");
        CPPUNIT_ASSERT(s.rcpt("x@c.example").action == Action::Continue);
    }

    void testAcceptAtConnectAcceptsConnection() {
        PolicyBuilder b;
        b.rule("trusted", Action::Accept, client_in("192.0.2.0/24"));
        b.rule("bad-sender", Action::Reject, sender_domain("b.example"), 550, "5.7.1", "no");
        Session s = open(b.build());
        const Verdict v = s.connect();
        CPPUNIT_ASSERT(v.action == Action::Accept);
        CPPUNIT_ASSERT_EQUAL(std::string("trusted"), v.rule);
        s.mail("a@b.example");
        CPPUNIT_ASSERT(s.rcpt("x@c.example").action == Action::Continue);
        CPPUNIT_ASSERT(s.end_of_message().action == Action::Continue);
    }

    void testAcceptAtMailAcceptsThatMessageOnly() {
        PolicyBuilder b;
        b.rule("friend", Action::Accept, sender_domain("friend.example"));
        b.rule("no-x", Action::Reject, rcpt_domain("c.example"), 550, "5.7.1", "no");
        Session s = open(b.build());
        s.connect();
        CPPUNIT_ASSERT(s.mail("a@friend.example").action == Action::Accept);
        CPPUNIT_ASSERT(s.rcpt("x@c.example").action == Action::Continue);
        s.end_of_message();
        CPPUNIT_ASSERT(s.mail("a@other.example").action == Action::Continue);
        CPPUNIT_ASSERT(s.rcpt("x@c.example").action == Action::Reject);
    }

    void testAcceptAtRcptAcceptsThatRecipientOnly() {
        PolicyBuilder b;
        b.rule("postmaster", Action::Accept, rcpt_is("postmaster@c.example"));
        b.rule("all-rcpt", Action::Reject, fake(Match::Yes, Stage::Rcpt), 550, "5.7.1", "no");
        Session s = open(b.build());
        s.connect();
        s.mail("a@b.example");
        const Verdict pm = s.rcpt("postmaster@c.example");
        CPPUNIT_ASSERT(pm.action == Action::Continue);
        CPPUNIT_ASSERT_EQUAL(std::string("postmaster"), pm.rule);
        CPPUNIT_ASSERT(logged(pm, "=> accept"));
        CPPUNIT_ASSERT(s.rcpt("bob@c.example").action == Action::Reject);
    }

    void testEndOfDataRulesSkippedOnlyWhenEveryRecipientAccepted() {
        PolicyBuilder b;
        b.rule("ok", Action::Accept, rcpt_domain("ok.example"));
        b.rule("eod", Action::Reject, fake(Match::Yes, Stage::EndOfData), 550, "5.7.1", "no");
        auto p = b.build();
        Session s = open(p);
        s.connect();
        s.mail("a@b.example");
        s.rcpt("one@ok.example");
        s.rcpt("two@ok.example");
        CPPUNIT_ASSERT(s.data().action == Action::Continue);
        CPPUNIT_ASSERT(s.end_of_message().action == Action::Continue);

        s.mail("a@b.example");
        s.rcpt("one@ok.example");
        s.rcpt("two@other.example");
        const Verdict v = s.end_of_message();
        CPPUNIT_ASSERT(v.action == Action::Reject);
        CPPUNIT_ASSERT_EQUAL(std::string("eod"), v.rule);
    }

    void testRefusedRecipientLeavesTheMessage() {
        PolicyBuilder b;
        b.rule("no-bad", Action::Reject, rcpt_domain("bad.example"), 550, "5.7.1", "no");
        Session s = open(b.build());
        s.connect();
        s.mail("a@b.example");
        s.rcpt("x@bad.example");
        s.rcpt("y@good.example");
        CPPUNIT_ASSERT(s.transaction().recipients == std::vector<std::string>{"y@good.example"});
    }

    void testDiscardIsReturnedAtEndOfMessage() {
        PolicyBuilder b;
        b.rule("drop", Action::Discard, sender_domain("b.example"));
        Session s = open(b.build());
        s.connect();
        CPPUNIT_ASSERT(s.mail("a@b.example").action == Action::Continue);
        CPPUNIT_ASSERT(s.rcpt("x@c.example").action == Action::Continue);
        CPPUNIT_ASSERT(s.data().action == Action::Continue);
        const Verdict v = s.end_of_message();
        CPPUNIT_ASSERT(v.action == Action::Discard);
        CPPUNIT_ASSERT(v.decided_at == Stage::Mail);
        CPPUNIT_ASSERT(v.delivered_at == Stage::EndOfData);
        CPPUNIT_ASSERT_EQUAL(std::string("drop"), v.rule);
        CPPUNIT_ASSERT(logged(v, "rule #1 drop (from mail) => discard"));
    }

    void testQuarantineIsReturnedAtEndOfMessageWithReason() {
        PolicyBuilder b;
        b.rule("hold", Action::Quarantine, rcpt_domain("c.example")).quarantine_reason =
            "suspicious mail to ${rcpt}";
        Session s = open(b.build());
        s.connect();
        s.mail("a@b.example");
        CPPUNIT_ASSERT(s.rcpt("x@c.example").action == Action::Continue);
        const Verdict v = s.end_of_message();
        CPPUNIT_ASSERT(v.action == Action::Quarantine);
        CPPUNIT_ASSERT_EQUAL(std::string("suspicious mail to x@c.example"), v.quarantine_reason);
    }

    void testNonSmtpRcptRefusalMovesToEndOfMessage() {
        PolicyBuilder b;
        b.rule("no-c", Action::Reject, rcpt_domain("c.example"), 550, "5.7.1",
               "no mail to ${rcpt}");
        Session s = open(b.build(), "");
        s.transaction().non_smtp = true;
        s.connect();
        s.mail("root");
        CPPUNIT_ASSERT(s.rcpt("x@c.example").action == Action::Continue);
        CPPUNIT_ASSERT(s.rcpt("y@d.example").action == Action::Continue);
        const Verdict v = s.end_of_message();
        CPPUNIT_ASSERT(v.action == Action::Reject);
        CPPUNIT_ASSERT(v.decided_at == Stage::Rcpt);
        CPPUNIT_ASSERT(v.delivered_at == Stage::EndOfData);
        CPPUNIT_ASSERT_EQUAL(std::string("550 5.7.1 no mail to x@c.example"), v.reply.summary());
    }

    void testNonSmtpHeldRefusalMovesToEndOfMessage() {
        PolicyBuilder b;
        b.rule("bad-sender", Action::Tempfail, sender_domain("b.example"), 451, "4.7.1", "later");
        Session s = open(b.build(), "");
        s.transaction().non_smtp = true;
        s.connect();
        s.mail("a@b.example");
        CPPUNIT_ASSERT(s.rcpt("x@c.example").action == Action::Continue);
        const Verdict v = s.end_of_message();
        CPPUNIT_ASSERT(v.action == Action::Tempfail);
        CPPUNIT_ASSERT_EQUAL(std::string("451 4.7.1 later"), v.reply.summary());
    }

    void testTempErrorFailsClosedWithBackendReply() {
        PolicyBuilder b;
        b.settings().delay_reject = false;
        b.settings().on_error = Action::Tempfail;
        b.rule("rbl", Action::Reject, fake(Match::TempError, Stage::Mail, "dns list"), 550, "5.7.1",
               "listed");
        Session s = open(b.build());
        s.connect();
        const Verdict v = s.mail("a@b.example");
        CPPUNIT_ASSERT(v.action == Action::Tempfail);
        CPPUNIT_ASSERT_EQUAL(451, v.reply.basic);
        CPPUNIT_ASSERT_EQUAL(std::string("4.4.3"), v.reply.enhanced);
        CPPUNIT_ASSERT(logged(v, "rule #1 rbl error: temporary failure evaluating: dns list"));
    }

    void testTempErrorFailsOpenWhenOnErrorIsAccept() {
        PolicyBuilder b;
        b.settings().delay_reject = false;
        b.settings().on_error = Action::Accept;
        b.rule("rbl", Action::Reject, fake(Match::TempError, Stage::Mail, "dns list"), 550, "5.7.1",
               "listed");
        b.rule("after", Action::Reject, sender_domain("b.example"), 550, "5.7.1", "after");
        Session s = open(b.build());
        s.connect();
        const Verdict v = s.mail("a@b.example");
        CPPUNIT_ASSERT(v.action == Action::Reject);
        CPPUNIT_ASSERT_EQUAL(std::string("after"), v.rule);
        CPPUNIT_ASSERT(logged(v, "fail open"));
        CPPUNIT_ASSERT(s.mail("a@c.example").action == Action::Continue);
    }

    void testAddHeadersAreExpandedAndReturnedAtEnd() {
        PolicyBuilder b;
        b.rule("tag-helo", Action::Continue, helo_is("h.example"))
            .add_headers.push_back({"X-Helo", "${helo}"});
        b.rule("tag", Action::Continue, sender_domain("b.example"))
            .add_headers.push_back({"X-Tag", "from ${sender} via ${rule}"});
        Session s = open(b.build());
        s.connect();
        s.helo("h.example");
        CPPUNIT_ASSERT(s.mail("a@b.example").add_headers.empty());
        s.rcpt("x@c.example");
        const Verdict v = s.end_of_message();
        CPPUNIT_ASSERT(v.action == Action::Continue);
        using H = std::pair<std::string, std::string>;
        CPPUNIT_ASSERT(v.add_headers == (std::vector<H>{{"X-Helo", "h.example"},
                                                        {"X-Tag", "from a@b.example via tag"}}));
        // Connection-level headers apply to the next message too; message ones do not.
        s.mail("a@other.example");
        s.rcpt("x@c.example");
        CPPUNIT_ASSERT(s.end_of_message().add_headers == (std::vector<H>{{"X-Helo", "h.example"}}));
    }

    void testReplyExpansionCannotInject() {
        PolicyBuilder b;
        b.settings().delay_reject = false;
        b.rule("block", Action::Reject, fake(Match::Yes, Stage::Mail), 550, "5.7.1",
               "sender ${sender} refused");
        Session s = open(b.build());
        s.connect();
        const Verdict v = s.mail("a\r\n250 OK %s\n@b.example");
        CPPUNIT_ASSERT(v.action == Action::Reject);
        CPPUNIT_ASSERT_EQUAL(std::size_t{1}, v.reply.lines.size());
        const std::string& line = v.reply.lines[0];
        CPPUNIT_ASSERT(line.find('\r') == std::string::npos);
        CPPUNIT_ASSERT(line.find('\n') == std::string::npos);
        // '%' stays literal here: the glue doubles it at smfi_setreply time
        // (reply_text.hpp), so it can never become a libmilter format.
        CPPUNIT_ASSERT_EQUAL(std::string("sender a??250 OK %s?@b.example refused"), line);
    }

    void testDefaultReplyWhenRuleGivesNone() {
        PolicyBuilder b;
        b.rule("slow", Action::Tempfail, rcpt_domain("c.example"));
        Session s = open(b.build());
        s.connect();
        s.mail("a@b.example");
        const Verdict v = s.rcpt("x@c.example");
        CPPUNIT_ASSERT_EQUAL(450, v.reply.basic);
        CPPUNIT_ASSERT_EQUAL(std::string("4.7.1"), v.reply.enhanced);
        CPPUNIT_ASSERT(!v.reply.lines.empty());
    }

    void testDisconnectComesFromReply() {
        PolicyBuilder b;
        b.rule("bye", Action::Tempfail, rcpt_domain("c.example"), 421, "4.7.0", "closing")
            .reply.disconnect = true;
        b.rule("no", Action::Tempfail, rcpt_domain("d.example"), 450, "4.7.1", "later");
        Session s = open(b.build());
        s.connect();
        s.mail("a@b.example");
        CPPUNIT_ASSERT(!s.rcpt("x@d.example").disconnect);
        CPPUNIT_ASSERT(s.rcpt("x@c.example").disconnect);
    }

    void testQueueIdFromMacroAndNotReusedByNextMessage() {
        PolicyBuilder b;
        b.rule("no", Action::Reject, rcpt_domain("c.example"), 550, "5.7.1", "id ${queue_id}");
        Session s = open(b.build());
        s.connect();
        s.transaction().macros["i"] = "4XyZ1";
        s.mail("a@b.example");
        CPPUNIT_ASSERT_EQUAL(std::string("550 5.7.1 id 4XyZ1"),
                             s.rcpt("x@c.example").reply.summary());
        s.rcpt("y@d.example");
        s.end_of_message();
        s.mail("a@b.example");
        CPPUNIT_ASSERT_EQUAL(std::string("550 5.7.1 id "), s.rcpt("x@c.example").reply.summary());
    }

    void testLogLineNamesRuleConditionAndReply() {
        PolicyBuilder b;
        b.settings().delay_reject = false;
        b.rule("block-sender", Action::Reject, sender_domain("spam.example"), 550, "5.7.1",
               "Sender blocked");
        Session s = open(b.build());
        s.connect();
        const Verdict v = s.mail("x@spam.example");
        CPPUNIT_ASSERT_EQUAL(std::size_t{1}, v.log.size());
        CPPUNIT_ASSERT_EQUAL(std::string("rule #1 block-sender matched: sender domain spam.example "
                                         "=> reject 550 5.7.1 Sender blocked"),
                             v.log[0].text);
    }

    void testNullSenderInBracketsMatchesNullSenderRule() {
        PolicyBuilder b;
        b.settings().delay_reject = false;
        StringMatch m;
        m.null_sender = true;
        b.rule("no-bounces", Action::Reject, make_string_condition(Field::Sender, m), 550, "5.7.1",
               "no bounces");
        Session s = open(b.build());
        s.connect();
        const Verdict v = s.mail("<>");
        CPPUNIT_ASSERT(v.action == Action::Reject);
        CPPUNIT_ASSERT_EQUAL(std::string(""), s.transaction().sender);
        CPPUNIT_ASSERT(s.mail("<a@b.example>").action == Action::Continue);
        CPPUNIT_ASSERT_EQUAL(std::string("a@b.example"), s.transaction().sender);
    }

    void testRegexSenderRule() {
        PolicyBuilder b;
        b.settings().delay_reject = false;
        StringMatch m;
        m.regexes = {"^[0-9]{6,}@", "@mail[0-9]+\\.example$"};
        b.rule("numbers", Action::Reject, make_string_condition(Field::Sender, m), 550, "5.7.1",
               "no");
        Session s = open(b.build());
        s.connect();
        CPPUNIT_ASSERT(s.mail("1234567@x.example").action == Action::Reject);
        CPPUNIT_ASSERT(s.mail("a@MAIL7.example").action == Action::Reject);
        CPPUNIT_ASSERT(s.mail("12345@x.example").action == Action::Continue);
        CPPUNIT_ASSERT(s.mail("a@mail7.example.org").action == Action::Continue);
    }

    void testAuthLoginSetByCallerSurvivesNewMessage() {
        PolicyBuilder b;
        b.settings().delay_reject = false;
        b.rule("users", Action::Accept, make_authenticated_condition(true));
        b.rule("others", Action::Reject, make_authenticated_condition(false), 550, "5.7.1", "no");
        Session s = open(b.build());
        s.connect();
        s.transaction().auth_login = "alice";  // set directly, no macro
        CPPUNIT_ASSERT(s.mail("a@b.example").action == Action::Accept);
        s.abort();
        CPPUNIT_ASSERT(s.mail("a@b.example").action == Action::Accept);
        s.transaction().auth_login.clear();
        CPPUNIT_ASSERT(s.mail("a@b.example").action == Action::Reject);
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(SessionTest);
