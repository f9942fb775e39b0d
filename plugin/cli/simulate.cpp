// SPDX-License-Identifier: Apache-2.0
// simulate.cpp - `milter-verdict simulate`: run transactions through the policy offline.
//
//   simulate [-c FILE] --client ADDR [--client-name NAME] [--client-resolve OK|FAIL|...]
//            [--helo NAME] --from ADDR --rcpt ADDR [--rcpt ADDR]... [--auth LOGIN] [--tls]
//            [--macro NAME=VALUE]... [--header 'Name: value']... [--body FILE] [--size N]
//            [--non-smtp] [--state memory|redis] [--mta postfix|sendmail]
//            [--dns-answer 'NAME TYPE VALUE']... [--dns offline|live]
//   simulate [-c FILE] --file TRANSACTIONS [--state memory|redis] [--mta postfix|sendmail]
//            [--dns offline|live]
//
// --mta sendmail prints the reply lines as Sendmail sends them
// (sendmail_reply.hpp); postfix, the default, as written.
//   simulate --policy-service [--policy-states LIST] TRANSACTION OPTIONS | --file FILE
//   simulate --policy-service --requests FILE|-
//
// --policy-service prints what the Postfix policy service would answer
// instead of the milter's stages (cli/policy_simulator.hpp): the requests of
// check_policy_service in the restriction lists of LIST (default RCPT), or
// raw requests from a file.
//
// Stateful rules (rate_limit, greylist) run against --state: "memory" (the
// default) is a fresh embedded store in this process, empty and never saved
// (the daemon's state file is not read or written), shared by the
// transactions of one --file run; "redis" is the live Redis of the
// configuration's state.redis group: simulate then counts and records
// greylist triplets there like a real transaction would.
//
// DNS rules (dns_list, reverse_dns, sender_domain, rcpt_domain) get their
// answers offline unless --dns live is given: every answer given with
// --dns-answer (on the command line, or in any transaction of --file) is
// known to every transaction of the run and any other question is NXDOMAIN
// (not listed, no such domain), which the "dns" line says; simulate never
// sends a query unless asked. With --dns live they are looked up through the
// configuration's resolver, with its timeout and budget. simulate prints each lookup a rule
// read and its answer, and each list's score. When the policy has a
// reverse_dns rule and neither --client-name nor --client-resolve is given,
// no {client_resolve} is presented, so the daemon's own PTR lookups run.
//
// Loads the configuration as the daemon does (diagnostics on stderr), then
// prints each transaction stage by stage (simulator.hpp). Exit 0 when it ran,
// whatever the verdicts; 78 (EX_CONFIG) when the configuration does not load;
// 64 (EX_USAGE) on bad arguments or a bad transactions file.
//
// Thread contract: called from main() only.
#include <fstream>
#include <iostream>

#include "cli/commands.hpp"
#include "cli/policy_simulator.hpp"
#include "cli/sim_input.hpp"
#include "cli/simulator.hpp"
#include "config/loader.hpp"
#include "dns/evidence.hpp"
#include "dns/table_resolver.hpp"
#include "dns/unbound_resolver.hpp"
#include "state/memory_store.hpp"
#include "state/redis_store.hpp"

namespace mv::cli {

namespace {

int bad_usage(std::ostream& err, const std::string& why) {
    return usage_error(*find_command("simulate"), why, err);
}

}  // namespace

int simulate_main(const Args& args, std::ostream& out, std::ostream& err) {
    const CommandSpec& self = *find_command("simulate");
    const ParsedArgs p = parse_args(self, args);
    if (!p.ok()) return bad_usage(err, p.error);
    if (p.help()) {
        out << usage(self);
        return 0;
    }
    const std::string config_file = p.value("config", kDefaultConfig);
    const std::string tx_file = p.value("file");
    const std::string state_backend = p.value("state", "memory");
    std::string dns_mode = p.value("dns");
    const Mta mta = p.value("mta") == "sendmail" ? Mta::Sendmail : Mta::Postfix;
    const bool policy_service = p.has("policy-service");
    const std::string policy_states = p.value("policy-states", "RCPT");
    const std::string requests = p.value("requests");
    SimInput one;
    bool any_option = false;
    // The transaction's own options, in command-line order (--rcpt, --header).
    for (const auto& [o, value] : p.options) {
        if (!o->long_name || !sim_key(o->long_name)) continue;
        if (const std::string e = sim_apply(one, o->long_name, value); !e.empty())
            return bad_usage(err, e);
        any_option = true;
    }
    std::vector<policy_service::ProtocolState> states;
    if (const std::string e = parse_policy_states(policy_states, states); !e.empty())
        return bad_usage(err, e);
    if (!policy_service && (!requests.empty() || policy_states != "RCPT"))
        return bad_usage(err, "--requests and --policy-states need --policy-service");
    if (!requests.empty() && (any_option || !tx_file.empty()))
        return bad_usage(err, "--requests cannot be combined with transaction options or --file");
    std::ifstream requests_file;
    if (!requests.empty() && requests != "-") {
        requests_file.open(requests, std::ios::binary);
        if (!requests_file) return bad_usage(err, "cannot read requests file " + requests);
    }
    std::vector<SimInput> inputs;
    if (!requests.empty()) {
        // raw requests: no transaction
    } else if (!tx_file.empty()) {
        if (any_option) return bad_usage(err, "--file cannot be combined with transaction options");
        if (const std::string e = parse_sim_file(tx_file, inputs); !e.empty()) {
            err << "milter-verdict simulate: " << e << "\n";
            return kExitUsage;
        }
    } else {
        if (const std::string e = sim_missing(one); !e.empty()) return bad_usage(err, e);
        inputs.push_back(std::move(one));
    }
    for (const auto& in : inputs) {
        if (policy_service && in.non_smtp)
            return bad_usage(err, "--non-smtp: the policy service sees only SMTP sessions");
        if (!in.body_file.empty() && !std::ifstream(in.body_file))
            return bad_usage(err, "cannot read body file " + in.body_file);
    }

    const config::LoadResult r = config::load_policy(config_file);
    for (const auto& d : r.diagnostics) err << d.to_string() << "\n";
    if (!r.ok()) {
        err << "milter-verdict simulate: " << config_file << " does not load (" << r.errors()
            << (r.errors() == 1 ? " error)\n" : " errors)\n");
        return config::kExitConfig;
    }
    const auto& s = r.policy->settings;
    out << "policy  " << config_file << ": " << r.policy->rules.size()
        << (r.policy->rules.size() == 1 ? " rule" : " rules")
        << (s.delay_reject ? ", delay_reject" : ", no delay_reject")
        << (s.monitor ? ", monitor mode" : "")
        << (mta == Mta::Sendmail ? "; replies as Sendmail sends them" : "") << "\n\n";
    if (r.policy->state_slot->needed()) {
        auto clock = std::make_shared<state::SystemClock>();
        std::shared_ptr<state::Store> store;
        if (state_backend == "redis") {
            auto redis = std::make_shared<state::RedisStore>(s.state.redis, clock);
            if (const std::string e = redis->ping(); !e.empty())
                err << "milter-verdict simulate: " << e << "\n";
            store = redis;
        } else {
            state::MemoryOptions o;
            o.file.clear();  // never the daemon's file
            o.max_entries = s.state.max_entries;
            store = std::make_shared<state::MemoryStore>(o, clock);
        }
        out << "state   "
            << (state_backend == "redis" ? store->describe() : "memory, empty, not saved")
            << "\n\n";
        r.policy->state_slot->attach(store);
    }
    if (r.policy->dns_slot->needed()) {
        bool answers = false;
        for (const auto& in : inputs) answers = answers || !in.dns_answers.empty();
        // Offline unless asked: a check before a roll-out must not send the
        // test's addresses to list operators, nor depend on the network.
        if (dns_mode.empty()) dns_mode = "offline";
        std::unique_ptr<dns::Resolver> resolver;
        if (dns_mode == "offline") {
            auto table = std::make_unique<dns::TableResolver>();
            for (const auto& in : inputs)
                for (const auto& spec : in.dns_answers) {
                    dns::Question q;
                    dns::Answer a;
                    dns::parse_answer_spec(spec, q, a);  // checked by sim_apply
                    table->add(q, a);
                }
            resolver = std::move(table);
        } else {
            std::string e;
            resolver = dns::UnboundResolver::create(r.policy->dns->resolver, e);
            if (!resolver) {
                err << "milter-verdict simulate: dns: " << e << "\n";
                return config::kExitConfig;
            }
        }
        dns::ServiceOptions options = dns::service_options(*r.policy->dns);
        // Offline, the test entries of RFC 5782 are not among the answers given.
        options.health_checks = dns_mode == "live";
        auto service = std::make_shared<dns::Service>(
            std::move(resolver), options,
            [&err](dns::Severity, const std::string& line) { err << line << "\n"; });
        if (dns_mode == "offline" && !answers)
            out << "dns     offline, no --dns-answer given: every name is NXDOMAIN, nothing is "
                   "listed; zones not health-checked; --dns live asks the configured resolver\n\n";
        else
            out << "dns     " << service->describe()
                << (dns_mode == "live" ? ""
                                       : "; anything else is NXDOMAIN; zones not health-checked")
                << "\n\n";
        dns::attach_dns(*r.policy, service, nullptr, /*trace=*/true);
    }
    if (policy_service) {
        out << "service Postfix policy delegation: check_policy_service answering ";
        if (!requests.empty()) {
            out << "the requests of " << (requests == "-" ? "standard input" : requests) << "\n\n";
            PolicySimulator psim(r.policy, out);
            return psim.run_requests(requests == "-" ? std::cin : requests_file) ? 0 : 1;
        }
        for (std::size_t i = 0; i < states.size(); ++i)
            out << (i ? ", " : "") << policy_service::protocol_state_name(states[i]);
        out << "\n\n";
        PolicySimulator psim(r.policy, out);
        int n = 0;
        for (const auto& in : inputs)
            if (const std::string e = psim.run(in, ++n, states); !e.empty())
                return bad_usage(err, e);
        return 0;
    }
    Simulator sim(r.policy, out, mta);
    int n = 0;
    for (const auto& in : inputs)
        if (!sim.run(in, ++n)) return 1;
    return 0;
}

}  // namespace mv::cli
