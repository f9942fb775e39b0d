// SPDX-License-Identifier: Apache-2.0
// redis_replies.hpp - what the store accepts from Redis: the checked reading of every reply.
//
// Redis is a peer: a wrong server, a proxy, a future version or a corrupted
// key can answer anything RESP allows (a nil, an error, an array of strings, a
// huge integer). These functions turn one reply into a result or an error and
// never pass on a value beyond what the request itself allows, since values
// reach arithmetic and the reply text (${retry}):
//
//   read_rate_reply()     the rate script: {allowed 0|1, exceeded -1..n-1,
//                         wait ms, count >= 0 per window}; the wait is
//                         clamped to 0..longest window
//   read_greylist_reply() the greylist script: {outcome 0|1|2, remaining ms},
//                         remaining clamped to 0..delay
//   read_master_address() SENTINEL get-master-addr-by-name: [host, port]
//   read_role()           ROLE: its first element ("master", "slave", "sentinel")
// Times are clamped rather than refused: a host whose clock runs a little
// behind another's sees windows and triplets that started "in the future".
//
// Errors: "" on success, else one line naming what was wrong ("unexpected
// reply from the rate script: window 7 outside -1..1").
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

// host is a name or address of at most 255 bytes without control characters
// or spaces; port 1..65535. A nil reply means the sentinel does not know the
// master name.
std::string read_master_address(const redisReply* reply, std::string& host, int& port);
// "" when the reply is not a ROLE reply.
std::string read_role(const redisReply* reply);

}  // namespace mv::state
