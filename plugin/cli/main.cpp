// SPDX-License-Identifier: Apache-2.0
// main.cpp - entry point: dispatch to a sub-command or run the daemon.
//
// The first argument names a sub-command of the command table
// (cli/options.hpp); anything else is the daemon's command line
// (milter/daemon_options.hpp), which also answers -h/--help and
// -V/--version.
#include <iostream>
#include <string>
#include <vector>

#include "cli/commands.hpp"
#include "cli/options.hpp"
#include "milter/daemon.hpp"

int main(int argc, char** argv) {
    std::vector<std::string> args(argv + 1, argv + argc);
    if (!args.empty() && !args.front().empty() && args.front()[0] != '-') {
        const mv::cli::CommandSpec* c = mv::cli::find_command(args.front());
        if (!c || !c->run)
            return mv::cli::usage_error(*mv::cli::find_command(""),
                                        "unknown command '" + args.front() + "'", std::cerr);
        return c->run(mv::cli::Args(args.begin() + 1, args.end()), std::cout, std::cerr);
    }
    return mv::milter::daemon_main(args);
}
