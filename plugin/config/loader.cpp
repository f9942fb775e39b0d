// SPDX-License-Identifier: Apache-2.0
// loader.cpp - load_policy(): read the file, run every part, collect every problem.
//
// Order: file checks (missing, not a regular file, empty, binary), libconfig
// parse (with @include relative to the main file's directory: libconfig 1.5
// has one include directory per Config; a missing include is reported with
// its name), top-level keys, daemon and policy
// settings (rules need delay_reject), lists, rules, unused lists. Each step
// runs even when an earlier one reported errors, except that nothing runs
// after a parse error (libconfig gives no tree).
#include "config/loader.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <libconfig.h++>
#include <unordered_map>

#include "config/condition_parser.hpp"
#include "config/diagnostics.hpp"
#include "config/dns_parser.hpp"
#include "config/list_table.hpp"
#include "config/rule_parser.hpp"
#include "config/schema.hpp"
#include "config/sendmail_check.hpp"
#include "config/service_check.hpp"
#include "config/settings_parser.hpp"
#include "config/shadow_check.hpp"
#include "config/state_condition_parser.hpp"
#include "config/syntax_hint.hpp"
#include "policy_service/deployment_check.hpp"

namespace mv::config {

namespace {

std::string dir_of(const std::string& path) {
    const auto slash = path.rfind('/');
    if (slash == std::string::npos) return ".";
    if (slash == 0) return "/";
    return path.substr(0, slash);
}

// File-level checks libconfig handles badly: it reports binary data as a
// confusing syntax error, and an empty file as a valid empty configuration.
// Returns the number of lines, or -1 after reporting.
int check_file(const std::string& path, Diagnostics& diag) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) {
        diag.error(path, 0, std::string("cannot read: ") + std::strerror(errno));
        return -1;
    }
    if (!S_ISREG(st.st_mode)) {
        diag.error(path, 0, "not a regular file");
        return -1;
    }
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        diag.error(path, 0, std::string("cannot read: ") + std::strerror(errno));
        return -1;
    }
    char buf[65536];
    std::size_t offset = 0;
    int line = 1;
    while (in.read(buf, sizeof buf) || in.gcount() > 0) {
        const auto n = static_cast<std::size_t>(in.gcount());
        for (std::size_t i = 0; i < n; ++i) {
            if (buf[i] == '\n') ++line;
            const auto c = static_cast<unsigned char>(buf[i]);
            if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r' && c != '\f') || c == 0x7f) {
                char hex[8];
                std::snprintf(hex, sizeof hex, "0x%02x", c);
                diag.error(path, line,
                           "binary data (byte " + std::string(hex) + " at offset " +
                               std::to_string(offset + i) + "): not a configuration file");
                return -1;
            }
        }
        offset += n;
    }
    if (offset == 0) {
        diag.error(path, 0, "empty file: no rules and no settings");
        return -1;
    }
    return line;
}

// libconfig 1.5 says only "cannot open include file" (err_bad_include), at the
// line of the directive. Find the @include that ends at or before `line` in
// `file` (libconfig's own syntax: at the start of a line, the name in double
// quotes with \\ and \" escapes), open the path libconfig tried (the include
// directory, '/', the name: it prefixes absolute names too) and say which file
// and why. Returns "" when the directive cannot be found again.
std::string include_failure(const std::string& file, int line, const std::string& include_dir,
                            const std::string& main_file) {
    std::ifstream in(file, std::ios::binary);
    std::string text, l;
    for (int n = 1; std::getline(in, l) && n <= line; ++n) text += l + "\n";
    std::string name;
    bool found = false;
    for (std::size_t pos = 0; pos < text.size(); pos = text.find('\n', pos) + 1) {
        std::size_t i = text.find_first_not_of(" \t", pos);
        if (i == std::string::npos || text.compare(i, 8, "@include") != 0) continue;
        i += 8;
        const std::size_t q = text.find_first_not_of(" \t", i);
        if (q == i || q == std::string::npos || text[q] != '"') continue;
        std::string v;
        bool closed = false;
        for (std::size_t k = q + 1; k < text.size(); ++k) {
            if (text[k] == '\\' && k + 1 < text.size() &&
                (text[k + 1] == '\\' || text[k + 1] == '"')) {
                v += text[++k];
            } else if (text[k] == '"') {
                closed = true;
                break;
            } else {
                v += text[k];
            }
        }
        if (closed) {
            name = v;
            found = true;
        }
    }
    if (!found) return {};
    const std::string tried = include_dir + "/" + name;
    std::string why;
    if (FILE* f = std::fopen(tried.c_str(), "r")) {
        std::fclose(f);  // there now: it changed since libconfig looked
        why = "could not be opened while reading";
    } else {
        why = std::strerror(errno);
    }
    std::string msg = "cannot open include file '" + name + "': " + why;
    if (!name.empty() && name[0] == '/') {
        msg +=
            " (libconfig 1.5 reads every @include relative to the main file's directory, an "
            "absolute name too: it looked for '" +
            tried + "')";
    } else if (dir_of(file) != dir_of(main_file)) {
        msg +=
            " (an @include is relative to the main file's directory, also inside an included "
            "file: it looked for '" +
            tried + "')";
    }
    return msg;
}

// Parts of the loader run in their own order (keys are checked before
// values, lists before rules): present the diagnostics by line, file by
// file, files in the order they first appear.
void sort_by_position(std::vector<Diagnostic>& list) {
    std::unordered_map<std::string, std::size_t> rank;
    for (const auto& d : list) rank.emplace(d.file, rank.size());
    std::stable_sort(list.begin(), list.end(), [&](const Diagnostic& a, const Diagnostic& b) {
        const auto ra = rank[a.file], rb = rank[b.file];
        return ra != rb ? ra < rb : a.line < b.line;
    });
}

LoadResult load_policy_untimed(const std::string& path, const LoadOptions& options) {
    LoadResult result;
    Diagnostics diag(path);
    if (path.empty()) {
        diag.error("(none)", 0, "no configuration file given");
        result.diagnostics = diag.take();
        return result;
    }
    const int lines = check_file(path, diag);
    if (lines < 0) {
        result.diagnostics = diag.take();
        return result;
    }
    libconfig::Config cfg;
    cfg.setIncludeDir(dir_of(path).c_str());
    try {
        cfg.readFile(path.c_str());
    } catch (const libconfig::ParseException& e) {
        const std::string file = e.getFile() != nullptr ? diag.resolve(e.getFile()) : path;
        std::string msg = std::string("syntax: ") + e.getError();
        if (std::strcmp(e.getError(), "cannot open include file") == 0) {
            if (auto why = include_failure(file, e.getLine(), dir_of(path), path); !why.empty())
                msg = std::move(why);
        }
        // libconfig says only "syntax error" for a file cut short.
        if (file == path && e.getLine() >= lines) {
            msg += " at end of file (truncated? a missing ')', '}' or ';'?)";
        } else if (std::strcmp(e.getError(), "syntax error") == 0) {
            // Name the likely cause from the text around the line.
            if (const std::string hint = syntax_hint(file, e.getLine()); !hint.empty())
                msg += " (likely cause: " + hint + ")";
        }
        diag.error(file, e.getLine(), msg);
        result.diagnostics = diag.take();
        return result;
    } catch (const libconfig::FileIOException&) {
        diag.error(path, 0, std::string("cannot read: ") + std::strerror(errno));
        result.diagnostics = diag.take();
        return result;
    }

    const libconfig::Setting& root = cfg.getRoot();
    auto policy = std::make_shared<policy::Policy>();
    policy->source = path;
    if (root.getLength() == 0) diag.error(path, 0, "no settings: the file holds only comments");
    check_keys(root, {"daemon", "policy", "lists", "rules", "state", "dns"}, "the configuration",
               diag);
    if (root.exists("daemon")) parse_daemon_settings(root["daemon"], policy->settings, diag);
    if (root.exists("policy")) parse_policy_settings(root["policy"], policy->settings, diag);
    if (root.exists("state")) read_state_settings(root["state"], policy->settings.state, diag);

    // Errors in the lists or rules leave rules out or incomplete: the order
    // check below would then see conditions that are not there.
    const int errors_before_rules = diag.errors();
    ListTable lists;
    if (root.exists("lists")) lists.load(root["lists"], diag);
    auto dns_config = std::make_shared<dns::Config>();
    if (root.exists("dns")) read_dns(root["dns"], *dns_config, diag);
    ConditionParser conditions(lists, diag);
    conditions.set_state(policy->state_slot);
    conditions.set_dns(dns_config, policy->dns_slot);
    RuleParser rules(policy->settings, conditions, diag);
    if (!root.exists("rules")) {
        if (root.getLength() > 0) diag.warning(path, 0, "no rules: every message is accepted");
    } else if (const libconfig::Setting& rs = root["rules"]; !rs.isList()) {
        diag.error(rs, "rules must be a list ( { ... }, { ... } ), not " + type_name(rs));
    } else {
        result.rule_count = static_cast<std::size_t>(rs.getLength());
        if (rs.getLength() == 0) diag.warning(rs, "no rules: every message is accepted");
        policy->rules.reserve(result.rule_count);
        for (int i = 0; i < rs.getLength(); ++i) {
            auto rule = rules.parse(rs[i], i + 1);
            if (rule) policy->rules.push_back(std::move(*rule));
        }
    }
    if (diag.errors() == errors_before_rules) check_shadowed_rules(policy->rules, diag);
    if (options.service && root.exists("daemon"))
        check_service_access(root["daemon"], policy->settings, diag);
    lists.warn_unused(diag);
    warn_unused_lists(*dns_config, diag);
    policy->dns = dns_config;
    if (options.sendmail) check_for_sendmail(*policy, conditions.macro_uses(), diag);
    for (const NamedList* l : lists.defined()) result.list_entries += l->values.size();
    // What the Postfix policy service path cannot do with these rules.
    for (const auto& n : policy_service::check_deployment(*policy))
        diag.warning(n.file, n.line, n.message);
    for (const NamedList* l : lists.defined())
        if (!l->source.empty())
            result.lists.push_back({l->name, l->source, l->values.size(), l->read_seconds});

    result.diagnostics = diag.take();
    sort_by_position(result.diagnostics);
    if (options.strict) {
        for (auto& d : result.diagnostics) {
            if (d.severity != Diagnostic::Severity::Warning) continue;
            d.severity = Diagnostic::Severity::Error;
            d.message += " [--strict]";
        }
    }
    if (result.errors() == 0) result.policy = std::move(policy);
    return result;
}

}  // namespace

LoadResult load_policy(const std::string& path, const LoadOptions& options) {
    const auto started = std::chrono::steady_clock::now();
    LoadResult result = load_policy_untimed(path, options);
    result.seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    return result;
}

}  // namespace mv::config
