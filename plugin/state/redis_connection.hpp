// SPDX-License-Identifier: Apache-2.0
// redis_connection.hpp - one hiredis connection, owned (RAII), bounded in time and size.
//
// connect() opens a TCP connection to a host and port and, for a data server
// (not a Sentinel), authenticates (AUTH) and selects the database, all before
// a deadline. command() sends one command (binary-safe arguments) and
// returns its reply, or fails when the whole reply has not arrived by the
// deadline: the socket is non-blocking and every wait is a poll() for the
// time left, so a server that trickles its reply a byte at a time cannot
// stretch a command past the deadline (hiredis's own blocking calls bound
// each read(), not the command). Every reply is bounded in size: a header
// announcing more than kMaxReplyBytes bytes or kMaxReplyElements elements is
// refused before anything is buffered (resp_bound.hpp), and so is a reply
// whose bytes exceed kMaxReplyBytes; hiredis only parses the bytes.
// After an I/O error, a timeout, a refused or malformed reply the connection
// is broken() and must be dropped: it cannot be resynchronised.
//
// Host names are resolved by getaddrinfo() inside hiredis's connect, which
// the deadline does not bound: give an address (or a name /etc/hosts holds)
// where the resolver may be slow.
//
// TLS: Debian 12's hiredis is 0.14, built without hiredis_ssl, so connections
// are plain TCP; run Redis on a trusted network or tunnel it (documented in
// milter-verdict.conf(5)).
//
// Thread contract: one thread at a time per connection (RedisStore's pool
// hands each connection to one caller).
#pragma once

#include <hiredis/hiredis.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "state/clock.hpp"
#include "state/resp_bound.hpp"

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
    Duration timeout{500};          // bounds each store call: connect, write, read
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
// must outlive the reader's use. (RedisConnection also refuses such a
// header before feeding it to the reader: RespBound.)
struct BoundedReader {
    const redisReplyObjectFunctions* original = nullptr;
    bool refused = false;
};
void bound_reader(redisReader* reader, BoundedReader& state);

using Deadline = std::chrono::steady_clock::time_point;

class RedisConnection {
  public:
    // nullptr with `error` set on failure. `login`: AUTH and SELECT as the
    // options say (a data server); false for a Sentinel. Connecting and
    // logging in end by `deadline`.
    static std::unique_ptr<RedisConnection> connect(const RedisEndpoint& where,
                                                    const RedisOptions& options, bool login,
                                                    Deadline deadline, std::string& error);

    // The reply, or nullptr with `error` set (the connection is then broken(),
    // or the reply was a Redis error, which leaves it usable). The command is
    // sent and its whole reply read by `deadline`.
    ReplyPtr command(const std::vector<std::string>& args, Deadline deadline, std::string& error);

    // The next reply of a subscription. nullptr with `error` empty when none
    // arrived whole by `deadline` (the connection stays usable: a part
    // received waits for the next call, still bounded in size), nullptr with
    // `error` set when the connection broke.
    ReplyPtr next_reply(Deadline deadline, std::string& error);

    bool broken() const { return ctx_ == nullptr || ctx_->err != 0 || failed_; }
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
    // Marks the connection broken with `why`; returns nullptr.
    ReplyPtr fail(std::string why, std::string& error);
    bool send(const std::vector<std::string>& args, Deadline deadline, std::string& error);
    // A reply the reader holds whole, or nullptr (error set when the reader failed).
    ReplyPtr take(std::string& error);

    std::unique_ptr<redisContext, ContextFree> ctx_;
    bool closed_by_peer_ = false;
    bool used_ = false;
    bool failed_ = false;      // timed out, refused or unreadable reply
    std::size_t pending_ = 0;  // bytes received of the reply not yet whole
    BoundedReader bound_;
    RespBound scan_;
};

}  // namespace mv::state
