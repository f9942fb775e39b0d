// SPDX-License-Identifier: Apache-2.0
// fuzz_input.hpp - what every fuzz target shares: reading a fuzzer's bytes, and failing loudly.
//
// ByteReader takes values off the front of the input: single bytes, small
// integers, length-prefixed strings (one byte 0..249 is the length; 250..255
// announce a two-byte length, so values far over the daemon's bounds stay
// reachable), and the rest. Reading past the end gives zeros and empty
// strings, never an error: every input is a valid program for the target.
//
// split() cuts the input at a separator byte, so a target can take several
// files or values out of one input; the seed generator (make_seeds.py)
// writes its seeds with the same separators.
//
// scratch_dir() is a private directory for targets that hand files to the
// code under test (the loader, the state file reader), made on first use and
// removed when the process exits normally; write_file() replaces a file there.
//
// MV_FUZZ_CHECK(cond) aborts with the condition's text: a property that does
// not hold is a crash for libFuzzer (and for the replay suite), like an ASan
// report.
//
// Thread contract: single-threaded, as libFuzzer runs a target.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

#define MV_FUZZ_CHECK(cond)                                                                  \
    do {                                                                                     \
        if (!(cond)) {                                                                       \
            std::fprintf(stderr, "%s:%d: property failed: %s\n", __FILE__, __LINE__, #cond); \
            std::abort();                                                                    \
        }                                                                                    \
    } while (0)

namespace mv::fuzz {

class ByteReader {
  public:
    ByteReader(const std::uint8_t* data, std::size_t size) : p_(data), end_(data + size) {}

    bool empty() const { return p_ >= end_; }
    std::size_t left() const { return static_cast<std::size_t>(end_ - p_); }

    std::uint8_t byte() { return empty() ? 0 : *p_++; }
    // Big-endian. Each read is its own statement: the operands of `|` are
    // unsequenced, and g++ and clang would read the bytes in different orders.
    std::uint16_t u16() {
        const unsigned hi = byte();
        return static_cast<std::uint16_t>(hi << 8 | byte());
    }
    std::uint32_t u32() {
        const std::uint32_t hi = u16();
        return hi << 16 | u16();
    }

    std::size_t length() {
        const std::uint8_t b = byte();
        return b < 250 ? b : u16();
    }
    std::string string() {
        // length() first: it consumes the length bytes that left() must not count
        // (in std::min(length(), left()) the order would be unspecified; g++
        // evaluated left() first and read up to 3 bytes past the input).
        const std::size_t want = length();
        const std::size_t n = std::min(want, left());
        std::string s(reinterpret_cast<const char*>(p_), n);
        p_ += n;
        return s;
    }
    std::string rest() {
        std::string s(reinterpret_cast<const char*>(p_), left());
        p_ = end_;
        return s;
    }

  private:
    const std::uint8_t* p_;
    const std::uint8_t* end_;
};

// At most `parts` pieces; the last one keeps any further separators.
inline std::vector<std::string> split(std::string_view data, char sep, std::size_t parts) {
    std::vector<std::string> out;
    while (out.size() + 1 < parts) {
        const auto at = data.find(sep);
        if (at == std::string_view::npos) break;
        out.emplace_back(data.substr(0, at));
        data.remove_prefix(at + 1);
    }
    out.emplace_back(data);
    while (out.size() < parts) out.emplace_back();
    return out;
}

class ScratchDir {
  public:
    ScratchDir() {
        char tmpl[] = "/tmp/mv-fuzz-XXXXXX";
        if (::mkdtemp(tmpl) == nullptr) std::abort();
        path_ = tmpl;
    }
    ~ScratchDir() {
        std::error_code ec;
        std::filesystem::remove_all(path_, ec);
    }
    const std::string& path() const { return path_; }

  private:
    std::string path_;
};

inline const std::string& scratch_dir() {
    static const ScratchDir dir;
    return dir.path();
}

inline void write_file(const std::string& path, std::string_view bytes) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    if (!out) std::abort();
}

}  // namespace mv::fuzz
