// SPDX-License-Identifier: Apache-2.0
// explain_defaults.cpp - `milter-verdict explain --defaults [--format text|tsv|man]`:
// the table of default replies (codes/defaults.hpp) as users, scripts and the
// man page read it.
//
//   text  one block per row: reason, action, delivery stages, reply, source
//   tsv   reason TAB action TAB stages (comma-separated) TAB basic TAB
//         enhanced TAB text TAB source, one row per line, no header; the
//         wire-level test (tests/e2e/cases/defaults.py) reads it to check it
//         has a case for every row
//   man   the tbl(1) block of milter-verdict.conf(5) section REPLIES, Defaults;
//         tests/golden/check-man-defaults.sh compares the man page with it and
//         `make man-defaults` rewrites it
//
// Exit status: 0, or 64 for an unknown format.
#include <ostream>
#include <string>

#include "cli/commands.hpp"
#include "codes/defaults.hpp"

namespace mv::cli {

namespace {

std::string stage_list(const codes::StageSet& set, const char* sep) {
    std::string out;
    for (int i = 0; i < codes::kStageCount; ++i) {
        if (!set.test(i)) continue;
        if (!out.empty()) out += sep;
        out += codes::stage_name(static_cast<codes::Stage>(i));
    }
    return out;
}

bool all_stages(const codes::StageSet& set) {
    return set.count() == codes::kStageCount;
}

}  // namespace

int explain_defaults(const std::string& format, std::ostream& out, std::ostream& err) {
    const auto& table = codes::default_table();
    if (format == "tsv") {
        for (const auto& row : table)
            out << codes::reason_name(row.reason) << '\t'
                << codes::disposition_name(row.disposition) << '\t' << stage_list(row.stages, ",")
                << '\t' << row.reply.basic << '\t' << row.reply.enhanced << '\t' << row.reply.text
                << '\t' << row.reply.source << '\n';
        return 0;
    }
    if (format == "man") {
        // The whole tbl(1) block: reason, action, delivered at, reply code.
        // The stages are a text block of a bounded width, so that the table
        // fits an 80-column terminal (groff warns of a wider one); \% keeps
        // end-of-data from being hyphenated.
        out << ".TS\nl l lw(22n) l.\nreason\taction\tdelivered at\treply\n_\n";
        for (const auto& row : table)
            out << codes::reason_name(row.reason) << '\t'
                << codes::disposition_name(row.disposition) << "\tT{\n"
                << (all_stages(row.stages) ? std::string("any")
                                           : "\\%" + stage_list(row.stages, ", \\%"))
                << "\nT}\t" << row.reply.basic << ' ' << row.reply.enhanced << '\n';
        out << ".TE\n";
        return 0;
    }
    if (format != "text") {
        err << "milter-verdict explain: unknown --format '" << format << "' (text, tsv or man)\n";
        return kExitUsage;
    }
    out << "Default replies: what a rule that names an action but no code sends, and the\n"
           "replies of the daemon itself. A reason without a row for an action or stage\n"
           "takes the policy row of that action and stage, with the reason's text.\n";
    codes::Reason last = codes::Reason::InternalError;
    bool first = true;
    for (const auto& row : table) {
        if (first || row.reason != last) {
            out << "\n"
                << codes::reason_name(row.reason) << ": " << codes::reason_trigger(row.reason)
                << "\n";
            last = row.reason;
            first = false;
        }
        out << "  " << codes::disposition_name(row.disposition) << " at "
            << (all_stages(row.stages) ? std::string("any stage") : stage_list(row.stages, ", "))
            << ": " << row.reply.basic << ' ' << row.reply.enhanced << ' ' << row.reply.text
            << "\n    source: " << row.reply.source << "\n";
    }
    return 0;
}

}  // namespace mv::cli
