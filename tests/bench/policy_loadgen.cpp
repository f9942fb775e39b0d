// SPDX-License-Identifier: Apache-2.0
// policy_loadgen.cpp - mv-policy-loadgen: drive a Postfix policy service with
// persistent connections of RCPT requests.
//
//   mv-policy-loadgen --socket SPEC [--connections N] [--requests M] [--warmup W]
//                     [--entries E] [--rcpts R] [--messages K] [--rate Q] [--pid PID]
//                     [--label NAME] [--json FILE]
//   mv-policy-loadgen --write-policy DIR --entries E
//
// One thread, one epoll loop over N connections (inet:PORT@HOST or
// unix:/PATH); each connection is one smtpd process of Postfix: it sends a
// request, waits for its answer, sends the next, as Postfix does. The
// requests are what Postfix sends from smtpd_recipient_restrictions: RCPT,
// every attribute filled, R recipients per message (one instance) and K
// messages per SMTP session (one client address and port). One session in
// 20 comes from a network of the benchmark's block list, one message in 20
// from a blocked sender domain and one in 20 from a blocked address (entries
// below E, bench_policy.hpp), the rest passes: the answers are counted.
// Without --rate each connection sends its next request as soon as the answer
// is in (saturation: latency is then mostly queueing, N / throughput); with
// --rate Q the connections together offer Q requests per second, each one
// request every N/Q seconds (a connection still waiting sends when its answer
// comes), which is how busy smtpd processes ask: the latency then is the
// service's own.
// After W warm-up requests, M requests are measured: requests per second,
// latency p50/p99/max from the write of a request to its complete answer,
// and, with --pid, CPU seconds of that process per 1,000 requests.
// --json appends the figures as one JSON object (one line) to FILE.
// --write-policy writes the benchmark's envelope policy and its lists of E
// entries under DIR (as mv-engine-bench does) and prints the configuration's path.
//
// Exit status: 0 when every request got an answer, 1 otherwise (a closed
// connection, a timeout of 30 s without progress), 64 on bad arguments.
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <arpa/inet.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "bench_policy.hpp"
#include "latency_stats.hpp"
#include "proc_cpu.hpp"

namespace {

using Clock = std::chrono::steady_clock;

struct Options {
    std::string socket;
    int connections = 10;
    long requests = 100000;
    long warmup = 2000;
    long entries = 1000000;
    int rcpts = 3;
    int messages = 2;
    double rate = 0;  // requests per second offered by all connections; 0 = as fast as answered
    long pid = 0;
    std::string label = "policy";
    std::string json;
    std::string write_policy;
};

[[noreturn]] void usage(const std::string& why) {
    std::cerr << "mv-policy-loadgen: " << why << "\n"
              << "usage: mv-policy-loadgen --socket SPEC [--connections N] [--requests M]\n"
                 "         [--warmup W] [--entries E] [--rcpts R] [--messages K] [--rate Q]\n"
                 "         [--pid PID]\n"
                 "         [--label NAME] [--json FILE]\n"
                 "       mv-policy-loadgen --write-policy DIR --entries E\n";
    std::exit(64);
}

Options parse(int argc, char** argv) {
    Options o;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        auto value = [&]() -> std::string {
            if (i + 1 >= argc) usage(a + " needs a value");
            return argv[++i];
        };
        auto number = [&](long lo, long hi) {
            const std::string v = value();
            char* end = nullptr;
            const long n = std::strtol(v.c_str(), &end, 10);
            if (v.empty() || *end || n < lo || n > hi) usage(a + ": bad number " + v);
            return n;
        };
        if (a == "--socket")
            o.socket = value();
        else if (a == "--connections")
            o.connections = static_cast<int>(number(1, 10000));
        else if (a == "--requests")
            o.requests = number(1, 100000000);
        else if (a == "--warmup")
            o.warmup = number(0, 100000000);
        else if (a == "--entries")
            o.entries = number(1, 100000000);
        else if (a == "--rcpts")
            o.rcpts = static_cast<int>(number(1, 1000));
        else if (a == "--messages")
            o.messages = static_cast<int>(number(1, 1000));
        else if (a == "--rate")
            o.rate = static_cast<double>(number(1, 10000000));
        else if (a == "--pid")
            o.pid = number(1, 1L << 30);
        else if (a == "--label")
            o.label = value();
        else if (a == "--json")
            o.json = value();
        else if (a == "--write-policy")
            o.write_policy = value();
        else
            usage("unknown argument " + a);
    }
    if (o.write_policy.empty() && o.socket.empty()) usage("--socket is required");
    return o;
}

int connect_to(const std::string& spec) {
    if (spec.rfind("unix:", 0) == 0) {
        sockaddr_un a{};
        a.sun_family = AF_UNIX;
        const std::string path = spec.substr(5);
        if (path.size() >= sizeof a.sun_path) return -1;
        std::memcpy(a.sun_path, path.c_str(), path.size() + 1);
        const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0 || ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) return -1;
        return fd;
    }
    if (spec.rfind("inet:", 0) != 0 || spec.find('@') == std::string::npos) return -1;
    const std::string port = spec.substr(5, spec.find('@') - 5);
    const std::string host = spec.substr(spec.find('@') + 1);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<unsigned short>(std::atoi(port.c_str())));
    if (::inet_pton(AF_INET, host.c_str(), &a.sin_addr) != 1) return -1;
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) return -1;
    const int one = 1;  // Postfix writes a request in one go; so do we
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fd;
}

// What connection `c` sends as its n-th request.
struct Workload {
    const Options& o;
    std::string make(int c, long n) const {
        const long per_session = static_cast<long>(o.rcpts) * o.messages;
        const long session = n / per_session;  // per connection
        const long message = n / o.rcpts;
        const long global = session * o.connections + c;  // distinct SMTP sessions
        const long hit = global % o.entries;
        std::string client;
        if (global % 20 == 7) {
            client = mv::bench::address_in_network(hit - hit % 2);  // an IPv4 entry
        } else {
            client = "10." + std::to_string((global >> 16) & 0xff) + "." +
                     std::to_string((global >> 8) & 0xff) + "." + std::to_string(global & 0xff);
        }
        const long m = message * o.connections + c;
        std::string sender;
        if (m % 20 == 3)
            sender = "news@" + mv::bench::domain_entry(m % o.entries);
        else if (m % 20 == 11)
            sender = mv::bench::address_entry(m % o.entries);
        else
            sender = "user" + std::to_string(m % 100000) + "@sender" + std::to_string(m % 977) +
                     ".example";
        std::string r;
        r.reserve(900);
        r += "request=smtpd_access_policy\nprotocol_state=RCPT\nprotocol_name=ESMTP\n";
        r += "client_address=" + client + "\n";
        r += "client_name=mx" + std::to_string(global % 5000) + ".client.example\n";
        r += "reverse_client_name=mx" + std::to_string(global % 5000) + ".client.example\n";
        r += "client_port=" + std::to_string(1024 + global % 60000) + "\n";
        r += "server_address=192.0.2.25\nserver_port=25\n";
        r += "helo_name=mx" + std::to_string(global % 5000) + ".client.example\n";
        r += "sender=" + sender + "\n";
        r += "recipient=rcpt" + std::to_string(n % o.rcpts) + "-" + std::to_string(m % 1000) +
             "@example.org\n";
        r += "recipient_count=0\nqueue_id=\n";
        r += "instance=" + std::to_string(c) + "." + std::to_string(message) + "\n";
        r += "size=12345\nsasl_method=\nsasl_username=\nsasl_sender=\n"
             "ccert_subject=\nccert_issuer=\nccert_fingerprint=\nccert_pubkey_fingerprint=\n"
             "encryption_protocol=\nencryption_cipher=\nencryption_keysize=0\netrn_domain=\n"
             "stress=\npolicy_context=\ncompatibility_level=3.6\nmail_version=3.7.11\n\n";
        return r;
    }
};

struct Conn {
    int fd = -1;
    long sent = 0;  // requests of this connection so far
    std::string in;
    Clock::time_point t0;
    Clock::time_point due;  // --rate: when the next request is to be sent
    bool waiting = false;
    bool queued = false;  // --rate: answered, waiting for `due`
};

struct Run {
    long answered = 0, failed = 0;
    std::map<std::string, long> answers;
    mv::bench::LatencyStats stats;
};

// Sends requests until `total` answers came back (measured when `measure`).
bool drive(const Options& o, std::vector<Conn>& conns, int ep, long total, bool measure, Run& run,
           const Workload& w) {
    long issued = 0;
    const auto send_next = [&](int i) {
        Conn& c = conns[static_cast<std::size_t>(i)];
        if (issued >= total) return;
        const std::string r = w.make(i, c.sent++);
        ++issued;
        c.t0 = Clock::now();
        c.waiting = true;
        std::size_t off = 0;
        while (off < r.size()) {  // a request fits the socket buffer: no EAGAIN in practice
            const ssize_t n = ::send(c.fd, r.data() + off, r.size() - off, MSG_NOSIGNAL);
            if (n <= 0) {
                ++run.failed;
                c.waiting = false;
                return;
            }
            off += static_cast<std::size_t>(n);
        }
    };
    const auto interval = std::chrono::duration_cast<Clock::duration>(
        std::chrono::duration<double>(o.rate > 0 ? conns.size() / o.rate : 0));
    const auto start = Clock::now();
    for (int i = 0; i < static_cast<int>(conns.size()); ++i) {
        Conn& c = conns[static_cast<std::size_t>(i)];
        if (o.rate > 0) {  // spread the first requests over one interval
            c.due = start + interval * i / static_cast<long>(conns.size());
            c.queued = true;
        } else {
            send_next(i);
        }
    }
    // --rate: send what is due; the time until the next due request, in ms.
    const auto send_due = [&]() -> int {
        if (o.rate <= 0) return 1000;
        const auto now = Clock::now();
        auto next = now + std::chrono::seconds(1);
        for (int i = 0; i < static_cast<int>(conns.size()); ++i) {
            Conn& c = conns[static_cast<std::size_t>(i)];
            if (!c.queued) continue;
            if (c.due <= now) {
                c.queued = false;
                c.due += interval;
                send_next(i);
            } else if (c.due < next) {
                next = c.due;
            }
        }
        const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(next - now).count();
        return static_cast<int>(ms < 0 ? 0 : ms);
    };
    long done = 0;
    std::vector<epoll_event> ev(256);
    auto last_progress = Clock::now();
    while (done < total && run.failed == 0) {
        const int wait = send_due();
        const int n = ::epoll_wait(ep, ev.data(), static_cast<int>(ev.size()), wait);
        if (n <= 0) {
            if (o.rate > 0 && Clock::now() - last_progress < std::chrono::seconds(30)) continue;
            if (Clock::now() - last_progress > std::chrono::seconds(30)) {
                std::cerr << "mv-policy-loadgen: no answer for 30 s\n";
                ++run.failed;
            }
            continue;
        }
        for (int k = 0; k < n; ++k) {
            const int i = static_cast<int>(ev[k].data.u32);
            Conn& c = conns[static_cast<std::size_t>(i)];
            char buf[16384];
            const ssize_t got = ::recv(c.fd, buf, sizeof buf, 0);
            if (got <= 0) {
                std::cerr << "mv-policy-loadgen: connection " << i << " closed by the service\n";
                ++run.failed;
                continue;
            }
            c.in.append(buf, static_cast<std::size_t>(got));
            std::size_t end;
            while ((end = c.in.find("\n\n")) != std::string::npos) {
                const auto now = Clock::now();
                const std::string answer = c.in.substr(0, end);
                c.in.erase(0, end + 2);
                if (!c.waiting) continue;
                c.waiting = false;
                ++done;
                last_progress = now;
                if (measure) {
                    run.stats.add(
                        "request",
                        std::chrono::duration_cast<std::chrono::nanoseconds>(now - c.t0).count());
                    std::string kind = answer.substr(0, answer.find(' '));
                    if (kind.rfind("action=", 0) == 0) kind = kind.substr(7);
                    if (kind.size() == 3 && (kind[0] == '4' || kind[0] == '5'))
                        kind = std::string(1, kind[0]) + "xx";
                    ++run.answers[kind];
                    ++run.answered;
                }
                if (o.rate > 0)
                    c.queued = true;  // sent by send_due() when due
                else
                    send_next(i);
            }
        }
    }
    return run.failed == 0;
}

}  // namespace

int main(int argc, char** argv) {
    const Options o = parse(argc, argv);
    if (!o.write_policy.empty()) {
        try {
            const auto f = mv::bench::write_bench_policy(
                o.write_policy, o.entries, false, "policy-envelope-" + std::to_string(o.entries));
            std::cout << f.config << "\n";
            return 0;
        } catch (const std::exception& e) {
            std::cerr << "mv-policy-loadgen: " << e.what() << "\n";
            return 1;
        }
    }
    const int ep = ::epoll_create1(EPOLL_CLOEXEC);
    std::vector<Conn> conns(static_cast<std::size_t>(o.connections));
    for (int i = 0; i < o.connections; ++i) {
        Conn& c = conns[static_cast<std::size_t>(i)];
        c.fd = connect_to(o.socket);
        if (c.fd < 0) {
            std::cerr << "mv-policy-loadgen: cannot connect to " << o.socket << ": "
                      << std::strerror(errno) << "\n";
            return 1;
        }
        epoll_event e{};
        e.events = EPOLLIN;
        e.data.u32 = static_cast<std::uint32_t>(i);
        ::epoll_ctl(ep, EPOLL_CTL_ADD, c.fd, &e);
    }
    const Workload w{o};
    Run warm;
    if (o.warmup > 0 && !drive(o, conns, ep, o.warmup, false, warm, w)) return 1;
    Run run;
    const double cpu0 = o.pid ? mv::bench::process_cpu_seconds(static_cast<pid_t>(o.pid)) : -1;
    const auto t0 = Clock::now();
    const bool ok = drive(o, conns, ep, o.requests, true, run, w);
    const double seconds = std::chrono::duration<double>(Clock::now() - t0).count();
    const double cpu1 = o.pid ? mv::bench::process_cpu_seconds(static_cast<pid_t>(o.pid)) : -1;
    for (auto& c : conns) ::close(c.fd);
    ::close(ep);

    const double rate = run.answered / seconds;
    const double cpu = cpu0 >= 0 && cpu1 >= 0 ? cpu1 - cpu0 : -1;
    const double per1000 = cpu >= 0 && run.answered ? cpu / run.answered * 1000.0 : -1;
    const auto s = run.stats.summary("request");
    char buf[512];
    std::snprintf(buf, sizeof buf,
                  "%s: %ld requests, %d connections, %.2f s, %.0f req/s, p50 %.3f ms, p99 %.3f ms, "
                  "max %.3f ms, service CPU %.3f s per 1000 requests\n",
                  o.label.c_str(), run.answered, o.connections, seconds, rate, s.p50_ms, s.p99_ms,
                  s.max_ms, per1000);
    std::cout << buf << "  answers:";
    for (const auto& [k, v] : run.answers) std::cout << " " << k << "=" << v;
    std::cout << "\n";
    if (!o.json.empty()) {
        std::ostringstream j;
        j.setf(std::ios::fixed);
        j.precision(4);
        j << "{\"label\": \"" << o.label << "\", \"socket\": \"" << o.socket
          << "\", \"connections\": " << o.connections << ", \"rate\": " << o.rate
          << ", \"requests\": " << run.answered << ", \"failed\": " << run.failed
          << ", \"seconds\": " << seconds << ", \"req_per_sec\": " << rate
          << ", \"p50_ms\": " << s.p50_ms << ", \"p99_ms\": " << s.p99_ms
          << ", \"max_ms\": " << s.max_ms << ", \"cpu_seconds\": " << cpu
          << ", \"cpu_s_per_1000\": " << per1000 << ", \"answers\": {";
        bool first = true;
        for (const auto& [k, v] : run.answers) {
            j << (first ? "" : ", ") << "\"" << k << "\": " << v;
            first = false;
        }
        j << "}}\n";
        std::ofstream(o.json, std::ios::app) << j.str();
    }
    return ok ? 0 : 1;
}
