// SPDX-License-Identifier: Apache-2.0
// fuzz_milter_callbacks.cpp - the milter stage handlers driven by any sequence of MTA events.
//
// Input: a byte stream decoded into callbacks of milter::Milter through the
// fake libmilter seam (tests/unit/fake_milter_api.hpp), in any order, with
// any arguments: one opcode byte (modulo 16), then its arguments as
// fuzz_input.hpp ByteReader values (strings of up to 65535 bytes, so every
// bound of policy::Limits is reachable):
//    0 negotiate f0 f1        1 connect NAME FAMILY ADDR PORT (FAMILY: none,
//    2 helo NAME                IPv4, IPv6, unix; a null name when empty)
//    3 envfrom N ARG...       4 envrcpt N ARG...        5 data
//    6 header NAME VALUE      7 body BYTES              8 eom
//    9 abort                 10 close (the next event starts a new connection)
//   11 macro NAME VALUE      12 forget every macro
//   13 advance the clock by N seconds (greylisting, rate windows)
//   14 make smfi_getsymval throw (the handlers' internal-error path)
//   15 reload: the other policy becomes current (connections keep theirs)
// The input always ends with close, as libmilter ends every connection.
// Two policies (below) use every kind of condition, reply template and
// action, and an in-memory store, new for each input so runs repeat.
//
// Properties checked on every callback: a reply is set only right before
// SMFIS_REJECT (5xx) or SMFIS_TEMPFAIL (4xx) and matches that class, its
// enhanced code's class agrees, it has 1..32 lines, each free of CR, LF and
// NUL, with every '%' doubled for libmilter and at most 980 octets; header
// additions happen only at end of message and carry no CR or LF.
#include <arpa/inet.h>
#include <libmilter/mfapi.h>
#include <netinet/in.h>
#include <sys/un.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "../unit/fake_milter_api.hpp"
#include "fuzz_input.hpp"
#include "fuzz_policy.hpp"
#include "milter/connection_context.hpp"
#include "milter/milter.hpp"
#include "milter/policy_store.hpp"
#include "state/memory_store.hpp"

namespace {

using namespace mv;

constexpr const char* kPolicyA = R"conf(
policy = { on_error = "tempfail"; body_limit_kib = 4; monitor_header = "X-Would"; };
lists = { trusted = ["192.0.2.0/24", "2001:db8::/32"];
          blocked = ["spam.example", "junk.example"]; };
rules = (
  { name = "trusted"; when = { client_addr = "@trusted"; helo = "trusted.example"; };
    action = "accept"; },
  { name = "no-rdns"; when = { client_resolve = ["FAIL", "FORGED"];
                               helo = { regex = "^\\[?[0-9.]+\\]?$"; }; };
    action = "reject"; reply = { text = "Client ${client_addr} greets as ${helo}"; }; },
  { name = "bye"; when = { client_name = { subdomain = "bye.example"; }; };
    action = "tempfail"; reply = { disconnect = true; text = "Closing for ${client_name}"; }; },
  { name = "blocked"; when = { sender = { subdomain = "@blocked"; }; };
    action = "reject";
    reply = { code = 550; enhanced = "5.7.1";
              text = ["Sender <${sender}> is blocked (100% sure).", "Queue ${queue_id}."]; }; },
  { name = "gone"; when = { rcpt = { regex = "^gone"; exact = ["j.doe@example.org"]; }; };
    action = "reject"; reply = { enhanced = "5.1.1"; text = "<${rcpt}>: no such user"; }; },
  { name = "later"; when = { rcpt = "/^later/"; };
    action = "tempfail"; reply = { text = "Try ${rcpt} later"; }; },
  { name = "auth-or-tls"; when = { rcpt = { domain = "partner.example"; };
                                  not = { any = ( { auth = true; }, { tls = true; } ); }; };
    action = "tempfail"; },
  { name = "trial"; when = { sender = "/^bounce-/"; }; action = "reject"; monitor = true;
    log = "trial ${sender}"; },
  { name = "gw"; when = { macro = { name = "{daemon_name}"; value = "legacy-gw"; }; };
    action = "reject"; reply = { code = 550; enhanced = "5.7.99"; unregistered = true;
                                 text = "closed"; }; },
  { name = "announce"; when = { sender = "<>"; rcpt = "announce@example.org"; };
    stage = "data"; action = "reject"; },
  { name = "discard"; when = { rcpt = { domain = "lists.example.org"; }; }; action = "discard"; },
  { name = "grey"; on_backend_error = "open";
    when = { rcpt = "/^grey/"; greylist = { delay = "5m"; expiry = "4h"; auto_whitelist = "1d";
                                            client_whitelist_after = 2; }; };
    action = "tempfail"; },
  { name = "rate"; on_backend_error = "closed";
    when = { rate_limit = { key = ["sender", "client_net"]; count = "recipient";
                            limit = ["3/1m", "20/1h"]; }; };
    action = "tempfail"; reply = { text = "Rate ${retry} s for ${sender}"; }; },
  { name = "many"; when = { rcpt_count = { over = 5; }; }; action = "tempfail"; },
  { name = "announced"; when = { declared_size = { over = 100000; }; }; action = "reject"; },
  { name = "subject"; when = { header = { name = "Subject"; value = "/casino|viagra/"; }; };
    action = "reject"; reply = { text = "Subject refused (${rule})"; }; },
  { name = "raw-tag"; when = { header = { name = "X-Tag"; value = "/^=\\?/"; raw = true; }; };
    action = "continue"; log = "raw tag"; },
  { name = "no-date"; when = { header = { name = "Date"; present = false; }; };
    action = "continue"; add_header = { name = "X-No-Date"; value = "${queue_id}"; }; },
  { name = "body"; when = { body = ["/verify your account/", "/bitcoin/"]; };
    action = "reject"; },
  { name = "big"; when = { size = { over = 20000; }; }; action = "reject"; },
  { name = "hold"; when = { sender = "/^hold/"; }; stage = "end-of-data";
    action = "quarantine"; quarantine_reason = "held for ${sender}"; },
  { name = "tag"; action = "continue";
    add_header = { name = "X-Client"; value = "${client_addr} (${client_name}) %s"; }; }
);
)conf";

constexpr const char* kPolicyB = R"conf(
policy = { delay_reject = false; monitor = false; on_error = "accept"; };
rules = (
  { name = "helo-now"; when = { helo = "/^evil/"; }; action = "reject";
    reply = { text = "HELO ${helo} refused"; }; },
  { name = "conn"; when = { client_addr = "10.0.0.0/8"; }; action = "reject"; },
  { name = "mail-now"; when = { sender = "/^bad/"; }; action = "tempfail"; },
  { name = "auth"; when = { auth = "/^admin$/"; }; action = "accept"; },
  { name = "grey-data"; when = { greylist = { delay = "1m"; expiry = "1h"; refuse_at = "data"; }; };
    action = "tempfail"; },
  { name = "per-message"; when = { rate_limit = { key = "client"; count = "message";
                                                   limit = "5/1m"; strict = true; }; };
    action = "tempfail"; },
  { name = "all-monitor"; when = { rcpt = "/./"; }; action = "reject"; monitor = true; }
);
)conf";

bool percent_escaped(const std::string& s) {
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] != '%') continue;
        if (i + 1 >= s.size() || s[i + 1] != '%') return false;
        ++i;
    }
    return true;
}

// What the handler asked of libmilter in this one callback.
void check_callback(const milter::test::FakeMilterApi& api, std::size_t calls_before,
                    std::size_t replies_before, sfsistat status, bool end_of_message) {
    for (std::size_t i = calls_before; i < api.calls.size(); ++i) {
        const std::string& c = api.calls[i];
        if (c == "setreply" || c == "setmlreply")
            MV_FUZZ_CHECK(i + 1 == api.calls.size());  // right before returning
        if (c == "addheader" || c == "quarantine") MV_FUZZ_CHECK(end_of_message);
    }
    for (std::size_t i = replies_before; i < api.replies.size(); ++i) {
        const milter::test::ReplyCall& r = api.replies[i];
        MV_FUZZ_CHECK(status == SMFIS_REJECT || status == SMFIS_TEMPFAIL);
        MV_FUZZ_CHECK(r.rcode.size() == 3);
        const char want = status == SMFIS_REJECT ? '5' : '4';
        MV_FUZZ_CHECK(r.rcode[0] == want);
        if (!r.xcode.empty()) MV_FUZZ_CHECK(r.xcode[0] == want && r.xcode[1] == '.');
        MV_FUZZ_CHECK(!r.lines.empty() && r.lines.size() <= 32);
        MV_FUZZ_CHECK(r.multi == (r.lines.size() > 1));
        for (const std::string& line : r.lines) {
            MV_FUZZ_CHECK(line.find_first_of(std::string("\r\n\0", 3)) == std::string::npos);
            MV_FUZZ_CHECK(percent_escaped(line));
            MV_FUZZ_CHECK(line.size() <= 980);
        }
    }
}

struct Harness {
    policy::PolicyPtr a = fuzz::load_policy_or_abort("a.conf", kPolicyA);
    policy::PolicyPtr b = fuzz::load_policy_or_abort("b.conf", kPolicyB);
    milter::test::RecordingLogger log;
};

// Arguments for envfrom/envrcpt: a NULL-terminated argv, as libmilter passes.
struct Argv {
    std::vector<std::string> values;
    std::vector<char*> ptrs;
    explicit Argv(fuzz::ByteReader& in) {
        const int n = in.byte() % 5;
        for (int i = 0; i < n; ++i) values.push_back(in.string());
        for (auto& v : values) ptrs.push_back(v.data());
        ptrs.push_back(nullptr);
    }
};

const char* const kMacroNames[] = {"i",
                                   "j",
                                   "_",
                                   "{daemon_name}",
                                   "{daemon_addr}",
                                   "{client_addr}",
                                   "{client_name}",
                                   "{client_resolve}",
                                   "{auth_authen}",
                                   "{auth_type}",
                                   "{tls_version}",
                                   "{cipher}",
                                   "{mail_addr}",
                                   "{rcpt_addr}",
                                   "{daemon_port}",
                                   "v"};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static Harness h;
    h.log.lines.clear();
    auto clock = std::make_shared<state::FakeClock>();
    state::MemoryOptions mo;
    mo.max_entries = 200;
    mo.shards = 1;
    auto store = std::make_shared<state::MemoryStore>(mo, clock);
    h.a->state_slot->attach(store);
    h.b->state_slot->attach(store);

    milter::PolicyStore policies(h.a);
    milter::Milter m(policies, h.log);
    auto api = std::make_unique<milter::test::FakeMilterApi>();
    fuzz::ByteReader in(data, size);
    bool use_b = false;

    auto run = [&](bool eom, auto&& call) {
        const std::size_t calls = api->calls.size(), replies = api->replies.size();
        const sfsistat s = call();
        check_callback(*api, calls, replies, s, eom);
    };

    while (!in.empty()) {
        switch (in.byte() % 16) {
            case 0: {
                const unsigned long f0 = in.u32(), f1 = in.u32();
                unsigned long p0 = 0, p1 = 0, p2 = 0, p3 = 0;
                run(false, [&] { return m.negotiate(*api, f0, f1, 0, 0, &p0, &p1, &p2, &p3); });
                break;
            }
            case 1: {
                const std::string name = in.string();
                const std::uint8_t family = in.byte() % 4;
                sockaddr_storage ss{};
                sockaddr* sa = reinterpret_cast<sockaddr*>(&ss);
                if (family == 1) {
                    sockaddr_in sin{};
                    sin.sin_family = AF_INET;
                    sin.sin_addr.s_addr = htonl(in.u32());
                    sin.sin_port = htons(in.u16());
                    std::memcpy(&ss, &sin, sizeof sin);
                } else if (family == 2) {
                    sockaddr_in6 sin6{};
                    sin6.sin6_family = AF_INET6;
                    for (auto& b : sin6.sin6_addr.s6_addr) b = in.byte();
                    sin6.sin6_port = htons(in.u16());
                    std::memcpy(&ss, &sin6, sizeof sin6);
                } else if (family == 3) {
                    sockaddr_un sun{};
                    sun.sun_family = AF_UNIX;
                    const std::string path = in.string();
                    std::memcpy(sun.sun_path, path.data(),
                                std::min(path.size(), sizeof sun.sun_path - 1));
                    std::memcpy(&ss, &sun, sizeof sun);
                }
                run(false, [&] {
                    return m.connect(*api, name.empty() ? nullptr : name.c_str(),
                                     family == 0 ? nullptr : sa);
                });
                break;
            }
            case 2: {
                const std::string name = in.string();
                run(false, [&] { return m.helo(*api, name.empty() ? nullptr : name.c_str()); });
                break;
            }
            case 3: {
                Argv argv(in);
                run(false, [&] { return m.envfrom(*api, argv.ptrs.data()); });
                break;
            }
            case 4: {
                Argv argv(in);
                run(false, [&] { return m.envrcpt(*api, argv.ptrs.data()); });
                break;
            }
            case 5:
                run(false, [&] { return m.data(*api); });
                break;
            case 6: {
                const std::string name = in.string(), value = in.string();
                run(false, [&] { return m.header(*api, name.c_str(), value.c_str()); });
                break;
            }
            case 7: {
                const std::string chunk = in.string();
                run(false, [&] {
                    return m.body(*api, reinterpret_cast<const unsigned char*>(chunk.data()),
                                  chunk.size());
                });
                break;
            }
            case 8:
                run(true, [&] { return m.eom(*api); });
                break;
            case 9:
                run(false, [&] { return m.abort(*api); });
                break;
            case 10: {
                m.close(*api);
                const bool thrower = api->throw_on_symval;
                auto macros = std::move(api->macros);
                api = std::make_unique<milter::test::FakeMilterApi>();
                api->macros = std::move(macros);
                api->throw_on_symval = thrower;
                break;
            }
            case 11: {
                const std::uint8_t pick = in.byte();
                const std::string name = pick < 16 * 15 ? kMacroNames[pick % 16] : in.string();
                api->macros[name] = in.string();
                break;
            }
            case 12:
                api->macros.clear();
                break;
            case 13:
                clock->advance(state::Duration(std::int64_t(in.u16()) * 1000));
                break;
            case 14:
                api->throw_on_symval = !api->throw_on_symval;
                break;
            case 15:
                use_b = !use_b;
                policies.replace(use_b ? h.b : h.a);
                break;
        }
    }
    m.close(*api);
    MV_FUZZ_CHECK(api->ctx == nullptr);
    h.a->state_slot->attach(nullptr);
    h.b->state_slot->attach(nullptr);
    return 0;
}
