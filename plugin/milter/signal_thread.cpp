// SPDX-License-Identifier: Apache-2.0
// signal_thread.cpp - sigwait loop for SIGUSR1 (reload) and watchdog ticks.
#include "milter/signal_thread.hpp"

#include <pthread.h>
#include <signal.h>

#include <cerrno>
#include <ctime>

namespace mv::milter {

void block_daemon_signals() {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    sigaddset(&set, SIGHUP);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set, nullptr);
    // A peer closing mid-write must be an EPIPE, not a dead daemon.
    signal(SIGPIPE, SIG_IGN);
}

SignalThread::SignalThread(std::function<void()> on_reload, std::function<void()> on_tick,
                           std::optional<std::chrono::microseconds> tick)
    : on_reload_(std::move(on_reload)), on_tick_(std::move(on_tick)), tick_(tick) {
    thread_ = std::thread([this] { run(); });
}

SignalThread::~SignalThread() {
    stopping_.store(true);
    // Wake the sigwait; the flag tells the loop this SIGUSR1 is not a reload.
    pthread_kill(thread_.native_handle(), SIGUSR1);
    thread_.join();
}

void SignalThread::run() {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    while (!stopping_.load()) {
        int sig = -1;
        if (tick_) {
            const auto us = tick_->count();
            timespec ts{static_cast<time_t>(us / 1000000), static_cast<long>(us % 1000000) * 1000};
            sig = sigtimedwait(&set, nullptr, &ts);
            if (sig < 0 && errno == EAGAIN) {
                try {
                    if (on_tick_) on_tick_();
                } catch (...) {
                }
                continue;
            }
        } else if (sigwait(&set, &sig) != 0) {
            continue;
        }
        if (sig != SIGUSR1 || stopping_.load()) continue;
        try {
            if (on_reload_) on_reload_();
        } catch (...) {
        }
    }
}

}  // namespace mv::milter
