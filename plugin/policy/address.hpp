// SPDX-License-Identifier: Apache-2.0
// address.hpp - normalising envelope addresses and domain names for matching.
//
// Values come raw from the MTA. Postfix passes MAIL/RCPT arguments in <...>
// brackets to milter callbacks; Session receives them stripped by the glue,
// but every function here tolerates the brackets (and RFC 5321 source routes
// "<@a,@b:user@dom>") so a caller that forgets cannot make a list miss.
//
// Domains compare in their lookup form (idn/idn.hpp): case-insensitively, a
// U-label equal to its A-label ("bücher.example" = "xn--bcher-kva.example"),
// a single trailing dot ("example.com.") ignored. An all-ASCII domain is only
// lower-cased. Local parts stay case-sensitive and byte for byte as received
// (RFC 5321 2.4, RFC 6531 3.2): "a@bücher.example" and
// "a@xn--bcher-kva.example" are the same address, "ä@x" and "Ä@x" are not.
//
// Thread contract: pure functions. Errors: none; odd input gives odd but
// bounded output (never throws).
#pragma once

#include <string>
#include <string_view>

namespace mv::policy {

// "<a@b>" -> "a@b", "<>" -> "", "<@r1,@r2:a@b>" -> "a@b"; other values unchanged.
std::string_view strip_address(std::string_view value);
// The part after the last '@' of an (already stripped) address, or "" when
// there is no '@' (a local name such as "MAILER-DAEMON").
std::string_view address_domain(std::string_view address);
// The lookup form: lower-cased, U-labels as A-labels, one trailing dot removed.
std::string normalize_domain(std::string_view domain);
// local part unchanged + "@" + normalize_domain(domain); values without '@'
// are returned unchanged.
std::string normalize_address(std::string_view address);

}  // namespace mv::policy
