/* test_gate: intervals that do not lie (issue 9, item 3) and the rules that
 * judge a gate (item 1, sim/gate.h).
 *
 * What is pinned and where it comes from:
 *  - hist_resolution(v) = (w-1)/2 ns for the bucket of width w holding v
 *    (sim/hist.h): 0 below 128 ns (a bucket per ns); at 128 ns w = 2, so 0.5;
 *    at 10^8 ns (100 ms): 2^26 <= 10^8 < 2^27, so the octave's 64 buckets
 *    are 2^26/64 = 2^20 ns wide and the bound is (2^20-1)/2 = 524287.5 ns,
 *    0.5242875 ms. It bounds the distance between hist_quantile and the exact
 *    order statistic (checked on random samples against a sort).
 *  - D/D/1, requests every 0.5 s served in exactly 100 ms by one worker: every
 *    latency is 100 ms, so every replication reports p50 = p99 = 100 (the
 *    quantile is clamped to [min, max]) and the replications' Student-t
 *    half-width is 0. summary.json's p50_ci95 and p99_ci95 must be the floor
 *    0.5242875, the mean's and max's stay 0 (they are not quantiles).
 *  - M/M/1 at rho = 0.8, short runs: p99 varies across replications far more
 *    than a bucket; its ci95 must be exactly the Student-t half-width of the
 *    replications' values, computed here from them with t_{0.975,9} =
 *    2.2621571627982 (a table value), i.e. unchanged.
 *  - Gate rules on hand-made results: value 10 with half-width 1 against
 *    thresholds 10.5 and 11.5 (`<`), 9.5 and 8.5 (`>`), under both rules, one
 *    replication, no sample. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cJSON.h>

#include "sim/gate.h"
#include "sim/hist.h"
#include "sim/results.h"
#include "sim/run.h"
#include "sim/scenario.h"

#define T975_9 2.2621571627982

static scenario_t *load(const char *yaml)
{
    diag_t d;
    diag_init(&d);
    scenario_t *sc = scenario_load_string(yaml, "gate.yaml", NULL, 0, &d);
    if (!sc)
        diag_print(&d, stderr);
    assert_non_null(sc);
    return sc;
}

static void run(const scenario_t *sc, int reps, run_result_t *res)
{
    run_opts_t o = {NULL, reps, 2, false, NULL};
    char err[512];
    assert_int_equal(run_scenario(sc, &o, res, err, sizeof err), RUN_OK);
}

/* The number at a dotted path of a JSON object. */
static double json_at(const cJSON *root, const char *path)
{
    char buf[200];
    snprintf(buf, sizeof buf, "%s", path);
    const cJSON *cur = root;
    for (char *part = strtok(buf, "."); part && cur; part = strtok(NULL, "."))
        cur = cJSON_GetObjectItemCaseSensitive(cur, part);
    assert_non_null(cur);
    assert_true(cJSON_IsNumber(cur));
    return cur->valuedouble;
}

/* ---- the histogram's resolution ------------------------------------------------- */

static void test_resolution_by_hand(void **state)
{
    (void)state;
    assert_true(hist_resolution(0) == 0);
    assert_true(hist_resolution(100) == 0);
    assert_true(hist_resolution(127) == 0);
    assert_true(hist_resolution(128) == 0.5);
    assert_true(hist_resolution(1e8) == 524287.5);
    /* the reported midpoint of 10^8's bucket: lo = 95 * 2^20, + (2^20-1)/2 */
    assert_true(hist_resolution(95.0 * 1048576 + 524287.5) == 524287.5);
    assert_true(isnan(hist_resolution(NAN)));
    /* between 1/256 and 1/128 of the value over the resolved range */
    for (double v = 256; v < 0x1p43; v *= 1.013)
        assert_true(hist_resolution(v) <= v / 128 && hist_resolution(v) >= v / 256 - 1);
}

static uint64_t sm_state = 7;
static uint64_t sm_next(void)
{
    uint64_t z = (sm_state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static int cmp_i64(const void *a, const void *b)
{
    simtime_t x = *(const simtime_t *)a, y = *(const simtime_t *)b;
    return (x > y) - (x < y);
}

/* The bound holds where it is used: at the reported value. */
static void test_resolution_bounds_quantiles(void **state)
{
    (void)state;
    enum { N = 2001 };
    static simtime_t v[N];
    static hist_t h;
    static const double qs[] = {0.5, 0.95, 0.99};
    for (int trial = 0; trial < 200; trial++) {
        hist_reset(&h);
        int shift = 10 + trial % 30; /* values from ~1 us to ~10 min */
        for (int i = 0; i < N; i++) {
            v[i] = (simtime_t)(sm_next() >> (64 - shift));
            hist_add(&h, v[i]);
        }
        qsort(v, N, sizeof *v, cmp_i64);
        for (size_t k = 0; k < sizeof qs / sizeof qs[0]; k++) {
            double got = hist_quantile(&h, qs[k]);
            double exact = (double)v[(size_t)ceil(qs[k] * N) - 1];
            assert_true(fabs(got - exact) <= hist_resolution(got));
        }
    }
}

static void test_percentile_paths(void **state)
{
    (void)state;
    assert_true(results_is_percentile("latency_ms.p99"));
    assert_true(results_is_percentile("services.web.wait_ms.p50"));
    assert_true(results_is_percentile("database.pool_wait_ms.p95"));
    assert_false(results_is_percentile("latency_ms.mean"));
    assert_false(results_is_percentile("latency_ms.max"));
    assert_false(results_is_percentile("latency_ms.p"));
    assert_false(results_is_percentile("latency_ms.p99x"));
    assert_false(results_is_percentile("services.p99.requests"));
    assert_false(results_is_percentile("requests.p99"));
    assert_false(results_is_percentile("p99"));
}

/* ---- the floor, end to end --------------------------------------------------------- */

static const char dd1[] = "name: dd1\n"
                          "seed: 3\n"
                          "duration: 600s\n"
                          "warmup: 60s\n"
                          "traffic: {rate: 2/s, arrivals: deterministic}\n"
                          "services:\n"
                          "  web: {replicas: 1, concurrency: 1, service_time: {dist: deterministic, value: 100ms}}\n"
                          "slo:\n"
                          "  - {name: p99, metric: services.web.latency_ms.p99, op: '<', threshold: 100.3}\n"
                          "  - {name: mean, metric: services.web.latency_ms.mean, op: '<', threshold: 100.3}\n";

static void test_identical_replications_get_the_floor(void **state)
{
    (void)state;
    scenario_t *sc = load(dd1);
    run_result_t res;
    run(sc, 10, &res);
    const double floor_ms = 0.5242875; /* (2^20 - 1)/2 ns, see the top */
    for (int k = 0; k < 10; k++)
        assert_true(metrics_value(&res.reps[k], "services.web.latency_ms.p99") == 100.0);
    const char *pct[] = {"services.web.latency_ms.p50", "services.web.latency_ms.p99", "latency_ms.p95"};
    for (size_t i = 0; i < 3; i++) {
        const metric_t *m = metrics_find(&res.summary, pct[i]);
        assert_non_null(m);
        assert_true(m->value == 100.0);
        assert_true(m->ci95 == 0.0); /* the replications agree to the bit */
        assert_true(results_ci95(m) == floor_ms);
    }
    const metric_t *mean = metrics_find(&res.summary, "services.web.latency_ms.mean");
    assert_true(mean->ci95 == 0.0 && results_ci95(mean) == 0.0);
    /* summary.json says the same */
    char *text = results_summary_json(sc, &res);
    assert_non_null(text);
    cJSON *root = cJSON_Parse(text);
    assert_non_null(root);
    assert_true(json_at(root, "services.web.latency_ms.p99_ci95") == floor_ms);
    assert_true(json_at(root, "services.web.latency_ms.p50_ci95") == floor_ms);
    assert_true(json_at(root, "latency_ms.p99_ci95") == floor_ms);
    assert_true(json_at(root, "services.web.latency_ms.mean_ci95") == 0.0);
    assert_true(json_at(root, "latency_ms.max_ci95") == 0.0);
    const cJSON *slo0 = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(root, "slo"), 0);
    assert_true(cJSON_GetObjectItemCaseSensitive(slo0, "value_ci95")->valuedouble == floor_ms);
    cJSON_Delete(root);
    free(text);
    /* a gate 0.3 ms above the exact 100: the mean passes, the interval
     * [100 - 0.524, 100 + 0.524] crosses it; the mean's gate has no floor */
    gate_report_t rep;
    assert_int_equal(gate_evaluate(sc, &res, GATE_ON_CI, &rep), 0);
    assert_false(rep.v[0].pass);
    assert_true(rep.v[0].pass_mean);
    assert_true(rep.v[0].half == floor_ms);
    assert_true(rep.v[1].pass);
    gate_report_free(&rep);
    assert_int_equal(gate_evaluate(sc, &res, GATE_ON_MEAN, &rep), 0);
    assert_true(rep.v[0].pass && rep.passed == 2);
    gate_report_free(&rep);
    run_result_free(&res);
    scenario_free(sc);
}

static void test_wide_interval_unchanged(void **state)
{
    (void)state;
    scenario_t *sc = load("name: mm1\nseed: 9\nduration: 2000s\nwarmup: 100s\n"
                          "traffic: {rate: 0.8/s, arrivals: poisson}\n"
                          "services:\n  web: {replicas: 1, concurrency: 1, queue_capacity: 100000,\n"
                          "        service_time: {dist: exponential, mean: 1s}}\n");
    run_result_t res;
    run(sc, 10, &res);
    double x[10], mean = 0, var = 0;
    for (int k = 0; k < 10; k++) {
        x[k] = metrics_value(&res.reps[k], "services.web.latency_ms.p99");
        mean += x[k] / 10;
    }
    for (int k = 0; k < 10; k++)
        var += (x[k] - mean) * (x[k] - mean) / 9;
    double half = T975_9 * sqrt(var / 10);
    const metric_t *m = metrics_find(&res.summary, "services.web.latency_ms.p99");
    double floor_ms = hist_resolution(m->value * 1e6) / 1e6;
    printf("  M/M/1 p99 %.3f ms: replications' half-width %.3f ms, floor %.3f ms\n", m->value, half, floor_ms);
    assert_true(half > 4 * floor_ms); /* the case is wide, so the test means something */
    assert_true(fabs(m->ci95 - half) <= 1e-9 * half);
    /* the resolution adds to the replications' half-width: a percentile read
     * from a histogram may be off by it in every replication alike */
    assert_true(results_ci95(m) == m->ci95 + floor_ms);
    run_result_free(&res);
    scenario_free(sc);
}

/* A proportion's interval covers the exact binomial one of its pooled
 * counts. Five replications with no error in 200 requests each agree to the
 * bit (a Student-t half-width of 0: "[0, 0]", which passed a gate of
 * error_rate < 0.001 whose true rate was near 0.002); 0 in 1,000 pooled has
 * the Clopper-Pearson upper end 1 - 0.025^(1/1000) = 0.0036821 (the Beta(1,
 * n) quantile in closed form), above 0.001. A hit ratio of 1 in every
 * replication: the lower end 0.025^(1/1000). A proportion whose replications
 * vary more than the binomial keeps its Student-t half-width. */
static void test_proportion_interval(void **state)
{
    (void)state;
    metrics_t runs[5];
    for (int k = 0; k < 5; k++) {
        metrics_init(&runs[k]);
        metrics_add_prop(&runs[k], 0, 200, "requests.error_rate");
        metrics_add_prop(&runs[k], 200, 200, "cache.cdn.hit_ratio");
        metrics_add_prop(&runs[k], (uint64_t)(100 + 50 * k), 1000000, "cache.redis.hit_ratio");
        metrics_add(&runs[k], 0, "services.web.rejected");
        metrics_add_count(&runs[k], 0, "requests.rejected");
        metrics_add_count(&runs[k], (uint64_t)(k == 2 ? 4 : 0), "requests.failed");
    }
    runs[3].overloaded = 1; /* summed by the aggregation */
    metrics_t agg;
    assert_int_equal(metrics_aggregate(&agg, runs, 5), 0);
    assert_int_equal(agg.overloaded, 1);
    const metric_t *er = metrics_find(&agg, "requests.error_rate"), *hr = metrics_find(&agg, "cache.cdn.hit_ratio");
    assert_true(er->value == 0 && er->ci95 == 0);
    assert_true(er->trials == 1000 && er->successes == 0);
    assert_float_equal(results_ci95(er), 1 - pow(0.025, 1.0 / 1000), 1e-9);
    assert_float_equal(results_ci95(er), 0.0036821, 1e-7);
    assert_float_equal(results_ci95(hr), 1 - pow(0.025, 1.0 / 1000), 1e-9);
    /* 100, 150, ..., 300 per million: s = 79.06e-6, t_{0.975,4} = 2.7764451:
     * 98.2e-6, against Wilson's about 12e-6 around 200e-6 (1,000 in 5e6) */
    const metric_t *rh = metrics_find(&agg, "cache.redis.hit_ratio");
    assert_true(results_ci95(rh) == rh->ci95);
    assert_float_equal(rh->ci95, 2.7764451052 * sqrt(2.5e-9 * 2.5) / sqrt(5.0), 1e-9);
    /* a metric that is neither a proportion nor a count is as it was */
    const metric_t *rj = metrics_find(&agg, "services.web.rejected");
    assert_true(rj->trials < 0 && results_ci95(rj) == 0);
    /* a count of events: none in 5 replications, the exact Poisson bound
     * -ln(0.025) / 5 = 0.73778 a replication, not 0 +- 0 */
    const metric_t *rq = metrics_find(&agg, "requests.rejected");
    assert_true(rq->count && rq->trials == 5 && rq->successes == 0 && rq->ci95 == 0);
    assert_float_equal(results_ci95(rq), -log(0.025) / 5, 1e-12);
    /* 4 in one of 5: mean 0.8, s = 1.7889, t-half 2.7764 x 1.7889 / sqrt(5)
     * = 2.2212, wider than the score interval's (4 + 1.92 +- 1.96 sqrt(4.96))
     * / 5 = [0.3107, 2.0569]: the t half-width stays */
    const metric_t *rf = metrics_find(&agg, "requests.failed");
    assert_true(rf->successes == 4 && results_ci95(rf) == rf->ci95);
    assert_float_equal(rf->ci95, 2.7764451052 * sqrt(3.2) / sqrt(5.0), 1e-6);
    metrics_free(&agg);
    for (int k = 0; k < 5; k++)
        metrics_free(&runs[k]);
}

/* ---- the rules on hand-made results ---------------------------------------------------- */

/* Results with one metric "x" of value v and half-width h over r
 * replications (every replication holding v, or NaN when v is NaN). */
static void fake(run_result_t *res, int r, double v, double h)
{
    memset(res, 0, sizeof *res);
    res->replications = r;
    res->reps = calloc((size_t)r, sizeof *res->reps);
    assert_non_null(res->reps);
    metrics_init(&res->summary);
    metrics_add(&res->summary, v, "x");
    res->summary.v[0].ci95 = r > 1 ? h : NAN;
    for (int k = 0; k < r; k++) {
        metrics_init(&res->reps[k]);
        metrics_add(&res->reps[k], v, "x");
    }
}

static void test_rules(void **state)
{
    (void)state;
    static slo_t gates[] = {
        {.name = "lt-straddle", .metric = "x", .op = SLO_LT, .threshold = 10.5},
        {.name = "lt-clear", .metric = "x", .op = SLO_LT, .threshold = 11.5},
        {.name = "gt-straddle", .metric = "x", .op = SLO_GT, .threshold = 9.5},
        {.name = "ge-clear", .metric = "x", .op = SLO_GE, .threshold = 9},
        {.name = "le-edge", .metric = "x", .op = SLO_LE, .threshold = 11}, /* the upper end is 11 exactly */
        {.name = "lt-fails", .metric = "x", .op = SLO_LT, .threshold = 9.5},
    };
    scenario_t *sc = calloc(1, sizeof *sc);
    assert_non_null(sc);
    sc->name = "fake";
    sc->slo = gates;
    sc->nslo = sizeof gates / sizeof gates[0];
    const bool by_ci[] = {false, true, false, true, true, false}, by_mean[] = {true, true, true, true, true, false};
    run_result_t res;
    gate_report_t rep;
    fake(&res, 5, 10, 1);
    assert_int_equal(gate_evaluate(sc, &res, GATE_ON_CI, &rep), 0);
    for (size_t i = 0; i < sc->nslo; i++) {
        assert_int_equal(rep.v[i].pass, by_ci[i]);
        assert_int_equal(rep.v[i].basis, GATE_BY_CI);
        assert_int_equal(rep.v[i].samples, 5);
    }
    assert_int_equal(rep.passed, 3);
    gate_report_free(&rep);
    /* one of the 5 replications stopped at the limit of requests in flight
     * (its metrics NaN, left out of the mean): every gate fails, under
     * either rule, as the replication left out is the worst */
    res.summary.overloaded = 1;
    for (int rule = 0; rule < 2; rule++) {
        assert_int_equal(gate_evaluate(sc, &res, rule ? GATE_ON_MEAN : GATE_ON_CI, &rep), 0);
        for (size_t i = 0; i < sc->nslo; i++) {
            assert_false(rep.v[i].pass);
            assert_int_equal(rep.v[i].basis, GATE_OVERLOADED);
        }
        assert_int_equal(rep.passed, 0);
        assert_int_equal(rep.overloaded, 1);
        gate_report_free(&rep);
    }
    res.summary.overloaded = 0;
    assert_int_equal(gate_evaluate(sc, &res, GATE_ON_MEAN, &rep), 0);
    for (size_t i = 0; i < sc->nslo; i++) {
        assert_int_equal(rep.v[i].pass, by_mean[i]);
        assert_int_equal(rep.v[i].basis, GATE_BY_MEAN);
    }
    gate_report_free(&rep);
    run_result_free(&res);
    /* one replication: the value decides, whatever the rule */
    fake(&res, 1, 10, NAN);
    assert_int_equal(gate_evaluate(sc, &res, GATE_ON_CI, &rep), 0);
    for (size_t i = 0; i < sc->nslo; i++) {
        assert_int_equal(rep.v[i].pass, by_mean[i]);
        assert_int_equal(rep.v[i].basis, GATE_BY_VALUE);
        assert_true(isnan(rep.v[i].half));
    }
    gate_report_free(&rep);
    run_result_free(&res);
    /* no sample: every gate fails, under either rule */
    fake(&res, 3, NAN, NAN);
    for (int rule = GATE_ON_CI; rule <= GATE_ON_MEAN; rule++) {
        assert_int_equal(gate_evaluate(sc, &res, (gate_rule_t)rule, &rep), 0);
        assert_int_equal(rep.passed, 0);
        for (size_t i = 0; i < sc->nslo; i++)
            assert_int_equal(rep.v[i].basis, GATE_NO_SAMPLE);
        gate_report_free(&rep);
    }
    run_result_free(&res);
    /* a sample in one replication of three: no interval; the CI rule fails it */
    fake(&res, 3, 10, 0);
    res.reps[1].v[0].value = res.reps[2].v[0].value = NAN;
    assert_int_equal(gate_evaluate(sc, &res, GATE_ON_CI, &rep), 0);
    assert_int_equal(rep.v[1].basis, GATE_NO_INTERVAL);
    assert_int_equal(rep.passed, 0);
    gate_report_free(&rep);
    run_result_free(&res);
    free(sc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_resolution_by_hand),
        cmocka_unit_test(test_resolution_bounds_quantiles),
        cmocka_unit_test(test_percentile_paths),
        cmocka_unit_test(test_identical_replications_get_the_floor),
        cmocka_unit_test(test_wide_interval_unchanged),
        cmocka_unit_test(test_proportion_interval),
        cmocka_unit_test(test_rules),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
