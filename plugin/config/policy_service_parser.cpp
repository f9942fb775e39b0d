// SPDX-License-Identifier: Apache-2.0
// policy_service_parser.cpp - policy_socket, policy_accept and the service's bounds.
#include "config/policy_service_parser.hpp"

#include <optional>

#include "config/schema.hpp"
#include "policy/transaction.hpp"

namespace mv::config {

namespace {

// An integer key within [lo, hi]; nullopt (after reporting) otherwise.
std::optional<long long> bounded(const libconfig::Setting& s, long long lo, long long hi,
                                 const char* unit, Diagnostics& diag) {
    const auto v = read_int(s, diag);
    if (!v) return std::nullopt;
    if (*v < lo || *v > hi) {
        diag.error(s, std::string(s.getName()) + " must be between " + std::to_string(lo) +
                          " and " + std::to_string(hi) + unit + ", not " + std::to_string(*v));
        return std::nullopt;
    }
    return v;
}

}  // namespace

bool parse_policy_service_key(const libconfig::Setting& s, policy_service::ServiceSettings& out,
                              Diagnostics& diag,
                              const std::function<std::string(const std::string&)>& check_socket) {
    const std::string k = s.getName();
    if (k == "policy_socket") {
        const auto v = read_string(s, diag);
        if (!v) return true;
        const std::string why = v->empty() ? std::string() : check_socket(*v);
        if (!why.empty())
            diag.error(s, "bad policy_socket '" + *v + "': " + why);
        else
            out.socket = *v;
    } else if (k == "policy_accept") {
        const auto v = read_string(s, diag);
        if (!v) return true;
        if (*v == "dunno" || *v == "ok")
            out.accept_ok = *v == "ok";
        else
            diag.error(s, "bad policy_accept '" + *v + "': expected \"dunno\" or \"ok\"");
    } else if (k == "policy_timeout") {
        if (const auto v = bounded(s, 1, 3600, " seconds", diag))
            out.request_timeout = static_cast<int>(*v);
    } else if (k == "policy_idle_timeout") {
        if (const auto v = bounded(s, 1, 86400, " seconds", diag))
            out.idle_timeout = static_cast<int>(*v);
    } else if (k == "policy_max_connections") {
        if (const auto v = bounded(s, 1, 100000, "", diag))
            out.max_connections = static_cast<std::size_t>(*v);
    } else if (k == "policy_workers") {
        if (const auto v = bounded(s, 1, 256, "", diag)) out.workers = static_cast<std::size_t>(*v);
    } else if (k == "policy_max_recipients") {
        if (const auto v =
                bounded(s, 1, static_cast<long long>(policy::Limits::kMaxRecipients), "", diag))
            out.max_recipients = static_cast<std::size_t>(*v);
    } else if (k == "policy_max_recipient_bytes") {
        if (const auto v = bounded(s, 4096, 64 * 1024 * 1024, " bytes", diag))
            out.max_recipient_bytes = static_cast<std::size_t>(*v);
    } else {
        return false;
    }
    return true;
}

}  // namespace mv::config
