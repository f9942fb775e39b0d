// SPDX-License-Identifier: Apache-2.0
// client_facts.hpp - the client's name and reverse-DNS status from what the MTA sent.
//
// The MTAs say it differently. Postfix passes the verified name or "unknown"
// as xxfi_connect's hostname and sends {client_name} / {client_resolve} when
// asked. Sendmail passes the name or "[192.0.2.1]" when the address has no
// (verified) name, sends {client_resolve} (OK, FAIL, FORGED, TEMP) when asked
// (smfi_setsymlist, Sendmail 8.14 and later, or confMILTER_MACROS_CONNECT),
// and always has `_`: "name [addr]", "[addr]", or "name [addr] (may be
// forged)". client_facts() gives rules one form: the name, or "unknown", and
// {client_resolve} as sent, else what `_` shows (FORGED, FAIL for an
// unresolved client, OK for a named one; a temporary failure then reads as
// FAIL), else "" (not known).
//
// Thread contract: pure function.
#pragma once

#include <string>
#include <string_view>

namespace mv::milter {

struct ClientFacts {
    std::string name;     // "mail.example.org" or "unknown"
    std::string resolve;  // "OK", "FAIL", "FORGED", "TEMP" or "" (not known)
};

// `hostname`: xxfi_connect's argument (may be null); `resolve`: the
// {client_resolve} macro ("" when not sent); `underscore`: the `_` macro.
ClientFacts client_facts(const char* hostname, std::string_view resolve,
                         std::string_view underscore);

}  // namespace mv::milter
