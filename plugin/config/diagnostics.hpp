// SPDX-License-Identifier: Apache-2.0
// diagnostics.hpp - the collector of configuration problems of one load.
//
// Every part of the loader reports through one Diagnostics: an error or a
// warning at a file and line (or at a libconfig Setting, whose own source file
// and line are used). Nothing stops at the first problem; the loader keeps
// going so that one run shows all of them. Identical diagnostics are kept
// once (a bad list file line referenced by many rules is reported once).
//
// Thread contract: one Diagnostics per load, used by one thread.
#pragma once

#include <libconfig.h++>

#include <string>
#include <unordered_set>
#include <utility>
#include <vector>

#include "config/loader.hpp"

namespace mv::config {

struct SourceText;

class Diagnostics {
  public:
    explicit Diagnostics(std::string main_file) : main_file_(std::move(main_file)) {}

    void error(const std::string& file, int line, std::string message);
    void warning(const std::string& file, int line, std::string message);
    void error(const libconfig::Setting& at, std::string message);
    void warning(const libconfig::Setting& at, std::string message);

    // The file and line a setting was read from: through the source's line
    // map when libconfig parsed a SourceText (set_source), else as libconfig
    // says (the main file when it does not know).
    std::string file_of(const libconfig::Setting& at) const;
    int line_of(const libconfig::Setting& at) const;
    // Line `line` of the text libconfig parsed -> file and line.
    std::pair<std::string, int> where(int line) const;
    // The text libconfig parses (source_text.hpp); must outlive this object's use.
    void set_source(const SourceText* source) { source_ = source; }
    // An included file's name as libconfig gives it -> the path it was read from.
    std::string resolve(const std::string& file) const;

    const std::string& main_file() const { return main_file_; }
    int errors() const { return errors_; }
    std::vector<Diagnostic> take() { return std::move(list_); }

  private:
    void add(Diagnostic::Severity severity, const std::string& file, int line, std::string message);

    std::string main_file_;
    const SourceText* source_ = nullptr;
    std::vector<Diagnostic> list_;
    std::unordered_set<std::string> seen_;
    int errors_ = 0;
};

}  // namespace mv::config
