// SPDX-License-Identifier: Apache-2.0
// redis_admin.cpp - SCAN, HGETALL and DEL over the store's keys (see redis_admin.hpp).
#include "state/redis_admin.hpp"

#include <hiredis/hiredis.h>

#include <cstdlib>
#include <map>

namespace mv::state {
namespace {

// MATCH pattern for keys beginning with `prefix` (its glob characters escaped).
std::string match_prefix(const std::string& prefix) {
    std::string m;
    for (const char c : prefix) {
        if (c == '*' || c == '?' || c == '[' || c == ']' || c == '\\') m += '\\';
        m += c;
    }
    return m + "*";
}

std::string text(const redisReply* r) {
    return r && (r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_STATUS)
               ? std::string(r->str, r->len)
               : std::string();
}

bool to_i64(const std::string& s, std::int64_t& v) {
    if (s.empty()) return false;
    char* end = nullptr;
    const long long x = std::strtoll(s.c_str(), &end, 10);
    if (*end != '\0') return false;
    v = x;
    return true;
}

// The record stored at `full` (PREFIX + kind + ':' + key); false when the
// key is gone or is not one of ours.
bool read_record(RedisStore& store, const std::string& full, std::size_t prefix_len, Record& rec,
                 std::string& error) {
    if (full.size() < prefix_len + 3 || full[prefix_len + 1] != ':') return false;
    const char kind = full[prefix_len];
    if (kind != 'g' && kind != 'c' && kind != 'r') return false;
    ReplyPtr h = store.command({"HGETALL", full}, error);
    if (!h) return false;
    if (h->type != REDIS_REPLY_ARRAY || h->elements == 0 || h->elements % 2 != 0) return false;
    std::map<std::string, std::string> f;
    for (std::size_t i = 0; i + 1 < h->elements; i += 2)
        f[text(h->element[i])] = text(h->element[i + 1]);
    rec.first = full.substr(prefix_len + 2);
    Entry& e = rec.second;
    e = Entry{};
    switch (kind) {
        case 'g': {
            e.kind = Entry::Kind::Triplet;
            if (!to_i64(f["f"], e.triplet.first_ms) || !to_i64(f["e"], e.expires_ms)) return false;
            e.triplet.present = true;
            e.triplet.passed = f["p"] == "1";
            e.triplet.expires_ms = e.expires_ms;
            return true;
        }
        case 'c': {
            e.kind = Entry::Kind::Client;
            std::int64_t n = 0;
            if (!to_i64(f["n"], n) || n < 0 || !to_i64(f["e"], e.expires_ms)) return false;
            e.client.present = true;
            e.client.passes = static_cast<std::uint64_t>(n);
            e.client.expires_ms = e.expires_ms;
            return true;
        }
        default: {
            e.kind = Entry::Kind::Rate;
            for (const auto& [name, value] : f) {
                if (name.size() < 2 || name[0] != 's') continue;
                WindowState w;
                std::int64_t count = 0;
                if (!to_i64(name.substr(1), w.length_ms) || !to_i64(value, w.start_ms) ||
                    !to_i64(f["c" + name.substr(1)], count) || count < 0)
                    return false;
                w.count = static_cast<std::uint64_t>(count);
                e.windows.push_back(w);
            }
            if (e.windows.empty()) return false;
            ReplyPtr ttl = store.command({"PTTL", full}, error);
            if (!ttl || ttl->type != REDIS_REPLY_INTEGER || ttl->integer < 0) return false;
            e.expires_ms = store.now_ms() + ttl->integer;
            return true;
        }
    }
}

// Calls `visit` with each record of ours under the prefix and its full key;
// stops when `visit` returns false.
template <typename Visit>
std::string walk(RedisStore& store, Visit visit) {
    const std::string& prefix = store.options().prefix;
    const std::string match = match_prefix(prefix);
    std::string cursor = "0";
    std::string error;
    do {
        ReplyPtr r = store.command({"SCAN", cursor, "MATCH", match, "COUNT", "50"}, error);
        if (!r) return error;
        if (r->type != REDIS_REPLY_ARRAY || r->elements != 2 ||
            r->element[1]->type != REDIS_REPLY_ARRAY)
            return "unexpected reply to SCAN";
        cursor = text(r->element[0]);
        for (std::size_t i = 0; i < r->element[1]->elements; ++i) {
            const std::string full = text(r->element[1]->element[i]);
            Record rec;
            if (!read_record(store, full, prefix.size(), rec, error)) {
                if (!error.empty()) return error;
                continue;
            }
            if (!visit(full, rec)) return {};
        }
    } while (cursor != "0" && !cursor.empty());
    return {};
}

}  // namespace

std::string redis_select(RedisStore& store, const MemoryStore::Pick& pick, std::size_t limit,
                         std::vector<Record>& out) {
    const std::int64_t now = store.now_ms();
    return walk(store, [&](const std::string&, Record& rec) {
        if (out.size() >= limit) return false;
        if (rec.second.expires_ms > now && pick(rec.first, rec.second))
            out.push_back(std::move(rec));
        return true;
    });
}

std::string redis_erase(RedisStore& store, const MemoryStore::Pick& pick, std::size_t& removed) {
    removed = 0;
    std::string error;
    std::string walked = walk(store, [&](const std::string& full, Record& rec) {
        if (!pick(rec.first, rec.second)) return true;
        ReplyPtr r = store.command({"DEL", full}, error);
        if (!r) return false;
        if (r->type == REDIS_REPLY_INTEGER) removed += static_cast<std::size_t>(r->integer);
        return true;
    });
    return walked.empty() ? error : walked;
}

std::string redis_get(RedisStore& store, Entry::Kind kind, const std::string& key, Record& out,
                      bool& found) {
    const std::string& prefix = store.options().prefix;
    const std::string full = prefix + static_cast<char>(kind) + ":" + key;
    std::string error;
    found = read_record(store, full, prefix.size(), out, error) &&
            out.second.expires_ms > store.now_ms();
    return error;
}

std::string redis_delete(RedisStore& store, Entry::Kind kind, const std::string& key, bool& found) {
    const std::string full = store.options().prefix + static_cast<char>(kind) + ":" + key;
    std::string error;
    ReplyPtr r = store.command({"DEL", full}, error);
    found = r && r->type == REDIS_REPLY_INTEGER && r->integer > 0;
    return error;
}

}  // namespace mv::state
