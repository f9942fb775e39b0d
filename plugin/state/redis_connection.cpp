// SPDX-License-Identifier: Apache-2.0
// redis_connection.cpp - hiredis connection (see redis_connection.hpp).
#include "state/redis_connection.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace mv::state {
namespace {

using std::chrono::steady_clock;

timeval to_timeval(std::chrono::microseconds d) {
    timeval tv{};
    tv.tv_sec = static_cast<time_t>(d.count() / 1'000'000);
    tv.tv_usec = static_cast<suseconds_t>(d.count() % 1'000'000);
    return tv;
}

// Waits until `fd` is ready for `events` or `deadline`: 1 ready (or in
// error: the next read or write says which), 0 deadline passed, -1 poll failed.
int wait_for(int fd, short events, Deadline deadline) {
    while (true) {
        const auto left = deadline - steady_clock::now();
        if (left <= steady_clock::duration::zero()) return 0;
        // Rounded up: poll() never returns before the deadline with nothing to do.
        const auto ms = std::chrono::ceil<std::chrono::milliseconds>(left).count();
        pollfd p{fd, events, 0};
        const int n = ::poll(&p, 1, static_cast<int>(std::min<long long>(ms, 60'000)));
        if (n > 0) return 1;
        if (n < 0 && errno != EINTR) return -1;
    }
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
                                                          Deadline deadline, std::string& error) {
    const auto left = std::chrono::ceil<std::chrono::microseconds>(deadline - steady_clock::now());
    if (left <= std::chrono::microseconds::zero()) {
        error = "timed out before connecting";
        return nullptr;
    }
    redisContext* raw = redisConnectWithTimeout(where.host.c_str(), where.port, to_timeval(left));
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
    // Every wait is a poll() for the time left (wait_for): hiredis's blocking
    // I/O is never used on this socket.
    const int flags = ::fcntl(raw->fd, F_GETFL);
    if (flags < 0 || ::fcntl(raw->fd, F_SETFL, flags | O_NONBLOCK) < 0) {
        error = std::string("cannot make the socket non-blocking: ") + std::strerror(errno);
        return nullptr;
    }
    redisEnableKeepAlive(raw);
    if (login && !options.password.empty()) {
        ReplyPtr r = conn->command({"AUTH", options.password}, deadline, error);
        if (!r) {
            error = "AUTH failed: " + error;
            return nullptr;
        }
    }
    if (login && options.db != 0) {
        ReplyPtr r = conn->command({"SELECT", std::to_string(options.db)}, deadline, error);
        if (!r) {
            error = "SELECT " + std::to_string(options.db) + " failed: " + error;
            return nullptr;
        }
    }
    conn->used_ = false;
    return conn;
}

ReplyPtr RedisConnection::fail(std::string why, std::string& error) {
    failed_ = true;
    error = std::move(why);
    return nullptr;
}

bool RedisConnection::send(const std::vector<std::string>& args, Deadline deadline,
                           std::string& error) {
    std::vector<const char*> argv;
    std::vector<std::size_t> lens;
    for (const std::string& a : args) {
        argv.push_back(a.data());
        lens.push_back(a.size());
    }
    char* formatted = nullptr;
    const int len =
        redisFormatCommandArgv(&formatted, static_cast<int>(argv.size()), argv.data(), lens.data());
    const std::unique_ptr<char, void (*)(char*)> owned(formatted, redisFreeCommand);
    if (len < 0 || formatted == nullptr) {
        error = "cannot format the command";
        return false;
    }
    std::size_t done = 0;
    while (done < static_cast<std::size_t>(len)) {
        const ssize_t n =
            ::send(ctx_->fd, formatted + done, static_cast<std::size_t>(len) - done, MSG_NOSIGNAL);
        if (n > 0) {
            done += static_cast<std::size_t>(n);
            continue;
        }
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            const int ready = wait_for(ctx_->fd, POLLOUT, deadline);
            if (ready == 0) fail("timed out sending the command", error);
            if (ready < 0) fail(std::string("poll: ") + std::strerror(errno), error);
            if (ready <= 0) return false;
            continue;
        }
        closed_by_peer_ = n < 0 && (errno == ECONNRESET || errno == EPIPE);
        fail(n < 0 ? std::strerror(errno) : "cannot send", error);
        return false;
    }
    return true;
}

ReplyPtr RedisConnection::take(std::string& error) {
    void* raw = nullptr;
    if (redisReaderGetReply(ctx_->reader, &raw) != REDIS_OK) {
        if (bound_.refused)
            return fail(
                "reply with more than " + std::to_string(kMaxReplyElements) + " elements refused",
                error);
        return fail(ctx_->reader->errstr[0] != '\0' ? ctx_->reader->errstr : "unreadable reply",
                    error);
    }
    if (raw == nullptr) return nullptr;
    // What the reader still holds belongs to the next reply (a subscription's).
    pending_ = ctx_->reader->len - ctx_->reader->pos;
    return ReplyPtr(static_cast<redisReply*>(raw));
}

ReplyPtr RedisConnection::next_reply(Deadline deadline, std::string& error) {
    error.clear();
    if (broken()) return fail("connection is broken", error);
    if (ReplyPtr r = take(error); r || !error.empty()) return r;
    char buf[16 * 1024];
    while (true) {
        const int ready = wait_for(ctx_->fd, POLLIN, deadline);
        if (ready == 0) return nullptr;  // nothing whole yet; the caller decides
        if (ready < 0) return fail(std::string("poll: ") + std::strerror(errno), error);
        // Never more than one byte past the bound, so the bound holds exactly.
        const std::size_t room = std::min(sizeof buf, kMaxReplyBytes - pending_ + 1);
        const ssize_t n = ::recv(ctx_->fd, buf, room, 0);
        if (n == 0) {
            closed_by_peer_ = true;
            return fail("Server closed the connection", error);
        }
        if (n < 0) {
            if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK) continue;
            closed_by_peer_ = errno == ECONNRESET;
            return fail(std::strerror(errno), error);
        }
        pending_ += static_cast<std::size_t>(n);
        if (pending_ > kMaxReplyBytes)
            return fail("reply longer than " + std::to_string(kMaxReplyBytes) + " bytes refused",
                        error);
        // The headers are checked before the reader buffers anything.
        if (std::string why = scan_.scan({buf, static_cast<std::size_t>(n)}); !why.empty())
            return fail(why + ": refused", error);
        if (redisReaderFeed(ctx_->reader, buf, static_cast<std::size_t>(n)) != REDIS_OK)
            return fail("cannot buffer the reply", error);
        if (ReplyPtr r = take(error); r || !error.empty()) return r;
    }
}

ReplyPtr RedisConnection::command(const std::vector<std::string>& args, Deadline deadline,
                                  std::string& error) {
    closed_by_peer_ = false;
    if (broken()) {
        error = "connection is broken";
        return nullptr;
    }
    if (steady_clock::now() >= deadline) {
        error = "timed out before sending the command";  // nothing sent: still usable
        return nullptr;
    }
    used_ = true;
    // Bytes left over from an earlier reply would be read as this command's.
    if (pending_ != 0) return fail("unexpected bytes after the last reply", error);
    const auto start = steady_clock::now();
    if (!send(args, deadline, error)) return nullptr;
    ReplyPtr reply = next_reply(deadline, error);
    if (!reply && error.empty()) {
        const auto took =
            std::chrono::duration_cast<std::chrono::milliseconds>(steady_clock::now() - start);
        return fail("timed out after " + std::to_string(took.count()) + " ms (" +
                        std::to_string(pending_) + " bytes of the reply received)",
                    error);
    }
    if (!reply) return nullptr;
    if (reply->type == REDIS_REPLY_ERROR) {
        error.assign(reply->str, reply->len);
        return nullptr;
    }
    return reply;
}

}  // namespace mv::state
