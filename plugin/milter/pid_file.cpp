// SPDX-License-Identifier: Apache-2.0
// pid_file.cpp - O_NOFOLLOW write, checked removal.
#include "milter/pid_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <utility>

namespace mv::milter {

PidFile::~PidFile() {
    remove();
}

std::string PidFile::create(const std::string& path) {
    const int fd =
        ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (fd < 0) return "pid file " + path + ": " + std::strerror(errno);
    const std::string text = std::to_string(getpid()) + "\n";
    const bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
    const int saved = errno;
    ::close(fd);
    if (!ok) return "pid file " + path + ": " + std::strerror(saved);
    path_ = path;
    pid_ = getpid();
    return {};
}

std::string PidFile::remove() {
    if (path_.empty()) return {};
    const std::string path = std::exchange(path_, std::string());
    long pid = 0;
    std::ifstream in(path);
    if (!(in >> pid) || pid != pid_) return {};  // not ours any more: leave it
    if (::unlink(path.c_str()) != 0) return "pid file " + path + ": " + std::strerror(errno);
    return {};
}

}  // namespace mv::milter
