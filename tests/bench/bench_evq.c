/* bench_evq: the pending-event set alone, at 10^3, 10^4, 10^5 and 10^6
 * pending events.
 *
 * 1. The classic hold model: n events at exponential times (mean 1 s), then
 *    each hold pops the earliest and schedules one at its time plus an
 *    exponential increment of the same mean, so the size stays n. Reported:
 *    ns per hold (one pop + one schedule).
 * 2. Hold with cancellations, the way the world uses timers: n/2 hold events
 *    and n/2 timeouts; each step pops the earliest event and schedules its
 *    successor, then cancels the oldest timeout (a random position in the
 *    heap: timeouts never fire, they are cancelled about one simulated second
 *    after being set) and sets a new one. Reported: ns per step (one pop, two
 *    schedules, one cancel).
 * Each size first runs max(n, 10^5) untimed holds, so that the times in the
 * set are those of the steady state, then 2,000,000 timed ones; best of 3,
 * in thread CPU time (another process on the machine does not count).
 * Increments are drawn in advance so that only the set is timed. sim/evq.c
 * records what these numbers were for the layouts it was measured against.
 *
 * Beside the engine's set, the same two models run on a calendar queue
 * (tests/bench/calendar.h, Brown 1988), the O(1)-hold structure the issue
 * of the hot path asked to measure; both are called through the same
 * function pointers. Before timing, the two pop the same sequence of
 * (time, arg) over a mixed run of schedules, pops and cancels, or the
 * benchmark stops. */
#define _DEFAULT_SOURCE
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "sim/evq.h"
#include "sim/rng.h"
#include "tests/bench/calendar.h"

enum { TIMED = 2000000, NINC = 1 << 22 };

static double cpu_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void nop(void *ctx, void *obj, uint64_t arg) { (void)ctx, (void)obj, (void)arg; }

/* NINC exponential increments, mean 1 s; indexed modulo NINC. */
static simtime_t *inc;

static size_t warmup(size_t n) { return n > 100000 ? n : 100000; }

/* A pending-event set, as the benchmark drives it. */
typedef struct set_ops {
    const char *name;
    void *(*make)(size_t hint);
    evq_handle_t (*schedule)(void *q, simtime_t t, evq_fn fn, void *obj, uint64_t arg);
    bool (*pop)(void *q, evq_event_t *ev);
    bool (*cancel)(void *q, evq_handle_t h);
    void (*destroy)(void *q);
} set_ops_t;

static void *heap_make(size_t hint) { return evq_new(hint); }
static evq_handle_t heap_schedule(void *q, simtime_t t, evq_fn fn, void *obj, uint64_t arg) { return evq_schedule(q, t, fn, obj, arg); }
static bool heap_pop(void *q, evq_event_t *ev) { return evq_pop(q, ev); }
static bool heap_cancel(void *q, evq_handle_t h) { return evq_cancel(q, h); }
static void heap_destroy(void *q) { evq_free(q); }
static void *cal_make(size_t hint) { return cq_new_hint(hint); }
static evq_handle_t cal_schedule(void *q, simtime_t t, evq_fn fn, void *obj, uint64_t arg) { return cq_schedule(q, t, fn, obj, arg); }
static bool cal_pop(void *q, evq_event_t *ev) { return cq_pop(q, ev); }
static bool cal_cancel(void *q, evq_handle_t h) { return cq_cancel(q, h); }
static void cal_destroy(void *q) { cq_free(q); }

static const set_ops_t heap_ops = {"heap", heap_make, heap_schedule, heap_pop, heap_cancel, heap_destroy};
static const set_ops_t cal_ops = {"calendar", cal_make, cal_schedule, cal_pop, cal_cancel, cal_destroy};

static double hold(const set_ops_t *o, size_t n)
{
    void *q = o->make(n);
    if (!q)
        return -1;
    for (size_t i = 0; i < n; i++)
        o->schedule(q, inc[(i * 7919) % NINC], nop, NULL, 0);
    evq_event_t ev;
    size_t w = warmup(n), k = 0;
    for (size_t i = 0; i < w; i++, k = (k + 1) % NINC) {
        o->pop(q, &ev);
        o->schedule(q, ev.time + inc[k], nop, NULL, 0);
    }
    double t0 = cpu_s();
    for (size_t i = 0; i < TIMED; i++, k = (k + 1) % NINC) {
        o->pop(q, &ev);
        o->schedule(q, ev.time + inc[k], nop, NULL, 0);
    }
    double t = cpu_s() - t0;
    o->destroy(q);
    return t / TIMED * 1e9;
}

static double hold_cancel(const set_ops_t *o, size_t n)
{
    size_t nt = n / 2, nh = n - nt;
    void *q = o->make(n);
    evq_handle_t *timeout = malloc(nt * sizeof *timeout);
    if (!q || !timeout) {
        if (q)
            o->destroy(q);
        free(timeout);
        return -1;
    }
    /* The oldest timeout is about nt steps old, and nh hold events advance
     * the clock by 1 s / nh a step: it is cancelled ~nt/nh s after it was
     * set, long before its deadline. */
    simtime_t ahead = 10 * SIM_S;
    for (size_t i = 0; i < nh; i++)
        o->schedule(q, inc[(i * 7919) % NINC], nop, NULL, 0);
    for (size_t i = 0; i < nt; i++)
        timeout[i] = o->schedule(q, ahead + inc[(i * 104729) % NINC], nop, NULL, 1);
    evq_event_t ev;
    size_t w = warmup(n), k = 0, oldest = 0;
    double t0 = 0;
    for (size_t i = 0; i < w + TIMED; i++, k = (k + 2) % NINC) {
        if (i == w)
            t0 = cpu_s();
        o->pop(q, &ev);
        if (ev.arg == 0) /* a timeout fires only if the set is wrong */
            o->schedule(q, ev.time + inc[k], nop, NULL, 0);
        o->cancel(q, timeout[oldest]);
        timeout[oldest] = o->schedule(q, ev.time + ahead + inc[k + 1], nop, NULL, 1);
        oldest = oldest + 1 == nt ? 0 : oldest + 1;
    }
    double t = cpu_s() - t0;
    o->destroy(q);
    free(timeout);
    return t / TIMED * 1e9;
}

/* Both sets through the same mixed run (ties in time included): 0 when
 * every pop agrees in time and arg (each event's arg is its own number). */
static int same_order(void)
{
    enum { STEPS = 1000000, LIVE = 5000 };
    void *a = heap_ops.make(16), *b = cal_ops.make(16);
    evq_handle_t *ha = malloc(LIVE * sizeof *ha), *hb = malloc(LIVE * sizeof *hb);
    rng_t *r = rng_new(3, "bench.evq.order");
    int bad = !a || !b || !ha || !hb || !r;
    simtime_t now = 0;
    uint64_t id = 0;
    for (size_t i = 0; !bad && i < LIVE; i++, id++) {
        simtime_t t = (simtime_t)rng_below(r, 1000) * SIM_MS;
        ha[i] = heap_ops.schedule(a, t, nop, NULL, id);
        hb[i] = cal_ops.schedule(b, t, nop, NULL, id);
    }
    for (size_t s = 0; !bad && s < STEPS; s++) {
        uint32_t what = rng_below(r, 10), slot = rng_below(r, LIVE);
        if (what < 6) { /* pop one, schedule one into a slot */
            evq_event_t ea, eb;
            bool pa = heap_ops.pop(a, &ea), pb = cal_ops.pop(b, &eb);
            bad = pa != pb || (pa && (ea.time != eb.time || ea.arg != eb.arg));
            now = pa ? ea.time : now;
        } else if (what < 8) { /* cancel a slot's event (maybe already gone) */
            bad = heap_ops.cancel(a, ha[slot]) != cal_ops.cancel(b, hb[slot]);
        }
        simtime_t t = now + (rng_below(r, 4) == 0 ? 0 : (simtime_t)rng_below(r, 2000) * SIM_MS);
        ha[slot] = heap_ops.schedule(a, t, nop, NULL, id);
        hb[slot] = cal_ops.schedule(b, t, nop, NULL, id++);
    }
    if (a)
        heap_ops.destroy(a);
    if (b)
        cal_ops.destroy(b);
    free(ha), free(hb);
    rng_free(r);
    return bad;
}

int main(void)
{
    rng_t *r = rng_new(1, "bench.evq");
    inc = malloc(NINC * sizeof *inc);
    if (!r || !inc)
        return 1;
    for (size_t i = 0; i < NINC; i++)
        inc[i] = simtime_from_s(rng_exp1(r));
    if (same_order() != 0) {
        fprintf(stderr, "bench_evq: the calendar queue and the heap popped different sequences\n");
        return 1;
    }
    printf("== event set: the engine's (4-ary heap, 16-byte packed keys) and a calendar queue,\n"
           "   ns per operation, best of 3 (both through function pointers)\n");
    printf("%10s %22s %10s %26s %10s\n", "pending", "hold (pop+push)", "", "hold + cancel (pop+2 push", "+cancel)");
    printf("%10s %10s %11s %10s %12s %13s %10s\n", "", "heap", "calendar", "cal/heap", "heap", "calendar",
           "cal/heap");
    const size_t sizes[] = {10, 100, 1000, 10000, 100000, 1000000};
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        double bh[2] = {1e30, 1e30}, bc[2] = {1e30, 1e30};
        for (int rep = 0; rep < 3; rep++)
            for (int k = 0; k < 2; k++) {
                const set_ops_t *o = k ? &cal_ops : &heap_ops;
                double h = hold(o, sizes[s]), c = sizes[s] >= 4 ? hold_cancel(o, sizes[s]) : 0;
                if (h < 0 || c < 0)
                    return 1;
                bh[k] = h < bh[k] ? h : bh[k];
                bc[k] = c < bc[k] ? c : bc[k];
            }
        printf("%10zu %7.1f ns %8.1f ns %10.2f %9.1f ns %10.1f ns %10.2f\n", sizes[s], bh[0], bh[1], bh[1] / bh[0],
               bc[0], bc[1], bc[1] / bc[0]);
    }
    printf("\n");
    free(inc);
    rng_free(r);
    return 0;
}
