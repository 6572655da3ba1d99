/* libFuzzer target for the traffic trace reader (traffic.replay:
 * trace_parse_text); the property and the input's shape are in harness.h.
 * Built and run by `make fuzz` (clang; each target FUZZ_SECONDS, default
 * 60); its corpus, tests/fuzz/corpus-trace/, is replayed with mutants by
 * `make test` (tests/test_fuzz.c). */
#include "tests/fuzz/harness.h"

FUZZ_TARGET(fuzz_trace_input)
