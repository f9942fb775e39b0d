// SPDX-License-Identifier: Apache-2.0
// fuzz_address.cpp - envelope address, domain and network parsing as rules match them.
//
// Input: ENTRY \0 VALUE. ENTRY is added to a DomainSet (as a domain and as a
// domain with subdomains), to a CidrSet, and as an exact address to a
// StringMatcher of each kind; VALUE, as an MTA would send it, is stripped and
// normalised (address.hpp) and looked up in each.
//
// Properties (address.hpp, domain_set.hpp, cidr_set.hpp, string_matcher.hpp):
//  * strip_address/address_domain return parts of their input; normalising
//    never lengthens an ASCII domain, and a U-label domain by a bounded amount;
//  * a domain that was added is found again, written in upper case, with a
//    trailing dot, and (with subdomains) below a new label;
//  * an address added as an exact entry matches itself, and with its domain
//    in upper case;
//  * bad entries throw std::invalid_argument (the loader's error), nothing else.
// U-label values and entries come with the IDN seeds; that a U-label matches
// its A-label is checked by the unit tests (test_idn.cpp), not here.
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>

#include "fuzz_input.hpp"
#include "idn/idn.hpp"
#include "policy/address.hpp"
#include "policy/cidr_set.hpp"
#include "policy/conditions.hpp"
#include "policy/domain_set.hpp"
#include "policy/string_matcher.hpp"

namespace {

using namespace mv::policy;

bool within(std::string_view part, std::string_view whole) {
    return part.empty() || (part.data() >= whole.data() &&
                            part.data() + part.size() <= whole.data() + whole.size());
}

std::string upper(std::string s) {
    for (char& c : s)
        if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    return s;
}

void domains(const std::string& entry, const std::string& value) {
    DomainSet exact, tree;
    bool added = true;
    try {
        exact.add_domain(entry);
        tree.add_with_subdomains(entry);
    } catch (const std::invalid_argument&) {
        added = false;
    }
    exact.contains(value);
    tree.contains(value);
    if (!added) return;
    std::string d = entry;
    while (!d.empty() && (d.front() == '@' || d.front() == '.')) d.erase(0, 1);
    if (!d.empty() && d.back() == '.') d.pop_back();
    MV_FUZZ_CHECK(exact.contains(d));
    MV_FUZZ_CHECK(exact.contains(upper(d)));
    MV_FUZZ_CHECK(exact.contains(d + "."));
    MV_FUZZ_CHECK(tree.contains(d));
    MV_FUZZ_CHECK(tree.contains("x." + d));
}

void networks(const std::string& entry, const std::string& value) {
    CidrSet set;
    try {
        set.add(entry);
    } catch (const std::invalid_argument&) {
        return;
    }
    set.contains(value);
    const std::string addr = entry.substr(0, entry.find('/'));
    MV_FUZZ_CHECK(set.contains(addr));
}

void matchers(const std::string& entry, const std::string& value) {
    for (ValueKind kind : {ValueKind::Address, ValueKind::Hostname, ValueKind::Plain}) {
        StringMatch spec;
        spec.exact = {entry};
        try {
            const StringMatcher m(spec, kind);
            m.matches(value);
            const std::string_view stripped = strip_address(entry);
            if (kind == ValueKind::Plain) MV_FUZZ_CHECK(entry.empty() || m.matches(entry));
            if (kind == ValueKind::Address && !stripped.empty()) {
                MV_FUZZ_CHECK(m.matches(entry));
                // The same entry as an MTA might send it, its domain in upper case.
                const auto at = entry.rfind('@');
                if (at != std::string::npos && stripped.find('@') != std::string_view::npos)
                    MV_FUZZ_CHECK(m.matches(entry.substr(0, at + 1) + upper(entry.substr(at + 1))));
            }
        } catch (const std::invalid_argument&) {
        }
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const auto parts =
        mv::fuzz::split(std::string_view(reinterpret_cast<const char*>(data), size), '\0', 2);
    const std::string& entry = parts[0];
    const std::string& value = parts[1];

    const std::string_view stripped = strip_address(value);
    MV_FUZZ_CHECK(within(stripped, value));
    const std::string_view domain = address_domain(stripped);
    MV_FUZZ_CHECK(within(domain, stripped));
    // An all-ASCII domain is only lower-cased (and loses one trailing dot); a
    // U-label's A-label may be longer, but conversion stops once the converted
    // part is over 255 octets, and one A-label is at most 63 (idn/idn.hpp).
    const std::size_t growth = mv::idn::is_ascii(domain) ? 0 : 255 + 64;
    const std::string nd = normalize_domain(domain);
    MV_FUZZ_CHECK(nd.size() <= domain.size() + growth);
    const std::string na = normalize_address(stripped);
    MV_FUZZ_CHECK(na.size() <= stripped.size() + growth);

    domains(entry, value);
    networks(entry, value);
    matchers(entry, value);
    return 0;
}
