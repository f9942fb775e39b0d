// SPDX-License-Identifier: Apache-2.0
// config.hpp - the `dns` group of the configuration, compiled.
//
//   dns = {
//     resolver = "resolv.conf";            # or ["127.0.0.1@53", "192.0.2.53"]: forward to these
//     resolv_conf = "/etc/resolv.conf";
//     stub_zones = ( { zone = "bl.example"; servers = ["127.0.0.1@5300"]; } );
//     timeout_ms = 2000;                   # per lookup
//     budget_ms = 5000;                    # rules of one transaction wait at most this long
//     cache_entries = 100000;  cache_max_ttl = 86400;  cache_max_negative_ttl = 3600;
//     reverse = "auto";                    # auto | mta | own: who does reverse DNS
//     lists = { NAME = { zones = (...); threshold = N; allow_threshold = N; query = "client"; ...
//     }; };
//   };
//
// Settings are what the daemon's DNS service is built from (one resolver per
// process, kept across reloads while they stay equal); lists and the needs of
// the rules belong to one Policy. config/dns_parser.hpp reads the group.
//
// Thread contract: immutable once the loader has built it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "dns/list_spec.hpp"

namespace mv::dns {

struct StubZone {
    std::string zone;
    std::vector<std::string> servers;  // "ADDR" or "ADDR@PORT"
    bool operator==(const StubZone&) const = default;
};

// Who answers "does the client's reverse name check out": the MTA's
// {client_resolve} macro when it sends one (Postfix always does), else our own
// PTR and forward lookups (auto); only the macro (mta); only our lookups (own,
// e.g. behind a Postfix with smtpd_peername_lookup = no, which says FAIL for
// every client).
enum class ReverseSource { Auto, Mta, Own };

struct ResolverSettings {
    std::vector<std::string> forward;  // empty: the nameservers of resolv_conf
    std::string resolv_conf = "/etc/resolv.conf";
    std::vector<StubZone> stub_zones;
    std::size_t cache_entries = 100000;
    std::uint32_t cache_max_ttl = 86400;
    std::uint32_t cache_max_negative_ttl = 3600;
    bool operator==(const ResolverSettings&) const = default;
};

struct Config {
    ResolverSettings resolver;
    unsigned timeout_ms = 2000;
    unsigned budget_ms = 5000;
    ReverseSource reverse = ReverseSource::Auto;
    std::vector<ListSpec> lists;

    // What the rules use, so that lookups start only for what some rule reads.
    bool uses_reverse = false;
    bool uses_sender_domain = false;
    bool uses_rcpt_domain = false;
    std::vector<bool> list_used;  // parallel to lists

    bool needed() const {
        if (uses_reverse || uses_sender_domain || uses_rcpt_domain) return true;
        for (bool u : list_used)
            if (u) return true;
        return false;
    }
    // Index of a list by name, or -1.
    int find_list(const std::string& name) const {
        for (std::size_t i = 0; i < lists.size(); ++i)
            if (lists[i].name == name) return static_cast<int>(i);
        return -1;
    }
};

}  // namespace mv::dns
