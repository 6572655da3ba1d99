/* libFuzzer target for the Kubernetes manifest reader (k8s_load_text); the property and the
 * input's shape are in harness.h. Built and run by `make fuzz` (clang; each
 * target FUZZ_SECONDS, default 60); its corpus, tests/fuzz/corpus-k8s/, is
 * replayed with mutants by `make test` (tests/test_fuzz.c). */
#include "tests/fuzz/harness.h"

FUZZ_TARGET(fuzz_k8s_input)
