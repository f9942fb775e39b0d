// SPDX-License-Identifier: Apache-2.0
// redis_replies.cpp - checked reading of Redis replies (see redis_replies.hpp).
#include "state/redis_replies.hpp"

#include <algorithm>
#include <string_view>
#include <vector>

namespace mv::state {
namespace {

bool integer_array(const redisReply* r, std::size_t elements) {
    if (r == nullptr || r->type != REDIS_REPLY_ARRAY || r->elements != elements) return false;
    for (std::size_t i = 0; i < r->elements; ++i)
        if (r->element[i] == nullptr || r->element[i]->type != REDIS_REPLY_INTEGER) return false;
    return true;
}

std::string what_is(const redisReply* r) {
    if (r == nullptr) return "no reply";
    switch (r->type) {
        case REDIS_REPLY_ERROR:
            return "error \"" + std::string(r->str, std::min<std::size_t>(r->len, 200)) + "\"";
        case REDIS_REPLY_NIL:
            return "nil";
        case REDIS_REPLY_INTEGER:
            return "an integer";
        case REDIS_REPLY_STRING:
        case REDIS_REPLY_STATUS:
            return "a string";
        case REDIS_REPLY_ARRAY:
            return "an array of " + std::to_string(r->elements);
        default:
            return "a reply of type " + std::to_string(r->type);
    }
}

std::string out_of_range(const char* what, long long v, long long lo, long long hi) {
    return std::string(what) + " " + std::to_string(v) + " outside " + std::to_string(lo) + ".." +
           std::to_string(hi);
}

std::string_view text_of(const redisReply* r) {
    if (r == nullptr || (r->type != REDIS_REPLY_STRING && r->type != REDIS_REPLY_STATUS)) return {};
    return {r->str, r->len};
}

}  // namespace

std::string read_rate_reply(const redisReply* r, const RateRequest& request, RateResult& out) {
    const std::string bad = "unexpected reply from the rate script: ";
    const std::size_t n = request.windows.size();
    if (!integer_array(r, 3 + n))
        return bad + what_is(r) + ", expected " + std::to_string(3 + n) + " integers";
    long long longest = 0;
    for (const Window& w : request.windows)
        longest = std::max<long long>(longest, w.length.count());
    const long long allowed = r->element[0]->integer;
    const long long exceeded = r->element[1]->integer;
    const long long wait = r->element[2]->integer;
    if (allowed != 0 && allowed != 1) return bad + out_of_range("allowed", allowed, 0, 1);
    if (exceeded < -1 || exceeded >= static_cast<long long>(n))
        return bad + out_of_range("window", exceeded, -1, static_cast<long long>(n) - 1);
    std::vector<std::uint64_t> counts;
    for (std::size_t i = 0; i < n; ++i) {
        const long long c = r->element[3 + i]->integer;
        if (c < 0) return bad + "count " + std::to_string(c) + " below 0";
        counts.push_back(static_cast<std::uint64_t>(c));
    }
    out.allowed = allowed == 1;
    out.exceeded = static_cast<int>(exceeded);
    // The script never waits longer than its longest window. Another host's
    // clock a little ahead makes a window start in our future: wait the
    // window, never longer, never less than nothing.
    out.retry_after = Duration(std::clamp(wait, 0LL, longest));
    out.counts = std::move(counts);
    return {};
}

std::string read_greylist_reply(const redisReply* r, const GreylistRequest& request,
                                GreylistResult& out) {
    const std::string bad = "unexpected reply from the greylist script: ";
    if (!integer_array(r, 2)) return bad + what_is(r) + ", expected 2 integers";
    const long long outcome = r->element[0]->integer;
    const long long remaining = r->element[1]->integer;
    if (outcome < 0 || outcome > 2) return bad + out_of_range("outcome", outcome, 0, 2);
    out.outcome = static_cast<GreylistOutcome>(outcome);
    // At most the delay, as for the rate script's wait (clock skew between hosts).
    out.remaining =
        Duration(std::clamp(remaining, 0LL, static_cast<long long>(request.delay.count())));
    return {};
}

std::string read_master_address(const redisReply* r, std::string& host, int& port) {
    if (r != nullptr && r->type == REDIS_REPLY_NIL) return "the sentinel does not know this master";
    if (r == nullptr || r->type != REDIS_REPLY_ARRAY || r->elements != 2 ||
        r->element[0] == nullptr || r->element[0]->type != REDIS_REPLY_STRING ||
        r->element[1] == nullptr || r->element[1]->type != REDIS_REPLY_STRING)
        return "unexpected reply to SENTINEL get-master-addr-by-name: " + what_is(r);
    const std::string_view h = text_of(r->element[0]);
    const std::string_view p = text_of(r->element[1]);
    if (h.empty() || h.size() > 255)
        return "sentinel gave a master host of " + std::to_string(h.size()) + " bytes";
    for (unsigned char c : h)
        if (c <= 0x20 || c >= 0x7f) return "sentinel gave a master host with a control character";
    long long v = 0;
    if (p.empty() || p.size() > 5) return "sentinel gave a bad master port";
    for (char c : p) {
        if (c < '0' || c > '9') return "sentinel gave a bad master port";
        v = v * 10 + (c - '0');
    }
    if (v < 1 || v > 65535) return "sentinel gave a bad master port";
    host.assign(h);
    port = static_cast<int>(v);
    return {};
}

std::string read_role(const redisReply* r) {
    if (r == nullptr || r->type != REDIS_REPLY_ARRAY || r->elements == 0) return {};
    const std::string_view role = text_of(r->element[0]);
    if (role.size() > 16) return {};
    return std::string(role);
}

}  // namespace mv::state
