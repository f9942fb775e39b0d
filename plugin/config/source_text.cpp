// SPDX-License-Identifier: Apache-2.0
// source_text.cpp - read the configuration files ourselves and expand @include (source_text.hpp).
#include "config/source_text.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace mv::config {

namespace {

std::string kind_of(mode_t mode) {
    if (S_ISDIR(mode)) return "a directory";
    if (S_ISFIFO(mode)) return "a FIFO";
    if (S_ISCHR(mode)) return "a character device";
    if (S_ISBLK(mode)) return "a block device";
    if (S_ISSOCK(mode)) return "a socket";
    return "a special file";
}

struct Fd {
    int fd = -1;
    ~Fd() {
        if (fd >= 0) ::close(fd);
    }
};

// The first byte that is not text: a control character other than tab,
// newline, carriage return and form feed, or DEL. npos when there is none.
std::size_t first_binary_byte(const std::string& text) {
    for (std::size_t i = 0; i < text.size(); ++i) {
        const auto c = static_cast<unsigned char>(text[i]);
        if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r' && c != '\f') || c == 0x7f) return i;
    }
    return std::string::npos;
}

std::string dir_of(const std::string& path) {
    const auto slash = path.rfind('/');
    if (slash == std::string::npos) return ".";
    if (slash == 0) return "/";
    return path.substr(0, slash);
}

// The expansion of one configuration: files are lexed the way libconfig 1.5's
// scanner.l does, only as far as needed to find @include directives (block
// comments, strings and line comments hide them; a comment or string left
// open at the end of an included file goes on in the file that included it,
// as in libconfig, where the scanner's state survives the end of a buffer).
class Expander {
  public:
    Expander(const std::string& main_file, const std::string& include_dir, Diagnostics& diag)
        : include_dir_(include_dir), diag_(diag) {
        out_.files.push_back(main_file);
    }

    bool run() {
        const std::string& main_file = out_.files[0];
        std::string why;
        int err = 0;
        auto text = read_regular_file(main_file, kMaxConfigBytes, why, &err);
        if (!text) {
            if (err == EFBIG) why = too_big();
            diag_.error(main_file, 0, err != 0 && err != EFBIG ? "cannot read: " + why : why);
            return false;
        }
        if (!check_text(main_file, *text)) return false;
        if (text->empty()) {
            diag_.error(main_file, 0, "empty file: no rules and no settings");
            return false;
        }
        total_ = text->size();
        out_.main_lines = 1;  // the line after the last newline counts, as libconfig's
        for (char c : *text) out_.main_lines += c == '\n';
        expand(0, *text, 0);
        return ok_;
    }

    SourceText take() { return std::move(out_); }

  private:
    enum class State { Initial, Comment, String };

    static std::string too_big() {
        return "the configuration, the main file and its includes together, is larger than "
               "the " +
               std::to_string(kMaxConfigBytes >> 20) + " MiB limit";
    }

    bool check_text(const std::string& file, const std::string& text) {
        const std::size_t at = first_binary_byte(text);
        if (at == std::string::npos) return true;
        int line = 1;
        for (std::size_t i = 0; i < at; ++i) line += text[i] == '\n';
        char hex[8];
        std::snprintf(hex, sizeof hex, "0x%02x", static_cast<unsigned char>(text[at]));
        diag_.error(file, line,
                    "binary data (byte " + std::string(hex) + " at offset " + std::to_string(at) +
                        "): not a configuration file");
        return false;
    }

    // Appends text[from, to) of file `file`, whose first byte is on `line`.
    void emit(std::size_t file, const std::string& text, std::size_t from, std::size_t to,
              int line) {
        for (std::size_t p = from; p < to; ++p) {
            if (line_start_) {
                out_.lines.push_back({file, line});
                line_start_ = false;
            }
            out_.text.push_back(text[p]);
            if (text[p] == '\n') {
                ++line;
                line_start_ = true;
            }
        }
    }

    // At text[i], the start of a line: "[ \t]*@include[ \t]+\"". Returns the
    // index after the opening quote, or npos.
    static std::size_t include_open(const std::string& text, std::size_t i) {
        while (i < text.size() && (text[i] == ' ' || text[i] == '\t')) ++i;
        if (text.compare(i, 8, "@include") != 0) return std::string::npos;
        i += 8;
        const std::size_t blanks = i;
        while (i < text.size() && (text[i] == ' ' || text[i] == '\t')) ++i;
        if (i == blanks || i >= text.size() || text[i] != '"') return std::string::npos;
        return i + 1;
    }

    std::string include_error(std::size_t from, int line, const std::string& name,
                              const std::string& why) {
        std::string msg = "cannot open include file '" + name + "': " + why;
        const std::string tried = include_dir_ + "/" + name;
        if (!name.empty() && name[0] == '/') {
            msg +=
                " (libconfig 1.5 reads every @include relative to the main file's directory, an "
                "absolute name too: it looked for '" +
                tried + "')";
        } else if (dir_of(out_.files[from]) != dir_of(out_.files[0])) {
            msg +=
                " (an @include is relative to the main file's directory, also inside an "
                "included file: it looked for '" +
                tried + "')";
        }
        diag_.error(out_.files[from], line, msg);
        ok_ = false;
        return msg;
    }

    void include(std::size_t from, int line, const std::string& name, int depth) {
        if (depth >= kMaxIncludeDepth) {
            diag_.error(out_.files[from], line,
                        "include file nesting too deep (more than " +
                            std::to_string(kMaxIncludeDepth) + " levels: does '" + name +
                            "' include itself?)");
            ok_ = false;
            return;
        }
        const std::string tried = include_dir_ + "/" + name;
        std::string why;
        int err = 0;
        auto text = read_regular_file(tried, kMaxConfigBytes - total_, why, &err);
        if (!text) {
            if (err == EFBIG) why = too_big();
            include_error(from, line, name, why);
            return;
        }
        total_ += text->size();
        const std::string shown = diag_.resolve(name);
        if (!check_text(shown, *text)) {
            ok_ = false;
            return;
        }
        out_.files.push_back(shown);
        expand(out_.files.size() - 1, *text, depth + 1);
        if (!out_.text.empty() && out_.text.back() != '\n') {
            out_.text.push_back('\n');  // the rest of the @include line starts a line of its own
            line_start_ = true;
        }
    }

    void expand(std::size_t file, const std::string& text, int depth) {
        const std::size_t n = text.size();
        std::size_t i = 0, seg = 0;
        int line = 1, seg_line = 1;
        bool bol = true;  // flex's ^: a buffer starts at the beginning of a line
        while (i < n && ok_) {
            const char c = text[i];
            const char next = i + 1 < n ? text[i + 1] : '\0';
            if (state_ == State::Comment) {
                if (c == '*' && next == '/') {
                    state_ = State::Initial;
                    bol = false;
                    i += 2;
                    continue;
                }
                line += c == '\n';
                ++i;
                continue;
            }
            if (state_ == State::String) {
                if (c == '\\' && i + 1 < n) {
                    line += next == '\n';
                    i += 2;
                    continue;
                }
                if (c == '"') {
                    state_ = State::Initial;
                    bol = false;
                }
                line += c == '\n';
                ++i;
                continue;
            }
            if (bol) {
                if (const std::size_t q = include_open(text, i); q != std::string::npos) {
                    std::string name;
                    std::size_t k = q;
                    int name_lines = 0;
                    while (k < n && text[k] != '"') {
                        if (text[k] == '\\' && k + 1 < n &&
                            (text[k + 1] == '\\' || text[k + 1] == '"')) {
                            name += text[k + 1];
                            k += 2;
                        } else if (text[k] == '\\') {
                            ++k;  // libconfig drops a backslash before anything else
                        } else {
                            name_lines += text[k] == '\n';
                            name += text[k++];
                        }
                    }
                    if (k >= n) {
                        diag_.error(out_.files[file], line,
                                    "@include without the closing '\"' of its file name");
                        ok_ = false;
                        return;
                    }
                    emit(file, text, seg, i, seg_line);
                    include(file, line, name, depth);
                    line += name_lines;
                    i = seg = k + 1;
                    seg_line = line;
                    bol = false;
                    continue;
                }
            }
            if (c == '/' && next == '*') {
                state_ = State::Comment;
                bol = false;
                i += 2;
                continue;
            }
            if (c == '"') {
                state_ = State::String;
                bol = false;
                ++i;
                continue;
            }
            if (c == '#' || (c == '/' && next == '/')) {
                while (i < n && text[i] != '\n') ++i;
                bol = false;
                continue;
            }
            bol = c == '\n';
            line += c == '\n';
            ++i;
        }
        if (ok_) emit(file, text, seg, n, seg_line);
    }

    std::string include_dir_;
    Diagnostics& diag_;
    SourceText out_;
    State state_ = State::Initial;
    bool line_start_ = true;
    bool ok_ = true;
    std::size_t total_ = 0;
};

}  // namespace

SourceText::Origin SourceText::origin(int line) const {
    if (lines.empty() || line < 1) return {0, line};
    if (static_cast<std::size_t>(line) <= lines.size()) return lines[line - 1];
    const Origin& last = lines.back();
    return {last.file, last.line + (line - static_cast<int>(lines.size()))};
}

int open_regular_file(const std::string& path, std::string& why, int* error) {
    int ignored = 0;
    int& err = error ? *error : ignored;
    err = 0;
    struct stat before {};
    if (::stat(path.c_str(), &before) != 0) {
        err = errno;
        why = std::strerror(err);
        return -1;
    }
    // Never open anything else: a FIFO's open blocks, a device's may act.
    if (!S_ISREG(before.st_mode)) {
        why = kind_of(before.st_mode) + ", not a regular file";
        return -1;
    }
    Fd f{::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY)};
    if (f.fd < 0) {
        err = errno;
        why = std::strerror(err);
        return -1;
    }
    struct stat now {};
    if (::fstat(f.fd, &now) != 0) {
        err = errno;
        why = std::strerror(err);
        return -1;
    }
    if (!S_ISREG(now.st_mode)) {
        why = kind_of(now.st_mode) + ", not a regular file";
        return -1;
    }
    if (now.st_dev != before.st_dev || now.st_ino != before.st_ino) {
        why = "replaced while being opened; reload again";
        return -1;
    }
    const int flags = ::fcntl(f.fd, F_GETFL);
    if (flags >= 0) ::fcntl(f.fd, F_SETFL, flags & ~O_NONBLOCK);
    const int fd = f.fd;
    f.fd = -1;
    return fd;
}

std::optional<std::string> read_regular_file(const std::string& path, std::size_t max_bytes,
                                             std::string& why, int* error) {
    int ignored = 0;
    int& err = error ? *error : ignored;
    err = 0;
    Fd f{open_regular_file(path, why, &err)};
    if (f.fd < 0) return std::nullopt;
    struct stat before {};
    if (::fstat(f.fd, &before) != 0) {
        err = errno;
        why = std::strerror(err);
        return std::nullopt;
    }
    if (static_cast<std::size_t>(before.st_size) > max_bytes) {
        err = EFBIG;
        why = "larger than " + std::to_string(max_bytes) + " bytes";
        return std::nullopt;
    }
    std::string text;
    text.reserve(static_cast<std::size_t>(before.st_size));
    char buf[65536];
    for (;;) {
        const ssize_t got = ::read(f.fd, buf, sizeof buf);
        if (got < 0) {
            if (errno == EINTR) continue;
            err = errno;
            why = std::strerror(err);
            return std::nullopt;
        }
        if (got == 0) break;
        if (text.size() + static_cast<std::size_t>(got) > max_bytes) {
            err = EFBIG;
            why = "larger than " + std::to_string(max_bytes) + " bytes";
            return std::nullopt;
        }
        text.append(buf, static_cast<std::size_t>(got));
    }
    struct stat after {};
    if (::fstat(f.fd, &after) != 0) {
        err = errno;
        why = std::strerror(err);
        return std::nullopt;
    }
    // A file written while we read it is not read half: the next reload will
    // see it whole.
    if (after.st_size != before.st_size || after.st_mtim.tv_sec != before.st_mtim.tv_sec ||
        after.st_mtim.tv_nsec != before.st_mtim.tv_nsec ||
        text.size() != static_cast<std::size_t>(after.st_size)) {
        why = "changed while being read (" + std::to_string(text.size()) + " bytes read, " +
              std::to_string(after.st_size) + " now); reload again once it is written";
        return std::nullopt;
    }
    return text;
}

std::optional<SourceText> read_source(const std::string& path, const std::string& include_dir,
                                      Diagnostics& diag) {
    Expander e(path, include_dir, diag);
    if (!e.run()) return std::nullopt;
    return e.take();
}

}  // namespace mv::config
