// SPDX-License-Identifier: Apache-2.0
// settings_parser.cpp - daemon and policy settings, each key checked where it is read.
#include "config/settings_parser.hpp"

#include <functional>
#include <string_view>

#include "config/policy_service_parser.hpp"
#include "config/schema.hpp"
#include "observability/log_format.hpp"
#include "observability/logger.hpp"
#include "observability/metrics_address.hpp"

namespace mv::config {

namespace {

using libconfig::Setting;

bool all_digits(std::string_view s) {
    if (s.empty()) return false;
    for (char c : s)
        if (c < '0' || c > '9') return false;
    return true;
}

// The reason a libmilter socket specification is refused, or "".
std::string check_socket(const std::string& spec) {
    const auto colon = spec.find(':');
    if (spec.empty()) return {};  // no listener of this kind (the daemon needs one of two)
    if (spec[0] == '/') return {};
    if (colon == std::string::npos) return "expected inet:PORT@HOST, inet6:PORT@HOST or unix:/PATH";
    const std::string proto = spec.substr(0, colon);
    const std::string rest = spec.substr(colon + 1);
    if (proto == "unix" || proto == "local") {
        if (rest.empty() || rest[0] != '/') return "a unix socket needs an absolute path";
        return {};
    }
    if (proto != "inet" && proto != "inet6")
        return "unknown socket type '" + proto + "' (inet, inet6, unix)";
    const auto at = rest.find('@');
    const std::string port = rest.substr(0, at);
    if (!all_digits(port) || port.size() > 5 || std::stoi(port) < 1 || std::stoi(port) > 65535)
        return "bad port '" + port + "'";
    if (at == std::string::npos)
        return "no @HOST: a bare " + proto + ":" + port + " listens on every interface; write " +
               proto + ":" + port + "@127.0.0.1 (or @0.0.0.0 if you mean every interface)";
    if (at + 1 >= rest.size()) return "empty host after '@'";
    return {};
}

std::string check_facility(const std::string& f) {
    static const char* kFacilities[] = {"mail",   "daemon", "user",   "local0", "local1", "local2",
                                        "local3", "local4", "local5", "local6", "local7"};
    for (const char* k : kFacilities)
        if (f == k) return {};
    return "unknown syslog facility '" + f + "' (mail, daemon, user, local0 ... local7)";
}

using Check = std::function<std::string(const std::string&)>;

void read_checked_string(const Setting& s, std::string& out, Diagnostics& diag,
                         const Check& check = {}) {
    const auto v = read_string(s, diag);
    if (!v) return;
    if (check) {
        const std::string why = check(*v);
        if (!why.empty()) {
            diag.error(s, "bad " + std::string(s.getName()) + " '" + *v + "': " + why);
            return;
        }
    }
    out = *v;
}

}  // namespace

bool valid_header_name(const std::string& name) {
    if (name.empty() || name.size() > 64) return false;
    for (unsigned char c : name)
        if (c < 33 || c > 126 || c == ':') return false;
    return true;
}

void parse_daemon_settings(const Setting& d, policy::Settings& out, Diagnostics& diag) {
    if (!d.isGroup()) {
        diag.error(d, "daemon must be a group { ... }, not " + type_name(d));
        return;
    }
    check_keys(d,
               {"socket",
                "socket_mode",
                "socket_group",
                "user",
                "group",
                "pid_file",
                "log",
                "log_facility",
                "timeout",
                "log_format",
                "log_level",
                "metrics",
                "policy_socket",
                "policy_accept",
                "policy_timeout",
                "policy_idle_timeout",
                "policy_max_connections",
                "policy_workers",
                "policy_max_recipients",
                "policy_max_recipient_bytes"},
               "daemon", diag);
    for (int i = 0; i < d.getLength(); ++i) {
        const Setting& s = d[i];
        const std::string k = s.getName();
        if (k == "socket") {
            read_checked_string(s, out.socket, diag, check_socket);
        } else if (k == "socket_mode") {
            read_checked_string(s, out.socket_mode, diag, [](const std::string& v) -> std::string {
                if (v.size() < 3 || v.size() > 4 || v.find_first_not_of("01234567") != v.npos)
                    return "expected an octal mode such as \"0660\"";
                // The last digit is the others' permissions: write is connect.
                if ((v.back() - '0') & 2)
                    return "every local user could connect and send milter commands; give "
                           "Postfix access through socket_group instead (\"0660\")";
                return {};
            });
        } else if (k == "socket_group") {
            read_checked_string(s, out.socket_group, diag);
        } else if (k == "user") {
            read_checked_string(s, out.user, diag);
        } else if (k == "group") {
            read_checked_string(s, out.group, diag);
        } else if (k == "pid_file") {
            read_checked_string(s, out.pid_file, diag, [](const std::string& v) -> std::string {
                return v.empty() || v[0] == '/' ? "" : "must be an absolute path";
            });
        } else if (k == "log") {
            read_checked_string(s, out.log_target, diag, [](const std::string& v) -> std::string {
                return v == "syslog" || v == "stderr" ? "" : "expected \"syslog\" or \"stderr\"";
            });
        } else if (k == "log_facility") {
            read_checked_string(s, out.log_facility, diag, check_facility);
        } else if (k == "log_format") {
            read_checked_string(s, out.log_format, diag, [](const std::string& v) -> std::string {
                return observability::parse_log_format(v) ? "" : "expected \"text\" or \"json\"";
            });
        } else if (k == "log_level") {
            read_checked_string(s, out.log_level, diag, [](const std::string& v) -> std::string {
                return observability::parse_log_level(v)
                           ? ""
                           : "expected \"error\", \"warning\", \"info\" or \"debug\"";
            });
        } else if (k == "metrics") {
            read_checked_string(s, out.metrics, diag, [](const std::string& v) -> std::string {
                return v.empty() ? "" : observability::parse_metrics_address(v).error;
            });
        } else if (k == "timeout") {
            const auto v = read_int(s, diag);
            if (v && (*v < 1 || *v > 86400))
                diag.error(
                    s, "timeout must be between 1 and 86400 seconds, not " + std::to_string(*v));
            else if (v)
                out.milter_timeout = static_cast<int>(*v);
        } else if (k.rfind("policy_", 0) == 0) {
            parse_policy_service_key(s, out.policy_service, diag, check_socket);
        }
    }
    // socket = "" turns the milter listener off: then the policy service must be on.
    if (out.socket.empty() && out.policy_service.socket.empty())
        diag.error(d, "no listener: socket is \"\" and no policy_socket is set");
}

void parse_policy_settings(const Setting& p, policy::Settings& out, Diagnostics& diag) {
    if (!p.isGroup()) {
        diag.error(p, "policy must be a group { ... }, not " + type_name(p));
        return;
    }
    check_keys(
        p,
        {"delay_reject", "monitor", "monitor_header", "on_error", "body_limit_kib", "allow_empty"},
        "policy", diag);
    for (int i = 0; i < p.getLength(); ++i) {
        const Setting& s = p[i];
        const std::string k = s.getName();
        if (k == "delay_reject") {
            if (const auto b = read_bool(s, diag)) out.delay_reject = *b;
        } else if (k == "monitor") {
            if (const auto b = read_bool(s, diag)) out.monitor = *b;
        } else if (k == "allow_empty") {
            if (const auto b = read_bool(s, diag)) out.allow_empty = *b;
        } else if (k == "monitor_header") {
            read_checked_string(
                s, out.monitor_header, diag, [](const std::string& v) -> std::string {
                    return v.empty() || valid_header_name(v)
                               ? ""
                               : "not a header field name (printable ASCII without ':' or space)";
                });
        } else if (k == "body_limit_kib") {
            // Body conditions see at most this much; 16 MiB keeps one
            // message's copy bounded whatever the MTA's size limit.
            const auto v = read_int(s, diag);
            if (!v) continue;
            if (*v < 1 || *v > 16384)
                diag.error(s,
                           "body_limit_kib must be between 1 and 16384, not " + std::to_string(*v));
            else
                out.body_limit = static_cast<std::size_t>(*v) * 1024;
        } else if (k == "on_error") {
            const auto v = read_string(s, diag);
            if (!v) continue;
            if (*v == "tempfail")
                out.on_error = policy::Action::Tempfail;
            else if (*v == "accept")
                out.on_error = policy::Action::Accept;
            else
                diag.error(s, "bad on_error '" + *v + "': expected \"tempfail\" or \"accept\"");
        }
    }
}

}  // namespace mv::config
