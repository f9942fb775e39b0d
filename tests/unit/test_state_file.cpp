// SPDX-License-Identifier: Apache-2.0
// test_state_file.cpp - the embedded store's file format: round trip and corruption.
#include <cppunit/extensions/HelperMacros.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "state/state_file.hpp"

#include <sys/stat.h>
#include <unistd.h>

using namespace mv::state;

namespace {

std::string slurp(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

void spit(const std::string& path, const std::string& text) {
    std::ofstream(path, std::ios::binary | std::ios::trunc) << text;
}

Record rate_record(const std::string& key, std::int64_t expires, std::uint64_t count) {
    Entry e;
    e.kind = Entry::Kind::Rate;
    e.expires_ms = expires;
    e.windows = {{60'000, expires - 60'000, count}};
    return {key, e};
}

}  // namespace

class StateFileTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(StateFileTest);
    CPPUNIT_TEST(testKeysWithAnyByteRoundTrip);
    CPPUNIT_TEST(testRecordsOfEveryKindRoundTrip);
    CPPUNIT_TEST(testExpiredRecordsAreSkippedOnRead);
    CPPUNIT_TEST(testMissingFileIsNotAnError);
    CPPUNIT_TEST(testFifoIsAnErrorAndNeverOpened);
    CPPUNIT_TEST(testTruncatedFileIsCorrupt);
    CPPUNIT_TEST(testEditedNumberFailsChecksum);
    CPPUNIT_TEST(testForeignFileIsCorrupt);
    CPPUNIT_TEST(testSetAsideRenamesWithTimestamp);
    CPPUNIT_TEST(testWriteLeavesNoTemporaryFile);
    CPPUNIT_TEST_SUITE_END();

    std::string dir_;
    std::string path_;

  public:
    void setUp() override {
        char tmpl[] = "/tmp/mv-state-file-XXXXXX";
        CPPUNIT_ASSERT(mkdtemp(tmpl) != nullptr);
        dir_ = tmpl;
        path_ = dir_ + "/state";
    }
    void tearDown() override { std::filesystem::remove_all(dir_); }

    void testKeysWithAnyByteRoundTrip() {
        const std::string key("a b\n%c\x01\xff", 8);
        const std::string enc = encode_key(key);
        CPPUNIT_ASSERT(enc.find(' ') == std::string::npos);
        CPPUNIT_ASSERT(enc.find('\n') == std::string::npos);
        std::string back;
        CPPUNIT_ASSERT(decode_key(enc, back));
        CPPUNIT_ASSERT(back == key);
        CPPUNIT_ASSERT(!decode_key("ab%4", back));
        CPPUNIT_ASSERT(!decode_key("ab%zz", back));
    }

    void testRecordsOfEveryKindRoundTrip() {
        std::vector<Record> in;
        in.push_back(rate_record("rule|192.0.2.1", 2'000'000, 7));
        Entry g;
        g.kind = Entry::Kind::Triplet;
        g.expires_ms = 3'000'000;
        g.triplet = {true, true, 1'000, 3'000'000};
        in.push_back({"192.0.2.0/24|a@b|c d", g});
        Entry c;
        c.kind = Entry::Kind::Client;
        c.expires_ms = 4'000'000;
        c.client = {true, 5, 4'000'000};
        in.push_back({"192.0.2.0/24", c});
        CPPUNIT_ASSERT_EQUAL(std::string(), write_state_file(path_, in));

        const StateFileRead out = read_state_file(path_, 1'000'000);
        CPPUNIT_ASSERT_EQUAL(std::string(), out.error);
        CPPUNIT_ASSERT_EQUAL(std::size_t(3), out.records.size());
        CPPUNIT_ASSERT(out.records[0].first == "rule|192.0.2.1");
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(7), out.records[0].second.windows.at(0).count);
        CPPUNIT_ASSERT(out.records[1].first == "192.0.2.0/24|a@b|c d");
        CPPUNIT_ASSERT(out.records[1].second.triplet.passed);
        CPPUNIT_ASSERT_EQUAL(std::int64_t(1'000), out.records[1].second.triplet.first_ms);
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(5), out.records[2].second.client.passes);
    }

    void testExpiredRecordsAreSkippedOnRead() {
        CPPUNIT_ASSERT_EQUAL(std::string(), write_state_file(path_, {rate_record("old", 100, 1),
                                                                     rate_record("new", 900, 1)}));
        const StateFileRead out = read_state_file(path_, 500);
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), out.records.size());
        CPPUNIT_ASSERT(out.records[0].first == "new");
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), out.expired);
    }

    void testMissingFileIsNotAnError() {
        const StateFileRead out = read_state_file(path_, 0);
        CPPUNIT_ASSERT(out.missing);
        CPPUNIT_ASSERT(out.error.empty());
    }

    // A FIFO named as the state file once hung a reload (under the switch
    // lock, so SIGTERM too): it is refused without being opened. A reader
    // that opened it would block here, with no writer, and the test with it.
    void testFifoIsAnErrorAndNeverOpened() {
        CPPUNIT_ASSERT_EQUAL(0, ::mkfifo(path_.c_str(), 0600));
        const StateFileRead out = read_state_file(path_, 0);
        ::unlink(path_.c_str());
        CPPUNIT_ASSERT(!out.missing);
        CPPUNIT_ASSERT(!out.corrupt);  // nothing to move aside
        CPPUNIT_ASSERT(out.error.find("not a regular file") != std::string::npos);
    }

    void testTruncatedFileIsCorrupt() {
        write_state_file(path_, {rate_record("a", 900, 1), rate_record("b", 900, 2)});
        const std::string text = slurp(path_);
        spit(path_, text.substr(0, text.size() - 10));
        const StateFileRead out = read_state_file(path_, 0);
        CPPUNIT_ASSERT(out.corrupt);
        CPPUNIT_ASSERT(out.error.find("truncated") != std::string::npos);
        CPPUNIT_ASSERT(out.records.empty());
    }

    void testEditedNumberFailsChecksum() {
        write_state_file(path_, {rate_record("a", 900, 1)});
        std::string text = slurp(path_);
        const std::size_t at = text.find(" 1\nend ");  // the record's count
        CPPUNIT_ASSERT(at != std::string::npos);
        text[at + 1] = '0';
        spit(path_, text);
        const StateFileRead out = read_state_file(path_, 0);
        CPPUNIT_ASSERT(out.corrupt);
        CPPUNIT_ASSERT(out.error.find("checksum") != std::string::npos);
    }

    void testForeignFileIsCorrupt() {
        spit(path_, "hello\n");
        const StateFileRead out = read_state_file(path_, 0);
        CPPUNIT_ASSERT(out.corrupt);
        CPPUNIT_ASSERT(out.error.find("line 1") != std::string::npos);
    }

    void testSetAsideRenamesWithTimestamp() {
        spit(path_, "junk");
        std::string err;
        // 2023-11-14T22:13:20Z
        const std::string aside = set_aside(path_, 1'700'000'000'000, err);
        CPPUNIT_ASSERT_EQUAL(path_ + ".corrupt-20231114T221320Z", aside);
        CPPUNIT_ASSERT(!std::filesystem::exists(path_));
        CPPUNIT_ASSERT_EQUAL(std::string("junk"), slurp(aside));
    }

    void testWriteLeavesNoTemporaryFile() {
        CPPUNIT_ASSERT_EQUAL(std::string(), write_state_file(path_, {rate_record("a", 900, 1)}));
        CPPUNIT_ASSERT(!std::filesystem::exists(path_ + ".tmp"));
        CPPUNIT_ASSERT(std::filesystem::exists(path_));
        // A directory that does not exist is an error result, not an exception.
        const std::string err = write_state_file(dir_ + "/no/such/state", {});
        CPPUNIT_ASSERT(err.find("cannot create") != std::string::npos);
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(StateFileTest);
