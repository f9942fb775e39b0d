// SPDX-License-Identifier: Apache-2.0
// state_file.cpp - write and read the embedded store's file (see state_file.hpp).
#include "state/state_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <memory>
#include <sstream>

namespace mv::state {
namespace {

constexpr const char* kMagic = "milter-verdict-state 1";
// A record line is at most the encoded key (3 bytes a byte) and a few numbers.
constexpr std::size_t kMaxLine = 3 * kMaxKey + 64 + kMaxWindows * 64;

class UniqueFd {
  public:
    explicit UniqueFd(int fd) : fd_(fd) {}
    UniqueFd(const UniqueFd&) = delete;
    UniqueFd& operator=(const UniqueFd&) = delete;
    ~UniqueFd() { reset(); }
    int get() const { return fd_; }
    // Gives the descriptor up (to a FILE that now owns it).
    void release() { fd_ = -1; }
    // Close now and report the error: a failing close() can mean lost data.
    int reset() {
        int rc = 0;
        if (fd_ >= 0) rc = ::close(fd_);
        fd_ = -1;
        return rc;
    }

  private:
    int fd_;
};

struct Fnv1a {
    std::uint64_t h = 1469598103934665603ull;
    void add(const std::string& s) {
        for (unsigned char c : s) {
            h ^= c;
            h *= 1099511628211ull;
        }
    }
};

std::string errno_text(const std::string& path, const char* what) {
    return "state file " + path + ": " + what + ": " + std::strerror(errno);
}

bool write_all(int fd, const std::string& data) {
    std::size_t done = 0;
    while (done < data.size()) {
        const ssize_t n = ::write(fd, data.data() + done, data.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return false;
        done += static_cast<std::size_t>(n);
    }
    return true;
}

std::string record_line(const Record& r) {
    const Entry& e = r.second;
    std::string line;
    line += static_cast<char>(e.kind);
    line += ' ' + encode_key(r.first) + ' ' + std::to_string(e.expires_ms);
    switch (e.kind) {
        case Entry::Kind::Rate:
            line += ' ' + std::to_string(e.windows.size());
            for (const WindowState& w : e.windows) {
                line += ' ' + std::to_string(w.length_ms) + ' ' + std::to_string(w.start_ms) + ' ' +
                        std::to_string(w.count);
            }
            break;
        case Entry::Kind::Triplet:
            line += ' ' + std::to_string(e.triplet.first_ms) + ' ' + (e.triplet.passed ? "1" : "0");
            break;
        case Entry::Kind::Client:
            line += ' ' + std::to_string(e.client.passes);
            break;
    }
    line += '\n';
    return line;
}

// Strict number parsing: the whole token, no sign surprises.
bool parse_i64(const std::string& s, std::int64_t& out) {
    if (s.empty() || s.size() > 20) return false;
    char* end = nullptr;
    errno = 0;
    const long long v = std::strtoll(s.c_str(), &end, 10);
    if (errno != 0 || *end != '\0') return false;
    out = v;
    return true;
}

bool parse_u64(const std::string& s, std::uint64_t& out) {
    if (s.empty() || s.size() > 20 || s[0] == '-' || s[0] == '+') return false;
    char* end = nullptr;
    errno = 0;
    const unsigned long long v = std::strtoull(s.c_str(), &end, 10);
    if (errno != 0 || *end != '\0') return false;
    out = v;
    return true;
}

// Parse one record line; "" on success, else what is wrong.
std::string parse_record(const std::string& line, Record& rec) {
    std::istringstream in(line);
    std::string kind, key, tok;
    if (!(in >> kind >> key >> tok) || kind.size() != 1) return "malformed record";
    if (!decode_key(key, rec.first) || rec.first.empty()) return "bad key";
    Entry& e = rec.second;
    if (!parse_i64(tok, e.expires_ms)) return "bad expiry";
    auto next_i64 = [&](std::int64_t& v) { return (in >> tok) && parse_i64(tok, v); };
    auto next_u64 = [&](std::uint64_t& v) { return (in >> tok) && parse_u64(tok, v); };
    switch (kind[0]) {
        case 'r': {
            e.kind = Entry::Kind::Rate;
            std::uint64_t n = 0;
            if (!next_u64(n) || n == 0 || n > kMaxWindows) return "bad window count";
            for (std::uint64_t i = 0; i < n; ++i) {
                WindowState w;
                if (!next_i64(w.length_ms) || w.length_ms <= 0 || !next_i64(w.start_ms) ||
                    !next_u64(w.count))
                    return "bad window";
                e.windows.push_back(w);
            }
            break;
        }
        case 'g': {
            e.kind = Entry::Kind::Triplet;
            std::uint64_t passed = 0;
            if (!next_i64(e.triplet.first_ms) || !next_u64(passed) || passed > 1)
                return "bad triplet";
            e.triplet.present = true;
            e.triplet.passed = passed == 1;
            e.triplet.expires_ms = e.expires_ms;
            break;
        }
        case 'c':
            e.kind = Entry::Kind::Client;
            if (!next_u64(e.client.passes)) return "bad client";
            e.client.present = true;
            e.client.expires_ms = e.expires_ms;
            break;
        default:
            return "unknown record kind";
    }
    if (in >> tok) return "trailing data";
    return {};
}

}  // namespace

std::string format_record(const Record& record) {
    return record_line(record);
}

std::string parse_record_line(const std::string& line, Record& record) {
    if (line.size() > kMaxLine) return "record too long";
    record = Record{};
    return parse_record(line, record);
}

std::string encode_key(const std::string& key) {
    static const char* hex = "0123456789ABCDEF";
    std::string out;
    out.reserve(key.size());
    for (unsigned char c : key) {
        if (c <= 0x20 || c >= 0x7f || c == '%') {
            out += '%';
            out += hex[c >> 4];
            out += hex[c & 15];
        } else {
            out += static_cast<char>(c);
        }
    }
    return out;
}

bool decode_key(const std::string& text, std::string& key) {
    key.clear();
    auto nibble = [](char c) -> int {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        return -1;
    };
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] != '%') {
            key += text[i];
            continue;
        }
        if (i + 2 >= text.size()) return false;
        const int hi = nibble(text[i + 1]), lo = nibble(text[i + 2]);
        if (hi < 0 || lo < 0) return false;
        key += static_cast<char>(hi * 16 + lo);
        i += 2;
    }
    return key.size() <= kMaxKey;
}

std::string write_state_file(const std::string& path, const std::vector<Record>& records) {
    const std::string tmp = path + ".tmp";
    UniqueFd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
    if (fd.get() < 0) return errno_text(tmp, "cannot create");
    Fnv1a sum;
    std::string buf = std::string(kMagic) + "\n";
    sum.add(buf);
    for (const Record& r : records) {
        const std::string line = record_line(r);
        sum.add(line);
        buf += line;
        if (buf.size() >= 65536) {
            if (!write_all(fd.get(), buf)) return errno_text(tmp, "write failed");
            buf.clear();
        }
    }
    char trailer[64];
    std::snprintf(trailer, sizeof trailer, "end %zu %016" PRIx64 "\n", records.size(), sum.h);
    buf += trailer;
    if (!write_all(fd.get(), buf)) return errno_text(tmp, "write failed");
    if (::fsync(fd.get()) != 0) return errno_text(tmp, "fsync failed");
    if (fd.reset() != 0) return errno_text(tmp, "close failed");
    if (::rename(tmp.c_str(), path.c_str()) != 0) return errno_text(path, "rename failed");
    // The rename is durable only once the directory is synced.
    const std::size_t slash = path.rfind('/');
    const std::string dir = slash == std::string::npos ? "." : path.substr(0, slash + 1);
    UniqueFd dfd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (dfd.get() >= 0) ::fsync(dfd.get());
    return {};
}

StateFileRead read_state_file(const std::string& path, std::int64_t now_ms) {
    StateFileRead out;
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0 && errno == ENOENT) {
        out.missing = true;
        return out;
    }
    // Only a regular file is read: a FIFO or device named as the state file
    // would block the open (or the read) forever, under the reload's switch
    // and so under SIGTERM too. O_NONBLOCK keeps the open itself from
    // blocking; fstat then checks what was opened (it may have been swapped
    // since the stat above).
    if (!S_ISREG(st.st_mode)) {
        out.error = "state file " + path + ": not a regular file";
        return out;
    }
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC));
    struct stat opened {};
    if (fd.get() < 0 || ::fstat(fd.get(), &opened) != 0) {
        out.error = errno_text(path, "cannot open");
        return out;
    }
    if (!S_ISREG(opened.st_mode) || opened.st_ino != st.st_ino || opened.st_dev != st.st_dev) {
        out.error = "state file " + path + ": not a regular file (changed while opened)";
        return out;
    }
    std::FILE* file = ::fdopen(fd.get(), "rb");
    if (file == nullptr) {
        out.error = errno_text(path, "cannot open");
        return out;
    }
    fd.release();
    const std::unique_ptr<std::FILE, int (*)(std::FILE*)> owned(file, &std::fclose);
    struct Reader {
        std::FILE* f;
        bool get(char& c) {
            const int ch = getc_unlocked(f);  // the FILE is this call's alone
            if (ch == EOF) return false;
            c = static_cast<char>(ch);
            return true;
        }
    } in{file};
    auto fail = [&](std::size_t lineno, const std::string& what) {
        out.error = "state file " + path + ": line " + std::to_string(lineno) + ": " + what;
        out.corrupt = true;
        out.records.clear();
        out.expired = 0;
        return out;
    };
    Fnv1a sum;
    std::string line;
    std::size_t lineno = 0, records = 0;
    while (true) {
        line.clear();
        // Bounded read: a line longer than any valid record is corruption.
        char c;
        bool eol = false;
        while (in.get(c)) {
            if (c == '\n') {
                eol = true;
                break;
            }
            if (line.size() >= kMaxLine) return fail(lineno + 1, "line too long");
            line += c;
        }
        if (!eol) {
            return fail(lineno + 1, line.empty() ? "truncated (no end line)"
                                                 : "truncated (last line incomplete)");
        }
        ++lineno;
        if (lineno == 1) {
            if (line != kMagic) return fail(1, "not a milter-verdict state file");
            sum.add(line + "\n");
            continue;
        }
        if (line.rfind("end ", 0) == 0) {
            char expect[64];
            std::snprintf(expect, sizeof expect, "end %zu %016" PRIx64, records, sum.h);
            if (line != expect) return fail(lineno, "record count or checksum mismatch");
            if (in.get(c)) return fail(lineno + 1, "data after the end line");
            return out;
        }
        Record rec;
        const std::string err = parse_record(line, rec);
        if (!err.empty()) return fail(lineno, err);
        sum.add(line + "\n");
        ++records;
        if (rec.second.expires_ms <= now_ms) {
            ++out.expired;
        } else {
            out.records.push_back(std::move(rec));
        }
    }
}

std::string set_aside(const std::string& path, std::int64_t now_ms, std::string& error) {
    const std::time_t secs = static_cast<std::time_t>(now_ms / 1000);
    std::tm tm{};
    gmtime_r(&secs, &tm);
    char stamp[32];
    std::strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &tm);
    const std::string aside = path + ".corrupt-" + stamp;
    if (::rename(path.c_str(), aside.c_str()) != 0) {
        error = errno_text(path, "cannot rename aside");
        return {};
    }
    return aside;
}

}  // namespace mv::state
