// SPDX-License-Identifier: Apache-2.0
// privileges.cpp - initgroups, setgid, setuid, with checks.
#include "milter/privileges.hpp"

#include <grp.h>
#include <pwd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

namespace mv::milter {

namespace {

std::string sys_error(const std::string& what) {
    return what + ": " + std::strerror(errno);
}

// getpwnam_r with a buffer that grows on ERANGE.
bool lookup_user(const std::string& name, uid_t& uid, gid_t& gid, std::string& error) {
    std::vector<char> buf(4096);
    passwd pw{};
    passwd* res = nullptr;
    int rc;
    while ((rc = getpwnam_r(name.c_str(), &pw, buf.data(), buf.size(), &res)) == ERANGE &&
           buf.size() < (1u << 20))
        buf.resize(buf.size() * 2);
    if (rc != 0 || !res) {
        error = "unknown user \"" + name + "\"";
        return false;
    }
    uid = pw.pw_uid;
    gid = pw.pw_gid;
    return true;
}

}  // namespace

long lookup_group(const std::string& name, std::string& error) {
    std::vector<char> buf(4096);
    group gr{};
    group* res = nullptr;
    int rc;
    while ((rc = getgrnam_r(name.c_str(), &gr, buf.data(), buf.size(), &res)) == ERANGE &&
           buf.size() < (1u << 20))
        buf.resize(buf.size() * 2);
    if (rc != 0 || !res) {
        error = "unknown group \"" + name + "\"";
        return -1;
    }
    return static_cast<long>(gr.gr_gid);
}

std::string drop_privileges(const std::string& user, const std::string& group) {
    if (user.empty() && group.empty()) return {};
    std::string error;
    uid_t uid = geteuid();
    gid_t gid = getegid();
    if (!user.empty() && !lookup_user(user, uid, gid, error)) return error;
    if (!group.empty()) {
        const long g = lookup_group(group, error);
        if (g < 0) return error;
        gid = static_cast<gid_t>(g);
    }
    if (geteuid() != 0) {
        // Not root: fine only when we already are who we were asked to be.
        if (geteuid() == uid && getegid() == gid) return {};
        return "cannot switch to user \"" + user + "\" / group \"" + group +
               "\": not running as root";
    }
    if (!user.empty()) {
        if (initgroups(user.c_str(), gid) != 0) return sys_error("initgroups");
    } else if (setgroups(1, &gid) != 0) {
        return sys_error("setgroups");
    }
    if (setgid(gid) != 0) return sys_error("setgid");
    if (!user.empty() && setuid(uid) != 0) return sys_error("setuid");
    // Verify: a process that can become root again has not dropped anything.
    if (!user.empty() && uid != 0 && (setuid(0) == 0 || seteuid(0) == 0))
        return "privileges could be regained after setuid";
    return {};
}

}  // namespace mv::milter
