// SPDX-License-Identifier: Apache-2.0
// process_stats.cpp - see process_stats.hpp.
#include "observability/process_stats.hpp"

#include <dirent.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace mv::observability {

namespace {

double boot_time() {
    std::ifstream in("/proc/stat");
    std::string line;
    while (std::getline(in, line))
        if (line.rfind("btime ", 0) == 0) return std::stod(line.substr(6));
    return -1;
}

std::int64_t count_fds() {
    DIR* d = ::opendir("/proc/self/fd");
    if (!d) return -1;
    std::int64_t n = 0;
    while (const dirent* e = ::readdir(d))
        if (e->d_name[0] != '.') ++n;
    ::closedir(d);
    return n - 1;  // the directory stream's own descriptor
}

}  // namespace

ProcessStats read_process_stats() {
    ProcessStats s;
    try {
        std::ifstream in("/proc/self/stat");
        std::string all((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        // The command name (field 2) may hold spaces and ')': fields after the last ')'.
        const auto paren = all.rfind(')');
        if (paren != std::string::npos) {
            std::istringstream rest(all.substr(paren + 1));
            std::vector<std::string> f;
            for (std::string x; rest >> x;) f.push_back(x);
            // f[0] is field 3 (state): utime 14, stime 15, starttime 22, vsize 23, rss 24.
            if (f.size() >= 22) {
                const double tick = static_cast<double>(::sysconf(_SC_CLK_TCK));
                const long page = ::sysconf(_SC_PAGESIZE);
                s.cpu_seconds = (std::stod(f[11]) + std::stod(f[12])) / tick;
                const double boot = boot_time();
                if (boot >= 0) s.start_time_seconds = boot + std::stod(f[19]) / tick;
                s.virtual_bytes = std::stoll(f[20]);
                s.resident_bytes = std::stoll(f[21]) * page;
            }
        }
    } catch (...) {
        // A /proc we cannot parse: the fields stay unknown.
    }
    s.open_fds = count_fds();
    rlimit rl{};
    if (::getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
        s.max_fds = static_cast<std::int64_t>(rl.rlim_cur);
    return s;
}

}  // namespace mv::observability
