// SPDX-License-Identifier: Apache-2.0
// redis_connection.hpp - one hiredis connection, owned (RAII), with timeouts.
//
// connect() opens a TCP connection to a host and port with the connect
// timeout, sets the same timeout on every command and, for a data server (not
// a Sentinel), authenticates (AUTH) and selects the database.
// command() sends one command (binary-safe arguments) and returns its reply.
// After an I/O error, a timeout or a protocol error the connection is
// broken() and must be dropped: hiredis cannot resynchronise it.
//
// TLS: Debian 12's hiredis is 0.14, built without hiredis_ssl, so connections
// are plain TCP; run Redis on a trusted network or tunnel it (documented in
// milter-verdict.conf(5)).
//
// Thread contract: one thread at a time per connection (RedisStore's pool
// hands each connection to one caller).
#pragma once

#include <hiredis/hiredis.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "state/clock.hpp"

namespace mv::state {

// One server address; "host:port", "[v6]:port" in messages.
struct RedisEndpoint {
    std::string host;
    int port = 0;
    std::string text() const;
    bool operator==(const RedisEndpoint&) const = default;
};

struct RedisOptions {
    std::string host = "127.0.0.1";  // the server, unless sentinels are given
    int port = 6379;
    // Redis Sentinel: when non-empty, the master named master_name is looked
    // up through these sentinels (in order, the last one that answered
    // first) and host/port are not used.
    std::vector<RedisEndpoint> sentinels;
    std::string master_name;
    std::string password;           // "" = no AUTH
    int db = 0;                     // SELECT
    std::string prefix = "mv:";     // prepended to every key
    Duration timeout{500};          // connect and command timeout
    std::size_t pool_size = 8;      // connections at most
    Duration retry_interval{1000};  // after a failed connect, fail fast this long

    bool operator==(const RedisOptions&) const = default;
};

struct ReplyFree {
    void operator()(redisReply* r) const { freeReplyObject(r); }
};
using ReplyPtr = std::unique_ptr<redisReply, ReplyFree>;

// hiredis 0.14 allocates an array reply's element table as soon as it has
// read the header "*N", before any element: a server (or whatever answers at
// its address) sending "*500000000" makes the reader calloc 4 GB. No reply
// the store reads has more than kMaxReplyElements elements (ROLE of a master
// lists its replicas), so bound_reader() makes the reader refuse a larger
// array as an error; `refused` then says why the reply failed. The state
// must outlive the reader's use.
inline constexpr int kMaxReplyElements = 1024;
struct BoundedReader {
    const redisReplyObjectFunctions* original = nullptr;
    bool refused = false;
};
void bound_reader(redisReader* reader, BoundedReader& state);

class RedisConnection {
  public:
    // nullptr with `error` set on failure. `login`: AUTH and SELECT as the
    // options say (a data server); false for a Sentinel.
    static std::unique_ptr<RedisConnection> connect(const RedisEndpoint& where,
                                                    const RedisOptions& options, bool login,
                                                    std::string& error);

    // The reply, or nullptr with `error` set (the connection is then broken(),
    // or the reply was a Redis error, which leaves it usable).
    ReplyPtr command(const std::vector<std::string>& args, std::string& error);

    bool broken() const { return ctx_ == nullptr || ctx_->err != 0; }
    // The last I/O failure was the peer closing the connection (e.g. a Redis
    // restart): the command most likely never ran and may be sent again.
    bool closed_by_peer() const { return closed_by_peer_; }
    bool used() const { return used_; }
    // The pool's generation when the connection was opened (RedisStore).
    std::uint64_t generation = 0;

  private:
    struct ContextFree {
        void operator()(redisContext* c) const { redisFree(c); }
    };
    explicit RedisConnection(redisContext* ctx) : ctx_(ctx) {}
    std::unique_ptr<redisContext, ContextFree> ctx_;
    bool closed_by_peer_ = false;
    bool used_ = false;
    BoundedReader bound_;
};

}  // namespace mv::state
