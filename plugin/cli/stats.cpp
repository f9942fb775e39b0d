// SPDX-License-Identifier: Apache-2.0
// stats.cpp - `milter-verdict stats [-c FILE | -m ADDRESS] [--all]`.
//
// Fetches the daemon's metrics endpoint (the `metrics` address of the
// configuration, or -m ADDRESS) and prints stats_report() (stats_table.hpp).
// Exit 0 on success, 1 when the endpoint cannot be read, 64 on bad usage,
// 78 when the configuration does not load or has no `metrics` address.
//
// Thread contract: called from main() only.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "cli/commands.hpp"
#include "cli/stats_table.hpp"
#include "config/loader.hpp"
#include "observability/metrics_address.hpp"
#include "observability/scrape.hpp"

namespace mv::cli {

namespace {

// One DNS list zone's counters (milter_verdict_dns_*{zone}).
struct Zone {
    double lookups = 0, cache_hits = 0, timeouts = 0, errors = 0, check_failures = 0;
    bool unhealthy = false;
};

struct Row {
    double reject = 0, tempfail = 0, accept = 0, other = 0, monitor = 0;
    std::map<std::string, double> replies;  // "550 5.7.1" -> count
    double total() const { return reject + tempfail + accept + other + monitor; }
};

std::string num(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.0f", v);
    return buf;
}

std::string pad(std::string s, std::size_t width, bool right) {
    if (s.size() >= width) return s;
    return right ? std::string(width - s.size(), ' ') + s : s + std::string(width - s.size(), ' ');
}

}  // namespace

std::string stats_report(const observability::Exposition& scrape, bool all) {
    std::map<std::string, Row> rules;
    std::map<std::string, double> scalar;  // unlabelled samples
    std::map<std::string, std::map<std::string, double>> by_front_end;
    std::map<std::string, std::pair<double, double>> store;  // backend -> ops, errors
    std::string version = "?";
    double reloads_ok = 0, reloads_failed = 0;
    std::map<std::string, Zone> zones;
    for (const auto& s : scrape.samples) {
        if (s.name.rfind("milter_verdict_dns_", 0) == 0 && !s.label("zone").empty()) {
            Zone& z = zones[s.label("zone")];
            if (s.name == "milter_verdict_dns_lookups_total")
                z.lookups = s.value;
            else if (s.name == "milter_verdict_dns_cache_hits_total")
                z.cache_hits = s.value;
            else if (s.name == "milter_verdict_dns_timeouts_total")
                z.timeouts = s.value;
            else if (s.name == "milter_verdict_dns_errors_total")
                z.errors = s.value;
            else if (s.name == "milter_verdict_dns_zone_check_failures_total")
                z.check_failures = s.value;
            else if (s.name == "milter_verdict_dns_zone_unhealthy")
                z.unhealthy = s.value > 0;
            continue;
        }
        if (s.name == "milter_verdict_decisions_total" ||
            s.name == "milter_verdict_monitor_decisions_total") {
            Row& r = rules[s.label("rule")];
            const std::string& a = s.label("action");
            if (s.name == "milter_verdict_monitor_decisions_total")
                r.monitor += s.value;
            else if (a == "reject")
                r.reject += s.value;
            else if (a == "tempfail")
                r.tempfail += s.value;
            else if (a == "accept")
                r.accept += s.value;
            else
                r.other += s.value;
            if (!s.label("code").empty() && s.value > 0) {
                const std::string key =
                    (s.name == "milter_verdict_monitor_decisions_total" ? "would " : "") +
                    s.label("code") + " " + s.label("enhanced");
                r.replies[key] += s.value;
            }
        } else if (s.name == "milter_verdict_build_info") {
            version = s.label("version");
        } else if (s.name == "milter_verdict_policy_reloads_total") {
            (s.label("result") == "success" ? reloads_ok : reloads_failed) += s.value;
        } else if (s.name.rfind("milter_verdict_connections", 0) == 0 ||
                   s.name.rfind("milter_verdict_transactions", 0) == 0) {
            by_front_end[s.label("front_end")][s.name] = s.value;
        } else if (s.name == "milter_verdict_state_operations_total") {
            store[s.label("backend")].first += s.value;
        } else if (s.name == "milter_verdict_state_errors_total") {
            store[s.label("backend")].second += s.value;
        } else if (s.labels.empty()) {
            scalar[s.name] = s.value;
        }
    }
    std::string out = "milter-verdict " + version + "\n";
    out += "policy   " + num(scalar["milter_verdict_policy_rules"]) + " rules, " +
           num(scalar["milter_verdict_policy_list_entries"]) + " list entries; last load " +
           (scalar["milter_verdict_policy_last_reload_successful"] > 0 ? "ok" : "FAILED") +
           "; reloads " + num(reloads_ok) + " ok, " + num(reloads_failed) + " failed\n";
    for (auto& [fe, m] : by_front_end)
        out += "traffic  " + fe + ": " + num(m["milter_verdict_connections_total"]) +
               " connections (" + num(m["milter_verdict_connections_active"]) + " open), " +
               num(m["milter_verdict_transactions_total"]) + " transactions (" +
               num(m["milter_verdict_transactions_active"]) + " open)\n";
    for (const auto& [backend, oe] : store) {
        out += "state    " + backend + ": " + num(oe.first) + " operations, " + num(oe.second) +
               " errors";
        if (scalar.count("milter_verdict_state_memory_entries"))
            out += "; " + num(scalar["milter_verdict_state_memory_entries"]) + " entries of " +
                   num(scalar["milter_verdict_state_memory_max_entries"]);
        out += "\n";
    }
    // DNS: one line per list zone; an unhealthy zone and failed health
    // checks (no answer: the resolver unreachable?) stand out.
    for (const auto& [zone, z] : zones) {
        out += "dns      " + zone + ": " + num(z.lookups) + " lookups, " + num(z.cache_hits) +
               " from the cache, " + num(z.timeouts) + " timeouts, " + num(z.errors) + " errors";
        if (z.unhealthy)
            out += "; UNHEALTHY, skipped (RFC 5782 health check)";
        else if (z.check_failures > 0)
            out += "; " + num(z.check_failures) + " failed health checks";
        out += "\n";
    }

    std::vector<std::pair<std::string, const Row*>> rows;
    std::size_t idle = 0;
    for (const auto& [name, r] : rules) {
        if (r.total() == 0 && !all) {
            if (name != "-") ++idle;
            continue;
        }
        rows.emplace_back(name, &r);
    }
    std::stable_sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) {
        return a.second->total() > b.second->total();
    });
    std::size_t width = 12;
    for (const auto& [name, r] : rows) width = std::max(width, name.size());
    out +=
        "\n" + pad("rule", width, false) + "  reject  tempfail  accept  other  monitor  replies\n";
    for (const auto& [name, r] : rows) {
        std::string replies;
        for (const auto& [k, v] : r->replies)
            replies += (replies.empty() ? "" : ", ") + k + " x" + num(v);
        std::string line = pad(name == "-" ? "(no rule)" : name, width, false) + "  " +
                           pad(num(r->reject), 6, true) + "  " + pad(num(r->tempfail), 8, true) +
                           "  " + pad(num(r->accept), 6, true) + "  " +
                           pad(num(r->other), 5, true) + "  " + pad(num(r->monitor), 7, true);
        if (!replies.empty()) line += "  " + replies;
        out += line + "\n";
    }
    if (idle)
        out += num(static_cast<double>(idle)) + " rules without decisions (--all lists them)\n";
    return out;
}

int stats_main(const Args& args, std::ostream& out, std::ostream& err) {
    const CommandSpec& self = *find_command("stats");
    const ParsedArgs p = parse_args(self, args);
    if (!p.ok()) return usage_error(self, p.error, err);
    if (p.help()) {
        out << usage(self);
        return 0;
    }
    const std::string file = p.value("config", kDefaultConfig);
    std::string address = p.value("metrics");
    const bool all = p.has("all");
    if (address.empty()) {
        const config::LoadResult r = config::load_policy(file);
        if (!r.ok()) {
            for (const auto& d : r.diagnostics) err << d.to_string() << "\n";
            err << "milter-verdict stats: " << file << ": configuration not loaded\n";
            return config::kExitConfig;
        }
        address = r.policy->settings.metrics;
        if (address.empty()) {
            err << "milter-verdict stats: " << file
                << " has no metrics address (daemon { metrics = \"127.0.0.1:PORT\"; })\n";
            return config::kExitConfig;
        }
    }
    const auto parsed = observability::parse_metrics_address(address);
    if (!parsed.address) {
        err << "milter-verdict stats: bad address '" << address << "': " << parsed.error << "\n";
        return kExitUsage;
    }
    std::string body, error;
    if (!observability::fetch_metrics(*parsed.address, std::chrono::seconds(10), body, error)) {
        err << "milter-verdict stats: " << error << "\n";
        return 1;
    }
    out << parsed.address->url() << "\n"
        << stats_report(observability::parse_exposition(body), all);
    return 0;
}

}  // namespace mv::cli
