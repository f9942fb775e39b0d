// SPDX-License-Identifier: Apache-2.0
// fuzz_policy.hpp - a target's own fixed policy, loaded through the real loader.
//
// load_policy_or_abort() writes `text` to scratch_dir()/name and loads it. A
// policy of the target's own that does not load is the target's bug (every
// input would then test nothing): its diagnostics are printed as
// file:line: message and the process aborts.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "config/loader.hpp"
#include "fuzz_input.hpp"

namespace mv::fuzz {

inline policy::PolicyPtr load_policy_or_abort(const char* name, std::string_view text) {
    const std::string path = scratch_dir() + "/" + name;
    write_file(path, text);
    config::LoadResult r = config::load_policy(path);
    if (!r.ok()) {
        for (const auto& d : r.diagnostics) std::fprintf(stderr, "%s\n", d.to_string().c_str());
        std::abort();
    }
    return r.policy;
}

}  // namespace mv::fuzz
