// SPDX-License-Identifier: Apache-2.0
// listen_socket.cpp - bind and listen for the policy service (see listen_socket.hpp).
#include "policy_service/listen_socket.hpp"

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <cerrno>
#include <cstring>

namespace mv::policy_service {

namespace {

constexpr int kBacklog = 1024;  // Postfix opens one connection per smtpd process

std::string sys(const std::string& what) {
    return what + ": " + std::strerror(errno);
}

UniqueFd listen_unix(const milter::SocketSpec& spec, std::string& error) {
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (spec.path.size() >= sizeof addr.sun_path) {
        error = "unix socket path " + spec.path + " is too long";
        return {};
    }
    std::memcpy(addr.sun_path, spec.path.c_str(), spec.path.size() + 1);
    struct stat st {};
    if (::lstat(spec.path.c_str(), &st) == 0) {
        if (!S_ISSOCK(st.st_mode)) {
            error = spec.path + " exists and is not a socket";
            return {};
        }
        ::unlink(spec.path.c_str());  // a stale socket of an earlier run
    }
    UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (!fd) {
        error = sys("socket");
        return {};
    }
    // Born 0660 whatever the umask, as the milter socket: never writable by
    // others, even before socket_mode is applied.
    const mode_t saved_umask = ::umask(0117);
    const int bound = ::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    ::umask(saved_umask);
    if (bound != 0) {
        error = sys("bind " + spec.path);
        return {};
    }
    if (::listen(fd.get(), kBacklog) != 0) {
        error = sys("listen " + spec.path);
        return {};
    }
    return fd;
}

UniqueFd listen_inet(const milter::SocketSpec& spec, std::string& error) {
    addrinfo hints{};
    hints.ai_family = spec.kind == milter::SocketSpec::Kind::Inet6 ? AF_INET6 : AF_INET;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    addrinfo* res = nullptr;
    const std::string port = std::to_string(spec.port);
    const int rc = ::getaddrinfo(spec.host.c_str(), port.c_str(), &hints, &res);
    if (rc != 0) {
        error = "host " + spec.host + ": " + ::gai_strerror(rc);
        return {};
    }
    UniqueFd fd;
    error.clear();
    for (addrinfo* ai = res; ai; ai = ai->ai_next) {
        UniqueFd s(::socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
                            ai->ai_protocol));
        if (!s) {
            error = sys("socket");
            continue;
        }
        const int one = 1;
        ::setsockopt(s.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        ::setsockopt(s.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        if (ai->ai_family == AF_INET6)
            ::setsockopt(s.get(), IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
        if (::bind(s.get(), ai->ai_addr, ai->ai_addrlen) != 0) {
            error = sys("bind " + spec.connection());
            continue;
        }
        if (::listen(s.get(), kBacklog) != 0) {
            error = sys("listen " + spec.connection());
            continue;
        }
        fd = std::move(s);
        error.clear();
        break;
    }
    ::freeaddrinfo(res);
    if (!fd && error.empty()) error = "no address for " + spec.host;
    return fd;
}

}  // namespace

UniqueFd open_listen_socket(const milter::SocketSpec& spec, std::string& error) {
    error.clear();
    return spec.kind == milter::SocketSpec::Kind::Unix ? listen_unix(spec, error)
                                                       : listen_inet(spec, error);
}

}  // namespace mv::policy_service
