// SPDX-License-Identifier: Apache-2.0
// load_generator.cpp - mv-loadgen: drive a milter with concurrent full transactions.
//
//   mv-loadgen --socket SPEC [--connections N] [--messages M] [--per-connection K]
//              [--recipients R] [--body-bytes B] [--headers H] [--warmup W]
//              [--pid PID] [--nodelay] [--buffer BYTES] [--label NAME] [--json FILE]
//
// N threads each open milter connections (MilterClient) and run K messages per
// connection (connect, HELO, then MAIL, RCPT, DATA, H headers, EOH, body,
// end of message, QUIT) until M messages are done, after W warm-up messages
// that are not measured. It prints messages per second, p50/p99/max latency
// per stage (the time from sending a step, with its macros, to its reply, or
// to the write when the step has no reply), the outcomes, and - with --pid -
// CPU seconds of that process per 1,000 messages from /proc/PID/stat.
// --buffer is the MTA's output buffer (Postfix: 4096, see milter_client.hpp);
// --nodelay sets TCP_NODELAY on the client side, which Postfix does not do.
// --json appends the same figures as one JSON object (one line) to FILE.
//
// Exit status: 0 when every message completed, 1 when some failed (the figures
// are still printed), 64 on bad arguments.
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <libmilter/mfdef.h>
#include <sys/resource.h>

#include "latency_stats.hpp"
#include "milter/milter_client.hpp"
#include "proc_cpu.hpp"

namespace {

using mv::bench::LatencyStats;
using mv::milter::MacroList;
using mv::milter::MilterClient;
using mv::milter::MilterReply;
using Clock = std::chrono::steady_clock;

struct Options {
    std::string socket;
    int connections = 8;
    long messages = 2000;
    int per_connection = 1;
    int recipients = 1;
    std::size_t body_bytes = 10240;
    int headers = 8;
    long warmup = 200;
    long pid = 0;
    bool nodelay = false;
    std::size_t buffer = 4096;
    std::string label;
    std::string json;
};

[[noreturn]] void usage(const std::string& why) {
    std::cerr << "mv-loadgen: " << why << "\n"
              << "usage: mv-loadgen --socket SPEC [--connections N] [--messages M]\n"
                 "         [--per-connection K] [--recipients R] [--body-bytes B] [--headers H]\n"
                 "         [--warmup W] [--pid PID] [--nodelay] [--buffer BYTES] [--label NAME]\n"
                 "         [--json FILE]\n";
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
            if (v.empty() || *end || n < lo || n > hi)
                usage(a + " must be a number in " + std::to_string(lo) + ".." + std::to_string(hi));
            return n;
        };
        if (a == "--socket")
            o.socket = value();
        else if (a == "--connections")
            o.connections = static_cast<int>(number(1, 1000));
        else if (a == "--messages")
            o.messages = number(1, 100000000);
        else if (a == "--per-connection")
            o.per_connection = static_cast<int>(number(1, 100000));
        else if (a == "--recipients")
            o.recipients = static_cast<int>(number(1, 1000));
        else if (a == "--body-bytes")
            o.body_bytes = static_cast<std::size_t>(number(0, 64 << 20));
        else if (a == "--headers")
            o.headers = static_cast<int>(number(0, 1000));
        else if (a == "--warmup")
            o.warmup = number(0, 1000000);
        else if (a == "--pid")
            o.pid = number(1, 1L << 30);
        else if (a == "--nodelay")
            o.nodelay = true;
        else if (a == "--buffer")
            o.buffer = static_cast<std::size_t>(number(1, 1 << 24));
        else if (a == "--label")
            o.label = value();
        else if (a == "--json")
            o.json = value();
        else
            usage("unknown option " + a);
    }
    if (o.socket.empty()) usage("--socket is required");
    if (o.label.empty()) o.label = o.socket;
    return o;
}

// A plain-text body of `bytes` bytes, CRLF line ends, lines of 76 characters.
std::string make_body(std::size_t bytes) {
    static const char kText[] =
        "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod temp";
    std::string body;
    body.reserve(bytes);
    while (body.size() + 78 <= bytes) {
        body.append(kText, 76);
        body.append("\r\n");
    }
    body.append(bytes - body.size(), 'x');
    return body;
}

std::vector<std::pair<std::string, std::string>> make_headers(int n, long id) {
    std::vector<std::pair<std::string, std::string>> h = {
        {"Received",
         " from client.example.net (client.example.net [192.0.2.10]) by "
         "mx.example.test (Postfix) with ESMTP id 4Xb" +
             std::to_string(id)},
        {"From", " Sender <sender@example.net>"},
        {"To", " Recipient <rcpt@example.test>"},
        {"Subject", " Quarterly report " + std::to_string(id)},
        {"Date", " Tue, 24 Nov 2026 06:50:00 +0000"},
        {"Message-ID", " <" + std::to_string(id) + "@client.example.net>"},
        {"MIME-Version", " 1.0"},
        {"Content-Type", " text/plain; charset=us-ascii"},
    };
    while (static_cast<int>(h.size()) < n)
        h.push_back({"X-Extra-" + std::to_string(h.size()), " filler value"});
    h.resize(static_cast<std::size_t>(n));
    return h;
}

struct Shared {
    Shared(const Options& o, std::string b) : opt(o), body(std::move(b)) {}
    const Options& opt;
    std::string body;
    std::atomic<long> next{0};
    long limit = 0;
    std::mutex mu;
    LatencyStats stats;
    std::map<std::string, long> outcomes;
    long errors = 0;
    std::string first_error;
    bool measure = false;
};

std::int64_t ns_since(Clock::time_point t0) {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - t0).count();
}

template <class F>
MilterReply timed(LatencyStats& st, const char* stage, bool measure, F&& f) {
    const auto t0 = Clock::now();
    MilterReply r = f();
    if (measure && r.kind != MilterReply::Kind::Skipped) st.add(stage, ns_since(t0));
    return r;
}

// One milter connection with `count` messages; throws WireError when it breaks.
void run_connection(Shared& sh, LatencyStats& st, std::map<std::string, long>& outcomes,
                    long first_id, int count) {
    const bool m = sh.measure;
    const auto session_start = Clock::now();
    MilterClient c;
    const std::string ip = "10." + std::to_string((first_id >> 16) & 0xff) + "." +
                           std::to_string((first_id >> 8) & 0xff) + "." +
                           std::to_string(first_id & 0xff);
    const std::string host = "host" + std::to_string(first_id) + ".example.net";
    {
        const auto t0 = Clock::now();
        c.set_buffer_size(sh.opt.buffer);
        c.open(sh.opt.socket);
        c.set_nodelay(sh.opt.nodelay);
        c.negotiate();
        if (m) st.add("negotiate", ns_since(t0));
    }
    const MacroList conn_macros = {{"j", "mx.example.test"},       {"{daemon_name}", "smtpd"},
                                   {"{daemon_addr}", "127.0.0.1"}, {"v", "Postfix 3.7"},
                                   {"_", host + " [" + ip + "]"},  {"{client_addr}", ip},
                                   {"{client_name}", host}};
    MilterReply r = timed(st, "connect", m,
                          [&] { return c.connect(host, SMFIA_INET, 40000, ip, conn_macros); });
    if (!r.final()) r = timed(st, "helo", m, [&] { return c.helo(host, {}); });
    if (r.final()) {
        outcomes[std::string("session-") + std::string(mv::milter::kind_name(r.kind))] += count;
        c.quit();
        return;
    }
    for (int k = 0; k < count; ++k) {
        const long id = first_id + k;
        const auto t_msg = Clock::now();
        const std::string qid = "4Xb" + std::to_string(id);
        const std::string sender = "<user" + std::to_string(id % 5000) + "@sender" +
                                   std::to_string(id % 997) + ".example.org>";
        const std::string size = "SIZE=" + std::to_string(sh.body.size() + 600);
        MilterReply last = timed(st, "mail", m, [&] {
            return c.mail({sender, size}, {{"i", qid},
                                           {"{mail_addr}", sender.substr(1, sender.size() - 2)},
                                           {"{mail_mailer}", "smtp"}});
        });
        for (int i = 0; i < sh.opt.recipients && !last.final(); ++i) {
            const std::string rcpt = "<rcpt" + std::to_string(i) + "@example.test>";
            last = timed(st, "rcpt", m, [&] {
                return c.rcpt({rcpt}, {{"i", qid},
                                       {"{rcpt_addr}", rcpt.substr(1, rcpt.size() - 2)},
                                       {"{rcpt_mailer}", "local"}});
            });
        }
        if (!last.final()) last = timed(st, "data", m, [&] { return c.data({{"i", qid}}); });
        if (!last.final()) {
            const auto hs = make_headers(sh.opt.headers, id);
            for (const auto& [name, value] : hs) {
                last = timed(st, "header", m, [&] { return c.header(name, value, {}); });
                if (last.final()) break;
            }
        }
        if (!last.final()) last = timed(st, "eoh", m, [&] { return c.eoh({{"i", qid}}); });
        if (!last.final()) last = timed(st, "body", m, [&] { return c.body(sh.body); });
        if (!last.final()) last = timed(st, "eom", m, [&] { return c.eom({{"i", qid}}); });
        if (last.final() || last.kind == MilterReply::Kind::Continue) {
            std::string what(mv::milter::kind_name(last.kind));
            if (last.kind == MilterReply::Kind::ReplyCode) what += " " + last.text.substr(0, 3);
            if (!last.edits.empty()) what += " +edits";
            ++outcomes[what];
        }
        if (m) st.add("message", ns_since(t_msg));
        // The MTA ends a refused message with an abort before the next MAIL.
        if (last.final() && k + 1 < count) c.abort();
    }
    c.quit();
    if (m) st.add("session", ns_since(session_start));
}

void worker(Shared& sh) {
    LatencyStats st;
    std::map<std::string, long> outcomes;
    long errors = 0;
    std::string first_error;
    for (;;) {
        const long first = sh.next.fetch_add(sh.opt.per_connection);
        if (first >= sh.limit) break;
        const int count = static_cast<int>(std::min<long>(sh.opt.per_connection, sh.limit - first));
        try {
            run_connection(sh, st, outcomes, first, count);
        } catch (const std::exception& e) {
            errors += count;
            if (first_error.empty()) first_error = e.what();
        }
    }
    std::lock_guard<std::mutex> lock(sh.mu);
    sh.stats.merge(st);
    for (const auto& [k, v] : outcomes) sh.outcomes[k] += v;
    sh.errors += errors;
    if (sh.first_error.empty()) sh.first_error = first_error;
}

void run_phase(Shared& sh, long messages, bool measure) {
    sh.next = 0;
    sh.limit = messages;
    sh.measure = measure;
    std::vector<std::thread> threads;
    for (int i = 0; i < sh.opt.connections; ++i) threads.emplace_back(worker, std::ref(sh));
    for (auto& t : threads) t.join();
}

double cpu_self() {
    rusage ru{};
    ::getrusage(RUSAGE_SELF, &ru);
    return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
           static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

std::string json_escape(const std::string& s) {
    std::string out;
    for (char ch : s) {
        if (ch == '"' || ch == '\\') out += '\\';
        if (static_cast<unsigned char>(ch) < 0x20) {
            out += ' ';
            continue;
        }
        out += ch;
    }
    return out;
}

}  // namespace

int main(int argc, char** argv) {
    const Options opt = parse(argc, argv);
    Shared sh{opt, make_body(opt.body_bytes)};

    // The negotiated steps, from one probe connection (also checks the socket).
    std::uint32_t protocol = 0;
    try {
        MilterClient probe;
        probe.open(opt.socket);
        protocol = probe.negotiate().protocol;
        probe.quit();
    } catch (const std::exception& e) {
        std::cerr << "mv-loadgen: " << opt.socket << ": " << e.what() << "\n";
        return 1;
    }

    if (opt.warmup > 0) run_phase(sh, opt.warmup, false);
    sh.stats = LatencyStats();
    sh.outcomes.clear();
    sh.errors = 0;

    const double cpu0 = opt.pid ? mv::bench::process_cpu_seconds(static_cast<pid_t>(opt.pid)) : -1;
    const double self0 = cpu_self();
    const auto t0 = Clock::now();
    run_phase(sh, opt.messages, true);
    const double seconds = std::chrono::duration<double>(Clock::now() - t0).count();
    // Let the milter finish its close callbacks before the second reading.
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    const double cpu1 = opt.pid ? mv::bench::process_cpu_seconds(static_cast<pid_t>(opt.pid)) : -1;
    const double self1 = cpu_self();

    const long done = opt.messages - sh.errors;
    const double rate = done / seconds;
    const double cpu = (cpu0 >= 0 && cpu1 >= 0) ? cpu1 - cpu0 : -1;
    const double cpu_per_1000 = (cpu >= 0 && done > 0) ? cpu / done * 1000.0 : -1;
    const double self_per_1000 = done > 0 ? (self1 - self0) / done * 1000.0 : -1;

    char buf[512];
    std::snprintf(buf, sizeof buf,
                  "%s: %ld messages, %d connections, %.2f s, %.0f msg/s, milter CPU %.3f s "
                  "per 1000 msgs, protocol 0x%06x, errors %ld\n",
                  opt.label.c_str(), done, opt.connections, seconds, rate, cpu_per_1000, protocol,
                  sh.errors);
    std::cout << buf;
    const char* order[] = {"negotiate", "connect", "helo", "mail", "rcpt",    "data",
                           "header",    "eoh",     "body", "eom",  "message", "session"};
    std::cout << "  stage        count    p50 ms    p99 ms    max ms\n";
    for (const char* s : order) {
        const auto x = sh.stats.summary(s);
        if (x.count == 0) continue;
        std::snprintf(buf, sizeof buf, "  %-10s %7zu %9.3f %9.3f %9.3f\n", s, x.count, x.p50_ms,
                      x.p99_ms, x.max_ms);
        std::cout << buf;
    }
    std::cout << "  outcomes:";
    for (const auto& [k, v] : sh.outcomes) std::cout << " " << k << "=" << v;
    std::cout << "\n";
    if (!sh.first_error.empty()) std::cout << "  first error: " << sh.first_error << "\n";

    if (!opt.json.empty()) {
        std::ostringstream j;
        j.setf(std::ios::fixed);
        j.precision(4);
        j << "{\"label\": \"" << json_escape(opt.label) << "\", \"socket\": \""
          << json_escape(opt.socket) << "\", \"connections\": " << opt.connections
          << ", \"messages\": " << done << ", \"errors\": " << sh.errors
          << ", \"seconds\": " << seconds << ", \"msgs_per_sec\": " << rate
          << ", \"cpu_seconds\": " << cpu << ", \"cpu_s_per_1000\": " << cpu_per_1000
          << ", \"loadgen_cpu_s_per_1000\": " << self_per_1000 << ", \"protocol\": " << protocol
          << ", \"nodelay\": " << (opt.nodelay ? "true" : "false") << ", \"stages\": {";
        bool first = true;
        for (const char* s : order) {
            const auto x = sh.stats.summary(s);
            if (x.count == 0) continue;
            j << (first ? "" : ", ") << "\"" << s << "\": {\"count\": " << x.count
              << ", \"p50_ms\": " << x.p50_ms << ", \"p99_ms\": " << x.p99_ms
              << ", \"max_ms\": " << x.max_ms << ", \"mean_ms\": " << x.mean_ms << "}";
            first = false;
        }
        j << "}, \"outcomes\": {";
        first = true;
        for (const auto& [k, v] : sh.outcomes) {
            j << (first ? "" : ", ") << "\"" << json_escape(k) << "\": " << v;
            first = false;
        }
        j << "}}\n";
        std::ofstream(opt.json, std::ios::app) << j.str();
    }
    return sh.errors == 0 ? 0 : 1;
}
