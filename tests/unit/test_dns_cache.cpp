// SPDX-License-Identifier: Apache-2.0
// test_dns_cache.cpp - the TTL cache (dns/cache.hpp): answers live exactly
// their TTL (clamped), failures and TTL 0 are never kept, the cache stays
// within its entry and byte bounds by evicting the least recently used.
#include <cppunit/extensions/HelperMacros.h>

#include "dns/cache.hpp"
#include "dns/table_resolver.hpp"

using namespace mv::dns;
using std::chrono::seconds;

namespace {

Question q(const std::string& name, RrType t = RrType::A) {
    return {name, t};
}

}  // namespace

class DnsCacheTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(DnsCacheTest);
    CPPUNIT_TEST(testAnswerLivesItsTtl);
    CPPUNIT_TEST(testTtlIsClamped);
    CPPUNIT_TEST(testFailuresAndTtlZeroAreNotKept);
    CPPUNIT_TEST(testQuestionsDifferByType);
    CPPUNIT_TEST(testLeastRecentlyUsedGoesFirst);
    CPPUNIT_TEST(testByteBound);
    CPPUNIT_TEST(testDisabled);
    CPPUNIT_TEST_SUITE_END();

  public:
    void testAnswerLivesItsTtl() {
        auto clock = std::make_shared<ManualClock>();
        Cache c(CacheOptions{}, clock);
        c.put(q("2.0.0.127.zen.example"), records({"127.0.0.2"}, 300));
        auto a = c.get(q("2.0.0.127.zen.example"));
        CPPUNIT_ASSERT(a && a->records.at(0) == "127.0.0.2");
        CPPUNIT_ASSERT_EQUAL(300u, a->ttl);
        clock->advance(seconds(299));
        a = c.get(q("2.0.0.127.zen.example"));
        CPPUNIT_ASSERT(a);
        CPPUNIT_ASSERT_EQUAL(1u, a->ttl);  // what is left of it
        clock->advance(seconds(1));
        CPPUNIT_ASSERT(!c.get(q("2.0.0.127.zen.example")));
        const CacheCounters n = c.counters();
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(2), n.hits);
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(1), n.misses);
        CPPUNIT_ASSERT_EQUAL(std::size_t(0), n.entries);
    }

    void testTtlIsClamped() {
        auto clock = std::make_shared<ManualClock>();
        CacheOptions o;
        o.max_ttl = 60;
        o.max_negative_ttl = 10;
        Cache c(o, clock);
        c.put(q("a.example"), records({"192.0.2.1"}, 86400));
        c.put(q("b.example"), nxdomain(3600));
        c.put(q("c.example", RrType::MX), nodata(3600));
        clock->advance(seconds(10));
        CPPUNIT_ASSERT(c.get(q("a.example")));
        CPPUNIT_ASSERT(!c.get(q("b.example")));
        CPPUNIT_ASSERT(!c.get(q("c.example", RrType::MX)));
        clock->advance(seconds(50));
        CPPUNIT_ASSERT(!c.get(q("a.example")));
    }

    void testFailuresAndTtlZeroAreNotKept() {
        Cache c(CacheOptions{});
        c.put(q("a.example"), failure(Outcome::Timeout));
        c.put(q("b.example"), failure(Outcome::TempFail));
        c.put(q("c.example"), records({"192.0.2.1"}, 0));
        Answer bad = failure(Outcome::Malformed);
        bad.ttl = 300;
        c.put(q("d.example"), bad);
        for (const char* n : {"a.example", "b.example", "c.example", "d.example"})
            CPPUNIT_ASSERT_MESSAGE(n, !c.get(q(n)));
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(0), c.counters().insertions);
    }

    void testQuestionsDifferByType() {
        Cache c(CacheOptions{});
        c.put(q("example.org", RrType::MX), records({"0 ."}));
        CPPUNIT_ASSERT(!c.get(q("example.org", RrType::A)));
        CPPUNIT_ASSERT(c.get(q("example.org", RrType::MX)));
    }

    void testLeastRecentlyUsedGoesFirst() {
        CacheOptions o;
        o.max_entries = 3;
        Cache c(o);
        c.put(q("1.example"), records({"192.0.2.1"}));
        c.put(q("2.example"), records({"192.0.2.2"}));
        c.put(q("3.example"), records({"192.0.2.3"}));
        CPPUNIT_ASSERT(c.get(q("1.example")));  // 2 is now the least recently used
        c.put(q("4.example"), records({"192.0.2.4"}));
        CPPUNIT_ASSERT(!c.get(q("2.example")));
        CPPUNIT_ASSERT(c.get(q("1.example")) && c.get(q("3.example")) && c.get(q("4.example")));
        CPPUNIT_ASSERT_EQUAL(std::size_t(3), c.counters().entries);
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(1), c.counters().evictions);
    }

    void testByteBound() {
        CacheOptions o;
        o.max_bytes = 64 * 1024;
        Cache c(o);
        const std::string txt(1000, 't');
        for (int i = 0; i < 1000; ++i)
            c.put(q(std::to_string(i) + ".example", RrType::TXT), records({txt}));
        CPPUNIT_ASSERT(c.counters().bytes <= o.max_bytes);
        CPPUNIT_ASSERT(c.counters().entries > 10);
        // One answer bigger than max_bytes / 16 is not kept at all.
        std::vector<std::string> big(64, std::string(1000, 'x'));
        c.put(q("big.example", RrType::TXT), records(big));
        CPPUNIT_ASSERT(!c.get(q("big.example", RrType::TXT)));
    }

    void testDisabled() {
        CacheOptions o;
        o.max_entries = 0;
        Cache c(o);
        c.put(q("a.example"), records({"192.0.2.1"}));
        CPPUNIT_ASSERT(!c.get(q("a.example")));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(DnsCacheTest);
