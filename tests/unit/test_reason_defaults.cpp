// SPDX-License-Identifier: Apache-2.0
// test_reason_defaults.cpp - the loader gives a rule the default reply of the
// reason its conditions carry (codes/defaults.hpp; milter-verdict.conf(5)
// REPLIES, Defaults). Expected codes are DESIGN.md section 2's: message too
// big 552 5.3.4, too many recipients 452 4.5.3, policy 550 5.7.1 / 450 4.7.1.
#include <cppunit/extensions/HelperMacros.h>

#include <string>

#include "config/loader.hpp"
#include "config_scratch.hpp"

namespace {

using mv::config::load_policy;
using mv::config::LoadResult;
using mv::test::dump;
using ScratchDir = mv::test::TempDir;

std::string reply_of(const LoadResult& r, std::size_t i) {
    const auto& rule = r.policy->rules.at(i);
    return std::to_string(rule.reply.basic) + " " + rule.reply.enhanced;
}

bool has_message(const LoadResult& r, const std::string& part, bool error) {
    for (const auto& d : r.diagnostics)
        if (d.message.find(part) != std::string::npos &&
            (d.severity == mv::config::Diagnostic::Severity::Error) == error)
            return true;
    return false;
}

}  // namespace

class ReasonDefaultsTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(ReasonDefaultsTest);
    CPPUNIT_TEST(testSizeRejectIsMessageTooBig);
    CPPUNIT_TEST(testDeclaredSizeRejectAtRcptAndAtMail);
    CPPUNIT_TEST(testRcptCountTempfailIsTooManyRecipients);
    CPPUNIT_TEST(testRcptCountRejectWarnsAndGets550Of553);
    CPPUNIT_TEST(testMixedReasonsOrNegatedTakePolicyDefault);
    CPPUNIT_TEST(testUnderIsNoReason);
    CPPUNIT_TEST(testGivenCodeWinsOverReasonDefault);
    CPPUNIT_TEST(testRejectDisconnectAfterGreetingIsRefused);
    CPPUNIT_TEST_SUITE_END();

  public:
    void testSizeRejectIsMessageTooBig() {
        ScratchDir d;
        const auto f = d.write("a.conf", R"(rules = (
  { name = "big"; when = { size = { over = 50000; }; }; action = "reject"; },
  { name = "big-from"; when = { size = { over = 50000; }; sender = "a@b.example"; };
    action = "reject"; },
  { name = "big-later"; when = { size = { over = 50000; }; }; action = "tempfail"; } );)");
        const LoadResult r = load_policy(f);
        CPPUNIT_ASSERT_MESSAGE(dump(r), r.ok());
        CPPUNIT_ASSERT_EQUAL(std::string("552 5.3.4"), reply_of(r, 0));
        CPPUNIT_ASSERT_EQUAL(std::string("552 5.3.4"), reply_of(r, 1));
        // RFC 1870 6.2: temporarily too big is 452, X.3.1 (transient).
        CPPUNIT_ASSERT_EQUAL(std::string("452 4.3.1"), reply_of(r, 2));
        CPPUNIT_ASSERT(r.policy->rules[0].reply.text.at(0).find("too big") != std::string::npos);
    }

    void testDeclaredSizeRejectAtRcptAndAtMail() {
        ScratchDir d;
        const auto delayed = d.write("a.conf", R"(rules = (
  { name = "sz"; when = { declared_size = { over = 1000; }; }; action = "reject"; } );)");
        const LoadResult a = load_policy(delayed);
        CPPUNIT_ASSERT_MESSAGE(dump(a), a.ok());
        CPPUNIT_ASSERT_EQUAL(std::string("552 5.3.4"), reply_of(a, 0));
        const auto now = d.write("b.conf", R"(policy = { delay_reject = false; };
rules = ( { name = "sz"; when = { declared_size = { over = 1000; }; }; action = "reject"; } );)");
        const LoadResult b = load_policy(now);
        CPPUNIT_ASSERT_MESSAGE(dump(b), b.ok() && b.diagnostics.empty());
        CPPUNIT_ASSERT_EQUAL(std::string("552 5.3.4"), reply_of(b, 0));
    }

    void testRcptCountTempfailIsTooManyRecipients() {
        ScratchDir d;
        const auto f = d.write("a.conf", R"(rules = (
  { name = "many"; when = { rcpt_count = { over = 3; }; }; action = "tempfail"; } );)");
        const LoadResult r = load_policy(f);
        CPPUNIT_ASSERT_MESSAGE(dump(r), r.ok() && r.diagnostics.empty());
        CPPUNIT_ASSERT_EQUAL(std::string("452 4.5.3"), reply_of(r, 0));
    }

    void testRcptCountRejectWarnsAndGets550Of553() {
        ScratchDir d;
        const auto f = d.write("a.conf", R"(rules = (
  { name = "many"; when = { rcpt_count = { over = 3; }; }; action = "reject"; } );)");
        const LoadResult r = load_policy(f);
        CPPUNIT_ASSERT_MESSAGE(dump(r), r.ok());
        CPPUNIT_ASSERT_EQUAL(std::string("550 5.5.3"), reply_of(r, 0));
        CPPUNIT_ASSERT_MESSAGE(dump(r), has_message(r, "RFC 5321 4.5.3.1.10 asks for 452", false));
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), r.diagnostics.size());
    }

    void testMixedReasonsOrNegatedTakePolicyDefault() {
        ScratchDir d;
        const auto f = d.write("a.conf", R"(rules = (
  { name = "mixed"; when = { size = { over = 10; }; rcpt_count = { over = 3; }; };
    action = "reject"; },
  { name = "negated"; when = { not = { size = { over = 10; }; }; }; action = "reject"; },
  { name = "plain"; when = { sender = "a@b.example"; }; action = "tempfail"; } );)");
        const LoadResult r = load_policy(f);
        CPPUNIT_ASSERT_MESSAGE(dump(r), r.ok());
        CPPUNIT_ASSERT_EQUAL(std::string("550 5.7.1"), reply_of(r, 0));
        CPPUNIT_ASSERT_EQUAL(std::string("550 5.7.1"), reply_of(r, 1));
        CPPUNIT_ASSERT_EQUAL(std::string("450 4.7.1"), reply_of(r, 2));
    }

    void testUnderIsNoReason() {
        ScratchDir d;
        const auto f = d.write("a.conf", R"(rules = (
  { name = "small"; when = { size = { under = 100; }; }; action = "reject"; } );)");
        const LoadResult r = load_policy(f);
        CPPUNIT_ASSERT_MESSAGE(dump(r), r.ok());
        CPPUNIT_ASSERT_EQUAL(std::string("550 5.7.1"), reply_of(r, 0));
    }

    void testGivenCodeWinsOverReasonDefault() {
        ScratchDir d;
        const auto f = d.write("a.conf", R"(rules = (
  { name = "big"; when = { size = { over = 10; }; }; action = "reject";
    reply = { code = 550; enhanced = "5.7.1"; text = "no"; }; },
  { name = "big-text"; when = { size = { over = 10; }; }; action = "reject";
    reply = { text = "Too large for this site"; }; } );)");
        const LoadResult r = load_policy(f);
        CPPUNIT_ASSERT_MESSAGE(dump(r), r.ok());
        CPPUNIT_ASSERT_EQUAL(std::string("550 5.7.1"), reply_of(r, 0));
        CPPUNIT_ASSERT_EQUAL(std::string("552 5.3.4"), reply_of(r, 1));
        CPPUNIT_ASSERT_EQUAL(std::string("Too large for this site"),
                             r.policy->rules[1].reply.text.at(0));
    }

    void testRejectDisconnectAfterGreetingIsRefused() {
        ScratchDir d;
        const auto f = d.write("a.conf", R"(rules = (
  { name = "bye"; when = { sender = "a@b.example"; }; action = "reject";
    reply = { disconnect = true; }; } );)");
        const LoadResult r = load_policy(f);
        CPPUNIT_ASSERT(!r.ok());
        CPPUNIT_ASSERT_MESSAGE(dump(r),
                               has_message(r, "no permanent reply closes the session", true));
        const auto g = d.write("b.conf", R"(policy = { delay_reject = false; };
rules = ( { name = "bye"; when = { client_addr = "192.0.2.0/24"; }; action = "reject";
    reply = { disconnect = true; }; } );)");
        const LoadResult ok = load_policy(g);
        CPPUNIT_ASSERT_MESSAGE(dump(ok), ok.ok());
        CPPUNIT_ASSERT_EQUAL(std::string("521 5.3.2"), reply_of(ok, 0));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(ReasonDefaultsTest);
