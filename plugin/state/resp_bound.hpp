// SPDX-License-Identifier: Apache-2.0
// resp_bound.hpp - refuse an oversized Redis reply from its headers, before hiredis buffers it.
//
// hiredis's reader keeps a reply's bytes until the reply is whole and sets no
// bound of its own (0.14's maxbuf only says when to compact the buffer): a
// server that announces "$2147483648" and streams makes it buffer up to 2 GB.
// RespBound reads the same bytes as they arrive, before they are fed to the
// reader, and refuses the stream at the first header that announces a
// string longer than kMaxReplyBytes or an aggregate of more than
// kMaxReplyElements elements. RedisConnection also counts the bytes of each
// reply (at most kMaxReplyBytes), which bounds what the headers do not say
// (long status lines, many small elements).
//
// kMaxReplyBytes: no reply the store reads comes near it. The scripts return
// at most 3 + kMaxWindows integers (under 500 bytes), SCRIPT LOAD a 40-byte
// SHA1, SENTINEL get-master-addr-by-name two strings of at most 255 bytes,
// ROLE a master's replicas (about 50 bytes each, 1024 at most), a
// "+switch-master" message one line.
//
// Protocol: RESP2 and the RESP3 types hiredis 1.x reads; a line ends at
// "\r\n" as in hiredis; a length hiredis could not parse (not digits) is no
// payload there either; one of more than 18 digits is refused.
//
// Errors: scan() returns "" or why the stream is refused; after a refusal the
// connection must be dropped (the state is not meaningful any more).
//
// Thread contract: one object per connection, used by one thread at a time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace mv::state {

inline constexpr std::size_t kMaxReplyBytes = 64 * 1024;
// hiredis 0.14 allocates an array reply's element table as soon as it has
// read the header "*N": see bound_reader() (redis_connection.hpp).
inline constexpr int kMaxReplyElements = 1024;

class RespBound {
  public:
    // The next bytes of the stream: "" or why the stream is refused.
    std::string scan(std::string_view chunk);

  private:
    enum class State { Type, Header, Line, Payload };
    State state_ = State::Type;
    char type_ = 0;
    bool cr_ = false;        // the previous byte of a line was '\r'
    bool frozen_ = false;    // a '\r' ended the header's number (as hiredis 0.14 reads it)
    bool negative_ = false;  // the header's number starts with '-'
    bool number_ok_ = true;  // the header holds only digits (after a sign)
    int digits_ = 0;         // digits in the header's number
    std::uint64_t value_ = 0;
    std::uint64_t skip_ = 0;  // payload bytes left (Payload)
};

}  // namespace mv::state
