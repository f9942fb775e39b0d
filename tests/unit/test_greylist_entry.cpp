// SPDX-License-Identifier: Apache-2.0
// test_greylist_entry.cpp - the greylisting rule shared by both stores.
#include <cppunit/extensions/HelperMacros.h>

#include "state/greylist_entry.hpp"

using namespace mv::state;
using namespace std::chrono_literals;

namespace {

GreylistRequest request(std::uint32_t client_after = 0) {
    GreylistRequest r;
    r.triplet = "t";
    r.client = "c";
    r.delay = 300s;
    r.expiry = 3600s;
    r.pass_lifetime = 86400s;
    r.client_after = client_after;
    return r;
}

}  // namespace

class GreylistEntryTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(GreylistEntryTest);
    CPPUNIT_TEST(testNewTripletIsDeferredForTheDelay);
    CPPUNIT_TEST(testEarlyRetryIsDeferredWithRemainingTime);
    CPPUNIT_TEST(testRetryAfterDelayPasses);
    CPPUNIT_TEST(testPassIsRememberedAndRenewed);
    CPPUNIT_TEST(testRetryAfterExpiryStartsOver);
    CPPUNIT_TEST(testPassIsForgottenAfterLifetime);
    CPPUNIT_TEST(testClientIsWhitelistedAfterEnoughPasses);
    CPPUNIT_TEST(testClientIgnoredWhenClientAfterIsZero);
    CPPUNIT_TEST_SUITE_END();

  public:
    void testNewTripletIsDeferredForTheDelay() {
        TripletState t;
        ClientState c;
        const GreylistResult r = apply_greylist(t, c, request(), 1000);
        CPPUNIT_ASSERT(r.outcome == GreylistOutcome::Deferred);
        CPPUNIT_ASSERT_EQUAL(std::int64_t(300'000), r.remaining.count());
        CPPUNIT_ASSERT(t.present && !t.passed);
        CPPUNIT_ASSERT_EQUAL(std::int64_t(1000 + 3'600'000), t.expires_ms);
    }

    void testEarlyRetryIsDeferredWithRemainingTime() {
        TripletState t;
        ClientState c;
        apply_greylist(t, c, request(), 0);
        const GreylistResult r = apply_greylist(t, c, request(), 120'000);
        CPPUNIT_ASSERT(r.outcome == GreylistOutcome::Deferred);
        CPPUNIT_ASSERT_EQUAL(std::int64_t(180'000), r.remaining.count());
        CPPUNIT_ASSERT_EQUAL(std::int64_t(0), t.first_ms);  // an early retry does not restart
    }

    void testRetryAfterDelayPasses() {
        TripletState t;
        ClientState c;
        apply_greylist(t, c, request(), 0);
        const GreylistResult r = apply_greylist(t, c, request(), 300'000);
        CPPUNIT_ASSERT(r.passes());
        CPPUNIT_ASSERT(t.passed);
        CPPUNIT_ASSERT_EQUAL(std::int64_t(300'000 + 86'400'000), t.expires_ms);
    }

    void testPassIsRememberedAndRenewed() {
        TripletState t;
        ClientState c;
        apply_greylist(t, c, request(), 0);
        apply_greylist(t, c, request(), 300'000);
        const GreylistResult r = apply_greylist(t, c, request(), 80'000'000);
        CPPUNIT_ASSERT(r.outcome == GreylistOutcome::Passed);
        CPPUNIT_ASSERT_EQUAL(std::int64_t(80'000'000 + 86'400'000), t.expires_ms);
    }

    void testRetryAfterExpiryStartsOver() {
        TripletState t;
        ClientState c;
        apply_greylist(t, c, request(), 0);
        const GreylistResult r = apply_greylist(t, c, request(), 3'600'000);
        CPPUNIT_ASSERT(r.outcome == GreylistOutcome::Deferred);
        CPPUNIT_ASSERT_EQUAL(std::int64_t(300'000), r.remaining.count());
        CPPUNIT_ASSERT_EQUAL(std::int64_t(3'600'000), t.first_ms);
    }

    void testPassIsForgottenAfterLifetime() {
        TripletState t;
        ClientState c;
        apply_greylist(t, c, request(), 0);
        apply_greylist(t, c, request(), 300'000);
        const GreylistResult r = apply_greylist(t, c, request(), 300'000 + 86'400'000);
        CPPUNIT_ASSERT(r.outcome == GreylistOutcome::Deferred);
    }

    void testClientIsWhitelistedAfterEnoughPasses() {
        ClientState c;
        for (int i = 0; i < 2; ++i) {
            TripletState t;
            auto req = request(2);
            req.triplet = "t" + std::to_string(i);
            apply_greylist(t, c, req, 0);
            CPPUNIT_ASSERT(apply_greylist(t, c, req, 300'000).outcome == GreylistOutcome::Passed);
        }
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(2), c.passes);
        TripletState fresh;
        const GreylistResult r = apply_greylist(fresh, c, request(2), 400'000);
        CPPUNIT_ASSERT(r.outcome == GreylistOutcome::Whitelisted);
        CPPUNIT_ASSERT(!fresh.present);
    }

    void testClientIgnoredWhenClientAfterIsZero() {
        TripletState t;
        ClientState c;
        apply_greylist(t, c, request(0), 0);
        apply_greylist(t, c, request(0), 300'000);
        CPPUNIT_ASSERT(!c.present);
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(GreylistEntryTest);
