// SPDX-License-Identifier: Apache-2.0
// reloader.cpp - the reload thread (reloader.hpp).
#include "milter/reloader.hpp"

namespace mv::milter {

Reloader::Reloader(std::function<void()> reload) : shared_(std::make_shared<Shared>()) {
    shared_->reload = std::move(reload);
    // The thread owns a reference: if it is left behind at stop(), what it
    // touches of its own stays alive.
    thread_ = std::thread([s = shared_] { run(s); });
}

Reloader::~Reloader() {
    if (!stopped_) stop();
}

void Reloader::run(const std::shared_ptr<Shared>& s) {
    std::unique_lock<std::mutex> lock(s->m);
    for (;;) {
        s->cv.wait(lock, [&] { return s->pending || s->stopping; });
        if (s->stopping) break;
        s->pending = false;  // requests from now on ask for one more reload
        ++s->started;
        lock.unlock();
        try {
            s->reload();
        } catch (...) {
        }
        lock.lock();
    }
    s->done = true;
    s->cv.notify_all();
}

void Reloader::request() {
    {
        std::lock_guard<std::mutex> lock(shared_->m);
        shared_->pending = true;
    }
    shared_->cv.notify_all();
}

unsigned Reloader::started() const {
    std::lock_guard<std::mutex> lock(shared_->m);
    return shared_->started;
}

bool Reloader::stop(std::chrono::milliseconds bound) {
    if (stopped_) return joined_;
    stopped_ = true;
    bool done = false;
    {
        std::unique_lock<std::mutex> lock(shared_->m);
        shared_->stopping = true;
        shared_->cv.notify_all();
        done = shared_->cv.wait_for(lock, bound, [&] { return shared_->done; });
    }
    if (done) {
        thread_.join();
        joined_ = true;
    } else {
        thread_.detach();
    }
    return joined_;
}

}  // namespace mv::milter
