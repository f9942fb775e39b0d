// SPDX-License-Identifier: Apache-2.0
// test_reply_sender.cpp - '%' escaping and the setreply / setmlreply choice.
#include <cppunit/extensions/HelperMacros.h>

#include "fake_milter_api.hpp"
#include "milter/reply_sender.hpp"

namespace mv::milter::test {

class ReplySenderTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(ReplySenderTest);
    CPPUNIT_TEST(testPercentIsDoubled);
    CPPUNIT_TEST(testOneLineUsesSetReply);
    CPPUNIT_TEST(testTwoLinesUseSetMlReply);
    CPPUNIT_TEST(testThirtyTwoLinesAreSentAndThirtyThreeRefused);
    CPPUNIT_TEST(testLineBreakIsRefused);
    CPPUNIT_TEST(testEmptyOrNonRefusalCodeIsRefused);
    CPPUNIT_TEST_SUITE_END();

  public:
    void testPercentIsDoubled() {
        CPPUNIT_ASSERT_EQUAL(std::string("100%% sure %%s%%%%"), escape_percent("100% sure %s%%"));
        CPPUNIT_ASSERT_EQUAL(std::string("plain"), escape_percent("plain"));
    }
    void testOneLineUsesSetReply() {
        FakeMilterApi api;
        CPPUNIT_ASSERT(send_reply(api, codes::Reply{550, "5.7.1", {"no 50% off"}}));
        CPPUNIT_ASSERT_EQUAL(std::string("setreply"), api.calls.at(0));
        CPPUNIT_ASSERT_EQUAL(std::string("no 50%% off"), api.replies[0].lines[0]);
        CPPUNIT_ASSERT_EQUAL(std::string("5.7.1"), api.replies[0].xcode);
    }
    void testTwoLinesUseSetMlReply() {
        FakeMilterApi api;
        CPPUNIT_ASSERT(send_reply(api, codes::Reply{451, "4.7.1", {"a%", "b"}}));
        CPPUNIT_ASSERT_EQUAL(std::string("setmlreply"), api.calls.at(0));
        CPPUNIT_ASSERT_EQUAL(std::string("451"), api.replies[0].rcode);
        CPPUNIT_ASSERT_EQUAL(std::string("a%%"), api.replies[0].lines[0]);
        CPPUNIT_ASSERT_EQUAL(std::string("b"), api.replies[0].lines[1]);
    }
    void testThirtyTwoLinesAreSentAndThirtyThreeRefused() {
        FakeMilterApi api;
        codes::Reply r{550, "5.7.1", std::vector<std::string>(32, "x")};
        CPPUNIT_ASSERT(send_reply(api, r));
        r.lines.push_back("x");
        FakeMilterApi api2;
        CPPUNIT_ASSERT(!send_reply(api2, r));
        CPPUNIT_ASSERT(api2.calls.empty());
    }
    void testLineBreakIsRefused() {
        FakeMilterApi api;
        CPPUNIT_ASSERT(!send_reply(api, codes::Reply{550, "5.7.1", {"a\r\n250 ok"}}));
        CPPUNIT_ASSERT(api.calls.empty());
    }
    void testEmptyOrNonRefusalCodeIsRefused() {
        FakeMilterApi api;
        CPPUNIT_ASSERT(!send_reply(api, codes::Reply{}));
        CPPUNIT_ASSERT(!send_reply(api, codes::Reply{250, "2.0.0", {"ok"}}));
        CPPUNIT_ASSERT(api.calls.empty());
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(ReplySenderTest);

}  // namespace mv::milter::test
