// SPDX-License-Identifier: Apache-2.0
// redis_connection.cpp - hiredis connection (see redis_connection.hpp).
#include "state/redis_connection.hpp"

#include <sys/time.h>
#include <cerrno>

namespace mv::state {
namespace {

timeval to_timeval(Duration d) {
    timeval tv{};
    tv.tv_sec = static_cast<time_t>(d.count() / 1000);
    tv.tv_usec = static_cast<suseconds_t>((d.count() % 1000) * 1000);
    return tv;
}

const redisReplyObjectFunctions* original(const redisReadTask* task) {
    return static_cast<const BoundedReader*>(task->privdata)->original;
}
void* create_string(const redisReadTask* task, char* str, size_t len) {
    return original(task)->createString(task, str, len);
}
void* create_array(const redisReadTask* task, int elements) {
    if (elements > kMaxReplyElements) {
        static_cast<BoundedReader*>(task->privdata)->refused = true;
        return nullptr;  // the reader reports an error; nothing was allocated
    }
    return original(task)->createArray(task, elements);
}
void* create_integer(const redisReadTask* task, long long value) {
    return original(task)->createInteger(task, value);
}
void* create_nil(const redisReadTask* task) {
    return original(task)->createNil(task);
}
void free_object(void* reply) {
    freeReplyObject(reply);
}
redisReplyObjectFunctions bounded_functions = {create_string, create_array, create_integer,
                                               create_nil, free_object};

}  // namespace

void bound_reader(redisReader* reader, BoundedReader& state) {
    if (reader == nullptr || reader->fn == &bounded_functions) return;
    state.original = reader->fn;
    state.refused = false;
    reader->privdata = &state;
    reader->fn = &bounded_functions;
}

std::string RedisEndpoint::text() const {
    const bool v6 = host.find(':') != std::string::npos;
    return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

std::unique_ptr<RedisConnection> RedisConnection::connect(const RedisEndpoint& where,
                                                          const RedisOptions& options, bool login,
                                                          std::string& error) {
    redisContext* raw =
        redisConnectWithTimeout(where.host.c_str(), where.port, to_timeval(options.timeout));
    if (raw == nullptr) {
        error = "cannot allocate a connection";
        return nullptr;
    }
    std::unique_ptr<RedisConnection> conn(new RedisConnection(raw));
    if (raw->err != 0) {
        error = raw->errstr;
        return nullptr;
    }
    bound_reader(raw->reader, conn->bound_);
    const timeval tv = to_timeval(options.timeout);
    if (redisSetTimeout(raw, tv) != REDIS_OK) {
        error = "cannot set the command timeout";
        return nullptr;
    }
    redisEnableKeepAlive(raw);
    if (login && !options.password.empty()) {
        ReplyPtr r = conn->command({"AUTH", options.password}, error);
        if (!r) {
            error = "AUTH failed: " + error;
            return nullptr;
        }
    }
    if (login && options.db != 0) {
        ReplyPtr r = conn->command({"SELECT", std::to_string(options.db)}, error);
        if (!r) {
            error = "SELECT " + std::to_string(options.db) + " failed: " + error;
            return nullptr;
        }
    }
    conn->used_ = false;
    return conn;
}

ReplyPtr RedisConnection::command(const std::vector<std::string>& args, std::string& error) {
    closed_by_peer_ = false;
    if (broken()) {
        error = "connection is broken";
        return nullptr;
    }
    used_ = true;
    std::vector<const char*> argv;
    std::vector<std::size_t> lens;
    for (const std::string& a : args) {
        argv.push_back(a.data());
        lens.push_back(a.size());
    }
    errno = 0;
    void* raw =
        redisCommandArgv(ctx_.get(), static_cast<int>(argv.size()), argv.data(), lens.data());
    const int saved_errno = errno;
    ReplyPtr reply(static_cast<redisReply*>(raw));
    if (!reply) {
        error = ctx_->err != 0 ? ctx_->errstr : "no reply";
        if (bound_.refused)
            error =
                "reply with more than " + std::to_string(kMaxReplyElements) + " elements refused";
        closed_by_peer_ =
            ctx_->err == REDIS_ERR_EOF ||
            (ctx_->err == REDIS_ERR_IO && (saved_errno == ECONNRESET || saved_errno == EPIPE));
        return nullptr;
    }
    if (reply->type == REDIS_REPLY_ERROR) {
        error.assign(reply->str, reply->len);
        return nullptr;
    }
    return reply;
}

}  // namespace mv::state
