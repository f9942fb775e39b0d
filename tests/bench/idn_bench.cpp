// SPDX-License-Identifier: Apache-2.0
// idn_bench.cpp - mv-idn-bench: what IDN support costs a domain comparison.
//
//   mv-idn-bench [--seconds S] [--entries N] [--json FILE]
//
// Times, in nanoseconds per call and in one run:
//   * the lower-casing copy that normalize_domain() was before IDN support
//     (reproduced here as the baseline) and normalize_domain() now, on an
//     ASCII domain (the fast path) and on a U-label domain, repeated (the
//     per-thread memo) and each time a new one (libidn2 every call);
//   * building a DomainSet of 100,000 ASCII, U-label or A-label entries
//     (microseconds per entry: what a list file's load time grows by);
//   * DomainSet::contains() on sets of 1,000 and N entries (half of them
//     U-labels, converted at build time), for an ASCII hit, an ASCII miss and
//     a U-label hit (64 domains in turn, and one repeated as a transaction
//     repeats it), each value four labels deep; beside it the lookup as it
//     was before (one std::string per probed suffix), on the same set.
// Ratios printed: new / before for ASCII (1.0 = no cost added), U-label /
// ASCII, and N-entry / 1,000-entry (1.0 = cost independent of the list).
// Prints figures and asserts nothing (make bench).
//
// Exit status: 0, 64 on bad arguments.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <string>
#include <unordered_set>
#include <vector>

#include "policy/address.hpp"
#include "policy/domain_set.hpp"

namespace {

using Clock = std::chrono::steady_clock;

struct Options {
    double seconds = 0.5;
    long entries = 1000000;
    std::string json;
};

[[noreturn]] void usage(const std::string& why) {
    std::cerr << "mv-idn-bench: " << why << "\n"
              << "usage: mv-idn-bench [--seconds S] [--entries N] [--json FILE]\n";
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
        if (a == "--seconds")
            o.seconds = std::atof(value().c_str());
        else if (a == "--entries")
            o.entries = std::atol(value().c_str());
        else if (a == "--json")
            o.json = value();
        else
            usage("unknown argument " + a);
    }
    if (o.seconds <= 0 || o.entries < 1000) usage("bad --seconds or --entries");
    return o;
}

// normalize_domain() before IDN support (git history: plugin/policy/address.cpp).
std::string legacy_normalize(std::string_view domain) {
    if (!domain.empty() && domain.back() == '.') domain.remove_suffix(1);
    std::string out(domain);
    for (char& c : out)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    return out;
}

// DomainSet's lookup before IDN support: a std::string per probed suffix.
struct LegacySet {
    std::unordered_set<std::string> exact, tree;
    bool contains(std::string_view domain) const {
        const std::string d = legacy_normalize(domain);
        if (d.empty()) return false;
        if (exact.count(d)) return true;
        std::string_view rest(d);
        while (true) {
            if (tree.count(std::string(rest))) return true;
            const auto dot = rest.find('.');
            if (dot == std::string_view::npos) return false;
            rest.remove_prefix(dot + 1);
        }
    }
};

volatile std::size_t g_sink = 0;  // keeps the timed calls from being optimised away

// Nanoseconds per call of f(values[i % n]) over about `seconds`.
template <typename F>
double time_ns(double seconds, const std::vector<std::string>& values, F f) {
    std::size_t calls = 0;
    std::size_t sink = 0;
    const auto t0 = Clock::now();
    const auto until = t0 + std::chrono::duration<double>(seconds);
    while (Clock::now() < until) {
        for (int k = 0; k < 1000; ++k, ++calls) sink += f(values[calls % values.size()]);
    }
    const double ns = std::chrono::duration<double, std::nano>(Clock::now() - t0).count();
    g_sink = g_sink + sink;
    return ns / static_cast<double>(calls);
}

std::string entry(long i) {
    // Even entries are U-labels, odd ones ASCII.
    return (i % 2 ? "sender" : "b\u00fccher") + std::to_string(i) + ".example";
}

struct SetFigures {
    double ascii_hit, ascii_miss, ulabel_hit, ulabel_repeat, legacy_ascii_hit, legacy_ascii_miss;
};

SetFigures bench_set(long n, double seconds) {
    mv::policy::DomainSet set;
    LegacySet legacy;
    for (long i = 0; i < n; ++i) {
        set.add_with_subdomains(entry(i));
        legacy.tree.insert(i % 2 ? entry(i) : mv::policy::normalize_domain(entry(i)));
    }
    std::vector<std::string> hit, miss, uhit;
    for (long i = 0; i < 64; ++i) {
        const long k = (i * 7919) % std::min(n, 1000L);
        hit.push_back("a.mx.SENDER" + std::to_string(k | 1) + ".example");
        miss.push_back("a.mx.other" + std::to_string(k) + ".example");
        uhit.push_back("a.mx.B\u00dcCHER" + std::to_string(k & ~1L) + ".example");
    }
    SetFigures f{};
    f.ascii_hit = time_ns(seconds, hit, [&](const std::string& v) { return set.contains(v); });
    f.ascii_miss = time_ns(seconds, miss, [&](const std::string& v) { return set.contains(v); });
    f.ulabel_hit = time_ns(seconds, uhit, [&](const std::string& v) { return set.contains(v); });
    const std::vector<std::string> one(1, uhit[0]);  // what a transaction repeats
    f.ulabel_repeat = time_ns(seconds, one, [&](const std::string& v) { return set.contains(v); });
    f.legacy_ascii_hit =
        time_ns(seconds, hit, [&](const std::string& v) { return legacy.contains(v); });
    f.legacy_ascii_miss =
        time_ns(seconds, miss, [&](const std::string& v) { return legacy.contains(v); });
    return f;
}

}  // namespace

int main(int argc, char** argv) {
    const Options o = parse(argc, argv);
    const std::vector<std::string> ascii = {"Mail.Example.COM", "mx1.sender.example.org",
                                            "a.b.c.example.net", "EXAMPLE.org."};
    const std::vector<std::string> ulabel = {"mail.B\u00fccher.example", "mx.m\u00fcnchen.de",
                                             "stra\u00dfe.example.org", "caf\u00e9.example."};
    const auto size_of = [](const std::string& s) { return s.size(); };
    const double before = time_ns(
        o.seconds, ascii, [&](const std::string& v) { return size_of(legacy_normalize(v)); });
    const double now = time_ns(o.seconds, ascii, [&](const std::string& v) {
        return size_of(mv::policy::normalize_domain(v));
    });
    const double uni = time_ns(o.seconds, ulabel, [&](const std::string& v) {
        return size_of(mv::policy::normalize_domain(v));
    });
    // Distinct labels, more than the per-thread memo holds: every call converts.
    std::vector<std::string> cold;
    for (int i = 0; i < 4096; ++i)
        cold.push_back("mail.b\u00fccher" + std::to_string(i) + ".example");
    const double uni_cold = time_ns(o.seconds, cold, [&](const std::string& v) {
        return size_of(mv::policy::normalize_domain(v));
    });
    std::printf(
        "normalize_domain ns/call: ASCII before IDN %.1f, ASCII now %.1f (x%.2f), "
        "U-label repeated (memo) %.1f, U-label first time (libidn2) %.1f\n",
        before, now, now / before, uni, uni_cold);

    // Building a list: what check_domain() adds per entry, by form.
    const auto build_us = [&](const char* prefix) {
        mv::policy::DomainSet s;
        const long n = 100000;
        const auto t0 = Clock::now();
        for (long i = 0; i < n; ++i) s.add_with_subdomains(prefix + std::to_string(i) + ".example");
        return std::chrono::duration<double, std::micro>(Clock::now() - t0).count() / n;
    };
    const double add_ascii = build_us("sender");
    const double add_ulabel = build_us("b\u00fccher");
    const double add_alabel = build_us("xn--bcher-kva.d");
    std::printf(
        "DomainSet::add_with_subdomains us/entry (100,000 entries): ASCII %.2f, "
        "U-label %.2f, A-label %.2f\n",
        add_ascii, add_ulabel, add_alabel);

    const SetFigures small = bench_set(1000, o.seconds);
    const SetFigures large = bench_set(o.entries, o.seconds);
    for (const auto& [n, f] : {std::pair<long, SetFigures>{1000, small}, {o.entries, large}}) {
        std::printf(
            "DomainSet::contains ns/call, %ld entries: ASCII hit %.1f (before %.1f, "
            "x%.2f), ASCII miss %.1f (before %.1f, x%.2f), U-label hit %.1f (64 domains "
            "in turn: libidn2 on most calls), U-label hit repeated %.1f (memo)\n",
            n, f.ascii_hit, f.legacy_ascii_hit, f.ascii_hit / f.legacy_ascii_hit, f.ascii_miss,
            f.legacy_ascii_miss, f.ascii_miss / f.legacy_ascii_miss, f.ulabel_hit, f.ulabel_repeat);
    }
    std::printf(
        "DomainSet::contains %ld / 1000 entries: ASCII hit x%.2f, ASCII miss x%.2f, "
        "U-label hit x%.2f\n",
        o.entries, large.ascii_hit / small.ascii_hit, large.ascii_miss / small.ascii_miss,
        large.ulabel_hit / small.ulabel_hit);
    if (!o.json.empty()) {
        std::ofstream j(o.json);
        j << "{\"normalize_ns\": {\"ascii_before\": " << before << ", \"ascii\": " << now
          << ", \"ulabel_memo\": " << uni << ", \"ulabel_first\": " << uni_cold
          << "}, \"add_us\": {\"ascii\": " << add_ascii << ", \"ulabel\": " << add_ulabel
          << ", \"alabel\": " << add_alabel << "}, \"contains_ns\": {";
        const char* sep = "";
        for (const auto& [n, f] : {std::pair<long, SetFigures>{1000, small}, {o.entries, large}}) {
            j << sep << "\"" << n << "\": {\"ascii_hit\": " << f.ascii_hit
              << ", \"ascii_miss\": " << f.ascii_miss << ", \"ulabel_hit\": " << f.ulabel_hit
              << ", \"ulabel_hit_repeated\": " << f.ulabel_repeat
              << ", \"before_ascii_hit\": " << f.legacy_ascii_hit
              << ", \"before_ascii_miss\": " << f.legacy_ascii_miss << "}";
            sep = ", ";
        }
        j << "}}\n";
    }
    return 0;
}
