// SPDX-License-Identifier: Apache-2.0
// evidence.cpp - one session's DNS lookups and what the rules read of them (evidence.hpp).
#include "dns/evidence.hpp"

#include <algorithm>
#include <cstdio>
#include <mutex>

#include "dns/names.hpp"
#include "policy/transaction.hpp"

namespace mv::dns {

namespace {

using codes::Stage;
using policy::Match;

constexpr std::size_t kMaxPtrNames = 10;
constexpr std::size_t kMaxSessionEntries = 1024;

std::string ms_text(Clock::duration d) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f ms", std::chrono::duration<double, std::milli>(d).count());
    return buf;
}

// The query name as shown: a secret zone replaced by its public name.
std::string shown_name(const std::string& qname, const ZoneEntry& e) {
    if (e.show_as == e.zone || qname.size() < e.zone.size()) return qname;
    return qname.substr(0, qname.size() - e.zone.size()) + e.show_as;
}

bool unknown_name(const std::string& n) {
    return n.empty() || n == "unknown" || n.front() == '[';
}

}  // namespace

struct TransactionDns::Chain {
    LookupPtr first;
    std::mutex mu;
    bool followed = false;
    std::vector<LookupPtr> next;
    // Builds the follow-up questions from the first answer.
    std::function<std::vector<Question>(const Answer&)> follow;

    // Starts the follow-ups once (from the resolver's thread or the reader's).
    void follow_up(Service* svc, Millis timeout) {
        std::lock_guard lock(mu);
        if (followed || !first->done()) return;
        followed = true;
        for (const auto& q : follow(first->answer())) next.push_back(svc->lookup(q, timeout));
    }
    std::vector<LookupPtr> followups(Service* svc, Millis timeout) {
        follow_up(svc, timeout);
        std::lock_guard lock(mu);
        return next;
    }
};

ServiceOptions service_options(const Config& config) {
    ServiceOptions o;
    o.cache.max_entries = config.resolver.cache_entries;
    o.cache.max_ttl = config.resolver.cache_max_ttl;
    o.cache.max_negative_ttl = config.resolver.cache_max_negative_ttl;
    o.check_timeout = Millis(std::max(config.timeout_ms, 2000u));
    return o;
}

void attach_dns(const policy::Policy& policy, const std::shared_ptr<Service>& service,
                ZoneMeters* meters, bool trace) {
    if (!policy.dns_slot->needed() || !policy.dns) return;
    const Config& cfg = *policy.dns;
    std::shared_ptr<ListMeters> lm;
    if (meters) {
        lm = std::make_shared<ListMeters>(cfg.lists.size());
        for (std::size_t i = 0; i < cfg.lists.size(); ++i) {
            if (i >= cfg.list_used.size() || !cfg.list_used[i]) continue;
            for (const ZoneEntry& e : cfg.lists[i].zones)
                (*lm)[i].push_back(meters->zone(e.show_as));
        }
    }
    policy.dns_slot->attach(std::make_shared<PolicyDns>(policy.dns, service, std::move(lm), trace));
    for (std::size_t i = 0; i < cfg.lists.size(); ++i) {
        const ListSpec& l = cfg.lists[i];
        if (i >= cfg.list_used.size() || !cfg.list_used[i]) continue;
        const bool by_name =
            l.has(ListKey::ClientName) || l.has(ListKey::Helo) || l.has(ListKey::SenderDomain);
        for (const ZoneEntry& e : l.zones) {
            if (!e.check) continue;
            if (l.has(ListKey::ClientAddr)) service->check(e, ZoneKind::Ipv4);
            if (by_name) service->check(e, ZoneKind::Name);
        }
    }
}

std::unique_ptr<policy::DnsEvidence> PolicyDns::open() const {
    return std::make_unique<TransactionDns>(config_, service_, meters_, trace_);
}

TransactionDns::TransactionDns(std::shared_ptr<const Config> config,
                               std::shared_ptr<Service> service,
                               std::shared_ptr<const ListMeters> meters, bool trace)
    : config_(std::move(config)),
      service_(std::move(service)),
      meters_(std::move(meters)),
      trace_on_(trace),
      timeout_(config_->timeout_ms),
      budget_(config_->budget_ms),
      budget_left_(budget_) {}

TransactionDns::~TransactionDns() = default;

void TransactionDns::new_message() {
    budget_left_ = budget_;
    if (lookups_.size() > kMaxSessionEntries || domains_.size() > kMaxSessionEntries / 4) {
        lookups_.clear();
        shown_.clear();
        accounted_.clear();
        counted_.clear();
        domains_.clear();
    }
}

std::vector<std::string> TransactionDns::take_trace() {
    std::vector<std::string> out;
    out.swap(trace_);
    return out;
}

LookupPtr TransactionDns::get(const Question& q, const std::string& shown) {
    const std::string key = q.key();
    if (!shown.empty() && shown != q.name)
        shown_.emplace(key, std::string(type_name(q.type)) + " " + shown);
    if (auto it = lookups_.find(key); it != lookups_.end()) return it->second;
    LookupPtr l = service_->lookup(q, timeout_);
    lookups_.emplace(key, l);
    return l;
}

LookupPtr TransactionDns::get_in(const Question& q, const std::string& shown, std::size_t list,
                                 std::size_t zone) {
    const bool fresh = !lookups_.count(q.key());
    LookupPtr l = get(q, shown);
    if (!fresh || !meters_ || list >= meters_->size() || zone >= (*meters_)[list].size()) return l;
    std::shared_ptr<ZoneMeter> m = (*meters_)[list][zone];
    if (!m) return l;
    m->lookup(l->from_cache());
    // How it ends, counted when it ends (on the resolver's thread, or now);
    // `cfg` keeps the entry alive past this session and its policy.
    const ZoneEntry* e = &config_->lists[list].zones[zone];
    const bool address = q.type == RrType::A;
    l->then([m, cfg = config_, e, address](const Answer& a) {
        if (a.outcome == Outcome::Timeout) {
            m->timeout();
        } else if (a.outcome == Outcome::Records) {
            if (!address) return;
            for (const auto& r : a.records)
                if (classify(*e, r) == RecordMeaning::Error) {
                    m->error();
                    return;
                }
        } else if (!a.definite()) {
            m->error();
        }
    });
    return l;
}

std::string TransactionDns::shown_key(const Lookup& l) const {
    const std::string key = l.question().key();
    const auto it = shown_.find(key);
    return it == shown_.end() ? key : it->second;
}

void TransactionDns::account(const LookupPtr& l, Clock::duration waited) {
    if (!accounted_.insert(l.get()).second) return;
    service_->note_wait(l->latency(), waited);
    if (!trace_on_) return;
    // A cached answer's TTL is what is left of it: not shown, it changes.
    std::string line = shown_key(*l) + ": " + l->answer().summary(!l->from_cache());
    if (l->from_cache())
        line += ", from the cache";
    else if (!service_->instant())
        line += ", " + ms_text(l->latency()) +
                (waited > Clock::duration::zero() ? ", waited " + ms_text(waited)
                                                  : ", in before it was needed");
    note(std::move(line));
}

void TransactionDns::note(std::string line) {
    if (!trace_on_) return;
    // Several rules reading the same facts say them once.
    if (std::find(trace_.begin(), trace_.end(), line) == trace_.end())
        trace_.push_back(std::move(line));
}

bool TransactionDns::await(const LookupPtr& l, bool& pending, std::string& why) {
    if (l->done()) {
        account(l, Clock::duration::zero());
        return true;
    }
    if (!waiting_) {
        pending = true;
        return false;
    }
    const TimePoint now = Clock::now();
    const TimePoint by_lookup = l->started() + timeout_;
    const TimePoint by_budget = now + budget_left_;
    const TimePoint until = std::min(by_lookup, by_budget);
    const bool in = until > now && l->wait_until(until);
    const auto waited = Clock::now() - now;
    waited_ += std::chrono::duration_cast<std::chrono::nanoseconds>(waited);
    budget_left_ -= std::min(budget_left_, waited);
    if (in) {
        account(l, waited);
        return true;
    }
    why = shown_key(*l) + ": " +
          (by_budget < by_lookup ? "the DNS budget of " + std::to_string(budget_.count()) +
                                       " ms of this transaction is used up"
                                 : "timeout after " + std::to_string(timeout_.count()) + " ms");
    if (accounted_.insert(l.get()).second) {
        service_->note_wait(waited, waited);
        note(why);
    }
    return false;
}

bool TransactionDns::own_reverse(const policy::Transaction& tx) const {
    switch (config_->reverse) {
        case ReverseSource::Own:
            return true;
        case ReverseSource::Mta:
            return false;
        case ReverseSource::Auto:
            break;
    }
    const std::string& r = tx.client_resolve;
    return !(r == "OK" || r == "FAIL" || r == "FORGED" || r == "TEMP");
}

std::vector<TransactionDns::Key> TransactionDns::keys_of(const ListSpec& spec,
                                                         const policy::Transaction& tx) const {
    std::vector<Key> keys;
    if (spec.has(ListKey::ClientAddr) && !tx.client_addr.empty()) {
        const auto a = parse_address(tx.client_addr);
        const auto r = reversed_address(tx.client_addr);
        if (a && r)
            keys.push_back({*r, a->v6 ? ZoneKind::Ipv6 : ZoneKind::Ipv4, ListKey::ClientAddr});
    }
    const auto name_key = [&](ListKey k, const std::string& value) {
        if (!spec.has(k) || unknown_name(value)) return;
        if (const auto n = domain_name(value)) {
            for (const auto& have : keys)
                if (have.value == *n) return;  // the same name twice counts once
            keys.push_back({*n, ZoneKind::Name, k});
        }
    };
    name_key(ListKey::ClientName, tx.client_name);
    name_key(ListKey::Helo, tx.helo);
    if (spec.has(ListKey::SenderDomain) && !tx.sender.empty())
        if (const auto d = address_domain_name(tx.sender)) name_key(ListKey::SenderDomain, *d);
    return keys;
}

void TransactionDns::start_list(std::size_t list, const policy::Transaction& tx,
                                unsigned only_keys) {
    const ListSpec& spec = config_->lists[list];
    for (const Key& k : keys_of(spec, tx)) {
        if (!(static_cast<unsigned>(k.from) & only_keys)) continue;
        for (std::size_t z = 0; z < spec.zones.size(); ++z) {
            const ZoneEntry& e = spec.zones[z];
            if (!service_->usable(e, k.kind)) continue;
            if (const auto q = query_name(k.value, e.zone))
                get_in({*q, RrType::A}, shown_name(*q, e), list, z);
        }
    }
}

std::shared_ptr<TransactionDns::Chain> TransactionDns::reverse_chain(const std::string& addr) {
    if (reverse_ && reverse_addr_ == addr) return reverse_;
    const auto ip = parse_address(addr);
    const auto ptr = ptr_name(addr);
    if (!ip || !ptr) return nullptr;
    auto c = std::make_shared<Chain>();
    const bool v6 = ip->v6;
    c->follow = [v6](const Answer& a) {
        std::vector<Question> qs;
        if (a.outcome != Outcome::Records) return qs;
        for (const auto& r : a.records) {
            if (qs.size() >= kMaxPtrNames) break;
            if (const auto n = domain_name(r)) qs.push_back({*n, v6 ? RrType::AAAA : RrType::A});
        }
        return qs;
    };
    c->first = service_->lookup({*ptr, RrType::PTR}, timeout_);
    Service* svc = service_.get();
    const Millis timeout = timeout_;
    // The forward lookups start the moment the PTR answer is in.
    c->first->then([c, svc, timeout](const Answer&) { c->follow_up(svc, timeout); });
    reverse_ = c;
    reverse_addr_ = addr;
    return c;
}

std::shared_ptr<TransactionDns::Chain> TransactionDns::domain_chain(const std::string& domain) {
    if (auto it = domains_.find(domain); it != domains_.end()) return it->second;
    auto c = std::make_shared<Chain>();
    c->follow = [domain](const Answer& a) {
        std::vector<Question> qs;
        // No MX: the domain itself is the implicit MX (RFC 5321 5.1).
        if (a.outcome == Outcome::NoData) {
            qs.push_back({domain, RrType::A});
            qs.push_back({domain, RrType::AAAA});
        }
        return qs;
    };
    c->first = service_->lookup({domain, RrType::MX}, timeout_);
    Service* svc = service_.get();
    const Millis timeout = timeout_;
    c->first->then([c, svc, timeout](const Answer&) { c->follow_up(svc, timeout); });
    if (domains_.size() < kMaxSessionEntries) domains_.emplace(domain, c);
    return c;
}

void TransactionDns::start(Stage stage, const policy::Transaction& tx) {
    const Config& cfg = *config_;
    unsigned keys = 0;
    switch (stage) {
        case Stage::Connect:
            keys = static_cast<unsigned>(ListKey::ClientAddr) |
                   static_cast<unsigned>(ListKey::ClientName);
            if (cfg.uses_reverse && !tx.client_addr.empty() && own_reverse(tx))
                reverse_chain(tx.client_addr);
            break;
        case Stage::Helo:
            keys = static_cast<unsigned>(ListKey::Helo);
            break;
        case Stage::Mail:
            keys = static_cast<unsigned>(ListKey::SenderDomain);
            if (cfg.uses_sender_domain && !tx.sender.empty())
                if (const auto d = address_domain_name(tx.sender)) domain_chain(*d);
            break;
        case Stage::Rcpt:
            if (cfg.uses_rcpt_domain && !tx.current_rcpt.empty())
                if (const auto d = address_domain_name(tx.current_rcpt)) domain_chain(*d);
            break;
        default:
            break;
    }
    if (keys == 0) return;
    for (std::size_t i = 0; i < cfg.lists.size(); ++i)
        if (i < cfg.list_used.size() && cfg.list_used[i]) start_list(i, tx, keys);
}

policy::DnsListFacts TransactionDns::list(std::size_t index, bool allowed,
                                          const policy::Transaction& tx) {
    policy::DnsListFacts f;
    if (index >= config_->lists.size()) {
        f.match = Match::TempError;
        f.error = "no DNS list #" + std::to_string(index);
        return f;
    }
    const ListSpec& spec = config_->lists[index];
    const std::vector<Key> keys = keys_of(spec, tx);
    const std::size_t n = spec.zones.size();
    std::vector<EntryState> states(n, EntryState::Unknown);
    std::vector<std::string> hit(n), why(n);
    std::vector<bool> pending(n, false);

    // One entry: Listed when a key is listed; Unknown when a lookup failed or
    // is not in (and `wait` is off or it timed out); else NotListed/Skipped.
    const auto evaluate = [&](std::size_t i, bool wait) {
        const ZoneEntry& e = spec.zones[i];
        bool listed = false, unknown = false, skipped = !keys.empty();
        std::string entry_why;
        for (const Key& k : keys) {
            if (!service_->usable(e, k.kind)) {
                if (counted_.insert(e.zone + "|skipped|" + k.value).second)
                    service_->count_zone(e.show_as, &ZoneCounters::skipped);
                continue;
            }
            skipped = false;
            const auto qname = query_name(k.value, e.zone);
            if (!qname) continue;  // too long to be listed
            const LookupPtr l = get_in({*qname, RrType::A}, shown_name(*qname, e), index, i);
            const std::string counter = e.zone + "|" + *qname;
            if (!l->done() && !wait) {
                unknown = true;
                continue;
            }
            bool is_pending = false;
            std::string w;
            if (!await(l, is_pending, w)) {
                unknown = true;
                if (is_pending) {
                    pending[i] = true;
                } else {
                    entry_why = w;
                    if (counted_.insert(counter).second) {
                        service_->count_zone(e.show_as, &ZoneCounters::queries);
                        service_->count_zone(e.show_as, &ZoneCounters::timeouts);
                    }
                }
                continue;
            }
            const Answer a = l->answer();
            const bool first = counted_.insert(counter).second;
            if (first) service_->count_zone(e.show_as, &ZoneCounters::queries);
            if (a.outcome == Outcome::Records) {
                std::string listing, error;
                for (const auto& r : a.records) {
                    const RecordMeaning m = classify(e, r);
                    if (m == RecordMeaning::Error && error.empty()) error = r;
                    if (m == RecordMeaning::Listed && listing.empty()) listing = r;
                }
                if (!error.empty()) {
                    service_->note_error_answer(e, *qname, error);
                    if (first) service_->count_zone(e.show_as, &ZoneCounters::errors);
                    unknown = true;
                    entry_why = e.show_as + " answered " + error +
                                ": an error code, not a listing (RFC 5782 2.3)";
                } else if (!listing.empty()) {
                    if (first) service_->count_zone(e.show_as, &ZoneCounters::listed);
                    if (!listed) hit[i] = listing;
                    listed = true;
                } else if (first) {
                    service_->count_zone(e.show_as, &ZoneCounters::not_listed);
                }
            } else if (a.outcome == Outcome::NxDomain || a.outcome == Outcome::NoData) {
                if (first) service_->count_zone(e.show_as, &ZoneCounters::not_listed);
            } else {
                unknown = true;
                entry_why = shown_name(*qname, e) + ": " + a.summary();
                if (first)
                    service_->count_zone(e.show_as, a.outcome == Outcome::Timeout
                                                        ? &ZoneCounters::timeouts
                                                        : &ZoneCounters::errors);
            }
        }
        why[i] = entry_why;
        states[i] = listed    ? EntryState::Listed
                    : unknown ? EntryState::Unknown
                    : skipped ? EntryState::Skipped
                              : EntryState::NotListed;
    };

    for (std::size_t i = 0; i < n; ++i) evaluate(i, false);
    std::optional<bool> decided = holds(spec, score(spec, states), allowed);
    // Wait, in file order, for the entries that can still change the outcome.
    for (std::size_t i = 0; i < n && !decided && waiting_; ++i) {
        if (states[i] != EntryState::Unknown || !why[i].empty()) continue;
        evaluate(i, true);
        decided = holds(spec, score(spec, states), allowed);
    }
    const Score s = score(spec, states);

    std::string listed_text, unknown_text;
    for (std::size_t i = 0; i < n; ++i) {
        const ZoneEntry& e = spec.zones[i];
        if (states[i] == EntryState::Listed) {
            listed_text += " " + e.show_as + "=" + hit[i] + "*" + std::to_string(e.weight);
            if ((e.weight > 0) != allowed) f.zones += (f.zones.empty() ? "" : ", ") + e.show_as;
        } else if (states[i] == EntryState::Unknown) {
            unknown_text += std::string(unknown_text.empty() ? "" : "; ") +
                            (why[i].empty() ? e.show_as + " not answered yet" : why[i]);
        } else if (states[i] == EntryState::Skipped) {
            unknown_text +=
                std::string(unknown_text.empty() ? "" : "; ") + e.show_as + " skipped (unhealthy)";
        }
    }
    f.score = std::to_string(s.known);
    f.detail = "score " + std::to_string(s.known) +
               (allowed ? ", allow threshold " +
                              std::to_string(spec.allow_threshold.value_or(-kMaxThreshold))
                        : ", threshold " + std::to_string(spec.threshold)) +
               (listed_text.empty() ? ": nothing listed" : ":" + listed_text) +
               (unknown_text.empty() ? "" : " (" + unknown_text + ")");
    note("list " + spec.name + ": " + f.detail);
    if (!decided) {
        f.match = Match::TempError;
        for (std::size_t i = 0; i < n; ++i)
            if (pending[i] || (!waiting_ && states[i] == EntryState::Unknown && why[i].empty()))
                f.pending = true;
        f.error = "list " + spec.name + ": " + (unknown_text.empty() ? "no answer" : unknown_text);
        return f;
    }
    f.match = *decided ? Match::Yes : Match::No;
    if (f.match == Match::Yes && spec.txt && !allowed) {
        for (std::size_t i = 0; i < n; ++i) {
            if (states[i] != EntryState::Listed || spec.zones[i].weight <= 0) continue;
            for (const Key& k : keys) {
                const auto qname = query_name(k.value, spec.zones[i].zone);
                if (!qname) continue;
                const LookupPtr l =
                    get_in({*qname, RrType::TXT}, shown_name(*qname, spec.zones[i]), index, i);
                bool p = false;
                std::string w;
                if (await(l, p, w) && l->answer().outcome == Outcome::Records) {
                    f.txt = l->answer().records.front();
                    break;
                }
                if (p) {  // a TXT not in yet: decide later, when it can be shown
                    f.match = Match::TempError;
                    f.pending = true;
                    return f;
                }
            }
            break;
        }
    }
    return f;
}

policy::ReverseFacts TransactionDns::reverse(const policy::Transaction& tx) {
    policy::ReverseFacts r;
    if (!own_reverse(tx)) {
        const std::string& res = tx.client_resolve;
        const std::string ptr = tx.macro("client_ptr");
        r.detail = "{client_resolve} " + (res.empty() ? std::string("absent") : res);
        if (res == "OK") {
            r.status = policy::ReverseStatus::Confirmed;
            r.names.push_back(tx.client_name);
        } else if (res == "FORGED") {
            r.status = policy::ReverseStatus::Unconfirmed;
            if (!unknown_name(ptr)) r.names.push_back(ptr);
        } else if (res == "FAIL") {
            r.status = policy::ReverseStatus::Missing;
        } else {
            r.known = Match::TempError;
            r.error = res == "TEMP"
                          ? "the MTA's reverse lookup of the client failed temporarily "
                            "({client_resolve} TEMP)"
                          : "no usable {client_resolve} from the MTA (dns.reverse = \"mta\")";
        }
        if (!r.names.empty()) r.detail += " (" + r.names.front() + ")";
        note("reverse: " + r.detail);
        return r;
    }
    const auto chain = reverse_chain(tx.client_addr);
    if (!chain) {
        r.status = policy::ReverseStatus::Missing;
        r.detail = "not an IP address: no PTR";
        return r;
    }
    std::string why;
    if (!await(chain->first, r.pending, why)) {
        r.known = Match::TempError;
        r.error = "reverse lookup: " + (why.empty() ? "not answered yet" : why);
        return r;
    }
    const Answer ptr = chain->first->answer();
    if (ptr.outcome == Outcome::NxDomain || ptr.outcome == Outcome::NoData) {
        r.status = policy::ReverseStatus::Missing;
        r.detail = "no PTR for " + tx.client_addr;
        note("reverse: " + r.detail);
        return r;
    }
    if (ptr.outcome != Outcome::Records) {
        r.known = Match::TempError;
        r.error = "reverse lookup: " + chain->first->question().key() + ": " + ptr.summary();
        return r;
    }
    for (const auto& n : ptr.records) r.names.push_back(n);
    const auto client = parse_address(tx.client_addr);
    const std::vector<LookupPtr> forward = chain->followups(service_.get(), timeout_);
    const auto confirms = [&](const LookupPtr& l) {
        const Answer a = l->answer();
        if (a.outcome != Outcome::Records) return false;
        for (const auto& rec : a.records)
            if (parse_address(rec) == client) return true;
        return false;
    };
    bool failed = false, pending = false, not_done = false;
    std::string fail_why;
    for (int pass = 0; pass < 2; ++pass) {
        for (const auto& l : forward) {
            if (pass == 0 && !l->done()) {
                not_done = true;
                continue;
            }
            bool p = false;
            std::string w;
            if (!await(l, p, w)) {
                pending = pending || p;
                failed = failed || !p;
                if (!w.empty()) fail_why = w;
                continue;
            }
            if (confirms(l)) {
                r.status = policy::ReverseStatus::Confirmed;
                const std::string name = l->question().name;
                r.names.erase(std::remove(r.names.begin(), r.names.end(), name), r.names.end());
                r.names.insert(r.names.begin(), name);
                r.detail = "PTR " + name + " resolves back to " + tx.client_addr;
                note("reverse: " + r.detail);
                return r;
            }
            if (!l->answer().definite()) {
                failed = true;
                fail_why = l->question().key() + ": " + l->answer().summary();
            }
        }
        if (pass == 0 && !waiting_) {
            pending = pending || not_done;
            break;
        }
    }
    if (pending || failed) {
        r.known = Match::TempError;
        r.pending = pending && !failed;
        r.error =
            "forward lookup of the PTR names: " + (fail_why.empty() ? "not in yet" : fail_why);
        return r;
    }
    r.status = policy::ReverseStatus::Unconfirmed;
    r.detail = "PTR " + (r.names.empty() ? std::string("?") : r.names.front()) +
               " does not resolve back to " + tx.client_addr;
    note("reverse: " + r.detail);
    return r;
}

policy::DomainFacts TransactionDns::domain(std::string_view domain, policy::DomainTest test) {
    policy::DomainFacts f;
    const auto d = domain_name(domain);
    if (!d) {
        f.status = policy::DomainStatus::Exists;
        f.detail = "'" + std::string(domain.substr(0, 64)) + "' is not a DNS name: not looked up";
        return f;
    }
    const auto chain = domain_chain(*d);
    std::string why;
    if (!await(chain->first, f.pending, why)) {
        f.known = Match::TempError;
        f.error = why.empty() ? "MX " + *d + " not answered yet" : why;
        return f;
    }
    const Answer mx = chain->first->answer();
    switch (mx.outcome) {
        case Outcome::NxDomain:
            f.status = policy::DomainStatus::Unknown;
            f.detail = *d + " does not exist (NXDOMAIN)";
            break;
        case Outcome::Records: {
            bool all_null = !mx.records.empty();
            for (const auto& rec : mx.records) {
                const auto m = parse_mx(rec);
                if (!m || m->host != ".") all_null = false;
            }
            f.status = all_null ? policy::DomainStatus::NullMx : policy::DomainStatus::Exists;
            f.detail = all_null ? *d + " has a null MX (RFC 7505)" : *d + " has MX records";
            break;
        }
        case Outcome::NoData: {
            if (test == policy::DomainTest::NullMx) {
                f.status = policy::DomainStatus::Exists;
                f.detail = *d + " has no MX (so no null MX)";
                break;
            }
            bool exists = false, failed = false, pending = false;
            std::string fail_why;
            for (const auto& l : chain->followups(service_.get(), timeout_)) {
                bool p = false;
                std::string w;
                if (!await(l, p, w)) {
                    pending = pending || p;
                    failed = failed || !p;
                    fail_why = w;
                    continue;
                }
                const Answer a = l->answer();
                if (a.outcome == Outcome::Records) exists = true;
                if (!a.definite()) {
                    failed = true;
                    fail_why = l->question().key() + ": " + a.summary();
                }
            }
            if (exists) {
                f.status = policy::DomainStatus::Exists;
                f.detail = *d + " has no MX but an address (implicit MX)";
            } else if (failed || pending) {
                f.known = Match::TempError;
                f.pending = pending && !failed;
                f.error =
                    "address lookup of " + *d + ": " + (fail_why.empty() ? "not in yet" : fail_why);
                return f;
            } else {
                f.status = policy::DomainStatus::Unknown;
                f.detail = *d + " has no MX, A or AAAA record";
            }
            break;
        }
        default:
            f.known = Match::TempError;
            f.error = "MX " + *d + ": " + mx.summary();
            return f;
    }
    note("domain: " + f.detail);
    return f;
}

}  // namespace mv::dns
