// SPDX-License-Identifier: Apache-2.0
// check_config.cpp - `milter-verdict check-config [--strict] [--mta postfix|sendmail] [-c FILE]`.
//
// Loads the configuration exactly as the daemon does, prints every
// diagnostic ("file:line: error: message") and then one summary line:
// "FILE: N rules, E errors, W warnings", preceded, when lists are read from
// files, by one line per list (entries, read time) and the total load time.
// Exit 0 when the configuration would
// load, 78 (EX_CONFIG) on an error (with --strict: on a warning too), 64 on
// bad usage. --mta sendmail adds the warnings of config/sendmail_check.hpp
// (rules that cannot work as written under Sendmail); postfix, the default,
// adds none.
//
// Thread contract: called from main() only.
#include <cstdio>
#include <string>

#include "cli/commands.hpp"
#include "config/loader.hpp"

namespace mv::cli {

namespace {

// Tenths of a second: precise enough for an operator, and stable for small
// files (golden tests).
std::string seconds(double s) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f s", s);
    return buf;
}

}  // namespace

int check_config_main(const Args& args, std::ostream& out, std::ostream& err) {
    const CommandSpec& self = *find_command("check-config");
    const ParsedArgs p = parse_args(self, args);
    if (!p.ok()) return usage_error(self, p.error, err);
    if (p.help()) {
        out << usage(self);
        return 0;
    }
    const std::string file = p.value("config", kDefaultConfig);
    config::LoadOptions options;
    options.service = true;
    options.strict = p.has("strict");
    options.sendmail = p.value("mta") == "sendmail";
    return report_load(file, config::load_policy(file, options), out);
}

int report_load(const std::string& file, const config::LoadResult& r, std::ostream& out) {
    for (const auto& d : r.diagnostics) out << d.to_string() << "\n";
    const int errors = r.errors();
    const int warnings = r.warnings();
    // The lists read from files: their size and read time, then the whole
    // load time, which a reload of this configuration will take too. Only
    // for a configuration that loads: with an error nothing is in force.
    std::size_t entries = 0;
    for (const auto& l : r.ok() ? r.lists : decltype(r.lists){}) {
        out << "list " << l.name << ": " << l.entries << (l.entries == 1 ? " entry" : " entries")
            << " from " << l.file << ", read in " << seconds(l.read_seconds) << "\n";
        entries += l.entries;
    }
    if (r.ok() && !r.lists.empty())
        out << "lists: " << r.lists.size() << (r.lists.size() == 1 ? " file, " : " files, ")
            << entries << (entries == 1 ? " entry" : " entries") << "; configuration loaded in "
            << seconds(r.seconds) << "\n";
    out << file << ": " << r.rule_count << (r.rule_count == 1 ? " rule, " : " rules, ") << errors
        << (errors == 1 ? " error, " : " errors, ") << warnings
        << (warnings == 1 ? " warning" : " warnings") << "\n";
    return r.ok() ? 0 : config::kExitConfig;
}

}  // namespace mv::cli
