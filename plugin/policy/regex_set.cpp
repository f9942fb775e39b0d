// SPDX-License-Identifier: Apache-2.0
// regex_set.cpp - see regex_set.hpp.
#include "policy/regex_set.hpp"

#include <re2/re2.h>
#include <re2/set.h>

#include <stdexcept>

namespace mv::policy {

namespace {
constexpr std::int64_t kMaxMem = 64 << 20;
}

struct RegexSet::Impl {
    explicit Impl(const RE2::Options& o) : set(o, RE2::UNANCHORED) {}
    RE2::Set set;
};

RegexSet::RegexSet(const std::vector<std::string>& patterns, bool case_insensitive) {
    if (patterns.empty()) return;
    RE2::Options o;
    o.set_case_sensitive(!case_insensitive);
    o.set_log_errors(false);
    o.set_max_mem(kMaxMem);
    impl_ = std::make_unique<Impl>(o);
    for (const auto& p : patterns) {
        std::string error;
        if (impl_->set.Add(p, &error) < 0)
            throw std::invalid_argument("bad regex '" + p + "': " + error);
    }
    if (!impl_->set.Compile())
        throw std::invalid_argument("bad regex list: the " + std::to_string(patterns.size()) +
                                    " patterns exceed the regex memory budget");
    count_ = patterns.size();
}

RegexSet::~RegexSet() = default;
RegexSet::RegexSet(RegexSet&&) noexcept = default;
RegexSet& RegexSet::operator=(RegexSet&&) noexcept = default;

RegexSet::Result RegexSet::match_checked(std::string_view value) const {
    if (!impl_) return Result::No;
    RE2::Set::ErrorInfo info{};
    if (impl_->set.Match(re2::StringPiece(value.data(), value.size()), nullptr, &info))
        return Result::Yes;
    return info.kind == RE2::Set::kOutOfMemory ? Result::OutOfMemory : Result::No;
}

bool RegexSet::matches(std::string_view value) const {
    if (!impl_) return false;
    return impl_->set.Match(re2::StringPiece(value.data(), value.size()), nullptr);
}

}  // namespace mv::policy
