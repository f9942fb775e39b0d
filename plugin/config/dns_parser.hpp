// SPDX-License-Identifier: Apache-2.0
// dns_parser.hpp - the `dns` group and the DNS conditions of `when`.
//
//   dns = {
//     resolver = "resolv.conf";                # default; or ["127.0.0.1@53", "192.0.2.53"]
//     resolv_conf = "/etc/resolv.conf";
//     stub_zones = ( { zone = "bl.example"; servers = ["127.0.0.1@5300"]; } );
//     timeout_ms = 2000;  budget_ms = 5000;
//     cache_entries = 100000;  cache_max_ttl = "1d";  cache_max_negative_ttl = "1h";
//     reverse = "auto";                        # auto | mta | own
//     lists = {
//       spam = { zones = ( "zen.example=127.0.0.[2..11]*3", "bl.example*2",
//                          { zone = "KEY.dq.example=127.0.0.[2..11]*3"; show_as = "dq.example"; }
//                          );
//                threshold = 3;  allow_threshold = -1;
//                query = "client";             # client | client_name | helo | sender_domain, or a
//                list txt = false;  check_test_entries = true; };
//     };
//   };
//
//   when = { dns_list = "spam"; }                      # score >= threshold
//   when = { dns_list = { list = "dnswl"; allowed = true; }; }   # score <= allow_threshold
//   when = { reverse_dns = "missing"; }               # or "unconfirmed", or { name = MATCH; }
//   when = { sender_domain = "unknown"; }             # or "null_mx"
//   when = { rcpt_domain = "null_mx"; }
//
// read_dns() fills a dns::Config (each key checked where it is read, every
// problem at its file:line, the good keys kept); the condition readers build
// the conditions, mark what the rules use (Config::list_used, uses_*) and
// warn about a list that can never reach its threshold. warn_unused_lists()
// reports lists no rule reads.
//
// Thread contract: pure functions over caller-owned objects.
#pragma once

#include <libconfig.h++>

#include <memory>
#include <optional>

#include "codes/defaults.hpp"
#include "config/diagnostics.hpp"
#include "config/list_table.hpp"
#include "dns/config.hpp"
#include "policy/condition.hpp"

namespace mv::config {

void read_dns(const libconfig::Setting& s, dns::Config& out, Diagnostics& diag);

// One DNS key of `when` ("dns_list", "reverse_dns", "sender_domain",
// "rcpt_domain"): the condition, its stage and the reason it bears (nullopt:
// none, e.g. an allow list). Null after reporting a problem.
struct DnsCondition {
    policy::ConditionPtr condition;
    codes::Stage stage = codes::Stage::Connect;
    std::optional<codes::Reason> reason;
    unsigned list_keys = 0;  // dns_list (not allowed): what the list is queried with (ListKey bits)
};

// The default reply text of a dns_list refusal: it names what was listed, by
// the list's keys - "Client host [${client_addr}]", "Client host name
// ${client_name}", "HELO name ${helo}", "Sender domain ${sender_domain}"
// (several keys: joined with "or") - then "blocked using ${dns_zones}".
std::string dns_list_text(unsigned keys);
DnsCondition read_dns_condition(const libconfig::Setting& s, dns::Config& config, ListTable& lists,
                                Diagnostics& diag);

void warn_unused_lists(const dns::Config& config, Diagnostics& diag);

bool is_dns_key(const std::string& key);

}  // namespace mv::config
