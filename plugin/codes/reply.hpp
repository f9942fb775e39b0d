// SPDX-License-Identifier: Apache-2.0
// reply.hpp - a concrete SMTP reply as the daemon sends it.
//
// A Reply holds the basic code, the enhanced status code and the text lines,
// already expanded and sanitised (see reply_text.hpp). wire_lines() gives the
// exact lines a client sees ("550-5.7.1 first", "550 5.7.1 last").
//
// Thread contract: value type.
#pragma once

#include <string>
#include <vector>

namespace mv::codes {

struct Reply {
    int basic = 0;                   // e.g. 550; 0 = no reply (MTA default)
    std::string enhanced;            // e.g. "5.7.1"; may be empty
    std::vector<std::string> lines;  // at least one line when basic != 0

    bool empty() const { return basic == 0; }
    // The exact reply lines on the wire, without CRLF.
    std::vector<std::string> wire_lines() const;
    // wire_lines() joined with " / " for one-line logs.
    std::string summary() const;
};

}  // namespace mv::codes
