/* libFuzzer target for clustersim-view's readers of a results directory
 * (viz/vdata.h: timeseries.csv, events.csv, autoscaler.csv, summary.json);
 * the property and the input's shape are in harness.h. Built and run by
 * `make fuzz` (clang; each target FUZZ_SECONDS, default 60); its corpus,
 * tests/fuzz/corpus-results/, is replayed with mutants by `make test`
 * (tests/test_fuzz.c). */
#include "tests/fuzz/harness.h"

FUZZ_TARGET(fuzz_results_input)
