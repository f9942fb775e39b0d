// SPDX-License-Identifier: Apache-2.0
// control_client.cpp - the client side of the control socket (see control_client.hpp).
#include "control/control_client.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

namespace mv::control {

std::string control_request(const std::string& path, const std::string& request,
                            std::vector<state::Record>& records, std::size_t& count,
                            int timeout_s) {
    constexpr std::size_t kMaxAnswer = 256u << 20;
    sockaddr_un sa{};
    sa.sun_family = AF_UNIX;
    if (path.empty() || path.size() >= sizeof sa.sun_path) return "bad control socket path " + path;
    std::memcpy(sa.sun_path, path.c_str(), path.size());
    const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return std::string("socket: ") + std::strerror(errno);
    struct Closer {
        int fd;
        ~Closer() { ::close(fd); }
    } closer{fd};
    if (::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0)
        return "cannot connect to " + path + ": " + std::strerror(errno) +
               " (is the daemon running with the embedded store?)";
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_s);
    auto wait = [&](short events) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                              deadline - std::chrono::steady_clock::now())
                              .count();
        if (left <= 0) return false;
        pollfd p{fd, events, 0};
        return ::poll(&p, 1, static_cast<int>(left)) > 0;
    };
    const std::string line = request + "\n";
    std::size_t sent = 0;
    while (sent < line.size()) {
        if (!wait(POLLOUT)) return "timeout writing to " + path;
        const ssize_t n = ::send(fd, line.data() + sent, line.size() - sent, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return "write to " + path + ": " + std::strerror(errno);
        sent += static_cast<std::size_t>(n);
    }
    std::string answer;
    char buf[65536];
    for (;;) {
        if (!wait(POLLIN)) return "timeout reading from " + path;
        const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return "read from " + path + ": " + std::strerror(errno);
        if (n == 0) break;
        answer.append(buf, static_cast<std::size_t>(n));
        if (answer.size() > kMaxAnswer) return "answer from " + path + " too long";
    }
    std::size_t at = 0;
    while (at < answer.size()) {
        const auto end = answer.find('\n', at);
        if (end == std::string::npos) break;
        const std::string l = answer.substr(at, end - at);
        at = end + 1;
        if (l.rfind("ok ", 0) == 0) {
            count = std::strtoull(l.c_str() + 3, nullptr, 10);
            return {};
        }
        if (l.rfind("error ", 0) == 0) return l.substr(6);
        state::Record r;
        if (const std::string e = state::parse_record_line(l, r); !e.empty())
            return "bad answer from " + path + ": " + e;
        records.push_back(std::move(r));
    }
    return "the daemon closed " + path + " without an answer";
}

}  // namespace mv::control
