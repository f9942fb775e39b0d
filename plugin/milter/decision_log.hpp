// SPDX-License-Identifier: Apache-2.0
// decision_log.hpp - the milter glue's name for the decision line.
//
// The decision log lives in observability/decision_log.hpp; front ends
// normally go through observability::Recorder (recorder.hpp), which logs and
// counts in one call. This header keeps mv::milter::format_decision.
//
// Thread contract: pure function.
#pragma once

#include "observability/decision_log.hpp"

namespace mv::milter {

using observability::format_decision;

}  // namespace mv::milter
