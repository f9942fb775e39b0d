// SPDX-License-Identifier: Apache-2.0
// pid_file.hpp - the pid file, written at start and removed at a clean exit.
//
// PidFile::create() writes the current pid (call it after daemon(3) forked).
// The destructor removes the file if it still holds our pid. After the daemon
// drops privileges, removal needs a directory the daemon user may write (e.g.
// systemd's RuntimeDirectory=); otherwise a stale file is left and logged.
//
// Errors: create() returns "" or a one-line message; the file is never
// followed through a symlink (O_NOFOLLOW).
//
// Thread contract: main thread only.
#pragma once

#include <string>

namespace mv::milter {

class PidFile {
  public:
    PidFile() = default;
    ~PidFile();
    PidFile(const PidFile&) = delete;
    PidFile& operator=(const PidFile&) = delete;

    std::string create(const std::string& path);
    // Removes the file now; "" or why it could not.
    std::string remove();

  private:
    std::string path_;
    long pid_ = 0;
};

}  // namespace mv::milter
