// SPDX-License-Identifier: Apache-2.0
// simulator.cpp - one simulated SMTP transaction through policy::Session.
#include "cli/simulator.hpp"

#include <fstream>

#include "cli/sendmail_reply.hpp"
#include "codes/stage.hpp"
#include "dns/config.hpp"
#include "policy/session.hpp"

namespace mv::cli {

namespace {

using policy::Action;

// Chunk size for the body: what the MTA sends per xxfi_body call at most
// (MILTER_CHUNK_SIZE in libmilter).
constexpr std::size_t kBodyChunk = 65535;

bool refused(const policy::Verdict& v) {
    return v.action == Action::Reject || v.action == Action::Tempfail;
}

}  // namespace

void Simulator::print(const policy::Verdict& v, const std::string& address) {
    if (dns_)
        for (const auto& line : dns_->take_trace()) out_ << "  dns     " << line << "\n";
    out_ << "  verdict " << policy::action_name(v.action);
    if (!v.rule.empty()) {
        out_ << " by rule " << v.rule << " (decided at " << codes::stage_name(v.decided_at);
        if (v.delivered_at != v.decided_at)
            out_ << ", delivered at " << codes::stage_name(v.delivered_at);
        out_ << ")";
    }
    if (v.monitor) out_ << " [monitor: mail goes through]";
    out_ << "\n";
    for (const auto& l : v.log) out_ << "  log     " << l.text << "\n";
    if (refused(v) && mta_ == Mta::Sendmail) {
        const SendmailView sm =
            sendmail_view(v.reply, v.action == Action::Reject, v.delivered_at, address);
        for (const auto& w : sm.lines) out_ << "  reply   " << w << "\n";
        for (std::size_t i = 0; i < sm.notes.size(); ++i)
            out_ << (i == 0 ? "  note    " : "          ") << sm.notes[i] << "\n";
    } else if (refused(v)) {
        for (const auto& w : v.reply.wire_lines()) out_ << "  reply   " << w << "\n";
    }
    if (refused(v) && mta_ == Mta::Postfix && v.delivered_at <= codes::Stage::Helo)
        out_ << "  note    at connect and HELO Postfix does not pass a milter's text on: the\n"
                "          client sees Postfix's own generic refusal (see delay_reject)\n";
    if (v.disconnect) out_ << "  (the MTA closes the connection after this reply)\n";
    if (v.action == Action::Quarantine) out_ << "  hold    " << v.quarantine_reason << "\n";
    for (const auto& [n, val] : v.add_headers) out_ << "  add     " << n << ": " << val << "\n";
}

bool Simulator::run(const SimInput& in, int number) {
    std::string body;
    if (!in.body_file.empty()) {
        std::ifstream f(in.body_file, std::ios::binary);
        if (!f) {
            out_ << "simulate: cannot read body file " << in.body_file << "\n";
            return false;
        }
        body.assign(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
    }
    out_ << "== transaction " << number << "\n";
    policy::Session session(policy_);
    policy::Transaction& tx = session.transaction();
    dns_ = tx.dns;
    for (const auto& [name, value] : in.macros) tx.macros[name] = value;
    tx.client_addr = in.client_addr;
    tx.client_name = in.client_name.empty() ? "unknown" : in.client_name;
    // With a reverse_dns rule and nothing said about the client's name, the
    // MTA says nothing either: the daemon's own lookups answer.
    const bool own_reverse = policy_->dns && policy_->dns->uses_reverse && in.client_name.empty() &&
                             in.client_resolve.empty();
    tx.client_resolve = own_reverse                 ? std::string()
                        : in.client_resolve.empty() ? (in.client_name.empty() ? "FAIL" : "OK")
                                                    : in.client_resolve;
    tx.non_smtp = in.non_smtp;
    tx.macros.emplace("client_addr", tx.client_addr);
    tx.macros.emplace("client_name", tx.client_name);
    if (!own_reverse) tx.macros.emplace("client_resolve", tx.client_resolve);
    tx.daemon_name = tx.macro("daemon_name");

    auto finish = [&](const std::string& result) {
        out_ << "result  " << result << "\n\n";
        return true;
    };

    out_ << "connect client " << (in.non_smtp ? "(local submission, non-SMTP)" : in.client_addr)
         << " name " << tx.client_name << " resolve "
         << (own_reverse ? std::string("(own lookups)") : tx.client_resolve) << "\n";
    policy::Verdict v = session.connect();
    print(v);
    if (v.action == Action::Accept)
        return finish("accepted: no further checks for this connection");
    if (refused(v)) return finish("connection refused");

    if (in.tls) {
        tx.macros["tls_version"] = "TLSv1.3";
        tx.macros["cipher"] = "TLS_AES_256_GCM_SHA384";
    }
    if (!in.helo.empty()) {
        out_ << "helo    EHLO " << in.helo << (in.tls ? " (then STARTTLS)" : "") << "\n";
        v = session.helo(in.helo);
        print(v);
        if (v.action == Action::Accept)
            return finish("accepted: no further checks for this connection");
        if (refused(v)) return finish("HELO refused");
    }

    // As Postfix sends them: SASL facts with MAIL, TLS facts with HELO; the
    // Session copies them into the Transaction fields.
    if (!in.auth.empty()) {
        tx.macros["auth_authen"] = in.auth;
        tx.macros["auth_type"] = "PLAIN";
    }
    out_ << "mail    MAIL FROM:<" << in.sender << ">"
         << (in.size ? " SIZE=" + std::to_string(in.size) : "")
         << (in.auth.empty() ? "" : " (authenticated as " + in.auth + ")") << "\n";
    tx.declared_size = in.size;
    v = session.mail(in.sender);
    print(v, in.sender);
    if (v.action == Action::Accept) return finish("delivered: accepted at MAIL, no further checks");
    if (refused(v)) return finish("message refused at MAIL");

    int accepted = 0;
    for (const auto& r : in.rcpts) {
        tx.macros["rcpt_addr"] = r;
        out_ << "rcpt    RCPT TO:<" << r << ">\n";
        v = session.rcpt(r);
        print(v, r);
        if (v.disconnect) return finish("connection closed at RCPT");
        if (v.action == Action::Accept)
            return finish("delivered: accepted at RCPT, no further checks");
        if (!refused(v)) ++accepted;
    }
    if (accepted == 0) return finish("message refused: no recipient accepted, no DATA");

    out_ << "data    DATA\n";
    v = session.data();
    print(v);
    if (v.action == Action::Accept) return finish("delivered: accepted at DATA");
    if (refused(v)) return finish("message refused at DATA");

    for (const auto& [n, val] : in.headers) {
        out_ << "header  " << n << ": " << val << "\n";
        session.header(n, val);
    }
    if (!in.body_file.empty()) {
        out_ << "body    " << body.size() << " bytes from " << in.body_file << "\n";
        for (std::size_t off = 0; off < body.size(); off += kBodyChunk)
            session.body(std::string_view(body).substr(off, kBodyChunk));
    }
    out_ << "eom     .\n";
    v = session.end_of_message();
    print(v);
    switch (v.action) {
        case Action::Reject:
        case Action::Tempfail:
            return finish("message refused at end of data");
        case Action::Discard:
            return finish("discarded: the client is told it was delivered");
        case Action::Quarantine:
            return finish("delivered to the hold queue (quarantine)");
        default:
            break;
    }
    return finish("delivered to " + std::to_string(accepted) +
                  (accepted == 1 ? " recipient" : " recipients"));
}

}  // namespace mv::cli
