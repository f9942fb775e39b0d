// SPDX-License-Identifier: Apache-2.0
// list_spec.cpp - postscreen-style zone entries, answer classification, scores.
#include "dns/list_spec.hpp"

#include <arpa/inet.h>

#include <charconv>
#include <cstring>

#include "dns/names.hpp"

namespace mv::dns {

namespace {

std::optional<unsigned> number(std::string_view s, unsigned max) {
    if (s.empty() || s.size() > 6) return std::nullopt;
    unsigned v = 0;
    const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || p != s.data() + s.size() || v > max) return std::nullopt;
    return v;
}

// "2", "[2..11]", "[0..255]", "[2;4..7]"
std::optional<OctetSet> parse_octet(std::string_view s, std::string& error) {
    OctetSet set;
    const bool bracket = !s.empty() && s.front() == '[';
    if (bracket) {
        if (s.size() < 3 || s.back() != ']') {
            error = "unterminated '[' in '" + std::string(s) + "'";
            return std::nullopt;
        }
        s = s.substr(1, s.size() - 2);
    }
    while (true) {
        const auto semi = s.find(';');
        if (semi != std::string_view::npos && !bracket) {
            error = "';' outside '[...]' in a filter octet";
            return std::nullopt;
        }
        const std::string_view item = s.substr(0, semi);
        const auto dots = item.find("..");
        const auto lo = number(item.substr(0, dots), 255);
        const auto hi = dots == std::string_view::npos ? lo : number(item.substr(dots + 2), 255);
        if (!lo || !hi || (dots != std::string_view::npos && !bracket)) {
            error = "bad filter octet '" + std::string(item) +
                    "' (a number 0..255, or [N..M] / [N;M] ranges)";
            return std::nullopt;
        }
        if (*lo > *hi) {
            error = "filter range '" + std::string(item) + "' runs backwards";
            return std::nullopt;
        }
        set.ranges.emplace_back(static_cast<std::uint8_t>(*lo), static_cast<std::uint8_t>(*hi));
        if (semi == std::string_view::npos) break;
        s = s.substr(semi + 1);
    }
    return set;
}

// The first '.' outside "[...]".
std::size_t octet_end(std::string_view s) {
    int depth = 0;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '[') ++depth;
        if (s[i] == ']') --depth;
        if (s[i] == '.' && depth == 0) return i;
    }
    return std::string_view::npos;
}

std::optional<Filter> parse_filter(std::string_view s, std::string& error) {
    const std::string whole(s);
    Filter f;
    for (int i = 0; i < 4; ++i) {
        const auto dot = octet_end(s);
        if ((dot == std::string_view::npos) != (i == 3)) {
            error = "filter '" + whole + "' must have four octets (127.0.0.[2..11])";
            return std::nullopt;
        }
        auto o = parse_octet(s.substr(0, dot), error);
        if (!o) return std::nullopt;
        f.octets[i] = std::move(*o);
        if (dot != std::string_view::npos) s = s.substr(dot + 1);
    }
    return f;
}

}  // namespace

std::string_view key_name(ListKey k) {
    switch (k) {
        case ListKey::ClientAddr:
            return "client";
        case ListKey::ClientName:
            return "client_name";
        case ListKey::Helo:
            return "helo";
        case ListKey::SenderDomain:
            return "sender_domain";
    }
    return "?";
}

std::optional<ListKey> parse_key(std::string_view name) {
    for (ListKey k :
         {ListKey::ClientAddr, ListKey::ClientName, ListKey::Helo, ListKey::SenderDomain})
        if (key_name(k) == name) return k;
    return std::nullopt;
}

bool OctetSet::contains(std::uint8_t v) const {
    for (const auto& [lo, hi] : ranges)
        if (v >= lo && v <= hi) return true;
    return false;
}

bool Filter::matches(const std::array<std::uint8_t, 4>& a) const {
    for (int i = 0; i < 4; ++i)
        if (!octets[i].contains(a[i])) return false;
    return true;
}

std::optional<ZoneEntry> parse_zone_entry(std::string_view text, std::string& error) {
    ZoneEntry e;
    e.text = std::string(text);
    std::string_view rest = text;
    // The weight comes last; a zone and a filter hold no '*'.
    const auto star = rest.find('*');
    if (star != std::string_view::npos) {
        std::string_view w = rest.substr(star + 1);
        const bool negative = !w.empty() && w.front() == '-';
        if (negative) w.remove_prefix(1);
        const auto n = number(w, kMaxWeight);
        if (!n) {
            error = "bad weight '" + std::string(rest.substr(star + 1)) + "' (an integer -" +
                    std::to_string(kMaxWeight) + ".." + std::to_string(kMaxWeight) + ")";
            return std::nullopt;
        }
        e.weight = negative ? -static_cast<int>(*n) : static_cast<int>(*n);
        if (e.weight == 0) {
            error = "weight 0: the zone would never count (remove it instead)";
            return std::nullopt;
        }
        rest = rest.substr(0, star);
    }
    const auto eq = rest.find('=');
    if (eq != std::string_view::npos) {
        auto f = parse_filter(rest.substr(eq + 1), error);
        if (!f) return std::nullopt;
        e.filter = std::move(*f);
        rest = rest.substr(0, eq);
    }
    const auto zone = domain_name(rest);
    if (!zone) {
        error = "bad zone name '" + std::string(rest) + "' (a DNS domain such as zen.example)";
        return std::nullopt;
    }
    e.zone = *zone;
    e.show_as = e.zone;
    return e;
}

RecordMeaning classify(const ZoneEntry& entry, std::string_view record) {
    in_addr in{};
    const std::string r(record);
    if (inet_pton(AF_INET, r.c_str(), &in) != 1) return RecordMeaning::Error;
    std::array<std::uint8_t, 4> a{};
    std::memcpy(a.data(), &in, 4);
    if (a[0] != 127) return RecordMeaning::Error;
    if (a[1] == 255 && a[2] == 255) return RecordMeaning::Error;
    if (!entry.filter) return RecordMeaning::Listed;
    return entry.filter->matches(a) ? RecordMeaning::Listed : RecordMeaning::NotListed;
}

Score score(const ListSpec& spec, const std::vector<EntryState>& states) {
    Score s;
    for (std::size_t i = 0; i < spec.zones.size() && i < states.size(); ++i) {
        const int w = spec.zones[i].weight;
        if (states[i] == EntryState::Listed) {
            s.known += w;
        } else if (states[i] == EntryState::Unknown) {
            (w < 0 ? s.low : s.high) += w;
        }
    }
    s.low += s.known;
    s.high += s.known;
    return s;
}

std::optional<bool> holds(const ListSpec& spec, const Score& s, bool allowed) {
    if (allowed) {
        const int t = spec.allow_threshold.value_or(-kMaxThreshold - 1);
        if (s.high <= t) return true;
        if (s.low > t) return false;
        return std::nullopt;
    }
    if (s.low >= spec.threshold) return true;
    if (s.high < spec.threshold) return false;
    return std::nullopt;
}

}  // namespace mv::dns
