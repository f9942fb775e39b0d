// SPDX-License-Identifier: Apache-2.0
// transaction.hpp - what the policy engine knows about one SMTP session.
//
// The milter glue (or the simulator) fills a Transaction as stages arrive and
// hands it to Session (session.hpp). Values are raw as received from the MTA:
// bounded by the glue (see Limits) but not otherwise trusted.
//
// Thread contract: plain data, owned by one connection context.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace mv::policy {

class DnsEvidence;

// Bounds on data from the network. The glue refuses (tempfails) rather than
// truncating silently where a bound is exceeded; the engine may rely on them.
struct Limits {
    static constexpr std::size_t kMaxValue = 4096;         // one macro, HELO, address
    static constexpr std::size_t kMaxRecipients = 10000;   // per message
    static constexpr std::size_t kMaxHeaders = 1000;       // per message
    static constexpr std::size_t kMaxHeaderValue = 65536;  // one header value
    static constexpr std::size_t kMaxMacros = 256;         // per connection
};

struct Transaction {
    // Connection (known at connect, except where noted).
    std::string client_addr;     // "192.0.2.1", "2001:db8::1"; "" when unknown (local, non-SMTP)
    std::string client_name;     // verified or unverified reverse name, "" or "unknown"
    std::string client_resolve;  // Postfix {client_resolve}: "OK", "FAIL", "FORGED", "TEMP", ""
    std::string daemon_name;     // {daemon_name}
    bool non_smtp = false;       // sendmail(1) / non_smtpd_milters: no RCPT-stage refusals
    // The Postfix policy service: headers and body never arrive, so a rule
    // reading them cannot match and nothing waits for it (ruled_out).
    bool no_content = false;
    std::string helo;            // known at HELO

    // Every macro received so far, keyed without braces: "client_addr", "i", "auth_authen".
    std::map<std::string, std::string, std::less<>> macros;

    // Message (reset by Session::reset_message()).
    std::string queue_id;                 // macro "i", when known
    std::string sender;                   // without angle brackets; "" is the null sender <>
    std::string auth_login;               // {auth_authen}, "" when not authenticated
    std::string tls_version;              // {tls_version}, "" when no TLS
    std::vector<std::string> recipients;  // recipients given so far, including the current one
    std::string current_rcpt;             // at the RCPT stage: the one being decided
    // How many recipients the MTA accepted when it says so without naming
    // them all (the Postfix policy service at DATA/END-OF-MESSAGE without
    // RCPT requests); 0 = only `recipients` counts. Reset with the message.
    std::size_t known_rcpt_count = 0;
    std::vector<std::pair<std::string, std::string>> headers;  // name, raw value
    std::string body;        // first Settings::body_limit bytes of the body, line ends made LF
    std::uint64_t size = 0;  // message size in bytes (headers as received + body), known at
                             // end of data when the MTA sends headers and body
    // SIZE= announced at MAIL (RFC 1870), 0 when not announced. Set by the
    // caller before Session::mail(), which keeps it; reset by abort().
    std::uint64_t declared_size = 0;

    // Set by a stateful condition (rate_limit, greylist) when it holds: the
    // seconds until a retry can succeed, for ${retry} in the reply text.
    // Mutable because conditions see the Transaction as const; a Transaction
    // is used by one thread at a time, so this is safe.
    mutable std::string retry;
    // Set by a stateful condition that answers TempError: the backend's
    // error, for the decision log.
    mutable std::string state_error;
    // Time the stateful conditions spent waiting for the store, accumulated
    // over the session (the engine reports each call's share in
    // Verdict::timing; observability only).
    mutable std::chrono::nanoseconds state_wait{0};

    // The session's DNS evidence (policy/dns_evidence.hpp), set by Session
    // when the policy uses DNS and a resolver is attached; else null.
    DnsEvidence* dns = nullptr;
    // Set by a DNS condition when it holds, for ${dns_zones}, ${dns_score},
    // ${dns_txt} and the rule's log line (dns_detail); cleared by the rule
    // evaluator before each rule. Mutable for the reason `retry` is.
    mutable std::string dns_zones, dns_score, dns_txt, dns_detail;
    // Set by a DNS condition that answers TempError only because an answer
    // is not in yet and waiting is off: the rule is evaluated later.
    mutable bool dns_pending = false;

    // Recipients of the message: `recipients`, or known_rcpt_count if larger.
    std::size_t recipient_count() const {
        return recipients.size() > known_rcpt_count ? recipients.size() : known_rcpt_count;
    }

    // Macro value or "" when absent. Name without braces.
    const std::string& macro(std::string_view name) const;
};

}  // namespace mv::policy
