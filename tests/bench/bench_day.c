/* bench_day: days of the plan's traffic as the real command runs them on
 * one core: simulated time over wall (and CPU) time, events and requests
 * per second, peak memory.
 *  - scenarios/global.yaml: 500 requests/s over the nine regions through
 *    browser and CDN caches, one day;
 *  - scenarios/azora-baseline.yaml, the plan as written (650 requests/s on
 *    average, 2,019/s at the peak, four cache layers, Redis, PostgreSQL):
 *    6 h, 12 h and the whole day, so that peak memory can be read against
 *    the simulated duration (it must not grow with it: every cache is
 *    bounded, histograms are fixed, series are at most 1000 rows).
 * One run each (a few minutes in all): the figure to compare between
 * commits is the ratio, measured side by side on the same machine. Never a
 * pass/fail on time: it prints numbers. */
#define _DEFAULT_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* The number after "key": in summary.json (the first such key), or -1. */
static double summary_number(const char *outdir, const char *key)
{
    char path[512];
    snprintf(path, sizeof path, "%s/summary.json", outdir);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    static char buf[1 << 20];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    char pat[64];
    snprintf(pat, sizeof pat, "\"%s\":", key);
    char *p = strstr(buf, pat);
    return p ? strtod(p + strlen(pat), NULL) : -1;
}

/* Runs one scenario for `duration` and prints its line; 0 or -1. */
static int day(const char *exe, const char *scenario, const char *duration, double sim_s)
{
    const char *out = "/tmp/clustersim-bench-day";
    double t0 = now_s();
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        execl(exe, exe, "run", scenario, "-q", "-o", out, "--duration", duration, "--set", "warmup=0s",
              (char *)NULL);
        _exit(127);
    }
    int status;
    struct rusage ru;
    if (wait4(pid, &status, 0, &ru) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        fprintf(stderr, "bench: %s run %s failed\n", exe, scenario);
        return -1;
    }
    double wall = now_s() - t0;
    double cpu = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec * 1e-6 + (double)ru.ru_stime.tv_sec +
                 (double)ru.ru_stime.tv_usec * 1e-6;
    double events = summary_number(out, "events"), requests = summary_number(out, "total");
    printf("%-32s %5s %9.1f %9.1f %8.0f %8.0f %10.2f %9.2f %10ld\n", scenario, duration, wall, cpu, sim_s / wall,
           sim_s / cpu, requests / 1e6, events / cpu / 1e6, ru.ru_maxrss / 1024);
    return 0;
}

int main(void)
{
    const char *exe = getenv("CLUSTERSIM") ? getenv("CLUSTERSIM") : "bin/clustersim";
    printf("== days of the plan's traffic, one core (x real time: simulated over wall and over cpu time)\n");
    printf("%-32s %5s %9s %9s %8s %8s %10s %9s %10s\n", "scenario", "sim", "wall s", "cpu s", "x wall", "x cpu",
           "M requests", "M ev/cpu-s", "peak MiB");
    if (day(exe, "scenarios/global.yaml", "1d", 86400) != 0 ||
        day(exe, "scenarios/azora-baseline.yaml", "6h", 6 * 3600) != 0 ||
        day(exe, "scenarios/azora-baseline.yaml", "12h", 12 * 3600) != 0 ||
        day(exe, "scenarios/azora-baseline.yaml", "1d", 86400) != 0)
        return 1;
    return 0;
}
