// SPDX-License-Identifier: Apache-2.0
// test_resp_bound.cpp - RespBound refuses oversized Redis replies from their headers.
#include <cppunit/extensions/HelperMacros.h>

#include <string>

#include "state/resp_bound.hpp"

using namespace mv::state;

namespace {

// The stream fed whole, then one byte at a time: the same verdict ("" or not).
std::string scan_both(const std::string& stream, bool& same) {
    RespBound whole, bytes;
    const std::string a = whole.scan(stream);
    std::string b;
    for (char c : stream) {
        b = bytes.scan(std::string_view(&c, 1));
        if (!b.empty()) break;
    }
    same = a.empty() == b.empty();
    return a;
}

}  // namespace

class RespBoundTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(RespBoundTest);
    CPPUNIT_TEST(testHugeBulkHeaderIsRefusedAtItsEnd);
    CPPUNIT_TEST(testLengthsUpToTheBoundPass);
    CPPUNIT_TEST(testHugeAggregatesAreRefused);
    CPPUNIT_TEST(testPayloadIsNotReadAsHeaders);
    CPPUNIT_TEST(testRepliesTheStoreReadsPass);
    CPPUNIT_TEST_SUITE_END();

  public:
    void testHugeBulkHeaderIsRefusedAtItsEnd() {
        RespBound b;
        CPPUNIT_ASSERT_EQUAL(std::string(), b.scan("$2147483"));
        CPPUNIT_ASSERT_EQUAL(std::string(), b.scan("648\r"));
        const std::string why = b.scan("\n");  // before a byte of the payload
        CPPUNIT_ASSERT_EQUAL(std::string("a reply string of 2147483648 bytes announced (at most "
                                         "65536)"),
                             why);
        bool same = false;
        CPPUNIT_ASSERT(!scan_both("*1\r\n$99999999999999999999\r\n", same).empty());
        CPPUNIT_ASSERT(same);
        // RESP3 types with a length (hiredis 1.x reads them without HELLO 3).
        CPPUNIT_ASSERT(!RespBound().scan("=2147483648\r\n").empty());
        CPPUNIT_ASSERT(!RespBound().scan("!2147483648\r\n").empty());
    }
    void testLengthsUpToTheBoundPass() {
        bool same = false;
        const std::string max = "$" + std::to_string(kMaxReplyBytes) + "\r\n" +
                                std::string(kMaxReplyBytes, 'x') + "\r\n";
        CPPUNIT_ASSERT_EQUAL(std::string(), scan_both(max, same));
        CPPUNIT_ASSERT(same);
        CPPUNIT_ASSERT(
            !RespBound().scan("$" + std::to_string(kMaxReplyBytes + 1) + "\r\n").empty());
        CPPUNIT_ASSERT_EQUAL(std::string(), RespBound().scan("$-1\r\n+OK\r\n"));  // nil
    }
    void testHugeAggregatesAreRefused() {
        CPPUNIT_ASSERT(!RespBound().scan("*500000000\r\n").empty());
        CPPUNIT_ASSERT(!RespBound().scan("*2\r\n*1025\r\n").empty());
        CPPUNIT_ASSERT(!RespBound().scan("%1025\r\n").empty());
        CPPUNIT_ASSERT_EQUAL(std::string(), RespBound().scan("*1024\r\n:1\r\n"));
    }
    void testPayloadIsNotReadAsHeaders() {
        // A bulk string's bytes are skipped: "$9999999999" inside one is data.
        bool same = false;
        CPPUNIT_ASSERT_EQUAL(std::string(), scan_both("$13\r\n$9999999999\r\n\r\n:1\r\n", same));
        CPPUNIT_ASSERT(same);
        // A status line ends at "\r\n" as in hiredis, not at a lone '\n'.
        CPPUNIT_ASSERT_EQUAL(std::string(), RespBound().scan("+a\n$9999999999\r\n"));
        // and what follows its end is a header again.
        CPPUNIT_ASSERT(!RespBound().scan("+a\n$1\r\n$9999999999\r\n").empty());
    }
    void testRepliesTheStoreReadsPass() {
        for (const char* ok :
             {"+PONG\r\n", "*4\r\n:1\r\n:-1\r\n:0\r\n:1\r\n",
              "$40\r\n0123456789012345678901234567890123456789\r\n",
              "*2\r\n$9\r\n127.0.0.1\r\n$4\r\n6379\r\n", "-NOSCRIPT No matching\r\n",
              "*3\r\n$6\r\nmaster\r\n:42\r\n*1\r\n*3\r\n$9\r\n127.0.0.1\r\n$4\r\n"
              "6380\r\n$2\r\n42\r\n"}) {
            bool same = false;
            CPPUNIT_ASSERT_EQUAL_MESSAGE(ok, std::string(), scan_both(ok, same));
            CPPUNIT_ASSERT(same);
        }
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(RespBoundTest);
