// SPDX-License-Identifier: Apache-2.0
// test_control.cpp - record selection (control/key_pattern.hpp) and the
// control socket's requests against a real MemoryStore (control/control_server.hpp).
//
// Expected values: the key layout of policy/state_conditions.hpp and the
// protocol and pattern rules written in the two headers.
#include <cppunit/extensions/HelperMacros.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include <memory>
#include <string>

#include "control/control_client.hpp"
#include "control/control_server.hpp"
#include "control/key_pattern.hpp"
#include "state/memory_store.hpp"

namespace mv::control::test {

using state::Entry;

namespace {

Entry entry(Entry::Kind kind) {
    Entry e;
    e.kind = kind;
    e.expires_ms = 1;
    return e;
}

state::GreylistRequest grey(const std::string& triplet) {
    state::GreylistRequest g;
    g.triplet = triplet;
    g.delay = state::Duration(300'000);
    g.expiry = state::Duration(3'600'000);
    g.pass_lifetime = state::Duration(86'400'000);
    return g;
}

}  // namespace

class ControlTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(ControlTest);
    CPPUNIT_TEST(testWordMatchesOneWholePartIgnoringCase);
    CPPUNIT_TEST(testAddressSelectsTheNetworkThatContainsIt);
    CPPUNIT_TEST(testGlobMatchesTheWholeKey);
    CPPUNIT_TEST(testKindsNarrowTheSelection);
    CPPUNIT_TEST(testEscapedBarStaysInsideItsPart);
    CPPUNIT_TEST(testShownKeyRoundTrips);
    CPPUNIT_TEST(testListGetDeleteFlushOnTheEmbeddedStore);
    CPPUNIT_TEST(testBadRequestsAreErrors);
    CPPUNIT_TEST(testSocketServesTheStoreAndIsRemovedAtStop);
    CPPUNIT_TEST(testStaleSocketIsReplacedLiveOneAndFilesAreNot);
    CPPUNIT_TEST(testDefaultPathIsBesideTheStateFile);
    CPPUNIT_TEST_SUITE_END();

    std::string dir_;

    static std::string tmpdir() {
        char tmpl[] = "/tmp/mv-control-XXXXXX";
        CPPUNIT_ASSERT(::mkdtemp(tmpl) != nullptr);
        return tmpl;
    }

  public:
    void testWordMatchesOneWholePartIgnoringCase() {
        const std::string key = "grey|192.0.2.0/24|alice@example.org|bob@example.net";
        const Entry g = entry(Entry::Kind::Triplet);
        for (const char* p : {"grey", "ALICE@example.org", "bob@example.net", "192.0.2.0/24"})
            CPPUNIT_ASSERT_MESSAGE(p, (Selection{"gcr", p}.matches(key, g)));
        for (const char* p : {"alice", "example.org", "gre", "192.0.2"})
            CPPUNIT_ASSERT_MESSAGE(p, !(Selection{"gcr", p}.matches(key, g)));
    }

    void testAddressSelectsTheNetworkThatContainsIt() {
        const Entry g = entry(Entry::Kind::Triplet);
        const std::string v4 = "grey|192.0.2.0/24|a@b|c@d";
        CPPUNIT_ASSERT((Selection{"gcr", "192.0.2.77"}.matches(v4, g)));
        CPPUNIT_ASSERT(!(Selection{"gcr", "192.0.3.77"}.matches(v4, g)));
        const std::string v6 = "grey|2001:db8:1:2::/64|a@b|c@d";
        CPPUNIT_ASSERT((Selection{"gcr", "2001:db8:1:2::99"}.matches(v6, g)));
        CPPUNIT_ASSERT(!(Selection{"gcr", "2001:db8:1:3::99"}.matches(v6, g)));
        // A rate key by client holds the address itself.
        CPPUNIT_ASSERT((Selection{"gcr", "192.0.2.77"}.matches("per-client|192.0.2.77",
                                                               entry(Entry::Kind::Rate))));
    }

    void testGlobMatchesTheWholeKey() {
        const Entry g = entry(Entry::Kind::Triplet);
        const std::string key = "grey|192.0.2.0/24|alice@example.org|bob@example.net";
        CPPUNIT_ASSERT((Selection{"gcr", "grey|192.0.2.0/24|*"}.matches(key, g)));
        CPPUNIT_ASSERT((Selection{"gcr", "*ALICE*"}.matches(key, g)));
        CPPUNIT_ASSERT((Selection{"gcr", "*"}.matches(key, g)));
        CPPUNIT_ASSERT((Selection{"gcr", ""}.matches(key, g)));
        CPPUNIT_ASSERT(!(Selection{"gcr", "other|*"}.matches(key, g)));
        CPPUNIT_ASSERT(!(Selection{"gcr", "grey|?"}.matches(key, g)));
    }

    void testKindsNarrowTheSelection() {
        CPPUNIT_ASSERT(!(Selection{"g", "*"}.matches("x|1", entry(Entry::Kind::Rate))));
        CPPUNIT_ASSERT((Selection{"r", "*"}.matches("x|1", entry(Entry::Kind::Rate))));
        CPPUNIT_ASSERT_EQUAL(std::string("gc"), parse_kinds("greylist"));
        CPPUNIT_ASSERT_EQUAL(std::string("gcr"), parse_kinds("all"));
        CPPUNIT_ASSERT_EQUAL(std::string("r"), parse_kinds("rate"));
        CPPUNIT_ASSERT_EQUAL(std::string(), parse_kinds("gx"));
        CPPUNIT_ASSERT_EQUAL(std::string(), parse_kinds("nope"));
    }

    void testEscapedBarStaysInsideItsPart() {
        // policy::append_key_part escapes '|' and '\' by '\'.
        const auto parts = key_parts("r|a\\|b|c\\\\");
        CPPUNIT_ASSERT_EQUAL(std::size_t(3), parts.size());
        CPPUNIT_ASSERT_EQUAL(std::string("a|b"), parts[1]);
        CPPUNIT_ASSERT_EQUAL(std::string("c\\"), parts[2]);
        CPPUNIT_ASSERT((Selection{"gcr", "a|b"}.matches("r|a\\|b|c", entry(Entry::Kind::Rate))));
        CPPUNIT_ASSERT(!(Selection{"gcr", "b"}.matches("r|a\\|b|c", entry(Entry::Kind::Rate))));
    }

    void testShownKeyRoundTrips() {
        const std::string key = "grey|10.0.0.0/24|a b@x|%y";
        const std::string shown = shown_key(Entry::Kind::Triplet, key);
        CPPUNIT_ASSERT_EQUAL(std::string("g:grey|10.0.0.0/24|a%20b@x|%25y"), shown);
        Entry::Kind kind = Entry::Kind::Rate;
        std::string back;
        CPPUNIT_ASSERT(parse_shown_key(shown, kind, back));
        CPPUNIT_ASSERT(kind == Entry::Kind::Triplet);
        CPPUNIT_ASSERT_EQUAL(key, back);
        CPPUNIT_ASSERT(!parse_shown_key("grey|x", kind, back));
        CPPUNIT_ASSERT(!parse_shown_key("x:grey", kind, back));
        CPPUNIT_ASSERT(!parse_shown_key("g:", kind, back));
    }

    void testListGetDeleteFlushOnTheEmbeddedStore() {
        auto clock = std::make_shared<state::FakeClock>();
        state::MemoryStore store({1000, "", 4}, clock);
        store.greylist(grey("grey|192.0.2.0/24|a@x|b@y"));
        store.greylist(grey("grey|198.51.100.0/24|c@x|d@y"));
        state::RateRequest rate;
        rate.key = "limit|a@x";
        rate.windows = {{state::Duration(60'000), 10}};
        store.rate(rate);

        const std::string all = answer_request("list gcr * 100", &store);
        CPPUNIT_ASSERT(all.ends_with("ok 3\n"));
        const std::string one = answer_request("list gcr 192.0.2.1 100", &store);
        CPPUNIT_ASSERT_EQUAL(std::string("g grey|192.0.2.0/24|a@x|b@y 1700003600000 1700000000000 "
                                         "0\nok 1\n"),
                             one);
        CPPUNIT_ASSERT(answer_request("list r * 100", &store).starts_with("r limit|a@x "));
        CPPUNIT_ASSERT(answer_request("list gcr * 1", &store).ends_with("ok 1\n"));
        CPPUNIT_ASSERT_EQUAL(
            std::string("r limit|a@x 1700000060000 1 60000 1700000000000 1\nok 1\n"),
            answer_request("get r:limit|a@x", &store));
        CPPUNIT_ASSERT_EQUAL(std::string("ok 0\n"), answer_request("get g:limit|a@x", &store));

        CPPUNIT_ASSERT_EQUAL(std::string("ok 1\n"),
                             answer_request("delete g:grey|192.0.2.0/24|a@x|b@y", &store));
        CPPUNIT_ASSERT_EQUAL(std::string("ok 0\n"),
                             answer_request("delete g:grey|192.0.2.0/24|a@x|b@y", &store));
        // Deleted: the triplet is new again (deferred for the whole delay).
        clock->advance(state::Duration(400'000));
        CPPUNIT_ASSERT(!store.greylist(grey("grey|192.0.2.0/24|a@x|b@y")).passes());
        CPPUNIT_ASSERT(store.greylist(grey("grey|198.51.100.0/24|c@x|d@y")).passes());

        CPPUNIT_ASSERT_EQUAL(std::string("ok 2\n"), answer_request("flush g *", &store));
        CPPUNIT_ASSERT_EQUAL(std::string("ok 0\n"), answer_request("list g * 100", &store));
        // The rate counter's window (60 s) has closed: expired records are not listed.
        CPPUNIT_ASSERT_EQUAL(std::string("ok 0\n"), answer_request("list r * 100", &store));
    }

    void testBadRequestsAreErrors() {
        state::MemoryStore store({1000, "", 1}, std::make_shared<state::FakeClock>());
        for (const char* req : {"", "frob", "list", "list gcr *", "list zz * 10", "list gcr * -1",
                                "get", "get grey|x", "delete x:y", "flush gcr"})
            CPPUNIT_ASSERT_MESSAGE(req, answer_request(req, &store).starts_with("error "));
        CPPUNIT_ASSERT(
            answer_request("list gcr * 10", nullptr).starts_with("error no state store"));
    }

    void testSocketServesTheStoreAndIsRemovedAtStop() {
        const std::string dir = tmpdir();
        const std::string path = dir + "/control";
        auto store = std::make_shared<state::MemoryStore>(state::MemoryOptions{1000, "", 2},
                                                          std::make_shared<state::FakeClock>());
        store->greylist(grey("grey|192.0.2.0/24|a@x|b@y"));
        std::string error;
        auto server = ControlServer::start(
            path, [&] { return store; }, error);
        CPPUNIT_ASSERT_MESSAGE(error, server != nullptr);
        struct stat st {};
        CPPUNIT_ASSERT(::lstat(path.c_str(), &st) == 0 && S_ISSOCK(st.st_mode));
        CPPUNIT_ASSERT_EQUAL(0600u, static_cast<unsigned>(st.st_mode & 07777));

        std::vector<state::Record> records;
        std::size_t n = 0;
        CPPUNIT_ASSERT_EQUAL(std::string(), control_request(path, "list gcr * 10", records, n));
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), n);
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), records.size());
        CPPUNIT_ASSERT_EQUAL(std::string("grey|192.0.2.0/24|a@x|b@y"), records[0].first);
        CPPUNIT_ASSERT(records[0].second.kind == Entry::Kind::Triplet);
        records.clear();
        CPPUNIT_ASSERT_EQUAL(std::string("unknown request 'frob' (list, get, delete, flush)"),
                             control_request(path, "frob", records, n));
        CPPUNIT_ASSERT_EQUAL(
            std::string(), control_request(path, "delete g:grey|192.0.2.0/24|a@x|b@y", records, n));
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), n);
        CPPUNIT_ASSERT_EQUAL(std::size_t(0), store->size());

        server.reset();
        CPPUNIT_ASSERT(::access(path.c_str(), F_OK) != 0);
        CPPUNIT_ASSERT(
            control_request(path, "list gcr * 10", records, n).starts_with("cannot connect"));
        std::filesystem::remove_all(dir);
    }

    void testStaleSocketIsReplacedLiveOneAndFilesAreNot() {
        const std::string dir = tmpdir();
        const std::string path = dir + "/control";
        // A socket file nobody listens on: what a crash leaves.
        const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
        sockaddr_un sa{};
        sa.sun_family = AF_UNIX;
        std::snprintf(sa.sun_path, sizeof sa.sun_path, "%s", path.c_str());
        CPPUNIT_ASSERT(::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0);
        ::close(fd);
        std::string error;
        auto getter = [] { return std::shared_ptr<state::Store>(); };
        auto first = ControlServer::start(path, getter, error);
        CPPUNIT_ASSERT_MESSAGE(error, first != nullptr);
        // A daemon answers there: a second one must not take it over.
        auto second = ControlServer::start(path, getter, error);
        CPPUNIT_ASSERT(second == nullptr);
        CPPUNIT_ASSERT_EQUAL("control socket " + path + ": another process answers there", error);
        first.reset();
        // Not a socket: never removed.
        std::ofstream(path) << "data\n";
        CPPUNIT_ASSERT(ControlServer::start(path, getter, error) == nullptr);
        CPPUNIT_ASSERT_EQUAL("control socket " + path + ": exists and is not a socket", error);
        CPPUNIT_ASSERT(std::filesystem::is_regular_file(path));
        std::filesystem::remove_all(dir);
    }

    void testDefaultPathIsBesideTheStateFile() {
        state::StateSettings s;
        CPPUNIT_ASSERT_EQUAL(std::string("/var/lib/milter-verdict/control"),
                             control_socket_path(s));
        s.control_socket = "/run/mv/ctl";
        CPPUNIT_ASSERT_EQUAL(std::string("/run/mv/ctl"), control_socket_path(s));
        s.control_socket.clear();
        s.file.clear();
        CPPUNIT_ASSERT_EQUAL(std::string(), control_socket_path(s));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(ControlTest);

}  // namespace mv::control::test
