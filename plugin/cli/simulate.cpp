// simulate.cpp - `milter-verdict simulate`: run transactions through the policy offline.
//
//   simulate [-c FILE] --client ADDR [--client-name NAME] [--client-resolve OK|FAIL|...]
//            [--helo NAME] --from ADDR --rcpt ADDR [--rcpt ADDR]... [--auth LOGIN] [--tls]
//            [--macro NAME=VALUE]... [--header 'Name: value']... [--body FILE] [--size N]
//            [--non-smtp] [--state memory|redis]
//   simulate [-c FILE] --file TRANSACTIONS [--state memory|redis]
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
#include "state/memory_store.hpp"
#include "state/redis_store.hpp"

namespace mv::cli {

namespace {

void usage(std::ostream& err) {
    err << "usage: milter-verdict simulate [-c FILE] --client ADDR [--client-name NAME]\n"
           "           [--client-resolve OK|FAIL|FORGED|TEMP] [--helo NAME] --from ADDR\n"
           "           --rcpt ADDR [--rcpt ADDR]... [--auth LOGIN] [--tls] [--macro "
           "NAME=VALUE]...\n"
           "           [--header 'Name: value']... [--body FILE] [--size N] [--non-smtp]\n"
           "           [--state memory|redis]\n"
           "       milter-verdict simulate [-c FILE] --file TRANSACTIONS [--state memory|redis]\n"
           "       milter-verdict simulate --policy-service [--policy-states RCPT,...] ...\n"
           "       milter-verdict simulate [-c FILE] --policy-service --requests FILE|-\n";
}

int bad_usage(std::ostream& err, const std::string& why) {
    err << "milter-verdict simulate: " << why << "\n";
    usage(err);
    return kExitUsage;
}

}  // namespace

int simulate_main(const Args& args, std::ostream& out, std::ostream& err) {
    std::string config_file = kDefaultConfig;
    std::string tx_file;
    std::string state_backend = "memory";
    bool policy_service = false;
    std::string policy_states = "RCPT", requests;
    SimInput one;
    bool any_option = false;
    for (std::size_t i = 0; i < args.size(); ++i) {
        const std::string& a = args[i];
        if (a == "-h" || a == "--help") {
            usage(out);
            return 0;
        }
        if (a == "--policy-service") {
            policy_service = true;
            continue;
        }
        const bool takes_value =
            a == "-c" || a == "--config" || a == "--file" || a == "--state" ||
            a == "--policy-states" || a == "--requests" ||
            (a.rfind("--", 0) == 0 && sim_key(a.substr(2)) && !sim_flag(a.substr(2)));
        if (takes_value && i + 1 >= args.size()) return bad_usage(err, a + " needs a value");
        if (a == "-c" || a == "--config") {
            config_file = args[++i];
        } else if (a == "--file") {
            tx_file = args[++i];
        } else if (a == "--policy-states") {
            policy_states = args[++i];
        } else if (a == "--requests") {
            requests = args[++i];
        } else if (a == "--state") {
            state_backend = args[++i];
            if (state_backend != "memory" && state_backend != "redis")
                return bad_usage(err, "--state must be memory or redis");
        } else if (a.rfind("--", 0) == 0 && sim_key(a.substr(2))) {
            const std::string key = a.substr(2);
            const std::string value = sim_flag(key) ? "" : args[++i];
            if (const std::string e = sim_apply(one, key, value); !e.empty())
                return bad_usage(err, e);
            any_option = true;
        } else {
            return bad_usage(err, "unknown argument '" + a + "'");
        }
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
        << (s.monitor ? ", monitor mode" : "") << "\n\n";
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
    Simulator sim(r.policy, out);
    int n = 0;
    for (const auto& in : inputs)
        if (!sim.run(in, ++n)) return 1;
    return 0;
}

}  // namespace mv::cli
