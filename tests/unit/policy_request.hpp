// SPDX-License-Identifier: Apache-2.0
// policy_request.hpp - policy protocol requests for the policy service tests.
#pragma once

#include <cppunit/extensions/HelperMacros.h>

#include <string>
#include <utility>
#include <vector>

#include "policy_service/request.hpp"

namespace mv::test {

using Attrs = std::vector<std::pair<std::string, std::string>>;

// The wire form: "name=value\n" per attribute, then the empty line.
inline std::string request_text(const Attrs& attrs) {
    std::string s;
    for (const auto& [k, v] : attrs) s += k + "=" + v + "\n";
    return s + "\n";
}

// A request as Postfix sends it at `state` (RCPT, MAIL, ...), with the
// connection identity of client port `port`; `extra` adds or overrides.
inline Attrs postfix_request(const std::string& state, const std::string& sender,
                             const std::string& rcpt, const std::string& instance,
                             const std::string& port = "40001", const Attrs& extra = {}) {
    Attrs a = {{"request", "smtpd_access_policy"},
               {"protocol_state", state},
               {"protocol_name", "ESMTP"},
               {"client_address", "203.0.113.7"},
               {"client_name", "mx.sender.example"},
               {"reverse_client_name", "mx.sender.example"},
               {"client_port", port},
               {"server_address", "192.0.2.25"},
               {"server_port", "25"},
               {"helo_name", "mx.sender.example"},
               {"sender", sender},
               {"recipient", rcpt},
               {"recipient_count", "0"},
               {"queue_id", ""},
               {"instance", instance},
               {"size", "0"},
               {"sasl_method", ""},
               {"sasl_username", ""},
               {"encryption_protocol", ""}};
    for (const auto& [k, v] : extra) {
        bool replaced = false;
        for (auto& kv : a)
            if (kv.first == k) {
                kv.second = v;
                replaced = true;
            }
        if (!replaced) a.emplace_back(k, v);
    }
    return a;
}

inline policy_service::Request parse_request(const std::string& text) {
    policy_service::RequestReader r;
    r.append(text);
    policy_service::Request out;
    CPPUNIT_ASSERT(r.next(out) == policy_service::RequestReader::Status::Complete);
    return out;
}

inline policy_service::Request parse_request(const Attrs& attrs) {
    return parse_request(request_text(attrs));
}

}  // namespace mv::test
