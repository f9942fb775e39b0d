// SPDX-License-Identifier: Apache-2.0
// store_factory.cpp - build the configured store (see store_factory.hpp).
#include "state/store_factory.hpp"

#include "state/memory_store.hpp"
#include "state/redis_store.hpp"

namespace mv::state {

std::shared_ptr<Store> open_store(const StateSettings& settings, std::shared_ptr<const Clock> clock,
                                  std::string& message, std::function<void(const std::string&)> log,
                                  bool maintenance) {
    message.clear();
    if (settings.backend == "redis") {
        auto store = std::make_shared<RedisStore>(settings.redis, std::move(clock), log);
        if (std::string err = store->ping(); !err.empty())
            message = err + " (rules follow on_backend_error until Redis answers)";
        return store;
    }
    MemoryOptions o;
    o.file = settings.file;
    o.max_entries = settings.max_entries;
    auto store = std::make_shared<MemoryStore>(o, std::move(clock));
    message = store->load();
    if (maintenance) store->start_maintenance(settings.save_interval, std::move(log));
    return store;
}

}  // namespace mv::state
