/* Helpers shared by the tests. The diagnostics helpers (tl_first_error,
 * tl_expect_error) serve the readers' tests (test_textfile.c, test_trace.c,
 * test_vdata.c). The rest serve the tests that run scenarios and compare a
 * replication mean with a closed form (test_redis.c, test_database.c): the tolerance is
 * Student t over TL_R replications, t_{0.9995,9} = 4.781, plus a stated
 * allowance for an approximation, and the standard error is asserted below
 * `power` so that a check cannot pass by being vague (test_validation.c). */
#ifndef TESTS_TESTLIB_H
#define TESTS_TESTLIB_H

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "sim/diag.h"
#include "sim/world.h"

/* The text of the first error (not warning) in d, or "". */
static inline const char *tl_first_error(const diag_t *d)
{
    for (size_t i = 0; i < d->n; i++)
        if (!d->msgs[i].warning)
            return d->msgs[i].text;
    return "";
}

/* Fails the test unless d's first error starts with prefix and holds part. */
static inline void tl_expect_error(const diag_t *d, const char *prefix, const char *part)
{
    const char *e = tl_first_error(d);
    if (strncmp(e, prefix, strlen(prefix)) != 0 || !strstr(e, part)) {
        print_error("got '%s'\nwanted a message starting with '%s' holding '%s'\n", e, prefix, part);
        fail();
    }
}

#define TL_R 10
#define TL_T999 4.781

/* The scenario in yaml (named `name` in messages); fails the test on error. */
static inline scenario_t *tl_load(const char *yaml, const char *name)
{
    diag_t d;
    diag_init(&d);
    scenario_t *sc = scenario_load_string(yaml, name, NULL, 0, &d);
    if (!sc)
        diag_print(&d, stderr);
    assert_non_null(sc);
    return sc;
}

/* Runs replication rep and returns the metric at path. */
static inline double tl_metric(const scenario_t *sc, int rep, const char *path)
{
    world_t *w = world_new(sc, rep, NULL);
    assert_non_null(w);
    assert_int_equal(world_run(w), 0);
    metrics_t m;
    metrics_init(&m);
    world_collect(w, &m);
    const metric_t *x = metrics_find(&m, path);
    assert_non_null(x);
    double v = x->value;
    metrics_free(&m);
    world_free(w);
    return v;
}

/* The mean of x[0..TL_R) against exact. */
static inline void tl_check_mean(const char *what, const double *x, double exact, double allowance, double power)
{
    double mean = 0, var = 0;
    for (int i = 0; i < TL_R; i++)
        mean += x[i] / TL_R;
    for (int i = 0; i < TL_R; i++)
        var += (x[i] - mean) * (x[i] - mean) / (TL_R - 1);
    double se = sqrt(var / TL_R), tol = TL_T999 * se + allowance;
    printf("  %-48s exact %.5f  simulated %.5f  tolerance %.5f  (se %.5f)\n", what, exact, mean, tol, se);
    assert_true(fabs(mean - exact) <= tol);
    assert_true(se <= power);
}

#endif
