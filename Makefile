# clustersim: a plain Makefile.
#
#   make            build bin/clustersim (and bin/clustersim-mpi when mpicc is there,
#                   bin/clustersim-view when SDL2 and SDL2_ttf are there)
#   make MPI=1      build bin/clustersim-mpi too, an error without mpicc (MPI=0: never)
#   make VIEW=0     never build bin/clustersim-view (the review window, SDL2)
#   make run        install missing Debian packages, build, run the default scenario
#   make test       install missing Debian packages, build and run every test
#                   (the notebooks too, executed on short runs with Debian's python3)
#   make bench      run the benchmarks (events/s, event set, peak memory, parallel efficiency)
#   make fuzz       fuzz every reader with libFuzzer, FUZZ_SECONDS=60 each (clang)
#   make deps       install the Debian packages the project needs, OpenMPI included (root or sudo)
#   make docs       regenerate scenarios/README.md's reference from `clustersim describe`
#   make SANITIZER=address|undefined test    sanitizer build (objects kept apart)
#   make V=1        show the commands
#
# pkg-config is asked for every library; its answer is expanded only when a
# recipe runs, so `make deps` can install a library in the same invocation.

CC       ?= cc
PKGS     := gsl yaml-0.1 libcjson
TESTPKGS := cmocka
DEB_PKGS := make gcc pkg-config libgsl-dev libyaml-dev libcjson-dev libcmocka-dev python3 \
            libopenmpi-dev openmpi-bin \
            libsdl2-dev libsdl2-ttf-dev zlib1g-dev fonts-dejavu-core xvfb xauth libxtst6 $(NB_PKGS)
# The notebooks (notebooks/, run by tests/cli/test_notebooks.sh) use Debian's
# python3 and these packages, never an interpreter found first on PATH (a
# pyenv or virtualenv python3 would not have them): NB_PYTHON is passed to the
# tests, and the test runs the kernel it names.
NB_PKGS  := python3-pandas python3-matplotlib python3-numpy python3-yaml python3-nbformat \
            python3-nbconvert jupyter-nbconvert python3-ipykernel python3-jupyter-client
NB_PYTHON ?= /usr/bin/python3
DEFAULT_SCENARIO := scenarios/azora-baseline.yaml

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

LIB_SRC  := $(sort $(wildcard sim/*.c models/*.c)) viz/vdata.c
LIB_SRC  := $(filter-out sim/main.c sim/sweep_mpi.c,$(LIB_SRC))
LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/%.o)
LIB      := $(BUILD)/libclustersim.a
TEST_SRC := $(sort $(wildcard tests/test_*.c))
# bin/clustersim-mpi (`mpirun -np N clustersim-mpi sweep ...`) is main.c built
# by mpicc with -DCLUSTERSIM_MPI plus sim/sweep_mpi.c, the only file that
# includes mpi.h. Plain `make` builds it where mpicc exists, so nothing else
# needs MPI; MPI=1 asks for it (the build stops, naming the fix, without
# mpicc); MPI=0 never builds it. OpenMPI stays in DEB_PKGS: `make deps`
# installs everything the project uses.
MPICC   ?= mpicc
MPI_CHECK = @command -v $(MPICC) >/dev/null 2>&1 || { echo "make: no $(MPICC) for bin/clustersim-mpi \
	(make deps installs OpenMPI: libopenmpi-dev openmpi-bin)" >&2; exit 1; }
ifeq ($(MPI),1)
  MPI_BIN := $(BIN)/clustersim-mpi
else ifeq ($(MPI),0)
  MPI_BIN :=
else
  MPI_BIN := $(if $(shell command -v $(MPICC) 2>/dev/null),$(BIN)/clustersim-mpi)
endif
# bin/clustersim-view (viz/) is built when pkg-config finds SDL2, SDL2_ttf
# and zlib (the PNG writer's deflate); without them everything else builds
# and tests, and the viewer's tests say they were skipped. viz/vdata.c, the
# results reader, uses no SDL: it is in the library and tested always.
# VIEW=0 never builds the viewer.
VIEW_PKGS := sdl2 SDL2_ttf zlib
ifeq ($(VIEW),0)
  HAVE_VIEW :=
else
  HAVE_VIEW := $(shell pkg-config --exists $(VIEW_PKGS) 2>/dev/null && echo 1)
endif
VIEW_CFLAGS = $(shell pkg-config --cflags $(VIEW_PKGS))
VIEW_LIBS   = $(shell pkg-config --libs $(VIEW_PKGS))
VIEW_SRC    := $(filter-out viz/vdata.c viz/main.c,$(sort $(wildcard viz/*.c)))
VIEW_OBJ    := $(VIEW_SRC:%.c=$(BUILD)/%.o)
VIEW_TEST_SRC := $(sort $(wildcard tests/test_view*.c))
TEST_SRC    := $(filter-out $(VIEW_TEST_SRC),$(TEST_SRC))
ifeq ($(HAVE_VIEW),1)
  VIEW_BIN  := $(BIN)/clustersim-view
  TEST_SRC  += $(VIEW_TEST_SRC)
else
  VIEW_BIN  :=
endif
TEST_BIN := $(TEST_SRC:tests/%.c=$(BIN)/tests/%)
BENCH_SRC := $(sort $(wildcard tests/bench/bench_*.c))
BENCH_BIN := $(BENCH_SRC:tests/bench/%.c=$(BIN)/bench/%)

.SECONDARY:
.PHONY: all run test check-tests bench docs deps install-packages clean help fuzz fuzz-build fuzz-run
all: $(BIN)/clustersim $(MPI_BIN) $(VIEW_BIN)

help:
	@sed -n '3,16p' Makefile

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(CPPFLAGS) $(PKG_CFLAGS) $(CFLAGS) -c $< -o $@

$(BUILD)/tests/%.o: tests/%.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(CPPFLAGS) $(PKG_CFLAGS) $(TEST_CFLAGS) $(CFLAGS) -c $< -o $@

$(BUILD)/viz/%.o: viz/%.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(CPPFLAGS) $(PKG_CFLAGS) $(VIEW_CFLAGS) $(CFLAGS) -c $< -o $@

$(BUILD)/viz/vdata.o: viz/vdata.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(CPPFLAGS) $(PKG_CFLAGS) $(CFLAGS) -c $< -o $@

$(BIN)/clustersim-view: $(BUILD)/viz/main.o $(VIEW_OBJ) $(LIB)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS) $^ $(VIEW_LIBS) $(LDLIBS) -o $@

$(VIEW_TEST_SRC:tests/%.c=$(BUILD)/tests/%.o): $(BUILD)/tests/%.o: tests/%.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(CPPFLAGS) $(PKG_CFLAGS) $(TEST_CFLAGS) $(VIEW_CFLAGS) $(CFLAGS) -c $< -o $@

$(VIEW_TEST_SRC:tests/%.c=$(BIN)/tests/%): $(BIN)/tests/%: $(BUILD)/tests/%.o $(VIEW_OBJ) $(LIB)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS) $^ $(TEST_LIBS) $(VIEW_LIBS) $(LDLIBS) -o $@

$(LIB): $(LIB_OBJ)
	@$(if $(Q),echo "  AR      $@")
	$(Q)rm -f $@ && ar rcs $@ $^

$(BIN)/clustersim: $(BUILD)/sim/main.o $(LIB)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS) $^ $(LDLIBS) -o $@

$(BUILD)/mpi/sim/%.o: sim/%.c
	$(MPI_CHECK)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  MPICC   $<")
	$(Q)$(MPICC) -DCLUSTERSIM_MPI $(CPPFLAGS) $(PKG_CFLAGS) $(CFLAGS) -c $< -o $@

$(BIN)/clustersim-mpi: $(BUILD)/mpi/sim/main.o $(BUILD)/mpi/sim/sweep_mpi.o $(LIB)
	$(MPI_CHECK)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(MPICC) $(LDFLAGS) $^ $(LDLIBS) -o $@

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
check-tests: $(BIN)/clustersim $(MPI_BIN) $(VIEW_BIN) $(TEST_BIN)
	@fail=0; pass=0; \
	for t in $(TEST_BIN); do \
	  echo "== $$t"; \
	  if CLUSTERSIM=$(BIN)/clustersim $$t; then pass=$$((pass+1)); else fail=$$((fail+1)); echo "FAILED: $$t"; fi; \
	done; \
	for s in tests/cli/test_*.sh; do \
	  [ -f "$$s" ] || continue; echo "== $$s"; \
	  if CLUSTERSIM=$(BIN)/clustersim NB_PYTHON=$(NB_PYTHON) bash $$s; then pass=$$((pass+1)); else fail=$$((fail+1)); echo "FAILED: $$s"; fi; \
	done; \
	echo "suites: $$pass passed, $$fail failed"; \
	[ $$fail -eq 0 ]

bench: deps
	@$(MAKE) --no-print-directory $(BIN)/clustersim $(MPI_BIN) $(VIEW_BIN) $(BENCH_BIN)
	@for b in $(BENCH_BIN); do CLUSTERSIM=$(BIN)/clustersim $$b || exit 1; done

# The reference block of scenarios/README.md is `clustersim describe`'s
# output (tests/cli/test_docs.sh checks it); this rewrites it in place.
docs: $(BIN)/clustersim
	$(Q)$(BIN)/clustersim describe > $(BUILD)/describe.md
	$(Q)awk -v f=$(BUILD)/describe.md '/<!-- END clustersim describe -->/ { skip = 0 } \
	  !skip { print } \
	  /<!-- BEGIN clustersim describe -->/ { while ((getline l < f) > 0) print l; skip = 1 }' \
	  scenarios/README.md > $(BUILD)/README.md.new && mv $(BUILD)/README.md.new scenarios/README.md

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

# Coverage-guided fuzzing of every reader (clang's libFuzzer; not part of
# `make test`, which replays the corpora with mutants instead). One target per
# reader, tests/fuzz/fuzz_NAME.c over tests/fuzz/harness.h (the property).
# Each runs FUZZ_SECONDS in turn, from the repository root (the --set target
# reads tests/fuzz/set-base.yaml), with its working corpus build/fuzz/corpus-NAME
# seeded from tests/fuzz/corpus-NAME/ and the fixtures in FUZZ_SEEDS_NAME; copy
# the inputs worth keeping into tests/fuzz/corpus-NAME/ (seeds named limit_*
# sit at a reader's limits). FUZZ_TARGETS="k8s set" runs only those. A crash,
# a sanitizer report, a leak, a hang (-timeout), memory past -rss_limit_mb or
# a violated property stops it: the input is kept as build/fuzz/NAME-crash-*
# (or -leak-, -timeout-, -oom-) and the run ends with an error.
#
# -max_len=524288 (512 KiB) puts the YAML loader's limits within reach:
# nesting 64 deep needs 65 bytes, 200,000 nodes a few hundred bytes through
# aliases and 400 KB without them (a flow list "[0,0,...]"); CSV lines far
# longer than any fixed buffer. libFuzzer grows new inputs slowly, so the
# limit_* seeds start at the limits (small ones: a 400 KB seed made the
# scenario target 17 times slower, 158 executions/s instead of 2,755). The 16 MiB text cap is out of reach (each input would cost
# seconds); make test covers it. -timeout=10: a linear load of 512 KiB takes
# well under a second under ASan, so ten seconds means superlinear cost or a
# hang, which is a finding. The fuzzers run with stdin from /dev/null and in a
# session of their own (no controlling terminal), so an input naming
# /dev/stdin or /dev/tty as a file cannot block on the user's terminal.
FUZZ_SECONDS ?= 60
FUZZ_TARGETS := $(sort $(patsubst tests/fuzz/fuzz_%.c,%,$(wildcard tests/fuzz/fuzz_*.c)))
FUZZ_SEEDS_scenario := scenarios tests/scenarios/bad
FUZZ_SEEDS_k8s := scenarios/manifests tests/hpa/bad tests/hpa/warn tests/hpa/traces tests/k8s
FUZZ_SEEDS_metrics := tests/hpa/traces
FUZZ_SEEDS_trace := tests/traces
FUZZ_SEEDS_results := tests/view
FUZZ_SEEDS_run := scenarios tests/fuzz/corpus-scenario
FUZZ_FLAGS := -max_len=524288 -timeout=10 -rss_limit_mb=2048 -print_final_stats=1
FUZZ_CC := clang -std=c11 -g -O1 -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all
FUZZ_OBJ := $(LIB_SRC:%.c=build/fuzz/obj/%.o)

fuzz: deps
	@$(MAKE) --no-print-directory install-packages PACKAGES="clang libclang-rt-14-dev"
	@$(MAKE) --no-print-directory fuzz-build
	@$(MAKE) --no-print-directory fuzz-run

fuzz-build: $(FUZZ_TARGETS:%=bin/fuzz/fuzz_%)

# The library is compiled once for every target (instrumented, not linked
# with libFuzzer's main); each target links its own file with it.
build/fuzz/obj/%.o: %.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CLANG   $<")
	$(Q)$(FUZZ_CC) -fsanitize=fuzzer-no-link $(CPPFLAGS) $(PKG_CFLAGS) -MMD -MP -c $< -o $@

bin/fuzz/fuzz_%: build/fuzz/obj/tests/fuzz/fuzz_%.o $(FUZZ_OBJ)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(FUZZ_CC) -fsanitize=fuzzer $^ $(PKG_LIBS) -lm -lpthread -o $@

# One line per target: executions (stat::number_of_executed_units) and the
# edges covered (the last `cov:` of libFuzzer's status lines).
fuzz-run:
	@mkdir -p build/fuzz; $(foreach t,$(FUZZ_TARGETS),seeds_$(t)="$(FUZZ_SEEDS_$(t))";) \
	nosession=; command -v setsid >/dev/null && nosession="setsid -w"; \
	summary=build/fuzz/summary.txt; : >$$summary; \
	for t in $(FUZZ_TARGETS); do \
	  mkdir -p build/fuzz/corpus-$$t; eval seeds=\$$seeds_$$t; log=build/fuzz/$$t.log; \
	  echo "== fuzz_$$t: $(FUZZ_SECONDS) s (log: $$log)"; \
	  $$nosession bin/fuzz/fuzz_$$t -max_total_time=$(FUZZ_SECONDS) $(FUZZ_FLAGS) \
	    -artifact_prefix=build/fuzz/$$t- build/fuzz/corpus-$$t tests/fuzz/corpus-$$t $$seeds </dev/null >$$log 2>&1; \
	  rc=$$?; \
	  execs=$$(sed -n 's/^stat::number_of_executed_units: *//p' $$log | tail -n 1); \
	  edges=$$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' $$log | tail -n 1); \
	  printf 'fuzz_%-10s %10s executions %6s edges  %s\n' $$t "$${execs:-?}" "$${edges:-?}" \
	    "$$([ $$rc -eq 0 ] && echo ok || echo "FINDING (exit $$rc)")" | tee -a $$summary; \
	  if [ $$rc -ne 0 ]; then \
	    grep -n -m 1 -A 40 -E '^==[0-9]+==|^fuzz property violated|^fuzz: |ALARM|out-of-memory|deadly signal' $$log; \
	    ls -1 build/fuzz/$$t-* 2>/dev/null | sed 's/^/input: /'; \
	    echo "make fuzz: fuzz_$$t found a failure: see $$log"; exit 1; \
	  fi; \
	done

clean:
	rm -rf build bin

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
