// SPDX-License-Identifier: Apache-2.0
// regex_set.hpp - many RE2 regexes compiled once into one RE2::Set.
//
// RE2 matches in linear time, so no rule file can hang the daemon. Patterns
// match anywhere in the value (partial match) unless anchored with ^ or $.
// One RE2::Set runs all patterns in a single pass over the value, so the cost
// grows with the value, not with the number of patterns.
//
// Errors: the constructor throws std::invalid_argument "bad regex 'x': why"
// for a pattern RE2 cannot compile, or when the set outgrows RE2's memory
// budget (64 MiB). matches() never throws.
//
// Thread contract: immutable after construction; matches() is thread-safe
// (RE2::Set::Match is const and documented thread-safe).
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace re2 {
class RE2;
}

namespace mv::policy {

class RegexSet {
  public:
    RegexSet(const std::vector<std::string>& patterns, bool case_insensitive);
    ~RegexSet();
    RegexSet(RegexSet&&) noexcept;
    RegexSet& operator=(RegexSet&&) noexcept;

    bool matches(std::string_view value) const;
    bool empty() const { return count_ == 0; }

    // As matches(), but tells a failed search apart: RE2's DFA can run out of
    // its memory budget on a long text (a body) against many patterns, and
    // RE2::Set then reports no match. Callers that match long texts use this
    // and treat OutOfMemory as a temporary error instead of "no match".
    enum class Result { No, Yes, OutOfMemory };
    Result match_checked(std::string_view value) const;

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
    std::size_t count_ = 0;
};

}  // namespace mv::policy
