# tensorc: `make demo` and `make test` are the two commands of the README;
# both install what is missing first (scripts/deps.sh).
#
#   make            build/tensorc
#   make demo       compile and run the examples, checked against the reference
#   make test       every test: Check suites, end to end, and a sanitizer pass
#   make bench      benchmarks (bench/)
#   make install PREFIX=/usr/local

PREFIX   ?= /usr/local
BUILD    ?= build
CC       ?= cc
OPT      ?= -O2 -g
SAN      ?=
WERROR   ?= -Werror
CFLAGS_W  = -Wall -Wextra $(WERROR) -Wno-unused-parameter
PKGS      = lua5.4 check
CPPFLAGS  = -I. $(shell pkg-config --cflags lua5.4 2>/dev/null) -DTC_VERSION='"$(VERSION)"'
CFLAGS    = -std=c11 -D_GNU_SOURCE $(OPT) $(CFLAGS_W) $(SAN)
LDLIBS    = -ltcc $(shell pkg-config --libs lua5.4 2>/dev/null) -ledit -ldl -lm -lpthread
CHECK_LIBS = $(shell pkg-config --libs check 2>/dev/null)
VERSION  := 0.1.0

# Every .c of a stage folder goes into the library; tensorc/cli is the driver.
LIB_SRC  := $(wildcard tensorc/*.c lang/*.c passes/*.c emit/*.c rt/*.c rt/ref/*.c)
CLI_SRC  := $(wildcard tensorc/cli/*.c)
LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/obj/%.o) $(BUILD)/obj/lang/prelude_lua.o
CLI_OBJ  := $(CLI_SRC:%.c=$(BUILD)/obj/%.o)
HDRS     := $(wildcard tensorc/*.h lang/*.h passes/*.h emit/*.h rt/*.h rt/ref/*.h tensorc/cli/*.h tests/*.h)

# One Check runner per test folder: tests/<stage>/*.c -> build/test_<stage>
# (tests/e2e holds a shell driver and helper programs instead).
TEST_DIRS := $(filter-out e2e,$(patsubst tests/%/,%,$(sort $(dir $(wildcard tests/*/*.c)))))
TEST_BINS := $(TEST_DIRS:%=$(BUILD)/test_%)
TEST_COMMON := $(wildcard tests/*.c)
# ... and one plain program: tests/emit/gemm/stress.c (rule below).
GEMM_STRESS := $(BUILD)/test_emit_gemm_stress
TEST_BINS += $(GEMM_STRESS)

.PHONY: all deps demo test test-build test-unit test-e2e test-san bench install clean
all: $(BUILD)/tensorc

deps:
	@scripts/deps.sh

$(BUILD)/obj/%.o: %.c $(HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c $< -o $@

# The Lua prelude is kept as a .lua file and embedded as a C string.
$(BUILD)/gen/prelude_lua.c: lang/prelude.lua scripts/embed.sh
	@mkdir -p $(dir $@)
	scripts/embed.sh tcL_prelude_lua $< > $@
$(BUILD)/obj/lang/prelude_lua.o: $(BUILD)/gen/prelude_lua.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c $< -o $@

$(BUILD)/libtensorc.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/tensorc: $(CLI_OBJ) $(BUILD)/libtensorc.a
	$(CC) $(CFLAGS) $(CLI_OBJ) $(BUILD)/libtensorc.a $(LDLIBS) -o $@

$(BUILD)/test_%: $(BUILD)/libtensorc.a $(TEST_COMMON) $(HDRS) $(wildcard tests/*/*.c)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(filter tests/$*/%.c,$(wildcard tests/$*/*.c)) $(TEST_COMMON) \
	  $(BUILD)/libtensorc.a $(LDLIBS) $(CHECK_LIBS) -o $@

# tests/emit/gemm/stress.c drives the GEMM template (emit/gemm.c) on
# descriptors of its own, on 1 and 2 OpenMP threads: it includes the C that
# this tree's tensorc writes for tests/emit/gemm/stress.lua (never
# committed), so it is built after $(BUILD)/tensorc, with the same flags as
# the Check runners (under test-san, the sanitizers too).
$(BUILD)/gen/gemm_stress/gemm_stress.c: tests/emit/gemm/stress.lua $(BUILD)/tensorc
	@mkdir -p $(dir $@)
	$(BUILD)/tensorc build $< -o $(dir $@) --name gemm_stress
$(GEMM_STRESS): tests/emit/gemm/stress.c $(BUILD)/gen/gemm_stress/gemm_stress.c
	$(CC) $(CFLAGS) -fopenmp -I$(BUILD)/gen/gemm_stress $< -lm -o $@

demo: deps
	@$(MAKE) --no-print-directory all
	@scripts/demo.sh $(BUILD)/tensorc

# The README's test command.  The builds run on every CPU (NPROC), the
# tests one after the other (tests/e2e runs its modules in parallel).
NPROC ?= $(shell nproc 2>/dev/null || echo 2)
test: deps
	@$(MAKE) --no-print-directory -j$(NPROC) test-build
	@$(MAKE) --no-print-directory test-unit test-e2e
	@$(MAKE) --no-print-directory test-san

test-build: $(BUILD)/tensorc $(TEST_BINS)

test-unit: $(BUILD)/tensorc $(TEST_BINS)
	@set -e; for t in $(TEST_BINS); do echo "== $$t"; TENSORC=$(BUILD)/tensorc $$t; done

test-e2e: $(BUILD)/tensorc
	@TENSORC=$(BUILD)/tensorc BUILD=$(BUILD) tests/e2e/run.sh

# The compiler and the test runners under ASan+UBSan, in their own build
# folder (generated code is put under the sanitizers by tests/e2e itself,
# in test-e2e: tests/e2e/run.sh checks that the sanitized tensorc writes
# the same C as $(BUILD)/tensorc, and leaves out the checks that only
# compile or run that C; see "Under make test-san" in its header).
SANVARS = BUILD=build-san OPT="-O1 -g" \
  SAN="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all"
test-san:
	@$(MAKE) --no-print-directory -j$(NPROC) $(BUILD)/tensorc
	@$(MAKE) --no-print-directory -j$(NPROC) $(SANVARS) test-build
	@E2E_REF_TENSORC=$(abspath $(BUILD)/tensorc) \
	  $(MAKE) --no-print-directory $(SANVARS) test-unit test-e2e

bench: deps all
	@$(MAKE) --no-print-directory -C bench

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/doc/tensorc
	install -m 755 $(BUILD)/tensorc $(DESTDIR)$(PREFIX)/bin/tensorc
	install -m 644 README.md LICENSE docs/*.md $(DESTDIR)$(PREFIX)/share/doc/tensorc/

clean:
	rm -rf build build-san
