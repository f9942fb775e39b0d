// SPDX-License-Identifier: Apache-2.0
// encoded_words.cpp - RFC 2047 section 4 decoding (B and Q) to UTF-8.
#include "policy/encoded_words.hpp"

#include <cctype>
#include <optional>

namespace mv::policy {

namespace {

enum class Charset { Utf8, Latin1, Other };

Charset charset_of(std::string_view name) {
    std::string n;
    for (char c : name) {
        if (c == '*') break;  // RFC 2231 language
        n += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    if (n == "utf-8" || n == "utf8" || n == "us-ascii" || n == "ascii") return Charset::Utf8;
    if (n == "iso-8859-1" || n == "latin1" || n == "iso8859-1" || n == "windows-1252" ||
        n == "cp1252")
        return Charset::Latin1;
    return Charset::Other;
}

int hex(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

std::optional<std::string> decode_q(std::string_view text) {
    std::string out;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (c == '_') {
            out += ' ';
        } else if (c == '=') {
            if (i + 2 >= text.size()) return std::nullopt;
            const int h = hex(text[i + 1]), l = hex(text[i + 2]);
            if (h < 0 || l < 0) return std::nullopt;
            out += static_cast<char>(h * 16 + l);
            i += 2;
        } else {
            out += c;
        }
    }
    return out;
}

int b64(char c) {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
}

std::optional<std::string> decode_b(std::string_view text) {
    std::string out;
    unsigned acc = 0;
    int bits = 0;
    std::size_t i = 0;
    for (; i < text.size() && text[i] != '='; ++i) {
        const int v = b64(text[i]);
        if (v < 0) return std::nullopt;
        acc = (acc << 6) | static_cast<unsigned>(v);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out += static_cast<char>((acc >> bits) & 0xff);
        }
    }
    for (; i < text.size(); ++i)
        if (text[i] != '=') return std::nullopt;  // only padding after '='
    return out;
}

std::string latin1_to_utf8(std::string_view s) {
    std::string out;
    for (unsigned char c : s) {
        if (c < 0x80) {
            out += static_cast<char>(c);
        } else {
            out += static_cast<char>(0xc0 | (c >> 6));
            out += static_cast<char>(0x80 | (c & 0x3f));
        }
    }
    return out;
}

// Decodes the encoded word at the start of `s`; sets `len` to its length.
std::optional<std::string> encoded_word(std::string_view s, std::size_t& len) {
    if (s.size() < 8 || s[0] != '=' || s[1] != '?') return std::nullopt;
    const auto q1 = s.find('?', 2);
    if (q1 == std::string_view::npos || q1 + 2 >= s.size() || s[q1 + 2] != '?') return std::nullopt;
    const auto end = s.find("?=", q1 + 3);
    if (end == std::string_view::npos) return std::nullopt;
    const std::string_view charset = s.substr(2, q1 - 2);
    const char enc = static_cast<char>(std::toupper(static_cast<unsigned char>(s[q1 + 1])));
    const std::string_view text = s.substr(q1 + 3, end - q1 - 3);
    if (charset.empty() || text.find(' ') != std::string_view::npos) return std::nullopt;
    const Charset cs = charset_of(charset);
    if (cs == Charset::Other) return std::nullopt;
    std::optional<std::string> raw;
    if (enc == 'B')
        raw = decode_b(text);
    else if (enc == 'Q')
        raw = decode_q(text);
    if (!raw) return std::nullopt;
    len = end + 2;
    return cs == Charset::Latin1 ? latin1_to_utf8(*raw) : *raw;
}

}  // namespace

std::string decode_encoded_words(std::string_view value) {
    if (value.find("=?") == std::string_view::npos) return std::string(value);
    std::string out;
    out.reserve(value.size());
    std::size_t i = 0;
    bool last_was_word = false;
    std::string pending_space;  // whitespace after an encoded word, dropped if another follows
    while (i < value.size()) {
        std::size_t len = 0;
        if (value[i] == '=') {
            if (auto w = encoded_word(value.substr(i), len)) {
                out += *w;  // pending_space between two words is dropped
                pending_space.clear();
                last_was_word = true;
                i += len;
                continue;
            }
        }
        const char c = value[i];
        if (last_was_word && (c == ' ' || c == '\t' || c == '\r' || c == '\n')) {
            pending_space += c;
            ++i;
            continue;
        }
        out += pending_space;
        pending_space.clear();
        last_was_word = false;
        out += c;
        ++i;
    }
    out += pending_space;
    return out;
}

}  // namespace mv::policy
