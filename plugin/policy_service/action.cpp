// SPDX-License-Identifier: Apache-2.0
// action.cpp - the action= values (see action.hpp).
#include "policy_service/action.hpp"

#include "codes/reply_text.hpp"

namespace mv::policy_service {

std::string accept_action(bool ok) {
    return ok ? "OK" : "DUNNO";
}

std::string refusal_action(const codes::Reply& reply) {
    std::string s = std::to_string(reply.basic);
    if (!reply.enhanced.empty()) s += " " + reply.enhanced;
    for (const auto& line : reply.lines) {
        if (line.empty()) continue;
        s += ' ';
        s += line;
    }
    return s;
}

std::string discard_action(std::string_view rule) {
    return "DISCARD milter-verdict rule " + codes::sanitize_value(rule, 64);
}

std::string hold_action(std::string_view reason) {
    return "HOLD " + codes::sanitize_value(reason.empty() ? "milter-verdict" : reason, 256);
}

std::optional<std::string> prepend_action(std::string_view name, std::string_view value) {
    if (name.empty() || name.size() > 64) return std::nullopt;
    for (unsigned char c : name)
        if (c < 33 || c > 126 || c == ':') return std::nullopt;
    if (value.find_first_of(std::string_view("\r\n\0", 3)) != std::string_view::npos)
        return std::nullopt;
    return "PREPEND " + std::string(name) + ": " + std::string(value);
}

std::vector<codes::Problem> check_reply(const codes::Reply& reply, codes::Disposition disposition,
                                        codes::Stage stage, bool allow_unregistered,
                                        bool disconnect) {
    codes::ReplySpec spec;
    spec.basic = reply.basic;
    spec.enhanced = reply.enhanced;
    spec.allow_unregistered = allow_unregistered;
    spec.disconnect = disconnect;
    // The text was checked when the configuration loaded (length, variables);
    // what depends on the stage is the codes.
    return codes::validate_reply(spec, disposition, stage);
}

}  // namespace mv::policy_service
