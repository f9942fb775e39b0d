// SPDX-License-Identifier: Apache-2.0
// domain_set.cpp - see domain_set.hpp.
#include "policy/domain_set.hpp"

#include <stdexcept>

#include "idn/idn.hpp"
#include "policy/address.hpp"

namespace mv::policy {

namespace {

std::string checked(std::string_view d) {
    const std::string_view original = d;
    if (!d.empty() && (d.front() == '@' || d.front() == '.')) d.remove_prefix(1);
    idn::CheckedDomain c = idn::check_domain(d);
    if (!c.ok())
        throw std::invalid_argument("bad domain '" + idn::printable(original) + "': " + c.error);
    return std::move(c.lookup);
}

}  // namespace

void DomainSet::add_domain(std::string_view domain) {
    exact_.insert(checked(domain));
}

void DomainSet::add_with_subdomains(std::string_view domain) {
    tree_.insert(checked(domain));
}

bool DomainSet::contains(std::string_view domain) const {
    if (domain.empty() || empty()) return false;
    const std::string d = normalize_domain(domain);
    if (d.empty()) return false;
    if (exact_.count(std::string_view(d))) return true;
    if (tree_.empty()) return false;
    // Walk up the labels; each probe is one hash lookup of a suffix.
    std::string_view rest(d);
    while (true) {
        if (tree_.count(rest)) return true;
        const auto dot = rest.find('.');
        if (dot == std::string_view::npos) return false;
        rest.remove_prefix(dot + 1);
    }
}

}  // namespace mv::policy
