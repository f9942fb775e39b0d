// SPDX-License-Identifier: Apache-2.0
// source_text.hpp - the configuration's text, read by us, @include expanded.
//
// libconfig 1.5 opens every @include itself with fopen(3) and reads it with
// flex: a directory ends the process (flex's "input in flex scanner failed",
// exit 2), a FIFO blocks the open forever, a device is read as long as it
// gives bytes, and there is no include hook to stop it (config_set_include_func
// exists only from libconfig 1.7). So the loader never lets libconfig open a
// file: read_source() reads the main file and, following libconfig's own
// @include rule (scanner.l: at the start of a line, outside comments and
// strings, "@include" + blanks + a quoted name with \\ and \" escapes; the
// name taken relative to the include directory), every included file, and
// hands libconfig one string (Config::readString) in which each @include is
// replaced by the file's text. A line map takes every line of that string
// back to its file and line, so diagnostics still say file:line.
//
// Every file is read the same way (read_regular_file): stat(2) first, so that
// nothing but a regular file is ever opened (opening a device can have side
// effects, opening a FIFO blocks); then open(O_NONBLOCK) and fstat(2) on the
// descriptor, which must still be the same regular file (a file swapped
// between the two is refused, not followed); then read to the end, at most
// kMaxConfigBytes for the main file and all its includes together, and the
// file must not have changed (size, mtime) while it was read.
//
// Thread contract: reentrant; touches no global state.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "config/diagnostics.hpp"

namespace mv::config {

// The main file and every @include together: 16 MiB.
inline constexpr std::size_t kMaxConfigBytes = 16u << 20;
// libconfig 1.5's MAX_INCLUDE_DEPTH: an @include inside 10 nested includes is refused.
inline constexpr int kMaxIncludeDepth = 10;

struct SourceText {
    struct Origin {
        std::size_t file = 0;  // index into files
        int line = 0;
    };
    std::string text;                // what libconfig parses
    std::vector<std::string> files;  // files[0]: the main file, as named to the loader
    std::vector<Origin> lines;       // lines[n - 1]: where line n of `text` comes from
    int main_lines = 0;              // newlines of the main file + 1 (for "truncated?" hints)

    // Line n of `text` -> file and line (past the end: the last line's file).
    Origin origin(int line) const;
};

// The whole of a regular file at `path`, at most `max_bytes`; nullopt with
// `why` (an strerror text, or "a directory, not a regular file", ...) when
// it is anything else, cannot be read, is larger, or changed while read.
// `error`, when given, gets the errno of a failed system call, EFBIG when the
// file is larger than max_bytes, 0 for the other failures.
std::optional<std::string> read_regular_file(const std::string& path, std::size_t max_bytes,
                                             std::string& why, int* error = nullptr);

// Opens `path` for reading only if it is a regular file (stat, then
// open(O_NONBLOCK), then fstat: the same regular file). Returns the
// descriptor (close-on-exec, blocking again) or -1 with `why`.
int open_regular_file(const std::string& path, std::string& why, int* error = nullptr);

// Reads `path` and every file it @includes (relative to `include_dir`),
// checking each (regular, readable, not binary, within the size bound; the
// main file not empty). Reports every problem to `diag` at the main file or
// at the @include's file:line; nullopt when there was one.
std::optional<SourceText> read_source(const std::string& path, const std::string& include_dir,
                                      Diagnostics& diag);

}  // namespace mv::config
