// SPDX-License-Identifier: Apache-2.0
// dns_parser.cpp - `dns` settings, DNS lists and the DNS conditions (dns_parser.hpp).
#include "config/dns_parser.hpp"

#include <cctype>
#include <set>
#include <stdexcept>
#include <vector>

#include "config/schema.hpp"
#include "config/state_condition_parser.hpp"
#include "config/string_match_reader.hpp"
#include "dns/names.hpp"
#include "policy/dns_evidence.hpp"
#include "policy/string_matcher.hpp"

namespace mv::config {

namespace {

using codes::Stage;
using libconfig::Setting;

// "ADDR" or "ADDR@PORT", as libunbound takes a forwarder or stub server.
std::string check_server(const std::string& v) {
    const auto at = v.find('@');
    const std::string addr = v.substr(0, at);
    if (!dns::parse_address(addr)) return "not an IP address";
    if (at != std::string::npos) {
        const std::string port = v.substr(at + 1);
        if (port.empty() || port.size() > 5 || port.find_first_not_of("0123456789") != port.npos ||
            std::stoi(port) < 1 || std::stoi(port) > 65535)
            return "bad port '" + port + "'";
    }
    return {};
}

bool read_servers(const Setting& s, std::vector<std::string>& out, Diagnostics& diag) {
    if (!is_strings(s)) {
        diag.error(
            s, key_name(s) + " must be an address string or an array of them, not " + type_name(s));
        return false;
    }
    bool ok = true;
    const auto one = [&](const Setting& e) {
        const std::string v = e;
        if (const std::string why = check_server(v); !why.empty()) {
            diag.error(e, "bad resolver address '" + v + "': " + why +
                              " (ADDR or ADDR@PORT, e.g. \"127.0.0.1@5353\")");
            ok = false;
        } else {
            out.push_back(v);
        }
    };
    if (s.getType() == Setting::TypeString)
        one(s);
    else
        for (int i = 0; i < s.getLength(); ++i) one(s[i]);
    if (ok && out.empty()) {
        diag.error(s, key_name(s) + " has no address");
        ok = false;
    }
    return ok;
}

std::optional<long long> bounded_int(const Setting& s, long long lo, long long hi,
                                     Diagnostics& diag) {
    const auto v = read_int(s, diag);
    if (!v) return std::nullopt;
    if (*v < lo || *v > hi) {
        diag.error(s, key_name(s) + " must be between " + std::to_string(lo) + " and " +
                          std::to_string(hi) + ", not " + std::to_string(*v));
        return std::nullopt;
    }
    return v;
}

void read_stub_zones(const Setting& s, dns::ResolverSettings& out, Diagnostics& diag) {
    if (!s.isList() && !s.isArray()) {
        diag.error(s, "stub_zones must be a list ( { zone; servers; }, ... ), not " + type_name(s));
        return;
    }
    for (int i = 0; i < s.getLength(); ++i) {
        const Setting& g = s[i];
        if (!g.isGroup()) {
            diag.error(g, "a stub zone must be a group { zone; servers; }, not " + type_name(g));
            continue;
        }
        check_keys(g, {"zone", "servers"}, "stub zone", diag);
        if (!g.exists("zone") || !g.exists("servers")) {
            diag.error(g, "a stub zone needs zone and servers");
            continue;
        }
        const auto z = read_string(g["zone"], diag);
        const auto zone = z ? dns::domain_name(*z, true) : std::nullopt;
        if (z && !zone) diag.error(g["zone"], "bad zone name '" + *z + "'");
        dns::StubZone stub;
        if (zone) stub.zone = *zone;
        if (read_servers(g["servers"], stub.servers, diag) && zone)
            out.stub_zones.push_back(std::move(stub));
    }
}

// One entry of `zones`: a string, or { zone = "..."; show_as = "..."; }.
std::optional<dns::ZoneEntry> read_entry(const Setting& e, Diagnostics& diag) {
    std::string text, show_as;
    const Setting* at = &e;
    if (e.getType() == Setting::TypeString) {
        text = static_cast<const char*>(e);
    } else if (e.isGroup()) {
        check_keys(e, {"zone", "show_as"}, "zone entry", diag);
        if (!e.exists("zone")) {
            diag.error(e, "a zone entry group needs zone = \"ZONE[=FILTER][*WEIGHT]\"");
            return std::nullopt;
        }
        const auto z = read_string(e["zone"], diag);
        if (!z) return std::nullopt;
        text = *z;
        at = &e["zone"];
        if (e.exists("show_as")) {
            const auto s = read_string(e["show_as"], diag);
            if (!s) return std::nullopt;
            if (!dns::domain_name(*s)) {
                diag.error(e["show_as"],
                           "show_as must be a domain name such as zen.example, not '" + *s + "'");
                return std::nullopt;
            }
            show_as = *dns::domain_name(*s);
        }
    } else {
        diag.error(e,
                   "a zone entry must be a string \"ZONE[=FILTER][*WEIGHT]\" or a group "
                   "{ zone; show_as; }, not " +
                       type_name(e));
        return std::nullopt;
    }
    std::string why;
    auto entry = dns::parse_zone_entry(text, why);
    if (!entry) {
        diag.error(*at, "zone entry '" + text + "': " + why);
        return std::nullopt;
    }
    if (!show_as.empty()) entry->show_as = show_as;
    return entry;
}

std::optional<dns::ListSpec> read_list(const Setting& s, Diagnostics& diag) {
    if (!s.isGroup()) {
        diag.error(s, "DNS list " + std::string(s.getName()) +
                          " must be a group { zones; ... }, not " + type_name(s));
        return std::nullopt;
    }
    check_keys(s, {"zones", "threshold", "allow_threshold", "query", "txt", "check_test_entries"},
               "DNS list", diag);
    dns::ListSpec spec;
    spec.name = s.getName();
    spec.file = diag.file_of(s);
    spec.line = diag.line_of(s);
    bool ok = true;
    if (!s.exists("zones")) {
        diag.error(s, "DNS list '" + spec.name + "' has no zones");
        ok = false;
    } else if (const Setting& z = s["zones"]; !(z.isList() || z.isArray())) {
        diag.error(z, "zones must be a list ( \"zone=filter*weight\", ... ), not " + type_name(z));
        ok = false;
    } else if (z.getLength() == 0) {
        diag.error(z, "DNS list '" + spec.name + "' has no zones (an empty list never holds)");
        ok = false;
    } else {
        std::set<std::string> seen;
        for (int i = 0; i < z.getLength(); ++i) {
            auto e = read_entry(z[i], diag);
            if (!e) {
                ok = false;
                continue;
            }
            // The same zone with the same filter would count twice.
            const auto eq = e->text.find('=');
            const auto star = e->text.find('*');
            const std::string filter =
                eq == std::string::npos
                    ? std::string()
                    : e->text.substr(eq + 1, star == std::string::npos ? star : star - eq - 1);
            if (!seen.insert(e->zone + "=" + filter).second) {
                diag.error(z[i], "zone " + e->zone +
                                     (filter.empty() ? "" : " with filter " + filter) +
                                     " is listed twice in DNS list '" + spec.name +
                                     "': each entry counts once; give one entry the weight");
                ok = false;
                continue;
            }
            spec.zones.push_back(std::move(*e));
        }
    }
    if (s.exists("threshold")) {
        if (const auto v =
                bounded_int(s["threshold"], -dns::kMaxThreshold, dns::kMaxThreshold, diag))
            spec.threshold = static_cast<int>(*v);
        else
            ok = false;
    }
    if (s.exists("allow_threshold")) {
        if (const auto v =
                bounded_int(s["allow_threshold"], -dns::kMaxThreshold, dns::kMaxThreshold, diag)) {
            spec.allow_threshold = static_cast<int>(*v);
            if (*v >= spec.threshold) {
                diag.error(s["allow_threshold"], "allow_threshold " + std::to_string(*v) +
                                                     " must be below threshold " +
                                                     std::to_string(spec.threshold));
                ok = false;
            }
        } else {
            ok = false;
        }
    }
    if (s.exists("query")) {
        const Setting& q = s["query"];
        if (!is_strings(q)) {
            diag.error(q,
                       "query must be a string or an array of client, client_name, helo, "
                       "sender_domain, not " +
                           type_name(q));
            ok = false;
        } else {
            spec.keys = 0;
            const auto one = [&](const Setting& e) {
                const std::string v = e;
                if (const auto k = dns::parse_key(v))
                    spec.keys |= static_cast<unsigned>(*k);
                else {
                    diag.error(
                        e, "unknown query '" + v + "' (client, client_name, helo, sender_domain)");
                    ok = false;
                }
            };
            if (q.getType() == Setting::TypeString)
                one(q);
            else
                for (int i = 0; i < q.getLength(); ++i) one(q[i]);
            if (ok && spec.keys == 0) {
                diag.error(q, "query names nothing to look up");
                ok = false;
            }
        }
    }
    if (s.exists("txt")) {
        if (const auto b = read_bool(s["txt"], diag))
            spec.txt = *b;
        else
            ok = false;
    }
    if (s.exists("check_test_entries")) {
        if (const auto b = read_bool(s["check_test_entries"], diag))
            spec.check_test_entries = *b;
        else
            ok = false;
    }
    if (!ok) return std::nullopt;
    for (auto& e : spec.zones) e.check = spec.check_test_entries;
    return spec;
}

Stage list_stage(const dns::ListSpec& spec) {
    if (spec.has(dns::ListKey::SenderDomain)) return Stage::Mail;
    if (spec.has(dns::ListKey::Helo)) return Stage::Helo;
    return Stage::Connect;
}

}  // namespace

std::string dns_list_text(unsigned keys) {
    using dns::ListKey;
    // What was listed, by the list's keys: with one key its value; with
    // several (which one listed is known only at run time) the client's
    // address, which is short, and the kinds of the other names, so that the
    // line stays within RFC 5321's 512 octets whatever the names.
    struct Part {
        ListKey key;
        const char* one;   // the only key
        const char* kind;  // one of several
    };
    static const Part kParts[] = {
        {ListKey::ClientAddr, "Client host [${client_addr}]", "client host [${client_addr}]"},
        {ListKey::ClientName, "Client host name ${client_name}", "client host name"},
        {ListKey::Helo, "HELO name ${helo}", "HELO name"},
        {ListKey::SenderDomain, "Sender domain ${sender_domain}", "sender domain"},
    };
    std::vector<const Part*> parts;
    for (const auto& p : kParts)
        if (keys & static_cast<unsigned>(p.key)) parts.push_back(&p);
    if (parts.empty()) parts.push_back(&kParts[0]);
    if (parts.size() == 1) return std::string(parts[0]->one) + " blocked using ${dns_zones}";
    std::string out;
    for (std::size_t i = 0; i < parts.size(); ++i) {
        if (i > 0) out += i + 1 == parts.size() ? " or " : ", ";
        out += parts[i]->kind;
    }
    out[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(out[0])));
    return out + " blocked using ${dns_zones}";
}

bool is_dns_key(const std::string& key) {
    return key == "dns_list" || key == "reverse_dns" || key == "sender_domain" ||
           key == "rcpt_domain";
}

void read_dns(const Setting& s, dns::Config& out, Diagnostics& diag) {
    if (!s.isGroup()) {
        diag.error(s, "dns must be a group { resolver; lists; ... }, not " + type_name(s));
        return;
    }
    check_keys(s,
               {"resolver", "resolv_conf", "stub_zones", "timeout_ms", "budget_ms", "cache_entries",
                "cache_max_ttl", "cache_max_negative_ttl", "reverse", "lists"},
               "dns", diag);
    if (s.exists("resolver")) {
        const Setting& r = s["resolver"];
        if (r.getType() == Setting::TypeString &&
            std::string(static_cast<const char*>(r)) == "resolv.conf") {
            out.resolver.forward.clear();
        } else {
            std::vector<std::string> servers;
            if (read_servers(r, servers, diag)) out.resolver.forward = std::move(servers);
        }
    }
    if (s.exists("resolv_conf")) {
        if (const auto v = read_string(s["resolv_conf"], diag)) {
            if (v->empty() || (*v)[0] != '/')
                diag.error(s["resolv_conf"], "resolv_conf must be an absolute path");
            else
                out.resolver.resolv_conf = *v;
        }
    }
    if (s.exists("stub_zones")) read_stub_zones(s["stub_zones"], out.resolver, diag);
    if (s.exists("timeout_ms"))
        if (const auto v = bounded_int(s["timeout_ms"], 10, 60000, diag))
            out.timeout_ms = static_cast<unsigned>(*v);
    if (s.exists("budget_ms"))
        if (const auto v = bounded_int(s["budget_ms"], 10, 600000, diag)) {
            out.budget_ms = static_cast<unsigned>(*v);
            // Postfix waits milter_command_timeout (30 s) for each reply.
            if (*v > 25000)
                diag.warning(s["budget_ms"], "budget_ms " + std::to_string(*v) +
                                                 " is close to Postfix's milter_command_timeout "
                                                 "(30 s by default): Postfix may give up first");
        }
    if (s.exists("cache_entries"))
        if (const auto v = bounded_int(s["cache_entries"], 0, 10000000, diag))
            out.resolver.cache_entries = static_cast<std::size_t>(*v);
    if (s.exists("cache_max_ttl"))
        if (const auto d = read_duration(s["cache_max_ttl"], diag))
            out.resolver.cache_max_ttl = static_cast<std::uint32_t>(d->count() / 1000);
    if (s.exists("cache_max_negative_ttl"))
        if (const auto d = read_duration(s["cache_max_negative_ttl"], diag))
            out.resolver.cache_max_negative_ttl = static_cast<std::uint32_t>(d->count() / 1000);
    if (s.exists("reverse")) {
        if (const auto v = read_string(s["reverse"], diag)) {
            if (*v == "auto")
                out.reverse = dns::ReverseSource::Auto;
            else if (*v == "mta")
                out.reverse = dns::ReverseSource::Mta;
            else if (*v == "own")
                out.reverse = dns::ReverseSource::Own;
            else
                diag.error(s["reverse"],
                           "reverse must be \"auto\", \"mta\" or \"own\", not '" + *v + "'");
        }
    }
    if (s.exists("lists")) {
        const Setting& l = s["lists"];
        if (!l.isGroup()) {
            diag.error(l, "lists must be a group { NAME = { zones; ... }; }, not " + type_name(l));
        } else {
            for (int i = 0; i < l.getLength(); ++i)
                if (auto spec = read_list(l[i], diag)) out.lists.push_back(std::move(*spec));
        }
    }
    out.list_used.assign(out.lists.size(), false);
}

DnsCondition read_dns_condition(const Setting& s, dns::Config& config, ListTable& lists,
                                Diagnostics& diag) {
    DnsCondition out;
    const std::string k = s.getName();
    if (k == "dns_list") {
        std::string name;
        bool allowed = false;
        const Setting* at = &s;
        if (s.getType() == Setting::TypeString) {
            name = static_cast<const char*>(s);
        } else if (s.isGroup()) {
            check_keys(s, {"list", "allowed"}, "dns_list", diag);
            if (!s.exists("list")) {
                diag.error(s, "dns_list needs list = \"NAME\"");
                return out;
            }
            const auto n = read_string(s["list"], diag);
            if (!n) return out;
            name = *n;
            at = &s["list"];
            if (s.exists("allowed")) {
                const auto b = read_bool(s["allowed"], diag);
                if (!b) return out;
                allowed = *b;
            }
        } else {
            diag.error(s, "dns_list must be a list name or a group { list; allowed; }, not " +
                              type_name(s));
            return out;
        }
        const int idx = config.find_list(name);
        if (idx < 0) {
            std::string known;
            std::vector<std::string> names;
            for (const auto& l : config.lists) {
                known += (known.empty() ? "" : ", ") + l.name;
                names.push_back(l.name);
            }
            const std::string hint = closest(name, names);
            diag.error(*at, "no DNS list '" + name + "'" +
                                (!hint.empty()   ? " (did you mean '" + hint + "'?)"
                                 : known.empty() ? std::string(" (dns.lists defines none)")
                                                 : " (dns.lists defines " + known + ")"));
            return out;
        }
        const dns::ListSpec& spec = config.lists[idx];
        int most = 0, least = 0;
        for (const auto& e : spec.zones) (e.weight > 0 ? most : least) += e.weight;
        if (allowed && !spec.allow_threshold) {
            diag.error(s, "dns_list '" + name + "' allowed: the list has no allow_threshold");
            return out;
        }
        if (!allowed && most < spec.threshold)
            diag.warning(s, "dns_list '" + name +
                                "' can never hold: its positive weights add up to " +
                                std::to_string(most) + ", below its threshold " +
                                std::to_string(spec.threshold));
        if (allowed && least > *spec.allow_threshold)
            diag.warning(s, "dns_list '" + name +
                                "' allowed can never hold: its negative weights add up to " +
                                std::to_string(least) + ", above its allow_threshold " +
                                std::to_string(*spec.allow_threshold));
        config.list_used[idx] = true;
        out.stage = list_stage(spec);
        out.condition = policy::make_dns_list_condition(static_cast<std::size_t>(idx), name,
                                                        out.stage, allowed);
        if (!allowed) {
            out.reason = codes::Reason::DnsBlockList;
            out.list_keys = spec.keys;
        }
        return out;
    }
    if (k == "reverse_dns") {
        out.stage = Stage::Connect;
        out.reason = codes::Reason::ReverseDns;
        if (s.getType() == Setting::TypeString) {
            const std::string v = s;
            if (v == "missing")
                out.condition = policy::make_reverse_dns_condition(policy::ReverseTest::Missing);
            else if (v == "unconfirmed")
                out.condition =
                    policy::make_reverse_dns_condition(policy::ReverseTest::Unconfirmed);
            else
                diag.error(
                    s,
                    "reverse_dns must be \"missing\", \"unconfirmed\" or { name = MATCH; }, not '" +
                        v + "'");
        } else if (s.isGroup()) {
            check_keys(s, {"name"}, "reverse_dns", diag);
            if (!s.exists("name")) {
                diag.error(s, "reverse_dns needs name = MATCH (the PTR names to match)");
                return out;
            }
            StringMatchSpec m;
            if (!read_string_match(s["name"], lists, diag, m)) return out;
            try {
                auto matcher =
                    std::make_shared<policy::StringMatcher>(m.match, policy::ValueKind::Hostname);
                const std::string text = matcher->describe();
                out.condition = policy::make_reverse_dns_condition(
                    policy::ReverseTest::NameMatches,
                    [matcher](std::string_view n) { return matcher->matches(n); }, text);
            } catch (const std::invalid_argument& e) {
                diag.error(s["name"], std::string("reverse_dns name: ") + e.what());
            }
        } else {
            diag.error(
                s, "reverse_dns must be \"missing\", \"unconfirmed\" or { name = MATCH; }, not " +
                       type_name(s));
        }
        if (out.condition) config.uses_reverse = true;
        return out;
    }
    // sender_domain, rcpt_domain
    const bool sender = k == "sender_domain";
    out.stage = sender ? Stage::Mail : Stage::Rcpt;
    const auto v = read_string(s, diag);
    if (!v) return out;
    if (*v == "unknown" && sender) {
        out.condition = policy::make_sender_domain_condition(policy::DomainTest::Unknown);
        out.reason = codes::Reason::SenderDomain;
    } else if (*v == "null_mx") {
        out.condition = sender ? policy::make_sender_domain_condition(policy::DomainTest::NullMx)
                               : policy::make_rcpt_domain_condition(policy::DomainTest::NullMx);
        out.reason = sender ? codes::Reason::SenderNullMx : codes::Reason::RecipientNullMx;
    } else {
        diag.error(s, sender ? "sender_domain must be \"unknown\" or \"null_mx\", not '" + *v + "'"
                             : "rcpt_domain must be \"null_mx\", not '" + *v + "'");
        return out;
    }
    (sender ? config.uses_sender_domain : config.uses_rcpt_domain) = true;
    return out;
}

void warn_unused_lists(const dns::Config& config, Diagnostics& diag) {
    for (std::size_t i = 0; i < config.lists.size(); ++i)
        if (i >= config.list_used.size() || !config.list_used[i])
            diag.warning(config.lists[i].file, config.lists[i].line,
                         "DNS list '" + config.lists[i].name +
                             "' is not used by any rule (its zones are never asked)");
}

}  // namespace mv::config
