// SPDX-License-Identifier: Apache-2.0
// cidr_set.hpp - a set of IPv4 and IPv6 networks with constant-time lookup.
//
// add() parses "192.0.2.0/24", "2001:db8::/32" or a bare address (= /32 or
// /128). contains() tells whether a client address lies in any network.
//
// IPv4 is IPv6's ::ffff:0:0/96 (RFC 4291 2.5.5.2): an IPv4-mapped client
// address ("::ffff:192.0.2.1") matches IPv4 networks, an IPv4 client matches an
// IPv6 network that covers the mapped range, and "::ffff:192.0.2.0/120" is
// stored as 192.0.2.0/24.
//
// Lookup does not scan: one hash table per prefix length in use (at most 33
// for IPv4 plus 129 for IPv6), so a lookup costs one masked hash probe per
// length in use, whatever the number of networks (built for 1,000,000).
//
// Errors: add() throws std::invalid_argument with a one-line message such as
// "bad network '300.1.2.3/24': not an IPv4 or IPv6 address". Networks with
// host bits set ("192.0.2.1/24") are REJECTED, as Postfix cidr tables do: such
// an entry is almost always a typo for a host or for a different network, and
// silently masking it would widen the list. contains() never throws; text that
// is not an address (e.g. "" for a local submission) is simply not contained.
// Client text may carry Sendmail's "IPv6:" prefix, [brackets] or a "%zone".
//
// Thread contract: add() while building; contains() is const and thread-safe.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

namespace mv::policy {

class CidrSet {
  public:
    void add(std::string_view network);
    bool contains(std::string_view client_addr) const;
    std::size_t size() const { return size_; }
    bool empty() const { return size_ == 0; }

    struct V6 {
        std::uint64_t hi = 0, lo = 0;
        bool operator==(const V6&) const = default;
    };

  private:
    struct V6Hash {
        std::size_t operator()(const V6& k) const noexcept;
    };
    bool contains_v4(std::uint32_t a) const;

    std::array<std::unordered_set<std::uint32_t>, 33> v4_;
    std::array<std::unordered_set<V6, V6Hash>, 129> v6_;
    std::vector<int> v4_lengths_, v6_lengths_;  // lengths in use, for lookup
    std::size_t size_ = 0;                      // networks added (duplicates included)
};

}  // namespace mv::policy
