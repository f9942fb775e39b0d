// SPDX-License-Identifier: Apache-2.0
// test_rate_window.cpp - the fixed-window counting rule shared by both stores.
#include <cppunit/extensions/HelperMacros.h>

#include "state/rate_window.hpp"

using namespace mv::state;
using namespace std::chrono_literals;

namespace {

RateRequest request(std::vector<Window> windows, std::uint64_t cost = 1, bool strict = false) {
    RateRequest r;
    r.key = "k";
    r.windows = std::move(windows);
    r.cost = cost;
    r.count_refused = strict;
    return r;
}

}  // namespace

class RateWindowTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(RateWindowTest);
    CPPUNIT_TEST(testEventsUpToTheLimitAreAllowed);
    CPPUNIT_TEST(testWindowOpensAtFirstEventAndReopensAfterItCloses);
    CPPUNIT_TEST(testRetryAfterIsTimeUntilWindowCloses);
    CPPUNIT_TEST(testLongerWindowRefusesWhenShortOneHasRoom);
    CPPUNIT_TEST(testLeakyLimitDoesNotCountRefusedAttempts);
    CPPUNIT_TEST(testStrictLimitCountsRefusedAttempts);
    CPPUNIT_TEST(testCostLargerThanRoomIsRefused);
    CPPUNIT_TEST(testZeroCostLooksWithoutCounting);
    CPPUNIT_TEST(testChangedWindowsKeepCountersOfKeptLengths);
    CPPUNIT_TEST(testExpiryIsEndOfLongestWindow);
    CPPUNIT_TEST_SUITE_END();

  public:
    void testEventsUpToTheLimitAreAllowed() {
        std::vector<WindowState> st;
        std::int64_t exp = 0;
        const auto req = request({{60s, 3}});
        for (int i = 0; i < 3; ++i) CPPUNIT_ASSERT(apply_rate(st, req, 1000 + i, exp).allowed);
        const RateResult r = apply_rate(st, req, 1010, exp);
        CPPUNIT_ASSERT(!r.allowed);
        CPPUNIT_ASSERT_EQUAL(0, r.exceeded);
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(3), r.counts.at(0));
    }

    void testWindowOpensAtFirstEventAndReopensAfterItCloses() {
        std::vector<WindowState> st;
        std::int64_t exp = 0;
        const auto req = request({{10s, 1}});
        CPPUNIT_ASSERT(apply_rate(st, req, 5000, exp).allowed);
        CPPUNIT_ASSERT(!apply_rate(st, req, 14999, exp).allowed);  // window [5000, 15000)
        const RateResult r = apply_rate(st, req, 15000, exp);
        CPPUNIT_ASSERT(r.allowed);
        CPPUNIT_ASSERT_EQUAL(std::int64_t(15000), st.at(0).start_ms);
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(1), r.counts.at(0));
    }

    void testRetryAfterIsTimeUntilWindowCloses() {
        std::vector<WindowState> st;
        std::int64_t exp = 0;
        const auto req = request({{60s, 1}});
        apply_rate(st, req, 100'000, exp);
        const RateResult r = apply_rate(st, req, 130'000, exp);
        CPPUNIT_ASSERT(!r.allowed);
        CPPUNIT_ASSERT_EQUAL(std::int64_t(30'000), r.retry_after.count());
    }

    void testLongerWindowRefusesWhenShortOneHasRoom() {
        std::vector<WindowState> st;
        std::int64_t exp = 0;
        const auto req = request({{60s, 2}, {3600s, 3}});
        CPPUNIT_ASSERT(apply_rate(st, req, 0, exp).allowed);
        CPPUNIT_ASSERT(apply_rate(st, req, 1, exp).allowed);
        CPPUNIT_ASSERT(apply_rate(st, req, 61'000, exp).allowed);  // minute reopened, hour at 3
        const RateResult r = apply_rate(st, req, 122'000, exp);
        CPPUNIT_ASSERT(!r.allowed);
        CPPUNIT_ASSERT_EQUAL(1, r.exceeded);
        CPPUNIT_ASSERT_EQUAL(std::int64_t(3'600'000 - 122'000), r.retry_after.count());
    }

    void testLeakyLimitDoesNotCountRefusedAttempts() {
        std::vector<WindowState> st;
        std::int64_t exp = 0;
        const auto req = request({{60s, 2}});
        for (int i = 0; i < 10; ++i) apply_rate(st, req, i, exp);
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(2), st.at(0).count);
    }

    void testStrictLimitCountsRefusedAttempts() {
        std::vector<WindowState> st;
        std::int64_t exp = 0;
        const auto req = request({{60s, 2}}, 1, true);
        for (int i = 0; i < 10; ++i) apply_rate(st, req, i, exp);
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(10), st.at(0).count);
        CPPUNIT_ASSERT(!apply_rate(st, req, 59'000, exp).allowed);
    }

    void testCostLargerThanRoomIsRefused() {
        std::vector<WindowState> st;
        std::int64_t exp = 0;
        CPPUNIT_ASSERT(apply_rate(st, request({{60s, 5}}, 3), 0, exp).allowed);
        CPPUNIT_ASSERT(!apply_rate(st, request({{60s, 5}}, 3), 1, exp).allowed);
        CPPUNIT_ASSERT(apply_rate(st, request({{60s, 5}}, 2), 2, exp).allowed);
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(5), st.at(0).count);
    }

    void testZeroCostLooksWithoutCounting() {
        std::vector<WindowState> st;
        std::int64_t exp = 0;
        apply_rate(st, request({{60s, 1}}), 0, exp);
        const RateResult look = apply_rate(st, request({{60s, 1}}, 0), 10, exp);
        CPPUNIT_ASSERT(look.allowed);
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(1), st.at(0).count);
        // A look at a fresh key does not open a window.
        std::vector<WindowState> fresh;
        apply_rate(fresh, request({{60s, 1}}, 0), 10, exp);
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(0), fresh.at(0).count);
        CPPUNIT_ASSERT(apply_rate(fresh, request({{60s, 1}}), 50'000, exp).allowed);
        CPPUNIT_ASSERT_EQUAL(std::int64_t(50'000), fresh.at(0).start_ms);
    }

    void testChangedWindowsKeepCountersOfKeptLengths() {
        std::vector<WindowState> st;
        std::int64_t exp = 0;
        apply_rate(st, request({{60s, 10}, {3600s, 100}}), 0, exp);
        apply_rate(st, request({{3600s, 100}, {86400s, 1000}}), 1, exp);
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), st.size());
        CPPUNIT_ASSERT_EQUAL(std::int64_t(3'600'000), st[0].length_ms);
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(2), st[0].count);
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(1), st[1].count);
    }

    void testExpiryIsEndOfLongestWindow() {
        std::vector<WindowState> st;
        std::int64_t exp = 0;
        apply_rate(st, request({{60s, 10}, {3600s, 100}}), 1000, exp);
        CPPUNIT_ASSERT_EQUAL(std::int64_t(1000 + 3'600'000), exp);
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(RateWindowTest);
