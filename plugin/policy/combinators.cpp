// SPDX-License-Identifier: Apache-2.0
// combinators.cpp - all / any / not over conditions.
//
// TempError (conditions.hpp): all() is No as soon as one part is No, even if
// another part had a TempError; any() is Yes as soon as one part is Yes. Only
// when the answer depends on the failed part is TempError returned. Parts are
// evaluated in order and evaluation stops at the first deciding answer, so a
// cheap condition written first saves a backend lookup.
// The stage of a combinator is the latest stage of its parts (Connect when empty).
#include <algorithm>

#include "policy/conditions.hpp"

namespace mv::policy {

namespace {

class ListCondition final : public Condition {
  public:
    ListCondition(std::vector<ConditionPtr> parts, bool all) : parts_(std::move(parts)), all_(all) {
        for (const auto& p : parts_)
            if (p) stage_ = std::max(stage_, p->stage());
        // A null part (cannot come from the loader) would be a bug; drop it
        // rather than crash later in match().
        std::erase(parts_, nullptr);
    }

    Match match(const Transaction& t) const override {
        // all: the deciding answer is No; any: the deciding answer is Yes.
        const Match decisive = all_ ? Match::No : Match::Yes;
        bool error = false;
        for (const auto& p : parts_) {
            const Match m = p->match(t);
            if (m == decisive) return decisive;
            if (m == Match::TempError) error = true;
        }
        if (error) return Match::TempError;
        return all_ ? Match::Yes : Match::No;
    }

    codes::Stage stage() const override { return stage_; }

    std::string describe() const override {
        if (parts_.empty()) return all_ ? "always" : "never";
        if (parts_.size() == 1) return parts_.front()->describe();
        std::string out = "(";
        for (std::size_t i = 0; i < parts_.size(); ++i) {
            if (i) out += all_ ? " and " : " or ";
            out += parts_[i]->describe();
        }
        return out + ")";
    }

    unsigned content_needed() const override {
        unsigned n = 0;
        for (const auto& p : parts_) n |= p->content_needed();
        return n;
    }
    bool pure() const override {
        return std::all_of(parts_.begin(), parts_.end(), [](const auto& p) { return p->pure(); });
    }
    // all: one part ruled out is enough; any: every part must be.
    bool ruled_out(const Transaction& t, codes::Stage now) const override {
        const auto out = [&](const auto& p) { return p->ruled_out(t, now); };
        if (all_) return std::any_of(parts_.begin(), parts_.end(), out);
        return !parts_.empty() && std::all_of(parts_.begin(), parts_.end(), out);
    }
    bool may_rule_out(codes::Stage now) const override {
        const auto may = [&](const auto& p) { return p->may_rule_out(now); };
        if (all_) return std::any_of(parts_.begin(), parts_.end(), may);
        return !parts_.empty() && std::all_of(parts_.begin(), parts_.end(), may);
    }
    void needed_macros(std::set<std::string>& out) const override {
        for (const auto& p : parts_) p->needed_macros(out);
    }

  private:
    std::vector<ConditionPtr> parts_;
    bool all_;
    codes::Stage stage_ = codes::Stage::Connect;
};

class NotCondition final : public Condition {
  public:
    explicit NotCondition(ConditionPtr part) : part_(std::move(part)) {}
    Match match(const Transaction& t) const override {
        switch (part_->match(t)) {
            case Match::Yes:
                return Match::No;
            case Match::No:
                return Match::Yes;
            case Match::TempError:
                break;
        }
        return Match::TempError;
    }
    codes::Stage stage() const override { return part_->stage(); }
    std::string describe() const override { return "not " + part_->describe(); }
    void needed_macros(std::set<std::string>& out) const override { part_->needed_macros(out); }
    unsigned content_needed() const override { return part_->content_needed(); }
    bool pure() const override { return part_->pure(); }

  private:
    ConditionPtr part_;
};

}  // namespace

ConditionPtr make_all(std::vector<ConditionPtr> parts) {
    return std::make_unique<ListCondition>(std::move(parts), true);
}

ConditionPtr make_any(std::vector<ConditionPtr> parts) {
    return std::make_unique<ListCondition>(std::move(parts), false);
}

ConditionPtr make_not(ConditionPtr part) {
    // A missing part means "always" (as Rule::when == nullptr); not always = never.
    if (!part) return make_any({});
    return std::make_unique<NotCondition>(std::move(part));
}

}  // namespace mv::policy
