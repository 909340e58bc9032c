# libkftrainer - see README.md. `make`, `make check`, `make demo`, `make install`.
# SPDX-License-Identifier: Apache-2.0

PREFIX     ?= /usr/local
DESTDIR    ?=
LIBDIR     ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
BINDIR     ?= $(PREFIX)/bin
LIBEXECDIR ?= $(PREFIX)/libexec
MANDIR     ?= $(PREFIX)/share/man

# The version is set in ONE place, include/kftrainer/version.h; everything else derives it.
VERSION := $(shell sed -n 's/^\#define KFT_VERSION_STRING "\(.*\)"$$/\1/p' include/kftrainer/version.h)
SOMAJOR := $(shell sed -n 's/^\#define KFT_VERSION_MAJOR \([0-9]*\)$$/\1/p' include/kftrainer/version.h)

# SAN=1 builds everything with AddressSanitizer + UndefinedBehaviorSanitizer into build-san/.
ifeq ($(SAN),1)
B        ?= build-san
SANFLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
else
B        ?= build
SANFLAGS :=
endif

CC       ?= cc
PKGS     := libcurl libcjson yaml-0.1 libmicrohttpd sqlite3
# libarchive: headers only; lib/larchive.c loads it on first use (dlopen)
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) libarchive 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
CHECK_CFLAGS := $(shell pkg-config --cflags check 2>/dev/null)
CHECK_LIBS   := $(shell pkg-config --libs check libarchive 2>/dev/null)   # tests build archives

CFLAGS   ?= -O2 -g
WARN     := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wno-unused-parameter
ALL_CFLAGS := -std=c11 $(WARN) $(CFLAGS) $(SANFLAGS) -fPIC -fvisibility=hidden -MMD -MP \
	-Iinclude -Ilib $(PKG_CFLAGS) -DKFT_LIBEXECDIR='"$(LIBEXECDIR)"' -D_GNU_SOURCE
ALL_LDFLAGS := $(LDFLAGS) $(SANFLAGS)
LIBS     := $(PKG_LIBS) -lpthread -ldl -lm

LIB_SRCS := $(sort $(wildcard lib/*.c) $(wildcard backends/*/*.c))
LIB_SRCS := $(filter-out backends/runner/supervisor_main.c backends/runner/progress_main.c \
	backends/container/step_main.c,$(LIB_SRCS))
LIB_OBJS := $(patsubst %.c,$(B)/obj/%.o,$(LIB_SRCS))
CLI_SRCS := $(sort $(wildcard cli/*.c))
CLI_OBJS := $(patsubst %.c,$(B)/obj/%.o,$(CLI_SRCS))
TEST_SRCS := $(sort $(wildcard tests/test_*.c))
TEST_BINS := $(patsubst tests/%.c,$(B)/tests/%,$(TEST_SRCS))
# fuzz/<name>.c: libFuzzer harnesses, replayed by make check (see "fuzzing" below)
FUZZ_SRCS  := $(filter-out fuzz/replay.c fuzz/util.c,$(sort $(wildcard fuzz/*.c)))
FUZZ_NAMES := $(patsubst fuzz/%.c,%,$(FUZZ_SRCS))
REPLAY_BINS := $(patsubst %,$(B)/fuzz/%,$(FUZZ_NAMES))
EXAMPLE_SRCS := $(sort $(wildcard examples/c/*.c))
EXAMPLE_BINS := $(patsubst examples/c/%.c,$(B)/examples/%,$(EXAMPLE_SRCS))

SONAME   := libkftrainer.so.$(SOMAJOR)
SHLIB    := $(B)/libkftrainer.so.$(VERSION)
STLIB    := $(B)/libkftrainer.a

.PHONY: all deps check check-unit check-san demo install uninstall clean bench tests examples
all: $(SHLIB) $(B)/$(SONAME) $(B)/libkftrainer.so $(STLIB) $(B)/kft $(B)/kft-supervisor \
	$(B)/kft-container-step $(B)/kft-progress-server $(B)/kftrainer.pc

deps:
	@sh scripts/deps.sh

# Each object depends on the headers it includes (-MMD -MP writes them to a .d file).
$(B)/obj/%.o: %.c Makefile
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(SHLIB): $(LIB_OBJS) lib/libkftrainer.map
	$(CC) -shared -Wl,-soname,$(SONAME) -Wl,--version-script=lib/libkftrainer.map \
		-Wl,--no-undefined $(ALL_LDFLAGS) -o $@ $(LIB_OBJS) $(LIBS)

$(B)/$(SONAME): $(SHLIB)
	ln -sf $(notdir $(SHLIB)) $@
$(B)/libkftrainer.so: $(B)/$(SONAME)
	ln -sf $(SONAME) $@

$(STLIB): $(LIB_OBJS)
	@rm -f $@
	ar rcs $@ $(LIB_OBJS)

# kft links the shared library (it uses only the public API).
$(B)/kft: $(CLI_OBJS) $(B)/libkftrainer.so
	$(CC) $(ALL_LDFLAGS) -o $@ $(CLI_OBJS) -L$(B) -lkftrainer -Wl,-rpath,'$$ORIGIN' \
		-Wl,-rpath,'$$ORIGIN/../lib'

# The supervisor uses internal code, so it links the static archive.
$(B)/kft-supervisor: $(B)/obj/backends/runner/supervisor_main.o $(STLIB)
	$(CC) $(ALL_LDFLAGS) -o $@ $< $(STLIB) $(LIBS)

# The progress protocol's HTTPS server (spawned by kft-supervisor per job); separate so that
# the supervisor maps neither libmicrohttpd nor GnuTLS.
MHD_LIBS := $(shell pkg-config --libs libmicrohttpd gnutls 2>/dev/null || echo -lmicrohttpd -lgnutls)
$(B)/kft-progress-server: $(B)/obj/backends/runner/progress_main.o $(STLIB)
	$(CC) $(ALL_LDFLAGS) -o $@ $< $(STLIB) $(LIBS) $(MHD_LIBS)

# The container runner's step process (spawned by kft-supervisor); separate so that the
# supervisor itself does not map libcurl.
$(B)/kft-container-step: $(B)/obj/backends/container/step_main.o $(STLIB)
	$(CC) $(ALL_LDFLAGS) -o $@ $< $(STLIB) $(LIBS)

$(B)/kftrainer.pc: pkgconfig/kftrainer.pc.in Makefile
	sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@LIBDIR@|$(LIBDIR)|g' \
	    -e 's|@INCLUDEDIR@|$(INCLUDEDIR)|g' -e 's|@VERSION@|$(VERSION)|g' $< > $@

# Unit tests link the static archive so they can reach internals.
$(B)/tests/%: tests/%.c $(STLIB)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(CHECK_CFLAGS) -o $@ $< $(ALL_LDFLAGS) $(STLIB) $(LIBS) $(CHECK_LIBS)

$(B)/examples/%: examples/c/%.c $(B)/libkftrainer.so
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $< $(ALL_LDFLAGS) -L$(B) -lkftrainer -Wl,-rpath,'$$ORIGIN/..'

tests: all $(TEST_BINS) $(REPLAY_BINS)
examples: all $(EXAMPLE_BINS)

# The README's test command: installs what is missing, builds, runs every test.
check: deps
	@$(MAKE) --no-print-directory tests examples
	@B=$(B) sh tests/run.sh all

# Unit tests only (used under sanitizers by .ci/run).
check-unit: tests examples
	@B=$(B) sh tests/run.sh unit

check-san:
	@$(MAKE) --no-print-directory SAN=1 check-unit

# The README's main job: a 2-node DDP training run on this machine.
demo: deps
	@$(MAKE) --no-print-directory all examples
	@B=$(B) sh examples/demo.sh

# Benchmarks (not tests): local, kubernetes (fake API server), container (private dockerd).
bench: all
	@B=$(B) sh bench/run.sh
	@B=$(B) sh bench/k8s/run.sh || true
	@B=$(B) sh bench/container/run.sh || true
	@B=$(B) sh bench/dashboard/run.sh || true

install: all
	install -d $(DESTDIR)$(LIBDIR) $(DESTDIR)$(INCLUDEDIR)/kftrainer/sys \
		$(DESTDIR)$(BINDIR) $(DESTDIR)$(LIBEXECDIR)/kftrainer $(DESTDIR)$(LIBDIR)/pkgconfig \
		$(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man3 $(DESTDIR)$(MANDIR)/man7
	install -m 0755 $(SHLIB) $(DESTDIR)$(LIBDIR)/
	ln -sf $(notdir $(SHLIB)) $(DESTDIR)$(LIBDIR)/$(SONAME)
	ln -sf $(SONAME) $(DESTDIR)$(LIBDIR)/libkftrainer.so
	install -m 0644 $(STLIB) $(DESTDIR)$(LIBDIR)/
	install -m 0644 include/kftrainer.h $(DESTDIR)$(INCLUDEDIR)/
	install -m 0644 include/kftrainer/*.h $(DESTDIR)$(INCLUDEDIR)/kftrainer/
	install -m 0644 include/kftrainer/sys/*.h $(DESTDIR)$(INCLUDEDIR)/kftrainer/sys/
	install -m 0755 $(B)/kft $(DESTDIR)$(BINDIR)/
	install -m 0755 $(B)/kft-supervisor $(DESTDIR)$(LIBEXECDIR)/kftrainer/
	install -m 0755 $(B)/kft-container-step $(DESTDIR)$(LIBEXECDIR)/kftrainer/
	install -m 0755 $(B)/kft-progress-server $(DESTDIR)$(LIBEXECDIR)/kftrainer/
	# the .pc is generated here: PREFIX/LIBDIR may differ from those of `make all`
	sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@LIBDIR@|$(LIBDIR)|g' \
	    -e 's|@INCLUDEDIR@|$(INCLUDEDIR)|g' -e 's|@VERSION@|$(VERSION)|g' \
	    pkgconfig/kftrainer.pc.in > $(DESTDIR)$(LIBDIR)/pkgconfig/kftrainer.pc
	chmod 0644 $(DESTDIR)$(LIBDIR)/pkgconfig/kftrainer.pc
	for f in man/man1/*.1 man/man3/*.3 man/man7/*.7; do [ -f "$$f" ] || continue; \
		install -m 0644 "$$f" $(DESTDIR)$(MANDIR)/$$(basename $$(dirname $$f))/; done

uninstall:
	rm -f $(DESTDIR)$(LIBDIR)/libkftrainer.so* $(DESTDIR)$(LIBDIR)/libkftrainer.a
	rm -f $(DESTDIR)$(INCLUDEDIR)/kftrainer.h
	rm -rf $(DESTDIR)$(INCLUDEDIR)/kftrainer
	rm -f $(DESTDIR)$(BINDIR)/kft
	rm -rf $(DESTDIR)$(LIBEXECDIR)/kftrainer
	rm -f $(DESTDIR)$(LIBDIR)/pkgconfig/kftrainer.pc
	for f in man/man1/*.1 man/man3/*.3 man/man7/*.7; do \
		rm -f $(DESTDIR)$(MANDIR)/$$(basename $$(dirname $$f))/$$(basename $$f); done

# ---- fuzzing (fuzz/README.md) ----
# Each fuzz/<name>.c is a libFuzzer harness. The plain build links it with
# fuzz/replay.c ($(B)/fuzz/<name>): tests/run.sh replays fuzz/corpus/<name> and
# fuzz/regressions/<name> with it, so make check needs no clang. `make fuzz`
# builds real fuzzers with clang into build-fuzz/ and runs each FUZZ_SECONDS.
FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 60
FUZZ_SAN := -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer \
	-fno-sanitize-recover=undefined

$(B)/fuzz/%: fuzz/%.c fuzz/replay.c fuzz/util.c fuzz/fuzz.h $(STLIB)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $< fuzz/replay.c fuzz/util.c $(ALL_LDFLAGS) $(STLIB) $(LIBS)

$(B)/fuzzer/%: fuzz/%.c fuzz/util.c fuzz/fuzz.h $(STLIB)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -fsanitize=fuzzer -o $@ $< fuzz/util.c $(ALL_LDFLAGS) $(STLIB) $(LIBS)

.PHONY: fuzz fuzz-build
fuzz-build:
	@$(MAKE) --no-print-directory CC=$(FUZZ_CC) B=build-fuzz SANFLAGS="$(FUZZ_SAN)" \
		$(patsubst %,build-fuzz/fuzzer/%,$(FUZZ_NAMES))

fuzz: fuzz-build
	@FUZZ_SECONDS=$(FUZZ_SECONDS) FUZZ_SEED=$(FUZZ_SEED) sh fuzz/run.sh $(FUZZ_NAMES)

clean:
	rm -rf build build-san build-fuzz build-clang

# Header dependencies written by -MMD -MP (absent before the first build).
-include $(wildcard $(B)/obj/*/*.d $(B)/obj/*/*/*.d $(B)/tests/*.d $(B)/fuzz/*.d $(B)/fuzzer/*.d)
