// SPDX-License-Identifier: Apache-2.0
// scrape.cpp - see scrape.hpp.
#include "observability/scrape.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <cstring>

namespace mv::observability {

namespace {

constexpr std::size_t kMaxResponse = 64u << 20;

class Fd {
  public:
    explicit Fd(int fd) : fd_(fd) {}
    ~Fd() {
        if (fd_ >= 0) ::close(fd_);
    }
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    int get() const { return fd_; }

  private:
    int fd_;
};

bool wait_for(int fd, short events, std::chrono::steady_clock::time_point deadline) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd p{fd, events, 0};
    return ::poll(&p, 1, static_cast<int>(left.count())) == 1;
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
        s.remove_suffix(1);
    return s;
}

// {a="x",b="y\"z"} from `s` (starting after '{'); returns the index after '}'
// or npos when malformed.
std::size_t parse_labels(std::string_view s, std::size_t i,
                         std::map<std::string, std::string>& out) {
    while (i < s.size()) {
        while (i < s.size() && (s[i] == ' ' || s[i] == ',')) ++i;
        if (i < s.size() && s[i] == '}') return i + 1;
        const std::size_t eq = s.find('=', i);
        if (eq == std::string_view::npos || eq + 1 >= s.size() || s[eq + 1] != '"')
            return std::string_view::npos;
        const std::string key(trim(s.substr(i, eq - i)));
        std::string value;
        std::size_t j = eq + 2;
        for (; j < s.size() && s[j] != '"'; ++j) {
            if (s[j] == '\\' && j + 1 < s.size()) {
                ++j;
                value += s[j] == 'n' ? '\n' : s[j];
            } else {
                value += s[j];
            }
        }
        if (j >= s.size()) return std::string_view::npos;
        out[key] = std::move(value);
        i = j + 1;
    }
    return std::string_view::npos;
}

}  // namespace

const std::string& Sample::label(const std::string& key) const {
    static const std::string kNone;
    const auto it = labels.find(key);
    return it == labels.end() ? kNone : it->second;
}

bool fetch_metrics(const MetricsAddress& address, std::chrono::milliseconds timeout,
                   std::string& body, std::string& error) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    const std::string where = address.listening_ports();
    sockaddr_storage ss{};
    socklen_t len = 0;
    if (address.ipv6) {
        auto* in6 = reinterpret_cast<sockaddr_in6*>(&ss);
        in6->sin6_family = AF_INET6;
        in6->sin6_port = htons(static_cast<std::uint16_t>(address.port));
        inet_pton(AF_INET6, address.host.c_str(), &in6->sin6_addr);
        len = sizeof *in6;
    } else {
        auto* in = reinterpret_cast<sockaddr_in*>(&ss);
        in->sin_family = AF_INET;
        in->sin_port = htons(static_cast<std::uint16_t>(address.port));
        inet_pton(AF_INET, address.host.c_str(), &in->sin_addr);
        len = sizeof *in;
    }
    Fd fd(::socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
    if (fd.get() < 0) {
        error = std::string("socket: ") + std::strerror(errno);
        return false;
    }
    if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&ss), len) != 0) {
        if (errno != EINPROGRESS) {
            error = "connect to " + where + ": " + std::strerror(errno);
            return false;
        }
        if (!wait_for(fd.get(), POLLOUT, deadline)) {
            error = "connect to " + where + ": timed out";
            return false;
        }
        int so = 0;
        socklen_t sl = sizeof so;
        ::getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &so, &sl);
        if (so != 0) {
            error = "connect to " + where + ": " + std::strerror(so);
            return false;
        }
    }
    const std::string request = "GET /metrics HTTP/1.0\r\nHost: " + where +
                                "\r\nAccept: text/plain;version=0.0.4\r\n"
                                "User-Agent: milter-verdict-stats\r\n\r\n";
    std::size_t sent = 0;
    while (sent < request.size()) {
        if (!wait_for(fd.get(), POLLOUT, deadline)) {
            error = "send to " + where + ": timed out";
            return false;
        }
        const ssize_t n =
            ::send(fd.get(), request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
        if (n < 0 && errno != EAGAIN && errno != EINTR) {
            error = "send to " + where + ": " + std::strerror(errno);
            return false;
        }
        if (n > 0) sent += static_cast<std::size_t>(n);
    }
    std::string response;
    char buf[65536];
    while (true) {
        if (!wait_for(fd.get(), POLLIN, deadline)) {
            error = "read from " + where + ": timed out";
            return false;
        }
        const ssize_t n = ::recv(fd.get(), buf, sizeof buf, 0);
        if (n == 0) break;
        if (n < 0) {
            if (errno == EAGAIN || errno == EINTR) continue;
            error = "read from " + where + ": " + std::strerror(errno);
            return false;
        }
        response.append(buf, static_cast<std::size_t>(n));
        if (response.size() > kMaxResponse) {
            error = "answer from " + where + " over 64 MiB";
            return false;
        }
    }
    const std::size_t end = response.find("\r\n\r\n");
    if (response.rfind("HTTP/1.", 0) != 0 || end == std::string::npos || response.size() < 12) {
        error = where + " did not answer HTTP";
        return false;
    }
    const std::string status = response.substr(9, 3);
    if (status != "200") {
        error = "HTTP " + response.substr(9, response.find("\r\n") - 9) + " from " + where;
        return false;
    }
    body = response.substr(end + 4);
    return true;
}

Exposition parse_exposition(std::string_view text) {
    Exposition out;
    while (!text.empty()) {
        const std::size_t nl = text.find('\n');
        const std::string_view line = trim(text.substr(0, nl));
        text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
        if (line.empty() || line.front() == '#') continue;
        Sample s;
        std::size_t i = 0;
        while (i < line.size() && line[i] != '{' && line[i] != ' ') ++i;
        s.name = std::string(line.substr(0, i));
        if (i < line.size() && line[i] == '{') {
            i = parse_labels(line, i + 1, s.labels);
            if (i == std::string_view::npos) {
                ++out.bad_lines;
                continue;
            }
        }
        std::string_view rest = trim(line.substr(std::min(i, line.size())));
        rest = rest.substr(0, rest.find(' '));  // drop a timestamp
        const std::string value(rest);
        char* endp = nullptr;
        s.value = std::strtod(value.c_str(), &endp);
        if (s.name.empty() || value.empty() || endp != value.c_str() + value.size()) {
            ++out.bad_lines;
            continue;
        }
        out.samples.push_back(std::move(s));
    }
    return out;
}

}  // namespace mv::observability
