// SPDX-License-Identifier: Apache-2.0
// responder.cpp - requests to engine calls, verdicts to actions (see responder.hpp).
#include "policy_service/responder.hpp"

#include <exception>
#include <optional>
#include <stdexcept>

#include "codes/reply_text.hpp"
#include "observability/decision_log.hpp"
#include "policy_service/action.hpp"

namespace mv::policy_service {

namespace {

using codes::Stage;
using milter::LogLevel;
using policy::Action;
using policy::Verdict;

// The SMTP session a request belongs to: its TCP connection to smtpd, or, from
// a Postfix without client_port (before 3.0), its message; "" = untracked.
std::string identity(const Request& r) {
    if (!r.get(Attr::ClientPort).empty()) {
        std::string k = "c|";
        for (Attr a :
             {Attr::ClientAddress, Attr::ClientPort, Attr::ServerAddress, Attr::ServerPort}) {
            k += r.get(a);
            k += '|';
        }
        return k;
    }
    if (!r.get(Attr::Instance).empty()) return "i|" + r.get(Attr::Instance);
    return {};
}

std::string request_key(const Request& r) {
    std::string k(protocol_state_name(r.state));
    for (Attr a : {Attr::Instance, Attr::Sender, Attr::Recipient, Attr::HeloName}) {
        k += '\n';
        k += r.get(a);
    }
    return k;
}

// RFC 3461 xtext, as Postfix encodes ccert_* values: "+XX" is the byte 0xXX.
std::string xtext_decode(std::string_view v) {
    const auto hex = [](char c) -> int {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        return -1;
    };
    std::string out;
    out.reserve(v.size());
    for (std::size_t i = 0; i < v.size(); ++i) {
        if (v[i] == '+' && i + 2 < v.size() && hex(v[i + 1]) >= 0 && hex(v[i + 2]) >= 0) {
            out += static_cast<char>(hex(v[i + 1]) * 16 + hex(v[i + 2]));
            i += 2;
        } else {
            out += v[i];
        }
    }
    return out;
}

void set_macro(policy::Transaction& tx, std::string_view name, std::string_view value) {
    auto it = tx.macros.find(name);
    if (it != tx.macros.end())
        it->second.assign(value.data(), value.size());
    else
        tx.macros.emplace(std::string(name), std::string(value));
}

std::string client_resolve(const Request& r) {
    const auto known = [&](Attr a) {
        const std::string& v = r.get(a);
        return !v.empty() && v != "unknown";
    };
    if (known(Attr::ClientName)) return "OK";
    if (known(Attr::ReverseClientName)) return "FORGED";
    return "TEMP";
}

// The Transaction's fields and macros from the request's attributes.
void fill(policy::Transaction& tx, const Request& r) {
    tx.no_content = true;  // the policy protocol carries no headers or body
    tx.client_addr = r.get(Attr::ClientAddress);
    tx.client_name = r.get(Attr::ClientName).empty() ? "unknown" : r.get(Attr::ClientName);
    tx.client_resolve = client_resolve(r);
    tx.auth_login = r.get(Attr::SaslUsername);
    tx.tls_version = r.get(Attr::EncryptionProtocol);
    tx.queue_id = r.get(Attr::QueueId);
    set_macro(tx, "i", r.get(Attr::QueueId));
    set_macro(tx, "client_addr", r.get(Attr::ClientAddress));
    set_macro(tx, "client_name", tx.client_name);
    set_macro(tx, "client_port", r.get(Attr::ClientPort));
    set_macro(tx, "client_ptr", r.get(Attr::ReverseClientName));
    set_macro(tx, "client_resolve", tx.client_resolve);
    set_macro(tx, "daemon_addr", r.get(Attr::ServerAddress));
    set_macro(tx, "daemon_port", r.get(Attr::ServerPort));
    set_macro(tx, "auth_type", r.get(Attr::SaslMethod));
    set_macro(tx, "auth_authen", r.get(Attr::SaslUsername));
    set_macro(tx, "auth_author", r.get(Attr::SaslSender));
    set_macro(tx, "tls_version", r.get(Attr::EncryptionProtocol));
    set_macro(tx, "cipher", r.get(Attr::EncryptionCipher));
    set_macro(tx, "cipher_bits",
              r.get(Attr::EncryptionKeysize) == "0" ? "" : r.get(Attr::EncryptionKeysize));
    set_macro(tx, "cert_subject", xtext_decode(r.get(Attr::CcertSubject)));
    set_macro(tx, "cert_issuer", xtext_decode(r.get(Attr::CcertIssuer)));
    set_macro(tx, "mail_addr", r.get(Attr::Sender));
    set_macro(tx, "rcpt_addr", r.get(Attr::Recipient));
}

const policy::Rule* rule_named(const policy::Policy& p, const std::string& name) {
    if (name.empty()) return nullptr;
    for (const auto& rule : p.rules)
        if (rule.name == name) return &rule;
    return nullptr;
}

}  // namespace

Responder::Responder(PolicySource policies, milter::Logger& log, bool accept_ok,
                     std::size_t capacity, std::chrono::seconds idle,
                     const observability::Recorder* recorder)
    : policies_(std::move(policies)),
      log_(log),
      own_recorder_(log),
      recorder_(recorder ? recorder : &own_recorder_),
      accept_ok_(accept_ok),
      table_(capacity, idle) {}

const std::vector<std::string_view>& Responder::macros() {
    // Keep in step with fill() (test_policy_responder checks each is set).
    static const std::vector<std::string_view> names = {
        "i",          "client_addr",    "client_name",  "client_port",
        "client_ptr", "client_resolve", "daemon_addr",  "daemon_port",
        "auth_type",  "auth_authen",    "auth_author",  "tls_version",
        "cipher",     "cipher_bits",    "cert_subject", "cert_issuer",
        "mail_addr",  "rcpt_addr"};
    return names;
}

bool Responder::may_block(const policy::Policy& p) {
    return p.state_slot->needed() && p.settings.state.backend == "redis";
}

void Responder::warn_once(const std::string& key, const std::string& line) {
    {
        std::lock_guard lock(warned_mu_);
        if (warned_.size() >= 4096 || !warned_.insert(key).second) return;
    }
    log_.log(LogLevel::Warning, line);
}

std::string Responder::internal_error(const policy::Policy* p, Stage stage) {
    if (p && p->settings.on_error == Action::Accept) return accept_action(false);
    const auto d =
        codes::default_reply(codes::Disposition::Tempfail, codes::Reason::InternalError, stage);
    return refusal_action({d.basic, d.enhanced, {d.text}});
}

std::string Responder::refusal(const policy::Policy& p, const Verdict& v, Stage stage) {
    const auto disposition =
        v.action == Action::Reject ? codes::Disposition::Reject : codes::Disposition::Tempfail;
    const policy::Rule* rule = rule_named(p, v.rule);
    const bool allow = rule && rule->reply.allow_unregistered;
    bool error = false;
    for (const auto& problem : check_reply(v.reply, disposition, stage, allow, v.disconnect)) {
        const bool is_error = problem.severity == codes::Problem::Severity::Error;
        error = error || is_error;
        const std::string where =
            rule ? rule->file + ":" + std::to_string(rule->line) + ": rule " + rule->name
                 : std::string("engine reply");
        warn_once(v.rule + "|" + std::string(codes::stage_name(stage)) + "|" + problem.message,
                  "policy service: " + where + ": reply " +
                      codes::sanitize_value(v.reply.summary(), 256) + " at " +
                      std::string(codes::stage_command(stage)) + ": " + problem.message +
                      (is_error ? " (sending the default reply instead)" : ""));
    }
    if (!error) return refusal_action(v.reply);
    const auto d = codes::default_reply(disposition, codes::Reason::Policy, stage);
    return refusal_action({d.basic, d.enhanced, {d.text}});
}

std::string Responder::deliver(Entry& e, const Request& r, Stage stage, Verdict& v) {
    policy::Session& s = *e.session;
    const policy::Transaction& tx = s.transaction();
    e.recorder.verdict(tx, v, stage);
    switch (v.action) {
        case Action::Reject:
        case Action::Tempfail:
            return refusal(s.policy(), v, stage);
        case Action::Accept:
            if (stage <= Stage::Helo)
                e.conn_accepted = true;
            else if (stage != Stage::Rcpt)
                e.msg_accepted = true;
            return accept_action(accept_ok_);
        case Action::Discard:
            return discard_action(v.rule);
        case Action::Quarantine:
            return hold_action(v.quarantine_reason.empty() ? "rule " + v.rule
                                                           : v.quarantine_reason);
        case Action::Continue:
            break;
    }
    // A recipient accepted by a rule (rcpt() answers Continue naming it), or
    // a connection or message accepted earlier: accept again.
    if ((stage == Stage::Rcpt && !v.rule.empty()) || e.conn_accepted || e.msg_accepted)
        return accept_action(accept_ok_);
    const auto headers = s.pending_headers();
    if (stage == Stage::EndOfData) {
        if (e.headers_sent < headers.size())
            e.recorder.note(tx, LogLevel::Warning,
                            std::to_string(headers.size() - e.headers_sent) +
                                " header(s) not added: Postfix cannot add headers at "
                                "END-OF-MESSAGE (check the policy service at RCPT or DATA too)",
                            stage);
        return accept_action(false);
    }
    if (stage >= Stage::Mail) {
        while (e.headers_sent < headers.size()) {
            const auto& [name, value] = headers[e.headers_sent++];
            if (auto a = prepend_action(name, value)) return *a;
            e.recorder.note(tx, LogLevel::Warning,
                            "could not add header " + codes::sanitize_value(name, 64), stage);
        }
    }
    (void)r;
    return accept_action(false);
}

std::string Responder::evaluate(Entry& e, const Request& r, Stage stage, std::string_view peer) {
    if (r.state == ProtocolState::Connect || !e.session) {
        // A new SMTP session: the policy in force now, to its end.
        policy::PolicyPtr p = policies_();
        if (!p) throw std::runtime_error("no policy loaded");
        e.reset();
        e.recorder = recorder_->open(observability::FrontEnd::PolicyService, p);
        e.session = std::make_unique<policy::Session>(std::move(p));
        e.session->bound_recipients(max_rcpts_, max_rcpt_bytes_);
    }
    policy::Session& s = *e.session;
    policy::Transaction& tx = s.transaction();
    const policy::Settings& settings = s.policy().settings;
    fill(tx, r);
    s.deliver_at(stage);

    Verdict v;
    std::vector<policy::LogLine> logs;
    std::vector<policy::WouldBe> would;  // monitor-mode would-be decisions of every stage run
    policy::Timing timing;
    bool monitor = false;
    // One engine call: its log lines are kept; a final verdict (or a
    // recipient accepted by a rule) decides the request.
    const auto run = [&](Verdict x, Stage at) {
        const bool decides = x.final() || (at == Stage::Rcpt && !x.rule.empty());
        monitor = monitor || x.monitor;
        for (auto& l : x.log) logs.push_back(std::move(l));
        for (auto& w : x.would) would.push_back(std::move(w));
        timing.evaluated = timing.evaluated || x.timing.evaluated;
        timing.engine += x.timing.engine;
        timing.state_wait += x.timing.state_wait;
        timing.dns_wait += x.timing.dns_wait;
        if (decides) v = std::move(x);
        return decides;
    };
    // The recipient bound: noted at the first recipient of a message that it
    // refuses, logged with the answer below.
    std::string bound;
    const auto rcpt = [&](const std::string& to) {
        if (!e.bound_logged) {
            bound = s.recipient_bound(to);
            e.bound_logged = !bound.empty();
        }
        return run(s.rcpt(to), Stage::Rcpt);
    };
    const auto hold_unless = [&](Stage own) {
        s.hold_early_refusals(stage == own ? std::nullopt : std::optional<bool>(true));
    };

    bool decided = false;
    if (!e.connected) {
        e.connected = true;
        hold_unless(Stage::Connect);
        decided = run(s.connect(), Stage::Connect);
    }
    const std::string& helo = r.get(Attr::HeloName);
    if (!decided && (stage == Stage::Helo || (!helo.empty() && helo != tx.helo))) {
        hold_unless(Stage::Helo);
        decided = run(s.helo(helo), Stage::Helo);
    }
    if (!decided && stage >= Stage::Mail) {
        const std::string& inst = r.get(Attr::Instance);
        bool fresh = !e.in_message;
        if (!fresh && inst != e.instance) {
            if (e.instance_pending && !inst.empty()) {
                e.instance = inst;  // the message begun at the MAIL request
                e.instance_pending = false;
            } else {
                fresh = true;
            }
        }
        if (fresh) {
            e.start_message(inst);
            tx.declared_size = stage < Stage::EndOfData ? r.size : 0;
            hold_unless(Stage::Mail);
            decided = run(s.mail(r.get(Attr::Sender)), Stage::Mail);
        }
    }
    s.hold_early_refusals(std::nullopt);
    if (!decided && stage == Stage::Rcpt) {
        ++e.rcpts;
        decided = rcpt(r.get(Attr::Recipient));
    }
    const bool rcpt_requests = e.rcpts > 0;
    if (!decided && stage >= Stage::Data) {
        if (e.rcpts == 0 && !r.get(Attr::Recipient).empty()) {
            ++e.rcpts;
            decided = rcpt(r.get(Attr::Recipient));
        }
        tx.known_rcpt_count = static_cast<std::size_t>(r.recipient_count);
        if (!decided && (stage == Stage::Data || !e.data_done)) {
            e.data_done = true;
            decided = run(s.data(), Stage::Data);
        }
        if (!decided && stage == Stage::EndOfData) {
            tx.size = r.size;
            decided = run(s.end_of_message(), Stage::EndOfData);
        }
    }
    if (!decided && stage >= Stage::Mail) {
        // What the session keeps for later, delivered now when this request
        // is the last chance: a held refusal at MAIL without delay_reject, and
        // at DATA/END-OF-MESSAGE when no RCPT request delivered it; Discard
        // and Quarantine at once.
        const bool refusals = stage == Stage::Rcpt ||
                              (stage == Stage::Mail && !settings.delay_reject) ||
                              (stage >= Stage::Data && !rcpt_requests);
        decided = run(s.take_pending(stage, refusals, true), stage);
    }
    if (!decided) {
        v = Verdict{};
        v.decided_at = v.delivered_at = stage;
    }
    v.monitor = v.monitor || monitor;
    v.log = std::move(logs);
    v.would = std::move(would);
    v.timing = timing;
    s.deliver_at(std::nullopt);
    std::string a = deliver(e, r, stage, v);
    if (!bound.empty())
        e.recorder.note(
            tx, LogLevel::Warning,
            "policy service: " + std::string(peer) + ": SMTP session " +
                codes::sanitize_value(r.get(Attr::ClientAddress), 64) + " port " +
                codes::sanitize_value(r.get(Attr::ClientPort), 16) +
                " instance=" + codes::sanitize_value(e.instance, 64) + ": " + bound +
                " in one message (policy_max_recipients = " + std::to_string(max_rcpts_) +
                ", policy_max_recipient_bytes = " + std::to_string(max_rcpt_bytes_) +
                "); answering " + a + " to its further recipients",
            stage);
    return a;
}

std::string Responder::answer(const Request& r, std::string_view peer) {
    if (!r.problem.empty()) {
        ++malformed_;
        const auto p = policies_();
        const auto st = engine_stage(r.state);
        const Stage stage = r.problem.rfind("unknown protocol_state", 0) == 0 ||
                                    r.problem.rfind("no protocol_state", 0) == 0 || !st
                                ? Stage::Rcpt
                                : *st;
        const std::string a = internal_error(p.get(), stage);
        log_.log(LogLevel::Warning, "policy service: " + std::string(peer) +
                                        ": malformed request: " + r.problem + "; answered " + a);
        return a;
    }
    const auto stage = engine_stage(r.state);
    if (!stage) return accept_action(false);  // VRFY, ETRN: no engine stage
    const std::string key = identity(r);
    std::shared_ptr<Entry> entry = key.empty() ? std::make_shared<Entry>()
                                               : table_.find(key, std::chrono::steady_clock::now());
    std::lock_guard lock(entry->mu);
    const std::string rkey = request_key(r);
    if (entry->session && r.state != ProtocolState::Connect && rkey == entry->last_key)
        return entry->last_action;
    // An error names the SMTP session (and message) when there is one.
    const auto say = [&](LogLevel level, const std::string& text) {
        if (entry->session)
            entry->recorder.note(entry->session->transaction(), level, text, *stage);
        else
            log_.log(level, text);
    };
    try {
        std::string a = evaluate(*entry, r, *stage, peer);
        entry->last_key = rkey;
        entry->last_action = a;
        return a;
    } catch (const std::exception& ex) {
        ++errors_;
        say(LogLevel::Error, "policy service: " + std::string(peer) +
                                 ": internal error: " + codes::sanitize_value(ex.what(), 256));
    } catch (...) {
        ++errors_;
        say(LogLevel::Error,
            "policy service: " + std::string(peer) + ": internal error: unknown exception");
    }
    // The session's state may be half-updated: forget it.
    policy::PolicyPtr p = entry->session ? nullptr : policies_();
    const policy::Policy* pp = entry->session ? &entry->session->policy() : p.get();
    std::string a = internal_error(pp, *stage);
    say(LogLevel::Info, "policy service: " + std::string(peer) + ": answered " + a);
    entry->session.reset();
    entry->last_key.clear();
    return a;
}

}  // namespace mv::policy_service
