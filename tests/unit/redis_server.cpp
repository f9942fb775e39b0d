// SPDX-License-Identifier: Apache-2.0
// redis_server.cpp - a private redis-server for tests (see redis_server.hpp).
#include "redis_server.hpp"

#include <arpa/inet.h>
#include <hiredis/hiredis.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <thread>
#include <vector>

extern char** environ;

namespace mv::state::testing {
namespace {

bool answers_ping(int port, const std::string& password) {
    timeval tv{0, 200'000};
    redisContext* c = redisConnectWithTimeout("127.0.0.1", port, tv);
    if (c == nullptr) return false;
    bool ok = c->err == 0;
    if (ok && !password.empty()) {
        auto* r = static_cast<redisReply*>(redisCommand(c, "AUTH %s", password.c_str()));
        ok = r != nullptr && r->type != REDIS_REPLY_ERROR;
        if (r) freeReplyObject(r);
    }
    if (ok) {
        auto* r = static_cast<redisReply*>(redisCommand(c, "PING"));
        ok = r != nullptr && r->type == REDIS_REPLY_STATUS;
        if (r) freeReplyObject(r);
    }
    redisFree(c);
    return ok;
}

}  // namespace

int free_loopback_port() {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return 0;
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    int port = 0;
    if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0)
        port = ntohs(a.sin_port);
    ::close(fd);
    return port;
}

std::string RedisServer::start() {
    if (pid_ > 0) return {};
    if (port_ == 0) port_ = free_loopback_port();
    if (port_ == 0) return "no free loopback port";
    std::vector<std::string> args = {"redis-server",
                                     "--port",
                                     std::to_string(port_),
                                     "--bind",
                                     "127.0.0.1",
                                     "--save",
                                     "",
                                     "--appendonly",
                                     "no",
                                     "--daemonize",
                                     "no",
                                     "--loglevel",
                                     "warning",
                                     "--logfile",
                                     "/dev/null"};
    if (!password_.empty()) {
        args.push_back("--requirepass");
        args.push_back(password_);
    }
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    pid_t pid = -1;
    const int rc = posix_spawnp(&pid, "redis-server", nullptr, nullptr, argv.data(), environ);
    if (rc != 0) return std::string("cannot run redis-server: ") + std::strerror(rc);
    pid_ = pid;
    for (int i = 0; i < 100; ++i) {  // at most about 5 s
        if (answers_ping(port_, password_)) return {};
        int status = 0;
        if (::waitpid(pid_, &status, WNOHANG) == pid_) {
            pid_ = -1;
            return "redis-server exited at start (port " + std::to_string(port_) + ")";
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    stop();
    return "redis-server did not answer within 5 s";
}

void RedisServer::stop() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    for (int i = 0; i < 100; ++i) {
        int status = 0;
        if (::waitpid(pid_, &status, WNOHANG) == pid_) {
            pid_ = -1;
            return;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    ::kill(pid_, SIGKILL);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
}

}  // namespace mv::state::testing
