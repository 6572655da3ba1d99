/* The scenario loader's fuzz harness, shared by the libFuzzer target
 * (tests/fuzz/fuzz_scenario.c, `make fuzz` with clang) and the corpus replay
 * that `make test` runs (tests/test_fuzz.c).
 *
 * Property: any input either loads, or fails with at least one diagnostic of
 * the form `file:line:col: message` (or `file: message` for file-level
 * problems; the file may be one the input names, such as a manifest) —
 * never a crash, a hang, a leak or a silent failure. */
#ifndef TESTS_FUZZ_HARNESS_H
#define TESTS_FUZZ_HARNESS_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sim/scenario.h"

/* 0 when the property holds, -1 when it does not. */
static inline int fuzz_scenario_input(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    diag_t d;
    diag_init(&d);
    scenario_t *sc = scenario_load_string(text, "fuzz.yaml", NULL, 0, &d);
    int rc = 0;
    if (sc) {
        scenario_free(sc);
    } else {
        /* the first error: "FILE:" then "LINE:COL: " or " " */
        const char *m = d.n ? d.msgs[0].text : "";
        for (size_t i = 0; i < d.n && d.msgs[i].warning; i++)
            m = d.msgs[i + 1 < d.n ? i + 1 : i].text;
        const char *colon = strchr(m, ':');
        if (d.errors == 0 || !colon || colon == m || !(colon[1] == ' ' || (colon[1] >= '0' && colon[1] <= '9')))
            rc = -1;
    }
    free(text);
    return rc;
}

#endif
