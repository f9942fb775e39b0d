// SPDX-License-Identifier: Apache-2.0
// string_condition.cpp - make_string_condition(): an envelope or connection
// string tested against a StringMatch.
//
// Which value each Field reads and how it compares (string_matcher.hpp):
//   ClientName, ClientResolve, Helo: Hostname; Sender, Recipient, AuthLogin:
//   Address; Macro: Plain.
// Recipient: Session sets Transaction::current_rcpt in rcpt() and clears it in
// data() and end_of_message(); while it is set the current recipient is tested.
// At later stages (current_rcpt empty) the condition holds when ANY recipient
// still in the message matches (refused recipients are removed).
#include <stdexcept>

#include "policy/conditions.hpp"
#include "policy/string_matcher.hpp"

namespace mv::policy {

namespace {

ValueKind kind_of(Field f) {
    switch (f) {
        case Field::Sender:
        case Field::Recipient:
        case Field::AuthLogin:
            return ValueKind::Address;
        case Field::ClientName:
        case Field::ClientResolve:
        case Field::Helo:
            return ValueKind::Hostname;
        case Field::Macro:
            break;
    }
    return ValueKind::Plain;
}

class StringCondition final : public Condition {
  public:
    StringCondition(Field field, const StringMatch& m, std::string macro, codes::Stage macro_stage)
        : field_(field),
          matcher_(m, kind_of(field)),
          macro_(std::move(macro)),
          macro_stage_(macro_stage) {}

    bool pure() const override { return true; }
    Match match(const Transaction& t) const override {
        if (field_ == Field::Recipient) {
            if (!t.current_rcpt.empty()) return yes(matcher_.matches(t.current_rcpt));
            for (const auto& r : t.recipients)
                if (matcher_.matches(r)) return Match::Yes;
            return Match::No;
        }
        return yes(matcher_.matches(value(t)));
    }

    codes::Stage stage() const override {
        switch (field_) {
            case Field::ClientName:
            case Field::ClientResolve:
                return codes::Stage::Connect;
            case Field::Helo:
                return codes::Stage::Helo;
            case Field::Sender:
            case Field::AuthLogin:
                return codes::Stage::Mail;
            case Field::Recipient:
                return codes::Stage::Rcpt;
            case Field::Macro:
                break;
        }
        return macro_stage_;
    }

    std::string describe() const override { return field_name() + " " + matcher_.describe(); }

    void needed_macros(std::set<std::string>& out) const override {
        switch (field_) {
            case Field::ClientName:
                out.insert("client_name");
                break;
            case Field::ClientResolve:
                out.insert("client_resolve");
                break;
            case Field::AuthLogin:
                out.insert("auth_authen");
                break;
            case Field::Macro:
                out.insert(macro_);
                break;
            case Field::Helo:
            case Field::Sender:
            case Field::Recipient:
                break;  // callback arguments, not macros
        }
    }

  private:
    static Match yes(bool b) { return b ? Match::Yes : Match::No; }

    const std::string& value(const Transaction& t) const {
        switch (field_) {
            case Field::ClientName:
                return t.client_name;
            case Field::ClientResolve:
                return t.client_resolve;
            case Field::Helo:
                return t.helo;
            case Field::Sender:
                return t.sender;
            case Field::AuthLogin:
                return t.auth_login;
            case Field::Recipient:
                return t.current_rcpt;
            case Field::Macro:
                break;
        }
        return t.macro(macro_);
    }

    std::string field_name() const {
        switch (field_) {
            case Field::ClientName:
                return "client name";
            case Field::ClientResolve:
                return "client resolve";
            case Field::Helo:
                return "helo";
            case Field::Sender:
                return "sender";
            case Field::Recipient:
                return "recipient";
            case Field::AuthLogin:
                return "auth login";
            case Field::Macro:
                break;
        }
        return "macro {" + macro_ + "}";
    }

    Field field_;
    StringMatcher matcher_;
    std::string macro_;
    codes::Stage macro_stage_;
};

}  // namespace

ConditionPtr make_string_condition(Field field, StringMatch match, std::string macro_name,
                                   codes::Stage macro_stage) {
    if (field == Field::Macro) {
        if (macro_name.size() >= 2 && macro_name.front() == '{' && macro_name.back() == '}')
            macro_name = macro_name.substr(1, macro_name.size() - 2);
        if (macro_name.empty()) throw std::invalid_argument("macro condition without a macro name");
    }
    return std::make_unique<StringCondition>(field, match, std::move(macro_name), macro_stage);
}

}  // namespace mv::policy
