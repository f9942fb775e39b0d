// SPDX-License-Identifier: Apache-2.0
// commands.hpp - the offline sub-commands of milter-verdict.
//
// Each takes the arguments after the sub-command name, writes its report to
// `out` and problems to `err`, and returns the process exit code:
// 0 success, 1 a failed lookup or simulation, 64 (EX_USAGE) bad arguments,
// 78 (EX_CONFIG) a configuration error.
//
// Thread contract: called from main() only.
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "cli/options.hpp"
#include "config/loader.hpp"

namespace mv::cli {

inline constexpr int kExitUsage = 64;

int explain_main(const Args& args, std::ostream& out, std::ostream& err);
// explain --defaults [--format text|tsv|man] (explain_defaults.cpp).
int explain_defaults(const std::string& format, std::ostream& out, std::ostream& err);
int check_config_main(const Args& args, std::ostream& out, std::ostream& err);
// The report of check-config and of the daemon's -t, for a configuration
// loaded from `file`: every diagnostic, the lists read from files and the load
// time (when it loads), then "FILE: N rules, E errors, W warnings". Returns
// 0 when it loads, else 78.
int report_load(const std::string& file, const config::LoadResult& r, std::ostream& out);
int simulate_main(const Args& args, std::ostream& out, std::ostream& err);
// `stats`: the running daemon's metrics endpoint as a per-rule table (stats.cpp).
int stats_main(const Args& args, std::ostream& out, std::ostream& err);
// `state`: list, show, delete, flush the state store's records (state.cpp).
int state_main(const Args& args, std::ostream& out, std::ostream& err);
// `test`: one transaction against the running daemon's milter socket (test_transaction.cpp).
int test_main(const Args& args, std::ostream& out, std::ostream& err);

// Default configuration path.
inline constexpr const char* kDefaultConfig = "/etc/milter-verdict/milter-verdict.conf";

}  // namespace mv::cli
