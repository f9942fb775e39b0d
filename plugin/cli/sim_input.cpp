// SPDX-License-Identifier: Apache-2.0
// sim_input.cpp - transaction keys shared by the command line and `--file`.
#include "cli/sim_input.hpp"

#include <fstream>

#include "dns/table_resolver.hpp"

namespace mv::cli {

namespace {

std::string trim(const std::string& s) {
    const auto b = s.find_first_not_of(" \t\r");
    if (b == std::string::npos) return {};
    const auto e = s.find_last_not_of(" \t\r");
    return s.substr(b, e - b + 1);
}

std::string strip_brackets(const std::string& a) {
    if (a.size() >= 2 && a.front() == '<' && a.back() == '>') return a.substr(1, a.size() - 2);
    return a;
}

// Bounded as the milter glue bounds values from the MTA (transaction.hpp).
constexpr std::size_t kMaxValue = 4096;

}  // namespace

bool sim_flag(const std::string& key) {
    return key == "tls" || key == "non-smtp";
}

bool sim_key(const std::string& key) {
    static const char* kKeys[] = {
        "client", "client-name", "client-resolve", "helo", "from",     "rcpt", "auth",
        "tls",    "macro",       "header",         "body", "non-smtp", "size", "dns-answer"};
    for (const char* k : kKeys)
        if (key == k) return true;
    return false;
}

std::string sim_apply(SimInput& in, const std::string& key, const std::string& value) {
    if (value.size() > kMaxValue)
        return key + ": value longer than " + std::to_string(kMaxValue) + " bytes";
    if (value.find_first_of("\r\n") != std::string::npos) return key + ": value has a line break";
    if (key == "client")
        in.client_addr = value;
    else if (key == "client-name")
        in.client_name = value;
    else if (key == "client-resolve")
        in.client_resolve = value;
    else if (key == "helo")
        in.helo = value;
    else if (key == "from") {
        in.sender = strip_brackets(value);
        in.has_sender = true;
    } else if (key == "rcpt") {
        const std::string r = strip_brackets(value);
        if (r.empty()) return "rcpt: empty recipient";
        in.rcpts.push_back(r);
    } else if (key == "auth")
        in.auth = value;
    else if (key == "tls")
        in.tls = true;
    else if (key == "non-smtp")
        in.non_smtp = true;
    else if (key == "macro") {
        const auto eq = value.find('=');
        if (eq == std::string::npos || eq == 0) return "macro: expected NAME=VALUE";
        std::string name = value.substr(0, eq);
        if (name.size() >= 2 && name.front() == '{' && name.back() == '}')
            name = name.substr(1, name.size() - 2);
        in.macros.emplace_back(name, value.substr(eq + 1));
    } else if (key == "header") {
        const auto colon = value.find(':');
        if (colon == std::string::npos || colon == 0) return "header: expected 'Name: value'";
        std::string v = value.substr(colon + 1);
        // The MTA passes the value without the space after the colon.
        if (!v.empty() && v[0] == ' ') v.erase(0, 1);
        in.headers.emplace_back(trim(value.substr(0, colon)), v);
    } else if (key == "body")
        in.body_file = value;
    else if (key == "size") {
        // SIZE= of MAIL (RFC 1870): digits only, as a client sends it.
        if (value.empty() || value.size() > 19 ||
            value.find_first_not_of("0123456789") != std::string::npos)
            return "size: expected a number of bytes";
        in.size = std::stoull(value);
    } else if (key == "dns-answer") {
        dns::Question q;
        dns::Answer a;
        if (const std::string e = dns::parse_answer_spec(value, q, a); !e.empty())
            return "dns-answer: " + e;
        in.dns_answers.push_back(value);
    } else
        return "unknown key '" + key + "'";
    return {};
}

std::string sim_missing(const SimInput& in) {
    if (in.client_addr.empty() && !in.non_smtp) return "no client address (client)";
    if (!in.has_sender) return "no sender (from)";
    if (in.rcpts.empty()) return "no recipient (rcpt)";
    return {};
}

std::string parse_sim_file(const std::string& path, std::vector<SimInput>& out) {
    std::ifstream f(path);
    if (!f) return path + ": cannot read";
    const auto slash = path.rfind('/');
    const std::string dir = slash == std::string::npos ? "" : path.substr(0, slash + 1);
    std::string raw;
    int lineno = 0;
    SimInput cur;
    bool open = false;
    auto finish = [&]() -> std::string {
        if (!open) return {};
        const std::string miss = sim_missing(cur);
        if (!miss.empty())
            return path + ":" + std::to_string(cur.line) + ": incomplete transaction: " + miss;
        out.push_back(std::move(cur));
        cur = SimInput{};
        open = false;
        return {};
    };
    while (std::getline(f, raw)) {
        ++lineno;
        const std::string line = trim(raw);
        if (line.empty()) {
            if (auto e = finish(); !e.empty()) return e;
            continue;
        }
        if (line[0] == '#') continue;
        const auto sp = line.find_first_of(" \t");
        const std::string key = line.substr(0, sp);
        const std::string value = sp == std::string::npos ? "" : trim(line.substr(sp));
        if (!open) {
            open = true;
            cur.line = lineno;
        }
        if (!sim_key(key))
            return path + ":" + std::to_string(lineno) + ": unknown key '" + key + "'";
        if (!sim_flag(key) && sp == std::string::npos)
            return path + ":" + std::to_string(lineno) + ": " + key + " needs a value";
        std::string v = value;
        if (key == "body" && !v.empty() && v[0] != '/') v = dir + v;
        if (auto e = sim_apply(cur, key, v); !e.empty())
            return path + ":" + std::to_string(lineno) + ": " + e;
    }
    if (auto e = finish(); !e.empty()) return e;
    if (out.empty()) return path + ": no transaction";
    return {};
}

}  // namespace mv::cli
