// SPDX-License-Identifier: Apache-2.0
// fake_condition.hpp - a Condition with a fixed answer and stage, for tests
// of combinators and of the Session's TempError handling. Counts its calls so
// tests can check evaluation order and short-circuiting.
#pragma once

#include <atomic>
#include <memory>
#include <string>

#include "policy/condition.hpp"

namespace mv::test {

class FakeCondition final : public policy::Condition {
  public:
    FakeCondition(policy::Match answer, codes::Stage stage, std::string text = "fake",
                  std::shared_ptr<std::atomic<int>> calls = nullptr)
        : answer_(answer), stage_(stage), text_(std::move(text)), calls_(std::move(calls)) {}
    policy::Match match(const policy::Transaction&) const override {
        if (calls_) ++*calls_;
        return answer_;
    }
    codes::Stage stage() const override { return stage_; }
    std::string describe() const override { return text_; }

  private:
    policy::Match answer_;
    codes::Stage stage_;
    std::string text_;
    std::shared_ptr<std::atomic<int>> calls_;
};

inline policy::ConditionPtr fake(policy::Match m, codes::Stage s = codes::Stage::Connect,
                                 std::string text = "fake",
                                 std::shared_ptr<std::atomic<int>> calls = nullptr) {
    return std::make_unique<FakeCondition>(m, s, std::move(text), std::move(calls));
}

}  // namespace mv::test
