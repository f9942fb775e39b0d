// SPDX-License-Identifier: Apache-2.0
// test_reply.cpp - the wire form of a Reply.
#include <cppunit/extensions/HelperMacros.h>

#include "codes/reply.hpp"

using mv::codes::Reply;

class ReplyTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(ReplyTest);
    CPPUNIT_TEST(testSingleLineHasSpaceAfterCode);
    CPPUNIT_TEST(testMultiLineUsesDashUntilLastLine);
    CPPUNIT_TEST(testMissingEnhancedCodeIsLeftOut);
    CPPUNIT_TEST(testReplyWithoutTextIsOneBareLine);
    CPPUNIT_TEST(testEmptyReplyHasNoLines);
    CPPUNIT_TEST(testSummaryJoinsLinesForLogs);
    CPPUNIT_TEST_SUITE_END();

  public:
    void testSingleLineHasSpaceAfterCode() {
        const Reply r{550, "5.7.1", {"Refused"}};
        CPPUNIT_ASSERT(r.wire_lines() == std::vector<std::string>{"550 5.7.1 Refused"});
    }

    void testMultiLineUsesDashUntilLastLine() {
        const Reply r{451, "4.7.1", {"Greylisted", "try again", "later"}};
        const std::vector<std::string> want = {"451-4.7.1 Greylisted", "451-4.7.1 try again",
                                               "451 4.7.1 later"};
        CPPUNIT_ASSERT(r.wire_lines() == want);
    }

    void testMissingEnhancedCodeIsLeftOut() {
        const Reply r{554, "", {"No"}};
        CPPUNIT_ASSERT(r.wire_lines() == std::vector<std::string>{"554 No"});
    }

    void testReplyWithoutTextIsOneBareLine() {
        const Reply r{421, "4.7.0", {}};
        CPPUNIT_ASSERT(r.wire_lines() == std::vector<std::string>{"421 4.7.0 "});
    }

    void testEmptyReplyHasNoLines() {
        const Reply r;
        CPPUNIT_ASSERT(r.empty());
        CPPUNIT_ASSERT(r.wire_lines().empty());
        CPPUNIT_ASSERT_EQUAL(std::string(), r.summary());
    }

    void testSummaryJoinsLinesForLogs() {
        const Reply r{550, "5.7.1", {"a", "b"}};
        CPPUNIT_ASSERT_EQUAL(std::string("550-5.7.1 a / 550 5.7.1 b"), r.summary());
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(ReplyTest);
