// SPDX-License-Identifier: Apache-2.0
// state_owner.cpp - open, keep and flush the daemon's store (see state_owner.hpp).
#include "milter/state_owner.hpp"

#include "state/memory_store.hpp"
#include "state/redis_store.hpp"
#include "state/store_factory.hpp"

namespace mv::milter {

void StateOwner::adopt(const policy::Policy& policy) {
    if (!policy.state_slot->needed()) return;
    const state::StateSettings& wanted = policy.settings.state;
    if (store_ && wanted == settings_) {
        policy.state_slot->attach(attached_);
        return;
    }
    if (store_) {
        log_.log(LogLevel::Info, "state settings changed: closing " + store_->describe());
        stop();
    }
    std::string message;
    Logger& log = log_;
    store_ = state::open_store(wanted, clock_, message, [&log](const std::string& err) {
        log.log(LogLevel::Error, "state: " + err);
    });
    settings_ = wanted;
    if (!message.empty()) log_.log(LogLevel::Warning, "state: " + message);
    log_.log(LogLevel::Info, "state store: " + store_->describe());
    attached_ = metrics_ ? metrics_->instrument(store_) : store_;
    policy.state_slot->attach(attached_);
}

void StateOwner::stop() {
    if (!store_) return;
    const std::string err = store_->flush();
    if (!err.empty())
        log_.log(LogLevel::Error, "state: " + err);
    else
        log_.log(LogLevel::Info, "state saved: " + store_->describe());
    // Connections may still hold the old store through their policy: stop its
    // periodic save now, so that it cannot overwrite the file of a new store.
    if (auto* memory = dynamic_cast<state::MemoryStore*>(store_.get())) memory->stop_maintenance();
    if (auto* redis = dynamic_cast<state::RedisStore*>(store_.get())) redis->stop_watch();
    store_.reset();
    attached_.reset();
}

}  // namespace mv::milter
