// SPDX-License-Identifier: Apache-2.0
// callbacks.cpp - extern "C" entry points: one per stage, one table.
//
// Each entry point wraps libmilter's context in a LibmilterApi and calls the
// matching Milter handler. Handlers never throw; the catch here is the last
// guard so that no exception can cross into C, whatever happens.
#include "milter/callbacks.hpp"

#include <atomic>

#include "milter/libmilter_api.hpp"

namespace mv::milter {

namespace {

std::atomic<Milter*> g_milter{nullptr};

template <typename F>
sfsistat call(SMFICTX* ctx, F&& f) noexcept {
    Milter* m = g_milter.load(std::memory_order_acquire);
    if (!m) return SMFIS_TEMPFAIL;
    try {
        LibmilterApi api(ctx);
        return f(*m, api);
    } catch (...) {
        return SMFIS_TEMPFAIL;
    }
}

extern "C" {

sfsistat mv_negotiate(SMFICTX* ctx, unsigned long f0, unsigned long f1, unsigned long f2,
                      unsigned long f3, unsigned long* pf0, unsigned long* pf1, unsigned long* pf2,
                      unsigned long* pf3) {
    return call(ctx, [&](Milter& m, MilterApi& a) {
        return m.negotiate(a, f0, f1, f2, f3, pf0, pf1, pf2, pf3);
    });
}

sfsistat mv_connect(SMFICTX* ctx, char* hostname, _SOCK_ADDR* hostaddr) {
    return call(ctx, [&](Milter& m, MilterApi& a) { return m.connect(a, hostname, hostaddr); });
}

sfsistat mv_helo(SMFICTX* ctx, char* name) {
    return call(ctx, [&](Milter& m, MilterApi& a) { return m.helo(a, name); });
}

sfsistat mv_envfrom(SMFICTX* ctx, char** argv) {
    return call(ctx, [&](Milter& m, MilterApi& a) { return m.envfrom(a, argv); });
}

sfsistat mv_envrcpt(SMFICTX* ctx, char** argv) {
    return call(ctx, [&](Milter& m, MilterApi& a) { return m.envrcpt(a, argv); });
}

sfsistat mv_data(SMFICTX* ctx) {
    return call(ctx, [&](Milter& m, MilterApi& a) { return m.data(a); });
}

sfsistat mv_header(SMFICTX* ctx, char* name, char* value) {
    return call(ctx, [&](Milter& m, MilterApi& a) { return m.header(a, name, value); });
}

sfsistat mv_body(SMFICTX* ctx, unsigned char* chunk, size_t len) {
    return call(ctx, [&](Milter& m, MilterApi& a) { return m.body(a, chunk, len); });
}

sfsistat mv_eom(SMFICTX* ctx) {
    return call(ctx, [&](Milter& m, MilterApi& a) { return m.eom(a); });
}

sfsistat mv_abort(SMFICTX* ctx) {
    return call(ctx, [&](Milter& m, MilterApi& a) { return m.abort(a); });
}

sfsistat mv_close(SMFICTX* ctx) {
    return call(ctx, [&](Milter& m, MilterApi& a) { return m.close(a); });
}

}  // extern "C"

}  // namespace

bool register_milter(Milter& milter) {
    g_milter.store(&milter, std::memory_order_release);
    smfiDesc desc{};
    desc.xxfi_name = const_cast<char*>("milter-verdict");
    desc.xxfi_version = SMFI_VERSION;
    // Declared here and requested again (masked by the MTA's offer) in
    // negotiate: headers for monitor marks and add_header rules, quarantine,
    // and per-stage macro lists.
    desc.xxfi_flags = SMFIF_ADDHDRS | SMFIF_QUARANTINE | SMFIF_SETSYMLIST;
    desc.xxfi_connect = mv_connect;
    desc.xxfi_helo = mv_helo;
    desc.xxfi_envfrom = mv_envfrom;
    desc.xxfi_envrcpt = mv_envrcpt;
    desc.xxfi_header = mv_header;
    desc.xxfi_eoh = nullptr;  // negotiated away (SMFIP_NOEOH): nothing to do there
    desc.xxfi_body = mv_body;
    desc.xxfi_eom = mv_eom;
    desc.xxfi_abort = mv_abort;
    desc.xxfi_close = mv_close;
    desc.xxfi_unknown = nullptr;  // SMFIP_NOUNKNOWN
    desc.xxfi_data = mv_data;
    desc.xxfi_negotiate = mv_negotiate;
    return smfi_register(desc) == MI_SUCCESS;
}

void unregister_milter() {
    g_milter.store(nullptr, std::memory_order_release);
}

}  // namespace mv::milter
