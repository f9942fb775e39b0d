// SPDX-License-Identifier: Apache-2.0
// proc_cpu.hpp - CPU time used so far by another process, from /proc/PID/stat.
//
// utime + stime of the whole thread group (libmilter's worker threads
// included), in seconds. Resolution is one clock tick (usually 10 ms), so the
// benchmark measures thousands of messages between two readings.
//
// Errors: returns a negative value when the process or the file is gone.
//
// Thread contract: reentrant.
#pragma once

#include <sys/types.h>

namespace mv::bench {

double process_cpu_seconds(pid_t pid);

}  // namespace mv::bench
