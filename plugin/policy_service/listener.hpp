// SPDX-License-Identifier: Apache-2.0
// listener.hpp - the policy service's event loop: connections, framing, order, bounds.
//
// One thread runs an epoll loop over the listening socket and every
// connection, so idle persistent connections (Postfix keeps one per smtpd
// process) cost a buffer each, not a thread. Per connection it reads bytes
// into a RequestReader (request.hpp), queues the complete requests, and
// answers them strictly in order, one at a time: "action=VALUE" and an empty
// line, VALUE from `answer`. When `may_block()` says so (a Redis store), the
// request is evaluated on a WorkerPool instead of the loop and its answer
// written when it comes back; otherwise on the loop itself (the embedded
// store locks one shard for microseconds, never across I/O).
//
// Bounds and what they do, each with one log line naming the peer:
// * a NUL byte, an attribute line or a request over its bound: the
//   connection is closed (RequestReader says why);
// * a request not complete `request_timeout` after its first byte (no empty
//   line): closed. The clock is the current request's: each request that
//   completes starts a new one for the next, so a client pipelining complete
//   requests (in one write or back to back, the next one's first bytes
//   always in flight) is never timed out however long it goes on, and the
//   clock stops while parsing waits on the service (see kMaxQueued);
// * answers not read by the client for `request_timeout` (unsent answers
//   pending and none of them sent meanwhile): closed;
// * a connection idle (no request begun) for `idle_timeout`: closed, quietly;
// * more than `max_connections` at once: the new one is closed at once;
// * at most kMaxQueued complete requests and kMaxOutput bytes of answers
//   wait per connection: beyond them the loop stops reading from it until it
//   catches up (a client that never reads its answers only fills its own
//   buffers, then is closed for the answers it does not read);
// * unknown attribute names are logged once per connection and ignored.
// The peer closing its side ends the connection after the answers owed.
//
// Errors: start() returns "" or a one-line reason (epoll, eventfd). Nothing
// on a connection stops the loop; `answer` must not throw.
//
// Thread contract: construct, start() and stop() from one thread (the
// daemon's main thread); `answer` and `may_block` are called on the loop
// thread or (answer) on the workers.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "milter/logger.hpp"
#include "policy_service/request.hpp"
#include "policy_service/unique_fd.hpp"

namespace mv::policy_service {

struct ListenerOptions {
    std::size_t max_connections = 1000;
    std::chrono::milliseconds request_timeout{10'000};
    std::chrono::milliseconds idle_timeout{3'600'000};
    std::size_t workers = 4;
};

class Listener {
  public:
    using Answer = std::function<std::string(const Request&, const std::string& peer)>;
    using MayBlock = std::function<bool()>;
    using Tick = std::function<void()>;  // about once a second, on the loop thread

    static constexpr std::size_t kMaxQueued = 64;
    static constexpr std::size_t kMaxOutput = 64 * 1024;

    Listener(UniqueFd listen_fd, Answer answer, MayBlock may_block, milter::Logger& log,
             ListenerOptions options, Tick tick = {});
    ~Listener();
    Listener(const Listener&) = delete;
    Listener& operator=(const Listener&) = delete;

    std::string start();
    void stop();  // closes every connection; idempotent

    struct Stats {
        std::uint64_t accepted = 0, refused = 0, requests = 0, closed_bad = 0, timeouts = 0;
        std::size_t open = 0;
        // The largest output buffer any connection has held (answers sent
        // and unsent): bounded by kMaxOutput plus the answers of one round.
        std::size_t peak_output = 0;
    };
    Stats stats() const;

  private:
    struct Loop;
    std::unique_ptr<Loop> loop_;
    std::thread thread_;
};

}  // namespace mv::policy_service
