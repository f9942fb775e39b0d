// SPDX-License-Identifier: Apache-2.0
// answer.cpp - RDATA parsing and answer summaries (answer.hpp).
#include "dns/answer.hpp"

#include <arpa/inet.h>

#include <charconv>

namespace mv::dns {

namespace {

constexpr std::size_t kMaxNameWire = 255;  // RFC 1035 2.3.4, with the length octets

// An uncompressed name at `p` (labels, ending with the root label). Returns
// the name ("." for the root) and advances `off`; nullopt when malformed.
std::optional<std::string> read_name(std::string_view p, std::size_t& off) {
    std::string out;
    std::size_t wire = 0;
    while (true) {
        if (off >= p.size()) return std::nullopt;
        const auto len = static_cast<unsigned char>(p[off]);
        ++off;
        ++wire;
        if (len == 0) break;
        if (len > 63) return std::nullopt;  // a pointer (0xC0) or a reserved label type
        if (off + len > p.size()) return std::nullopt;
        wire += len;
        if (wire > kMaxNameWire) return std::nullopt;
        if (!out.empty()) out += '.';
        for (std::size_t i = 0; i < len; ++i) {
            char c = p[off + i];
            if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
            // A label may hold any octet; only names are kept, so octets that
            // cannot be part of a host name are shown escaped, never raw.
            const auto u = static_cast<unsigned char>(c);
            if (u <= 0x20 || u >= 0x7f || c == '.' || c == '\\') {
                static const char kHex[] = "0123456789abcdef";
                out += "\\x";
                out += kHex[u >> 4];
                out += kHex[u & 0xf];
            } else {
                out += c;
            }
        }
        off += len;
    }
    return out.empty() ? std::string(".") : out;
}

}  // namespace

std::string_view type_name(RrType t) {
    switch (t) {
        case RrType::A:
            return "A";
        case RrType::PTR:
            return "PTR";
        case RrType::MX:
            return "MX";
        case RrType::TXT:
            return "TXT";
        case RrType::AAAA:
            return "AAAA";
    }
    return "?";
}

std::optional<RrType> parse_type(std::string_view name) {
    for (RrType t : {RrType::A, RrType::PTR, RrType::MX, RrType::TXT, RrType::AAAA})
        if (type_name(t) == name) return t;
    return std::nullopt;
}

std::string Question::key() const {
    std::string k(type_name(type));
    k += ' ';
    k += name;
    return k;
}

std::string_view outcome_name(Outcome o) {
    switch (o) {
        case Outcome::Records:
            return "records";
        case Outcome::NoData:
            return "no data";
        case Outcome::NxDomain:
            return "NXDOMAIN";
        case Outcome::TempFail:
            return "temporary failure";
        case Outcome::Timeout:
            return "timeout";
        case Outcome::Malformed:
            return "malformed answer";
    }
    return "?";
}

std::string Answer::summary(bool with_ttl) const {
    std::string out;
    if (outcome == Outcome::Records) {
        for (const auto& r : records) {
            if (!out.empty()) out += ' ';
            out += r;
        }
        if (truncated) out += " ...";
    } else {
        out = outcome_name(outcome);
    }
    if (definite() && with_ttl) out += " (ttl " + std::to_string(ttl) + ")";
    if (!error.empty()) out += " (" + error + ")";
    return out;
}

std::optional<std::string> parse_rdata(RrType type, std::string_view p) {
    switch (type) {
        case RrType::A: {
            if (p.size() != 4) return std::nullopt;
            char buf[INET_ADDRSTRLEN];
            if (!inet_ntop(AF_INET, p.data(), buf, sizeof buf)) return std::nullopt;
            return std::string(buf);
        }
        case RrType::AAAA: {
            if (p.size() != 16) return std::nullopt;
            char buf[INET6_ADDRSTRLEN];
            if (!inet_ntop(AF_INET6, p.data(), buf, sizeof buf)) return std::nullopt;
            return std::string(buf);
        }
        case RrType::PTR: {
            std::size_t off = 0;
            auto name = read_name(p, off);
            if (!name || off != p.size()) return std::nullopt;
            return name;
        }
        case RrType::MX: {
            if (p.size() < 3) return std::nullopt;
            const unsigned pref =
                static_cast<unsigned char>(p[0]) << 8 | static_cast<unsigned char>(p[1]);
            std::size_t off = 2;
            auto name = read_name(p, off);
            if (!name || off != p.size()) return std::nullopt;
            return std::to_string(pref) + " " + *name;
        }
        case RrType::TXT: {
            // One or more <character-string>s (RFC 1035 3.3.14), joined.
            if (p.empty()) return std::nullopt;
            std::string out;
            std::size_t off = 0;
            while (off < p.size()) {
                const auto len = static_cast<unsigned char>(p[off]);
                ++off;
                if (off + len > p.size()) return std::nullopt;
                out.append(p.substr(off, std::min<std::size_t>(len, kMaxTxt - out.size())));
                off += len;
            }
            return out;
        }
    }
    return std::nullopt;
}

Answer answer_from_rdata(RrType type, const std::vector<std::string_view>& rdata,
                         std::uint32_t ttl) {
    Answer a;
    a.ttl = ttl;
    if (rdata.empty()) {
        a.outcome = Outcome::NoData;
        return a;
    }
    a.outcome = Outcome::Records;
    for (const auto& r : rdata) {
        if (a.records.size() >= kMaxRecords) {
            a.truncated = true;
            break;
        }
        auto text = parse_rdata(type, r);
        if (!text) {
            a.outcome = Outcome::Malformed;
            a.records.clear();
            a.ttl = 0;
            a.error = "a " + std::string(type_name(type)) + " record that cannot be parsed";
            return a;
        }
        a.records.push_back(std::move(*text));
    }
    if (a.truncated)
        a.error = "more than " + std::to_string(kMaxRecords) + " records, the first kept";
    return a;
}

Answer answer_from_result(RrType type, int rcode, bool havedata, int ttl,
                          const std::vector<std::string_view>& rdata) {
    const std::uint32_t t = ttl > 0 ? static_cast<std::uint32_t>(ttl) : 0;
    Answer a;
    switch (rcode) {
        case 0:
            if (!havedata) {
                a.outcome = Outcome::NoData;
                a.ttl = t;
                return a;
            }
            return answer_from_rdata(type, rdata, t);
        case 3:
            a.outcome = Outcome::NxDomain;
            a.ttl = t;
            return a;
        case 2:
            a.outcome = Outcome::TempFail;
            a.error = "SERVFAIL";
            return a;
        case 5:
            a.outcome = Outcome::TempFail;
            a.error = "REFUSED";
            return a;
        default:
            a.outcome = Outcome::TempFail;
            a.error = "rcode " + std::to_string(rcode);
            return a;
    }
}

std::optional<MxRecord> parse_mx(std::string_view text) {
    const auto sp = text.find(' ');
    if (sp == std::string_view::npos || sp == 0) return std::nullopt;
    unsigned pref = 0;
    const auto [ptr, ec] = std::from_chars(text.data(), text.data() + sp, pref);
    if (ec != std::errc() || ptr != text.data() + sp || pref > 65535) return std::nullopt;
    MxRecord mx;
    mx.preference = static_cast<std::uint16_t>(pref);
    mx.host = std::string(text.substr(sp + 1));
    if (mx.host.empty()) return std::nullopt;
    return mx;
}

}  // namespace mv::dns
