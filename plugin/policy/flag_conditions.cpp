// SPDX-License-Identifier: Apache-2.0
// flag_conditions.cpp - yes/no facts: SASL authentication, TLS, macro presence.
//
// authenticated: Transaction::auth_login non-empty ({auth_authen}, MAIL stage).
// tls: Transaction::tls_version non-empty ({tls_version}). Postfix sends TLS
// macros from HELO on, but Transaction keeps them with the message, so the
// condition runs at MAIL, where both Postfix and Sendmail have them.
// macro present: the macro's value is non-empty, at the stage the loader gives.
#include "policy/conditions.hpp"

namespace mv::policy {

namespace {

class FlagCondition final : public Condition {
  public:
    using Getter = const std::string& (*)(const Transaction&, const std::string&);
    FlagCondition(Getter get, std::string macro, codes::Stage stage, bool expected,
                  std::string yes_text, std::string no_text)
        : get_(get),
          macro_(std::move(macro)),
          stage_(stage),
          expected_(expected),
          text_(expected ? std::move(yes_text) : std::move(no_text)) {}

    bool pure() const override { return true; }
    Match match(const Transaction& t) const override {
        return !get_(t, macro_).empty() == expected_ ? Match::Yes : Match::No;
    }
    codes::Stage stage() const override { return stage_; }
    std::string describe() const override { return text_; }
    void needed_macros(std::set<std::string>& out) const override { out.insert(macro_); }

  private:
    Getter get_;
    std::string macro_;
    codes::Stage stage_;
    bool expected_;
    std::string text_;
};

}  // namespace

ConditionPtr make_authenticated_condition(bool expected) {
    return std::make_unique<FlagCondition>(
        [](const Transaction& t, const std::string&) -> const std::string& { return t.auth_login; },
        "auth_authen", codes::Stage::Mail, expected, "authenticated", "not authenticated");
}

ConditionPtr make_tls_condition(bool expected) {
    return std::make_unique<FlagCondition>(
        [](const Transaction& t, const std::string&) -> const std::string& {
            return t.tls_version;
        },
        "tls_version", codes::Stage::Mail, expected, "tls", "no tls");
}

ConditionPtr make_macro_present_condition(std::string name, codes::Stage stage, bool expected) {
    if (name.size() >= 2 && name.front() == '{' && name.back() == '}')
        name = name.substr(1, name.size() - 2);
    const std::string shown = "macro {" + name + "}";
    return std::make_unique<FlagCondition>(
        [](const Transaction& t, const std::string& m) -> const std::string& { return t.macro(m); },
        name, stage, expected, shown + " present", shown + " absent");
}

}  // namespace mv::policy
