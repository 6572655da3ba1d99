/* The bill, by hand: compute from pod-hours and requests, the minimum pod
 * for a pod without requests, CDN egress from response bytes, and the
 * total as the sum of the parts (models/cost.h). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>

#include "models/catalog.h"
#include "sim/world.h"

static void run(const char *yaml, metrics_t *m)
{
    diag_t d;
    diag_init(&d);
    scenario_t *sc = scenario_load_string(yaml, "cost.yaml", NULL, 0, &d);
    if (!sc)
        diag_print(&d, stderr);
    assert_non_null(sc);
    world_t *w = world_new(sc, 0, NULL);
    assert_non_null(w);
    assert_int_equal(world_run(w), 0);
    metrics_init(m);
    world_collect(w, m);
    world_free(w);
    scenario_free(sc);
}

static double get(const metrics_t *m, const char *path)
{
    const metric_t *x = metrics_find(m, path);
    assert_non_null(x);
    return x->value;
}

/* 3 pods of 500m and 1Gi for 2 h: 6 pod-hours x (0.5 x 0.04048 + 1 x
 * 0.004445) = 0.14811 USD. A pod without requests is billed as 0.25 vCPU
 * and 0.5 GiB: 2 pods x 2 h x (0.25 x 0.04048 + 0.5 x 0.004445) = 0.04937.
 * With prices of 1 per vCPU-hour and 0 per GiB-hour: 6 x 0.5 = 3. */
static void test_compute(void **state)
{
    (void)state;
    metrics_t m;
    run("duration: 2h\ntraffic: {rate: 1/s}\nservices:\n"
        "  api: {replicas: 3, service_time: 1ms, resources: {requests: {cpu: 500m, memory: 1Gi}}}\n"
        "  bare: {replicas: 2, service_time: 1ms}\n",
        &m);
    assert_true(fabs(get(&m, "services.api.cost_usd") - 0.14811) < 1e-12);
    assert_true(fabs(get(&m, "services.bare.cost_usd") - 0.04937) < 1e-12);
    assert_true(fabs(get(&m, "cost.total_usd") - (0.14811 + 0.04937)) < 1e-12);
    double req = get(&m, "requests.total");
    assert_true(fabs(get(&m, "cost.per_million_requests_usd") - (0.14811 + 0.04937) / req * 1e6) < 1e-9);
    metrics_free(&m);
    run("duration: 2h\ntraffic: {rate: 1/s}\ncost: {vcpu_hour: 1, gib_hour: 0}\nservices:\n"
        "  api: {replicas: 3, service_time: 1ms, resources: {requests: {cpu: 500m, memory: 1Gi}}}\n",
        &m);
    assert_true(fabs(get(&m, "services.api.cost_usd") - 3.0) < 1e-12);
    metrics_free(&m);
}

/* cost.cpu_utilization is core-hours used over core-hours requested over
 * the services with a CPU request. Deterministic arrivals at 100/s of 4 ms
 * each use 0.4 cores; web's two pods request 2 x 500m = 1 core, and the
 * request-less `bare` (billed as Fargate's minimum) is left out: 0.4. The
 * traffic enters web only (the first service), so bare uses no CPU either.
 * cost.compute_usd is the services'
 * cost_usd summed. */
static void test_cpu_utilization(void **state)
{
    (void)state;
    metrics_t m;
    run("duration: 1h\ntraffic: {rate: 100/s, arrivals: deterministic}\nservices:\n"
        "  web: {replicas: 2, concurrency: 4, service_time: 4ms, resources: {requests: {cpu: 500m}}}\n"
        "  bare: {replicas: 1, service_time: 1ms}\n",
        &m);
    assert_true(fabs(get(&m, "services.web.cpu_requested_core_hours") - 1.0) < 1e-9);
    assert_true(fabs(get(&m, "services.web.cpu_used_core_hours") - 0.4) < 1e-3);
    assert_true(fabs(get(&m, "cost.cpu_utilization") - 0.4) < 1e-3);
    assert_true(fabs(get(&m, "cost.compute_usd") -
                     (get(&m, "services.web.cost_usd") + get(&m, "services.bare.cost_usd"))) < 1e-12);
    metrics_free(&m);
}

/* One region with one edge, a class of 1 MiB responses the CDN does not
 * cache (POST): every completed request sends 1 MiB from the London edge,
 * priced 0.085 per GiB: egress_gib = completed / 1024 and its cost 0.085 x
 * that. Without a CDN (`edges: []`) nothing is billed for egress. */
static void test_egress(void **state)
{
    (void)state;
    metrics_t m;
    run("duration: 600s\ntraffic:\n  rate: 20/s\n  classes: {up: {share: 1, method: POST, size: 1Mi}}\n"
        "regions: {origin: london, users: {london: {share: 1}}, diurnal: false}\n"
        "cdn: {edges: [london]}\nservices: {web: {service_time: 1ms, concurrency: 8}}\n",
        &m);
    double done = get(&m, "requests.completed"), gib = get(&m, "cache.cdn.egress_gib");
    assert_true(done > 10000);
    assert_true(fabs(gib - done / 1024.0) < 1e-9);
    assert_true(fabs(get(&m, "cost.cdn_egress_usd") - 0.085 * done / 1024.0) < 1e-9);
    metrics_free(&m);
    run("duration: 600s\ntraffic:\n  rate: 20/s\n  classes: {up: {share: 1, method: POST, size: 1Mi}}\n"
        "regions: {origin: london, users: {london: {share: 1}}, diurnal: false}\n"
        "cdn: {edges: []}\nservices: {web: {service_time: 1ms, concurrency: 8}}\n",
        &m);
    assert_true(get(&m, "cost.cdn_egress_usd") == 0);
    metrics_free(&m);
}

/* Redis: 3 shards with 1 replica each are 6 nodes; over [warmup, end] of
 * 2 h at 0.206 per node-hour: 6 x 2 x 0.206 = 2.472 USD, in the total. */
static void test_redis_nodes(void **state)
{
    (void)state;
    metrics_t m;
    run("duration: 150m\nwarmup: 30m\ntraffic:\n  rate: 1/s\n  classes: {s: {share: 1, route: [redis]}}\n"
        "redis: {shards: 3, patterns: {sessions: {ttl: 1h, classes: [s]}}}\nservices: {web: {replicas: 1}}\n",
        &m);
    assert_true(fabs(get(&m, "cost.redis_usd") - 2.472) < 1e-12);
    double web = get(&m, "services.web.cost_usd");
    assert_true(fabs(get(&m, "cost.total_usd") - (2.472 + web)) < 1e-12);
    metrics_free(&m);
}

/* PostgreSQL: a primary and 2 replicas over 2 h at 0.225 per server-hour:
 * 3 x 2 x 0.225 = 1.35 USD. */
static void test_database_servers(void **state)
{
    (void)state;
    metrics_t m;
    run("duration: 2h\ntraffic:\n  rate: 1/s\n  classes: {s: {share: 1, route: [database]}}\n"
        "database: {replicas: 2}\nservices: {web: {replicas: 1}}\n",
        &m);
    assert_true(fabs(get(&m, "cost.database_usd") - 1.35) < 1e-12);
    metrics_free(&m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_compute),
        cmocka_unit_test(test_cpu_utilization),
        cmocka_unit_test(test_egress),
        cmocka_unit_test(test_redis_nodes),
        cmocka_unit_test(test_database_servers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
