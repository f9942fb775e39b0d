// SPDX-License-Identifier: Apache-2.0
// test_transaction.cpp - `milter-verdict test`: one transaction against the
// running daemon, through its own milter socket.
//
//   test [-c FILE] [-p SOCKET] [--timeout SECONDS] --client ADDR [--client-name NAME]
//        [--client-resolve OK|FAIL|FORGED|TEMP] [--helo NAME] --from ADDR --rcpt ADDR...
//        [--auth LOGIN] [--tls] [--macro NAME=VALUE]... [--header 'Name: value']...
//        [--body FILE] [--size N]
//
// The options are the command table's (options.cpp; the transaction options
// are simulate's, but --non-smtp and --dns-answer).
//
// Where simulate compiles the configuration in its own process, test asks the
// daemon that runs: a real milter conversation (protocol version 6, what
// Postfix 3 offers, milter/milter_client.hpp) on the socket of the
// configuration (`socket`) or -p SOCKET, with the macros Postfix sends
// (client address, name and resolve state, {daemon_name}, the queue id "i",
// {auth_authen} with --auth, {tls_version} and {cipher} with --tls, --macro
// ones), honouring the daemon's negotiation (a stage it negotiated away is
// not sent; its macro lists filter the macros). It prints each stage as
// simulate does ("verdict", "reply", "add"), from the daemon's answers: the
// reply lines as the daemon sent them (SMFIR_REPLYCODE), or the MTA's own
// text where the daemon answered reject or tempfail without one. The rule
// that decided is in the daemon's log, not in the protocol. It stops where
// the MTA would, then aborts the message and quits. Stateful rules count this
// transaction like any other (a greylisted triplet is recorded).
//
// Exit: 0 when the conversation ran, whatever the verdicts; 64 usage; 69
// (EX_UNAVAILABLE) the socket cannot be reached or the daemon broke the
// protocol or timed out; 78 the configuration does not load (only read when
// -p is not given).
//
// Thread contract: called from main() only.
#include <libmilter/mfapi.h>
#include <unistd.h>

#include <fstream>
#include <iterator>

#include "cli/commands.hpp"
#include "cli/sim_input.hpp"
#include "config/loader.hpp"
#include "milter/milter_client.hpp"

namespace mv::cli {

namespace {

constexpr int kExitUnavailable = 69;
constexpr const char* kQueueId = "TESTQUEUEID";

struct TestOptions {
    std::string config = kDefaultConfig;
    std::string socket;
    int timeout = 30;
    SimInput in;
};

// The options parse_args() found, checked; "" when they make a transaction,
// else the usage error.
std::string check_test_args(const ParsedArgs& p, TestOptions& o) {
    o.config = p.value("config", kDefaultConfig);
    o.socket = p.value("socket");
    if (p.has("timeout")) {
        const std::string v = p.value("timeout");
        char* end = nullptr;
        const long t = std::strtol(v.c_str(), &end, 10);
        if (v.empty() || *end != '\0' || t < 1 || t > 600)
            return "--timeout must be 1 to 600 seconds";
        o.timeout = static_cast<int>(t);
    }
    // The transaction's own options, in command-line order (--rcpt, --header).
    for (const auto& [spec, value] : p.options) {
        if (!spec->long_name || !sim_key(spec->long_name)) continue;
        if (const std::string e = sim_apply(o.in, spec->long_name, value); !e.empty()) return e;
    }
    return sim_missing(o.in);
}

// simulate's transaction options that test has not: the usage error says
// why, rather than parse_args()'s bare "unknown option"; "" for other errors.
std::string simulate_only(const std::string& error) {
    for (const std::string name : {"--non-smtp", "--dns-answer"}) {
        const std::string unknown = "unknown option '" + name;
        if (error == unknown + "'" || error.rfind(unknown + "=", 0) == 0)
            return name + " is simulate's: the running daemon does its own lookups over SMTP";
    }
    return {};
}

using Kind = milter::MilterReply::Kind;

bool refused(const milter::MilterReply& r) {
    return r.kind == Kind::Reject || r.kind == Kind::Tempfail || r.kind == Kind::ReplyCode ||
           r.kind == Kind::ConnFail || r.kind == Kind::Shutdown;
}

// One stage's answer in simulate's layout; a bare reject or tempfail gets
// the MTA's own text, which the daemon does not know.
void print(std::ostream& out, const milter::MilterReply& r) {
    switch (r.kind) {
        case Kind::Skipped:
            out << "  verdict continue (stage negotiated away by the daemon: not sent)\n";
            return;
        case Kind::NoReply:
            out << "  verdict continue (the daemon asked for no reply here)\n";
            return;
        case Kind::ReplyCode: {
            out << "  verdict " << (r.text.starts_with("5") ? "reject" : "tempfail") << "\n";
            std::string text = r.text;
            for (std::size_t at = 0; at <= text.size();) {
                const auto end = text.find("\r\n", at);
                out << "  reply   " << text.substr(at, end - at) << "\n";
                if (end == std::string::npos) break;
                at = end + 2;
            }
            return;
        }
        case Kind::Reject:
            out << "  verdict reject\n  reply   550 5.7.1 (the MTA's own text)\n";
            return;
        case Kind::Tempfail:
            out << "  verdict tempfail\n  reply   451 4.7.1 (the MTA's own text)\n";
            return;
        default:
            out << "  verdict " << milter::kind_name(r.kind) << "\n";
    }
}

void print_edits(std::ostream& out, const milter::MilterReply& r) {
    for (const auto& p : r.edits) {
        // name\0value\0 (ADDHEADER), index name\0value\0 (INSHEADER, CHGHEADER).
        std::string data = p.data;
        if (p.command == SMFIR_INSHEADER || p.command == SMFIR_CHGHEADER)
            data = data.size() >= 4 ? data.substr(4) : std::string();
        const auto nul = data.find('\0');
        const std::string name = data.substr(0, nul);
        std::string value = nul == std::string::npos ? std::string() : data.substr(nul + 1);
        if (!value.empty() && value.back() == '\0') value.pop_back();
        switch (p.command) {
            case SMFIR_ADDHEADER:
            case SMFIR_INSHEADER:
                out << "  add     " << name << ": " << value << "\n";
                break;
            case SMFIR_CHGHEADER:
                out << "  change  " << name << ": " << value << "\n";
                break;
            case SMFIR_QUARANTINE:
                out << "  hold    " << name << "\n";
                break;
            default:
                out << "  edit    '" << p.command << "' (" << p.data.size() << " bytes)\n";
        }
    }
}

std::string brace(const std::string& name) {
    return name.size() == 1 || name.front() == '{' ? name : "{" + name + "}";
}

// Runs the conversation; returns the result line.
std::string converse(milter::MilterClient& c, const SimInput& in, const std::string& body,
                     std::ostream& out) {
    char host[256] = {};
    ::gethostname(host, sizeof host - 1);
    const std::string name = in.client_name.empty() ? "unknown" : in.client_name;
    const std::string resolve =
        in.client_resolve.empty() ? (in.client_name.empty() ? "FAIL" : "OK") : in.client_resolve;
    milter::MacroList conn{{"j", host},
                           {"{daemon_name}", "milter-verdict-test"},
                           {"{client_addr}", in.client_addr},
                           {"{client_name}", name},
                           {"{client_ptr}", name},
                           {"{client_resolve}", resolve},
                           {"_", name + " [" + in.client_addr + "]"}};
    for (const auto& [n, v] : in.macros) conn.emplace_back(brace(n), v);

    c.negotiate(SMFIF_ADDHDRS | SMFIF_CHGBODY | SMFIF_ADDRCPT | SMFIF_DELRCPT | SMFIF_CHGHDRS |
                    SMFIF_QUARANTINE | SMFIF_CHGFROM | SMFIF_ADDRCPT_PAR | SMFIF_SETSYMLIST,
                0x1fffff);
    out << "connect client " << in.client_addr << " name " << name << " resolve " << resolve
        << "\n";
    const char family = in.client_addr.find(':') == std::string::npos ? SMFIA_INET : SMFIA_INET6;
    milter::MilterReply r = c.connect(name, family, 40000, in.client_addr, conn);
    print(out, r);
    if (r.kind == Kind::Accept) return "accepted: no further checks for this connection";
    if (refused(r)) return "connection refused";

    if (!in.helo.empty()) {
        milter::MacroList m;
        if (in.tls) m = {{"{tls_version}", "TLSv1.3"}, {"{cipher}", "TLS_AES_256_GCM_SHA384"}};
        out << "helo    EHLO " << in.helo << (in.tls ? " (then STARTTLS)" : "") << "\n";
        r = c.helo(in.helo, m);
        print(out, r);
        if (r.kind == Kind::Accept) return "accepted: no further checks for this connection";
        if (refused(r)) return "HELO refused";
    }

    milter::MacroList mail{{"i", kQueueId}, {"{mail_addr}", in.sender}};
    if (!in.auth.empty()) {
        mail.emplace_back("{auth_authen}", in.auth);
        mail.emplace_back("{auth_type}", "PLAIN");
    }
    const std::string from = "<" + in.sender + ">";
    const std::string size = in.size ? "SIZE=" + std::to_string(in.size) : std::string();
    std::vector<std::string_view> mail_args{from};
    if (in.size) mail_args.push_back(size);
    out << "mail    MAIL FROM:" << from << (in.size ? " " + size : "")
        << (in.auth.empty() ? "" : " (authenticated as " + in.auth + ")") << "\n";
    r = c.mail(mail_args, mail);
    print(out, r);
    if (r.kind == Kind::Accept) return "delivered: accepted at MAIL, no further checks";
    if (refused(r)) return "message refused at MAIL";

    int accepted = 0;
    for (const auto& rcpt : in.rcpts) {
        const std::string to = "<" + rcpt + ">";
        out << "rcpt    RCPT TO:" << to << "\n";
        r = c.rcpt({to}, {{"{rcpt_addr}", rcpt}});
        print(out, r);
        if (r.kind == Kind::Accept) return "delivered: accepted at RCPT, no further checks";
        if (r.kind == Kind::ConnFail || r.kind == Kind::Shutdown)
            return "connection closed at RCPT";
        if (!refused(r)) ++accepted;
    }
    if (accepted == 0) return "message refused: no recipient accepted, no DATA";

    out << "data    DATA\n";
    r = c.data({{"i", kQueueId}});
    print(out, r);
    if (r.kind == Kind::Accept) return "delivered: accepted at DATA";
    if (refused(r)) return "message refused at DATA";

    for (const auto& [n, v] : in.headers) {
        out << "header  " << n << ": " << v << "\n";
        r = c.header(n, v, {});
        if (r.kind == Kind::Accept || refused(r)) {
            print(out, r);
            return r.kind == Kind::Accept ? "delivered: accepted at a header"
                                          : "message refused at a header";
        }
    }
    r = c.eoh({});
    if (r.kind == Kind::Accept || refused(r)) {
        print(out, r);
        return r.kind == Kind::Accept ? "delivered: accepted at end of headers"
                                      : "message refused at end of headers";
    }
    if (!in.body_file.empty()) {
        out << "body    " << body.size() << " bytes from " << in.body_file << "\n";
        r = c.body(body);
        if (r.kind == Kind::Accept || refused(r)) {
            print(out, r);
            return r.kind == Kind::Accept ? "delivered: accepted in the body"
                                          : "message refused in the body";
        }
    }
    out << "eom     .\n";
    r = c.eom({{"i", kQueueId}});
    print(out, r);
    print_edits(out, r);
    if (refused(r)) return "message refused at end of data";
    if (r.kind == Kind::Discard) return "discarded: the client is told it was delivered";
    for (const auto& p : r.edits)
        if (p.command == SMFIR_QUARANTINE) return "delivered to the hold queue (quarantine)";
    return "delivered to " + std::to_string(accepted) +
           (accepted == 1 ? " recipient" : " recipients");
}

}  // namespace

int test_main(const Args& args, std::ostream& out, std::ostream& err) {
    const CommandSpec& self = *find_command("test");
    const ParsedArgs p = parse_args(self, args);
    if (!p.ok()) {
        const std::string why = simulate_only(p.error);
        return usage_error(self, why.empty() ? p.error : why, err);
    }
    if (p.help()) {
        out << usage(self);
        return 0;
    }
    TestOptions o;
    if (const std::string e = check_test_args(p, o); !e.empty()) return usage_error(self, e, err);
    std::string body;
    if (!o.in.body_file.empty()) {
        std::ifstream f(o.in.body_file, std::ios::binary);
        if (!f) {
            return usage_error(self, "cannot read body file " + o.in.body_file, err);
        }
        body.assign(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
    }
    if (o.socket.empty()) {
        const config::LoadResult r = config::load_policy(o.config);
        if (!r.ok()) {
            for (const auto& d : r.diagnostics) err << d.to_string() << "\n";
            err << "milter-verdict test: " << o.config << ": configuration not loaded\n";
            return config::kExitConfig;
        }
        o.socket = r.policy->settings.socket;
        if (o.socket.empty()) {
            err << "milter-verdict test: " << o.config
                << " has no milter socket (socket = \"\"); give -p SOCKET\n";
            return config::kExitConfig;
        }
    }
    milter::MilterClient client;
    std::string result;
    try {
        client.open(o.socket, o.timeout);
        out << "daemon  " << o.socket << " (the running daemon's verdicts; the rule that decided "
            << "is in its log)\n\n== transaction 1\n";
        result = converse(client, o.in, body, out);
        client.abort();
        client.quit();
    } catch (const std::exception& e) {
        out.flush();
        err << "milter-verdict test: " << o.socket << ": " << e.what() << "\n";
        return kExitUnavailable;
    }
    out << "result  " << result << "\n";
    return 0;
}

}  // namespace mv::cli
