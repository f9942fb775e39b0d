// SPDX-License-Identifier: Apache-2.0
// test_idn_loader.cpp - config::load_policy() with internationalised domains:
// either form is accepted in rules and list files and compiles into conditions
// that match either form of the value; only invalid IDNA is refused, at the
// entry's own file and line, naming the label.
#include <cppunit/extensions/HelperMacros.h>

#include <string>

#include "config/loader.hpp"
#include "config_scratch.hpp"
#include "policy/transaction.hpp"

namespace {

using mv::config::load_policy;
using mv::config::LoadResult;
using mv::policy::Match;
using mv::policy::Transaction;
using mv::test::dump;
using mv::test::has;
using mv::test::TempDir;

Match sender_match(const LoadResult& r, std::size_t rule, const std::string& sender) {
    Transaction t;
    t.sender = sender;
    return r.policy->rules.at(rule).when->match(t);
}

Match rcpt_match(const LoadResult& r, std::size_t rule, const std::string& rcpt) {
    Transaction t;
    t.current_rcpt = rcpt;
    t.recipients = {rcpt};
    return r.policy->rules.at(rule).when->match(t);
}

}  // namespace

class IdnConfigTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(IdnConfigTest);
    CPPUNIT_TEST(testULabelRuleIsAcceptedAndMatchesBothForms);
    CPPUNIT_TEST(testALabelRuleMatchesULabelMail);
    CPPUNIT_TEST(testListFileTakesEitherForm);
    CPPUNIT_TEST(testInvalidIdnaInARuleIsReportedAtItsLine);
    CPPUNIT_TEST(testInvalidIdnaInAListFileIsReportedAtItsLine);
    CPPUNIT_TEST(testBadUtf8InAListFileIsABadLine);
    CPPUNIT_TEST_SUITE_END();

  public:
    void testULabelRuleIsAcceptedAndMatchesBothForms() {
        TempDir d;
        const auto f = d.write("a.conf", R"(rules = (
  { name = "u"; when = { sender = { domain = "bücher.example"; }; }; action = "reject"; },
  { name = "s"; when = { rcpt = { subdomain = "MÜNCHEN.example"; }; }; action = "reject"; },
  { name = "e"; when = { sender = "a@bücher.example"; }; action = "reject"; }
);)");
        const LoadResult r = load_policy(f);
        CPPUNIT_ASSERT_MESSAGE(dump(r), r.ok());
        CPPUNIT_ASSERT_EQUAL(0, r.warnings());
        CPPUNIT_ASSERT(sender_match(r, 0, "x@bücher.example") == Match::Yes);
        CPPUNIT_ASSERT(sender_match(r, 0, "x@XN--BCHER-KVA.example") == Match::Yes);
        CPPUNIT_ASSERT(sender_match(r, 0, "x@bucher.example") == Match::No);
        CPPUNIT_ASSERT(rcpt_match(r, 1, "b@mx.xn--mnchen-3ya.example") == Match::Yes);
        CPPUNIT_ASSERT(rcpt_match(r, 1, "b@münchen.example") == Match::Yes);
        CPPUNIT_ASSERT(rcpt_match(r, 1, "b@xn--mnchen-3ya.example.org") == Match::No);
        CPPUNIT_ASSERT(sender_match(r, 2, "a@xn--bcher-kva.example") == Match::Yes);
        CPPUNIT_ASSERT(sender_match(r, 2, "b@xn--bcher-kva.example") == Match::No);
    }
    void testALabelRuleMatchesULabelMail() {
        // The case of issue 10: the A-label rule the man page used to advise.
        TempDir d;
        const auto f = d.write("a.conf", R"(rules = (
  { name = "a"; when = { sender = { domain = "xn--bcher-kva.example"; }; }; action = "reject"; }
);)");
        const LoadResult r = load_policy(f);
        CPPUNIT_ASSERT_MESSAGE(dump(r), r.ok());
        CPPUNIT_ASSERT(sender_match(r, 0, "a@bücher.example") == Match::Yes);
        CPPUNIT_ASSERT(sender_match(r, 0, "a@BÜCHER.EXAMPLE") == Match::Yes);
    }
    void testListFileTakesEitherForm() {
        TempDir d;
        d.write("doms.txt", "# blocked IDN senders\nbücher.example\nXN--MNCHEN-3YA.example\n");
        const auto f = d.write("a.conf", R"(lists = { doms = { file = "doms.txt"; }; };
rules = ( { name = "r"; when = { sender = { subdomain = "@doms"; }; }; action = "reject"; } );)");
        const LoadResult r = load_policy(f);
        CPPUNIT_ASSERT_MESSAGE(dump(r), r.ok());
        CPPUNIT_ASSERT(sender_match(r, 0, "a@mail.xn--bcher-kva.example") == Match::Yes);
        CPPUNIT_ASSERT(sender_match(r, 0, "a@münchen.example") == Match::Yes);
        CPPUNIT_ASSERT(sender_match(r, 0, "a@example") == Match::No);
    }
    void testInvalidIdnaInARuleIsReportedAtItsLine() {
        TempDir d;
        const auto f = d.write("a.conf", R"(rules = (
  { name = "ok"; when = { sender = { domain = "bücher.example"; }; }; action = "reject"; },
  { name = "a"; when = { sender = { domain = "xn--zz.example"; }; }; action = "reject"; },
  { name = "u"; when = { helo = { subdomain = "☃\U0001F4A9.example"; }; }; action = "reject"; },
  { name = "e"; when = { rcpt = "b@xn--zz.example"; }; action = "reject"; }
);)");
        const LoadResult r = load_policy(f);
        CPPUNIT_ASSERT(!r.ok());
        CPPUNIT_ASSERT_MESSAGE(dump(r),
                               has(r, f, 3,
                                   "bad domain 'xn--zz.example': label 'xn--zz' is not a valid "
                                   "A-label"));
        CPPUNIT_ASSERT_MESSAGE(dump(r), has(r, f, 4, "is not valid IDNA"));
        CPPUNIT_ASSERT_MESSAGE(dump(r), has(r, f, 5, "bad address 'b@xn--zz.example'"));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(dump(r), 3, r.errors());
    }
    void testInvalidIdnaInAListFileIsReportedAtItsLine() {
        TempDir d;
        const auto list =
            d.write("doms.txt", "bücher.example\nxn--bcher-kvb.example\nok.example\n");
        const auto f = d.write("a.conf", R"(lists = { doms = { file = "doms.txt"; }; };
rules = ( { name = "r"; when = { sender = { domain = "@doms"; }; }; action = "reject"; } );)");
        const LoadResult r = load_policy(f);
        CPPUNIT_ASSERT(!r.ok());
        CPPUNIT_ASSERT_MESSAGE(dump(r), has(r, list, 2,
                                            "label 'xn--bcher-kvb' is not a valid "
                                            "A-label"));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(dump(r), 1, r.errors());
    }
    void testBadUtf8InAListFileIsABadLine() {
        TempDir d;
        const auto list = d.write("doms.txt",
                                  "b\xc3\xbc"
                                  "cher.example\nb\xfc"
                                  "cher.example\n");
        const auto f = d.write("a.conf", R"(lists = { doms = { file = "doms.txt"; }; };
rules = ( { name = "r"; when = { sender = { domain = "@doms"; }; }; action = "reject"; } );)");
        const LoadResult r = load_policy(f);
        CPPUNIT_ASSERT(!r.ok());
        CPPUNIT_ASSERT_MESSAGE(dump(r),
                               has(r, list, 2, "bad line in list 'doms': not valid UTF-8"));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(dump(r), 1, r.errors());
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(IdnConfigTest);
