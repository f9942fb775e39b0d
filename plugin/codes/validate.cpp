// SPDX-License-Identifier: Apache-2.0
// validate.cpp - validate_reply(): the table of DESIGN.md section 2, row by row.
//
// Checks run in table order. A check that depends on an earlier one (the stage
// of an unknown basic code, the association of a malformed enhanced code) is
// skipped when that one failed, so each mistake is reported once.
#include <string>

#include "codes/registry.hpp"
#include "codes/reply_text.hpp"
#include "codes/validate.hpp"

namespace mv::codes {

namespace {

// RFC 5321 4.5.3.1.5: a reply line is at most 512 octets with its CRLF.
constexpr std::size_t kMaxLineOctets = 510;
// libmilter's smfi_setmlreply() takes at most 32 lines.
constexpr std::size_t kMaxLines = 32;
// libmilter refuses (MI_FAILURE) a text line longer than 980 octets
// (MAXREPLYLEN), counted after the glue doubled each '%'.
constexpr std::size_t kMaxMilterLine = 980;

// Worst-case length of a well-formed template line once every '%' is doubled
// for libmilter: a variable's value may consist of '%' only.
std::size_t max_escaped_length(const std::string& line) {
    std::size_t literal = 0, percents = 0, i = 0;
    while (i < line.size()) {
        if (line.compare(i, 2, "${") == 0) {
            i = line.find('}', i) + 1;  // well-formed: the '}' exists
            continue;
        }
        ++literal;
        percents += line[i] == '%';
        ++i;
    }
    const std::size_t vars = max_expanded_length(line) - literal;
    return literal + percents + 2 * vars;
}

struct Out {
    std::vector<Problem>& v;
    void error(std::string m) { v.push_back({Problem::Severity::Error, std::move(m)}); }
    void warn(std::string m) { v.push_back({Problem::Severity::Warning, std::move(m)}); }
};

std::string join(const std::vector<std::string>& items) {
    std::string s;
    for (std::size_t i = 0; i < items.size(); ++i) {
        if (i) s += i + 1 == items.size() ? (items.size() > 2 ? ", or " : " or ") : ", ";
        s += items[i];
    }
    return s;
}

// The refusal codes RFC 5321 4.3.2 lists for a stage, e.g. "503, 554".
std::string refusals_at(Stage stage) {
    std::vector<std::string> listed;
    for (const auto& b : Registry::get().basics())
        if (b.code >= 400 && !b.any_stage && b.valid_at(stage))
            listed.push_back(std::to_string(b.code));
    std::string s;
    for (const auto& c : listed) s += (s.empty() ? "" : ", ") + c;
    return s.empty() ? "none" : s;
}

void check_text(const ReplySpec& spec, Out& out) {
    if (spec.text.size() > kMaxLines)
        out.error("text has " + std::to_string(spec.text.size()) +
                  " lines; libmilter's smfi_setmlreply() takes at most " +
                  std::to_string(kMaxLines));
    // The longest prefix a line gets on the wire: "550-5.7.1 ".
    const std::size_t prefix = 4 + (spec.enhanced.empty() ? 0 : spec.enhanced.size() + 1);
    for (std::size_t i = 0; i < spec.text.size(); ++i) {
        const std::string& line = spec.text[i];
        const std::string where = "text line " + std::to_string(i + 1);
        if (line.find_first_of(std::string("\r\n\0", 3)) != std::string::npos) {
            out.error(where + " contains a CR, LF or NUL byte; give each line separately");
            continue;
        }
        const std::string bad = check_template(line);
        if (!bad.empty()) {
            out.error(where + ": " + bad);
            continue;
        }
        // '%' is fine here: the milter glue doubles it for libmilter, which
        // would otherwise drop the whole text; the client sees one '%', so the
        // wire length counts it once.
        const std::size_t len = prefix + max_expanded_length(line);
        if (len > kMaxLineOctets)
            out.error(where + " can reach " + std::to_string(len) + " octets with its \"" +
                      std::to_string(spec.basic) + "-" +
                      (spec.enhanced.empty() ? "" : spec.enhanced + " ") +
                      "\" prefix; RFC 5321 4.5.3.1.5 allows " + std::to_string(kMaxLineOctets));
        else if (max_escaped_length(line) > kMaxMilterLine)
            out.error(where + " can reach " + std::to_string(max_escaped_length(line)) +
                      " octets once each '%' is doubled for libmilter, which refuses more than " +
                      std::to_string(kMaxMilterLine));
    }
}

void check_enhanced(const ReplySpec& spec, const EnhancedParts& p, Out& out) {
    const EnhancedCode* e = Registry::get().enhanced(p.subject, p.detail);
    const std::string code = spec.enhanced;
    if (!e) {
        if (!spec.allow_unregistered)
            out.error("enhanced code " + code +
                      " is not in the IANA registry of enhanced status codes; if the rule means "
                      "an unregistered code, say so with unregistered = true in its reply");
        return;
    }
    const std::string basic = std::to_string(spec.basic);
    std::string added;
    for (int a : e->added) added += (added.empty() ? " (and here " : ", ") + std::to_string(a);
    if (!added.empty()) added += ")";
    if (!e->associates(spec.basic))
        out.warn("enhanced code " + code + " (" + e->title + ") is registered for basic code" +
                 (e->associated.size() > 1 ? "s " : " ") + join(e->associated) + added + ", not " +
                 basic);
    if (e->permanence == Permanence::PermanentOnly && spec.basic < 500)
        out.warn("enhanced code " + e->name() + " (" + e->title +
                 ") is useful only as a permanent error (" + e->reference + ") but is used with " +
                 basic);
    if (e->permanence == Permanence::TransientOnly && spec.basic >= 500)
        out.warn("enhanced code " + e->name() + " (" + e->title +
                 ") is useful only as a persistent transient error (" + e->reference +
                 ") but is used with " + basic);
    if (e->deprecated)
        out.warn("enhanced code " + code + " is deprecated in the IANA registry" +
                 (e->notes.empty() ? std::string() : ": " + e->notes));
}

}  // namespace

std::vector<Problem> validate_reply(const ReplySpec& spec, Disposition disposition, Stage stage) {
    std::vector<Problem> problems;
    Out out{problems};
    const std::string basic = std::to_string(spec.basic);
    const BasicCode* b = nullptr;

    if (spec.basic < 400 || spec.basic > 599) {
        out.error("basic code " + basic +
                  " is not a refusal: a reject or tempfail needs a 4xx or 5xx code");
    } else {
        b = Registry::get().basic(spec.basic);
        if (!b)
            out.error("basic code " + basic +
                      " is not an SMTP reply code (RFC 5321 4.2.3, RFC 4954, RFC 7504)");
        const bool want5 = disposition == Disposition::Reject;
        if (want5 != (spec.basic >= 500))
            out.error(std::string(want5 ? "reject needs a 5xx code" : "tempfail needs a 4xx code") +
                      " but " + basic + " is " + (want5 ? "4xx" : "5xx") +
                      "; libmilter drops a reply whose class does not match the action");
    }

    std::optional<EnhancedParts> parts;
    if (!spec.enhanced.empty()) {
        parts = parse_enhanced(spec.enhanced);
        if (!parts) {
            out.error("enhanced code \"" + spec.enhanced +
                      "\" is malformed: want class.subject.detail with class 2, 4 or 5 and "
                      "subject and detail 0-999 without leading zeros (RFC 3463)");
        } else if (spec.basic >= 200 && spec.basic <= 599 && parts->cls != basic[0]) {
            out.error("enhanced code " + spec.enhanced + " has class " + parts->cls +
                      " but basic code " + basic + " has class " + basic[0] +
                      "; Postfix would answer 451 4.3.5 instead");
            parts.reset();  // its association and permanence would only repeat this
        }
    }

    check_text(spec, out);

    if (b) {
        if (b->closes && !spec.disconnect)
            out.error("basic code " + basic +
                      " closes the session (RFC 5321 3.8, RFC 7504); use it only in a reply "
                      "with disconnect = true");
    }
    if (spec.disconnect && spec.basic != 421 && spec.basic != 521)
        out.error("the rule disconnects but basic code " + basic +
                  " does not close the session; use 421 (tempfail) or 521 (reject)");

    if (b && !b->valid_at(stage))
        out.warn("basic code " + basic + " is not among RFC 5321 4.3.2's replies to " +
                 std::string(stage_command(stage)) + " (refusals listed there: " +
                 refusals_at(stage) + "; 421, 500 and 501 answer any command)");

    if (parts && b) check_enhanced(spec, *parts, out);
    return problems;
}

}  // namespace mv::codes
