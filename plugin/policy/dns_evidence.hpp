// SPDX-License-Identifier: Apache-2.0
// dns_evidence.hpp - what the policy engine may ask of DNS, and how it asks.
//
// The engine has no DNS code: it sees one DnsEvidence per session, through
// Transaction::dns, made by the DnsSource attached to the Policy's DnsSlot by
// whoever runs the policy (the daemon, simulate, a test). The milter glue and
// the Postfix policy service share it the same way: nothing here names a
// front end.
//
// Call order (Session's): start(stage, tx) at connect, HELO, MAIL and each
// RCPT, before that stage's rules run - the evidence starts every lookup the
// policy may need from what is known then (client address lookups at
// connect, HELO name at HELO, sender domain at MAIL, recipient domain at
// RCPT) and returns at once; new_message() at MAIL (a fresh wait budget).
// The conditions then ask list(), reverse() and domain(): each waits for the
// answers it needs, within the lookup's timeout and what is left of the
// transaction's budget, unless waiting is off (set_waiting(false)): then an
// answer not in yet makes the result `pending`, and the engine evaluates the
// rule later (delay_reject, session.hpp).
//
// Results: `known` is Yes when the answer is definite, TempError when a
// lookup that matters failed, timed out, ran out of budget (error says which)
// or is pending. A timeout is a failure, never "not listed".
//
// Thread contract: a DnsEvidence is used by one session at a time (its
// lookups complete on other threads; implementations guard their state).
// A DnsSource and the DnsSlot are safe from any thread.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "codes/stage.hpp"
#include "policy/condition.hpp"

namespace mv::policy {

struct Transaction;

// A DNS list (`dns_list` condition): holds when the score reaches the list's
// threshold, or (allowed) falls to its allow threshold.
struct DnsListFacts {
    Match match = Match::No;  // TempError: an entry that decides it failed or is pending
    bool pending = false;
    std::string zones;   // names shown for the entries that listed the key, space-separated
    std::string score;   // the score, "-2", "4"
    std::string txt;     // the TXT of the first hit (list option txt), raw
    std::string detail;  // "score 4 of 3: zen.example=127.0.0.2*3 bl.example=127.0.0.3*1"
    std::string error;
};

enum class ReverseStatus { Confirmed, Unconfirmed, Missing };

struct ReverseFacts {
    Match known = Match::Yes;
    bool pending = false;
    ReverseStatus status = ReverseStatus::Missing;
    std::vector<std::string> names;  // PTR names (Confirmed: the confirmed one first)
    std::string detail, error;
};

enum class DomainStatus { Exists, Unknown, NullMx };

struct DomainFacts {
    Match known = Match::Yes;
    bool pending = false;
    DomainStatus status = DomainStatus::Exists;
    std::string detail, error;
};

// What domain() is asked for: Unknown needs MX, then A and AAAA when there
// is no MX; NullMx needs the MX only.
enum class DomainTest { Unknown, NullMx };

class DnsEvidence {
  public:
    virtual ~DnsEvidence() = default;
    virtual void start(codes::Stage stage, const Transaction& tx) = 0;
    virtual void new_message() = 0;
    virtual void set_waiting(bool wait) = 0;
    virtual DnsListFacts list(std::size_t list, bool allowed, const Transaction& tx) = 0;
    virtual ReverseFacts reverse(const Transaction& tx) = 0;
    // `status` is exact for the test asked (NullMx: NullMx or Exists).
    virtual DomainFacts domain(std::string_view domain, DomainTest test) = 0;
    // Lookups and answers since the last call, one line each, for simulate.
    virtual std::vector<std::string> take_trace() = 0;
    // How long the session's rules have waited for answers so far, in all
    // (evidence_wait_seconds{evidence="dns"}: the engine takes differences).
    virtual std::chrono::nanoseconds waited() const { return std::chrono::nanoseconds{0}; }
};

class DnsSource {
  public:
    virtual ~DnsSource() = default;
    virtual std::unique_ptr<DnsEvidence> open() const = 0;
};

// Where a Policy's DNS conditions find their evidence (like state::StoreSlot):
// the loader marks it needed, the runner attaches a source before the first
// session. Without a source the conditions answer TempError ("no resolver").
class DnsSlot {
  public:
    void attach(std::shared_ptr<const DnsSource> s) {
        std::lock_guard lock(mu_);
        source_ = std::move(s);
    }
    std::shared_ptr<const DnsSource> get() const {
        std::lock_guard lock(mu_);
        return source_;
    }
    void set_needed() { needed_ = true; }
    bool needed() const { return needed_; }

  private:
    mutable std::mutex mu_;
    std::shared_ptr<const DnsSource> source_;
    bool needed_ = false;  // written only while the loader builds the policy
};

// The conditions (dns_conditions.cpp). Each reads Transaction::dns and never
// throws; describe() is the condition as written.
//
// dns_list: list `index` of the policy's `dns.lists`, named `name`, whose
// latest key is known at `stage`.
ConditionPtr make_dns_list_condition(std::size_t index, std::string name, codes::Stage stage,
                                     bool allowed);
// reverse_dns: the client has no PTR (Missing), or none of its PTR names
// resolves back to its address (Unconfirmed: Missing too), or a PTR name
// matches `names` (NameMatches, a string condition over Field::ClientName
// semantics: the name without trailing dot).
enum class ReverseTest { Missing, Unconfirmed, NameMatches };
ConditionPtr make_reverse_dns_condition(ReverseTest test,
                                        std::function<bool(std::string_view)> names = {},
                                        std::string names_text = {});
// sender_domain / rcpt_domain: the domain does not exist or has no MX, A or
// AAAA (Unknown), or publishes a null MX (NullMx, RFC 7505). The null sender
// and names that are not DNS names are never looked up: No. rcpt_domain runs
// at RCPT on the current recipient, later on any recipient.
ConditionPtr make_sender_domain_condition(DomainTest test);
ConditionPtr make_rcpt_domain_condition(DomainTest test);

}  // namespace mv::policy
