// SPDX-License-Identifier: Apache-2.0
// encoded_words.hpp - RFC 2047 encoded words in header values, decoded to UTF-8.
//
// decode_encoded_words() replaces every well-formed "=?charset?B|Q?text?="
// of a header value by its text in UTF-8, so that header conditions match what
// a reader sees ("=?UTF-8?B?VmlhZ3Jh?=" is "Viagra"). Charsets decoded:
// UTF-8, US-ASCII, ISO-8859-1 (and its Windows-1252/Latin-1 aliases, mapped
// as ISO-8859-1). An encoded word in another charset, or malformed, is kept
// as written, so nothing is lost. Whitespace between two adjacent encoded
// words is dropped (RFC 2047 section 6.2). An RFC 2231 language suffix
// ("UTF-8*en") is ignored.
//
// Errors: none; bad input is kept raw. Output is at most twice the input.
//
// Thread contract: pure function.
#pragma once

#include <string>
#include <string_view>

namespace mv::policy {

std::string decode_encoded_words(std::string_view value);

}  // namespace mv::policy
