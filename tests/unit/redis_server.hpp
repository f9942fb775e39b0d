// SPDX-License-Identifier: Apache-2.0
// redis_server.hpp - a private redis-server for tests, on a free loopback port.
//
// start() runs `redis-server` from PATH bound to 127.0.0.1 on a port the kernel
// reports free, without persistence (--save '' --appendonly no), and waits
// (at most 5 s) until it answers PING; stop() sends SIGTERM, waits at most 5 s
// and then SIGKILLs. The destructor stops it. start() again reuses the port,
// so tests can stop Redis mid-test and bring it back. A missing redis-server
// is an error (the Redis suite fails, it never skips).
//
// FakeRedis: a hostile server on a free loopback port, no redis-server
// needed. It accepts every connection and answers the first bytes a client
// sends (whatever the command) in one of these ways:
//   Trickle  `reply`, one byte every `interval` (a slow or malicious peer
//            that keeps each read() short of any per-read timeout);
//   Huge     "$2147483648\r\n" (a 2 GB string), then 'x' as fast as the
//            client takes them, at most `huge_cap` bytes, then silence;
//   Fixed    `reply` at once, then silence.
// Each connection has its own thread; the destructor stops them all
// (at most about 50 ms each) and closes every socket.
//
// Thread contract: one thread drives it.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace mv::state::testing {

class RedisServer {
  public:
    explicit RedisServer(std::string password = {}) : password_(std::move(password)) {}
    ~RedisServer() { stop(); }
    RedisServer(const RedisServer&) = delete;
    RedisServer& operator=(const RedisServer&) = delete;

    // "" when the server runs and answers, else what failed.
    std::string start();
    void stop();
    int port() const { return port_; }
    bool running() const { return pid_ > 0; }

  private:
    std::string password_;
    int port_ = 0;
    pid_t pid_ = -1;
};

// A loopback port nothing listens on right now.
int free_loopback_port();

class FakeRedis {
  public:
    enum class Mode { Trickle, Huge, Fixed };
    FakeRedis(Mode mode, std::string reply = {},
              std::chrono::milliseconds interval = std::chrono::milliseconds(300),
              std::size_t huge_cap = 64u << 20);
    ~FakeRedis();
    FakeRedis(const FakeRedis&) = delete;
    FakeRedis& operator=(const FakeRedis&) = delete;

    int port() const { return port_; }  // 0 when it could not listen
    std::size_t connections() const { return connections_.load(); }
    std::size_t bytes_sent() const { return sent_.load(); }

  private:
    void accept_loop();
    void serve(int fd);
    bool pause(std::chrono::milliseconds d) const;  // false when stopping

    Mode mode_;
    std::string reply_;
    std::chrono::milliseconds interval_;
    std::size_t huge_cap_;
    int listen_fd_ = -1;
    int port_ = 0;
    std::atomic<bool> stop_{false};
    std::atomic<std::size_t> connections_{0};
    std::atomic<std::size_t> sent_{0};
    std::mutex mu_;
    std::vector<std::thread> threads_;
    std::thread acceptor_;
};

}  // namespace mv::state::testing
