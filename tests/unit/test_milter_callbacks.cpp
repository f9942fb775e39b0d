// SPDX-License-Identifier: Apache-2.0
// test_milter_callbacks.cpp - the stage handlers (milter::Milter) through the fake seam.
#include <arpa/inet.h>
#include <cppunit/extensions/HelperMacros.h>
#include <libmilter/mfapi.h>
#include <netinet/in.h>

#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "fake_milter_api.hpp"
#include "milter/connection_context.hpp"
#include "milter/milter.hpp"
#include "milter/policy_store.hpp"
#include "policy/conditions.hpp"

namespace mv::milter::test {

namespace {

using codes::Stage;
using policy::Action;
using policy::Field;

policy::Rule make_rule(const std::string& name, policy::ConditionPtr when, Action action,
                       Stage stage, codes::ReplySpec reply = {}) {
    policy::Rule r;
    r.name = name;
    r.file = "test.conf";
    r.line = 1;
    r.when = std::move(when);
    r.action = action;
    r.stage = stage;
    r.reply = std::move(reply);
    return r;
}

policy::ConditionPtr rcpt_is(const std::string& addr) {
    policy::StringMatch m;
    m.exact = {addr};
    return policy::make_string_condition(Field::Recipient, m);
}

policy::ConditionPtr sender_is(const std::string& addr) {
    policy::StringMatch m;
    m.exact = {addr};
    return policy::make_string_condition(Field::Sender, m);
}

codes::ReplySpec reply(int basic, const std::string& enhanced, std::vector<std::string> text) {
    codes::ReplySpec r;
    r.basic = basic;
    r.enhanced = enhanced;
    r.text = std::move(text);
    return r;
}

sockaddr_in ipv4(const char* addr, unsigned short port) {
    sockaddr_in in{};
    in.sin_family = AF_INET;
    in.sin_port = htons(port);
    inet_pton(AF_INET, addr, &in.sin_addr);
    return in;
}

}  // namespace

class MilterTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(MilterTest);
    CPPUNIT_TEST(testRejectSetsReplyImmediatelyBeforeReject);
    CPPUNIT_TEST(testMultiLineReplyUsesSetMlReply);
    CPPUNIT_TEST(testPercentInReplyIsEscaped);
    CPPUNIT_TEST(testSenderRefusalIsDelayedToRcpt);
    CPPUNIT_TEST(testAcceptAtRcptContinuesInsteadOfAcceptingMessage);
    CPPUNIT_TEST(testAcceptAtMailAcceptsTheMessage);
    CPPUNIT_TEST(testDisconnectSends421WithTempfail);
    CPPUNIT_TEST(testAbortResetsOnlyTheMessage);
    CPPUNIT_TEST(testCloseWithoutConnectAcceptsNullContext);
    CPPUNIT_TEST(testMailWithoutAnyArgumentIsReadAsTheNullSender);
    CPPUNIT_TEST(testCloseReleasesTheContext);
    CPPUNIT_TEST(testExceptionAtConnectAnswers421);
    CPPUNIT_TEST(testExceptionAtRcptAnswersOnErrorTempfail451);
    CPPUNIT_TEST(testExceptionWithOnErrorAcceptContinues);
    CPPUNIT_TEST(testMacroOverBoundTempfailsTheMessage);
    CPPUNIT_TEST(testNegotiationRequestsSymlistAndDropsUnusedStages);
    CPPUNIT_TEST(testNegotiationWithoutSymlistOfferSetsNoList);
    CPPUNIT_TEST(testMonitorHeaderAddedAtEndOfMessage);
    CPPUNIT_TEST(testQuarantineCalledAtEndOfMessage);
    CPPUNIT_TEST(testDiscardAtEndOfMessage);
    CPPUNIT_TEST(testNonSmtpMailMovesRcptRefusalToEndOfMessage);
    CPPUNIT_TEST(testRealClientIsNotNonSmtp);
    CPPUNIT_TEST(testTransactionFilledFromConnectAndMacros);
    CPPUNIT_TEST(testSendmailUnderscoreGivesResolveWhenMacroMissing);
    CPPUNIT_TEST(testOneDecisionLinePerRefusal);
    CPPUNIT_TEST(testReloadDoesNotChangeAPinnedConnection);
    CPPUNIT_TEST(testLinesOfAConnectionStartWithItsIds);
    CPPUNIT_TEST(testDeclaredSizeComesFromMailArguments);
    CPPUNIT_TEST(testEnvelopePolicyAcceptsAtDataAndLogsThere);
    CPPUNIT_TEST(testSenderPolicyAcceptsAtMail);
    CPPUNIT_TEST(testConnectPolicyAcceptsTheConnection);
    CPPUNIT_TEST(testHeloRuleKeepsTheConnectionOpen);
    CPPUNIT_TEST(testHeldRefusalKeepsTheMessageOpen);
    CPPUNIT_TEST(testHeaderToAddKeepsEndOfMessage);
    CPPUNIT_TEST(testAcceptWithHeaderToAddWaitsForEndOfMessage);
    CPPUNIT_TEST(testMonitorMarkKeepsEndOfMessage);
    CPPUNIT_TEST(testQuietStagesAnswerNoReply);
    CPPUNIT_TEST(testExceptionAtQuietConnectIsAnsweredAtRcpt);
    CPPUNIT_TEST(testOverflowAtQuietMailIsAnsweredAtRcpt);
    CPPUNIT_TEST_SUITE_END();

    std::shared_ptr<policy::Policy> policy_;
    std::unique_ptr<PolicyStore> store_;
    RecordingLogger log_;
    FakeMilterApi api_;
    std::unique_ptr<Milter> milter_;

    // A rule at end of data that never holds: the policy still has something
    // to decide after DATA, so no stage answers SMFIS_ACCEPT early (tests of
    // the stages themselves; the early accept has tests of its own).
    void keep_open() {
        policy_->rules.push_back(make_rule(
            "end-of-data-check",
            policy::make_size_condition(policy::SizeOf::Message, {std::uint64_t(1) << 40, {}}),
            Action::Reject, Stage::EndOfData, reply(552, "5.3.4", {"too big"})));
    }

    void install() {
        store_ = std::make_unique<PolicyStore>(policy_);
        milter_ = std::make_unique<Milter>(*store_, log_);
    }

    // connect (192.0.2.1:4321), HELO, MAIL, all answered CONTINUE.
    void open_message(const std::string& from = "<a@example.org>") {
        const sockaddr_in in = ipv4("192.0.2.1", 4321);
        CPPUNIT_ASSERT_EQUAL(
            SMFIS_CONTINUE,
            milter_->connect(api_, "client.example", reinterpret_cast<const sockaddr*>(&in)));
        CPPUNIT_ASSERT_EQUAL(SMFIS_CONTINUE, milter_->helo(api_, "client.example"));
        mail(from, SMFIS_CONTINUE);
    }
    void mail(const std::string& from, sfsistat want) {
        std::string f = from;
        char* argv[] = {f.data(), nullptr};
        CPPUNIT_ASSERT_EQUAL(want, milter_->envfrom(api_, argv));
    }
    sfsistat rcpt(const std::string& to) {
        std::string t = to;
        char* argv[] = {t.data(), nullptr};
        return milter_->envrcpt(api_, argv);
    }

    // negotiate() with every step and action offered, as Postfix does.
    unsigned long negotiate_all() {
        unsigned long pf0 = 0, pf1 = 0, pf2 = 0, pf3 = 0;
        CPPUNIT_ASSERT_EQUAL(SMFIS_CONTINUE, milter_->negotiate(api_, 0x1ff, 0x1fffff, 0, 0, &pf0,
                                                                &pf1, &pf2, &pf3));
        return pf1;
    }
    sfsistat connect_client() {
        const sockaddr_in in = ipv4("192.0.2.1", 4321);
        return milter_->connect(api_, "client.example", reinterpret_cast<const sockaddr*>(&in));
    }

  public:
    void setUp() override {
        policy_ = std::make_shared<policy::Policy>();
        api_ = FakeMilterApi();
        log_.lines.clear();
    }
    void tearDown() override {
        if (milter_) milter_->close(api_);  // frees the context (ASan checks the rest)
        milter_.reset();
        store_.reset();
    }

    void testRejectSetsReplyImmediatelyBeforeReject() {
        policy_->rules.push_back(make_rule("gone", rcpt_is("gone@example.org"), Action::Reject,
                                           Stage::Rcpt, reply(550, "5.1.1", {"mailbox gone"})));
        install();
        open_message();
        api_.clear_calls();
        CPPUNIT_ASSERT_EQUAL(SMFIS_REJECT, rcpt("<gone@example.org>"));
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), api_.calls.size());
        CPPUNIT_ASSERT_EQUAL(std::string("setreply"), api_.calls.back());
        CPPUNIT_ASSERT_EQUAL(std::string("550"), api_.replies.back().rcode);
        CPPUNIT_ASSERT_EQUAL(std::string("5.1.1"), api_.replies.back().xcode);
        CPPUNIT_ASSERT_EQUAL(std::string("mailbox gone"), api_.replies.back().lines.at(0));
        // Another recipient of the same message goes on, without a reply.
        api_.clear_calls();
        CPPUNIT_ASSERT_EQUAL(SMFIS_CONTINUE, rcpt("<ok@example.org>"));
        CPPUNIT_ASSERT(api_.calls.empty());
    }

    void testMultiLineReplyUsesSetMlReply() {
        policy_->rules.push_back(make_rule("gone", rcpt_is("gone@example.org"), Action::Reject,
                                           Stage::Rcpt,
                                           reply(550, "5.7.1", {"first", "second", "third"})));
        install();
        open_message();
        api_.clear_calls();
        CPPUNIT_ASSERT_EQUAL(SMFIS_REJECT, rcpt("<gone@example.org>"));
        CPPUNIT_ASSERT_EQUAL(std::string("setmlreply"), api_.calls.back());
        const auto& lines = api_.replies.back().lines;
        CPPUNIT_ASSERT_EQUAL(std::size_t(3), lines.size());
        CPPUNIT_ASSERT_EQUAL(std::string("third"), lines[2]);
        CPPUNIT_ASSERT(api_.replies.back().multi);
    }

    void testPercentInReplyIsEscaped() {
        policy_->rules.push_back(make_rule("pct", rcpt_is("x@example.org"), Action::Tempfail,
                                           Stage::Rcpt,
                                           reply(450, "4.7.1", {"100% full, %s later"})));
        install();
        open_message();
        api_.clear_calls();
        CPPUNIT_ASSERT_EQUAL(SMFIS_TEMPFAIL, rcpt("<x@example.org>"));
        CPPUNIT_ASSERT_EQUAL(std::string("450"), api_.replies.back().rcode);
        CPPUNIT_ASSERT_EQUAL(std::string("100%% full, %%s later"), api_.replies.back().lines[0]);
    }

    void testDeclaredSizeComesFromMailArguments() {
        policy_->settings.delay_reject = false;
        policy_->rules.push_back(make_rule(
            "too-big", policy::make_size_condition(policy::SizeOf::Declared, {5000, std::nullopt}),
            Action::Reject, Stage::Mail, reply(552, "5.3.4", {"too big"})));
        keep_open();
        install();
        const sockaddr_in in = ipv4("192.0.2.1", 4321);
        milter_->connect(api_, "client.example", reinterpret_cast<const sockaddr*>(&in));
        std::string from = "<a@example.org>", body = "BODY=8BITMIME", small = "size=4000",
                    big = "SIZE=6000", junk = "SIZE=12x";
        char* a1[] = {from.data(), body.data(), small.data(), nullptr};
        CPPUNIT_ASSERT_EQUAL(SMFIS_CONTINUE, milter_->envfrom(api_, a1));
        char* a2[] = {from.data(), junk.data(), nullptr};  // not a number: as if absent
        CPPUNIT_ASSERT_EQUAL(SMFIS_CONTINUE, milter_->envfrom(api_, a2));
        char* a3[] = {from.data(), body.data(), big.data(), nullptr};
        CPPUNIT_ASSERT_EQUAL(SMFIS_REJECT, milter_->envfrom(api_, a3));
        CPPUNIT_ASSERT_EQUAL(std::string("too big"), api_.replies.back().lines[0]);
    }

    // Session::settled: the conversation ends as soon as nothing is left to
    // decide, with every recipient still checked (DESIGN.md section 7).
    void testEnvelopePolicyAcceptsAtDataAndLogsThere() {
        policy_->rules.push_back(make_rule("gone", rcpt_is("gone@example.org"), Action::Reject,
                                           Stage::Rcpt, reply(550, "5.1.1", {"mailbox gone"})));
        install();
        api_.macros["i"] = "QID7";
        open_message();
        CPPUNIT_ASSERT_EQUAL(SMFIS_CONTINUE, rcpt("<a@example.org>"));
        CPPUNIT_ASSERT_EQUAL(SMFIS_REJECT, rcpt("<gone@example.org>"));  // every RCPT checked
        CPPUNIT_ASSERT_EQUAL(SMFIS_CONTINUE, rcpt("<b@example.org>"));
        CPPUNIT_ASSERT_EQUAL(SMFIS_ACCEPT, milter_->data(api_));
        // No end of message follows: the message's decision line is the DATA one.
        CPPUNIT_ASSERT_EQUAL(1, log_.count_containing("stage=data rule=- action=accept"));
        // Two decisions under the queue id: the refused RCPT and the DATA line.
        CPPUNIT_ASSERT_EQUAL(2, log_.count_containing("info: QID7: decision conn=conn-"));
        CPPUNIT_ASSERT_EQUAL(1, log_.count_containing(" client=client.example[192.0.2.1] "
                                                      "helo=client.example from=<a@example.org> "
                                                      "rcpt=<a@example.org>,<b@example.org> "
                                                      "stage=data"));
    }

    void testSenderPolicyAcceptsAtMail() {
        policy_->rules.push_back(make_rule("spammer", sender_is("bad@spam.example"), Action::Reject,
                                           Stage::Mail, reply(550, "5.7.1", {"go away"})));
        policy_->settings.delay_reject = false;
        install();
        const sockaddr_in in = ipv4("192.0.2.1", 4321);
        CPPUNIT_ASSERT_EQUAL(
            SMFIS_CONTINUE,
            milter_->connect(api_, "client.example", reinterpret_cast<const sockaddr*>(&in)));
        CPPUNIT_ASSERT_EQUAL(SMFIS_CONTINUE, milter_->helo(api_, "client.example"));
        mail("<good@example.org>", SMFIS_ACCEPT);
        mail("<bad@spam.example>", SMFIS_REJECT);  // the next message is evaluated again
    }

    void testConnectPolicyAcceptsTheConnection() {
        policy_->rules.push_back(
            make_rule("blocked", policy::make_client_addr_condition({"198.51.100.0/24"}),
                      Action::Reject, Stage::Connect, reply(550, "5.7.1", {"no"})));
        install();
        const sockaddr_in in = ipv4("192.0.2.1", 4321);
        CPPUNIT_ASSERT_EQUAL(
            SMFIS_ACCEPT,
            milter_->connect(api_, "client.example", reinterpret_cast<const sockaddr*>(&in)));
    }

    void testHeloRuleKeepsTheConnectionOpen() {
        codes::ReplySpec r = reply(550, "5.7.1", {"bad helo"});
        policy::StringMatch m;
        m.exact = {"localhost"};
        policy_->rules.push_back(make_rule("helo", policy::make_string_condition(Field::Helo, m),
                                           Action::Reject, Stage::Helo, r));
        install();
        const sockaddr_in in = ipv4("192.0.2.1", 4321);
        CPPUNIT_ASSERT_EQUAL(
            SMFIS_CONTINUE,
            milter_->connect(api_, "client.example", reinterpret_cast<const sockaddr*>(&in)));
        // A second HELO is evaluated again, so HELO itself cannot settle it.
        CPPUNIT_ASSERT_EQUAL(SMFIS_CONTINUE, milter_->helo(api_, "client.example"));
        mail("<a@example.org>", SMFIS_ACCEPT);
    }

    void testHeldRefusalKeepsTheMessageOpen() {
        policy_->settings.delay_reject = true;
        policy_->rules.push_back(make_rule("bad-sender", sender_is("bad@spam.example"),
                                           Action::Reject, Stage::Mail,
                                           reply(550, "5.7.1", {"go away"})));
        install();
        open_message("<bad@spam.example>");  // CONTINUE: held for RCPT
        CPPUNIT_ASSERT_EQUAL(SMFIS_REJECT, rcpt("<a@example.org>"));
    }

    void testHeaderToAddKeepsEndOfMessage() {
        auto tag = make_rule("tag", rcpt_is("a@example.org"), Action::Continue, Stage::Rcpt);
        tag.add_headers.push_back({"X-Tag", "seen"});
        policy_->rules.push_back(std::move(tag));
        install();
        open_message();
        CPPUNIT_ASSERT_EQUAL(SMFIS_CONTINUE, rcpt("<a@example.org>"));
        CPPUNIT_ASSERT_EQUAL(SMFIS_CONTINUE, milter_->data(api_));
        CPPUNIT_ASSERT_EQUAL(SMFIS_CONTINUE, milter_->eom(api_));
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), api_.headers.size());
        CPPUNIT_ASSERT_EQUAL(std::string("X-Tag"), api_.headers[0].first);
    }

    void testAcceptWithHeaderToAddWaitsForEndOfMessage() {
        auto tag = make_rule("tag", nullptr, Action::Continue, Stage::Connect);
        tag.add_headers.push_back({"X-Scanned", "yes"});
        policy_->rules.push_back(std::move(tag));
        policy_->rules.push_back(
            make_rule("friend", sender_is("friend@example.net"), Action::Accept, Stage::Mail));
        install();
        open_message("<a@example.org>");
        api_.context()->reset_message();
        mail("<friend@example.net>", SMFIS_CONTINUE);  // accepted, but the header is due
        CPPUNIT_ASSERT_EQUAL(SMFIS_CONTINUE, milter_->eom(api_));
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), api_.headers.size());
        CPPUNIT_ASSERT_EQUAL(std::string("X-Scanned"), api_.headers[0].first);
    }

    void testMonitorMarkKeepsEndOfMessage() {
        auto r = make_rule("gone", rcpt_is("gone@example.org"), Action::Reject, Stage::Rcpt,
                           reply(550, "5.1.1", {"mailbox gone"}));
        r.monitor = true;
        policy_->rules.push_back(std::move(r));
        install();
        open_message();
        CPPUNIT_ASSERT_EQUAL(SMFIS_CONTINUE, rcpt("<a@example.org>"));
        CPPUNIT_ASSERT_EQUAL(SMFIS_CONTINUE, rcpt("<gone@example.org>"));
        CPPUNIT_ASSERT_EQUAL(SMFIS_CONTINUE, milter_->data(api_));  // the mark is due at eom
        CPPUNIT_ASSERT_EQUAL(SMFIS_CONTINUE, milter_->eom(api_));
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), api_.headers.size());
    }

    void testSenderRefusalIsDelayedToRcpt() {
        policy_->settings.delay_reject = true;
        policy_->rules.push_back(make_rule("bad-sender", sender_is("bad@spam.example"),
                                           Action::Reject, Stage::Mail,
                                           reply(550, "5.7.1", {"go away"})));
        install();
        open_message("<bad@spam.example>");  // MAIL answered CONTINUE: held
        CPPUNIT_ASSERT(api_.replies.empty());
        CPPUNIT_ASSERT_EQUAL(SMFIS_REJECT, rcpt("<someone@example.org>"));
        CPPUNIT_ASSERT_EQUAL(std::string("setreply"), api_.calls.back());
        CPPUNIT_ASSERT_EQUAL(std::string("go away"), api_.replies.back().lines[0]);
    }

    void testAcceptAtRcptContinuesInsteadOfAcceptingMessage() {
        policy_->rules.push_back(make_rule("postmaster", rcpt_is("postmaster@example.org"),
                                           Action::Accept, Stage::Rcpt));
        policy_->rules.push_back(make_rule("all", rcpt_is("other@example.org"), Action::Reject,
                                           Stage::Rcpt, reply(550, "5.7.1", {"no"})));
        install();
        open_message();
        CPPUNIT_ASSERT_EQUAL(SMFIS_CONTINUE, rcpt("<postmaster@example.org>"));
        // Had the first RCPT answered SMFIS_ACCEPT, the MTA would never ask again.
        CPPUNIT_ASSERT_EQUAL(SMFIS_REJECT, rcpt("<other@example.org>"));
    }

    void testAcceptAtMailAcceptsTheMessage() {
        policy_->rules.push_back(
            make_rule("friend", sender_is("friend@example.net"), Action::Accept, Stage::Mail));
        keep_open();
        install();
        const sockaddr_in in = ipv4("192.0.2.1", 4321);
        milter_->connect(api_, "client.example", reinterpret_cast<const sockaddr*>(&in));
        mail("<friend@example.net>", SMFIS_ACCEPT);
        mail("<other@example.net>", SMFIS_CONTINUE);  // the next message is evaluated again
    }

    void testDisconnectSends421WithTempfail() {
        codes::ReplySpec r = reply(421, "4.7.0", {"closing"});
        r.disconnect = true;
        policy_->rules.push_back(
            make_rule("abuser", rcpt_is("trap@example.org"), Action::Tempfail, Stage::Rcpt, r));
        install();
        open_message();
        CPPUNIT_ASSERT_EQUAL(SMFIS_TEMPFAIL, rcpt("<trap@example.org>"));
        CPPUNIT_ASSERT_EQUAL(std::string("421"), api_.replies.back().rcode);
        CPPUNIT_ASSERT_EQUAL(std::string("4.7.0"), api_.replies.back().xcode);
    }

    void testAbortResetsOnlyTheMessage() {
        policy_->rules.push_back(make_rule("bad-sender", sender_is("bad@spam.example"),
                                           Action::Reject, Stage::Mail,
                                           reply(550, "5.7.1", {"go away"})));
        keep_open();
        install();
        open_message("<bad@spam.example>");
        ConnectionContext* before = api_.context();
        CPPUNIT_ASSERT_EQUAL(SMFIS_CONTINUE, milter_->abort(api_));
        CPPUNIT_ASSERT(api_.context() == before);  // the connection survives
        CPPUNIT_ASSERT_EQUAL(std::string("192.0.2.1"), before->tx().client_addr);
        CPPUNIT_ASSERT_EQUAL(std::string("client.example"), before->tx().helo);
        CPPUNIT_ASSERT(before->tx().sender.empty());  // the message does not
        mail("<good@example.org>", SMFIS_CONTINUE);
        CPPUNIT_ASSERT_EQUAL(SMFIS_CONTINUE, rcpt("<someone@example.org>"));
    }

    void testCloseWithoutConnectAcceptsNullContext() {
        install();
        CPPUNIT_ASSERT(api_.context() == nullptr);
        CPPUNIT_ASSERT_EQUAL(SMFIS_CONTINUE, milter_->close(api_));
        CPPUNIT_ASSERT(api_.context() == nullptr);
        CPPUNIT_ASSERT_EQUAL(SMFIS_CONTINUE, milter_->abort(api_));  // abort alone too
    }

    void testMailWithoutAnyArgumentIsReadAsTheNullSender() {
        keep_open();
        install();
        const sockaddr_in in = ipv4("192.0.2.1", 4321);
        milter_->connect(api_, "client.example", reinterpret_cast<const sockaddr*>(&in));
        // On the heap and exactly one slot long: ASan sees a read past it.
        std::vector<char*> argv{nullptr};
        CPPUNIT_ASSERT_EQUAL(SMFIS_CONTINUE, milter_->envfrom(api_, argv.data()));
        CPPUNIT_ASSERT_EQUAL(std::string(), api_.context()->tx().sender);
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(0), api_.context()->tx().declared_size);
    }

    void testCloseReleasesTheContext() {
        keep_open();
        install();
        open_message();
        std::weak_ptr<const policy::Policy> pinned = store_->current();
        CPPUNIT_ASSERT(api_.context() != nullptr);
        CPPUNIT_ASSERT_EQUAL(SMFIS_CONTINUE, milter_->close(api_));
        CPPUNIT_ASSERT(api_.context() == nullptr);
        store_->replace(std::make_shared<policy::Policy>());
        policy_.reset();
        CPPUNIT_ASSERT(pinned.expired());  // nobody holds the old Policy any more
    }

    // RFC 5321 4.3.2 has no temporary reply but 421 at the greeting and HELO.
    void testExceptionAtConnectAnswers421() {
        install();
        api_.throw_on_symval = true;
        const sockaddr_in in = ipv4("192.0.2.1", 4321);
        CPPUNIT_ASSERT_EQUAL(
            SMFIS_TEMPFAIL,
            milter_->connect(api_, "client.example", reinterpret_cast<const sockaddr*>(&in)));
        CPPUNIT_ASSERT_EQUAL(std::string("421"), api_.replies.back().rcode);
        CPPUNIT_ASSERT_EQUAL(std::string("4.3.0"), api_.replies.back().xcode);
        CPPUNIT_ASSERT_EQUAL(1, log_.count_containing("connect: internal error: symval failure"));
        CPPUNIT_ASSERT_EQUAL(1, log_.count_containing("stage=connect rule=- action=tempfail "
                                                      "reply=\"421 4.3.0"));
    }

    void testExceptionAtRcptAnswersOnErrorTempfail451() {
        keep_open();
        install();
        open_message();
        api_.throw_on_symval = true;
        api_.clear_calls();
        CPPUNIT_ASSERT_EQUAL(SMFIS_TEMPFAIL, rcpt("<x@example.org>"));
        CPPUNIT_ASSERT_EQUAL(std::string("451"), api_.replies.back().rcode);
        CPPUNIT_ASSERT_EQUAL(std::string("4.3.0"), api_.replies.back().xcode);
        CPPUNIT_ASSERT_EQUAL(1, log_.count_containing("envrcpt: internal error"));
    }

    void testExceptionWithOnErrorAcceptContinues() {
        policy_->settings.on_error = Action::Accept;
        keep_open();
        install();
        open_message();
        api_.throw_on_symval = true;
        api_.clear_calls();
        CPPUNIT_ASSERT_EQUAL(SMFIS_CONTINUE, rcpt("<x@example.org>"));
        CPPUNIT_ASSERT(api_.replies.empty());
        CPPUNIT_ASSERT_EQUAL(1, log_.count_containing("envrcpt: internal error"));
    }

    // An envelope-only policy: connect, HELO and MAIL are negotiated without
    // a reply, their handlers answer NOREPLY and set no reply text; RCPT
    // still refuses, DATA still ends the message.
    void testQuietStagesAnswerNoReply() {
        policy_->rules.push_back(make_rule("blocked", rcpt_is("blocked@example.org"),
                                           Action::Reject, Stage::Rcpt,
                                           reply(550, "5.7.1", {"refused"})));
        install();
        const unsigned long pf1 = negotiate_all();
        CPPUNIT_ASSERT(pf1 & SMFIP_NR_CONN);
        CPPUNIT_ASSERT(pf1 & SMFIP_NR_HELO);
        CPPUNIT_ASSERT(pf1 & SMFIP_NR_MAIL);
        CPPUNIT_ASSERT_EQUAL(SMFIS_NOREPLY, connect_client());
        CPPUNIT_ASSERT_EQUAL(SMFIS_NOREPLY, milter_->helo(api_, "client.example"));
        mail("<a@example.org>", SMFIS_NOREPLY);
        CPPUNIT_ASSERT(api_.replies.empty());
        CPPUNIT_ASSERT_EQUAL(SMFIS_CONTINUE, rcpt("<ok@example.org>"));
        CPPUNIT_ASSERT_EQUAL(SMFIS_REJECT, rcpt("<blocked@example.org>"));
        CPPUNIT_ASSERT_EQUAL(std::string("550"), api_.replies.back().rcode);
        CPPUNIT_ASSERT_EQUAL(std::string("5.7.1"), api_.replies.back().xcode);
        CPPUNIT_ASSERT_EQUAL(SMFIS_ACCEPT, milter_->data(api_));
        CPPUNIT_ASSERT_EQUAL(SMFIS_CONTINUE, milter_->close(api_));
    }

    // A failure where the MTA reads no reply is answered at the next RCPT
    // with the internal-error default there (451 4.3.0), for every message
    // of the connection, and logged once where it happened.
    void testExceptionAtQuietConnectIsAnsweredAtRcpt() {
        policy_->rules.push_back(make_rule("blocked", rcpt_is("blocked@example.org"),
                                           Action::Reject, Stage::Rcpt,
                                           reply(550, "5.7.1", {"refused"})));
        install();
        negotiate_all();
        api_.throw_on_symval = true;
        CPPUNIT_ASSERT_EQUAL(SMFIS_NOREPLY, connect_client());
        CPPUNIT_ASSERT(api_.replies.empty());
        CPPUNIT_ASSERT_EQUAL(1, log_.count_containing("connect: internal error: symval failure"));
        api_.throw_on_symval = false;
        CPPUNIT_ASSERT_EQUAL(SMFIS_NOREPLY, milter_->helo(api_, "client.example"));
        for (int message = 0; message < 2; ++message) {
            mail("<a@example.org>", SMFIS_NOREPLY);
            CPPUNIT_ASSERT_EQUAL(SMFIS_TEMPFAIL, rcpt("<ok@example.org>"));
            CPPUNIT_ASSERT_EQUAL(std::string("451"), api_.replies.back().rcode);
            CPPUNIT_ASSERT_EQUAL(std::string("4.3.0"), api_.replies.back().xcode);
            milter_->abort(api_);
        }
        CPPUNIT_ASSERT_EQUAL(SMFIS_CONTINUE, milter_->close(api_));
    }

    void testOverflowAtQuietMailIsAnsweredAtRcpt() {
        policy_->rules.push_back(make_rule("blocked", rcpt_is("blocked@example.org"),
                                           Action::Reject, Stage::Rcpt,
                                           reply(550, "5.7.1", {"refused"})));
        install();
        negotiate_all();
        CPPUNIT_ASSERT_EQUAL(SMFIS_NOREPLY, connect_client());
        mail("<" + std::string(policy::Limits::kMaxValue + 1, 'a') + "@example.org>",
             SMFIS_NOREPLY);
        CPPUNIT_ASSERT(api_.replies.empty());
        CPPUNIT_ASSERT_EQUAL(SMFIS_TEMPFAIL, rcpt("<ok@example.org>"));
        CPPUNIT_ASSERT_EQUAL(std::string("451"), api_.replies.back().rcode);
        CPPUNIT_ASSERT_EQUAL(1, log_.count_containing("sender longer than 4096"));
        CPPUNIT_ASSERT_EQUAL(SMFIS_CONTINUE, milter_->close(api_));
    }

    void testMacroOverBoundTempfailsTheMessage() {
        keep_open();
        install();
        api_.macros["{client_name}"] = std::string(policy::Limits::kMaxValue + 1, 'a');
        const sockaddr_in in = ipv4("192.0.2.1", 4321);
        CPPUNIT_ASSERT_EQUAL(
            SMFIS_CONTINUE,
            milter_->connect(api_, "client.example", reinterpret_cast<const sockaddr*>(&in)));
        // Not truncated into the Transaction...
        CPPUNIT_ASSERT(api_.context()->tx().macro("client_name").empty());
        // ...and the message is tempfailed, with the reason logged.
        mail("<a@example.org>", SMFIS_TEMPFAIL);
        CPPUNIT_ASSERT_EQUAL(std::string("451"), api_.replies.back().rcode);
        CPPUNIT_ASSERT_EQUAL(1, log_.count_containing("macro {client_name} longer than 4096"));
        // A value at the bound is fine.
        api_.macros["{client_name}"] = std::string(policy::Limits::kMaxValue, 'a');
        FakeMilterApi other;
        other.macros = api_.macros;
        CPPUNIT_ASSERT_EQUAL(
            SMFIS_CONTINUE,
            milter_->connect(other, "client.example", reinterpret_cast<const sockaddr*>(&in)));
        std::string from = "<a@example.org>";
        char* argv[] = {from.data(), nullptr};
        CPPUNIT_ASSERT_EQUAL(SMFIS_CONTINUE, milter_->envfrom(other, argv));
        milter_->close(other);
    }

    void testNegotiationRequestsSymlistAndDropsUnusedStages() {
        policy::StringMatch m;
        m.exact = {"legacy"};
        policy_->rules.push_back(make_rule(
            "legacy", policy::make_string_condition(Field::Macro, m, "my_macro", Stage::Mail),
            Action::Reject, Stage::Mail, reply(550, "5.7.1", {"closed"})));
        install();
        unsigned long pf0 = 0, pf1 = 0, pf2 = 1, pf3 = 1;
        const unsigned long all_actions = 0x1ff, all_steps = 0x1fffff;
        CPPUNIT_ASSERT_EQUAL(SMFIS_CONTINUE, milter_->negotiate(api_, all_actions, all_steps, 0, 0,
                                                                &pf0, &pf1, &pf2, &pf3));
        CPPUNIT_ASSERT(pf0 & SMFIF_ADDHDRS);
        CPPUNIT_ASSERT(pf0 & SMFIF_QUARANTINE);
        CPPUNIT_ASSERT(pf0 & SMFIF_SETSYMLIST);
        CPPUNIT_ASSERT(pf1 & SMFIP_NOHDRS);
        CPPUNIT_ASSERT(pf1 & SMFIP_NOBODY);
        CPPUNIT_ASSERT(pf1 & SMFIP_NOEOH);
        CPPUNIT_ASSERT(pf1 & SMFIP_NOUNKNOWN);
        CPPUNIT_ASSERT(!(pf1 & SMFIP_NORCPT));
        CPPUNIT_ASSERT(!(pf1 & SMFIP_NR_RCPT));
        CPPUNIT_ASSERT_EQUAL(0ul, pf2);
        const std::string conn = api_.symlists.at(SMFIM_CONNECT);
        CPPUNIT_ASSERT(conn.find("{client_addr}") != std::string::npos);
        CPPUNIT_ASSERT(conn.find("{daemon_name}") != std::string::npos);
        CPPUNIT_ASSERT(conn.find("{client_resolve}") != std::string::npos);
        // Sendmail: the queue id from the connection on, `_` for client_facts().
        CPPUNIT_ASSERT(conn.find(" _") != std::string::npos || conn.rfind("_ ", 0) == 0);
        CPPUNIT_ASSERT(conn.find(" i") != std::string::npos || conn.rfind("i ", 0) == 0);
        const std::string mail = api_.symlists.at(SMFIM_ENVFROM);
        CPPUNIT_ASSERT(mail.find("{auth_authen}") != std::string::npos);
        CPPUNIT_ASSERT(mail.find("{my_macro}") != std::string::npos);
        CPPUNIT_ASSERT(mail.find(" i") != std::string::npos || mail.rfind("i ", 0) == 0);
        CPPUNIT_ASSERT(api_.symlists.at(SMFIM_HELO).find("{tls_version}") != std::string::npos);
        CPPUNIT_ASSERT(api_.symlists.at(SMFIM_EOM).find('i') != std::string::npos);
        // The negotiated steps are kept for the header and body handlers.
        CPPUNIT_ASSERT_EQUAL(pf1, api_.context()->protocol);
    }

    void testNegotiationWithoutSymlistOfferSetsNoList() {
        install();
        unsigned long pf0 = 0, pf1 = 0, pf2 = 0, pf3 = 0;
        const unsigned long actions = SMFIF_ADDHDRS | SMFIF_QUARANTINE;
        CPPUNIT_ASSERT_EQUAL(SMFIS_CONTINUE, milter_->negotiate(api_, actions, 0x1fffff, 0, 0, &pf0,
                                                                &pf1, &pf2, &pf3));
        CPPUNIT_ASSERT(!(pf0 & SMFIF_SETSYMLIST));
        CPPUNIT_ASSERT(api_.symlists.empty());
    }

    void testMonitorHeaderAddedAtEndOfMessage() {
        policy_->settings.monitor = true;
        policy_->rules.push_back(make_rule("gone", rcpt_is("gone@example.org"), Action::Reject,
                                           Stage::Rcpt, reply(550, "5.1.1", {"mailbox gone"})));
        install();
        open_message();
        CPPUNIT_ASSERT_EQUAL(SMFIS_CONTINUE, rcpt("<gone@example.org>"));  // let through
        CPPUNIT_ASSERT(api_.replies.empty());
        CPPUNIT_ASSERT(api_.headers.empty());  // not before end of message
        CPPUNIT_ASSERT_EQUAL(SMFIS_CONTINUE, milter_->eom(api_));
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), api_.headers.size());
        CPPUNIT_ASSERT_EQUAL(std::string("X-Milter-Verdict"), api_.headers[0].first);
        CPPUNIT_ASSERT(api_.headers[0].second.find("would reject 550 5.1.1") != std::string::npos);
        CPPUNIT_ASSERT(log_.count_containing("monitor=yes") >= 1);
    }

    void testQuarantineCalledAtEndOfMessage() {
        auto r = make_rule("hold", sender_is("odd@example.net"), Action::Quarantine, Stage::Mail);
        r.quarantine_reason = "relay under review";
        policy_->rules.push_back(std::move(r));
        install();
        open_message("<odd@example.net>");
        CPPUNIT_ASSERT_EQUAL(SMFIS_CONTINUE, rcpt("<x@example.org>"));
        CPPUNIT_ASSERT(api_.quarantines.empty());
        CPPUNIT_ASSERT_EQUAL(SMFIS_CONTINUE, milter_->eom(api_));
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), api_.quarantines.size());
        CPPUNIT_ASSERT_EQUAL(std::string("relay under review"), api_.quarantines[0]);
    }

    void testDiscardAtEndOfMessage() {
        policy_->rules.push_back(
            make_rule("drop", rcpt_is("old-list@example.org"), Action::Discard, Stage::Rcpt));
        install();
        open_message();
        CPPUNIT_ASSERT_EQUAL(SMFIS_CONTINUE, rcpt("<old-list@example.org>"));
        CPPUNIT_ASSERT_EQUAL(SMFIS_DISCARD, milter_->eom(api_));
    }

    void testNonSmtpMailMovesRcptRefusalToEndOfMessage() {
        policy_->rules.push_back(make_rule("gone", rcpt_is("gone@example.org"), Action::Reject,
                                           Stage::Rcpt, reply(550, "5.1.1", {"mailbox gone"})));
        install();
        // Postfix's non_smtpd_milters: localhost/127.0.0.1, client port 0.
        const sockaddr_in in = ipv4("127.0.0.1", 0);
        CPPUNIT_ASSERT_EQUAL(
            SMFIS_CONTINUE,
            milter_->connect(api_, "localhost", reinterpret_cast<const sockaddr*>(&in)));
        CPPUNIT_ASSERT(api_.context()->tx().non_smtp);
        mail("<root@localhost>", SMFIS_CONTINUE);
        CPPUNIT_ASSERT_EQUAL(SMFIS_CONTINUE, rcpt("<gone@example.org>"));
        CPPUNIT_ASSERT(api_.replies.empty());
        CPPUNIT_ASSERT_EQUAL(SMFIS_REJECT, milter_->eom(api_));
        CPPUNIT_ASSERT_EQUAL(std::string("550"), api_.replies.back().rcode);
    }

    void testRealClientIsNotNonSmtp() {
        install();
        const sockaddr_in local = ipv4("127.0.0.1", 40000);  // SMTP from localhost
        milter_->connect(api_, "localhost", reinterpret_cast<const sockaddr*>(&local));
        CPPUNIT_ASSERT(!api_.context()->tx().non_smtp);
        milter_->close(api_);
        milter_->connect(api_, "localhost", nullptr);  // Sendmail local submission
        CPPUNIT_ASSERT(api_.context()->tx().non_smtp);
        CPPUNIT_ASSERT(api_.context()->tx().client_addr.empty());
    }

    void testTransactionFilledFromConnectAndMacros() {
        keep_open();
        install();
        api_.macros["{client_resolve}"] = "FAIL";
        api_.macros["{daemon_name}"] = "mx-in";
        api_.macros["{auth_authen}"] = "alice";
        api_.macros["i"] = "4XyZ1";
        sockaddr_in6 in6{};
        in6.sin6_family = AF_INET6;
        in6.sin6_port = htons(2525);
        inet_pton(AF_INET6, "2001:db8::7", &in6.sin6_addr);
        milter_->connect(api_, "[2001:db8::7]", reinterpret_cast<const sockaddr*>(&in6));
        const policy::Transaction& tx = api_.context()->tx();
        CPPUNIT_ASSERT_EQUAL(std::string("2001:db8::7"), tx.client_addr);
        CPPUNIT_ASSERT_EQUAL(std::string("unknown"), tx.client_name);  // Sendmail's [addr]
        CPPUNIT_ASSERT_EQUAL(std::string("FAIL"), tx.client_resolve);
        CPPUNIT_ASSERT_EQUAL(std::string("mx-in"), tx.daemon_name);
        mail("<a@example.org>", SMFIS_CONTINUE);
        CPPUNIT_ASSERT_EQUAL(std::string("a@example.org"), tx.sender);
        CPPUNIT_ASSERT_EQUAL(std::string("alice"), tx.auth_login);
        CPPUNIT_ASSERT_EQUAL(std::string("4XyZ1"), tx.queue_id);
        CPPUNIT_ASSERT_EQUAL(SMFIS_CONTINUE, rcpt("<b@example.org>"));
        CPPUNIT_ASSERT_EQUAL(std::string("b@example.org"), tx.recipients.back());
    }

    void testSendmailUnderscoreGivesResolveWhenMacroMissing() {
        install();
        api_.macros["_"] = "[192.0.2.9]";  // no {client_resolve}: a Sendmail with default macros
        const sockaddr_in in = ipv4("192.0.2.9", 40000);
        milter_->connect(api_, "[192.0.2.9]", reinterpret_cast<const sockaddr*>(&in));
        const policy::Transaction& tx = api_.context()->tx();
        CPPUNIT_ASSERT_EQUAL(std::string("unknown"), tx.client_name);
        CPPUNIT_ASSERT_EQUAL(std::string("FAIL"), tx.client_resolve);
    }

    void testOneDecisionLinePerRefusal() {
        policy_->rules.push_back(make_rule("gone", rcpt_is("gone@example.org"), Action::Reject,
                                           Stage::Rcpt, reply(550, "5.1.1", {"mailbox gone"})));
        install();
        api_.macros["i"] = "QID42";
        open_message();
        rcpt("<gone@example.org>");
        CPPUNIT_ASSERT_EQUAL(1, log_.count_containing("decision "));
        CPPUNIT_ASSERT_EQUAL(1, log_.count_containing("info: QID42: decision conn=conn-"));
        CPPUNIT_ASSERT_EQUAL(
            1, log_.count_containing(" client=client.example[192.0.2.1] "
                                     "helo=client.example from=<a@example.org> "
                                     "rcpt=<gone@example.org> stage=rcpt rule=gone action=reject "
                                     "reply=\"550 5.1.1 mailbox gone\""));
    }

    // Issue 25 point 6: every line of a connection starts with the
    // connection id until the MTA sends {i} (Postfix sends it at MAIL only
    // once the queue file is open, so often from RCPT on), then with the
    // queue id; the decision lines under the queue id carry the same
    // connection id (conn=); no "queue=-".
    void testLinesOfAConnectionStartWithItsIds() {
        policy_->rules.push_back(make_rule("gone", rcpt_is("gone@example.org"), Action::Reject,
                                           Stage::Rcpt, reply(550, "5.1.1", {"mailbox gone"})));
        // A tagging rule with a log text of its own: an info line at connect.
        policy_->rules.push_back(make_rule("seen", nullptr, Action::Continue, Stage::Connect));
        policy_->rules.back().log = "seen";
        install();
        open_message();  // no {i} yet
        api_.macros["i"] = "4QX9Yz1AbC";
        rcpt("<gone@example.org>");
        rcpt("<b@example.org>");
        // DATA may settle the message (SMFIS_ACCEPT: nothing left to decide).
        if (milter_->data(api_) == SMFIS_CONTINUE) milter_->eom(api_);
        CPPUNIT_ASSERT(!log_.lines.empty());
        std::string conn;
        int with_conn = 0, with_queue = 0;
        for (const auto& full : log_.lines) {
            const std::string l = full.substr(full.find(": ") + 2);  // after "LEVEL: "
            CPPUNIT_ASSERT_MESSAGE(l, l.find("queue=") == std::string::npos);
            if (l.starts_with("conn-")) {
                const std::string id = l.substr(0, l.find(": "));
                CPPUNIT_ASSERT_EQUAL(std::size_t{15}, id.size());  // "conn-" + 10 hex digits
                if (conn.empty()) conn = id;
                CPPUNIT_ASSERT_EQUAL(conn, id);
                ++with_conn;
            } else {
                CPPUNIT_ASSERT_MESSAGE(l, l.starts_with("4QX9Yz1AbC: "));
                if (l.starts_with("4QX9Yz1AbC: decision "))
                    CPPUNIT_ASSERT_MESSAGE(l, l.find(" conn=" + conn + " ") != std::string::npos);
                ++with_queue;
            }
        }
        CPPUNIT_ASSERT(with_conn >= 1);   // the connect rule's line
        CPPUNIT_ASSERT(with_queue >= 3);  // rule line, RCPT decision, end of data
    }

    void testReloadDoesNotChangeAPinnedConnection() {
        policy_->rules.push_back(make_rule("gone", rcpt_is("gone@example.org"), Action::Reject,
                                           Stage::Rcpt, reply(550, "5.1.1", {"mailbox gone"})));
        install();
        open_message();
        store_->replace(std::make_shared<policy::Policy>());             // a reload with no rules
        CPPUNIT_ASSERT_EQUAL(SMFIS_REJECT, rcpt("<gone@example.org>"));  // old rules still
        FakeMilterApi fresh;
        const sockaddr_in in = ipv4("192.0.2.9", 1234);
        milter_->connect(fresh, "x", reinterpret_cast<const sockaddr*>(&in));
        std::string from = "<a@example.org>", to = "<gone@example.org>";
        char* f[] = {from.data(), nullptr};
        char* t[] = {to.data(), nullptr};
        milter_->envfrom(fresh, f);
        CPPUNIT_ASSERT_EQUAL(SMFIS_CONTINUE,
                             milter_->envrcpt(fresh, t));  // new connection: new rules
        milter_->close(fresh);
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(MilterTest);

}  // namespace mv::milter::test
