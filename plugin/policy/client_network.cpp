// SPDX-License-Identifier: Apache-2.0
// client_network.cpp - the parts of rate-limit and greylist store keys: an
// address's network, case folding and escaped joining (see state_conditions.hpp).
#include <arpa/inet.h>

#include <cctype>
#include <cstring>

#include "policy/state_conditions.hpp"

namespace mv::policy {

std::string client_network(const std::string& addr, int ipv4_prefix, int ipv6_prefix) {
    std::string a = addr;
    // Postfix may pass "IPv6:2001:db8::1" and brackets in some macros.
    if (a.size() > 2 && a.front() == '[' && a.back() == ']') a = a.substr(1, a.size() - 2);
    if (a.rfind("IPv6:", 0) == 0 || a.rfind("ipv6:", 0) == 0) a = a.substr(5);
    unsigned char bytes[16] = {};
    char out[INET6_ADDRSTRLEN] = {};
    auto mask = [&](int len, int prefix) {
        for (int i = 0; i < len; ++i) {
            const int keep = std::min(8, std::max(0, prefix - 8 * i));
            bytes[i] &= static_cast<unsigned char>(keep == 0 ? 0 : 0xff << (8 - keep));
        }
    };
    if (inet_pton(AF_INET, a.c_str(), bytes) == 1) {
        mask(4, ipv4_prefix);
        inet_ntop(AF_INET, bytes, out, sizeof out);
        return std::string(out) + "/" + std::to_string(ipv4_prefix);
    }
    if (inet_pton(AF_INET6, a.c_str(), bytes) != 1) return {};
    static const unsigned char kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (std::memcmp(bytes, kMapped, 12) == 0) {
        unsigned char v4[4];
        std::memcpy(v4, bytes + 12, 4);
        std::memcpy(bytes, v4, 4);
        mask(4, ipv4_prefix);
        inet_ntop(AF_INET, bytes, out, sizeof out);
        return std::string(out) + "/" + std::to_string(ipv4_prefix);
    }
    mask(16, ipv6_prefix);
    inet_ntop(AF_INET6, bytes, out, sizeof out);
    return std::string(out) + "/" + std::to_string(ipv6_prefix);
}

std::string key_lower(std::string_view value) {
    std::string s(value);
    for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

void append_key_part(std::string& key, std::string_view value) {
    key += '|';
    for (char c : value) {
        if (c == '|' || c == '\\') key += '\\';
        key += c;
    }
}

}  // namespace mv::policy
