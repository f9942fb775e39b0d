// SPDX-License-Identifier: Apache-2.0
// fuzz_encoded_words.cpp - RFC 2047 decoding of header values (policy/encoded_words.hpp).
//
// Input: one header value, any bytes.
// Properties: the decoded value is at most twice as long as the input (the
// bound encoded_words.hpp documents, which keeps a header's copy bounded);
// decoding plain text (no "=?") gives it back unchanged.
#include <cstddef>
#include <cstdint>
#include <string>

#include "fuzz_input.hpp"
#include "policy/encoded_words.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view in(reinterpret_cast<const char*>(data), size);
    const std::string out = mv::policy::decode_encoded_words(in);
    MV_FUZZ_CHECK(out.size() <= 2 * in.size());
    if (in.find("=?") == std::string_view::npos) MV_FUZZ_CHECK(out == in);
    return 0;
}
