// SPDX-License-Identifier: Apache-2.0
// reply.cpp - wire form of a Reply.
#include "codes/reply.hpp"

namespace mv::codes {

std::vector<std::string> Reply::wire_lines() const {
    std::vector<std::string> out;
    if (empty()) return out;
    const std::string code = std::to_string(basic);
    const std::string enh = enhanced.empty() ? std::string() : enhanced + " ";
    const std::size_t n = lines.empty() ? 1 : lines.size();
    for (std::size_t i = 0; i < n; ++i) {
        const std::string text = lines.empty() ? std::string() : lines[i];
        out.push_back(code + (i + 1 < n ? "-" : " ") + enh + text);
    }
    return out;
}

std::string Reply::summary() const {
    std::string s;
    for (const auto& l : wire_lines()) {
        if (!s.empty()) s += " / ";
        s += l;
    }
    return s;
}

}  // namespace mv::codes
