// SPDX-License-Identifier: Apache-2.0
// test_policy_responder.cpp - Responder: Postfix policy requests through the engine.
//
// Policies are configuration texts loaded as the daemon loads them (replies
// filled by the loader), with an embedded store on a fake clock; requests
// are what Postfix sends (policy_request.hpp). Expected replies come from
// DESIGN.md's defaults and the rules' own texts.
#include <cppunit/extensions/HelperMacros.h>

#include <memory>
#include <stdexcept>
#include <string>

#include "fake_milter_api.hpp"
#include "policy/conditions.hpp"
#include "policy_builder.hpp"
#include "policy_request.hpp"
#include "policy_service/responder.hpp"
#include "state_policy.hpp"

namespace mv::policy_service::test {

namespace {

using mv::test::Attrs;
using mv::test::parse_request;
using mv::test::postfix_request;

const std::string kRules = R"(
policy = { delay_reject = true; };
rules = (
  { name = "blocked-sender"; when = { sender = { domain = "spam.example"; }; }; action = "reject";
    reply = { code = 550; enhanced = "5.7.1"; text = "Sender ${sender} is blocked"; }; },
  { name = "bad-client"; when = { client_addr = "198.51.100.0/24"; }; action = "reject";
    reply = { text = "Client ${client_addr} refused"; }; },
  { name = "bad-helo"; when = { helo = "evil.example"; }; action = "reject";
    reply = { text = "HELO ${helo} refused"; }; },
  { name = "postmaster"; when = { rcpt = "postmaster@example.org"; }; action = "accept"; },
  { name = "blocked-rcpt"; when = { rcpt = "gone@example.org"; }; action = "reject";
    reply = { code = 550; enhanced = "5.1.1"; text = "<${rcpt}>: mailbox gone"; }; },
  { name = "later"; when = { rcpt = "later@example.org"; }; action = "tempfail"; },
  { name = "multi"; when = { rcpt = "multi@example.org"; }; action = "reject";
    reply = { code = 550; enhanced = "5.7.1"; text = ["First line,", "second line."]; }; },
  { name = "trash"; when = { rcpt = "trash@example.org"; }; action = "discard"; },
  { name = "review"; when = { rcpt = "review@example.org"; }; action = "quarantine";
    quarantine_reason = "held for review"; },
  { name = "tag"; when = { rcpt = "tagged@example.org"; }; action = "continue";
    add_header = { name = "X-Tag"; value = "tagged for ${rcpt}"; }; },
  { name = "crowd"; when = { rcpt_count = { over = 2; }; }; stage = "data"; action = "reject";
    reply = { code = 554; enhanced = "5.7.1"; text = "Too many recipients"; }; },
  { name = "big"; when = { size = { over = 99999; }; }; action = "reject";
    reply = { code = 552; enhanced = "5.3.4"; text = "Too big"; }; }
);
)";

// kRules with more settings in its policy group.
std::string with_policy(const std::string& settings) {
    std::string s = kRules;
    s.replace(s.find("delay_reject = true;"), 20, "delay_reject = true; " + settings);
    return s;
}

std::string ask(Responder& r, const Attrs& a) {
    return r.answer(parse_request(a), "test");
}

std::string rcpt(Responder& r, const std::string& sender, const std::string& to,
                 const std::string& instance, const std::string& port = "40001",
                 const Attrs& extra = {}) {
    return ask(r, postfix_request("RCPT", sender, to, instance, port, extra));
}

class ThrowingCondition final : public policy::Condition {
  public:
    policy::Match match(const policy::Transaction&) const override {
        throw std::runtime_error("condition exploded");
    }
    codes::Stage stage() const override { return codes::Stage::Rcpt; }
    std::string describe() const override { return "explodes"; }
};

}  // namespace

class ResponderTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(ResponderTest);
    CPPUNIT_TEST(testBlockedSenderGetsTheRuleReplyAtEveryRcpt);
    CPPUNIT_TEST(testCleanRecipientIsDunno);
    CPPUNIT_TEST(testRecipientRuleWithEnhancedCode);
    CPPUNIT_TEST(testTempfailWithoutCodeIs450AtRcpt);
    CPPUNIT_TEST(testMultiLineReplyIsJoinedIntoOneLine);
    CPPUNIT_TEST(testClientRuleAnsweredAtFirstRcptAndForEveryMessage);
    CPPUNIT_TEST(testHeloRuleAnsweredAtRcpt);
    CPPUNIT_TEST(testAcceptAnswersDunnoOrOkAsConfigured);
    CPPUNIT_TEST(testDiscardAndQuarantineAreAnsweredAtOnce);
    CPPUNIT_TEST(testAddedHeaderIsPrependedOnce);
    CPPUNIT_TEST(testRcptCountAtDataComesFromRecipientCount);
    CPPUNIT_TEST(testSizeAtEndOfMessage);
    CPPUNIT_TEST(testEndOfMessageOnlyReplaysTheOneRecipient);
    CPPUNIT_TEST(testMessageRateLimitCountsOncePerInstance);
    CPPUNIT_TEST(testRecipientRateLimitCountsEachRcpt);
    CPPUNIT_TEST(testRepeatedRequestIsNotCountedTwice);
    CPPUNIT_TEST(testMailRequestAdoptsTheNextInstance);
    CPPUNIT_TEST(testGreylistDefersAMessageOnceThenPassesItsRetry);
    CPPUNIT_TEST(testDelayRejectFalseAnswersAtMailRequest);
    CPPUNIT_TEST(testReplayedEarlyRefusalIsValidatedForRcpt);
    CPPUNIT_TEST(testNewSessionGetsTheReloadedPolicyAnOldOneKeepsItsOwn);
    CPPUNIT_TEST(testMalformedRequestAnswersOnError);
    CPPUNIT_TEST(testInternalErrorAnswersOnErrorAndForgetsTheSession);
    CPPUNIT_TEST(testVrfyAndEtrnAreDunno);
    CPPUNIT_TEST(testEveryListedMacroIsFilled);
    CPPUNIT_TEST(testClientResolveFromNames);
    CPPUNIT_TEST(testDecisionLineNamesTheFrontEnd);
    CPPUNIT_TEST(testMonitorModeAnswersDunnoWithTheMark);
    CPPUNIT_TEST(testRecipientsPastTheBoundAre452AndLoggedOnce);
    CPPUNIT_TEST(testRecipientBytesPastTheBoundAre452);
    CPPUNIT_TEST(testDefaultBoundIsPostfixsRecipientLimit);
    CPPUNIT_TEST(testRateLimitBeforeAcceptCountsEveryRecipient);
    CPPUNIT_TEST_SUITE_END();

    std::unique_ptr<mv::test::StatePolicy> policy_;
    milter::test::RecordingLogger log_;

    Responder make(const std::string& text, bool ok = false) {
        policy_ = std::make_unique<mv::test::StatePolicy>(text);
        policy::PolicyPtr p = policy_->policy;
        return Responder([p] { return p; }, log_, ok);
    }

  public:
    void testBlockedSenderGetsTheRuleReplyAtEveryRcpt() {
        Responder r = make(kRules);
        CPPUNIT_ASSERT_EQUAL(std::string("550 5.7.1 Sender x@spam.example is blocked"),
                             rcpt(r, "x@spam.example", "a@example.org", "m1"));
        CPPUNIT_ASSERT_EQUAL(std::string("550 5.7.1 Sender x@spam.example is blocked"),
                             rcpt(r, "x@spam.example", "b@example.org", "m1"));
        // File order: the accept rule for postmaster comes after it.
        CPPUNIT_ASSERT_EQUAL(std::string("550 5.7.1 Sender x@spam.example is blocked"),
                             rcpt(r, "x@spam.example", "postmaster@example.org", "m1"));
    }

    void testCleanRecipientIsDunno() {
        Responder r = make(kRules);
        CPPUNIT_ASSERT_EQUAL(std::string("DUNNO"),
                             rcpt(r, "a@good.example", "b@example.org", "m1"));
    }

    void testRecipientRuleWithEnhancedCode() {
        Responder r = make(kRules);
        CPPUNIT_ASSERT_EQUAL(std::string("550 5.1.1 <gone@example.org>: mailbox gone"),
                             rcpt(r, "a@good.example", "gone@example.org", "m1"));
        CPPUNIT_ASSERT_EQUAL(std::string("DUNNO"),
                             rcpt(r, "a@good.example", "b@example.org", "m1"));
    }

    void testTempfailWithoutCodeIs450AtRcpt() {
        Responder r = make(kRules);
        CPPUNIT_ASSERT_EQUAL(
            std::string("450 4.7.1 Temporarily refused by policy, please try again later"),
            rcpt(r, "a@good.example", "later@example.org", "m1"));
    }

    void testMultiLineReplyIsJoinedIntoOneLine() {
        Responder r = make(kRules);
        CPPUNIT_ASSERT_EQUAL(std::string("550 5.7.1 First line, second line."),
                             rcpt(r, "a@good.example", "multi@example.org", "m1"));
    }

    void testClientRuleAnsweredAtFirstRcptAndForEveryMessage() {
        Responder r = make(kRules);
        const Attrs from_bad = {{"client_address", "198.51.100.9"}};
        CPPUNIT_ASSERT_EQUAL(std::string("550 5.7.1 Client 198.51.100.9 refused"),
                             rcpt(r, "a@good.example", "b@example.org", "m1", "40001", from_bad));
        // A second message of the same SMTP session: still refused.
        CPPUNIT_ASSERT_EQUAL(std::string("550 5.7.1 Client 198.51.100.9 refused"),
                             rcpt(r, "a@good.example", "b@example.org", "m2", "40001", from_bad));
    }

    void testHeloRuleAnsweredAtRcpt() {
        Responder r = make(kRules);
        CPPUNIT_ASSERT_EQUAL(std::string("550 5.7.1 HELO evil.example refused"),
                             rcpt(r, "a@good.example", "b@example.org", "m1", "40001",
                                  {{"helo_name", "evil.example"}}));
        // Held for the connection (as delay_reject does in the milter), even
        // when the client greets again; another SMTP session is not affected.
        CPPUNIT_ASSERT_EQUAL(std::string("550 5.7.1 HELO good.example refused"),
                             rcpt(r, "a@good.example", "b@example.org", "m2", "40001",
                                  {{"helo_name", "good.example"}}));
        CPPUNIT_ASSERT_EQUAL(std::string("DUNNO"), rcpt(r, "a@good.example", "b@example.org", "m3",
                                                        "40002", {{"helo_name", "good.example"}}));
    }

    void testAcceptAnswersDunnoOrOkAsConfigured() {
        Responder dunno = make(kRules);
        CPPUNIT_ASSERT_EQUAL(std::string("DUNNO"),
                             rcpt(dunno, "a@good.example", "postmaster@example.org", "m1"));
        Responder ok = make(kRules, true);
        CPPUNIT_ASSERT_EQUAL(std::string("OK"),
                             rcpt(ok, "a@good.example", "postmaster@example.org", "m1"));
        CPPUNIT_ASSERT_EQUAL(std::string("DUNNO"),
                             rcpt(ok, "a@good.example", "b@example.org", "m1"));
    }

    void testDiscardAndQuarantineAreAnsweredAtOnce() {
        Responder r = make(kRules);
        CPPUNIT_ASSERT_EQUAL(std::string("DISCARD milter-verdict rule trash"),
                             rcpt(r, "a@good.example", "trash@example.org", "m1"));
        // The message is decided: its next recipient goes on.
        CPPUNIT_ASSERT_EQUAL(std::string("DUNNO"),
                             rcpt(r, "a@good.example", "b@example.org", "m1"));
        CPPUNIT_ASSERT_EQUAL(std::string("HOLD held for review"),
                             rcpt(r, "a@good.example", "review@example.org", "m2"));
    }

    void testAddedHeaderIsPrependedOnce() {
        Responder r = make(kRules);
        CPPUNIT_ASSERT_EQUAL(std::string("PREPEND X-Tag: tagged for tagged@example.org"),
                             rcpt(r, "a@good.example", "tagged@example.org", "m1"));
        CPPUNIT_ASSERT_EQUAL(std::string("DUNNO"),
                             rcpt(r, "a@good.example", "b@example.org", "m1"));
        // Another message gets its own header.
        CPPUNIT_ASSERT_EQUAL(std::string("PREPEND X-Tag: tagged for tagged@example.org"),
                             rcpt(r, "a@good.example", "tagged@example.org", "m2"));
    }

    void testRcptCountAtDataComesFromRecipientCount() {
        Responder r = make(kRules);
        // Only the DATA request (check in smtpd_data_restrictions): Postfix
        // names no recipient when it accepted several.
        CPPUNIT_ASSERT_EQUAL(std::string("554 5.7.1 Too many recipients"),
                             ask(r, postfix_request("DATA", "a@good.example", "", "m1", "40001",
                                                    {{"recipient_count", "3"}})));
        CPPUNIT_ASSERT_EQUAL(std::string("DUNNO"),
                             ask(r, postfix_request("DATA", "a@good.example", "", "m2", "40001",
                                                    {{"recipient_count", "2"}})));
    }

    void testSizeAtEndOfMessage() {
        Responder r = make(kRules);
        const auto eom = [&](const std::string& inst, const std::string& size) {
            return ask(r, postfix_request("END-OF-MESSAGE", "a@good.example", "b@example.org", inst,
                                          "40001", {{"recipient_count", "1"}, {"size", size}}));
        };
        CPPUNIT_ASSERT_EQUAL(std::string("552 5.3.4 Too big"), eom("m1", "250000"));
        CPPUNIT_ASSERT_EQUAL(std::string("DUNNO"), eom("m2", "2500"));
    }

    void testEndOfMessageOnlyReplaysTheOneRecipient() {
        Responder r = make(kRules);
        // A recipient rule, the check only in smtpd_end_of_data_restrictions:
        // the reply is the rule's, answered at END-OF-MESSAGE.
        CPPUNIT_ASSERT_EQUAL(
            std::string("550 5.1.1 <gone@example.org>: mailbox gone"),
            ask(r, postfix_request("END-OF-MESSAGE", "a@good.example", "gone@example.org", "m1",
                                   "40001", {{"recipient_count", "1"}, {"size", "300"}})));
        // A blocked sender held from MAIL is answered there too.
        CPPUNIT_ASSERT_EQUAL(
            std::string("550 5.7.1 Sender x@spam.example is blocked"),
            ask(r, postfix_request("END-OF-MESSAGE", "x@spam.example", "", "m2", "40001",
                                   {{"recipient_count", "2"}, {"size", "300"}})));
    }

    void testMessageRateLimitCountsOncePerInstance() {
        Responder r = make(R"(
rules = ( { name = "per-message"; action = "tempfail";
            when = { rate_limit = { key = "sender"; count = "message"; limit = "2/1h"; }; }; } );
)");
        const std::string limited =
            "450 4.7.1 Rate limit exceeded, please try again in 3600 seconds";
        for (const std::string inst : {"m1", "m2"})
            for (const std::string to : {"a@example.org", "b@example.org", "c@example.org"})
                CPPUNIT_ASSERT_EQUAL_MESSAGE(inst + " " + to, std::string("DUNNO"),
                                             rcpt(r, "bulk@sender.example", to, inst));
        // The third message is over the limit at each of its recipients.
        CPPUNIT_ASSERT_EQUAL(limited, rcpt(r, "bulk@sender.example", "a@example.org", "m3"));
        CPPUNIT_ASSERT_EQUAL(limited, rcpt(r, "bulk@sender.example", "b@example.org", "m3"));
        // Its END-OF-MESSAGE request (a second check) does not count it again.
        CPPUNIT_ASSERT_EQUAL(std::string("DUNNO"),
                             rcpt(r, "other@sender.example", "a@example.org", "o1", "40002"));
        CPPUNIT_ASSERT_EQUAL(std::string("DUNNO"),
                             ask(r, postfix_request("END-OF-MESSAGE", "other@sender.example", "",
                                                    "o1", "40002", {{"recipient_count", "1"}})));
        CPPUNIT_ASSERT_EQUAL(std::string("DUNNO"),
                             rcpt(r, "other@sender.example", "a@example.org", "o2", "40002"));
        CPPUNIT_ASSERT_EQUAL(
            limited.substr(0, 9),
            rcpt(r, "other@sender.example", "a@example.org", "o3", "40002").substr(0, 9));
    }

    void testRecipientRateLimitCountsEachRcpt() {
        Responder r = make(R"(
rules = ( { name = "per-rcpt"; action = "tempfail";
            when = { rate_limit = { key = "sender"; count = "recipient"; limit = "3/1h"; }; }; } );
)");
        CPPUNIT_ASSERT_EQUAL(std::string("DUNNO"), rcpt(r, "s@x.example", "a@example.org", "m1"));
        CPPUNIT_ASSERT_EQUAL(std::string("DUNNO"), rcpt(r, "s@x.example", "b@example.org", "m1"));
        CPPUNIT_ASSERT_EQUAL(std::string("DUNNO"), rcpt(r, "s@x.example", "c@example.org", "m2"));
        CPPUNIT_ASSERT_EQUAL(std::string("450 4.7.1 "),
                             rcpt(r, "s@x.example", "d@example.org", "m2").substr(0, 10));
    }

    void testRepeatedRequestIsNotCountedTwice() {
        Responder r = make(R"(
rules = ( { name = "per-rcpt"; action = "tempfail";
            when = { rate_limit = { key = "sender"; count = "recipient"; limit = "1/1h"; }; }; } );
)");
        // check_policy_service in smtpd_sender_restrictions and in
        // smtpd_recipient_restrictions, both evaluated at RCPT: two requests.
        CPPUNIT_ASSERT_EQUAL(std::string("DUNNO"), rcpt(r, "s@x.example", "a@example.org", "m1"));
        CPPUNIT_ASSERT_EQUAL(std::string("DUNNO"), rcpt(r, "s@x.example", "a@example.org", "m1"));
        CPPUNIT_ASSERT_EQUAL(std::string("450 4.7.1 "),
                             rcpt(r, "s@x.example", "b@example.org", "m1").substr(0, 10));
    }

    void testMailRequestAdoptsTheNextInstance() {
        Responder r = make(R"(
rules = ( { name = "per-message"; action = "tempfail";
            when = { rate_limit = { key = "sender"; count = "message"; limit = "1/1h"; }; }; } );
)");
        // smtpd_delay_reject = no, check in smtpd_sender_restrictions and
        // smtpd_recipient_restrictions: the MAIL request has no instance yet.
        const auto mail = [&] {
            return ask(r, postfix_request("MAIL", "s@x.example", "", "", "40001"));
        };
        CPPUNIT_ASSERT_EQUAL(std::string("DUNNO"), mail());
        CPPUNIT_ASSERT_EQUAL(std::string("DUNNO"), rcpt(r, "s@x.example", "a@example.org", "m1"));
        CPPUNIT_ASSERT_EQUAL(std::string("DUNNO"), rcpt(r, "s@x.example", "b@example.org", "m1"));
        // The second message: held at MAIL (delay_reject), refused at RCPT.
        CPPUNIT_ASSERT_EQUAL(std::string("DUNNO"), mail());
        CPPUNIT_ASSERT_EQUAL(std::string("450 4.7.1 "),
                             rcpt(r, "s@x.example", "a@example.org", "m2").substr(0, 10));
    }

    void testGreylistDefersAMessageOnceThenPassesItsRetry() {
        Responder r = make(R"(
rules = ( { name = "grey"; action = "tempfail";
            when = { greylist = { delay = 60; expiry = "1h"; }; }; } );
)");
        const std::string grey = "451 4.7.1 Greylisted, please try again in 60 seconds";
        CPPUNIT_ASSERT_EQUAL(grey, rcpt(r, "s@x.example", "a@example.org", "m1"));
        CPPUNIT_ASSERT_EQUAL(grey, rcpt(r, "s@x.example", "b@example.org", "m1"));
        policy_->clock->advance(std::chrono::seconds(61));
        // The retry: a new SMTP session (another client port), new instance.
        CPPUNIT_ASSERT_EQUAL(std::string("DUNNO"),
                             rcpt(r, "s@x.example", "a@example.org", "m2", "40009"));
        CPPUNIT_ASSERT_EQUAL(std::string("DUNNO"),
                             rcpt(r, "s@x.example", "b@example.org", "m2", "40009"));
    }

    void testDelayRejectFalseAnswersAtMailRequest() {
        const std::string text = R"(
policy = { delay_reject = DR; };
rules = ( { name = "blocked-sender"; when = { sender = { domain = "spam.example"; }; };
            action = "reject"; reply = { text = "Sender refused"; }; } );
)";
        std::string no = text;
        no.replace(no.find("DR"), 2, "false");
        Responder immediate = make(no);
        CPPUNIT_ASSERT_EQUAL(std::string("550 5.7.1 Sender refused"),
                             ask(immediate, postfix_request("MAIL", "x@spam.example", "", "")));
        std::string yes = text;
        yes.replace(yes.find("DR"), 2, "true");
        Responder delayed = make(yes);
        CPPUNIT_ASSERT_EQUAL(std::string("DUNNO"),
                             ask(delayed, postfix_request("MAIL", "x@spam.example", "", "")));
        CPPUNIT_ASSERT_EQUAL(std::string("550 5.7.1 Sender refused"),
                             rcpt(delayed, "x@spam.example", "a@example.org", "m1"));
    }

    void testReplayedEarlyRefusalIsValidatedForRcpt() {
        // delay_reject = false: the loader validated 554 for the greeting;
        // the policy service answers it at RCPT, where RFC 5321 does not list it.
        Responder r = make(R"(
policy = { delay_reject = false; };
rules = ( { name = "bad-client"; when = { client_addr = "203.0.113.0/24"; }; action = "reject";
            reply = { code = 554; enhanced = "5.7.1"; text = "Go away"; }; } );
)");
        CPPUNIT_ASSERT_EQUAL(std::string("554 5.7.1 Go away"),
                             rcpt(r, "a@b.example", "c@example.org", "m1"));
        CPPUNIT_ASSERT_EQUAL(std::string("554 5.7.1 Go away"),
                             rcpt(r, "a@b.example", "c@example.org", "m2", "40002"));
        CPPUNIT_ASSERT_EQUAL(1, log_.count_containing("basic code 554 is not among RFC 5321 "
                                                      "4.3.2's replies to RCPT TO"));
    }

    void testNewSessionGetsTheReloadedPolicyAnOldOneKeepsItsOwn() {
        mv::test::StatePolicy a(R"(rules = ( { name = "a"; when = { rcpt = "x@example.org"; };
            action = "reject"; reply = { text = "policy A"; }; } );)");
        mv::test::StatePolicy b(R"(rules = ( { name = "b"; when = { rcpt = "x@example.org"; };
            action = "reject"; reply = { text = "policy B"; }; } );)");
        auto current = std::make_shared<policy::PolicyPtr>(a.policy);
        Responder r([current] { return *current; }, log_, false);
        CPPUNIT_ASSERT_EQUAL(std::string("DUNNO"), rcpt(r, "s@y.example", "ok@example.org", "m1"));
        *current = b.policy;  // SIGUSR1
        CPPUNIT_ASSERT_EQUAL(std::string("550 5.7.1 policy A"),
                             rcpt(r, "s@y.example", "x@example.org", "m1"));
        CPPUNIT_ASSERT_EQUAL(std::string("550 5.7.1 policy B"),
                             rcpt(r, "s@y.example", "x@example.org", "n1", "40002"));
    }

    void testMalformedRequestAnswersOnError() {
        Responder r = make(kRules);
        const std::string text = "request=smtpd_access_policy\nsender=a@b\n\n";
        CPPUNIT_ASSERT_EQUAL(
            std::string("451 4.3.0 Temporary internal error, please try again later"),
            r.answer(parse_request(text), "peer-1"));
        CPPUNIT_ASSERT_EQUAL(
            1, log_.count_containing("warning: policy service: peer-1: malformed request: no "
                                     "protocol_state attribute; answered 451 4.3.0"));
        Responder open = make(with_policy("on_error = \"accept\";"));
        CPPUNIT_ASSERT_EQUAL(std::string("DUNNO"), open.answer(parse_request(text), "peer-1"));
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(1), open.malformed());
    }

    void testInternalErrorAnswersOnErrorAndForgetsTheSession() {
        mv::test::PolicyBuilder b;
        b.rule("explodes", policy::Action::Reject, std::make_unique<ThrowingCondition>());
        policy::PolicyPtr p = b.build();
        Responder r([p] { return p; }, log_, false);
        CPPUNIT_ASSERT_EQUAL(
            std::string("451 4.3.0 Temporary internal error, please try again later"),
            rcpt(r, "a@b.example", "c@example.org", "m1"));
        CPPUNIT_ASSERT_EQUAL(1, log_.count_containing("internal error: condition exploded"));
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(1), r.errors());
        // Not answered from a cache: evaluated (and failing) again.
        rcpt(r, "a@b.example", "c@example.org", "m1");
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(2), r.errors());
        // At CONNECT the default is 421 4.3.0 (it closes the session).
        CPPUNIT_ASSERT_EQUAL(std::string("DUNNO"),
                             ask(r, postfix_request("CONNECT", "", "", "", "40003")));
    }

    void testVrfyAndEtrnAreDunno() {
        Responder r = make(kRules);
        CPPUNIT_ASSERT_EQUAL(std::string("DUNNO"),
                             ask(r, postfix_request("VRFY", "", "gone@example.org", "")));
        CPPUNIT_ASSERT_EQUAL(
            std::string("DUNNO"),
            ask(r, postfix_request("ETRN", "", "", "", "40001", {{"etrn_domain", "example.org"}})));
    }

    void testEveryListedMacroIsFilled() {
        // One rule per macro, "present" (non-empty value) -> reject naming it;
        // a request with every attribute set must match the first, and a
        // policy without that rule the next, and so on.
        const Attrs all = {{"queue_id", "4XyZ1"},
                           {"client_port", "40001"},
                           {"reverse_client_name", "mx.x"},
                           {"server_address", "192.0.2.25"},
                           {"server_port", "25"},
                           {"sasl_method", "PLAIN"},
                           {"sasl_username", "alice"},
                           {"sasl_sender", "alice@x"},
                           {"encryption_protocol", "TLSv1.3"},
                           {"encryption_cipher", "AES"},
                           {"encryption_keysize", "256"},
                           {"ccert_subject", "mx+2Ex"},
                           {"ccert_issuer", "CA"}};
        for (std::string_view m : Responder::macros()) {
            mv::test::PolicyBuilder b;
            b.rule("has-" + std::string(m), policy::Action::Reject,
                   policy::make_macro_present_condition(std::string(m), codes::Stage::Rcpt, true),
                   550, "5.7.1", "macro " + std::string(m));
            policy::PolicyPtr p = b.build();
            Responder r([p] { return p; }, log_, false);
            CPPUNIT_ASSERT_EQUAL_MESSAGE(
                std::string(m), "550 5.7.1 macro " + std::string(m),
                rcpt(r, "s@x.example", "r@example.org", "m1", "40001", all));
        }
    }

    void testClientResolveFromNames() {
        const auto resolve = [&](const std::string& name, const std::string& reverse) {
            std::string out;
            for (const char* v : {"OK", "FORGED", "TEMP"}) {
                mv::test::PolicyBuilder b;
                policy::StringMatch m;
                m.exact.push_back(v);
                b.rule(v, policy::Action::Reject,
                       policy::make_string_condition(policy::Field::ClientResolve, m), 550, "5.7.1",
                       v);
                policy::PolicyPtr p = b.build();
                Responder r([p] { return p; }, log_, false);
                if (rcpt(r, "s@x.example", "r@example.org", "m1", "40001",
                         {{"client_name", name}, {"reverse_client_name", reverse}}) != "DUNNO")
                    out += v;
            }
            return out;
        };
        CPPUNIT_ASSERT_EQUAL(std::string("OK"), resolve("mx.x", "mx.x"));
        CPPUNIT_ASSERT_EQUAL(std::string("FORGED"), resolve("unknown", "mx.x"));
        CPPUNIT_ASSERT_EQUAL(std::string("TEMP"), resolve("unknown", "unknown"));
    }

    void testDecisionLineNamesTheFrontEnd() {
        Responder r = make(kRules);
        rcpt(r, "a@good.example", "gone@example.org", "m1", "40001", {{"queue_id", "4XyZ1"}});
        CPPUNIT_ASSERT_EQUAL(1, log_.count_containing("info: 4XyZ1: decision conn=conn-"));
        CPPUNIT_ASSERT_EQUAL(
            1, log_.count_containing(" client=mx.sender.example"
                                     "[203.0.113.7] helo=mx.sender.example from=<a@good.example> "
                                     "rcpt=<gone@example.org> stage=rcpt rule=blocked-rcpt "
                                     "action=reject reply=\"550 5.1.1 <gone@example.org>: "
                                     "mailbox gone\" front_end=policy_service"));
    }

    void testMonitorModeAnswersDunnoWithTheMark() {
        Responder r = make(with_policy("monitor = true;"));
        CPPUNIT_ASSERT_EQUAL(std::string("PREPEND X-Milter-Verdict: would reject 550 5.1.1 "
                                         "<gone@example.org>: mailbox gone (rule blocked-rcpt)"),
                             rcpt(r, "a@good.example", "gone@example.org", "m1"));
        CPPUNIT_ASSERT_EQUAL(
            1, log_.count_containing("rule=blocked-rcpt action=continue reply=- monitor=yes "
                                     "would=\"reject 550 5.1.1 <gone@example.org>: mailbox gone\" "
                                     "front_end=policy_service"));
    }

    // Issue 29 point 8: one session's memory is bounded. Past
    // policy_max_recipients a RCPT request gets DESIGN.md's "too many
    // recipients" reply, 452 4.5.3 (RFC 5321 4.5.3.1.10), not a silent
    // DUNNO, and one warning per message names the bound; the next message
    // starts afresh.
    void testRecipientsPastTheBoundAre452AndLoggedOnce() {
        Responder r = make(kRules);
        r.bound_recipients(3, 1024 * 1024);
        for (int i = 0; i < 3; ++i)
            CPPUNIT_ASSERT_EQUAL(
                std::string("DUNNO"),
                rcpt(r, "a@good.example", "r" + std::to_string(i) + "@x.example", "m1"));
        for (int i = 3; i < 6; ++i)
            CPPUNIT_ASSERT_EQUAL(
                std::string("452 4.5.3 Too many recipients"),
                rcpt(r, "a@good.example", "r" + std::to_string(i) + "@x.example", "m1"));
        CPPUNIT_ASSERT_EQUAL(1, log_.count_containing("policy_max_recipients = 3"));
        CPPUNIT_ASSERT_EQUAL(
            1, log_.count_containing(
                   ": policy service: test: SMTP session 203.0.113.7 port 40001 "
                   "instance=m1: too many recipients (limit 3) in one message "
                   "(policy_max_recipients = 3, policy_max_recipient_bytes = 1048576); "
                   "answering 452 4.5.3 Too many recipients to its further recipients"));
        // A rule still runs for the recipients kept, and the next message is new.
        CPPUNIT_ASSERT_EQUAL(std::string("DUNNO"), rcpt(r, "a@good.example", "r0@x.example", "m2"));
        CPPUNIT_ASSERT_EQUAL(std::string("550 5.1.1 <gone@example.org>: mailbox gone"),
                             rcpt(r, "a@good.example", "gone@example.org", "m2"));
    }

    // The bytes of the addresses kept count too: four recipients of 1,000
    // bytes fit in 4,096, the fifth does not.
    void testRecipientBytesPastTheBoundAre452() {
        Responder r = make(kRules);
        r.bound_recipients(1000, 4096);
        const auto big = [](int i) {
            return std::to_string(i) + std::string(1000 - 12, 'a') + "@x.example";  // 1,000
        };
        for (int i = 0; i < 4; ++i)
            CPPUNIT_ASSERT_EQUAL(std::string("DUNNO"), rcpt(r, "a@good.example", big(i), "m1"));
        CPPUNIT_ASSERT_EQUAL(std::string("452 4.5.3 Too many recipients"),
                             rcpt(r, "a@good.example", big(4), "m1"));
        CPPUNIT_ASSERT_EQUAL(std::string("DUNNO"),
                             rcpt(r, "a@good.example", "short@x.example", "m1"));
        CPPUNIT_ASSERT_EQUAL(
            1, log_.count_containing("recipient addresses over 4096 bytes (limit) in one message"));
    }

    // Without a setting: ServiceSettings' 1,000, Postfix's own default
    // smtpd_recipient_limit, so a default Postfix never meets it.
    void testDefaultBoundIsPostfixsRecipientLimit() {
        CPPUNIT_ASSERT_EQUAL(std::size_t(1000), ServiceSettings{}.max_recipients);
        CPPUNIT_ASSERT_EQUAL(std::size_t(1024 * 1024), ServiceSettings{}.max_recipient_bytes);
        Responder r = make(kRules);
        for (int i = 0; i < 1000; ++i)
            CPPUNIT_ASSERT_EQUAL(
                std::string("DUNNO"),
                rcpt(r, "a@good.example", "r" + std::to_string(i) + "@x.example", "m1"));
        CPPUNIT_ASSERT_EQUAL(std::string("452 4.5.3 Too many recipients"),
                             rcpt(r, "a@good.example", "r1000@x.example", "m1"));
    }

    // Issue 24: config/examples/mx-greylisting-redis.conf's rate limit (rule
    // #1 here) before the accept of authenticated senders: through the policy
    // service as through the milter, every recipient is counted and the 31st
    // is refused 450 4.7.1; the others are accepted (DUNNO: no
    // policy_accept_ok).
    void testRateLimitBeforeAcceptCountsEveryRecipient() {
        Responder r = make(R"(
rules = (
    { name = "sasl-rate";
      when = { auth = true;
               rate_limit = { key = "sasl_login"; count = "recipient";
                              limit = ["30/1m", "500/1d"]; }; };
      action = "tempfail"; on_backend_error = "closed"; },
    { name = "authenticated"; when = { auth = true; }; action = "accept"; }
);
)");
        const Attrs auth = {{"sasl_method", "PLAIN"}, {"sasl_username", "alice"}};
        for (int i = 1; i <= 30; ++i)
            CPPUNIT_ASSERT_EQUAL(
                std::string("DUNNO"),
                rcpt(r, "alice@example.org", "r" + std::to_string(i) + "@example.net", "m1",
                     "40001", auth));
        const std::string a = rcpt(r, "alice@example.org", "r31@example.net", "m1", "40001", auth);
        CPPUNIT_ASSERT_EQUAL(std::string("450 4.7.1"), a.substr(0, 9));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(ResponderTest);

}  // namespace mv::policy_service::test
