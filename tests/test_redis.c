/* The Redis tier (models/redis.h) against closed forms.
 *
 * 1. A shard is one thread with a FIFO queue: with every GET a hit (one
 *    key, set once) and exponential GET times of mean 1/mu under Poisson
 *    requests of rate lambda, a GET's latency is rtt + the M/M/1 sojourn
 *    1/(mu - lambda).
 * 2. allkeys-lru with maxmemory as the capacity: under the independent
 *    reference model, each shard is an LRU cache over the keys hashed to it
 *    (the hash is the station's, rng_mix64 of the key, recomputed here);
 *    Che's approximation per shard, weighted by each shard's share of the
 *    requests, gives the hit ratio. Allowance 0.005 for the approximation
 *    at 200 keys a shard (Fricker, Robert and Roberts 2012: its error falls
 *    with the capacity; test_cache.c measures it below 2e-4 at 100).
 * 3. A failover of one shard for the detection delay D: its GETs fail
 *    (on_failover: fail), Poisson with mean rate x share of the shard x D;
 *    with on_failover: database none fail and they pass on.
 * 4. noeviction: a full shard refuses SETs and never holds more than
 *    maxmemory.
 * Tolerances: Student t over R = 10 replications (t_{0.9995,9} = 4.781)
 * and the power check that the standard error is small, as in
 * test_validation.c; counts at 4.42 Poisson standard deviations. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "models/catalog.h"
#include "models/redis.h"
#include "sim/world.h"
#include "tests/testlib.h"
#include "sim/zipf.h"


static scenario_t *load(const char *yaml) { return tl_load(yaml, "redis.yaml"); }


static void test_shard_is_mm1(void **state)
{
    (void)state;
    /* lambda 500/s, mu 1000/s: sojourn 1/(1000 - 500) = 2 ms; rtt 1 ms */
    scenario_t *sc = load("duration: 400s\nwarmup: 20s\ntraffic:\n  rate: 500/s\n"
                          "  classes: {s: {share: 1, objects: 1, route: [redis]}}\n"
                          "redis:\n  get_time: {dist: exponential, mean: 1ms}\n  set_time: 1us\n  rtt: 1ms\n"
                          "  patterns: {sessions: {ttl: 24h, classes: [s]}}\n"
                          "services: {web: {}}\n");
    double x[TL_R];
    for (int i = 0; i < TL_R; i++)
        x[i] = tl_metric(sc, i, "cache.redis.latency_ms.mean");
    tl_check_mean("GET latency = rtt + 1/(mu - lambda) [ms]", x, 1.0 + 2.0, 0, 0.02);
    scenario_free(sc);
}

/* Che's characteristic time for capacity C over rates lam[0..n). */
static double che(const double *lam, size_t n, double C)
{
    double lo = 0, hi = 1;
    for (;;) {
        double s = 0;
        for (size_t i = 0; i < n; i++)
            s += 1 - exp(-lam[i] * hi);
        if (s >= C)
            break;
        hi *= 2;
    }
    for (int it = 0; it < 200; it++) {
        double mid = (lo + hi) / 2, s = 0;
        for (size_t i = 0; i < n; i++)
            s += 1 - exp(-lam[i] * mid);
        if (s < C)
            lo = mid;
        else
            hi = mid;
    }
    return (lo + hi) / 2;
}

static void test_lru_che(void **state)
{
    (void)state;
    /* 5000 keys, Zipf 0.8, 2 shards of 200 values (1 KiB each, 200 KiB) */
    enum { N = 5000, SHARDS = 2 };
    const double s = 0.8, cap = 200;
    scenario_t *sc = load("duration: 300s\nwarmup: 60s\ntraffic:\n  rate: 2000/s\n"
                          "  classes: {s: {share: 1, objects: 5000, zipf: 0.8, route: [redis]}}\n"
                          "redis:\n  shards: 2\n  maxmemory: 200Ki\n  get_time: 1us\n  set_time: 1us\n  rtt: 0s\n"
                          "  patterns: {sessions: {ttl: 24h, size: 1Ki, classes: [s]}}\n"
                          "services: {web: {}}\n");
    /* the exact popularity, split by the station's hash of key (class 1) */
    zipf_t z;
    assert_int_equal(zipf_init(&z, N, s), 0);
    static double lam[SHARDS][N];
    size_t n[SHARDS] = {0, 0};
    double share[SHARDS] = {0, 0};
    for (uint64_t i = 1; i <= N; i++) {
        uint64_t key = ((uint64_t)1 << 48) | i;
        int sh = (int)(rng_mix64(key) % SHARDS);
        double p = zipf_pmf(&z, i);
        lam[sh][n[sh]++] = p;
        share[sh] += p;
    }
    double exact = 0;
    for (int sh = 0; sh < SHARDS; sh++) {
        double tc = che(lam[sh], n[sh], cap);
        for (size_t i = 0; i < n[sh]; i++)
            exact += lam[sh][i] * (1 - exp(-lam[sh][i] * tc));
    }
    double x[TL_R];
    for (int i = 0; i < TL_R; i++)
        x[i] = tl_metric(sc, i, "cache.redis.hit_ratio");
    /* allowance: Che's approximation, 0.002 absolute as in test_cache.c
     * (a hundred times |Che - exact LRU| measured there at a smaller cache,
     * C = 100, N = 10^4; here C = 200 per shard). Power: about 480,000 GETs
     * a replication at h = 0.385 give a binomial se of the mean of 2.2e-4
     * over 10; LRU hits correlate (1.1 to 1.25 times binomial, test_cache.c),
     * so the bound is three times binomial. A cache 4% smaller (192 values a
     * shard) moves h by about 0.006, past the tolerance (about 0.0033). */
    tl_check_mean("allkeys-lru hit ratio vs Che per shard", x, exact, 0.002, 0.0007);
    scenario_free(sc);
}

static void test_failover(void **state)
{
    (void)state;
    /* one shard, 400/s, detection 5 s: 2000 GETs fail in expectation */
#define FAILOVER(mode)                                                                                       \
    "duration: 60s\ntraffic:\n  rate: 400/s\n"                                                                  \
    "  classes: {s: {share: 1, objects: 100, route: [redis]}}\n"                                                \
    "redis:\n  failover_detection: 5s\n  on_failover: " mode "\n"                                              \
    "  patterns: {sessions: {ttl: 24h, classes: [s]}}\n"                                                        \
    "services: {web: {}}\nfaults: [{at: 20s, target: redis.0, fault: failover}]\n"
    const char *buf = FAILOVER("fail");
    scenario_t *sc = load(buf);
    double failed = tl_metric(sc, 0, "cache.redis.failed");
    printf("  failover, fail: %.0f failed, expected 2000 +- %.0f\n", failed, 4.42 * sqrt(2000));
    assert_true(fabs(failed - 2000) <= 4.42 * sqrt(2000));
    assert_true(tl_metric(sc, 0, "requests.failed") == failed);
    scenario_free(sc);
    buf = FAILOVER("database");
    sc = load(buf);
    assert_true(tl_metric(sc, 0, "cache.redis.failed") == 0);
    assert_true(tl_metric(sc, 0, "requests.failed") == 0);
    double bypass = tl_metric(sc, 0, "cache.redis.bypass");
    assert_true(fabs(bypass - 2000) <= 4.42 * sqrt(2000));
    scenario_free(sc);
    /* two failovers of the shard: each fails its own window's GETs */
    sc = load("duration: 60s\ntraffic:\n  rate: 400/s\n"
              "  classes: {s: {share: 1, objects: 100, route: [redis]}}\n"
              "redis:\n  failover_detection: 5s\n"
              "  patterns: {sessions: {ttl: 24h, classes: [s]}}\n"
              "services: {web: {}}\nfaults: [{at: 20s, target: redis.0, fault: failover},\n"
              "                          {at: 40s, target: redis.0, fault: failover}]\n");
    failed = tl_metric(sc, 0, "cache.redis.failed");
    printf("  two failovers: %.0f failed, expected 4000 +- %.0f\n", failed, 4.42 * sqrt(4000));
    assert_true(fabs(failed - 4000) <= 4.42 * sqrt(4000));
    scenario_free(sc);
}

static void test_noeviction(void **state)
{
    (void)state;
    scenario_t *sc = load("duration: 60s\ntraffic:\n  rate: 200/s\n"
                          "  classes: {s: {share: 1, objects: 1000, route: [redis]}}\n"
                          "redis:\n  maxmemory: 10Ki\n  eviction: noeviction\n"
                          "  patterns: {sessions: {ttl: 24h, size: 1Ki, classes: [s]}}\n"
                          "services: {web: {}}\n");
    assert_true(tl_metric(sc, 0, "cache.redis.refused_sets") > 0);
    assert_true(tl_metric(sc, 0, "cache.redis.memory_bytes") <= 10 * 1024);
    assert_true(tl_metric(sc, 0, "cache.redis.evictions") == 0);
    scenario_free(sc);
}

/* Expired keys are deleted (cache_expire's sweep), as Redis deletes them:
 * under noeviction, with maxmemory above what the live keys take, a key
 * read at rate l (Poisson) and SET for T on each miss hits l T/(1 + l T),
 * 0.5 with l = 0.1/s and T = 10 s (GETs and SETs of 1 us: a bias below
 * 1e-6). About 500 of the 1000 keys live at a time (standard deviation 16)
 * and the sweep, 8 slots a command at about 150 commands/s over a table of
 * 1024 slots, leaves expired ones 0.85 s at most: 700 KiB is room for 700
 * keys, 11 standard deviations above. Were expired keys kept, the first 700
 * would hold the memory for good, and the hit ratio would be 0.35. */
static void test_ttl_expiry(void **state)
{
    (void)state;
    scenario_t *sc = load("duration: 1000s\nwarmup: 100s\ntraffic:\n  rate: 100/s\n"
                          "  classes: {s: {share: 1, objects: 1000, route: [redis]}}\n"
                          "redis:\n  maxmemory: 700Ki\n  eviction: noeviction\n  rtt: 0s\n"
                          "  get_time: 1us\n  set_time: 1us\n"
                          "  patterns: {p: {ttl: 10s, size: 1Ki, classes: [s]}}\n"
                          "services: {web: {}}\n");
    double x[TL_R];
    for (int i = 0; i < TL_R; i++) {
        x[i] = tl_metric(sc, i, "cache.redis.hit_ratio");
        assert_true(tl_metric(sc, i, "cache.redis.refused_sets") == 0);
        assert_true(tl_metric(sc, i, "cache.redis.memory_bytes") <= 700 * 1024);
    }
    tl_check_mean("TTL hit ratio l T/(1 + l T), expired keys deleted", x, 0.5, 0, 0.005);
    scenario_free(sc);
}

/* Evictions count from the end of warm-up, as hits and misses do: with
 * every key of one size and a cache full long before the warm-up ends,
 * each miss's SET evicts one key, so evictions = misses but for the SETs
 * in flight at the ends (1 us each: none at 300/s). */
static void test_evictions_after_warmup(void **state)
{
    (void)state;
    scenario_t *sc = load("duration: 400s\nwarmup: 200s\ntraffic:\n  rate: 300/s\n"
                          "  classes: {s: {share: 1, objects: 2000, route: [redis]}}\n"
                          "redis:\n  maxmemory: 100Ki\n  rtt: 0s\n  get_time: 1us\n  set_time: 1us\n"
                          "  patterns: {p: {ttl: 24h, size: 1Ki, classes: [s]}}\n"
                          "services: {web: {}}\n");
    double ev = tl_metric(sc, 0, "cache.redis.evictions"), miss = tl_metric(sc, 0, "cache.redis.misses");
    printf("  evictions %.0f, misses %.0f\n", ev, miss);
    assert_true(miss > 50000 && fabs(ev - miss) <= 2);
    scenario_free(sc);
}

/* Overlapping failovers of one shard, at 20 s and 22 s with a 5 s
 * detection: no primary from 20 s to 27 s, and events.csv says so: the
 * second failure finds the shard failed already, the first promotion at
 * 25 s leaves it failed (the second is under way), the second's at 27 s
 * promotes the replica. */
static void test_overlapping_failover_events(void **state)
{
    (void)state;
    scenario_t *sc = load("duration: 40s\ntraffic:\n  rate: 10/s\n"
                          "  classes: {s: {share: 1, objects: 100, route: [redis]}}\n"
                          "redis:\n  failover_detection: 5s\n"
                          "  patterns: {sessions: {ttl: 24h, classes: [s]}}\n"
                          "services: {web: {}}\nfaults: [{at: 20s, target: redis.0, fault: failover},\n"
                          "                          {at: 22s, target: redis.0, fault: failover}]\n");
    FILE *ev = tmpfile();
    assert_non_null(ev);
    world_t *w = world_new(sc, 0, &(world_files_t){NULL, ev, NULL});
    assert_non_null(w);
    assert_int_equal(world_run(w), 0);
    world_free(w);
    rewind(ev);
    char buf[2000];
    size_t n = fread(buf, 1, sizeof buf - 1, ev);
    buf[n] = '\0';
    fclose(ev);
    printf("%s", buf);
    assert_non_null(strstr(buf, "0,20,redis.0/redis,primary,failed,"));
    assert_non_null(strstr(buf, "0,22,redis.0/redis,failed,failed,"));
    assert_non_null(strstr(buf, "0,25,redis.0/redis,failed,failed,failover detected; another failover is under way"));
    assert_non_null(strstr(buf, "0,27,redis.0/redis,failed,replica promoted,failover detected"));
    scenario_free(sc);
}

static void expect_error(const char *yaml, const char *text)
{
    diag_t d;
    diag_init(&d);
    scenario_t *sc = scenario_load_string(yaml, "redis.yaml", NULL, 0, &d);
    assert_null(sc);
    bool found = false;
    for (size_t i = 0; i < d.n; i++)
        if (strstr(d.msgs[i].text, text))
            found = true;
    if (!found)
        diag_print(&d, stderr);
    assert_true(found);
}

static void test_bad_input(void **state)
{
    (void)state;
    expect_error("traffic:\n  classes: {s: {share: 1, route: [redis]}}\n"
                 "redis:\n  patterns: {sessions: {ttl: 1h, classes: [nope]}}\nservices: {web: {}}\n",
                 "redis.yaml:4:44: redis.patterns.sessions.classes[0]: 'nope' is not a class");
    expect_error("traffic:\n  classes: {s: {share: 1, route: [redis]}}\nredis:\n  shards: 2\n"
                 "services: {web: {}}\nfaults: [{at: 1s, target: redis.2, fault: failover}]\n",
                 "redis.yaml:6:27: faults: a failover names its shard, redis.0 to redis.1");
    expect_error("traffic:\n  classes: {s: {share: 1, route: [redis]}}\nredis:\n  shards: 0\nservices: {web: {}}\n",
                 "redis.yaml:4:11: redis.shards");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_shard_is_mm1),
        cmocka_unit_test(test_lru_che),
        cmocka_unit_test(test_failover),
        cmocka_unit_test(test_noeviction),
        cmocka_unit_test(test_overlapping_failover_events),
        cmocka_unit_test(test_ttl_expiry),
        cmocka_unit_test(test_evictions_after_warmup),
        cmocka_unit_test(test_bad_input),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
