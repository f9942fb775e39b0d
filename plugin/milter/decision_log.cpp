// decision_log.cpp - renders the decision line.
#include "milter/decision_log.hpp"

#include "codes/reply_text.hpp"

namespace mv::milter {

namespace {

// Bounds for log fields: addresses per RFC 5321 4.5.3.1 (path 256), names
// per the DNS (255), a reply of several lines fits in 2048.
constexpr std::size_t kAddrMax = 256;
constexpr std::size_t kNameMax = 255;
constexpr std::size_t kReplyMax = 2048;
constexpr std::size_t kRcptShown = 20;

std::string field(const std::string& v, std::size_t max) {
    return v.empty() ? std::string("-") : codes::sanitize_value(v, max);
}

std::string addr(const std::string& v) {
    return "<" + codes::sanitize_value(v, kAddrMax) + ">";
}

}  // namespace

std::string format_decision(const policy::Transaction& tx, const policy::Verdict& verdict,
                            codes::Stage stage, std::string_view front_end) {
    std::string s = "decision queue=" + field(tx.queue_id, 32);
    s += " client=" + field(tx.client_name, kNameMax) + "[" +
         codes::sanitize_value(tx.client_addr, 64) + "]";
    s += " helo=" + field(tx.helo, kNameMax);
    if (stage >= codes::Stage::Mail) s += " from=" + addr(tx.sender);
    if (stage == codes::Stage::Rcpt) {
        s += " rcpt=" + addr(tx.current_rcpt);
    } else if (stage > codes::Stage::Rcpt && !tx.recipients.empty()) {
        s += " rcpt=";
        for (std::size_t i = 0; i < tx.recipients.size() && i < kRcptShown; ++i) {
            if (i) s += ',';
            s += addr(tx.recipients[i]);
        }
        if (tx.recipients.size() > kRcptShown)
            s += ",+" + std::to_string(tx.recipients.size() - kRcptShown);
    }
    s += " stage=" + std::string(codes::stage_name(stage));
    s += " rule=" + field(verdict.rule, 64);
    const bool passes =
        verdict.action == policy::Action::Continue && stage == codes::Stage::EndOfData;
    s += " action=" + std::string(passes ? "accept" : policy::action_name(verdict.action));
    const std::string reply = verdict.reply.empty() ? std::string() : verdict.reply.summary();
    s += " reply=" +
         (reply.empty() ? std::string("-") : "\"" + codes::sanitize_value(reply, kReplyMax) + "\"");
    if (verdict.monitor) s += " monitor=yes";
    if (tx.non_smtp) s += " non_smtp=yes";
    if (!front_end.empty()) s += " front_end=" + std::string(front_end);
    return s;
}

}  // namespace mv::milter
