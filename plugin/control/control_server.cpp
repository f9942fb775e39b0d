// SPDX-License-Identifier: Apache-2.0
// control_server.cpp - the control socket's listener and its requests (see control_server.hpp).
#include "control/control_server.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <sstream>

#include "control/key_pattern.hpp"
#include "state/memory_store.hpp"
#include "state/state_file.hpp"

namespace mv::control {
namespace {

std::string errno_text(const std::string& path, const char* what) {
    return "control socket " + path + ": " + what + ": " + std::strerror(errno);
}

bool fill_address(const std::string& path, sockaddr_un& sa) {
    sa = {};
    sa.sun_family = AF_UNIX;
    if (path.empty() || path.size() >= sizeof sa.sun_path) return false;
    std::memcpy(sa.sun_path, path.c_str(), path.size());
    return true;
}

bool write_all(int fd, const std::string& data) {
    std::size_t done = 0;
    while (done < data.size()) {
        const ssize_t n = ::send(fd, data.data() + done, data.size() - done, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return false;
        done += static_cast<std::size_t>(n);
    }
    return true;
}

std::string error_line(const std::string& text) {
    return "error " + text + "\n";
}

}  // namespace

std::string control_socket_path(const state::StateSettings& settings) {
    if (!settings.control_socket.empty()) return settings.control_socket;
    if (settings.file.empty()) return {};
    const auto slash = settings.file.rfind('/');
    if (slash == std::string::npos) return {};
    return settings.file.substr(0, slash + 1) + "control";
}

std::string answer_request(const std::string& line, state::Store* store) {
    std::istringstream in(line);
    std::string verb;
    in >> verb;
    std::vector<std::string> args;
    for (std::string a; in >> a;) args.push_back(a);
    auto* memory = dynamic_cast<state::MemoryStore*>(store);
    if (verb != "list" && verb != "get" && verb != "delete" && verb != "flush")
        return error_line("unknown request '" + verb + "' (list, get, delete, flush)");
    if (!store) return error_line("no state store: no rule uses rate_limit or greylist");
    if (!memory) return error_line("the store is not the embedded one: " + store->describe());

    if (verb == "get" || verb == "delete") {
        state::Entry::Kind kind;
        std::string key;
        if (args.size() != 1 || !parse_shown_key(args[0], kind, key))
            return error_line(verb + " takes one KIND:KEY (g:, c: or r:)");
        auto same = [&](const std::string& k, const state::Entry& e) {
            return e.kind == kind && k == key;
        };
        if (verb == "delete") return "ok " + std::to_string(memory->erase_if(same)) + "\n";
        std::string out;
        const auto found = memory->select(same, 1);
        for (const auto& r : found) out += state::format_record(r);
        return out + "ok " + std::to_string(found.size()) + "\n";
    }
    const std::size_t want = verb == "list" ? 3 : 2;
    if (args.size() != want)
        return error_line(verb + " takes KINDS PATTERN" + (want == 3 ? " LIMIT" : ""));
    Selection sel;
    sel.kinds = parse_kinds(args[0]);
    if (sel.kinds.empty()) return error_line("bad kinds '" + args[0] + "' (g, c, r)");
    if (!state::decode_key(args[1], sel.pattern)) return error_line("bad pattern encoding");
    auto pick = [&](const std::string& k, const state::Entry& e) { return sel.matches(k, e); };
    if (verb == "flush") return "ok " + std::to_string(memory->erase_if(pick)) + "\n";
    char* end = nullptr;
    const unsigned long long limit = std::strtoull(args[2].c_str(), &end, 10);
    if (*end != '\0' || args[2].empty() || args[2][0] == '-') return error_line("bad limit");
    const auto found = memory->select(pick, std::min<unsigned long long>(limit, kMaxList));
    std::string out;
    for (const auto& r : found) out += state::format_record(r);
    return out + "ok " + std::to_string(found.size()) + "\n";
}

std::unique_ptr<ControlServer> ControlServer::start(const std::string& path, StoreGetter store,
                                                    std::string& error) {
    sockaddr_un sa;
    if (!fill_address(path, sa)) {
        error = "control socket " + path + ": path empty or too long";
        return nullptr;
    }
    struct stat st {};
    if (::lstat(path.c_str(), &st) == 0) {
        if (!S_ISSOCK(st.st_mode)) {
            error = "control socket " + path + ": exists and is not a socket";
            return nullptr;
        }
        // A daemon still answering there keeps it; a stale one is replaced.
        const int probe = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        const bool live =
            probe >= 0 && ::connect(probe, reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0;
        if (probe >= 0) ::close(probe);
        if (live) {
            error = "control socket " + path + ": another process answers there";
            return nullptr;
        }
        ::unlink(path.c_str());
    }
    const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        error = errno_text(path, "socket");
        return nullptr;
    }
    const mode_t saved = ::umask(0177);  // born 0600: never a moment open to others
    const int bound = ::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa);
    ::umask(saved);
    if (bound != 0 || ::listen(fd, 4) != 0) {
        error = errno_text(path, bound != 0 ? "bind" : "listen");
        ::close(fd);
        return nullptr;
    }
    int wake[2];
    if (::pipe2(wake, O_CLOEXEC) != 0) {
        error = errno_text(path, "pipe");
        ::close(fd);
        ::unlink(path.c_str());
        return nullptr;
    }
    std::unique_ptr<ControlServer> server(
        new ControlServer(path, std::move(store), fd, wake[0], wake[1]));
    server->thread_ = std::thread([s = server.get()] { s->run(); });
    return server;
}

ControlServer::ControlServer(std::string path, StoreGetter store, int fd, int wake_read,
                             int wake_write)
    : path_(std::move(path)),
      store_(std::move(store)),
      fd_(fd),
      wake_read_(wake_read),
      wake_write_(wake_write) {}

ControlServer::~ControlServer() {
    const char c = 'x';
    [[maybe_unused]] const ssize_t n = ::write(wake_write_, &c, 1);
    if (thread_.joinable()) thread_.join();
    ::close(fd_);
    ::close(wake_read_);
    ::close(wake_write_);
    ::unlink(path_.c_str());
}

void ControlServer::run() {
    for (;;) {
        pollfd p[2] = {{fd_, POLLIN, 0}, {wake_read_, POLLIN, 0}};
        const int n = ::poll(p, 2, -1);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 || (p[1].revents & POLLIN)) return;
        if (!(p[0].revents & POLLIN)) continue;
        const int client = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
        if (client < 0) continue;
        serve(client);
        ::close(client);
    }
}

void ControlServer::serve(int client) {
    ucred cred{};
    socklen_t len = sizeof cred;
    if (::getsockopt(client, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0 ||
        (cred.uid != 0 && cred.uid != ::geteuid())) {
        write_all(client, error_line("permission denied"));
        return;
    }
    timeval tv{5, 0};
    ::setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ::setsockopt(client, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    std::string line;
    char buf[4096];
    while (line.find('\n') == std::string::npos) {
        if (line.size() > kMaxRequest) {
            write_all(client, error_line("request too long"));
            return;
        }
        const ssize_t n = ::recv(client, buf, sizeof buf, 0);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return;  // gone, or too slow
        line.append(buf, static_cast<std::size_t>(n));
    }
    line.resize(line.find('\n'));
    if (!line.empty() && line.back() == '\r') line.pop_back();
    std::string answer;
    try {
        const std::shared_ptr<state::Store> store = store_();
        answer = answer_request(line, store.get());
    } catch (const std::exception& e) {
        answer = error_line(std::string("internal: ") + e.what());
    }
    write_all(client, answer);
}

}  // namespace mv::control
