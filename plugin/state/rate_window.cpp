// SPDX-License-Identifier: Apache-2.0
// rate_window.cpp - fixed-window counting (see rate_window.hpp and store.hpp).
#include "state/rate_window.hpp"

#include <algorithm>
#include <limits>

namespace mv::state {

RateResult apply_rate(std::vector<WindowState>& states, const RateRequest& request,
                      std::int64_t now_ms, std::int64_t& expires_ms) {
    // Rebuild the states in the order of the request so that a reload that
    // changes the windows keeps the counters of the lengths it kept.
    std::vector<WindowState> next;
    next.reserve(request.windows.size());
    for (const Window& w : request.windows) {
        const std::int64_t len = w.length.count();
        WindowState s{len, now_ms, 0};
        for (const WindowState& old : states) {
            // A closed (or never counted) window is forgotten: the next event
            // counted opens a new one.
            if (old.length_ms == len && old.count > 0 && now_ms < old.start_ms + len) s = old;
        }
        next.push_back(s);
    }

    RateResult result;
    std::int64_t longest_wait = -1;
    for (std::size_t i = 0; i < next.size(); ++i) {
        const std::uint64_t limit = request.windows[i].limit;
        const bool room = next[i].count <= limit && request.cost <= limit - next[i].count;
        if (room) continue;
        result.allowed = false;
        const std::int64_t wait = next[i].start_ms + next[i].length_ms - now_ms;
        if (wait > longest_wait) {
            longest_wait = wait;
            result.exceeded = static_cast<int>(i);
        }
    }
    if (!result.allowed) result.retry_after = Duration(longest_wait);

    if (result.allowed || request.count_refused) {
        for (WindowState& s : next) {
            const std::uint64_t max = std::numeric_limits<std::uint64_t>::max();
            s.count = request.cost > max - s.count ? max : s.count + request.cost;
        }
    }
    expires_ms = now_ms;
    for (const WindowState& s : next) {
        result.counts.push_back(s.count);
        expires_ms = std::max(expires_ms, s.start_ms + s.length_ms);
    }
    states = std::move(next);
    return result;
}

}  // namespace mv::state
