// SPDX-License-Identifier: Apache-2.0
// reply_sender.hpp - hand a codes::Reply to libmilter for the next refusal.
//
// send_reply() escapes '%' as "%%" (libmilter passes the text on as a format
// string to the MTA's reply machinery), then calls set_reply for one line or
// set_ml_reply for 2..32 lines. The caller must return SMFIS_REJECT (5xx) or
// SMFIS_TEMPFAIL (4xx) right after: libmilter drops a reply whose class does
// not match the status returned.
//
// Errors: false when the reply cannot be sent as is (empty, more than 32
// lines, CR/LF/NUL in a line, or libmilter refused it); the MTA then uses its
// default reply for the status, and the caller logs it.
//
// Thread contract: pure functions over the given MilterApi.
#pragma once

#include <string>
#include <string_view>

#include "codes/reply.hpp"
#include "milter/milter_api.hpp"

namespace mv::milter {

// "100% sure" -> "100%% sure".
std::string escape_percent(std::string_view text);

bool send_reply(MilterApi& api, const codes::Reply& reply);

}  // namespace mv::milter
