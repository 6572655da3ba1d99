/* Allocation failure, injected: every allocation of a small run fails in
 * turn, and the run must end cleanly each time.
 *
 * This binary is linked with -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc
 * (see the Makefile), so the allocations of clustersim's own code (the
 * library and this file; not GSL's or libyaml's, which are shared libraries)
 * go through the wrappers below. A first pass counts the allocations of a
 * full run: load a scenario with an HPA manifest, rollouts and a downstream
 * call, set up a world, run it, collect its results, render the summary.
 * Then for every N, the N-th allocation returns NULL: the load must return
 * NULL with an "out of memory" error marked as internal (exit 3, never
 * reported as bad input), or the run must fail with an error, or succeed (when
 * the failed allocation was optional) — never crash. Under AddressSanitizer
 * (make SANITIZER=address test) the same pass also proves that nothing
 * leaks on those error paths. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/results.h"
#include "models/service.h"
#include "sim/world.h"

void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t m);
void *__real_realloc(void *p, size_t n);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t n, size_t m);
void *__wrap_realloc(void *p, size_t n);

static long calls, fail_at = -1;

static int fail_now(void) { return ++calls == fail_at; }
void *__wrap_malloc(size_t n) { return fail_now() ? NULL : __real_malloc(n); }
void *__wrap_calloc(size_t n, size_t m) { return fail_now() ? NULL : __real_calloc(n, m); }
void *__wrap_realloc(void *p, size_t n) { return fail_now() ? NULL : __real_realloc(p, n); }

static const char *yaml = "duration: 5m\n"
                          "metrics_server: {resolution: 15s}\n"
                          "traffic: {rate: 40/s, mix: {payments: 0.1}}\n"
                          "services:\n"
                          "  web:\n"
                          "    replicas: 2\n    concurrency: 4\n    queue_capacity: 20\n"
                          "    service_time: {dist: lognormal, mean: 40ms, cv: 1}\n"
                          "    calls: [db]\n"
                          "    resources: {requests: {cpu: 100m, memory: 64Mi}, limits: {cpu: 200m, memory: 128Mi}}\n"
                          "    memory: {base: 32Mi, per_request: 1Mi}\n"
                          "    rollouts: [2m]\n"
                          "    autoscaler: {kind: hpa, manifest: manifests/api-gateway-hpa.yaml}\n"
                          "  db:\n    concurrency: 2\n    service_time: 5ms\n";

/* One full run; 0 success, 1 a clean failure (an error was reported). */
static int one_run(void)
{
    diag_t *d = __real_calloc(1, sizeof *d);
    assert_non_null(d);
    int rc = 0;
    scenario_t *sc = scenario_load_string(yaml, "scenarios/alloc.yaml", NULL, 0, d);
    if (!sc) {
        /* the scenario is valid: a failed load can only be the injected
         * failure, which is an internal error (exit 3), never bad input */
        assert_true(d->errors > 0);
        if (!d->oom)
            fail_msg("a failed allocation was reported as bad input: %s", d->n ? d->msgs[0].text : "");
        rc = 1;
        goto out;
    }
    world_t *w = world_new(sc, 0, NULL);
    if (!w) {
        rc = 1;
        goto out_sc;
    }
    if (world_run(w) != 0) {
        assert_true(w->failed && w->error[0]);
        rc = 1;
    } else {
        run_result_t res;
        memset(&res, 0, sizeof res);
        res.replications = 1;
        res.reps = calloc(1, sizeof *res.reps);
        if (res.reps) {
            world_collect(w, &res.reps[0]);
            if (!res.reps[0].oom && metrics_aggregate(&res.summary, res.reps, 1) == 0) {
                char *json = results_summary_json(sc, &res);
                rc = json ? 0 : 1;
                free(json);
            } else {
                rc = 1;
            }
            run_result_free(&res);
        } else {
            rc = 1;
        }
    }
    world_free(w);
out_sc:
    scenario_free(sc);
out:
    free(d);
    return rc;
}

static void test_every_allocation_fails_once(void **state)
{
    (void)state;
    calls = 0;
    fail_at = -1;
    assert_int_equal(one_run(), 0);
    long total = calls;
    printf("  a full run makes %ld allocations of its own\n", total);
    assert_true(total > 50);
    long clean = 0, ok = 0;
    for (long n = 1; n <= total; n++) {
        calls = 0;
        fail_at = n;
        if (one_run())
            clean++;
        else
            ok++;
    }
    fail_at = -1;
    printf("  failing each in turn: %ld clean failures, %ld runs unaffected\n", clean, ok);
    assert_true(clean > 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_allocation_fails_once),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
