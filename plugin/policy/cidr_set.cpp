// SPDX-License-Identifier: Apache-2.0
// cidr_set.cpp - see cidr_set.hpp.
#include "policy/cidr_set.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <charconv>
#include <optional>
#include <stdexcept>

namespace mv::policy {

namespace {

struct Parsed {
    bool v4 = false;
    std::uint32_t a4 = 0;  // host byte order
    CidrSet::V6 a6;
};

constexpr std::uint64_t kMappedHi = 0;
constexpr std::uint64_t kMappedLoPrefix = 0x0000ffff00000000ULL;

bool is_mapped(const CidrSet::V6& a) {
    return a.hi == kMappedHi && (a.lo & 0xffffffff00000000ULL) == kMappedLoPrefix;
}

CidrSet::V6 mapped(std::uint32_t a) {
    return {kMappedHi, kMappedLoPrefix | a};
}

std::optional<Parsed> parse_address(std::string_view text) {
    // inet_pton needs a NUL-terminated string; bound it (the longest IPv6 text
    // form is 45 characters) so hostile input costs nothing.
    if (text.empty() || text.size() > 45) return std::nullopt;
    // inet_pton stops at a NUL: "1.2.3.4\0junk" must not pass as 1.2.3.4.
    if (text.find_first_not_of("0123456789abcdefABCDEF:.") != std::string_view::npos)
        return std::nullopt;
    const std::string s(text);
    Parsed p;
    if (s.find(':') == std::string::npos) {
        in_addr a{};
        if (inet_pton(AF_INET, s.c_str(), &a) != 1) return std::nullopt;
        p.v4 = true;
        p.a4 = ntohl(a.s_addr);
        return p;
    }
    in6_addr a{};
    if (inet_pton(AF_INET6, s.c_str(), &a) != 1) return std::nullopt;
    for (int i = 0; i < 8; ++i) p.a6.hi = (p.a6.hi << 8) | a.s6_addr[i];
    for (int i = 8; i < 16; ++i) p.a6.lo = (p.a6.lo << 8) | a.s6_addr[i];
    return p;
}

std::uint32_t mask4(std::uint32_t a, int len) {
    return len == 0 ? 0 : a & (~std::uint32_t{0} << (32 - len));
}

CidrSet::V6 mask6(CidrSet::V6 a, int len) {
    const auto m = [](int bits) { return bits <= 0 ? 0 : ~std::uint64_t{0} << (64 - bits); };
    if (len <= 64) return {a.hi & m(len), 0};
    return {a.hi, a.lo & m(len - 64)};
}

std::string format4(std::uint32_t a) {
    in_addr x{};
    x.s_addr = htonl(a);
    char buf[INET_ADDRSTRLEN];
    return inet_ntop(AF_INET, &x, buf, sizeof buf) ? buf : "?";
}

std::string format6(CidrSet::V6 a) {
    in6_addr x{};
    for (int i = 0; i < 8; ++i) x.s6_addr[i] = static_cast<unsigned char>(a.hi >> (56 - 8 * i));
    for (int i = 0; i < 8; ++i) x.s6_addr[8 + i] = static_cast<unsigned char>(a.lo >> (56 - 8 * i));
    char buf[INET6_ADDRSTRLEN];
    return inet_ntop(AF_INET6, &x, buf, sizeof buf) ? buf : "?";
}

[[noreturn]] void bad(std::string_view network, std::string_view why) {
    throw std::invalid_argument("bad network '" + std::string(network) + "': " + std::string(why));
}

void note_length(std::vector<int>& lengths, int len) {
    if (std::find(lengths.begin(), lengths.end(), len) == lengths.end()) lengths.push_back(len);
}

}  // namespace

std::size_t CidrSet::V6Hash::operator()(const V6& k) const noexcept {
    // splitmix64-style mixing: masked keys share many zero bits.
    std::uint64_t x = k.hi * 0x9e3779b97f4a7c15ULL ^ (k.lo + 0x632be59bd9b4e019ULL);
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebULL;
    x ^= x >> 31;
    return static_cast<std::size_t>(x);
}

void CidrSet::add(std::string_view network) {
    const auto slash = network.find('/');
    const std::string_view addr_text = network.substr(0, slash);
    const auto p = parse_address(addr_text);
    if (!p) bad(network, "not an IPv4 or IPv6 address");
    const int max_len = p->v4 ? 32 : 128;
    int len = max_len;
    if (slash != std::string_view::npos) {
        const std::string_view l = network.substr(slash + 1);
        const auto [end, ec] = std::from_chars(l.data(), l.data() + l.size(), len);
        if (l.empty() || ec != std::errc() || end != l.data() + l.size() || len < 0 ||
            len > max_len || (l.size() > 1 && l.front() == '0'))
            bad(network, "prefix length must be 0.." + std::to_string(max_len));
    }
    if (p->v4) {
        if (mask4(p->a4, len) != p->a4)
            bad(network, "host bits set (did you mean " + format4(mask4(p->a4, len)) + "/" +
                             std::to_string(len) + "?)");
        v4_[len].insert(p->a4);
        note_length(v4_lengths_, len);
    } else {
        if (mask6(p->a6, len) != p->a6)
            bad(network, "host bits set (did you mean " + format6(mask6(p->a6, len)) + "/" +
                             std::to_string(len) + "?)");
        if (len >= 96 && is_mapped(p->a6)) {
            const int l4 = len - 96;
            v4_[l4].insert(static_cast<std::uint32_t>(p->a6.lo));
            note_length(v4_lengths_, l4);
        } else {
            v6_[len].insert(p->a6);
            note_length(v6_lengths_, len);
        }
    }
    ++size_;
}

bool CidrSet::contains_v4(std::uint32_t a) const {
    for (int len : v4_lengths_)
        if (v4_[len].count(mask4(a, len))) return true;
    // IPv6 networks of /96 or shorter may cover ::ffff:0:0/96.
    const V6 m = mapped(a);
    for (int len : v6_lengths_)
        if (len <= 96 && v6_[len].count(mask6(m, len))) return true;
    return false;
}

bool CidrSet::contains(std::string_view client) const {
    if (client.size() > 5 && (client.substr(0, 5) == "IPv6:" || client.substr(0, 5) == "ipv6:"))
        client.remove_prefix(5);
    if (client.size() >= 2 && client.front() == '[' && client.back() == ']')
        client = client.substr(1, client.size() - 2);
    if (const auto pct = client.find('%'); pct != std::string_view::npos)
        client = client.substr(0, pct);
    const auto p = parse_address(client);
    if (!p) return false;
    if (p->v4) return contains_v4(p->a4);
    if (is_mapped(p->a6)) return contains_v4(static_cast<std::uint32_t>(p->a6.lo));
    for (int len : v6_lengths_)
        if (v6_[len].count(mask6(p->a6, len))) return true;
    return false;
}

}  // namespace mv::policy
