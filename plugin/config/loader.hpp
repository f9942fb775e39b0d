// SPDX-License-Identifier: Apache-2.0
// loader.hpp - libconfig file -> compiled Policy, with every problem reported.
//
// load_policy() parses the file (following @include), checks every key, type,
// value, list and reply, and returns all diagnostics of the run, not only the
// first. The Policy is returned only when there is no error (warnings count as
// errors when options.strict). It never throws and never partially applies a
// configuration: the caller swaps a Policy in only when result.ok().
//
// Thread contract: reentrant; touches no global state.
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "policy/policy.hpp"

namespace mv::config {

struct Diagnostic {
    enum class Severity { Warning, Error };
    std::string file;
    int line = 0;  // 0 = the file as a whole
    Severity severity = Severity::Error;
    std::string message;

    // "file:line: error: message" / "file:line: warning: message"
    std::string to_string() const;
};

struct LoadOptions {
    bool strict = false;  // warnings are errors
    // check-config --mta sendmail: also warn about rules that cannot work as
    // written under Sendmail (sendmail_check.hpp).
    bool sendmail = false;
    // check-config: also warn about socket settings the packaged systemd unit
    // cannot use on this host (service_check.hpp; reads the user and group
    // databases, so never at daemon start or reload).
    bool service = false;
};

struct LoadResult {
    policy::PolicyPtr policy;  // null unless ok()
    std::vector<Diagnostic> diagnostics;
    // Lists read from files, for check-config's report.
    struct ListInfo {
        std::string name, file;
        std::size_t entries = 0;
        double read_seconds = 0;
    };
    std::vector<ListInfo> lists;
    double seconds = 0;            // the whole load: files, lists, compiling every rule
    std::size_t rule_count = 0;    // rules found in the file, loaded or not (for summaries)
    std::size_t list_entries = 0;  // entries of every list, inline or from a file (metrics)
    bool ok() const { return policy != nullptr; }
    int errors() const;
    int warnings() const;
};

LoadResult load_policy(const std::string& path, const LoadOptions& options = {});

// EX_CONFIG from sysexits.h: the exit code of check-config on an error.
inline constexpr int kExitConfig = 78;

}  // namespace mv::config
