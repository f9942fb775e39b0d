// SPDX-License-Identifier: Apache-2.0
// options.hpp - the one table of milter-verdict's command line.
//
// Every command (the daemon, whose name is "", and each sub-command) and every
// option it takes is declared once, in commands() (options.cpp). From that
// table come: the parser every command uses (parse_args), the usage text of
// --help and of a usage error (usage), `milter-verdict help [COMMAND]`, the
// bash completion script (`milter-verdict completion bash`: bash_completion,
// completion.cpp), and the synopsis lines that the cli suite compares with the
// SYNOPSIS of milter-verdict(8).
//
// Adding a sub-command: one CommandSpec in make_table() (options.cpp: name,
// one-line summary, its options, its synopsis forms, its entry point), the
// entry point declared in commands.hpp (it starts with parse_args(),
// usage_error() and the --help answer, as stats_main does), its forms in the
// SYNOPSIS of man/milter-verdict.8 (make man-synopsis) and a paragraph under
// SUB-COMMANDS. The dispatcher (main.cpp), help, the usage texts and the
// completion follow from the table.
//
// Parsing, for every command alike: "--name VALUE", "--name=VALUE",
// "-x VALUE" and "-xVALUE"; a value is taken as it is, even when it begins
// with '-'; "--" ends the options; options and operands may be mixed; a
// single-valued option given twice keeps the last value; flags do not bundle
// ("-ft" is unknown). An unknown option, a missing value, a value outside an
// option's choices, a flag given a value, or an operand where the command
// takes none is a usage error: the caller prints usage_error() and exits 64.
//
// Thread contract: the table is immutable; every function is pure but for
// the stream it writes.
#pragma once

#include <ostream>
#include <string>
#include <utility>
#include <vector>

namespace mv::cli {

using Args = std::vector<std::string>;

// What a value (or an operand) completes to in the bash completion.
enum class Complete {
    None,     // nothing (free text)
    File,     // file names
    User,     // user names
    Group,    // group names
    Words,    // the words of the option's metavar ("OK|FAIL|FORGED|TEMP"), not enforced
    Choices,  // the option's choices, enforced by the parser
    Command,  // the names of the commands
};

struct OptionSpec {
    char short_name = 0;              // 'c' for -c; 0: none
    const char* long_name = nullptr;  // "config" for --config; nullptr: none
    const char* value = nullptr;      // metavar ("FILE"); nullptr: a flag
    const char* choices = nullptr;    // "postfix|sendmail": the only values accepted
    Complete complete = Complete::None;
    bool repeatable = false;  // each occurrence counts ("--rcpt A --rcpt B")
    const char* help = "";
};

using CommandMain = int (*)(const Args& args, std::ostream& out, std::ostream& err);

struct CommandSpec {
    const char* name;  // "" for the daemon
    const char* summary;
    std::vector<OptionSpec> options;
    // Synopsis lines (after "milter-verdict NAME"): option names as in the
    // table ("[-c]" optional, "--client" required, "..." repeated, "[-c|-m]"
    // one of), words in capitals are operands, anything else is literal. The
    // option's metavar or choices are filled in from the table.
    std::vector<const char*> forms;
    // Operands: nullptr when the command takes none; else their name in the
    // option list ("CODE").
    const char* operands = nullptr;
    Complete operand_complete = Complete::None;
    const char* operand_words = nullptr;  // for Complete::Words: "bash"
    const char* operand_help = nullptr;   // the operands' line of the usage text
    CommandMain run = nullptr;            // nullptr: the daemon (milter/daemon.hpp)
};

// The table: the daemon first, then the sub-commands in the order of the
// usage text.
const std::vector<CommandSpec>& commands();
// The command of that name ("" the daemon), or nullptr.
const CommandSpec* find_command(const std::string& name);

struct ParsedArgs {
    // Each option as given, in command-line order, with its value ("" for a flag).
    std::vector<std::pair<const OptionSpec*, std::string>> options;
    std::vector<std::string> operands;
    std::string error;  // a usage error; "" when the line parses
    bool ok() const { return error.empty(); }
    // `name` is the long name ("config") or, without one, the short ("c").
    bool has(const std::string& name) const;
    std::string value(const std::string& name, const std::string& fallback = "") const;
    std::vector<std::string> values(const std::string& name) const;
    bool help() const { return has("help"); }
};

ParsedArgs parse_args(const CommandSpec& command, const Args& args);

// "milter-verdict" or "milter-verdict NAME": the prefix of messages.
std::string program_name(const CommandSpec& command);
// The synopsis lines of a command, one string per form, each starting with
// "milter-verdict": what the man page's SYNOPSIS must say.
std::vector<std::string> synopsis(const CommandSpec& command);
// The usage text of --help: the command's synopsis and its options. The
// daemon's adds every sub-command's synopsis (it is `milter-verdict --help`).
std::string usage(const CommandSpec& command);
// Prints "PROGRAM: why" and the usage text to `err`; returns 64 (EX_USAGE).
int usage_error(const CommandSpec& command, const std::string& why, std::ostream& err);

// The bash completion script, generated from the table.
std::string bash_completion();

// `milter-verdict help [COMMAND]` and `milter-verdict completion bash`.
int help_main(const Args& args, std::ostream& out, std::ostream& err);
int completion_main(const Args& args, std::ostream& out, std::ostream& err);

}  // namespace mv::cli
