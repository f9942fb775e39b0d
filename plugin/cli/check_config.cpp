// check_config.cpp - `milter-verdict check-config [--strict] [-c FILE]`.
//
// Loads the configuration exactly as the daemon does, prints every
// diagnostic ("file:line: error: message") and then one summary line:
// "FILE: N rules, E errors, W warnings". Exit 0 when the configuration would
// load, 78 (EX_CONFIG) on an error (with --strict: on a warning too), 64 on
// bad usage.
//
// Thread contract: called from main() only.
#include "cli/commands.hpp"
#include "config/loader.hpp"

namespace mv::cli {

namespace {

void usage(std::ostream& err) {
    err << "usage: milter-verdict check-config [--strict] [-c FILE]\n";
}

}  // namespace

int check_config_main(const Args& args, std::ostream& out, std::ostream& err) {
    std::string file = kDefaultConfig;
    config::LoadOptions options;
    for (std::size_t i = 0; i < args.size(); ++i) {
        const std::string& a = args[i];
        if (a == "--strict") {
            options.strict = true;
        } else if (a == "-c" || a == "--config") {
            if (i + 1 >= args.size()) {
                err << "milter-verdict check-config: " << a << " needs a file name\n";
                usage(err);
                return kExitUsage;
            }
            file = args[++i];
        } else if (a == "-h" || a == "--help") {
            usage(out);
            return 0;
        } else {
            err << "milter-verdict check-config: unknown argument '" << a << "'\n";
            usage(err);
            return kExitUsage;
        }
    }
    const config::LoadResult r = config::load_policy(file, options);
    for (const auto& d : r.diagnostics) out << d.to_string() << "\n";
    const int errors = r.errors();
    const int warnings = r.warnings();
    out << file << ": " << r.rule_count << (r.rule_count == 1 ? " rule, " : " rules, ") << errors
        << (errors == 1 ? " error, " : " errors, ") << warnings
        << (warnings == 1 ? " warning" : " warnings") << "\n";
    return r.ok() ? 0 : config::kExitConfig;
}

}  // namespace mv::cli
