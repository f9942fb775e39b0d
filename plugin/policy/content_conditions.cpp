// SPDX-License-Identifier: Apache-2.0
// content_conditions.cpp - header, body, size and recipient-count conditions.
//
// Header values are unfolded and (unless raw) RFC 2047-decoded on each match;
// the body is matched as Session kept it (line ends already normalised to LF,
// at most Settings::body_limit bytes). Sizes compare plain integers.
#include <strings.h>

#include <stdexcept>

#include "policy/conditions.hpp"
#include "policy/encoded_words.hpp"
#include "policy/regex_set.hpp"
#include "policy/string_matcher.hpp"

namespace mv::policy {

namespace {

using codes::Stage;

bool same_name(std::string_view a, std::string_view b) {
    return a.size() == b.size() && ::strncasecmp(a.data(), b.data(), a.size()) == 0;
}

std::string unfold(std::string_view v) {
    std::string out;
    out.reserve(v.size());
    for (char c : v)
        if (c != '\r' && c != '\n') out += c;
    return out;
}

std::string bounds_text(const Bounds& b) {
    std::string s;
    if (b.over) s += "over " + std::to_string(*b.over);
    if (b.under) s += std::string(s.empty() ? "" : " and ") + "under " + std::to_string(*b.under);
    return s;
}

bool within(const Bounds& b, std::uint64_t v) {
    return (!b.over || v > *b.over) && (!b.under || v < *b.under);
}

void check_bounds(const Bounds& b, const char* what) {
    if (!b.over && !b.under)
        throw std::invalid_argument(std::string(what) + " needs over or under");
    if (b.over && b.under && *b.under <= *b.over + 1)
        throw std::invalid_argument(std::string(what) + ": no value is over " +
                                    std::to_string(*b.over) + " and under " +
                                    std::to_string(*b.under));
}

class HeaderCondition final : public Condition {
  public:
    HeaderCondition(std::string name, const StringMatch& m, bool raw)
        : name_(std::move(name)), matcher_(m, ValueKind::Plain), raw_(raw) {
        if (name_.empty()) throw std::invalid_argument("header condition without a header name");
    }
    bool pure() const override { return true; }
    Match match(const Transaction& t) const override {
        for (const auto& [name, value] : t.headers) {
            if (!same_name(name, name_)) continue;
            const std::string v = unfold(value);
            if (matcher_.matches(raw_ ? v : decode_encoded_words(v))) return Match::Yes;
        }
        return Match::No;
    }
    Stage stage() const override { return Stage::EndOfData; }
    bool ruled_out(const Transaction& t, Stage now) const override {
        return t.no_content || Condition::ruled_out(t, now);
    }
    std::string describe() const override {
        return "header " + name_ + (raw_ ? " (raw) " : " ") + matcher_.describe();
    }
    unsigned content_needed() const override { return kNeedsHeaders; }

  private:
    std::string name_;
    StringMatcher matcher_;
    bool raw_;
};

class HeaderPresentCondition final : public Condition {
  public:
    HeaderPresentCondition(std::string name, bool expected)
        : name_(std::move(name)), expected_(expected) {
        if (name_.empty()) throw std::invalid_argument("header condition without a header name");
    }
    bool pure() const override { return true; }
    Match match(const Transaction& t) const override {
        bool found = false;
        for (const auto& h : t.headers)
            if (same_name(h.first, name_)) found = true;
        return found == expected_ ? Match::Yes : Match::No;
    }
    Stage stage() const override { return Stage::EndOfData; }
    // Without content, "present" never holds ("absent" always would).
    bool ruled_out(const Transaction& t, Stage now) const override {
        return (t.no_content && expected_) || Condition::ruled_out(t, now);
    }
    std::string describe() const override {
        return "header " + name_ + (expected_ ? " present" : " absent");
    }
    unsigned content_needed() const override { return kNeedsHeaders; }

  private:
    std::string name_;
    bool expected_;
};

class BodyCondition final : public Condition {
  public:
    BodyCondition(const std::vector<std::string>& regexes, bool icase) : set_(regexes, icase) {
        if (regexes.empty()) throw std::invalid_argument("body condition without a regex");
        shown_ = "/" + regexes.front() + "/";
        if (regexes.size() > 1) shown_ += " and " + std::to_string(regexes.size() - 1) + " more";
    }
    bool pure() const override { return true; }
    Match match(const Transaction& t) const override {
        switch (set_.match_checked(t.body)) {
            case RegexSet::Result::Yes:
                return Match::Yes;
            case RegexSet::Result::No:
                return Match::No;
            case RegexSet::Result::OutOfMemory:
                break;
        }
        return Match::TempError;  // undecided, never a silent "no match": on_error answers
    }
    Stage stage() const override { return Stage::EndOfData; }
    bool ruled_out(const Transaction& t, Stage now) const override {
        return t.no_content || Condition::ruled_out(t, now);
    }
    std::string describe() const override { return "body regex " + shown_; }
    unsigned content_needed() const override { return kNeedsBody; }

  private:
    RegexSet set_;
    std::string shown_;
};

class SizeCondition final : public Condition {
  public:
    SizeCondition(SizeOf which, Bounds b) : which_(which), bounds_(b) {
        check_bounds(b, which == SizeOf::Declared ? "declared_size" : "size");
    }
    bool pure() const override { return true; }
    Match match(const Transaction& t) const override {
        if (which_ == SizeOf::Declared)
            return t.declared_size > 0 && within(bounds_, t.declared_size) ? Match::Yes : Match::No;
        return within(bounds_, t.size) ? Match::Yes : Match::No;
    }
    Stage stage() const override {
        return which_ == SizeOf::Declared ? Stage::Mail : Stage::EndOfData;
    }
    std::string describe() const override {
        return std::string(which_ == SizeOf::Declared ? "declared size " : "size ") +
               bounds_text(bounds_);
    }
    // The real size counts headers and body, so the milter needs both
    // (Policy::derived() adds them for kNeedsSize).
    unsigned content_needed() const override { return which_ == SizeOf::Message ? kNeedsSize : 0; }

  private:
    SizeOf which_;
    Bounds bounds_;
};

class RcptCountCondition final : public Condition {
  public:
    explicit RcptCountCondition(Bounds b) : bounds_(b) { check_bounds(b, "rcpt_count"); }
    bool pure() const override { return true; }
    Match match(const Transaction& t) const override {
        return within(bounds_, t.recipient_count()) ? Match::Yes : Match::No;
    }
    Stage stage() const override { return Stage::Rcpt; }
    std::string describe() const override { return "recipient count " + bounds_text(bounds_); }

  private:
    Bounds bounds_;
};

}  // namespace

ConditionPtr make_header_condition(std::string name, StringMatch value, bool raw) {
    return std::make_unique<HeaderCondition>(std::move(name), value, raw);
}

ConditionPtr make_header_present_condition(std::string name, bool expected) {
    return std::make_unique<HeaderPresentCondition>(std::move(name), expected);
}

ConditionPtr make_body_condition(const std::vector<std::string>& regexes, bool icase) {
    return std::make_unique<BodyCondition>(regexes, icase);
}

ConditionPtr make_size_condition(SizeOf which, Bounds bounds) {
    return std::make_unique<SizeCondition>(which, bounds);
}

ConditionPtr make_rcpt_count_condition(Bounds bounds) {
    return std::make_unique<RcptCountCondition>(bounds);
}

}  // namespace mv::policy
