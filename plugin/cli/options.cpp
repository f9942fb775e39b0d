// SPDX-License-Identifier: Apache-2.0
// options.cpp - the command table and what is made of it (options.hpp): the
// parser, the synopsis and usage texts, `milter-verdict help`. The bash
// completion script is completion.cpp.
#include "cli/options.hpp"

#include <sstream>

#include "cli/commands.hpp"

namespace mv::cli {

namespace {

constexpr const char* kProgram = "milter-verdict";
constexpr std::size_t kWidth = 80;  // usage lines

const OptionSpec kHelp{.short_name = 'h', .long_name = "help", .help = "print this help and exit"};

OptionSpec config_option() {
    return {.short_name = 'c',
            .long_name = "config",
            .value = "FILE",
            .complete = Complete::File,
            .help = "configuration (default /etc/milter-verdict/milter-verdict.conf)"};
}

OptionSpec mta_option(const char* help) {
    return {.long_name = "mta",
            .value = "MTA",
            .choices = "postfix|sendmail",
            .complete = Complete::Choices,
            .help = help};
}

// The options of one SMTP transaction, simulate's and test's alike: the keys
// of a transactions file (sim_input.hpp) but non-smtp and dns-answer, which
// only simulate has.
std::vector<OptionSpec> transaction_options(const char* resolve_help) {
    return {{.long_name = "client", .value = "ADDR", .help = "the client's IP address"},
            {.long_name = "client-name", .value = "NAME", .help = "its verified host name"},
            {.long_name = "client-resolve",
             .value = "OK|FAIL|FORGED|TEMP",
             .complete = Complete::Words,
             .help = resolve_help},
            {.long_name = "helo", .value = "NAME", .help = "the HELO or EHLO name"},
            {.long_name = "from", .value = "ADDR", .help = "the envelope sender (<> for none)"},
            {.long_name = "rcpt",
             .value = "ADDR",
             .repeatable = true,
             .help = "a recipient (repeatable)"},
            {.long_name = "auth", .value = "LOGIN", .help = "the SASL login"},
            {.long_name = "tls", .help = "the session uses TLS"},
            {.long_name = "macro",
             .value = "NAME=VALUE",
             .repeatable = true,
             .help = "a milter macro (repeatable)"},
            {.long_name = "header",
             .value = "'Name: value'",
             .repeatable = true,
             .help = "a message header (repeatable)"},
            {.long_name = "body",
             .value = "FILE",
             .complete = Complete::File,
             .help = "the message body"},
            {.long_name = "size", .value = "N", .help = "SIZE= announced at MAIL, in bytes"}};
}

// options + more, in that order.
std::vector<OptionSpec> concat(std::vector<OptionSpec> options, std::vector<OptionSpec> more) {
    options.insert(options.end(), more.begin(), more.end());
    return options;
}

std::vector<CommandSpec> make_table() {
    std::vector<CommandSpec> t;
    t.push_back(
        {.name = "",
         .summary = "run the daemon",
         .options = {{.short_name = 'c',
                      .value = "FILE",
                      .complete = Complete::File,
                      .help = "configuration (default /etc/milter-verdict/milter-verdict.conf)"},
                     {.short_name = 'f',
                      .help =
                          "stay in the foreground (and log to stderr unless -l says otherwise)"},
                     {.short_name = 'p',
                      .value = "SOCKET",
                      .help =
                          "unix:/path, inet:PORT@HOST or inet6:PORT@HOST (overrides the config)"},
                     {.short_name = 'u',
                      .value = "USER",
                      .complete = Complete::User,
                      .help = "run as USER after opening the socket"},
                     {.short_name = 'g',
                      .value = "GROUP",
                      .complete = Complete::Group,
                      .help = "run with GROUP after opening the socket"},
                     {.short_name = 'P',
                      .value = "PIDFILE",
                      .complete = Complete::File,
                      .help = "write the daemon's pid to PIDFILE"},
                     {.short_name = 'l',
                      .value = "TARGET",
                      .choices = "syslog|stderr",
                      .complete = Complete::Choices,
                      .help = "log to syslog or stderr"},
                     {.short_name = 't',
                      .help = "check the configuration as check-config does, print the sockets, "
                              "and exit (0 ok, 78 error)"},
                     kHelp,
                     {.short_name = 'V',
                      .long_name = "version",
                      .help = "print the version and the linked libraries' versions, and exit"}},
         .forms = {"[-c] [-f] [-p] [-u] [-g] [-P] [-l] [-t] [-h]", "--version"}});
    t.push_back({.name = "check-config",
                 .summary = "check a configuration as the daemon loads it",
                 .options = {{.long_name = "strict", .help = "warnings are errors too"},
                             mta_option("sendmail: also warn about rules Sendmail cannot run "
                                        "as written (default postfix)"),
                             config_option(),
                             kHelp},
                 .forms = {"[--strict] [--mta] [-c]"},
                 .run = check_config_main});
    t.push_back(
        {.name = "explain",
         .summary = "what a reply code means, or the table of default replies",
         .options = {{.long_name = "defaults", .help = "print the table of default replies"},
                     {.long_name = "format",
                      .value = "FORMAT",
                      .choices = "text|tsv|man",
                      .complete = Complete::Choices,
                      .help = "the table's format, with --defaults (default text)"},
                     kHelp},
         .forms = {"CODE...", "--defaults [--format]"},
         .operands = "CODE",
         .operand_help = "a basic code (550), an enhanced code (5.7.1, X.7.1) or a pair "
                         "(\"550 5.7.1\")",
         .run = explain_main});
    t.push_back(
        {.name = "simulate",
         .summary = "run transactions through the policy offline",
         .options = concat(
             concat({config_option()},
                    transaction_options(
                        "Postfix's {client_resolve} (default: the daemon looks it up)")),
             {{.long_name = "non-smtp", .help = "mail not received by SMTP (sendmail -bs/-t)"},
              {.long_name = "state",
               .value = "STORE",
               .choices = "memory|redis",
               .complete = Complete::Choices,
               .help = "rate limits and greylisting: a fresh memory store (default) or the "
                       "configuration's Redis"},
              mta_option("print the reply lines as this MTA sends them (default postfix)"),
              {.long_name = "dns-answer",
               .value = "'NAME TYPE VALUE'",
               .repeatable = true,
               .help = "a DNS answer the offline resolver gives (repeatable)"},
              {.long_name = "dns",
               .value = "MODE",
               .choices = "offline|live",
               .complete = Complete::Choices,
               .help = "offline answers (default) or the configuration's resolver"},
              {.long_name = "file",
               .value = "TRANSACTIONS",
               .complete = Complete::File,
               .help = "the transactions of a file instead of the options above"},
              {.long_name = "policy-service",
               .help = "what the Postfix policy service would answer instead"},
              {.long_name = "policy-states",
               .value = "LIST",
               .help = "with --policy-service: the protocol states asked (default RCPT)"},
              {.long_name = "requests",
               .value = "FILE",
               .complete = Complete::File,
               .help = "with --policy-service: raw requests from FILE (- standard input)"},
              kHelp}),
         .forms = {"[-c] --client [--client-name] [--client-resolve] [--helo] --from --rcpt... "
                   "[--auth] [--tls] [--macro]... [--header]... [--body] [--size] [--non-smtp] "
                   "[--state] [--mta] [--dns-answer]... [--dns]",
                   "[-c] --file [--state] [--mta] [--dns]",
                   "[-c] --policy-service [--policy-states] OPTIONS|--file",
                   "[-c] --policy-service --requests"},
         .run = simulate_main});
    t.push_back({.name = "stats",
                 .summary = "the running daemon's counters, per rule",
                 .options = {config_option(),
                             {.short_name = 'm',
                              .long_name = "metrics",
                              .value = "ADDRESS",
                              .help = "the metrics endpoint (default: the configuration's)"},
                             {.long_name = "all", .help = "list the rules without a decision too"},
                             kHelp},
                 .forms = {"[-c|-m] [--all]"},
                 .run = stats_main});
    t.push_back(
        {.name = "state",
         .summary = "list, show, delete or flush greylist entries and rate-limit counters",
         .options = {config_option(),
                     {.short_name = 's',
                      .long_name = "socket",
                      .value = "SOCKET",
                      .complete = Complete::File,
                      .help = "the daemon's control socket (instead of the configuration's)"},
                     {.long_name = "kind",
                      .value = "KIND",
                      .help = "list and flush: the records of that kind, all (default), "
                              "greylist (triplets and clients), triplet, client or rate"},
                     {.long_name = "limit",
                      .value = "N",
                      .help = "list: at most N records (default 1000, at most 100000)"},
                     kHelp},
         .forms = {"[-c|-s] list [--kind] [--limit] [PATTERN]", "[-c|-s] show KIND:KEY",
                   "[-c|-s] delete KIND:KEY...", "[-c|-s] flush [--kind] PATTERN"},
         .operands = "ACTION",
         .operand_complete = Complete::Words,
         .operand_words = "list|show|delete|flush",
         .operand_help = "list, show, delete or flush, and its operands. KIND:KEY: a record "
                         "as list prints it (g:..., c:... or r:...); PATTERN: a client address, "
                         "a sender, a recipient, a rule name, a network, or a glob on the key "
                         "(\"*\" for all)",
         .run = state_main});
    t.push_back({.name = "test",
                 .summary = "one transaction against the running daemon's milter socket",
                 .options = concat(concat({config_option(),
                                           {.short_name = 'p',
                                            .long_name = "socket",
                                            .value = "SOCKET",
                                            .help = "the daemon's milter socket (instead of the "
                                                    "configuration's): unix:/path, "
                                                    "inet:PORT@HOST or inet6:PORT@HOST"},
                                           {.long_name = "timeout",
                                            .value = "SECONDS",
                                            .help = "how long to wait for each answer, 1 to 600 "
                                                    "(default 30)"}},
                                          transaction_options("Postfix's {client_resolve} "
                                                              "(default OK with --client-name, "
                                                              "else FAIL)")),
                                   {kHelp}),
                 .forms = {"[-c] [-p] [--timeout] --client [--client-name] [--client-resolve] "
                           "[--helo] --from --rcpt... [--auth] [--tls] [--macro]... "
                           "[--header]... [--body] [--size]"},
                 .run = test_main});
    t.push_back({.name = "help",
                 .summary = "the usage of a command",
                 .options = {kHelp},
                 .forms = {"[COMMAND]"},
                 .operands = "COMMAND",
                 .operand_complete = Complete::Command,
                 .operand_help = "a sub-command; without one, the daemon and the list of "
                                 "sub-commands",
                 .run = help_main});
    t.push_back({.name = "completion",
                 .summary = "print the bash completion script",
                 .options = {kHelp},
                 .forms = {"bash"},
                 .operands = "SHELL",
                 .operand_complete = Complete::Words,
                 .operand_words = "bash",
                 .operand_help = "the shell: bash (the script to source, or to install as "
                                 "/usr/share/bash-completion/completions/milter-verdict)",
                 .run = completion_main});
    return t;
}

std::string key_of(const OptionSpec& o) {
    return o.long_name ? o.long_name : std::string(1, o.short_name);
}

// "-c", or "--config" when the option has no short name.
std::string display_name(const OptionSpec& o, bool prefer_long) {
    if (o.long_name && (prefer_long || !o.short_name)) return std::string("--") + o.long_name;
    return std::string("-") + o.short_name;
}

std::string value_text(const OptionSpec& o) {
    return o.choices ? o.choices : (o.value ? o.value : "");
}

// "or"-joined choices: "postfix or sendmail", "text, tsv or man".
std::string choices_words(const std::string& choices) {
    std::vector<std::string> w;
    std::string cur;
    for (char c : choices + "|") {
        if (c == '|') {
            w.push_back(cur);
            cur.clear();
        } else {
            cur += c;
        }
    }
    std::string s;
    for (std::size_t i = 0; i < w.size(); ++i)
        s += (i == 0 ? "" : (i + 1 == w.size() ? " or " : ", ")) + w[i];
    return s;
}

bool in_choices(const std::string& choices, const std::string& v) {
    std::string padded = "|" + choices + "|";
    return v.find('|') == std::string::npos && padded.find("|" + v + "|") != std::string::npos;
}

const OptionSpec* find_option(const CommandSpec& c, const std::string& written) {
    for (const auto& o : c.options) {
        if (written.size() == 2 && written[0] == '-' && o.short_name == written[1]) return &o;
        if (written.size() > 2 && written.rfind("--", 0) == 0 && o.long_name &&
            written.substr(2) == o.long_name)
            return &o;
    }
    return nullptr;
}

// One synopsis token with the option names filled in: "[-c|-m]" ->
// "[-c FILE | -m ADDRESS]". Returns "" and sets `error` for an unknown name.
std::string render_token(const CommandSpec& c, const std::string& token, std::string& error) {
    std::string out;
    std::size_t i = 0;
    while (i < token.size()) {
        const bool name_start =
            token[i] == '-' && (i == 0 || token[i - 1] == '[' || token[i - 1] == '|');
        if (name_start) {
            std::size_t j = i;
            while (j < token.size() && token[j] != '[' && token[j] != ']' && token[j] != '|' &&
                   token.compare(j, 3, "...") != 0)
                ++j;
            const std::string name = token.substr(i, j - i);
            const OptionSpec* o = find_option(c, name);
            if (!o) {
                error = "synopsis of '" + std::string(c.name) + "' names unknown option " + name;
                return {};
            }
            out += name;
            if (o->value) out += " " + value_text(*o);
            i = j;
        } else if (token[i] == '|' && i + 1 < token.size() && token[i + 1] == '-') {
            out += " | ";
            ++i;
        } else {
            out += token[i++];
        }
    }
    return out;
}

std::vector<std::string> split_words(const std::string& s) {
    std::vector<std::string> w;
    std::istringstream in(s);
    for (std::string t; in >> t;) w.push_back(t);
    return w;
}

// Appends `words` after `first`, wrapping at kWidth with `indent` spaces.
void wrap(std::string& text, const std::string& first, const std::vector<std::string>& words,
          std::size_t indent) {
    std::string line = first;
    for (const auto& w : words) {
        if (line.size() + 1 + w.size() > kWidth && line.size() > indent) {
            text += line + "\n";
            line = std::string(indent, ' ') + w;
        } else {
            line += (line.empty() || line.back() == ' ' ? "" : " ") + w;
        }
    }
    text += line + "\n";
}

// Each rendered form of `c`, as words.
std::vector<std::vector<std::string>> rendered_forms(const CommandSpec& c) {
    std::vector<std::vector<std::string>> forms;
    for (const char* f : c.forms) {
        std::vector<std::string> words;
        for (const auto& t : split_words(f)) {
            std::string error;
            words.push_back(render_token(c, t, error));
            if (!error.empty()) words.back() = "<" + error + ">";
        }
        forms.push_back(words);
    }
    return forms;
}

void synopsis_lines(const CommandSpec& c, std::string& text, bool& first) {
    const std::string prog = program_name(c);
    const std::size_t indent = std::min<std::size_t>(7 + prog.size() + 1, 36);
    for (const auto& words : rendered_forms(c)) {
        wrap(text, (first ? "usage: " : "       ") + prog, words, indent);
        first = false;
    }
}

void option_lines(const CommandSpec& c, std::string& text) {
    std::vector<std::pair<std::string, std::string>> rows;
    std::size_t width = 0;
    for (const auto& o : c.options) {
        std::string left;
        if (o.short_name) left = std::string("-") + o.short_name;
        if (o.long_name) left += (left.empty() ? "    --" : ", --") + std::string(o.long_name);
        if (o.value) left += " " + value_text(o);
        rows.emplace_back(left, o.help);
        if (left.size() <= 26) width = std::max(width, left.size());
    }
    if (c.operands && c.operand_help) {
        rows.emplace(rows.begin(), c.operands, c.operand_help);
        width = std::max(width, std::string(c.operands).size());
    }
    for (const auto& [left, help] : rows) {
        if (left.size() > width) {
            text += "  " + left + "\n";
            wrap(text, std::string(width + 4, ' '), split_words(help), width + 4);
        } else {
            wrap(text, "  " + left + std::string(width - left.size() + 2, ' '), split_words(help),
                 width + 4);
        }
    }
}

}  // namespace

const std::vector<CommandSpec>& commands() {
    static const std::vector<CommandSpec> table = make_table();
    return table;
}

const CommandSpec* find_command(const std::string& name) {
    for (const auto& c : commands())
        if (name == c.name) return &c;
    return nullptr;
}

bool ParsedArgs::has(const std::string& name) const {
    for (const auto& [o, v] : options)
        if (key_of(*o) == name) return true;
    return false;
}

std::string ParsedArgs::value(const std::string& name, const std::string& fallback) const {
    std::string v = fallback;
    for (const auto& [o, val] : options)
        if (key_of(*o) == name) v = val;
    return v;
}

std::vector<std::string> ParsedArgs::values(const std::string& name) const {
    std::vector<std::string> v;
    for (const auto& [o, val] : options)
        if (key_of(*o) == name) v.push_back(val);
    return v;
}

ParsedArgs parse_args(const CommandSpec& c, const Args& args) {
    ParsedArgs p;
    bool options_end = false;
    for (std::size_t i = 0; i < args.size(); ++i) {
        const std::string& a = args[i];
        if (options_end || a.size() < 2 || a[0] != '-') {
            if (!c.operands) {
                p.error = "unexpected argument '" + a + "'";
                return p;
            }
            p.operands.push_back(a);
            continue;
        }
        if (a == "--") {
            options_end = true;
            continue;
        }
        const OptionSpec* o = nullptr;
        std::string value;
        bool has_value = false;
        if (a.rfind("--", 0) == 0) {
            const auto eq = a.find('=');
            o = find_option(c, a.substr(0, eq));
            if (o && eq != std::string::npos) {
                value = a.substr(eq + 1);
                has_value = true;
                if (!o->value) {
                    p.error = "option " + a.substr(0, eq) + " takes no value";
                    return p;
                }
            }
        } else {
            o = find_option(c, a.substr(0, 2));
            if (o && a.size() > 2) {
                if (!o->value) o = nullptr;  // "-ft": no bundling
                value = a.substr(2);
                has_value = true;
            }
        }
        if (!o) {
            p.error = "unknown option '" + a + "'";
            return p;
        }
        if (o->value && !has_value) {
            if (i + 1 >= args.size()) {
                p.error = "option " + a + " needs a value";
                return p;
            }
            value = args[++i];
        }
        if (o->choices && !in_choices(o->choices, value)) {
            p.error =
                display_name(*o, a.rfind("--", 0) == 0) + " must be " + choices_words(o->choices);
            return p;
        }
        p.options.emplace_back(o, value);
    }
    return p;
}

std::string program_name(const CommandSpec& c) {
    return *c.name ? std::string(kProgram) + " " + c.name : std::string(kProgram);
}

std::vector<std::string> synopsis(const CommandSpec& c) {
    std::vector<std::string> lines;
    for (const auto& words : rendered_forms(c)) {
        std::string line = program_name(c);
        for (const auto& w : words) line += " " + w;
        lines.push_back(line);
    }
    return lines;
}

std::string usage(const CommandSpec& c) {
    std::string text;
    bool first = true;
    synopsis_lines(c, text, first);
    if (!*c.name)
        for (const auto& sub : commands())
            if (*sub.name) synopsis_lines(sub, text, first);
    text += "\n";
    if (!*c.name) text += "The daemon's options:\n";
    option_lines(c, text);
    if (!*c.name)
        text += "\nmilter-verdict help COMMAND (or COMMAND --help) lists a command's options.\n";
    return text;
}

int usage_error(const CommandSpec& c, const std::string& why, std::ostream& err) {
    err << program_name(c) << ": " << why << "\n" << usage(c);
    return kExitUsage;
}

int help_main(const Args& args, std::ostream& out, std::ostream& err) {
    const CommandSpec& self = *find_command("help");
    const ParsedArgs p = parse_args(self, args);
    if (!p.ok()) return usage_error(self, p.error, err);
    if (p.help()) {
        out << usage(self);
        return 0;
    }
    if (p.operands.size() > 1) return usage_error(self, "one command at most", err);
    const std::string name = p.operands.empty() ? "" : p.operands[0];
    const CommandSpec* c = find_command(name);
    if (!c) return usage_error(self, "unknown command '" + name + "'", err);
    out << usage(*c);
    return 0;
}

}  // namespace mv::cli
