/* test_compare: the paired differences of `clustersim compare` (issue 9,
 * item 2, sim/compare.h) on hand-made results.
 *
 * What is pinned and where it comes from:
 *  - differences {1, 2, 3, 4}: mean 2.5, s = sqrt(5/3) = 1.2909944, and
 *    t_{0.975,3} = 3.1824463052843 (a table value), so the half-width is
 *    3.1824463 * 1.2909944 / sqrt(4) = 2.0542603 (by hand);
 *  - differences {8, 10, 12}: mean 10, s = 2, t_{0.975,2} = 4.3026527297495,
 *    half-width 4.3026527 * 2 / sqrt(3) = 4.9682465;
 *  - the percentile floor: 100 ms and 100.1 ms both lie in [2^26, 2^27) ns,
 *    where a bucket is 2^20 ns wide, so each value's resolution is
 *    (2^20 - 1)/2 ns = 0.5242875 ms (sim/hist.h, test_gate.c) and the floor of
 *    their difference is the sum, 1.048575 ms; the mean has none. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/compare.h"
#include "sim/metrics.h"
#include "sim/run.h"

#define T975_3 3.1824463052843
#define T975_2 4.3026527297495
#define RES_100MS 0.5242875

static void test_paired_by_hand(void **state)
{
    (void)state;
    double b[] = {0, 0, 0, 0}, c[] = {1, 2, 3, 4}, mean, half;
    assert_int_equal(compare_paired(b, c, 4, 0, &mean, &half), 4);
    assert_float_equal(mean, 2.5, 1e-12);
    assert_float_equal(half, T975_3 * sqrt(5.0 / 3.0) / 2, 1e-9);
    assert_float_equal(half, 2.0542603, 1e-6);
    /* the same differences from other values; a pair with a NaN left out */
    double b2[] = {10, NAN, 20, -5, 7}, c2[] = {11, 3, 22, -2, 11};
    assert_int_equal(compare_paired(b2, c2, 5, 0, &mean, &half), 4);
    assert_float_equal(mean, 2.5, 1e-12);
    assert_float_equal(half, 2.0542603, 1e-6);
    /* equal differences: the floor, when there is one */
    double c3[] = {1, 1, 1, 1};
    compare_paired(b, c3, 4, 0, &mean, &half);
    assert_true(mean == 1 && half == 0);
    compare_paired(b, c3, 4, 0.25, &mean, &half);
    assert_true(mean == 1 && half == 0.25);
    /* the floor adds to the Student-t half-width (a reading's bias, not noise) */
    compare_paired(b, c, 4, 0.25, &mean, &half);
    assert_float_equal(half, 2.0542603 + 0.25, 1e-6);
    /* one pair: no interval; none: no difference */
    assert_int_equal(compare_paired(b, c, 1, 0, &mean, &half), 1);
    assert_true(mean == 1 && isnan(half));
    double n[] = {NAN, NAN};
    assert_int_equal(compare_paired(n, c, 2, 0, &mean, &half), 0);
    assert_true(isnan(mean) && isnan(half));
}

static void test_directions_and_headline(void **state)
{
    (void)state;
    static const struct {
        const char *path;
        compare_dir_t dir;
        bool headline;
    } cases[] = {
        {"latency_ms.p99", COMPARE_LOWER_BETTER, true},
        {"latency_ms.mean", COMPARE_LOWER_BETTER, false},
        {"services.web.latency_ms.p95", COMPARE_LOWER_BETTER, true},
        {"services.web.wait_ms.p99", COMPARE_LOWER_BETTER, false},
        {"regions.london.latency_ms.p50", COMPARE_LOWER_BETTER, true},
        {"requests.error_rate", COMPARE_LOWER_BETTER, true},
        {"classes.login.error_rate", COMPARE_LOWER_BETTER, false},
        {"cache.cdn.hit_ratio", COMPARE_HIGHER_BETTER, true},
        {"cache.cdn.edges.london.hit_ratio", COMPARE_HIGHER_BETTER, false},
        {"cost.total_usd", COMPARE_LOWER_BETTER, true},
        {"services.web.cost_usd", COMPARE_LOWER_BETTER, false},
        {"services.web.pod_hours", COMPARE_LOWER_BETTER, true},
        {"services.web.replicas.max", COMPARE_LOWER_BETTER, true},
        {"services.web.replicas.final", COMPARE_LOWER_BETTER, false},
        {"services.web.scale_up_response_s", COMPARE_LOWER_BETTER, true},
        {"services.web.utilization", COMPARE_NO_DIRECTION, false},
        {"requests.total", COMPARE_NO_DIRECTION, false},
        {"database.replicas.1.utilization", COMPARE_NO_DIRECTION, false},
        {"services.a.b.latency_ms.p99", COMPARE_LOWER_BETTER, false}, /* `*` is one component */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        if (compare_direction(cases[i].path) != cases[i].dir || compare_is_headline(cases[i].path) != cases[i].headline)
            fail_msg("%s: direction %d headline %d", cases[i].path, compare_direction(cases[i].path),
                     compare_is_headline(cases[i].path));
    }
}

/* Results of r replications with the metrics path[0..np), values v[k][i]. */
static void make(run_result_t *res, int r, const char *const *path, size_t np, const double v[][4])
{
    memset(res, 0, sizeof *res);
    res->replications = r;
    res->reps = calloc((size_t)r, sizeof *res->reps);
    assert_non_null(res->reps);
    for (int k = 0; k < r; k++) {
        metrics_init(&res->reps[k]);
        for (size_t i = 0; i < np; i++)
            metrics_add(&res->reps[k], v[k][i], "%s", path[i]);
    }
    assert_int_equal(metrics_aggregate(&res->summary, res->reps, (size_t)r), 0);
}

static void unmake(run_result_t *res)
{
    for (int k = 0; k < res->replications; k++)
        metrics_free(&res->reps[k]);
    free(res->reps);
    metrics_free(&res->summary);
}

static const char *const paths[] = {"latency_ms.mean", "latency_ms.p99", "cache.cdn.hit_ratio", "requests.error_rate"};

static const compare_row_t *row_of(const compare_report_t *rep, const char *path)
{
    for (size_t i = 0; i < rep->n; i++)
        if (!strcmp(rep->rows[i].path, path))
            return &rep->rows[i];
    fail_msg("no row %s", path);
    return NULL;
}

static void test_percentile_floor(void **state)
{
    (void)state;
    static const double bv[3][4] = {{100, 100, 0.5, 0}, {100, 100, 0.5, 0}, {100, 100, 0.5, 0}};
    static const double cv[3][4] = {{100.1, 100.1, 0.5, 0}, {100.1, 100.1, 0.5, 0}, {100.1, 100.1, 0.5, 0}};
    run_result_t base, cand, same;
    make(&base, 3, paths, 4, bv);
    make(&cand, 3, paths, 4, cv);
    make(&same, 3, paths, 4, bv);
    compare_report_t rep;
    assert_int_equal(compare_evaluate(&base, &cand, NULL, 0, GATE_ON_CI, &rep), 0);
    assert_false(rep.identical);
    const compare_row_t *p99 = row_of(&rep, "latency_ms.p99"), *mean = row_of(&rep, "latency_ms.mean");
    assert_float_equal(p99->diff, 0.1, 1e-9);
    assert_float_equal(p99->half, 2 * RES_100MS, 1e-12); /* the Student-t half-width is 0 */
    assert_float_equal(mean->diff, 0.1, 1e-9);
    assert_true(mean->half < 1e-12);
    assert_int_equal(p99->pairs, 3);
    compare_report_free(&rep);
    /* the same run twice: exactly 0, no floor */
    assert_int_equal(compare_evaluate(&base, &same, NULL, 0, GATE_ON_CI, &rep), 0);
    assert_true(rep.identical);
    for (size_t i = 0; i < rep.n; i++)
        assert_true(rep.rows[i].diff == 0 && rep.rows[i].half == 0 && rep.rows[i].pass);
    compare_report_free(&rep);
    unmake(&base);
    unmake(&cand);
    unmake(&same);
}

static void test_limits(void **state)
{
    (void)state;
    /* p99: base 100, candidate 108, 110, 112: +10% on the mean, the
     * interval's worse end 10 + 4.968 + 1.049 (the two values' resolution)
     * = +16.02% (a base that does not vary: the bound on the ratio is the
     * bound on the difference over 100); hit ratio 0.5 -> 0.45:
     * -10%, a 10% regression (higher is better); error rate 0 -> 0.01: an
     * infinite regression */
    static const double bv[3][4] = {{50, 100, 0.5, 0}, {50, 100, 0.5, 0}, {50, 100, 0.5, 0}};
    static const double cv[3][4] = {{50, 108, 0.45, 0.01}, {50, 110, 0.45, 0.01}, {50, 112, 0.45, 0.01}};
    run_result_t base, cand;
    make(&base, 3, paths, 4, bv);
    make(&cand, 3, paths, 4, cv);
    compare_limit_t lim[4];
    size_t n = 0;
    char err[512];
    assert_int_equal(compare_parse_limits("latency_ms.p99=12,cache.cdn.hit_ratio=11%", 1, lim, 4, &n, err, sizeof err), 0);
    assert_int_equal(compare_parse_limits("requests.error_rate=1000", 2, lim, 4, &n, err, sizeof err), 0);
    assert_int_equal(n, 3);
    assert_string_equal(lim[1].metric, "cache.cdn.hit_ratio");
    assert_true(lim[1].pct == 11 && lim[1].col == 19 && lim[2].option == 2);

    compare_report_t rep;
    assert_int_equal(compare_evaluate(&base, &cand, lim, n, GATE_ON_CI, &rep), 0);
    const compare_row_t *p99 = row_of(&rep, "latency_ms.p99");
    double half = T975_2 * 2 / sqrt(3.0) + 2 * RES_100MS;
    assert_float_equal(p99->diff, 10, 1e-9);
    assert_float_equal(p99->half, half, 1e-6);
    assert_float_equal(p99->pct, 10, 1e-9);
    assert_float_equal(p99->regression, 10 + half, 1e-6);
    assert_false(p99->pass); /* the mean's 10% is within 12%, the interval's 16.02% is not */
    assert_int_equal(p99->basis, GATE_BY_CI);
    const compare_row_t *hr = row_of(&rep, "cache.cdn.hit_ratio");
    assert_float_equal(hr->regression, 10, 1e-9);
    assert_true(hr->pass);
    const compare_row_t *er = row_of(&rep, "requests.error_rate");
    assert_true(isinf(er->regression) && !er->pass && isnan(er->pct));
    assert_int_equal(rep.nlimited, 3);
    assert_int_equal(rep.passed, 1);
    assert_null(row_of(&rep, "latency_ms.mean")->limit);
    compare_report_free(&rep);

    /* the mean decides: p99 passes */
    assert_int_equal(compare_evaluate(&base, &cand, lim, n, GATE_ON_MEAN, &rep), 0);
    assert_true(row_of(&rep, "latency_ms.p99")->pass);
    assert_float_equal(row_of(&rep, "latency_ms.p99")->regression, 10, 1e-9);
    assert_int_equal(rep.passed, 2);
    compare_report_free(&rep);
    unmake(&base);
    unmake(&cand);

    /* what the parser refuses, and where it says so */
    n = 0;
    assert_int_equal(compare_parse_limits("latency_ms.p99", 1, lim, 4, &n, err, sizeof err), -1);
    assert_non_null(strstr(err, "--max-regression[1]:1:1: expected METRIC=PCT"));
    assert_int_equal(compare_parse_limits("a=1,b=-2", 3, lim, 4, &n, err, sizeof err), -1);
    assert_non_null(strstr(err, "--max-regression[3]:1:7: '-2' is not a percentage"));
    assert_int_equal(compare_parse_limits("a=", 1, lim, 4, &n, err, sizeof err), -1);
    assert_int_equal(compare_parse_limits("a=1,", 1, lim, 4, &n, err, sizeof err), -1);
}

/* A limit is judged with the base's noise in it. Base means 480 and 520 in
 * turn over 10 replications (mean 500, s = 21.0819), the candidate exactly
 * 10 above each: the difference is known exactly (an interval [10, 10]),
 * the ratio is not. The test at p% is on w_k = (c_k - b_k) - p/100 b_k:
 * mean 10 - 5p, s = 0.210819 p, so its upper end is
 * 10 - 5p + t_{0.975,9} 0.210819 p / sqrt(10) = 10 - 4.849189 p, at or below
 * 0 from p = 2.062200 (by hand, t_{0.975,9} = 2.2621571627982). A limit of
 * 2% passed before (10 / 500 = 2.000%, the difference's interval having no
 * width), and fails now; 2.07% passes. */
static void test_limit_with_noisy_base(void **state)
{
    (void)state;
    static const char *const one[] = {"latency_ms.mean"};
    double bv[10][4] = {{0}}, cv[10][4] = {{0}};
    for (int k = 0; k < 10; k++) {
        bv[k][0] = k % 2 ? 520 : 480;
        cv[k][0] = bv[k][0] + 10;
    }
    run_result_t base, cand;
    make(&base, 10, one, 1, bv);
    make(&cand, 10, one, 1, cv);
    compare_limit_t lim[2];
    size_t n = 0;
    char err[256];
    assert_int_equal(compare_parse_limits("latency_ms.mean=2", 1, lim, 2, &n, err, sizeof err), 0);
    size_t n2 = 0;
    assert_int_equal(compare_parse_limits("latency_ms.mean=2.07", 2, lim + 1, 1, &n2, err, sizeof err), 0);
    compare_report_t rep;
    assert_int_equal(compare_evaluate(&base, &cand, lim, 1, GATE_ON_CI, &rep), 0);
    const compare_row_t *row = row_of(&rep, "latency_ms.mean");
    assert_float_equal(row->diff, 10, 1e-9);
    assert_true(row->half < 1e-9);
    assert_float_equal(row->regression, 2.0622002818, 1e-6);
    assert_false(row->pass);
    compare_report_free(&rep);
    assert_int_equal(compare_evaluate(&base, &cand, lim + 1, 1, GATE_ON_CI, &rep), 0);
    assert_true(row_of(&rep, "latency_ms.mean")->pass);
    compare_report_free(&rep);
    /* a candidate replication that stopped at the limit of requests in
     * flight: the limit fails, whatever the others show */
    cand.summary.overloaded = 1;
    assert_int_equal(compare_evaluate(&base, &cand, lim + 1, 1, GATE_ON_CI, &rep), 0);
    assert_false(row_of(&rep, "latency_ms.mean")->pass);
    assert_int_equal(row_of(&rep, "latency_ms.mean")->basis, GATE_OVERLOADED);
    compare_report_free(&rep);
    unmake(&base);
    unmake(&cand);
}

/* A base that may be 0: error rates 0, 0.001, 0, 0.002, 0 (mean 0.0006,
 * s = 0.000894, t_{0.975,4} 2.776: the interval of the mean reaches below
 * 0). No ratio can be bounded then (Fieller's interval is unbounded): the
 * same run passes any limit (its differences are exactly 0; the ratio test
 * failed it with an infinite regression), a candidate whose difference may
 * be worse is an infinite regression, one surely not worse passes. */
static void test_limit_with_base_near_zero(void **state)
{
    (void)state;
    static const char *const er[] = {"requests.error_rate"};
    static const double b0[5] = {0, 0.001, 0, 0.002, 0};
    double bv[5][4] = {{0}}, worse[5][4] = {{0}}, better[5][4] = {{0}};
    for (int k = 0; k < 5; k++) {
        bv[k][0] = b0[k];
        worse[k][0] = b0[k] + 0.001;
        better[k][0] = b0[k] / 2;
    }
    run_result_t base, same, cw, cb;
    make(&base, 5, er, 1, bv);
    make(&same, 5, er, 1, bv);
    make(&cw, 5, er, 1, worse);
    make(&cb, 5, er, 1, better);
    compare_limit_t lim[1];
    size_t n = 0;
    char err[256];
    assert_int_equal(compare_parse_limits("requests.error_rate=5", 1, lim, 1, &n, err, sizeof err), 0);
    compare_report_t rep;
    assert_int_equal(compare_evaluate(&base, &same, lim, 1, GATE_ON_CI, &rep), 0);
    assert_true(rep.identical);
    assert_true(row_of(&rep, "requests.error_rate")->regression == 0 && row_of(&rep, "requests.error_rate")->pass);
    compare_report_free(&rep);
    assert_int_equal(compare_evaluate(&base, &cw, lim, 1, GATE_ON_CI, &rep), 0);
    assert_true(isinf(row_of(&rep, "requests.error_rate")->regression));
    assert_false(row_of(&rep, "requests.error_rate")->pass);
    compare_report_free(&rep);
    /* halved in every replication: differences 0, -0.0005, 0, -0.001, 0,
     * whose interval's worse end is mean + half = -0.0003 + 0.000556 > 0:
     * may be worse, so it fails too (a rate that may be 0 bounds nothing) */
    assert_int_equal(compare_evaluate(&base, &cb, lim, 1, GATE_ON_CI, &rep), 0);
    assert_false(row_of(&rep, "requests.error_rate")->pass);
    compare_report_free(&rep);
    unmake(&base);
    unmake(&same);
    unmake(&cw);
    unmake(&cb);
}

static void test_check_limit(void **state)
{
    (void)state;
    metrics_t m;
    metrics_init(&m);
    metrics_add(&m, 0, "latency_ms.p99");
    metrics_add(&m, 0, "latency_ms.p95");
    metrics_add(&m, 0, "services.web.utilization");
    compare_limit_t l = {"latency_ms.p98", 5, 1, 1};
    char err[512];
    assert_int_equal(compare_check_limit(&l, &m, &m, "b.yaml", err, sizeof err), -1);
    assert_non_null(strstr(err, "'latency_ms.p98' is not a path of b.yaml's summary.json (nearest: latency_ms.p99, "
                                "latency_ms.p95, "));
    snprintf(l.metric, sizeof l.metric, "services.web.utilization");
    assert_int_equal(compare_check_limit(&l, &m, &m, "b.yaml", err, sizeof err), -1);
    assert_non_null(strstr(err, "no known better direction"));
    snprintf(l.metric, sizeof l.metric, "latency_ms.p95");
    assert_int_equal(compare_check_limit(&l, &m, &m, "b.yaml", err, sizeof err), 0);
    metrics_free(&m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_paired_by_hand),
        cmocka_unit_test(test_directions_and_headline),
        cmocka_unit_test(test_percentile_floor),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_limit_with_noisy_base),
        cmocka_unit_test(test_limit_with_base_near_zero),
        cmocka_unit_test(test_check_limit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
