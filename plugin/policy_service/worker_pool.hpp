// SPDX-License-Identifier: Apache-2.0
// worker_pool.hpp - threads that evaluate requests which may block.
//
// When the policy in force keeps its state in Redis, an evaluation waits on
// the network (up to the store's timeout). The listener then hands each
// complete request to this pool instead of evaluating it on its event loop,
// so one slow lookup never stalls the other connections; the answer comes
// back through take_done() after `wake` (the listener's eventfd) is called.
// A connection has at most one request here at a time (requests of one
// connection are answered in order), so the queue is bounded by the number
// of connections.
//
// Errors: `work` must not throw (Responder::answer does not).
//
// Thread contract: submit() and take_done() from the event loop thread; the
// destructor stops and joins the workers (jobs not started are dropped).
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "policy_service/request.hpp"

namespace mv::policy_service {

class WorkerPool {
  public:
    using Work = std::function<std::string(const Request&, const std::string& peer)>;
    struct Done {
        std::uint64_t conn;
        std::string action;
    };

    WorkerPool(std::size_t threads, Work work, std::function<void()> wake);
    ~WorkerPool();
    WorkerPool(const WorkerPool&) = delete;
    WorkerPool& operator=(const WorkerPool&) = delete;

    void submit(std::uint64_t conn, Request request, std::string peer);
    std::vector<Done> take_done();

  private:
    struct Job {
        std::uint64_t conn;
        Request request;
        std::string peer;
    };
    void run();

    Work work_;
    std::function<void()> wake_;
    std::mutex mu_;
    std::condition_variable cv_;
    std::deque<Job> jobs_;
    std::vector<Done> done_;
    bool stopping_ = false;
    std::vector<std::thread> threads_;
};

}  // namespace mv::policy_service
