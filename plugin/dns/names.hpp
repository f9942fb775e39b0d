// SPDX-License-Identifier: Apache-2.0
// names.hpp - the names milter-verdict asks DNS about.
//
// reversed_address() is the RFC 5782 section 2.1 / 2.4 form of a client address
// that DNS lists and PTR lookups use: "192.0.2.99" -> "99.2.0.192"; an IPv6
// address -> its 32 nibbles, least significant first, "b.a.9.8.7.6.5.0..."
// (an IPv4-mapped IPv6 address counts as IPv4, as Postfix treats it).
// ptr_name() adds ".in-addr.arpa" / ".ip6.arpa". domain_name() checks and
// normalises a host or domain name before it is looked up (HELO, client name,
// sender and recipient domains come from the network): ASCII letters, digits,
// '-' and '_', labels of 1 to 63 octets, at most 253 octets, at least one dot
// unless `allow_single` (a list zone is always dotted), lower case, no
// trailing dot. query_name() joins a key and a zone and refuses names over 253.
//
// Errors: the functions return nullopt for input that is not an address or a
// name; nothing is looked up then.
//
// Thread contract: pure functions.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace mv::dns {

// A parsed client address: 4 octets (IPv4, also for IPv4-mapped IPv6) or 16.
struct IpAddress {
    bool v6 = false;
    std::array<std::uint8_t, 16> bytes{};  // the first 4 are used for IPv4
    bool operator==(const IpAddress&) const = default;
};

std::optional<IpAddress> parse_address(std::string_view text);
std::string format_address(const IpAddress& a);

std::optional<std::string> reversed_address(std::string_view addr);
std::optional<std::string> ptr_name(std::string_view addr);

std::optional<std::string> domain_name(std::string_view name, bool allow_single = false);
std::optional<std::string> query_name(std::string_view key, std::string_view zone);

// The domain of an address: the part after the last '@', normalised by
// domain_name(); nullopt for the null sender, an address literal or a name
// that cannot be looked up.
std::optional<std::string> address_domain_name(std::string_view address);

}  // namespace mv::dns
