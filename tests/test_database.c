/* The database station (models/database.h) against closed forms.
 *
 * 1. A replica is `cores` workers and a FIFO queue: reads of exponential
 *    time (mean 1/mu) arriving as Poisson(lambda) at one replica make an
 *    M/M/c queue, so a read's latency is rtt + Erlang C's sojourn
 *    C(c, a)/(c mu - lambda) + 1/mu.
 * 2. Stale reads: writes of rate w per row (Poisson), a lag drawn per read
 *    from Exp(mean L): a read is stale when its row was written within the
 *    lag, with probability 1 - E[exp(-w D)] = wL/(1 + wL).
 * 3. A pool of c connections in front of a database that is not the
 *    bottleneck (cores to spare, no rtt): a query holds a connection for
 *    its exponential execution, so the connection wait is M/M/c's,
 *    C(c, a)/(c mu - lambda). A pool too small times out; pools beyond
 *    max_connections are refused.
 * 4. The query cache: a TTL cache set on miss under Poisson reads of rate
 *    lambda per row hits lambda T/(1 + lambda T) (rtt 0, executions of
 *    1 us: the fill follows the miss by 1 us, a bias below 1e-6); writes
 *    invalidate, so adding them lowers the hit ratio.
 * 5. A replica failure: its reads move to the other replica at once (none
 *    reach it while it is down), and it is a row of events.csv.
 * Tolerances: Student t over 10 replications and the power check
 * (tests/testlib.h), as test_validation.c. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "models/catalog.h"
#include "sim/world.h"
#include "tests/testlib.h"


static scenario_t *load(const char *yaml) { return tl_load(yaml, "db.yaml"); }


/* Erlang C: the probability an arrival waits in M/M/c with offered load a. */
static double erlang_c(int c, double a)
{
    double term = 1, sum = 1;
    for (int k = 1; k < c; k++) {
        term *= a / k;
        sum += term;
    }
    double last = term * a / c;
    double top = last * c / (c - a);
    return top / (sum + top);
}

static void test_replica_is_mmc(void **state)
{
    (void)state;
    /* one replica, 4 cores, reads of mean 10 ms (mu 100/s), lambda 320/s */
    scenario_t *sc = load("duration: 400s\nwarmup: 40s\ntraffic:\n  rate: 320/s\n"
                          "  classes: {r: {share: 1, objects: 100, route: [database]}}\n"
                          "database: {replicas: 1, cores: 4, rtt: 1ms, pool_size: 0, read_time: {dist: exponential, mean: 10ms}}\n"
                          "services: {web: {}}\n");
    double x[TL_R];
    for (int i = 0; i < TL_R; i++)
        x[i] = tl_metric(sc, i, "database.latency_ms.mean");
    double exact = 1.0 + 1e3 * (erlang_c(4, 3.2) / (400.0 - 320.0) + 0.01);
    tl_check_mean("read latency = rtt + M/M/4 sojourn [ms]", x, exact, 0, 0.1);
    scenario_free(sc);
}

static void test_stale_reads(void **state)
{
    (void)state;
    /* 100 rows; writes 100/s in all (w = 1/s a row), lag Exp(100 ms):
     * P(stale) = 0.1 / 1.1 */
    scenario_t *sc = load("duration: 300s\nwarmup: 20s\ntraffic:\n  rate: 300/s\n"
                          "  classes:\n    w: {share: 0.333333333333, method: POST, objects: 100, route: [database]}\n"
                          "    r: {share: 0.666666666667, objects: 100, route: [database]}\n"
                          "database:\n  replicas: 2\n  cores: 64\n  read_time: 1us\n  write_time: 1us\n  rtt: 0s\n  pool_size: 0\n"
                          "  replication_lag: {dist: exponential, mean: 100ms}\n"
                          "services: {web: {}}\n");
    double x[TL_R];
    for (int i = 0; i < TL_R; i++)
        x[i] = tl_metric(sc, i, "database.stale_read_fraction");
    tl_check_mean("stale reads = wL/(1 + wL)", x, 0.1 / 1.1, 0, 0.002);
    scenario_free(sc);
}

static void test_replica_failure(void **state)
{
    (void)state;
    const char *base = "duration: 100s\ntraffic:\n  rate: 100/s\n"
                       "  classes: {r: {share: 1, objects: 100, route: [database]}}\n"
                       "database: {replicas: 2}\nservices: {web: {}}\n";
    char yaml[600];
    snprintf(yaml, sizeof yaml, "%sfaults: [{at: 0s, target: database.1, fault: replica_failure}]\n", base);
    scenario_t *sc = load(yaml);
    /* down from the start: replica 1 serves nothing, replica 2 everything */
    assert_true(tl_metric(sc, 0, "database.replicas.1.utilization") == 0);
    assert_true(tl_metric(sc, 0, "database.replicas.2.utilization") > 0);
    assert_true(tl_metric(sc, 0, "database.failed") == 0);
    scenario_free(sc);
    sc = load(base);
    assert_true(tl_metric(sc, 0, "database.replicas.1.utilization") > 0);
    scenario_free(sc);
    diag_t d;
    diag_init(&d);
    snprintf(yaml, sizeof yaml, "%sfaults: [{at: 1s, target: database.3, fault: replica_failure}]\n", base);
    assert_null(scenario_load_string(yaml, "db.yaml", NULL, 0, &d));
    assert_non_null(strstr(d.msgs[0].text, "db.yaml:7:27: faults: a replica_failure names its replica"));
}

static void test_pool_is_mmc(void **state)
{
    (void)state;
    /* one pod's pool of 4, queries of mean 10 ms, 320/s: Wq = C(4, 3.2)/80 */
    scenario_t *sc = load("duration: 400s\nwarmup: 40s\ntraffic:\n  rate: 320/s\n"
                          "  classes: {r: {share: 1, objects: 100, route: [web, database]}}\n"
                          "database: {replicas: 1, cores: 1000, rtt: 0s, pool_size: 4, pool_timeout: 1h,\n"
                          "           read_time: {dist: exponential, mean: 10ms}}\n"
                          "services: {web: {replicas: 1, concurrency: 1000, service_time: 1us}}\n");
    double x[TL_R];
    for (int i = 0; i < TL_R; i++)
        x[i] = tl_metric(sc, i, "database.pool_wait_ms.mean");
    tl_check_mean("connection wait = C(c, a)/(c mu - lambda) [ms]", x, 1e3 * erlang_c(4, 3.2) / 80.0, 0, 0.1);
    scenario_free(sc);
}

static void test_pool_limits(void **state)
{
    (void)state;
    /* a pool of 1 with a 1 ms timeout under 200/s of 10 ms queries:
     * most waits exceed it */
    scenario_t *sc = load("duration: 60s\ntraffic:\n  rate: 200/s\n"
                          "  classes: {r: {share: 1, objects: 100, route: [web, database]}}\n"
                          "database: {replicas: 1, pool_size: 1, pool_timeout: 1ms, read_time: 10ms}\n"
                          "services: {web: {replicas: 1, concurrency: 100, service_time: 1us}}\n");
    double timeouts = tl_metric(sc, 0, "database.pool_timeouts");
    assert_true(timeouts > 1000);
    assert_true(tl_metric(sc, 0, "requests.failed") >= timeouts);
    assert_true(tl_metric(sc, 0, "database.connections_max") <= 1);
    scenario_free(sc);
    /* 4 pods x pools of 10 against max_connections 5: refusals, never more
     * than 5 held */
    sc = load("duration: 60s\ntraffic:\n  rate: 800/s\n"
              "  classes: {r: {share: 1, objects: 100, route: [web, database]}}\n"
              "database: {replicas: 1, pool_size: 10, max_connections: 5, read_time: 10ms}\n"
              "services: {web: {replicas: 4, concurrency: 100, service_time: 1us}}\n");
    assert_true(tl_metric(sc, 0, "database.too_many_connections") > 0);
    assert_true(tl_metric(sc, 0, "database.connections_max") <= 5);
    scenario_free(sc);
}

static void test_query_cache(void **state)
{
    (void)state;
    /* 100 rows, 100 reads/s: lambda 1/s a row, T 1 s: 1/2 */
    scenario_t *sc = load("duration: 300s\nwarmup: 20s\ntraffic:\n  rate: 100/s\n"
                          "  classes: {r: {share: 1, objects: 100, route: [database]}}\n"
                          "database: {replicas: 1, pool_size: 0, rtt: 0s, read_time: 1us, query_cache_ttl: 1s}\n"
                          "services: {web: {}}\n");
    double x[TL_R];
    for (int i = 0; i < TL_R; i++)
        x[i] = tl_metric(sc, i, "cache.db_query.hit_ratio");
    tl_check_mean("query cache hit ratio = lambda T/(1 + lambda T)", x, 0.5, 0, 0.003);
    scenario_free(sc);
    /* the same reads with writes to the same rows: invalidations lower it */
    sc = load("duration: 300s\nwarmup: 20s\ntraffic:\n  rate: 200/s\n"
              "  classes:\n    r: {share: 0.5, objects: 100, route: [database]}\n"
              "    w: {share: 0.5, method: POST, objects: 100, route: [database]}\n"
              "database: {replicas: 0, pool_size: 0, rtt: 0s, read_time: 1us, write_time: 1us, query_cache_ttl: 1s}\n"
              "services: {web: {}}\n");
    double with_writes = tl_metric(sc, 0, "cache.db_query.hit_ratio");
    printf("  with as many writes as reads: hit ratio %.4f (< 0.5)\n", with_writes);
    assert_true(with_writes < 0.45);
    scenario_free(sc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_replica_is_mmc),
        cmocka_unit_test(test_stale_reads),
        cmocka_unit_test(test_pool_is_mmc),
        cmocka_unit_test(test_pool_limits),
        cmocka_unit_test(test_query_cache),
        cmocka_unit_test(test_replica_failure),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
