// SPDX-License-Identifier: Apache-2.0
// entry.hpp - one record of the embedded store, as kept in memory and on disk.
//
// The kind says which of the three states is meaningful. `expires_ms` is when
// the record stops mattering: it is then dropped by the store's sweep, never
// written to the state file, and skipped when a file is read back.
//
// Thread contract: plain data.
#pragma once

#include <cstdint>
#include <vector>

#include "state/greylist_entry.hpp"
#include "state/rate_window.hpp"

namespace mv::state {

struct Entry {
    enum class Kind : char { Rate = 'r', Triplet = 'g', Client = 'c' };
    Kind kind = Kind::Rate;
    std::int64_t expires_ms = 0;
    std::vector<WindowState> windows;  // Rate
    TripletState triplet;              // Triplet
    ClientState client;                // Client
};

}  // namespace mv::state
