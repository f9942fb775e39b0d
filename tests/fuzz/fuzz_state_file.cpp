// SPDX-License-Identifier: Apache-2.0
// fuzz_state_file.cpp - the embedded store's file reader, and the store that loads it.
//
// Input: MODE BYTES. MODE bit 0 clear: BYTES is the whole file. Set: BYTES
// are the record lines, and the target writes the header line and a correct
// "end COUNT CHECKSUM" trailer around them, so the records reach the store
// (a fuzzer would almost never guess the checksum).
//
// The file is read with read_state_file(); when it is accepted, it is loaded
// by a MemoryStore (as the daemon does at start), every key is used through
// rate() and greylist() with windows like the record's, and the records are
// written back and read again.
// Properties: a read that fails says why and returns no record; what was
// read writes back to a file that reads as the same records; keys survive
// encode_key/decode_key unchanged.
#include <cinttypes>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>

#include "fuzz_input.hpp"
#include "state/memory_store.hpp"
#include "state/state_file.hpp"

namespace {

using namespace mv::state;

constexpr std::int64_t kNow = 1'700'000'000'000;

std::uint64_t fnv1a(const std::string& s) {
    std::uint64_t h = 1469598103934665603ull;
    for (unsigned char c : s) {
        h ^= c;
        h *= 1099511628211ull;
    }
    return h;
}

std::string wrap(const std::string& body) {
    std::string file = "milter-verdict-state 1\n" + body;
    if (!file.empty() && file.back() != '\n') file += '\n';
    std::size_t lines = 0;
    for (char c : body)
        if (c == '\n') ++lines;
    if (!body.empty() && body.back() != '\n') ++lines;
    char trailer[64];
    std::snprintf(trailer, sizeof trailer, "end %zu %016" PRIx64 "\n", lines, fnv1a(file));
    return file + trailer;
}

bool same(const Entry& a, const Entry& b) {
    if (a.kind != b.kind || a.expires_ms != b.expires_ms) return false;
    switch (a.kind) {
        case Entry::Kind::Rate:
            if (a.windows.size() != b.windows.size()) return false;
            for (std::size_t i = 0; i < a.windows.size(); ++i)
                if (a.windows[i].length_ms != b.windows[i].length_ms ||
                    a.windows[i].start_ms != b.windows[i].start_ms ||
                    a.windows[i].count != b.windows[i].count)
                    return false;
            return true;
        case Entry::Kind::Triplet:
            return a.triplet.first_ms == b.triplet.first_ms && a.triplet.passed == b.triplet.passed;
        case Entry::Kind::Client:
            return a.client.passes == b.client.passes;
    }
    return false;
}

void use_store(const std::string& path, const std::vector<Record>& records) {
    MemoryOptions o;
    o.file = path;
    o.max_entries = 1000;
    auto clock = std::make_shared<FakeClock>(from_ms(kNow));
    MemoryStore store(o, clock);
    store.load();
    for (const Record& r : records) {
        const Entry& e = r.second;
        if (e.kind == Entry::Kind::Rate) {
            RateRequest req;
            req.key = r.first;
            for (const WindowState& w : e.windows)
                req.windows.push_back({Duration(w.length_ms), 10});
            if (check_request(req).empty()) store.rate(req);
        } else {
            GreylistRequest g;
            g.triplet = r.first;
            g.client = e.kind == Entry::Kind::Client ? r.first : "";
            g.client_after = e.kind == Entry::Kind::Client ? 2 : 0;
            g.delay = Duration(300'000);
            g.expiry = Duration(3'600'000);
            g.pass_lifetime = Duration(86'400'000);
            if (check_request(g).empty()) store.greylist(g);
        }
    }
    clock->advance(Duration(86'400'000));
    store.sweep();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    const std::string body(reinterpret_cast<const char*>(data) + 1, size - 1);
    const std::string dir = mv::fuzz::scratch_dir();
    const std::string path = dir + "/state";
    mv::fuzz::write_file(path, (data[0] & 1) ? wrap(body) : body);

    std::string key;
    const std::string encoded = encode_key(body);
    MV_FUZZ_CHECK(decode_key(encoded, key) == (body.size() <= kMaxKey));
    if (body.size() <= kMaxKey) MV_FUZZ_CHECK(key == body);

    const StateFileRead r = read_state_file(path, kNow);
    MV_FUZZ_CHECK(!r.missing);
    if (!r.error.empty()) {
        MV_FUZZ_CHECK(r.records.empty());
        return 0;
    }
    const std::string copy = dir + "/state.copy";
    MV_FUZZ_CHECK(write_state_file(copy, r.records).empty());
    const StateFileRead again = read_state_file(copy, kNow);
    MV_FUZZ_CHECK(again.error.empty());
    MV_FUZZ_CHECK(again.records.size() == r.records.size());
    for (std::size_t i = 0; i < r.records.size(); ++i) {
        MV_FUZZ_CHECK(again.records[i].first == r.records[i].first);
        MV_FUZZ_CHECK(same(again.records[i].second, r.records[i].second));
    }
    use_store(path, r.records);
    return 0;
}
