/* Bookkeeping invariants of the service model under stress.
 *
 * A frontend calls a backend and a database; pods are OOM-killed while
 * their requests wait on downstream calls (detached jobs), rolled out
 * (RollingUpdate and Recreate), scaled by both autoscalers and drained with
 * a short grace period. A probe every simulated second checks what must hold
 * whatever the dynamics:
 *   - per pod: active = busy + queued; busy <= concurrency; queued <=
 *     queue_capacity; the queue list holds `queued` jobs; only a running
 *     container holds requests;
 *   - per service: the busy, queue and in-system gauges equal the sums over
 *     pods; the balancer's view is exactly the Ready pods;
 *   - the Deployment: pods that are not terminating never exceed desired +
 *     surge (RollingUpdate) and the view never holds a deleted pod;
 *   - requests: every request taken from the pool is in flight, so live
 *     requests = arrivals - finished;
 * and at the end that the measured requests add up. Sanitizer builds run it
 * too (make SANITIZER=address test). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "models/catalog.h"
#include "models/service.h"
#include "testlib.h"
#include "sim/world.h"

static const char *yaml_for(int variant)
{
    static char buf[4096];
    snprintf(buf, sizeof buf,
             "duration: 90m\n"
             "metrics_server: {resolution: 15s}\n"
             "traffic:\n  profile:\n    - {at: 0s, rate: 20/s}\n    - {at: 30m, rate: 80/s}\n"
             "    - {at: 60m, rate: 30/s}\n"
             "services:\n"
             "  frontend:\n    replicas: 2\n    concurrency: 32\n    queue_capacity: 50\n"
             "    service_time: {dist: exponential, mean: 10ms}\n    calls: [backend, db]\n"
             "    resources: {requests: {cpu: 250m, memory: 64Mi}, limits: {cpu: 500m, memory: 100Mi}}\n"
             "    memory: {base: 40Mi, per_request: %s}\n"
             "    termination_grace: 2s\n    rollouts: [20m, 50m]\n"
             "    autoscaler: {kind: threshold, min_replicas: 2, max_replicas: 12, cooldown: 20s}\n"
             "  backend:\n    replicas: 2\n    concurrency: 8\n    queue_capacity: 20\n"
             "    service_time: {dist: lognormal, mean: 300ms, cv: 1}\n"
             "    resources: {requests: {cpu: \"1\"}, limits: {cpu: \"2\", memory: 200Mi}}\n"
             "    memory: {base: %s, per_request: 2Mi}\n"
             "    strategy: {type: Recreate}\n    rollouts: [40m]\n"
             "    autoscaler: {kind: hpa, manifest: backend-hpa.yaml}\n"
             "  db:\n    replicas: 1\n    concurrency: 4\n    service_time: 5ms\n",
             variant == 0 ? "5Mi" : "1Mi", variant == 1 ? "150Mi" : "100Mi");
    return buf;
}

typedef struct probe {
    long checks, violations;
    uint64_t finished;
} probe_t;

static probe_t pr;

static void fail_if(bool bad, const char *what, world_t *w, const service_t *s)
{
    if (bad) {
        if (pr.violations < 10)
            printf("  violated at %.3f s in %s: %s\n", simtime_to_s(w->now), s ? s->cfg->name : "-", what);
        pr.violations++;
    }
    pr.checks++;
}

static void check(world_t *w)
{
    for (size_t i = 0; i < scenario_nservices(w->sc); i++) {
        const service_t *s = world_service(w, i);
        const service_cfg_t *c = s->cfg;
        int busy = 0, queued = 0, active = 0, ready = 0, alive = 0;
        for (uint32_t k = 0; k < s->npods; k++) {
            const pod_t *p = s->pods[k];
            int n = 0;
            for (const server_item_t *j = p->core.qhead; j; j = j->next)
                n++;
            fail_if(p->lb.active != p->core.busy + p->core.queued, "active = busy + queued", w, s);
            fail_if(p->core.busy > c->concurrency || p->core.busy < 0, "0 <= busy <= concurrency", w, s);
            fail_if(p->core.queued > c->queue_capacity || p->core.queued < 0, "0 <= queued <= queue_capacity", w, s);
            fail_if(n != p->core.queued, "the queue list holds `queued` jobs", w, s);
            fail_if(p->nworking < 0 || p->nworking > p->core.busy, "0 <= working <= busy", w, s);
            if (s->throttled) {
                /* processor sharing: the heap holds the working jobs, by tag */
                for (int m = 0; m < p->nworking; m++) {
                    const ps_entry_t *e = &p->ps_heap[m], *up = &p->ps_heap[(m - 1) / 2];
                    const job_t *j = p->working[m];
                    fail_if(j->wslot != (uint32_t)m || j->state != JOB_WORKING, "working[wslot] is the job", w, s);
                    fail_if(e->job->wslot >= (uint32_t)p->nworking || p->working[e->job->wslot] != e->job,
                            "a heap entry is a working job", w, s);
                    fail_if(m > 0 && (up->hi > e->hi || (up->hi == e->hi && up->lo > e->lo)),
                            "a tag is >= its parent's in the heap", w, s);
                }
                fail_if(p->nworking == 0 && (p->ps_vhi || p->ps_vlo), "virtual time is 0 with no job working", w, s);
            }
            bool runs = p->phase == POD_UNREADY || p->phase == POD_READY || p->phase == POD_TERMINATING;
            fail_if(!runs && p->lb.active != 0, "only a running container holds requests", w, s);
            busy += p->core.busy, queued += p->core.queued, active += p->lb.active;
            ready += p->phase == POD_READY;
            alive += p->phase != POD_TERMINATING;
        }
        fail_if(s->busy.value != busy, "busy gauge = sum over pods", w, s);
        fail_if(s->queue.value != queued, "queue gauge = sum over pods", w, s);
        fail_if(s->in_system.value != active, "in-system gauge = sum over pods", w, s);
        fail_if((int)s->view.n != ready, "the view is the Ready pods", w, s);
        for (uint32_t v = 0; v < s->view.n; v++)
            fail_if(s->ready[v]->phase != POD_READY, "only Ready pods in the view", w, s);
        if (s->rolling && !c->recreate) {
            int32_t surge = k8s_intstr_resolve(c->max_surge, s->desired, true);
            fail_if(alive > s->desired + surge, "pods <= desired + surge during a rollout", w, s);
        }
    }
    fail_if(w->requests.live != world_traffic(w)->arrivals - pr.finished, "live requests = arrivals - finished", w, NULL);
}

static void on_probe(void *ctx, void *obj, uint64_t arg)
{
    (void)obj, (void)arg;
    world_t *w = ctx;
    /* requests finished so far: those the pool got back */
    pr.finished = world_traffic(w)->arrivals - w->requests.live;
    check(w);
    if (w->now + SIM_S <= w->end)
        world_schedule(w, w->now + SIM_S, on_probe, NULL, 0);
}

static void run_variant(int variant)
{
    diag_t d;
    diag_init(&d);
    scenario_t *sc = scenario_load_string(yaml_for(variant), "tests/k8s/stress.yaml", NULL, 0, &d);
    if (!sc)
        diag_print(&d, stderr);
    assert_non_null(sc);
    memset(&pr, 0, sizeof pr);
    world_t *w = world_new(sc, 0, NULL);
    assert_non_null(w);
    world_schedule(w, SIM_S / 2, on_probe, NULL, 0);
    assert_int_equal(world_run(w), 0);
    metrics_t m;
    metrics_init(&m);
    world_collect(w, &m);
    const metric_t *total = metrics_find(&m, "requests.total"), *done = metrics_find(&m, "requests.completed"),
                   *rej = metrics_find(&m, "requests.failed"), *oom = metrics_find(&m, "services.frontend.oom_kills");
    assert_non_null(total);
    assert_non_null(oom);
    /* measured requests: every one completed, failed or still in flight */
    uint64_t in_flight = w->requests.live;
    printf("  variant %d: %ld checks, %ld violations; %.0f requests = %.0f completed + %.0f failed + %llu in flight; "
           "%.0f frontend OOM kills\n",
           variant, pr.checks, pr.violations, total->value, done->value, rej->value, (unsigned long long)in_flight,
           oom->value);
    assert_true(done->value + rej->value <= total->value);
    /* rejected (a full queue) is a part of failed; OOM kills fail requests
     * that no queue refused */
    const metric_t *refused = metrics_find(&m, "requests.rejected");
    assert_non_null(refused);
    assert_true(refused->value <= rej->value);
    if (oom->value > 0)
        assert_true(refused->value < rej->value);
    assert_true(total->value - done->value - rej->value <= (double)in_flight);
    assert_int_equal(pr.violations, 0);
    assert_true(pr.checks > 5000);
    if (variant == 2) {
        const metric_t *fs = metrics_find(&m, "services.frontend.scaling_events");
        const metric_t *bs = metrics_find(&m, "services.backend.scaling_events");
        const metric_t *ro = metrics_find(&m, "services.frontend.rollouts");
        printf("  variant 2: frontend scaled %.0f times, backend %.0f, frontend rollouts %.0f\n", fs->value, bs->value,
               ro->value);
        assert_true(oom->value == 0);
        assert_true(done->value > 0.9 * total->value);
        assert_true(fs->value > 0 && bs->value > 0 && ro->value == 2);
    }
    metrics_free(&m);
    world_free(w);
    scenario_free(sc);
}

/* Variant 0: the frontend is OOM-killed while its requests wait on calls
 * (40Mi + 5Mi x 13 requests is past its 100Mi limit): a cascade, as the
 * surviving pod takes all the traffic and CrashLoopBackOff keeps them down. */
static void test_stress_oom_during_calls(void **state)
{
    (void)state;
    run_variant(0);
}

/* Variant 1: the backend crash-loops instead (150Mi + 2Mi x 26 requests is
 * past its 200Mi limit, and it holds up to 28). */
static void test_stress_backend_crashloop(void **state)
{
    (void)state;
    run_variant(1);
}

/* Variant 2: nothing runs out of memory (frontend 40Mi + 1Mi x at most 82
 * requests < 100Mi; backend 100Mi + 2Mi x 28 < 200Mi): the autoscalers
 * and rollouts work under load, and most requests complete. */
static void test_stress_healthy(void **state)
{
    (void)state;
    run_variant(2);
}

/* The pool's bound: max_objects live at most, then NULL (and pool_full);
 * one returned makes room for one more. */
static void test_pool_bound(void **state)
{
    (void)state;
    pool_t p;
    pool_init(&p, 24, 2); /* chunks of 2, 4, ...: the bound cuts the third */
    p.max_objects = 5;
    void *got[5];
    for (int i = 0; i < 5; i++) {
        got[i] = pool_get(&p);
        assert_non_null(got[i]);
        assert_int_equal(pool_full(&p), i == 4);
    }
    assert_null(pool_get(&p));
    assert_int_equal(p.objects, 5);
    pool_put(&p, got[2]);
    assert_false(pool_full(&p));
    assert_ptr_equal(pool_get(&p), got[2]);
    assert_null(pool_get(&p));
    pool_destroy(&p);
}

/* Requests in flight at once are bounded (sim/limits.h, LIMIT_INFLIGHT):
 * an overloaded service whose queue may hold a million requests fills it
 * at the overload's rate, and the run stops with a message saying so and
 * when, not by running out of memory. The bound is lowered to 1,000 here
 * (the real one, 10^7, would take 1.5 GB to reach): arrivals are Poisson at
 * 1000/s and one worker serves 1 per second, so the 1,001st request finds
 * 1,000 in flight when it arrives, at a time of mean 1001/1000 s and
 * standard deviation sqrt(1001)/1000 = 0.032 s: 1.001 +- 0.16 (5 sd). */
static void test_inflight_bound(void **state)
{
    (void)state;
    scenario_t *sc = tl_load("duration: 1h\nwarmup: 0s\ntraffic: {rate: 1000/s}\n"
                             "services:\n  web: {replicas: 1, concurrency: 1, queue_capacity: 1000000, service_time: 1s}\n",
                             "inflight");
    world_t *w = world_new(sc, 0, NULL);
    assert_non_null(w);
    w->requests.max_objects = 1000;
    assert_int_not_equal(world_run(w), 0);
    printf("  %s\n", w->error);
    assert_non_null(strstr(w->error, " s, 1000 requests in flight at once reach clustersim's limit"));
    double at = -1;
    assert_int_equal(sscanf(w->error, "at %lf s,", &at), 1);
    assert_true(fabs(at - 1.001) < 5 * sqrt(1001.0) / 1000);
    /* it stopped there: about 1,001 arrivals and a departure, not an hour */
    assert_true(w->events < 2000);
    world_free(w);
    scenario_free(sc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pool_bound),
        cmocka_unit_test(test_inflight_bound),
        cmocka_unit_test(test_stress_oom_during_calls),
        cmocka_unit_test(test_stress_backend_crashloop),
        cmocka_unit_test(test_stress_healthy),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
