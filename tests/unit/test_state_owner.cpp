// SPDX-License-Identifier: Apache-2.0
// test_state_owner.cpp - the daemon's store across reloads and at shutdown.
#include <cppunit/extensions/HelperMacros.h>

#include <filesystem>

#include "fake_milter_api.hpp"
#include "milter/state_owner.hpp"
#include "policy/state_conditions.hpp"

using namespace mv;
using namespace std::chrono_literals;

namespace {

std::shared_ptr<policy::Policy> stateful_policy(const std::string& file, std::size_t max = 1000) {
    auto p = std::make_shared<policy::Policy>();
    p->settings.state.file = file;
    p->settings.state.max_entries = max;
    p->state_slot->set_needed();
    return p;
}

}  // namespace

class StateOwnerTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(StateOwnerTest);
    CPPUNIT_TEST(testPolicyWithoutStatefulRulesOpensNoStore);
    CPPUNIT_TEST(testReloadWithSameSettingsKeepsTheStore);
    CPPUNIT_TEST(testChangedSettingsHandTheFileToANewStore);
    CPPUNIT_TEST(testStopSavesTheFile);
    CPPUNIT_TEST_SUITE_END();

    std::string dir_;

  public:
    void setUp() override {
        char tmpl[] = "/tmp/mv-state-owner-XXXXXX";
        CPPUNIT_ASSERT(mkdtemp(tmpl) != nullptr);
        dir_ = tmpl;
    }
    void tearDown() override { std::filesystem::remove_all(dir_); }

    void testPolicyWithoutStatefulRulesOpensNoStore() {
        milter::test::RecordingLogger log;
        milter::StateOwner owner(log);
        policy::Policy plain;
        owner.adopt(plain);
        CPPUNIT_ASSERT(owner.store() == nullptr);
        CPPUNIT_ASSERT(plain.state_slot->get() == nullptr);
    }

    void testReloadWithSameSettingsKeepsTheStore() {
        milter::test::RecordingLogger log;
        milter::StateOwner owner(log);
        auto first = stateful_policy(dir_ + "/state");
        owner.adopt(*first);
        auto second = stateful_policy(dir_ + "/state");
        owner.adopt(*second);
        CPPUNIT_ASSERT(first->state_slot->get() != nullptr);
        CPPUNIT_ASSERT(first->state_slot->get() == second->state_slot->get());
        CPPUNIT_ASSERT_EQUAL(0, log.count_containing("state settings changed"));
    }

    void testChangedSettingsHandTheFileToANewStore() {
        milter::test::RecordingLogger log;
        milter::StateOwner owner(log);
        auto first = stateful_policy(dir_ + "/state", 1000);
        owner.adopt(*first);
        state::RateRequest req;
        req.key = "k";
        req.windows = {{1h, 1}};
        CPPUNIT_ASSERT(first->state_slot->get()->rate(req).allowed);
        auto second = stateful_policy(dir_ + "/state", 2000);
        owner.adopt(*second);
        CPPUNIT_ASSERT(second->state_slot->get() != first->state_slot->get());
        CPPUNIT_ASSERT_EQUAL(1, log.count_containing("state settings changed"));
        // The old store was saved and the new one read it back.
        CPPUNIT_ASSERT(!second->state_slot->get()->rate(req).allowed);
    }

    void testStopSavesTheFile() {
        milter::test::RecordingLogger log;
        milter::StateOwner owner(log);
        auto p = stateful_policy(dir_ + "/state");
        owner.adopt(*p);
        owner.stop();
        CPPUNIT_ASSERT(std::filesystem::exists(dir_ + "/state"));
        CPPUNIT_ASSERT_EQUAL(1, log.count_containing("state saved"));
        milter::StateOwner broken(log);
        auto q = stateful_policy(dir_ + "/no/such/dir/state");
        broken.adopt(*q);
        broken.stop();
        CPPUNIT_ASSERT_EQUAL(1, log.count_containing("error: state: state file"));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(StateOwnerTest);
