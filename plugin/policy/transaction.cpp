// SPDX-License-Identifier: Apache-2.0
// transaction.cpp - macro lookup on the Transaction.
#include "policy/transaction.hpp"

namespace mv::policy {

const std::string& Transaction::macro(std::string_view name) const {
    static const std::string kEmpty;
    // The glue stores names without braces; be lenient if a caller passes "{x}".
    if (name.size() >= 2 && name.front() == '{' && name.back() == '}')
        name = name.substr(1, name.size() - 2);
    const auto it = macros.find(name);
    return it == macros.end() ? kEmpty : it->second;
}

}  // namespace mv::policy
