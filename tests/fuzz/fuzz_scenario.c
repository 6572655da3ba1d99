/* libFuzzer target for the scenario loader (scenario_load_string); the property and the
 * input's shape are in harness.h. Built and run by `make fuzz` (clang; each
 * target FUZZ_SECONDS, default 60); its corpus, tests/fuzz/corpus-scenario/, is
 * replayed with mutants by `make test` (tests/test_fuzz.c). */
#include "tests/fuzz/harness.h"

FUZZ_TARGET(fuzz_scenario_input)
