// SPDX-License-Identifier: Apache-2.0
// listener.cpp - epoll loop of the policy service (see listener.hpp).
#include "policy_service/listener.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <deque>
#include <optional>
#include <unordered_map>
#include <vector>

#include "policy_service/worker_pool.hpp"

namespace mv::policy_service {

namespace {

using Clock = std::chrono::steady_clock;
using milter::LogLevel;

constexpr std::uint64_t kListenId = 0;
constexpr std::uint64_t kWakeId = 1;
constexpr std::size_t kReadChunk = 16 * 1024;
constexpr std::size_t kReadPerEvent = 64 * 1024;  // fairness between busy connections
constexpr auto kTick = std::chrono::milliseconds(200);

std::string peer_name(const sockaddr_storage& ss) {
    char buf[INET6_ADDRSTRLEN] = {};
    if (ss.ss_family == AF_INET) {
        const auto* in = reinterpret_cast<const sockaddr_in*>(&ss);
        inet_ntop(AF_INET, &in->sin_addr, buf, sizeof buf);
        return std::string(buf) + ":" + std::to_string(ntohs(in->sin_port));
    }
    if (ss.ss_family == AF_INET6) {
        const auto* in6 = reinterpret_cast<const sockaddr_in6*>(&ss);
        inet_ntop(AF_INET6, &in6->sin6_addr, buf, sizeof buf);
        return "[" + std::string(buf) + "]:" + std::to_string(ntohs(in6->sin6_port));
    }
    return "unix";
}

}  // namespace

struct Listener::Loop {
    struct Conn {
        UniqueFd fd;
        std::uint64_t id = 0;
        std::string peer;
        RequestReader reader;
        std::deque<Request> queued;
        bool busy = false;         // a request is with the workers
        bool peer_closed = false;  // EOF read
        bool logged_unknown = false;
        std::string out;
        std::size_t out_pos = 0;
        std::uint32_t events = 0;
        Clock::time_point active;                  // last byte read or answer written
        Clock::time_point wrote;                   // answers last began to wait or moved out
        std::optional<Clock::time_point> started;  // first byte of the request being read
    };

    Loop(UniqueFd listen, Answer answer, MayBlock may_block, milter::Logger& log, ListenerOptions o,
         Tick tick)
        : listen_fd(std::move(listen)),
          answer(std::move(answer)),
          may_block(std::move(may_block)),
          on_tick(std::move(tick)),
          log(log),
          opt(o) {}

    UniqueFd listen_fd, ep, wake;
    Answer answer;
    MayBlock may_block;
    Tick on_tick;
    Clock::time_point last_on_tick{};
    milter::Logger& log;
    ListenerOptions opt;
    std::unique_ptr<WorkerPool> pool;
    std::unordered_map<std::uint64_t, std::unique_ptr<Conn>> conns;
    std::uint64_t next_id = 2;
    std::atomic<bool> stopping{false};
    std::atomic<std::uint64_t> accepted{0}, refused{0}, requests{0}, closed_bad{0}, timeouts{0};
    std::atomic<std::size_t> open{0};
    std::atomic<std::size_t> peak_output{0};  // written by the loop thread only
    Clock::time_point last_refusal_log{};

    void signal_wake() {
        const std::uint64_t one = 1;
        [[maybe_unused]] const auto n = ::write(wake.get(), &one, sizeof one);
    }

    std::string init() {
        ep.reset(::epoll_create1(EPOLL_CLOEXEC));
        if (!ep) return std::string("epoll_create1: ") + std::strerror(errno);
        wake.reset(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
        if (!wake) return std::string("eventfd: ") + std::strerror(errno);
        epoll_event ev{};
        ev.events = EPOLLIN;
        ev.data.u64 = kListenId;
        if (::epoll_ctl(ep.get(), EPOLL_CTL_ADD, listen_fd.get(), &ev) != 0)
            return std::string("epoll_ctl: ") + std::strerror(errno);
        ev.data.u64 = kWakeId;
        if (::epoll_ctl(ep.get(), EPOLL_CTL_ADD, wake.get(), &ev) != 0)
            return std::string("epoll_ctl: ") + std::strerror(errno);
        pool = std::make_unique<WorkerPool>(opt.workers, answer, [this] { signal_wake(); });
        return {};
    }

    void close_conn(Conn& c) {
        ::epoll_ctl(ep.get(), EPOLL_CTL_DEL, c.fd.get(), nullptr);
        const std::uint64_t id = c.id;
        conns.erase(id);  // frees c
        open.store(conns.size());
    }

    void bad(Conn& c, const std::string& why) {
        ++closed_bad;
        log.log(LogLevel::Warning, "policy service: " + c.peer + ": " + why + "; closing");
        close_conn(c);
    }

    void want(Conn& c, std::uint32_t events) {
        if (c.events == events) return;
        epoll_event ev{};
        ev.events = events;
        ev.data.u64 = c.id;
        ::epoll_ctl(ep.get(), EPOLL_CTL_MOD, c.fd.get(), &ev);
        c.events = events;
    }

    void accept_all() {
        for (;;) {
            sockaddr_storage ss{};
            socklen_t len = sizeof ss;
            const int fd = ::accept4(listen_fd.get(), reinterpret_cast<sockaddr*>(&ss), &len,
                                     SOCK_NONBLOCK | SOCK_CLOEXEC);
            if (fd < 0) {
                if (errno == EINTR || errno == ECONNABORTED) continue;
                if (errno != EAGAIN && errno != EWOULDBLOCK)
                    log.log(LogLevel::Warning,
                            std::string("policy service: accept: ") + std::strerror(errno));
                return;
            }
            UniqueFd owned(fd);
            if (conns.size() >= opt.max_connections) {
                ++refused;
                const auto now = Clock::now();
                if (now - last_refusal_log > std::chrono::seconds(10)) {
                    last_refusal_log = now;
                    log.log(LogLevel::Warning,
                            "policy service: " + peer_name(ss) + ": more than " +
                                std::to_string(opt.max_connections) +
                                " connections (policy_max_connections); closing the new one");
                }
                continue;
            }
            auto c = std::make_unique<Conn>();
            c->fd = std::move(owned);
            c->id = next_id++;
            c->peer = peer_name(ss);
            c->active = Clock::now();
            epoll_event ev{};
            ev.events = EPOLLIN | EPOLLRDHUP;
            ev.data.u64 = c->id;
            if (::epoll_ctl(ep.get(), EPOLL_CTL_ADD, c->fd.get(), &ev) != 0) continue;
            c->events = ev.events;
            ++accepted;
            conns.emplace(c->id, std::move(c));
            open.store(conns.size());
        }
    }

    // Writes what it can; false when the connection failed (and is gone).
    bool flush(Conn& c) {
        while (c.out_pos < c.out.size()) {
            const ssize_t n = ::send(c.fd.get(), c.out.data() + c.out_pos, c.out.size() - c.out_pos,
                                     MSG_NOSIGNAL);
            if (n > 0) {
                c.out_pos += static_cast<std::size_t>(n);
                c.wrote = Clock::now();
                continue;
            }
            if (n < 0 && errno == EINTR) continue;
            if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
                // Drop what went out: a client that pipelines and reads a
                // little slower than we answer never lets `out` empty, and
                // the sent bytes would pile up for as long as it stays.
                if (c.out_pos >= kMaxOutput) {
                    c.out.erase(0, c.out_pos);
                    c.out_pos = 0;
                }
                return true;
            }
            close_conn(c);  // the peer went away: nothing to log
            return false;
        }
        c.out.clear();
        c.out_pos = 0;
        return true;
    }

    void reply(Conn& c, const std::string& action) {
        if (c.out.empty()) c.wrote = Clock::now();
        c.out += "action=";
        c.out += action;
        c.out += "\n\n";
        if (c.out.size() > peak_output.load(std::memory_order_relaxed))
            peak_output.store(c.out.size(), std::memory_order_relaxed);
        c.active = Clock::now();
        ++requests;
    }

    // Parses, answers and writes as far as the connection allows; the
    // connection may be gone afterwards (check with conns.count).
    void progress(Conn& c) {
        const std::uint64_t id = c.id;
        bool completed = false;  // a request ended in this pass
        bool waiting = false;    // the reader needs the client's next bytes
        while (c.queued.size() < kMaxQueued) {
            Request r;
            const auto st = c.reader.next(r);
            if (st == RequestReader::Status::NeedMore) {
                waiting = true;
                break;
            }
            if (st == RequestReader::Status::Fatal) {
                bad(c, c.reader.error());
                return;
            }
            if (r.unknown > 0 && !c.logged_unknown) {
                c.logged_unknown = true;
                log.log(LogLevel::Info,
                        "policy service: " + c.peer + ": ignoring unknown attribute " +
                            r.first_unknown +
                            (r.unknown > 1 ? " and " + std::to_string(r.unknown - 1) + " more"
                                           : std::string()) +
                            " (logged once per connection)");
            }
            c.queued.push_back(std::move(r));
            completed = true;
        }
        // policy_timeout runs from the first byte of the request the reader
        // is waiting to complete: a new clock for each request (a pipelining
        // client always has the start of its next request in flight), and
        // none while parsing waits on us (the queue is full: the bytes held
        // may well be complete requests).
        if (waiting && c.reader.mid_request()) {
            if (completed || !c.started) c.started = Clock::now();
        } else {
            c.started.reset();
        }
        while (!c.busy && !c.queued.empty() && c.out.size() - c.out_pos < kMaxOutput) {
            Request r = std::move(c.queued.front());
            c.queued.pop_front();
            if (may_block()) {
                c.busy = true;
                pool->submit(c.id, std::move(r), c.peer);
                break;
            }
            reply(c, answer(r, c.peer));
        }
        if (!c.out.empty() && !flush(c)) return;
        if (!conns.count(id)) return;
        const bool backlog =
            c.queued.size() >= kMaxQueued || c.out.size() - c.out_pos >= kMaxOutput;
        // While we hold back reading (answers unread, or a full queue) the
        // client cannot finish its request: policy_timeout pauses (the
        // answers-not-read clock covers a client that stops reading).
        if (backlog) c.started.reset();
        if (c.peer_closed && c.queued.empty() && !c.busy && c.out.empty()) {
            if (c.reader.mid_request())
                log.log(LogLevel::Info, "policy service: " + c.peer +
                                            ": connection closed in the middle of a request");
            close_conn(c);
            return;
        }
        // After the peer's EOF, EPOLLIN and EPOLLRDHUP would fire forever:
        // only the answers owed are waited for.
        std::uint32_t ev = c.peer_closed ? 0u : static_cast<std::uint32_t>(EPOLLRDHUP);
        if (!backlog && !c.peer_closed) ev |= EPOLLIN;
        if (!c.out.empty()) ev |= EPOLLOUT;
        want(c, ev);
    }

    void readable(Conn& c) {
        char buf[kReadChunk];
        std::size_t total = 0;
        while (total < kReadPerEvent && c.reader.buffered() < kReadPerEvent) {
            const ssize_t n = ::recv(c.fd.get(), buf, sizeof buf, 0);
            if (n > 0) {
                c.reader.append(std::string_view(buf, static_cast<std::size_t>(n)));
                total += static_cast<std::size_t>(n);
                c.active = Clock::now();
                // Parse as we go, so that a flood is refused at its first bad line.
                if (c.queued.size() < kMaxQueued) {
                    const std::uint64_t id = c.id;
                    progress(c);
                    if (!conns.count(id)) return;
                    if (c.queued.size() >= kMaxQueued) break;
                }
                // A short read drained the socket: spare the recv that would
                // say EAGAIN (level-triggered epoll reports what comes later).
                if (static_cast<std::size_t>(n) < sizeof buf) break;
                continue;
            }
            if (n == 0) {
                c.peer_closed = true;
                break;
            }
            if (errno == EINTR) continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK) break;
            close_conn(c);  // reset by the peer
            return;
        }
        progress(c);
    }

    void completions() {
        std::uint64_t n = 0;
        [[maybe_unused]] const auto r = ::read(wake.get(), &n, sizeof n);
        for (auto& d : pool->take_done()) {
            auto it = conns.find(d.conn);
            if (it == conns.end()) continue;  // closed meanwhile: the answer has no reader
            Conn& c = *it->second;
            c.busy = false;
            reply(c, d.action);
            progress(c);
        }
    }

    void tick() {
        const auto now = Clock::now();
        std::vector<std::uint64_t> late, unread, idle;
        for (auto& [id, c] : conns) {
            if (c->started && now - *c->started > opt.request_timeout)
                late.push_back(id);
            else if (!c->out.empty() && now - c->wrote > opt.request_timeout)
                unread.push_back(id);
            else if (!c->busy && c->queued.empty() && c->out.empty() && !c->reader.mid_request() &&
                     now - c->active > opt.idle_timeout)
                idle.push_back(id);
        }
        for (auto id : late) {
            auto it = conns.find(id);
            if (it == conns.end()) continue;
            ++timeouts;
            bad(*it->second, "request not complete (no empty line) " +
                                 std::to_string(opt.request_timeout.count() / 1000) +
                                 " s after its first byte (policy_timeout)");
        }
        for (auto id : unread) {
            auto it = conns.find(id);
            if (it == conns.end()) continue;
            ++timeouts;
            bad(*it->second, "answers not read for " +
                                 std::to_string(opt.request_timeout.count() / 1000) +
                                 " s (policy_timeout)");
        }
        for (auto id : idle) {
            auto it = conns.find(id);
            if (it != conns.end()) close_conn(*it->second);
        }
        if (on_tick && now - last_on_tick >= std::chrono::seconds(1)) {
            last_on_tick = now;
            on_tick();
        }
    }

    void run() {
        std::vector<epoll_event> events(256);
        auto next_tick = Clock::now() + kTick;
        while (!stopping.load()) {
            const int n = ::epoll_wait(ep.get(), events.data(), static_cast<int>(events.size()),
                                       static_cast<int>(kTick.count()));
            if (n < 0 && errno != EINTR) {
                log.log(LogLevel::Error,
                        std::string("policy service: epoll_wait: ") + std::strerror(errno));
                break;
            }
            for (int i = 0; i < n; ++i) {
                const std::uint64_t id = events[i].data.u64;
                if (id == kListenId) {
                    accept_all();
                    continue;
                }
                if (id == kWakeId) {
                    completions();
                    continue;
                }
                auto it = conns.find(id);
                if (it == conns.end()) continue;
                Conn& c = *it->second;
                const std::uint32_t e = events[i].events;
                if (e & EPOLLOUT) {
                    if (!flush(c)) continue;
                    progress(c);
                    if (!conns.count(id)) continue;
                }
                if (e & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) readable(c);
            }
            const auto now = Clock::now();
            if (now >= next_tick) {
                tick();
                next_tick = now + kTick;
            }
        }
        conns.clear();
        open.store(0);
        pool.reset();  // joins the workers
    }
};

Listener::Listener(UniqueFd listen_fd, Answer answer, MayBlock may_block, milter::Logger& log,
                   ListenerOptions options, Tick tick)
    : loop_(std::make_unique<Loop>(std::move(listen_fd), std::move(answer), std::move(may_block),
                                   log, options, std::move(tick))) {}

Listener::~Listener() {
    stop();
}

std::string Listener::start() {
    if (std::string e = loop_->init(); !e.empty()) return e;
    thread_ = std::thread([this] { loop_->run(); });
    return {};
}

void Listener::stop() {
    if (!thread_.joinable()) return;
    loop_->stopping.store(true);
    loop_->signal_wake();
    thread_.join();
}

Listener::Stats Listener::stats() const {
    Stats s;
    s.accepted = loop_->accepted.load();
    s.refused = loop_->refused.load();
    s.requests = loop_->requests.load();
    s.closed_bad = loop_->closed_bad.load();
    s.timeouts = loop_->timeouts.load();
    s.open = loop_->open.load();
    s.peak_output = loop_->peak_output.load();
    return s;
}

}  // namespace mv::policy_service
