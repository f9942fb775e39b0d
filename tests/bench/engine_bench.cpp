// SPDX-License-Identifier: Apache-2.0
// engine_bench.cpp - mv-engine-bench: transactions per second through policy::Session.
//
//   mv-engine-bench [--sizes 1000,100000,1000000] [--seconds S] [--dir DIR]
//                   [--content] [--json FILE]
//
// For each list size it writes the benchmark policy (bench_policy.hpp: 20
// rules, three list files of that size), loads it with the real loader
// (timing the load and the resident memory it adds), then drives whole SMTP
// transactions through a Session for S seconds: connect, HELO, MAIL, one
// RCPT, DATA, 8 headers, a 10 KB body, end of message. The workload is fixed
// across sizes: 3 transactions in 16 hit a list entry, one per list (all below index 1,000,
// so present in every size), the rest miss. It prints transactions per second
// per size and the ratio of the smallest size's rate to the largest's (the
// cost growth with the list; 1.0 = none); --json appends one JSON object.
//
// Exit status: 0, 1 when a policy fails to load (its diagnostics printed), 64
// on bad arguments.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include <sys/stat.h>
#include <unistd.h>

#include "bench_policy.hpp"
#include "config/loader.hpp"
#include "policy/session.hpp"

namespace {

using Clock = std::chrono::steady_clock;

struct Options {
    std::vector<long> sizes = {1000, 100000, 1000000};
    double seconds = 3.0;
    std::string dir = "build/bench/engine";
    bool content = false;
    std::string json;
};

[[noreturn]] void usage(const std::string& why) {
    std::cerr << "mv-engine-bench: " << why << "\n"
              << "usage: mv-engine-bench [--sizes N,N,...] [--seconds S] [--dir DIR] [--content]"
                 " [--json FILE]\n";
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
        if (a == "--sizes") {
            o.sizes.clear();
            std::stringstream ss(value());
            std::string item;
            while (std::getline(ss, item, ',')) {
                const long n = std::atol(item.c_str());
                if (n < 1 || n > 10000000) usage("sizes must be 1..10000000");
                o.sizes.push_back(n);
            }
        } else if (a == "--seconds") {
            o.seconds = std::atof(value().c_str());
            if (o.seconds <= 0 || o.seconds > 600) usage("--seconds must be in (0, 600]");
        } else if (a == "--dir") {
            o.dir = value();
        } else if (a == "--content") {
            o.content = true;
        } else if (a == "--json") {
            o.json = value();
        } else {
            usage("unknown option " + a);
        }
    }
    if (o.sizes.empty()) usage("no sizes");
    return o;
}

long rss_kib() {
    std::ifstream in("/proc/self/status");
    std::string line;
    while (std::getline(in, line))
        if (line.rfind("VmRSS:", 0) == 0) return std::atol(line.c_str() + 6);
    return 0;
}

struct Workload {
    std::string client_addr, client_name, helo, sender, rcpt, subject;
};

// 64 distinct transactions; 3 in 16 hit a list (networks, domains,
// addresses in turn) with an entry below index 1,000.
std::vector<Workload> make_workload() {
    std::vector<Workload> w;
    for (long i = 0; i < 64; ++i) {
        Workload x;
        x.client_addr = "10." + std::to_string(i) + ".3." + std::to_string(i + 7);
        x.client_name = "mail" + std::to_string(i) + ".example.net";
        x.helo = x.client_name;
        x.sender = "user" + std::to_string(i) + "@sender" + std::to_string(i) + ".example.org";
        x.rcpt = "rcpt" + std::to_string(i % 5) + "@example.test";
        x.subject = "Quarterly report " + std::to_string(i);
        if (i % 16 == 5) x.client_addr = mv::bench::address_in_network(i * 13);
        if (i % 16 == 10) x.sender = "news@mx." + mv::bench::domain_entry(i * 17);
        if (i % 16 == 15) x.sender = mv::bench::address_entry(i * 11);
        w.push_back(std::move(x));
    }
    return w;
}

std::string make_body() {
    std::string body;
    while (body.size() < 10240)
        body += "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tem\r\n";
    body.resize(10240);
    return body;
}

// One whole transaction; returns the number of refusals (to keep the work observable).
int run_one(const mv::policy::PolicyPtr& policy, const Workload& w, const std::string& body) {
    using mv::policy::Action;
    mv::policy::Session s(policy);
    auto& tx = s.transaction();
    tx.client_addr = w.client_addr;
    tx.client_name = w.client_name;
    tx.client_resolve = "OK";
    tx.daemon_name = "smtpd";
    tx.macros["daemon_name"] = "smtpd";
    int refused = 0;
    auto count = [&](const mv::policy::Verdict& v) {
        if (v.action == Action::Reject || v.action == Action::Tempfail) ++refused;
        return v.final();
    };
    if (count(s.connect())) return refused;
    if (count(s.helo(w.helo))) return refused;
    tx.macros["i"] = "4XbQ1";
    if (count(s.mail(w.sender))) return refused;
    if (count(s.rcpt(w.rcpt))) return refused;
    if (count(s.data())) return refused;
    s.header("Received", "from " + w.client_name + " by mx.example.test");
    s.header("From", "Sender <" + w.sender + ">");
    s.header("To", "<" + w.rcpt + ">");
    s.header("Subject", w.subject);
    s.header("Date", "Tue, 24 Nov 2026 06:50:00 +0000");
    s.header("Message-ID", "<1234@example.net>");
    s.header("MIME-Version", "1.0");
    s.header("Content-Type", "text/plain; charset=us-ascii");
    s.body(body);
    count(s.end_of_message());
    return refused;
}

struct Result {
    long size = 0;
    double load_s = 0, rss_mib = 0, bytes_per_entry = 0, tps = 0;
    long transactions = 0, refused = 0;
};

}  // namespace

int main(int argc, char** argv) {
    const Options opt = parse(argc, argv);
    ::mkdir(opt.dir.c_str(), 0755);
    const auto work = make_workload();
    const std::string body = make_body();
    std::vector<Result> results;
    for (long size : opt.sizes) {
        Result r;
        r.size = size;
        const auto files = mv::bench::write_bench_policy(
            opt.dir, size, opt.content,
            std::string(opt.content ? "content" : "envelope") + "-" + std::to_string(size));
        const long rss0 = rss_kib();
        const auto t0 = Clock::now();
        auto loaded = mv::config::load_policy(files.config);
        r.load_s = std::chrono::duration<double>(Clock::now() - t0).count();
        if (!loaded.ok()) {
            for (const auto& d : loaded.diagnostics) std::cerr << d.to_string() << "\n";
            return 1;
        }
        const long rss1 = rss_kib();
        r.rss_mib = static_cast<double>(rss1 - rss0) / 1024.0;
        r.bytes_per_entry = static_cast<double>(rss1 - rss0) * 1024.0 / (3.0 * size);

        // Warm up (caches, allocator), then measure for opt.seconds.
        for (int i = 0; i < 2000; ++i) run_one(loaded.policy, work[i % work.size()], body);
        const auto start = Clock::now();
        const auto stop = start + std::chrono::duration<double>(opt.seconds);
        long n = 0;
        auto now = start;
        while (now < stop) {
            for (int k = 0; k < 256; ++k, ++n)
                r.refused += run_one(loaded.policy, work[n % work.size()], body);
            now = Clock::now();
        }
        r.transactions = n;
        r.tps = n / std::chrono::duration<double>(now - start).count();
        std::printf(
            "engine: lists of %8ld entries: load %6.2f s, +%7.1f MiB (%5.0f B/entry), "
            "%8.0f transactions/s (%ld refused of %ld)\n",
            size, r.load_s, r.rss_mib, r.bytes_per_entry, r.tps, r.refused, r.transactions);
        std::fflush(stdout);
        results.push_back(r);
        loaded.policy.reset();
    }
    const double ratio = results.back().tps > 0 ? results.front().tps / results.back().tps : 0;
    std::printf("engine: rate with %ld entries / rate with %ld entries = %.2f (goal <= 1.5)\n",
                results.front().size, results.back().size, ratio);
    if (!opt.json.empty()) {
        std::ostringstream j;
        j << "{\"content\": " << (opt.content ? "true" : "false") << ", \"sizes\": [";
        for (std::size_t i = 0; i < results.size(); ++i) {
            const auto& r = results[i];
            j << (i ? ", " : "") << "{\"entries\": " << r.size << ", \"load_s\": " << r.load_s
              << ", \"rss_mib\": " << r.rss_mib << ", \"bytes_per_entry\": " << r.bytes_per_entry
              << ", \"tps\": " << r.tps << ", \"transactions\": " << r.transactions
              << ", \"refused\": " << r.refused << "}";
        }
        j << "], \"ratio_smallest_to_largest\": " << ratio << "}\n";
        std::ofstream(opt.json, std::ios::app) << j.str();
    }
    return 0;
}
