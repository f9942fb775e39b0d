// SPDX-License-Identifier: Apache-2.0
// json_text.cpp - see json_text.hpp.
#include "observability/json_text.hpp"

namespace mv::observability {

namespace {

// Length of the valid UTF-8 sequence at s[i], or 0 when the byte there does
// not start one (RFC 3629 section 4: no overlong forms, no surrogates, at most
// U+10FFFF).
std::size_t utf8_length(std::string_view s, std::size_t i) {
    const auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[i + k]); };
    const auto cont = [&](std::size_t k) { return i + k < s.size() && (b(k) & 0xC0) == 0x80; };
    const unsigned char c = b(0);
    if (c < 0x80) return 1;
    if (c >= 0xC2 && c <= 0xDF) return cont(1) ? 2 : 0;
    if (c >= 0xE0 && c <= 0xEF) {
        if (!cont(1) || !cont(2)) return 0;
        if (c == 0xE0 && b(1) < 0xA0) return 0;   // overlong
        if (c == 0xED && b(1) >= 0xA0) return 0;  // surrogate
        return 3;
    }
    if (c >= 0xF0 && c <= 0xF4) {
        if (!cont(1) || !cont(2) || !cont(3)) return 0;
        if (c == 0xF0 && b(1) < 0x90) return 0;   // overlong
        if (c == 0xF4 && b(1) >= 0x90) return 0;  // over U+10FFFF
        return 4;
    }
    return 0;
}

void append_escape(std::string& out, unsigned code) {
    static constexpr char kHex[] = "0123456789abcdef";
    out += "\\u";
    for (int shift = 12; shift >= 0; shift -= 4) out += kHex[(code >> shift) & 0xF];
}

}  // namespace

void append_json_string(std::string& out, std::string_view value, std::size_t max) {
    const bool cut = value.size() > max;
    const std::size_t keep = cut ? (max >= 3 ? max - 3 : 0) : value.size();
    out += '"';
    std::size_t i = 0;
    while (i < keep) {
        const unsigned char c = static_cast<unsigned char>(value[i]);
        const std::size_t n = utf8_length(value, i);
        if (n == 0) {
            out += "\\ufffd";
            ++i;
            continue;
        }
        if (i + n > keep) break;  // never split a character at the cut
        if (n > 1) {
            // U+2028 and U+2029 are valid JSON but end lines in JavaScript.
            if (n == 3 && c == 0xE2 && static_cast<unsigned char>(value[i + 1]) == 0x80 &&
                (static_cast<unsigned char>(value[i + 2]) & 0xFE) == 0xA8) {
                append_escape(out, 0x2028 + (static_cast<unsigned char>(value[i + 2]) & 1));
            } else {
                out.append(value.substr(i, n));
            }
            i += n;
            continue;
        }
        switch (c) {
            case '"':
                out += "\\\"";
                break;
            case '\\':
                out += "\\\\";
                break;
            case '\n':
                out += "\\n";
                break;
            case '\r':
                out += "\\r";
                break;
            case '\t':
                out += "\\t";
                break;
            default:
                if (c < 0x20 || c == 0x7F)
                    append_escape(out, c);
                else
                    out += static_cast<char>(c);
        }
        ++i;
    }
    if (cut) out.append(max >= 3 ? 3 : max, '.');
    out += '"';
}

std::string json_string(std::string_view value, std::size_t max) {
    std::string out;
    out.reserve(value.size() < max ? value.size() + 2 : max + 2);
    append_json_string(out, value, max);
    return out;
}

}  // namespace mv::observability
