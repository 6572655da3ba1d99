/* libFuzzer target for the scenario loader and the run of what it loads
 * (fuzz_run_input: world_new, world_run of at most FUZZ_RUN_EVENTS events,
 * world_collect); the property and the input's shape are in harness.h.
 * Built and run by `make fuzz` (clang; FUZZ_SECONDS, default 60), seeded
 * with scenarios/ and the scenario target's corpus; its corpus,
 * tests/fuzz/corpus-run/, is replayed with mutants by `make test`
 * (tests/test_fuzz.c). */
#include "tests/fuzz/harness.h"

FUZZ_TARGET(fuzz_run_input)
