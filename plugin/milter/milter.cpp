// SPDX-License-Identifier: Apache-2.0
// milter.cpp - the stage handlers. See milter.hpp for the contract.
#include "milter/milter.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <strings.h>

#include <cstring>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include "codes/reply_text.hpp"
#include "codes/validate.hpp"
#include "milter/client_facts.hpp"
#include "milter/negotiation.hpp"
#include "milter/reply_sender.hpp"

namespace mv::milter {

namespace {

using codes::Stage;
using policy::Action;
using policy::Limits;

// Length of `s`, or max + 1 when longer: never reads far past a bound.
std::size_t bounded_len(const char* s, std::size_t max) {
    return s ? strnlen(s, max + 1) : 0;
}

// "<a@b>" -> "a@b", "<>" -> "". The MTA may append ESMTP parameters in
// further argv entries; only argv[0] is the address.
std::string strip_angles(std::string_view a) {
    if (a.size() >= 2 && a.front() == '<' && a.back() == '>') a = a.substr(1, a.size() - 2);
    return std::string(a);
}

struct ClientAddr {
    std::string text;
    bool port_zero = false;
    bool loopback = false;
};

ClientAddr client_addr(const sockaddr* sa) {
    ClientAddr out;
    char buf[INET6_ADDRSTRLEN] = {};
    if (sa->sa_family == AF_INET) {
        sockaddr_in in;
        std::memcpy(&in, sa, sizeof in);
        if (inet_ntop(AF_INET, &in.sin_addr, buf, sizeof buf)) out.text = buf;
        out.port_zero = in.sin_port == 0;
        out.loopback = (ntohl(in.sin_addr.s_addr) >> 24) == 127;
    } else if (sa->sa_family == AF_INET6) {
        sockaddr_in6 in6;
        std::memcpy(&in6, sa, sizeof in6);
        if (inet_ntop(AF_INET6, &in6.sin6_addr, buf, sizeof buf)) out.text = buf;
        out.port_zero = in6.sin6_port == 0;
        out.loopback = IN6_IS_ADDR_LOOPBACK(&in6.sin6_addr);
    }
    return out;
}

// Postfix presents mail it did not receive by SMTP (sendmail(1), pickup,
// non_smtpd_milters) as a connection from localhost/127.0.0.1 with client
// port 0 (cleanup_milter.c, cleanup_milter_client_init); Sendmail presents
// local submission without an address (SMFIA_UNKNOWN: hostaddr NULL). A
// real TCP client never has port 0.
bool is_non_smtp(const sockaddr* hostaddr, const ClientAddr& a) {
    return hostaddr == nullptr || (a.port_zero && a.loopback);
}

codes::Reply reply_of(const codes::DefaultReply& d) {
    return {d.basic, d.enhanced, {d.text}};
}

}  // namespace

Milter::Milter(PolicyStore& store, Logger& log) : store_(store), log_(log) {}

// SIZE=n among the ESMTP arguments of MAIL (RFC 1870), 0 when absent or not a
// number (more than 19 digits is not a size anyone sends: treated as absent).
std::uint64_t declared_size(char** args) {
    for (int i = 0; i < 64 && args[i]; ++i) {
        if (::strncasecmp(args[i], "SIZE=", 5) != 0) continue;
        const char* p = args[i] + 5;
        std::uint64_t n = 0;
        int digits = 0;
        for (; *p >= '0' && *p <= '9' && digits < 20; ++p, ++digits) n = n * 10 + (*p - '0');
        return (*p == '\0' && digits > 0 && digits <= 19) ? n : 0;
    }
    return 0;
}

// Runs a handler body; any exception is logged and answered with on_error.
// At a stage that cannot reply (`quiet`: header, body, abort) the failure is
// remembered and answered at end of message instead.
template <typename F>
sfsistat Milter::guarded(MilterApi& api, Stage stage, std::optional<sfsistat> quiet,
                         const char* what, F&& f) {
    // The line names the connection (or message) when there is one.
    const auto error = [&](const std::string& text) {
        if (ConnectionContext* c = api.context())
            c->record.note(c->tx(), LogLevel::Error, text, stage);
        else
            log_.log(LogLevel::Error, text);
    };
    try {
        return f();
    } catch (const std::exception& e) {
        error(std::string(what) + ": internal error: " + e.what());
    } catch (...) {
        error(std::string(what) + ": internal error: unknown exception");
    }
    try {
        if (quiet) {
            if (ConnectionContext* c = api.context()) {
                if (stage <= Stage::Helo)
                    c->error_pending = true;
                else
                    c->message.error_pending = true;
            }
            return *quiet;
        }
        return on_error(api, stage);
    } catch (...) {
        return SMFIS_TEMPFAIL;  // cannot even log: refuse rather than accept blindly
    }
}

// The status of a stage negotiated as "no reply" (SMFIP_NR_*): NOREPLY there,
// CONTINUE when the MTA did not negotiate it.
sfsistat Milter::quiet_status(MilterApi& api, unsigned long nr_bit) {
    const ConnectionContext* c = api.context();
    return c && (c->protocol & nr_bit) ? SMFIS_NOREPLY : SMFIS_CONTINUE;
}

// Connect, HELO or MAIL negotiated without a reply (negotiation.hpp): no rule
// runs there, so the stage can only go on. Anything else (a refusal of our
// own, an internal error) must not reach the MTA, which reads no reply here:
// it is remembered and answered at the next RCPT, as an internal error.
std::optional<sfsistat> Milter::quiet_stage(MilterApi& api, Stage stage) {
    const ConnectionContext* c = api.context();
    if (!c || !(c->protocol & quiet_bit(stage))) return std::nullopt;
    return SMFIS_NOREPLY;
}

sfsistat Milter::quiet_result(ConnectionContext& c, Stage stage, sfsistat s) {
    if (s == SMFIS_CONTINUE || s == SMFIS_ACCEPT || s == SMFIS_NOREPLY) return SMFIS_NOREPLY;
    c.record.note(c.tx(), LogLevel::Error,
                  "internal error: a refusal at " + std::string(codes::stage_name(stage)) +
                      ", a stage negotiated without a reply; answered at RCPT",
                  stage);
    if (stage <= Stage::Helo)
        c.error_pending = true;
    else
        c.message.error_pending = true;
    return SMFIS_NOREPLY;
}

sfsistat Milter::on_error(MilterApi& api, Stage stage) {
    ConnectionContext* c = api.context();
    const policy::PolicyPtr current = c ? nullptr : store_.current();
    const policy::Policy* p = c ? &c->policy() : current.get();
    policy::Verdict v;
    v.decided_at = v.delivered_at = stage;
    if (!p || p->settings.on_error != Action::Accept) {
        v.action = Action::Tempfail;
        v.reply = reply_of(codes::default_reply(codes::Disposition::Tempfail,
                                                codes::Reason::InternalError, stage));
        v.disconnect = v.reply.basic == 421;  // at connect and HELO (codes/defaults.cpp)
    }
    // The decision line says what the MTA was told (rule "-": no rule decided).
    if (c) c->record.own_verdict(c->tx(), v, stage);
    if (v.action == Action::Continue) return SMFIS_CONTINUE;
    send_reply(api, v.reply);
    return SMFIS_TEMPFAIL;
}

ConnectionContext& Milter::context(MilterApi& api) {
    if (ConnectionContext* c = api.context()) return *c;
    policy::PolicyPtr p = store_.current();
    if (!p) throw std::logic_error("no policy loaded");
    auto plan = plan_for(p);
    auto c = std::make_unique<ConnectionContext>(p);
    c->macros = std::move(plan);
    c->record = recorder_->open(observability::FrontEnd::Milter, p);
    api.set_context(c.get());
    return *c.release();  // owned by libmilter's context until close()
}

std::shared_ptr<const MacroPlan> Milter::plan_for(const policy::PolicyPtr& p) {
    {
        std::lock_guard<std::mutex> lock(plan_mutex_);
        // The weak pointer's control block stays allocated, so a new policy
        // can never compare equal to a freed one.
        if (plan_ && !plan_policy_.owner_before(p) && !p.owner_before(plan_policy_)) return plan_;
    }
    // Computed outside the lock; two first connections may both compute it.
    auto plan = std::make_shared<const MacroPlan>(macro_plan(*p));
    std::lock_guard<std::mutex> lock(plan_mutex_);
    plan_policy_ = p;
    plan_ = plan;
    return plan;
}

bool Milter::read_macros(MilterApi& api, ConnectionContext& c, Stage stage) {
    policy::Transaction& tx = c.tx();
    std::string& overflow = stage <= Stage::Helo ? c.overflow : c.message.overflow;
    bool ok = true;
    for (const std::string& name : c.macros->by_stage[static_cast<int>(stage)]) {
        const char* v = api.symval(name);
        if (!v) continue;
        const std::string key = macro_key(name);
        if (bounded_len(v, Limits::kMaxValue) > Limits::kMaxValue) {
            if (overflow.empty())
                overflow = "macro " + name + " longer than " + std::to_string(Limits::kMaxValue) +
                           " bytes";
            ok = false;
            continue;
        }
        auto it = tx.macros.find(key);
        if (it != tx.macros.end()) {
            it->second = v;
        } else if (tx.macros.size() >= Limits::kMaxMacros) {
            if (overflow.empty())
                overflow = "more than " + std::to_string(Limits::kMaxMacros) + " macros";
            ok = false;
        } else {
            tx.macros.emplace(key, v);
        }
    }
    if (!tx.macro("i").empty()) tx.queue_id = tx.macro("i");
    return ok;
}

sfsistat Milter::refuse_overflow(MilterApi& api, ConnectionContext& c, Stage stage) {
    const std::string& why = !c.overflow.empty() ? c.overflow : c.message.overflow;
    policy::Verdict v;
    v.action = Action::Tempfail;
    v.reply = reply_of(
        codes::default_reply(codes::Disposition::Tempfail, codes::Reason::InternalError, stage));
    v.disconnect = v.reply.basic == 421;  // at connect and HELO (codes/defaults.cpp)
    v.decided_at = v.delivered_at = stage;
    c.record.note(c.tx(), LogLevel::Warning,
                  "tempfail: data over a bound: " + codes::sanitize_value(why, 256), stage);
    c.record.own_verdict(c.tx(), v, stage);
    return send_refusal(api, c, v.reply, false);
}

sfsistat Milter::send_refusal(MilterApi& api, ConnectionContext& c, const codes::Reply& reply,
                              bool reject) {
    // libmilter drops a reply whose class does not match the status; the
    // loader validates this, so a mismatch here is our bug: say so, and let
    // the MTA use its default text rather than send the wrong class.
    const int want = reject ? 5 : 4;
    if (reply.basic / 100 != want) {
        c.record.note(c.tx(), LogLevel::Error,
                      "internal error: reply " + std::to_string(reply.basic) +
                          " does not match action " + (reject ? "reject" : "tempfail"));
    } else if (!send_reply(api, reply)) {
        c.record.note(c.tx(), LogLevel::Warning,
                      "libmilter refused the reply \"" +
                          codes::sanitize_value(reply.summary(), 512) +
                          "\"; the MTA sends its default");
    }
    return reject ? SMFIS_REJECT : SMFIS_TEMPFAIL;
}

void Milter::apply_end_of_message(MilterApi& api, ConnectionContext& c, const policy::Verdict& v) {
    const auto note = [&](LogLevel level, const std::string& text) {
        c.record.note(c.tx(), level, text, Stage::EndOfData);
    };
    for (const auto& [name, value] : v.add_headers) {
        const bool clean = name.find_first_of("\r\n:") == std::string::npos &&
                           value.find_first_of("\r\n") == std::string::npos;
        if (!clean || !api.add_header(name, value))
            note(LogLevel::Warning, "could not add header " + codes::sanitize_value(name, 64));
    }
    if (v.action != Action::Quarantine) return;
    const std::string reason = v.quarantine_reason.empty() ? v.rule : v.quarantine_reason;
    if (c.negotiated && !(c.actions & SMFIF_QUARANTINE))
        note(LogLevel::Error, "quarantine not offered by the MTA; message passes");
    else if (!api.quarantine(reason.empty() ? std::string("milter-verdict") : reason))
        note(LogLevel::Error, "smfi_quarantine failed; message passes");
}

sfsistat Milter::deliver(MilterApi& api, ConnectionContext& c, const policy::Verdict& v,
                         Stage stage, bool quiet) {
    const policy::Transaction& tx = c.tx();
    // SMFIS_ACCEPT ends the MTA's events for the connection (connect, HELO)
    // or the message (MAIL, DATA): only when nothing is left to decide or to
    // add at end of message. At RCPT it would accept the whole message, so
    // there an Accept of one recipient only means "go on".
    const bool passes = v.action == Action::Continue || v.action == Action::Accept;
    // A quiet stage (no reply, negotiation.hpp) never settles: it cannot
    // answer SMFIS_ACCEPT, and nothing is settled where no rule ran.
    const bool settle = !quiet && passes && stage != Stage::EndOfData && c.session().settled(stage);
    // The log lines and the metrics of this verdict; when it settles, no end
    // of message follows and the message's decision line is written now.
    c.record.verdict(tx, v, stage, settle);
    switch (v.action) {
        case Action::Continue:
            if (stage == Stage::EndOfData) apply_end_of_message(api, c, v);
            return settle ? SMFIS_ACCEPT : SMFIS_CONTINUE;
        case Action::Accept:
            if (stage == Stage::EndOfData) {
                apply_end_of_message(api, c, v);
                return SMFIS_CONTINUE;
            }
            return settle ? SMFIS_ACCEPT : SMFIS_CONTINUE;
        case Action::Reject:
            return quiet ? SMFIS_REJECT : send_refusal(api, c, v.reply, true);
        case Action::Tempfail:
            return quiet ? SMFIS_TEMPFAIL : send_refusal(api, c, v.reply, false);
        case Action::Discard:
            return SMFIS_DISCARD;
        case Action::Quarantine:
            if (stage == Stage::EndOfData) {
                apply_end_of_message(api, c, v);
                return SMFIS_CONTINUE;
            }
            // smfi_quarantine is only valid at end of message.
            c.record.note(tx, LogLevel::Error, "quarantine verdict before end of message ignored",
                          stage);
            return SMFIS_CONTINUE;
    }
    return SMFIS_CONTINUE;
}

sfsistat Milter::negotiate(MilterApi& api, unsigned long f0, unsigned long f1, unsigned long,
                           unsigned long, unsigned long* pf0, unsigned long* pf1,
                           unsigned long* pf2, unsigned long* pf3) {
    try {
        ConnectionContext& c = context(api);
        const Negotiation n = ::mv::milter::negotiate(c.policy(), f0, f1, c.macros.get());
        for (int i = 0; i < kSymlistStages; ++i)
            if (!n.symlists[i].empty() && !api.set_symlist(i, n.symlists[i]))
                c.record.note(c.tx(), LogLevel::Warning,
                              "smfi_setsymlist failed for stage " + std::to_string(i) +
                                  "; using the MTA's macros");
        *pf0 = n.actions;
        *pf1 = n.protocol;
        *pf2 = 0;
        *pf3 = 0;
        c.protocol = n.protocol;
        c.actions = n.actions;
        c.negotiated = true;
        return SMFIS_CONTINUE;
    } catch (const std::exception& e) {
        log_.log(LogLevel::Error, std::string("negotiate: internal error: ") + e.what());
    } catch (...) {
        log_.log(LogLevel::Error, "negotiate: internal error: unknown exception");
    }
    // Fall back to every step, every reply: slower, never wrong.
    return SMFIS_ALL_OPTS;
}

sfsistat Milter::connect(MilterApi& api, const char* hostname, const sockaddr* hostaddr) {
    return guarded(api, Stage::Connect, quiet_stage(api, Stage::Connect), "connect", [&] {
        ConnectionContext& c = context(api);
        c.connected = true;
        policy::Transaction& tx = c.tx();
        const ClientAddr a = hostaddr ? client_addr(hostaddr) : ClientAddr{};
        tx.client_addr = a.text;
        tx.non_smtp = is_non_smtp(hostaddr, a);
        if (bounded_len(hostname, Limits::kMaxValue) > Limits::kMaxValue) {
            c.overflow = "client name longer than " + std::to_string(Limits::kMaxValue) + " bytes";
        }
        read_macros(api, c, Stage::Connect);
        const ClientFacts facts = client_facts(c.overflow.empty() ? hostname : nullptr,
                                               tx.macro("client_resolve"), tx.macro("_"));
        tx.client_name = facts.name;
        tx.client_resolve = facts.resolve;
        tx.daemon_name = tx.macro("daemon_name");
        // Over a bound: no rule runs on partial data; MAIL will tempfail.
        const bool quiet = quiet_stage(api, Stage::Connect).has_value();
        if (!c.overflow.empty()) return quiet ? SMFIS_NOREPLY : SMFIS_CONTINUE;
        const policy::Verdict v = c.session().connect();
        if (quiet) return quiet_result(c, Stage::Connect, deliver(api, c, v, Stage::Connect, true));
        return deliver(api, c, v, Stage::Connect);
    });
}

sfsistat Milter::helo(MilterApi& api, const char* name) {
    return guarded(api, Stage::Helo, quiet_stage(api, Stage::Helo), "helo", [&] {
        ConnectionContext& c = context(api);
        policy::Transaction& tx = c.tx();
        read_macros(api, c, Stage::Helo);
        tx.tls_version = tx.macro("tls_version");
        if (bounded_len(name, Limits::kMaxValue) > Limits::kMaxValue && c.overflow.empty())
            c.overflow = "HELO name longer than " + std::to_string(Limits::kMaxValue) + " bytes";
        const bool quiet = quiet_stage(api, Stage::Helo).has_value();
        if (!c.overflow.empty()) return quiet ? SMFIS_NOREPLY : SMFIS_CONTINUE;
        const std::string helo = name ? name : "";
        tx.helo = helo;
        const policy::Verdict v = c.session().helo(helo);
        if (quiet) return quiet_result(c, Stage::Helo, deliver(api, c, v, Stage::Helo, true));
        return deliver(api, c, v, Stage::Helo);
    });
}

sfsistat Milter::envfrom(MilterApi& api, char** argv) {
    return guarded(api, Stage::Mail, quiet_stage(api, Stage::Mail), "envfrom", [&] {
        ConnectionContext& c = context(api);
        c.reset_message();
        c.message.open = true;
        policy::Transaction& tx = c.tx();
        read_macros(api, c, Stage::Mail);
        tx.auth_login = tx.macro("auth_authen");
        if (!tx.macro("tls_version").empty()) tx.tls_version = tx.macro("tls_version");
        const char* from = argv && argv[0] ? argv[0] : "";
        if (bounded_len(from, Limits::kMaxValue) > Limits::kMaxValue && c.message.overflow.empty())
            c.message.overflow =
                "sender longer than " + std::to_string(Limits::kMaxValue) + " bytes";
        const bool quiet = quiet_stage(api, Stage::Mail).has_value();
        // Quiet: the first RCPT refuses the message for the same overflow.
        if (!c.overflow.empty() || !c.message.overflow.empty())
            return quiet ? SMFIS_NOREPLY : refuse_overflow(api, c, Stage::Mail);
        // ESMTP arguments follow argv[0] only when there is an argv[0].
        tx.declared_size = argv && argv[0] ? declared_size(argv + 1) : 0;
        const policy::Verdict v = c.session().mail(strip_angles(from));
        if (quiet) return quiet_result(c, Stage::Mail, deliver(api, c, v, Stage::Mail, true));
        return deliver(api, c, v, Stage::Mail);
    });
}

sfsistat Milter::envrcpt(MilterApi& api, char** argv) {
    return guarded(api, Stage::Rcpt, std::nullopt, "envrcpt", [&] {
        ConnectionContext& c = context(api);
        read_macros(api, c, Stage::Rcpt);
        const char* to = argv && argv[0] ? argv[0] : "";
        if (bounded_len(to, Limits::kMaxValue) > Limits::kMaxValue && c.message.overflow.empty())
            c.message.overflow =
                "recipient longer than " + std::to_string(Limits::kMaxValue) + " bytes";
        if (!c.overflow.empty() || !c.message.overflow.empty())
            return refuse_overflow(api, c, Stage::Rcpt);
        // A failure at a stage negotiated without a reply is answered here.
        if (c.error_pending || c.message.error_pending) return on_error(api, Stage::Rcpt);
        return deliver(api, c, c.session().rcpt(strip_angles(to)), Stage::Rcpt);
    });
}

sfsistat Milter::data(MilterApi& api) {
    return guarded(api, Stage::Data, std::nullopt, "data", [&] {
        ConnectionContext& c = context(api);
        read_macros(api, c, Stage::Data);
        if (!c.overflow.empty() || !c.message.overflow.empty())
            return refuse_overflow(api, c, Stage::Data);
        return deliver(api, c, c.session().data(), Stage::Data);
    });
}

sfsistat Milter::header(MilterApi& api, const char* name, const char* value) {
    const sfsistat done = quiet_status(api, SMFIP_NR_HDR);
    return guarded(api, Stage::EndOfData, done, "header", [&] {
        ConnectionContext& c = context(api);
        // The engine bounds what it stores (Limits::kMaxHeaders,
        // kMaxHeaderValue) and logs what it did not store at end of message;
        // libmilter bounds each header by its own maximum data size.
        if (c.message.overflow.empty()) c.session().header(name ? name : "", value ? value : "");
        return done;
    });
}

sfsistat Milter::body(MilterApi& api, const unsigned char* chunk, std::size_t len) {
    const sfsistat done = quiet_status(api, SMFIP_NR_BODY);
    return guarded(api, Stage::EndOfData, done, "body", [&] {
        ConnectionContext& c = context(api);
        // The engine keeps only the first bytes it needs (its own bound) and
        // counts every byte into Transaction::size.
        if (c.message.overflow.empty() && chunk && len)
            c.session().body(std::string_view(reinterpret_cast<const char*>(chunk), len));
        return done;
    });
}

sfsistat Milter::eom(MilterApi& api) {
    return guarded(api, Stage::EndOfData, std::nullopt, "eom", [&] {
        ConnectionContext& c = context(api);
        read_macros(api, c, Stage::EndOfData);
        if (!c.overflow.empty() || !c.message.overflow.empty()) {
            const sfsistat s = refuse_overflow(api, c, Stage::EndOfData);
            c.reset_message();
            return s;
        }
        if (c.message.error_pending) {
            c.reset_message();
            return on_error(api, Stage::EndOfData);
        }
        const sfsistat s = deliver(api, c, c.session().end_of_message(), Stage::EndOfData);
        c.reset_message();
        return s;
    });
}

sfsistat Milter::abort(MilterApi& api) {
    return guarded(api, Stage::EndOfData, SMFIS_CONTINUE, "abort", [&] {
        if (ConnectionContext* c = api.context()) {
            c->session().abort();
            c->record.end_message();
            c->reset_message();
        }
        return SMFIS_CONTINUE;
    });
}

sfsistat Milter::close(MilterApi& api) {
    // close may come without connect (and without a context): nothing to free.
    try {
        std::unique_ptr<ConnectionContext> owned(api.context());
        api.set_context(nullptr);
        // `owned` frees the context here and unpins its Policy.
    } catch (...) {
        log_.log(LogLevel::Error, "close: internal error");
    }
    return SMFIS_CONTINUE;
}

}  // namespace mv::milter
