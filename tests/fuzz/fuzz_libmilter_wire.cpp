// SPDX-License-Identifier: Apache-2.0
// fuzz_libmilter_wire.cpp - raw milter packets through libmilter's own parser into the daemon's
// glue.
//
// Where fuzz_milter_callbacks drives the stage handlers through the fake
// seam, this target puts libmilter itself in the path: once per process it
// registers the daemon's real callback table (callbacks.hpp) around a
// Milter with a fixed policy and an in-memory store, listens on a private
// unix socket (smfi_setconn, smfi_opensocket) and runs smfi_main() on a
// background thread, with the daemon's macro guard (macro_guard.hpp) in
// place as in milter-verdict. Each input is one MTA connection: connect,
// write the input as milter packets, half-close, read every reply until
// libmilter closes the connection, close. A fault in libmilter's parsing
// (comm.c, engine.c, smfi.c) or in our callbacks behind it is a sanitizer
// report in this process, as it would be in the daemon.
//
// Input:
//   byte 0      0: the packets below are all that is sent; otherwise the
//               connection starts with an ordinary negotiation (version 6,
//               every action, every protocol step, as tests/e2e's client)
//   then packets, each: a command byte (0..239: "ABCDEHKLMNOQRTU"[b % 15],
//               libmilter's commands; 240..255: that byte, an unknown
//               command) and a length (one byte 0..249, or 250..255 then a
//               big-endian u16), then that many payload bytes. A length
//               past the end of the input is announced as is and the bytes
//               there are sent (a truncated packet, then end of file).
//
// Properties: libmilter closes the connection within 10 s of the half-close
// (no hang); the replies are whole frames (4-byte length 1..65536 with a
// known reply code: a negotiation answer or an SMFIR_* code).
//
// Thread contract: libFuzzer's thread writes and reads; libmilter's threads
// run the callbacks. One connection at a time.
#include <libmilter/mfapi.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <thread>

#include "fuzz_input.hpp"
#include "fuzz_policy.hpp"
#include "milter/callbacks.hpp"
#include "milter/logger.hpp"
#include "milter/macro_guard.hpp"
#include "milter/milter.hpp"
#include "milter/policy_store.hpp"
#include "state/clock.hpp"
#include "state/memory_store.hpp"

namespace {

using namespace mv;

constexpr const char* kPolicy = R"conf(
policy = { on_error = "tempfail"; body_limit_kib = 4; monitor_header = "X-Would"; };
lists = { trusted = ["192.0.2.0/24", "2001:db8::/32"]; blocked = ["spam.example"]; };
rules = (
  { name = "trusted"; when = { client_addr = "@trusted"; helo = "trusted.example"; };
    action = "accept"; },
  { name = "no-rdns"; when = { client_resolve = ["FAIL", "FORGED"]; helo = "/^\\[/"; };
    action = "reject"; reply = { text = "Client ${client_addr} greets as ${helo}"; }; },
  { name = "bye"; when = { client_name = { subdomain = "bye.example"; }; };
    action = "tempfail"; reply = { disconnect = true; text = "Closing for ${client_name}"; }; },
  { name = "blocked"; when = { sender = { subdomain = "@blocked"; }; }; action = "reject";
    reply = { code = 550; enhanced = "5.7.1"; text = ["Sender <${sender}> 100%", "${queue_id}"]; }; },
  { name = "gone"; when = { rcpt = "/^gone/"; }; action = "reject";
    reply = { enhanced = "5.1.1"; text = "<${rcpt}>: no such user"; }; },
  { name = "gw"; when = { macro = { name = "{daemon_name}"; value = "legacy-gw"; }; };
    action = "reject"; },
  { name = "auth"; when = { auth = "/^admin$/"; }; action = "accept"; },
  { name = "rate"; on_backend_error = "closed";
    when = { rate_limit = { key = ["sender", "client_net"]; count = "recipient"; limit = "3/1m"; }; };
    action = "tempfail"; reply = { text = "Rate ${retry} s for ${sender}"; }; },
  { name = "subject"; when = { header = { name = "Subject"; value = "/casino/"; }; };
    action = "reject"; },
  { name = "body"; when = { body = "/bitcoin/"; }; action = "reject"; },
  { name = "hold"; when = { sender = "/^hold/"; }; stage = "end-of-data";
    action = "quarantine"; quarantine_reason = "held for ${sender}"; },
  { name = "tag"; action = "continue";
    add_header = { name = "X-Client"; value = "${client_addr} (${client_name})"; }; }
);
)conf";

constexpr char kCommands[] = "ABCDEHKLMNOQRTU";
constexpr char kReplies[] = "O+-2abcdefhilmpqrsty4";
constexpr auto kDeadline = std::chrono::seconds(10);

class NullLogger final : public observability::Logger {
  public:
    void log(observability::LogLevel, std::string_view) override {}
};

// libmilter, started once: it cannot be stopped and started again in one process.
struct Libmilter {
    NullLogger log;
    milter::MacroGuard guard{log};
    policy::PolicyPtr policy = fuzz::load_policy_or_abort("wire.conf", kPolicy);
    std::shared_ptr<state::MemoryStore> store;
    std::unique_ptr<milter::PolicyStore> policies;
    std::unique_ptr<milter::Milter> m;
    std::string path = fuzz::scratch_dir() + "/wire.sock";

    Libmilter() {
        state::MemoryOptions mo;
        mo.max_entries = 200;
        mo.shards = 1;
        store = std::make_shared<state::MemoryStore>(mo, std::make_shared<state::FakeClock>());
        policy->state_slot->attach(store);
        policies = std::make_unique<milter::PolicyStore>(policy);
        m = std::make_unique<milter::Milter>(*policies, log);
        std::string conn = "unix:" + path;
        MV_FUZZ_CHECK(milter::register_milter(*m));
        MV_FUZZ_CHECK(smfi_setconn(conn.data()) == MI_SUCCESS);
        MV_FUZZ_CHECK(smfi_opensocket(true) == MI_SUCCESS);
        // Runs until the process exits; libmilter keeps its own threads.
        std::thread([] { smfi_main(); }).detach();
    }
};

void put_frame(std::string& out, unsigned char cmd, std::size_t announced, const char* data,
               std::size_t have) {
    const std::uint32_t n = static_cast<std::uint32_t>(announced + 1);
    const unsigned char len[4] = {
        static_cast<unsigned char>(n >> 24), static_cast<unsigned char>(n >> 16),
        static_cast<unsigned char>(n >> 8), static_cast<unsigned char>(n)};
    out.append(reinterpret_cast<const char*>(len), 4);
    out.push_back(static_cast<char>(cmd));
    out.append(data, have);
}

std::string packets(const std::uint8_t* data, std::size_t size) {
    std::string out;
    std::size_t i = 0;
    auto next = [&]() -> std::uint8_t { return i < size ? data[i++] : 0; };
    if (next() != 0) {
        const char neg[12] = {0, 0, 0, 6, 0, 0, 0x01, char(0xFF), 0, 0x1F, char(0xFF), char(0xFF)};
        put_frame(out, 'O', sizeof neg, neg, sizeof neg);
    }
    while (i < size) {
        const std::uint8_t b = next();
        const unsigned char cmd = b < 240 ? kCommands[b % 15] : b;
        std::size_t want = next();
        if (want >= 250) {
            const std::size_t hi = next();
            want = hi << 8 | next();
        }
        const std::size_t have = std::min(want, size - i);
        put_frame(out, cmd, want, reinterpret_cast<const char*>(data + i), have);
        i += have;
    }
    return out;
}

int connect_to(const std::string& path) {
    sockaddr_un sun{};
    sun.sun_family = AF_UNIX;
    std::memcpy(sun.sun_path, path.c_str(), std::min(path.size(), sizeof sun.sun_path - 1));
    const auto until = std::chrono::steady_clock::now() + kDeadline;
    while (std::chrono::steady_clock::now() < until) {
        const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        MV_FUZZ_CHECK(fd >= 0);
        if (::connect(fd, reinterpret_cast<sockaddr*>(&sun), sizeof sun) == 0) return fd;
        ::close(fd);
        std::this_thread::sleep_for(std::chrono::milliseconds(5));  // smfi_main starting up
    }
    return -1;
}

// Whole frames with known reply codes. After a reset (libmilter closed with
// our packets unread) the kernel may drop the tail, so a cut last frame is
// accepted then.
void check_replies(const std::string& in, bool reset) {
    std::size_t i = 0;
    while (i < in.size()) {
        if (reset && in.size() - i < 5) return;
        MV_FUZZ_CHECK(in.size() - i >= 5);
        const auto* p = reinterpret_cast<const unsigned char*>(in.data() + i);
        const std::uint32_t n =
            std::uint32_t(p[0]) << 24 | std::uint32_t(p[1]) << 16 | std::uint32_t(p[2]) << 8 | p[3];
        MV_FUZZ_CHECK(n >= 1 && n <= 65536);
        MV_FUZZ_CHECK(std::strchr(kReplies, static_cast<char>(p[4])) != nullptr && p[4] != 0);
        if (reset && in.size() - i - 4 < n) return;
        MV_FUZZ_CHECK(in.size() - i - 4 >= n);
        i += 4 + n;
    }
}

// Writes `out`, reading replies meanwhile (libmilter must never block on a
// full socket), half-closes, and reads until libmilter closes.
std::string converse(int fd, const std::string& out, bool& reset) {
    std::string in;
    std::size_t sent = 0;
    bool half_closed = false;
    const auto until = std::chrono::steady_clock::now() + kDeadline;
    char buf[16384];
    for (;;) {
        if (sent == out.size() && !half_closed) {
            ::shutdown(fd, SHUT_WR);
            half_closed = true;
        }
        pollfd pfd{fd, static_cast<short>(POLLIN | (half_closed ? 0 : POLLOUT)), 0};
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            until - std::chrono::steady_clock::now());
        MV_FUZZ_CHECK(left.count() > 0);  // libmilter never ended the connection
        if (::poll(&pfd, 1, static_cast<int>(left.count())) <= 0) continue;
        if (pfd.revents & (POLLIN | POLLHUP | POLLERR)) {
            const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
            if (n <= 0) {  // closed (or reset) by libmilter
                reset = n < 0;
                break;
            }
            in.append(buf, static_cast<std::size_t>(n));
            continue;
        }
        if (pfd.revents & POLLOUT) {
            const ssize_t n = ::send(fd, out.data() + sent, out.size() - sent, MSG_NOSIGNAL);
            if (n < 0) {
                sent = out.size();  // libmilter closed early: read what is left
                continue;
            }
            sent += static_cast<std::size_t>(n);
        }
    }
    return in;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static Libmilter lib;
    const int fd = connect_to(lib.path);
    MV_FUZZ_CHECK(fd >= 0);
    bool reset = false;
    const std::string replies = converse(fd, packets(data, size), reset);
    ::close(fd);
    check_replies(replies, reset);
    return 0;
}
