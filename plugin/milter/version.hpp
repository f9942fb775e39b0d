// SPDX-License-Identifier: Apache-2.0
// version.hpp - `milter-verdict --version`: the program's version and the
// versions of the libraries it is linked with.
//
// One line per library: the version the library reports at run time where
// it has a function for it (libmilter smfi_version, libidn2
// idn2_check_version, libunbound ub_version, civetweb mg_version), else the
// version of the headers it was built with ("built with"); RE2 has neither,
// and is named by the shared object loaded.
//
// Thread contract: call from main() only (before any thread).
#pragma once

#include <ostream>

namespace mv::milter {

void print_version(std::ostream& out);

}  // namespace mv::milter
