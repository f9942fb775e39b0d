// SPDX-License-Identifier: Apache-2.0
// redis_admin.hpp - list and remove the records of the Redis store (milter-verdict state).
//
// Key layout (the scripts of redis_scripts.hpp write it; milter-verdict(8),
// STATE KEYS, documents it): PREFIX + "g:" + triplet key, a hash with fields
// f (first seen, ms since the epoch), p ("1" passed, "0" pending) and e
// (expiry, ms); PREFIX + "c:" + client key, fields n (passed triplets) and e;
// PREFIX + "r:" + rate key, fields sLENGTH and cLENGTH (window start in ms
// and count, per window length in ms). Every key has a TTL (PEXPIRE).
//
// redis_select() walks the database with SCAN (MATCH PREFIX*), never KEYS,
// so a large database is not blocked; a key whose content is not one of
// these (another program's key under the same prefix) is skipped. Records
// come back as the embedded store's (key without prefix and kind, Entry).
// redis_erase() deletes what redis_select() picks, key by key (DEL);
// redis_get() and redis_delete() go to one key directly.
//
// Errors: "" on success, else the store's message (Redis unreachable, ...).
//
// Thread contract: as RedisStore (any thread).
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "state/memory_store.hpp"
#include "state/redis_store.hpp"
#include "state/state_file.hpp"

namespace mv::state {

std::string redis_select(RedisStore& store, const MemoryStore::Pick& pick, std::size_t limit,
                         std::vector<Record>& out);
std::string redis_erase(RedisStore& store, const MemoryStore::Pick& pick, std::size_t& removed);
// One record by kind and key (no SCAN): `found` says whether it is there.
std::string redis_get(RedisStore& store, Entry::Kind kind, const std::string& key, Record& out,
                      bool& found);
std::string redis_delete(RedisStore& store, Entry::Kind kind, const std::string& key, bool& found);

}  // namespace mv::state
