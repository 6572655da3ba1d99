/* test_k8s: the Kubernetes layer of the service model (models/service.h,
 * models/autoscaler.h) driven through the public API.
 *
 * Worlds are built from scenario YAML strings and run with world_run();
 * the tests schedule their own events on the world's clock (world_schedule)
 * to inject requests, change the desired replicas and probe the pods'
 * state between model events. A probe scheduled before the run at time t
 * fires before any model event scheduled later for the same t (the event
 * set orders equal times by scheduling order), so probes are put off the
 * instants of the transitions they look at (by 5 or 50 ms), or the transition time is read exactly
 * from the pod (created, started, container_start, ready_since).
 *
 * Every pinned number is derived in the comment next to it: from queueing
 * theory (M/G/1-PS, Erlang C), from the model's contract in service.h and
 * autoscaler.h, from Kubernetes semantics (ReplicaSet deletion order,
 * CrashLoopBackOff, RollingUpdate bounds, the HPA formula of hpa-spec.md),
 * or from a hand computation over deterministic arrivals and service times.
 *
 * Statistical checks follow tests/test_validation.c: R independent
 * replications, |mean - exact| <= t_{0.9995,R-1} s/sqrt(R) (a correct
 * model fails with probability 0.1% per check, deterministically since the
 * seeds are fixed), and a power assertion that the standard error is below
 * a stated fraction of the exact value.
 *
 * Four tests guard fixed regressions; their comments say what went wrong
 * before (a rollout held by draining pods, a threshold scale-down before CPU
 * was measured, limits without requests, Recreate ignored).
 *
 * Runs from the repository root (make test does): the HPA scenario reads
 * scenarios/manifests/api-gateway-hpa.yaml, the determinism test
 * scenarios/hpa-step.yaml and the Deployment tests the manifests in
 * tests/k8s/. */
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

#include "sim/rng.h"
#include "sim/run.h"
#include "sim/stats.h"
#include "models/deployment.h"
#include "models/service.h"
#include "sim/world.h"

#define R 10
#define MI ((int64_t)1024 * 1024)

/* ---- helpers ---------------------------------------------------------------- */

#define assert_double_close(a, b, eps) double_close((a), (b), (eps), #a, __FILE__, __LINE__)
static void double_close(double a, double b, double eps, const char *expr, const char *file, int line)
{
    if (!(fabs(a - b) <= eps)) {
        fprintf(stderr, "%s:%d: %s is %.17g, expected %.17g (+- %g)\n", file, line, expr, a, b, eps);
        _fail(file, line);
    }
}

#define SEC(x) simtime_from_s(x)

/* Loads YAML named `name` (its directory is the base of relative manifest
 * paths); d may be NULL. */
static scenario_t *load_as(const char *yaml, const char *name, diag_t *d)
{
    diag_t local;
    if (!d)
        d = &local;
    diag_init(d);
    scenario_t *sc = scenario_load_string(yaml, name, NULL, 0, d);
    if (!sc)
        diag_print(d, stderr);
    assert_non_null(sc);
    return sc;
}

static scenario_t *load(const char *yaml) { return load_as(yaml, "scenarios/k8s-test.yaml", NULL); }

static world_t *mkworld(const scenario_t *sc, int rep, FILE *eventlog)
{
    world_t *w = world_new(sc, rep, &(world_files_t){NULL, eventlog, NULL});
    assert_non_null(w);
    return w;
}

static void run(world_t *w)
{
    int rc = world_run(w);
    if (rc != 0)
        fprintf(stderr, "world_run: %s\n", w->error);
    assert_int_equal(rc, 0);
}

/* The value of a metric of world_collect's list (which must exist). */
static double metric(const metrics_t *m, const char *path)
{
    const metric_t *x = metrics_find(m, path);
    if (!x)
        fprintf(stderr, "no metric %s\n", path);
    assert_non_null(x);
    return x->value;
}

static pod_t *pod_by_uid(const service_t *s, uint32_t uid)
{
    for (uint32_t i = 0; i < s->npods; i++)
        if (s->pods[i]->lb.uid == uid)
            return s->pods[i];
    return NULL;
}

/* The pod with this uid, which must exist (the test fails otherwise). */
static pod_t *pod_must(const service_t *s, uint32_t uid)
{
    pod_t *p = pod_by_uid(s, uid);
    if (!p) {
        fail_msg("pod %u does not exist", uid);
        abort(); /* not reached: fail_msg leaves the test */
    }
    return p;
}

static int count_terminating(const service_t *s)
{
    int n = 0;
    for (uint32_t i = 0; i < s->npods; i++)
        n += s->pods[i]->phase == POD_TERMINATING;
    return n;
}

static void at(world_t *w, double t, evq_fn fn, void *obj, uint64_t arg)
{
    assert_true(world_schedule(w, SEC(t), fn, obj, arg) != 0);
}

/* Event: `arg` requests arrive at service obj now (as the traffic source
 * makes them: measured after warm-up). */
static void ev_inject(void *ctx, void *obj, uint64_t arg)
{
    world_t *w = ctx;
    for (uint64_t i = 0; i < arg; i++) {
        request_t *r = world_new_request(w);
        job_t *j = service_job_new(w);
        assert_non_null(r);
        assert_non_null(j);
        r->arrival = w->now;
        r->route = &w->entry;
        r->measured = w->now >= w->warmup;
        if (r->measured)
            w->requests_total++;
        j->req = r;
        service_submit(w, obj, j);
    }
}

/* Event: the Deployment's desired replicas become arg. */
static void ev_scale(void *ctx, void *obj, uint64_t arg) { deployment_scale(ctx, obj, (int32_t)arg, "test", "test"); }

/* Event: pod arg >> 8 is in phase arg & 0xff, or is gone (PH_GONE). */
#define PH_GONE 0xffu
#define EXPECT(uid, ph) (((uint64_t)(uid) << 8) | (uint64_t)(ph))
static void ev_expect_pod(void *ctx, void *obj, uint64_t arg)
{
    world_t *w = ctx;
    const service_t *s = obj;
    uint32_t uid = (uint32_t)(arg >> 8);
    unsigned ph = (unsigned)(arg & 0xff);
    const pod_t *p = pod_by_uid(s, uid);
    if (ph == PH_GONE) {
        if (p)
            fail_msg("t=%.3f s: pod %u is %s, expected gone", simtime_to_s(w->now), uid, pod_phase_str(p->phase));
        return;
    }
    if (!p) {
        fail_msg("t=%.3f s: pod %u is gone, expected %s", simtime_to_s(w->now), uid, pod_phase_str(ph));
        abort(); /* not reached */
    }
    if (p->phase != (pod_phase_t)ph)
        fail_msg("t=%.3f s: pod %u is %s, expected %s", simtime_to_s(w->now), uid, pod_phase_str(p->phase),
                 pod_phase_str(ph));
}

/* Event: the balancer sees arg Ready pods. */
static void ev_expect_ready(void *ctx, void *obj, uint64_t arg)
{
    world_t *w = ctx;
    const service_t *s = obj;
    if (s->view.n != (uint32_t)arg)
        fail_msg("t=%.3f s: %u Ready pods, expected %u", simtime_to_s(w->now), s->view.n, (unsigned)arg);
}

/* ---- event log ---------------------------------------------------------------- */

typedef struct evrow {
    double t;
    char object[64], from[64], to[64], reason[160];
} evrow_t;

/* Parses the rows of an events.csv body (no header) into rows[0..cap). */
static size_t parse_events(const char *text, evrow_t *rows, size_t cap)
{
    size_t n = 0;
    const char *line = text;
    while (line && *line && n < cap) {
        int rep;
        evrow_t e;
        if (sscanf(line, "%d,%lf,%63[^,],%63[^,],%63[^,],%159[^\n]", &rep, &e.t, e.object, e.from, e.to, e.reason) ==
            6)
            rows[n++] = e;
        line = strchr(line, '\n');
        if (line)
            line++;
    }
    return n;
}

typedef struct memlog {
    FILE *f;
    char *buf;
    size_t len;
} memlog_t;

static void memlog_open(memlog_t *m)
{
    m->buf = NULL;
    m->len = 0;
    m->f = open_memstream(&m->buf, &m->len);
    assert_non_null(m->f);
}

static void memlog_close(memlog_t *m)
{
    fclose(m->f);
    m->f = NULL;
}

/* ---- 1. processor sharing at the CPU limit ------------------------------------- */

/* Checks that the replication mean of x[0..R) estimates `exact` within
 * t_{0.9995,R-1} s/sqrt(R), and that s/sqrt(R) <= max_rel_se |exact|. */
static void check(const char *what, const double *x, double exact, double max_rel_se)
{
    double mean, half;
    stats_mean_ci95(x, R, &mean, &half);
    double se = half / stats_t_quantile(0.975, R - 1);
    double tol = stats_t_quantile(0.9995, R - 1) * se;
    printf("  %-40s exact %9.5f  simulated %9.5f  error %+7.3f%%  tolerance %6.3f%%  (se %.3f%%)\n", what, exact,
           mean, 100 * (mean - exact) / exact, 100 * tol / fabs(exact), 100 * se / fabs(exact));
    assert_true(fabs(mean - exact) <= tol);
    assert_true(se <= max_rel_se * fabs(exact));
}

typedef struct psest {
    double w, cpu;
} psest_t;

/* R replications of one pod: mean sojourn and mean cores in use. Also
 * Little's law per replication, with test_validation.c's finite-horizon
 * bound |L - lambda W| <= 2 Nmax Wmax / T. */
static void run_reps(const char *yaml, bool want_throttled, psest_t e[R])
{
    scenario_t *sc = load(yaml);
    for (int i = 0; i < R; i++) {
        world_t *w = mkworld(sc, i, NULL);
        const service_t *s = world_service(w, 0);
        assert_true(s->tracked);
        assert_int_equal(s->throttled, want_throttled);
        run(w);
        double T = simtime_to_s(w->end - w->warmup);
        e[i].w = hist_mean(&s->latency) / 1e9;
        e[i].cpu = gauge_mean(&s->cpu, w->end);
        double L = gauge_mean(&s->in_system, w->end), tput = (double)s->completed / T;
        assert_true(fabs(L - tput * e[i].w) <= 2.0 * s->in_system.max * ((double)s->latency.max / 1e9) / T);
        world_free(w);
    }
    scenario_free(sc);
}

static const char *ps_yaml(const char *svc)
{
    static char buf[1024];
    /* one pod, 1000 workers (a queue would need 1000 requests in the pod:
     * P(N >= 1000) = 0.7^1000 in M/G/1-PS), limit 1 core */
    snprintf(buf, sizeof buf,
             "seed: 5\nduration: 300000s\nwarmup: 2000s\n"
             "traffic: {rate: 0.7/s, arrivals: poisson}\n"
             "services:\n  web:\n    concurrency: 1000\n    service_time: %s\n"
             "    resources: {limits: {cpu: \"1\"}}\n",
             svc);
    return buf;
}

/* M/G/1-PS: the mean sojourn is E[S]/(1 - rho) whatever the distribution of
 * S (insensitivity). lambda 0.7/s, E[S] 1 s: W = 1/0.3 s. A pod limited to
 * one core with requests sharing it equally is exactly that server. The
 * cores in use are min(N, 1), whose mean is P(N > 0) = rho = 0.7. */
static void test_ps_insensitivity(void **state)
{
    (void)state;
    const double rho = 0.7, W = 1.0 / (1 - rho);
    psest_t e[R];
    double v[R];
    const char *svcs[] = {"{dist: deterministic, value: 1s}", "{dist: lognormal, mean: 1s, cv: 2}"};
    /* A FIFO server would give W = 1 + rho (1 + cv^2) / (2 (1 - rho)) =
     * 2.167 s (deterministic) and 6.833 s (cv 2), 35% and 105% away: with
     * se <= 1% the tolerance is below 5%, so the check tells processor
     * sharing from a queue, and the two distributions give the same W.
     * Run length: 300000 s (210000 requests) per replication, warm-up
     * 2000 s, many times the relaxation time of M/G/1 at rho 0.7 (about
     * 1/(1 - sqrt(rho))^2 = 37 s for exponential service). */
    for (int k = 0; k < 2; k++) {
        printf("M/G/1-PS at a 1-core limit, lambda 0.7/s, S = %s, %d x 300000 s\n", svcs[k], R);
        run_reps(ps_yaml(svcs[k]), true, e);
        for (int i = 0; i < R; i++)
            v[i] = e[i].w;
        check("W = E[S]/(1 - rho) [s]", v, W, 0.01);
        for (int i = 0; i < R; i++)
            v[i] = e[i].cpu;
        check("cores in use = rho", v, rho, 0.005);
    }
}

/* Not throttled: concurrency 4 and no limit, with requests set so the CPU
 * accounting and busy slots run (s->tracked). One pod is M/M/4 with lambda
 * 3.2/s, mu 1/s: Erlang C gives W = 1.7455 s (tests/test_validation.c). */
static void test_tracked_mm4(void **state)
{
    (void)state;
    printf("M/M/4 through the tracked path (requests cpu 1, memory 1Mi), %d x 100000 s\n", R);
    psest_t e[R];
    double v[R];
    run_reps("seed: 11\nduration: 100000s\nwarmup: 1000s\n"
             "traffic: {rate: 3.2/s, arrivals: poisson}\n"
             "services:\n  web:\n    concurrency: 4\n    service_time: {dist: exponential, mean: 1s}\n"
             "    resources: {requests: {cpu: \"1\", memory: 1Mi}}\n",
             false, e);
    for (int i = 0; i < R; i++)
        v[i] = e[i].w;
    check("W = C(4, 3.2)/(4 mu - lambda) + 1/mu [s]", v, 1.7455, 0.01);
    /* cores in use = busy workers: mean lambda/mu = 3.2 */
    for (int i = 0; i < R; i++)
        v[i] = e[i].cpu;
    check("cores in use = lambda/mu", v, 3.2, 0.005);
}

/* Deterministic processor sharing, by hand.
 * (a) Limit 2 cores, a request every 1 s, each 1.5 s of CPU: request k is in
 *     service over [k, k + 1.5), so at most 2 are at once, never more than
 *     the limit: no slowdown, every sojourn is exactly 1.5 s.
 * (b) Limit 1 core: A arrives at 1.0 s, B at 1.5 s, 1 s of CPU each. A runs
 *     alone for 0.5 s (0.5 done), then both at 1/2 core: A needs 0.5 more,
 *     1 s, done at 2.5; B has 0.5 done then and finishes alone at 3.0.
 *     Sojourns 1.5 and 1.5. C, D, E arrive together at 10 s: 1/3 core
 *     each, all done at 13 s: sojourn 3 s. Mean (1.5 + 1.5 + 3 x 3)/5 = 2.4 s.
 * (c) Limit 500m, one request of 1 s at a time: 2 s each.
 * (d) As (c), with one worker (the default concurrency). */
static int ps_done_at[3];
static void ev_count_done(void *ctx, void *obj, uint64_t arg)
{
    (void)ctx;
    ps_done_at[arg] = (int)((const service_t *)obj)->completed;
}

/* (c) and (d): a request of 1 s of CPU every 10 s at a 500m limit, with
 * `concurrency_line` (empty: the default) */
static void half_core(const char *concurrency_line)
{
    char yaml[512];
    snprintf(yaml, sizeof yaml,
             "duration: 100s\n"
             "traffic: {rate: 0.1/s, arrivals: deterministic}\n"
             "services:\n  web:\n%s    service_time: 1s\n"
             "    resources: {limits: {cpu: 500m}}\n",
             concurrency_line);
    scenario_t *sc = load(yaml);
    world_t *w = mkworld(sc, 0, NULL);
    run(w);
    service_t *s = world_service(w, 0);
    /* arrivals at 10, 20, ..., 100; the one at 100 is unfinished */
    assert_int_equal(s->completed, 9);
    assert_int_equal(s->latency.min, SEC(2.0));
    assert_int_equal(s->latency.max, SEC(2.0));
    assert_double_close(s->cpu.max, 0.5, 0);
    world_free(w);
    scenario_free(sc);
}

static void test_ps_by_hand(void **state)
{
    (void)state;
    scenario_t *sc = load("duration: 100s\n"
                          "traffic: {rate: 1/s, arrivals: deterministic}\n"
                          "services:\n  web:\n    concurrency: 1000\n    service_time: 1.5s\n"
                          "    resources: {limits: {cpu: \"2\"}}\n");
    world_t *w = mkworld(sc, 0, NULL);
    assert_true(world_service(w, 0)->throttled);
    run(w);
    const service_t *s = world_service(w, 0);
    /* arrivals at 1..100 s; those at 99 and 100 are still in service at 100 */
    assert_int_equal(s->completed, 98);
    assert_int_equal(s->latency.min, SEC(1.5));
    assert_int_equal(s->latency.max, SEC(1.5));
    assert_double_close(s->cpu.max, 2.0, 0); /* two at once over [k + 1, k + 1.5) */
    world_free(w);
    scenario_free(sc);

    sc = load("duration: 20s\n"
              "traffic: {profile: [{at: 0s, rate: 0/s}]}\n"
              "services:\n  web:\n    concurrency: 10\n    service_time: 1s\n"
              "    resources: {limits: {cpu: \"1\"}}\n");
    w = mkworld(sc, 0, NULL);
    service_t *ws = world_service(w, 0);
    at(w, 1.0, ev_inject, ws, 1);
    at(w, 1.5, ev_inject, ws, 1);
    at(w, 10.0, ev_inject, ws, 3);
    at(w, 2.45, ev_count_done, ws, 0);  /* A not yet done */
    at(w, 2.55, ev_count_done, ws, 1);  /* A done, B not */
    at(w, 12.95, ev_count_done, ws, 2); /* C, D, E not yet */
    run(w);
    assert_int_equal(ps_done_at[0], 0);
    assert_int_equal(ps_done_at[1], 1);
    assert_int_equal(ps_done_at[2], 2);
    assert_int_equal(ws->completed, 5);
    assert_int_equal(ws->latency.min, SEC(1.5));
    assert_int_equal(ws->latency.max, SEC(3.0));
    assert_double_close(hist_mean(&ws->latency), 2.4e9, 1.0);
    world_free(w);
    scenario_free(sc);

    half_core("    concurrency: 2\n");
    /* (d) the default concurrency, 1: the heap of one job (its root's
     * children are read whatever the count: the sanitizer builds check
     * that they are allocated) */
    half_core("");
}

/* Processor sharing against the method it replaced (the reference): there,
 * at each start and completion every working job's work left was reduced by
 * rate x elapsed, the next completion was ceil(least left / rate) ns ahead,
 * the jobs within 0.5 ns of done finished (at most 64 per event, in the
 * order of a scan of the working jobs that swaps each finished one with the
 * last). service.c keeps a virtual clock and a heap of finish tags instead;
 * its arithmetic is exact where the reference rounded each subtraction, so
 * an instant may differ by 1 ns where the reference's rounding error carried
 * left / rate across a whole nanosecond. Jobs arrive at a[i] (increasing)
 * needing d[i]; done[i] is when the reference finishes job i. */
static void ps_reference(int n, const simtime_t *a, const simtime_t *d, double limit, simtime_t *done)
{
    int *wk = malloc((size_t)n * sizeof *wk);
    double *left = malloc((size_t)n * sizeof *left);
    assert_non_null(wk);
    assert_non_null(left);
    int nw = 0, next = 0, finished = 0;
    double rate = 1.0;
    simtime_t last = 0, ev = -1;
    while (finished < n) {
        /* an arrival at the instant of a completion comes first (it was
         * scheduled first) */
        bool arrival = next < n && (ev < 0 || a[next] <= ev);
        simtime_t now = arrival ? a[next] : ev;
        double dn = rate * (double)(now - last);
        if (dn > 0)
            for (int i = 0; i < nw; i++)
                left[wk[i]] -= dn;
        last = now;
        if (arrival) {
            left[next] = (double)d[next];
            wk[nw++] = next++;
        } else {
            int nf = 0;
            for (int i = 0; i < nw && nf < 64;) {
                if (left[wk[i]] <= 0.5) {
                    done[wk[i]] = now;
                    wk[i] = wk[--nw];
                    nf++, finished++;
                } else {
                    i++;
                }
            }
        }
        rate = nw <= limit ? 1.0 : limit / nw;
        ev = -1;
        if (nw > 0) {
            double least = left[wk[0]];
            for (int i = 1; i < nw; i++)
                if (left[wk[i]] < least)
                    least = left[wk[i]];
            ev = now + (simtime_t)(least > 0 ? ceil(least / rate) : 0);
        }
    }
    free(wk);
    free(left);
}

static uint64_t *ps_probe_seen;
static void ev_probe(void *ctx, void *obj, uint64_t arg)
{
    (void)ctx;
    ps_probe_seen[arg] = ((const service_t *)obj)->completed;
}

static int cmp_time(const void *x, const void *y)
{
    simtime_t a = *(const simtime_t *)x, b = *(const simtime_t *)y;
    return (a > b) - (a < b);
}

/* Completions of the reference before t (sorted instants). */
static uint64_t ref_before(const simtime_t *sorted, int n, simtime_t t)
{
    int lo = 0, hi = n;
    while (lo < hi) {
        int mid = lo + (hi - lo) / 2;
        if (sorted[mid] < t)
            lo = mid + 1;
        else
            hi = mid;
    }
    return (uint64_t)lo;
}

/* One pod with 1000 workers (no queue) and the given limit and service
 * time: n jobs injected at random instants (gaps exponential with mean
 * `gap` s, or all at 1 s when gap is 0), their demands drawn from the
 * service's own stream as the pod draws them. Probes at each reference
 * instant t and at t + 1 (scheduled first, so they see the completions
 * before t, then those at t) count the completions. Returns the probes
 * that disagree; each must be off by one completion at most 1 ns away. */
static int ps_against_reference(const char *limit, const char *svc, int n, double gap, uint64_t seed)
{
    char yaml[512];
    snprintf(yaml, sizeof yaml,
             "duration: 1000000s\nwarmup: 0s\n"
             "traffic: {profile: [{at: 0s, rate: 0/s}]}\n"
             "services:\n  web:\n    concurrency: 1000\n    service_time: %s\n"
             "    resources: {limits: {cpu: \"%s\"}}\n",
             svc, limit);
    scenario_t *sc = load(yaml);
    world_t *w = mkworld(sc, 0, NULL);
    service_t *ws = world_service(w, 0);
    assert_true(ws->throttled);
    simtime_t *a = malloc((size_t)n * sizeof *a), *d = malloc((size_t)n * sizeof *d);
    simtime_t *done = malloc((size_t)n * sizeof *done), *sorted = malloc((size_t)n * sizeof *sorted);
    ps_probe_seen = calloc(2 * (size_t)n, sizeof *ps_probe_seen);
    assert_true(a && d && done && sorted && ps_probe_seen);
    rng_t *ra = rng_new(seed, "test.ps.arrivals"), *rd = rng_new(w->seed, "service.web.time");
    assert_true(ra && rd);
    simtime_t t = SEC(1);
    for (int i = 0; i < n; i++) {
        if (gap > 0)
            t += 1 + (simtime_t)(rng_exp1(ra) * gap * 1e9);
        a[i] = t;
        d[i] = dist_sample_ns(&ws->cfg->service_time, rd);
    }
    rng_free(ra);
    rng_free(rd);
    ps_reference(n, a, d, (double)ws->cfg->cpu_limit_m / 1000.0, done);
    memcpy(sorted, done, (size_t)n * sizeof *sorted);
    qsort(sorted, (size_t)n, sizeof *sorted, cmp_time);
    for (int i = 0; i < n; i++)
        if (i == 0 || a[i] != a[i - 1])
            assert_true(world_schedule(w, a[i], ev_inject, ws, gap > 0 ? 1 : (uint64_t)n) != 0);
    for (int i = 0; i < n; i++) {
        assert_true(world_schedule(w, sorted[i], ev_probe, ws, 2 * (uint64_t)i) != 0);
        assert_true(world_schedule(w, sorted[i] + 1, ev_probe, ws, 2 * (uint64_t)i + 1) != 0);
    }
    run(w);
    assert_int_equal(ws->completed, n);
    int off = 0;
    for (int i = 0; i < 2 * n; i++) {
        simtime_t x = sorted[i / 2] + i % 2;
        uint64_t seen = ps_probe_seen[i], want = ref_before(sorted, n, x);
        if (seen != want) {
            off++;
            assert_true(seen >= ref_before(sorted, n, x - 1) && seen <= ref_before(sorted, n, x + 1));
        }
    }
    printf("  limit %s, S = %s, %d jobs: %d of %d probes off by 1 ns\n", limit, svc, n, off, 2 * n);
    free(a);
    free(d);
    free(done);
    free(sorted);
    free(ps_probe_seen);
    ps_probe_seen = NULL;
    world_free(w);
    scenario_free(sc);
    return off;
}

static void test_ps_reference(void **state)
{
    (void)state;
    /* rho 0.9 at a 2-core limit (rates 2/n), and at 500m (0.5/n), over
     * thousands of rate changes; 1/3-core shares (limit 1, n = 3) */
    int off = ps_against_reference("2", "{dist: lognormal, mean: 1s, cv: 1}", 4000, 1.0 / 1.8, 1);
    assert_true(off <= 2 * 4000 / 20);
    off = ps_against_reference("500m", "{dist: exponential, mean: 100ms}", 4000, 0.1 / 0.45, 2);
    assert_true(off <= 2 * 4000 / 20);
    off = ps_against_reference("1", "{dist: gamma, mean: 5ms, cv: 1}", 4000, 0.005 / 0.95, 3);
    assert_true(off <= 2 * 4000 / 20);
    /* 150 equal jobs at once: every tag equal, 64 finish, then 64 and 22
     * more at the same instant (events due now) */
    assert_int_equal(ps_against_reference("1", "1s", 150, 0, 4), 0);
}

/* Simultaneous completions come out in the order of the reference's scan
 * of the working jobs (swap each finished one with the last, look at the
 * same place again, at most 64 per event), which is the order in which the
 * jobs make their downstream calls. Limit 1 core, 1 s of CPU each: 5 jobs
 * at 1 s, 7 at 1.3 s, 80 at 1.6 s (client = arrival number). Each group
 * ends at one instant; the 5 leave holes that the last jobs fill, and the
 * 80 pass the 64 of an event. The web calls `sink`, one worker busy for
 * 10^4 s: its worker and FIFO queue hold the calls in arrival order. */
static uint32_t ps_next_client;
static void ev_inject_numbered(void *ctx, void *obj, uint64_t arg)
{
    world_t *w = ctx;
    for (uint64_t i = 0; i < arg; i++) {
        request_t *r = world_new_request(w);
        job_t *j = service_job_new(w);
        assert_true(r && j);
        r->arrival = w->now;
        r->route = &w->entry;
        r->client = ps_next_client++;
        world_admit(w, r);
        j->req = r;
        service_submit(w, obj, j);
    }
}

static int ps_sink_order[128], ps_sink_seen;
static void ev_read_sink(void *ctx, void *obj, uint64_t arg)
{
    (void)ctx, (void)arg;
    const pod_t *p = ((const service_t *)obj)->pods[0];
    ps_sink_seen = 0;
    if (p->core.busy == 1)
        ps_sink_order[ps_sink_seen++] = (int)p->slots[0]->req->client;
    for (const server_item_t *it = p->core.qhead; it && ps_sink_seen < 128; it = it->next)
        ps_sink_order[ps_sink_seen++] = (int)((const job_t *)it)->req->client;
}

static void test_ps_simultaneous_order(void **state)
{
    (void)state;
    enum { N = 92 };
    const int group[3] = {5, 7, 80};
    const double at_s[3] = {1.0, 1.3, 1.6};
    /* the reference, as in ps_reference, recording the order of completion */
    simtime_t a[N], d[N];
    for (int g = 0, i = 0; g < 3; g++)
        for (int k = 0; k < group[g]; k++, i++)
            a[i] = SEC(at_s[g]), d[i] = SEC(1);
    int wk[N], order[N], nw = 0, next = 0, finished = 0;
    double left[N], rate = 1.0;
    simtime_t last = 0, ev = -1;
    while (finished < N) {
        bool arrival = next < N && (ev < 0 || a[next] <= ev);
        simtime_t now = arrival ? a[next] : ev;
        double dn = rate * (double)(now - last);
        if (dn > 0)
            for (int i = 0; i < nw; i++)
                left[wk[i]] -= dn;
        last = now;
        if (arrival) {
            left[next] = (double)d[next];
            wk[nw++] = next++;
        } else {
            int nf = 0;
            for (int i = 0; i < nw && nf < 64;) {
                if (left[wk[i]] <= 0.5) {
                    order[finished++] = wk[i];
                    wk[i] = wk[--nw];
                    nf++;
                } else {
                    i++;
                }
            }
        }
        rate = nw <= 1 ? 1.0 : 1.0 / nw;
        ev = -1;
        if (nw > 0) {
            double least = left[wk[0]];
            for (int i = 1; i < nw; i++)
                if (left[wk[i]] < least)
                    least = left[wk[i]];
            ev = now + (simtime_t)(least > 0 ? ceil(least / rate) : 0);
        }
    }
    scenario_t *sc = load("duration: 2000s\nwarmup: 0s\n"
                          "traffic: {profile: [{at: 0s, rate: 0/s}]}\n"
                          "services:\n"
                          "  web:\n    concurrency: 1000\n    service_time: 1s\n    calls: [sink]\n"
                          "    resources: {limits: {cpu: \"1\"}}\n"
                          "  sink:\n    concurrency: 1\n    service_time: 10000s\n"
                          "    resources: {requests: {cpu: 100m}}\n");
    world_t *w = mkworld(sc, 0, NULL);
    service_t *web = world_service(w, 0), *sink = world_service(w, 1);
    assert_true(web->throttled && sink->tracked);
    ps_next_client = 0;
    for (int g = 0; g < 3; g++)
        at(w, at_s[g], ev_inject_numbered, web, (uint64_t)group[g]);
    at(w, 1000.0, ev_read_sink, sink, 0);
    run(w);
    assert_int_equal(ps_sink_seen, N);
    for (int i = 0; i < N; i++)
        assert_int_equal(ps_sink_order[i], order[i]);
    printf("  %d completions in 3 instants, in the reference's order: %d %d %d %d %d | %d ... | %d %d %d ...\n", N,
           order[0], order[1], order[2], order[3], order[4], order[5], order[12], order[13], order[14]);
    world_free(w);
    scenario_free(sc);
}

/* ---- 2. CPU accounting ------------------------------------------------------------ */

/* (a) 2 pods requesting 500m, a request every 0.25 s (round robin: each pod
 *     one every 0.5 s), 100 ms of CPU each, no limit, 1000 s. Requests
 *     arrive at k/4 s, k = 1..4000; the last, at 1000 s exactly, has used
 *     nothing by the end. Core-seconds used: 3999 x 0.1; requested:
 *     2 pods x 0.5 core x 1000 s. cpu_utilization = 399.9/1000 = 0.3999
 *     (lambda E[S]/(pods 0.5) = 0.4 less the unfinished last request).
 * (b) One pod requesting 250m, limited to 500m, a request of 1 s every 1 s:
 *     demand 1 core, twice the limit, so from the first arrival (1 s) on at
 *     least one request is always working and the pod uses exactly its
 *     limit: 0.5 x 99 core-s over 0.25 x 100 requested = 1.98, and never
 *     more than 0.5 core. */
static void test_cpu_accounting(void **state)
{
    (void)state;
    scenario_t *sc = load("duration: 1000s\n"
                          "traffic: {rate: 4/s, arrivals: deterministic}\n"
                          "services:\n  web:\n    replicas: 2\n    service_time: 100ms\n"
                          "    resources: {requests: {cpu: 500m}}\n");
    world_t *w = mkworld(sc, 0, NULL);
    run(w);
    metrics_t m;
    metrics_init(&m);
    world_collect(w, &m);
    double u = metric(&m, "services.web.cpu_utilization");
    printf("  unthrottled: cpu_utilization %.10f, by hand 3999 x 0.1 / 1000 = 0.3999\n", u);
    assert_double_close(u, 3999 * 0.1 / 1000.0, 1e-12);
    /* 0.1 s of work every 0.25 s: never two requests at once in the service */
    assert_double_close(world_service(w, 0)->cpu.max, 1.0, 0);
    metrics_free(&m);
    world_free(w);
    scenario_free(sc);

    sc = load("duration: 100s\n"
              "traffic: {rate: 1/s, arrivals: deterministic}\n"
              "services:\n  web:\n    concurrency: 200\n    service_time: 1s\n"
              "    resources: {requests: {cpu: 250m}, limits: {cpu: 500m}}\n");
    w = mkworld(sc, 0, NULL);
    run(w);
    metrics_init(&m);
    world_collect(w, &m);
    u = metric(&m, "services.web.cpu_utilization");
    printf("  throttled at 500m: cpu_utilization %.10f, by hand 0.5 x 99 / (0.25 x 100) = 1.98\n", u);
    assert_double_close(u, 0.5 * 99 / (0.25 * 100), 1e-12);
    assert_double_close(world_service(w, 0)->cpu.max, 0.5, 0);
    metrics_free(&m);
    world_free(w);
    scenario_free(sc);
}

/* ---- 3. pod life cycle ------------------------------------------------------------- */

#define STARTUP "    startup: {scheduling: 1s, image_pull: 2s, container_start: 3s, readiness: 4s}\n"

static uint64_t arrivals_seen;
static void ev_arrivals_of_pod1(void *ctx, void *obj, uint64_t arg)
{
    (void)ctx, (void)arg;
    arrivals_seen = pod_must(obj, 1)->arrivals;
}

/* Scale 1 -> 2 at 20 s with start-up 1 + 2 + 3 + 4 s: the new pod (uid 1)
 * is Pending over [20, 21), pulling [21, 23), starting [23, 26), running
 * unready [26, 30) and Ready from 30 s, exactly 10 s after the scale-up.
 * Requests arrive every 0.1 s; before 30 s all go to pod 0 (299 of them,
 * 0.1 .. 29.9 s); from 30 s round robin alternates between the two pods:
 * the 301 arrivals at 30.0 .. 60.0 s split 150/151. */
static void test_startup_pipeline(void **state)
{
    (void)state;
    scenario_t *sc = load("duration: 60s\n"
                          "traffic: {rate: 10/s, arrivals: deterministic}\n"
                          "services:\n  web:\n    concurrency: 4\n    service_time: 10ms\n"
                          "    resources: {requests: {cpu: 100m}}\n" STARTUP);
    world_t *w = mkworld(sc, 0, NULL);
    service_t *s = world_service(w, 0);
    at(w, 20.0, ev_scale, s, 2);
    at(w, 19.95, ev_expect_pod, s, EXPECT(1, PH_GONE));
    static const struct {
        double t;
        pod_phase_t ph;
    } steps[] = {{20.05, POD_PENDING},  {20.95, POD_PENDING},  {21.05, POD_PULLING}, {22.95, POD_PULLING},
                 {23.05, POD_STARTING}, {25.95, POD_STARTING}, {26.05, POD_UNREADY}, {29.95, POD_UNREADY},
                 {30.05, POD_READY},    {59.95, POD_READY}};
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
        at(w, steps[i].t, ev_expect_pod, s, EXPECT(1, steps[i].ph));
        at(w, steps[i].t, ev_expect_ready, s, steps[i].ph == POD_READY ? 2 : 1);
    }
    at(w, 29.95, ev_arrivals_of_pod1, s, 0);
    run(w);
    assert_int_equal(arrivals_seen, 0); /* only Ready pods receive requests */
    const pod_t *p0 = pod_must(s, 0), *p1 = pod_must(s, 1);
    assert_int_equal(p1->created, SEC(20));
    assert_int_equal(p1->started, SEC(21));
    assert_int_equal(p1->container_start, SEC(26));
    assert_int_equal(p1->ready_since, SEC(30));
    assert_int_equal(p0->arrivals + p1->arrivals, 600);
    assert_true(p1->arrivals == 150 || p1->arrivals == 151);
    assert_int_equal(s->errors + s->rejected, 0);
    world_free(w);
    scenario_free(sc);
}

/* Scale-down order (Kubernetes' ReplicaSet: not-ready pods before ready
 * ones; among ready pods the one Ready for the shortest time first).
 * One pod (uid 0) with a 200Mi memory limit.
 *   0.5 s  scale to 3: uids 1, 2 created, Ready at 10.5 s.
 *   1 s    11 requests of 10Mi on a 100Mi base reach pod 0 (the only
 *          Ready one): 210Mi > 200Mi, OOM-killed; back-off 10 s, container
 *          start [11, 14), unready [14, 18).
 *  12 s    scale to 2: pod 0, the oldest, is not Ready (starting), pods 1
 *          and 2 are: pod 0 goes.
 *  20 s    scale to 3: uid 3, Ready at 30 s.
 *  31 s    scale to 2: pods 1, 2 Ready since 10.5 s, pod 3 since 30 s: pod 3
 *          goes.
 *  32 s    scale to 3: uid 4, pending until 33 s, pulling until 35 s.
 *  34 s    scale to 2: pod 4 (not Ready) goes. */
static void test_scale_down_order(void **state)
{
    (void)state;
    scenario_t *sc = load("duration: 40s\n"
                          "traffic: {profile: [{at: 0s, rate: 0/s}]}\n"
                          "services:\n  web:\n    concurrency: 20\n    service_time: 100s\n"
                          "    memory: {base: 100Mi, per_request: 10Mi}\n"
                          "    resources: {limits: {memory: 200Mi}}\n" STARTUP);
    world_t *w = mkworld(sc, 0, NULL);
    service_t *s = world_service(w, 0);
    at(w, 0.5, ev_scale, s, 3);
    at(w, 1.0, ev_inject, s, 11);
    at(w, 11.95, ev_expect_pod, s, EXPECT(0, POD_STARTING));
    at(w, 12.0, ev_scale, s, 2);
    at(w, 12.05, ev_expect_pod, s, EXPECT(0, PH_GONE));
    at(w, 12.05, ev_expect_pod, s, EXPECT(1, POD_READY));
    at(w, 12.05, ev_expect_pod, s, EXPECT(2, POD_READY));
    at(w, 20.0, ev_scale, s, 3);
    at(w, 30.95, ev_expect_pod, s, EXPECT(3, POD_READY));
    at(w, 31.0, ev_scale, s, 2);
    at(w, 31.05, ev_expect_pod, s, EXPECT(3, PH_GONE));
    at(w, 31.05, ev_expect_pod, s, EXPECT(1, POD_READY));
    at(w, 31.05, ev_expect_pod, s, EXPECT(2, POD_READY));
    at(w, 32.0, ev_scale, s, 3);
    at(w, 33.95, ev_expect_pod, s, EXPECT(4, POD_PULLING));
    at(w, 34.0, ev_scale, s, 2);
    at(w, 34.05, ev_expect_pod, s, EXPECT(4, PH_GONE));
    at(w, 34.05, ev_expect_ready, s, 2);
    run(w);
    assert_int_equal(s->oom_kills, 1);
    assert_int_equal(s->errors, 11);
    assert_int_equal(s->npods, 2);
    world_free(w);
    scenario_free(sc);
}

/* A deleted pod with requests in service. Two pods of 4 workers, 5 s of
 * CPU per request, no limit. At 1 s four requests arrive: round robin puts
 * two in each pod, in service until 6 s. At 2 s the Deployment goes to 1
 * replica: pod 1 goes (both Ready since 0; the newer first). It leaves the
 * balancer at once (1 Ready pod), keeps its two requests, and two more
 * arriving at 3 s go to pod 0.
 * (a) Grace 30 s: pod 1 finishes both at 6 s and is gone then; no error.
 * (b) Grace 3 s: at 5 s the grace period ends, its two requests fail and the
 *     pod is gone. */
static uint64_t errors_at[2];
static void ev_errors(void *ctx, void *obj, uint64_t arg)
{
    (void)ctx;
    errors_at[arg] = ((const service_t *)obj)->errors;
}

static void drain_case(const char *grace, double t_end)
{
    char yaml[512];
    snprintf(yaml, sizeof yaml,
             "duration: 20s\n"
             "traffic: {profile: [{at: 0s, rate: 0/s}]}\n"
             "services:\n  web:\n    replicas: 2\n    concurrency: 4\n    service_time: 5s\n"
             "    termination_grace: %s\n    resources: {requests: {cpu: 100m}}\n",
             grace);
    scenario_t *sc = load(yaml);
    world_t *w = mkworld(sc, 0, NULL);
    service_t *s = world_service(w, 0);
    at(w, 1.0, ev_inject, s, 4);
    at(w, 2.0, ev_scale, s, 1);
    at(w, 2.05, ev_expect_pod, s, EXPECT(1, POD_TERMINATING));
    at(w, 2.05, ev_expect_ready, s, 1);
    at(w, 3.0, ev_inject, s, 2);
    at(w, t_end - 0.05, ev_expect_pod, s, EXPECT(1, POD_TERMINATING));
    at(w, t_end - 0.05, ev_arrivals_of_pod1, s, 0);
    at(w, t_end - 0.05, ev_errors, s, 0);
    at(w, t_end + 0.05, ev_expect_pod, s, EXPECT(1, PH_GONE));
    at(w, t_end + 0.05, ev_errors, s, 1);
    run(w);
    assert_int_equal(arrivals_seen, 2); /* nothing new after the deletion */
    assert_int_equal(errors_at[0], 0);
    bool cut = t_end < 6.0;
    assert_int_equal(errors_at[1], cut ? 2 : 0);
    assert_int_equal(s->errors, cut ? 2 : 0);
    assert_int_equal(w->requests_failed, cut ? 2 : 0);
    assert_int_equal(s->completed, cut ? 4 : 6);
    assert_int_equal(s->npods, 1);
    world_free(w);
    scenario_free(sc);
}

static void test_termination_drain(void **state)
{
    (void)state;
    drain_case("30s", 6.0);
    drain_case("3s", 5.0);
}

/* A deleted pod holding a queued request. Two pods of 1 worker, 5 s per
 * request. At 1 s four requests arrive: each pod has one in service (until
 * 6 s) and one queued. At 2 s pod 1 is deleted with grace 30 s. By
 * service.h ("finishes the requests it holds within termination_grace"),
 * the README ("serves what it holds (its queue included)") and Kubernetes
 * (after SIGTERM the container keeps running until it exits or the grace
 * period ends), pod 1 serves its queued request from 6 s to 11 s and is
 * gone at 11 s with no error. (Before commit cefa43e the queued request
 * waited idle until 32 s and failed.) */
static double gone_at;
static int crash_rc;
static void ev_watch_gone(void *ctx, void *obj, uint64_t arg)
{
    world_t *w = ctx;
    (void)arg;
    if (gone_at < 0 && !pod_by_uid(obj, 1))
        gone_at = simtime_to_s(w->now);
    if (w->now + SEC(0.1) <= w->end)
        world_schedule(w, w->now + SEC(0.1), ev_watch_gone, obj, 0);
}

static void test_terminating_pod_serves_its_queue(void **state)
{
    (void)state;
    scenario_t *sc = load("duration: 60s\n"
                          "traffic: {profile: [{at: 0s, rate: 0/s}]}\n"
                          "services:\n  web:\n    replicas: 2\n    concurrency: 1\n    service_time: 5s\n"
                          "    resources: {requests: {cpu: 100m}}\n");
    world_t *w = mkworld(sc, 0, NULL);
    service_t *s = world_service(w, 0);
    gone_at = -1;
    at(w, 1.0, ev_inject, s, 4);
    at(w, 2.0, ev_scale, s, 1);
    at(w, 2.05, ev_watch_gone, s, 0);
    run(w);
    assert_int_equal(s->completed, 4);
    assert_int_equal(s->errors, 0);
    assert_double_close(gone_at, 11.05, 1e-6); /* the first probe (0.1 s apart) not to see it */
    world_free(w);
    scenario_free(sc);
}

/* A pod crash on a service without resources. Two pods of 1 worker, 5 s
 * per request, four requests at 1 s (one in service and one queued per
 * pod). Not killable (no resources, autoscaler or rollouts): it keeps no job
 * slots, so the crash at 2 s is refused and touches nothing; all four
 * complete. Killable (a fault names it): the crash fails the crashed pod's
 * two requests at once, the other pod's two complete (at 6 s and 11 s), and
 * the pod restarts after CrashLoopBackOff's first 10 s. */
static void ev_crash(void *ctx, void *obj, uint64_t arg)
{
    world_t *w = ctx;
    service_t *s = obj;
    pod_t *p = pod_by_uid(s, (uint32_t)arg);
    assert_non_null(p);
    crash_rc = service_pod_crash(w, p, "Error");
}

static void test_pod_crash_without_resources(void **state)
{
    (void)state;
    for (int killable = 0; killable < 2; killable++) {
        scenario_t *sc = load("duration: 60s\n"
                              "traffic: {profile: [{at: 0s, rate: 0/s}]}\n"
                              "services:\n  web:\n    replicas: 2\n    concurrency: 1\n    service_time: 5s\n");
        scenario_service(sc, 0)->killable = killable;
        world_t *w = mkworld(sc, 0, NULL);
        service_t *s = world_service(w, 0);
        assert_int_equal(s->tracked, killable);
        at(w, 1.0, ev_inject, s, 4);
        at(w, 2.0, ev_crash, s, 1);
        run(w);
        assert_false(w->failed);
        assert_int_equal(crash_rc, killable ? 0 : -1);
        assert_int_equal(s->completed, killable ? 2 : 4);
        assert_int_equal(s->errors, killable ? 2 : 0);
        assert_int_equal(w->requests_failed, killable ? 2 : 0);
        assert_int_equal(w->requests_rejected, 0); /* a crash is no rejection */
        world_free(w);
        scenario_free(sc);
    }
}

/* maxSurge / maxUnavailable: a scenario's strategy and a Deployment
 * manifest go through one parser, so they accept and refuse the same text.
 * Accepted: digits, or digits and '%' (a manifest's "25%" quoted or not);
 * refused: anything else, including what strtol or a loose scan would read
 * as a number ("abc%", "-5%", "5.5", " 5", "5 %", "1e3", "%", "0x10"). */
static void test_intstr_one_parser(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        bool ok, percent;
        int32_t value;
    } cases[] = {{"25%", true, true, 25}, {"0", true, false, 0}, {"3", true, false, 3}, {"100%", true, true, 100},
                 {"abc%", false, 0, 0},  {"-5%", false, 0, 0},   {"5.5", false, 0, 0},  {"5 %", false, 0, 0},
                 {"1e3", false, 0, 0},   {"%", false, 0, 0},     {"0x10", false, 0, 0}, {"12a", false, 0, 0}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char yaml[400];
        snprintf(yaml, sizeof yaml,
                 "traffic: {rate: 1/s}\nservices:\n  web:\n    strategy: {max_surge: \"%s\", max_unavailable: 1}\n",
                 cases[i].text);
        diag_t d;
        diag_init(&d);
        scenario_t *sc = scenario_load_string(yaml, "s.yaml", NULL, 0, &d);
        char man[600];
        snprintf(man, sizeof man,
                 "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  replicas: 2\n"
                 "  strategy: {type: RollingUpdate, rollingUpdate: {maxSurge: %s, maxUnavailable: 1}}\n"
                 "  template: {spec: {containers: [{name: c, image: i}]}}\n",
                 cases[i].text);
        arena_t *a = arena_new();
        diag_t dm;
        diag_init(&dm);
        k8s_objects_t o;
        int rc = k8s_load_text(a, "m.yaml", man, strlen(man), false, &o, &dm);
        if (cases[i].ok) {
            assert_non_null(sc);
            assert_int_equal(rc, 0);
            const service_cfg_t *c = scenario_service(sc, 0);
            assert_int_equal(c->max_surge.percent, cases[i].percent);
            assert_int_equal(c->max_surge.value, cases[i].value);
            assert_int_equal(o.deployments[0].max_surge.percent, cases[i].percent);
            assert_int_equal(o.deployments[0].max_surge.value, cases[i].value);
        } else {
            if (sc)
                fprintf(stderr, "scenario accepted '%s'\n", cases[i].text);
            if (rc == 0)
                fprintf(stderr, "manifest accepted '%s'\n", cases[i].text);
            assert_null(sc);
            assert_int_not_equal(rc, 0);
            assert_non_null(strstr(d.msgs[0].text, "max_surge"));
        }
        scenario_free(sc);
        arena_free(a);
    }
}

/* ---- 4. OOM kills and CrashLoopBackOff ---------------------------------------------- */

/* One pod, 20 workers, a request of 100 s every 1 s, memory 100Mi + 10Mi
 * per request, limit 200Mi; container start 3 s, readiness 4 s.
 *  - Requests 1..10 (t = 1..10 s) bring the pod to exactly 200Mi: not
 *    above the limit. The 11th (t = 11 s) makes 210Mi: OOM kill #1. Its 11
 *    requests fail. CrashLoopBackOff 10 s: the container starts at 21 s,
 *    runs unready from 24 s, is Ready at 28 s. The 16 arrivals of
 *    12..27 s find no Ready pod and are rejected.
 *  - From 28 s it fills again: the request of 38 s is its 11th, OOM kill #2
 *    at 38 s, back-off doubled to 20 s: starting at 58 s, unready from
 *    61 s, Ready at 65 s. Arrivals 39..64 s (26) are rejected.
 *  - 65..70 s: six requests in the pod, below the limit.
 * Totals over 70 s: 70 arrivals, 22 errors, 42 rejected, 2 OOM kills, no
 * completion (100 s each). Events: two rows web/pod, Ready ->
 * CrashLoopBackOff, "OOMKilled", at 11 s and 38 s. */
#define OOM_YAML                                                                                                 \
    "duration: 70s\n"                                                                                            \
    "traffic: {rate: 1/s, arrivals: deterministic}\n"                                                            \
    "services:\n  web:\n    concurrency: 20\n    service_time: 100s\n"                                           \
    "    memory: {base: 100Mi, per_request: 10Mi}\n"                                                             \
    "    resources: {limits: {memory: 200Mi}}\n"                                                                 \
    "    startup: {container_start: 3s, readiness: 4s}\n"

/* A pod's phase at a time, and whether it is in the balancer (Ready). */
typedef struct phase_at {
    double t;
    pod_phase_t ph;
} phase_at_t;

/* Expects pod 0 of s in each phase at its time, in the balancer only when Ready. */
static void expect_phases(world_t *w, service_t *s, const phase_at_t *steps, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        at(w, steps[i].t, ev_expect_pod, s, EXPECT(0, steps[i].ph));
        at(w, steps[i].t, ev_expect_ready, s, steps[i].ph == POD_READY ? 1 : 0);
    }
}

static void test_oom_backoff(void **state)
{
    (void)state;
    scenario_t *sc = load(OOM_YAML);
    memlog_t log;
    memlog_open(&log);
    world_t *w = mkworld(sc, 0, log.f);
    service_t *s = world_service(w, 0);
    static const phase_at_t steps[] = {
        {10.95, POD_READY},    {11.05, POD_BACKOFF}, {20.95, POD_BACKOFF}, {21.05, POD_STARTING},
        {23.95, POD_STARTING}, {24.05, POD_UNREADY}, {27.95, POD_UNREADY}, {28.05, POD_READY},
        {37.95, POD_READY},    {38.05, POD_BACKOFF}, {57.95, POD_BACKOFF}, {58.05, POD_STARTING},
        {60.95, POD_STARTING}, {61.05, POD_UNREADY}, {64.95, POD_UNREADY}, {65.05, POD_READY}};
    expect_phases(w, s, steps, sizeof steps / sizeof steps[0]);
    run(w);
    memlog_close(&log);
    const pod_t *p = pod_must(s, 0);
    assert_int_equal(p->restarts, 2);
    assert_int_equal(p->container_start, SEC(61));
    assert_int_equal(p->ready_since, SEC(65));
    assert_int_equal(p->lb.active, 6);
    assert_int_equal(s->oom_kills, 2);
    assert_int_equal(s->errors, 22);
    assert_int_equal(s->rejected, 42);
    assert_int_equal(w->requests_total, 70);
    assert_int_equal(w->requests_failed, 64);
    metrics_t m;
    metrics_init(&m);
    world_collect(w, &m);
    assert_double_close(metric(&m, "services.web.oom_kills"), 2, 0);
    assert_double_close(metric(&m, "services.web.errors"), 22, 0);
    metrics_free(&m);
    evrow_t rows[16];
    size_t n = parse_events(log.buf, rows, 16);
    assert_int_equal(n, 2);
    assert_double_close(rows[0].t, 11, 0);
    assert_string_equal(rows[0].object, "web/pod");
    assert_string_equal(rows[0].from, "Ready");
    assert_string_equal(rows[0].to, "CrashLoopBackOff");
    assert_string_equal(rows[0].reason, "OOMKilled");
    assert_double_close(rows[1].t, 38, 0);
    assert_string_equal(rows[1].object, "web/pod");
    assert_string_equal(rows[1].from, "Ready");
    assert_string_equal(rows[1].to, "CrashLoopBackOff");
    assert_string_equal(rows[1].reason, "OOMKilled");
    free(log.buf);
    world_free(w);

    /* The same through run_scenario: events.csv in an output directory. */
    char dir[] = "/tmp/clustersim-test-k8s-XXXXXX";
    assert_non_null(mkdtemp(dir));
    run_opts_t o = {dir, 1, 1, false};
    run_result_t res;
    char err[256];
    assert_int_equal(run_scenario(sc, &o, &res, err, sizeof err), 0);
    char path[300];
    snprintf(path, sizeof path, "%s/events.csv", dir);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char text[4096];
    size_t len = fread(text, 1, sizeof text - 1, f);
    text[len] = '\0';
    fclose(f);
    assert_non_null(strstr(text, "replication,time_s,object,from,to,reason\n"));
    assert_non_null(strstr(text, "\n0,11,web/pod,Ready,CrashLoopBackOff,OOMKilled\n"));
    assert_non_null(strstr(text, "\n0,38,web/pod,Ready,CrashLoopBackOff,OOMKilled\n"));
    assert_double_close(metric(&res.summary, "services.web.oom_kills"), 2, 0);
    run_result_free(&res);
    static const char *const files[] = {"events.csv", "summary.json", "timeseries.csv", "autoscaler.csv"};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, files[i]);
        unlink(path);
    }
    rmdir(dir);
    scenario_free(sc);
}

/* A working set above the limit before any request (memory.base 300Mi,
 * limit 200Mi): the container is OOM-killed as it starts, never Ready, and
 * every arrival is rejected. The initial pod at 0 s (it could not have been
 * running); back-off 10 s, the container starts at 10 + 3 s and is killed
 * at once: 13 s; back-off 20 s: 33 + 3 = 36 s; back-off 40 s: 76 s, past the
 * end. Three OOM kills, NotReady -> CrashLoopBackOff, and no pod ever in the
 * balancer. Before, the pod was Ready until the first request found it
 * above the limit. */
static void test_oom_at_start(void **state)
{
    (void)state;
    scenario_t *sc = load("duration: 60s\nwarmup: 0s\n"
                          "traffic: {rate: 1/s, arrivals: deterministic}\n"
                          "services:\n  web:\n    concurrency: 20\n    service_time: 100ms\n"
                          "    memory: {base: 300Mi}\n"
                          "    resources: {limits: {memory: 200Mi}}\n"
                          "    startup: {container_start: 3s, readiness: 4s}\n");
    memlog_t log;
    memlog_open(&log);
    world_t *w = mkworld(sc, 0, log.f);
    service_t *s = world_service(w, 0);
    static const phase_at_t steps[] = {{0.5, POD_BACKOFF},   {9.95, POD_BACKOFF},  {10.05, POD_STARTING},
                                       {12.95, POD_STARTING}, {13.05, POD_BACKOFF}, {32.95, POD_BACKOFF},
                                       {33.05, POD_STARTING}, {36.05, POD_BACKOFF}, {59.95, POD_BACKOFF}};
    expect_phases(w, s, steps, sizeof steps / sizeof steps[0]); /* never Ready: never in the balancer */
    run(w);
    memlog_close(&log);
    assert_int_equal(pod_must(s, 0)->restarts, 3);
    assert_int_equal(s->oom_kills, 3);
    assert_int_equal(s->errors, 0);
    assert_int_equal(s->rejected, 60);
    evrow_t rows[16];
    size_t n = parse_events(log.buf, rows, 16);
    assert_int_equal(n, 3);
    static const double when[] = {0, 13, 36};
    for (size_t i = 0; i < 3; i++) {
        assert_double_close(rows[i].t, when[i], 0);
        assert_string_equal(rows[i].from, "NotReady");
        assert_string_equal(rows[i].to, "CrashLoopBackOff");
        assert_string_equal(rows[i].reason, "OOMKilled");
    }
    free(log.buf);
    world_free(w);
    scenario_free(sc);
}

/* A rollout with an old pod that is not Ready (crashed at 9 s; back-off
 * until 19 s): 3 replicas, maxSurge 1, maxUnavailable 0, each start-up step
 * 1 s (Ready 4 s after creation). Kubernetes' cleanupUnhealthyReplicas
 * removes unhealthy old pods only up to maxScaledDown = all pods -
 * minAvailable - new pods not yet available:
 *  - 10 s: the rollout creates new pod 3 (4 pods); 4 - 3 - 1 = 0, so the
 *    crashed pod 0 stays while pod 3 starts;
 *  - 14 s: pod 3 is Ready, 4 - 3 - 0 = 1: pod 0 goes, new pod 4 starts;
 *  - 18 s: pod 4 Ready, 4 available: one old Ready pod may go (4 - 1 >=
 *    minAvailable 3; not before, with 3), pod 5 starts;
 *  - 22 s: pod 5 Ready, the last old pod goes: the rollout completes.
 * Before, pod 0 went at 10 s and two new pods started at once (complete at
 * 18 s). */
static void test_rollout_unhealthy_old(void **state)
{
    (void)state;
    scenario_t *sc = load("duration: 40s\nwarmup: 0s\ntraffic: {rate: 0.001/s}\n"
                          "services:\n  web:\n    replicas: 3\n    concurrency: 1\n    service_time: 10ms\n"
                          "    startup: {scheduling: 1s, image_pull: 1s, container_start: 1s, readiness: 1s}\n"
                          "    strategy: {max_surge: 1, max_unavailable: 0}\n    rollouts: [10s]\n"
                          "faults:\n  - {at: 9s, target: services.web, fault: pod_crash}\n");
    memlog_t log;
    memlog_open(&log);
    world_t *w = mkworld(sc, 0, log.f);
    service_t *s = world_service(w, 0);
    at(w, 10.5, ev_expect_pod, s, EXPECT(0, POD_BACKOFF));
    at(w, 10.5, ev_expect_pod, s, EXPECT(3, POD_PENDING));
    at(w, 10.5, ev_expect_pod, s, EXPECT(4, PH_GONE));
    at(w, 13.5, ev_expect_pod, s, EXPECT(0, POD_BACKOFF));
    at(w, 14.5, ev_expect_pod, s, EXPECT(0, PH_GONE));
    at(w, 14.5, ev_expect_pod, s, EXPECT(4, POD_PENDING));
    at(w, 14.5, ev_expect_ready, s, 3);
    run(w);
    memlog_close(&log);
    evrow_t rows[16];
    size_t n = parse_events(log.buf, rows, 16);
    assert_true(n >= 3);
    assert_string_equal(rows[n - 1].reason, "RolloutComplete");
    assert_double_close(rows[n - 1].t, 22, 0);
    free(log.buf);
    world_free(w);
    scenario_free(sc);
}

/* Event: pod arg >> 8 exists and is of revision arg & 0xff. */
static void ev_expect_rev(void *ctx, void *obj, uint64_t arg)
{
    world_t *w = ctx;
    const pod_t *p = pod_by_uid(obj, (uint32_t)(arg >> 8));
    if (!p || p->revision != (int)(arg & 0xff))
        fail_msg("t=%.3f s: pod %u is %s, expected revision %u", simtime_to_s(w->now), (unsigned)(arg >> 8),
                 p ? "of another revision" : "gone", (unsigned)(arg & 0xff));
}

/* Event: arg pods are not terminating. */
static void ev_expect_alive(void *ctx, void *obj, uint64_t arg)
{
    world_t *w = ctx;
    const service_t *s = obj;
    int alive = (int)s->npods - count_terminating(s);
    if (alive != (int)arg)
        fail_msg("t=%.3f s: %d pods not terminating, expected %u", simtime_to_s(w->now), alive, (unsigned)arg);
}

/* The desired replicas change in the middle of a RollingUpdate (maxSurge
 * and maxUnavailable 25%, 4 replicas, start-up steps of 1 s, a rollout at
 * 10 s: new pods 4 and 5 start, old pod 3 goes; 3 old and 2 new pods at
 * 12 s). Kubernetes' scale() spreads the change over both ReplicaSets in
 * proportion to their sizes (deployment/sync.go, GetProportion), from the
 * size before, D0 + surge = 4 + 1 = 5:
 *  - to 2: at most 2 + ceil(0.5) = 3 pods, 2 to remove. Larger first (old,
 *    3): round(3 x 3 / 5) - 3 = -1; new (2): round(2 x 3 / 5) - 2 = -1. Old
 *    pod 2 and new pod 5 go (ActivePods order: the newer among equals).
 *    Before, all 4 stayed (above D + maxSurge) until new pods were Ready.
 *  - to 8: at most 8 + 2 = 10 pods, 5 to add. Old (3): round(3 x 10 / 5)
 *    - 3 = 3 more pods of revision 0 (uids 6, 7, 8); new (2): round(2 x 10
 *    / 5) - 2 = 2 (uids 9, 10). Before, all 5 were new. */
static void test_rollout_proportional_scaling(void **state)
{
    (void)state;
    const char *yaml = "duration: 40s\nwarmup: 0s\ntraffic: {rate: 0.001/s}\n"
                       "services:\n  web:\n    replicas: 4\n    concurrency: 1\n    service_time: 10ms\n"
                       "    startup: {scheduling: 1s, image_pull: 1s, container_start: 1s, readiness: 1s}\n"
                       "    rollouts: [10s]\n";
    scenario_t *sc = load(yaml);
    world_t *w = mkworld(sc, 0, NULL);
    service_t *s = world_service(w, 0);
    at(w, 11.5, ev_expect_alive, s, 5);
    at(w, 12, ev_scale, s, 2);
    at(w, 12.001, ev_expect_alive, s, 3);
    at(w, 12.001, ev_expect_rev, s, 0 << 8 | 0);
    at(w, 12.001, ev_expect_rev, s, 1 << 8 | 0);
    at(w, 12.001, ev_expect_pod, s, EXPECT(2, PH_GONE));
    at(w, 12.001, ev_expect_rev, s, 4 << 8 | 1);
    at(w, 12.001, ev_expect_pod, s, EXPECT(5, PH_GONE));
    run(w);
    world_free(w);

    w = mkworld(sc, 0, NULL);
    s = world_service(w, 0);
    at(w, 12, ev_scale, s, 8);
    at(w, 12.001, ev_expect_alive, s, 10);
    for (uint32_t uid = 6; uid <= 10; uid++)
        at(w, 12.001, ev_expect_rev, s, (uint64_t)uid << 8 | (uid <= 8 ? 0 : 1));
    run(w);
    assert_int_equal(s->desired, 8);
    world_free(w);
    scenario_free(sc);
}

/* Weights belong to indices a pod holds, not to pod uids: 3 pods weighing
 * 3, 1 and 2 (weighted_round_robin), a rollout at 10 s replaces all three,
 * and the new pods weigh 3, 1 and 2 again, each taking the lowest index no
 * pod holds when it is created. Before, weights followed uids: the new pods
 * (uids 3, 4, 5, past the list) all weighed 1. */
static void test_weights_survive_rollout(void **state)
{
    (void)state;
    scenario_t *sc = load("duration: 60s\nwarmup: 0s\ntraffic: {rate: 0.001/s}\n"
                          "services:\n  web:\n    replicas: 3\n    load_balancer: weighted_round_robin\n"
                          "    weights: [3, 1, 2]\n    service_time: 10ms\n"
                          "    startup: {scheduling: 1s, image_pull: 1s, container_start: 1s, readiness: 1s}\n"
                          "    rollouts: [10s]\n");
    world_t *w = mkworld(sc, 0, NULL);
    service_t *s = world_service(w, 0);
    run(w);
    assert_int_equal(s->rollouts_done, 1);
    assert_int_equal(s->npods, 3);
    double sum = 0, prod = 1;
    for (uint32_t i = 0; i < s->npods; i++) {
        assert_true(s->pods[i]->lb.uid >= 3); /* all replaced */
        sum += s->pods[i]->lb.weight;
        prod *= s->pods[i]->lb.weight;
    }
    assert_double_close(sum, 6, 0); /* {3, 1, 2}: sum 6, product 6 */
    assert_double_close(prod, 6, 0);
    world_free(w);
    scenario_free(sc);
}

/* The back-off resets after 10 minutes of running (kubelet). OOM #1 at
 * 1 s (11 requests at once): back-off 10 s, container start at 11 s,
 * running from 14 s, Ready at 18 s. OOM #2 at 700 s, the container having
 * run 686 s > 600 s: the back-off is 10 s again, not 20 s: starting at
 * 710 s, running 713 s, Ready 717 s. OOM #3 at 730 s (17 s of running):
 * 20 s, Ready at 730 + 20 + 3 + 4 = 757 s. Without the reset #2 would wait
 * 20 s (Ready 727 s) and #3 40 s (Ready 777 s). */
static void test_oom_backoff_reset(void **state)
{
    (void)state;
    scenario_t *sc = load("duration: 800s\n"
                          "traffic: {profile: [{at: 0s, rate: 0/s}]}\n"
                          "services:\n  web:\n    concurrency: 20\n    service_time: 1000s\n"
                          "    memory: {base: 100Mi, per_request: 10Mi}\n"
                          "    resources: {limits: {memory: 200Mi}}\n"
                          "    startup: {container_start: 3s, readiness: 4s}\n");
    memlog_t log;
    memlog_open(&log);
    world_t *w = mkworld(sc, 0, log.f);
    service_t *s = world_service(w, 0);
    at(w, 1, ev_inject, s, 11);
    at(w, 700, ev_inject, s, 11);
    at(w, 730, ev_inject, s, 11);
    at(w, 17.95, ev_expect_pod, s, EXPECT(0, POD_UNREADY));
    at(w, 18.05, ev_expect_pod, s, EXPECT(0, POD_READY));
    at(w, 709.95, ev_expect_pod, s, EXPECT(0, POD_BACKOFF));
    at(w, 710.05, ev_expect_pod, s, EXPECT(0, POD_STARTING));
    at(w, 716.95, ev_expect_pod, s, EXPECT(0, POD_UNREADY));
    at(w, 717.05, ev_expect_pod, s, EXPECT(0, POD_READY));
    at(w, 749.95, ev_expect_pod, s, EXPECT(0, POD_BACKOFF));
    at(w, 750.05, ev_expect_pod, s, EXPECT(0, POD_STARTING));
    run(w);
    memlog_close(&log);
    evrow_t rows[8];
    size_t n = parse_events(log.buf, rows, 8);
    assert_int_equal(n, 3);
    for (size_t i = 0; i < n; i++)
        assert_string_equal(rows[i].reason, "OOMKilled");
    assert_int_equal(s->oom_kills, 3);
    assert_int_equal(pod_must(s, 0)->restarts, 3);
    assert_int_equal(pod_must(s, 0)->ready_since, SEC(757));
    free(log.buf);
    world_free(w);
    scenario_free(sc);
}

/* ---- 5. rolling updates ----------------------------------------------------------- */

typedef struct watch {
    service_t *s;
    double every, from;
    int min_ready, max_pods, max_alive, max_terminating;
    int old_after; /* old-revision pods, not terminating, seen after the rollout ended */
} watch_t;

static void ev_watch(void *ctx, void *obj, uint64_t arg)
{
    world_t *w = ctx;
    watch_t *wa = obj;
    (void)arg;
    const service_t *s = wa->s;
    int ready = (int)s->view.n, pods = (int)s->npods, alive = service_count(s, false);
    if (ready < wa->min_ready)
        wa->min_ready = ready;
    if (pods > wa->max_pods)
        wa->max_pods = pods;
    if (alive > wa->max_alive)
        wa->max_alive = alive;
    int term = count_terminating(s);
    if (term > wa->max_terminating)
        wa->max_terminating = term;
    if (!s->rolling && s->rollouts_done)
        for (uint32_t i = 0; i < s->npods; i++)
            wa->old_after += s->pods[i]->revision != s->revision && s->pods[i]->phase != POD_TERMINATING;
    if (w->now + SEC(wa->every) <= w->end)
        world_schedule(w, w->now + SEC(wa->every), ev_watch, wa, 0);
}

/* 4 replicas, rollout at 60.2 s, start-up 1 + 2 + 3 + 4 = 10 s.
 * max_surge 1, max_unavailable 0: at most 5 pods, at least 4 Ready. Each
 * step creates one new pod, waits the 10 s until it is Ready, then deletes
 * one old pod (now 5 Ready, 4 allowed below): 4 steps of 10 s, the rollout
 * lasts 40 s and ends at 100.2 s.
 * max_surge 0, max_unavailable 1: delete one old pod first (3 Ready), create
 * its replacement, 10 s later 4 Ready, delete the next: again 4 x 10 s, at
 * most 4 pods, at least 3 Ready.
 * The load: 20 requests/s, evenly spaced (0.05 s), 300 ms each, 4 workers
 * per pod: at most 6 requests exist at any time; round robin gives each of
 * 4 or 5 pods one every 0.2 or 0.25 s, so every pod is always busy and
 * every deleted pod drains (for at most 300 ms, well within the 30 s
 * grace): no request fails. Probes every 10 ms. A pod deleted while it holds
 * requests is Terminating and no longer counts against the bounds
 * (Kubernetes does not count terminating pods in maxSurge either, README),
 * so the pod bound is checked on the pods that are not terminating, and on
 * all pods in a run without load, where deleted pods go at once. The
 * rollout's length is checked without load only: under load see
 * test_rollout_not_held_by_draining_pods.
 * Percentages (4 replicas): the defaults 25%/25% are 1 and 1 (surge 1, at
 * least 3 Ready). Step 1 at 60.2 s: one new pod, one old deleted (4 -> 3
 * Ready), its replacement created; at 70.2 s two new Ready, two old go and
 * two new come; at 80.2 s the last two new are Ready and the last old pod
 * goes: 20 s. 30%/30% round to surge ceil(1.2) = 2 and unavailable
 * floor(1.2) = 1: at most 6 pods, at least 3 Ready; 60.2 s: two new, one
 * old deleted and replaced (3 old, 3 new); 70.2 s: each of the 3 new pods
 * Ready lets one old go, the fourth new pod is created; 80.2 s it is Ready:
 * again 20 s. Rounding the other way would show 5 pods at most or 2
 * Ready at least. */
static void rollout_case(const char *strategy, int floor_ready, int cap_pods, bool loaded, double duration)
{
    char yaml[1024];
    snprintf(yaml, sizeof yaml,
             "duration: 130s\n"
             "traffic: %s\n"
             "services:\n  web:\n    replicas: 4\n    concurrency: 4\n    service_time: 300ms\n"
             "    strategy: %s\n    rollouts: [60.2s]\n" STARTUP,
             loaded ? "{rate: 20/s, arrivals: deterministic}" : "{profile: [{at: 0s, rate: 0/s}]}", strategy);
    scenario_t *sc = load(yaml);
    world_t *w = mkworld(sc, 0, NULL);
    service_t *s = world_service(w, 0);
    watch_t wa = {s, 0.01, 0, 1000, 0, 0, 0, 0};
    at(w, 0.005, ev_watch, &wa, 0);
    run(w);
    metrics_t m;
    metrics_init(&m);
    world_collect(w, &m);
    printf("  strategy %s, %s: Ready >= %d (probes) / %g (gauge), pods <= %d, not terminating <= %d, "
           "rollout %g s\n",
           strategy, loaded ? "20 req/s" : "no load", wa.min_ready, s->ready_pods.min, wa.max_pods, wa.max_alive,
           metric(&m, "services.web.rollout_duration_s"));
    assert_int_equal(wa.min_ready, floor_ready);
    assert_double_close(s->ready_pods.min, floor_ready, 0); /* also between probes */
    assert_int_equal(wa.max_alive, cap_pods);
    if (!loaded) {
        assert_int_equal(wa.max_pods, cap_pods);
        assert_double_close(s->replicas.max, cap_pods, 0);
        assert_int_equal(wa.max_terminating, 0);
        assert_double_close(metric(&m, "services.web.rollout_duration_s"), duration, 1e-9);
    } else {
        assert_true(wa.max_terminating >= 1); /* the drain path was taken */
    }
    assert_int_equal(s->revision, 1);
    assert_int_equal(wa.old_after, 0);
    assert_int_equal(s->npods, 4);
    for (uint32_t i = 0; i < s->npods; i++) {
        assert_int_equal(s->pods[i]->revision, 1);
        assert_int_equal(s->pods[i]->phase, POD_READY);
    }
    assert_double_close(metric(&m, "services.web.rollouts"), 1, 0);
    assert_double_close(metric(&m, "services.web.rollout_errors"), 0, 0);
    assert_double_close(metric(&m, "services.web.errors"), 0, 0);
    assert_double_close(metric(&m, "services.web.rejected"), 0, 0);
    if (loaded) /* 2600 arrivals at 0.05 .. 130 s; the last 6 still in service */
        assert_double_close(metric(&m, "requests.completed"), 2600 - 6, 0);
    metrics_free(&m);
    world_free(w);
    scenario_free(sc);
}

static void test_rolling_update(void **state)
{
    (void)state;
    rollout_case("{max_surge: 1, max_unavailable: 0}", 4, 5, false, 40);
    rollout_case("{max_surge: 0, max_unavailable: 1}", 3, 4, false, 40);
    rollout_case("{}", 3, 5, false, 20);
    rollout_case("{max_surge: 30%, max_unavailable: 30%}", 3, 6, false, 20);
    rollout_case("{max_surge: 1, max_unavailable: 0}", 4, 5, true, 0);
    rollout_case("{max_surge: 0, max_unavailable: 1}", 3, 4, true, 0);
}

/* Regression: a rollout step must not wait for the deleted pod to drain.
 * 4 replicas, max_surge 1, max_unavailable 0, start-up 10 s, rollout at
 * 60.2 s; requests of 5 s arrive every 0.5 s (10 in the service on average,
 * 2 to 3 per pod, 8 workers per pod: none waits), so every deleted pod holds
 * requests and drains for up to 5 s (grace 30 s).
 * Kubernetes: the Deployment controller scales the old ReplicaSet down and,
 * at its next sync (triggered by that change), the new one up; its pod
 * budget is the ReplicaSets' spec.replicas, so a terminating pod does not
 * hold back the replacement (README: "Terminating pods are not counted, as
 * in Kubernetes"). Each step is then one start-up, 10 s: 40 s in all, as
 * without load.
 * (The controller once went round again only when a drained pod was gone,
 * so each replacement came up to 5 s late here, up to termination_grace in
 * general.) */
static void test_rollout_not_held_by_draining_pods(void **state)
{
    (void)state;
    scenario_t *sc = load("duration: 150s\n"
                          "traffic: {rate: 2/s, arrivals: deterministic}\n"
                          "services:\n  web:\n    replicas: 4\n    concurrency: 8\n    service_time: 5s\n"
                          "    strategy: {max_surge: 1, max_unavailable: 0}\n    rollouts: [60.2s]\n" STARTUP);
    world_t *w = mkworld(sc, 0, NULL);
    service_t *s = world_service(w, 0);
    watch_t wa = {s, 0.1, 0, 1000, 0, 0, 0, 0};
    at(w, 0.05, ev_watch, &wa, 0);
    run(w);
    metrics_t m;
    metrics_init(&m);
    world_collect(w, &m);
    double d = metric(&m, "services.web.rollout_duration_s");
    double rollouts = metric(&m, "services.web.rollouts"), errors = metric(&m, "services.web.errors");
    printf("  rollout under load with 5 s requests: %g s (expected 4 x 10 = 40 s)\n", d);
    metrics_free(&m);
    world_free(w);
    scenario_free(sc);
    assert_int_equal(wa.max_alive, 5);
    assert_int_equal(wa.min_ready, 4);
    assert_true(wa.max_terminating >= 1);
    assert_double_close(rollouts, 1, 0);
    assert_double_close(errors, 0, 0);
    assert_double_close(d, 4 * 10.0, 1e-9);
}

/* ---- 6. the threshold autoscaler -------------------------------------------------- */

/* Two pods requesting 1 core and 100Mi (working set 10Mi: 10%, always
 * below memory_down 40% and memory_up 80%), 100 ms of CPU per request, no
 * limit, 100 workers (no queue). Threshold: min 2, max 7, step 2, period
 * 15 s, cooldown 60 s; metrics scraped every 15 s.
 * Load: 10/s (1 core over 2 pods: 50%, between the thresholds: no action)
 * until 300 s; 80/s (8 cores) until 900 s; then 5/s (0.5 core).
 *  - Up. The first scrape wholly after the step is at 315 s (400%); an
 *    evaluation at the instant of a scrape reads the one before (README,
 *    "Metrics"), so the evaluation at 315 s still sees 50% and the one at
 *    330 s scales 2 -> 4. The trigger then
 *    holds (8 cores over at most 6 Ready pods: >= 133% > 70%), so the next
 *    steps come at the first evaluations the 60 s cooldown allows, 60 s
 *    apart (60 is a multiple of the period): 4 -> 6, then 6 -> 8 capped to
 *    max 7. At 7, want 9 is capped to 7: no further event.
 *  - Down. 0.5 core over 7 pods is 7% < 30% with memory 10% < 40%: by the
 *    same rule the evaluation at 930 s (reading the scrape of 915 s) scales
 *    7 -> 5, then 5 -> 3 and 3 -> 1, raised to min 2, 60 s apart.
 *  - Scale-up response (autoscaler.h): one episode, from the first
 *    evaluation wanting more than the Ready pods (330 s) to the last
 *    increase of Ready pods: the pod created at 450 s is Ready at 460 s,
 *    130 s. It closes 90 s (cooldown + 2 periods) after the last scale-up.
 * Every up reason names cpu above 70%, every down reason cpu below 30% and
 * memory below 40%. */
#define TH_YAML(base)                                                                                            \
    "duration: 1500s\n"                                                                                          \
    "metrics_server: {resolution: 15s}\n"                                                                        \
    "traffic:\n  arrivals: deterministic\n  profile:\n"                                                          \
    "    - {at: 0s, rate: 10/s}\n    - {at: 299.999s, rate: 10/s}\n    - {at: 300s, rate: 80/s}\n"           \
    "    - {at: 899.999s, rate: 80/s}\n    - {at: 900s, rate: 5/s}\n"                                           \
    "services:\n  web:\n    replicas: 2\n    concurrency: 100\n    service_time: 100ms\n"                      \
    "    resources: {requests: {cpu: \"1\", memory: 100Mi}}\n"                                                   \
    "    memory: {base: " base "}\n" STARTUP                                                                      \
    "    autoscaler: {kind: threshold, min_replicas: 2, max_replicas: 7, step: 2, period: 15s, cooldown: 60s}\n"

static void test_threshold_autoscaler(void **state)
{
    (void)state;
    scenario_t *sc = load(TH_YAML("10Mi"));
    memlog_t log;
    memlog_open(&log);
    world_t *w = mkworld(sc, 0, log.f);
    service_t *s = world_service(w, 0);
    run(w);
    memlog_close(&log);
    evrow_t r[32];
    size_t n = parse_events(log.buf, r, 32);
    for (size_t i = 0; i < n; i++)
        printf("  %7.1f s  %s %s -> %s  %s\n", r[i].t, r[i].object, r[i].from, r[i].to, r[i].reason);
    assert_int_equal(n, 6);
    static const char *const from[] = {"2", "4", "6", "7", "5", "3"}, *const to[] = {"4", "6", "7", "5", "3", "2"};
    for (size_t i = 0; i < n; i++) {
        assert_string_equal(r[i].object, "web/threshold");
        assert_string_equal(r[i].from, from[i]);
        assert_string_equal(r[i].to, to[i]);
        if (i < 3) {
            assert_non_null(strstr(r[i].reason, "cpu "));
            assert_non_null(strstr(r[i].reason, "> 70%"));
        } else {
            assert_non_null(strstr(r[i].reason, "cpu "));
            assert_non_null(strstr(r[i].reason, "< 30% and memory 10.0% < 40%"));
        }
    }
    assert_double_close(r[0].t, 330, 1e-9);
    assert_double_close(r[1].t - r[0].t, 60, 1e-9);
    assert_double_close(r[2].t - r[1].t, 60, 1e-9);
    assert_double_close(r[3].t, 930, 1e-9);
    assert_double_close(r[4].t - r[3].t, 60, 1e-9);
    assert_double_close(r[5].t - r[4].t, 60, 1e-9);
    assert_true(s->replicas.max <= 7);
    assert_true(s->desired_g.max <= 7);
    assert_true(s->replicas.min >= 2);
    assert_int_equal(s->desired, 2);
    assert_int_equal(s->scaling_events, 6);
    metrics_t m;
    metrics_init(&m);
    world_collect(w, &m);
    assert_double_close(metric(&m, "services.web.scale_up_episodes"), 1, 0);
    assert_double_close(metric(&m, "services.web.scale_up_response_s"), 130, 1e-9);
    metrics_free(&m);
    free(log.buf);
    world_free(w);

    /* Memory at 50% of the request (>= memory_down 40%, < memory_up 80%):
     * the same CPU never scales down; the ups are the same. */
    scenario_free(sc);
    sc = load(TH_YAML("50Mi"));
    w = mkworld(sc, 0, NULL);
    run(w);
    s = world_service(w, 0);
    assert_int_equal(s->scaling_events, 3);
    assert_int_equal(s->desired, 7);
    world_free(w);
    scenario_free(sc);
}

/* Regression: the threshold autoscaler must not scale down while CPU is
 * not yet measured.
 * Four pods requesting 1 core and 100Mi; 8 requests/s of 400 ms of CPU,
 * evenly spaced: 3.2 cores over 4 pods, 80% of the request (above cpu_up
 * 70%, but max_replicas is 4: want 5 is capped to 4, no change); working
 * set 10Mi, 10%; min_replicas 1. CPU is never below cpu_down 30%, so by
 * autoscaler.h and the README ("down when CPU < 30% and memory < 40%")
 * there is no scaling at all.
 * A CPU rate needs two scrapes of a pod, memory one: at the evaluation of
 * 30 s only memory is known, and "CPU unknown" once counted as no
 * objection, scaling 4 -> 3 on memory alone. */
/* The threshold autoscaler at 0 pods has nothing to scale up on (no CPU,
 * memory or queue): its min_replicas is at least 1, an input error below,
 * located at the value, where it scaled to 0 and never came back. */
static void test_threshold_min_replicas_at_least_1(void **state)
{
    (void)state;
    diag_t d;
    diag_init(&d);
    scenario_t *sc = scenario_load_string("traffic: {rate: 1/s}\n"
                                          "services:\n  web: {autoscaler: {kind: threshold, min_replicas: 0}}\n",
                                          "th0.yaml", NULL, 0, &d);
    assert_null(sc);
    assert_true(d.n >= 1);
    assert_non_null(strstr(d.msgs[0].text, "th0.yaml:3:53: services.web.autoscaler.min_replicas: '0' is out of range"));
}

static void test_threshold_no_scale_down_unmeasured_cpu(void **state)
{
    (void)state;
    scenario_t *sc = load("duration: 120s\n"
                          "metrics_server: {resolution: 15s}\n"
                          "traffic: {rate: 8/s, arrivals: deterministic}\n"
                          "services:\n  web:\n    replicas: 4\n    concurrency: 100\n    service_time: 400ms\n"
                          "    resources: {requests: {cpu: \"1\", memory: 100Mi}}\n"
                          "    memory: {base: 10Mi}\n"
                          "    autoscaler: {kind: threshold, min_replicas: 1, max_replicas: 4, period: 15s, "
                          "cooldown: 60s}\n");
    memlog_t log;
    memlog_open(&log);
    world_t *w = mkworld(sc, 0, log.f);
    run(w);
    memlog_close(&log);
    evrow_t r[8];
    size_t n = parse_events(log.buf, r, 8);
    for (size_t i = 0; i < n; i++)
        printf("  %7.1f s  %s %s -> %s  %s\n", r[i].t, r[i].object, r[i].from, r[i].to, r[i].reason);
    int32_t desired = world_service(w, 0)->desired;
    free(log.buf);
    world_free(w);
    scenario_free(sc);
    assert_int_equal(n, 0);
    assert_int_equal(desired, 4);
}

/* ---- 7. the HPA in the loop ---------------------------------------------------------- */

/* The seed manifest (min 3, max 20; cpu 70%, memory 80%,
 * http_requests_per_second 100 per pod; scale-up window 60 s with 100% per
 * 60 s; its unknown field scaleUp.policies[0].minReplicas is dropped with
 * a warning). Pods start in no time, request 500m and 256Mi; each request
 * needs 1 ms of CPU; working set 64Mi (25%). Requests evenly spaced: 150/s
 * until 360 s, then 750/s.
 *  - Before the step: 50 requests/s per pod -> ceil(3 x 50/100) = 2; cpu
 *    0.05 core = 10% -> ceil(3 x 10/70) = 1; memory 25% -> ceil(3 x 25/80)
 *    = 1: raw 2, raised to minReplicas 3. No scaling.
 *  - After: the rps rule gives ceil(3 x 250/100) = 8 (cpu: 250 x 1 ms =
 *    0.25 core = 50% -> ceil(3 x 50/70) = 3; memory 25% -> 1). A sync at
 *    the instant of a scrape reads the one before (README, "Metrics"): the
 *    sync at 375 s reads the scrape of 360 s (pre-step) and recommends 2;
 *    the one at 390 s reads the scrape of 375 s and recommends 8. Scale-up
 *    goes to the lowest recommendation of the last 60 s, and a sample 60 s
 *    old is out of the window (hpa-spec.md): the first scale-up is at
 *    375 + 60 = 435 s, one window plus one resolution after the step, to
 *    6 (100% of 3 per 60 s: ScaleUpLimit).
 *  - The three new pods are Ready at 435 s but missed the scrape of 435 s
 *    (it comes after the sync at that instant). Sync 450 s (scrape 435 s):
 *    old pods 250/s, new ones missing, counted as 0 since the ratio is > 1:
 *    750/600 = 1.25 -> ceil(6 x 1.25) = 8. Sync 465 s (scrape 450 s: old
 *    pods 125/s, new ones scraped once, no rate yet): ratio 1.25, missing
 *    pods at 0 give 375/600 = 0.625 < 1, the direction flips: keep 6.
 *    Sync 480 s on: all at 125/s -> 8. The 6 of 465 s leaves the window at
 *    525 s: 6 -> 8 then (the policy's 60 s since 435 s allows it from 495 s).
 *  - At 8: 750/8 = 93.75 per pod, ratio 0.9375, within the 0.1 tolerance:
 *    8 is the fixed point. (At 7 the ratio 1.07 would also be within it;
 *    the path 3 -> 6 -> 8 never visits 7.)
 *  - Scale-up response (autoscaler.h): from the first sync whose raw
 *    recommendation exceeds the Ready pods (390 s) to the last increase of
 *    Ready pods (525 s, pods start in no time): 135 s, one episode. */
static void test_hpa_in_the_loop(void **state)
{
    (void)state;
    diag_t d;
    scenario_t *sc = load_as("duration: 1200s\n"
                             "metrics_server: {resolution: 15s}\n"
                             "traffic:\n  arrivals: deterministic\n  profile:\n"
                             "    - {at: 0s, rate: 150/s}\n    - {at: 359.999s, rate: 150/s}\n"
                             "    - {at: 360s, rate: 750/s}\n"
                             "services:\n  api-gateway:\n    replicas: 3\n    concurrency: 16\n"
                             "    service_time: 1ms\n"
                             "    resources: {requests: {cpu: 500m, memory: 256Mi}}\n"
                             "    memory: {base: 64Mi}\n"
                             "    startup: {scheduling: 0s, image_pull: 0s, container_start: 0s, readiness: 0s}\n"
                             "    autoscaler: {kind: hpa, manifest: manifests/api-gateway-hpa.yaml}\n",
                             "scenarios/k8s-hpa.yaml", &d);
    assert_int_equal(d.errors, 0);
    assert_int_equal(d.warnings, 1);
    assert_non_null(strstr(d.msgs[0].text, "scenarios/manifests/api-gateway-hpa.yaml:"));
    assert_non_null(strstr(d.msgs[0].text, "unknown field \"spec.behavior.scaleUp.policies[0].minReplicas\""));
    const hpa_spec_t *h = scenario_service(sc, 0)->autoscaler.hpa;
    assert_int_equal(h->min_replicas, 3);
    assert_int_equal(h->max_replicas, 20);

    memlog_t log;
    memlog_open(&log);
    world_t *w = mkworld(sc, 0, log.f);
    service_t *s = world_service(w, 0);
    run(w);
    memlog_close(&log);
    evrow_t r[32];
    size_t n = parse_events(log.buf, r, 32);
    for (size_t i = 0; i < n; i++)
        printf("  %7.1f s  %s %s -> %s  %s\n", r[i].t, r[i].object, r[i].from, r[i].to, r[i].reason);
    metrics_t m;
    metrics_init(&m);
    world_collect(w, &m);
    double resp = metric(&m, "services.api-gateway.scale_up_response_s");
    double episodes = metric(&m, "services.api-gateway.scale_up_episodes");
    printf("  scale-up response %.1f s over %g episode(s)\n", resp, episodes);
    assert_int_equal(n, 2);
    assert_string_equal(r[0].object, "api-gateway/hpa");
    assert_string_equal(r[0].from, "3");
    assert_string_equal(r[0].to, "6");
    assert_double_close(r[0].t, 435, 1e-9);
    assert_non_null(strstr(r[0].reason, "ScaleUpLimit"));
    assert_string_equal(r[1].from, "6");
    assert_string_equal(r[1].to, "8");
    assert_double_close(r[1].t, 525, 1e-9);
    assert_int_equal(s->desired, 8);
    assert_int_equal(s->view.n, 8);
    assert_true(s->replicas.min >= 3 && s->replicas.max <= 20);
    assert_true(s->desired_g.min >= 3 && s->desired_g.max <= 20);
    assert_double_close(episodes, 1, 0);
    assert_double_close(resp, 525 - 390, 1e-9);
    metrics_free(&m);
    free(log.buf);
    world_free(w);
    scenario_free(sc);
}

/* The service web of yaml (named name) run alone: the requests_per_second
 * cell of each row of autoscaler.csv (its sync times in t[], the value
 * text in value[]: empty when the metric had none). The count. */
enum { MAX_SYNCS = 64 };
static int rps_column(const char *yaml, const char *name, double *t, char (*value)[32])
{
    scenario_t *sc = load_as(yaml, name, NULL);
    memlog_t log;
    memlog_open(&log);
    world_t *w = mkworld(sc, 0, NULL);
    w->autoscaler_log = log.f;
    run(w);
    memlog_close(&log);
    int n = 0;
    for (char *line = log.buf; line && *line && n < MAX_SYNCS;) {
        char *nl = strchr(line, '\n');
        if (nl)
            *nl = '\0';
        /* replication,time_s,service,current,metric,value,... */
        value[n][0] = '\0';
        if (sscanf(line, "0,%lf,web,%*d,requests_per_second,%31[^,]", &t[n], value[n]) >= 1)
            n++;
        line = nl ? nl + 1 : NULL;
    }
    free(log.buf);
    world_free(w);
    scenario_free(sc);
    return n;
}

/* Object and External metrics are the service's totals, whatever pods came
 * and went (tests/k8s/rps-external-hpa.yaml: requests_per_second, 5 a
 * pod). At 40 requests/s (Poisson) every sync after the first scrape (60 s,
 * the default resolution and window) reads the last 60 s's rate: 40 +-
 * 4.42 x sqrt(40/60) = 3.6. Before it the metric has no value (an empty
 * cell): it read 0 and took the service to 1 pod; so does the sync at 60 s
 * itself, which reads the scrape before its instant (none). And the pods a
 * scale-up added, with no rate of their own yet, took their share out of
 * the total (it read 35, then 10). */
static void test_hpa_service_totals(void **state)
{
    (void)state;
    double t[MAX_SYNCS];
    char value[MAX_SYNCS][32];
    int n = rps_column("duration: 600s\ntraffic: {rate: 40/s}\n"
                       "services:\n  web:\n    replicas: 2\n    concurrency: 100\n"
                       "    service_time: {dist: exponential, mean: 10ms}\n"
                       "    autoscaler: {kind: hpa, manifest: rps-external-hpa.yaml}\n",
                       "tests/k8s/external.yaml", t, value);
    int empty = 0;
    for (int i = 0; i < n; i++) {
        if (t[i] <= 60) {
            assert_string_equal(value[i], ""); /* no value up to the first scrape's instant */
            empty++;
        } else {
            double v = atof(value[i]);
            if (fabs(v - 40) > 3.6)
                printf("  %.0f s: %s\n", t[i], value[i]);
            assert_true(fabs(v - 40) <= 3.6);
        }
    }
    printf("  %d syncs, %d up to the first scrape's instant (no value), the rest 40 +- 3.6\n", n, empty);
    assert_int_equal(n, 40);
    assert_int_equal(empty, 4);
}

/* A sync at the instant of a scrape reads the scrape before it, whichever
 * event came first (scenarios/README.md): with scrapes every 30 s and
 * syncs every 10 s, the syncs at 30, 60, 90 s ... read what the syncs 10 s
 * before them read, and each scrape is first read 10 s after it (at 30 s
 * there is none yet). The scrape came first when its period was the longer
 * one (scheduled earlier), and the sync then read it at once. */
static void test_sync_at_scrape_reads_the_one_before(void **state)
{
    (void)state;
    double t[MAX_SYNCS];
    char value[MAX_SYNCS][32];
    int n = rps_column("duration: 300s\nmetrics_server: {resolution: 30s}\nhpa_controller: {sync_period: 10s}\n"
                       "traffic: {profile: [{at: 0s, rate: 1/s}, {at: 99.999s, rate: 1/s}, {at: 100s, rate: 50/s}]}\n"
                       "services:\n  web:\n    replicas: 2\n    concurrency: 100\n"
                       "    service_time: {dist: exponential, mean: 10ms}\n"
                       "    autoscaler: {kind: hpa, manifest: rps-external-hpa.yaml}\n",
                       "tests/k8s/tie.yaml", t, value);
    assert_int_equal(n, 30);
    for (int i = 0; i < n; i++)
        assert_double_close(t[i], 10.0 * (i + 1), 1e-9);
    for (int i = 0; i < 3; i++) /* 10, 20, 30 s: no scrape before them */
        assert_string_equal(value[i], "");
    for (int i = 3; i < n; i++) { /* sync i at 10 (i + 1) s */
        if ((i + 1) % 3 == 0) /* a scrape's instant: the sync before it read the same */
            assert_string_equal(value[i], value[i - 1]);
        if ((i + 1) % 3 == 1 && i + 1 > 4) /* 10 s after a scrape: its first reader */
            assert_true(strcmp(value[i], value[i - 1]) != 0);
    }
    printf("  syncs at 110, 120, 130 s read %s, %s, %s (the step at 100 s first seen at 130 s)\n", value[10],
           value[11], value[12]);
    assert_true(atof(value[11]) < 2 && atof(value[12]) > 10);
}

/* Counts are after warm-up, as every count of the summary: the scaling
 * decisions of test_hpa_service_totals's run at 75 s (2 -> 6) and after it,
 * with a warm-up of 80 s, count those from 80 s on only (events.csv has
 * them all). */
static void test_counts_after_warmup(void **state)
{
    (void)state;
    scenario_t *sc = load_as("duration: 600s\nwarmup: 80s\ntraffic: {rate: 40/s}\n"
                             "services:\n  web:\n    replicas: 2\n    concurrency: 100\n"
                             "    service_time: {dist: exponential, mean: 10ms}\n"
                             "    autoscaler: {kind: hpa, manifest: rps-external-hpa.yaml}\n",
                             "tests/k8s/external.yaml", NULL);
    memlog_t log;
    memlog_open(&log);
    world_t *w = mkworld(sc, 0, log.f);
    run(w);
    memlog_close(&log);
    evrow_t r[32];
    size_t n = parse_events(log.buf, r, 32), before = 0;
    for (size_t i = 0; i < n; i++)
        before += r[i].t < 80;
    metrics_t m;
    metrics_init(&m);
    world_collect(w, &m);
    printf("  %zu scaling decisions, %zu in the warm-up; scaling_events %g\n", n, before,
           metric(&m, "services.web.scaling_events"));
    assert_true(before >= 1);
    assert_double_close(metric(&m, "services.web.scaling_events"), (double)(n - before), 0);
    metrics_free(&m);
    free(log.buf);
    world_free(w);
    scenario_free(sc);
}

/* ---- 8. Deployment manifests ----------------------------------------------------------- */

/* tests/k8s/web-deployment.yaml: replicas 5; requests cpu 250m, memory
 * 64Mi; limits cpu 500m (no memory limit); RollingUpdate maxSurge 2,
 * maxUnavailable 0; terminationGracePeriodSeconds 45. The scenario is named
 * tests/k8s/..., so `deployment: web-deployment.yaml` is relative to it. */
static void test_deployment_manifest(void **state)
{
    (void)state;
    scenario_t *sc = load_as("services:\n  web:\n    deployment: web-deployment.yaml\n", "tests/k8s/scenario.yaml",
                             NULL);
    const service_cfg_t *c = scenario_service(sc, 0);
    assert_int_equal(c->replicas, 5);
    assert_int_equal(c->cpu_request_m, 250);
    assert_int_equal(c->mem_request_b, 64 * MI);
    assert_int_equal(c->cpu_limit_m, 500);
    assert_int_equal(c->mem_limit_b, 0);
    assert_false(c->max_surge.percent);
    assert_int_equal(c->max_surge.value, 2);
    assert_false(c->max_unavailable.percent);
    assert_int_equal(c->max_unavailable.value, 0);
    assert_int_equal(c->grace, 45 * SIM_S);
    /* and the world uses them: 5 Ready pods, throttled (1 worker > 0.5 core) */
    world_t *w = mkworld(sc, 0, NULL);
    assert_int_equal(world_service(w, 0)->view.n, 5);
    assert_true(world_service(w, 0)->throttled);
    world_free(w);
    scenario_free(sc);

    /* Keys of the scenario win over the manifest; the others still come
     * from it. */
    sc = load_as("services:\n  web:\n    deployment: web-deployment.yaml\n    replicas: 2\n"
                 "    termination_grace: 10s\n    strategy: {max_surge: 25%, max_unavailable: 1}\n",
                 "tests/k8s/scenario.yaml", NULL);
    c = scenario_service(sc, 0);
    assert_int_equal(c->replicas, 2);
    assert_int_equal(c->grace, 10 * SIM_S);
    assert_true(c->max_surge.percent);
    assert_int_equal(c->max_surge.value, 25);
    assert_false(c->max_unavailable.percent);
    assert_int_equal(c->max_unavailable.value, 1);
    assert_int_equal(c->cpu_request_m, 250);
    assert_int_equal(c->cpu_limit_m, 500);
    scenario_free(sc);
    sc = load_as("services:\n  web:\n    deployment: web-deployment.yaml\n"
                 "    resources: {requests: {cpu: 100m}}\n",
                 "tests/k8s/scenario.yaml", NULL);
    c = scenario_service(sc, 0);
    assert_int_equal(c->replicas, 5);
    assert_int_equal(c->cpu_request_m, 100);
    scenario_free(sc);

    /* An absolute path, written at run time. */
    char path[] = "/tmp/clustersim-test-k8s-deploy-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    static const char manifest[] = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api}\n"
                                   "spec:\n  replicas: 3\n  selector: {matchLabels: {app: api}}\n"
                                   "  template:\n    metadata: {labels: {app: api}}\n"
                                   "    spec:\n      containers:\n      - name: api\n        image: api:1\n"
                                   "        resources: {requests: {cpu: 200m, memory: 1Gi}, "
                                   "limits: {memory: 2Gi}}\n";
    assert_int_equal(write(fd, manifest, sizeof manifest - 1), (ssize_t)(sizeof manifest - 1));
    close(fd);
    char yaml[256];
    snprintf(yaml, sizeof yaml, "services:\n  api:\n    deployment: %s\n", path);
    sc = load(yaml);
    c = scenario_service(sc, 0);
    unlink(path);
    assert_int_equal(c->replicas, 3);
    assert_int_equal(c->cpu_request_m, 200);
    assert_int_equal(c->cpu_limit_m, 0);
    assert_int_equal(c->mem_request_b, 1024 * MI);
    assert_int_equal(c->mem_limit_b, 2048 * MI);
    /* Kubernetes' defaults where the manifest is silent: 25% / 25%, 30 s */
    assert_true(c->max_surge.percent && c->max_unavailable.percent);
    assert_int_equal(c->max_surge.value, 25);
    assert_int_equal(c->max_unavailable.value, 25);
    assert_int_equal(c->grace, 30 * SIM_S);
    scenario_free(sc);
}

/* Regression: a container with a limit and no request gets a request equal to
 * its limit: the API server's defaulting (the Kubernetes docs, "Resource
 * Management for Pods and Containers": "If you specify a limit for a
 * resource, but do not specify any request, ... Kubernetes copies the limit
 * you specified and uses it as the requested value"); k8s.h says manifests
 * are read "as the API server does", with its defaults. So
 * tests/k8s/limits-only-deployment.yaml (limits cpu 800m, memory 512Mi)
 * requests 800m and 512Mi. (They were once left at 0, so CPU utilisation,
 * the threshold autoscaler and HPA Utilization targets had no request.) */
static void test_deployment_limits_default_requests(void **state)
{
    (void)state;
    scenario_t *sc = load_as("services:\n  web:\n    deployment: limits-only-deployment.yaml\n",
                             "tests/k8s/scenario.yaml", NULL);
    const service_cfg_t *c = scenario_service(sc, 0);
    int64_t cpu_limit = c->cpu_limit_m, mem_limit = c->mem_limit_b;
    int64_t cpu_request = c->cpu_request_m, mem_request = c->mem_request_b;
    scenario_free(sc);
    printf("  limits-only Deployment: requests cpu %lldm memory %lld bytes (expected 800m, %lld)\n",
           (long long)cpu_request, (long long)mem_request, (long long)(512 * MI));
    assert_int_equal(cpu_limit, 800);
    assert_int_equal(mem_limit, 512 * MI);
    assert_int_equal(cpu_request, 800);    
    assert_int_equal(mem_request, 512 * MI);
}

/* Regression: strategy.type Recreate: Kubernetes kills every old pod before it
 * creates a new one, so old and new revisions never run side by side. The
 * manifest tests/k8s/recreate-deployment.yaml (4 replicas, Recreate) with a
 * rollout at 20 s must therefore never show a new-revision pod while an
 * old-revision one exists. (The strategy was once decoded and ignored: the
 * rollout ran as a RollingUpdate with the 25%/25% defaults.) */
static int mixed_revisions;
static void ev_watch_mixed(void *ctx, void *obj, uint64_t arg)
{
    world_t *w = ctx;
    const service_t *s = obj;
    (void)arg;
    int old = 0, neu = 0;
    for (uint32_t i = 0; i < s->npods; i++) {
        old += s->pods[i]->revision != s->revision;
        neu += s->pods[i]->revision == s->revision;
    }
    mixed_revisions += old > 0 && neu > 0;
    if (w->now + SEC(0.1) <= w->end)
        world_schedule(w, w->now + SEC(0.1), ev_watch_mixed, obj, 0);
}

static void test_deployment_recreate(void **state)
{
    (void)state;
    scenario_t *sc = load_as("duration: 60s\ntraffic: {profile: [{at: 0s, rate: 0/s}]}\n"
                             "services:\n  web:\n    deployment: recreate-deployment.yaml\n"
                             "    rollouts: [20s]\n" STARTUP,
                             "tests/k8s/scenario.yaml", NULL);
    memlog_t log;
    memlog_open(&log);
    world_t *w = mkworld(sc, 0, log.f);
    service_t *s = world_service(w, 0);
    mixed_revisions = 0;
    at(w, 0.05, ev_watch_mixed, s, 0);
    run(w);
    memlog_close(&log);
    printf("  Recreate: %d probes (0.1 s apart) saw old and new pods together (expected 0)\n", mixed_revisions);
    uint64_t done = s->rollouts_done;
    /* the rollout's row says its strategy (it said RollingUpdate) */
    evrow_t rows[16];
    size_t n = parse_events(log.buf, rows, 16);
    assert_true(n >= 1);
    assert_string_equal(rows[0].object, "web/deployment");
    assert_string_equal(rows[0].reason, "Recreate");
    free(log.buf);
    world_free(w);
    scenario_free(sc);
    assert_int_equal(done, 1);
    assert_int_equal(mixed_revisions, 0);
}

/* The utilization series is busy workers over workers, both integrated
 * over the interval, as the summary's. An HPA that wants 1 pod for the
 * load (External requests_per_second, 1000 a pod, at 150/s) takes 10 pods
 * to 1 at its first sync after the first scrape (60 s), at 75 s, in
 * mid-interval (rows every 7 s); the load, 3 erlangs, then saturates the
 * one worker. The row at 77 s covers 5 s of 10 pods and 2 s of 1: busy
 * (5 x 3 + 2 x 1) / (5 x 10 + 2 x 1) = 0.33 or so, where dividing by the
 * pods at the sample instant gave 17 / 7 = 2.4. Every row is in [0, 1]. */
static void test_utilization_series(void **state)
{
    (void)state;
    scenario_t *sc = load_as("duration: 120s\nsample_interval: 7s\ntraffic: {rate: 150/s}\n"
                             "services:\n  web:\n    replicas: 10\n    concurrency: 1\n"
                             "    service_time: {dist: exponential, mean: 20ms}\n"
                             "    autoscaler: {kind: hpa, manifest: rps-external-hpa.yaml,\n"
                             "                 patch: {spec: {metrics: {0: {external: {target: {averageValue: \"1000\"}}}}}}}\n",
                             "tests/k8s/external.yaml", NULL);
    memlog_t series, events;
    memlog_open(&series);
    memlog_open(&events);
    world_t *w = world_new(sc, 0, &(world_files_t){series.f, events.f, NULL});
    assert_non_null(w);
    run(w);
    memlog_close(&series);
    memlog_close(&events);
    assert_non_null(strstr(events.buf, "0,75,web/hpa,10,1,"));
    int rows = 0;
    double at77 = -1;
    for (char *line = series.buf; line && *line;) {
        char *nl = strchr(line, '\n');
        if (nl)
            *nl = '\0';
        const char *u = strstr(line, ",web.utilization,");
        if (u) {
            double v = atof(u + strlen(",web.utilization,"));
            if (!(v >= 0 && v <= 1))
                printf("  %s\n", line);
            assert_true(v >= 0 && v <= 1);
            if (strncmp(line, "0,77,", 5) == 0)
                at77 = v;
            rows++;
        }
        line = nl ? nl + 1 : NULL;
    }
    printf("  %d utilization rows, all in [0, 1]; 77 s (the drop at 75 s inside): %.3f\n", rows, at77);
    assert_int_equal(rows, 17);
    assert_true(at77 > 0.23 && at77 < 0.43);
    free(series.buf);
    free(events.buf);
    world_free(w);
    scenario_free(sc);
}

/* ---- 9. determinism ------------------------------------------------------------------------ */

static void assert_metrics_identical(const metrics_t *a, const metrics_t *b)
{
    assert_int_equal(a->n, b->n);
    for (size_t i = 0; i < a->n; i++) {
        assert_string_equal(a->v[i].path, b->v[i].path);
        assert_memory_equal(&a->v[i].value, &b->v[i].value, sizeof(double));
        assert_memory_equal(&a->v[i].ci95, &b->v[i].ci95, sizeof(double));
    }
}

/* hpa-step (HPA, throttling, start-up with random image pulls) twice: the
 * same numbers to the bit. Then 3 replications on 1 thread and on 3: the
 * same summary and per-replication lists (run.h: results are gathered by
 * replication index). */
static void test_determinism(void **state)
{
    (void)state;
    diag_t d;
    diag_init(&d);
    scenario_t *sc = scenario_load("scenarios/hpa-step.yaml", NULL, 0, &d);
    if (!sc)
        diag_print(&d, stderr);
    assert_non_null(sc);
    metrics_t m[2];
    for (int i = 0; i < 2; i++) {
        metrics_init(&m[i]);
        world_t *w = mkworld(sc, 0, NULL);
        run(w);
        world_collect(w, &m[i]);
        world_free(w);
    }
    assert_metrics_identical(&m[0], &m[1]);
    /* not vacuous: the HPA scaled */
    assert_true(metric(&m[0], "services.api-gateway.scaling_events") >= 2);
    for (int i = 0; i < 2; i++)
        metrics_free(&m[i]);

    run_result_t res[2];
    for (int i = 0; i < 2; i++) {
        run_opts_t o = {NULL, 3, i == 0 ? 1 : 3, false};
        char err[256];
        assert_int_equal(run_scenario(sc, &o, &res[i], err, sizeof err), 0);
    }
    assert_metrics_identical(&res[0].summary, &res[1].summary);
    for (int r = 0; r < 3; r++)
        assert_metrics_identical(&res[0].reps[r], &res[1].reps[r]);
    /* the replications differ from one another (seed + i) */
    const metric_t *a = metrics_find(&res[0].reps[0], "latency_ms.mean");
    const metric_t *b = metrics_find(&res[0].reps[1], "latency_ms.mean");
    assert_non_null(a);
    assert_non_null(b);
    assert_true(a->value != b->value);
    for (int i = 0; i < 2; i++)
        run_result_free(&res[i]);
    scenario_free(sc);
}

/* The Deployment controller's work in one reconcile grows linearly with the
 * pods (issue 6, class 7: it used to scan every pod for each pod it created
 * or deleted, so scaling to 10,000 pods made 5 x 10^7 pod visits). Work is
 * counted, not timed: deployment_visits() counts the pods the controller
 * looks at, creates and compares. Each reconcile below is done at N and at
 * 8N pods; a linear one costs 8x as much, the heaps' log factor adds at most
 * log(8N)/log(N) = 1.3x for N = 1000 (about 10x in all), and the old
 * quadratic one cost 64x, so the bound is 16x. Each also did at least one
 * visit per pod it changed, so the counter counts. */
static uint64_t reconcile_work(int n0, int phase, int n)
{
    char yaml[300];
    /* rollouts make the service tracked (scalable); none fires: no run */
    snprintf(yaml, sizeof yaml,
             "duration: 1h\ntraffic: {profile: [{at: 0s, rate: 0/s}]}\n"
             "services:\n  web:\n    replicas: %d\n    rollouts: [1h]\n",
             n0);
    scenario_t *sc = load(yaml);
    world_t *w = mkworld(sc, 0, NULL);
    service_t *s = world_service(w, 0);
    uint64_t v0 = deployment_visits(s);
    if (phase == 0) /* n0 Ready pods to n: n - n0 created */
        deployment_scale(w, s, n, "test", "test");
    else if (phase == 1) /* n0 Ready pods to n: n0 - n deleted, newest first */
        deployment_scale(w, s, n, "test", "test");
    else /* a RollingUpdate of n0 Ready pods (below) */
        deployment_rollout(w, s);
    uint64_t work = deployment_visits(s) - v0;
    assert_false(w->failed);
    if (phase == 0)
        assert_int_equal(s->npods, n);
    if (phase == 1) {
        assert_int_equal(s->npods, n);
        assert_int_equal(s->view.n, n);
        /* the newest go first: the oldest pods stay */
        for (uint32_t i = 0; i < s->npods; i++)
            assert_int_equal(s->pods[i]->lb.uid, i);
    }
    if (phase == 2) {
        /* maxSurge 25% new pods; then 25% (maxUnavailable) of the old
         * Ready ones go, which frees surge room for as many new ones: n0
         * + n0/4 pods, n0 - n0/4 of them Ready (n0 is a multiple of 4) */
        assert_int_equal(s->npods, n0 + n0 / 4);
        assert_int_equal(s->view.n, n0 - n0 / 4);
    }
    world_free(w);
    scenario_free(sc);
    return work;
}

static void test_reconcile_linear(void **state)
{
    (void)state;
    const int N = 1000;
    static const char *const what[] = {"scale up", "scale down", "rollout"};
    for (int phase = 0; phase < 3; phase++) {
        uint64_t small, big;
        int changed;
        if (phase == 0) {
            small = reconcile_work(1, 0, N);
            big = reconcile_work(1, 0, 8 * N);
            changed = 8 * N - 1;
        } else if (phase == 1) {
            small = reconcile_work(N, 1, 1);
            big = reconcile_work(8 * N, 1, 1);
            changed = 8 * N - 1;
        } else {
            small = reconcile_work(N, 2, 0);
            big = reconcile_work(8 * N, 2, 0);
            changed = 3 * 8 * N / 4; /* 2 x 25% created, 25% deleted */
        }
        double ratio = (double)big / (double)small;
        printf("  %s: %llu visits at %d pods, %llu at %d (x%.2f)\n", what[phase], (unsigned long long)small, N,
               (unsigned long long)big, 8 * N, ratio);
        assert_true(big >= (uint64_t)changed);
        assert_true(ratio < 16);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ps_insensitivity),
        cmocka_unit_test(test_tracked_mm4),
        cmocka_unit_test(test_ps_by_hand),
        cmocka_unit_test(test_ps_reference),
        cmocka_unit_test(test_ps_simultaneous_order),
        cmocka_unit_test(test_cpu_accounting),
        cmocka_unit_test(test_startup_pipeline),
        cmocka_unit_test(test_scale_down_order),
        cmocka_unit_test(test_termination_drain),
        cmocka_unit_test(test_terminating_pod_serves_its_queue),
        cmocka_unit_test(test_pod_crash_without_resources),
        cmocka_unit_test(test_intstr_one_parser),
        cmocka_unit_test(test_oom_backoff),
        cmocka_unit_test(test_oom_at_start),
        cmocka_unit_test(test_rollout_unhealthy_old),
        cmocka_unit_test(test_rollout_proportional_scaling),
        cmocka_unit_test(test_weights_survive_rollout),
        cmocka_unit_test(test_oom_backoff_reset),
        cmocka_unit_test(test_rolling_update),
        cmocka_unit_test(test_rollout_not_held_by_draining_pods),
        cmocka_unit_test(test_threshold_autoscaler),
        cmocka_unit_test(test_threshold_min_replicas_at_least_1),
        cmocka_unit_test(test_threshold_no_scale_down_unmeasured_cpu),
        cmocka_unit_test(test_hpa_in_the_loop),
        cmocka_unit_test(test_hpa_service_totals),
        cmocka_unit_test(test_counts_after_warmup),
        cmocka_unit_test(test_sync_at_scrape_reads_the_one_before),
        cmocka_unit_test(test_deployment_manifest),
        cmocka_unit_test(test_deployment_limits_default_requests),
        cmocka_unit_test(test_deployment_recreate),
        cmocka_unit_test(test_utilization_series),
        cmocka_unit_test(test_determinism),
        cmocka_unit_test(test_reconcile_linear),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
