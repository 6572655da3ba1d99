# clustersim: a plain Makefile.
#
#   make            build bin/clustersim
#   make run        install missing Debian packages, build, run the default scenario
#   make test       install missing Debian packages, build and run every test
#   make bench      run the benchmarks (events/s, event set, peak memory)
#   make fuzz       fuzz the scenario loader with libFuzzer (clang; FUZZ_SECONDS=60)
#   make deps       install the Debian packages the project needs (root or sudo)
#   make SANITIZER=address|undefined test    sanitizer build (objects kept apart)
#   make V=1        show the commands
#
# pkg-config is asked for every library; its answer is expanded only when a
# recipe runs, so `make deps` can install a library in the same invocation.

CC       ?= cc
PKGS     := gsl yaml-0.1 libcjson
TESTPKGS := cmocka
DEB_PKGS := make gcc pkg-config libgsl-dev libyaml-dev libcjson-dev libcmocka-dev python3
DEFAULT_SCENARIO := scenarios/quickstart.yaml

WARN := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
        -Wpointer-arith -Wcast-qual -Wwrite-strings -Wformat=2 -Wundef \
        -Wvla -Wold-style-definition -Wnull-dereference \
        -Wmissing-declarations -Wredundant-decls -Wimplicit-fallthrough \
        -Wno-missing-field-initializers
# (table rows leave their optional trailing fields out: they are zero)
OPT  ?= -O2

ifeq ($(SANITIZER),)
  BUILD := build
  BIN   := bin
  SANFLAGS :=
else
  BUILD := build/$(SANITIZER)
  BIN   := bin/$(SANITIZER)
  SANFLAGS := -fsanitize=$(SANITIZER) -fno-omit-frame-pointer -fno-sanitize-recover=all
  OPT := -O1
endif

PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS))
PKG_LIBS   = $(shell pkg-config --libs $(PKGS))
TEST_CFLAGS = $(shell pkg-config --cflags $(TESTPKGS))
TEST_LIBS   = $(shell pkg-config --libs $(TESTPKGS))

CPPFLAGS += -I. -D_POSIX_C_SOURCE=200809L
CFLAGS   += -std=c11 $(OPT) -g $(WARN) $(SANFLAGS) -MMD -MP
LDFLAGS  += $(SANFLAGS)
LDLIBS    = $(PKG_LIBS) -lpthread -lm

ifeq ($(V),1)
  Q :=
else
  Q := @
endif

LIB_SRC  := $(sort $(wildcard sim/*.c models/*.c))
LIB_SRC  := $(filter-out sim/main.c,$(LIB_SRC))
LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/%.o)
LIB      := $(BUILD)/libclustersim.a
TEST_SRC := $(sort $(wildcard tests/test_*.c))
TEST_BIN := $(TEST_SRC:tests/%.c=$(BIN)/tests/%)
BENCH_SRC := $(sort $(wildcard tests/bench/bench_*.c))
BENCH_BIN := $(BENCH_SRC:tests/bench/%.c=$(BIN)/bench/%)

.SECONDARY:
.PHONY: all run test check-tests bench deps install-packages clean help fuzz
all: $(BIN)/clustersim

help:
	@sed -n '3,12p' Makefile

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(CPPFLAGS) $(PKG_CFLAGS) $(CFLAGS) -c $< -o $@

$(BUILD)/tests/%.o: tests/%.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(CPPFLAGS) $(PKG_CFLAGS) $(TEST_CFLAGS) $(CFLAGS) -c $< -o $@

$(LIB): $(LIB_OBJ)
	@$(if $(Q),echo "  AR      $@")
	$(Q)rm -f $@ && ar rcs $@ $^

$(BIN)/clustersim: $(BUILD)/sim/main.o $(LIB)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS) $^ $(LDLIBS) -o $@

$(BIN)/tests/%: $(BUILD)/tests/%.o $(LIB)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS) $^ $(TEST_LIBS) $(LDLIBS) -o $@

# test_alloc fails allocations on purpose: its calls to the allocator are wrapped
$(BIN)/tests/test_alloc: LDFLAGS += -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc

$(BIN)/bench/%: $(BUILD)/tests/bench/%.o $(LIB)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS) $^ $(LDLIBS) -o $@

# `make run` and `make test` first make sure the packages are there, then
# build in a fresh make so that pkg-config sees what was just installed.
run: deps
	@$(MAKE) --no-print-directory all
	$(BIN)/clustersim run $(DEFAULT_SCENARIO)

test: deps
	@$(MAKE) --no-print-directory check-tests

# Every tests/test_*.c is one CMocka binary; each runs from the repository
# root (fixtures are found relative to it). CLI-level tests are shell scripts.
check-tests: $(BIN)/clustersim $(TEST_BIN)
	@fail=0; pass=0; \
	for t in $(TEST_BIN); do \
	  echo "== $$t"; \
	  if CLUSTERSIM=$(BIN)/clustersim $$t; then pass=$$((pass+1)); else fail=$$((fail+1)); echo "FAILED: $$t"; fi; \
	done; \
	for s in tests/cli/test_*.sh; do \
	  [ -f "$$s" ] || continue; echo "== $$s"; \
	  if CLUSTERSIM=$(BIN)/clustersim bash $$s; then pass=$$((pass+1)); else fail=$$((fail+1)); echo "FAILED: $$s"; fi; \
	done; \
	echo "suites: $$pass passed, $$fail failed"; \
	[ $$fail -eq 0 ]

bench: deps
	@$(MAKE) --no-print-directory $(BIN)/clustersim $(BENCH_BIN)
	@for b in $(BENCH_BIN); do CLUSTERSIM=$(BIN)/clustersim $$b || exit 1; done

deps:
	@$(MAKE) --no-print-directory install-packages PACKAGES="$(DEB_PKGS)"

# Installs the Debian packages named in PACKAGES that are missing.
install-packages:
	@missing=""; for p in $(PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "make deps: installing$$missing"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing; \
	fi

# Coverage-guided fuzzing of the scenario loader (clang's libFuzzer; not part
# of `make test`, which replays the corpus instead). New inputs go to
# build/fuzz-corpus; add the interesting ones to tests/fuzz/corpus/.
FUZZ_SECONDS ?= 60
fuzz: deps
	@$(MAKE) --no-print-directory install-packages PACKAGES="clang libclang-rt-14-dev"
	@mkdir -p bin build/fuzz-corpus
	clang -std=c11 -g -O1 -fsanitize=fuzzer,address,undefined $(CPPFLAGS) $(PKG_CFLAGS) \
	  tests/fuzz/fuzz_scenario.c $(LIB_SRC) $(PKG_LIBS) -lm -lpthread -o bin/fuzz_scenario
	bin/fuzz_scenario -max_total_time=$(FUZZ_SECONDS) -max_len=4096 build/fuzz-corpus tests/fuzz/corpus scenarios

clean:
	rm -rf build bin

-include $(shell find build -name '*.d' 2>/dev/null)
