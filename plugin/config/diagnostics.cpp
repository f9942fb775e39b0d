// SPDX-License-Identifier: Apache-2.0
// diagnostics.cpp - collecting "file:line: severity: message" diagnostics.
#include "config/diagnostics.hpp"

#include "config/source_text.hpp"

namespace mv::config {

namespace {

// Values quoted in a message come from the file, and a libconfig string may
// hold any byte: control characters are written as escapes, so that one
// diagnostic is always one line (check-config output, the reload log).
std::string one_line(std::string text) {
    std::string out;
    for (unsigned char c : text) {
        if (c == '\t' || (c >= 0x20 && c != 0x7f)) {
            out += static_cast<char>(c);
        } else if (c == '\n') {
            out += "\\n";
        } else if (c == '\r') {
            out += "\\r";
        } else {
            static const char* hex = "0123456789abcdef";
            out += "\\x";
            out += hex[c >> 4];
            out += hex[c & 15];
        }
    }
    return out;
}

}  // namespace

std::string Diagnostic::to_string() const {
    std::string out = file;
    if (line > 0) out += ":" + std::to_string(line);
    out += severity == Severity::Error ? ": error: " : ": warning: ";
    out += message;
    return out;
}

int LoadResult::errors() const {
    int n = 0;
    for (const auto& d : diagnostics) n += d.severity == Diagnostic::Severity::Error;
    return n;
}

int LoadResult::warnings() const {
    int n = 0;
    for (const auto& d : diagnostics) n += d.severity == Diagnostic::Severity::Warning;
    return n;
}

void Diagnostics::add(Diagnostic::Severity severity, const std::string& file, int line,
                      std::string message) {
    Diagnostic d{one_line(file), line, severity, one_line(std::move(message))};
    // A list file shared by many rules would otherwise repeat the same line
    // once per rule.
    if (!seen_.insert(d.to_string()).second) return;
    if (severity == Diagnostic::Severity::Error) ++errors_;
    list_.push_back(std::move(d));
}

void Diagnostics::error(const std::string& file, int line, std::string message) {
    add(Diagnostic::Severity::Error, file, line, std::move(message));
}

void Diagnostics::warning(const std::string& file, int line, std::string message) {
    add(Diagnostic::Severity::Warning, file, line, std::move(message));
}

void Diagnostics::error(const libconfig::Setting& at, std::string message) {
    error(file_of(at), line_of(at), std::move(message));
}

void Diagnostics::warning(const libconfig::Setting& at, std::string message) {
    warning(file_of(at), line_of(at), std::move(message));
}

std::pair<std::string, int> Diagnostics::where(int line) const {
    if (source_ == nullptr) return {main_file_, line};
    const SourceText::Origin o = source_->origin(line);
    return {source_->files.at(o.file), o.line};
}

std::string Diagnostics::file_of(const libconfig::Setting& at) const {
    if (source_ != nullptr) return where(static_cast<int>(at.getSourceLine())).first;
    const char* f = at.getSourceFile();
    return f != nullptr && *f != '\0' ? resolve(f) : main_file_;
}

std::string Diagnostics::resolve(const std::string& file) const {
    // libconfig names an included file as written in @include; it was opened
    // relative to the main file's directory (the include directory).
    if (file == main_file_ || file.empty() || file[0] == '/') return file;
    const auto slash = main_file_.rfind('/');
    if (slash == std::string::npos) return file;
    return main_file_.substr(0, slash + 1) + file;
}

int Diagnostics::line_of(const libconfig::Setting& at) const {
    if (source_ != nullptr) return where(static_cast<int>(at.getSourceLine())).second;
    return static_cast<int>(at.getSourceLine());
}

}  // namespace mv::config
