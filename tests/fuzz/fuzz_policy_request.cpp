// SPDX-License-Identifier: Apache-2.0
// fuzz_policy_request.cpp - Postfix policy delegation: request framing, parsing and answers.
//
// Input: two header bytes, then the bytes a policy client sends on one
// connection (name=value lines, a blank line ending each request, any number
// of requests; SMTPD_POLICY_README).
//   byte 0   how the stream arrives: 0 all at once, else in appends of that
//            many bytes (1..255), as recv() may cut it anywhere
//   byte 1   bits 0-2: the stream is sent 1..8 times over (so one request can
//            outgrow the reader's 64 KiB bound from a 16 KiB input); bit 3:
//            policy B first; bit 4: accept is answered OK rather than DUNNO
// The stream is fed to a RequestReader (request.hpp); every complete request
// is answered by a Responder (responder.hpp) over two policies loaded by the
// real loader, with an in-memory store (fresh for each input) and a session
// table of 16 entries, so requests reach the engine through every stage, rate
// limits and greylisting included. A request whose policy_context is
// "reload" makes the other policy current afterwards (sessions keep theirs).
//
// Properties: the reader's buffer stays within one line bound plus one
// append; after Fatal it stays Fatal with a reason; a complete request holds
// no value with LF or NUL and none over policy::Limits::kMaxValue; a stream
// with no NUL, lines of at most 200 bytes, names of at most 64 and requests
// of at most 100 lines (nothing near a bound) is framed exactly as a plain
// reading of the protocol says - as many requests, each attribute's last
// value; every answer is one printable ASCII line (no CR, LF or NUL) that
// Postfix reads as an access(5) action: OK, DUNNO, DISCARD/HOLD/PREPEND text,
// or a 4xx/5xx code (4xx or DUNNO for a malformed request); every log line is
// one line.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "../unit/fake_milter_api.hpp"
#include "fuzz_input.hpp"
#include "fuzz_policy.hpp"
#include "policy/transaction.hpp"
#include "policy_service/request.hpp"
#include "policy_service/responder.hpp"
#include "state/memory_store.hpp"

namespace {

using namespace mv;
using policy_service::Attr;
using policy_service::Request;
using policy_service::RequestReader;

constexpr const char* kPolicyA = R"conf(
policy = { delay_reject = true; on_error = "tempfail"; };
lists = { blocked = ["spam.example", "phish.example"]; trusted = ["192.0.2.0/24"]; };
rules = (
  { name = "trusted"; when = { client_addr = "@trusted"; helo = "trusted.example"; };
    action = "accept"; },
  { name = "bad-client"; when = { client_addr = "198.51.100.0/24"; }; action = "reject";
    reply = { text = "Client ${client_addr} (${client_name}) refused"; }; },
  { name = "bad-helo"; when = { helo = "/^evil/"; }; action = "reject";
    reply = { text = "HELO ${helo} refused, 100% sure"; }; },
  { name = "bye"; when = { client_name = { subdomain = "bye.example"; }; };
    action = "tempfail"; reply = { disconnect = true; text = "Closing for ${client_name}"; }; },
  { name = "blocked"; when = { sender = { subdomain = "@blocked"; }; }; action = "reject";
    reply = { code = 550; enhanced = "5.7.1";
              text = ["Sender <${sender}> is blocked.", "Queue ${queue_id}."]; }; },
  { name = "postmaster"; when = { rcpt = "postmaster@example.org"; }; action = "accept"; },
  { name = "gone"; when = { rcpt = { regex = "^gone"; }; }; action = "reject";
    reply = { enhanced = "5.1.1"; text = "<${rcpt}>: no such user"; }; },
  { name = "later"; when = { rcpt = "/^later/"; }; action = "tempfail";
    reply = { text = "Try ${rcpt} later"; }; },
  { name = "trash"; when = { rcpt = "/^trash/"; }; action = "discard"; },
  { name = "review"; when = { rcpt = "/^review/"; }; action = "quarantine";
    quarantine_reason = "held for ${sender}"; },
  { name = "auth"; when = { auth = "/^admin$/"; }; action = "accept"; },
  { name = "tls"; when = { rcpt = { domain = "partner.example"; }; not = { tls = true; }; };
    action = "tempfail"; },
  { name = "gw"; when = { macro = { name = "{daemon_port}"; value = "2525"; }; };
    action = "reject"; reply = { code = 550; enhanced = "5.7.99"; unregistered = true;
                                 text = "closed"; }; },
  { name = "grey"; on_backend_error = "open";
    when = { rcpt = "/^grey/"; greylist = { delay = "5m"; expiry = "4h"; auto_whitelist = "1d"; }; };
    action = "tempfail"; },
  { name = "rate"; on_backend_error = "closed";
    when = { rate_limit = { key = ["sender", "client_net"]; count = "recipient";
                            limit = ["3/1m", "20/1h"]; }; };
    action = "tempfail"; reply = { text = "Rate ${retry} s for ${sender}"; }; },
  { name = "crowd"; when = { rcpt_count = { over = 2; }; }; stage = "data"; action = "reject";
    reply = { code = 554; enhanced = "5.7.1"; text = "Too many recipients"; }; },
  { name = "announced"; when = { declared_size = { over = 100000; }; }; action = "reject"; },
  { name = "big"; when = { size = { over = 99999; }; }; action = "reject";
    reply = { code = 552; enhanced = "5.3.4"; text = "Too big"; }; },
  { name = "trial"; when = { sender = "/^bounce-/"; }; action = "reject"; monitor = true; },
  { name = "tag"; when = { rcpt = "/^tag/"; }; action = "continue";
    add_header = { name = "X-Tag"; value = "tagged ${rcpt} from ${client_addr}"; }; }
);
)conf";

constexpr const char* kPolicyB = R"conf(
policy = { delay_reject = false; on_error = "accept"; monitor_header = "X-Would"; };
rules = (
  { name = "helo-now"; when = { helo = "/^evil/"; }; action = "reject";
    reply = { text = "HELO ${helo} refused"; }; },
  { name = "conn"; when = { client_addr = "10.0.0.0/8"; }; action = "reject"; },
  { name = "mail-now"; when = { sender = "/^bad/"; }; action = "tempfail"; },
  { name = "per-message"; when = { rate_limit = { key = "client"; count = "message";
                                                   limit = "5/1m"; strict = true; }; };
    action = "tempfail"; },
  { name = "grey-data"; when = { greylist = { delay = "1m"; expiry = "1h"; refuse_at = "data"; }; };
    action = "tempfail"; },
  { name = "all-monitor"; when = { rcpt = "/./"; }; action = "reject"; monitor = true; }
);
)conf";

bool one_printable_line(std::string_view s) {
    for (unsigned char c : s)
        if (c < 0x20 || c > 0x7e) return false;
    return true;
}

void check_action(const std::string& a, const Request& r) {
    MV_FUZZ_CHECK(!a.empty() && one_printable_line(a));
    if (!r.problem.empty()) {
        MV_FUZZ_CHECK(a == "DUNNO" || a.rfind("4", 0) == 0);
        return;
    }
    if (a == "OK" || a == "DUNNO") return;
    for (std::string_view word : {"DISCARD ", "HOLD ", "PREPEND "})
        if (a.rfind(word, 0) == 0) {
            MV_FUZZ_CHECK(a.size() > word.size());
            return;
        }
    MV_FUZZ_CHECK(a.size() >= 3 && (a[0] == '4' || a[0] == '5') && a[1] >= '0' && a[1] <= '9' &&
                  a[2] >= '0' && a[2] <= '9');
    MV_FUZZ_CHECK(a.size() == 3 || a[3] == ' ');
}

// The protocol read plainly, for streams nowhere near a bound: the requests
// as name -> last value, in order; false when the stream is not such a one.
bool plain_reading(std::string_view s,
                   std::vector<std::vector<std::pair<std::string, std::string>>>& out) {
    if (s.find('\0') != std::string_view::npos) return false;
    std::vector<std::pair<std::string, std::string>> current;
    while (true) {
        const auto nl = s.find('\n');
        if (nl == std::string_view::npos) break;  // an unfinished line: never parsed
        std::string_view line = s.substr(0, nl);
        s.remove_prefix(nl + 1);
        if (line.size() > 200) return false;
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        if (line.empty()) {
            if (!current.empty()) out.push_back(std::move(current));
            current.clear();
            continue;
        }
        if (current.size() >= 100) return false;
        const auto eq = line.find('=');
        if (eq == std::string_view::npos) {
            current.emplace_back();  // a line without '=': no attribute
            continue;
        }
        if (eq > 64) return false;  // the name bound (RequestReader::kMaxName)
        current.emplace_back(std::string(line.substr(0, eq)), std::string(line.substr(eq + 1)));
    }
    return true;
}

struct Harness {
    policy::PolicyPtr a = fuzz::load_policy_or_abort("a.conf", kPolicyA);
    policy::PolicyPtr b = fuzz::load_policy_or_abort("b.conf", kPolicyB);
    milter::test::RecordingLogger log;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static Harness h;
    h.log.lines.clear();
    if (size < 2) return 0;
    const std::size_t chunk = data[0] ? data[0] : size;
    const unsigned flags = data[1];
    const std::string_view once(reinterpret_cast<const char*>(data) + 2, size - 2);
    std::string stream;
    for (unsigned i = 0; i <= (flags & 7); ++i) stream.append(once);

    auto clock = std::make_shared<state::FakeClock>();
    state::MemoryOptions mo;
    mo.max_entries = 200;
    mo.shards = 1;
    auto store = std::make_shared<state::MemoryStore>(mo, clock);
    h.a->state_slot->attach(store);
    h.b->state_slot->attach(store);
    bool use_b = flags & 8;
    {
        policy_service::Responder responder([&] { return use_b ? h.b : h.a; }, h.log, flags & 16,
                                            16, std::chrono::seconds(900));
        RequestReader reader;
        std::vector<Request> requests;
        bool fatal = false;
        for (std::size_t off = 0; off < stream.size() && !fatal; off += chunk) {
            const std::string_view piece = std::string_view(stream).substr(off, chunk);
            reader.append(piece);
            while (true) {
                Request r;
                const auto st = reader.next(r);
                if (st == RequestReader::Status::NeedMore) break;
                if (st == RequestReader::Status::Fatal) {
                    MV_FUZZ_CHECK(!reader.error().empty() && one_printable_line(reader.error()));
                    MV_FUZZ_CHECK(reader.next(r) == RequestReader::Status::Fatal);
                    fatal = true;
                    break;
                }
                for (std::size_t i = 0; i < policy_service::kAttrCount; ++i) {
                    const std::string& v = r.values[i];
                    MV_FUZZ_CHECK(v.size() <= policy::Limits::kMaxValue);
                    MV_FUZZ_CHECK(v.find_first_of(std::string_view("\n\0", 2)) ==
                                  std::string::npos);
                    if (!r.present[i]) MV_FUZZ_CHECK(v.empty());
                }
                MV_FUZZ_CHECK(one_printable_line(r.problem) && one_printable_line(r.first_unknown));
                const std::string a = responder.answer(r, "fuzz");
                check_action(a, r);
                if (r.get(Attr::PolicyContext) == "reload") use_b = !use_b;
                requests.push_back(std::move(r));
                clock->advance(state::Duration(std::int64_t(30) * 1000));
            }
            // One line bound (name, '=', value, CR, LF) plus what was appended.
            MV_FUZZ_CHECK(reader.buffered() <=
                          RequestReader::kMaxName + policy::Limits::kMaxValue + 3 + chunk);
        }
        std::vector<std::vector<std::pair<std::string, std::string>>> plain;
        if (plain_reading(stream, plain)) {
            MV_FUZZ_CHECK(!fatal);
            MV_FUZZ_CHECK(plain.size() == requests.size());
            for (std::size_t i = 0; i < plain.size(); ++i) {
                std::vector<bool> seen(policy_service::kAttrCount);
                for (auto it = plain[i].rbegin(); it != plain[i].rend(); ++it) {
                    const auto a = policy_service::parse_attr_name(it->first);
                    if (!a || seen[static_cast<std::size_t>(*a)]) continue;
                    seen[static_cast<std::size_t>(*a)] = true;
                    MV_FUZZ_CHECK(requests[i].has(*a) && requests[i].get(*a) == it->second);
                }
                for (std::size_t k = 0; k < policy_service::kAttrCount; ++k)
                    if (!seen[k]) MV_FUZZ_CHECK(!requests[i].present[k]);
            }
        }
        responder.sweep();
    }
    for (const std::string& line : h.log.lines)
        MV_FUZZ_CHECK(line.find_first_of(std::string_view("\r\n\0", 3)) == std::string::npos);
    h.a->state_slot->attach(nullptr);
    h.b->state_slot->attach(nullptr);
    return 0;
}
