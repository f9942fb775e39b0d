// SPDX-License-Identifier: Apache-2.0
// daemon_options.cpp - getopt-like parsing without global state.
#include "milter/daemon_options.hpp"

#include "cli/commands.hpp"

namespace mv::milter {

const char* daemon_usage() {
    return "usage: milter-verdict [-c FILE] [-f] [-p SOCKET] [-u USER] [-g GROUP] [-P PIDFILE]\n"
           "                      [-l syslog|stderr] [-t] [-h]\n"
           "  -c FILE    configuration (default /etc/milter-verdict/milter-verdict.conf)\n"
           "  -f         stay in the foreground (and log to stderr unless -l says otherwise)\n"
           "  -p SOCKET  unix:/path, inet:PORT@HOST or inet6:PORT@HOST (overrides the config)\n"
           "  -u USER    run as USER after opening the socket\n"
           "  -g GROUP   run with GROUP after opening the socket\n"
           "  -P FILE    write the daemon's pid to FILE\n"
           "  -l TARGET  log to syslog or stderr\n"
           "  -t         load the configuration, report, and exit (0 ok, 78 error)\n"
           "  -h         this help\n";
}

OptionsParse parse_daemon_options(const std::vector<std::string>& args) {
    DaemonOptions o;
    o.config = cli::kDefaultConfig;
    for (std::size_t i = 0; i < args.size(); ++i) {
        const std::string& a = args[i];
        if (a.size() < 2 || a[0] != '-') return {std::nullopt, "unexpected argument \"" + a + "\""};
        const char opt = a[1];
        if (opt == 'f' || opt == 't' || opt == 'h') {
            if (a.size() != 2) return {std::nullopt, "unknown option \"" + a + "\""};
            if (opt == 'f') o.foreground = true;
            if (opt == 't') o.test_only = true;
            if (opt == 'h') o.help = true;
            continue;
        }
        std::string* target = nullptr;
        switch (opt) {
            case 'c':
                target = &o.config;
                break;
            case 'p':
                target = &o.socket;
                break;
            case 'u':
                target = &o.user;
                break;
            case 'g':
                target = &o.group;
                break;
            case 'P':
                target = &o.pid_file;
                break;
            case 'l':
                target = &o.log_target;
                break;
            default:
                return {std::nullopt, "unknown option \"" + a + "\""};
        }
        std::string value;
        if (a.size() > 2) {
            value = a.substr(2);
        } else if (i + 1 < args.size()) {
            value = args[++i];
        } else {
            return {std::nullopt, "option -" + std::string(1, opt) + " needs a value"};
        }
        if (value.empty())
            return {std::nullopt, "option -" + std::string(1, opt) + ": empty value"};
        *target = value;
    }
    if (!o.log_target.empty() && o.log_target != "syslog" && o.log_target != "stderr")
        return {std::nullopt, "option -l: expected syslog or stderr"};
    return {o, {}};
}

}  // namespace mv::milter
