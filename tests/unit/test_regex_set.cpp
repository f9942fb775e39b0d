// SPDX-License-Identifier: Apache-2.0
// test_regex_set.cpp - RegexSet: partial match, anchoring, case, errors, many patterns.
#include <cppunit/extensions/HelperMacros.h>

#include <stdexcept>

#include "policy/regex_set.hpp"

using mv::policy::RegexSet;

class RegexSetTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(RegexSetTest);
    CPPUNIT_TEST(testPartialMatchUnlessAnchored);
    CPPUNIT_TEST(testCaseInsensitiveByChoice);
    CPPUNIT_TEST(testAnyOfManyPatternsMatches);
    CPPUNIT_TEST(testBadPatternThrowsNamingIt);
    CPPUNIT_TEST(testEmptySetMatchesNothing);
    CPPUNIT_TEST(testPathologicalPatternIsLinear);
    CPPUNIT_TEST(testCheckedMatchAgreesOnLongText);
    CPPUNIT_TEST_SUITE_END();

  public:
    void testCheckedMatchAgreesOnLongText() {
        RegexSet s({"verify your account", "bit\\.ly/[a-z0-9]+"}, true);
        const std::string body = std::string(60000, 'x') + " VERIFY your account ";
        CPPUNIT_ASSERT(s.match_checked(body) == RegexSet::Result::Yes);
        CPPUNIT_ASSERT(s.match_checked(std::string(60000, 'x')) == RegexSet::Result::No);
        CPPUNIT_ASSERT(RegexSet({}, true).match_checked("x") == RegexSet::Result::No);
    }
    void testPartialMatchUnlessAnchored() {
        RegexSet s({"spam"}, false);
        CPPUNIT_ASSERT(s.matches("xxspamxx"));
        RegexSet a({"^spam$"}, false);
        CPPUNIT_ASSERT(!a.matches("xxspamxx"));
        CPPUNIT_ASSERT(a.matches("spam"));
    }
    void testCaseInsensitiveByChoice() {
        RegexSet i({"^bulk"}, true);
        RegexSet c({"^bulk"}, false);
        CPPUNIT_ASSERT(i.matches("BULK@x"));
        CPPUNIT_ASSERT(!c.matches("BULK@x"));
    }
    void testAnyOfManyPatternsMatches() {
        std::vector<std::string> p;
        for (int i = 0; i < 1000; ++i) p.push_back("^user" + std::to_string(i) + "@");
        RegexSet s(p, true);
        CPPUNIT_ASSERT(s.matches("user999@example.com"));
        CPPUNIT_ASSERT(!s.matches("user1000@example.com"));
    }
    void testBadPatternThrowsNamingIt() {
        try {
            RegexSet s({"ok", "a(b"}, true);
            CPPUNIT_FAIL("no exception");
        } catch (const std::invalid_argument& e) {
            CPPUNIT_ASSERT(std::string(e.what()).find("bad regex 'a(b'") == 0);
        }
    }
    void testEmptySetMatchesNothing() {
        RegexSet s({}, true);
        CPPUNIT_ASSERT(s.empty());
        CPPUNIT_ASSERT(!s.matches(""));
        CPPUNIT_ASSERT(!s.matches("x"));
    }
    void testPathologicalPatternIsLinear() {
        // (a+)+$ backtracks exponentially in PCRE; RE2 answers at once.
        RegexSet s({"^(a+)+$"}, false);
        CPPUNIT_ASSERT(!s.matches(std::string(100000, 'a') + "b"));
        CPPUNIT_ASSERT(s.matches(std::string(100000, 'a')));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(RegexSetTest);
