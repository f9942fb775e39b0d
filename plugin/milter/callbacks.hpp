// SPDX-License-Identifier: Apache-2.0
// callbacks.hpp - the libmilter callback table, wired to one Milter.
//
// register_milter() points the extern "C" callbacks at `milter` and calls
// smfi_register() with a description naming every handler. libmilter offers
// no user pointer for the table, so the Milter is reached through one
// process-wide pointer set here before smfi_main() starts any thread and
// cleared after it returns.
//
// Errors: false when smfi_register refuses the description.
//
// Thread contract: register_milter() and unregister_milter() from the main
// thread only, outside smfi_main().
#pragma once

#include "milter/milter.hpp"

namespace mv::milter {

bool register_milter(Milter& milter);
void unregister_milter();

}  // namespace mv::milter
