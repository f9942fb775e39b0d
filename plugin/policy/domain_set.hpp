// domain_set.hpp - domain lists: "this domain" and "this domain and below".
//
// contains() looks the domain up in a hash set, then walks up its labels
// (a.b.example.com, b.example.com, example.com, com) probing the subdomain
// set: the cost depends on the number of labels of the value, never on the
// size of the list. Domains compare case-insensitively with one trailing dot
// ignored (address.hpp).
//
// Errors: add_*() throw std::invalid_argument for an empty domain or one with
// spaces, '@' inside or an empty label ("a..b"); a leading '@' or '.' is
// accepted and dropped ("@example.com" is how many lists write a domain).
//
// Thread contract: add_*() while building; contains() is const and thread-safe.
#pragma once

#include <cstddef>
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
    std::unordered_set<std::string> exact_;
    std::unordered_set<std::string> tree_;
};

}  // namespace mv::policy
