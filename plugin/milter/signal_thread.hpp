// SPDX-License-Identifier: Apache-2.0
// signal_thread.hpp - the daemon's own signals, handled on one thread.
//
// libmilter's smfi_main() runs its own signal thread for SIGHUP, SIGTERM and
// SIGINT (all three stop the milter; DESIGN.md: libmilter takes SIGHUP as
// stop). SIGUSR1 is ours: block_daemon_signals() blocks SIGUSR1 and those
// three in the calling thread *before any thread is created*, so every
// thread (ours, libmilter's workers) inherits the mask and each signal is
// taken only by the thread that sigwait()s for it. SignalThread then waits
// for SIGUSR1 and calls `on_reload` (the daemon's only asks the Reloader for
// a reload, reloader.hpp: the reload itself never runs here, so a slow one
// cannot stop the watchdog ticks); with a watchdog interval it also calls
// `on_tick` at that interval (sigtimedwait timeout).
//
// Errors: on_reload/on_tick must not throw (an exception is caught and
// ignored so the thread survives).
//
// Thread contract: construct and destroy from the main thread; the callbacks
// run on the signal thread.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <optional>
#include <thread>

namespace mv::milter {

// Blocks SIGUSR1, SIGHUP, SIGTERM, SIGINT and ignores SIGPIPE; main thread, first.
void block_daemon_signals();

class SignalThread {
  public:
    SignalThread(std::function<void()> on_reload, std::function<void()> on_tick,
                 std::optional<std::chrono::microseconds> tick);
    ~SignalThread();  // stops and joins
    SignalThread(const SignalThread&) = delete;
    SignalThread& operator=(const SignalThread&) = delete;

  private:
    void run();

    std::function<void()> on_reload_, on_tick_;
    std::optional<std::chrono::microseconds> tick_;
    std::atomic<bool> stopping_{false};
    std::thread thread_;
};

}  // namespace mv::milter
