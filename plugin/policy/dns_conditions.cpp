// SPDX-License-Identifier: Apache-2.0
// dns_conditions.cpp - dns_list, reverse_dns, sender_domain and rcpt_domain.
//
// Each asks Transaction::dns (dns_evidence.hpp) and turns its facts into a
// Match: Yes/No when the facts are definite; TempError with the reason in
// Transaction::state_error when a lookup failed (the rule's on_backend_error
// decides), or with Transaction::dns_pending when the answer is not in yet
// and the session does not wait. Without evidence (no resolver attached) the
// answer is TempError "no resolver". When one holds it leaves ${dns_zones},
// ${dns_score}, ${dns_txt} and its detail for the rule's log line.
#include "policy/address.hpp"
#include "policy/dns_evidence.hpp"
#include "policy/transaction.hpp"

namespace mv::policy {

namespace {

using codes::Stage;

Match no_resolver(const Transaction& t) {
    t.state_error = "dns: no resolver";
    return Match::TempError;
}

Match unknown(const Transaction& t, bool pending, const std::string& error) {
    if (pending) {
        t.dns_pending = true;
    } else {
        t.state_error = "dns: " + error;
    }
    return Match::TempError;
}

class DnsListCondition final : public Condition {
  public:
    DnsListCondition(std::size_t index, std::string name, Stage stage, bool allowed)
        : index_(index), name_(std::move(name)), stage_(stage), allowed_(allowed) {}

    Match match(const Transaction& t) const override {
        if (!t.dns) return no_resolver(t);
        DnsListFacts f = t.dns->list(index_, allowed_, t);
        if (f.match == Match::TempError) return unknown(t, f.pending, f.error);
        t.dns_detail = f.detail;
        if (f.match == Match::Yes) {
            t.dns_zones = f.zones;
            t.dns_score = f.score;
            t.dns_txt = f.txt;
        }
        return f.match;
    }
    Stage stage() const override { return stage_; }
    std::string describe() const override {
        return (allowed_ ? "dns_list " + name_ + " allows" : "dns_list " + name_);
    }

  private:
    std::size_t index_;
    std::string name_;
    Stage stage_;
    bool allowed_;
};

class ReverseCondition final : public Condition {
  public:
    ReverseCondition(ReverseTest test, std::function<bool(std::string_view)> names,
                     std::string names_text)
        : test_(test), names_(std::move(names)), names_text_(std::move(names_text)) {}

    Match match(const Transaction& t) const override {
        if (t.client_addr.empty()) return Match::No;  // local submission: nothing to check
        if (!t.dns) return no_resolver(t);
        ReverseFacts f = t.dns->reverse(t);
        if (f.known == Match::TempError) return unknown(t, f.pending, f.error);
        t.dns_detail = f.detail;
        switch (test_) {
            case ReverseTest::Missing:
                return f.status == ReverseStatus::Missing ? Match::Yes : Match::No;
            case ReverseTest::Unconfirmed:
                return f.status != ReverseStatus::Confirmed ? Match::Yes : Match::No;
            case ReverseTest::NameMatches:
                for (const auto& n : f.names)
                    if (names_ && names_(n)) return Match::Yes;
                return Match::No;
        }
        return Match::No;
    }
    Stage stage() const override { return Stage::Connect; }
    std::string describe() const override {
        switch (test_) {
            case ReverseTest::Missing:
                return "reverse_dns missing";
            case ReverseTest::Unconfirmed:
                return "reverse_dns unconfirmed";
            case ReverseTest::NameMatches:
                return "reverse_dns name " + names_text_;
        }
        return "reverse_dns";
    }
    void needed_macros(std::set<std::string>& out) const override {
        out.insert("client_resolve");
        out.insert("client_ptr");
        out.insert("client_name");
    }

  private:
    ReverseTest test_;
    std::function<bool(std::string_view)> names_;
    std::string names_text_;
};

class DomainCondition final : public Condition {
  public:
    DomainCondition(bool sender, DomainTest test) : sender_(sender), test_(test) {}

    Match match(const Transaction& t) const override {
        if (sender_) return one(t, t.sender);
        if (!t.current_rcpt.empty()) return one(t, t.current_rcpt);
        bool failed = false;
        for (const auto& r : t.recipients) {
            const Match m = one(t, r);
            if (m == Match::Yes) return m;
            if (m == Match::TempError) failed = true;
        }
        return failed ? Match::TempError : Match::No;
    }
    Stage stage() const override { return sender_ ? Stage::Mail : Stage::Rcpt; }
    std::string describe() const override {
        return std::string(sender_ ? "sender_domain " : "rcpt_domain ") +
               (test_ == DomainTest::Unknown ? "unknown" : "null_mx");
    }

  private:
    Match one(const Transaction& t, const std::string& address) const {
        // The null sender <> is never looked up (RFC 5321 4.5.5).
        if (address.empty()) return Match::No;
        const std::string_view d = address_domain(address);
        if (d.empty()) return Match::No;
        if (!t.dns) return no_resolver(t);
        DomainFacts f = t.dns->domain(d, test_);
        if (f.known == Match::TempError) return unknown(t, f.pending, f.error);
        t.dns_detail = f.detail;
        const bool hit = test_ == DomainTest::Unknown ? f.status == DomainStatus::Unknown
                                                      : f.status == DomainStatus::NullMx;
        return hit ? Match::Yes : Match::No;
    }

    bool sender_;
    DomainTest test_;
};

}  // namespace

ConditionPtr make_dns_list_condition(std::size_t index, std::string name, Stage stage,
                                     bool allowed) {
    return std::make_unique<DnsListCondition>(index, std::move(name), stage, allowed);
}

ConditionPtr make_reverse_dns_condition(ReverseTest test,
                                        std::function<bool(std::string_view)> names,
                                        std::string names_text) {
    return std::make_unique<ReverseCondition>(test, std::move(names), std::move(names_text));
}

ConditionPtr make_sender_domain_condition(DomainTest test) {
    return std::make_unique<DomainCondition>(true, test);
}

ConditionPtr make_rcpt_domain_condition(DomainTest test) {
    return std::make_unique<DomainCondition>(false, test);
}

}  // namespace mv::policy
