// SPDX-License-Identifier: Apache-2.0
// condition.hpp - one test of a rule against a Transaction.
//
// A Condition answers Yes, No or TempError (e.g. a backend outage); it never
// throws. stage() is the earliest SMTP stage at which its data exists; a rule
// runs at the latest stage() of its conditions. Recipient conditions test
// Transaction::current_rcpt at the RCPT stage and "any recipient" at later
// stages.
//
// Thread contract: immutable after construction; match() is const and safe to
// call from many threads at once.
#pragma once

#include <memory>
#include <set>
#include <string>

#include "codes/stage.hpp"
#include "policy/transaction.hpp"

namespace mv::policy {

enum class Match { No, Yes, TempError };

class Condition {
  public:
    virtual ~Condition() = default;
    virtual Match match(const Transaction& t) const = 0;
    virtual codes::Stage stage() const = 0;
    // The condition as text for logs and simulate: "sender domain example.com".
    virtual std::string describe() const = 0;
    // Milter macros (without braces) the condition reads.
    virtual void needed_macros(std::set<std::string>& out) const { (void)out; }
    // Message content the condition reads (kNeedsHeaders | kNeedsBody), so the
    // glue asks the MTA for headers and body only when some rule reads them.
    // kNeedsSize: the message's size, which the milter counts from headers and
    // body (Policy::needs_headers/needs_body include it) and which the
    // Postfix policy service is told.
    static constexpr unsigned kNeedsHeaders = 1, kNeedsBody = 2, kNeedsSize = 4;
    virtual unsigned content_needed() const { return 0; }
    // match() reads only the Transaction: no store, no DNS, no side effect,
    // so the engine may ask it early (ruled_out).
    virtual bool pure() const { return false; }
    // Already No with the data of the stages up to `now`: the rule can no
    // longer match, and a later rule's decision need not wait for it (file
    // order is decision order, session.hpp). Only a pure condition whose
    // data is all in is asked: its stage is before `now`, or is `now` except
    // at RCPT (where "any recipient" still grows); all/any/not combine.
    virtual bool ruled_out(const Transaction& t, codes::Stage now) const {
        return may_rule_out(now) && match(t) == Match::No;
    }
    // Whether ruled_out(t, now) can be true for some transaction (for
    // check-config: a rule that can never be ruled out before its stage is
    // always waited for).
    virtual bool may_rule_out(codes::Stage now) const {
        const codes::Stage s = stage();
        return pure() && (s < now || (s == now && now != codes::Stage::Rcpt));
    }
};

using ConditionPtr = std::unique_ptr<const Condition>;

}  // namespace mv::policy
