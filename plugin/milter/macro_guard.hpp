// SPDX-License-Identifier: Apache-2.0
// macro_guard.hpp - refuses the SMFIC_MACRO packets libmilter would store unpaired.
//
// Why it exists: libmilter (Debian 12's 8.17.1.9, upstream 8.18 alike) splits
// a macro packet ('D', a stage byte, then NUL-terminated name and value
// strings) into an argv without checking that names and values pair up.
// With an odd number of strings (e.g. "D" "Cj\0") the argv is {"j", NULL},
// and smfi_getsymval(), which steps over a name and its value two pointers at
// a time, walks past the NULL terminator and reads beyond the array: any
// client of the milter socket can crash the daemon (issue 29; the report for
// libmilter's maintainers is docs/upstream/libmilter-odd-macro-oob-read.md).
//
// How: macro_guard.cpp defines mi_rd_cmd(), libmilter's exported
// packet reader. libmilter's engine calls it through its PLT, so the
// executable's definition interposes on the library's (ELF symbol
// interposition: the executable exports it, see GUARD_LDFLAGS in the
// Makefile; `readelf --dyn-syms milter-verdict` lists it). The wrapper
// calls libmilter's own reader (dlsym RTLD_NEXT) and, for a macro packet
// whose strings do not pair up, frees the packet, logs one warning, counts
// it and reports a read error to the engine: libmilter then ends that
// connection as it does on a broken socket (our close callback runs; the
// MTA applies its default action, Postfix's milter_default_action). Every
// other packet passes untouched. The object file is linked into a binary
// only when the binary uses a name of this header (MacroGuard,
// macro_payload_well_formed): the daemon does (daemon.cpp), and so do the
// unit tests and the libmilter wire fuzz target; without it a binary keeps
// libmilter's reader.
//
// Thread contract: mi_rd_cmd runs on libmilter's worker threads; the logger
// pointer and the counter are atomics. Create one MacroGuard before
// smfi_main and destroy it only after smfi_main has returned.
#pragma once

#include <cstddef>
#include <cstdint>

#include "observability/logger.hpp"

namespace mv::milter {

// The payload of a macro packet (what follows the 'D'): a stage byte, then
// zero or more NUL-terminated strings. Well formed when there is a stage
// byte and the strings pair up: none at all, or an even number of NULs with
// the last byte a NUL. Pure; any bytes.
bool macro_payload_well_formed(const char* payload, std::size_t len);

// Malformed macro packets refused since the process started.
std::uint64_t malformed_macro_packets();

// While one exists, the refusals are logged to `log` (one warning line each);
// without one they are refused all the same, silently.
class MacroGuard {
  public:
    explicit MacroGuard(observability::Logger& log);
    ~MacroGuard();
    MacroGuard(const MacroGuard&) = delete;
    MacroGuard& operator=(const MacroGuard&) = delete;
};

}  // namespace mv::milter
