/* The traffic source's arrival profiles against their integrals: replayed
 * traces (rates and timestamps), flash crowds, and class shares.
 *
 * A non-homogeneous Poisson process over [0, T] has N(T) ~ Poisson(Λ(T)),
 * Λ the integrated rate; a count passes when |N - Λ| <= 4.42 sqrt(Λ)
 * (two-sided 1e-5 of the normal approximation, which at Λ >= 1000 errs
 * by less than the margin), so a correct model fails a check with
 * probability about 1e-5 (and deterministically, as the seeds are fixed).
 * Power: each Λ is chosen so that a mistake in the shape (a missing ramp,
 * a factor applied twice) moves the count by many sqrt(Λ). Class counts
 * are multinomial: class k's count is Binomial(n, share_k), checked with
 * the same 4.42 standard deviations. */
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

#include "models/catalog.h"
#include "models/service.h"
#include "sim/world.h"

#define Z 4.42

static scenario_t *load(const char *yaml, const char *name)
{
    diag_t d;
    diag_init(&d);
    scenario_t *sc = scenario_load_string(yaml, name, NULL, 0, &d);
    if (!sc)
        diag_print(&d, stderr);
    assert_non_null(sc);
    return sc;
}

/* Runs replication 0 and returns the metrics. */
static void run(const scenario_t *sc, metrics_t *m)
{
    world_t *w = world_new(sc, 0, NULL);
    assert_non_null(w);
    assert_int_equal(world_run(w), 0);
    metrics_init(m);
    world_collect(w, m);
    world_free(w);
}

static double get(const metrics_t *m, const char *path)
{
    const metric_t *x = metrics_find(m, path);
    assert_non_null(x);
    return x->value;
}

static void check_poisson(const char *what, double n, double lambda)
{
    double tol = Z * sqrt(lambda);
    printf("  %-44s count %8.0f  expected %9.1f  tolerance %6.1f\n", what, n, lambda, tol);
    assert_true(fabs(n - lambda) <= tol);
}

/* A trace of request timestamps is the arrival process itself: every row is
 * one request at its time (ties included), none other. tests/traces/
 * timestamps.csv holds 6 rows (two ties), the last at 7 s. */
static void test_replay_timestamps(void **state)
{
    (void)state;
    scenario_t *sc = load("duration: 60s\ntraffic: {replay: traces/timestamps.csv}\n"
                          "services: {web: {service_time: 1ms, concurrency: 4}}\n",
                          "tests/replay.yaml");
    const traffic_cfg_t *t = &platform_of(sc)->traffic;
    assert_int_equal(t->ntimestamps, 6);
    metrics_t m;
    run(sc, &m);
    assert_int_equal(get(&m, "requests.total"), 6);
    assert_int_equal(get(&m, "requests.completed"), 6);
    /* a deterministic 1 ms service and workers for every tie: each request
     * takes 1 ms */
    assert_true(fabs(get(&m, "latency_ms.mean") - 1.0) < 1e-9);
    metrics_free(&m);
    scenario_free(sc);
}

/* A trace of rates is a piecewise-linear profile: rows (0, 10/s), (100,
 * 50/s), (200, 10/s), then 10/s to 300 s: Λ = 100 x 30 + 100 x 30 + 100 x
 * 10 = 7000 (trapezia), with R = 5 replications pooled: Λ = 35000. */
static void test_replay_rates(void **state)
{
    (void)state;
    char dir[] = "/tmp/clustersim-traffic-XXXXXX", csv[64], yaml[64];
    assert_non_null(mkdtemp(dir));
    snprintf(csv, sizeof csv, "%s/rates.csv", dir);
    snprintf(yaml, sizeof yaml, "%s/replay.yaml", dir);
    FILE *f = fopen(csv, "w");
    assert_non_null(f);
    fputs("time_s,rate\n0,10\n100,50\n200,10\n", f);
    fclose(f);
    scenario_t *sc = load("duration: 300s\ntraffic: {replay: rates.csv}\n"
                          "services: {web: {service_time: 1ms, concurrency: 100}}\n",
                          yaml);
    double n = 0;
    for (int rep = 0; rep < 5; rep++) {
        world_t *w = world_new(sc, rep, NULL);
        assert_non_null(w);
        assert_int_equal(world_run(w), 0);
        n += (double)w->requests_total;
        world_free(w);
    }
    remove(csv);
    rmdir(dir);
    check_poisson("replayed rates, 5 x 300 s", n, 35000);
    scenario_free(sc);
}

/* A flash crowd on 100/s: factor 5, rising over 10 s from 100 s, holding
 * 20 s, falling over 10 s. Over [0, 200]: 100 x 200 plus the crowd's extra
 * 100 x 4 x (10/2 + 20 + 10/2) = 12000, so Λ = 32000; counted over the
 * hold alone (warm-up at 110 s, end at 130 s): 100 x 5 x 20 = 10000. */
static void test_flash_crowd(void **state)
{
    (void)state;
    scenario_t *sc = load("duration: 200s\ntraffic:\n  rate: 100/s\n"
                          "  flash_crowds: [{at: 100s, factor: 5, rise: 10s, hold: 20s, fall: 10s}]\n"
                          "services: {web: {service_time: 1ms, concurrency: 100}}\n",
                          "tests/flash.yaml");
    metrics_t m;
    run(sc, &m);
    check_poisson("flash crowd, whole run", get(&m, "requests.total"), 32000);
    metrics_free(&m);
    scenario_free(sc);
    sc = load("duration: 130s\nwarmup: 110s\ntraffic:\n  rate: 100/s\n"
              "  flash_crowds: [{at: 100s, factor: 5, rise: 10s, hold: 20s, fall: 10s}]\n"
              "services: {web: {service_time: 1ms, concurrency: 100}}\n",
              "tests/flash.yaml");
    run(sc, &m);
    check_poisson("flash crowd, the hold", get(&m, "requests.total"), 10000);
    metrics_free(&m);
    scenario_free(sc);
}

/* Class shares: 200/s for 100 s, classes 0.5 / 0.3 / 0.2 over n requests:
 * each count is Binomial(n, share). Every class's route is its own
 * service, so each service serves exactly its class's requests. */
static void test_class_shares(void **state)
{
    (void)state;
    scenario_t *sc = load("duration: 100s\ntraffic:\n  rate: 200/s\n  classes:\n"
                          "    a: {share: 0.5, route: [sa]}\n    b: {share: 0.3, route: [sb]}\n"
                          "    c: {share: 0.2, route: [sc]}\n"
                          "services:\n  sa: {service_time: 1ms, concurrency: 50}\n"
                          "  sb: {service_time: 1ms, concurrency: 50}\n  sc: {service_time: 1ms, concurrency: 50}\n",
                          "tests/classes.yaml");
    metrics_t m;
    run(sc, &m);
    double n = get(&m, "requests.total");
    static const char *const names[] = {"a", "b", "c"}, *const svcs[] = {"sa", "sb", "sc"};
    static const double share[] = {0.5, 0.3, 0.2};
    for (int k = 0; k < 3; k++) {
        char p[64];
        snprintf(p, sizeof p, "classes.%s.requests", names[k]);
        double c = get(&m, p);
        double sd = sqrt(n * share[k] * (1 - share[k]));
        printf("  class %s: %8.0f of %8.0f  expected %9.1f  tolerance %6.1f\n", names[k], c, n, n * share[k],
               Z * sd);
        assert_true(fabs(c - n * share[k]) <= Z * sd);
        snprintf(p, sizeof p, "services.%s.throughput_rps", svcs[k]);
        /* every request of the class, none of another, reached its service
         * (1 ms of service: none in flight at the end but within 1 ms) */
        assert_true(fabs(get(&m, p) * 100 - c) <= 1);
    }
    metrics_free(&m);
    scenario_free(sc);
}

/* Shares may add up to 1 within 1e-6 (the loader's tolerance); every
 * request still has a class. 0.5 + 0.499999 left 1e-6 of the requests
 * with none: 5 expected in these 5,000,000, none with probability e^-5. */
static void test_shares_within_tolerance(void **state)
{
    (void)state;
    scenario_t *sc = load("duration: 100s\ntraffic:\n  rate: 50000/s\n  classes:\n"
                          "    a: {share: 0.5, route: []}\n    b: {share: 0.499999, route: []}\n"
                          "services: {web: {}}\n",
                          "tests/shares.yaml");
    metrics_t m;
    run(sc, &m);
    double n = get(&m, "requests.total"), a = get(&m, "classes.a.requests"), b = get(&m, "classes.b.requests");
    printf("  %.0f requests: %.0f a, %.0f b, %.0f of no class\n", n, a, b, n - a - b);
    assert_true(n > 4900000 && a + b == n);
    metrics_free(&m);
    scenario_free(sc);
}

/* A trace of timestamps is the arrivals themselves: a flash crowd cannot
 * multiply it (it was dropped without a word), so the pair is an input
 * error at the flash crowds. */
static void test_flash_crowd_on_timestamps(void **state)
{
    (void)state;
    diag_t d;
    diag_init(&d);
    scenario_t *sc = scenario_load_string("duration: 10s\ntraffic:\n  replay: traces/timestamps.csv\n"
                                          "  flash_crowds: [{at: 1s, factor: 2, hold: 1s}]\nservices: {web: {}}\n",
                                          "tests/flash.yaml", NULL, 0, &d);
    assert_null(sc);
    assert_true(d.n >= 1);
    printf("  %s\n", d.msgs[0].text);
    assert_non_null(strstr(d.msgs[0].text, "tests/flash.yaml:4:18: traffic.flash_crowds: traffic.replay is a trace "
                                            "of timestamps"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_replay_timestamps),
        cmocka_unit_test(test_replay_rates),
        cmocka_unit_test(test_flash_crowd),
        cmocka_unit_test(test_class_shares),
        cmocka_unit_test(test_shares_within_tolerance),
        cmocka_unit_test(test_flash_crowd_on_timestamps),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
