// domain_set.cpp - see domain_set.hpp.
#include "policy/domain_set.hpp"

#include <stdexcept>

#include "policy/address.hpp"

namespace mv::policy {

namespace {

std::string checked(std::string_view d) {
    const std::string original(d);
    if (!d.empty() && (d.front() == '@' || d.front() == '.')) d.remove_prefix(1);
    std::string n = normalize_domain(d);
    const auto bad = [&](const char* why) {
        throw std::invalid_argument("bad domain '" + original + "': " + why);
    };
    if (n.empty()) bad("empty");
    if (n.size() > 255) bad("longer than 255 characters");
    for (unsigned char c : n)
        if (c <= 0x20 || c >= 0x7f || c == '@') bad("contains a space, '@' or a control character");
    // "example.org.." keeps a dot after normalising: its last label is empty,
    // and no lookup (normalised the same way) could ever match it.
    if (n.find("..") != std::string::npos || n.front() == '.' || n.back() == '.')
        bad("empty label");
    return n;
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
    if (exact_.count(d)) return true;
    if (tree_.empty()) return false;
    // Walk up the labels; each probe is one hash lookup of a suffix.
    std::string_view rest(d);
    while (true) {
        if (tree_.count(std::string(rest))) return true;
        const auto dot = rest.find('.');
        if (dot == std::string_view::npos) return false;
        rest.remove_prefix(dot + 1);
    }
}

}  // namespace mv::policy
