// SPDX-License-Identifier: Apache-2.0
// list_spec.hpp - DNS lists with scores, in Postfix postscreen's syntax.
//
// One zone entry is written as postscreen_dnsbl_sites writes it:
//
//   zone[=filter][*weight]     zen.example=127.0.0.[2..11]*3   list.dnswl.example*-5
//
// The filter matches the A records a listing returns: four dot-separated
// octets, each a number or "[...]" holding numbers and ranges separated by
// ';' ("127.0.[0..255].[2;4..7]"). Without a filter every answer in 127/8
// counts. The weight is an integer (default 1); a negative weight makes the
// zone an allow list (DNSWL). A list's score is the sum of the weights of its
// entries that list the key; each entry counts once, however many records
// match and however many of the list's keys (HELO and sender domain, say) it
// lists. The list holds at or above its threshold, and "allows" at or below
// its allow_threshold (postscreen_dnsbl_allowlist_threshold).
//
// Answers that are errors, never listings (RFC 5782 2.3, and what Spamhaus
// answers to public resolvers and over-quota users): any record in
// 127.255.255.0/24 or outside 127.0.0.0/8 makes the entry's lookup a lookup
// error (classify()).
//
// Errors: parse_zone_entry() returns nullopt and a one-line reason.
//
// Thread contract: value types and pure functions.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mv::dns {

// What a list is queried with. A list may have several keys.
enum class ListKey : unsigned {
    ClientAddr = 1,    // the client's IPv4 or IPv6 address (RFC 5782 2.1, 2.4), at connect
    ClientName = 2,    // the client's (MTA-verified) host name, RHSBL, at connect
    Helo = 4,          // the HELO/EHLO name, RHSBL, at HELO
    SenderDomain = 8,  // the domain of the envelope sender, RHSBL, at MAIL
};
std::string_view key_name(ListKey k);  // "client", "client_name", "helo", "sender_domain"
std::optional<ListKey> parse_key(std::string_view name);

struct OctetSet {
    std::vector<std::pair<std::uint8_t, std::uint8_t>> ranges;  // inclusive
    bool contains(std::uint8_t v) const;
};

struct Filter {
    std::array<OctetSet, 4> octets;
    bool matches(const std::array<std::uint8_t, 4>& addr) const;
};

struct ZoneEntry {
    std::string zone;  // normalised, e.g. "zen.example"
    std::string text;  // the entry as written, for messages
    std::optional<Filter> filter;
    int weight = 1;
    std::string show_as;  // the name replies, headers and logs show; = zone unless secret
    bool check = true;    // health-checked by its RFC 5782 test entries (the list's option)
};

inline constexpr int kMaxWeight = 1000;
inline constexpr int kMaxThreshold = 100000;

std::optional<ZoneEntry> parse_zone_entry(std::string_view text, std::string& error);

// What one record returned for an entry's query means.
enum class RecordMeaning { Listed, NotListed, Error };
RecordMeaning classify(const ZoneEntry& entry, std::string_view record);

struct ListSpec {
    std::string name;
    std::vector<ZoneEntry> zones;
    unsigned keys = static_cast<unsigned>(ListKey::ClientAddr);  // ListKey bits
    int threshold = 1;
    std::optional<int> allow_threshold;
    bool txt = false;                // look up the TXT record of a hit for ${dns_txt}
    bool check_test_entries = true;  // RFC 5782 5 health check of every zone
    std::string file;                // where it was defined
    int line = 0;
    bool has(ListKey k) const { return keys & static_cast<unsigned>(k); }
};

// The state of one entry for one transaction.
enum class EntryState { Listed, NotListed, Unknown, Skipped };

// A list's score over its entries (`states` parallel to spec.zones): the
// weights of the listed entries; `low` and `high` bound what the unknown
// entries could still add (their negative and positive weights).
struct Score {
    int known = 0;
    int low = 0, high = 0;
    bool complete() const { return low == high; }
};
Score score(const ListSpec& spec, const std::vector<EntryState>& states);

// The outcome of a test on a score: the list holds (score >= threshold) or
// allows (score <= allow_threshold); nullopt while unknown entries decide it.
std::optional<bool> holds(const ListSpec& spec, const Score& s, bool allowed);

}  // namespace mv::dns
