// SPDX-License-Identifier: Apache-2.0
// test_reply_property.cpp - no reply can carry CR, LF, NUL or a lone '%', whatever the values.
//
// A property test over random values (fixed seed, so a failure repeats): a
// policy whose reply templates use every variable, several lines and literal
// '%', loaded by the real loader, runs with random client names, HELO names,
// senders, recipients, queue ids and macros (any byte, CR, LF, NUL included
// where a C string allows it, '%' and "${" often), with
// * a store that answers every rate and greylist call with random Redis
//   content read by the Redis reply readers (state/redis_replies.hpp): mostly
//   integers, which reach the text through ${retry}, and also bulk strings,
//   status and error replies of random bytes and nested arrays;
// * a DNS service (dns/service.hpp) whose resolver answers every question
//   with random records through answer_from_result(), the path libunbound's
//   results take: list hits (127.0.0.2..11) whose TXT records are random
//   bytes, in one or several character-strings, reaching the text through
//   ${dns_txt}, with ${dns_zones} and ${dns_score} beside it.
// Two front ends build replies from them:
// * the milter handlers through the fake libmilter seam
//   (fake_milter_api.hpp): every reply handed to libmilter must have only
//   printable ASCII once libmilter's "%%" is read back, no CR, LF or NUL,
//   every '%' doubled, at most 980 octets a line and 32 lines;
// * the Postfix policy service (policy_service/responder.hpp) answering
//   requests whose attributes hold random bytes (all but LF and NUL, which
//   the request framing refuses): every action is one line of printable
//   ASCII ('%' has no meaning there).
// Each check also counts that the random content did reach replies, so the
// property is not vacuous.
#include <arpa/inet.h>
#include <cppunit/extensions/HelperMacros.h>
#include <hiredis/hiredis.h>
#include <libmilter/mfapi.h>
#include <netinet/in.h>

#include <algorithm>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "config/loader.hpp"
#include "config_scratch.hpp"
#include "dns/answer.hpp"
#include "dns/evidence.hpp"
#include "dns/service.hpp"
#include "fake_milter_api.hpp"
#include "milter/milter.hpp"
#include "milter/policy_store.hpp"
#include "policy_service/responder.hpp"
#include "state/redis_connection.hpp"
#include "state/redis_replies.hpp"

namespace mv::milter::test {

namespace {

const char* const kPolicy = R"conf(
policy = { delay_reject = true; };
dns = {
  resolver = ["127.0.0.1@53"];
  lists = {
    clients = { zones = ( "zen.example=127.0.0.[2..11]*3", "bl.example*2" ); threshold = 3;
                txt = true; };
    names = { zones = ( "dbl.example" ); query = ["helo", "sender_domain"]; txt = true; };
  };
};
rules = (
  { name = "dnsbl"; when = { rcpt = "/^f/"; dns_list = "clients"; }; action = "reject";
    reply = { text = ["${dns_txt} 100%", "${client_addr} in ${dns_zones} (${dns_score}) %s"]; }; },
  { name = "rhsbl"; when = { rcpt = "/^g/"; dns_list = "names"; }; action = "tempfail";
    reply = { text = ["${helo}: ${dns_txt} %%", "<${sender}> ${dns_zones}"]; }; },
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
        for (std::size_t i = 0; i < 3 + request.windows.size(); ++i) resp += element();
        if (odd()) resp = element();
        with_reply(
            resp, [&](const redisReply* r) { return read_rate_reply(r, request, out); }, out.error);
        return out;
    }
    state::GreylistResult greylist(const state::GreylistRequest& request) override {
        state::GreylistResult out;
        with_reply(
            odd() ? element() : "*2\r\n" + element() + element(),
            [&](const redisReply* r) { return read_greylist_reply(r, request, out); }, out.error);
        return out;
    }
    std::string flush() override { return {}; }
    std::string describe() const override { return "random redis"; }

  private:
    bool odd() { return std::uniform_int_distribution<int>(0, 9)(rng_) == 0; }
    // One RESP value: mostly an integer; else random bytes as a bulk string,
    // a status or an error (CR and LF cut those at the first line break, as on
    // the wire), a nil, or an array of such.
    std::string element(int depth = 0) {
        std::uniform_int_distribution<int> kind(0, 9);
        const int k = kind(rng_);
        if (k < 6) return number();
        std::string bytes = random_value(rng_, 60);
        if (k == 6) return "$" + std::to_string(bytes.size()) + "\r\n" + bytes + "\r\n";
        if (k == 7 || k == 8) {
            bytes = bytes.substr(0, bytes.find_first_of("\r\n"));
            return (k == 7 ? "+" : "-") + bytes + "\r\n";
        }
        if (depth > 1) return "$-1\r\n";
        return "*2\r\n" + element(depth + 1) + element(depth + 1);
    }
    std::string number() {
        std::uniform_int_distribution<int> kind(0, 3);
        std::uniform_int_distribution<long long> any;
        std::uniform_int_distribution<long long> small(-2, 3);
        const long long v = kind(rng_) == 0 ? any(rng_) : small(rng_);
        return ":" + std::to_string(v) + "\r\n";
    }
    template <typename Read>
    void with_reply(const std::string& resp, Read read, std::string& error) {
        ++calls;
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

  public:
    std::size_t calls = 0;
};

// Answers every question at once with random records, as libunbound's
// results are read (answer_from_result): list hits, TXT of random bytes.
class RandomResolver final : public dns::Resolver {
  public:
    explicit RandomResolver(std::mt19937& rng) : rng_(rng) {}
    void resolve(const dns::Question& q, dns::TimePoint, Done done) override {
        std::uniform_int_distribution<int> pick(0, 9);
        std::vector<std::string> rdata;
        int rcode = 0;
        if (pick(rng_) == 0) rcode = pick(rng_) < 5 ? 3 : 2;  // NXDOMAIN, SERVFAIL
        if (q.type == dns::RrType::A) {
            const int n = 1 + pick(rng_) % 3;
            for (int i = 0; i < n; ++i)
                rdata.push_back(std::string("\x7f\0\0", 3) + static_cast<char>(2 + pick(rng_)));
        } else if (q.type == dns::RrType::TXT) {
            ++txt_asked;
            // One or more character-strings of random bytes (NUL among them).
            std::string r;
            for (int parts = 1 + pick(rng_) % 3; parts > 0; --parts) {
                std::string v = random_value(rng_, 200);
                if (pick(rng_) < 3) v.insert(v.size() / 2, std::string("\0\r\n%", 4));
                v.resize(std::min<std::size_t>(v.size(), 255));
                r += static_cast<char>(v.size());
                r += v;
            }
            rdata.push_back(r);
        }
        std::vector<std::string_view> views(rdata.begin(), rdata.end());
        done(dns::answer_from_result(q.type, rcode, !rdata.empty(), 300, views));
    }
    std::string describe() const override { return "random answers"; }
    bool instant() const override { return true; }
    std::size_t txt_asked = 0;

  private:
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

// The policy (with DNS through `resolver`, Redis through `redis`), loaded.
struct Loaded {
    mv::test::TempDir dir;
    config::LoadResult r;
    std::shared_ptr<RandomRedis> redis;
    RandomResolver* resolver = nullptr;  // owned by the service
    explicit Loaded(std::mt19937& rng) : r(config::load_policy(dir.write("p.conf", kPolicy))) {
        CPPUNIT_ASSERT_MESSAGE(mv::test::dump(r), r.ok());
        redis = std::make_shared<RandomRedis>(rng);
        r.policy->state_slot->attach(redis);
        auto own = std::make_unique<RandomResolver>(rng);
        resolver = own.get();
        dns::ServiceOptions o = dns::service_options(*r.policy->dns);
        o.health_checks = false;
        o.cache.max_entries = 0;  // every question reaches the random resolver
        dns::attach_dns(*r.policy, std::make_shared<dns::Service>(std::move(own), o));
    }
    ~Loaded() {
        r.policy->dns_slot->attach(nullptr);
        r.policy->state_slot->attach(nullptr);
    }
};

const char* const kPrefixes[] = {"a", "b", "c", "d", "e", "f", "g", "z"};

// A HELO name or sender domain: random bytes, or a name DNS lists can be asked about.
std::string name_or_noise(std::mt19937& rng, const char* prefix, int round) {
    if (std::uniform_int_distribution<int>(0, 2)(rng) == 0)
        return std::string(prefix) + "host" + std::to_string(round) + ".example";
    return prefix + random_value(rng, 300);
}

}  // namespace

class ReplyPropertyTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(ReplyPropertyTest);
    CPPUNIT_TEST(testNoReplyCarriesALineBreakNulOrLonePercent);
    CPPUNIT_TEST(testNoPolicyServiceActionCarriesALineBreakOrNul);
    CPPUNIT_TEST_SUITE_END();

  public:
    void testNoReplyCarriesALineBreakNulOrLonePercent() {
        std::mt19937 rng(20261202);
        Loaded loaded(rng);
        PolicyStore store(loaded.r.policy);
        RecordingLogger log;
        Milter milter(store, log);
        std::uniform_int_distribution<int> which(0, 7);
        std::size_t replies = 0, dns_replies = 0;
        for (int round = 0; round < 1500; ++round) {
            FakeMilterApi api;
            for (const char* m : {"i", "{client_name}", "{auth_authen}", "j"})
                api.macros[m] = random_value(rng, 40);
            sockaddr_in in{};
            in.sin_family = AF_INET;
            in.sin_port = htons(40000);
            in.sin_addr.s_addr = htonl(0xC0000200u + static_cast<unsigned>(round % 256));
            const std::string host = random_value(rng, 300);
            const std::string helo = name_or_noise(rng, kPrefixes[which(rng)], round);
            std::string from = kPrefixes[which(rng)] + random_value(rng, 300);
            if (which(rng) < 3) from += "@" + name_or_noise(rng, "s", round);
            std::string rcpt = kPrefixes[which(rng)] + random_value(rng, 300);
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
                bool dns = false;
                for (const std::string& line : r.lines) {
                    std::string why;
                    const bool safe = safe_line(line, why);
                    CPPUNIT_ASSERT_MESSAGE("reply line \"" + line + "\": " + why, safe);
                    dns = dns || line.find(".example (") != std::string::npos ||
                          line.find("> dbl.example") != std::string::npos;
                }
                dns_replies += dns;
            }
        }
        // The property means something only if many replies were built, many of
        // them from DNS TXT records and Redis replies.
        CPPUNIT_ASSERT_MESSAGE(std::to_string(replies) + " replies", replies > 1000);
        CPPUNIT_ASSERT_MESSAGE(std::to_string(dns_replies) + " DNS replies", dns_replies > 100);
        CPPUNIT_ASSERT_MESSAGE(std::to_string(loaded.resolver->txt_asked) + " TXT lookups",
                               loaded.resolver->txt_asked > 100);
        CPPUNIT_ASSERT_MESSAGE(std::to_string(loaded.redis->calls) + " Redis replies",
                               loaded.redis->calls > 200);
    }

    void testNoPolicyServiceActionCarriesALineBreakOrNul() {
        std::mt19937 rng(20261203);
        Loaded loaded(rng);
        RecordingLogger log;
        const policy::PolicyPtr p = loaded.r.policy;
        policy_service::Responder responder([p] { return p; }, log, false);
        std::uniform_int_distribution<int> which(0, 7);
        const char* const states[] = {"RCPT", "RCPT", "RCPT", "DATA", "END-OF-MESSAGE"};
        std::size_t refusals = 0, dns_refusals = 0;
        // A request value: random bytes but LF and NUL, which the framing refuses.
        const auto value = [&](std::string v) {
            std::erase(v, '\n');
            return v.substr(0, policy::Limits::kMaxValue);
        };
        for (int round = 0; round < 1500; ++round) {
            std::string sender = kPrefixes[which(rng)] + random_value(rng, 300);
            if (which(rng) < 3) sender += "@" + name_or_noise(rng, "s", round);
            std::string text =
                "request=smtpd_access_policy\nprotocol_state=" + std::string(states[round % 5]) +
                "\nclient_address=192.0.2." + std::to_string(round % 256) +
                "\nclient_port=" + std::to_string(1024 + round) + "\n";
            for (const auto& [name, v] :
                 {std::pair<std::string, std::string>{"client_name", random_value(rng, 300)},
                  {"reverse_client_name", random_value(rng, 100)},
                  {"helo_name", name_or_noise(rng, kPrefixes[which(rng)], round)},
                  {"sender", sender},
                  {"recipient", kPrefixes[which(rng)] + random_value(rng, 300)},
                  {"queue_id", random_value(rng, 40)},
                  {"sasl_username", random_value(rng, 40)},
                  {"ccert_subject", random_value(rng, 60) + "+0D+0A+00+25"}})
                text += name + "=" + value(v) + "\n";
            text += "\n";
            text.erase(std::remove(text.begin(), text.end(), '\0'), text.end());
            policy_service::RequestReader reader;
            reader.append(text);
            policy_service::Request r;
            CPPUNIT_ASSERT(reader.next(r) == policy_service::RequestReader::Status::Complete);
            const std::string a = responder.answer(r, "test");
            CPPUNIT_ASSERT(!a.empty());
            for (std::size_t i = 0; i < a.size(); ++i) {
                const unsigned char c = static_cast<unsigned char>(a[i]);
                CPPUNIT_ASSERT_MESSAGE(
                    "action \"" + a + "\": byte " + std::to_string(c) + " at " + std::to_string(i),
                    c >= 0x20 && c <= 0x7e);
            }
            if (a[0] == '4' || a[0] == '5') {
                ++refusals;
                dns_refusals += a.find(".example (") != std::string::npos ||
                                a.find("> dbl.example") != std::string::npos;
            }
        }
        CPPUNIT_ASSERT_MESSAGE(std::to_string(refusals) + " refusals", refusals > 500);
        CPPUNIT_ASSERT_MESSAGE(std::to_string(dns_refusals) + " DNS refusals", dns_refusals > 50);
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(ReplyPropertyTest);

}  // namespace mv::milter::test
