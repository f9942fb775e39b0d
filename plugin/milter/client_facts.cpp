// SPDX-License-Identifier: Apache-2.0
// client_facts.cpp - see client_facts.hpp.
#include "milter/client_facts.hpp"

namespace mv::milter {

namespace {

// What Sendmail's (or Postfix's) `_` says about the reverse lookup.
std::string resolve_from_underscore(std::string_view u) {
    if (u.empty()) return "";
    if (u.find("(may be forged)") != std::string_view::npos) return "FORGED";
    if (u.front() == '[' || u.substr(0, 9) == "unknown [") return "FAIL";
    return u.find(" [") != std::string_view::npos ? "OK" : "";
}

}  // namespace

ClientFacts client_facts(const char* hostname, std::string_view resolve,
                         std::string_view underscore) {
    ClientFacts f;
    // Sendmail names an unresolved client "[192.0.2.1]"; Postfix says
    // "unknown". Rules see Postfix's form from both MTAs.
    f.name = hostname && hostname[0] != '\0' && hostname[0] != '[' ? hostname : "unknown";
    f.resolve = !resolve.empty() ? std::string(resolve) : resolve_from_underscore(underscore);
    return f;
}

}  // namespace mv::milter
