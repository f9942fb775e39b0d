// SPDX-License-Identifier: Apache-2.0
// key_pattern.cpp - record selection for milter-verdict state (see key_pattern.hpp).
#include "control/key_pattern.hpp"

#include <fnmatch.h>
#include <strings.h>

#include <cstdlib>

#include "policy/state_conditions.hpp"
#include "state/state_file.hpp"

namespace mv::control {
namespace {

bool is_glob(const std::string& p) {
    return p.find_first_of("*?[") != std::string::npos;
}

// "192.0.2.0/24" contains `addr` (an IP address): the daemon's own
// client_network() of the address at that prefix gives the same text.
bool network_contains(const std::string& part, const std::string& addr) {
    const auto slash = part.rfind('/');
    if (slash == std::string::npos || slash + 1 >= part.size() || part.size() - slash > 4)
        return false;
    char* end = nullptr;
    const long len = std::strtol(part.c_str() + slash + 1, &end, 10);
    if (*end != '\0' || len < 0 || len > 128) return false;
    const std::string net =
        policy::client_network(addr, static_cast<int>(len), static_cast<int>(len));
    return !net.empty() && strcasecmp(net.c_str(), part.c_str()) == 0;
}

}  // namespace

std::vector<std::string> key_parts(const std::string& key) {
    std::vector<std::string> parts(1);
    for (std::size_t i = 0; i < key.size(); ++i) {
        const char c = key[i];
        if (c == '\\' && i + 1 < key.size()) {
            parts.back() += key[++i];
        } else if (c == '|') {
            parts.emplace_back();
        } else {
            parts.back() += c;
        }
    }
    return parts;
}

bool Selection::matches(const std::string& key, const state::Entry& entry) const {
    if (kinds.find(static_cast<char>(entry.kind)) == std::string::npos) return false;
    if (pattern.empty() || pattern == "*") return true;
    if (is_glob(pattern)) return ::fnmatch(pattern.c_str(), key.c_str(), FNM_CASEFOLD) == 0;
    const bool address = !policy::client_network(pattern, 32, 128).empty();
    for (const std::string& part : key_parts(key)) {
        if (strcasecmp(part.c_str(), pattern.c_str()) == 0) return true;
        if (address && network_contains(part, pattern)) return true;
    }
    return false;
}

std::string shown_key(state::Entry::Kind kind, const std::string& key) {
    return std::string(1, static_cast<char>(kind)) + ":" + state::encode_key(key);
}

bool parse_shown_key(const std::string& text, state::Entry::Kind& kind, std::string& key) {
    if (text.size() < 3 || text[1] != ':') return false;
    switch (text[0]) {
        case 'g':
            kind = state::Entry::Kind::Triplet;
            break;
        case 'c':
            kind = state::Entry::Kind::Client;
            break;
        case 'r':
            kind = state::Entry::Kind::Rate;
            break;
        default:
            return false;
    }
    return state::decode_key(text.substr(2), key) && !key.empty();
}

std::string parse_kinds(const std::string& name) {
    if (name == "all") return "gcr";
    if (name == "greylist") return "gc";
    if (name == "triplet" || name == "triplets") return "g";
    if (name == "client" || name == "clients") return "c";
    if (name == "rate") return "r";
    if (name.empty() || name.size() > 3) return {};
    for (const char c : name)
        if (c != 'g' && c != 'c' && c != 'r') return {};
    return name;
}

}  // namespace mv::control
