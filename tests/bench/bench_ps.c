/* bench_ps: processor sharing at a CPU limit against no limit.
 *
 * One pod with 256 workers, Poisson arrivals, exponential service of 10 ms
 * of CPU, run in this process (no start-up, no output files):
 *   limit  the pod limited to L cores, arrivals at 0.95 L / 10 ms: rho 0.95
 *          of the limit, processor sharing among the requests in the pod
 *          (L = 1: 19 on average, as M/M/1-PS; L = 200: about 197);
 *   none   the same traffic and CPU accounting (requests 1 core) with no
 *          limit: each request its own completion event.
 * The two run in turn, 7 rounds; it prints the median CPU time of each and
 * the median of the per-round ratios limit/none. With a virtual clock and a
 * heap of finish tags a start or a completion costs O(log n) in the pod, so
 * the ratio should not grow with L (it was about 4 at L = 200 when every
 * start and completion scanned the pod's jobs). Never a pass/fail on time:
 * it prints numbers. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "sim/diag.h"
#include "sim/scenario.h"
#include "sim/world.h"

#define ROUNDS 7

static double cpu_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return v[n / 2];
}

static scenario_t *scenario(double limit, double seconds, bool limited)
{
    char lim[64] = "", yaml[1024];
    if (limited)
        snprintf(lim, sizeof lim, ", limits: {cpu: \"%.6g\"}", limit);
    snprintf(yaml, sizeof yaml,
             "seed: 1\nduration: %.0fs\nwarmup: 0s\nsample_interval: 60s\n"
             "traffic: {rate: %.6g/s, arrivals: poisson}\n"
             "services:\n  web:\n    concurrency: 256\n    queue_capacity: 1000\n"
             "    service_time: {dist: exponential, mean: 10ms}\n"
             "    resources: {requests: {cpu: \"1\"}%s}\n",
             seconds, 95.0 * limit, lim);
    diag_t d;
    diag_init(&d);
    scenario_t *sc = scenario_load_string(yaml, "bench_ps.yaml", NULL, 0, &d);
    if (!sc)
        diag_print(&d, stderr);
    return sc;
}

/* CPU seconds of one run; -1 on failure. */
static double run_once(const scenario_t *sc)
{
    world_t *w = world_new(sc, 0, NULL);
    if (!w)
        return -1;
    double t0 = cpu_s();
    int rc = world_run(w);
    double t = cpu_s() - t0;
    world_free(w);
    return rc == 0 ? t : -1;
}

int main(void)
{
    printf("bench_ps: processor sharing at a CPU limit (rho 0.95 of it, 256 workers) against no limit,\n"
           "CPU time, median of %d rounds run in turn\n",
           ROUNDS);
    const double limits[] = {1, 200};
    const double seconds[] = {20000, 100};
    for (int c = 0; c < 2; c++) {
        scenario_t *ps = scenario(limits[c], seconds[c], true), *none = scenario(limits[c], seconds[c], false);
        if (!ps || !none)
            return 1;
        double tp[ROUNDS], tn[ROUNDS], ratio[ROUNDS];
        for (int r = 0; r < ROUNDS; r++) {
            tp[r] = run_once(ps);
            tn[r] = run_once(none);
            if (tp[r] < 0 || tn[r] < 0) {
                fprintf(stderr, "bench_ps: a run failed\n");
                return 1;
            }
            ratio[r] = tp[r] / tn[r];
        }
        double requests = 95.0 * limits[c] * seconds[c];
        double mp = median(tp, ROUNDS), mn = median(tn, ROUNDS);
        printf("  limit %3.0f core%s, %.2g requests: limit %.3f s (%.0f ns/request), none %.3f s (%.0f ns/request), "
               "limit/none %.2f\n",
               limits[c], limits[c] == 1 ? " " : "s", requests, mp, mp / requests * 1e9, mn, mn / requests * 1e9,
               median(ratio, ROUNDS));
        scenario_free(ps);
        scenario_free(none);
    }
    return 0;
}
