// SPDX-License-Identifier: Apache-2.0
// stop_waker.cpp - see stop_waker.hpp.
#include "milter/stop_waker.hpp"

#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <string>

// libmilter's stop flag: MILTER_CONT (0) while it runs (libmilter/listener.c).
extern "C" int mi_stop(void);

namespace mv::milter {

namespace {

// A non-blocking connect that waits at most `ms`; closes the socket either way.
bool connect_and_close(int family, const sockaddr* addr, socklen_t len, int ms) {
    const int fd = ::socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return false;
    bool ok = ::connect(fd, addr, len) == 0;
    if (!ok && errno == EINPROGRESS) {
        pollfd p{fd, POLLOUT, 0};
        int err = 0;
        socklen_t el = sizeof err;
        ok = ::poll(&p, 1, ms) == 1 && ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el) == 0 &&
             err == 0;
    }
    ::close(fd);
    return ok;
}

}  // namespace

bool poke_listener(const SocketSpec& listen) {
    if (listen.kind == SocketSpec::Kind::Unix) {
        sockaddr_un sun{};
        sun.sun_family = AF_UNIX;
        if (listen.path.size() >= sizeof sun.sun_path) return false;
        std::memcpy(sun.sun_path, listen.path.c_str(), listen.path.size() + 1);
        return connect_and_close(AF_UNIX, reinterpret_cast<const sockaddr*>(&sun), sizeof sun, 200);
    }
    addrinfo hints{};
    hints.ai_family = listen.kind == SocketSpec::Kind::Inet6 ? AF_INET6 : AF_INET;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* res = nullptr;
    const std::string port = std::to_string(listen.port);
    const char* host = listen.host.empty() ? nullptr : listen.host.c_str();
    if (::getaddrinfo(host, port.c_str(), &hints, &res) != 0 || res == nullptr) return false;
    bool ok = false;
    for (addrinfo* a = res; a != nullptr && !ok; a = a->ai_next)
        ok = connect_and_close(a->ai_family, a->ai_addr, a->ai_addrlen, 200);
    ::freeaddrinfo(res);
    return ok;
}

StopWaker::StopWaker(SocketSpec listen) : listen_(std::move(listen)), thread_([this] { run(); }) {}

StopWaker::~StopWaker() {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        done_ = true;
    }
    wake_.notify_all();
    thread_.join();
}

void StopWaker::run() {
    std::unique_lock<std::mutex> lock(mutex_);
    while (!done_) {
        if (mi_stop() != 0) {
            lock.unlock();
            // Once is enough: the listener's next poll sees the connection.
            poke_listener(listen_);
            lock.lock();
            wake_.wait(lock, [this] { return done_; });
            return;
        }
        wake_.wait_for(lock, std::chrono::milliseconds(20), [this] { return done_; });
    }
}

}  // namespace mv::milter
