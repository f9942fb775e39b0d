// SPDX-License-Identifier: Apache-2.0
// test_memory_store.cpp - the embedded store: windows, expiry, eviction, persistence, threads.
#include <cppunit/extensions/HelperMacros.h>

#include <filesystem>
#include <fstream>

#include "state/memory_store.hpp"
#include "store_checks.hpp"

using namespace mv::state;
using namespace std::chrono_literals;

namespace {

RateRequest limit_request(const std::string& key, std::uint64_t limit, Duration length = 60s) {
    RateRequest r;
    r.key = key;
    r.windows = {{length, limit}};
    return r;
}

GreylistRequest grey_request(const std::string& triplet) {
    GreylistRequest r;
    r.triplet = triplet;
    r.delay = 300s;
    r.expiry = 3600s;
    r.pass_lifetime = 86400s;
    return r;
}

}  // namespace

class MemoryStoreTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(MemoryStoreTest);
    CPPUNIT_TEST(testLimitIsEnforcedPerKey);
    CPPUNIT_TEST(testWindowReopensWhenFakeClockPassesIt);
    CPPUNIT_TEST(testGreylistLifeCycle);
    CPPUNIT_TEST(testSameKeyForRateAndGreylistDoesNotCollide);
    CPPUNIT_TEST(testExpiredEntriesAreSwept);
    CPPUNIT_TEST(testFullStoreEvictsLeastRecentlyUsed);
    CPPUNIT_TEST(testCountersAndPassesSurviveRestart);
    CPPUNIT_TEST(testCorruptFileIsSetAsideAndStoreStartsEmpty);
    CPPUNIT_TEST(testBadRequestIsAnErrorResult);
    CPPUNIT_TEST(testParallelCallersAcceptExactlyTheLimit);
    CPPUNIT_TEST(testMaintenanceSavesPeriodically);
    CPPUNIT_TEST_SUITE_END();

    std::string dir_;
    std::shared_ptr<FakeClock> clock_;

    std::unique_ptr<MemoryStore> make(std::size_t max_entries = 1000, std::size_t shards = 4) {
        MemoryOptions o;
        o.max_entries = max_entries;
        o.shards = shards;
        o.file = dir_ + "/state";
        return std::make_unique<MemoryStore>(o, clock_);
    }

  public:
    void setUp() override {
        char tmpl[] = "/tmp/mv-memory-store-XXXXXX";
        CPPUNIT_ASSERT(mkdtemp(tmpl) != nullptr);
        dir_ = tmpl;
        clock_ = std::make_shared<FakeClock>();
    }
    void tearDown() override { std::filesystem::remove_all(dir_); }

    void testLimitIsEnforcedPerKey() {
        auto store = make();
        CPPUNIT_ASSERT(store->rate(limit_request("a", 2)).allowed);
        CPPUNIT_ASSERT(store->rate(limit_request("a", 2)).allowed);
        const RateResult r = store->rate(limit_request("a", 2));
        CPPUNIT_ASSERT(r.ok() && !r.allowed);
        CPPUNIT_ASSERT(r.retry_after == 60s);
        CPPUNIT_ASSERT(store->rate(limit_request("b", 2)).allowed);
    }

    void testWindowReopensWhenFakeClockPassesIt() {
        auto store = make();
        store->rate(limit_request("a", 1));
        clock_->advance(59s);
        CPPUNIT_ASSERT(!store->rate(limit_request("a", 1)).allowed);
        clock_->advance(1s);
        CPPUNIT_ASSERT(store->rate(limit_request("a", 1)).allowed);
    }

    void testGreylistLifeCycle() {
        auto store = make();
        CPPUNIT_ASSERT_EQUAL(std::string(),
                             testing::check_greylist_cycle(*store, *clock_, "192.0.2.0/24|a|b"));
    }

    void testSameKeyForRateAndGreylistDoesNotCollide() {
        auto store = make();
        CPPUNIT_ASSERT(store->rate(limit_request("k", 1)).allowed);
        CPPUNIT_ASSERT(store->greylist(grey_request("k")).outcome == GreylistOutcome::Deferred);
        CPPUNIT_ASSERT(!store->rate(limit_request("k", 1)).allowed);
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), store->size());
    }

    void testExpiredEntriesAreSwept() {
        auto store = make();
        store->rate(limit_request("a", 5, 60s));
        store->rate(limit_request("b", 5, 600s));
        store->greylist(grey_request("t"));  // pending: expires after 3600 s
        CPPUNIT_ASSERT_EQUAL(std::size_t(3), store->size());
        clock_->advance(60s);
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), store->sweep());
        clock_->advance(3540s);
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), store->sweep());
        CPPUNIT_ASSERT_EQUAL(std::size_t(0), store->size());
    }

    void testFullStoreEvictsLeastRecentlyUsed() {
        auto store = make(3, 1);
        store->rate(limit_request("a", 1));
        store->rate(limit_request("b", 1));
        store->rate(limit_request("c", 1));
        store->rate(limit_request("a", 1));  // refused, but "a" is now the most recent
        store->rate(limit_request("d", 1));  // evicts "b"
        CPPUNIT_ASSERT_EQUAL(std::size_t(3), store->size());
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(1), store->evictions());
        CPPUNIT_ASSERT(!store->rate(limit_request("a", 1)).allowed);  // kept
        CPPUNIT_ASSERT(store->rate(limit_request("b", 1)).allowed);   // forgotten
    }

    void testCountersAndPassesSurviveRestart() {
        {
            auto store = make();
            store->rate(limit_request("a", 2, 3600s));
            store->greylist(grey_request("t"));
            clock_->advance(300s);
            CPPUNIT_ASSERT(store->greylist(grey_request("t")).passes());
            CPPUNIT_ASSERT_EQUAL(std::string(), store->flush());
        }
        clock_->advance(10s);
        auto store = make();
        CPPUNIT_ASSERT_EQUAL(std::string(), store->load());
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), store->size());
        CPPUNIT_ASSERT(store->greylist(grey_request("t")).outcome == GreylistOutcome::Passed);
        // The counter came back with 1 of 2 used in its window.
        const RateResult second = store->rate(limit_request("a", 2, 3600s));
        CPPUNIT_ASSERT(second.allowed);
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(2), second.counts.at(0));
        const RateResult third = store->rate(limit_request("a", 2, 3600s));
        CPPUNIT_ASSERT(!third.allowed);
        CPPUNIT_ASSERT(third.retry_after == 3600s - 310s);
    }

    void testCorruptFileIsSetAsideAndStoreStartsEmpty() {
        std::ofstream(dir_ + "/state") << "milter-verdict-state 1\nr a 99999999999999 1 60000";
        auto store = make();
        const std::string msg = store->load();
        CPPUNIT_ASSERT(msg.find("truncated") != std::string::npos);
        CPPUNIT_ASSERT(msg.find(".corrupt-") != std::string::npos);
        CPPUNIT_ASSERT_EQUAL(std::size_t(0), store->size());
        CPPUNIT_ASSERT(!std::filesystem::exists(dir_ + "/state"));
        int aside = 0;
        for (const auto& f : std::filesystem::directory_iterator(dir_))
            aside += f.path().filename().string().rfind("state.corrupt-", 0) == 0;
        CPPUNIT_ASSERT_EQUAL(1, aside);
        // The store works and saves a good file again.
        CPPUNIT_ASSERT(store->rate(limit_request("a", 1)).allowed);
        CPPUNIT_ASSERT_EQUAL(std::string(), store->flush());
        CPPUNIT_ASSERT_EQUAL(std::string(), make()->load());
    }

    void testBadRequestIsAnErrorResult() {
        auto store = make();
        RateRequest none;
        none.key = "a";
        CPPUNIT_ASSERT(!store->rate(none).ok());
        RateRequest dup = limit_request("a", 1);
        dup.windows.push_back(dup.windows[0]);
        CPPUNIT_ASSERT(!store->rate(dup).ok());
        CPPUNIT_ASSERT(!store->rate(limit_request(std::string(kMaxKey + 1, 'x'), 1)).ok());
        GreylistRequest g = grey_request("t");
        g.expiry = g.delay;
        CPPUNIT_ASSERT(!store->greylist(g).ok());
        CPPUNIT_ASSERT_EQUAL(std::size_t(0), store->size());
    }

    void testParallelCallersAcceptExactlyTheLimit() {
        auto store = make(1000, 16);
        CPPUNIT_ASSERT_EQUAL(std::string(),
                             testing::check_concurrent_limit(*store, "hot", 16, 200, 1234));
    }

    void testMaintenanceSavesPeriodically() {
        auto store = make();
        store->rate(limit_request("a", 1));
        store->start_maintenance(20ms, nullptr);
        bool saved = false;
        for (int i = 0; i < 200 && !saved; ++i) {  // at most 2 s
            std::this_thread::sleep_for(10ms);
            saved = std::filesystem::exists(dir_ + "/state");
        }
        store->stop_maintenance();
        CPPUNIT_ASSERT(saved);
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(MemoryStoreTest);
