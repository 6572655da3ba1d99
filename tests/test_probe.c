/* test_probe: settings and candidates judged (sim/probe.h) on hand-made
 * replications: the three verdicts of a probe, as `clustersim capacity`
 * uses them, and a candidate's objective and margins, as the race of
 * `clustersim tune` uses them.
 *
 * The probe's numbers: three replications of requests.error_rate
 * with the values 1, 2, 3 have mean 2 and sample standard deviation 1, so the
 * Student-t 95% half-width is t_{0.975,2} / sqrt(3) = 4.302652729911275 /
 * 1.7320508075688772 = 2.4841377118, the interval [-0.4841, 4.4841]. Against
 * it: `<` 5 passes (upper end below), `<` 4 is unsure (the interval holds 4),
 * `<` -1 fails (lower end -0.48 is not below -1); `>` -1 passes, `>` 0 is
 * unsure, `>` 5 fails. One replication has no interval: unsure, whatever
 * the value. A replication without a sample (NaN) fails its gate.
 *
 * The candidate's numbers, by hand from hand-made replications, with
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
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sim/probe.h"
#include "sim/scenario.h"

/* |a - b| <= eps in double: cmocka's assert_float_equal compares floats,
 * which cannot hold a tolerance of 1e-12 */
#define assert_near(a, b, eps) assert_near_at((a), (b), (eps), #a, __FILE__, __LINE__)
static void assert_near_at(double a, double b, double eps, const char *what, const char *file, int line)
{
    if (!(fabs(a - b) <= eps) && !(a == b)) {
        print_error("%s: %.17g, not within %g of %.17g\n", what, a, eps, b);
        _fail(file, line);
    }
}

#define HALF 2.4841377118 /* t_{0.975,2} / sqrt(3), above */
#define T975_1 12.7062047361747

static const char yaml[] =
    "services: {web: {}}\n"
    "slo:\n"
    "  - {name: lt5, metric: requests.error_rate, op: \"<\", threshold: 5}\n"
    "  - {name: lt4, metric: requests.error_rate, op: \"<\", threshold: 4}\n"
    "  - {name: ltm1, metric: requests.error_rate, op: \"<\", threshold: -1}\n"
    "  - {name: gtm1, metric: requests.error_rate, op: \">\", threshold: -1}\n"
    "  - {name: gt0, metric: requests.error_rate, op: \">\", threshold: 0}\n"
    "  - {name: gt5, metric: requests.error_rate, op: \">\", threshold: 5}\n";

/* A probe of the scenario above, from a file written for it. */
static void open_probe(probe_t *p, const char *text)
{
    char path[] = "test_probe-XXXXXX"; /* in the current directory, removed at once */
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    diag_t *d = calloc(1, sizeof *d);
    assert_non_null(d);
    diag_init(d);
    scenario_opts_t so = {NULL, false, NULL};
    int rc = probe_open(p, path, NULL, 0, &so, d);
    if (rc != 0)
        diag_print(d, stderr);
    free(d);
    unlink(path);
    assert_int_equal(rc, 0);
}

static void add(probe_t *p, double v)
{
    metrics_t m;
    metrics_init(&m);
    metrics_add(&m, v, "requests.error_rate");
    assert_int_equal(probe_add(p, &m), 0);
}

/* Three replications of error rates 1, 2, 3 (mean 2, the half-width HALF). */
static void add_123(probe_t *p)
{
    add(p, 1);
    add(p, 2);
    add(p, 3);
}

static void verdicts(void **state)
{
    (void)state;
    probe_t p;
    open_probe(&p, yaml);
    add(&p, 1);
    /* one replication: no interval, every gate unsure */
    for (size_t i = 0; i < p.sc->nslo; i++)
        assert_int_equal(p.gates[i].verdict, PROBE_UNSURE);
    assert_int_equal(p.verdict, PROBE_UNSURE);
    add(&p, 2);
    add(&p, 3);
    assert_int_equal(p.nreps, 3);
    assert_near(p.gates[0].value, 2, 1e-12);
    assert_near(p.gates[0].half, HALF, 1e-9);
    /* any one of the 6 gates failing fails the probe, so failing is judged
     * at 2.5% / 6: t_{1-0.025/6,2} = (2p - 1) / sqrt(2p(1 - p)) at
     * p = 0.9958333 (Student t with 2 degrees of freedom in closed form),
     * 10.8859, widens the half-width to 2.4841 x 10.8859 / 4.3027 = 6.2849:
     * `<` -1 and `>` 5 are no longer sure fails (-4.28 and 8.28 cross them);
     * passing needs every gate, and is judged at 95% */
    static const probe_verdict_t want[] = {PROBE_PASS, PROBE_UNSURE, PROBE_UNSURE,
                                           PROBE_PASS, PROBE_UNSURE, PROBE_UNSURE};
    for (size_t i = 0; i < 6; i++)
        assert_int_equal(p.gates[i].verdict, want[i]);
    assert_int_equal(p.verdict, PROBE_UNSURE);
    /* margins: (5 - 2) / 5 for `<` 5, (2 - 5) / 5 for `>` 5 */
    assert_near(p.gates[0].margin, 0.6, 1e-12);
    assert_near(p.gates[5].margin, -0.6, 1e-12);
    assert_string_equal(probe_verdict_name(p.verdict), "unsure");
    probe_free(&p);
    /* one gate: failing at 95% again */
    open_probe(&p, "services: {web: {}}\n"
                   "slo: [{name: ltm1, metric: requests.error_rate, op: \"<\", threshold: -1}]\n");
    add_123(&p);
    assert_int_equal(p.verdict, PROBE_FAIL);
    probe_free(&p);
}

/* Looks: the same 1, 2, 3 against `<` 4.6 pass at 95% (upper end 4.484); a
 * probe that may be judged 3 times splits 2.5% between them:
 * t_{1-0.025/3,2} = 7.6488 (closed form above, p = 0.9916667) widens the
 * half-width to 2.4841 x 7.6488 / 4.3027 = 4.4160, upper end 6.416: unsure. */
static void looks_split_the_error(void **state)
{
    (void)state;
    static const char one[] = "services: {web: {}}\n"
                              "slo: [{name: lt46, metric: requests.error_rate, op: \"<\", threshold: 4.6}]\n";
    for (int looks = 1; looks <= 3; looks += 2) {
        probe_t p;
        open_probe(&p, one);
        p.looks = looks;
        add_123(&p);
        assert_int_equal(p.verdict, looks == 1 ? PROBE_PASS : PROBE_UNSURE);
        assert_near(p.gates[0].half, HALF, 1e-9); /* the plain 95% one, for the tables */
        probe_free(&p);
    }
}

static void whole_pass_and_no_sample(void **state)
{
    (void)state;
    probe_t p;
    open_probe(&p, "services: {web: {}}\n"
                   "slo: [{name: lt5, metric: requests.error_rate, op: \"<\", threshold: 5}]\n");
    add_123(&p);
    assert_int_equal(p.verdict, PROBE_PASS);
    probe_free(&p);

    open_probe(&p, "services: {web: {}}\n"
                   "slo: [{name: lt5, metric: requests.error_rate, op: \"<\", threshold: 5}]\n");
    add(&p, NAN);
    add(&p, NAN);
    assert_int_equal(p.gates[0].verdict, PROBE_FAIL);
    assert_int_equal(p.verdict, PROBE_FAIL);
    /* a replication with other paths is refused */
    metrics_t m;
    metrics_init(&m);
    metrics_add(&m, 1, "latency_ms.mean");
    assert_int_equal(probe_add(&p, &m), -1);
    metrics_free(&m);
    probe_free(&p);
}

static const char ev_yaml[] =
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
    scenario_t *sc = scenario_load_string(ev_yaml, "ev.yaml", NULL, 0, &d);
    if (!sc)
        diag_print(&d, stderr);
    assert_non_null(sc);
    return sc;
}

/* A candidate: r replications of (cost.total_usd, latency_ms.mean). */
static void judge_looks(const scenario_t *sc, const double *cost, const double *lat, int r, int looks,
                        probe_eval_t *e)
{
    metrics_t reps[4];
    for (int k = 0; k < r; k++) {
        metrics_init(&reps[k]);
        metrics_add(&reps[k], cost[k], "cost.total_usd");
        metrics_add(&reps[k], lat[k], "latency_ms.mean");
    }
    assert_int_equal(probe_judge(sc, "cost.total_usd", reps, r, looks, e), 0);
    for (int k = 0; k < r; k++)
        metrics_free(&reps[k]);
}

static void judge(const scenario_t *sc, const double *cost, const double *lat, int r, probe_eval_t *e)
{
    judge_looks(sc, cost, lat, r, 1, e);
}

static void test_undecided(void **state)
{
    (void)state;
    scenario_t *sc = load();
    probe_eval_t e;
    judge(sc, (double[]){1, 3}, (double[]){8, 9}, 2, &e);
    double half = T975_1 * sqrt(0.5) / sqrt(2);
    assert_near(e.objective, 2, 1e-12);
    assert_near(e.objective_half, T975_1, 1e-9);
    assert_near(e.gates.v[0].value, 8.5, 1e-12);
    assert_near(e.gates.v[0].half, half, 1e-9);
    assert_false(e.feasible);
    assert_false(e.infeasible);
    assert_near(e.margin, 0.15, 1e-12);
    assert_near(e.margin_half, half / 10, 1e-9);
    assert_int_equal(e.margin_gate, 0);
    probe_eval_free(&e);
    scenario_free(sc);
}

static void test_surely_fails_and_passes(void **state)
{
    (void)state;
    scenario_t *sc = load();
    probe_eval_t e;
    judge(sc, (double[]){1, 1}, (double[]){20, 21}, 2, &e);
    assert_true(e.infeasible);
    assert_false(e.feasible);
    assert_near(e.margin, (10 - 20.5) / 10, 1e-12);
    probe_eval_free(&e);
    judge(sc, (double[]){1, 1}, (double[]){5, 5}, 2, &e);
    assert_true(e.feasible);
    assert_false(e.infeasible);
    assert_near(e.margin, 0.5, 1e-12);
    assert_near(e.margin_half, 0, 0);
    assert_near(e.objective_half, 0, 0);
    probe_eval_free(&e);
    /* no sample: no margin, not surely failing, not feasible */
    judge(sc, (double[]){1, 1}, (double[]){NAN, NAN}, 2, &e);
    assert_true(isnan(e.margin));
    assert_false(e.infeasible);
    assert_false(e.feasible);
    probe_eval_free(&e);
    scenario_free(sc);
}

/* A race judges a candidate once a round, so its drop for a gate failing
 * surely is split over the looks (and gates). Latencies 11, 12, 13, 14:
 * mean 12.5, standard error sqrt(5/3)/2 = 0.6455. Against `< 10` the
 * lower end is 12.5 - q 0.6455, below 10 iff q > 3.873. At one look
 * q = t(0.975, 3) = 3.182 (tables): fails surely, dropped. At 3 looks
 * q = t(1 - 0.025/3, 3) > t(0.99, 3) = 4.541: not sure, kept; feasible,
 * the verdicts and the margin are the plain 95% ones either way. */
static void test_looks_split_the_drop(void **state)
{
    (void)state;
    scenario_t *sc = load();
    const double cost[] = {1, 1, 1, 1}, lat[] = {11, 12, 13, 14};
    probe_eval_t e1, e3;
    judge_looks(sc, cost, lat, 4, 1, &e1);
    judge_looks(sc, cost, lat, 4, 3, &e3);
    assert_true(e1.infeasible);
    assert_false(e3.infeasible);
    assert_false(e1.feasible);
    assert_false(e3.feasible);
    assert_near(e1.gates.v[0].half, e3.gates.v[0].half, 0);
    assert_near(e1.margin, e3.margin, 0);
    probe_eval_free(&e1);
    probe_eval_free(&e3);
    /* probe_split: the ratio of the two quantiles, t(1 - 0.025/3, 2) =
     * 7.6488 (closed form, as above) over t(0.975, 2) = 4.3027 */
    assert_near(probe_split(1, 2, 3), 7.6488 / 4.3027, 1e-4);
    assert_near(probe_split(2.5, 2, 1), 2.5, 0);
    assert_near(probe_split(2.5, 0, 3), 2.5, 0);
    /* doubling schedules: 2, 4, 8; 3, 6; 5; 3, 6, 10 (capped) */
    assert_int_equal(probe_looks(2, 8), 3);
    assert_int_equal(probe_looks(3, 6), 2);
    assert_int_equal(probe_looks(5, 5), 1);
    assert_int_equal(probe_looks(3, 10), 3);
    scenario_free(sc);
}

static void test_greater_than(void **state)
{
    (void)state;
    slo_t g = {.name = "hit", .metric = "cache.cdn.hit_ratio", .op = SLO_GE, .threshold = 0.9};
    gate_verdict_t v = {.slo = &g, .value = 0.95, .half = 0.01};
    double h, m = probe_margin(&v, &h);
    assert_near(m, 0.05 / 0.9, 1e-12);
    assert_near(h, 0.01 / 0.9, 1e-12);
    assert_false(probe_fails_surely(&v));
    v.value = 0.85; /* [0.84, 0.86]: every point below 0.9 */
    assert_true(probe_fails_surely(&v));
    v.value = 0.895; /* [0.885, 0.905]: crosses */
    assert_false(probe_fails_surely(&v));
    v.half = NAN; /* no interval yet */
    v.value = 0.5;
    assert_false(probe_fails_surely(&v));
    /* a threshold of 0: the plain difference */
    slo_t z = {.name = "err", .metric = "requests.error_rate", .op = SLO_LT, .threshold = 0};
    gate_verdict_t w = {.slo = &z, .value = 0.25, .half = 0.5};
    m = probe_margin(&w, &h);
    assert_near(m, -0.25, 1e-12);
    assert_near(h, 0.5, 1e-12);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(verdicts),
        cmocka_unit_test(whole_pass_and_no_sample),
        cmocka_unit_test(looks_split_the_error),
        cmocka_unit_test(test_undecided),
        cmocka_unit_test(test_surely_fails_and_passes),
        cmocka_unit_test(test_looks_split_the_drop),
        cmocka_unit_test(test_greater_than),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
