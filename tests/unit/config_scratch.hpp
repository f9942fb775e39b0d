// SPDX-License-Identifier: Apache-2.0
// config_scratch.hpp - helpers for tests of config::load_policy(): a private
// temporary directory to write configuration and list files into (removed
// with its contents), and lookups over a LoadResult's diagnostics.
//
// Thread contract: test-only; each TempDir is owned by one test.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>

#include "config/loader.hpp"

namespace mv::test {

class TempDir {
  public:
    TempDir() {
        std::string tmpl = (std::filesystem::temp_directory_path() / "mv-config-XXXXXX").string();
        if (::mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
        path_ = tmpl;
    }
    ~TempDir() {
        std::error_code ec;
        std::filesystem::remove_all(path_, ec);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;

    // Writes `content` to NAME (subdirectories created); returns its path.
    std::string write(const std::string& name, const std::string& content) const {
        const auto p = std::filesystem::path(path_) / name;
        std::filesystem::create_directories(p.parent_path());
        std::ofstream(p, std::ios::binary) << content;
        return p.string();
    }
    const std::string& path() const { return path_; }

  private:
    std::string path_;
};

// True when some diagnostic has this file, line, severity and contains `text`.
inline bool has(const config::LoadResult& r, const std::string& file, int line,
                const std::string& text,
                config::Diagnostic::Severity sev = config::Diagnostic::Severity::Error) {
    for (const auto& d : r.diagnostics)
        if (d.file == file && d.line == line && d.severity == sev &&
            d.message.find(text) != std::string::npos)
            return true;
    return false;
}

// Every diagnostic, one per line: the message of a failed assertion.
inline std::string dump(const config::LoadResult& r) {
    std::string s;
    for (const auto& d : r.diagnostics) s += d.to_string() + "\n";
    return s;
}

}  // namespace mv::test
