// SPDX-License-Identifier: Apache-2.0
// domain_set.hpp - domain lists: "this domain" and "this domain and below".
//
// contains() looks the domain up in a hash set, then walks up its labels
// (a.b.example.com, b.example.com, example.com, com) probing the subdomain
// set: the cost depends on the number of labels of the value, never on the
// size of the list, and a probe allocates nothing. Entries and values compare
// in their lookup form (idn/idn.hpp): case-insensitively, a U-label equal to
// its A-label, one trailing dot ignored. An all-ASCII value costs what it did
// before IDN support (a lower-cased copy); only a value with a byte >= 0x80
// goes through libidn2.
//
// Errors: add_*() throw std::invalid_argument for an empty domain, one with
// spaces, '@' inside or an empty label ("a..b"), or invalid IDNA (an "xn--"
// label that is no valid A-label, a U-label that UTS #46 refuses, bad UTF-8);
// the message names the entry and the label. A leading '@' or '.' is accepted
// and dropped ("@example.com" is how many lists write a domain).
//
// Thread contract: add_*() while building; contains() is const and thread-safe.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_set>

namespace mv::policy {

class DomainSet {
  public:
    void add_domain(std::string_view domain);           // the domain itself only
    void add_with_subdomains(std::string_view domain);  // the domain and every subdomain
    bool contains(std::string_view domain) const;
    bool empty() const { return exact_.empty() && tree_.empty(); }
    std::size_t size() const { return exact_.size() + tree_.size(); }

  private:
    // Transparent hash: probes take a string_view of the value's suffix.
    struct Hash {
        using is_transparent = void;
        std::size_t operator()(std::string_view s) const noexcept {
            return std::hash<std::string_view>{}(s);
        }
    };
    using Set = std::unordered_set<std::string, Hash, std::equal_to<>>;
    Set exact_;
    Set tree_;
};

}  // namespace mv::policy
