# SPDX-License-Identifier: MIT
# raccord — plain GNU make.  See README.md for the targets.

PKGS      = libcurl openssl jansson cjose libmicrohttpd sqlite3 libxml-2.0
CC       ?= cc
ifdef SANITIZE
BUILD    ?= build-san
else
BUILD    ?= build
endif
WERROR   ?= 1
PREFIX   ?= /usr/local
# pkg-config runs once per make, not once per compile (:=).
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS))
PKG_LIBS   := $(shell pkg-config --libs $(PKGS))

CPPFLAGS += -I. -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE \
            -DOPENSSL_API_COMPAT=30000 -DOPENSSL_NO_DEPRECATED \
            $(PKG_CFLAGS)
CFLAGS   ?= -O2 -g
CFLAGS   += -std=c11 -Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes \
            -Wmissing-prototypes -Wformat=2 -Wcast-qual -Wwrite-strings \
            -Wvla -Wimplicit-fallthrough -fstack-protector-strong -fPIE \
            -D_FORTIFY_SOURCE=2 -MMD -MP
LDFLAGS  += -pie -Wl,-z,relro,-z,now
LDLIBS   += $(PKG_LIBS) -lpthread
ifeq ($(WERROR),1)
CFLAGS   += -Werror
endif
ifdef SANITIZE
CFLAGS   += -O1 -fsanitize=$(SANITIZE) -fno-omit-frame-pointer \
            -fno-sanitize-recover=all
LDFLAGS  += -fsanitize=$(SANITIZE)
endif

# Sources: every .c of a module folder (main.c excepted), so that adding
# a file needs no Makefile edit.  Users first, for static link order.
MODULES          = connector verifier apiclients oidc common
connector_SRCS   = $(filter-out connector/main.c,$(wildcard connector/*.c \
                   connector/ledger/*.c connector/daemon/*.c))
verifier_SRCS    = $(wildcard verifier/*.c)
apiclients_SRCS  = $(wildcard apiclients/*.c)
oidc_SRCS        = $(wildcard oidc/*.c)
common_SRCS      = $(wildcard common/*.c)
LIBS             = $(MODULES:%=$(BUILD)/lib%.a)

SIM_SRCS   = $(wildcard tests/sim/*.c)
UNIT_SRCS  = $(wildcard tests/unit/*/test_*.c)
UNIT_BINS  = $(patsubst %.c,$(BUILD)/%,$(UNIT_SRCS))
FUZZ_SRCS  = $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_REPLAY = $(patsubst tests/fuzz/%.c,$(BUILD)/fuzz/%-replay,$(FUZZ_SRCS))
FUZZ_BINS  = $(patsubst tests/fuzz/%.c,build-fuzz/%,$(FUZZ_SRCS))


.PHONY: certs all test check unit fuzz-replay check-integration integration demo \
        lint format format-check fuzz clean bench install
all: $(BUILD)/raccord $(BUILD)/raccord-sim $(BUILD)/raccord.1 $(BUILD)/raccord.bash

# The man page and the bash completion are printed by raccord itself from
# the one command table (connector/help.c).
$(BUILD)/raccord.1: $(BUILD)/raccord
	$(BUILD)/raccord help --man > $@.tmp && mv $@.tmp $@
$(BUILD)/raccord.bash: $(BUILD)/raccord
	$(BUILD)/raccord help --completion bash > $@.tmp && mv $@.tmp $@

# make install [PREFIX=/usr/local] [DESTDIR=]
install: $(BUILD)/raccord $(BUILD)/raccord.1 $(BUILD)/raccord.bash
	install -D -m 0755 $(BUILD)/raccord $(DESTDIR)$(PREFIX)/bin/raccord
	install -D -m 0644 $(BUILD)/raccord.1 \
	  $(DESTDIR)$(PREFIX)/share/man/man1/raccord.1
	install -D -m 0644 $(BUILD)/raccord.bash \
	  $(DESTDIR)$(PREFIX)/share/bash-completion/completions/raccord

$(foreach m,$(MODULES),$(eval $(BUILD)/lib$(m).a: \
    $(patsubst %.c,$(BUILD)/%.o,$($(m)_SRCS))))
$(BUILD)/lib%.a:
	@mkdir -p $(@D)
	rm -f $@ && $(AR) rcs $@ $^

$(BUILD)/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

$(BUILD)/raccord: $(BUILD)/connector/main.o $(LIBS)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(LIBS) $(LDLIBS)

$(BUILD)/raccord-sim: $(patsubst %.c,$(BUILD)/%.o,$(SIM_SRCS)) $(LIBS)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(filter %.o,$^) $(LIBS) $(LDLIBS)

$(BUILD)/tests/unit/%: $(BUILD)/tests/unit/%.o $(LIBS)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(LIBS) $(LDLIBS) -lcmocka

$(BUILD)/fuzz/%-replay: $(BUILD)/tests/fuzz/%.o $(BUILD)/tests/fuzz/replay.o $(LIBS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(filter %.o,$^) $(LIBS) $(LDLIBS)

# The README's test command: unit tests, fuzz corpora replayed, then the
# real binaries against raccord-sim.
test check: unit fuzz-replay check-integration

# Test certificates (throw-away CA) for the unit tests, sim and demo.
CERTS = $(BUILD)/certs/ca.pem
$(CERTS): certs/mkcerts.sh
	sh certs/mkcerts.sh $(BUILD)/certs
certs: $(CERTS)

unit: $(UNIT_BINS) $(CERTS)
	@RC_TEST_CERTS=$(BUILD)/certs RC_TEST_DATA=tests/data \
	  sh tests/run_unit.sh $(UNIT_BINS)

fuzz-replay: $(FUZZ_REPLAY)
	@for f in $(FUZZ_REPLAY); do \
	  n=$$(basename $$f -replay); \
	  $$f tests/fuzz/corpus/$${n#fuzz_} || exit 1; \
	done

check-integration integration: all $(CERTS)
	@BUILD=$(BUILD) sh tests/integration/run.sh

demo: all $(CERTS)
	@BUILD=$(BUILD) sh examples/demo.sh

bench: all
	@BUILD=$(BUILD) sh bench/run.sh

# Coverage-guided fuzzers (clang, libFuzzer): make fuzz; then run
# build-fuzz/fuzz_dossier tests/fuzz/corpus/dossier
fuzz: $(FUZZ_BINS)
build-fuzz/%: tests/fuzz/%.c
	@mkdir -p build-fuzz/lib
	$(MAKE) BUILD=build-fuzz/lib CC=clang WERROR=0 \
	  CFLAGS="-O1 -g -fsanitize=fuzzer-no-link,address,undefined" \
	  LDFLAGS="-fsanitize=address,undefined" \
	  $(patsubst %,build-fuzz/lib/lib%.a,$(MODULES))
	clang $(CPPFLAGS) -O1 -g -fsanitize=fuzzer,address,undefined -o $@ $< \
	  $(patsubst %,build-fuzz/lib/lib%.a,$(MODULES)) $(LDLIBS)

lint:
	@sh tests/lint.sh

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

format-check:
	@clang-format --dry-run -Werror $$(git ls-files '*.c' '*.h')

clean:
	rm -rf build build-san build-fuzz

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
.SECONDARY:
