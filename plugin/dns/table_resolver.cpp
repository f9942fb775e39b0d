// SPDX-License-Identifier: Apache-2.0
// table_resolver.cpp - offline and hand-driven resolvers (table_resolver.hpp).
#include "dns/table_resolver.hpp"

#include <sstream>

#include "dns/names.hpp"

namespace mv::dns {

Answer records(std::vector<std::string> r, std::uint32_t ttl) {
    Answer a;
    a.outcome = Outcome::Records;
    a.records = std::move(r);
    a.ttl = ttl;
    return a;
}

Answer nxdomain(std::uint32_t ttl) {
    Answer a;
    a.outcome = Outcome::NxDomain;
    a.ttl = ttl;
    return a;
}

Answer nodata(std::uint32_t ttl) {
    Answer a;
    a.outcome = Outcome::NoData;
    a.ttl = ttl;
    return a;
}

Answer failure(Outcome o) {
    Answer a;
    a.outcome = o;
    return a;
}

void TableResolver::add(const Question& q, const Answer& a) {
    std::lock_guard lock(mu_);
    auto [it, fresh] = table_.emplace(q.key(), a);
    if (!fresh && it->second.outcome == Outcome::Records && a.outcome == Outcome::Records)
        it->second.records.insert(it->second.records.end(), a.records.begin(), a.records.end());
    else if (!fresh)
        it->second = a;
}

void TableResolver::resolve(const Question& q, TimePoint, Done done) {
    Answer a = nxdomain(300);
    {
        std::lock_guard lock(mu_);
        asked_.push_back(q.key());
        if (auto it = table_.find(q.key()); it != table_.end()) a = it->second;
    }
    done(std::move(a));
}

std::vector<std::string> TableResolver::asked() const {
    std::lock_guard lock(mu_);
    return asked_;
}

ManualResolver::~ManualResolver() {
    std::vector<std::pair<std::string, Done>> left;
    {
        std::lock_guard lock(mu_);
        left.swap(pending_);
    }
    for (auto& [key, done] : left) {
        Answer a = failure(Outcome::TempFail);
        a.error = "resolver stopped";
        done(a);
    }
}

void ManualResolver::resolve(const Question& q, TimePoint, Done done) {
    std::lock_guard lock(mu_);
    ++asked_;
    pending_.emplace_back(q.key(), std::move(done));
}

bool ManualResolver::answer(const std::string& key, const Answer& a) {
    std::vector<Done> run;
    {
        std::lock_guard lock(mu_);
        for (auto it = pending_.begin(); it != pending_.end();) {
            if (it->first == key) {
                run.push_back(std::move(it->second));
                it = pending_.erase(it);
            } else {
                ++it;
            }
        }
    }
    for (auto& d : run) d(a);
    return !run.empty();
}

std::vector<std::string> ManualResolver::pending() const {
    std::lock_guard lock(mu_);
    std::vector<std::string> out;
    for (const auto& p : pending_) out.push_back(p.first);
    return out;
}

std::size_t ManualResolver::asked() const {
    std::lock_guard lock(mu_);
    return asked_;
}

std::string parse_answer_spec(const std::string& spec, Question& q, Answer& a) {
    std::istringstream in(spec);
    std::string name, type;
    if (!(in >> name >> type)) return "expected 'NAME TYPE VALUE' in '" + spec + "'";
    const auto n = domain_name(name, true);
    if (!n) return "bad name '" + name + "'";
    for (auto& c : type)
        if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    const auto t = parse_type(type);
    if (!t) return "unknown type '" + type + "' (A, AAAA, PTR, MX, TXT)";
    std::string rest;
    std::getline(in, rest);
    const auto b = rest.find_first_not_of(" \t");
    rest = b == std::string::npos ? std::string() : rest.substr(b);
    q = {*n, *t};
    if (rest == "NXDOMAIN") {
        a = nxdomain();
    } else if (rest == "NODATA") {
        a = nodata();
    } else if (rest == "SERVFAIL") {
        a = failure(Outcome::TempFail);
        a.error = "SERVFAIL";
    } else if (rest == "TIMEOUT") {
        a = failure(Outcome::Timeout);
    } else if (rest.empty()) {
        return "no value for " + name + " " + type;
    } else if (*t == RrType::TXT) {
        a = records({rest});
    } else if (*t == RrType::MX) {
        const auto mx = parse_mx(rest);
        const auto host =
            mx ? (mx->host == "." ? std::optional<std::string>(".") : domain_name(mx->host, true))
               : std::nullopt;
        if (!host) return "bad MX value '" + rest + "' (PREFERENCE HOST, or 0 . for a null MX)";
        a = records({std::to_string(mx->preference) + " " + *host});
    } else if (*t == RrType::PTR) {
        const auto host = domain_name(rest, true);
        if (!host) return "bad PTR name '" + rest + "'";
        a = records({*host});
    } else {
        std::istringstream vals(rest);
        std::vector<std::string> rs;
        for (std::string v; vals >> v;) {
            const auto addr = parse_address(v);
            if (!addr || addr->v6 != (*t == RrType::AAAA))
                return "bad " + type + " address '" + v + "'";
            rs.push_back(format_address(*addr));
        }
        a = records(std::move(rs));
    }
    return {};
}

}  // namespace mv::dns
