// SPDX-License-Identifier: Apache-2.0
// daemon_options.cpp - the daemon's options from the command table.
#include "milter/daemon_options.hpp"

#include "cli/commands.hpp"
#include "cli/options.hpp"

namespace mv::milter {

std::string daemon_usage() {
    return cli::usage(*cli::find_command(""));
}

OptionsParse parse_daemon_options(const std::vector<std::string>& args) {
    const cli::ParsedArgs p = cli::parse_args(*cli::find_command(""), args);
    if (!p.ok()) return {std::nullopt, p.error};
    DaemonOptions o;
    o.config = cli::kDefaultConfig;
    for (const auto& [spec, value] : p.options) {
        if (spec->value && value.empty())
            return {std::nullopt, "option -" + std::string(1, spec->short_name) + ": empty value"};
        switch (spec->short_name) {
            case 'c':
                o.config = value;
                break;
            case 'f':
                o.foreground = true;
                break;
            case 'p':
                o.socket = value;
                break;
            case 'u':
                o.user = value;
                break;
            case 'g':
                o.group = value;
                break;
            case 'P':
                o.pid_file = value;
                break;
            case 'l':
                o.log_target = value;  // syslog or stderr: the table's choices
                break;
            case 't':
                o.test_only = true;
                break;
            case 'h':
                o.help = true;
                break;
            case 'V':
                o.version = true;
                break;
        }
    }
    return {o, {}};
}

}  // namespace mv::milter
