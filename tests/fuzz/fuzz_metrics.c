/* libFuzzer target for the `hpa replay` metrics reader (textfile_from_text,
 * then replay_parse_metrics against a fixed HPA); the property and the
 * input's shape are in harness.h. Built and run by `make fuzz` (clang; each
 * target FUZZ_SECONDS, default 60); its corpus, tests/fuzz/corpus-metrics/,
 * is replayed with mutants by `make test` (tests/test_fuzz.c). */
#include "tests/fuzz/harness.h"

FUZZ_TARGET(fuzz_metrics_input)
