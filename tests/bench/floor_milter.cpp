// SPDX-License-Identifier: Apache-2.0
// floor_milter.cpp - mv-floor: the cheapest libmilter milter, the benchmark's floor.
//
//   mv-floor SOCKET        (libmilter form: unix:/path or inet:PORT@127.0.0.1)
//
// Registers every callback (connect, HELO, MAIL, RCPT, DATA, unknown, each
// header, end of headers, body chunks, end of message, abort, close, and
// negotiate keeping libmilter's defaults) and answers continue to each: a
// naive pass-through milter, so what it costs is what libmilter and the
// protocol cost. It runs until SIGTERM/SIGINT (libmilter's own handling).
//
// Exit status: 0 after a clean stop, 1 when libmilter cannot start.
#include <libmilter/mfapi.h>

#include <cstdio>

namespace {

sfsistat on_connect(SMFICTX*, char*, _SOCK_ADDR*) {
    return SMFIS_CONTINUE;
}
sfsistat on_helo(SMFICTX*, char*) {
    return SMFIS_CONTINUE;
}
sfsistat on_envfrom(SMFICTX*, char**) {
    return SMFIS_CONTINUE;
}
sfsistat on_envrcpt(SMFICTX*, char**) {
    return SMFIS_CONTINUE;
}
sfsistat on_header(SMFICTX*, char*, char*) {
    return SMFIS_CONTINUE;
}
sfsistat on_eoh(SMFICTX*) {
    return SMFIS_CONTINUE;
}
sfsistat on_body(SMFICTX*, unsigned char*, size_t) {
    return SMFIS_CONTINUE;
}
sfsistat on_eom(SMFICTX*) {
    return SMFIS_CONTINUE;
}
sfsistat on_abort(SMFICTX*) {
    return SMFIS_CONTINUE;
}
sfsistat on_close(SMFICTX*) {
    return SMFIS_CONTINUE;
}
sfsistat on_unknown(SMFICTX*, const char*) {
    return SMFIS_CONTINUE;
}
sfsistat on_data(SMFICTX*) {
    return SMFIS_CONTINUE;
}
sfsistat on_negotiate(SMFICTX*, unsigned long, unsigned long, unsigned long, unsigned long,
                      unsigned long*, unsigned long*, unsigned long*, unsigned long*) {
    // SMFIS_ALL_OPTS: libmilter negotiates as if this callback were absent,
    // i.e. every registered stage is sent and replied to.
    return SMFIS_ALL_OPTS;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: mv-floor SOCKET\n");
        return 64;
    }
    static char name[] = "mv-floor";
    smfiDesc desc{};
    desc.xxfi_name = name;
    desc.xxfi_version = SMFI_VERSION;
    desc.xxfi_flags = 0;
    desc.xxfi_connect = on_connect;
    desc.xxfi_helo = on_helo;
    desc.xxfi_envfrom = on_envfrom;
    desc.xxfi_envrcpt = on_envrcpt;
    desc.xxfi_header = on_header;
    desc.xxfi_eoh = on_eoh;
    desc.xxfi_body = on_body;
    desc.xxfi_eom = on_eom;
    desc.xxfi_abort = on_abort;
    desc.xxfi_close = on_close;
    desc.xxfi_unknown = on_unknown;
    desc.xxfi_data = on_data;
    desc.xxfi_negotiate = on_negotiate;
    if (smfi_setconn(argv[1]) == MI_FAILURE || smfi_register(desc) == MI_FAILURE ||
        smfi_opensocket(1) == MI_FAILURE) {
        std::fprintf(stderr, "mv-floor: cannot open %s\n", argv[1]);
        return 1;
    }
    return smfi_main() == MI_SUCCESS ? 0 : 1;
}
