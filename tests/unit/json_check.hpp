// SPDX-License-Identifier: Apache-2.0
// json_check.hpp - a strict JSON reader for the log tests (RFC 8259).
//
// parse_json(text) parses one JSON value covering the whole text and returns
// it, or nullopt on any deviation: control characters in strings, bad
// escapes, lone surrogates in \u escapes, invalid UTF-8, trailing data.
// Values are kept simply: objects as maps, strings decoded to UTF-8, numbers
// as their text. Test code only.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mv::test {

struct Json {
    enum class Kind { Null, Bool, Number, String, Array, Object } kind = Kind::Null;
    bool boolean = false;
    std::string text;  // String: decoded; Number: as written
    std::vector<Json> items;
    std::map<std::string, Json> members;

    bool has(const std::string& k) const { return members.count(k) != 0; }
    const Json& at(const std::string& k) const { return members.at(k); }
};

namespace detail {

class JsonReader {
  public:
    explicit JsonReader(std::string_view s) : s_(s) {}

    std::optional<Json> document() {
        auto v = value();
        ws();
        if (!v || i_ != s_.size()) return std::nullopt;
        return v;
    }

  private:
    void ws() {
        while (i_ < s_.size() &&
               (s_[i_] == ' ' || s_[i_] == '\t' || s_[i_] == '\n' || s_[i_] == '\r'))
            ++i_;
    }
    bool lit(std::string_view w) {
        if (s_.substr(i_, w.size()) != w) return false;
        i_ += w.size();
        return true;
    }
    static void put_utf8(std::string& out, unsigned cp) {
        if (cp < 0x80) {
            out += static_cast<char>(cp);
        } else if (cp < 0x800) {
            out += static_cast<char>(0xC0 | (cp >> 6));
            out += static_cast<char>(0x80 | (cp & 0x3F));
        } else if (cp < 0x10000) {
            out += static_cast<char>(0xE0 | (cp >> 12));
            out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
            out += static_cast<char>(0x80 | (cp & 0x3F));
        } else {
            out += static_cast<char>(0xF0 | (cp >> 18));
            out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
            out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
            out += static_cast<char>(0x80 | (cp & 0x3F));
        }
    }
    bool hex4(unsigned& v) {
        if (i_ + 4 > s_.size()) return false;
        v = 0;
        for (int k = 0; k < 4; ++k) {
            const char c = s_[i_++];
            v <<= 4;
            if (c >= '0' && c <= '9')
                v |= static_cast<unsigned>(c - '0');
            else if (c >= 'a' && c <= 'f')
                v |= static_cast<unsigned>(c - 'a' + 10);
            else if (c >= 'A' && c <= 'F')
                v |= static_cast<unsigned>(c - 'A' + 10);
            else
                return false;
        }
        return true;
    }
    // One UTF-8 character of the raw text (validated), appended to out.
    bool utf8(std::string& out) {
        const auto b = [&](std::size_t k) { return static_cast<unsigned char>(s_[i_ + k]); };
        const unsigned char c = b(0);
        std::size_t n = c < 0x80                 ? 1
                        : c >= 0xC2 && c <= 0xDF ? 2
                        : c >= 0xE0 && c <= 0xEF ? 3
                        : c >= 0xF0 && c <= 0xF4 ? 4
                                                 : 0;
        if (n == 0 || i_ + n > s_.size()) return false;
        for (std::size_t k = 1; k < n; ++k)
            if ((b(k) & 0xC0) != 0x80) return false;
        if (n == 3 && c == 0xE0 && b(1) < 0xA0) return false;
        if (n == 3 && c == 0xED && b(1) >= 0xA0) return false;
        if (n == 4 && c == 0xF0 && b(1) < 0x90) return false;
        if (n == 4 && c == 0xF4 && b(1) >= 0x90) return false;
        out.append(s_.substr(i_, n));
        i_ += n;
        return true;
    }
    std::optional<std::string> string() {
        if (i_ >= s_.size() || s_[i_] != '"') return std::nullopt;
        ++i_;
        std::string out;
        while (i_ < s_.size()) {
            const unsigned char c = static_cast<unsigned char>(s_[i_]);
            if (c == '"') {
                ++i_;
                return out;
            }
            if (c < 0x20) return std::nullopt;
            if (c != '\\') {
                if (!utf8(out)) return std::nullopt;
                continue;
            }
            if (++i_ >= s_.size()) return std::nullopt;
            const char e = s_[i_++];
            switch (e) {
                case '"':
                    out += '"';
                    break;
                case '\\':
                    out += '\\';
                    break;
                case '/':
                    out += '/';
                    break;
                case 'b':
                    out += '\b';
                    break;
                case 'f':
                    out += '\f';
                    break;
                case 'n':
                    out += '\n';
                    break;
                case 'r':
                    out += '\r';
                    break;
                case 't':
                    out += '\t';
                    break;
                case 'u': {
                    unsigned cp = 0;
                    if (!hex4(cp)) return std::nullopt;
                    if (cp >= 0xDC00 && cp <= 0xDFFF) return std::nullopt;
                    if (cp >= 0xD800 && cp <= 0xDBFF) {
                        unsigned lo = 0;
                        if (!lit("\\u") || !hex4(lo) || lo < 0xDC00 || lo > 0xDFFF)
                            return std::nullopt;
                        cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                    }
                    put_utf8(out, cp);
                    break;
                }
                default:
                    return std::nullopt;
            }
        }
        return std::nullopt;
    }
    std::optional<Json> value() {
        ws();
        if (i_ >= s_.size()) return std::nullopt;
        Json j;
        const char c = s_[i_];
        if (c == '{') {
            ++i_;
            j.kind = Json::Kind::Object;
            ws();
            if (i_ < s_.size() && s_[i_] == '}') {
                ++i_;
                return j;
            }
            while (true) {
                ws();
                auto k = string();
                ws();
                if (!k || !lit(":")) return std::nullopt;
                auto v = value();
                if (!v || j.members.count(*k)) return std::nullopt;  // duplicate keys refused
                j.members.emplace(*k, std::move(*v));
                ws();
                if (lit("}")) return j;
                if (!lit(",")) return std::nullopt;
            }
        }
        if (c == '[') {
            ++i_;
            j.kind = Json::Kind::Array;
            ws();
            if (lit("]")) return j;
            while (true) {
                auto v = value();
                if (!v) return std::nullopt;
                j.items.push_back(std::move(*v));
                ws();
                if (lit("]")) return j;
                if (!lit(",")) return std::nullopt;
            }
        }
        if (c == '"') {
            auto s = string();
            if (!s) return std::nullopt;
            j.kind = Json::Kind::String;
            j.text = std::move(*s);
            return j;
        }
        if (lit("true")) {
            j.kind = Json::Kind::Bool;
            j.boolean = true;
            return j;
        }
        if (lit("false")) {
            j.kind = Json::Kind::Bool;
            return j;
        }
        if (lit("null")) return j;
        const std::size_t start = i_;
        if (i_ < s_.size() && s_[i_] == '-') ++i_;
        if (i_ >= s_.size() || s_[i_] < '0' || s_[i_] > '9') return std::nullopt;
        if (s_[i_] == '0')
            ++i_;
        else
            while (i_ < s_.size() && s_[i_] >= '0' && s_[i_] <= '9') ++i_;
        if (i_ < s_.size() && s_[i_] == '.') {
            ++i_;
            if (i_ >= s_.size() || s_[i_] < '0' || s_[i_] > '9') return std::nullopt;
            while (i_ < s_.size() && s_[i_] >= '0' && s_[i_] <= '9') ++i_;
        }
        j.kind = Json::Kind::Number;
        j.text = std::string(s_.substr(start, i_ - start));
        return j;
    }

    std::string_view s_;
    std::size_t i_ = 0;
};

}  // namespace detail

inline std::optional<Json> parse_json(std::string_view text) {
    return detail::JsonReader(text).document();
}

}  // namespace mv::test
