// SPDX-License-Identifier: Apache-2.0
// string_matcher.hpp - a compiled StringMatch (conditions.hpp) for one kind of value.
//
// The kind says how a value is compared:
//   Address  (sender, recipient, SASL login): brackets stripped; exact entries
//            compare the local part byte for byte and the domain in its
//            lookup form (case-insensitively, U-label = A-label: address.hpp);
//            domain lists look at the part after the last '@' (no '@' = no
//            domain, domain lists do not match).
//   Hostname (client name, HELO, client resolve status): the whole value is
//            a domain; exact entries compare in the lookup form; one trailing
//            dot ignored.
//   Plain    (any macro): exact entries are case-sensitive; domain lists look
//            after the last '@' if there is one, else at the whole value.
// In every kind the empty value matches only `null_sender` (and a regex that
// matches ""); regexes see the value as received (brackets stripped for
// addresses; a U-label stays UTF-8, unconverted), case-insensitively unless
// icase_regex is false. Exact lookups and domain lookups are hash probes:
// cost independent of list size.
//
// Errors: the constructor throws std::invalid_argument for a bad regex or
// domain, or an exact Address/Hostname entry whose domain has a non-ASCII or
// "xn--" label that is not valid IDNA (message names the entry). matches()
// never throws.
//
// Thread contract: immutable after construction; matches() is thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <unordered_set>

#include "policy/conditions.hpp"
#include "policy/domain_set.hpp"
#include "policy/regex_set.hpp"

namespace mv::policy {

enum class ValueKind { Address, Hostname, Plain };

class StringMatcher {
  public:
    StringMatcher(const StringMatch& spec, ValueKind kind);

    bool matches(std::string_view value) const;
    // "domain example.com, regex /^spam/" (first few entries of each list).
    std::string describe() const;

  private:
    std::string normalize_exact(std::string_view v) const;
    std::string exact_entry(std::string_view e) const;  // checks, then normalize_exact()

    ValueKind kind_;
    std::unordered_set<std::string> exact_;
    DomainSet domains_;
    RegexSet regexes_;
    bool null_ = false;
    StringMatch shown_;  // the first entries of each list, for describe()
    std::size_t counts_[4] = {0, 0, 0, 0};
};

}  // namespace mv::policy
