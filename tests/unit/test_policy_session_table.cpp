// SPDX-License-Identifier: Apache-2.0
// test_policy_session_table.cpp - SessionTable: identity lookup, LRU bound,
// idle expiry, and the old policy freed when its sessions are swept.
#include <cppunit/extensions/HelperMacros.h>

#include <chrono>
#include <memory>

#include "policy/policy.hpp"
#include "policy_service/session_table.hpp"

namespace mv::policy_service::test {

class SessionTableTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(SessionTableTest);
    CPPUNIT_TEST(testSameKeyFindsTheSameEntry);
    CPPUNIT_TEST(testLeastRecentlyUsedIsDroppedAtCapacity);
    CPPUNIT_TEST(testStaleEntryStartsAfresh);
    CPPUNIT_TEST(testSweepFreesThePolicyOfIdleSessions);
    CPPUNIT_TEST_SUITE_END();

    using Clock = std::chrono::steady_clock;
    Clock::time_point t0_ = Clock::now();

  public:
    void testSameKeyFindsTheSameEntry() {
        SessionTable t(4, std::chrono::seconds(60));
        auto a = t.find("a", t0_);
        a->rcpts = 7;
        CPPUNIT_ASSERT_EQUAL(std::size_t(7), t.find("a", t0_ + std::chrono::seconds(1))->rcpts);
        CPPUNIT_ASSERT(t.find("b", t0_) != a);
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), t.size());
    }

    void testLeastRecentlyUsedIsDroppedAtCapacity() {
        SessionTable t(3, std::chrono::seconds(60));
        t.find("a", t0_)->rcpts = 1;
        t.find("b", t0_)->rcpts = 2;
        t.find("c", t0_)->rcpts = 3;
        t.find("a", t0_);  // a is now the most recent
        t.find("d", t0_);  // drops b
        CPPUNIT_ASSERT_EQUAL(std::size_t(3), t.size());
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), t.find("a", t0_)->rcpts);
        CPPUNIT_ASSERT_EQUAL(std::size_t(3), t.find("c", t0_)->rcpts);
        CPPUNIT_ASSERT_EQUAL(std::size_t(0), t.find("b", t0_)->rcpts);  // new
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), t.evictions());
    }

    void testStaleEntryStartsAfresh() {
        SessionTable t(3, std::chrono::seconds(60));
        t.find("a", t0_)->rcpts = 5;
        CPPUNIT_ASSERT_EQUAL(std::size_t(0), t.find("a", t0_ + std::chrono::seconds(61))->rcpts);
        CPPUNIT_ASSERT_EQUAL(std::size_t(0), t.evictions());
    }

    void testSweepFreesThePolicyOfIdleSessions() {
        SessionTable t(100, std::chrono::seconds(60));
        auto policy = std::make_shared<policy::Policy>();
        std::weak_ptr<const policy::Policy> watch = policy;
        t.find("old", t0_)->session = std::make_unique<policy::Session>(policy);
        policy.reset();  // a reload replaced it; only the session holds it
        t.find("new", t0_ + std::chrono::seconds(50));
        t.sweep(t0_ + std::chrono::seconds(30));
        CPPUNIT_ASSERT(!watch.expired());
        t.sweep(t0_ + std::chrono::seconds(70));
        CPPUNIT_ASSERT(watch.expired());
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), t.size());
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(SessionTableTest);

}  // namespace mv::policy_service::test
