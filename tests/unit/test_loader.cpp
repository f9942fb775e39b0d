// SPDX-License-Identifier: Apache-2.0
// test_loader.cpp - config::load_policy(): every kind of problem is reported with
// its file, line and substance, in one run; valid files compile into a Policy.
#include <cppunit/extensions/HelperMacros.h>

#include <sys/stat.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "config/loader.hpp"
#include "config_scratch.hpp"
#include "policy/transaction.hpp"

namespace {

using mv::config::Diagnostic;
using mv::config::load_policy;
using mv::config::LoadOptions;
using mv::config::LoadResult;
using mv::test::dump;
using mv::test::has;
using mv::test::TempDir;

}  // namespace

class LoaderTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(LoaderTest);
    CPPUNIT_TEST(testValidConfigCompilesSettingsAndRules);
    CPPUNIT_TEST(testControlCharactersInQuotedValuesStayOnOneLine);
    CPPUNIT_TEST(testDefaultReplyFollowsDeliveryStage);
    CPPUNIT_TEST(testDelayRejectFalseDeliversAtDecisionStage);
    CPPUNIT_TEST(testRejectWithMismatchedEnhancedClassIsRejectedAtReplyLine);
    CPPUNIT_TEST(testRejectWith4xxIsRejectedAtReplyLine);
    CPPUNIT_TEST(testRefusalCodeThatIsNot4xxOr5xxIsAnError);
    CPPUNIT_TEST(testBadEnhancedSyntaxIsAnError);
    CPPUNIT_TEST(testUnregisteredEnhancedCodeNeedsTheRuleToSaySo);
    CPPUNIT_TEST(testReplyTextLimitsAreErrors);
    CPPUNIT_TEST(testDisconnectCodesOnlyWhereTheRuleDisconnects);
    CPPUNIT_TEST(testCodeNotValidAtDeliveryStageIsAWarning);
    CPPUNIT_TEST(testEnhancedCodeForOtherBasicCodesIsAWarning);
    CPPUNIT_TEST(testStrictTurnsWarningsIntoErrors);
    CPPUNIT_TEST(testReplyForActionWithoutReplyIsAnError);
    CPPUNIT_TEST(testUnknownKeySuggestsTheClosest);
    CPPUNIT_TEST(testWrongTypeIsReported);
    CPPUNIT_TEST(testDuplicateRuleNameNamesTheFirst);
    CPPUNIT_TEST(testBadRuleNameIsReported);
    CPPUNIT_TEST(testUnknownListReferenceIsReported);
    CPPUNIT_TEST(testUnusedListIsAWarning);
    CPPUNIT_TEST(testBadLineInListFileIsReportedAtThatLine);
    CPPUNIT_TEST(testBadNetworkInListFileIsReportedAtThatLine);
    CPPUNIT_TEST(testMissingListFileIsReported);
    CPPUNIT_TEST(testRulesSharingABrokenListReportEachProblemOnce);
    CPPUNIT_TEST(testListFromFileMatches);
    CPPUNIT_TEST(testBadCidrAndRegexAreReportedAtTheirLine);
    CPPUNIT_TEST(testStageEarlierThanConditionsIsAnError);
    CPPUNIT_TEST(testBareInetSocketIsRefused);
    CPPUNIT_TEST(testIncludeErrorNamesTheIncludedFile);
    CPPUNIT_TEST(testIncludeIsExpandedAsLibconfigWould);
    CPPUNIT_TEST(testIncludeOfAFifoIsRefusedWithoutOpeningIt);
    CPPUNIT_TEST(testSeveralErrorsAreReportedInOneRun);
    CPPUNIT_TEST(testEmptyFileIsAnError);
    CPPUNIT_TEST(testNoRulesIsAnErrorUnlessAllowEmpty);
    CPPUNIT_TEST(testBinaryFileIsAnError);
    CPPUNIT_TEST(testTruncatedFileIsASyntaxErrorAtTheEnd);
    CPPUNIT_TEST(testGarbageFileIsASyntaxError);
    CPPUNIT_TEST(testMissingFileIsAnError);
    CPPUNIT_TEST(testHundredThousandRulesLoad);
    CPPUNIT_TEST_SUITE_END();

  public:
    void testValidConfigCompilesSettingsAndRules() {
        TempDir d;
        const auto f = d.write("a.conf", R"(
daemon = { socket = "unix:/run/mv.sock"; socket_mode = "0660"; timeout = 60; log = "stderr"; };
policy = { monitor = true; on_error = "accept"; monitor_header = "X-Test"; };
rules = (
  { name = "r1"; when = { helo = "bad.example"; }; action = "reject"; },
  { name = "r2"; when = { rcpt = { domain = "example.org"; }; }; action = "continue";
    add_header = ({ name = "X-A"; value = "${rcpt}"; }, { name = "X-B"; value = "b"; }); }
);
)");
        const LoadResult r = load_policy(f);
        CPPUNIT_ASSERT_MESSAGE(dump(r), r.ok());
        const auto& s = r.policy->settings;
        CPPUNIT_ASSERT_EQUAL(std::string("unix:/run/mv.sock"), s.socket);
        CPPUNIT_ASSERT_EQUAL(std::string("0660"), s.socket_mode);
        CPPUNIT_ASSERT_EQUAL(60, s.milter_timeout);
        CPPUNIT_ASSERT_EQUAL(std::string("stderr"), s.log_target);
        CPPUNIT_ASSERT(s.monitor);
        CPPUNIT_ASSERT(s.on_error == mv::policy::Action::Accept);
        CPPUNIT_ASSERT_EQUAL(std::string("X-Test"), s.monitor_header);
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), r.policy->rules.size());
        const auto& r1 = r.policy->rules[0];
        CPPUNIT_ASSERT_EQUAL(std::string("r1"), r1.name);
        CPPUNIT_ASSERT_EQUAL(5, r1.line);
        CPPUNIT_ASSERT(r1.stage == mv::codes::Stage::Helo);
        CPPUNIT_ASSERT(r1.action == mv::policy::Action::Reject);
        const auto& r2 = r.policy->rules[1];
        CPPUNIT_ASSERT(r2.stage == mv::codes::Stage::Rcpt);
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), r2.add_headers.size());
        CPPUNIT_ASSERT_EQUAL(std::string("${rcpt}"), r2.add_headers[0].value);
    }

    void testDefaultReplyFollowsDeliveryStage() {
        TempDir d;
        const auto f = d.write("a.conf", R"(rules = (
  { name = "helo-reject"; when = { helo = "x"; }; action = "reject"; },
  { name = "mail-tempfail"; when = { sender = "a@b"; }; action = "tempfail"; },
  { name = "data-reject"; when = { sender = "a@b"; }; stage = "data"; action = "reject"; },
  { name = "data-tempfail"; when = { sender = "a@b"; }; stage = "data"; action = "tempfail"; }
);)");
        const LoadResult r = load_policy(f);
        CPPUNIT_ASSERT_MESSAGE(dump(r), r.ok());
        const auto& rules = r.policy->rules;
        // Held until RCPT by delay_reject: the RCPT defaults.
        CPPUNIT_ASSERT_EQUAL(550, rules[0].reply.basic);
        CPPUNIT_ASSERT_EQUAL(std::string("5.7.1"), rules[0].reply.enhanced);
        CPPUNIT_ASSERT_EQUAL(450, rules[1].reply.basic);
        CPPUNIT_ASSERT_EQUAL(std::string("4.7.1"), rules[1].reply.enhanced);
        CPPUNIT_ASSERT_EQUAL(554, rules[2].reply.basic);
        CPPUNIT_ASSERT_EQUAL(451, rules[3].reply.basic);
        CPPUNIT_ASSERT(!rules[0].reply.text.empty());
    }

    void testDelayRejectFalseDeliversAtDecisionStage() {
        TempDir d;
        const auto f = d.write("a.conf", R"(policy = { delay_reject = false; };
rules = ( { name = "mail-tempfail"; when = { sender = "a@b"; }; action = "tempfail"; } );)");
        const LoadResult r = load_policy(f);
        CPPUNIT_ASSERT_MESSAGE(dump(r), r.ok());
        // At MAIL RFC 5321 lists 451, not 450.
        CPPUNIT_ASSERT_EQUAL(451, r.policy->rules[0].reply.basic);
    }

    void testRejectWithMismatchedEnhancedClassIsRejectedAtReplyLine() {
        TempDir d;
        const auto f = d.write("a.conf", R"(rules = (
  { name = "r"; when = { sender = "a@b"; }; action = "reject";
    reply = { code = 550; enhanced = "4.7.1"; }; }
);)");
        const LoadResult r = load_policy(f);
        CPPUNIT_ASSERT(!r.ok());
        CPPUNIT_ASSERT_MESSAGE(dump(r), has(r, f, 3, "4.7.1"));
        CPPUNIT_ASSERT_MESSAGE(dump(r), has(r, f, 3, "class"));
    }

    void testRejectWith4xxIsRejectedAtReplyLine() {
        TempDir d;
        const auto f = d.write("a.conf", R"(rules = (
  { name = "r"; when = { sender = "a@b"; }; action = "reject";

    reply = { code = 451; }; }
);)");
        const LoadResult r = load_policy(f);
        CPPUNIT_ASSERT(!r.ok());
        CPPUNIT_ASSERT_MESSAGE(dump(r), has(r, f, 4, "reject"));
        CPPUNIT_ASSERT_MESSAGE(dump(r), has(r, f, 4, "451"));
    }

    void testRefusalCodeThatIsNot4xxOr5xxIsAnError() {
        TempDir d;
        const auto f = d.write("a.conf", R"(rules = (
  { name = "r"; action = "reject"; reply = { code = 250; }; }
);)");
        const LoadResult r = load_policy(f);
        CPPUNIT_ASSERT(!r.ok());
        CPPUNIT_ASSERT_MESSAGE(dump(r), has(r, f, 2, "250"));
    }

    void testBadEnhancedSyntaxIsAnError() {
        TempDir d;
        const auto f = d.write("a.conf", R"(rules = (
  { name = "r"; action = "reject"; reply = { code = 550; enhanced = "5.7"; }; }
);)");
        const LoadResult r = load_policy(f);
        CPPUNIT_ASSERT(!r.ok());
        CPPUNIT_ASSERT_MESSAGE(dump(r), has(r, f, 2, "5.7"));
    }

    void testUnregisteredEnhancedCodeNeedsTheRuleToSaySo() {
        TempDir d;
        const auto bad = d.write("bad.conf", R"(rules = (
  { name = "r"; action = "reject"; reply = { code = 550; enhanced = "5.7.99"; }; }
);)");
        const LoadResult r = load_policy(bad);
        CPPUNIT_ASSERT(!r.ok());
        CPPUNIT_ASSERT_MESSAGE(dump(r), has(r, bad, 2, "5.7.99"));
        const auto good = d.write("good.conf", R"(rules = (
  { name = "r"; action = "reject"; reply = { code = 550; enhanced = "5.7.99"; unregistered = true; }; }
);)");
        const LoadResult ok = load_policy(good);
        CPPUNIT_ASSERT_MESSAGE(dump(ok), ok.ok());
        CPPUNIT_ASSERT(ok.policy->rules[0].reply.allow_unregistered);
    }

    void testReplyTextLimitsAreErrors() {
        TempDir d;
        std::string many = "[";
        for (int i = 0; i < 33; ++i) many += std::string(i ? ", " : "") + "\"line\"";
        many += "]";
        const auto f = d.write("a.conf",
                               "rules = (\n"
                               "  { name = \"long\"; action = \"reject\"; reply = { text = \"" +
                                   std::string(600, 'x') +
                                   "\"; }; },\n"
                                   "  { name = \"many\"; action = \"reject\"; reply = { text = " +
                                   many +
                                   "; }; },\n"
                                   "  { name = \"crlf\"; action = \"reject\"; reply = { text = "
                                   "\"a\\nb\"; }; }\n);\n");
        const LoadResult r = load_policy(f);
        CPPUNIT_ASSERT(!r.ok());
        CPPUNIT_ASSERT_MESSAGE(dump(r), has(r, f, 2, "long"));
        CPPUNIT_ASSERT_MESSAGE(dump(r), has(r, f, 3, "many"));
        CPPUNIT_ASSERT_MESSAGE(dump(r), has(r, f, 4, "crlf"));
        CPPUNIT_ASSERT_EQUAL(3, r.errors());
    }

    void testDisconnectCodesOnlyWhereTheRuleDisconnects() {
        TempDir d;
        const auto f = d.write("a.conf", R"(rules = (
  { name = "no"; action = "tempfail"; reply = { code = 421; enhanced = "4.7.0"; }; },
  { name = "yes"; action = "tempfail"; reply = { disconnect = true; }; }
);)");
        const LoadResult r = load_policy(f);
        CPPUNIT_ASSERT(has(r, f, 2, "421"));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(dump(r), 1, r.errors());
        const auto g = d.write("b.conf", R"(rules = (
  { name = "yes"; action = "tempfail"; reply = { disconnect = true; }; }
);)");
        const LoadResult ok = load_policy(g);
        CPPUNIT_ASSERT_MESSAGE(dump(ok), ok.ok());
        CPPUNIT_ASSERT_EQUAL(421, ok.policy->rules[0].reply.basic);
        CPPUNIT_ASSERT(ok.policy->rules[0].reply.disconnect);
    }

    void testCodeNotValidAtDeliveryStageIsAWarning() {
        TempDir d;
        const auto f = d.write("a.conf", R"(rules = (
  { name = "r"; when = { sender = "a@b"; }; stage = "data"; action = "reject";
    reply = { code = 550; }; }
);)");
        const LoadResult r = load_policy(f);
        CPPUNIT_ASSERT_MESSAGE(dump(r), r.ok());
        CPPUNIT_ASSERT_MESSAGE(dump(r), has(r, f, 3, "550", Diagnostic::Severity::Warning));
        CPPUNIT_ASSERT_EQUAL(1, r.warnings());
    }

    void testEnhancedCodeForOtherBasicCodesIsAWarning() {
        TempDir d;
        // X.1.1 is registered for 451 and 550; 553 is not among them.
        const auto f = d.write("a.conf", R"(rules = (
  { name = "r"; when = { rcpt = "a@b"; }; action = "reject";
    reply = { code = 553; enhanced = "5.1.1"; }; }
);)");
        const LoadResult r = load_policy(f);
        CPPUNIT_ASSERT_MESSAGE(dump(r), r.ok());
        CPPUNIT_ASSERT_MESSAGE(dump(r), has(r, f, 3, "5.1.1", Diagnostic::Severity::Warning));
    }

    void testStrictTurnsWarningsIntoErrors() {
        TempDir d;
        const auto f = d.write("a.conf", R"(rules = (
  { name = "r"; when = { sender = "a@b"; }; stage = "data"; action = "reject";
    reply = { code = 550; }; }
);)");
        LoadOptions strict;
        strict.strict = true;
        const LoadResult r = load_policy(f, strict);
        CPPUNIT_ASSERT(!r.ok());
        CPPUNIT_ASSERT_EQUAL(0, r.warnings());
        CPPUNIT_ASSERT_MESSAGE(dump(r), has(r, f, 3, "550"));
    }

    void testReplyForActionWithoutReplyIsAnError() {
        TempDir d;
        const auto f = d.write("a.conf", R"(rules = (
  { name = "a"; action = "accept"; reply = { code = 250; }; },
  { name = "b"; action = "discard"; reply = { text = "x"; }; },
  { name = "c"; action = "continue"; reply = { code = 550; }; }
);)");
        const LoadResult r = load_policy(f);
        CPPUNIT_ASSERT(has(r, f, 2, "accept sends no reply"));
        CPPUNIT_ASSERT(has(r, f, 3, "discard sends no reply"));
        CPPUNIT_ASSERT(has(r, f, 4, "continue sends no reply"));
    }

    void testUnknownKeySuggestsTheClosest() {
        TempDir d;
        const auto f = d.write("a.conf", R"(policy = { delay_rejct = true; };
rules = ( { name = "r"; acton = "reject"; action = "reject"; } );)");
        const LoadResult r = load_policy(f);
        CPPUNIT_ASSERT(!r.ok());
        CPPUNIT_ASSERT_MESSAGE(dump(r), has(r, f, 1, "did you mean 'delay_reject'"));
        CPPUNIT_ASSERT_MESSAGE(dump(r), has(r, f, 2, "did you mean 'action'"));
    }

    void testWrongTypeIsReported() {
        TempDir d;
        const auto f = d.write("a.conf", R"(daemon = {
  timeout = "60";
};
policy = { delay_reject = "yes"; };
rules = ( { name = "r"; action = "reject"; reply = { code = "550"; }; } );)");
        const LoadResult r = load_policy(f);
        CPPUNIT_ASSERT_MESSAGE(dump(r), has(r, f, 2, "timeout must be an integer, not a string"));
        CPPUNIT_ASSERT_MESSAGE(dump(r), has(r, f, 4, "delay_reject must be true or false"));
        CPPUNIT_ASSERT_MESSAGE(dump(r), has(r, f, 5, "code must be an integer"));
    }

    void testDuplicateRuleNameNamesTheFirst() {
        TempDir d;
        const auto f = d.write("a.conf", R"(rules = (
  { name = "same"; action = "accept"; },
  { name = "same"; action = "accept"; }
);)");
        const LoadResult r = load_policy(f);
        CPPUNIT_ASSERT(!r.ok());
        CPPUNIT_ASSERT_MESSAGE(dump(r), has(r, f, 3, "duplicate rule name 'same'"));
        CPPUNIT_ASSERT_MESSAGE(dump(r), has(r, f, 3, f + ":2"));
    }

    void testBadRuleNameIsReported() {
        TempDir d;
        const auto f = d.write("a.conf",
                               "rules = ( { name = \"a b\"; action = \"accept\"; },\n"
                               "{ name = \"" +
                                   std::string(65, 'n') + "\"; action = \"accept\"; } );");
        const LoadResult r = load_policy(f);
        CPPUNIT_ASSERT(has(r, f, 1, "bad rule name 'a b'"));
        CPPUNIT_ASSERT(has(r, f, 2, "bad rule name"));
    }

    void testControlCharactersInQuotedValuesStayOnOneLine() {
        TempDir d;
        // libconfig turns the escapes into bytes; the message quotes the name.
        const auto f = d.write("a.conf",
                               "rules = ( { name = \"a\\nforged: line\\r\\x01\"; "
                               "action = \"accept\"; } );");
        const LoadResult r = load_policy(f);
        CPPUNIT_ASSERT_MESSAGE(dump(r), has(r, f, 1, "bad rule name 'a\\nforged: line\\r\\x01'"));
        for (const auto& diag : r.diagnostics)
            CPPUNIT_ASSERT(diag.to_string().find_first_of("\r\n\x01") == std::string::npos);
    }

    void testUnknownListReferenceIsReported() {
        TempDir d;
        const auto f = d.write("a.conf", R"(rules = (
  { name = "r"; when = { client_addr = "@nosuch"; }; action = "accept"; },
  { name = "s"; when = { sender = { domain = "@example.com"; }; }; action = "accept"; }
);)");
        const LoadResult r = load_policy(f);
        CPPUNIT_ASSERT_MESSAGE(dump(r), has(r, f, 2, "unknown list '@nosuch'"));
        CPPUNIT_ASSERT_MESSAGE(dump(r), has(r, f, 3, "write domains without '@'"));
    }

    void testUnusedListIsAWarning() {
        TempDir d;
        const auto f = d.write("a.conf", R"(lists = {
  spare = ["a"];
};
rules = ( { name = "r"; action = "accept"; } );)");
        const LoadResult r = load_policy(f);
        CPPUNIT_ASSERT(r.ok());
        CPPUNIT_ASSERT(has(r, f, 2, "never used", Diagnostic::Severity::Warning));
    }

    void testBadLineInListFileIsReportedAtThatLine() {
        TempDir d;
        const auto list = d.write("lists/senders.txt", "# blocked\nspam.example\n\nbad entry\n");
        const auto f = d.write("a.conf", R"(lists = { blocked = { file = "lists/senders.txt"; }; };
rules = ( { name = "r"; when = { sender = { domain = "@blocked"; }; }; action = "reject"; } );)");
        const LoadResult r = load_policy(f);
        CPPUNIT_ASSERT(!r.ok());
        CPPUNIT_ASSERT_MESSAGE(dump(r), has(r, list, 4, "bad line"));
    }

    void testBadNetworkInListFileIsReportedAtThatLine() {
        TempDir d;
        const auto list = d.write("nets.txt", "192.0.2.0/24\n2001:db8::/32 # docs\n10.0.0.0/33\n");
        const auto f = d.write("a.conf", R"(lists = { nets = { file = "nets.txt"; }; };
rules = (
  { name = "r"; when = { client_addr = "@nets"; }; action = "accept"; },
  { name = "s"; when = { client_addr = ["@nets", "198.51.100.1"]; }; action = "accept"; }
);)");
        const LoadResult r = load_policy(f);
        CPPUNIT_ASSERT(!r.ok());
        CPPUNIT_ASSERT_MESSAGE(dump(r), has(r, list, 3, "bad network '10.0.0.0/33'"));
        // Reported once, not once per rule using the list.
        CPPUNIT_ASSERT_EQUAL_MESSAGE(dump(r), 1, r.errors());
    }

    void testMissingListFileIsReported() {
        TempDir d;
        const auto f = d.write("a.conf", R"(lists = {
  nets = { file = "nope.txt"; };
};
rules = ( { name = "r"; when = { client_addr = "@nets"; }; action = "accept"; } );)");
        const LoadResult r = load_policy(f);
        CPPUNIT_ASSERT(!r.ok());
        CPPUNIT_ASSERT_MESSAGE(dump(r), has(r, f, 2, "nope.txt"));
    }

    void testRulesSharingABrokenListReportEachProblemOnce() {
        TempDir d;
        const auto list = d.write("doms.txt", "ok.example\nbad..example\n");
        const auto f = d.write("a.conf", R"(lists = { doms = { file = "doms.txt"; }; };
rules = (
  { name = "a"; when = { sender = { domain = "@doms"; }; }; action = "reject"; },
  { name = "b"; when = { sender = { domain = "@doms"; }; }; action = "reject"; },
  { name = "c"; when = { sender = { domain = "@dom"; }; }; action = "reject"; },
  { name = "d"; when = { sender = { domain = "@dom"; }; }; action = "reject"; }
);)");
        const LoadResult r = load_policy(f);
        CPPUNIT_ASSERT_MESSAGE(dump(r), has(r, list, 2, "bad..example"));
        // The unknown name is reported at each line that uses it.
        CPPUNIT_ASSERT_MESSAGE(dump(r), has(r, f, 5, "unknown list '@dom'"));
        CPPUNIT_ASSERT_MESSAGE(dump(r), has(r, f, 6, "unknown list '@dom'"));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(dump(r), 3, r.errors());
    }

    void testListFromFileMatches() {
        TempDir d;
        d.write("nets.txt", "192.0.2.0/24\n2001:db8::/32\n");
        const auto f = d.write("a.conf", R"(lists = { nets = { file = "nets.txt"; }; };
rules = ( { name = "r"; when = { client_addr = "@nets"; }; action = "accept"; } );)");
        const LoadResult r = load_policy(f);
        CPPUNIT_ASSERT_MESSAGE(dump(r), r.ok());
        mv::policy::Transaction t;
        t.client_addr = "2001:db8::5";
        CPPUNIT_ASSERT(r.policy->rules[0].when->match(t) == mv::policy::Match::Yes);
        t.client_addr = "198.51.100.1";
        CPPUNIT_ASSERT(r.policy->rules[0].when->match(t) == mv::policy::Match::No);
    }

    void testBadCidrAndRegexAreReportedAtTheirLine() {
        TempDir d;
        const auto f = d.write("a.conf", R"(rules = (
  { name = "r"; when = { client_addr = ["192.0.2.0/24",
                                        "300.1.1.1"]; }; action = "accept"; },
  { name = "s"; when = { helo = { regex = "([a-z"; }; }; action = "accept"; }
);)");
        const LoadResult r = load_policy(f);
        CPPUNIT_ASSERT(!r.ok());
        CPPUNIT_ASSERT_MESSAGE(dump(r), has(r, f, 3, "300.1.1.1"));
        CPPUNIT_ASSERT_MESSAGE(dump(r), has(r, f, 4, "bad regex"));
    }

    void testStageEarlierThanConditionsIsAnError() {
        TempDir d;
        const auto f = d.write("a.conf", R"(rules = (
  { name = "r"; when = { rcpt = "a@b"; };
    stage = "mail"; action = "reject"; }
);)");
        const LoadResult r = load_policy(f);
        CPPUNIT_ASSERT_MESSAGE(dump(r), has(r, f, 3, "earlier than its conditions"));
    }

    void testBareInetSocketIsRefused() {
        TempDir d;
        const auto f = d.write("a.conf", R"(daemon = { socket = "inet:8890"; };
rules = ( { name = "r"; action = "accept"; } );)");
        const LoadResult r = load_policy(f);
        CPPUNIT_ASSERT(!r.ok());
        CPPUNIT_ASSERT_MESSAGE(dump(r), has(r, f, 1, "every interface"));
    }

    void testIncludeErrorNamesTheIncludedFile() {
        TempDir d;
        const auto inc = d.write("rules.d/extra.inc", R"({ name = "good"; action = "accept"; },
{ name = "bad"; action = "reject"; reply = { code = 550; enhanced = "4.7.1"; }; }
)");
        const auto f = d.write("a.conf", "rules = (\n@include \"rules.d/extra.inc\"\n);\n");
        const LoadResult r = load_policy(f);
        CPPUNIT_ASSERT(!r.ok());
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), r.rule_count);
        CPPUNIT_ASSERT_MESSAGE(dump(r), has(r, inc, 2, "4.7.1"));
        const auto g = d.write("b.conf", "rules = (\n@include \"rules.d/broken.inc\"\n);\n");
        const auto broken = d.write("rules.d/broken.inc", "{ name = \"x\"; action = ; }\n");
        const LoadResult p = load_policy(g);
        CPPUNIT_ASSERT(!p.ok());
        CPPUNIT_ASSERT_EQUAL_MESSAGE(dump(p), broken, p.diagnostics.at(0).file);
        CPPUNIT_ASSERT_EQUAL(1, p.diagnostics.at(0).line);
    }

    // The loader reads every @include itself (config/source_text.hpp) with
    // libconfig 1.5's rule: at the start of a line, outside comments and
    // strings; lines after an included file are still the main file's.
    void testIncludeIsExpandedAsLibconfigWould() {
        TempDir d;
        const auto inc = d.write("r.inc",
                                 "{ name = \"a\"; action = \"accept\"; },\n"
                                 "{ name = \"b\";\n  action = \"accept\"; }\n");
        const auto f = d.write("a.conf",
                               "policy = { monitor = false; };\n"                 // 1
                               "rules = (\n"                                      // 2
                               "  @include \"r.inc\"\n"                           // 3
                               ", { name = \"c\"; action = \"rejekt\"; }\n"       // 4
                               ");\n"                                             // 5
                               "/*\n@include \"not-there.inc\"\n*/\n"             // 6-8
                               "# @include \"not-there.inc\"\n"                   // 9
                               "x = \"\n@include \\\"not-there.inc\\\"\n\";\n");  // 10-12
        const LoadResult r = load_policy(f);
        CPPUNIT_ASSERT(!r.ok());
        CPPUNIT_ASSERT_EQUAL_MESSAGE(dump(r), std::size_t(3), r.rule_count);
        CPPUNIT_ASSERT_MESSAGE(dump(r), has(r, f, 4, "unknown action 'rejekt'"));
        CPPUNIT_ASSERT_MESSAGE(dump(r), has(r, f, 10, "unknown key 'x'"));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(dump(r), std::size_t(2), r.diagnostics.size());
        // A rule from the included file keeps its own file and line.
        const auto g = d.write("b.conf", "rules = (\n@include \"r.inc\"\n);\n");
        const LoadResult ok = load_policy(g);
        CPPUNIT_ASSERT_MESSAGE(dump(ok), ok.ok());
        CPPUNIT_ASSERT_EQUAL(inc, ok.policy->rules.at(1).file);
        CPPUNIT_ASSERT_EQUAL(2, ok.policy->rules.at(1).line);
    }

    // A FIFO would block libconfig's fopen(3) forever (issue 29 point 3).
    void testIncludeOfAFifoIsRefusedWithoutOpeningIt() {
        TempDir d;
        const auto fifo = d.path() + "/r.inc";
        CPPUNIT_ASSERT_EQUAL(0, ::mkfifo(fifo.c_str(), 0600));
        const auto f = d.write("a.conf", "rules = (\n@include \"r.inc\"\n);\n");
        const LoadResult r = load_policy(f);
        CPPUNIT_ASSERT(!r.ok());
        CPPUNIT_ASSERT_MESSAGE(dump(r), has(r, f, 2,
                                            "cannot open include file 'r.inc': a FIFO, not a "
                                            "regular file"));
    }

    void testSeveralErrorsAreReportedInOneRun() {
        TempDir d;
        const auto f = d.write("a.conf", R"(daemon = { timeout = 0; };
rules = (
  { name = "a"; action = "rejekt"; },
  { name = "b"; when = { helo = "x"; }; action = "reject"; reply = { code = 450; }; },
  { name = "c"; when = { client_addr = "@none"; }; action = "accept"; }
);)");
        const LoadResult r = load_policy(f);
        CPPUNIT_ASSERT(!r.ok());
        CPPUNIT_ASSERT(has(r, f, 1, "timeout"));
        CPPUNIT_ASSERT(has(r, f, 3, "unknown action 'rejekt'"));
        CPPUNIT_ASSERT(has(r, f, 4, "450"));
        CPPUNIT_ASSERT(has(r, f, 5, "unknown list"));
        CPPUNIT_ASSERT_EQUAL(std::size_t(3), r.rule_count);
    }

    void testEmptyFileIsAnError() {
        TempDir d;
        const auto f = d.write("a.conf", "");
        const LoadResult r = load_policy(f);
        CPPUNIT_ASSERT(!r.ok());
        CPPUNIT_ASSERT(has(r, f, 0, "empty file"));
        const auto g = d.write("b.conf", "# nothing but a comment\n");
        CPPUNIT_ASSERT(has(load_policy(g), g, 0, "no settings"));
    }

    // No rules accepts every message: an error unless the file says
    // allow_empty (issue 29 point 4: an emptied rules file loaded as 0 rules).
    void testNoRulesIsAnErrorUnlessAllowEmpty() {
        TempDir d;
        const auto f = d.write("a.conf", "policy = { monitor = false; };\nrules = ();\n");
        const LoadResult r = load_policy(f);
        CPPUNIT_ASSERT(!r.ok());
        CPPUNIT_ASSERT_MESSAGE(dump(r), has(r, f, 2, "no rules: every message would be accepted"));
        CPPUNIT_ASSERT_MESSAGE(dump(r), has(r, f, 2, "allow_empty = true"));
        const auto g = d.write("b.conf", "policy = { monitor = false; };\n");
        CPPUNIT_ASSERT_MESSAGE(dump(load_policy(g)), has(load_policy(g), g, 0, "no rules"));
        // An emptied rules file behind an @include is the same.
        d.write("rules.inc", "");
        const auto h = d.write("c.conf", "rules = (\n@include \"rules.inc\"\n);\n");
        CPPUNIT_ASSERT_MESSAGE(dump(load_policy(h)), has(load_policy(h), h, 1, "no rules"));
        // Said on purpose: loads, without a diagnostic, also with --strict.
        const auto e = d.write("e.conf", "policy = { allow_empty = true; };\nrules = ();\n");
        LoadOptions strict;
        strict.strict = true;
        const LoadResult ok = load_policy(e, strict);
        CPPUNIT_ASSERT_MESSAGE(dump(ok), ok.ok());
        CPPUNIT_ASSERT(ok.diagnostics.empty());
        CPPUNIT_ASSERT(ok.policy->rules.empty());
        const auto n = d.write("n.conf", "policy = { allow_empty = true; };\n");
        CPPUNIT_ASSERT_MESSAGE(dump(load_policy(n)), load_policy(n).ok());
    }

    void testBinaryFileIsAnError() {
        TempDir d;
        const auto f = d.write("a.conf", std::string("rules = (\n\x7f"
                                                     "ELF\0\x01\x02",
                                                     16));
        const LoadResult r = load_policy(f);
        CPPUNIT_ASSERT(!r.ok());
        CPPUNIT_ASSERT_MESSAGE(dump(r), has(r, f, 2, "binary data"));
    }

    void testTruncatedFileIsASyntaxErrorAtTheEnd() {
        TempDir d;
        const auto f =
            d.write("a.conf",
                    "rules = (\n  { name = \"a\"; action = \"accept\"; },\n  { name = \"b\"; act");
        const LoadResult r = load_policy(f);
        CPPUNIT_ASSERT(!r.ok());
        CPPUNIT_ASSERT_MESSAGE(dump(r), has(r, f, 3, "end of file"));
    }

    void testGarbageFileIsASyntaxError() {
        TempDir d;
        const auto f = d.write("a.conf", "this is { not ] a configuration\n");
        const LoadResult r = load_policy(f);
        CPPUNIT_ASSERT(!r.ok());
        CPPUNIT_ASSERT_MESSAGE(dump(r), has(r, f, 1, "syntax"));
    }

    void testMissingFileIsAnError() {
        TempDir d;
        const LoadResult r = load_policy(d.path() + "/none.conf");
        CPPUNIT_ASSERT(!r.ok());
        CPPUNIT_ASSERT(has(r, d.path() + "/none.conf", 0, "No such file"));
        const LoadResult dir = load_policy(d.path());
        CPPUNIT_ASSERT(has(dir, d.path(), 0, "not a regular file"));
    }

    void testHundredThousandRulesLoad() {
        TempDir d;
        std::string text =
            "lists = { nets = [\"192.0.2.0/24\", \"2001:db8::/32\"]; };\nrules = (\n";
        text.reserve(100000 * 120);
        for (int i = 0; i < 100000; ++i) {
            const std::string n = std::to_string(i);
            text += "{ name = \"r" + n + "\"; when = { client_addr = \"@nets\"; sender = \"u" + n +
                    "@example.org\"; }; action = \"reject\"; },\n";
        }
        text += "{ name = \"last\"; action = \"accept\"; }\n);\n";
        const auto f = d.write("big.conf", text);
        const auto start = std::chrono::steady_clock::now();
        const LoadResult r = load_policy(f);
        const auto secs =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        CPPUNIT_ASSERT_MESSAGE(dump(r), r.ok());
        CPPUNIT_ASSERT_EQUAL(std::size_t(100001), r.policy->rules.size());
        CPPUNIT_ASSERT_EQUAL(550, r.policy->rules[99999].reply.basic);
        // Linear work: seconds even under ASan; a quadratic step would take hours.
        CPPUNIT_ASSERT_MESSAGE(std::to_string(secs) + " s", secs < 60.0);
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(LoaderTest);
