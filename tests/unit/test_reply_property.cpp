// test_reply_property.cpp - no reply can carry CR, LF, NUL or a lone '%', whatever the values.
//
// A property test over random values (fixed seed, so a failure repeats): a
// policy whose reply templates use every variable, several lines and literal
// '%', loaded by the real loader, runs through the milter handlers and the
// fake libmilter seam (fake_milter_api.hpp) with random client names, HELO
// names, senders, recipients, queue ids and macros (any byte, CR, LF, NUL
// included where a C string allows it, '%' and "${" often), and with a
// store that answers every rate and greylist call with random integers
// through the Redis reply readers (state/redis_replies.hpp): Redis content
// reaches the text through ${retry}. Every reply handed to libmilter must
// have only printable ASCII once libmilter's "%%" is read back, no CR, LF or
// NUL, every '%' doubled, at most 980 octets a line and 32 lines.
// DNS TXT content has no way into a reply yet (no DNS evidence in the tree);
// a DNS rule's value would reach the text through the same TextVars
// expansion that this test drives with every value.
#include <arpa/inet.h>
#include <cppunit/extensions/HelperMacros.h>
#include <hiredis/hiredis.h>
#include <libmilter/mfapi.h>
#include <netinet/in.h>

#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "config/loader.hpp"
#include "config_scratch.hpp"
#include "fake_milter_api.hpp"
#include "milter/milter.hpp"
#include "milter/policy_store.hpp"
#include "state/redis_connection.hpp"
#include "state/redis_replies.hpp"

namespace mv::milter::test {

namespace {

const char* const kPolicy = R"conf(
policy = { delay_reject = true; };
rules = (
  { name = "all-vars"; when = { rcpt = "/^a/"; }; action = "reject";
    reply = { code = 550; enhanced = "5.7.1";
              text = ["100% refused: ${client_addr} ${client_name}", "HELO ${helo} %s %n %%",
                      "<${sender}> ${rule}", "<${rcpt}> ${queue_id}"]; }; },
  { name = "helo-now"; when = { helo = "/^b/"; }; action = "tempfail";
    reply = { disconnect = true; text = "HELO ${helo} from ${client_addr}"; }; },
  { name = "sender"; when = { sender = "/^c/"; }; action = "reject";
    reply = { text = "Sender ${sender} 50%"; }; },
  { name = "rate"; on_backend_error = "closed";
    when = { rcpt = "/^d/"; rate_limit = { key = "rcpt"; count = "recipient"; limit = "1/1h"; }; };
    action = "tempfail"; reply = { text = "${rcpt}: retry in ${retry} s, 100%"; }; },
  { name = "grey"; on_backend_error = "closed";
    when = { rcpt = "/^e/"; greylist = { delay = "5m"; expiry = "4h"; }; };
    action = "tempfail"; reply = { text = "Greylisted ${rcpt} for ${retry} s"; }; },
  { name = "content"; when = { header = { name = "Subject"; value = "/x/"; }; };
    action = "reject"; reply = { text = "Subject from ${helo} refused (${queue_id})"; }; }
);
)conf";

// Bytes a C string can hold, with the dangerous ones often.
std::string random_value(std::mt19937& rng, std::size_t max_len) {
    static const char special[] = {'\r', '\n', '%', '$', '{', '}', '<', '>', '@', '\t', '\x7f'};
    std::uniform_int_distribution<std::size_t> len(0, max_len);
    std::uniform_int_distribution<int> pick(0, 9);
    std::uniform_int_distribution<int> byte(1, 255);
    std::uniform_int_distribution<std::size_t> sp(0, sizeof special - 1);
    std::string s;
    const std::size_t n = len(rng);
    for (std::size_t i = 0; i < n; ++i) {
        const int p = pick(rng);
        if (p < 3) {
            s += special[sp(rng)];
        } else if (p == 3) {
            s += "${rcpt}";
        } else {
            s += static_cast<char>(byte(rng));
        }
    }
    return s;
}

// Answers with random integers, read as the Redis store reads replies.
class RandomRedis final : public state::Store {
  public:
    explicit RandomRedis(std::mt19937& rng) : rng_(rng) {}
    state::RateResult rate(const state::RateRequest& request) override {
        state::RateResult out;
        std::string resp = "*" + std::to_string(3 + request.windows.size()) + "\r\n";
        for (std::size_t i = 0; i < 3 + request.windows.size(); ++i) resp += number();
        with_reply(
            resp, [&](const redisReply* r) { return read_rate_reply(r, request, out); }, out.error);
        return out;
    }
    state::GreylistResult greylist(const state::GreylistRequest& request) override {
        state::GreylistResult out;
        with_reply(
            "*2\r\n" + number() + number(),
            [&](const redisReply* r) { return read_greylist_reply(r, request, out); }, out.error);
        return out;
    }
    std::string flush() override { return {}; }
    std::string describe() const override { return "random redis"; }

  private:
    std::string number() {
        std::uniform_int_distribution<int> kind(0, 3);
        std::uniform_int_distribution<long long> any;
        std::uniform_int_distribution<long long> small(-2, 3);
        const long long v = kind(rng_) == 0 ? any(rng_) : small(rng_);
        return ":" + std::to_string(v) + "\r\n";
    }
    template <typename Read>
    void with_reply(const std::string& resp, Read read, std::string& error) {
        redisReader* reader = redisReaderCreate();
        state::BoundedReader bound;
        state::bound_reader(reader, bound);
        void* raw = nullptr;
        redisReaderFeed(reader, resp.data(), resp.size());
        if (redisReaderGetReply(reader, &raw) != REDIS_OK || raw == nullptr) {
            error = "no reply";
        } else {
            error = read(static_cast<redisReply*>(raw));
            freeReplyObject(raw);
        }
        redisReaderFree(reader);
    }
    std::mt19937& rng_;
};

// The libmilter text of a reply line: "%%" is one '%'; a lone '%' is a format.
bool safe_line(const std::string& line, std::string& why) {
    if (line.size() > 980) {
        why = "longer than 980 octets";
        return false;
    }
    for (std::size_t i = 0; i < line.size(); ++i) {
        const unsigned char c = static_cast<unsigned char>(line[i]);
        if (c == '%') {
            if (i + 1 >= line.size() || line[i + 1] != '%') {
                why = "a '%' not doubled at " + std::to_string(i);
                return false;
            }
            ++i;
        } else if (c < 0x20 || c > 0x7e) {
            why = "byte " + std::to_string(c) + " at " + std::to_string(i);
            return false;
        }
    }
    return true;
}

}  // namespace

class ReplyPropertyTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(ReplyPropertyTest);
    CPPUNIT_TEST(testNoReplyCarriesALineBreakNulOrLonePercent);
    CPPUNIT_TEST_SUITE_END();

  public:
    void testNoReplyCarriesALineBreakNulOrLonePercent() {
        mv::test::TempDir dir;
        config::LoadResult loaded = config::load_policy(dir.write("p.conf", kPolicy));
        CPPUNIT_ASSERT_MESSAGE(mv::test::dump(loaded), loaded.ok());
        std::mt19937 rng(20261202);
        loaded.policy->state_slot->attach(std::make_shared<RandomRedis>(rng));
        PolicyStore store(loaded.policy);
        RecordingLogger log;
        Milter milter(store, log);
        const char* prefixes[] = {"a", "b", "c", "d", "e", "z"};
        std::uniform_int_distribution<int> which(0, 5);
        std::size_t replies = 0;
        for (int round = 0; round < 1500; ++round) {
            FakeMilterApi api;
            for (const char* m : {"i", "{client_name}", "{auth_authen}", "j"})
                api.macros[m] = random_value(rng, 40);
            sockaddr_in in{};
            in.sin_family = AF_INET;
            in.sin_port = htons(40000);
            in.sin_addr.s_addr = htonl(0xC0000200u + static_cast<unsigned>(round % 256));
            const std::string host = random_value(rng, 300);
            const std::string helo = prefixes[which(rng)] + random_value(rng, 300);
            std::string from = prefixes[which(rng)] + random_value(rng, 300);
            std::string rcpt = prefixes[which(rng)] + random_value(rng, 300);
            std::string subject = random_value(rng, 100) + "x";
            char* from_argv[] = {from.data(), nullptr};
            char* rcpt_argv[] = {rcpt.data(), nullptr};
            milter.connect(api, host.c_str(), reinterpret_cast<const sockaddr*>(&in));
            milter.helo(api, helo.c_str());
            milter.envfrom(api, from_argv);
            milter.envrcpt(api, rcpt_argv);
            milter.data(api);
            milter.header(api, "Subject", subject.c_str());
            milter.eom(api);
            milter.close(api);
            for (const ReplyCall& r : api.replies) {
                ++replies;
                CPPUNIT_ASSERT(!r.lines.empty() && r.lines.size() <= 32);
                for (const std::string& line : r.lines) {
                    std::string why;
                    const bool safe = safe_line(line, why);
                    CPPUNIT_ASSERT_MESSAGE("reply line \"" + line + "\": " + why, safe);
                }
            }
        }
        // The property means something only if many replies were built.
        CPPUNIT_ASSERT_MESSAGE(std::to_string(replies) + " replies", replies > 1000);
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(ReplyPropertyTest);

}  // namespace mv::milter::test
