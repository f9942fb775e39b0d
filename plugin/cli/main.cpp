// SPDX-License-Identifier: Apache-2.0
// main.cpp - entry point: dispatch to a sub-command or run the daemon.
#include <iostream>
#include <string>
#include <vector>

#include "cli/commands.hpp"
#include "milter/daemon.hpp"

namespace {

void usage(std::ostream& out) {
    out << "usage: milter-verdict [-c FILE] [-f] [-p SOCKET]      run the daemon\n"
           "       milter-verdict check-config [--strict] [-c FILE]\n"
           "       milter-verdict explain CODE...\n"
           "       milter-verdict explain --defaults [--format text|tsv|man]\n"
           "       milter-verdict simulate [-c FILE] --client ADDR [--helo NAME] --from ADDR\n"
           "                               --rcpt ADDR... [--header 'Name: value'] [--body FILE]\n"
           "       milter-verdict stats [-c FILE | -m ADDRESS] [--all]\n"
           "       milter-verdict state [-c FILE] [-s SOCKET] list [--kind KIND] [--limit N] "
           "[PATTERN]\n"
           "       milter-verdict state [-c FILE] [-s SOCKET] show|delete KIND:KEY...\n"
           "       milter-verdict state [-c FILE] [-s SOCKET] flush [--kind KIND] PATTERN\n"
           "       milter-verdict test [-c FILE] [-p SOCKET] --client ADDR [--helo NAME] --from "
           "ADDR\n"
           "                           --rcpt ADDR... [--header 'Name: value'] [--body FILE]\n"
           "       milter-verdict --version\n";
}

}  // namespace

int main(int argc, char** argv) {
    std::vector<std::string> args(argv + 1, argv + argc);
    if (!args.empty()) {
        const std::string cmd = args.front();
        const mv::cli::Args rest(args.begin() + 1, args.end());
        if (cmd == "explain") return mv::cli::explain_main(rest, std::cout, std::cerr);
        if (cmd == "check-config") return mv::cli::check_config_main(rest, std::cout, std::cerr);
        if (cmd == "simulate") return mv::cli::simulate_main(rest, std::cout, std::cerr);
        if (cmd == "stats") return mv::cli::stats_main(rest, std::cout, std::cerr);
        if (cmd == "state") return mv::cli::state_main(rest, std::cout, std::cerr);
        if (cmd == "test") return mv::cli::test_main(rest, std::cout, std::cerr);
        if (cmd == "--help" || cmd == "-h" || cmd == "help") {
            usage(std::cout);
            return 0;
        }
        if (cmd == "--version" || cmd == "-V") {
            std::cout << "milter-verdict " << MV_VERSION << "\n";
            return 0;
        }
    }
    return mv::milter::daemon_main(args);
}
