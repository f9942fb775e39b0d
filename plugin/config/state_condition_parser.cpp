// SPDX-License-Identifier: Apache-2.0
// state_condition_parser.cpp - rate_limit, greylist and state groups (see the header).
#include "config/state_condition_parser.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <set>

#include "config/schema.hpp"

namespace mv::config {

namespace {

using libconfig::Setting;
using policy::RateCount;
using policy::RateKey;

// Limits stay far below 2^53 so that Redis's Lua (doubles) counts exactly.
constexpr long long kMaxLimit = 1'000'000'000;
constexpr long long kMaxDurationS = 400LL * 86400;  // about a year and a month

std::optional<long long> parse_duration_text(const std::string& v) {
    if (v.empty() || v.size() > 12) return std::nullopt;
    std::size_t i = 0;
    long long n = 0;
    while (i < v.size() && v[i] >= '0' && v[i] <= '9') n = n * 10 + (v[i++] - '0');
    if (i == 0) return std::nullopt;
    const std::string unit = v.substr(i);
    long long mult = 0;
    if (unit.empty() || unit == "s") mult = 1;
    if (unit == "m") mult = 60;
    if (unit == "h") mult = 3600;
    if (unit == "d") mult = 86400;
    if (unit == "w") mult = 7 * 86400;
    if (mult == 0) return std::nullopt;
    return n * mult;
}

std::optional<int> read_prefix(const Setting& s, int max, Diagnostics& diag) {
    const auto v = read_int(s, diag);
    if (!v) return std::nullopt;
    if (*v < 1 || *v > max) {
        diag.error(s, std::string(s.getName()) + " must be between 1 and " + std::to_string(max));
        return std::nullopt;
    }
    return static_cast<int>(*v);
}

std::optional<RateKey> parse_key(const std::string& k) {
    if (k == "client") return RateKey::Client;
    if (k == "client_net") return RateKey::ClientNet;
    if (k == "sender") return RateKey::Sender;
    if (k == "sender_domain") return RateKey::SenderDomain;
    if (k == "sasl_login") return RateKey::SaslLogin;
    if (k == "rcpt") return RateKey::Rcpt;
    if (k == "rcpt_domain") return RateKey::RcptDomain;
    return std::nullopt;
}

std::optional<std::string> read_bucket(const Setting& s, Diagnostics& diag) {
    const auto b = read_string(s, diag);
    if (!b) return std::nullopt;
    if (b->empty() || b->size() > 64 || b->find_first_of("|\\ \t\r\n") != std::string::npos) {
        diag.error(s, "bucket must be 1 to 64 characters without '|', '\\' or spaces");
        return std::nullopt;
    }
    return b;
}

// The keys rate_limit and greylist share: bucket, ipv4_prefix, ipv6_prefix.
// Clears `ok` on a bad value (the diagnostic is already reported).
template <typename Spec>
void read_key_settings(const Setting& s, Diagnostics& diag, Spec& spec, bool& ok) {
    if (s.exists("bucket")) {
        if (const auto b = read_bucket(s["bucket"], diag))
            spec.bucket = *b;
        else
            ok = false;
    }
    if (s.exists("ipv4_prefix")) {
        if (const auto p = read_prefix(s["ipv4_prefix"], 32, diag))
            spec.ipv4_prefix = *p;
        else
            ok = false;
    }
    if (s.exists("ipv6_prefix")) {
        if (const auto p = read_prefix(s["ipv6_prefix"], 128, diag))
            spec.ipv6_prefix = *p;
        else
            ok = false;
    }
}

}  // namespace

std::optional<state::Duration> read_duration(const Setting& s, Diagnostics& diag) {
    std::optional<long long> secs;
    if (s.getType() == Setting::TypeInt || s.getType() == Setting::TypeInt64) {
        secs = read_int(s, diag);
    } else if (s.getType() == Setting::TypeString) {
        const std::string v = s;
        secs = parse_duration_text(v);
        if (!secs) {
            diag.error(s, "bad duration '" + v + "' for " + key_name(s) +
                              ": expected seconds or NUMBER with s, m, h, d or w (\"5m\")");
            return std::nullopt;
        }
    } else {
        diag.error(s, key_name(s) + " must be a duration (\"5m\" or seconds), not " + type_name(s));
        return std::nullopt;
    }
    if (!secs) return std::nullopt;
    if (*secs <= 0 || *secs > kMaxDurationS) {
        diag.error(s, key_name(s) + " must be between 1 second and 400 days");
        return std::nullopt;
    }
    return state::Duration(*secs * 1000);
}

std::optional<policy::RateLimitSpec> read_rate_limit(const Setting& s, const std::string& rule_name,
                                                     Diagnostics& diag) {
    if (!s.isGroup()) {
        diag.error(s, "rate_limit must be a group { key; count; limit; }, not " + type_name(s));
        return std::nullopt;
    }
    check_keys(s, {"key", "count", "limit", "strict", "bucket", "ipv4_prefix", "ipv6_prefix"},
               "rate_limit", diag);
    policy::RateLimitSpec spec;
    spec.bucket = rule_name;
    bool ok = true;
    for (const char* required : {"key", "count", "limit"}) {
        if (!s.exists(required)) {
            diag.error(s, std::string("rate_limit needs ") + required +
                              (std::string(required) == "count"
                                   ? " (\"connection\", \"message\" or \"recipient\")"
                                   : ""));
            ok = false;
        }
    }
    if (s.exists("key")) {
        const Setting& k = s["key"];
        if (!is_strings(k)) {
            diag.error(k, "key must be a string or a list of strings, not " + type_name(k));
            ok = false;
        } else {
            std::set<RateKey> seen;
            const int n = k.getType() == Setting::TypeString ? 1 : k.getLength();
            for (int i = 0; i < n; ++i) {
                const Setting& one = k.getType() == Setting::TypeString ? k : k[i];
                const std::string name = one;
                const auto key = parse_key(name);
                if (!key) {
                    // postfwd and Postfix name these too (client_address,
                    // recipient, sasl_username).
                    const std::string hint =
                        key_suggestion(name, {"client", "client_net", "sender", "sender_domain",
                                              "sasl_login", "rcpt", "rcpt_domain"});
                    diag.error(one, "unknown rate_limit key '" + name + "'" + hint +
                                        " (client, client_net, sender, sender_domain, "
                                        "sasl_login, rcpt, rcpt_domain)");
                    ok = false;
                } else if (!seen.insert(*key).second) {
                    diag.error(one, "rate_limit key '" + name + "' given twice");
                    ok = false;
                } else {
                    spec.keys.push_back(*key);
                }
            }
            if (n == 0) {
                diag.error(k, "key lists no key");
                ok = false;
            }
        }
    }
    if (s.exists("count")) {
        const auto c = read_string(s["count"], diag);
        if (c && *c == "connection")
            spec.count = RateCount::Connection;
        else if (c && *c == "message")
            spec.count = RateCount::Message;
        else if (c && *c == "recipient")
            spec.count = RateCount::Recipient;
        else {
            if (c)
                diag.error(s["count"],
                           "unknown count '" + *c + "' (connection, message, recipient)");
            ok = false;
        }
    }
    if (s.exists("limit")) {
        const Setting& l = s["limit"];
        if (!is_strings(l)) {
            diag.error(l,
                       "limit must be \"LIMIT/DURATION\" or a list of them, not " + type_name(l));
            ok = false;
        } else {
            const int n = l.getType() == Setting::TypeString ? 1 : l.getLength();
            std::set<long long> lengths;
            for (int i = 0; i < n; ++i) {
                const Setting& one = l.getType() == Setting::TypeString ? l : l[i];
                const std::string text = one;
                const auto slash = text.find('/');
                long long limit = -1;
                std::optional<long long> secs;
                if (slash != std::string::npos && slash > 0 && slash <= 10 &&
                    text.find_first_not_of("0123456789") == slash) {
                    limit = std::stoll(text.substr(0, slash));
                    secs = parse_duration_text(text.substr(slash + 1));
                }
                if (limit < 0 || !secs || *secs <= 0 || *secs > kMaxDurationS ||
                    limit > kMaxLimit) {
                    diag.error(one, "bad limit '" + text +
                                        "': expected LIMIT/DURATION such as \"30/1m\" or "
                                        "\"500/1d\" (limit at most 1000000000, duration 1s to "
                                        "400d)");
                    ok = false;
                    continue;
                }
                if (!lengths.insert(*secs).second) {
                    diag.error(one, "two limits with the same duration in one rate_limit");
                    ok = false;
                    continue;
                }
                spec.windows.push_back(
                    {state::Duration(*secs * 1000), static_cast<std::uint64_t>(limit)});
            }
            if (n == 0 || n > static_cast<int>(state::kMaxWindows)) {
                diag.error(l,
                           "limit needs 1 to " + std::to_string(state::kMaxWindows) + " windows");
                ok = false;
            }
        }
    }
    if (s.exists("strict")) {
        if (const auto b = read_bool(s["strict"], diag))
            spec.strict = *b;
        else
            ok = false;
    }
    read_key_settings(s, diag, spec, ok);
    if (!ok) return std::nullopt;
    const bool by_rcpt =
        std::find(spec.keys.begin(), spec.keys.end(), RateKey::Rcpt) != spec.keys.end() ||
        std::find(spec.keys.begin(), spec.keys.end(), RateKey::RcptDomain) != spec.keys.end();
    if (spec.count == RateCount::Connection &&
        policy::rate_limit_stage(spec) != codes::Stage::Connect) {
        diag.error(s,
                   "rate_limit counting per connection can key only on client or client_net "
                   "(the others are not known at connect)");
        return std::nullopt;
    }
    if (spec.count == RateCount::Message && by_rcpt) {
        diag.error(s,
                   "rate_limit counting per message cannot key on rcpt or rcpt_domain "
                   "(a message has several recipients): use count = \"recipient\"");
        return std::nullopt;
    }
    return spec;
}

std::optional<policy::GreylistSpec> read_greylist(const Setting& s, const std::string& rule_name,
                                                  Diagnostics& diag) {
    if (!s.isGroup()) {
        diag.error(s, "greylist must be a group { delay; expiry; ... }, not " + type_name(s));
        return std::nullopt;
    }
    check_keys(s,
               {"delay", "expiry", "auto_whitelist", "client_whitelist_after", "refuse_at",
                "bucket", "ipv4_prefix", "ipv6_prefix"},
               "greylist", diag);
    policy::GreylistSpec spec;
    spec.bucket = rule_name;
    bool ok = true;
    auto duration = [&](const char* key, state::Duration& out) {
        if (!s.exists(key)) return;
        if (const auto d = read_duration(s[key], diag))
            out = *d;
        else
            ok = false;
    };
    duration("delay", spec.delay);
    duration("expiry", spec.expiry);
    duration("auto_whitelist", spec.pass_lifetime);
    if (s.exists("client_whitelist_after")) {
        const auto v = read_int(s["client_whitelist_after"], diag);
        if (v && (*v < 0 || *v > 1000000)) {
            diag.error(s["client_whitelist_after"],
                       "client_whitelist_after must be between 0 (never) and 1000000");
            ok = false;
        } else if (v) {
            spec.client_after = static_cast<std::uint32_t>(*v);
        } else {
            ok = false;
        }
    }
    if (s.exists("refuse_at")) {
        const auto r = read_string(s["refuse_at"], diag);
        if (r && *r == "rcpt")
            spec.refuse_at = codes::Stage::Rcpt;
        else if (r && *r == "data")
            spec.refuse_at = codes::Stage::Data;
        else {
            if (r)
                diag.error(s["refuse_at"],
                           "refuse_at must be \"rcpt\" or \"data\", not '" + *r + "'");
            ok = false;
        }
    }
    read_key_settings(s, diag, spec, ok);
    if (ok && spec.expiry <= spec.delay) {
        diag.error(s, "greylist expiry must be longer than its delay (a retry must be possible)");
        ok = false;
    }
    if (!ok) return std::nullopt;
    return spec;
}

namespace {

// "host", "host:port", "[v6]" or "[v6]:port"; the port defaults to 26379.
std::string parse_endpoint(const std::string& text, state::RedisEndpoint& out) {
    std::string host = text, port;
    if (!text.empty() && text.front() == '[') {
        const auto close = text.find(']');
        if (close == std::string::npos) return "missing ']'";
        host = text.substr(1, close - 1);
        if (close + 1 < text.size()) {
            if (text[close + 1] != ':') return "expected ':' after ']'";
            port = text.substr(close + 2);
        }
    } else if (const auto colon = text.find(':'); colon != std::string::npos) {
        if (text.find(':', colon + 1) != std::string::npos)
            return "write an IPv6 address in brackets, [2001:db8::1]:26379";
        host = text.substr(0, colon);
        port = text.substr(colon + 1);
    }
    if (host.empty()) return "empty host";
    for (unsigned char c : host)
        if (c <= 0x20 || c >= 0x7f || c == '/') return "bad host";
    out.host = host;
    out.port = 26379;
    if (!port.empty()) {
        if (port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos ||
            std::stoi(port) < 1 || std::stoi(port) > 65535)
            return "bad port '" + port + "'";
        out.port = std::stoi(port);
    }
    return {};
}

bool valid_master_name(const std::string& n) {
    if (n.empty() || n.size() > 64) return false;
    for (char c : n)
        if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.'))
            return false;
    return true;
}

// sentinels = ["host:port", ...]; master_name = "NAME"; both or neither, and
// not with host/port (the sentinels say where the master is).
void read_sentinels(const Setting& r, state::RedisOptions& o, Diagnostics& diag) {
    const bool has_sentinels = r.exists("sentinels"), has_name = r.exists("master_name");
    if (has_sentinels) {
        const Setting& s = r["sentinels"];
        if (!is_strings(s)) {
            diag.error(s, "sentinels must be a string or an array of strings \"host:port\", not " +
                              type_name(s));
        } else {
            std::vector<std::string> items;
            if (s.getType() == Setting::TypeString)
                items.emplace_back(static_cast<const char*>(s));
            else
                for (int i = 0; i < s.getLength(); ++i)
                    items.emplace_back(static_cast<const char*>(s[i]));
            if (items.empty() || items.size() > 16)
                diag.error(s, "sentinels must list 1 to 16 addresses");
            for (const std::string& item : items) {
                state::RedisEndpoint e;
                if (const std::string why = parse_endpoint(item, e); !why.empty())
                    diag.error(s, "bad sentinel '" + item + "': " + why);
                else
                    o.sentinels.push_back(e);
            }
        }
    }
    if (has_name)
        if (const auto v = read_string(r["master_name"], diag)) {
            if (!valid_master_name(*v))
                diag.error(r["master_name"],
                           "master_name must be 1 to 64 characters of [A-Za-z0-9._-]");
            else
                o.master_name = *v;
        }
    if (has_sentinels && !has_name)
        diag.error(r["sentinels"], "sentinels need master_name (the name the sentinels monitor)");
    if (has_name && !has_sentinels)
        diag.error(r["master_name"], "master_name needs sentinels = [\"host:port\", ...]");
    if (has_sentinels)
        for (const char* key : {"host", "port"})
            if (r.exists(key))
                diag.error(r[key], std::string(key) +
                                       " names one server; with sentinels the master is found "
                                       "through them: remove " +
                                       key);
}

// A secret may only be in a file that other users cannot read (OpenSMTPD
// refuses such files too): the Redis password guards the counters every MX
// host shares, and a warning in a log is easily missed, so this is an error
// that check-config, the daemon's start and every reload report.
void check_secret_file(const Setting& at, Diagnostics& diag) {
    const std::string file = diag.file_of(at);
    struct stat st {};
    if (::stat(file.c_str(), &st) != 0) return;  // read a moment ago: nothing to say
    if ((st.st_mode & S_IROTH) == 0) return;
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
    diag.error(at, "redis password in " + file + ", which every local user can read (mode " + mode +
                       "): chmod o-r it, or move the password into an @include file of "
                       "mode 0640");
}

}  // namespace

void read_state_settings(const Setting& s, state::StateSettings& out, Diagnostics& diag) {
    if (!s.isGroup()) {
        diag.error(s, "state must be a group { backend; ... }, not " + type_name(s));
        return;
    }
    check_keys(s, {"backend", "file", "max_entries", "save_interval", "control_socket", "redis"},
               "state", diag);
    if (s.exists("backend")) {
        const auto b = read_string(s["backend"], diag);
        if (b && (*b == "memory" || *b == "redis"))
            out.backend = *b;
        else if (b)
            diag.error(s["backend"], "backend must be \"memory\" or \"redis\", not '" + *b + "'");
    }
    if (s.exists("file")) {
        const auto f = read_string(s["file"], diag);
        struct stat st {};
        if (f && !f->empty() && (*f)[0] != '/')
            diag.error(s["file"], "file must be an absolute path (or \"\" for none)");
        else if (f && !f->empty() && ::stat(f->c_str(), &st) == 0 && !S_ISREG(st.st_mode))
            // The store reads it at start and reload, and writes it by rename:
            // a directory, FIFO or device there can never be the state file.
            diag.error(s["file"], "file " + *f + " is not a regular file");
        else if (f)
            out.file = *f;
    }
    if (s.exists("max_entries")) {
        const auto v = read_int(s["max_entries"], diag);
        if (v && (*v < 100 || *v > 100'000'000))
            diag.error(s["max_entries"], "max_entries must be between 100 and 100000000");
        else if (v)
            out.max_entries = static_cast<std::size_t>(*v);
    }
    if (s.exists("save_interval"))
        if (const auto d = read_duration(s["save_interval"], diag)) out.save_interval = *d;
    if (s.exists("control_socket")) {
        const auto c = read_string(s["control_socket"], diag);
        if (c && !c->empty() && ((*c)[0] != '/' || c->size() > 107))
            diag.error(s["control_socket"],
                       "control_socket must be an absolute path of at most 107 bytes (or \"\")");
        else if (c)
            out.control_socket = *c;
    }
    if (!s.exists("redis")) return;
    const Setting& r = s["redis"];
    if (!r.isGroup()) {
        diag.error(r, "redis must be a group { host; port; ... }, not " + type_name(r));
        return;
    }
    check_keys(r,
               {"host", "port", "password", "db", "prefix", "timeout_ms", "pool_size", "tls",
                "sentinels", "master_name"},
               "redis", diag);
    state::RedisOptions& o = out.redis;
    if (r.exists("host"))
        if (const auto v = read_string(r["host"], diag)) {
            if (v->empty() || v->front() == '/')
                diag.error(r["host"], "host must be a host name or address (TCP)");
            else
                o.host = *v;
        }
    auto bounded = [&](const char* key, long long lo, long long hi, auto set) {
        if (!r.exists(key)) return;
        const auto v = read_int(r[key], diag);
        if (v && (*v < lo || *v > hi))
            diag.error(r[key], std::string(key) + " must be between " + std::to_string(lo) +
                                   " and " + std::to_string(hi));
        else if (v)
            set(*v);
    };
    bounded("port", 1, 65535, [&](long long v) { o.port = static_cast<int>(v); });
    bounded("db", 0, 1000, [&](long long v) { o.db = static_cast<int>(v); });
    bounded("timeout_ms", 10, 60000, [&](long long v) { o.timeout = state::Duration(v); });
    bounded("pool_size", 1, 256, [&](long long v) { o.pool_size = static_cast<std::size_t>(v); });
    if (r.exists("password"))
        if (const auto v = read_string(r["password"], diag)) {
            o.password = *v;
            if (!v->empty()) check_secret_file(r["password"], diag);
        }
    if (r.exists("prefix"))
        if (const auto v = read_string(r["prefix"], diag)) {
            if (v->size() > 64)
                diag.error(r["prefix"], "prefix must be at most 64 characters");
            else
                o.prefix = *v;
        }
    read_sentinels(r, o, diag);
    if (r.exists("tls"))
        if (const auto v = read_bool(r["tls"], diag); v && *v)
            diag.error(r["tls"],
                       "tls is not supported: this build's hiredis (Debian 0.14) has no TLS; "
                       "reach Redis over a trusted network or a tunnel (stunnel, spiped)");
}

}  // namespace mv::config
