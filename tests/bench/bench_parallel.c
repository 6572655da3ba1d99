/* bench_parallel: parallel efficiency of replications and of a sweep on
 * this machine's cores.
 *
 * The scenario is an M/M/4 (lambda 3.2/s, mu 1/s) of 2,000,000 s simulated,
 * about 6.4 million customers: one run takes ~0.7 s here, long enough that
 * starting a process and threads is noise, short enough for 3 rounds.
 *
 * 1. `clustersim run -r R -j 1` against `-j NCORES` (R = 2 x NCORES);
 * 2. `clustersim sweep` of P = 2 x NCORES points (--vary traffic.rate) at
 *    -j 1 against -j NCORES;
 * 3. where bin/clustersim-mpi (beside $CLUSTERSIM) and mpirun exist, the
 *    same sweep under `mpirun -np N clustersim-mpi ... -j 1` for N = NCORES
 *    (N - 1 workers: rank 0 only coordinates) and N = NCORES + 1 (one worker
 *    per core, rank 0 polling beside them).
 * Efficiency = T1 / (NCORES x TN), T1 the single-thread time. Each time is
 * the median of 3 runs, the configurations alternating within a round so
 * that a change in the machine's load falls on all of them. Wall clock from
 * fork to exit of the real command. Never a pass/fail: it prints numbers. */
#define _DEFAULT_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define ROUNDS 3
#define MAXARGS 32

static const char *scenario_path = "/tmp/clustersim-bench-parallel.yaml";
static const char *outdir = "/tmp/clustersim-bench-parallel-out";

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* A sweep refuses a directory that holds another sweep: start afresh. */
static void clear_outdir(void)
{
    static const char *files[] = {"sweep.csv", "sweep.json", "sweep.csv.partial", "summary.json",
                                  "timeseries.csv", "events.csv"};
    char path[512];
    for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
        snprintf(path, sizeof path, "%s/%s", outdir, files[i]);
        unlink(path);
    }
}

/* Runs argv (searched in PATH), stdout and stderr to /dev/null; its wall
 * time, or -1 when it failed. */
static double time_child(const char *const argv[])
{
    union {
        const char *const *c;
        char *const *m; /* execvp's type; it does not write them */
    } args = {argv};
    clear_outdir();
    fflush(stdout); /* else the child's freopen writes our buffer again */
    double t0 = now_s();
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        if (!freopen("/dev/null", "w", stdout) || !freopen("/dev/null", "w", stderr))
            _exit(126);
        execvp(argv[0], args.m);
        _exit(127);
    }
    int status;
    if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
        return -1;
    return now_s() - t0;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median3(double *v)
{
    qsort(v, ROUNDS, sizeof *v, cmp_double);
    return v[ROUNDS / 2];
}

typedef struct config {
    const char *label;
    const char *argv[MAXARGS];
    double t[ROUNDS];
} config_t;

/* Runs the configurations ROUNDS times, alternating; 0, or -1 (one failed). */
static int measure(config_t *c, int n)
{
    for (int r = 0; r < ROUNDS; r++)
        for (int i = 0; i < n; i++)
            if ((c[i].t[r] = time_child(c[i].argv)) < 0) {
                fprintf(stderr, "bench: %s failed:", c[i].label);
                for (int k = 0; c[i].argv[k]; k++)
                    fprintf(stderr, " %s", c[i].argv[k]);
                fputc('\n', stderr);
                return -1;
            }
    return 0;
}

/* Prints the medians of c[1..n-1] against c[0] (the -j 1 time). */
static void report(config_t *c, int n, int ncores)
{
    double t1 = median3(c[0].t);
    printf("  %-44s %7.2f s\n", c[0].label, t1);
    for (int i = 1; i < n; i++) {
        double tn = median3(c[i].t);
        printf("  %-44s %7.2f s   speed-up %.2f   efficiency %.2f\n", c[i].label, tn, t1 / tn,
               t1 / ((double)ncores * tn));
    }
}

static int on_path(const char *name)
{
    const char *path = getenv("PATH");
    char buf[4096];
    while (path && *path) {
        const char *colon = strchr(path, ':');
        size_t n = colon ? (size_t)(colon - path) : strlen(path);
        snprintf(buf, sizeof buf, "%.*s/%s", (int)n, path, name);
        if (access(buf, X_OK) == 0)
            return 1;
        path += n + (colon ? 1 : 0);
    }
    return 0;
}

int main(void)
{
    const char *exe = getenv("CLUSTERSIM") ? getenv("CLUSTERSIM") : "bin/clustersim";
    long nc = sysconf(_SC_NPROCESSORS_ONLN);
    int ncores = nc > 0 ? (int)nc : 1;
    FILE *f = fopen(scenario_path, "w");
    if (!f)
        return 1;
    fputs("name: bench-parallel\nseed: 11\nduration: 2000000s\nwarmup: 0s\n"
          "traffic: {rate: 3.2/s, arrivals: poisson}\n"
          "services:\n  web: {replicas: 1, concurrency: 4, queue_capacity: 1000000,"
          " service_time: {dist: exponential, mean: 1s}}\n",
          f);
    fclose(f);
    mkdir(outdir, 0777);

    char jn[16], rn[16], npn[16], np1[16], rates[256];
    snprintf(jn, sizeof jn, "%d", ncores);
    snprintf(rn, sizeof rn, "%d", 2 * ncores);
    snprintf(npn, sizeof npn, "%d", ncores);
    snprintf(np1, sizeof np1, "%d", ncores + 1);
    int npoints = 2 * ncores;
    size_t off = 0;
    rates[0] = '\0';
    for (int i = 0; i < npoints && off < sizeof rates - 32; i++)
        off += (size_t)snprintf(rates + off, sizeof rates - off, "%s%.2f", i ? "," : "",
                                2.8 + 0.6 * i / (npoints > 1 ? npoints - 1 : 1));
    char vary[300];
    snprintf(vary, sizeof vary, "traffic.rate=%s", rates);
    const char *cexe = exe, *scen = scenario_path, *out = outdir;

    printf("== parallel efficiency on %d cores: M/M/4, 2,000,000 s simulated per run (median of %d)\n", ncores,
           ROUNDS);
    printf("-- clustersim run -r %d\n", 2 * ncores);
    config_t run[2] = {
        {"run -r R -j 1", {cexe, "run", scen, "-q", "-o", out, "-r", rn, "-j", "1", NULL}, {0}},
        {"run -r R -j NCORES", {cexe, "run", scen, "-q", "-o", out, "-r", rn, "-j", jn, NULL}, {0}},
    };
    if (measure(run, 2) != 0)
        return 1;
    report(run, 2, ncores);

    char mpi_exe[1024];
    const char *slash = strrchr(exe, '/');
    snprintf(mpi_exe, sizeof mpi_exe, "%.*s%sclustersim-mpi", slash ? (int)(slash - exe) : 0, exe,
             slash ? "/" : "");
    int mpi = access(mpi_exe, X_OK) == 0 && on_path("mpirun");
    printf("-- clustersim sweep of %d points (--vary %s), -r 1\n", npoints, vary);
    config_t sw[4] = {
        {"sweep -j 1", {cexe, "sweep", scen, "-q", "-o", out, "--vary", vary, "-j", "1", NULL}, {0}},
        {"sweep -j NCORES", {cexe, "sweep", scen, "-q", "-o", out, "--vary", vary, "-j", jn, NULL}, {0}},
        {"mpirun -np NCORES (NCORES-1 workers) -j 1",
         {"mpirun", "-np", npn, "--oversubscribe", mpi_exe, "sweep", scen, "-q", "-o", out, "--vary", vary, "-j",
          "1", NULL},
         {0}},
        {"mpirun -np NCORES+1 (NCORES workers) -j 1",
         {"mpirun", "-np", np1, "--oversubscribe", mpi_exe, "sweep", scen, "-q", "-o", out, "--vary", vary, "-j",
          "1", NULL},
         {0}},
    };
    if (mpi) {
        setenv("OMPI_ALLOW_RUN_AS_ROOT", "1", 0);
        setenv("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1", 0);
        setenv("OMPI_MCA_btl", "self,vader", 0); /* one machine: no network probing */
        setenv("OMPI_MCA_btl_vader_single_copy_mechanism", "none", 0);
    }
    if (measure(sw, mpi ? 4 : 2) != 0)
        return 1;
    report(sw, mpi ? 4 : 2, ncores);
    if (!mpi)
        printf("  (MPI: no %s or no mpirun; make builds it where mpicc exists)\n", mpi_exe);
    clear_outdir();
    rmdir(outdir);
    remove(scenario_path);
    return 0;
}
