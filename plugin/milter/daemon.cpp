// daemon.cpp - daemon_main(): options, policy, socket, privileges, signals, smfi_main.
//
// Start-up order, and why:
//   1. options, then the policy (every diagnostic to stderr; exit 78 on error;
//      -t stops here) - nothing is opened for a configuration that is wrong;
//   2. block signals, before any thread exists (signal_thread.hpp);
//   3. smfi_register, smfi_setconn, smfi_opensocket(remove stale unix socket),
//      unix socket mode/group, TCP_NODELAY - errors still reach the terminal;
//   4. daemon(3) unless -f (libmilter has no threads yet, so fork is safe);
//   5. pid file, then drop privileges (refuse to go on if that fails);
//   6. the signal thread (SIGUSR1 reload, watchdog), READY=1, smfi_main().
// SIGTERM/SIGINT/SIGHUP are libmilter's: smfi_main returns, we send
// STOPPING=1, stop the signal thread, save the state store, remove the pid
// file, exit 0. The state store is opened after step 5 (state_owner.hpp).
//
// Exit codes: 0 clean stop, 64 usage, 78 configuration, 69 socket/libmilter
// failure, 71 privileges or another system failure.
#include "milter/daemon.hpp"

#include <libmilter/mfapi.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <functional>
#include <iostream>
#include <memory>

#include "cli/commands.hpp"
#include "config/loader.hpp"
#include "milter/callbacks.hpp"
#include "milter/daemon_options.hpp"
#include "milter/listen_socket.hpp"
#include "milter/logger.hpp"
#include "milter/milter.hpp"
#include "milter/notifier.hpp"
#include "milter/pid_file.hpp"
#include "milter/policy_store.hpp"
#include "milter/privileges.hpp"
#include "milter/signal_thread.hpp"
#include "milter/socket_spec.hpp"
#include "milter/state_owner.hpp"

namespace mv::milter {

namespace {

constexpr int kExitUnavailable = 69;  // EX_UNAVAILABLE
constexpr int kExitOsErr = 71;        // EX_OSERR

// Loads `path`; every diagnostic goes to `report`.
policy::PolicyPtr load(const std::string& path,
                       const std::function<void(const config::Diagnostic&)>& report) {
    config::LoadResult r = config::load_policy(path);
    for (const auto& d : r.diagnostics) report(d);
    return r.ok() ? r.policy : nullptr;
}

std::unique_ptr<Logger> make_logger(const std::string& target, const std::string& facility,
                                    std::string& error) {
    if (target == "stderr") return std::make_unique<StderrLogger>();
    if (target != "syslog") {
        error = "log target \"" + target + "\": expected syslog or stderr";
        return nullptr;
    }
    const auto f = facility_from_name(facility);
    if (!f) {
        error = "log facility \"" + facility + "\": expected mail, daemon, user or local0..local7";
        return nullptr;
    }
    return std::make_unique<SyslogLogger>(*f);
}

}  // namespace

int daemon_main(const std::vector<std::string>& args) {
    const OptionsParse parsed = parse_daemon_options(args);
    if (!parsed.options) {
        std::cerr << "milter-verdict: " << parsed.error << "\n" << daemon_usage();
        return cli::kExitUsage;
    }
    const DaemonOptions& opt = *parsed.options;
    if (opt.help) {
        std::cout << daemon_usage();
        return 0;
    }

    // Absolute, because daemon(3) changes to "/" and SIGUSR1 reloads this path.
    std::error_code ec;
    const std::string config_path = std::filesystem::absolute(opt.config, ec).string();
    policy::PolicyPtr initial =
        load(opt.config, [](const config::Diagnostic& d) { std::cerr << d.to_string() << "\n"; });
    if (!initial) {
        std::cerr << "milter-verdict: " << opt.config << ": configuration not loaded\n";
        return config::kExitConfig;
    }
    const policy::Settings settings = initial->settings;  // a copy: reload may free `initial`

    const SocketParse sock = parse_socket(opt.socket.empty() ? settings.socket : opt.socket);
    if (!sock.spec) {
        std::cerr << "milter-verdict: " << sock.error << "\n";
        return opt.socket.empty() ? config::kExitConfig : cli::kExitUsage;
    }
    if (opt.test_only) {
        std::cout << "milter-verdict: " << opt.config << ": configuration OK, socket "
                  << sock.spec->connection() << "\n";
        return 0;
    }
    const SocketSpec& spec = *sock.spec;

    // -f logs to the terminal: `make run` shows decisions as they happen.
    const std::string target = !opt.log_target.empty()
                                   ? opt.log_target
                                   : (opt.foreground ? "stderr" : settings.log_target);
    std::string error;
    std::unique_ptr<Logger> log = make_logger(target, settings.log_facility, error);
    if (!log) {
        std::cerr << "milter-verdict: " << error << "\n";
        return config::kExitConfig;
    }

    block_daemon_signals();

    PolicyStore store(initial);
    Milter milter(store, *log);
    const std::string conn = spec.connection();
    if (!register_milter(milter) || smfi_setconn(const_cast<char*>(conn.c_str())) != MI_SUCCESS ||
        smfi_settimeout(settings.milter_timeout) != MI_SUCCESS) {
        std::cerr << "milter-verdict: libmilter refused the configuration (socket " << conn
                  << ")\n";
        return kExitUnavailable;
    }
    // A unix socket is born 0660 whatever the umask, never writable by
    // others even for the moment before socket_mode is applied.
    const mode_t saved_umask = ::umask(0117);
    const int opened = smfi_opensocket(true);
    ::umask(saved_umask);
    if (opened != MI_SUCCESS) {
        std::cerr << "milter-verdict: cannot open socket " << conn << "\n";
        return kExitUnavailable;
    }
    if (spec.listens_everywhere())
        log->log(LogLevel::Warning, "socket " + conn + " listens on every interface");
    error = set_unix_socket_access(spec, settings.socket_mode, settings.socket_group);
    if (!error.empty()) {
        std::cerr << "milter-verdict: " << error << "\n";
        return kExitOsErr;
    }
    error = set_nodelay_on_listener(spec);
    if (!error.empty()) {
        // Without TCP_NODELAY a skipped DATA stage stalls the MTA ~40 ms.
        log->log(LogLevel::Warning, "TCP_NODELAY not set (" + error + "); keeping the DATA stage");
        milter.set_options(MilterOptions{.allow_skip_data = false});
    }

    if (!opt.foreground && daemon(0, target == "stderr" ? 1 : 0) != 0) {
        std::cerr << "milter-verdict: daemon(3) failed\n";
        return kExitOsErr;
    }

    PidFile pid_file;
    const std::string pid_path = opt.pid_file.empty() ? settings.pid_file : opt.pid_file;
    if (!pid_path.empty()) {
        error = pid_file.create(pid_path);
        if (!error.empty()) {
            log->log(LogLevel::Error, error);
            return kExitOsErr;
        }
    }

    const std::string user = opt.user.empty() ? settings.user : opt.user;
    const std::string group = opt.group.empty() ? settings.group : opt.group;
    error = drop_privileges(user, group);
    if (!error.empty()) {
        log->log(LogLevel::Error, "refusing to run: " + error);
        return kExitOsErr;
    }
    if (geteuid() == 0)
        log->log(LogLevel::Warning, "running as root (set user in the configuration, or -u)");

    // The state store: opened now that we are the daemon user (its file is
    // ours) and after daemon(3) (its maintenance thread must not be forked).
    StateOwner state(*log);
    state.adopt(*initial);

    const Notifier notifier;
    auto reload = [&] {
        notifier.notify("RELOADING=1");
        log->log(LogLevel::Info, "SIGUSR1: reloading " + config_path);
        policy::PolicyPtr next = load(config_path, [&](const config::Diagnostic& d) {
            const bool error = d.severity == config::Diagnostic::Severity::Error;
            log->log(error ? LogLevel::Error : LogLevel::Warning, d.to_string());
        });
        if (next) state.adopt(*next);
        if (next && store.replace(next))
            log->log(LogLevel::Info, "reloaded " + config_path + " (" +
                                         std::to_string(next->rules.size()) +
                                         " rules); socket, user and log settings apply at restart");
        else
            log->log(LogLevel::Error, "reload failed; keeping the policy in force");
        notifier.notify("READY=1");
    };
    auto tick = [&] { notifier.notify("WATCHDOG=1"); };
    int rc = 0;
    {
        SignalThread signals(reload, tick, notifier.watchdog_interval());
        log->log(LogLevel::Info, "milter-verdict " MV_VERSION " listening on " + conn + " (" +
                                     std::to_string(initial->rules.size()) + " rules)");
        initial.reset();  // the store holds it; a reload may free it
        notifier.notify("READY=1");
        rc = smfi_main() == MI_SUCCESS ? 0 : kExitUnavailable;
        notifier.notify("STOPPING=1");
    }
    state.stop();  // SIGTERM: save the embedded store
    unregister_milter();
    error = pid_file.remove();
    if (!error.empty()) log->log(LogLevel::Warning, error);
    log->log(LogLevel::Info, "stopped");
    return rc;
}

}  // namespace mv::milter
