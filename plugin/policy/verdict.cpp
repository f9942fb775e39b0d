// SPDX-License-Identifier: Apache-2.0
// verdict.cpp - names of the actions, as used in logs, simulate and config.
#include "policy/verdict.hpp"

namespace mv::policy {

std::string_view action_name(Action a) {
    switch (a) {
        case Action::Continue:
            return "continue";
        case Action::Accept:
            return "accept";
        case Action::Reject:
            return "reject";
        case Action::Tempfail:
            return "tempfail";
        case Action::Discard:
            return "discard";
        case Action::Quarantine:
            return "quarantine";
    }
    return "unknown";  // cannot happen: every enumerator is listed above
}

}  // namespace mv::policy
