// SPDX-License-Identifier: Apache-2.0
// string_matcher.cpp - see string_matcher.hpp.
#include "policy/string_matcher.hpp"

#include <stdexcept>

#include "idn/idn.hpp"
#include "policy/address.hpp"

namespace mv::policy {

namespace {

constexpr std::size_t kShown = 3;  // entries per list shown by describe()

std::vector<std::string> first(const std::vector<std::string>& v) {
    return {v.begin(), v.begin() + static_cast<std::ptrdiff_t>(std::min(v.size(), kShown))};
}

void describe_list(std::string& out, const char* what, const std::vector<std::string>& shown,
                   std::size_t total, const char* open, const char* close) {
    if (total == 0) return;
    if (!out.empty()) out += " or ";
    out += what;
    out += ' ';
    for (std::size_t i = 0; i < shown.size(); ++i) {
        if (i) out += ", ";
        out += open + shown[i] + close;
    }
    if (total > shown.size()) out += " (+" + std::to_string(total - shown.size()) + " more)";
}

}  // namespace

StringMatcher::StringMatcher(const StringMatch& spec, ValueKind kind)
    : kind_(kind), regexes_(spec.regexes, spec.icase_regex), null_(spec.null_sender) {
    for (const auto& e : spec.exact) exact_.insert(exact_entry(e));
    for (const auto& d : spec.domains) domains_.add_domain(d);
    for (const auto& d : spec.subdomains) domains_.add_with_subdomains(d);
    shown_.exact = first(spec.exact);
    shown_.domains = first(spec.domains);
    shown_.subdomains = first(spec.subdomains);
    shown_.regexes = first(spec.regexes);
    counts_[0] = spec.exact.size();
    counts_[1] = spec.domains.size();
    counts_[2] = spec.subdomains.size();
    counts_[3] = spec.regexes.size();
}

std::string StringMatcher::normalize_exact(std::string_view v) const {
    switch (kind_) {
        case ValueKind::Address:
            return normalize_address(strip_address(v));
        case ValueKind::Hostname:
            return normalize_domain(v);
        case ValueKind::Plain:
            break;
    }
    return std::string(v);
}

std::string StringMatcher::exact_entry(std::string_view e) const {
    // An entry that claims an internationalised domain must be valid IDNA,
    // as in a domain list; other exact entries are taken as written.
    std::string_view domain;
    const char* what = "address";
    if (kind_ == ValueKind::Address) {
        domain = address_domain(strip_address(e));
    } else if (kind_ == ValueKind::Hostname) {
        domain = e;
        what = "name";
    }
    if (!domain.empty() && idn::has_idn_label(domain)) {
        const idn::CheckedDomain c = idn::check_domain(domain);
        if (!c.ok())
            throw std::invalid_argument(std::string("bad ") + what + " '" + idn::printable(e) +
                                        "': " + c.error);
    }
    return normalize_exact(e);
}

bool StringMatcher::matches(std::string_view raw) const {
    const std::string_view v = kind_ == ValueKind::Address ? strip_address(raw) : raw;
    if (v.empty()) return null_ || regexes_.matches(v);
    // `v` is stripped already: strip_address() is not idempotent on an odd
    // value ("@a:@b:x"), and an entry is stripped exactly once.
    if (!exact_.empty() &&
        exact_.count(kind_ == ValueKind::Address ? normalize_address(v) : normalize_exact(v)))
        return true;
    if (!domains_.empty()) {
        std::string_view domain = v;
        if (kind_ == ValueKind::Address) {
            domain = address_domain(v);
        } else if (kind_ == ValueKind::Plain && v.find('@') != std::string_view::npos) {
            domain = address_domain(v);
        }
        if (domains_.contains(domain)) return true;
    }
    return regexes_.matches(v);
}

std::string StringMatcher::describe() const {
    std::string out;
    describe_list(out, "is", shown_.exact, counts_[0], "", "");
    describe_list(out, "domain", shown_.domains, counts_[1], "", "");
    describe_list(out, "in domain", shown_.subdomains, counts_[2], "", "");
    describe_list(out, "matches", shown_.regexes, counts_[3], "/", "/");
    if (null_) out += out.empty() ? "is <>" : " or is <>";
    if (out.empty()) out = "matches nothing";
    return out;
}

}  // namespace mv::policy
