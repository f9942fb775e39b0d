// SPDX-License-Identifier: Apache-2.0
// test_redis_replies.cpp - reading Redis replies (state/redis_replies.hpp), no server needed.
//
// Replies are built from RESP text by hiredis's own reader, the parser the
// store's connections use.
#include <cppunit/extensions/HelperMacros.h>
#include <hiredis/hiredis.h>

#include <memory>
#include <string>

#include "state/redis_connection.hpp"
#include "state/redis_replies.hpp"

using namespace mv::state;
using namespace std::chrono_literals;

namespace {

struct Parsed {
    std::unique_ptr<redisReply, decltype(&freeReplyObject)> reply{nullptr, freeReplyObject};
    explicit Parsed(const std::string& resp) {
        redisReader* r = redisReaderCreate();
        void* out = nullptr;
        if (redisReaderFeed(r, resp.data(), resp.size()) == REDIS_OK &&
            redisReaderGetReply(r, &out) == REDIS_OK)
            reply.reset(static_cast<redisReply*>(out));
        redisReaderFree(r);
    }
    const redisReply* get() const { return reply.get(); }
};

RateRequest two_windows() {
    RateRequest r;
    r.key = "k";
    r.windows = {{60s, 3}, {3600s, 100}};
    return r;
}

GreylistRequest five_minutes() {
    GreylistRequest g;
    g.triplet = "t";
    g.delay = 300s;
    g.expiry = 3600s;
    g.pass_lifetime = 86400s;
    return g;
}

}  // namespace

class RedisRepliesTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(RedisRepliesTest);
    CPPUNIT_TEST(testRateReplyIsRead);
    CPPUNIT_TEST(testRateReplyOfTheWrongShapeIsAnError);
    CPPUNIT_TEST(testRateFieldsOutOfRangeAreErrors);
    CPPUNIT_TEST(testRateWaitIsBoundedByTheLongestWindow);
    CPPUNIT_TEST(testGreylistReplyIsRead);
    CPPUNIT_TEST(testGreylistRemainingIsBoundedByTheDelay);
    CPPUNIT_TEST(testMasterAddressIsRead);
    CPPUNIT_TEST(testBadMasterAddressesAreErrors);
    CPPUNIT_TEST(testRoleIsTheFirstElement);
    CPPUNIT_TEST(testBoundedReaderRefusesAHugeArrayBeforeAllocating);
    CPPUNIT_TEST_SUITE_END();

  public:
    void testRateReplyIsRead() {
        RateResult out;
        const Parsed p("*5\r\n:0\r\n:0\r\n:42000\r\n:3\r\n:17\r\n");
        CPPUNIT_ASSERT_EQUAL(std::string(), read_rate_reply(p.get(), two_windows(), out));
        CPPUNIT_ASSERT(!out.allowed);
        CPPUNIT_ASSERT_EQUAL(0, out.exceeded);
        CPPUNIT_ASSERT(out.retry_after == 42s);
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), out.counts.size());
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(17), out.counts[1]);
    }
    void testRateReplyOfTheWrongShapeIsAnError() {
        for (const char* resp : {"$-1\r\n", "-ERR boom\r\n", "*3\r\n:1\r\n:-1\r\n:0\r\n",
                                 "*5\r\n:1\r\n:-1\r\n$1\r\n0\r\n:1\r\n:1\r\n",
                                 "*6\r\n:1\r\n:-1\r\n:0\r\n:1\r\n:1\r\n:1\r\n"}) {
            RateResult out;
            const std::string err = read_rate_reply(Parsed(resp).get(), two_windows(), out);
            CPPUNIT_ASSERT_MESSAGE(resp,
                                   err.rfind("unexpected reply from the rate script", 0) == 0);
        }
    }
    void testRateFieldsOutOfRangeAreErrors() {
        for (const char* resp : {"*5\r\n:2\r\n:-1\r\n:0\r\n:1\r\n:1\r\n",      // allowed
                                 "*5\r\n:0\r\n:2\r\n:1000\r\n:1\r\n:1\r\n",    // window index
                                 "*5\r\n:0\r\n:-2\r\n:1000\r\n:1\r\n:1\r\n",   // window index
                                 "*5\r\n:1\r\n:-1\r\n:0\r\n:-1\r\n:1\r\n"}) {  // count
            RateResult out;
            CPPUNIT_ASSERT_MESSAGE(
                resp, !read_rate_reply(Parsed(resp).get(), two_windows(), out).empty());
        }
    }
    void testRateWaitIsBoundedByTheLongestWindow() {
        RateResult out;
        const Parsed huge("*5\r\n:0\r\n:1\r\n:9223372036854775807\r\n:3\r\n:100\r\n");
        CPPUNIT_ASSERT_EQUAL(std::string(), read_rate_reply(huge.get(), two_windows(), out));
        CPPUNIT_ASSERT(out.retry_after == 3600s);
        const Parsed negative("*5\r\n:0\r\n:1\r\n:-5000\r\n:3\r\n:100\r\n");
        CPPUNIT_ASSERT_EQUAL(std::string(), read_rate_reply(negative.get(), two_windows(), out));
        CPPUNIT_ASSERT(out.retry_after == 0s);
    }
    void testGreylistReplyIsRead() {
        GreylistResult out;
        CPPUNIT_ASSERT_EQUAL(
            std::string(),
            read_greylist_reply(Parsed("*2\r\n:0\r\n:120000\r\n").get(), five_minutes(), out));
        CPPUNIT_ASSERT(out.outcome == GreylistOutcome::Deferred);
        CPPUNIT_ASSERT(out.remaining == 120s);
        CPPUNIT_ASSERT(
            !read_greylist_reply(Parsed("*2\r\n:3\r\n:0\r\n").get(), five_minutes(), out).empty());
        CPPUNIT_ASSERT(
            !read_greylist_reply(Parsed("*1\r\n:1\r\n").get(), five_minutes(), out).empty());
    }
    void testGreylistRemainingIsBoundedByTheDelay() {
        GreylistResult out;
        read_greylist_reply(Parsed("*2\r\n:0\r\n:9223372036854775807\r\n").get(), five_minutes(),
                            out);
        CPPUNIT_ASSERT(out.remaining == 300s);
        read_greylist_reply(Parsed("*2\r\n:0\r\n:-1\r\n").get(), five_minutes(), out);
        CPPUNIT_ASSERT(out.remaining == 0s);
    }
    void testMasterAddressIsRead() {
        std::string host;
        int port = 0;
        CPPUNIT_ASSERT_EQUAL(
            std::string(),
            read_master_address(Parsed("*2\r\n$9\r\n127.0.0.1\r\n$4\r\n6380\r\n").get(), host,
                                port));
        CPPUNIT_ASSERT_EQUAL(std::string("127.0.0.1"), host);
        CPPUNIT_ASSERT_EQUAL(6380, port);
    }
    void testBadMasterAddressesAreErrors() {
        std::string host = "unchanged";
        int port = 1;
        CPPUNIT_ASSERT_EQUAL(std::string("the sentinel does not know this master"),
                             read_master_address(Parsed("*-1\r\n").get(), host, port));
        for (const char* resp :
             {"-ERR unknown\r\n", "*1\r\n$1\r\nh\r\n", "*2\r\n$1\r\nh\r\n:6379\r\n",
              "*2\r\n$1\r\nh\r\n$5\r\n65536\r\n", "*2\r\n$1\r\nh\r\n$2\r\n-1\r\n",
              "*2\r\n$3\r\na b\r\n$4\r\n6379\r\n", "*2\r\n$0\r\n\r\n$4\r\n6379\r\n"})
            CPPUNIT_ASSERT_MESSAGE(resp,
                                   !read_master_address(Parsed(resp).get(), host, port).empty());
        CPPUNIT_ASSERT_EQUAL(std::string("unchanged"), host);
        CPPUNIT_ASSERT_EQUAL(1, port);
    }
    void testRoleIsTheFirstElement() {
        CPPUNIT_ASSERT_EQUAL(std::string("master"),
                             read_role(Parsed("*3\r\n$6\r\nmaster\r\n:0\r\n*0\r\n").get()));
        CPPUNIT_ASSERT_EQUAL(std::string("slave"),
                             read_role(Parsed("*2\r\n$5\r\nslave\r\n$1\r\nx\r\n").get()));
        CPPUNIT_ASSERT_EQUAL(std::string(), read_role(Parsed("+OK\r\n").get()));
        CPPUNIT_ASSERT_EQUAL(std::string(), read_role(Parsed("*0\r\n").get()));
    }
    void testBoundedReaderRefusesAHugeArrayBeforeAllocating() {
        auto read = [](const std::string& resp, bool& refused) {
            redisReader* r = redisReaderCreate();
            BoundedReader bound;
            bound_reader(r, bound);
            void* out = nullptr;
            redisReaderFeed(r, resp.data(), resp.size());
            const int rc = redisReaderGetReply(r, &out);
            if (out) freeReplyObject(out);
            refused = bound.refused;
            redisReaderFree(r);
            return rc;
        };
        bool refused = false;
        // 500 million elements announced: refused at the header, no 4 GB calloc.
        CPPUNIT_ASSERT_EQUAL(REDIS_ERR, read("*500000000\r\n:1\r\n", refused));
        CPPUNIT_ASSERT(refused);
        std::string ok = "*" + std::to_string(kMaxReplyElements) + "\r\n";
        for (int i = 0; i < kMaxReplyElements; ++i) ok += ":1\r\n";
        CPPUNIT_ASSERT_EQUAL(REDIS_OK, read(ok, refused));
        CPPUNIT_ASSERT(!refused);
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(RedisRepliesTest);
