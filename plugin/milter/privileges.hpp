// SPDX-License-Identifier: Apache-2.0
// privileges.hpp - giving up root after the socket is open.
//
// drop_privileges() switches to `user` (with its supplementary groups,
// initgroups) and to `group` (default: the user's primary group), in the
// order setgroups/setgid then setuid, and verifies that root cannot be
// regained. With only `group`, only the group changes. Both empty: nothing.
//
// Errors: a one-line message ("" on success): unknown user or group, not
// root and not already that user, or a failing system call. The daemon
// refuses to run on an error (it never goes on as root by accident).
//
// Thread contract: call from the main thread before any other thread exists.
#pragma once

#include <string>

namespace mv::milter {

std::string drop_privileges(const std::string& user, const std::string& group);

// Group name -> gid for the unix socket's group; -1 with `error` set on failure.
long lookup_group(const std::string& group, std::string& error);

}  // namespace mv::milter
