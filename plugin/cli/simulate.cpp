// simulate.cpp - `milter-verdict simulate`: run transactions through the policy offline.
//
//   simulate [-c FILE] --client ADDR [--client-name NAME] [--client-resolve OK|FAIL|...]
//            [--helo NAME] --from ADDR --rcpt ADDR [--rcpt ADDR]... [--auth LOGIN] [--tls]
//            [--macro NAME=VALUE]... [--header 'Name: value']... [--body FILE] [--size N]
//            [--non-smtp] [--state memory|redis] [--mta postfix|sendmail]
//   simulate [-c FILE] --file TRANSACTIONS [--state memory|redis] [--mta postfix|sendmail]
//
// --mta sendmail prints the reply lines as Sendmail sends them
// (sendmail_reply.hpp); postfix, the default, as written.
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

#include "cli/commands.hpp"
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
           "           [--state memory|redis] [--mta postfix|sendmail]\n"
           "       milter-verdict simulate [-c FILE] --file TRANSACTIONS [--state memory|redis]\n"
           "           [--mta postfix|sendmail]\n";
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
    Mta mta = Mta::Postfix;
    SimInput one;
    bool any_option = false;
    for (std::size_t i = 0; i < args.size(); ++i) {
        const std::string& a = args[i];
        if (a == "-h" || a == "--help") {
            usage(out);
            return 0;
        }
        const bool takes_value =
            a == "-c" || a == "--config" || a == "--file" || a == "--state" || a == "--mta" ||
            (a.rfind("--", 0) == 0 && sim_key(a.substr(2)) && !sim_flag(a.substr(2)));
        if (takes_value && i + 1 >= args.size()) return bad_usage(err, a + " needs a value");
        if (a == "-c" || a == "--config") {
            config_file = args[++i];
        } else if (a == "--file") {
            tx_file = args[++i];
        } else if (a == "--state") {
            state_backend = args[++i];
            if (state_backend != "memory" && state_backend != "redis")
                return bad_usage(err, "--state must be memory or redis");
        } else if (a == "--mta") {
            const std::string m = args[++i];
            if (m != "postfix" && m != "sendmail")
                return bad_usage(err, "--mta must be postfix or sendmail");
            mta = m == "sendmail" ? Mta::Sendmail : Mta::Postfix;
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
    std::vector<SimInput> inputs;
    if (!tx_file.empty()) {
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
    Simulator sim(r.policy, out, mta);
    int n = 0;
    for (const auto& in : inputs)
        if (!sim.run(in, ++n)) return 1;
    return 0;
}

}  // namespace mv::cli
