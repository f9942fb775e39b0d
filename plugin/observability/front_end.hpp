// SPDX-License-Identifier: Apache-2.0
// front_end.hpp - the front ends that deliver verdicts, as the metrics name them.
//
// Every verdict reaches the MTA through one front end: the milter glue
// (plugin/milter) or the Postfix policy-delegation service. The metrics carry
// its name in the label front_end="milter" | "policy_service", and the JSON
// decision log in "front_end". A new front end adds a value here (and to
// kFrontEndCount) and nothing else in observability/.
//
// Thread contract: constants and pure functions.
#pragma once

#include <string_view>

namespace mv::observability {

enum class FrontEnd : unsigned char { Milter, PolicyService };
inline constexpr int kFrontEndCount = 2;

// "milter", "policy_service".
constexpr std::string_view front_end_name(FrontEnd f) {
    return f == FrontEnd::Milter ? "milter" : "policy_service";
}

}  // namespace mv::observability
