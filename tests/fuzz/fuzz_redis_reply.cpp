// SPDX-License-Identifier: Apache-2.0
// fuzz_redis_reply.cpp - Redis replies, from the bytes on the wire to the SMTP reply.
//
// Input: RESP bytes, as a Redis server (or anything listening where Redis
// should be) would send them. They are parsed by hiredis's own reader, the
// one RedisConnection uses, into successive replies. A policy with two rate
// limits and a greylist rule (below) runs one transaction of three
// recipients against a store whose every rate()/greylist() call answers with
// the next reply, read by the RedisStore's reply readers
// (state/redis_replies.hpp). A missing or unreadable reply is a backend
// error, as on a broken connection.
//
// The replies left after the transaction are read as a sentinel's answer to
// get-master-addr-by-name and as a ROLE reply. The reader is bounded as the
// store's connections bound theirs (redis_connection.hpp, bound_reader).
//
// Properties: every verdict's reply is the policy's or the backend-failure
// default (4xx for tempfail), made only of printable ASCII lines (Redis
// content such as a retry time reaches the reply text through ${retry}).
#include <hiredis/hiredis.h>
#include <hiredis/read.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "config/loader.hpp"
#include "fuzz_input.hpp"
#include "policy/session.hpp"
#include "state/redis_connection.hpp"
#include "state/redis_replies.hpp"

namespace {

using namespace mv::state;

constexpr const char* kPolicy = R"conf(
state = { backend = "redis"; };
rules = (
  { name = "per-rcpt"; on_backend_error = "closed";
    when = { rcpt = "/^limited/";
             rate_limit = { key = "sender"; count = "recipient"; limit = ["3/1m", "100/1h"]; }; };
    action = "tempfail";
    reply = { text = "Slow down, retry in ${retry} s (rule ${rule})"; }; },
  { name = "per-client"; on_backend_error = "open";
    when = { rate_limit = { key = "client_net"; count = "message"; limit = "50/1d"; strict = true; }; };
    action = "reject";
    reply = { code = 550; enhanced = "5.7.1"; text = "Too much mail, ${retry} s"; }; },
  { name = "greylist";
    when = { greylist = { delay = "5m"; expiry = "4h"; auto_whitelist = "1d"; }; };
    action = "tempfail"; }
);
)conf";

struct ReaderFree {
    void operator()(redisReader* r) const { redisReaderFree(r); }
};

// Answers each call with the next reply the reader gives.
class ReplayStore final : public Store {
  public:
    explicit ReplayStore(redisReader* reader) : reader_(reader) {}

    RateResult rate(const RateRequest& request) override {
        RateResult out;
        with_reply([&](const redisReply* r) { return read_rate_reply(r, request, out); },
                   out.error);
        return out;
    }
    GreylistResult greylist(const GreylistRequest& request) override {
        GreylistResult out;
        with_reply([&](const redisReply* r) { return read_greylist_reply(r, request, out); },
                   out.error);
        return out;
    }
    std::string flush() override { return {}; }
    std::string describe() const override { return "replayed redis replies"; }

  private:
    template <typename Read>
    void with_reply(Read read, std::string& error) {
        void* raw = nullptr;
        if (redisReaderGetReply(reader_, &raw) != REDIS_OK) {
            error = "protocol error";
            return;
        }
        if (raw == nullptr) {
            error = "no reply";
            return;
        }
        std::unique_ptr<redisReply, decltype(&freeReplyObject)> reply(static_cast<redisReply*>(raw),
                                                                      freeReplyObject);
        if (reply->type == REDIS_REPLY_ERROR) {
            error.assign(reply->str, reply->len);
            return;
        }
        error = read(reply.get());
    }
    redisReader* reader_;
};

mv::policy::PolicyPtr load() {
    const std::string path = mv::fuzz::scratch_dir() + "/redis.conf";
    mv::fuzz::write_file(path, kPolicy);
    mv::config::LoadResult r = mv::config::load_policy(path);
    if (!r.ok()) {
        for (const auto& d : r.diagnostics) std::fprintf(stderr, "%s\n", d.to_string().c_str());
        std::abort();
    }
    return r.policy;
}

void check(const mv::policy::Verdict& v) {
    using mv::policy::Action;
    if (v.action == Action::Reject) MV_FUZZ_CHECK(v.reply.basic / 100 == 5);
    if (v.action == Action::Tempfail) MV_FUZZ_CHECK(v.reply.basic / 100 == 4);
    for (const std::string& line : v.reply.lines)
        for (unsigned char c : line) MV_FUZZ_CHECK(c >= 0x20 && c <= 0x7e);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const mv::policy::PolicyPtr policy = load();
    std::unique_ptr<redisReader, ReaderFree> reader(redisReaderCreate());
    if (!reader) return 0;
    BoundedReader bound;  // as every RedisConnection's reader is
    bound_reader(reader.get(), bound);
    if (redisReaderFeed(reader.get(), reinterpret_cast<const char*>(data), size) != REDIS_OK)
        return 0;
    policy->state_slot->attach(std::make_shared<ReplayStore>(reader.get()));

    mv::policy::Session s(policy);
    s.transaction().client_addr = "198.51.100.7";
    check(s.connect());
    check(s.helo("mx.example.org"));
    check(s.mail("alice@example.org"));
    check(s.rcpt("limited-1@example.net"));
    check(s.rcpt("limited-2@example.net"));
    check(s.rcpt("other@example.net"));
    check(s.data());
    s.header("Subject", "hello");
    check(s.end_of_message());
    policy->state_slot->attach(nullptr);

    // What is left: as a sentinel's master address and as a ROLE reply.
    for (int i = 0; i < 8; ++i) {
        void* raw = nullptr;
        if (redisReaderGetReply(reader.get(), &raw) != REDIS_OK || raw == nullptr) break;
        const ReplyPtr reply(static_cast<redisReply*>(raw));
        std::string host = "unset";
        int port = -1;
        if (read_master_address(reply.get(), host, port).empty()) {
            MV_FUZZ_CHECK(!host.empty() && host.size() <= 255);
            for (unsigned char c : host) MV_FUZZ_CHECK(c > 0x20 && c < 0x7f);
            MV_FUZZ_CHECK(port >= 1 && port <= 65535);
        } else {
            MV_FUZZ_CHECK(host == "unset" && port == -1);
        }
        MV_FUZZ_CHECK(read_role(reply.get()).size() <= 16);
    }
    return 0;
}
