// SPDX-License-Identifier: Apache-2.0
// conditions.hpp - constructors for every condition the rule language has.
//
// The config loader turns each "when" clause into one of these. Constructors
// that compile something (CIDR, regex) throw std::invalid_argument with a
// one-line message on bad input; the loader reports it as file:line.
//
// Thread contract: the returned conditions are immutable and thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "policy/condition.hpp"

namespace mv::policy {

// Which envelope/connection string a string condition looks at.
enum class Field {
    ClientName,     // Transaction::client_name            (connect)
    ClientResolve,  // Transaction::client_resolve         (connect)
    Helo,           // Transaction::helo                   (helo)
    Sender,         // Transaction::sender                 (mail)
    Recipient,      // current_rcpt at RCPT, any recipient later (rcpt)
    AuthLogin,      // Transaction::auth_login             (mail)
    Macro,          // Transaction::macro(name)            (stage given by the loader)
};

// What a string condition accepts; the condition matches when any entry matches.
// Domains compare case-insensitively; for addresses the domain is the part after
// the last '@'. The null sender "" matches `null_sender` only (and regexes).
struct StringMatch {
    std::vector<std::string> exact;       // exact value (addresses: local part case-sensitive,
                                          // domain case-insensitive)
    std::vector<std::string> domains;     // the domain itself only
    std::vector<std::string> subdomains;  // the domain and every subdomain of it
    std::vector<std::string> regexes;     // RE2, partial match unless anchored
    bool null_sender = false;             // matches the empty value (sender <>)
    bool icase_regex = true;              // regexes are case-insensitive by default
};

ConditionPtr make_string_condition(Field field, StringMatch match, std::string macro_name = {},
                                   codes::Stage macro_stage = codes::Stage::Connect);

// Client address in any of the CIDR networks ("192.0.2.0/24", "2001:db8::/32",
// bare addresses = /32 or /128). IPv4-mapped IPv6 clients match IPv4 networks.
ConditionPtr make_client_addr_condition(const std::vector<std::string>& networks);

// The client authenticated (SASL) / uses TLS, as `expected`.
ConditionPtr make_authenticated_condition(bool expected);
ConditionPtr make_tls_condition(bool expected);

// A macro is present (non-empty) / absent.
ConditionPtr make_macro_present_condition(std::string name, codes::Stage stage, bool expected);

// Content conditions. Each reports what it reads (Condition::content_needed())
// so that a policy without them never receives headers or body.
//
// Header `name` (case-insensitive), every occurrence: holds when any
// occurrence's value matches `value` (compared as a Plain value, regexes
// partial). The value is unfolded (CR and LF removed) and, unless `raw`, its
// RFC 2047 encoded words are decoded to UTF-8 first (encoded_words.hpp).
// Runs at end of data.
ConditionPtr make_header_condition(std::string name, StringMatch value, bool raw = false);
// A header named `name` is present (expected = true) / absent.
ConditionPtr make_header_present_condition(std::string name, bool expected);

// The body, as far as Settings::body_limit keeps it, line ends normalised to
// LF: holds when any RE2 regex matches (partial, case-insensitive unless
// icase is false). Runs at end of data.
ConditionPtr make_body_condition(const std::vector<std::string>& regexes, bool icase = true);

// Numeric bounds: the value is > over (when set) and < under (when set).
struct Bounds {
    std::optional<std::uint64_t> over, under;
};
// Declared: SIZE= of MAIL (runs at MAIL; No when the client announced none).
// Message: the real size at end of data (headers as received plus body).
enum class SizeOf { Declared, Message };
ConditionPtr make_size_condition(SizeOf which, Bounds bounds);
// Number of recipients: at RCPT those given so far including the current one,
// later those still in the message. Runs at RCPT.
ConditionPtr make_rcpt_count_condition(Bounds bounds);

// Combinators. all() of nothing is Yes, any() of nothing is No.
// TempError: all/any propagate it unless the result is decided without it; not(TempError) =
// TempError.
ConditionPtr make_all(std::vector<ConditionPtr> parts);
ConditionPtr make_any(std::vector<ConditionPtr> parts);
ConditionPtr make_not(ConditionPtr part);

}  // namespace mv::policy
