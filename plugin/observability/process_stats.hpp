// SPDX-License-Identifier: Apache-2.0
// process_stats.hpp - this process's CPU, memory and file descriptors, from /proc.
//
// read_process_stats() reads /proc/self/stat (CPU time, start time, virtual
// and resident size), counts /proc/self/fd and asks getrlimit(RLIMIT_NOFILE),
// for the standard process_* metrics every Prometheus client exports
// (process_cpu_seconds_total, process_resident_memory_bytes, ...), under
// those standard names so that existing dashboards and alerts work.
//
// Errors: a field that cannot be read is left at -1 (the metric is then not
// exported); nothing throws.
//
// Thread contract: pure function of the process state; any thread.
#pragma once

#include <cstdint>

namespace mv::observability {

struct ProcessStats {
    double cpu_seconds = -1;         // user + system
    double start_time_seconds = -1;  // since the epoch
    std::int64_t resident_bytes = -1;
    std::int64_t virtual_bytes = -1;
    std::int64_t open_fds = -1;
    std::int64_t max_fds = -1;
};

ProcessStats read_process_stats();

}  // namespace mv::observability
