// SPDX-License-Identifier: Apache-2.0
// reloader.hpp - configuration reloads on a thread of their own.
//
// The signal thread only asks (request(), on SIGUSR1); the reload itself
// (reading and compiling the files, then switching) runs here, so that a
// slow one never holds up the watchdog ticks, and requests that arrive while
// a reload runs are folded into one more reload after it (the file as it is
// then), never lost. stop() tells the thread to end and waits for it at most
// `bound`: a reload stuck reading a file (a hung network file system) does
// not keep the daemon from stopping. The caller must then not destroy what
// the reload uses: it ends the process with _exit once it has saved its
// state (daemon.cpp). The reload callback itself checks, under the daemon's
// switch lock, that the daemon is not stopping before it switches anything.
//
// Errors: an exception from the callback is caught and ignored.
//
// Thread contract: construct, request() (any thread, async-signal-safe it is
// not: the signal thread calls it after sigwait) and stop() from one owner;
// the callback runs on the reload thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>

namespace mv::milter {

class Reloader {
  public:
    explicit Reloader(std::function<void()> reload);
    ~Reloader();  // stop(kDefaultBound) unless stopped
    Reloader(const Reloader&) = delete;
    Reloader& operator=(const Reloader&) = delete;

    static constexpr std::chrono::milliseconds kDefaultBound{2000};

    void request();
    // True when the thread ended within `bound` (joined); false when a
    // reload is still running: the thread is detached and left to finish.
    bool stop(std::chrono::milliseconds bound = kDefaultBound);
    // Reloads started so far (for tests).
    unsigned started() const;

  private:
    struct Shared {
        std::mutex m;
        std::condition_variable cv;
        bool pending = false, stopping = false, done = false;
        unsigned started = 0;
        std::function<void()> reload;
    };
    static void run(const std::shared_ptr<Shared>& s);

    std::shared_ptr<Shared> shared_;
    std::thread thread_;
    bool stopped_ = false;
    bool joined_ = false;
};

}  // namespace mv::milter
