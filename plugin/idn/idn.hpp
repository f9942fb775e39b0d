// SPDX-License-Identifier: Apache-2.0
// idn.hpp - internationalised domain names: one form to compare, and the check
// of a domain written in the configuration.
//
// A domain reaches the engine in either form: A-labels ("xn--bcher-kva.example")
// in ordinary SMTP, U-labels ("bücher.example", raw UTF-8) in SMTPUTF8 mail
// (RFC 6531), which Postfix passes to the milter exactly as the client sent it.
// Every comparison uses the lookup form: lower-case ASCII, each U-label
// replaced by its A-label as UTS #46 non-transitional processing gives it
// (libidn2; Postfix converts the same way for its own DNS lookups, see
// postconf(5) enable_idna2003_compatibility = no), one trailing dot dropped.
// So "bücher.example", "BÜCHER.example", "XN--BCHER-KVA.example." all become
// "xn--bcher-kva.example", and "straße.de" is "xn--strae-oqa.de" (not
// "strasse.de": that is transitional processing).
//
// Labels are converted one by one, so one odd label cannot hide the rest of
// a domain from a subdomain list: in mail, a label that is not valid IDNA
// (bad UTF-8, a disallowed code point, a mapping to a character that is no
// domain character) is kept exactly as received. It keeps a byte >= 0x80 and
// can therefore never equal a checked entry, which is all ASCII.
//
// Cost: a domain that is all ASCII (nearly all mail) is only lower-cased, as
// before IDN support; libidn2 runs only for labels with a byte >= 0x80.
// libidn2 takes microseconds a call, so for mail it is bounded and memoised:
// labels are converted from the right, and once the converted part is longer
// than 255 octets (longer than any entry) the labels to its left are kept as
// received, unconverted; a label over 252 bytes is not converted; results
// are memoised per thread (64 domains), because a transaction looks at the
// same domain once per condition. ASCII labels from mail are not validated
// ("xn--zz" simply matches nothing: the configuration cannot contain it).
// check_domain() runs libidn2 for every non-ASCII or "xn--" label: a few
// microseconds an entry at load time.
//
// check_domain() is for the configuration: it accepts either form and mixed
// case, and refuses only what cannot be a domain: empty, a space, '@' or a
// control character, bad UTF-8, an empty label, an "xn--" label that is not
// a valid A-label, a U-label that is not valid IDNA, more than 255 characters
// in the lookup form. ASCII labels that do not start with "xn--" are not
// checked further ("_dmarc", "a--b" stay accepted, as before).
//
// Thread contract: pure functions, thread-safe (libidn2 keeps no state; the
// memo is thread_local and changes no result).
// Errors: lookup_form() never fails; check_domain() reports in `error`
// (a message that names the offending label through printable()).
#pragma once

#include <string>
#include <string_view>

namespace mv::idn {

// True when every byte is < 0x80.
bool is_ascii(std::string_view s) noexcept;
// True when `s` is well-formed UTF-8 (no overlong forms, surrogates or code
// points above U+10FFFF).
bool valid_utf8(std::string_view s) noexcept;
// True when the domain claims to be internationalised: a byte >= 0x80 or a
// label that starts with "xn--" (any case).
bool has_idn_label(std::string_view domain) noexcept;

// The lookup form of a domain from mail (see above). Never fails.
std::string lookup_form(std::string_view domain);

struct CheckedDomain {
    std::string lookup;  // the lookup form, when error is empty
    std::string error;   // "" when the domain is valid, else what is wrong
    bool ok() const { return error.empty(); }
};
// Checks a domain written in the configuration or a list file.
CheckedDomain check_domain(std::string_view domain);

// `s` for a message: printable ASCII and well-formed UTF-8 as they are, any
// other byte as \xNN.
std::string printable(std::string_view s);

}  // namespace mv::idn
