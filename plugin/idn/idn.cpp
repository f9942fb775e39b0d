// SPDX-License-Identifier: Apache-2.0
// idn.cpp - see idn.hpp. The only file that includes libidn2.
#include "idn/idn.hpp"

#include <idn2.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

namespace mv::idn {

namespace {

struct Idn2Free {
    void operator()(std::uint8_t* p) const noexcept { idn2_free(p); }
};

char lower(char c) noexcept {
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

void append_lower(std::string& out, std::string_view s) {
    for (char c : s) out += lower(c);
}

bool starts_with_ace_prefix(std::string_view label) noexcept {
    return label.size() >= 4 && lower(label[0]) == 'x' && lower(label[1]) == 'n' &&
           label[2] == '-' && label[3] == '-';
}

// What a converted label may contain: LDH, '_' (ASCII labels allow it, so a
// mapping to it is no surprise) and '.' (UTS #46 maps U+3002 and its kin to a
// label separator).
bool domain_chars(std::string_view s) noexcept {
    for (char c : s) {
        const bool ok =
            (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.';
        if (!ok) return false;
    }
    return true;
}

// One label through UTS #46 non-transitional processing and IDNA2008 to its
// lookup form; IDN2_OK and `out` set, or libidn2's error code.
int to_ascii(std::string_view label, std::string& out) {
    if (label.find('\0') != std::string_view::npos) return IDN2_ENCODING_ERROR;
    const std::string in(label);  // libidn2 wants a NUL-terminated string
    std::uint8_t* raw = nullptr;
    const int rc = idn2_lookup_u8(reinterpret_cast<const std::uint8_t*>(in.c_str()), &raw,
                                  IDN2_NONTRANSITIONAL);
    const std::unique_ptr<std::uint8_t, Idn2Free> owned(raw);
    if (rc != IDN2_OK) return rc;
    out.clear();
    append_lower(out, reinterpret_cast<const char*>(raw));
    return IDN2_OK;
}

// Calls f(label) for every label between dots (an empty domain has one empty
// label).
template <typename F>
void each_label(std::string_view d, F f) {
    std::size_t start = 0;
    while (true) {
        const std::size_t dot = d.find('.', start);
        if (dot == std::string_view::npos) {
            f(d.substr(start));
            return;
        }
        f(d.substr(start, dot - start));
        start = dot + 1;
    }
}

bool has_empty_label(std::string_view d) noexcept {
    return d.empty() || d.front() == '.' || d.back() == '.' ||
           d.find("..") != std::string_view::npos;
}

// The length of the well-formed UTF-8 sequence at s[i], or 0.
std::size_t utf8_sequence(std::string_view s, std::size_t i) noexcept {
    const auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
    const unsigned char c = b(i);
    if (c < 0x80) return 1;
    std::size_t n = 0;
    std::uint32_t cp = 0;
    if (c >= 0xc2 && c <= 0xdf) {
        n = 2;
        cp = c & 0x1f;
    } else if (c >= 0xe0 && c <= 0xef) {
        n = 3;
        cp = c & 0x0f;
    } else if (c >= 0xf0 && c <= 0xf4) {
        n = 4;
        cp = c & 0x07;
    } else {
        return 0;  // a continuation byte, an overlong lead (c0, c1) or beyond f4
    }
    if (i + n > s.size()) return 0;
    for (std::size_t k = 1; k < n; ++k) {
        if ((b(i + k) & 0xc0) != 0x80) return 0;
        cp = (cp << 6) | (b(i + k) & 0x3f);
    }
    if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) || cp > 0x10ffff ||
        (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return n;
}

// Bounds of the slow path (mail). A domain's lookup form is at most 255
// octets (check_domain() refuses longer entries), so once the labels
// converted from the right are longer than that, the labels to their left
// can change no match (neither an exact one nor a suffix): they are kept as
// received and libidn2 is not called for them. A U-label is at most 63
// code points of 4 bytes; a longer one is not converted (it could be valid
// only by padding with code points UTS #46 ignores). So one domain costs at
// most about 32 libidn2 calls (the shortest non-ASCII A-label with its dot
// is 8 octets), each on at most 255 bytes, whatever the client sends.
constexpr std::size_t kMaxLookup = 255;
constexpr std::size_t kMaxULabelBytes = 63 * 4;

std::string convert_labels(std::string_view d) {
    std::vector<std::string> parts;  // right to left
    std::size_t converted_size = 0;
    std::size_t end = d.size();
    std::string a_label;
    while (true) {
        const std::size_t dot = end == 0 ? std::string_view::npos : d.rfind('.', end - 1);
        const std::size_t begin = dot == std::string_view::npos ? 0 : dot + 1;
        const std::string_view label = d.substr(begin, end - begin);
        if (converted_size > kMaxLookup) {
            parts.emplace_back(d.substr(0, end));  // the rest, as received
            break;
        }
        std::string part;
        if (is_ascii(label)) {
            append_lower(part, label);
        } else if (label.size() <= kMaxULabelBytes && to_ascii(label, a_label) == IDN2_OK &&
                   !a_label.empty() && domain_chars(a_label)) {
            part = a_label;
        } else {
            part.assign(label);  // not IDNA: kept, so it matches no entry
        }
        converted_size += part.size() + 1;
        parts.push_back(std::move(part));
        if (dot == std::string_view::npos) break;
        end = dot;
    }
    std::string out;
    out.reserve(converted_size + d.size());
    for (auto it = parts.rbegin(); it != parts.rend(); ++it) {
        if (it != parts.rbegin()) out += '.';
        out += *it;
    }
    return out;
}

// The slow path's answers, memoised: libidn2 takes 3 to 9 microseconds a
// call (NFC, the UTS #46 tables, Punycode and the IDNA2008 checks), and a
// transaction converts the same domain once per condition that looks at it;
// a repeat costs a hash and a compare. Per thread, so no lock: the memo
// holds no connection state (any thread may compute any entry, and every
// entry is what convert_labels() returns), which is why a thread_local is
// right here. Bounded: 64 slots, domains over 512 bytes are not kept.
struct MemoSlot {
    std::string domain;
    std::string lookup;
    bool used = false;
};
constexpr std::size_t kMemoSlots = 64;
constexpr std::size_t kMemoMaxDomain = 512;

std::string convert_memoised(std::string_view d) {
    if (d.size() > kMemoMaxDomain) return convert_labels(d);
    thread_local MemoSlot memo[kMemoSlots];
    MemoSlot& slot = memo[std::hash<std::string_view>{}(d) % kMemoSlots];
    if (!slot.used || slot.domain != d) {
        slot.lookup = convert_labels(d);
        slot.domain.assign(d);
        slot.used = true;
    }
    return slot.lookup;
}

std::string quoted(std::string_view label) {
    return "'" + printable(label) + "'";
}

}  // namespace

bool is_ascii(std::string_view s) noexcept {
    for (char c : s)
        if (static_cast<unsigned char>(c) >= 0x80) return false;
    return true;
}

bool valid_utf8(std::string_view s) noexcept {
    for (std::size_t i = 0; i < s.size();) {
        const std::size_t n = utf8_sequence(s, i);
        if (n == 0) return false;
        i += n;
    }
    return true;
}

bool has_idn_label(std::string_view domain) noexcept {
    if (!is_ascii(domain)) return true;
    bool found = false;
    each_label(domain, [&](std::string_view l) { found = found || starts_with_ace_prefix(l); });
    return found;
}

std::string lookup_form(std::string_view d) {
    // The fast path, all but SMTPUTF8 mail: lower-case in place while looking
    // for a non-ASCII byte (as cheap as the copy it was before IDN support).
    // Branch-free, so the compiler vectorises it.
    std::string out(d);
    unsigned char seen = 0;
    for (char& c : out) {
        const auto u = static_cast<unsigned char>(c);
        seen |= u;
        c = static_cast<char>(static_cast<unsigned>(u - 'A') < 26u ? u + ('a' - 'A') : u);
    }
    if (seen & 0x80) out = convert_memoised(d);
    if (!out.empty() && out.back() == '.') out.pop_back();
    return out;
}

CheckedDomain check_domain(std::string_view d) {
    CheckedDomain c;
    const auto fail = [&](std::string why) {
        c.lookup.clear();
        c.error = std::move(why);
        return c;
    };
    if (!d.empty() && d.back() == '.') d.remove_suffix(1);
    if (d.empty()) return fail("empty");
    for (unsigned char ch : d)
        if (ch <= 0x20 || ch == 0x7f || ch == '@')
            return fail("contains a space, '@' or a control character");
    if (!valid_utf8(d)) return fail("not valid UTF-8");
    if (has_empty_label(d)) return fail("empty label");
    std::string error;
    std::string converted;
    c.lookup.reserve(d.size());
    bool first = true;
    each_label(d, [&](std::string_view label) {
        if (!error.empty()) return;
        if (!first) c.lookup += '.';
        first = false;
        if (is_ascii(label)) {
            if (starts_with_ace_prefix(label)) {
                const int rc = to_ascii(label, converted);
                if (rc != IDN2_OK) {
                    error =
                        "label " + quoted(label) + " is not a valid A-label: " + idn2_strerror(rc);
                    return;
                }
            }
            append_lower(c.lookup, label);
            return;
        }
        const int rc = to_ascii(label, converted);
        if (rc != IDN2_OK) {
            error = "label " + quoted(label) + " is not valid IDNA: " + idn2_strerror(rc);
            return;
        }
        if (converted.empty() || !domain_chars(converted) || has_empty_label(converted)) {
            error = "label " + quoted(label) + " becomes '" + printable(converted) +
                    "', which is not a domain label";
            return;
        }
        c.lookup += converted;
    });
    if (!error.empty()) return fail(std::move(error));
    if (c.lookup.size() > 255) return fail("longer than 255 characters");
    return c;
}

std::string printable(std::string_view s) {
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out;
    out.reserve(s.size());
    for (std::size_t i = 0; i < s.size();) {
        const unsigned char c = static_cast<unsigned char>(s[i]);
        if (c >= 0x20 && c < 0x7f) {
            out += static_cast<char>(c);
            ++i;
            continue;
        }
        const std::size_t n = c >= 0x80 ? utf8_sequence(s, i) : 0;
        if (n > 0) {
            out.append(s.substr(i, n));
            i += n;
            continue;
        }
        out += "\\x";
        out += kHex[c >> 4];
        out += kHex[c & 0xf];
        ++i;
    }
    return out;
}

}  // namespace mv::idn
