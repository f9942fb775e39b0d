# milter-verdict - top-level Makefile. `make help` lists the targets.

VERSION    := 0.1.0
PREFIX     ?= /usr/local
DESTDIR    ?=
SBINDIR    ?= $(PREFIX)/sbin
MANDIR     ?= $(PREFIX)/share/man
# bash-completion looks in $XDG_DATA_DIRS/bash-completion/completions (/usr/local/share, /usr/share).
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
SYSCONFDIR ?= /etc

# O is the build directory; SANITIZE=1 builds with ASan and UBSan.
O        ?= build
SANITIZE ?=

CXX      ?= g++
JOBS     ?= $(shell nproc 2>/dev/null || echo 2)
PKGS     := libconfig++ re2 fmt hiredis libidn2
# The sanitizer build (make check's) uses -O1 -g1: -O1 as AddressSanitizer's
# documentation suggests, and line tables are all its reports need; it
# halves the compile time of the unit tests (28 s to 14 s of CPU for one file).
ifeq ($(SANITIZE),1)
CXXFLAGS ?= -O1 -g1
else
CXXFLAGS ?= -O2 -g
endif
CXXFLAGS += -std=c++20 -Wall -Wextra -Wno-unused-parameter -pthread -Iplugin -I$(O)/gen \
            -DMV_VERSION='"$(VERSION)"' -MMD -MP
# libunbound without pkg-config: its .pc file requires libevent's, which Debian does not
# install with libunbound-dev.
LDLIBS   += -lmilter -lunbound -pthread
# The metrics endpoint's HTTP server (plugin/observability/metrics_server.cpp;
# Debian libcivetweb-dev ships no pkg-config file).
LDLIBS   += -lcivetweb
ifeq ($(SANITIZE),1)
CXXFLAGS += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
LDFLAGS  += -fsanitize=address,undefined
endif

# pkg-config is consulted only when the packages are there (deps installs them).
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null)

LIB_SRCS  := $(filter-out plugin/cli/main.cpp,$(wildcard plugin/*/*.cpp))
GEN_SRCS  := $(O)/gen/codes_data.cpp
LIB_OBJS  := $(patsubst %.cpp,$(O)/%.o,$(LIB_SRCS)) $(O)/gen/codes_data.o
TEST_SRCS := $(wildcard tests/unit/*.cpp)
TEST_OBJS := $(patsubst %.cpp,$(O)/%.o,$(TEST_SRCS))
BIN       := $(O)/milter-verdict
UNIT      := $(O)/unit-tests
CODE_DATA := $(wildcard plugin/codes/data/*.csv)

.PHONY: all deps deps-test run check check-unit check-state check-golden check-alerts check-e2e check-sendmail check-ha unit asan-unit \
        install clean help format bench bench-tools man-defaults man-synopsis check-cli

all: $(BIN)

help::
	@echo "milter-verdict $(VERSION) - make targets"
	@echo "  make              build $(BIN)"
	@echo "  make run          install build packages if missing, build, run the daemon in the"
	@echo "                    foreground on config/milter-verdict.conf (inet:8890@127.0.0.1)"
	@echo "  make check        install the build, test and package packages if missing (Postfix,"
	@echo "                    Redis, nsd, build-essential, debhelper, lintian among them), build,"
	@echo "                    run every suite: unit, state, golden, cli, alerts (promtool on the alert"
	@echo "                    rules), fuzz replay, Sendmail (fetched, never installed),"
	@echo "                    end-to-end through a real Postfix (ASan+UBSan build), Redis HA,"
	@echo "                    and the package test (builds, installs, runs and purges the .deb);"
	@echo "                    ends with 'N passed, M failed'"
	@echo "  make check-unit   unit tests only (normal build)"
	@echo "  make check-state  the Redis store's tests against a private redis-server"
	@echo "  make check-golden golden-file tests of explain, check-config and simulate"
	@echo "  make check-cli    the command line: man SYNOPSIS against the option table, mandoc -Tlint"
	@echo "                    and groff on the man pages, --help/usage errors/--version of every"
	@echo "                    command, -t against check-config, the bash completion in bash"
	@echo "  make check-alerts promtool check/test of the Prometheus alert rules"
	@echo "  make check-e2e    end-to-end tests through a private Postfix on loopback"
	@echo "  make check-sendmail end-to-end tests through a private Sendmail on loopback (fetches"
	@echo "                    Debian's sendmail-bin/-cf with apt-get download into build/sendmail,"
	@echo "                    never installs them; as root)"
	@echo "  make check-ha     Redis Sentinel failover under load: a master, a replica, three"
	@echo "                    sentinels, two daemons (about 1 minute; part of make check)"
	@echo "  make bench        benchmarks (engine, milter load generator against a libmilter floor,"
	@echo "                    whole stack through Postfix, every policy shape on inet and unix"
	@echo "                    beside Postfix alone, DNS lists against a private nsd, cost of the"
	@echo "                    metrics endpoint and of scraping a 10,000-rule policy, the Postfix"
	@echo "                    policy service beside the milter); report in $(O)/bench/ (about"
	@echo "                    30 minutes)"
	@echo "  make install      install under DESTDIR/PREFIX (PREFIX=$(PREFIX)); the configuration"
	@echo "                    installed when none exists is config/starter.conf (changes no delivery);"
	@echo "                    the bash completion goes to BASHCOMPDIR=$(BASHCOMPDIR)"
	@echo "  make format       clang-format every source file"
	@echo "  make man-defaults rewrite the defaults table of milter-verdict.conf(5) from"
	@echo "                    'milter-verdict explain --defaults --format man'"
	@echo "  make man-synopsis rewrite the SYNOPSIS of milter-verdict(8) from the option table"
	@echo "                    ('milter-verdict --help')"
	@echo "  make clean        remove build/"
	@echo "  variables: O=DIR build directory, SANITIZE=1 ASan+UBSan build, PREFIX, DESTDIR"

deps:
	@scripts/install-deps.sh build

deps-test:
	@scripts/install-deps.sh build test

$(O)/gen/codes_data.cpp: $(CODE_DATA) scripts/embed-data.sh
	@mkdir -p $(dir $@)
	scripts/embed-data.sh $@ $(CODE_DATA)

$(O)/%.o: %.cpp
	@mkdir -p $(dir $@)
	$(CXX) $(CXXFLAGS) $(PKG_CFLAGS) -c $< -o $@

$(O)/gen/codes_data.o: $(O)/gen/codes_data.cpp
	$(CXX) $(CXXFLAGS) -c $< -o $@

$(O)/libmv.a: $(LIB_OBJS)
	@rm -f $@
	ar rcs $@ $^

# Every binary linked with libmv.a exports its mi_rd_cmd, the macro guard
# that interposes on libmilter's packet reader (plugin/milter/macro_guard.hpp);
# unexported, libmilter's engine would keep calling its own. GNU ld already
# exports an executable's definition of a symbol a linked shared library
# defines; the flag says so explicitly and holds for other linkers too.
GUARD_LDFLAGS := -Wl,--export-dynamic-symbol=mi_rd_cmd

$(BIN): $(O)/plugin/cli/main.o $(O)/libmv.a
	$(CXX) $(LDFLAGS) $(GUARD_LDFLAGS) -o $@ $^ $(PKG_LIBS) $(LDLIBS)

$(UNIT): $(TEST_OBJS) $(O)/libmv.a
	$(CXX) $(LDFLAGS) $(GUARD_LDFLAGS) -o $@ $^ $(PKG_LIBS) -lcppunit $(LDLIBS)

unit: $(UNIT)

# The sample configuration is the production one (user milter-verdict, pid
# file under /run): a development run stays the invoking user and keeps its
# pid file in the build directory.
run: deps
	$(MAKE) -j$(JOBS) all
	@echo "milter-verdict: the sample policy (config/milter-verdict.conf) on inet:8890@127.0.0.1."
	@echo "  Attach a Postfix on this host:  postconf -e 'smtpd_milters = inet:127.0.0.1:8890' && postfix reload"
	@echo "  Try a transaction offline:      $(BIN) simulate -c config/milter-verdict.conf \\"
	@echo "                                      --client 203.0.113.5 --helo mx.example --from a@spam.example --rcpt b@example.org"
	@echo "  Stop it: Ctrl-C (or kill -TERM the pid in $(O)/milter-verdict.pid). Decisions are logged below."
	$(BIN) -f -l stderr -c config/milter-verdict.conf -u "$$(id -un)" -g "$$(id -gn)" -P $(abspath $(O))/milter-verdict.pid

# The whole suite. tests/run-all.sh runs each suite, keeps going after a
# failure, and prints one summary line; it exits non-zero on any failure.
# Golden and end-to-end tests run the ASan+UBSan build of the daemon. Every
# suite always runs: what each needs is installed first (the package group
# in the recipe, after deps-test: two apt-get runs at once would fail on
# dpkg's lock), and a suite whose tool is missing fails, never skips.
# The normal build is not made here: no suite runs it, and the package suite
# compiles the same sources with the same -O2 and warnings (plus Debian's
# hardening flags).
check: deps-test
	@scripts/install-deps.sh package
	$(MAKE) -j$(JOBS) O=build/asan SANITIZE=1 build/asan/unit-tests build/asan/milter-verdict \
	    fuzz-replay
	MV_BIN=$(abspath build/asan/milter-verdict) MV_UNIT=$(abspath build/asan/unit-tests) \
	MV_FUZZ_BIN=$(abspath build/asan/fuzz) MV_PKG_OUT=$(abspath build/packages/deb) \
	DEB_BUILD_OPTIONS=nocheck tests/run-all.sh unit state golden cli alerts fuzz sendmail e2e ha package

check-unit: $(UNIT)
	MV_UNIT=$(abspath $(UNIT)) tests/run-all.sh unit

# The Redis store's tests against a private redis-server (tests/state/run.sh).
check-state: $(UNIT) $(BIN)
	MV_BIN=$(abspath $(BIN)) MV_UNIT=$(abspath $(UNIT)) tests/run-all.sh state

check-golden: $(BIN)
	MV_BIN=$(abspath $(BIN)) tests/run-all.sh golden

# The command line against its one table (tests/cli/run.sh).
check-cli: $(BIN)
	MV_BIN=$(abspath $(BIN)) tests/run-all.sh cli

# The Prometheus alert rules: promtool check and test rules, and every metric
# they read exported by the daemon (tests/alerts/run.sh).
check-alerts: $(BIN)
	MV_BIN=$(abspath $(BIN)) tests/run-all.sh alerts

check-e2e: $(BIN)
	MV_BIN=$(abspath $(BIN)) tests/run-all.sh e2e

# tests/sendmail/run.sh: Sendmail unpacked under build/sendmail, never installed.
check-sendmail: $(BIN)
	MV_BIN=$(abspath $(BIN)) tests/run-all.sh sendmail

# Redis Sentinel failover under load (tests/ha): master, replica, three sentinels.
check-ha: $(BIN)
	MV_BIN=$(abspath $(BIN)) tests/run-all.sh ha

# Benchmarks (tests/bench/README-bench.txt). Never part of `make check`: they
# measure, they do not assert. Built with the normal flags (no sanitizers).
BENCH_BIN     := $(O)/bench/bin
# The MTA-side milter client is the one `milter-verdict test` uses (plugin/milter).
LOADGEN_OBJS  := $(patsubst %.cpp,$(O)/%.o,$(addprefix tests/bench/,load_generator.cpp \
                   latency_stats.cpp proc_cpu.cpp) plugin/milter/milter_client.cpp \
                   plugin/milter/milter_wire.cpp)
BENCH_TOOLS   := $(BENCH_BIN)/mv-loadgen $(BENCH_BIN)/mv-floor $(BENCH_BIN)/mv-engine-bench \
                 $(BENCH_BIN)/mv-idn-bench $(BENCH_BIN)/mv-policy-loadgen
ENGINE_OBJS   := $(O)/tests/bench/engine_bench.o $(O)/tests/bench/bench_policy.o
# The policy service's load generator (tests/bench/policy_loadgen.cpp).
POLICY_LOADGEN_OBJS := $(patsubst %.cpp,$(O)/%.o,$(addprefix tests/bench/,policy_loadgen.cpp \
                         bench_policy.cpp latency_stats.cpp proc_cpu.cpp))

$(BENCH_BIN)/mv-loadgen: $(LOADGEN_OBJS)
	@mkdir -p $(dir $@)
	$(CXX) $(LDFLAGS) -o $@ $^ -pthread

$(BENCH_BIN)/mv-policy-loadgen: $(POLICY_LOADGEN_OBJS)
	@mkdir -p $(dir $@)
	$(CXX) $(LDFLAGS) -o $@ $^ -pthread

$(BENCH_BIN)/mv-floor: $(O)/tests/bench/floor_milter.o
	@mkdir -p $(dir $@)
	$(CXX) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BENCH_BIN)/mv-engine-bench: $(ENGINE_OBJS) $(O)/libmv.a
	@mkdir -p $(dir $@)
	$(CXX) $(LDFLAGS) -o $@ $^ $(PKG_LIBS) $(LDLIBS)

# What IDN support costs a domain comparison (tests/bench/idn_bench.cpp).
$(BENCH_BIN)/mv-idn-bench: $(O)/tests/bench/idn_bench.o $(O)/libmv.a
	@mkdir -p $(dir $@)
	$(CXX) $(LDFLAGS) -o $@ $^ $(PKG_LIBS) $(LDLIBS)

bench-tools: $(BENCH_TOOLS)

bench: deps-test
	$(MAKE) -j$(JOBS) all bench-tools
	python3 tests/bench/run_bench.py --build $(O) --out $(O)/bench

# The bash completion script, generated from the option table by the program itself.
$(O)/milter-verdict.bash-completion: $(BIN)
	$(BIN) completion bash >$@.tmp && mv $@.tmp $@

install: $(BIN) $(O)/milter-verdict.bash-completion
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man8 \
	    $(DESTDIR)$(SYSCONFDIR)/milter-verdict $(DESTDIR)$(BASHCOMPDIR)
	install -m 0755 $(BIN) $(DESTDIR)$(SBINDIR)/milter-verdict
	install -m 0644 $(O)/milter-verdict.bash-completion $(DESTDIR)$(BASHCOMPDIR)/milter-verdict
	for f in man/*.5; do [ -e "$$f" ] && install -m 0644 "$$f" $(DESTDIR)$(MANDIR)/man5/ || true; done
	for f in man/*.8; do [ -e "$$f" ] && install -m 0644 "$$f" $(DESTDIR)$(MANDIR)/man8/ || true; done
	# The starter (config/starter.conf) changes no delivery; the annotated demo
	# policy and the examples are documentation (the package installs them
	# under /usr/share/doc/milter-verdict/examples/).
	[ -e $(DESTDIR)$(SYSCONFDIR)/milter-verdict/milter-verdict.conf ] || \
	    install -m 0644 config/starter.conf $(DESTDIR)$(SYSCONFDIR)/milter-verdict/milter-verdict.conf
	install -d $(DESTDIR)$(PREFIX)/share/milter-verdict/grafana $(DESTDIR)$(PREFIX)/share/milter-verdict/prometheus
	install -m 0644 packaging/grafana/milter-verdict.json $(DESTDIR)$(PREFIX)/share/milter-verdict/grafana/
	install -m 0644 packaging/prometheus/milter-verdict.rules.yml $(DESTDIR)$(PREFIX)/share/milter-verdict/prometheus/

man-defaults: $(BIN)
	MV=$(abspath $(BIN)) tests/golden/check-man-defaults.sh man/milter-verdict.conf.5 --write

man-synopsis: $(BIN)
	python3 tests/cli/man_synopsis.py write $(abspath $(BIN)) man/milter-verdict.8

format:
	clang-format -i $$(git ls-files 'plugin/*.cpp' 'plugin/*.hpp' 'tests/*.cpp' 'tests/*.hpp')

clean:
	rm -rf build

# -type f: tmpfiles.d/ and sysusers.d/ directories of the staged packages are no
# dependency files; the staged package trees (packages/) have their own.
-include $(shell find $(O) -path '$(O)/packages' -prune -o -name '*.d' -type f -print 2>/dev/null)

# ---------------------------------------------------------------------------
# Packaging (branch packaging): Debian package, RPM, package install test.
# Kept in one block at the end of the Makefile to ease merging.
PKG_OUT := build/packages

.PHONY: deb rpm package-test
# help is a double-colon rule: this part prints after the main list.
help::
	@echo "  make deb          build the Debian package of the current tree into $(PKG_OUT)/deb"
	@echo "                    (dpkg-buildpackage from packaging/debian, then lintian: no error/warning)"
	@echo "  make rpm          build the RPM from packaging/rpm/milter-verdict.spec into $(PKG_OUT)/rpm"
	@echo "                    (rpmbuild --nodeps on Debian)"
	@echo "  make package-test build the .deb, install it here, run it as the service would behind a"
	@echo "                    private Postfix (start-up failures final, restart under traffic: prints"
	@echo "                    the tempfail window), remove and purge it; ends with 'package: N passed, M failed'"

deb:
	@scripts/install-deps.sh build package
	@case "$$DEB_BUILD_OPTIONS" in *nocheck*) ;; *) echo "make deb: the build runs the unit tests" \
	    "(make deb DEB_BUILD_OPTIONS=nocheck skips them; make check runs them anyway)";; esac
	packaging/build-deb.sh $(PKG_OUT)/deb

rpm:
	@scripts/install-deps.sh build package
	packaging/build-rpm.sh $(PKG_OUT)/rpm

package-test:
	@scripts/install-deps.sh build test package
	MV_PKG_OUT=$(abspath $(PKG_OUT)/deb) tests/run-all.sh package

# ---------------------------------------------------------------------------
# Fuzzing (branch reliability): tests/fuzz, one target a line of
# tests/fuzz/targets.list (README-fuzz.txt). `make fuzz` builds the library
# and every target with clang, libFuzzer, ASan and UBSan into FUZZ_O and runs
# each for its share of FUZZ_TIME seconds; the replay build (g++, any O) runs
# the seed corpora and every regression input in `make check` (suite fuzz).
# Kept in one block to ease merging.
FUZZ_O       ?= build/fuzz
FUZZ_TIME    ?= 210
FUZZ_TARGETS := $(shell sed -e 's/\#.*//' tests/fuzz/targets.list 2>/dev/null | awk 'NF {print $$1}')
FUZZ_SAN     := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
ifeq ($(FUZZ),1)
CXX      := clang++-14
CXXFLAGS += -fsanitize=fuzzer-no-link $(FUZZ_SAN)
endif

.PHONY: fuzz fuzz-bins fuzz-replay check-fuzz
help::
	@echo "  make fuzz         every libFuzzer target (tests/fuzz/targets.list) under ASan+UBSan, built"
	@echo "                    with clang into $(FUZZ_O), each for its share of FUZZ_TIME=$(FUZZ_TIME) s in all;"
	@echo "                    fails on a crash, leak or timeout (inputs kept in $(FUZZ_O)/crashes/)"
	@echo "  make check-fuzz   replay the seed corpora and regression inputs under ASan+UBSan (the fuzz"
	@echo "                    suite of make check)"

$(O)/fuzz/fuzz-%: $(O)/tests/fuzz/fuzz_%.o $(O)/libmv.a
	@mkdir -p $(dir $@)
	$(CXX) -fsanitize=fuzzer $(FUZZ_SAN) $(GUARD_LDFLAGS) -o $@ $^ $(PKG_LIBS) $(LDLIBS)

$(O)/fuzz/replay-%: $(O)/tests/fuzz/fuzz_%.o $(O)/tests/fuzz/replay_main.o $(O)/libmv.a
	@mkdir -p $(dir $@)
	$(CXX) $(LDFLAGS) $(GUARD_LDFLAGS) -o $@ $^ $(PKG_LIBS) $(LDLIBS)

fuzz-bins: $(addprefix $(O)/fuzz/fuzz-,$(FUZZ_TARGETS))
fuzz-replay: $(addprefix $(O)/fuzz/replay-,$(FUZZ_TARGETS))

fuzz:
	@scripts/install-deps.sh build test fuzz
	$(MAKE) -j$(JOBS) FUZZ=1 O=$(FUZZ_O) fuzz-bins
	tests/fuzz/fuzz.sh $(FUZZ_O) $(FUZZ_TIME)

check-fuzz:
	$(MAKE) -j$(JOBS) O=build/asan SANITIZE=1 fuzz-replay
	MV_FUZZ_BIN=$(abspath build/asan/fuzz) tests/run-all.sh fuzz

# ---------------------------------------------------------------------------
# Soak and faults under load (tests/soak, README-soak.txt). Never part of
# `make check`: each takes ten minutes or more and the whole machine. The
# normal build (-O2, no sanitizers: ASan's quarantine would hide whether the
# daemon's memory stays flat). Kept in one block to ease merging.
SOAK_SECONDS        ?= 600
SOAK_SESSIONS       ?= 300
SOAK_FAULT_SECONDS  ?= 120
SOAK_FAULTS         ?= kill,reload,redis,trickling,oversized,disk,stall

.PHONY: soak soak-faults
help::
	@echo "  make soak         a private Postfix with milter-verdict under SOAK_SESSIONS=$(SOAK_SESSIONS) concurrent"
	@echo "                    SMTP sessions (the project's client and smtp-source) for SOAK_SECONDS=$(SOAK_SECONDS) s;"
	@echo "                    fails on any reply the policy does not give, any message lost or accepted"
	@echo "                    unfiltered; prints the daemon's RSS, threads and fds (as root)"
	@echo "  make soak-faults  the same load, SOAK_FAULT_SECONDS=$(SOAK_FAULT_SECONDS) s for each fault of"
	@echo "                    SOAK_FAULTS=$(SOAK_FAULTS): daemon SIGKILL+restart, SIGUSR1 every second"
	@echo "                    with good, broken, FIFO- and directory-@include files and a file"
	@echo "                    rewritten line by line, Redis stopped, slow, trickling a byte"
	@echo "                    every 300 ms and announcing a 2 GB reply, state disk full,"
	@echo "                    500 stalled milter connections"

soak: deps-test
	$(MAKE) -j$(JOBS) all
	MV_BIN=$(abspath $(BIN)) SOAK_PHASES=soak SOAK_SECONDS=$(SOAK_SECONDS) \
	    SOAK_SESSIONS=$(SOAK_SESSIONS) tests/soak/run.sh

soak-faults: deps-test
	$(MAKE) -j$(JOBS) all
	MV_BIN=$(abspath $(BIN)) SOAK_PHASES=$(SOAK_FAULTS) SOAK_SECONDS=0 \
	    SOAK_FAULT_SECONDS=$(SOAK_FAULT_SECONDS) SOAK_SESSIONS=$(SOAK_SESSIONS) tests/soak/run.sh
