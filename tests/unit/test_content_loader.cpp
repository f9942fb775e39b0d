// SPDX-License-Identifier: Apache-2.0
// test_content_loader.cpp - config::load_policy() for the content keys of `when`
// (header, body, size, declared_size, rcpt_count, daemon_name, daemon_port) and
// policy.body_limit_kib: what compiles, where it runs, what is refused.
#include <cppunit/extensions/HelperMacros.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "config/loader.hpp"
#include "config_scratch.hpp"
#include "policy/session.hpp"

namespace {

using mv::test::dump;
using mv::test::has;
using ScratchDir = mv::test::TempDir;
using mv::config::Diagnostic;
using mv::config::load_policy;
using mv::config::LoadResult;
using mv::policy::Match;

}  // namespace

class ContentLoaderTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(ContentLoaderTest);
    CPPUNIT_TEST(testContentRulesRunAtEndOfDataAndAskForContent);
    CPPUNIT_TEST(testEnvelopeOnlyPolicyAsksForNoContent);
    CPPUNIT_TEST(testHeaderListNeedsEveryGroup);
    CPPUNIT_TEST(testBodyTakesRegexesOnly);
    CPPUNIT_TEST(testBadBodyRegexIsReportedAtItsLine);
    CPPUNIT_TEST(testBoundsAreChecked);
    CPPUNIT_TEST(testDeclaredSizeAndRcptCountRunEarly);
    CPPUNIT_TEST(testDaemonNameAndPortReadMacros);
    CPPUNIT_TEST(testBodyLimitIsReadAndBounded);
    CPPUNIT_TEST_SUITE_END();

  public:
    void testContentRulesRunAtEndOfDataAndAskForContent() {
        ScratchDir d;
        const auto f = d.write("a.conf", R"(rules = (
  { name = "subject"; when = { header = { name = "Subject"; value = "/casino/"; }; };
    action = "reject"; },
  { name = "phish"; when = { body = ["/verify your account/", "/bit\\.ly\\//"]; };
    action = "reject"; },
  { name = "big"; when = { size = { over = 1000000; }; }; action = "reject"; } );)");
        const LoadResult r = load_policy(f);
        CPPUNIT_ASSERT_MESSAGE(dump(r), r.ok());
        for (const auto& rule : r.policy->rules)
            CPPUNIT_ASSERT(rule.stage == mv::codes::Stage::EndOfData);
        CPPUNIT_ASSERT(r.policy->needs_headers());
        CPPUNIT_ASSERT(r.policy->needs_body());
        mv::policy::Transaction t;
        t.headers = {{"Subject", "=?UTF-8?Q?Casino_night?="}};
        CPPUNIT_ASSERT(r.policy->rules[0].when->match(t) == Match::Yes);
        t.body = "click bit.ly/abc";
        CPPUNIT_ASSERT(r.policy->rules[1].when->match(t) == Match::Yes);
    }
    void testEnvelopeOnlyPolicyAsksForNoContent() {
        ScratchDir d;
        const auto f = d.write("a.conf", R"(rules = (
  { name = "s"; when = { sender = { domain = "spam.example"; }; declared_size = { over = 10; }; };
    action = "reject"; } );)");
        const LoadResult r = load_policy(f);
        CPPUNIT_ASSERT_MESSAGE(dump(r), r.ok());
        CPPUNIT_ASSERT(!r.policy->needs_headers());
        CPPUNIT_ASSERT(!r.policy->needs_body());
    }
    void testHeaderListNeedsEveryGroup() {
        ScratchDir d;
        const auto f = d.write("a.conf", R"(rules = (
  { name = "h"; when = { header = ( { name = "X-Mailer"; value = "/bulk/"; },
                                    { name = "List-Id"; present = false; } ); };
    action = "reject"; } );)");
        const LoadResult r = load_policy(f);
        CPPUNIT_ASSERT_MESSAGE(dump(r), r.ok());
        mv::policy::Transaction t;
        t.headers = {{"X-Mailer", "BulkMailer 3"}};
        CPPUNIT_ASSERT(r.policy->rules[0].when->match(t) == Match::Yes);
        t.headers.push_back({"List-Id", "<news.example>"});
        CPPUNIT_ASSERT(r.policy->rules[0].when->match(t) == Match::No);
    }
    void testBodyTakesRegexesOnly() {
        ScratchDir d;
        const auto f = d.write("a.conf", R"(rules = (
  { name = "b"; when = { body = "plain text"; }; action = "reject"; } );)");
        const LoadResult r = load_policy(f);
        CPPUNIT_ASSERT(!r.ok());
        CPPUNIT_ASSERT_MESSAGE(dump(r), has(r, f, 2, "body takes regexes only"));
    }
    void testBadBodyRegexIsReportedAtItsLine() {
        ScratchDir d;
        const auto f = d.write("a.conf", R"(rules = (
  { name = "b";
    when = { body = ["/fine/",
                     "/broken(/"]; };
    action = "reject"; } );)");
        const LoadResult r = load_policy(f);
        CPPUNIT_ASSERT(!r.ok());
        CPPUNIT_ASSERT_MESSAGE(dump(r), has(r, f, 4, "broken("));
    }
    void testBoundsAreChecked() {
        ScratchDir d;
        const auto f = d.write("a.conf", R"(rules = (
  { name = "a"; when = { size = { }; }; action = "reject"; },
  { name = "b"; when = { rcpt_count = { over = -1; }; }; action = "reject"; },
  { name = "c"; when = { size = { over = 10; under = 11; }; }; action = "reject"; },
  { name = "d"; when = { size = 10; }; action = "reject"; } );)");
        const LoadResult r = load_policy(f);
        CPPUNIT_ASSERT(!r.ok());
        CPPUNIT_ASSERT_MESSAGE(dump(r), has(r, f, 2, "needs over = N or under = N"));
        CPPUNIT_ASSERT_MESSAGE(dump(r), has(r, f, 3, "must not be negative"));
        CPPUNIT_ASSERT_MESSAGE(dump(r), has(r, f, 4, "no value is over 10 and under 11"));
        CPPUNIT_ASSERT_MESSAGE(dump(r), has(r, f, 5, "must be a group"));
    }
    void testDeclaredSizeAndRcptCountRunEarly() {
        ScratchDir d;
        const auto f = d.write("a.conf", R"(rules = (
  { name = "big"; when = { declared_size = { over = 5000; }; }; action = "reject"; },
  { name = "many"; when = { rcpt_count = { over = 2; }; }; action = "tempfail"; } );)");
        const LoadResult r = load_policy(f);
        CPPUNIT_ASSERT_MESSAGE(dump(r), r.ok());
        CPPUNIT_ASSERT(r.policy->rules[0].stage == mv::codes::Stage::Mail);
        CPPUNIT_ASSERT(r.policy->rules[1].stage == mv::codes::Stage::Rcpt);
        mv::policy::Session s(r.policy);
        s.connect();
        s.transaction().declared_size = 4000;
        s.mail("a@b.example");
        CPPUNIT_ASSERT(s.rcpt("1@x.example").action == mv::policy::Action::Continue);
        CPPUNIT_ASSERT(s.rcpt("2@x.example").action == mv::policy::Action::Continue);
        CPPUNIT_ASSERT(s.rcpt("3@x.example").action == mv::policy::Action::Tempfail);
        s.abort();
        s.transaction().declared_size = 6000;
        s.mail("a@b.example");
        const auto v = s.rcpt("1@x.example");  // held from MAIL (delay_reject)
        CPPUNIT_ASSERT(v.action == mv::policy::Action::Reject);
        CPPUNIT_ASSERT_EQUAL(std::string("big"), v.rule);
    }
    void testDaemonNameAndPortReadMacros() {
        ScratchDir d;
        const auto f = d.write("a.conf", R"(rules = (
  { name = "sub"; when = { daemon_name = "submission"; daemon_port = "587"; };
    action = "accept"; } );)");
        const LoadResult r = load_policy(f);
        CPPUNIT_ASSERT_MESSAGE(dump(r), r.ok());
        CPPUNIT_ASSERT(r.policy->rules[0].stage == mv::codes::Stage::Connect);
        const auto m = r.policy->macros_needed(mv::codes::Stage::Connect);
        CPPUNIT_ASSERT(m.count("daemon_port") == 1);
        mv::policy::Transaction t;
        t.macros["daemon_name"] = "submission";
        t.macros["daemon_port"] = "587";
        CPPUNIT_ASSERT(r.policy->rules[0].when->match(t) == Match::Yes);
        t.macros["daemon_port"] = "25";
        CPPUNIT_ASSERT(r.policy->rules[0].when->match(t) == Match::No);
    }
    void testBodyLimitIsReadAndBounded() {
        ScratchDir d;
        const auto ok = d.write(
            "ok.conf", "policy = { body_limit_kib = 8; allow_empty = true; };\nrules = ();\n");
        const LoadResult r = load_policy(ok);
        CPPUNIT_ASSERT_MESSAGE(dump(r), r.ok());
        CPPUNIT_ASSERT_EQUAL(std::size_t{8192}, r.policy->settings.body_limit);
        const auto bad = d.write(
            "bad.conf", "policy = { body_limit_kib = 0; allow_empty = true; };\nrules = ();\n");
        const LoadResult rb = load_policy(bad);
        CPPUNIT_ASSERT(!rb.ok());
        CPPUNIT_ASSERT_MESSAGE(dump(rb), has(rb, bad, 1, "between 1 and 16384"));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(ContentLoaderTest);
