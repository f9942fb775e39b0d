// SPDX-License-Identifier: Apache-2.0
// address.cpp - see address.hpp.
#include "policy/address.hpp"

#include "idn/idn.hpp"

namespace mv::policy {

std::string_view strip_address(std::string_view v) {
    if (v.size() >= 2 && v.front() == '<' && v.back() == '>') v = v.substr(1, v.size() - 2);
    // A source route "@r1,@r2:user@dom" is obsolete (RFC 5321 4.1.2); only
    // the mailbox after the colon names the recipient.
    if (!v.empty() && v.front() == '@') {
        const auto colon = v.find(':');
        if (colon != std::string_view::npos) v = v.substr(colon + 1);
    }
    return v;
}

std::string_view address_domain(std::string_view address) {
    const auto at = address.rfind('@');
    if (at == std::string_view::npos) return {};
    return address.substr(at + 1);
}

std::string normalize_domain(std::string_view domain) {
    return idn::lookup_form(domain);
}

std::string normalize_address(std::string_view address) {
    const auto at = address.rfind('@');
    if (at == std::string_view::npos) return std::string(address);
    std::string out(address.substr(0, at + 1));
    out += normalize_domain(address.substr(at + 1));
    return out;
}

}  // namespace mv::policy
