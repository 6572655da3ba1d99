/* test_hpa: the HPA algorithm against hpa-spec.md.
 *
 * Every expected number comes from the spec: the golden traces of §8 (one
 * assertion per sync, every 15 s from t=0, on each of current, raw,
 * stabilized, final and limiter; the observed column where it is given), the
 * unit examples U1-U4 of §3, the float64 examples of §4.2, the tolerance
 * example of §5 -- or from a hand computation written next to it.
 *
 * The trace harness ("world") follows §8: syncs every 15 s, pods Ready
 * instantly. Pods that exist when the HPA starts were created an hour
 * earlier; pods added by a scale-up are created at that sync with Ready
 * true from creation and instantaneous samples (window 0), so the
 * cpu-initialization rules never hold back a sample, as in the traces.
 * scale.status.replicas equals scale.spec.replicas. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "models/hpa.h"

#define MAXPODS 64
#define MI ((int64_t)1024 * 1024)

/* ---- harness ----------------------------------------------------------- */

/* The load model: each pod's sample of metric m at time t when the load is
 * split over n pods (value and, for resources, request, in milli-units); for
 * Object/External metrics the one value (request is NULL). */
typedef void (*load_fn)(int t, int32_t n, size_t m, int64_t *value, int64_t *request);

typedef struct world {
    hpa_spec_t spec;
    hpa_state_t st;
    int32_t replicas;
    load_fn load;
    simtime_t created[MAXPODS];
    hpa_pod_t pods[MAXPODS];
    hpa_sample_t samples[HPA_MAX_METRICS][MAXPODS];
    hpa_obs_t obs[HPA_MAX_METRICS];
} world_t;

static world_t *world_new(const hpa_spec_t *spec, int32_t replicas, load_fn load)
{
    world_t *w = calloc(1, sizeof *w);
    assert_non_null(w);
    w->spec = *spec;
    hpa_spec_set_defaults(&w->spec);
    assert_int_equal(hpa_spec_validate(&w->spec, NULL, 0), 0);
    assert_int_equal(hpa_state_init(&w->st, &w->spec), 0);
    w->replicas = replicas;
    w->load = load;
    for (size_t i = 0; i < MAXPODS; i++)
        w->created[i] = -3600 * SIM_S;
    return w;
}

static void world_free(world_t *w)
{
    hpa_state_free(&w->st);
    free(w);
}

static void world_sync(world_t *w, int t, hpa_decision_t *d)
{
    simtime_t now = (simtime_t)t * SIM_S;
    size_t n = (size_t)w->replicas;
    assert_true(n <= MAXPODS);
    for (size_t i = 0; i < n; i++) {
        hpa_pod_t *p = &w->pods[i];
        memset(p, 0, sizeof *p);
        p->id = i;
        p->phase = HPA_POD_RUNNING;
        p->ready = HPA_COND_TRUE;
        p->started = true;
        p->start_time = p->ready_since = w->created[i];
    }
    for (size_t m = 0; m < w->spec.n_metrics; m++) {
        hpa_obs_t *o = &w->obs[m];
        memset(o, 0, sizeof *o);
        hpa_source_t src = w->spec.metrics[m].source;
        if (src == HPA_SOURCE_OBJECT || src == HPA_SOURCE_EXTERNAL) {
            w->load(t, w->replicas, m, &o->value, NULL);
            continue;
        }
        for (size_t i = 0; i < n; i++) {
            hpa_sample_t *s = &w->samples[m][i];
            memset(s, 0, sizeof *s);
            s->present = true;
            s->request = -1;
            s->timestamp = now;
            s->window = 0;
            w->load(t, w->replicas, m, &s->value, &s->request);
        }
        o->samples = w->samples[m];
    }
    hpa_input_t in = {now, w->replicas, w->replicas, w->pods, n, w->obs};
    assert_int_equal(hpa_sync(&w->spec, &w->st, &in, d), 0);
    if (d->rescale) {
        for (int32_t i = w->replicas; i < d->desired; i++)
            w->created[i] = now;
        w->replicas = d->desired;
    }
}

/* One row of a §8 table: syncs t0..t1 (every 15 s) give these numbers. */
typedef struct row {
    int t0, t1;
    int32_t current, raw, stab, final;
    const char *limit;
    int64_t val[3];    /* observed value per metric (milli, or percent for Utilization) */
    int32_t prop[3];   /* per-metric proposal */
} row_t;

#define CHECK(what, got, want)                                                              \
    do {                                                                                    \
        long long got_ = (long long)(got), want_ = (long long)(want);                      \
        if (got_ != want_)                                                                  \
            fail_msg("%s t=%d: %s = %lld, want %lld", name, t, what, got_, want_);          \
    } while (0)

/* Runs a world from rows[0].t0 to the last row's t1 and asserts every sync.
 * nval: how many metrics' observed values to check; props: check proposals. */
static void run_trace(world_t *w, const char *name, const row_t *rows, size_t nrows, size_t nval, bool props)
{
    size_t k = 0;
    for (int t = rows[0].t0; t <= rows[nrows - 1].t1; t += 15) {
        while (k < nrows && t > rows[k].t1)
            k++;
        const row_t *r = &rows[k];
        if (t < r->t0)
            fail_msg("%s: no row for t=%d", name, t);
        hpa_decision_t d;
        world_sync(w, t, &d);
        CHECK("outcome", d.outcome, HPA_OUTCOME_OK);
        CHECK("current", d.current, r->current);
        CHECK("raw", d.raw, r->raw);
        CHECK("stabilized", d.stabilized, r->stab);
        CHECK("final", d.desired, r->final);
        CHECK("rescale", d.rescale, r->final != r->current);
        if (strcmp(hpa_limit_str(d.limit), r->limit) != 0)
            fail_msg("%s t=%d: limiter '%s', want '%s'", name, t, hpa_limit_str(d.limit), r->limit);
        for (size_t m = 0; m < nval; m++) {
            CHECK("metric valid", d.metrics[m].valid, 1);
            CHECK("observed", d.metrics[m].value, r->val[m]);
            if (props)
                CHECK("proposal", d.metrics[m].proposal, r->prop[m]);
        }
    }
}

static hpa_metric_spec_t metric(hpa_source_t src, const char *name, hpa_target_t tt, int64_t target)
{
    hpa_metric_spec_t m;
    memset(&m, 0, sizeof m);
    m.source = src;
    snprintf(m.name, sizeof m.name, "%s", name);
    m.target = tt;
    if (tt == HPA_TARGET_UTILIZATION)
        m.average_utilization = (int32_t)target;
    else
        m.target_milli = target;
    return m;
}

static hpa_policy_t policy(hpa_policy_type_t type, int32_t value, int32_t period)
{
    hpa_policy_t p = {type, value, period};
    return p;
}

static void set_rules(hpa_rules_t *r, int32_t window, size_t n, const hpa_policy_t *p)
{
    r->has_window = true;
    r->window_s = window;
    r->has_policies = true;
    r->n_policies = n;
    memcpy(r->policies, p, n * sizeof *p);
}

/* ---- (a) step load, legacy path ---------------------------------------- */

/* CPU demand split evenly: per pod = total / n (integer millicores), request
 * 200m. E.g. 1400/8 = 175m -> 175*8*100/1600 = 87.5 -> 87 %. */
static void load_a(int t, int32_t n, size_t m, int64_t *v, int64_t *req)
{
    (void)m;
    int64_t total = t < 60 ? 200 : t < 300 ? 1400 : 200;
    *v = total / n;
    *req = 200;
}

static void load_a2(int t, int32_t n, size_t m, int64_t *v, int64_t *req)
{
    (void)m;
    int64_t total = t == 60 ? 1400 : 200;
    *v = total / n;
    *req = 200;
}

static hpa_spec_t spec_a(void)
{
    hpa_spec_t s;
    hpa_spec_init(&s);
    s.min_replicas = 1;
    s.max_replicas = 10;
    s.n_metrics = 1;
    s.metrics[0] = metric(HPA_SOURCE_RESOURCE, "cpu", HPA_TARGET_UTILIZATION, 50);
    return s;
}

static void test_trace_a(void **state)
{
    (void)state;
    static const row_t rows[] = {
        {0, 45, 2, 2, 2, 2, "", {50}, {0}},
        {60, 60, 2, 14, 14, 4, "ScaleUpLimit", {350}, {0}},
        {75, 75, 4, 14, 14, 8, "ScaleUpLimit", {175}, {0}},
        {90, 90, 8, 14, 14, 10, "TooManyReplicas", {87}, {0}},
        {105, 285, 10, 14, 14, 10, "TooManyReplicas", {70}, {0}},
        {300, 570, 10, 2, 14, 10, "TooManyReplicas", {10}, {0}},
        {585, 585, 10, 2, 2, 2, "", {10}, {0}},
        {600, 630, 2, 2, 2, 2, "", {50}, {0}},
    };
    hpa_spec_t s = spec_a();
    world_t *w = world_new(&s, 2, load_a);
    run_trace(w, "(a)", rows, sizeof rows / sizeof rows[0], 1, false);
    world_free(w);
}

static void test_trace_a2_legacy(void **state)
{
    (void)state;
    static const row_t rows[] = {
        {0, 45, 2, 2, 2, 2, "", {50}, {0}},
        {60, 60, 2, 14, 14, 4, "ScaleUpLimit", {350}, {0}},
        {75, 75, 4, 2, 14, 8, "ScaleUpLimit", {25}, {0}},
        {90, 90, 8, 2, 14, 10, "TooManyReplicas", {12}, {0}},
        {105, 345, 10, 2, 14, 10, "TooManyReplicas", {10}, {0}},
        {360, 360, 10, 2, 2, 2, "", {10}, {0}},
        {375, 420, 2, 2, 2, 2, "", {50}, {0}},
    };
    hpa_spec_t s = spec_a();
    world_t *w = world_new(&s, 2, load_a2);
    run_trace(w, "(a2) legacy", rows, sizeof rows / sizeof rows[0], 1, false);
    world_free(w);
}

static void test_trace_a2_behavior(void **state)
{
    (void)state;
    /* 200m over 6 pods: 33m each -> 198*100/1200 = 16 % */
    static const row_t rows[] = {
        {0, 45, 2, 2, 2, 2, "", {50}, {0}},
        {60, 60, 2, 14, 14, 6, "ScaleUpLimit", {350}, {0}},
        {75, 345, 6, 2, 6, 6, "", {16}, {0}},
        {360, 360, 6, 2, 2, 2, "", {16}, {0}},
        {375, 420, 2, 2, 2, 2, "", {50}, {0}},
    };
    hpa_spec_t s = spec_a();
    s.has_behavior = true;   /* behavior: {} */
    world_t *w = world_new(&s, 2, load_a2);
    run_trace(w, "(a2) behavior {}", rows, sizeof rows / sizeof rows[0], 1, false);
    world_free(w);
}

/* ---- (b) scale-down under the 300 s window ----------------------------- */

/* inflight per pod = total / n, in milli-units */
static void load_b(int t, int32_t n, size_t m, int64_t *v, int64_t *req)
{
    (void)m;
    (void)req;
    int64_t total = t < 60 ? 100 : t < 180 ? 60 : 30;
    *v = total * 1000 / n;
}

static void test_trace_b(void **state)
{
    (void)state;
    static const row_t rows[] = {
        {0, 45, 10, 10, 10, 10, "", {10000}, {0}},
        {60, 165, 10, 6, 10, 10, "", {6000}, {0}},
        {180, 330, 10, 3, 10, 10, "", {3000}, {0}},
        {345, 345, 10, 3, 6, 6, "", {3000}, {0}},
        {360, 450, 6, 3, 6, 6, "", {5000}, {0}},
        {465, 465, 6, 3, 3, 3, "", {5000}, {0}},
        {480, 510, 3, 3, 3, 3, "", {10000}, {0}},
    };
    hpa_spec_t s;
    hpa_spec_init(&s);
    /* §8(b) gives no maxReplicas; the trace never exceeds its start of 10,
     * so any max >= 10 gives the same rows. */
    s.max_replicas = 20;
    s.n_metrics = 1;
    s.metrics[0] = metric(HPA_SOURCE_PODS, "inflight", HPA_TARGET_AVERAGE_VALUE, 10000);
    s.has_behavior = true;
    world_t *w = world_new(&s, 10, load_b);
    run_trace(w, "(b)", rows, sizeof rows / sizeof rows[0], 1, false);
    world_free(w);
}

/* ---- (c) the seed HPA -------------------------------------------------- */

/* rps per pod = total / n, kept as an integer milli-value (Quantity): 320/6
 * -> 53333m, which the table prints as 53.333.
 * cpu = 50m + 1.5m * rps, truncated to whole millicores:
 *   50 + 3*rps_milli/2000. At 6 pods: 50 + 159999/2000 = 129m ->
 *   129*6*100/3000 = 25.8 -> 25 % (the table's 25 %; splitting a total of
 *   780m evenly would give 130m and 26 %). At 2 pods and 75 rps: 50 + 112 =
 *   162m -> 32 %. At 8 pods, 93.75 rps: 50 + 140 = 190m -> 38 %.
 * memory = 128Mi + 0.2Mi * rps, truncated to whole bytes:
 *   128Mi + Mi*rps_milli/5000 bytes, times 1000 for milli-units. At 5 pods and
 *   64 rps: 0.2Mi*64 = 13421772.8 B -> 13421772 B, so usage is just under
 *   140.8Mi and 100*usage/256Mi = 54.99.. -> 54 % (the table's 54 %; the exact
 *   140.8/256 is 55 %). At 6 pods: 11184741 B -> 54 %; at 8 pods and 40 rps:
 *   8Mi -> 136/256 -> 53 %.
 * Requests: 500m cpu, 256Mi memory. */
static void load_c(int t, int32_t n, size_t m, int64_t *v, int64_t *req)
{
    int64_t total = t < 360 ? 150 : t < 900 ? 750 : 320;
    int64_t rps_milli = total * 1000 / n;
    switch (m) {
    case 0:
        *v = 50 + 3 * rps_milli / 2000;
        *req = 500;
        break;
    case 1:
        *v = (128 * MI + MI * rps_milli / 5000) * 1000;
        *req = 256 * MI * 1000;
        break;
    default:
        *v = rps_milli;
        break;
    }
}

static hpa_spec_t spec_c(int32_t min)
{
    hpa_spec_t s;
    hpa_spec_init(&s);
    s.min_replicas = min;
    s.max_replicas = 20;
    s.n_metrics = 3;
    s.metrics[0] = metric(HPA_SOURCE_RESOURCE, "cpu", HPA_TARGET_UTILIZATION, 70);
    s.metrics[1] = metric(HPA_SOURCE_RESOURCE, "memory", HPA_TARGET_UTILIZATION, 80);
    s.metrics[2] = metric(HPA_SOURCE_PODS, "http_requests_per_second", HPA_TARGET_AVERAGE_VALUE, 100000);
    s.has_behavior = true;
    hpa_policy_t up = policy(HPA_POLICY_PERCENT, 100, 60);
    hpa_policy_t down = policy(HPA_POLICY_PERCENT, 50, 60);
    set_rules(&s.scale_up, 60, 1, &up);
    set_rules(&s.scale_down, 300, 1, &down);
    return s;
}

static void test_trace_c1(void **state)
{
    (void)state;
    static const row_t rows[] = {
        {0, 285, 3, 2, 3, 3, "", {25, 53, 50000}, {2, 2, 2}},
        {300, 345, 3, 2, 2, 3, "TooFewReplicas", {25, 53, 50000}, {2, 2, 2}},
        {360, 390, 3, 8, 3, 3, "", {85, 69, 250000}, {4, 3, 8}},
        {405, 405, 3, 8, 8, 6, "ScaleUpLimit", {85, 69, 250000}, {4, 3, 8}},
        {420, 450, 6, 8, 8, 6, "ScaleUpLimit", {47, 59, 125000}, {5, 5, 8}},
        {465, 465, 6, 8, 8, 8, "", {47, 59, 125000}, {5, 5, 8}},
        {480, 885, 8, 8, 8, 8, "", {38, 57, 93750}, {5, 6, 8}},
        {900, 1170, 8, 6, 8, 8, "", {22, 53, 40000}, {3, 6, 4}},
        {1185, 1185, 8, 6, 6, 6, "", {22, 53, 40000}, {3, 6, 4}},
        {1200, 1470, 6, 5, 6, 6, "", {25, 54, 53333}, {3, 5, 4}},
        {1485, 1485, 6, 5, 5, 5, "", {25, 54, 53333}, {3, 5, 4}},
        {1500, 1770, 5, 4, 5, 5, "", {29, 54, 64000}, {3, 4, 4}},
        {1785, 1785, 5, 4, 4, 4, "", {29, 54, 64000}, {3, 4, 4}},
        {1800, 1800, 4, 4, 4, 4, "", {34, 56, 80000}, {2, 3, 4}},
    };
    hpa_spec_t s = spec_c(3);
    world_t *w = world_new(&s, 3, load_c);
    run_trace(w, "(c1)", rows, sizeof rows / sizeof rows[0], 3, true);
    /* the memory bound of hpa.h on the 15 s grid: windows 60/300 s ->
     * 300/15 + 1 recommendations; longest policy period 60 s -> 60/15 + 1 */
    assert_true(w->st.n_recs <= 300 / 15 + 1);
    assert_true(w->st.n_up <= 60 / 15 + 1);
    assert_true(w->st.n_down <= 60 / 15 + 1);
    world_free(w);
}

static void test_trace_c2(void **state)
{
    (void)state;
    static const row_t rows[] = {
        {0, 285, 3, 2, 3, 3, "", {25, 53, 50000}, {2, 2, 2}},
        {300, 300, 3, 2, 2, 2, "", {25, 53, 50000}, {2, 2, 2}},
        {315, 345, 2, 2, 2, 2, "", {32, 55, 75000}, {1, 2, 2}},
        {360, 390, 2, 8, 2, 2, "", {122, 79, 375000}, {4, 2, 8}},
        {405, 405, 2, 8, 8, 4, "ScaleUpLimit", {122, 79, 375000}, {4, 2, 8}},
        {420, 450, 4, 8, 8, 4, "ScaleUpLimit", {66, 64, 187500}, {4, 4, 8}},
        {465, 465, 4, 8, 8, 8, "", {66, 64, 187500}, {4, 4, 8}},
        {480, 885, 8, 8, 8, 8, "", {38, 57, 93750}, {5, 6, 8}},
        {900, 1170, 8, 6, 8, 8, "", {22, 53, 40000}, {3, 6, 4}},
        {1185, 1185, 8, 6, 6, 6, "", {22, 53, 40000}, {3, 6, 4}},
        {1200, 1470, 6, 5, 6, 6, "", {25, 54, 53333}, {3, 5, 4}},
        {1485, 1485, 6, 5, 5, 5, "", {25, 54, 53333}, {3, 5, 4}},
        {1500, 1770, 5, 4, 5, 5, "", {29, 54, 64000}, {3, 4, 4}},
        {1785, 1785, 5, 4, 4, 4, "", {29, 54, 64000}, {3, 4, 4}},
        {1800, 1800, 4, 4, 4, 4, "", {34, 56, 80000}, {2, 3, 4}},
    };
    hpa_spec_t s = spec_c(1);   /* minReplicas only inside the policy: dropped, defaults to 1 */
    world_t *w = world_new(&s, 3, load_c);
    run_trace(w, "(c2)", rows, sizeof rows / sizeof rows[0], 3, true);
    world_free(w);
}

/* ---- (d) Pods policies limit the rate ---------------------------------- */

static void load_d(int t, int32_t n, size_t m, int64_t *v, int64_t *req)
{
    (void)n;
    (void)m;
    (void)req;
    *v = (t < 30 ? 20 : t < 300 ? 100 : 30) * 1000;
}

static void test_trace_d(void **state)
{
    (void)state;
    static const row_t rows[] = {
        {0, 15, 2, 2, 2, 2, "", {20000}, {0}},
        {30, 30, 2, 10, 10, 4, "ScaleUpLimit", {100000}, {0}},
        {45, 75, 4, 10, 10, 4, "ScaleUpLimit", {100000}, {0}},
        {90, 90, 4, 10, 10, 6, "ScaleUpLimit", {100000}, {0}},
        {105, 135, 6, 10, 10, 6, "ScaleUpLimit", {100000}, {0}},
        {150, 150, 6, 10, 10, 8, "ScaleUpLimit", {100000}, {0}},
        {165, 195, 8, 10, 10, 8, "ScaleUpLimit", {100000}, {0}},
        {210, 210, 8, 10, 10, 10, "", {100000}, {0}},
        {225, 285, 10, 10, 10, 10, "", {100000}, {0}},
        {300, 300, 10, 3, 3, 9, "ScaleDownLimit", {30000}, {0}},
        {315, 315, 9, 3, 3, 9, "ScaleDownLimit", {30000}, {0}},
        {330, 330, 9, 3, 3, 8, "ScaleDownLimit", {30000}, {0}},
        {345, 345, 8, 3, 3, 8, "ScaleDownLimit", {30000}, {0}},
        {360, 360, 8, 3, 3, 7, "ScaleDownLimit", {30000}, {0}},
        {375, 375, 7, 3, 3, 7, "ScaleDownLimit", {30000}, {0}},
        {390, 390, 7, 3, 3, 6, "ScaleDownLimit", {30000}, {0}},
        {405, 405, 6, 3, 3, 6, "ScaleDownLimit", {30000}, {0}},
        {420, 420, 6, 3, 3, 5, "ScaleDownLimit", {30000}, {0}},
        {435, 435, 5, 3, 3, 5, "ScaleDownLimit", {30000}, {0}},
        {450, 450, 5, 3, 3, 4, "ScaleDownLimit", {30000}, {0}},
        {465, 465, 4, 3, 3, 4, "ScaleDownLimit", {30000}, {0}},
        {480, 480, 4, 3, 3, 3, "", {30000}, {0}},
        {495, 540, 3, 3, 3, 3, "", {30000}, {0}},
    };
    hpa_spec_t s;
    hpa_spec_init(&s);
    s.min_replicas = 2;
    s.max_replicas = 20;
    s.n_metrics = 1;
    s.metrics[0] = metric(HPA_SOURCE_EXTERNAL, "queue_depth", HPA_TARGET_AVERAGE_VALUE, 10000);
    s.has_behavior = true;
    hpa_policy_t up = policy(HPA_POLICY_PODS, 2, 60);
    hpa_policy_t down = policy(HPA_POLICY_PODS, 1, 30);
    set_rules(&s.scale_up, 0, 1, &up);
    set_rules(&s.scale_down, 0, 1, &down);
    world_t *w = world_new(&s, 2, load_d);
    run_trace(w, "(d)", rows, sizeof rows / sizeof rows[0], 1, false);
    world_free(w);
}

/* ---- (e) selectPolicy Min / Max ---------------------------------------- */

static void load_e(int t, int32_t n, size_t m, int64_t *v, int64_t *req)
{
    (void)n;
    (void)m;
    (void)req;
    *v = (t < 60 ? 200 : 15) * 1000;
}

static hpa_spec_t spec_e(hpa_select_t sel)
{
    hpa_spec_t s;
    hpa_spec_init(&s);
    s.min_replicas = 1;
    s.max_replicas = 30;
    s.n_metrics = 1;
    s.metrics[0] = metric(HPA_SOURCE_EXTERNAL, "queue_depth", HPA_TARGET_AVERAGE_VALUE, 10000);
    s.has_behavior = true;
    hpa_policy_t down[2] = {policy(HPA_POLICY_PERCENT, 50, 60), policy(HPA_POLICY_PODS, 3, 60)};
    set_rules(&s.scale_down, 0, 2, down);
    s.scale_down.has_select = true;
    s.scale_down.select = sel;
    return s;
}

static void test_trace_e_min(void **state)
{
    (void)state;
    static const row_t rows[] = {
        {0, 45, 20, 20, 20, 20, "", {200000}, {0}},
        {60, 60, 20, 2, 2, 17, "ScaleDownLimit", {15000}, {0}},
        {75, 105, 17, 2, 2, 17, "ScaleDownLimit", {15000}, {0}},
        {120, 120, 17, 2, 2, 14, "ScaleDownLimit", {15000}, {0}},
        {135, 165, 14, 2, 2, 14, "ScaleDownLimit", {15000}, {0}},
        {180, 180, 14, 2, 2, 11, "ScaleDownLimit", {15000}, {0}},
        {195, 225, 11, 2, 2, 11, "ScaleDownLimit", {15000}, {0}},
        {240, 240, 11, 2, 2, 8, "ScaleDownLimit", {15000}, {0}},
        {255, 285, 8, 2, 2, 8, "ScaleDownLimit", {15000}, {0}},
        {300, 300, 8, 2, 2, 5, "ScaleDownLimit", {15000}, {0}},
        {315, 345, 5, 2, 2, 5, "ScaleDownLimit", {15000}, {0}},
        {360, 360, 5, 2, 2, 2, "", {15000}, {0}},
        {375, 420, 2, 2, 2, 2, "", {15000}, {0}},
    };
    hpa_spec_t s = spec_e(HPA_SELECT_MIN);
    world_t *w = world_new(&s, 20, load_e);
    run_trace(w, "(e) Min", rows, sizeof rows / sizeof rows[0], 1, false);
    world_free(w);
}

static void test_trace_e_max(void **state)
{
    (void)state;
    static const row_t rows[] = {
        {0, 45, 20, 20, 20, 20, "", {200000}, {0}},
        {60, 60, 20, 2, 2, 10, "ScaleDownLimit", {15000}, {0}},
        {75, 105, 10, 2, 2, 10, "ScaleDownLimit", {15000}, {0}},
        {120, 120, 10, 2, 2, 5, "ScaleDownLimit", {15000}, {0}},
        {135, 165, 5, 2, 2, 5, "ScaleDownLimit", {15000}, {0}},
        {180, 180, 5, 2, 2, 2, "", {15000}, {0}},
        {195, 420, 2, 2, 2, 2, "", {15000}, {0}},
    };
    hpa_spec_t s = spec_e(HPA_SELECT_MAX);
    world_t *w = world_new(&s, 20, load_e);
    run_trace(w, "(e) Max", rows, sizeof rows / sizeof rows[0], 1, false);
    world_free(w);
}

/* ---- §3 unit examples U1-U4 -------------------------------------------- */

/* A pod that has run for a long time (past the cpu-initialization period). */
static hpa_pod_t old_pod(hpa_cond_t ready)
{
    hpa_pod_t p;
    memset(&p, 0, sizeof p);
    p.phase = HPA_POD_RUNNING;
    p.ready = ready;
    p.started = true;
    p.start_time = 0;
    p.ready_since = 0;
    return p;
}

static hpa_sample_t sample(bool present, int64_t value, int64_t request, simtime_t now)
{
    hpa_sample_t s;
    memset(&s, 0, sizeof s);
    s.present = present;
    s.value = value;
    s.request = request;
    s.timestamp = now;
    s.window = 15 * SIM_S;
    return s;
}

/* One sync of a single-metric legacy HPA on the given pods (min 1, max 100). */
static hpa_decision_t one_sync(const hpa_metric_spec_t *m, int32_t current, simtime_t now, const hpa_pod_t *pods,
                               const hpa_sample_t *samples, size_t n)
{
    hpa_spec_t s;
    hpa_spec_init(&s);
    s.max_replicas = 100;
    s.n_metrics = 1;
    s.metrics[0] = *m;
    hpa_state_t st;
    assert_int_equal(hpa_state_init(&st, &s), 0);
    hpa_obs_t obs = {false, samples, 0};
    hpa_input_t in = {now, current, current, pods, n, &obs};
    hpa_decision_t d;
    assert_int_equal(hpa_sync(&s, &st, &in, &d), 0);
    hpa_state_free(&st);
    return d;
}

static void test_u1(void **state)
{
    (void)state;
    simtime_t now = 1000 * SIM_S;
    hpa_metric_spec_t m = metric(HPA_SOURCE_RESOURCE, "cpu", HPA_TARGET_UTILIZATION, 40);
    hpa_pod_t pods[6];
    hpa_sample_t smp[6];
    for (int i = 0; i < 3; i++) {   /* a, b, c ready @100m/100m */
        pods[i] = old_pod(HPA_COND_TRUE);
        smp[i] = sample(true, 100, 100, now);
    }
    pods[3] = old_pod(HPA_COND_TRUE);   /* d: ready, no metric */
    smp[3] = sample(false, 0, 100, now);
    memset(&pods[4], 0, sizeof pods[4]);   /* e: Pending */
    pods[4].phase = HPA_POD_PENDING;
    smp[4] = sample(false, 0, 100, now);
    pods[5] = old_pod(HPA_COND_FALSE);   /* f: started 60 s ago, not Ready, 90m */
    pods[5].start_time = pods[5].ready_since = now - 60 * SIM_S;
    smp[5] = sample(true, 90, 100, now);
    hpa_decision_t d = one_sync(&m, 6, now, pods, smp, 6);
    const hpa_metric_result_t *r = &d.metrics[0];
    assert_true(r->valid);
    assert_int_equal(r->n_ready, 3);
    assert_int_equal(r->n_unready, 2);
    assert_int_equal(r->n_missing, 1);
    assert_int_equal(r->value, 100);            /* 100 % */
    assert_true(r->ratio == 2.5);               /* 100/40 */
    assert_true(r->ratio2 == 1.25);             /* 300m over 600m = 50 %, /40 */
    assert_int_equal(r->proposal, 8);           /* ceil(1.25 * 6) */
    assert_int_equal(d.raw, 8);
}

static void test_u2(void **state)
{
    (void)state;
    simtime_t now = 1000 * SIM_S;
    hpa_metric_spec_t m = metric(HPA_SOURCE_RESOURCE, "cpu", HPA_TARGET_UTILIZATION, 50);
    hpa_pod_t pods[5];
    hpa_sample_t smp[5];
    pods[0] = old_pod(HPA_COND_TRUE);
    smp[0] = sample(true, 90, 100, now);
    pods[1] = old_pod(HPA_COND_TRUE);
    smp[1] = sample(true, 80, 100, now);
    pods[2] = old_pod(HPA_COND_TRUE);   /* c: no metric */
    smp[2] = sample(false, 0, 100, now);
    memset(&pods[3], 0, sizeof pods[3]);   /* d: Pending */
    pods[3].phase = HPA_POD_PENDING;
    smp[3] = sample(false, 0, 100, now);
    pods[4] = old_pod(HPA_COND_FALSE);   /* e: unready (young, not Ready), with a sample */
    pods[4].start_time = pods[4].ready_since = now - 60 * SIM_S;
    smp[4] = sample(true, 50, 100, now);
    hpa_decision_t d = one_sync(&m, 5, now, pods, smp, 5);
    const hpa_metric_result_t *r = &d.metrics[0];
    assert_true(r->valid);
    assert_int_equal(r->n_ready, 2);
    assert_int_equal(r->n_unready, 2);
    assert_int_equal(r->n_missing, 1);
    assert_int_equal(r->value, 85);             /* 170m/200m */
    assert_true(r->ratio == 85.0 / 50.0);       /* 1.7 */
    assert_true(r->ratio2 == 34.0 / 50.0);      /* 170m/500m = 34 % -> 0.68 */
    assert_int_equal(r->proposal, 5);           /* the direction would flip: keep current */
}

static void test_u3(void **state)
{
    (void)state;
    simtime_t now = 1000 * SIM_S;
    hpa_metric_spec_t m = metric(HPA_SOURCE_RESOURCE, "cpu", HPA_TARGET_UTILIZATION, 50);
    hpa_pod_t pods[5];
    hpa_sample_t smp[5];
    for (int i = 0; i < 4; i++) {
        pods[i] = old_pod(HPA_COND_TRUE);
        smp[i] = sample(true, 20, 100, now);
    }
    pods[4] = old_pod(HPA_COND_TRUE);
    smp[4] = sample(false, 0, 100, now);
    hpa_decision_t d = one_sync(&m, 5, now, pods, smp, 5);
    const hpa_metric_result_t *r = &d.metrics[0];
    assert_int_equal(r->n_ready, 4);
    assert_int_equal(r->n_unready, 0);
    assert_int_equal(r->n_missing, 1);
    assert_true(r->ratio == 0.4);               /* 20 % / 50 */
    assert_true(r->ratio2 == 36.0 / 50.0);      /* e at 100m: 180m/500m = 36 % -> 0.72 */
    assert_int_equal(r->proposal, 4);           /* ceil(0.72 * 5) = ceil(3.6) */
}

static void test_u4(void **state)
{
    (void)state;
    simtime_t now = 1000 * SIM_S;
    hpa_metric_spec_t m = metric(HPA_SOURCE_RESOURCE, "cpu", HPA_TARGET_UTILIZATION, 150);
    hpa_pod_t pods[5];
    hpa_sample_t smp[5];
    for (int i = 0; i < 4; i++) {
        pods[i] = old_pod(HPA_COND_TRUE);
        smp[i] = sample(true, 120, 100, now);
    }
    pods[4] = old_pod(HPA_COND_TRUE);
    smp[4] = sample(false, 0, 100, now);
    hpa_decision_t d = one_sync(&m, 5, now, pods, smp, 5);
    const hpa_metric_result_t *r = &d.metrics[0];
    assert_int_equal(r->n_ready, 4);
    assert_int_equal(r->n_missing, 1);
    assert_true(r->ratio == 120.0 / 150.0);     /* 0.8 */
    assert_true(r->ratio2 == 126.0 / 150.0);    /* e at 150m: 630m/500m = 126 % -> 0.84 */
    assert_int_equal(r->proposal, 5);           /* ceil(0.84 * 5) = ceil(4.2) */
}

/* Readiness rules hold for cpu only: the same pods, one Running but not
 * Ready for 60 s with a 100m sample, a and b at 100m/100m, target 50 %.
 * memory: all 3 ready, 100 % -> r 2 -> ceil(2*3) = 6.
 * cpu: c unready; r = 2 > 1 so c counts at 0: 200m/300m = 66 % -> 1.32 ->
 * ceil(1.32*3) = ceil(3.96) = 4. */
static void test_cpu_only_readiness(void **state)
{
    (void)state;
    simtime_t now = 1000 * SIM_S;
    hpa_pod_t pods[3];
    hpa_sample_t smp[3];
    for (int i = 0; i < 3; i++)
        smp[i] = sample(true, 100, 100, now);
    pods[0] = old_pod(HPA_COND_TRUE);
    pods[1] = old_pod(HPA_COND_TRUE);
    pods[2] = old_pod(HPA_COND_FALSE);
    pods[2].start_time = pods[2].ready_since = now - 60 * SIM_S;

    hpa_metric_spec_t mem = metric(HPA_SOURCE_RESOURCE, "memory", HPA_TARGET_UTILIZATION, 50);
    hpa_decision_t d = one_sync(&mem, 3, now, pods, smp, 3);
    assert_int_equal(d.metrics[0].n_ready, 3);
    assert_int_equal(d.metrics[0].proposal, 6);

    hpa_metric_spec_t cpu = metric(HPA_SOURCE_RESOURCE, "cpu", HPA_TARGET_UTILIZATION, 50);
    d = one_sync(&cpu, 3, now, pods, smp, 3);
    assert_int_equal(d.metrics[0].n_ready, 2);
    assert_int_equal(d.metrics[0].n_unready, 1);
    assert_int_equal(d.metrics[0].proposal, 4);
}

/* groupPods' cpu branches, one pod at a time (now = 1000 s, window 15 s,
 * initialization period 300 s, readiness delay 30 s), and the ignored pods. */
static void test_group_pods_cpu(void **state)
{
    (void)state;
    simtime_t now = 1000 * SIM_S;
    hpa_metric_spec_t cpu = metric(HPA_SOURCE_RESOURCE, "cpu", HPA_TARGET_UTILIZATION, 50);
    hpa_pod_t pods[7];
    hpa_sample_t smp[7];
    for (int i = 0; i < 7; i++) {
        pods[i] = old_pod(HPA_COND_TRUE);
        smp[i] = sample(true, 50, 100, now);
    }
    /* 1: young, Ready since 10 s: sample taken < ready_since + window -> unready */
    pods[1].start_time = now - 100 * SIM_S;
    pods[1].ready_since = now - 10 * SIM_S;
    /* 2: young, Ready since exactly one window: not Before -> ready */
    pods[2].start_time = now - 100 * SIM_S;
    pods[2].ready_since = now - 15 * SIM_S;
    /* 3: old, NotReady, last transition 20 s after start (never ready) -> unready */
    pods[3].ready = HPA_COND_FALSE;
    pods[3].ready_since = 20 * SIM_S;
    /* 4: old, NotReady since 100 s after start (was ready once) -> ready */
    pods[4].ready = HPA_COND_FALSE;
    pods[4].ready_since = 100 * SIM_S;
    /* 5: being deleted; 6: Succeeded -> ignored */
    pods[5].deleting = true;
    pods[6].phase = HPA_POD_SUCCEEDED;
    hpa_decision_t d = one_sync(&cpu, 7, now, pods, smp, 7);
    assert_int_equal(d.metrics[0].n_ready, 3);     /* 0, 2, 4 */
    assert_int_equal(d.metrics[0].n_unready, 2);   /* 1, 3 */
    assert_int_equal(d.metrics[0].n_missing, 0);
    assert_int_equal(d.metrics[0].n_ignored, 2);   /* 5, 6 */
}

/* The second "never flip" rule: the ratio stays below 1 but more pods are
 * counted than scale.spec.replicas says (here 6 listed for a spec of 2, as
 * while a scale-down's pods still run), so ceil(r2 * n) would scale UP.
 * Target 50 %: 5 ready pods at 10m/100m -> 10 % -> r 0.2; one pod without a
 * metric counts at max(100, 50) % = 100m: 150m/600m = 25 % -> r2 0.5, still
 * below 1; ceil(0.5 * 6) = 3 > current 2 -> keep 2. */
static void test_no_flip_by_pod_count(void **state)
{
    (void)state;
    simtime_t now = 1000 * SIM_S;
    hpa_metric_spec_t m = metric(HPA_SOURCE_RESOURCE, "cpu", HPA_TARGET_UTILIZATION, 50);
    hpa_pod_t pods[6];
    hpa_sample_t smp[6];
    for (int i = 0; i < 6; i++) {
        pods[i] = old_pod(HPA_COND_TRUE);
        smp[i] = sample(i < 5, 10, 100, now);
    }
    hpa_decision_t d = one_sync(&m, 2, now, pods, smp, 6);
    const hpa_metric_result_t *r = &d.metrics[0];
    assert_int_equal(r->n_ready, 5);
    assert_int_equal(r->n_missing, 1);
    assert_true(r->ratio == 0.2);
    assert_true(r->ratio2 == 0.5);
    assert_int_equal(r->proposal, 2);
}

/* ---- §4.2 float64 artefacts -------------------------------------------- */

/* A behavior HPA with one External AverageValue metric of target 1: its
 * proposal is ceil(value/1) = the value, whenever value/(1*current) is
 * outside the tolerance. */
static hpa_spec_t spec_ext(int32_t min, int32_t max)
{
    hpa_spec_t s;
    hpa_spec_init(&s);
    s.min_replicas = min;
    s.max_replicas = max;
    s.n_metrics = 1;
    s.metrics[0] = metric(HPA_SOURCE_EXTERNAL, "q", HPA_TARGET_AVERAGE_VALUE, 1000);
    s.has_behavior = true;
    return s;
}

static hpa_decision_t ext_sync(const hpa_spec_t *s, hpa_state_t *st, int t, int32_t current, int64_t value)
{
    hpa_obs_t obs = {false, NULL, value * 1000};
    hpa_input_t in = {(simtime_t)t * SIM_S, current, current, NULL, 0, &obs};
    hpa_decision_t d;
    assert_int_equal(hpa_sync(s, st, &in, &d), 0);
    return d;
}

static hpa_decision_t ext_once(hpa_spec_t *s, int32_t current, int64_t value)
{
    hpa_spec_set_defaults(s);
    hpa_state_t st;
    assert_int_equal(hpa_state_init(&st, s), 0);
    hpa_decision_t d = ext_sync(s, &st, 0, current, value);
    hpa_state_free(&st);
    return d;
}

static void test_float_artefacts(void **state)
{
    (void)state;
    /* up Percent 12 from 25: float64(25) * (1 + 0.12) = 28.000000000000004
     * -> ceil 29 (exact arithmetic: 28) */
    hpa_spec_t s = spec_ext(1, 100);
    hpa_policy_t p = policy(HPA_POLICY_PERCENT, 12, 15);
    set_rules(&s.scale_up, 0, 1, &p);
    hpa_decision_t d = ext_once(&s, 25, 100);
    assert_int_equal(d.raw, 100);
    assert_int_equal(d.stabilized, 100);
    assert_int_equal(d.desired, 29);
    assert_int_equal(d.limit, HPA_LIMIT_SCALE_UP);

    /* down Percent 80 from 10: 10 * (1 - 0.8) = 1.9999999999999996 -> 1
     * (exact: 2, which would stop at 2 with ScaleDownLimit) */
    s = spec_ext(1, 100);
    p = policy(HPA_POLICY_PERCENT, 80, 15);
    set_rules(&s.scale_down, 0, 1, &p);
    d = ext_once(&s, 10, 1);
    assert_int_equal(d.raw, 1);
    assert_int_equal(d.desired, 1);
    assert_int_equal(d.limit, HPA_LIMIT_NONE);

    /* from 5: 5 * 0.19999999999999996 = 0.9999999999999998 -> 0 (exact: 1);
     * minReplicas 0 (scale to zero, External metric) and raw 0 */
    s = spec_ext(0, 100);
    set_rules(&s.scale_down, 0, 1, &p);
    d = ext_once(&s, 5, 0);
    assert_int_equal(d.raw, 0);
    assert_int_equal(d.desired, 0);
    assert_int_equal(d.limit, HPA_LIMIT_NONE);

    /* Percent 50 from 3: int32(1.5) = 1, so 2 of 3 pods may go at once */
    s = spec_ext(0, 100);
    p = policy(HPA_POLICY_PERCENT, 50, 15);
    set_rules(&s.scale_down, 0, 1, &p);
    d = ext_once(&s, 3, 0);
    assert_int_equal(d.desired, 1);
    assert_int_equal(d.limit, HPA_LIMIT_SCALE_DOWN);
}

/* ---- §5 tolerance ------------------------------------------------------ */

/* n old Ready pods at pct m / 100m each, cpu target `target` %. */
static hpa_decision_t cpu_pct_sync(hpa_spec_t *s, int32_t n, int64_t pct)
{
    simtime_t now = 1000 * SIM_S;
    hpa_pod_t pods[32];
    hpa_sample_t smp[32];
    assert_true(n <= 32);
    for (int32_t i = 0; i < n; i++) {
        pods[i] = old_pod(HPA_COND_TRUE);
        smp[i] = sample(true, pct, 100, now);
    }
    hpa_spec_set_defaults(s);
    hpa_state_t st;
    assert_int_equal(hpa_state_init(&st, s), 0);
    hpa_obs_t obs = {false, smp, 0};
    hpa_input_t in = {now, n, n, pods, (size_t)n, &obs};
    hpa_decision_t d;
    assert_int_equal(hpa_sync(s, &st, &in, &d), 0);
    hpa_state_free(&st);
    return d;
}

static hpa_spec_t spec_cpu(int32_t target)
{
    hpa_spec_t s;
    hpa_spec_init(&s);
    s.max_replicas = 100;
    s.n_metrics = 1;
    s.metrics[0] = metric(HPA_SOURCE_RESOURCE, "cpu", HPA_TARGET_UTILIZATION, target);
    return s;
}

static void test_tolerance(void **state)
{
    (void)state;
    hpa_spec_t s = spec_cpu(80);
    /* §5: 10 pods at 88 %, target 80 %: 88/80 = 1.1 <= 1 + 0.1 (inclusive) */
    hpa_decision_t d = cpu_pct_sync(&s, 10, 88);
    assert_int_equal(d.metrics[0].value, 88);
    assert_int_equal(d.metrics[0].proposal, 10);
    assert_int_equal(d.desired, 10);
    /* 89 %: 1.1125 -> ceil(11.125) = 12 */
    d = cpu_pct_sync(&s, 10, 89);
    assert_int_equal(d.metrics[0].proposal, 12);
    assert_int_equal(d.desired, 12);
    /* lower boundary: 72/80 = 0.9 >= 1 - 0.1 -> no change; 71/80 = 0.8875 ->
     * ceil(8.875) = 9 */
    d = cpu_pct_sync(&s, 10, 72);
    assert_int_equal(d.metrics[0].proposal, 10);
    d = cpu_pct_sync(&s, 10, 71);
    assert_int_equal(d.metrics[0].proposal, 9);
}

/* KEP-4951 per-direction tolerance (behavior only, behind its gate). */
static void test_tolerance_per_direction(void **state)
{
    (void)state;
    hpa_spec_t s = spec_cpu(80);
    s.has_behavior = true;
    s.scale_up.has_tolerance = true;
    s.scale_up.tolerance = 0.0;
    /* 81/80 = 1.0125 > 1 + 0: ceil(10.125) = 11 */
    hpa_decision_t d = cpu_pct_sync(&s, 10, 81);
    assert_true(d.tol_up == 0.0 && d.tol_down == 0.1);
    assert_int_equal(d.metrics[0].proposal, 11);
    /* gate off: the flag's 0.1 both ways -> within */
    s.cfg.configurable_tolerance = false;
    d = cpu_pct_sync(&s, 10, 81);
    assert_int_equal(d.metrics[0].proposal, 10);
    /* scale-down tolerance 0.05: 20 pods at 75 %: 0.9375 < 0.95 ->
     * ceil(18.75) = 19; with the default 0.1 it is within (20) */
    s = spec_cpu(80);
    s.has_behavior = true;
    s.scale_down.has_tolerance = true;
    s.scale_down.tolerance = 0.05;
    d = cpu_pct_sync(&s, 20, 75);
    assert_int_equal(d.metrics[0].proposal, 19);
    s.scale_down.has_tolerance = false;
    d = cpu_pct_sync(&s, 20, 75);
    assert_int_equal(d.metrics[0].proposal, 20);
}

/* ---- partial failure, zero, out of range ------------------------------- */

/* Two External AverageValue metrics (target 1 each); metric 0 fails. */
static void test_partial_failure(void **state)
{
    (void)state;
    hpa_spec_t s;
    hpa_spec_init(&s);
    s.max_replicas = 20;
    s.n_metrics = 2;
    s.metrics[0] = metric(HPA_SOURCE_EXTERNAL, "broken", HPA_TARGET_AVERAGE_VALUE, 1000);
    s.metrics[1] = metric(HPA_SOURCE_EXTERNAL, "ok", HPA_TARGET_AVERAGE_VALUE, 1000);
    hpa_spec_set_defaults(&s);
    hpa_state_t st;
    assert_int_equal(hpa_state_init(&st, &s), 0);
    hpa_obs_t obs[2] = {{true, NULL, 0}, {false, NULL, 0}};
    hpa_input_t in = {0, 5, 5, NULL, 0, obs};
    hpa_decision_t d;

    /* valid max below current: 2000m over 5 pods -> ratio 0.4 -> ceil(2) = 2 < 5 */
    obs[1].value = 2000;
    assert_int_equal(hpa_sync(&s, &st, &in, &d), 0);
    assert_int_equal(d.outcome, HPA_OUTCOME_FAILED_METRICS);
    assert_string_equal(hpa_decision_reason(&d), "FailedComputeMetricsReplicas");
    assert_int_equal(d.invalid_metrics, 1);
    assert_false(d.metrics[0].valid);
    assert_int_equal(d.metrics[0].err, HPA_MERR_FETCH);
    assert_true(d.metrics[1].valid);
    assert_int_equal(d.metrics[1].proposal, 2);
    assert_int_equal(d.raw, -1);
    assert_int_equal(d.desired, 5);
    assert_false(d.rescale);
    assert_int_equal(st.n_recs, 1);   /* the initial record only */

    /* valid max equal to current (5000m / 5 = ratio 1, within): proceeds */
    obs[1].value = 5000;
    in.now = 15 * SIM_S;
    assert_int_equal(hpa_sync(&s, &st, &in, &d), 0);
    assert_int_equal(d.outcome, HPA_OUTCOME_OK);
    assert_int_equal(d.raw, 5);
    assert_int_equal(d.desired, 5);

    /* valid max above current: 8000m -> ratio 1.6 -> ceil(8) = 8; legacy cap
     * max(2*5, 4) = 10 -> 8 */
    obs[1].value = 8000;
    in.now = 30 * SIM_S;
    assert_int_equal(hpa_sync(&s, &st, &in, &d), 0);
    assert_int_equal(d.outcome, HPA_OUTCOME_OK);
    assert_int_equal(d.invalid_metrics, 1);
    assert_int_equal(d.raw, 8);
    assert_int_equal(d.desired, 8);

    /* all invalid */
    obs[1].failed = true;
    in.now = 45 * SIM_S;
    assert_int_equal(hpa_sync(&s, &st, &in, &d), 0);
    assert_int_equal(d.outcome, HPA_OUTCOME_FAILED_METRICS);
    assert_int_equal(d.invalid_metrics, 2);
    assert_int_equal(d.desired, 5);
    hpa_state_free(&st);
}

static void test_zero_replicas(void **state)
{
    (void)state;
    /* minReplicas 1, target at 0: scaling disabled, not raised to min */
    hpa_spec_t s = spec_ext(1, 10);
    hpa_state_t st;
    hpa_spec_set_defaults(&s);
    assert_int_equal(hpa_state_init(&st, &s), 0);
    hpa_decision_t d = ext_sync(&s, &st, 0, 0, 50);
    assert_int_equal(d.outcome, HPA_OUTCOME_SCALING_DISABLED);
    assert_string_equal(hpa_decision_reason(&d), "ScalingDisabled");
    assert_int_equal(d.desired, 0);
    assert_false(d.rescale);
    assert_int_equal(d.raw, -1);
    hpa_state_free(&st);

    /* minReplicas 0 with an External Value metric: scale from zero with
     * ceil(usageRatio) = ceil(3000m/1000m) = 3, tolerance ignored; the legacy
     * cap is max(2*0, 4) = 4 */
    hpa_spec_init(&s);
    s.min_replicas = 0;
    s.max_replicas = 10;
    s.n_metrics = 1;
    s.metrics[0] = metric(HPA_SOURCE_EXTERNAL, "q", HPA_TARGET_VALUE, 1000);
    assert_int_equal(hpa_state_init(&st, &s), 0);
    hpa_obs_t obs = {false, NULL, 3000};
    hpa_input_t in = {0, 0, 0, NULL, 0, &obs};
    assert_int_equal(hpa_sync(&s, &st, &in, &d), 0);
    assert_int_equal(d.outcome, HPA_OUTCOME_OK);
    assert_int_equal(d.metrics[0].proposal, 3);
    assert_int_equal(d.desired, 3);
    hpa_state_free(&st);
}

static void test_out_of_range(void **state)
{
    (void)state;
    hpa_spec_t s = spec_ext(2, 10);   /* behavior {} */
    hpa_spec_set_defaults(&s);
    hpa_state_t st;
    assert_int_equal(hpa_state_init(&st, &s), 0);

    /* 15 > max 10: straight to 10, no metrics, no recommendation appended,
     * no rate limit (the default 100 %/15 s would allow it anyway; Pods 1
     * would not: see below) */
    hpa_decision_t d = ext_sync(&s, &st, 0, 15, 1);
    assert_int_equal(d.outcome, HPA_OUTCOME_ABOVE_MAX);
    assert_int_equal(d.desired, 10);
    assert_int_equal(d.limit, HPA_LIMIT_TOO_MANY);
    assert_int_equal(d.raw, -1);
    assert_int_equal(d.stabilized, -1);
    assert_int_equal(d.n_metrics, 0);
    assert_int_equal(st.n_recs, 1);            /* only the initial (15, 0) */
    assert_int_equal(st.n_down, 1);            /* the scale event is stored */
    assert_int_equal(st.down[0].change, 5);
    hpa_state_free(&st);

    /* 1 < min 2 with a scale-up policy of Pods 1/15 s and a 300 s up window:
     * corrected to 2 in one step anyway */
    s = spec_ext(2, 10);
    hpa_policy_t p = policy(HPA_POLICY_PODS, 1, 15);
    set_rules(&s.scale_up, 300, 1, &p);
    hpa_spec_set_defaults(&s);
    assert_int_equal(hpa_state_init(&st, &s), 0);
    d = ext_sync(&s, &st, 0, 1, 1);
    assert_int_equal(d.outcome, HPA_OUTCOME_BELOW_MIN);
    assert_int_equal(d.desired, 2);
    assert_int_equal(d.limit, HPA_LIMIT_TOO_FEW);
    assert_string_equal(hpa_decision_reason(&d), "TooFewReplicas");
    assert_int_equal(st.n_recs, 1);
    assert_int_equal(st.n_up, 1);
    hpa_state_free(&st);

    /* far out of range in one step: 1000 -> 10 */
    s = spec_ext(2, 10);
    hpa_policy_t q = policy(HPA_POLICY_PODS, 1, 1800);
    set_rules(&s.scale_down, 3600, 1, &q);
    hpa_spec_set_defaults(&s);
    assert_int_equal(hpa_state_init(&st, &s), 0);
    d = ext_sync(&s, &st, 0, 1000, 1);
    assert_int_equal(d.desired, 10);
    hpa_state_free(&st);
}

/* Windows are strict: a recommendation exactly W old is out (§4.4). A
 * behavior HPA, scaleDown window 60 s, policy 100 %/15 s, External target 1;
 * current 10, raw 10 at t=0 (and the initial 10), raw 2 afterwards: the
 * recommendations of t=0 leave the window at t=60 exactly. */
static void test_window_boundary(void **state)
{
    (void)state;
    hpa_spec_t s = spec_ext(1, 20);
    hpa_policy_t p = policy(HPA_POLICY_PERCENT, 100, 15);
    set_rules(&s.scale_down, 60, 1, &p);
    hpa_spec_set_defaults(&s);
    hpa_state_t st;
    assert_int_equal(hpa_state_init(&st, &s), 0);
    hpa_decision_t d = ext_sync(&s, &st, 0, 10, 10);
    assert_int_equal(d.desired, 10);
    for (int t = 15; t <= 45; t += 15) {
        d = ext_sync(&s, &st, t, 10, 2);
        assert_int_equal(d.raw, 2);
        assert_int_equal(d.stabilized, 10);
    }
    d = ext_sync(&s, &st, 60, 10, 2);
    assert_int_equal(d.stabilized, 2);
    assert_int_equal(d.desired, 2);
    hpa_state_free(&st);
}

/* ---- defaults and validation ------------------------------------------- */

static void test_defaults(void **state)
{
    (void)state;
    hpa_spec_t s;
    hpa_spec_init(&s);
    assert_int_equal(s.min_replicas, 1);
    assert_true(s.cfg.sync_period == 15 * SIM_S);
    assert_true(s.cfg.tolerance == 0.1);
    assert_int_equal(s.cfg.downscale_window_s, 300);
    assert_true(s.cfg.cpu_init_period == 300 * SIM_S);
    assert_true(s.cfg.initial_readiness_delay == 30 * SIM_S);

    /* no behavior: only the default metric (cpu 80 %) */
    s.max_replicas = 5;
    hpa_spec_set_defaults(&s);
    assert_int_equal(s.n_metrics, 1);
    assert_int_equal(s.metrics[0].source, HPA_SOURCE_RESOURCE);
    assert_string_equal(s.metrics[0].name, "cpu");
    assert_int_equal(s.metrics[0].average_utilization, 80);
    assert_false(s.scale_up.has_policies);

    /* behavior: {} */
    s.has_behavior = true;
    hpa_spec_set_defaults(&s);
    assert_true(s.scale_up.has_window);
    assert_int_equal(s.scale_up.window_s, 0);
    assert_int_equal(s.scale_up.select, HPA_SELECT_MAX);
    assert_int_equal(s.scale_up.n_policies, 2);
    assert_int_equal(s.scale_up.policies[0].type, HPA_POLICY_PODS);
    assert_int_equal(s.scale_up.policies[0].value, 4);
    assert_int_equal(s.scale_up.policies[0].period_s, 15);
    assert_int_equal(s.scale_up.policies[1].type, HPA_POLICY_PERCENT);
    assert_int_equal(s.scale_up.policies[1].value, 100);
    assert_int_equal(s.scale_up.policies[1].period_s, 15);
    assert_false(s.scale_down.has_window);   /* the controller flag applies */
    assert_int_equal(s.scale_down.select, HPA_SELECT_MAX);
    assert_int_equal(s.scale_down.n_policies, 1);
    assert_int_equal(s.scale_down.policies[0].type, HPA_POLICY_PERCENT);
    assert_int_equal(s.scale_down.policies[0].value, 100);
    assert_int_equal(s.scale_down.policies[0].period_s, 15);
    assert_int_equal(hpa_spec_validate(&s, NULL, 0), 0);

    /* policies replaced wholesale: the seed's scaleUp keeps its one policy */
    s = spec_c(3);
    hpa_spec_set_defaults(&s);
    assert_int_equal(s.scale_up.n_policies, 1);
    assert_int_equal(s.scale_up.policies[0].type, HPA_POLICY_PERCENT);
    assert_int_equal(s.scale_up.select, HPA_SELECT_MAX);
    assert_int_equal(s.scale_down.window_s, 300);
}

/* Validates s and expects exactly one violation at path whose message
 * contains msg. */
static void expect_one(const hpa_spec_t *s, const char *path, const char *msg)
{
    hpa_violation_t v[8];
    size_t n = hpa_spec_validate(s, v, 8);
    if (n != 1)
        fail_msg("%s: %zu violations (first: %s: %s)", path, n, n ? v[0].path : "-", n ? v[0].msg : "-");
    assert_string_equal(v[0].path, path);
    if (!strstr(v[0].msg, msg))
        fail_msg("%s: message '%s' lacks '%s'", path, v[0].msg, msg);
}

static void test_validation(void **state)
{
    (void)state;
    hpa_spec_t base = spec_c(3);
    hpa_spec_set_defaults(&base);
    assert_int_equal(hpa_spec_validate(&base, NULL, 0), 0);
    hpa_spec_t s;

    s = base;
    s.scale_up.n_policies = 0;   /* policies: [] */
    expect_one(&s, "spec.behavior.scaleUp.policies", "Required value: must specify at least one Policy");

    s = base;
    s.scale_up.policies[0].value = 0;
    expect_one(&s, "spec.behavior.scaleUp.policies[0].value", "Invalid value: 0: must be greater than zero");
    s.scale_up.policies[0].value = -3;
    expect_one(&s, "spec.behavior.scaleUp.policies[0].value", "Invalid value: -3: must be greater than zero");

    s = base;
    s.scale_down.policies[0].period_s = 0;
    expect_one(&s, "spec.behavior.scaleDown.policies[0].periodSeconds", "must be greater than zero");
    s.scale_down.policies[0].period_s = 1801;
    expect_one(&s, "spec.behavior.scaleDown.policies[0].periodSeconds", "must be less than or equal to 1800");
    s.scale_down.policies[0].period_s = 1800;
    assert_int_equal(hpa_spec_validate(&s, NULL, 0), 0);

    s = base;
    s.scale_up.window_s = 3601;
    expect_one(&s, "spec.behavior.scaleUp.stabilizationWindowSeconds", "must be less than or equal to 3600");
    s.scale_up.window_s = -1;
    expect_one(&s, "spec.behavior.scaleUp.stabilizationWindowSeconds", "must be greater than or equal to zero");
    s.scale_up.window_s = 3600;
    assert_int_equal(hpa_spec_validate(&s, NULL, 0), 0);

    s = base;
    s.max_replicas = 2;   /* < minReplicas 3 */
    expect_one(&s, "spec.maxReplicas", "must be greater than or equal to `minReplicas`");

    s = base;
    s.scale_down.select = HPA_SELECT_INVALID;   /* e.g. selectPolicy: Maximum */
    expect_one(&s, "spec.behavior.scaleDown.selectPolicy", "Unsupported value");

    s = base;
    s.scale_up.policies[0].type = HPA_POLICY_INVALID;
    expect_one(&s, "spec.behavior.scaleUp.policies[0].type", "supported values: \"Percent\", \"Pods\"");

    s = base;
    s.scale_down.has_tolerance = true;
    s.scale_down.tolerance = -0.1;
    expect_one(&s, "spec.behavior.scaleDown.tolerance", "must be greater than or equal to 0");

    /* minReplicas 0: with HPAScaleToZero on, only the missing Object/External
     * metric is wrong; with the gate off, minReplicas itself is too */
    s = base;
    s.min_replicas = 0;
    s.cfg.scale_to_zero = true;
    expect_one(&s, "spec.metrics",
               "Forbidden: must specify at least one Object or External metric to support scaling to zero replicas");
    s.cfg.scale_to_zero = false;
    hpa_violation_t v[8];
    assert_int_equal(hpa_spec_validate(&s, v, 8), 2);
    assert_string_equal(v[0].path, "spec.minReplicas");
    assert_string_equal(v[0].msg, "Invalid value: 0: must be greater than or equal to 1");
    assert_string_equal(v[1].path, "spec.metrics");
    s.cfg.scale_to_zero = true;
    s.metrics[3] = metric(HPA_SOURCE_EXTERNAL, "queue_depth", HPA_TARGET_AVERAGE_VALUE, 10000);
    s.n_metrics = 4;
    assert_int_equal(hpa_spec_validate(&s, NULL, 0), 0);

    /* metric targets */
    s = base;
    s.metrics[2].target_milli = 0;
    expect_one(&s, "spec.metrics[2].pods.target.averageValue", "Invalid value: \"0\": must be positive");
    s = base;
    s.metrics[0].average_utilization = 0;
    expect_one(&s, "spec.metrics[0].resource.target.averageUtilization", "must be greater than 0");
    s = base;
    s.metrics[2].target = HPA_TARGET_VALUE;
    s.metrics[2].target_milli = 5;
    expect_one(&s, "spec.metrics[2].pods.target.averageValue", "Required value");

    /* several at once; cap smaller than the count */
    s = base;
    s.scale_up.policies[0].value = 0;
    s.scale_up.policies[0].period_s = 0;
    s.scale_down.window_s = 5000;
    s.max_replicas = 0;
    assert_int_equal(hpa_spec_validate(&s, v, 2), 5);   /* max: Required + < min; 3 behavior */
    assert_string_equal(v[0].path, "spec.maxReplicas");
    assert_string_equal(v[0].msg, "Required value: must be set and greater than 0");

    /* behavior fields are not checked without behavior */
    s = base;
    s.has_behavior = false;
    s.scale_up.n_policies = 0;
    assert_int_equal(hpa_spec_validate(&s, NULL, 0), 0);
}

static void test_names(void **state)
{
    (void)state;
    assert_string_equal(hpa_limit_str(HPA_LIMIT_NONE), "");
    assert_string_equal(hpa_limit_str(HPA_LIMIT_SCALE_UP), "ScaleUpLimit");
    assert_string_equal(hpa_limit_str(HPA_LIMIT_SCALE_DOWN), "ScaleDownLimit");
    assert_string_equal(hpa_limit_str(HPA_LIMIT_TOO_MANY), "TooManyReplicas");
    assert_string_equal(hpa_limit_str(HPA_LIMIT_TOO_FEW), "TooFewReplicas");
    assert_string_equal(hpa_outcome_str(HPA_OUTCOME_SCALING_DISABLED), "ScalingDisabled");
    assert_string_equal(hpa_outcome_str(HPA_OUTCOME_FAILED_METRICS), "FailedComputeMetricsReplicas");
    assert_string_equal(hpa_source_str(HPA_SOURCE_CONTAINER_RESOURCE), "ContainerResource");
    assert_string_equal(hpa_target_str(HPA_TARGET_AVERAGE_VALUE), "AverageValue");
    assert_string_equal(hpa_policy_type_str(HPA_POLICY_PERCENT), "Percent");
    assert_string_equal(hpa_select_str(HPA_SELECT_DISABLED), "Disabled");
    assert_string_equal(hpa_select_str((hpa_select_t)42), "invalid");
    assert_int_equal(hpa_source_parse("External"), HPA_SOURCE_EXTERNAL);
    assert_int_equal(hpa_target_parse("Utilization"), HPA_TARGET_UTILIZATION);
    assert_int_equal(hpa_policy_type_parse("Pods"), HPA_POLICY_PODS);
    assert_int_equal(hpa_select_parse("Min"), HPA_SELECT_MIN);
    assert_int_equal(hpa_select_parse("max"), HPA_SELECT_INVALID);   /* case-sensitive */
    assert_int_equal(hpa_select_parse("invalid"), HPA_SELECT_INVALID);
    assert_int_equal(hpa_source_parse(NULL), HPA_SOURCE_INVALID);
}

/* selectPolicy Disabled blocks its direction: raw 8 from 4 stays 4. */
static void test_select_disabled(void **state)
{
    (void)state;
    hpa_spec_t s = spec_ext(1, 20);
    s.scale_up.has_select = true;
    s.scale_up.select = HPA_SELECT_DISABLED;
    hpa_decision_t d = ext_once(&s, 4, 8);
    assert_int_equal(d.stabilized, 8);
    assert_int_equal(d.desired, 4);
    assert_int_equal(d.limit, HPA_LIMIT_SCALE_UP);
    assert_false(d.rescale);
}

/* reset forgets history: after a reset the next sync re-records the initial
 * recommendation and the scale-down window starts again. */
static void test_state_reset(void **state)
{
    (void)state;
    hpa_spec_t s = spec_ext(1, 20);   /* behavior {}: down window 300 s */
    hpa_spec_set_defaults(&s);
    hpa_state_t st;
    assert_int_equal(hpa_state_init(&st, &s), 0);
    hpa_decision_t d = ext_sync(&s, &st, 0, 10, 2);
    assert_int_equal(d.stabilized, 10);   /* the initial (10, 0) holds it */
    d = ext_sync(&s, &st, 400, 10, 2);
    assert_int_equal(d.desired, 2);       /* both t=0 records are > 300 s old */
    hpa_state_reset(&st);
    assert_int_equal(st.n_recs, 0);
    d = ext_sync(&s, &st, 415, 10, 2);
    assert_int_equal(d.stabilized, 10);   /* fresh initial record again */
    hpa_state_free(&st);
    hpa_state_free(&st);                  /* safe twice */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_trace_a),
        cmocka_unit_test(test_trace_a2_legacy),
        cmocka_unit_test(test_trace_a2_behavior),
        cmocka_unit_test(test_trace_b),
        cmocka_unit_test(test_trace_c1),
        cmocka_unit_test(test_trace_c2),
        cmocka_unit_test(test_trace_d),
        cmocka_unit_test(test_trace_e_min),
        cmocka_unit_test(test_trace_e_max),
        cmocka_unit_test(test_u1),
        cmocka_unit_test(test_u2),
        cmocka_unit_test(test_u3),
        cmocka_unit_test(test_u4),
        cmocka_unit_test(test_cpu_only_readiness),
        cmocka_unit_test(test_group_pods_cpu),
        cmocka_unit_test(test_no_flip_by_pod_count),
        cmocka_unit_test(test_float_artefacts),
        cmocka_unit_test(test_tolerance),
        cmocka_unit_test(test_tolerance_per_direction),
        cmocka_unit_test(test_partial_failure),
        cmocka_unit_test(test_zero_replicas),
        cmocka_unit_test(test_out_of_range),
        cmocka_unit_test(test_window_boundary),
        cmocka_unit_test(test_select_disabled),
        cmocka_unit_test(test_state_reset),
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_validation),
        cmocka_unit_test(test_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
