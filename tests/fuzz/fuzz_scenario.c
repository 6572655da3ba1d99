/* libFuzzer target for the scenario loader: see harness.h.
 *   make fuzz   (needs clang; runs for FUZZ_SECONDS, default 60)
 * New crashes go to tests/fuzz/corpus/ once fixed, so make test replays them. */
#include "tests/fuzz/harness.h"

#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (fuzz_scenario_input(data, size) != 0)
        abort();
    return 0;
}
