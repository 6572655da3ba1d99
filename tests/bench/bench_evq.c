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
 * records what these numbers were for the layouts it was measured against. */
#define _DEFAULT_SOURCE
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "sim/evq.h"
#include "sim/rng.h"

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

static double hold(size_t n)
{
    evq_t *q = evq_new(n);
    if (!q)
        return -1;
    for (size_t i = 0; i < n; i++)
        evq_schedule(q, inc[(i * 7919) % NINC], nop, NULL, 0);
    evq_event_t ev;
    size_t w = warmup(n), k = 0;
    for (size_t i = 0; i < w; i++, k = (k + 1) % NINC) {
        evq_pop(q, &ev);
        evq_schedule(q, ev.time + inc[k], nop, NULL, 0);
    }
    double t0 = cpu_s();
    for (size_t i = 0; i < TIMED; i++, k = (k + 1) % NINC) {
        evq_pop(q, &ev);
        evq_schedule(q, ev.time + inc[k], nop, NULL, 0);
    }
    double t = cpu_s() - t0;
    evq_free(q);
    return t / TIMED * 1e9;
}

static double hold_cancel(size_t n)
{
    size_t nt = n / 2, nh = n - nt;
    evq_t *q = evq_new(n);
    evq_handle_t *timeout = malloc(nt * sizeof *timeout);
    if (!q || !timeout) {
        evq_free(q);
        free(timeout);
        return -1;
    }
    /* The oldest timeout is about nt steps old, and nh hold events advance
     * the clock by 1 s / nh a step: it is cancelled ~nt/nh s after it was
     * set, long before its deadline. */
    simtime_t ahead = 10 * SIM_S;
    for (size_t i = 0; i < nh; i++)
        evq_schedule(q, inc[(i * 7919) % NINC], nop, NULL, 0);
    for (size_t i = 0; i < nt; i++)
        timeout[i] = evq_schedule(q, ahead + inc[(i * 104729) % NINC], nop, NULL, 1);
    evq_event_t ev;
    size_t w = warmup(n), k = 0, oldest = 0;
    double t0 = 0;
    for (size_t i = 0; i < w + TIMED; i++, k = (k + 2) % NINC) {
        if (i == w)
            t0 = cpu_s();
        evq_pop(q, &ev);
        if (ev.arg == 0) /* a timeout fires only if the set is wrong */
            evq_schedule(q, ev.time + inc[k], nop, NULL, 0);
        evq_cancel(q, timeout[oldest]);
        timeout[oldest] = evq_schedule(q, ev.time + ahead + inc[k + 1], nop, NULL, 1);
        oldest = oldest + 1 == nt ? 0 : oldest + 1;
    }
    double t = cpu_s() - t0;
    evq_free(q);
    free(timeout);
    return t / TIMED * 1e9;
}

int main(void)
{
    rng_t *r = rng_new(1, "bench.evq");
    inc = malloc(NINC * sizeof *inc);
    if (!r || !inc)
        return 1;
    for (size_t i = 0; i < NINC; i++)
        inc[i] = simtime_from_s(rng_exp1(r));
    printf("== event set (4-ary heap, 16-byte packed keys): ns per operation, best of 3\n");
    printf("%10s %12s %22s\n", "pending", "hold", "hold + cancel");
    printf("%10s %12s %22s\n", "", "(pop+push)", "(pop+2 push+cancel)");
    const size_t sizes[] = {1000, 10000, 100000, 1000000};
    for (size_t s = 0; s < 4; s++) {
        double best_h = 1e30, best_c = 1e30;
        for (int rep = 0; rep < 3; rep++) {
            double h = hold(sizes[s]), c = hold_cancel(sizes[s]);
            if (h < 0 || c < 0)
                return 1;
            best_h = h < best_h ? h : best_h;
            best_c = c < best_c ? c : best_c;
        }
        printf("%10zu %9.1f ns %19.1f ns\n", sizes[s], best_h, best_c);
    }
    printf("\n");
    free(inc);
    rng_free(r);
    return 0;
}
