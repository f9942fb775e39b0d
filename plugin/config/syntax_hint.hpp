// SPDX-License-Identifier: Apache-2.0
// syntax_hint.hpp - the likely cause of a libconfig syntax error.
//
// libconfig says only "syntax error" and a line. syntax_hint() looks at that
// line and the lines before it (the text the loader already read: the file
// is never opened again) and names the mistakes administrators coming
// from Postfix or postfwd make: yes/no for a boolean, an unquoted word as a
// string (action = reject), a missing ',' between two groups of a list, ';'
// where a list wants ',', a trailing ',', an unterminated string, a missing
// ';' or '=' after a key. It returns "" when no pattern fits: a guess is only
// given when the text shows it. The caller keeps libconfig's own message.
//
// Thread contract: pure function of the lines given.
#pragma once

#include <string>
#include <vector>

namespace mv::config {

// The likely cause of a syntax error that libconfig reported at `line` (from
// 1) of a file whose lines are `lines`, as a sentence ("booleans are
// true/false, not yes/no"), or "".
std::string syntax_hint(const std::vector<std::string>& lines, int line);

}  // namespace mv::config
