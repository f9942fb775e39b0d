// SPDX-License-Identifier: Apache-2.0
// defaults.hpp - the one table of default replies: the code used when a rule
// names an action but no code, and the replies the daemon sends on its own.
//
// Every reason the engine can refuse for has rows (disposition, stages where
// the reply is delivered) -> basic code, enhanced code, text, source. The
// table is the single source for three readers: default_reply() (the loader
// fills a rule's missing reply parts from it, the engine and the glue use it
// for their own replies), `milter-verdict explain --defaults` (which also
// prints the man page's table; a golden test checks milter-verdict.conf(5)
// against it) and the wire-level test of tests/e2e (cases/defaults.py), whose
// expected values are taken from DESIGN.md section 2 and the RFCs, not from
// this file.
//
// Lookup: the first row whose reason, disposition and stage match. A reason
// without a row for that disposition or stage (a rate limit that rejects, a
// size rule that tempfails at the DATA command) takes the Policy row of the
// disposition and stage, keeping the reason's own text. The Policy rows cover
// every stage for both dispositions, so every lookup finds a reply.
//
// Thread contract: the table is a constant built on first use (function-local
// static); every function is pure and thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "codes/stage.hpp"

namespace mv::codes {

// What the reply is for. Reject => 5xx, Tempfail => 4xx.
enum class Disposition { Reject, Tempfail };

// Why a refusal happens; selects the default code.
enum class Reason {
    Policy,             // a rule's own refusal: 550 5.7.1; 450 4.7.1 at RCPT, 451 4.7.1 elsewhere
    Greylist,           // 451 4.7.1
    RateLimit,          // 450 4.7.1 at RCPT, 451 4.7.1 elsewhere
    TooManyRecipients,  // 452 4.5.3 (rcpt_count, and the engine's recipient bound)
    MessageTooBig,      // 552 5.3.4 (size, declared_size)
    BackendFailure,     // 451 4.4.3 (state backend or DNS failure, rule fails closed)
    Disconnect,         // 421 4.7.0 (reply.disconnect)
    InternalError,      // 451 4.3.0; 421 4.3.0 at connect and HELO (closes the session)
    DnsBlockList,       // 550 5.7.1 (dns_list over its threshold)
    ReverseDns,         // 550 5.7.25; tempfail 450 4.7.25 at RCPT (reverse_dns)
    SenderDomain,       // 550 5.1.8; tempfail 450 4.1.8 at RCPT (sender_domain unknown)
    SenderNullMx,       // 550 5.7.27 (sender_domain null_mx, RFC 7505)
    RecipientNullMx,    // 556 5.1.10 (rcpt_domain null_mx, RFC 7505)
};

struct DefaultReply {
    int basic;
    std::string enhanced;
    std::string text;    // default human text, e.g. "Message refused by policy"
    std::string source;  // e.g. "RFC 5321 4.3.2; RFC 3463 X.7.1"
};

// One row of the table.
struct DefaultRow {
    Reason reason;
    Disposition disposition;
    StageSet stages;  // delivery stages the row is for
    DefaultReply reply;
};

// Every row, in the order explain --defaults prints them.
const std::vector<DefaultRow>& default_table();

// The default reply for a disposition, reason and delivery stage.
DefaultReply default_reply(Disposition disposition, Reason reason, Stage stage);

// "policy", "greylist", "rate-limit", "too-many-recipients", "message-too-big",
// "backend-failure", "disconnect", "internal-error", "dns-list", "reverse-dns",
// "sender-domain", "sender-null-mx", "recipient-null-mx".
std::string_view reason_name(Reason reason);
std::optional<Reason> parse_reason(std::string_view name);
// What triggers the reason, for explain --defaults and the man page.
std::string_view reason_trigger(Reason reason);
std::string_view disposition_name(Disposition d);  // "reject", "tempfail"

}  // namespace mv::codes
