// SPDX-License-Identifier: Apache-2.0
// shared_condition.hpp - one compiled condition used by many rules.
//
// A condition over a big list is compiled once and shared: SharedCondition
// forwards to it. fingerprint() writes a setting's value as written (list
// references unexpanded), the key under which such a condition is cached.
//
// Thread contract: SharedCondition is immutable and thread-safe like the
// condition it wraps; the functions are pure.
#pragma once

#include <libconfig.h++>

#include <memory>
#include <set>
#include <string>

#include "config/diagnostics.hpp"
#include "config/list_table.hpp"
#include "policy/condition.hpp"

namespace mv::config {

class SharedCondition final : public policy::Condition {
  public:
    explicit SharedCondition(std::shared_ptr<const policy::Condition> inner)
        : inner_(std::move(inner)) {}
    policy::Match match(const policy::Transaction& t) const override { return inner_->match(t); }
    codes::Stage stage() const override { return inner_->stage(); }
    std::string describe() const override { return inner_->describe(); }
    void needed_macros(std::set<std::string>& out) const override { inner_->needed_macros(out); }
    unsigned content_needed() const override { return inner_->content_needed(); }
    bool pure() const override { return inner_->pure(); }
    bool ruled_out(const policy::Transaction& t, codes::Stage now) const override {
        return inner_->ruled_out(t, now);
    }
    bool may_rule_out(codes::Stage now) const override { return inner_->may_rule_out(now); }

  private:
    std::shared_ptr<const policy::Condition> inner_;
};

// Appends the value of `s` as written to `out`; notes whether it references
// a list, and whether every string in it is a reference.
void fingerprint(const libconfig::Setting& s, std::string& out, bool& has_ref, bool& all_refs);

// Reports every "@name" in `s` that names no list.
void report_unknown_refs(const libconfig::Setting& s, const ListTable& lists, Diagnostics& diag);

}  // namespace mv::config
