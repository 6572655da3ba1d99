/* test_evaluate: a candidate's replications judged (sim/evaluate.h), as the
 * race of `clustersim tune` uses them.
 *
 * Every number is computed by hand from hand-made replications, with
 * t_{0.975,1} = 12.7062047361747 (a table value; two replications, one
 * degree of freedom):
 *  - the gate `latency_ms.mean < 10` on values 8 and 9: mean 8.5, sample
 *    standard deviation sqrt(0.5), half-width 12.706 * sqrt(0.5) / sqrt(2)
 *    = 6.3531; the interval [2.147, 14.853] crosses 10: neither passing nor
 *    failing with confidence; margin (10 - 8.5) / 10 = 0.15 +- 0.63531;
 *  - on 20 and 21: mean 20.5, the same half-width; the interval's lower end
 *    14.147 is above 10: fails with confidence (infeasible);
 *  - on 5 and 5: half-width 0, passes (feasible), margin 0.5;
 *  - `cache.cdn.hit_ratio >= 0.9` style (op ">="): value 0.95 +- 0.01 has
 *    margin (0.95 - 0.9) / 0.9; 0.85 +- 0.01 fails surely, 0.895 +- 0.01 not;
 *  - the objective (cost.total_usd) on 1 and 3: mean 2, half-width
 *    12.706 * sqrt(2) / sqrt(2) = 12.706;
 *  - a gate with no sample (NaN) has no margin and does not fail surely. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>

#include "sim/evaluate.h"
#include "sim/scenario.h"

#define T975_1 12.7062047361747

static const char yaml[] =
    "name: ev\n"
    "duration: 10s\n"
    "traffic: {rate: 1/s}\n"
    "services:\n"
    "  web: {replicas: 1, service_time: {dist: exponential, mean: 10ms}}\n"
    "slo:\n"
    "  - {name: mean, metric: latency_ms.mean, op: \"<\", threshold: 10}\n";

static scenario_t *load(void)
{
    diag_t d;
    diag_init(&d);
    scenario_t *sc = scenario_load_string(yaml, "ev.yaml", NULL, 0, &d);
    if (!sc)
        diag_print(&d, stderr);
    assert_non_null(sc);
    return sc;
}

/* r replications of (cost.total_usd, latency_ms.mean). */
static void judge(const scenario_t *sc, const double *cost, const double *lat, int r, eval_t *e)
{
    metrics_t reps[4];
    for (int k = 0; k < r; k++) {
        metrics_init(&reps[k]);
        metrics_add(&reps[k], cost[k], "cost.total_usd");
        metrics_add(&reps[k], lat[k], "latency_ms.mean");
    }
    assert_int_equal(eval_judge(sc, "cost.total_usd", reps, r, e), 0);
    for (int k = 0; k < r; k++)
        metrics_free(&reps[k]);
}

static void test_undecided(void **state)
{
    (void)state;
    scenario_t *sc = load();
    eval_t e;
    judge(sc, (double[]){1, 3}, (double[]){8, 9}, 2, &e);
    double half = T975_1 * sqrt(0.5) / sqrt(2);
    assert_float_equal(e.objective, 2, 1e-12);
    assert_float_equal(e.objective_half, T975_1, 1e-9);
    assert_float_equal(e.gates.v[0].value, 8.5, 1e-12);
    assert_float_equal(e.gates.v[0].half, half, 1e-9);
    assert_false(e.feasible);
    assert_false(e.infeasible);
    assert_float_equal(e.margin, 0.15, 1e-12);
    assert_float_equal(e.margin_half, half / 10, 1e-9);
    assert_int_equal(e.margin_gate, 0);
    eval_free(&e);
    scenario_free(sc);
}

static void test_surely_fails_and_passes(void **state)
{
    (void)state;
    scenario_t *sc = load();
    eval_t e;
    judge(sc, (double[]){1, 1}, (double[]){20, 21}, 2, &e);
    assert_true(e.infeasible);
    assert_false(e.feasible);
    assert_float_equal(e.margin, (10 - 20.5) / 10, 1e-12);
    eval_free(&e);
    judge(sc, (double[]){1, 1}, (double[]){5, 5}, 2, &e);
    assert_true(e.feasible);
    assert_false(e.infeasible);
    assert_float_equal(e.margin, 0.5, 1e-12);
    assert_float_equal(e.margin_half, 0, 0);
    assert_float_equal(e.objective_half, 0, 0);
    eval_free(&e);
    /* no sample: no margin, not surely failing, not feasible */
    judge(sc, (double[]){1, 1}, (double[]){NAN, NAN}, 2, &e);
    assert_true(isnan(e.margin));
    assert_false(e.infeasible);
    assert_false(e.feasible);
    eval_free(&e);
    scenario_free(sc);
}

static void test_greater_than(void **state)
{
    (void)state;
    slo_t g = {.name = "hit", .metric = "cache.cdn.hit_ratio", .op = SLO_GE, .threshold = 0.9};
    gate_verdict_t v = {.slo = &g, .value = 0.95, .half = 0.01};
    double h, m = eval_margin(&v, &h);
    assert_float_equal(m, 0.05 / 0.9, 1e-12);
    assert_float_equal(h, 0.01 / 0.9, 1e-12);
    assert_false(eval_fails_surely(&v));
    v.value = 0.85; /* [0.84, 0.86]: every point below 0.9 */
    assert_true(eval_fails_surely(&v));
    v.value = 0.895; /* [0.885, 0.905]: crosses */
    assert_false(eval_fails_surely(&v));
    v.half = NAN; /* no interval yet */
    v.value = 0.5;
    assert_false(eval_fails_surely(&v));
    /* a threshold of 0: the plain difference */
    slo_t z = {.name = "err", .metric = "requests.error_rate", .op = SLO_LT, .threshold = 0};
    gate_verdict_t w = {.slo = &z, .value = 0.25, .half = 0.5};
    m = eval_margin(&w, &h);
    assert_float_equal(m, -0.25, 1e-12);
    assert_float_equal(h, 0.5, 1e-12);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_undecided),
        cmocka_unit_test(test_surely_fails_and_passes),
        cmocka_unit_test(test_greater_than),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
