// SPDX-License-Identifier: Apache-2.0
// worker_pool.cpp - evaluation threads (see worker_pool.hpp).
#include "policy_service/worker_pool.hpp"

namespace mv::policy_service {

WorkerPool::WorkerPool(std::size_t threads, Work work, std::function<void()> wake)
    : work_(std::move(work)), wake_(std::move(wake)) {
    for (std::size_t i = 0; i < threads; ++i) threads_.emplace_back([this] { run(); });
}

WorkerPool::~WorkerPool() {
    {
        std::lock_guard lock(mu_);
        stopping_ = true;
    }
    cv_.notify_all();
    for (auto& t : threads_) t.join();
}

void WorkerPool::submit(std::uint64_t conn, Request request, std::string peer) {
    {
        std::lock_guard lock(mu_);
        jobs_.push_back({conn, std::move(request), std::move(peer)});
    }
    cv_.notify_one();
}

std::vector<WorkerPool::Done> WorkerPool::take_done() {
    std::lock_guard lock(mu_);
    return std::exchange(done_, {});
}

void WorkerPool::run() {
    std::unique_lock lock(mu_);
    for (;;) {
        cv_.wait(lock, [this] { return stopping_ || !jobs_.empty(); });
        if (stopping_) return;
        Job job = std::move(jobs_.front());
        jobs_.pop_front();
        lock.unlock();
        std::string action = work_(job.request, job.peer);
        lock.lock();
        done_.push_back({job.conn, std::move(action)});
        lock.unlock();
        wake_();
        lock.lock();
    }
}

}  // namespace mv::policy_service
