// SPDX-License-Identifier: Apache-2.0
// evidence.hpp - the DNS evidence of one SMTP session (policy::DnsEvidence).
//
// PolicyDns is a Policy's DnsSource: its lists and settings (dns::Config) and
// the process's Service. open() gives each session a TransactionDns, which
//
// * start(): starts every lookup the policy's rules may read with what is
//   known at that stage - at connect the client address in every used
//   address list zone (RFC 5782 2.1, 2.4) and the client name in every name
//   list, and its PTR (own reverse lookups) whose answer starts the forward
//   lookups of the names at once; at HELO the HELO name; at MAIL the sender
//   domain in name lists, and its MX (then A and AAAA when it has none); at
//   RCPT the recipient domain's MX. Unhealthy zones are not asked.
// * list(), reverse(), domain(): read the answers; each lookup a rule reads
//   is waited for until min(its start + timeout_ms, now + what is left of
//   budget_ms); the budget is per message (new_message()), the first message
//   sharing it with connect and HELO. Waiting off (set_waiting(false)): an
//   answer not in makes the result pending instead. Lists are decided as
//   soon as the answers in decide them (the rest is not waited for).
// * keeps per-zone counters and the wait figures (Service::note_wait) once
//   per lookup per session, and a trace of every lookup a rule read, for
//   simulate (take_trace: only with `trace` on, which simulate sets; the
//   daemon never reads it, so it builds none); with ZoneMeters (zone_meter.hpp), counts each
//   list zone's lookups, cache hits, timeouts and errors into them; waited()
//   is the time the session's rules have waited for DNS so far.
//
// Reverse DNS: the MTA's {client_resolve} (OK -> confirmed, FORGED ->
// unconfirmed with {client_ptr}, FAIL -> no PTR, TEMP -> failure) unless
// dns.reverse = "own", or "auto" and the macro is absent; own lookups: PTR of
// the client address (at most 10 names), then A (IPv4 client) or AAAA of
// each name; confirmed when one lists the client's address.
//
// Thread contract: one session's thread at a time; lookups complete on the
// resolver's thread, which touches only the Lookup objects and the chain
// state under their own locks.
#pragma once

#include <memory>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "dns/config.hpp"
#include "dns/service.hpp"
#include "dns/zone_meter.hpp"
#include "policy/dns_evidence.hpp"
#include "policy/policy.hpp"

namespace mv::dns {

// The meters of a policy's list zones: [list][zone entry], parallel to
// Config::lists and their zones; null entries (no metrics) count nothing.
using ListMeters = std::vector<std::vector<std::shared_ptr<ZoneMeter>>>;

class PolicyDns final : public policy::DnsSource {
  public:
    PolicyDns(std::shared_ptr<const Config> config, std::shared_ptr<Service> service,
              std::shared_ptr<const ListMeters> meters = nullptr, bool trace = false)
        : config_(std::move(config)),
          service_(std::move(service)),
          meters_(std::move(meters)),
          trace_(trace) {}
    std::unique_ptr<policy::DnsEvidence> open() const override;
    const Config& config() const { return *config_; }
    Service& service() const { return *service_; }

  private:
    std::shared_ptr<const Config> config_;
    std::shared_ptr<Service> service_;
    std::shared_ptr<const ListMeters> meters_;
    bool trace_;
};

// Gives a loaded Policy's DNS conditions their evidence from `service` (a
// PolicyDns on its DnsSlot) and starts the health checks of its list zones
// (RFC 5782 test entries: IPv4 and names now, IPv6 at the first IPv6 client).
// With `meters`, takes the meter of each list zone a rule uses (kept with the
// policy); with `trace`, sessions keep the trace simulate prints. Does
// nothing for a policy without DNS conditions.
void attach_dns(const policy::Policy& policy, const std::shared_ptr<Service>& service,
                ZoneMeters* meters = nullptr, bool trace = false);

// The Service options a Config asks for.
ServiceOptions service_options(const Config& config);

class TransactionDns final : public policy::DnsEvidence {
  public:
    TransactionDns(std::shared_ptr<const Config> config, std::shared_ptr<Service> service,
                   std::shared_ptr<const ListMeters> meters = nullptr, bool trace = true);
    ~TransactionDns() override;

    void start(codes::Stage stage, const policy::Transaction& tx) override;
    void new_message() override;
    void set_waiting(bool wait) override { waiting_ = wait; }
    policy::DnsListFacts list(std::size_t list, bool allowed,
                              const policy::Transaction& tx) override;
    policy::ReverseFacts reverse(const policy::Transaction& tx) override;
    policy::DomainFacts domain(std::string_view domain, policy::DomainTest test) override;
    std::vector<std::string> take_trace() override;
    std::chrono::nanoseconds waited() const override { return waited_; }

    // A lookup started, then more lookups started from its answer.
    struct Chain;

  private:
    // The keys of a list for this session: (query key, zone kind).
    struct Key {
        std::string value;
        ZoneKind kind;
        ListKey from;
    };
    std::vector<Key> keys_of(const ListSpec& spec, const policy::Transaction& tx) const;
    void start_list(std::size_t list, const policy::Transaction& tx, unsigned only_keys);
    // `shown`: the question as traces show it (a secret zone by its public name).
    LookupPtr get(const Question& q, const std::string& shown = {});
    // get() for a lookup in zone entry `zone` of list `list`: a lookup new to
    // this session counts into the zone's meter (zone_meter.hpp).
    LookupPtr get_in(const Question& q, const std::string& shown, std::size_t list,
                     std::size_t zone);
    std::string shown_key(const Lookup& l) const;
    // Waits for `l` as described above; true when it is in. `why` says what
    // happened when it is not: pending (waiting off), or a failure.
    bool await(const LookupPtr& l, bool& pending, std::string& why);
    void account(const LookupPtr& l, Clock::duration waited);
    void note(std::string line);  // to the trace, once
    std::shared_ptr<Chain> reverse_chain(const std::string& addr);
    std::shared_ptr<Chain> domain_chain(const std::string& domain);
    bool own_reverse(const policy::Transaction& tx) const;

    std::shared_ptr<const Config> config_;
    std::shared_ptr<Service> service_;
    std::shared_ptr<const ListMeters> meters_;
    std::chrono::nanoseconds waited_{0};
    bool trace_on_;
    bool waiting_ = true;
    Millis timeout_;
    Millis budget_;
    Clock::duration budget_left_;
    std::unordered_map<std::string, LookupPtr> lookups_;  // by question key, this session
    std::unordered_map<std::string, std::string> shown_;  // question key -> as shown
    std::set<const Lookup*> accounted_;
    std::set<std::string> counted_;  // "zone|key" counted in the zone counters
    std::shared_ptr<Chain> reverse_;
    std::string reverse_addr_;
    std::unordered_map<std::string, std::shared_ptr<Chain>> domains_;
    std::vector<std::string> trace_;
};

}  // namespace mv::dns
