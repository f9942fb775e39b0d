// SPDX-License-Identifier: Apache-2.0
// daemon.cpp - daemon_main(): options, policy, socket, privileges, signals, smfi_main.
//
// Start-up order, and why:
//   1. options (the daemon's entry of the command table, cli/options.hpp;
//      -h, -V and -t answer and exit here: -t reports as check-config does),
//      then the policy (every diagnostic to stderr; exit 78 on error) -
//      nothing is opened for a configuration that is wrong;
//   2. block signals, before any thread exists (signal_thread.hpp);
//   3. smfi_register, smfi_setconn, smfi_opensocket(remove stale unix socket),
//      unix socket mode/group, TCP_NODELAY - errors still reach the terminal;
//   4. daemon(3) unless -f (libmilter has no threads yet, so fork is safe);
//   5. pid file, then drop privileges (refuse to go on if that fails);
//   6. the metrics endpoint when `metrics` is set (its threads after the fork;
//      its address is tried before daemon(3) so that a port in use is
//      reported on the terminal), the reload thread, the signal thread
//      (SIGUSR1 asks for a reload, watchdog), READY=1, smfi_main().
// A reload changes all or nothing: see `reload` below.
// SIGTERM/SIGINT/SIGHUP are libmilter's: smfi_main returns, we send
// STOPPING=1, stop the signal thread, stop reloads (one still reading its
// files is not waited for more than 2 s: reloader.hpp), save the state store,
// remove the pid file, exit 0. The state store and the DNS resolver (their threads) start
// after step 5 (state_owner.hpp, dns_owner.hpp); a resolver that cannot be
// set up (an unreadable resolv.conf) is a configuration error, exit 78.
// The Postfix policy service (policy_socket, plugin/policy_service/) opens
// its socket in step 3 and starts its threads after the state store and the
// resolver; with socket = "" there is no milter listener, libmilter is not
// started, and the main thread waits for SIGTERM/SIGINT/SIGHUP itself.
//
// Exit codes: 0 clean stop, 64 usage, 78 configuration, 69 socket/libmilter
// failure, 71 privileges or another system failure.
#include "milter/daemon.hpp"

#include <libmilter/mfapi.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <functional>
#include <iostream>
#include <memory>
#include <mutex>
#include <optional>

#include "cli/commands.hpp"
#include "config/loader.hpp"
#include "control/control_server.hpp"
#include "milter/callbacks.hpp"
#include "milter/daemon_options.hpp"
#include "milter/dns_owner.hpp"
#include "milter/listen_socket.hpp"
#include "milter/logger.hpp"
#include "milter/macro_guard.hpp"
#include "milter/milter.hpp"
#include "milter/notifier.hpp"
#include "milter/pid_file.hpp"
#include "milter/policy_store.hpp"
#include "milter/privileges.hpp"
#include "milter/reloader.hpp"
#include "milter/signal_thread.hpp"
#include "milter/socket_spec.hpp"
#include "milter/state_owner.hpp"
#include "milter/stop_waker.hpp"
#include "milter/version.hpp"
#include "observability/dns_metrics.hpp"
#include "observability/log_format.hpp"
#include "observability/metrics.hpp"
#include "observability/metrics_server.hpp"
#include "observability/recorder.hpp"
#include "policy_service/service.hpp"

namespace mv::milter {

namespace {

// Start-up failures exit 64, 69, 71 or 78: a command line, socket, user,
// permission or configuration problem that starting again will not fix (the
// packaged unit lists them in RestartPreventExitStatus=). Only libmilter's
// listener failing once running (smfi_main) exits 75, which the unit restarts.
constexpr int kExitUnavailable = 69;  // EX_UNAVAILABLE
constexpr int kExitOsErr = 71;        // EX_OSERR
constexpr int kExitTempFail = 75;     // EX_TEMPFAIL

// Loads `path`; every diagnostic goes to `report`; `list_entries` gets the
// number of list entries loaded (for the metrics).
policy::PolicyPtr load(const std::string& path,
                       const std::function<void(const config::Diagnostic&)>& report,
                       std::size_t* list_entries = nullptr) {
    config::LoadResult r = config::load_policy(path);
    for (const auto& d : r.diagnostics) report(d);
    if (list_entries) *list_entries = r.list_entries;
    return r.ok() ? r.policy : nullptr;
}

std::unique_ptr<Logger> make_logger(const std::string& target, const std::string& facility,
                                    observability::LogFormat format, std::string& error) {
    if (target == "stderr") return std::make_unique<StderrLogger>(format);
    if (target != "syslog") {
        error = "log target \"" + target + "\": expected syslog or stderr";
        return nullptr;
    }
    const auto f = facility_from_name(facility);
    if (!f) {
        error = "log facility \"" + facility + "\": expected mail, daemon, user or local0..local7";
        return nullptr;
    }
    return std::make_unique<SyslogLogger>(*f, format);
}

// Without a milter listener nobody else takes the stop signals (they are
// blocked in every thread): wait for one here.
void wait_stop_signal() {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    int sig = 0;
    while (sigwait(&set, &sig) != 0) {
    }
}

// -t: check-config's report (cli::report_load) of the configuration as the
// daemon loads it, then the sockets it would listen on; nothing is opened.
int test_config(const DaemonOptions& opt) {
    // A bad -p is the command line's fault, whatever the configuration says.
    if (!opt.socket.empty()) {
        if (const SocketParse sock = parse_socket(opt.socket); !sock.spec) {
            std::cerr << "milter-verdict: " << sock.error << "\n";
            return cli::kExitUsage;
        }
    }
    const config::LoadResult r = config::load_policy(opt.config);
    if (const int status = cli::report_load(opt.config, r, std::cout); status != 0) return status;
    const policy::Settings& settings = r.policy->settings;
    const bool milter_on = !opt.socket.empty() || !settings.socket.empty();
    std::string listens = "milter socket none";
    if (milter_on) {
        const SocketParse sock = parse_socket(opt.socket.empty() ? settings.socket : opt.socket);
        if (!sock.spec) {
            std::cerr << "milter-verdict: " << sock.error << "\n";
            return config::kExitConfig;
        }
        listens = "milter socket " + sock.spec->connection();
    }
    listens += ", policy socket ";
    if (!settings.policy_service.socket.empty()) {
        const SocketParse p = parse_socket(settings.policy_service.socket);
        if (!p.spec) {
            std::cerr << "milter-verdict: policy_socket: " << p.error << "\n";
            return config::kExitConfig;
        }
        listens += p.spec->connection();
    } else {
        listens += "none";
    }
    std::cout << opt.config << ": " << listens << "\n";
    return 0;
}

}  // namespace

int daemon_main(const std::vector<std::string>& args) {
    const OptionsParse parsed = parse_daemon_options(args);
    if (!parsed.options) return cli::usage_error(*cli::find_command(""), parsed.error, std::cerr);
    const DaemonOptions& opt = *parsed.options;
    if (opt.help) {
        std::cout << daemon_usage();
        return 0;
    }
    if (opt.version) {
        print_version(std::cout);
        return 0;
    }
    if (opt.test_only) return test_config(opt);

    // Absolute, because daemon(3) changes to "/" and SIGUSR1 reloads this path.
    std::error_code ec;
    const std::string config_path = std::filesystem::absolute(opt.config, ec).string();
    std::size_t list_entries = 0;
    policy::PolicyPtr initial = load(
        opt.config, [](const config::Diagnostic& d) { std::cerr << d.to_string() << "\n"; },
        &list_entries);
    if (!initial) {
        std::cerr << "milter-verdict: " << opt.config << ": configuration not loaded\n";
        return config::kExitConfig;
    }
    const policy::Settings settings = initial->settings;  // a copy: reload may free `initial`

    // socket = "" (and no -p): the policy service is the only listener.
    const bool milter_on = !opt.socket.empty() || !settings.socket.empty();
    const SocketParse sock = milter_on
                                 ? parse_socket(opt.socket.empty() ? settings.socket : opt.socket)
                                 : SocketParse{SocketSpec{}, {}};
    if (!sock.spec) {
        std::cerr << "milter-verdict: " << sock.error << "\n";
        return opt.socket.empty() ? config::kExitConfig : cli::kExitUsage;
    }
    std::optional<SocketSpec> policy_spec;
    if (!settings.policy_service.socket.empty()) {
        const SocketParse p = parse_socket(settings.policy_service.socket);
        if (!p.spec) {
            std::cerr << "milter-verdict: policy_socket: " << p.error << "\n";
            return config::kExitConfig;
        }
        policy_spec = p.spec;
    }
    const SocketSpec& spec = *sock.spec;

    // -f logs to the terminal: `make run` shows decisions as they happen.
    const std::string target = !opt.log_target.empty()
                                   ? opt.log_target
                                   : (opt.foreground ? "stderr" : settings.log_target);
    std::string error;
    const auto format = observability::parse_log_format(settings.log_format);
    std::unique_ptr<Logger> log = make_logger(
        target, settings.log_facility, format.value_or(observability::LogFormat::Text), error);
    if (!log) {
        std::cerr << "milter-verdict: " << error << "\n";
        return config::kExitConfig;
    }
    log->set_threshold(observability::parse_log_level(settings.log_level).value_or(LogLevel::Info));

    // Metrics (off unless `metrics` is set): the families now, the HTTP
    // threads after the fork. The address was checked by the loader.
    std::unique_ptr<observability::Metrics> metrics;
    std::optional<observability::MetricsAddress> metrics_at;
    if (!settings.metrics.empty()) {
        metrics_at = observability::parse_metrics_address(settings.metrics).address;
        if (!metrics_at) {
            std::cerr << "milter-verdict: bad metrics address " << settings.metrics << "\n";
            return config::kExitConfig;
        }
        error = observability::MetricsServer::probe(*metrics_at);
        if (!error.empty()) {
            std::cerr << "milter-verdict: metrics: " << error << "\n";
            return kExitUnavailable;
        }
        std::vector<observability::FrontEnd> front_ends;
        if (milter_on) front_ends.push_back(observability::FrontEnd::Milter);
        if (policy_spec) front_ends.push_back(observability::FrontEnd::PolicyService);
        metrics = std::make_unique<observability::Metrics>(
            observability::Metrics::Options{front_ends, MV_VERSION});
        metrics->adopt(initial);
        metrics->loaded(*initial, list_entries, false);
    }
    observability::Recorder recorder(*log, metrics.get());

    block_daemon_signals();

    PolicyStore store(initial);
    Milter milter(store, *log);
    milter.set_recorder(recorder);
    // Macro packets whose names and values do not pair up end their connection
    // before libmilter stores them (macro_guard.hpp); this also links the guard in.
    MacroGuard macro_guard(*log);
    const std::string conn = milter_on ? spec.connection() : std::string("none");
    if (milter_on) {
        if (!register_milter(milter) ||
            smfi_setconn(const_cast<char*>(conn.c_str())) != MI_SUCCESS ||
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
            // Our own header edits and the end-of-message reply may then wait ~40 ms.
            log->log(LogLevel::Warning, "TCP_NODELAY not set (" + error + ")");
        }
    }
    policy_service::Service policy_service(store, *log, settings.policy_service, &recorder);
    if (policy_spec) {
        error = policy_service.open(*policy_spec, settings.socket_mode, settings.socket_group);
        if (!error.empty()) {
            std::cerr << "milter-verdict: " << error << "\n";
            return kExitUnavailable;
        }
        if (policy_spec->listens_everywhere())
            log->log(LogLevel::Warning,
                     "policy_socket " + policy_spec->connection() + " listens on every interface");
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
    // Root by the configuration's omission is worth a warning; root named
    // with -u (as `make run` does for whoever runs it) is the caller's choice.
    if (geteuid() == 0 && opt.user != "root")
        log->log(LogLevel::Warning, "running as root (set user in the configuration, or -u)");

    // The state store: opened now that we are the daemon user (its file is
    // ours) and after daemon(3) (its maintenance thread must not be forked).
    StateOwner state(*log);
    state.set_metrics(metrics.get());
    state.adopt(*initial);
    // The resolver's thread, like the store's, starts after daemon(3).
    DnsOwner dns(*log);
    if (metrics) dns.set_meters(std::make_shared<observability::DnsZoneMeters>(*metrics));
    if (!dns.adopt(*initial)) {
        log->log(LogLevel::Error, "refusing to run: the DNS resolver cannot be set up");
        return config::kExitConfig;
    }

    std::unique_ptr<observability::MetricsServer> metrics_server;
    if (metrics) {
        if (metrics_at->every_interface())
            log->log(LogLevel::Warning,
                     "metrics " + settings.metrics + " listen on every interface");
        metrics_server = observability::MetricsServer::start(*metrics_at, *metrics, error);
        if (!metrics_server) {
            log->log(LogLevel::Error, "metrics: " + error);
            return kExitUnavailable;
        }
        log->log(LogLevel::Info, "metrics on " + metrics_at->url());
    }
    if (policy_spec) {
        error = policy_service.start();
        if (!error.empty()) {
            log->log(LogLevel::Error, "policy service: " + error);
            return kExitUnavailable;
        }
    }

    const Notifier notifier;
    // A reload reads and compiles the whole new configuration, then prepares
    // the resolver (the one step that can still fail), and only then switches
    // the state store, the resolver and the policy, under `switching`: a
    // failure anywhere leaves every running part as it was. It runs on the
    // Reloader's thread; a stop takes `switching` too, so that no switch
    // happens after the state store is saved.
    std::mutex switching;
    bool stopping = false;
    // The control socket (milter-verdict state) for the embedded store; a
    // reload's new store is what the next request sees. Not opening it is
    // worth a warning, not a reason to stop serving mail.
    std::unique_ptr<control::ControlServer> control;
    if (settings.state.backend == "memory") {
        const std::string control_path = control::control_socket_path(settings.state);
        if (!control_path.empty() && (state.store() || !settings.state.control_socket.empty())) {
            control = control::ControlServer::start(
                control_path,
                [&] {
                    std::lock_guard<std::mutex> lock(switching);
                    return state.store();
                },
                error);
            if (!control)
                log->log(LogLevel::Warning, error);
            else
                log->log(LogLevel::Info, "state control socket " + control_path);
        }
    }
    auto reload = [&] {
        notifier.notify("RELOADING=1");
        log->log(LogLevel::Info, "SIGUSR1: reloading " + config_path);
        std::size_t entries = 0;
        policy::PolicyPtr next = load(
            config_path,
            [&](const config::Diagnostic& d) {
                const bool error = d.severity == config::Diagnostic::Severity::Error;
                log->log(error ? LogLevel::Error : LogLevel::Warning, d.to_string());
            },
            &entries);
        std::lock_guard<std::mutex> lock(switching);
        if (stopping) {
            log->log(LogLevel::Info, "reload abandoned: stopping");
            return;
        }
        std::optional<DnsOwner::Prepared> resolver;
        if (next) resolver = dns.prepare(*next);
        if (!next || !resolver) {
            if (metrics) metrics->reload_failed();
            log->log(LogLevel::Error, "reload failed; keeping the policy in force");
            notifier.notify("READY=1");
            return;
        }
        // Nothing below fails: opening a state store never does (state_owner.hpp).
        state.adopt(*next);
        dns.commit(*next, std::move(*resolver));
        if (metrics) metrics->adopt(next);  // its series, before any connection uses it
        store.replace(next);
        if (metrics) metrics->loaded(*next, entries, true);
        log->log(LogLevel::Info,
                 "reloaded " + config_path + " (" + std::to_string(next->rules.size()) +
                     " rules); socket, user, log and metrics settings apply at restart");
        notifier.notify("READY=1");
    };
    auto tick = [&] { notifier.notify("WATCHDOG=1"); };
    int rc = 0;
    // An exception (out of memory while compiling a huge policy) fails the
    // reload like any other failure: logged, counted, READY=1 again.
    Reloader reloader([&] {
        try {
            reload();
        } catch (const std::exception& e) {
            if (metrics) metrics->reload_failed();
            log->log(LogLevel::Error,
                     std::string("reload failed: ") + e.what() + "; keeping the policy in force");
            notifier.notify("READY=1");
        }
    });
    {
        SignalThread signals([&] { reloader.request(); }, tick, notifier.watchdog_interval());
        log->log(LogLevel::Info,
                 "milter-verdict " MV_VERSION " listening on " + conn +
                     (policy_spec ? ", policy service on " + policy_spec->connection() : "") +
                     " (" + std::to_string(initial->rules.size()) + " rules)");
        initial.reset();  // the store holds it; a reload may free it
        notifier.notify("READY=1");
        if (milter_on) {
            // SIGTERM wakes libmilter's listener at once (stop_waker.hpp).
            StopWaker waker(spec);
            rc = smfi_main() == MI_SUCCESS ? 0 : kExitTempFail;
        } else
            wait_stop_signal();
        notifier.notify("STOPPING=1");
    }
    {
        // A switch in progress ends first; none starts after this.
        std::lock_guard<std::mutex> lock(switching);
        stopping = true;
    }
    // A reload still reading its files (a hung network file system) does
    // not hold up the stop: it is left behind, and the process ends with
    // _exit below, once the state is saved and the pid file removed.
    const bool reload_ended = reloader.stop();
    if (!reload_ended)
        log->log(LogLevel::Warning,
                 "a reload was still reading " + config_path + ": stopping without it");
    policy_service.stop();
    control.reset();
    state.stop();  // SIGTERM: save the embedded store
    dns.stop();    // its counters, to the log
    if (milter_on) unregister_milter();
    error = pid_file.remove();
    if (!error.empty()) log->log(LogLevel::Warning, error);
    log->log(LogLevel::Info, "stopped");
    // The reload thread still uses this function's objects: end here, with
    // nothing destroyed under it.
    if (!reload_ended) std::_Exit(rc);
    return rc;
}

}  // namespace mv::milter
