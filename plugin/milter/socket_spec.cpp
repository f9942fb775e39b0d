// SPDX-License-Identifier: Apache-2.0
// socket_spec.cpp - parsing of unix:/inet:/inet6: socket strings.
#include "milter/socket_spec.hpp"

#include <charconv>

namespace mv::milter {

namespace {

SocketParse fail(std::string msg) {
    return {std::nullopt, std::move(msg)};
}

SocketParse parse_inet(SocketSpec::Kind kind, std::string_view prefix, std::string_view rest,
                       std::string_view text) {
    const std::size_t at = rest.find('@');
    const std::string_view port_text = rest.substr(0, at);
    int port = 0;
    const auto [end, ec] =
        std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (port_text.empty() || ec != std::errc() || end != port_text.data() + port_text.size() ||
        port < 1 || port > 65535)
        return fail("socket \"" + std::string(text) + "\": port must be a number from 1 to 65535");
    if (at == std::string_view::npos) {
        const std::string any = kind == SocketSpec::Kind::Inet ? "0.0.0.0" : "::";
        return fail("socket \"" + std::string(text) +
                    "\" would listen on every interface; name the address: " + std::string(prefix) +
                    std::string(port_text) + "@" +
                    (kind == SocketSpec::Kind::Inet ? "127.0.0.1" : "::1") + " (or " +
                    std::string(prefix) + std::string(port_text) + "@" + any +
                    " to mean every interface)");
    }
    const std::string_view host = rest.substr(at + 1);
    if (host.empty() || host.find_first_of(" \t@") != std::string_view::npos)
        return fail("socket \"" + std::string(text) + "\": bad host after '@'");
    SocketSpec s;
    s.kind = kind;
    s.port = port;
    s.host = std::string(host);
    return {s, {}};
}

}  // namespace

std::string SocketSpec::connection() const {
    switch (kind) {
        case Kind::Unix:
            return "unix:" + path;
        case Kind::Inet:
            return "inet:" + std::to_string(port) + "@" + host;
        case Kind::Inet6:
            return "inet6:" + std::to_string(port) + "@" + host;
    }
    return {};
}

bool SocketSpec::listens_everywhere() const {
    return (kind == Kind::Inet && (host == "0.0.0.0" || host == "INADDR_ANY")) ||
           (kind == Kind::Inet6 && (host == "::" || host == "[::]"));
}

SocketParse parse_socket(std::string_view text) {
    if (text.empty()) return fail("socket: empty");
    std::string_view rest;
    if (text.starts_with("inet:"))
        return parse_inet(SocketSpec::Kind::Inet, "inet:", text.substr(5), text);
    if (text.starts_with("inet6:"))
        return parse_inet(SocketSpec::Kind::Inet6, "inet6:", text.substr(6), text);
    if (text.starts_with("unix:"))
        rest = text.substr(5);
    else if (text.starts_with("local:"))
        rest = text.substr(6);
    else if (text.front() == '/')
        rest = text;
    else
        return fail("socket \"" + std::string(text) +
                    "\": expected unix:/path, inet:PORT@HOST or inet6:PORT@HOST");
    if (rest.empty() || rest.front() != '/')
        return fail("socket \"" + std::string(text) + "\": a unix socket needs an absolute path");
    SocketSpec s;
    s.kind = SocketSpec::Kind::Unix;
    s.path = std::string(rest);
    return {s, {}};
}

}  // namespace mv::milter
