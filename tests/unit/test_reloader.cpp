// SPDX-License-Identifier: Apache-2.0
// test_reloader.cpp - milter::Reloader: reloads on their own thread, requests
// folded while one runs, and a stop that a stuck reload cannot hold up
// (issue 29: a reload in progress never blocks SIGTERM).
#include <cppunit/extensions/HelperMacros.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>

#include "milter/reloader.hpp"

using mv::milter::Reloader;
using namespace std::chrono_literals;

namespace {

// A reload that waits until released: a file read that hangs.
struct Gate {
    std::mutex m;
    std::condition_variable cv;
    bool open = false;
    int entered = 0;
    void pass() {
        std::unique_lock<std::mutex> lock(m);
        ++entered;
        cv.notify_all();
        cv.wait(lock, [&] { return open; });
    }
    bool wait_entered(int n) {
        std::unique_lock<std::mutex> lock(m);
        return cv.wait_for(lock, 5s, [&] { return entered >= n; });
    }
    void release() {
        std::lock_guard<std::mutex> lock(m);
        open = true;
        cv.notify_all();
    }
};

}  // namespace

class ReloaderTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(ReloaderTest);
    CPPUNIT_TEST(testRequestRunsAReload);
    CPPUNIT_TEST(testRequestsDuringAReloadGiveOneMore);
    CPPUNIT_TEST(testStopIsNotHeldUpByAStuckReload);
    CPPUNIT_TEST_SUITE_END();

  public:
    void testRequestRunsAReload() {
        std::atomic<int> runs{0};
        Reloader r([&] { ++runs; });
        r.request();
        for (int i = 0; i < 500 && runs.load() == 0; ++i) std::this_thread::sleep_for(10ms);
        CPPUNIT_ASSERT_EQUAL(1, runs.load());
        CPPUNIT_ASSERT(r.stop());
    }

    void testRequestsDuringAReloadGiveOneMore() {
        auto gate = std::make_shared<Gate>();
        std::atomic<int> runs{0};
        Reloader r([&, gate] {
            ++runs;
            if (runs.load() == 1) gate->pass();
        });
        r.request();
        CPPUNIT_ASSERT(gate->wait_entered(1));
        r.request();  // three signals while the first reload runs
        r.request();
        r.request();
        gate->release();
        for (int i = 0; i < 500 && runs.load() < 2; ++i) std::this_thread::sleep_for(10ms);
        std::this_thread::sleep_for(100ms);
        CPPUNIT_ASSERT_EQUAL(2, runs.load());  // not lost, and folded into one
        CPPUNIT_ASSERT(r.stop());
    }

    void testStopIsNotHeldUpByAStuckReload() {
        auto gate = std::make_shared<Gate>();
        // The callback owns what it uses (the gate): it outlives the Reloader.
        auto r = std::make_unique<Reloader>([gate] { gate->pass(); });
        r->request();
        CPPUNIT_ASSERT(gate->wait_entered(1));
        const auto t0 = std::chrono::steady_clock::now();
        CPPUNIT_ASSERT(!r->stop(200ms));  // still reading: left behind
        const auto took = std::chrono::steady_clock::now() - t0;
        CPPUNIT_ASSERT(took < 2s);
        r.reset();
        gate->release();  // the left-behind thread ends on its own
        std::this_thread::sleep_for(50ms);
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(ReloaderTest);
