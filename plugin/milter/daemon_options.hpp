// SPDX-License-Identifier: Apache-2.0
// daemon_options.hpp - the daemon's command line.
//
//   milter-verdict [-c FILE] [-f] [-p SOCKET] [-u USER] [-g GROUP] [-P PIDFILE]
//                  [-l syslog|stderr] [-t] [-h] [-V]
//
// The options are the daemon's entry ("") of the command table
// (cli/options.hpp), which parses them as it parses every sub-command's.
// Options override the configuration's settings of the same meaning.
//
// Errors: parse_daemon_options() returns a one-line message for an unknown
// option, a missing or empty value or a stray argument (the caller prints it
// with the usage text and exits 64).
//
// Thread contract: pure function.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace mv::milter {

struct DaemonOptions {
    std::string config;       // -c; default cli::kDefaultConfig
    bool foreground = false;  // -f
    std::string socket;       // -p; "" = Settings::socket
    std::string user;         // -u; "" = Settings::user
    std::string group;        // -g; "" = Settings::group
    std::string pid_file;     // -P; "" = Settings::pid_file
    std::string log_target;   // -l; "" = stderr with -f, else Settings::log_target
    bool test_only = false;   // -t: load the configuration and exit
    bool help = false;        // -h, --help
    bool version = false;     // -V, --version
};

struct OptionsParse {
    std::optional<DaemonOptions> options;
    std::string error;
};

OptionsParse parse_daemon_options(const std::vector<std::string>& args);

// The usage text printed by -h and after a usage error (cli::usage of the
// daemon's entry: every command's synopsis and the daemon's options).
std::string daemon_usage();

}  // namespace mv::milter
