/* libFuzzer target for the `--set PATH=VALUE` overrides, applied to the
 * fixed scenario tests/fuzz/set-base.yaml (one override per input line); the
 * property and the input's shape are in harness.h. Built and run by
 * `make fuzz` (clang; each target FUZZ_SECONDS, default 60); its corpus,
 * tests/fuzz/corpus-set/, is replayed with mutants by `make test`
 * (tests/test_fuzz.c). */
#include "tests/fuzz/harness.h"

FUZZ_TARGET(fuzz_set_input)
