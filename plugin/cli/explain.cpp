// SPDX-License-Identifier: Apache-2.0
// explain.cpp - `milter-verdict explain CODE...`: what a reply code means,
// where it is valid and where that comes from, from the compiled registry.
//
// Arguments: basic codes (550), enhanced codes (5.7.1, or X.7.1 for the
// class-less entry) and pairs ("550 5.7.1" as one argument, or a basic code
// followed by an enhanced code). Each is printed as one block; blocks are
// separated by a blank line. A pair is checked the way check-config checks a
// reply (validate_reply), so both report the same problems in the same words.
//
// `explain --defaults` prints the table of default replies instead
// (explain_defaults.cpp).
//
// Exit status: 0 when every argument was explained (an inconsistent pair is
// explained, not failed), 1 when an argument is malformed or unknown (message
// on stderr, the other arguments are still explained), 0 for --help, 64 for a
// usage error (no code, an unknown option: options.hpp).
//
// Thread contract: called from main() only.
#include <optional>
#include <sstream>

#include "cli/commands.hpp"
#include "codes/registry.hpp"
#include "codes/validate.hpp"

namespace mv::cli {

namespace {

using codes::BasicCode;
using codes::EnhancedCode;
using codes::EnhancedParts;
using codes::Registry;

constexpr const char* kProg = "milter-verdict explain";

const char* class_name(char c) {
    switch (c) {
        case '2':
            return "2 (success)";
        case '3':
            return "3 (intermediate)";
        case '4':
            return "4 (persistent transient failure)";
        case '5':
            return "5 (permanent failure)";
        default:
            return "X (any class: 2, 4 or 5)";
    }
}

const char* subject_name(int s) {
    static const char* const kNames[] = {"other or undefined status",
                                         "addressing status",
                                         "mailbox status",
                                         "mail system status",
                                         "network and routing status",
                                         "mail delivery protocol status",
                                         "message content or media status",
                                         "security or policy status"};
    return s >= 0 && s <= 7 ? kNames[s] : "unassigned subject";
}

std::string words(const std::vector<std::string>& v) {
    std::string s;
    for (const auto& w : v) s += (s.empty() ? "" : " ") + w;
    return s;
}

std::string stages_of(const BasicCode& b) {
    if (b.any_stage) return "any stage (RFC 5321 4.3.2: any command may get it)";
    std::string s;
    for (int i = 0; i < codes::kStageCount; ++i)
        if (b.stages.test(i))
            s += (s.empty() ? "" : ", ") + std::string(codes::stage_command(codes::Stage(i)));
    return s.empty() ? "none of the stages a milter answers" : s;
}

void print_basic(const BasicCode& b, std::ostream& out) {
    const std::string code = std::to_string(b.code);
    out << code << "  " << b.meaning << "\n";
    out << "  class:       " << class_name(code[0]) << "\n";
    out << "  valid at:    " << stages_of(b) << "\n";
    out << "  closes:      " << (b.closes ? "yes, the server closes the session after it" : "no")
        << "\n";
    if (!b.notes.empty()) out << "  notes:       " << b.notes << "\n";
    out << "  source:      " << b.source << "\n";
}

void print_enhanced(const EnhancedCode& e, char cls, std::ostream& out) {
    const EnhancedParts p{cls, e.subject, e.detail};
    out << p.str() << "  " << e.title << "\n";
    out << "  class:       " << class_name(cls) << "\n";
    out << "  subject:     " << e.subject << " (" << subject_name(e.subject) << ")\n";
    out << "  basic codes: "
        << (e.associated.empty() ? "none listed by the registry" : words(e.associated)) << "\n";
    if (!e.added.empty()) {
        std::string added;
        for (int a : e.added) added += (added.empty() ? "" : " ") + std::to_string(a);
        out << "  also:        " << added
            << " (this project's addition, see plugin/codes/data/SOURCES.md)\n";
    }
    out << "  use:         "
        << (e.permanence == codes::Permanence::PermanentOnly   ? "permanent only (5xx)"
            : e.permanence == codes::Permanence::TransientOnly ? "transient only (4xx)"
                                                               : "permanent or transient")
        << "\n";
    out << "  deprecated:  " << (e.deprecated ? "yes" : "no") << "\n";
    if (!e.notes.empty()) out << "  notes:       " << e.notes << "\n";
    out << "  source:      " << e.reference << "; IANA SMTP Enhanced Status Codes registry\n";
}

// The consistency of a pair, in validate_reply's words.
void print_pair(const BasicCode& b, const std::string& enhanced, const EnhancedCode& e,
                std::ostream& out) {
    const std::string code = std::to_string(b.code);
    out << "pair " << code << " " << enhanced << ":\n";
    const bool nowhere = !b.any_stage && b.stages.none();
    out << "  stages:      " << stages_of(b);
    if (b.code >= 400 && nowhere)
        out << "; check-config warns wherever a rule sends it";
    else if (b.code >= 400 && !b.any_stage)
        out << "; check-config warns at other stages";
    out << "\n";
    std::vector<std::string> problems;
    if (b.code >= 400) {
        codes::ReplySpec spec;
        spec.basic = b.code;
        spec.enhanced = enhanced;
        spec.disconnect = b.closes;
        const auto disposition =
            b.code >= 500 ? codes::Disposition::Reject : codes::Disposition::Tempfail;
        // Judge the pair at a stage where the basic code is valid; where it is
        // valid is printed above (including "none of the stages").
        codes::Stage stage = codes::Stage::EndOfData;
        for (int i = 0; i < codes::kStageCount; ++i)
            if (b.valid_at(codes::Stage(i))) {
                stage = codes::Stage(i);
                break;
            }
        for (const auto& p : codes::validate_reply(spec, disposition, stage)) {
            // A code valid at no stage was judged at end of data only to run
            // the other checks; the stages line above already says so.
            if (nowhere && p.message.rfind("basic code " + code + " is not among", 0) == 0)
                continue;
            problems.push_back(
                (p.severity == codes::Problem::Severity::Error ? "error: " : "warning: ") +
                p.message);
        }
    } else {
        if (enhanced[0] != code[0])
            problems.push_back("error: enhanced code " + enhanced + " has class " + enhanced[0] +
                               " but basic code " + code + " has class " + code[0]);
        else if (!e.associates(b.code))
            problems.push_back("warning: enhanced code " + enhanced +
                               " is registered for basic codes " + words(e.associated) + ", not " +
                               code);
    }
    if (problems.empty()) {
        out << "  consistent:  yes (class " << code[0] << ", "
            << (e.associated.empty()       ? "the registry lists no basic code for " + e.name()
                : e.registry_lists(b.code) ? "the registry lists " + code + " for " + e.name()
                                           : "this project accepts " + code + " for " + e.name())
            << ")\n";
        return;
    }
    out << "  consistent:  no\n";
    for (const auto& p : problems) out << "  " << p << "\n";
}

// One argument or pair; false (message on err) when it is malformed or unknown.
bool explain_one(const std::string& basic_arg, const std::string& enh_arg, std::ostream& out,
                 std::ostream& err) {
    const Registry& reg = Registry::get();
    const BasicCode* b = nullptr;
    if (!basic_arg.empty()) {
        const auto code = codes::parse_basic(basic_arg);
        if (!code) {
            err << kProg << ": \"" << basic_arg
                << "\" is not a reply code: want three digits, the first 2-5, the second 0-5 "
                   "(RFC 5321 4.2)\n";
            return false;
        }
        b = reg.basic(*code);
        if (!b) {
            err << kProg << ": " << basic_arg
                << " is not a known SMTP reply code (RFC 5321 4.2.3 and its extensions)\n";
            return false;
        }
    }
    const EnhancedCode* e = nullptr;
    std::optional<EnhancedParts> parts;
    if (!enh_arg.empty()) {
        parts = codes::parse_enhanced(enh_arg, true);
        if (!parts) {
            err << kProg << ": \"" << enh_arg
                << "\" is not an enhanced status code: want class.subject.detail with class "
                   "2, 4, 5 or X and subject and detail 0-999 without leading zeros (RFC 3463)\n";
            return false;
        }
        e = reg.enhanced(parts->subject, parts->detail);
        if (!e) {
            err << kProg << ": " << parts->str()
                << " is not in the IANA registry of enhanced status codes\n";
            return false;
        }
        if (b && parts->cls == 'X') {
            err << kProg << ": in a pair the enhanced code needs its class (" << basic_arg[0]
                << parts->str().substr(1) << ", not " << parts->str() << ")\n";
            return false;
        }
    }
    if (b) print_basic(*b, out);
    if (e) print_enhanced(*e, parts->cls, out);
    if (b && e) print_pair(*b, parts->str(), *e, out);
    return true;
}

bool looks_basic(const std::string& s) {
    return s.size() == 3 && s.find_first_not_of("0123456789") == std::string::npos;
}

}  // namespace

int explain_main(const Args& all, std::ostream& out, std::ostream& err) {
    const CommandSpec& self = *find_command("explain");
    const ParsedArgs p = parse_args(self, all);
    if (!p.ok()) return usage_error(self, p.error, err);
    if (p.help()) {
        out << usage(self);
        return 0;
    }
    if (p.has("defaults")) {
        if (!p.operands.empty())
            return usage_error(self, "--defaults takes no code ('" + p.operands[0] + "')", err);
        return explain_defaults(p.value("format", "text"), out, err);
    }
    if (p.has("format")) return usage_error(self, "--format goes with --defaults", err);
    if (p.operands.empty()) return usage_error(self, "no code to explain", err);
    const Args& args = p.operands;
    // Split "550 5.7.1" into two words, then group a basic code with the
    // enhanced code that follows it.
    std::vector<std::string> words;
    for (const auto& a : args) {
        std::istringstream in(a);
        std::string w;
        bool any = false;
        while (in >> w) {
            words.push_back(w);
            any = true;
        }
        if (!any) words.push_back(a);  // an empty argument is reported as malformed
    }
    int status = 0;
    bool first = true;
    for (std::size_t i = 0; i < words.size(); ++i) {
        std::string basic, enhanced;
        const std::string& w = words[i];
        if (looks_basic(w)) {
            basic = w;
            if (i + 1 < words.size() && words[i + 1].find('.') != std::string::npos)
                enhanced = words[++i];
        } else if (w.find('.') != std::string::npos) {
            enhanced = w;
        } else {
            err << kProg << ": \"" << w
                << "\" is neither a basic code (550) nor an enhanced code (5.7.1, X.7.1)\n";
            status = 1;
            continue;
        }
        std::ostringstream block;
        if (!explain_one(basic, enhanced, block, err)) {
            status = 1;
            continue;
        }
        if (!first) out << "\n";
        out << block.str();
        first = false;
    }
    return status;
}

}  // namespace mv::cli
