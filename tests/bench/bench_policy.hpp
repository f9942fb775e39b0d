// SPDX-License-Identifier: Apache-2.0
// bench_policy.hpp - the benchmark's realistic policy and its generated lists.
//
// write_bench_policy() writes, under `dir`, three list files of `entries`
// lines each (CIDR networks, IPv4 and IPv6 mixed; sender domains matched with
// their subdomains; sender addresses) and a 20-rule configuration using them,
// the kind of policy an MX runs: trusted networks, blocked networks, reverse
// DNS, HELO checks, blocked domains and addresses, regex sets, recipient
// rules, SASL/TLS rules, a macro rule, a monitor rule, a tag. With
// `content` the policy also has header and body rules.
// Entry i is the same in every size, so the lists of 1,000 entries are the
// first 1,000 lines of the larger ones and a workload that hits entries below
// 1,000 hits every size alike.
//
// hit_network(i), hit_domain(i), hit_address(i) are values the lists contain.
//
// Errors: throws std::runtime_error when a file cannot be written.
//
// Thread contract: pure functions plus file output.
#pragma once

#include <string>

namespace mv::bench {

struct BenchPolicyFiles {
    std::string config;  // the configuration file
    std::string networks, domains, addresses;
};

BenchPolicyFiles write_bench_policy(const std::string& dir, long entries, bool content,
                                    const std::string& name);

std::string network_entry(long i);       // "11.0.0.0/24", "2001:db8:0:1::/64", ...
std::string domain_entry(long i);        // "b17.blocked.test"
std::string address_entry(long i);       // "user17@addr.test"
std::string address_in_network(long i);  // an address inside network_entry(i)

}  // namespace mv::bench
