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
// Thread contract: one thread drives it.
#pragma once

#include <sys/types.h>

#include <string>

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

}  // namespace mv::state::testing
