// SPDX-License-Identifier: Apache-2.0
// test_policy_store.cpp - atomic swap of the Policy in force.
#include <cppunit/extensions/HelperMacros.h>

#include <atomic>
#include <thread>

#include "milter/policy_store.hpp"

namespace mv::milter::test {

class PolicyStoreTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(PolicyStoreTest);
    CPPUNIT_TEST(testReplaceInstallsTheNewPolicy);
    CPPUNIT_TEST(testNullPolicyNeverReplacesAGoodOne);
    CPPUNIT_TEST(testPinnedPolicySurvivesReplace);
    CPPUNIT_TEST(testConcurrentReadersSeeAWholePolicy);
    CPPUNIT_TEST_SUITE_END();

    static policy::PolicyPtr with_socket(const std::string& s) {
        auto p = std::make_shared<policy::Policy>();
        p->settings.socket = s;
        return p;
    }

  public:
    void testReplaceInstallsTheNewPolicy() {
        PolicyStore store(with_socket("a"));
        CPPUNIT_ASSERT(store.replace(with_socket("b")));
        CPPUNIT_ASSERT_EQUAL(std::string("b"), store.current()->settings.socket);
    }
    void testNullPolicyNeverReplacesAGoodOne() {
        PolicyStore store(with_socket("a"));
        CPPUNIT_ASSERT(!store.replace(nullptr));
        CPPUNIT_ASSERT_EQUAL(std::string("a"), store.current()->settings.socket);
    }
    void testPinnedPolicySurvivesReplace() {
        PolicyStore store(with_socket("a"));
        const policy::PolicyPtr pinned = store.current();
        store.replace(with_socket("b"));
        CPPUNIT_ASSERT_EQUAL(std::string("a"), pinned->settings.socket);
    }
    void testConcurrentReadersSeeAWholePolicy() {
        PolicyStore store(with_socket("a"));
        std::atomic<int> bad{0};
        std::thread reader([&] {
            for (int i = 0; i < 20000; ++i) {
                const auto p = store.current();
                if (!p || (p->settings.socket != "a" && p->settings.socket != "b")) ++bad;
            }
        });
        for (int i = 0; i < 2000; ++i) store.replace(with_socket(i % 2 ? "a" : "b"));
        reader.join();
        CPPUNIT_ASSERT_EQUAL(0, bad.load());
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(PolicyStoreTest);

}  // namespace mv::milter::test
