// SPDX-License-Identifier: Apache-2.0
// notifier.cpp - one AF_UNIX datagram per notification.
#include "milter/notifier.hpp"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <charconv>
#include <cstdlib>
#include <cstring>

namespace mv::milter {

Notifier::Notifier() {
    const char* s = std::getenv("NOTIFY_SOCKET");
    if (s && (s[0] == '/' || s[0] == '@') && std::strlen(s) < sizeof(sockaddr_un{}.sun_path))
        socket_path_ = s;
    const char* w = std::getenv("WATCHDOG_USEC");
    const char* wpid = std::getenv("WATCHDOG_PID");
    // WATCHDOG_PID, when set, names the process the watchdog is meant for.
    const bool ours = !wpid || std::atol(wpid) == static_cast<long>(getpid());
    if (w && ours) {
        unsigned long long usec = 0;
        const auto [p, ec] = std::from_chars(w, w + std::strlen(w), usec);
        if (ec == std::errc() && *p == '\0' && usec > 0)
            watchdog_ = std::chrono::microseconds(usec / 2);
    }
}

bool Notifier::notify(std::string_view state) const {
    if (!enabled()) return true;
    const int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return false;
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::memcpy(addr.sun_path, socket_path_.data(), socket_path_.size());
    socklen_t len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + socket_path_.size());
    if (addr.sun_path[0] == '@') {
        addr.sun_path[0] = '\0';  // abstract namespace: no terminating NUL
    } else {
        ++len;
    }
    const ssize_t n = sendto(fd, state.data(), state.size(), MSG_NOSIGNAL,
                             reinterpret_cast<const sockaddr*>(&addr), len);
    ::close(fd);
    return n == static_cast<ssize_t>(state.size());
}

}  // namespace mv::milter
