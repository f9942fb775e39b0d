// SPDX-License-Identifier: Apache-2.0
// state_file.hpp - the embedded store's file: atomic write, checked read.
//
// Format (text, one record a line, keys percent-encoded so any byte is safe):
//   milter-verdict-state 1
//   r KEY EXPIRES N (LENGTH START COUNT){N}     rate counter
//   g KEY EXPIRES FIRST PASSED                  greylist triplet
//   c KEY EXPIRES PASSES                        greylist client
//   end RECORDS FNV1A64-HEX                     record count and checksum
// Times are milliseconds since the epoch. The trailer makes a truncated or
// edited file detectable: anything that does not parse, or whose count or
// checksum differ, is corrupt as a whole (partial state could wrongly let a
// limit reset; an empty store is the documented fallback).
//
// write_state_file() writes PATH.tmp, fsyncs it, renames it over PATH and
// fsyncs the directory, so a crash leaves either the old or the new file.
// read_state_file() never throws; a missing file is not an error.
// set_aside() renames a corrupt file to PATH.corrupt-YYYYMMDDTHHMMSSZ.
//
// Thread contract: reentrant; callers serialise writes to one path.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "state/entry.hpp"

namespace mv::state {

using Record = std::pair<std::string, Entry>;  // key (without kind), entry

// "" on success, else "state file PATH: what failed: strerror".
std::string write_state_file(const std::string& path, const std::vector<Record>& records);

struct StateFileRead {
    bool missing = false;         // no file: a first start
    std::string error;            // non-empty: the file is corrupt or unreadable
    bool corrupt = false;         // the error is the content's, not the system's
    std::vector<Record> records;  // valid, unexpired records (empty on error)
    std::size_t expired = 0;      // records skipped because they had expired
};

StateFileRead read_state_file(const std::string& path, std::int64_t now_ms);

// Rename PATH aside; returns the new name, or "" with `error` set.
std::string set_aside(const std::string& path, std::int64_t now_ms, std::string& error);

// One record as a line of the file ("g KEY EXPIRES FIRST PASSED\n"), and
// back ("" on success, else what is wrong). The control socket
// (control/control_server.hpp) sends records in this form too.
std::string format_record(const Record& record);
std::string parse_record_line(const std::string& line, Record& record);

// Percent-encoding of keys in the file (exposed for tests).
std::string encode_key(const std::string& key);
bool decode_key(const std::string& text, std::string& key);

}  // namespace mv::state
