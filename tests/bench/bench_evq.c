/* bench_evq: the pending-event set alone, in the classic hold model.
 *
 * The set is filled with n events at exponential times; then each hold
 * operation pops the earliest and schedules one at its time plus an
 * exponential increment (mean 1 s), so the size stays n. Reported: ns per
 * hold (one pop + one schedule) at n = 10^3, 10^5 and 10^6, best of 3.
 * Increments are drawn in advance so that only the set is timed. */
#define _DEFAULT_SOURCE
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "sim/evq.h"
#include "sim/rng.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void nop(void *ctx, void *obj, uint64_t arg) { (void)ctx, (void)obj, (void)arg; }

int main(void)
{
    const size_t holds = 4000000;
    rng_t *r = rng_new(1, "bench.evq");
    simtime_t *inc = malloc(holds * sizeof *inc);
    if (!r || !inc)
        return 1;
    for (size_t i = 0; i < holds; i++)
        inc[i] = simtime_from_s(rng_exp1(r));
    printf("== event set, hold model (%zu holds)\n", holds);
    const size_t sizes[] = {1000, 100000, 1000000};
    for (size_t k = 0; k < 3; k++) {
        double best = 1e30;
        for (int rep = 0; rep < 3; rep++) {
            evq_t *q = evq_new(sizes[k]);
            for (size_t i = 0; i < sizes[k]; i++)
                evq_schedule(q, simtime_from_s(rng_exp1(r) * (double)sizes[k]), nop, NULL, 0);
            evq_event_t ev;
            double t0 = now_s();
            for (size_t i = 0; i < holds; i++) {
                evq_pop(q, &ev);
                evq_schedule(q, ev.time + inc[i], nop, NULL, 0);
            }
            double t = now_s() - t0;
            if (t < best)
                best = t;
            evq_free(q);
        }
        printf("n = %8zu pending: %7.1f ns per hold (%.2f M holds/s)\n", sizes[k], best / (double)holds * 1e9,
               (double)holds / best / 1e6);
    }
    free(inc);
    rng_free(r);
    return 0;
}
