// redis_replies.cpp - checked reading of Redis replies (see redis_replies.hpp).
#include "state/redis_replies.hpp"

#include <algorithm>
#include <string_view>

namespace mv::state {
namespace {

bool integer_array(const redisReply* r, std::size_t min_elements) {
    if (r == nullptr || r->type != REDIS_REPLY_ARRAY || r->elements < min_elements) return false;
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

}  // namespace

std::string read_rate_reply(const redisReply* r, const RateRequest& request, RateResult& out) {
    const std::size_t n = request.windows.size();
    if (!integer_array(r, 3 + n))
        return "unexpected reply from the rate script: " + what_is(r) + ", expected " +
               std::to_string(3 + n) + " integers or more";
    out.allowed = r->element[0]->integer == 1;
    out.exceeded = static_cast<int>(r->element[1]->integer);
    out.retry_after = Duration(r->element[2]->integer);
    out.counts.clear();
    for (std::size_t i = 0; i < n; ++i)
        out.counts.push_back(static_cast<std::uint64_t>(r->element[3 + i]->integer));
    return {};
}

std::string read_greylist_reply(const redisReply* r, const GreylistRequest&, GreylistResult& out) {
    if (!integer_array(r, 2) || r->element[0]->integer < 0 || r->element[0]->integer > 2)
        return "unexpected reply from the greylist script: " + what_is(r);
    out.outcome = static_cast<GreylistOutcome>(r->element[0]->integer);
    out.remaining = Duration(r->element[1]->integer);
    return {};
}

}  // namespace mv::state
