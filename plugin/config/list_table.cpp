// SPDX-License-Identifier: Apache-2.0
// list_table.cpp - named lists, list files and "@name" expansion.
#include "config/list_table.hpp"

#include <cerrno>
#include <chrono>
#include <cstring>
#include <limits>
#include <sstream>

#include "config/schema.hpp"
#include "config/source_text.hpp"
#include "idn/idn.hpp"

namespace mv::config {

namespace {

// A list file line longer than this is certainly not an address, network or
// domain; reject it rather than keeping megabytes of garbage.
constexpr std::size_t kMaxListLine = 4096;
// A list file is read whole before it is parsed: 256 MiB bounds what one
// file can make start-up, check-config or a reload allocate (about eight
// million 30-byte addresses; milter-verdict.conf(5), LISTS).
constexpr std::size_t kMaxListFileBytes = std::size_t{256} << 20;
// After this many bad lines in one file, the rest are counted, not listed.
constexpr int kMaxBadLinesShown = 20;

std::string dir_of(const std::string& path) {
    const auto slash = path.rfind('/');
    if (slash == std::string::npos) return ".";
    if (slash == 0) return "/";
    return path.substr(0, slash);
}

std::string trim(std::string_view s) {
    const auto b = s.find_first_not_of(" \t\r");
    if (b == std::string_view::npos) return {};
    const auto e = s.find_last_not_of(" \t\r");
    return std::string(s.substr(b, e - b + 1));
}

// The reason a list file line is not one entry, or "".
std::string bad_line(const std::string& entry) {
    for (unsigned char c : entry) {
        if (c == ' ' || c == '\t') return "one entry per line (found a space)";
        if (c < 0x20 || c == 0x7f) return "control character in entry";
    }
    // UTF-8 is welcome (U-labels, SMTPUTF8 addresses); other bytes are not.
    if (!idn::valid_utf8(entry)) return "not valid UTF-8";
    return {};
}

}  // namespace

bool valid_list_name(std::string_view name) {
    if (name.empty() || name.size() > 64) return false;
    for (char c : name) {
        const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                        (c >= '0' && c <= '9') || c == '_' || c == '-';
        if (!ok) return false;
    }
    return true;
}

void ListTable::load(const libconfig::Setting& lists, Diagnostics& diag) {
    if (!lists.isGroup()) {
        diag.error(lists, "lists must be a group { name = [...]; ... }, not " + type_name(lists));
        return;
    }
    for (int i = 0; i < lists.getLength(); ++i) {
        const libconfig::Setting& s = lists[i];
        const std::string name = s.getName();
        NamedList list;
        list.name = name;
        list.defined_at = &s;
        const int errors_before = diag.errors();
        if (!valid_list_name(name))
            diag.error(s, "bad list name '" + name + "': use [A-Za-z0-9_-]");
        if (s.getType() == libconfig::Setting::TypeGroup) {
            check_keys(s, {"file"}, "list '" + name + "'", diag);
            if (!s.exists("file")) {
                diag.error(s, "list '" + name +
                                  "' needs file = \"PATH\" (or write the entries as [ ... ])");
            } else {
                load_file(list, s["file"], diag);
            }
        } else if (is_strings(s)) {
            if (s.getType() == libconfig::Setting::TypeString) {
                list.values.push_back(static_cast<const char*>(s));
                list.elements.push_back(&s);
            } else {
                for (int j = 0; j < s.getLength(); ++j) {
                    const std::string v = static_cast<const char*>(s[j]);
                    if (!v.empty() && v[0] == '@') {
                        diag.error(s[j], "list '" + name + "' refers to '" + v +
                                             "': lists cannot contain list references");
                        continue;
                    }
                    list.values.push_back(v);
                    list.elements.push_back(&s[j]);
                }
            }
        } else {
            diag.error(s, "list '" + name +
                              "' must be an array of strings or { file = \"PATH\"; }, not " +
                              type_name(s));
        }
        list.failed = diag.errors() > errors_before;
        order_.push_back(name);
        lists_[name] = std::move(list);
    }
}

std::vector<const NamedList*> ListTable::defined() const {
    std::vector<const NamedList*> out;
    for (const auto& name : order_) {
        const auto it = lists_.find(name);
        if (it != lists_.end()) out.push_back(&it->second);
    }
    return out;
}

void ListTable::load_file(NamedList& list, const libconfig::Setting& file_setting,
                          Diagnostics& diag) {
    const auto started = std::chrono::steady_clock::now();
    struct Timer {  // records the read time however the function returns
        NamedList& l;
        std::chrono::steady_clock::time_point t0;
        ~Timer() {
            l.read_seconds =
                std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        }
    } timer{list, started};
    const auto rel = read_string(file_setting, diag);
    if (!rel) return;
    if (rel->empty()) {
        diag.error(file_setting, "list '" + list.name + "': empty file name");
        return;
    }
    const std::string defined_in = diag.file_of(file_setting);
    const bool here = defined_in.find('/') == std::string::npos;
    const std::string path = (*rel)[0] == '/' || here ? *rel : dir_of(defined_in) + "/" + *rel;
    list.source = path;
    // Read as the configuration is (source_text.hpp): a regular file only,
    // never opened when it is a FIFO or a device, and not while it changes.
    std::string why;
    int err = 0;
    auto content = read_regular_file(path, kMaxListFileBytes, why, &err);
    if (!content) {
        diag.error(file_setting, "list '" + list.name + "': " +
                                     (err != 0 && err != EFBIG ? "cannot read " + path + ": " + why
                                                               : path + ": " + why));
        return;
    }
    // Lines are views into the one copy read; no second copy of the file.
    const std::string& text = *content;
    std::size_t pos = 0;
    auto next_line = [&](std::string_view& line) {
        if (pos >= text.size()) return false;
        std::size_t end = text.find('\n', pos);
        if (end == std::string::npos) end = text.size();
        line = std::string_view(text).substr(pos, end - pos);
        pos = end + 1;
        return true;
    };
    std::string_view line;
    int lineno = 0;
    int bad = 0;
    auto complain = [&](int at, const std::string& msg) {
        if (++bad <= kMaxBadLinesShown) diag.error(path, at, msg);
    };
    while (next_line(line)) {
        ++lineno;
        if (line.size() > kMaxListLine) {
            complain(lineno, "line longer than " + std::to_string(kMaxListLine) + " bytes");
            continue;
        }
        // '#' starts a comment at the start of a line or after white space;
        // inside an entry it is kept (a regex may need it).
        std::size_t hash = std::string::npos;
        for (std::size_t i = 0; i < line.size(); ++i) {
            if (line[i] == '#' && (i == 0 || line[i - 1] == ' ' || line[i - 1] == '\t')) {
                hash = i;
                break;
            }
        }
        const std::string entry = trim(line.substr(0, hash));
        if (entry.empty()) continue;
        const std::string why = bad_line(entry);
        if (!why.empty()) {
            complain(lineno, "bad line in list '" + list.name + "': " + why);
            continue;
        }
        list.values.push_back(entry);
        list.lines.push_back(lineno);
    }
    if (bad > kMaxBadLinesShown)
        diag.error(path, 0,
                   std::to_string(bad - kMaxBadLinesShown) + " more bad lines not shown (" +
                       std::to_string(bad) + " in all)");
}

bool ListTable::collect_values(const libconfig::Setting& s, Diagnostics& diag, Values& out) {
    if (!is_strings(s)) {
        diag.error(s,
                   key_name(s) + " must be a string or an array of strings, not " + type_name(s));
        return false;
    }
    bool ok = true;
    auto add_one = [&](const libconfig::Setting& at) {
        const std::string v = static_cast<const char*>(at);
        if (v.empty() || v[0] != '@') {
            out.items.push_back(v);
            out.origins.push_back({&at, nullptr, 0});
            return;
        }
        const std::string name = v.substr(1);
        const auto it = lists_.find(name);
        if (it == lists_.end()) {
            report_unknown(at, name, diag);
            ok = false;
            return;
        }
        NamedList& list = it->second;
        list.used = true;
        if (list.failed) out.incomplete = true;
        out.items.insert(out.items.end(), list.values.begin(), list.values.end());
        for (std::size_t i = 0; i < list.values.size(); ++i)
            out.origins.push_back({&at, &list, static_cast<int>(i)});
    };
    if (s.getType() == libconfig::Setting::TypeString) {
        add_one(s);
    } else {
        for (int i = 0; i < s.getLength(); ++i) add_one(s[i]);
    }
    return ok;
}

void ListTable::report_unknown(const libconfig::Setting& at, const std::string& name,
                               Diagnostics& diag) const {
    std::string msg = "unknown list '@" + name + "'";
    if (!valid_list_name(name)) {
        msg += " (a value starting with '@' names a list; write domains without '@')";
    } else if (const std::string hint = closest(name, order_); !hint.empty()) {
        msg += " (did you mean '@" + hint + "'?)";
    } else if (!order_.empty()) {
        msg += " (lists defined: ";
        for (std::size_t i = 0; i < order_.size() && i < 8; ++i)
            msg += (i ? ", @" : "@") + order_[i];
        msg += order_.size() > 8 ? ", ...)" : ")";
    }
    diag.error(at, msg);
}

void ListTable::report(const Origin& origin, const std::string& message, Diagnostics& diag) {
    if (origin.list == nullptr) {
        diag.error(*origin.at, message);
    } else if (!origin.list->source.empty()) {
        diag.error(origin.list->source, origin.list->lines[origin.index], message);
    } else {
        diag.error(*origin.list->elements[origin.index], message);
    }
}

void ListTable::warn(const Origin& origin, const std::string& message, Diagnostics& diag) {
    if (origin.list == nullptr) {
        diag.warning(*origin.at, message);
    } else if (!origin.list->source.empty()) {
        diag.warning(origin.list->source, origin.list->lines[origin.index], message);
    } else {
        diag.warning(*origin.list->elements[origin.index], message);
    }
}

void ListTable::warn_unused(Diagnostics& diag) const {
    for (const auto& name : order_) {
        const NamedList& l = lists_.at(name);
        if (!l.used) diag.warning(*l.defined_at, "list '" + name + "' is never used");
    }
}

}  // namespace mv::config
