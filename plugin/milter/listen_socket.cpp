// SPDX-License-Identifier: Apache-2.0
// listen_socket.cpp - TCP_NODELAY on libmilter's listener; unix socket mode.
#include "milter/listen_socket.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>

#include "milter/privileges.hpp"

namespace mv::milter {

namespace {

bool is_our_listener(int fd, const SocketSpec& spec) {
    int listening = 0;
    socklen_t len = sizeof listening;
    if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len) != 0 || !listening)
        return false;
    sockaddr_storage ss{};
    len = sizeof ss;
    if (getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0) return false;
    if (ss.ss_family == AF_INET) {
        sockaddr_in in;
        std::memcpy(&in, &ss, sizeof in);
        return ntohs(in.sin_port) == spec.port;
    }
    if (ss.ss_family == AF_INET6) {
        sockaddr_in6 in6;
        std::memcpy(&in6, &ss, sizeof in6);
        return ntohs(in6.sin6_port) == spec.port;
    }
    return false;
}

}  // namespace

std::string set_nodelay_on_listener(const SocketSpec& spec) {
    if (spec.kind == SocketSpec::Kind::Unix) return {};  // unix sockets do not stall
    int found = 0;
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator("/proc/self/fd", ec)) {
        const std::string name = entry.path().filename().string();
        int fd = -1;
        const auto [p, err] = std::from_chars(name.data(), name.data() + name.size(), fd);
        if (err != std::errc() || p != name.data() + name.size()) continue;
        if (!is_our_listener(fd, spec)) continue;
        const int one = 1;
        if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) != 0)
            return std::string("setsockopt TCP_NODELAY: ") + std::strerror(errno);
        ++found;
    }
    if (ec) return "cannot list /proc/self/fd: " + ec.message();
    if (found == 0) return "listening socket not found";
    return {};
}

std::string set_unix_socket_access(const SocketSpec& spec, const std::string& mode,
                                   const std::string& group) {
    if (spec.kind != SocketSpec::Kind::Unix) return {};
    if (!group.empty()) {
        std::string error;
        const long gid = lookup_group(group, error);
        if (gid < 0) return "socket_group: " + error;
        if (chown(spec.path.c_str(), static_cast<uid_t>(-1), static_cast<gid_t>(gid)) != 0)
            return "chown " + spec.path + ": " + std::strerror(errno);
    }
    if (!mode.empty()) {
        unsigned m = 0;
        const auto [p, err] = std::from_chars(mode.data(), mode.data() + mode.size(), m, 8);
        if (err != std::errc() || p != mode.data() + mode.size() || m > 0777)
            return "socket_mode \"" + mode + "\": expected an octal mode such as 0660";
        if (chmod(spec.path.c_str(), static_cast<mode_t>(m)) != 0)
            return "chmod " + spec.path + ": " + std::strerror(errno);
    }
    return {};
}

}  // namespace mv::milter
