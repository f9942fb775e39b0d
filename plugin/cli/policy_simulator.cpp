// SPDX-License-Identifier: Apache-2.0
// policy_simulator.cpp - requests through the policy service's Responder (see
// policy_simulator.hpp).
#include "cli/policy_simulator.hpp"

#include <algorithm>

#include "codes/reply_text.hpp"
#include "milter/logger.hpp"
#include "policy_service/responder.hpp"

namespace mv::cli {

namespace {

using policy_service::Attr;
using policy_service::ProtocolState;

// Rule lines as simulate prints them: the line's id ("4XyZ1: ",
// "conn-...: ") and the decision line (the daemon's log format) are left
// out; every rule line is shown, debug ones too (as simulate shows them for
// the milter).
class PrintLogger final : public milter::Logger {
  public:
    explicit PrintLogger(std::ostream& out) : out_(out) { set_threshold(milter::LogLevel::Debug); }
    void log(milter::LogLevel level, std::string_view line) override {
        const auto colon = line.find(": ");
        if (colon != std::string_view::npos && line.substr(0, colon).find(' ') == line.npos)
            line.remove_prefix(colon + 2);
        if (line.rfind("decision ", 0) == 0) return;
        out_ << (level <= milter::LogLevel::Warning ? "  warning " : "  log     ") << line << "\n";
    }

  private:
    std::ostream& out_;
};

std::string show(const policy_service::Request& r) {
    std::string s(policy_service::protocol_state_name(r.state));
    for (Attr a : {Attr::ClientAddress, Attr::HeloName, Attr::Sender, Attr::Recipient,
                   Attr::RecipientCount, Attr::Size, Attr::Instance}) {
        if (!r.has(a)) continue;
        if (a == Attr::RecipientCount && (r.get(a).empty() || r.get(a) == "0")) continue;
        if (a == Attr::Size && (r.get(a).empty() || r.get(a) == "0")) continue;
        if (a == Attr::HeloName && r.get(a).empty()) continue;
        if (a == Attr::Recipient && r.get(a).empty()) continue;
        s += " " + std::string(policy_service::attr_name(a)) + "=" +
             codes::sanitize_value(r.get(a), 256);
    }
    return s;
}

}  // namespace

std::string parse_policy_states(const std::string& list, std::vector<ProtocolState>& out) {
    out.clear();
    std::size_t pos = 0;
    while (pos <= list.size()) {
        const auto comma = list.find(',', pos);
        const std::string name =
            list.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
        const auto s = policy_service::parse_protocol_state(name);
        if (!s)
            return "--policy-states: unknown protocol state '" + name +
                   "' (CONNECT, EHLO, MAIL, RCPT, DATA, END-OF-MESSAGE)";
        out.push_back(*s);
        if (comma == std::string::npos) break;
        pos = comma + 1;
    }
    return {};
}

struct PolicySimulator::Impl {
    Impl(policy::PolicyPtr p, std::ostream& o)
        : policy(std::move(p)),
          out(o),
          log(o),
          responder([this] { return policy; }, log, policy->settings.policy_service.accept_ok) {
        const auto& ps = policy->settings.policy_service;
        responder.bound_recipients(ps.max_recipients, ps.max_recipient_bytes);
    }

    policy::PolicyPtr policy;
    std::ostream& out;
    PrintLogger log;
    policy_service::Responder responder;

    std::string answer(const policy_service::Request& r) {
        out << "request " << (r.problem.empty() ? show(r) : "(malformed)") << "\n";
        const std::string a = responder.answer(r, "simulate");
        out << "  action  action=" << a << "\n";
        return a;
    }
};

PolicySimulator::PolicySimulator(policy::PolicyPtr policy, std::ostream& out)
    : impl_(std::make_unique<Impl>(std::move(policy), out)) {}

PolicySimulator::~PolicySimulator() = default;

std::string PolicySimulator::run(const SimInput& in, int number,
                                 const std::vector<ProtocolState>& states) {
    if (in.non_smtp) return "--non-smtp: the policy service sees only SMTP sessions";
    std::ostream& out = impl_->out;
    out << "== transaction " << number << "\n";
    if (!in.macros.empty() || !in.headers.empty() || !in.body_file.empty())
        out << "note    macros, headers and the body are not part of the policy protocol: "
               "ignored\n";
    const std::string port = std::to_string(40000 + number);
    const std::string instance = "sim." + std::to_string(number);
    const std::string name = in.client_name.empty() ? "unknown" : in.client_name;
    const auto request = [&](ProtocolState st, const std::string& rcpt, std::size_t count,
                             bool with_instance) {
        policy_service::Request r;
        const auto set = [&](Attr a, const std::string& v) {
            r.values[static_cast<std::size_t>(a)] = v;
            r.present[static_cast<std::size_t>(a)] = true;
        };
        set(Attr::Request, "smtpd_access_policy");
        set(Attr::ProtocolState, std::string(policy_service::protocol_state_name(st)));
        set(Attr::ProtocolName, "ESMTP");
        set(Attr::ClientAddress, in.client_addr);
        set(Attr::ClientName, name);
        set(Attr::ReverseClientName, name);
        set(Attr::ClientPort, port);
        set(Attr::ServerAddress, "127.0.0.1");
        set(Attr::ServerPort, "25");
        set(Attr::HeloName, st == ProtocolState::Connect ? "" : in.helo);
        set(Attr::Sender, st >= ProtocolState::Mail ? in.sender : "");
        set(Attr::Recipient, rcpt);
        set(Attr::RecipientCount, std::to_string(count));
        set(Attr::Instance, with_instance ? instance : "");
        set(Attr::SaslUsername, in.auth);
        set(Attr::SaslMethod, in.auth.empty() ? "" : "PLAIN");
        set(Attr::EncryptionProtocol, in.tls ? "TLSv1.3" : "");
        set(Attr::Size, std::to_string(in.size));
        r.state = st;
        r.size = in.size;
        r.recipient_count = count;
        return r;
    };
    std::vector<std::string> passed;
    for (ProtocolState st : states) {
        switch (st) {
            case ProtocolState::Rcpt:
                for (const auto& to : in.rcpts) {
                    const std::string a = impl_->answer(request(st, to, 0, true));
                    if (a[0] != '4' && a[0] != '5') passed.push_back(to);
                }
                break;
            case ProtocolState::Data:
            case ProtocolState::EndOfMessage: {
                const auto& rcpts = passed.empty() && std::find(states.begin(), states.end(),
                                                                ProtocolState::Rcpt) == states.end()
                                        ? in.rcpts
                                        : passed;
                if (rcpts.empty()) {
                    out << "result  no recipient accepted: no " << protocol_state_name(st)
                        << " request\n";
                    return {};
                }
                impl_->answer(request(st, rcpts.size() == 1 ? rcpts[0] : "", rcpts.size(), true));
                break;
            }
            default:
                // Postfix assigns the instance after MAIL's restrictions.
                impl_->answer(request(st, "", 0, false));
                break;
        }
    }
    return {};
}

bool PolicySimulator::run_requests(std::istream& in) {
    policy_service::RequestReader reader;
    char buf[4096];
    bool more = true;
    while (more) {
        in.read(buf, sizeof buf);
        const auto n = static_cast<std::size_t>(in.gcount());
        if (n == 0) more = false;
        reader.append(std::string_view(buf, n));
        for (;;) {
            policy_service::Request r;
            const auto st = reader.next(r);
            if (st == policy_service::RequestReader::Status::NeedMore) break;
            if (st == policy_service::RequestReader::Status::Fatal) {
                impl_->out << "closed  " << reader.error()
                           << ": the service closes the connection here\n";
                return false;
            }
            impl_->answer(r);
        }
    }
    if (reader.mid_request()) {
        impl_->out << "closed  input ends in the middle of a request (no empty line): the "
                      "service times out (policy_timeout) and closes the connection\n";
        return false;
    }
    return true;
}

}  // namespace mv::cli
