// SPDX-License-Identifier: Apache-2.0
// reply_sender.cpp - '%' escaping and the one-line / multi-line choice.
#include "milter/reply_sender.hpp"

#include <vector>

namespace mv::milter {

namespace {
// libmilter's limit for smfi_setmlreply (and RFC 5321 has none smaller that
// the validator has not already enforced).
constexpr std::size_t kMaxReplyLines = 32;

bool clean_line(std::string_view line) {
    return line.find_first_of(std::string_view("\r\n\0", 3)) == std::string_view::npos;
}
}  // namespace

std::string escape_percent(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (char c : text) {
        out += c;
        if (c == '%') out += '%';
    }
    return out;
}

bool send_reply(MilterApi& api, const codes::Reply& reply) {
    if (reply.empty() || reply.basic < 400 || reply.basic > 599) return false;
    const std::string rcode = std::to_string(reply.basic);
    // An empty text is legal for libmilter but not for a Reply (validated at
    // load): send one empty line rather than nothing.
    std::vector<std::string> lines;
    if (reply.lines.empty()) lines.emplace_back();
    for (const auto& l : reply.lines) {
        if (!clean_line(l)) return false;
        lines.push_back(escape_percent(l));
    }
    if (lines.size() > kMaxReplyLines) return false;
    if (lines.size() == 1) return api.set_reply(rcode, reply.enhanced, lines.front());
    return api.set_ml_reply(rcode, reply.enhanced, lines);
}

}  // namespace mv::milter
