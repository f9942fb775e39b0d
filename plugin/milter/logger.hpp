// SPDX-License-Identifier: Apache-2.0
// logger.hpp - the milter glue's names for the daemon's logger.
//
// The logger lives in observability/logger.hpp (text or JSON, syslog or
// stderr); this header keeps the names the milter glue and its tests have
// always used (mv::milter::Logger, LogLevel::Info, ...).
//
// Thread contract: see observability/logger.hpp.
#pragma once

#include "observability/logger.hpp"

namespace mv::milter {

using observability::facility_from_name;
using observability::level_name;
using observability::Logger;
using observability::LogLevel;
using observability::StderrLogger;
using observability::SyslogLogger;

}  // namespace mv::milter
