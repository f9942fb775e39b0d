// SPDX-License-Identifier: Apache-2.0
// registry.hpp - the compiled registry of SMTP basic reply codes (RFC 5321)
// and enhanced status codes (RFC 3463, the IANA registry).
//
// The data lives in plugin/codes/data/*.csv (sources in data/SOURCES.md) and is
// embedded into the program by scripts/embed-data.sh. Registry::get() parses it
// once, on first use (a function-local static: thread-safe initialisation),
// and never changes it afterwards; lookups are then lock-free reads.
//
// Errors: a bad line in the embedded data is a bug of this project, not of the
// user; it is kept in load_errors() ("enhanced-codes.csv:12: ...") so a unit
// test fails on it, and the line is skipped. Registry::parse() parses any text
// the same way, for tests.
//
// Thread contract: get() and every const member are safe from any thread.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "codes/stage.hpp"

namespace mv::codes {

// A basic reply code (RFC 5321 4.2.3) and where RFC 5321 4.3.2 lets a server send it.
struct BasicCode {
    int code = 0;
    std::string meaning;
    StageSet stages;         // the stages (SMTP commands) listed for it
    bool any_stage = false;  // "any command may get it" (421, 500, 501)
    bool closes = false;     // the server closes the session after it (421, 521)
    std::string source;
    std::string notes;

    bool valid_at(Stage s) const { return any_stage || stages.test(static_cast<int>(s)); }
};

// Whether an enhanced code may be used with 4xx, 5xx or both (see SOURCES.md
// for how this is derived from the registry and RFC 3463).
enum class Permanence { Either, PermanentOnly, TransientOnly };

struct EnhancedCode {
    int subject = 0;
    int detail = 0;
    std::string title;
    // Associated basic codes as the IANA registry lists them: "550", "4XX",
    // "5XX" or "Any". Empty: the registry lists none.
    std::vector<std::string> associated;
    // Basic codes this project accepts too, each justified in SOURCES.md.
    std::vector<int> added;
    Permanence permanence = Permanence::Either;
    bool deprecated = false;
    std::string reference;
    std::string notes;

    std::string name() const;  // "X.7.1"
    // True if the registry lists no basic code, or lists `basic` (directly,
    // as 4XX/5XX or Any), or the project added it.
    bool associates(int basic) const;
    // True if `basic` is in the registry's own list (not the project's additions).
    bool registry_lists(int basic) const;
};

// An enhanced status code as written: class '2', '4', '5' (or 'X' where allowed).
struct EnhancedParts {
    char cls = 'X';
    int subject = 0;
    int detail = 0;

    std::string str() const;
};

// RFC 3463 syntax: class "." subject "." detail, class 2/4/5, subject and
// detail 0-999 without leading zeros. With allow_x, class may be 'X' or 'x'.
std::optional<EnhancedParts> parse_enhanced(std::string_view text, bool allow_x = false);
// RFC 5321 4.2: three digits, the first 2-5, the second 0-5. nullopt otherwise.
std::optional<int> parse_basic(std::string_view text);

class Registry {
  public:
    // The registry of the embedded data, parsed on first call.
    static const Registry& get();
    // Parse CSV text (header line first); bad lines go to load_errors().
    static Registry parse(std::string_view basic_csv, std::string_view enhanced_csv);

    const BasicCode* basic(int code) const;
    const EnhancedCode* enhanced(int subject, int detail) const;
    const std::vector<BasicCode>& basics() const { return basics_; }
    const std::vector<EnhancedCode>& enhanceds() const { return enhanced_; }
    const std::vector<std::string>& load_errors() const { return errors_; }

  private:
    std::vector<BasicCode> basics_;       // sorted by code
    std::vector<EnhancedCode> enhanced_;  // in file order (subject, detail)
    std::vector<std::string> errors_;
};

}  // namespace mv::codes
