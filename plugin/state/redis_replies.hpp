// redis_replies.hpp - what the store accepts from Redis: the checked reading of every reply.
//
// Redis is a peer: a wrong server, a proxy, a future version or a corrupted
// key can answer anything RESP allows (a nil, an error, an array of strings, a
// huge integer). These functions turn one reply into a result or an error:
//
//   read_rate_reply()     the rate script: {allowed, exceeded, wait ms, count
//                         per window...}, integers
//   read_greylist_reply() the greylist script: {outcome 0|1|2, remaining ms}
//
// Errors: "" on success, else one line naming what was wrong ("unexpected
// reply from the rate script: an array of 2, expected 4 integers or more").
// A Redis error reply (type ERROR) is reported with its text.
//
// Thread contract: pure functions over a reply owned by the caller.
#pragma once

#include <hiredis/hiredis.h>

#include <string>

#include "state/store.hpp"

namespace mv::state {

std::string read_rate_reply(const redisReply* reply, const RateRequest& request, RateResult& out);
std::string read_greylist_reply(const redisReply* reply, const GreylistRequest& request,
                                GreylistResult& out);

}  // namespace mv::state
