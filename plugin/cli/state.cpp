// SPDX-License-Identifier: Apache-2.0
// state.cpp - `milter-verdict state`: list, show, delete and flush greylist
// entries and rate-limit counters.
//
//   state [-c FILE | -s SOCKET] list [--kind KIND] [--limit N] [PATTERN]
//   state [-c FILE | -s SOCKET] show KIND:KEY
//   state [-c FILE | -s SOCKET] delete KIND:KEY...
//   state [-c FILE | -s SOCKET] flush [--kind KIND] PATTERN
//
// The options are the command table's (options.cpp); the action is the first
// operand.
//
// The configuration says where the state is: with the embedded store the
// running daemon is asked through its control socket (control_server.hpp;
// -s names another socket and skips the configuration), its file is never
// read or written; with Redis the database is read and changed directly
// (redis_admin.hpp). PATTERN and KIND are those of key_pattern.hpp.
//
// Output: one record a line,
//   g:KEY pending|passed first=TIME expires=TIME
//   c:KEY passes=N expires=TIME
//   r:KEY window=60s count=N start=TIME [window=...] expires=TIME
// (TIME in UTC, RFC 3339; KEY percent-encoded as in the state file, so a
// line's first word can be given back to show and delete); show prints the
// same fields one a line.
//
// Exit: 0 done, 1 show or delete of a record that is not there, 64 usage,
// 69 (EX_UNAVAILABLE) the daemon or Redis cannot be reached, 78 the
// configuration does not load.
//
// Thread contract: called from main() only.
#include <algorithm>
#include <ctime>
#include <memory>

#include "cli/commands.hpp"
#include "config/loader.hpp"
#include "control/control_client.hpp"
#include "control/control_server.hpp"
#include "control/key_pattern.hpp"
#include "state/redis_admin.hpp"
#include "state/redis_store.hpp"

namespace mv::cli {

namespace {

constexpr int kExitUnavailable = 69;

struct StateOptions {
    std::string config = kDefaultConfig;
    std::string socket;  // -s: the control socket, without the configuration
    std::string action;  // list, show, delete, flush
    std::string kinds = "gcr";
    std::size_t limit = 1000;
    std::vector<std::string> operands;  // after the action
};

// The options and operands parse_args() found, checked; "" when they make a
// command, else the usage error.
std::string check_state_args(const ParsedArgs& p, StateOptions& o) {
    o.config = p.value("config", kDefaultConfig);
    o.socket = p.value("socket");
    if (p.has("kind")) {
        const std::string kind = p.value("kind");
        o.kinds = control::parse_kinds(kind);
        if (o.kinds.empty()) return "unknown kind '" + kind + "'";
    }
    if (p.has("limit")) {
        const std::string v = p.value("limit");
        char* end = nullptr;
        const unsigned long long n = std::strtoull(v.c_str(), &end, 10);
        if (v.empty() || *end != '\0' || v[0] == '-' || n == 0 || n > control::kMaxList)
            return "--limit must be 1 to " + std::to_string(control::kMaxList);
        o.limit = static_cast<std::size_t>(n);
    }
    if (!p.operands.empty()) {
        o.action = p.operands.front();
        o.operands.assign(p.operands.begin() + 1, p.operands.end());
    }
    if (o.action == "list") {
        if (o.operands.size() > 1) return "list takes at most one PATTERN";
    } else if (o.action == "show") {
        if (o.operands.size() != 1) return "show takes one KIND:KEY";
    } else if (o.action == "delete") {
        if (o.operands.empty()) return "delete takes KIND:KEY...";
    } else if (o.action == "flush") {
        if (o.operands.size() != 1) return "flush takes one PATTERN (\"*\" for everything)";
    } else {
        return o.action.empty() ? "no action (list, show, delete, flush)"
                                : "unknown action '" + o.action + "'";
    }
    if (o.action == "show" || o.action == "delete")
        for (const auto& k : o.operands) {
            state::Entry::Kind kind;
            std::string key;
            if (!control::parse_shown_key(k, kind, key))
                return "'" + k + "' is not a KIND:KEY (g:..., c:... or r:...)";
        }
    return {};
}

std::string utc(std::int64_t ms) {
    const std::time_t t = static_cast<std::time_t>(ms / 1000);
    std::tm tm{};
    ::gmtime_r(&t, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

std::string seconds(std::int64_t ms) {
    return std::to_string(ms / 1000) + "s";
}

// name=value fields of a record, in list order.
std::vector<std::pair<std::string, std::string>> fields(const state::Entry& e) {
    std::vector<std::pair<std::string, std::string>> f;
    switch (e.kind) {
        case state::Entry::Kind::Triplet:
            f.emplace_back("", e.triplet.passed ? "passed" : "pending");
            f.emplace_back("first", utc(e.triplet.first_ms));
            break;
        case state::Entry::Kind::Client:
            f.emplace_back("passes", std::to_string(e.client.passes));
            break;
        case state::Entry::Kind::Rate:
            for (const auto& w : e.windows) {
                f.emplace_back("window", seconds(w.length_ms));
                f.emplace_back("count", std::to_string(w.count));
                f.emplace_back("start", utc(w.start_ms));
            }
            break;
    }
    f.emplace_back("expires", utc(e.expires_ms));
    return f;
}

void print_line(std::ostream& out, const state::Record& r) {
    out << control::shown_key(r.second.kind, r.first);
    for (const auto& [name, value] : fields(r.second))
        out << ' ' << (name.empty() ? value : name + "=" + value);
    out << '\n';
}

void print_show(std::ostream& out, const state::Record& r) {
    static const char* kinds[] = {"greylist triplet", "greylist client", "rate counter"};
    const int k = r.second.kind == state::Entry::Kind::Triplet  ? 0
                  : r.second.kind == state::Entry::Kind::Client ? 1
                                                                : 2;
    out << "key " << control::shown_key(r.second.kind, r.first) << "\nkind " << kinds[k] << "\n";
    for (const auto& [name, value] : fields(r.second))
        out << (name.empty() ? "status" : name) << ' ' << value << '\n';
}

// Where the records are: the daemon's control socket, or Redis.
class Backend {
  public:
    virtual ~Backend() = default;
    virtual std::string select(const control::Selection& sel, std::size_t limit,
                               std::vector<state::Record>& out) = 0;
    virtual std::string erase(const control::Selection& sel, std::size_t& removed) = 0;
    virtual std::string get(state::Entry::Kind kind, const std::string& key,
                            std::vector<state::Record>& out) = 0;
    virtual std::string remove(state::Entry::Kind kind, const std::string& key, bool& found) = 0;
};

class ControlBackend final : public Backend {
  public:
    explicit ControlBackend(std::string path) : path_(std::move(path)) {}
    std::string select(const control::Selection& sel, std::size_t limit,
                       std::vector<state::Record>& out) override {
        std::size_t n = 0;
        return control::control_request(path_,
                                        "list " + sel.kinds + " " + state::encode_key(sel.pattern) +
                                            " " + std::to_string(limit),
                                        out, n);
    }
    std::string erase(const control::Selection& sel, std::size_t& removed) override {
        std::vector<state::Record> none;
        return control::control_request(
            path_, "flush " + sel.kinds + " " + state::encode_key(sel.pattern), none, removed);
    }
    std::string get(state::Entry::Kind kind, const std::string& key,
                    std::vector<state::Record>& out) override {
        std::size_t n = 0;
        return control::control_request(path_, "get " + control::shown_key(kind, key), out, n);
    }
    std::string remove(state::Entry::Kind kind, const std::string& key, bool& found) override {
        std::vector<state::Record> none;
        std::size_t n = 0;
        const std::string e =
            control::control_request(path_, "delete " + control::shown_key(kind, key), none, n);
        found = n > 0;
        return e;
    }

  private:
    std::string path_;
};

class RedisBackend final : public Backend {
  public:
    explicit RedisBackend(const state::RedisOptions& o)
        : store_(o, std::make_shared<state::SystemClock>()) {}
    std::string select(const control::Selection& sel, std::size_t limit,
                       std::vector<state::Record>& out) override {
        return state::redis_select(
            store_, [&](const std::string& k, const state::Entry& e) { return sel.matches(k, e); },
            limit, out);
    }
    std::string erase(const control::Selection& sel, std::size_t& removed) override {
        return state::redis_erase(
            store_, [&](const std::string& k, const state::Entry& e) { return sel.matches(k, e); },
            removed);
    }
    std::string get(state::Entry::Kind kind, const std::string& key,
                    std::vector<state::Record>& out) override {
        state::Record r;
        bool found = false;
        const std::string e = state::redis_get(store_, kind, key, r, found);
        if (found) out.push_back(std::move(r));
        return e;
    }
    std::string remove(state::Entry::Kind kind, const std::string& key, bool& found) override {
        return state::redis_delete(store_, kind, key, found);
    }

  private:
    state::RedisStore store_;
};

}  // namespace

int state_main(const Args& args, std::ostream& out, std::ostream& err) {
    const CommandSpec& self = *find_command("state");
    const ParsedArgs p = parse_args(self, args);
    if (!p.ok()) return usage_error(self, p.error, err);
    if (p.help()) {
        out << usage(self);
        return 0;
    }
    StateOptions o;
    if (const std::string e = check_state_args(p, o); !e.empty()) return usage_error(self, e, err);
    std::unique_ptr<Backend> backend;
    if (!o.socket.empty()) {
        backend = std::make_unique<ControlBackend>(o.socket);
    } else {
        const config::LoadResult r = config::load_policy(o.config);
        if (!r.ok()) {
            for (const auto& d : r.diagnostics) err << d.to_string() << "\n";
            err << "milter-verdict state: " << o.config << ": configuration not loaded\n";
            return config::kExitConfig;
        }
        const state::StateSettings& s = r.policy->settings.state;
        if (s.backend == "redis") {
            backend = std::make_unique<RedisBackend>(s.redis);
        } else {
            const std::string path = control::control_socket_path(s);
            if (path.empty()) {
                err << "milter-verdict state: " << o.config
                    << " has no control socket (state { file = \"\"; control_socket = \"\"; })\n";
                return config::kExitConfig;
            }
            backend = std::make_unique<ControlBackend>(path);
        }
    }

    control::Selection sel;
    sel.kinds = o.kinds;
    std::string error;
    if (o.action == "list" || o.action == "flush") {
        sel.pattern = o.operands.empty() ? "*" : o.operands[0];
        if (o.action == "list") {
            std::vector<state::Record> found;
            error = backend->select(sel, o.limit, found);
            std::sort(found.begin(), found.end(), [](const auto& a, const auto& b) {
                return std::pair(a.second.kind, a.first) < std::pair(b.second.kind, b.first);
            });
            if (error.empty())
                for (const auto& r : found) print_line(out, r);
        } else {
            std::size_t removed = 0;
            error = backend->erase(sel, removed);
            if (error.empty()) out << "flushed " << removed << "\n";
        }
        if (!error.empty()) {
            err << "milter-verdict state: " << error << "\n";
            return kExitUnavailable;
        }
        return 0;
    }
    int rc = 0;
    for (const std::string& shown : o.operands) {
        state::Entry::Kind kind;
        std::string key;
        control::parse_shown_key(shown, kind, key);
        const std::string wire = control::shown_key(kind, key);  // normalised encoding
        if (o.action == "show") {
            std::vector<state::Record> found;
            error = backend->get(kind, key, found);
            if (error.empty() && found.empty()) {
                err << "milter-verdict state: no record " << wire << "\n";
                rc = 1;
            } else if (error.empty()) {
                print_show(out, found.front());
            }
        } else {
            bool found = false;
            error = backend->remove(kind, key, found);
            if (error.empty() && !found) {
                err << "milter-verdict state: no record " << wire << "\n";
                rc = 1;
            } else if (error.empty()) {
                out << "deleted " << wire << "\n";
            }
        }
        if (!error.empty()) {
            err << "milter-verdict state: " << error << "\n";
            return kExitUnavailable;
        }
    }
    return rc;
}

}  // namespace mv::cli
