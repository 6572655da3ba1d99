/* bench_global: a day of the plan's traffic, 500 requests/s over the nine
 * regions through browser and CDN caches (scenarios/global.yaml), as the
 * real command runs it on one core: simulated time over wall time, events
 * and requests per second, peak memory. One run (about a minute): the
 * figure to compare between commits is the ratio, measured side by side on
 * the same machine. Never a pass/fail on time: it prints numbers. */
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

int main(void)
{
    const char *exe = getenv("CLUSTERSIM") ? getenv("CLUSTERSIM") : "bin/clustersim";
    const char *out = "/tmp/clustersim-bench-global";
    printf("== a day of 500 requests/s over the nine regions, browser and CDN caches (scenarios/global.yaml)\n");
    double t0 = now_s();
    pid_t pid = fork();
    if (pid < 0)
        return 1;
    if (pid == 0) {
        execl(exe, exe, "run", "scenarios/global.yaml", "-q", "-o", out, "--duration", "1d", "--set", "warmup=0s",
              (char *)NULL);
        _exit(127);
    }
    int status;
    struct rusage ru;
    if (wait4(pid, &status, 0, &ru) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        fprintf(stderr, "bench: %s run failed\n", exe);
        return 1;
    }
    double wall = now_s() - t0;
    double cpu = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec * 1e-6 + (double)ru.ru_stime.tv_sec +
                 (double)ru.ru_stime.tv_usec * 1e-6;
    double events = summary_number(out, "events"), requests = summary_number(out, "total");
    printf("wall %.2f s, cpu %.2f s, peak memory %ld KiB\n", wall, cpu, ru.ru_maxrss);
    printf("requests %.0f (%.2f M/s of wall), events %.0f (%.2f M/s)\n", requests, requests / wall / 1e6, events,
           events / wall / 1e6);
    printf("simulated time / wall time: %.0f x real time\n", 86400.0 / wall);
    return 0;
}
