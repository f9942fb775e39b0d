// SPDX-License-Identifier: Apache-2.0
// decision_log.cpp - renders the decision lines (see decision_log.hpp).
#include "observability/decision_log.hpp"

#include <chrono>

#include "codes/reply_text.hpp"
#include "observability/json_text.hpp"

namespace mv::observability {

namespace {

using codes::Stage;

// Bounds for log fields: addresses per RFC 5321 4.5.3.1 (path 256), names
// per the DNS (255), a reply of several lines fits in 2048.
constexpr std::size_t kAddrMax = 256;
constexpr std::size_t kNameMax = 255;
constexpr std::size_t kReplyMax = 2048;
constexpr std::size_t kRcptShown = 20;
constexpr std::size_t kQueueMax = 32;
constexpr std::size_t kRuleMax = 64;
constexpr std::size_t kMaxMessage = 16384;

std::string field(const std::string& v, std::size_t max) {
    return v.empty() ? std::string("-") : codes::sanitize_value(v, max);
}

std::string addr(const std::string& v) {
    return "<" + codes::sanitize_value(v, kAddrMax) + ">";
}

bool passes(const policy::Verdict& v, Stage stage) {
    return v.action == policy::Action::Continue && stage == Stage::EndOfData;
}

std::string_view prefix_of(const policy::Transaction& tx, std::string_view conn) {
    if (!tx.queue_id.empty()) return {};
    return conn.empty() ? std::string_view("NOQUEUE") : conn;
}

// "PREFIX: decision [conn=C ]client=... stage=STAGE": what every decision starts with.
std::string text_envelope(const policy::Transaction& tx, Stage stage, std::string_view conn) {
    std::string s = log_prefix(tx, conn) + ": decision";
    if (!tx.queue_id.empty() && !conn.empty()) s += " conn=" + std::string(conn);
    s += " client=" + field(tx.client_name, kNameMax) + "[" +
         codes::sanitize_value(tx.client_addr, 64) + "]";
    s += " helo=" + field(tx.helo, kNameMax);
    if (!tx.auth_login.empty())
        s += " sasl_username=" + codes::sanitize_value(tx.auth_login, kNameMax);
    if (stage >= Stage::Mail) s += " from=" + addr(tx.sender);
    if (stage == Stage::Rcpt) {
        s += " rcpt=" + addr(tx.current_rcpt);
    } else if (stage > Stage::Rcpt && !tx.recipients.empty()) {
        s += " rcpt=";
        for (std::size_t i = 0; i < tx.recipients.size() && i < kRcptShown; ++i) {
            if (i) s += ',';
            s += addr(tx.recipients[i]);
        }
        if (tx.recipients.size() > kRcptShown)
            s += ",+" + std::to_string(tx.recipients.size() - kRcptShown);
    }
    s += " stage=" + std::string(codes::stage_name(stage));
    return s;
}

void json_key(std::string& out, const char* key) {
    out += ",\"";
    out += key;
    out += "\":";
}

void json_field(std::string& out, const char* key, std::string_view v, std::size_t max) {
    json_key(out, key);
    if (v.empty())
        out += "null";
    else
        append_json_string(out, v, max);
}

// The fields of every JSON line about a connection. With a stage: sender
// from MAIL on, recipients as decision_log.hpp says; without: sender and
// recipient when known.
std::string json_envelope(const char* event, FrontEnd fe, const policy::Transaction& tx,
                          std::optional<Stage> stage, std::string_view conn) {
    std::string out = "{\"event\":\"";
    out += event;
    out += "\",\"front_end\":\"";
    out += front_end_name(fe);
    out += '"';
    json_field(out, "queue", tx.queue_id, kQueueMax);
    json_field(out, "conn", conn, kQueueMax);
    json_field(out, "client_name", tx.client_name, kNameMax);
    json_field(out, "client_addr", tx.client_addr, 64);
    json_field(out, "helo", tx.helo, kNameMax);
    json_field(out, "sasl_username", tx.auth_login, kNameMax);
    if (!stage) {
        if (!tx.sender.empty()) json_field(out, "sender", tx.sender, kAddrMax);
        if (!tx.current_rcpt.empty()) json_field(out, "recipient", tx.current_rcpt, kAddrMax);
        return out;
    }
    if (*stage >= Stage::Mail) {
        json_key(out, "sender");
        append_json_string(out, tx.sender, kAddrMax);  // "" is the null sender
    }
    if (*stage == Stage::Rcpt) {
        json_field(out, "recipient", tx.current_rcpt, kAddrMax);
        json_key(out, "recipients");
        out += '[';
        append_json_string(out, tx.current_rcpt, kAddrMax);
        out += ']';
    } else if (*stage > Stage::Rcpt) {
        json_key(out, "recipients");
        out += '[';
        for (std::size_t i = 0; i < tx.recipients.size() && i < kRcptShown; ++i) {
            if (i) out += ',';
            append_json_string(out, tx.recipients[i], kAddrMax);
        }
        out += ']';
        if (tx.recipients.size() > kRcptShown) {
            json_key(out, "recipients_more");
            out += std::to_string(tx.recipients.size() - kRcptShown);
        }
    }
    json_key(out, "stage");
    out += '"';
    out += codes::stage_name(*stage);
    out += '"';
    return out;
}

// "reply", "reply_code", "reply_enhanced" of `r` (null without a reply).
void json_reply(std::string& out, const codes::Reply& r) {
    json_field(out, "reply", r.empty() ? std::string() : r.summary(), kReplyMax);
    json_key(out, "reply_code");
    out += r.empty() ? std::string("null") : std::to_string(r.basic);
    json_field(out, "reply_enhanced", r.empty() ? std::string() : r.enhanced, 16);
}

void json_tail(std::string& out, const policy::Transaction& tx, const policy::Verdict& v) {
    json_key(out, "non_smtp");
    out += tx.non_smtp ? "true" : "false";
    json_key(out, "latency_us");
    out += std::to_string(std::chrono::duration_cast<std::chrono::microseconds>(
                              v.timing.evaluated ? v.timing.engine : std::chrono::nanoseconds{0})
                              .count());
    out += '}';
}

std::string reply_text(const codes::Reply& r) {
    return r.empty() ? std::string() : r.summary();
}

}  // namespace

std::string would_be_text(const policy::WouldBe& w) {
    std::string s(policy::action_name(w.action));
    if (!w.reply.empty()) s += " " + w.reply.summary();
    return s;
}

std::string log_prefix(const policy::Transaction& tx, std::string_view conn) {
    if (!tx.queue_id.empty()) return codes::sanitize_value(tx.queue_id, kQueueMax);
    return std::string(prefix_of(tx, conn));
}

std::string format_decision(const policy::Transaction& tx, const policy::Verdict& verdict,
                            Stage stage, FrontEnd fe, std::string_view conn) {
    std::string s = text_envelope(tx, stage, conn);
    s += " rule=" + field(verdict.rule, kRuleMax);
    s += " action=" +
         std::string(passes(verdict, stage) ? "accept" : policy::action_name(verdict.action));
    const std::string reply = reply_text(verdict.reply);
    s += " reply=" +
         (reply.empty() ? std::string("-") : "\"" + codes::sanitize_value(reply, kReplyMax) + "\"");
    if (tx.non_smtp) s += " non_smtp=yes";
    if (fe != FrontEnd::Milter) s += " front_end=" + std::string(front_end_name(fe));
    return s;
}

std::string format_would_be(const policy::Transaction& tx, const policy::WouldBe& would,
                            Stage stage, FrontEnd fe, std::string_view conn) {
    std::string s = text_envelope(tx, stage, conn);
    s += " rule=" + field(would.rule, kRuleMax);
    s += " action=continue reply=- monitor=yes would=\"" +
         codes::sanitize_value(would_be_text(would), kReplyMax) + "\"";
    if (tx.non_smtp) s += " non_smtp=yes";
    if (fe != FrontEnd::Milter) s += " front_end=" + std::string(front_end_name(fe));
    return s;
}

std::string format_note(const policy::Transaction& tx, std::string_view text,
                        std::string_view conn) {
    return log_prefix(tx, conn) + ": " + std::string(text);
}

std::string json_decision(FrontEnd fe, const policy::Transaction& tx,
                          const policy::Verdict& verdict, Stage stage, std::string_view conn) {
    std::string out = json_envelope("decision", fe, tx, stage, conn);
    json_field(out, "rule", verdict.rule, kRuleMax);
    json_key(out, "action");
    out += '"';
    out += passes(verdict, stage) ? "accept" : policy::action_name(verdict.action);
    out += '"';
    json_reply(out, verdict.reply);
    json_key(out, "monitor");
    out += "false";
    json_tail(out, tx, verdict);
    return out;
}

std::string json_would_be(FrontEnd fe, const policy::Transaction& tx,
                          const policy::Verdict& verdict, const policy::WouldBe& would, Stage stage,
                          std::string_view conn) {
    std::string out = json_envelope("decision", fe, tx, stage, conn);
    json_field(out, "rule", would.rule, kRuleMax);
    out +=
        ",\"action\":\"continue\",\"reply\":null,\"reply_code\":null,"
        "\"reply_enhanced\":null,\"monitor\":true,\"would\":{\"action\":\"";
    out += policy::action_name(would.action);
    out += '"';
    json_reply(out, would.reply);
    out += '}';
    json_tail(out, tx, verdict);
    return out;
}

std::string json_rule_line(FrontEnd fe, const policy::Transaction& tx, const policy::LogLine& line,
                           Stage stage, std::string_view conn) {
    std::string out = json_envelope("rule", fe, tx, stage, conn);
    json_field(out, "rule", line.rule, kRuleMax);
    json_field(out, "action", line.action, 16);
    json_field(out, "message", line.text, kMaxMessage);
    out += '}';
    return out;
}

std::string json_note(FrontEnd fe, const policy::Transaction& tx, std::string_view text,
                      std::optional<Stage> stage, std::string_view conn) {
    std::string out = json_envelope("log", fe, tx, stage, conn);
    json_field(out, "message", text, kMaxMessage);
    out += '}';
    return out;
}

}  // namespace mv::observability
