// SPDX-License-Identifier: Apache-2.0
// negotiation.cpp - protocol steps, actions and macro lists per policy.
#include "milter/negotiation.hpp"

#include <libmilter/mfapi.h>

#include <algorithm>
#include <set>

namespace mv::milter {

namespace {

// What the glue itself reads, whatever the rules: the connection facts, the
// TLS and SASL facts for the Transaction, and the queue id for the logs at
// every stage where Postfix and Sendmail know it. Sendmail knows "i" from the
// connection on (Postfix from MAIL), and "_" is where the glue reads the
// reverse-DNS status when {client_resolve} is not sent (client_facts.hpp).
std::set<std::string> fixed_macros(codes::Stage stage) {
    using codes::Stage;
    switch (stage) {
        case Stage::Connect:
            return {
                "{daemon_name}", "{client_addr}", "{client_name}", "{client_resolve}", "_", "i"};
        case Stage::Helo:
            return {"{tls_version}", "i"};
        case Stage::Mail:
            return {"i", "{auth_authen}", "{tls_version}"};
        case Stage::Rcpt:
            return {"i"};
        case Stage::Data:
            return {"i"};
        case Stage::EndOfData:
            return {"i"};
    }
    return {};
}

std::string libmilter_name(const std::string& key) {
    if (key.size() <= 1 || key.front() == '{') return key;
    return "{" + key + "}";
}

}  // namespace

int symlist_index(codes::Stage stage) {
    switch (stage) {
        case codes::Stage::Connect:
            return SMFIM_CONNECT;
        case codes::Stage::Helo:
            return SMFIM_HELO;
        case codes::Stage::Mail:
            return SMFIM_ENVFROM;
        case codes::Stage::Rcpt:
            return SMFIM_ENVRCPT;
        case codes::Stage::Data:
            return SMFIM_DATA;
        case codes::Stage::EndOfData:
            return SMFIM_EOM;
    }
    return SMFIM_CONNECT;
}

std::string macro_key(const std::string& name) {
    if (name.size() >= 2 && name.front() == '{' && name.back() == '}')
        return name.substr(1, name.size() - 2);
    return name;
}

std::vector<std::string> macros_for_stage(const policy::Policy& policy, codes::Stage stage) {
    std::set<std::string> names = fixed_macros(stage);
    for (const auto& m : policy.macros_needed(stage)) names.insert(libmilter_name(m));
    return {names.begin(), names.end()};
}

MacroPlan macro_plan(const policy::Policy& policy) {
    MacroPlan plan;
    for (int i = 0; i < codes::kStageCount; ++i) {
        const auto stage = static_cast<codes::Stage>(i);
        plan.by_stage[i] = macros_for_stage(policy, stage);
        std::string list;
        for (const auto& m : plan.by_stage[i]) {
            if (!list.empty()) list += ' ';
            list += m;
        }
        plan.symlists[symlist_index(stage)] = list;
    }
    return plan;
}

unsigned long quiet_steps(const policy::Policy& policy) {
    if (policy.rules.empty()) return 0;  // settled at connect: that reply ends it
    codes::Stage first = codes::Stage::EndOfData;
    for (const auto& rule : policy.rules) first = std::min(first, rule.stage);
    unsigned long steps = 0;
    if (codes::Stage::Connect < first) steps |= SMFIP_NR_CONN;
    if (codes::Stage::Helo < first) steps |= SMFIP_NR_HELO;
    if (codes::Stage::Mail < first) steps |= SMFIP_NR_MAIL;
    return steps;
}

unsigned long quiet_bit(codes::Stage stage) {
    switch (stage) {
        case codes::Stage::Connect:
            return SMFIP_NR_CONN;
        case codes::Stage::Helo:
            return SMFIP_NR_HELO;
        case codes::Stage::Mail:
            return SMFIP_NR_MAIL;
        default:
            return 0;
    }
}

Negotiation negotiate(const policy::Policy& policy, unsigned long offered_actions,
                      unsigned long offered_protocol, const MacroPlan* plan) {
    Negotiation n;
    // Only what the MTA offers: libmilter aborts the connection otherwise. A
    // missing SMFIF_QUARANTINE is logged by the handler when it matters.
    n.actions = (SMFIF_ADDHDRS | SMFIF_QUARANTINE | SMFIF_SETSYMLIST) & offered_actions;

    unsigned long want = SMFIP_NOUNKNOWN | SMFIP_NOEOH;
    want |= policy.needs_headers() ? SMFIP_NR_HDR : SMFIP_NOHDRS;
    want |= policy.needs_body() ? SMFIP_NR_BODY : SMFIP_NOBODY;
    want |= quiet_steps(policy);
    // libmilter offers the SMFIP_NR_* steps even to an MTA without them (it
    // fakes the reply), so masking with the offer never loses a no-reply step.
    n.protocol = want & offered_protocol;

    if (n.actions & SMFIF_SETSYMLIST) {
        if (plan) {
            n.symlists = plan->symlists;
        } else {
            n.symlists = macro_plan(policy).symlists;
        }
    }
    return n;
}

}  // namespace mv::milter
