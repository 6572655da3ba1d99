/* bench_mm4: how fast `clustersim run` is, beside a bare event loop.
 *
 * 1. Events per second of the real command (`$CLUSTERSIM run`, a child
 *    process, wall clock from fork to exit) on the M/M/4 scenario of the
 *    validation tests (lambda 3.2/s, mu 1/s) with 2,000,000 customers, and of
 *    a bare M/M/4 event loop written here: a binary heap of (time, kind),
 *    the engine's generator and exponential (sim/rng.h: xoshiro256++ and
 *    its ziggurat, inline), a counter for the queue and nothing else (no
 *    statistics, no pools, no balancer). The ratio says what the engine's
 *    generality costs: whole command against loop, and loop time against
 *    loop time (the run's own time, summary.json wall_s, which leaves out
 *    the process's start, loading the scenario and writing the files).
 *    Best of 3 runs each, to shed noise from the machine.
 * 2. Peak resident memory (ru_maxrss of the child) of a 1 h and a 24 h run
 *    of the same scenario: it must not grow with simulated time.
 * Never a pass/fail on time: it prints numbers. */
#define _DEFAULT_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "sim/rng.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* ---- the bare loop -------------------------------------------------------- */

typedef struct {
    double t;
    int kind; /* 0 arrival, 1 departure */
} bev_t;

static bev_t heap[64];
static int nheap;

static void push(double t, int kind)
{
    int i = nheap++;
    while (i > 0 && heap[(i - 1) / 2].t > t) {
        heap[i] = heap[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    heap[i] = (bev_t){t, kind};
}

static bev_t pop(void)
{
    bev_t top = heap[0], last = heap[--nheap];
    int i = 0;
    for (;;) {
        int c = 2 * i + 1;
        if (c >= nheap)
            break;
        if (c + 1 < nheap && heap[c + 1].t < heap[c].t)
            c++;
        if (heap[c].t >= last.t)
            break;
        heap[i] = heap[c];
        i = c;
    }
    heap[i] = last;
    return top;
}

/* M/M/4 until `customers` arrivals; returns events processed. */
static long bare_mm4(long customers, double *mean_in_system)
{
    rng_t *r = rng_new(7, "bench_mm4");
    long events = 0, arrivals = 0;
    int in_system = 0;
    double area = 0, last = 0;
    nheap = 0;
    push(rng_exp1(r) / 3.2, 0);
    while (nheap) {
        bev_t e = pop();
        events++;
        area += in_system * (e.t - last);
        last = e.t;
        if (e.kind == 0) {
            arrivals++;
            if (in_system++ < 4)
                push(e.t + rng_exp1(r), 1);
            if (arrivals < customers)
                push(e.t + rng_exp1(r) / 3.2, 0);
        } else if (--in_system >= 4) {
            push(e.t + rng_exp1(r), 1);
        }
    }
    rng_free(r);
    *mean_in_system = area / last;
    return events;
}

/* ---- the real command ----------------------------------------------------------- */

static const char *scenario_path = "/tmp/clustersim-bench-mm4.yaml";

static int run_child(const char *exe, const char *duration, const char *outdir, double *wall, long *maxrss_kb)
{
    double t0 = now_s();
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        execl(exe, exe, "run", scenario_path, "-q", "-o", outdir, "--duration", duration, (char *)NULL);
        _exit(127);
    }
    int status;
    struct rusage ru;
    if (wait4(pid, &status, 0, &ru) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
        return -1;
    *wall = now_s() - t0;
    *maxrss_kb = ru.ru_maxrss;
    return 0;
}

static double summary_number(const char *outdir, const char *key)
{
    char path[512], buf[8192];
    snprintf(path, sizeof path, "%s/summary.json", outdir);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    char pat[64];
    snprintf(pat, sizeof pat, "\"%s\":", key);
    char *p = strstr(buf, pat);
    return p ? strtod(p + strlen(pat), NULL) : -1;
}

int main(void)
{
    const char *exe = getenv("CLUSTERSIM") ? getenv("CLUSTERSIM") : "bin/clustersim";
    FILE *f = fopen(scenario_path, "w");
    if (!f)
        return 1;
    fputs("name: bench-mm4\nseed: 7\nduration: 625000s\nwarmup: 0s\n"
          "traffic: {rate: 3.2/s, arrivals: poisson}\n"
          "services:\n  web:\n    replicas: 1\n    concurrency: 4\n    queue_capacity: 1000000\n"
          "    service_time: {dist: exponential, mean: 1s}\n",
          f);
    fclose(f);
    const char *out = "/tmp/clustersim-bench-out";
    const long customers = 2000000;

    printf("== M/M/4, lambda 3.2/s, mu 1/s, 2,000,000 customers (625000 s simulated)\n");
    double best_cs = 1e30, best_loop = 1e30, best_bare = 1e30, events_cs = 0, L = 0;
    long events_bare = 0, rss;
    for (int i = 0; i < 3; i++) {
        double wall;
        if (run_child(exe, "625000s", out, &wall, &rss) != 0) {
            fprintf(stderr, "bench: %s run failed\n", exe);
            return 1;
        }
        if (wall < best_cs)
            best_cs = wall;
        events_cs = summary_number(out, "events");
        /* the run's own time (summary.json wall_s: the replication, from
         * its world's making to its metrics; not the process's start, the
         * scenario's loading or the files' writing) */
        double loop = summary_number(out, "wall_s");
        if (loop > 0 && loop < best_loop)
            best_loop = loop;
        double t0 = now_s();
        events_bare = bare_mm4(customers, &L);
        double t = now_s() - t0;
        if (t < best_bare)
            best_bare = t;
    }
    double eps_cs = events_cs / best_cs, eps_loop = events_cs / best_loop, eps_bare = (double)events_bare / best_bare;
    printf("clustersim run (whole command) : %10.0f events in %.3f s = %6.2f M events/s\n", events_cs, best_cs,
           eps_cs / 1e6);
    printf("clustersim run (its run loop)  : %10.0f events in %.3f s = %6.2f M events/s\n", events_cs, best_loop,
           eps_loop / 1e6);
    printf("bare event loop                : %10ld events in %.3f s = %6.2f M events/s   (L = %.3f; Erlang C: 5.586)\n",
           events_bare, best_bare, eps_bare / 1e6, L);
    printf("ratio clustersim / bare        : %.2f (loop time against loop time: %.2f)\n", eps_cs / eps_bare,
           eps_loop / eps_bare);
    printf("simulated seconds per wall second: %.0f\n\n", 625000.0 / best_cs);

    printf("== peak memory (ru_maxrss) of the same scenario\n");
    long rss1, rss24;
    double w1, w24;
    if (run_child(exe, "1h", out, &w1, &rss1) != 0 || run_child(exe, "24h", out, &w24, &rss24) != 0) {
        fprintf(stderr, "bench: memory runs failed\n");
        return 1;
    }
    printf("1 h  simulated: %6ld KiB  (%.3f s)\n", rss1, w1);
    printf("24 h simulated: %6ld KiB  (%.3f s)\n", rss24, w24);
    printf("ratio 24 h / 1 h: %.3f\n", (double)rss24 / (double)rss1);
    return 0;
}
