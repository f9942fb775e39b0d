// SPDX-License-Identifier: Apache-2.0
// session_state.hpp - the two lifetimes of a Session's state (internal to
// session.cpp): the connection, and the message that abort() and mail() reset.
//
// A decision not delivered at once is kept as a Decision with its rule index:
// limit() is the earliest such index, and later stages run only the rules
// written before it, so a session gives the result a flat first-match reading
// of the rule file would give. Header lists are deduplicated and bounded as
// entries arrive, so a client repeating EHLO or sending 10,000 RCPTs cannot
// make them grow; what is refused is counted for the log.
//
// Thread contract: owned by one Session, used by one thread at a time.
#pragma once

#include <algorithm>
#include <cstddef>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "policy/rule_evaluator.hpp"

namespace mv::policy {

inline constexpr std::size_t kMaxMonitorHeaders = 16;  // monitor marks per message
inline constexpr std::size_t kMaxAddedHeaders = 64;    // added headers per message

template <typename T>
struct BoundedList {
    std::vector<T> items;
    std::size_t dropped = 0;  // distinct entries refused for lack of room

    void add(T x, std::size_t cap) {
        if (std::find(items.begin(), items.end(), x) != items.end()) return;
        if (items.size() >= cap) {
            ++dropped;
            return;
        }
        items.push_back(std::move(x));
    }
};

using HeaderList = BoundedList<std::pair<std::string, std::string>>;
using MarkList = BoundedList<std::string>;

// The rules of `stage` from index `from` on, not evaluated yet because a
// rule's DNS answers were not in (delay_reject): run in order at a later call.
struct Deferred {
    codes::Stage stage;
    std::size_t from;
};

struct ConnectionState {
    bool accepted = false;              // Accept at connect/HELO
    bool closed = false;                // refusal delivered at connect
    std::optional<Decision> refusal;    // held (delay_reject, or an earlier rule undecided)
    std::optional<Decision> final;      // Discard/Quarantine from connect/HELO
    std::optional<Decision> accept;     // Accept waiting for an earlier rule (each message)
    std::vector<Tentative> would;       // monitor would-bes waiting for earlier rules
    std::vector<Tentative> rcpt_would;  // monitor would-be refusals held for each RCPT
    std::size_t shadow = kNoRule;       // global monitor: rule of the would-be decision
    HeaderList headers;                 // add_headers of connect/HELO rules, for every message
    MarkList monitor;                   // monitor marks of connect/HELO rules
    std::vector<Deferred> deferred;     // connect/HELO rules waiting for DNS
};

struct MessageState {
    bool accepted = false;                    // Accept at MAIL, DATA or end of data
    bool closed = false;                      // refusal delivered at MAIL/DATA/end of data
    std::optional<Decision> refusal;          // held from MAIL (delivered at each RCPT)
    std::optional<Decision> final;            // Discard/Quarantine
    std::optional<Decision> eom_refusal;      // refusal moved to end of data (non-SMTP, or an
                                              // earlier end-of-data rule undecided)
    std::optional<Decision> accept;           // Accept waiting for an earlier rule
    std::vector<Tentative> would;             // monitor would-bes waiting for earlier rules
    std::vector<Tentative> rcpt_would;        // monitor would-be refusals held for each RCPT
    std::size_t shadow = kNoRule;             // global monitor: rule of the would-be decision
    std::size_t shadow_accepted = 0;          // global monitor: recipients a rule would accept
    std::size_t shadow_accept_min = kNoRule;  // the earliest of those rules
    std::size_t shadow_refused = 0;           // global monitor: recipients a rule would refuse
    std::vector<std::string> shadow_refused_rcpts;  // those recipients (hidden at DATA, end)
    bool rcpts_hidden = false;                      // Transaction::recipients without them now
    std::size_t rcpt_accepted = 0;                  // recipients accepted by a rule
    std::size_t rcpt_accept_min = kNoRule;          // the earliest rule that accepted a recipient
    std::size_t headers_seen = 0;                   // all header() calls, stored or not
    std::size_t headers_unstored = 0;               // beyond kMaxHeaders or kMaxHeaderValue
    std::size_t body_seen = 0;                      // body bytes received
    bool body_cr = false;                           // the last body byte kept was a CR (made LF)
    HeaderList headers;
    MarkList monitor;
    std::vector<Deferred> deferred;  // MAIL rules waiting for DNS
};

inline std::size_t index_of(const std::optional<Decision>& d) {
    return d ? d->index : kNoRule;
}

// Rules at or after this index never run again in this message.
inline std::size_t limit(const ConnectionState& c, const MessageState& m) {
    return std::min({index_of(c.refusal), index_of(c.final), index_of(c.accept),
                     index_of(m.refusal), index_of(m.final), index_of(m.eom_refusal),
                     index_of(m.accept), c.shadow, m.shadow});
}

}  // namespace mv::policy
