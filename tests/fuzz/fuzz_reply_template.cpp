// SPDX-License-Identifier: Apache-2.0
// fuzz_reply_template.cpp - reply text templates and the substitution of client values.
//
// Input: TEMPLATE \0 VALUE \0 VALUE ... (eight values: client_addr,
// client_name, helo, sender, rcpt, rule, retry, queue_id). The template is
// checked (codes::check_template) as the loader does; a well-formed one is
// expanded with the values and sent as a reply line through the milter glue's
// send_reply() to a fake libmilter.
//
// Properties (DESIGN.md section 2, reply_text.hpp):
//  * the expansion is never longer than max_expanded_length() (the loader's
//    line-length check relies on it) and is printable ASCII: no CR, LF, NUL;
//  * every value alone is made printable and bounded by sanitize_value();
//  * what reaches libmilter has each '%' doubled, nothing else changed.
#include <cstddef>
#include <cstdint>
#include <string>

#include "../unit/fake_milter_api.hpp"
#include "codes/reply.hpp"
#include "codes/reply_text.hpp"
#include "fuzz_input.hpp"
#include "milter/reply_sender.hpp"

namespace {

bool printable(const std::string& s) {
    for (unsigned char c : s)
        if (c < 0x20 || c > 0x7e) return false;
    return true;
}

// "%%" pairs are libmilter's literal '%'; a lone '%' would be a format sequence.
bool percent_escaped(const std::string& s) {
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] != '%') continue;
        if (i + 1 >= s.size() || s[i + 1] != '%') return false;
        ++i;
    }
    return true;
}

std::string unescape(const std::string& s) {
    std::string out;
    for (std::size_t i = 0; i < s.size(); ++i) {
        out += s[i];
        if (s[i] == '%') ++i;
    }
    return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const auto parts =
        mv::fuzz::split(std::string_view(reinterpret_cast<const char*>(data), size), '\0', 9);
    mv::codes::TextVars vars;
    vars.client_addr = parts[1];
    vars.client_name = parts[2];
    vars.helo = parts[3];
    vars.sender = parts[4];
    vars.rcpt = parts[5];
    vars.rule = parts[6];
    vars.retry = parts[7];
    vars.queue_id = parts[8];

    for (std::size_t i = 1; i < parts.size(); ++i) {
        const std::size_t bound = (size + i) % 300;
        const std::string v = mv::codes::sanitize_value(parts[i], bound);
        MV_FUZZ_CHECK(v.size() <= bound);
        MV_FUZZ_CHECK(printable(v));
    }

    const std::string& tmpl = parts[0];
    if (!mv::codes::check_template(tmpl).empty()) return 0;
    const std::string text = mv::codes::expand_template(tmpl, vars);
    MV_FUZZ_CHECK(text.size() <= mv::codes::max_expanded_length(tmpl));
    MV_FUZZ_CHECK(printable(text));

    mv::milter::test::FakeMilterApi api;
    const mv::codes::Reply reply{550, "5.7.1", {text, text}};
    MV_FUZZ_CHECK(mv::milter::send_reply(api, reply));
    MV_FUZZ_CHECK(api.replies.size() == 1 && api.replies[0].lines.size() == 2);
    for (const std::string& line : api.replies[0].lines) {
        MV_FUZZ_CHECK(percent_escaped(line));
        MV_FUZZ_CHECK(unescape(line) == text);
    }
    return 0;
}
