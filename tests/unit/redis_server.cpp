// SPDX-License-Identifier: Apache-2.0
// redis_server.cpp - a private redis-server for tests (see redis_server.hpp).
#include "redis_server.hpp"

#include <arpa/inet.h>
#include <hiredis/hiredis.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
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

FakeRedis::FakeRedis(Mode mode, std::string reply, std::chrono::milliseconds interval,
                     std::size_t huge_cap)
    : mode_(mode), reply_(std::move(reply)), interval_(interval), huge_cap_(huge_cap) {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (listen_fd_ < 0) return;
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
        ::listen(listen_fd_, 64) != 0 ||
        ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
        ::close(listen_fd_);
        listen_fd_ = -1;
        return;
    }
    port_ = ntohs(a.sin_port);
    acceptor_ = std::thread([this] { accept_loop(); });
}

FakeRedis::~FakeRedis() {
    stop_ = true;
    if (acceptor_.joinable()) acceptor_.join();
    std::vector<std::thread> threads;
    {
        std::lock_guard lock(mu_);
        threads.swap(threads_);
    }
    for (std::thread& t : threads) t.join();
    if (listen_fd_ >= 0) ::close(listen_fd_);
}

bool FakeRedis::pause(std::chrono::milliseconds d) const {
    const auto until = std::chrono::steady_clock::now() + d;
    while (!stop_) {
        const auto left = until - std::chrono::steady_clock::now();
        if (left <= std::chrono::steady_clock::duration::zero()) return true;
        std::this_thread::sleep_for(
            std::min<std::chrono::steady_clock::duration>(left, std::chrono::milliseconds(20)));
    }
    return false;
}

void FakeRedis::accept_loop() {
    while (!stop_) {
        pollfd p{listen_fd_, POLLIN, 0};
        if (::poll(&p, 1, 50) <= 0) continue;
        const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
        if (fd < 0) continue;
        connections_.fetch_add(1);
        std::lock_guard lock(mu_);
        threads_.emplace_back([this, fd] {
            serve(fd);
            ::close(fd);
        });
    }
}

void FakeRedis::serve(int fd) {
    // The command, whatever it is: wait until some of it has arrived.
    while (!stop_) {
        pollfd p{fd, POLLIN, 0};
        if (::poll(&p, 1, 50) <= 0) continue;
        char buf[4096];
        if (::recv(fd, buf, sizeof buf, 0) <= 0) return;
        break;
    }
    auto send_all = [&](const char* data, std::size_t n) {
        while (n > 0 && !stop_) {
            pollfd p{fd, POLLOUT, 0};
            if (::poll(&p, 1, 50) <= 0) continue;
            const ssize_t k = ::send(fd, data, n, MSG_NOSIGNAL | MSG_DONTWAIT);
            if (k < 0 && (errno == EAGAIN || errno == EINTR)) continue;
            if (k <= 0) return false;  // the client closed or reset
            sent_.fetch_add(static_cast<std::size_t>(k));
            data += k;
            n -= static_cast<std::size_t>(k);
        }
        return !stop_;
    };
    switch (mode_) {
        case Mode::Trickle:
            for (char c : reply_)
                if (!send_all(&c, 1) || !pause(interval_)) return;
            break;
        case Mode::Huge: {
            const std::string header = "$2147483648\r\n";
            if (!send_all(header.data(), header.size())) return;
            const std::string chunk(64 * 1024, 'x');
            for (std::size_t done = 0; done < huge_cap_; done += chunk.size())
                if (!send_all(chunk.data(), chunk.size())) return;
            break;
        }
        case Mode::Fixed:
            if (!send_all(reply_.data(), reply_.size())) return;
            break;
    }
    // Silence until the client goes or the server stops.
    while (!stop_) {
        pollfd p{fd, POLLIN, 0};
        if (::poll(&p, 1, 50) <= 0) continue;
        char buf[4096];
        if (::recv(fd, buf, sizeof buf, 0) <= 0) return;
    }
}

}  // namespace mv::state::testing
