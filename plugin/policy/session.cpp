// session.cpp - PLACEHOLDER while the engine is written (replaced in this session).
#include "policy/session.hpp"

namespace mv::policy {

struct Session::State {};

Session::Session(PolicyPtr policy)
    : policy_(std::move(policy)), state_(std::make_shared<State>()) {}
Verdict Session::connect() {
    return {};
}
Verdict Session::helo(std::string_view name) {
    tx_.helo = name;
    return {};
}
Verdict Session::mail(std::string_view sender) {
    tx_.sender = sender;
    return {};
}
Verdict Session::rcpt(std::string_view r) {
    tx_.recipients.emplace_back(r);
    return {};
}
Verdict Session::data() {
    return {};
}
void Session::header(std::string_view, std::string_view) {}
void Session::body(std::string_view) {}
Verdict Session::end_of_message() {
    return {};
}
void Session::abort() {}

}  // namespace mv::policy
