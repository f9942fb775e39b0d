// SPDX-License-Identifier: Apache-2.0
// names.cpp - reversed addresses, PTR names and name checks (names.hpp).
#include "dns/names.hpp"

#include <arpa/inet.h>

#include <cstring>

namespace mv::dns {

namespace {

constexpr std::size_t kMaxName = 253;
constexpr std::size_t kMaxLabel = 63;

bool mapped_v4(const std::array<std::uint8_t, 16>& b) {
    for (int i = 0; i < 10; ++i)
        if (b[i] != 0) return false;
    return b[10] == 0xff && b[11] == 0xff;
}

}  // namespace

std::optional<IpAddress> parse_address(std::string_view text) {
    if (text.empty() || text.size() > 45) return std::nullopt;
    const std::string s(text);
    IpAddress a;
    if (s.find(':') == std::string::npos) {
        in_addr in{};
        if (inet_pton(AF_INET, s.c_str(), &in) != 1) return std::nullopt;
        std::memcpy(a.bytes.data(), &in, 4);
        return a;
    }
    in6_addr in6{};
    if (inet_pton(AF_INET6, s.c_str(), &in6) != 1) return std::nullopt;
    std::array<std::uint8_t, 16> b{};
    std::memcpy(b.data(), &in6, 16);
    if (mapped_v4(b)) {
        std::memcpy(a.bytes.data(), b.data() + 12, 4);
        return a;
    }
    a.v6 = true;
    a.bytes = b;
    return a;
}

std::string format_address(const IpAddress& a) {
    char buf[INET6_ADDRSTRLEN] = {};
    if (!inet_ntop(a.v6 ? AF_INET6 : AF_INET, a.bytes.data(), buf, sizeof buf)) return {};
    return buf;
}

std::optional<std::string> reversed_address(std::string_view addr) {
    const auto a = parse_address(addr);
    if (!a) return std::nullopt;
    std::string out;
    if (!a->v6) {
        for (int i = 3; i >= 0; --i) {
            out += std::to_string(a->bytes[i]);
            if (i) out += '.';
        }
        return out;
    }
    static const char kHex[] = "0123456789abcdef";
    out.reserve(63);
    for (int i = 15; i >= 0; --i) {
        out += kHex[a->bytes[i] & 0xf];
        out += '.';
        out += kHex[a->bytes[i] >> 4];
        if (i) out += '.';
    }
    return out;
}

std::optional<std::string> ptr_name(std::string_view addr) {
    const auto a = parse_address(addr);
    const auto r = reversed_address(addr);
    if (!a || !r) return std::nullopt;
    return *r + (a->v6 ? ".ip6.arpa" : ".in-addr.arpa");
}

std::optional<std::string> domain_name(std::string_view name, bool allow_single) {
    if (!name.empty() && name.back() == '.') name.remove_suffix(1);
    if (name.empty() || name.size() > kMaxName) return std::nullopt;
    std::string out;
    out.reserve(name.size());
    std::size_t label = 0;
    bool dotted = false;
    for (char c : name) {
        if (c == '.') {
            if (label == 0) return std::nullopt;
            label = 0;
            dotted = true;
            out += c;
            continue;
        }
        const bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
                        (c >= 'A' && c <= 'Z');
        if (!ok || ++label > kMaxLabel) return std::nullopt;
        out += (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
    }
    if (label == 0 || (!dotted && !allow_single)) return std::nullopt;
    // An all-numeric last label is an address, not a name (RFC 3696 2).
    const std::size_t last = out.rfind('.');
    const std::string_view tld =
        std::string_view(out).substr(last == std::string::npos ? 0 : last + 1);
    if (tld.find_first_not_of("0123456789") == std::string_view::npos) return std::nullopt;
    return out;
}

std::optional<std::string> query_name(std::string_view key, std::string_view zone) {
    if (key.empty() || zone.empty() || key.size() + 1 + zone.size() > kMaxName) return std::nullopt;
    std::string out;
    out.reserve(key.size() + 1 + zone.size());
    out.append(key);
    out += '.';
    out.append(zone);
    return out;
}

std::optional<std::string> address_domain_name(std::string_view address) {
    const auto at = address.rfind('@');
    if (at == std::string_view::npos) return std::nullopt;
    const std::string_view d = address.substr(at + 1);
    if (d.empty() || d.front() == '[') return std::nullopt;
    return domain_name(d);
}

}  // namespace mv::dns
