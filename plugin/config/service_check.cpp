// SPDX-License-Identifier: Apache-2.0
// service_check.cpp - socket settings the packaged unit cannot use.
#include "config/service_check.hpp"

#include <grp.h>
#include <pwd.h>

#include <string>
#include <vector>

namespace mv::config {

namespace {

constexpr const char* kUnitUser = "milter-verdict";
constexpr const char* kWritable[] = {"/run/milter-verdict/", "/var/lib/milter-verdict/",
                                     "/var/spool/postfix/milter-verdict/"};

// The group name of a gid, or "" when the host does not know it.
std::string group_name(gid_t gid) {
    std::vector<char> buf(16384);
    group g{};
    group* found = nullptr;
    if (getgrgid_r(gid, &g, buf.data(), buf.size(), &found) != 0 || found == nullptr) return {};
    return found->gr_name;
}

bool group_exists(const std::string& name) {
    std::vector<char> buf(16384);
    group g{};
    group* found = nullptr;
    return getgrnam_r(name.c_str(), &g, buf.data(), buf.size(), &found) == 0 && found != nullptr;
}

// The primary group of a user, or "" when the host does not know the user.
std::string primary_group(const std::string& user) {
    std::vector<char> buf(16384);
    passwd p{};
    passwd* found = nullptr;
    if (getpwnam_r(user.c_str(), &p, buf.data(), buf.size(), &found) != 0 || found == nullptr)
        return {};
    return group_name(found->pw_gid);
}

void check_unix_path(const libconfig::Setting& at, const std::string& socket, Diagnostics& diag) {
    // unix:PATH, local:PATH, or an absolute PATH alone (libmilter's forms).
    std::string path;
    if (socket.rfind("unix:", 0) == 0 || socket.rfind("local:", 0) == 0)
        path = socket.substr(socket.find(':') + 1);
    else if (!socket.empty() && socket[0] == '/')
        path = socket;
    else
        return;
    for (const char* dir : kWritable)
        if (path.rfind(dir, 0) == 0) return;
    std::string msg = "unix socket " + path +
                      ": the packaged unit (ProtectSystem=strict) lets the daemon create files "
                      "only under /run/milter-verdict/, /var/lib/milter-verdict/ and "
                      "/var/spool/postfix/milter-verdict/";
    if (path.rfind("/tmp/", 0) == 0 || path.rfind("/var/tmp/", 0) == 0)
        msg += ", and its /tmp is private (PrivateTmp=yes): Postfix would not see the socket";
    const std::string name = path.substr(path.rfind('/') + 1);
    msg += "; use unix:/var/spool/postfix/milter-verdict/" + name +
           " (Postfix's chrooted smtpd reaches it as unix:milter-verdict/" + name + ")";
    diag.warning(at, msg);
}

}  // namespace

void check_service_access(const libconfig::Setting& daemon, const policy::Settings& settings,
                          Diagnostics& diag) {
    if (!daemon.isGroup()) return;
    if (daemon.exists("socket")) check_unix_path(daemon["socket"], settings.socket, diag);
    if (daemon.exists("policy_socket"))
        check_unix_path(daemon["policy_socket"], settings.policy_service.socket, diag);
    if (!daemon.exists("socket_group") || settings.socket_group.empty()) return;
    const libconfig::Setting& at = daemon["socket_group"];
    const std::string& wanted = settings.socket_group;
    if (!group_exists(wanted)) {
        diag.warning(at, "socket_group '" + wanted +
                             "': no such group on this host; the daemon cannot start "
                             "(socket_group lookup fails)");
        return;
    }
    // Without `user` the daemon stays whoever starts it (root by hand, the
    // unit's user under systemd): nothing to compare with.
    if (settings.user.empty()) return;
    const std::string& user = settings.user;
    if (user == "root") return;
    std::string own = settings.group;
    if (own.empty()) own = primary_group(user);
    if (own.empty() && user == kUnitUser) own = kUnitUser;
    // A user this host does not know: nothing to compare with (the daemon
    // itself refuses to start as an unknown user).
    if (own.empty() || wanted == own) return;
    diag.warning(at, "socket_group '" + wanted + "': the service user '" + user +
                         "' runs as group '" + own +
                         "' and cannot chown the socket to another group (the daemon exits: "
                         "chown: Operation not permitted; the packaged unit, PrivateUsers=yes, "
                         "maps no other group even for a member); leave socket_group out (the "
                         "socket gets group '" +
                         own +
                         "') and put the MTA's user in that group (the package adds "
                         "postfix to milter-verdict)");
}

}  // namespace mv::config
