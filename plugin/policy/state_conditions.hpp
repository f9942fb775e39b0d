// SPDX-License-Identifier: Apache-2.0
// state_conditions.hpp - the stateful conditions: rate_limit and greylist.
//
// Both keep their state in the store attached to the Policy's StoreSlot
// (state/store_slot.hpp) and never throw: a store failure (or no store) is
// Match::TempError, which the rule's on_backend_error turns into a decision.
// When they hold they set Transaction::retry (seconds) for ${retry}.
//
// rate_limit holds when the event being counted exceeds a limit. Counting:
//   Connection  once per connection, at connect (keys: client, client_net);
//   Message     once per message: at MAIL (or, in a rule that runs later, at
//               the first recipient, or at DATA); not keyed by recipient;
//   Recipient   once per recipient at RCPT (in a rule that runs at DATA or
//               later: all accepted recipients at once).
// A condition counts only when it is evaluated: in `when` the keys before it
// (an implicit all, in file order) select what is counted. A key value that
// is empty (no SASL login, a local client without address) means there is
// nothing to count: the condition does not hold. The null sender counts as
// "<>".
//
// greylist holds when a triplet (client network, sender, recipient) is
// deferred. At RCPT it checks the current recipient; at DATA every accepted
// recipient (all are recorded; it holds if any is deferred, so a message
// with several recipients is deferred once, and retry is the longest wait).
//
// Store keys: "RULE|value|value..." with the rule's name (or `bucket`), so
// renaming a rule starts its counters afresh.
//
// Thread contract: immutable after construction; match() is safe from many
// threads (the store serialises updates).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "policy/condition.hpp"
#include "state/store.hpp"
#include "state/store_slot.hpp"

namespace mv::policy {

enum class RateKey { Client, ClientNet, Sender, SenderDomain, SaslLogin, Rcpt, RcptDomain };
enum class RateCount { Connection, Message, Recipient };

struct RateLimitSpec {
    std::string bucket;         // key namespace: the rule name by default
    std::vector<RateKey> keys;  // at least one
    RateCount count = RateCount::Message;
    std::vector<state::Window> windows;      // at least one, distinct lengths
    bool strict = false;                     // refused attempts count too
    int ipv4_prefix = 24, ipv6_prefix = 64;  // for ClientNet
};

struct GreylistSpec {
    std::string bucket;  // key namespace: the rule name by default
    state::Duration delay{300'000};
    state::Duration expiry{4 * 3600'000};
    state::Duration pass_lifetime{35LL * 86400'000};
    std::uint32_t client_after = 0;               // passed triplets that whitelist the client
    codes::Stage refuse_at = codes::Stage::Rcpt;  // Rcpt or Data
    int ipv4_prefix = 24, ipv6_prefix = 64;
};

// The earliest stage where every key of `spec` and its counting are known.
codes::Stage rate_limit_stage(const RateLimitSpec& spec);
std::string_view rate_key_name(RateKey k);      // "client", "client_net", ...
std::string_view rate_count_name(RateCount c);  // "connection", "message", "recipient"

ConditionPtr make_rate_limit_condition(RateLimitSpec spec, std::shared_ptr<state::StoreSlot> slot);
ConditionPtr make_greylist_condition(GreylistSpec spec, std::shared_ptr<state::StoreSlot> slot);

// "192.0.2.0/24" for 192.0.2.77 with prefix 24, "2001:db8:1:2::/64" for IPv6;
// IPv4-mapped IPv6 counts as IPv4. "" when `addr` is not an IP address.
std::string client_network(const std::string& addr, int ipv4_prefix, int ipv6_prefix);

// Store keys of both conditions are built with these two, so that they agree:
// ASCII lower case (addresses and domains compare case-insensitively), and a
// part appended as "|value" with '|' and '\' escaped by '\', so that two
// different tuples never make the same key.
std::string key_lower(std::string_view value);
void append_key_part(std::string& key, std::string_view value);

}  // namespace mv::policy
