// SPDX-License-Identifier: Apache-2.0
// reply_text.hpp - reply text templates with variables, and their safe expansion.
//
// Reply text may reference ${client_addr}, ${client_name}, ${helo}, ${sender},
// ${sender_domain} (the sender's part after its last '@'; "" for <>),
// ${rcpt}, ${rule}, ${retry}, ${queue_id}, and the DNS evidence of the rule
// that decided: ${dns_zones} (the zones that listed the client, by the names
// they are shown as), ${dns_score} (the list's score), ${dns_txt} (the TXT
// record of the first hit, a value from the network like any other). Each
// variable has a maximum length; expansion makes values printable (bytes
// outside 0x20-0x7e become '?'), cuts them at their maximum with "..."
// (bounded by design, documented), and can never introduce CR, LF or NUL.
// '%' is kept literally here; escaping it for libmilter ("%%") is the milter
// glue's job at smfi_setreply time.
//
// Load-time: check_template() reports unknown variables and unterminated "${";
// max_expanded_length() gives the worst-case length used by validate_reply().
//
// Thread contract: pure functions; thread-safe.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace mv::codes {

struct TextVars {
    std::string_view client_addr, client_name, helo, sender, rcpt, rule, retry, queue_id;
    std::string_view dns_zones, dns_score, dns_txt;
};

// Empty string if `tmpl` is well-formed, else a one-line error message.
std::string check_template(std::string_view tmpl);
// Empty if the literal text of `tmpl` is printable ASCII (0x20-0x7e, what
// RFC 5321 section 2.4 allows in a reply and what expansion keeps), else
// "byte 0xC3 at column 4" for the first other byte (columns count bytes from 1).
// expand_template() would send such a byte as '?': a configuration error.
std::string first_non_ascii(std::string_view tmpl);
// Worst-case length of the expansion of a well-formed template.
std::size_t max_expanded_length(std::string_view tmpl);
// Expand a well-formed template; the result is printable ASCII without CR/LF/NUL.
std::string expand_template(std::string_view tmpl, const TextVars& vars);
// Make a value printable and bounded: used for variables and for log fields.
std::string sanitize_value(std::string_view value, std::size_t max_len);

}  // namespace mv::codes
