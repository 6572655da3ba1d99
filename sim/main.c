/* clustersim: the command line. Only this file exits. The models add their
 * own subcommands through the catalogue (catalog_t.commands: `hpa replay`,
 * models/replay.c), which print their usage and return their status here.
 *
 * Exit codes (sim/cli.h): 0 success (or every gate passed), 1 a gate failed, 2 the input
 * or the command line is wrong, 3 an internal error. */
#define _XOPEN_SOURCE 700 /* realpath */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sim/capacity.h"
#include "sim/cli.h"
#include "sim/compare.h"
#include "sim/diag.h"
#include "sim/gate.h"
#include "sim/results.h"
#include "sim/run.h"
#include "sim/scenario.h"
#include "sim/sweep.h"
#include "sim/tune.h"
#ifdef CLUSTERSIM_MPI
#include "sim/sweep_mpi.h"
#endif

#define VERSION "0.1.0"
#define EXIT_GATE CLI_EXIT_GATE
#define EXIT_INPUT CLI_EXIT_INPUT
#define EXIT_INTERNAL CLI_EXIT_INTERNAL
#define MAX_SETS 256
#define MAX_MANIFESTS 16
#define MAX_LIMITS 256
#define MAX_VARY 32

static const char usage_main[] =
    "usage: clustersim COMMAND [ARGS]\n"
    "\n"
    "A discrete-event simulator of a Kubernetes-style platform: it runs a traffic\n"
    "scenario much faster than real time and predicts latency, errors, utilisation\n"
    "and scaling before anything is deployed.\n"
    "\n"
    "commands:\n"
    "  run SCENARIO.yaml       simulate; print a table, write summary.json, timeseries.csv,\n"
    "                          events.csv, autoscaler.csv\n"
    "  check SCENARIO.yaml     run it and judge its slo: gates: exit 0 all pass, 1 one fails; with\n"
    "                          replications on the whole 95% interval; --junit, --markdown reports\n"
    "  compare BASE.yaml [CANDIDATE.yaml] [--manifest SERVICE=HPA.yaml] [--max-regression METRIC=PCT,...]\n"
    "                          run both with the same seeds, pair replications, print each headline\n"
    "                          metric's difference and 95% interval; exit 1 when a limit is exceeded\n"
    "  sweep SCENARIO.yaml --vary PATH=V1,V2,... [--vary PATH=LO..HI:STEP]...\n"
    "                          run every point of the grid (same seeds at each point), one CSV row\n"
    "                          of headline metrics per point; interrupted sweeps continue with --resume\n"
    "  tune SCENARIO.yaml --vary PATH=V1,V2,... [--vary ...] [--objective PATH] [--budget N]\n"
    "                          the grid point that meets every slo: gate at the lowest objective\n"
    "                          (default cost.total_usd), raced with common random numbers; writes\n"
    "                          winner.yaml; exit 1 when no candidate meets the gates\n"
    "  capacity SCENARIO.yaml [--metric PATH] [--range LO..HI]\n"
    "                          the largest traffic multiple (or value of PATH) at which every slo: gate\n"
    "                          still holds, with its interval, and the bottleneck at the breaking point\n"
    "  validate SCENARIO.yaml  check a scenario without running it\n"
    "  describe                print the scenario reference (every key, unit, default, bounds)\n"
    "  hpa replay HPA.yaml --metrics METRICS.csv\n"
    "                          run an HPA manifest's algorithm alone over recorded metrics (a dry run)\n"
    "\n"
    "options: --help (also after a command), --version\n"
    "exit codes: 0 success, 1 a gate failed, 2 bad input or command line, 3 internal error\n";

static const char usage_run[] =
    "usage: clustersim run SCENARIO.yaml [options]\n"
    "\n"
    "  -o, --output DIR        where results go (default results/NAME, NAME the scenario's name);\n"
    "                          written beside DIR, then renamed to DIR whole: an earlier run's DIR\n"
    "                          is replaced only by a complete result\n"
    "      --seed N            the scenario's seed (replication i uses N + i)\n"
    "  -r, --replications R    independent runs, in parallel; adds *_ci95 half-widths (default 1)\n"
    "      --duration T        simulated time, e.g. 2h (same as --set duration=T)\n"
    "      --set PATH=VALUE    override any key, e.g. --set services.web.replicas=4 (repeatable)\n"
    "  -j, --threads N         threads for replications (default: one per core)\n"
    "  -q, --quiet             no table, no progress\n"
    "      --strict            an unknown field in a Kubernetes manifest is an error (kubectl's default)\n"
    "  -h, --help\n";

static const char usage_check[] =
    "usage: clustersim check SCENARIO.yaml [options]\n"
    "\n"
    "Runs the scenario as `run` does and judges every gate of its slo: list. With\n"
    "--replications R >= 2 a gate passes only if its whole 95% confidence interval is on\n"
    "the passing side of the threshold (--gate-on mean: the mean decides); with one\n"
    "replication there is no interval and the value decides. A gate with no sample fails.\n"
    "Prints one line per gate and \"N of M gates pass (rule: ...)\"; exit 0 when every\n"
    "gate passes, 1 when one fails, 2 on bad input (a scenario without slo: gates too).\n"
    "\n"
    "  -r, --replications R    independent runs, in parallel (default 1)\n"
    "      --gate-on RULE      ci (default): the whole 95% interval; mean: the mean\n"
    "      --junit FILE        JUnit XML, a testcase per gate (for CI test reports)\n"
    "      --markdown FILE     a Markdown table for a pull-request comment\n"
    "                          (reports are written whole, beside FILE then renamed)\n"
    "  -o, --output DIR        also keep the results, as `run -o` (default: none written)\n"
    "      --seed N            the scenario's seed (replication i uses N + i)\n"
    "      --duration T        simulated time (same as --set duration=T)\n"
    "      --set PATH=VALUE    override any key (repeatable)\n"
    "  -j, --threads N         threads for replications (default: one per core)\n"
    "  -q, --quiet             no progress, only the last line\n"
    "      --strict            an unknown field in a Kubernetes manifest is an error\n"
    "  -h, --help\n";

static const char usage_compare[] =
    "usage: clustersim compare BASE.yaml [CANDIDATE.yaml] [options]\n"
    "\n"
    "Runs the base and the candidate with the same seeds (replication k of both with seed + k,\n"
    "the candidate taking the base's seed: common random numbers), pairs replication k of one\n"
    "with replication k of the other, and prints, for every headline metric, the base and\n"
    "candidate means, the difference (candidate - base, also in % of the base) and the 95%\n"
    "interval of the paired differences (Student t; for a latency percentile widened by the\n"
    "histograms' resolution). Headline: latency_ms.p50/p95/p99, requests.error_rate,\n"
    "services.*.latency_ms.p50/p95/p99, services.*.replicas.mean/max, services.*.pod_hours,\n"
    "services.*.scale_up_response_s, regions.*.latency_ms.p50/p95/p99, cache.*.hit_ratio,\n"
    "cost.total_usd. Exit 0 when no limit is exceeded, 1 when one is, 2 on bad input.\n"
    "\n"
    "  -r, --replications R    paired runs of each, in parallel (default 1: no interval)\n"
    "      --max-regression METRIC=PCT[,METRIC=PCT]...\n"
    "                          fail (exit 1) when METRIC regresses by more than PCT % of the base:\n"
    "                          lower is better for latencies, errors, costs, pod-hours, replicas and\n"
    "                          scale-up response, higher for hit ratios (repeatable)\n"
    "      --gate-on RULE      ci (default): the interval's worse end must be within the limit;\n"
    "                          mean: the mean difference (with one replication the difference decides)\n"
    "      --manifest SERVICE=PATH\n"
    "                          the candidate is CANDIDATE (default: BASE) with SERVICE's HPA replaced\n"
    "                          by the autoscaling/v2 manifest PATH (relative to the current directory)\n"
    "      --junit FILE        JUnit XML, a testcase per metric of the table (only limited ones fail)\n"
    "      --markdown FILE     a Markdown table for a pull-request comment\n"
    "  -o, --output DIR        DIR/compare.json and DIR/compare.csv (every metric both have), and the\n"
    "                          two runs' results in DIR/base and DIR/candidate\n"
    "      --seed N            the seed of both (replication i uses N + i)\n"
    "      --duration T        simulated time of both (same as --set duration=T)\n"
    "      --set PATH=VALUE    override a key of both (repeatable)\n"
    "  -j, --threads N         threads for replications (default: one per core)\n"
    "  -q, --quiet             no table, no progress, only the last line\n"
    "      --strict            an unknown field in a Kubernetes manifest is an error\n"
    "  -h, --help\n";

static const char usage_sweep[] =
    "usage: clustersim sweep SCENARIO.yaml --vary PATH=VALUES [--vary PATH=VALUES]... [options]\n"
    "\n"
    "Runs the scenario at every point of the Cartesian grid of the --vary values (the first\n"
    "--vary varies slowest) and writes one row per point: DIR/sweep.csv and DIR/sweep.json.\n"
    "Each point's values are applied as --set applies them (units such as 500m or 30s work).\n"
    "Replication k of every point runs with seed + k (common random numbers), so the\n"
    "differences between points are not noise of different traffic. Rows: point, the varied\n"
    "values, the headline metrics (compare's list) and every slo: gate's value and pass (the\n"
    "whole 95% interval decides, as in check), each number with NAME_ci95 when R >= 2. The\n"
    "output is the same whatever -j is. Exit 0 when the sweep is complete, 2 on bad input.\n"
    "\n"
    "      --vary PATH=V1,V2,...     the values of a scenario key, e.g. services.web.replicas=1,2,4\n"
    "      --vary PATH=LO..HI:STEP   LO, LO+STEP, ... up to HI, e.g. traffic.rate=10..50:10 or\n"
    "                                services.web.service_time.mean=20ms..60ms:20ms (repeatable)\n"
    "  -r, --replications R    runs per point (default 1: no interval)\n"
    "  -j, --threads N         threads over (point, replication) jobs (default: one per core)\n"
    "  -o, --output DIR        where sweep.csv and sweep.json go (default results/sweep-NAME)\n"
    "      --resume            keep the rows an interrupted sweep of the same scenario, grid, --set,\n"
    "                          seed and replications left in DIR/sweep.csv.partial; run the rest\n"
    "      --seed N            the scenario's seed (replication i uses N + i at every point)\n"
    "      --duration T        simulated time (same as --set duration=T)\n"
    "      --set PATH=VALUE    override a key at every point (repeatable)\n"
    "  -q, --quiet             no progress, no last line\n"
    "      --strict            an unknown field in a Kubernetes manifest is an error\n"
    "  -h, --help\n"
    "\n"
    "Finished rows are appended whole to DIR/sweep.csv.partial as they complete; sweep.csv and\n"
    "sweep.json are written whole at the end (the journal is then removed). Ctrl-C or a kill\n"
    "leaves only whole rows; --resume runs the missing points and gives the same files as a\n"
    "sweep never interrupted. With MPI: mpirun -np N clustersim-mpi sweep ... hands the points\n"
    "out to ranks 1..N-1 as they ask; rank 0 journals each row as it arrives and writes the same files.\n";

static const char usage_tune[] =
    "usage: clustersim tune SCENARIO.yaml --vary PATH=VALUES [--vary PATH=VALUES]... [options]\n"
    "\n"
    "Finds the point of the --vary grid (as sweep's) that meets every slo: gate of the scenario\n"
    "at the lowest objective. Racing: every candidate gets --initial replications; a candidate\n"
    "is dropped when a gate's whole 95% interval fails, or when a candidate meeting every gate\n"
    "has a lower objective with confidence (95% interval of the paired differences: replication\n"
    "k of every candidate runs with seed + k); the survivors' replications double up to R. The\n"
    "winner is judged at R replications. Writes DIR/tune.json, tune.csv, tune.md (every\n"
    "candidate, its objective and SLO margins with intervals, the Pareto front of objective\n"
    "against the least margin) and winner.yaml (the scenario file with the winning values in\n"
    "place). Exit 0 with a winner, 1 when no candidate meets every gate, 2 on bad input.\n"
    "\n"
    "      --vary PATH=V1,V2,...     a key's values (each must be written in the scenario file)\n"
    "      --vary PATH=LO..HI:STEP   LO, LO+STEP, ... up to HI (repeatable)\n"
    "      --objective PATH    the summary.json metric to minimize (default cost.total_usd)\n"
    "      --maximize          maximize it instead\n"
    "  -r, --replications R    replications of the winner: full fidelity (default 4, at least 2)\n"
    "      --initial N         replications of every candidate in the first round (default 2)\n"
    "      --budget N          simulations at most (default: points x R, the exhaustive sweep's)\n"
    "  -o, --output DIR        where the files go (default results/tune-NAME)\n"
    "      --resume            continue the search journaled in DIR/tune.journal\n"
    "  -j, --threads N         threads over (candidate, replication) jobs (default: one per core)\n"
    "      --seed N, --duration T, --set PATH=VALUE, --strict: as for run\n"
    "  -q, --quiet             no summary\n"
    "  -h, --help\n"
    "\n"
    "Each replication's values go to DIR/tune.journal as it ends; Ctrl-C or a kill leaves whole\n"
    "lines, and --resume replays the race from them: the files equal an uninterrupted search's.\n"
    "With MPI: mpirun -np N clustersim-mpi tune ... hands each round's replications out to ranks\n"
    "1..N-1; every rank runs the same race, rank 0 journals and writes the same files.\n";

static const char usage_capacity[] =
    "usage: clustersim capacity SCENARIO.yaml [options]\n"
    "\n"
    "Finds the largest traffic multiple m (traffic.rate x m; or, with --metric PATH, the value of\n"
    "any numeric key) at which every slo: gate still holds, and the interval of the answer:\n"
    "\"holds up to X; fails by Y\". Each probe runs R replications with the same seeds at every\n"
    "value (common random numbers); it passes when every gate's whole 95% interval passes, fails\n"
    "when one gate's whole interval fails, and is given more replications (doubling, up to\n"
    "--max-replications) while it can tell neither. The search doubles the value from LO until a\n"
    "probe fails, then bisects to --tolerance; when LO fails and HI holds (a key whose growth\n"
    "helps: replicas, concurrency), it bisects for the smallest value that holds. Beside the\n"
    "answer: the gate that fails first and the components ranked by saturation at the breaking\n"
    "point (utilisation, rejections, queue growth, autoscalers at their maximum, database pool and\n"
    "servers, Redis), against the last passing probe. Prints the report; writes\n"
    "DIR/capacity.json and DIR/capacity.md. Exit 0 when the search ends, 2 on bad input (a\n"
    "scenario without slo:, an unknown key, a range that is empty or does not bracket the\n"
    "answer), 3 on an internal error.\n"
    "\n"
    "      --metric PATH       the key to search (default: the traffic multiple; traffic.rate is the same)\n"
    "      --range LO..HI      where to search (default 0.5..8 for the multiple; required with --metric;\n"
    "                          the key's units allowed, the same at both ends: 2ms..30ms)\n"
    "      --tolerance T       stop when the interval is this narrow: a number in the key's unit, or\n"
    "                          a percentage of the answer (default 2%)\n"
    "  -r, --replications R    per probe, at least 2 (default 5)\n"
    "      --max-replications N  an unsure probe's cap (default 4 R)\n"
    "      --max-probes N      at most N probes (default 30)\n"
    "  -o, --output DIR        where capacity.json, capacity.md and the journal go\n"
    "                          (default results/capacity-NAME)\n"
    "      --resume            continue an interrupted search from DIR/capacity.journal\n"
    "      --seed N            the scenario's seed (replication i uses N + i at every probe)\n"
    "      --duration T        simulated time (same as --set duration=T)\n"
    "      --set PATH=VALUE    override a key at every probe (repeatable)\n"
    "  -j, --threads N         threads for a probe's replications (default: one per core)\n"
    "  -q, --quiet             no progress, no report (the files only)\n"
    "      --strict            an unknown field in a Kubernetes manifest is an error\n"
    "  -h, --help\n"
    "\n"
    "With MPI: mpirun -np N clustersim-mpi capacity ... splits each probe's replications over the\n"
    "N ranks (the same files as one process); rank 0 writes the journal and the files.\n";

static const char usage_validate[] =
    "usage: clustersim validate SCENARIO.yaml [--set PATH=VALUE]... [--strict]\n"
    "\n"
    "Checks the scenario as `run` would, prints `SCENARIO: ok` or every error as\n"
    "file:line:col: message, and exits 0 or 2. Warnings (unknown fields in a\n"
    "Kubernetes manifest) do not fail it unless --strict makes them errors.\n";

static const char usage_describe[] =
    "usage: clustersim describe\n"
    "\n"
    "Prints the scenario reference in Markdown: every key with its type, unit,\n"
    "default and bounds, the load balancers and the distributions.\n";


/* The signal that asked a run to stop (SIGINT, SIGTERM), or 0. The handler
 * only stores it: run_scenario polls it, removes its temporary directory and
 * returns, and cmd_run then re-raises the signal, so the exit status is the
 * signal's (130, 143 in a shell). The one mutable global, as signals need. */
static atomic_int stop_signal;
_Static_assert(ATOMIC_INT_LOCK_FREE == 2, "the signal handler needs a lock-free atomic int");

static void on_stop_signal(int sig) { atomic_store(&stop_signal, sig); }

/* Installs on_stop_signal for SIGINT and SIGTERM, except where the signal was
 * ignored when we started (nohup, a background job of a shell without job
 * control): that choice of the caller stays. */
static void catch_stop_signals(void)
{
    static const int sigs[] = {SIGINT, SIGTERM};
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
        struct sigaction old, sa;
        if (sigaction(sigs[i], NULL, &old) != 0 || old.sa_handler == SIG_IGN)
            continue;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = on_stop_signal;
        sigemptyset(&sa.sa_mask);
        sa.sa_flags = SA_RESTART;
        sigaction(sigs[i], &sa, NULL);
    }
}

/* path made absolute and real as far as it exists: the real path of its
 * longest existing prefix, then the rest of its components as written
 * (malloc'd; NULL when out of memory). */
static char *resolved(const char *path)
{
    char *whole = realpath(path, NULL);
    if (whole)
        return whole;
    char *copy = strdup(*path ? path : ".");
    if (!copy)
        return NULL;
    size_t n = strlen(copy);
    while (n > 1 && copy[n - 1] == '/')
        copy[--n] = '\0';
    char *slash = strrchr(copy, '/'), *out = NULL;
    const char *last = slash ? slash + 1 : copy;
    char *parent = slash ? (slash == copy ? strdup("/") : strndup(copy, (size_t)(slash - copy))) : strdup(".");
    char *rp = parent ? resolved(parent) : NULL;
    if (rp && (strcmp(last, ".") == 0 || strcmp(last, "..") == 0)) {
        /* (a component of a part that does not exist: taken as text) */
        char *up = strrchr(rp, '/');
        if (last[1] == '.' && up)
            up == rp ? (void)(rp[1] = '\0') : (void)(*up = '\0');
        out = rp;
        rp = NULL;
    } else if (rp) {
        size_t m = strlen(rp);
        out = malloc(m + strlen(last) + 2);
        if (out)
            snprintf(out, m + strlen(last) + 2, "%s%s%s", rp, rp[m - 1] == '/' ? "" : "/", last);
    }
    free(rp);
    free(parent);
    free(copy);
    return out;
}

/* Whether path is directory dir or names something inside it, as far as
 * their existing parts' real paths and the rest of their text tell. */
static bool path_inside(const char *path, const char *dir)
{
    char *rp = resolved(path), *rd = resolved(dir);
    bool in = false;
    if (rp && rd) {
        size_t n = strlen(rd);
        in = strncmp(rp, rd, n) == 0 && (rp[n] == '\0' || rp[n] == '/' || (n == 1 && rd[0] == '/'));
    }
    free(rp);
    free(rd);
    return in;
}

/* A result directory being written (compare's -o): removed if a stop
 * signal ends the process first, so that nothing half-written is left. */
static run_dir_t *pending_dir;

/* Ends the process by the signal that stopped the run (its default action). */
static int die_by_stop_signal(void)
{
    int sig = atomic_load(&stop_signal);
    run_dir_abort(pending_dir);
    pending_dir = NULL;
    fflush(stdout);
    signal(sig, SIG_DFL);
    raise(sig);
    return 128 + sig; /* not reached unless the signal is blocked */
}

/* A command stopped by the signal: says so, as cmd, with what stopped (err),
 * and ends the process; replications may still be running, so nothing is
 * freed. */
static int stopped(const char *cmd, const char *err)
{
    fprintf(stderr, "clustersim %s: %s: %s\n", cmd, strsignal(atomic_load(&stop_signal)), err);
    return die_by_stop_signal();
}

/* A command's last word: the stop signal's end when one came, else rc. */
static int finish(int rc) { return atomic_load(&stop_signal) ? die_by_stop_signal() : rc; }

/* Says that memory ran out, as cmd; the exit code. */
static int out_of_memory(const char *cmd)
{
    fprintf(stderr, "clustersim %s: out of memory\n", cmd);
    return EXIT_INTERNAL;
}

/* a then b, in memory of the exact size (NULL when out of memory). */
static char *concat(const char *a, const char *b)
{
    size_t na = strlen(a), nb = strlen(b);
    char *s = malloc(na + nb + 1);
    if (s) {
        memcpy(s, a, na);
        memcpy(s + na, b, nb + 1);
    }
    return s;
}


/* --seed and --duration (seed, duration: NULL when not given) as overrides
 * after sets[0..*nsets) (room for two more), labelled in labels[]; they are
 * built at their exact size (malloc'd in *seedset and *durset, which the
 * caller frees in every case), so the whole value reaches the loader, and
 * checked the way --set is. 0, or EXIT_INTERNAL (said). */
static int seed_duration_sets(const char *cmd, const char *seed, const char *duration, const char **sets,
                              const char **labels, size_t *nsets, char **seedset, char **durset)
{
    *seedset = seed ? concat("seed=", seed) : NULL;
    *durset = duration ? concat("duration=", duration) : NULL;
    if ((seed && !*seedset) || (duration && !*durset))
        return out_of_memory(cmd);
    if (*seedset) {
        labels[*nsets] = "--seed";
        sets[(*nsets)++] = *seedset;
    }
    if (*durset) {
        labels[*nsets] = "--duration";
        sets[(*nsets)++] = *durset;
    }
    return 0;
}

/* Loads path with the --set overrides (sets[0..nsets), room for two more)
 * and --seed and --duration (seed_duration_sets). Prints the diagnostics;
 * NULL with the exit code in *rc. */
static scenario_t *load_scenario(const char *cmd, const char *path, const char **sets, const char **labels,
                                 size_t nsets, const char *seed, const char *duration, bool strict, int *rc)
{
    char *seedset, *durset;
    scenario_t *sc = NULL;
    int src = seed_duration_sets(cmd, seed, duration, sets, labels, &nsets, &seedset, &durset);
    if (src == 0) {
        diag_t d;
        diag_init(&d);
        scenario_opts_t so = {labels, strict};
        sc = scenario_load_opts(path, sets, nsets, &so, &d);
        diag_print(&d, stderr);
        if (!sc)
            src = diag_exit_code(&d);
    }
    free(seedset);
    free(durset);
    if (!sc)
        *rc = src;
    return sc;
}

/* Runs sc with o into *res (run_result_free it in every case), saying what
 * went wrong as cmd: 0, or the exit code; a stop ends the process. */
static int run_checked(const char *cmd, const scenario_t *sc, const run_opts_t *o, run_result_t *res)
{
    char err[8192];
    switch (run_scenario(sc, o, res, err, sizeof err)) {
    case RUN_OK: return 0;
    case RUN_BAD_OUTPUT: fprintf(stderr, "clustersim %s: %s\n", cmd, err); return EXIT_INPUT;
    case RUN_STOPPED: return stopped(cmd, err);
    default: fprintf(stderr, "clustersim %s: %s\n", cmd, err); return EXIT_INTERNAL;
    }
}

/* ---- the options run, check, compare and sweep share ---------------------------- */

/* Their values; each command has its own options beside them. */
typedef struct common_opts {
    const char *sets[MAX_SETS + 2]; /* --set (room for sweep's --seed and --duration as sets) */
    const char *labels[MAX_SETS + 2]; /* the option each of sets[] came from (NULL: --set) */
    size_t nsets;
    char *seedset, *durset, *defdir; /* owned: --seed and --duration as sets, -o's default */
    const char *outdir, *seed, *duration;
    long reps, threads; /* --replications (default 1), --threads (0: one per core) */
    int quiet, strict;
} common_opts_t;

#define COMMON_INIT {.reps = 1}
#define COMMON_SHORT ":o:r:j:qh"
#define COMMON_LONG                                                                                      \
    {"output", required_argument, 0, 'o'}, {"seed", required_argument, 0, 'S'},                         \
        {"replications", required_argument, 0, 'r'}, {"duration", required_argument, 0, 'D'},           \
        {"set", required_argument, 0, 's'}, {"threads", required_argument, 0, 'j'},                      \
        {"quiet", no_argument, 0, 'q'}, {"strict", no_argument, 0, 'T'}, {"help", no_argument, 0, 'h'}

/* getopt_long's answer c (its argument in optarg) when it is a shared
 * option or a missing value: 0 once taken, or the exit code of a usage
 * error; -1 when c is none of them. */
static int common_option(const char *cmd, int c, char **argv, common_opts_t *o)
{
    switch (c) {
    case 'o': o->outdir = optarg; return 0;
    case 'S': o->seed = optarg; return 0;
    case 'D': o->duration = optarg; return 0;
    case 'r':
        if (cli_parse_count(optarg, 1, 10000, &o->reps) != 0)
            return cli_usage_error(cmd, "--replications: expected an integer from 1 to 10000, got", optarg);
        return 0;
    case 'j':
        if (cli_parse_count(optarg, 1, 1024, &o->threads) != 0)
            return cli_usage_error(cmd, "--threads: expected an integer from 1 to 1024, got", optarg);
        return 0;
    case 's':
        if (o->nsets == MAX_SETS)
            return cli_usage_error(cmd, "too many --set options", NULL);
        o->sets[o->nsets++] = optarg;
        return 0;
    case 'q': o->quiet = 1; return 0;
    case 'T': o->strict = 1; return 0;
    case ':': return cli_usage_error(cmd, "missing value for", argv[optind - 1]);
    default: return -1;
    }
}

/* An option that is not the command's own: a shared one, or unknown. 0 once
 * taken, else the exit code of a usage error. */
static int other_option(const char *cmd, int c, char **argv, common_opts_t *o)
{
    int rc = common_option(cmd, c, argv, o);
    return rc >= 0 ? rc : cli_usage_error(cmd, "unknown option", argv[optind - 1]);
}

/* A command of one SCENARIO.yaml: 0, or the exit code of a usage error. */
static int one_scenario(const char *cmd, int argc, char **argv)
{
    if (optind == argc - 1)
        return 0;
    return cli_usage_error(cmd, optind >= argc ? "missing SCENARIO.yaml" : "one scenario at a time; extra:",
                       optind >= argc ? NULL : argv[optind + 1]);
}

/* -o given empty: the exit code of a usage error; else 0. */
static int outdir_given_empty(const char *cmd, const common_opts_t *o)
{
    return o->outdir && !*o->outdir ? cli_usage_error(cmd, "-o: the output directory name is empty", NULL) : 0;
}

/* -o when it was not given: prefix then name (the loader allows only names
 * that are one plain path component), owned by co. 0, or EXIT_INTERNAL
 * (said). */
static int default_outdir(const char *cmd, common_opts_t *co, const char *prefix, const char *name)
{
    return co->outdir || (co->outdir = co->defdir = concat(prefix, name)) ? 0 : out_of_memory(cmd);
}

/* --seed and --duration as sets after the --set ones (sweep, tune and
 * capacity load the scenario themselves), owned by co. 0, or EXIT_INTERNAL
 * (said). */
static int common_seed_duration(const char *cmd, common_opts_t *co)
{
    return seed_duration_sets(cmd, co->seed, co->duration, co->sets, co->labels, &co->nsets, &co->seedset,
                              &co->durset);
}

/* The scenario of a command with the shared options (load_scenario). */
static scenario_t *common_load(const char *cmd, const char *path, common_opts_t *co, int *rc)
{
    return load_scenario(cmd, path, co->sets, co->labels, co->nsets, co->seed, co->duration, co->strict, rc);
}

/* Frees what co owns. */
static void common_free(common_opts_t *co)
{
    free(co->seedset);
    free(co->durset);
    free(co->defdir);
}

/* --gate-on ci|mean (check, compare): 0, or the exit code of a usage error. */
static int gate_on_arg(const char *cmd, const char *arg, gate_rule_t *rule)
{
    if (!strcmp(arg, "ci"))
        *rule = GATE_ON_CI;
    else if (!strcmp(arg, "mean"))
        *rule = GATE_ON_MEAN;
    else
        return cli_usage_error(cmd, "--gate-on: expected ci or mean, got", arg);
    return 0;
}

static int cmd_run(int argc, char **argv)
{
    static const struct option opts[] = {
        COMMON_LONG, {0, 0, 0, 0}};
    common_opts_t co = COMMON_INIT;
    int rc = 0, c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, COMMON_SHORT, opts, NULL)) != -1) {
        switch (c) {
        case 'h': fputs(usage_run, stdout); return 0;
        default:
            if ((rc = other_option("run", c, argv, &co)) != 0)
                return rc;
            break;
        }
    }
    if ((rc = one_scenario("run", argc, argv)) != 0)
        return rc;
    if ((rc = outdir_given_empty("run", &co)) != 0)
        return rc;
    scenario_t *sc =
        common_load("run", argv[optind], &co, &rc);
    if (!sc)
        return rc;
    if ((rc = default_outdir("run", &co, "results/", sc->name)) != 0) {
        scenario_free(sc);
        return rc;
    }
    catch_stop_signals();
    run_opts_t o = {co.outdir, (int)co.reps, (int)co.threads, !co.quiet && isatty(STDERR_FILENO), &stop_signal};
    run_result_t res;
    rc = run_checked("run", sc, &o, &res);
    /* after a stop the results are whole; the signal still ends the process */
    if (rc == 0 && !atomic_load(&stop_signal) && !co.quiet) {
        results_print_table(stdout, sc, &res);
        printf("\nresults: %s/summary.json, timeseries.csv, events.csv, autoscaler.csv\n", co.outdir);
    }
    run_result_free(&res);
    scenario_free(sc);
    common_free(&co);
    return finish(rc);
}

/* Says that replications of what stopped at the limit of requests in
 * flight, and what that means for its gates. */
static void overload_note(const char *cmd, const char *what, const run_result_t *res)
{
    fprintf(stderr,
            "clustersim %s: %s: %d of %d replications reached clustersim's limit of requests in flight (the load "
            "outgrows what the platform serves): they have no results, and every gate or limit fails (the others "
            "alone would leave out the worst)\n",
            cmd, what, res->summary.overloaded, res->replications);
}

static int cmd_check(int argc, char **argv)
{
    static const struct option opts[] = {
        COMMON_LONG,
        {"junit", required_argument, 0, 'J'},
        {"markdown", required_argument, 0, 'M'}, {"gate-on", required_argument, 0, 'G'}, {0, 0, 0, 0}};
    common_opts_t co = COMMON_INIT;
    const char *junit = NULL, *markdown = NULL;
    int rc = 0, c;
    gate_rule_t rule = GATE_ON_CI;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, COMMON_SHORT, opts, NULL)) != -1) {
        switch (c) {
        case 'J': junit = optarg; break;
        case 'M': markdown = optarg; break;
        case 'G':
            if ((rc = gate_on_arg("check", optarg, &rule)) != 0)
                return rc;
            break;
        case 'h': fputs(usage_check, stdout); return 0;
        default:
            if ((rc = other_option("check", c, argv, &co)) != 0)
                return rc;
            break;
        }
    }
    if ((rc = one_scenario("check", argc, argv)) != 0)
        return rc;
    if ((rc = outdir_given_empty("check", &co)) != 0)
        return rc;
    if (junit && markdown && !strcmp(junit, markdown))
        return cli_usage_error("check", "--junit and --markdown name the same file:", junit);
    scenario_t *sc =
        common_load("check", argv[optind], &co, &rc);
    if (!sc)
        return rc;
    char err[8192];
    if (sc->nslo == 0) {
        fprintf(stderr, "clustersim check: %s: the scenario has no `slo:` gates, so there is nothing to check (add "
                        "a list such as `slo: [{name: p99, metric: latency_ms.p99, op: \"<\", threshold: 200}]`; "
                        "see scenarios/README.md)\n",
                argv[optind]);
        scenario_free(sc);
        return EXIT_INPUT;
    }
    /* the reports' places are checked before anything runs */
    const char *reports[2] = {junit, markdown};
    for (int i = 0; i < 2; i++)
        if (reports[i] && gate_check_output(reports[i], err, sizeof err) != 0) {
            fprintf(stderr, "clustersim check: %s %s\n", i ? "--markdown:" : "--junit:", err);
            scenario_free(sc);
            return EXIT_INPUT;
        }
    catch_stop_signals();
    run_opts_t o = {co.outdir, (int)co.reps, (int)co.threads, !co.quiet && isatty(STDERR_FILENO), &stop_signal,
                    true};
    run_result_t res;
    gate_report_t rep = {0};
    rc = run_checked("check", sc, &o, &res);
    if (rc == 0 && res.summary.overloaded)
        overload_note("check", sc->file, &res);
    if (rc == 0 && !atomic_load(&stop_signal) && gate_evaluate(sc, &res, rule, &rep) != 0) {
        rc = out_of_memory("check");
    } else if (rc == 0 && !atomic_load(&stop_signal)) {
        gate_print(stdout, &rep, co.quiet);
        if (co.outdir && !co.quiet)
            printf("results: %s/summary.json, timeseries.csv, events.csv, autoscaler.csv\n", co.outdir);
        fflush(stdout);
        rc = rep.passed == rep.n ? 0 : EXIT_GATE;
        if (junit && !atomic_load(&stop_signal) && gate_write_junit(junit, &rep, err, sizeof err) != 0) {
            fprintf(stderr, "clustersim check: --junit: %s\n", err);
            rc = EXIT_INTERNAL;
        }
        if (markdown && !atomic_load(&stop_signal) && gate_write_markdown(markdown, &rep, err, sizeof err) != 0) {
            fprintf(stderr, "clustersim check: --markdown: %s\n", err);
            rc = EXIT_INTERNAL;
        }
    }
    gate_report_free(&rep);
    run_result_free(&res);
    scenario_free(sc);
    return finish(rc);
}

static int cmd_compare(int argc, char **argv)
{
    static const struct option opts[] = {
        COMMON_LONG,
        {"junit", required_argument, 0, 'J'},
        {"markdown", required_argument, 0, 'M'}, {"gate-on", required_argument, 0, 'G'},
        {"max-regression", required_argument, 0, 'X'}, {"manifest", required_argument, 0, 'F'},
        {0, 0, 0, 0}};
    common_opts_t co = COMMON_INIT;
    const char *csets[MAX_SETS + MAX_MANIFESTS + 2], *clabels[MAX_SETS + MAX_MANIFESTS + 2] = {0};
    const char *manifests[MAX_MANIFESTS];
    compare_limit_t limits[MAX_LIMITS];
    size_t nmanifests = 0, nlimits = 0;
    const char *junit = NULL, *markdown = NULL;
    int rc = 0, c, nlimit_opts = 0;
    gate_rule_t rule = GATE_ON_CI;
    char err[8192];
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, COMMON_SHORT, opts, NULL)) != -1) {
        switch (c) {
        case 'J': junit = optarg; break;
        case 'M': markdown = optarg; break;
        case 'G':
            if ((rc = gate_on_arg("compare", optarg, &rule)) != 0)
                return rc;
            break;
        case 'X':
            if (compare_parse_limits(optarg, ++nlimit_opts, limits, MAX_LIMITS, &nlimits, err, sizeof err) != 0) {
                fprintf(stderr, "%s\n", err);
                return EXIT_INPUT;
            }
            break;
        case 'F':
            if (nmanifests == MAX_MANIFESTS)
                return cli_usage_error("compare", "too many --manifest options", NULL);
            if (!strchr(optarg, '=') || optarg[0] == '=' || strchr(optarg, '=')[1] == '\0')
                return cli_usage_error("compare", "--manifest: expected SERVICE=PATH (e.g. api=new-hpa.yaml), got",
                                   optarg);
            manifests[nmanifests++] = optarg;
            break;
        case 'h': fputs(usage_compare, stdout); return 0;
        default:
            if ((rc = other_option("compare", c, argv, &co)) != 0)
                return rc;
            break;
        }
    }
    int nfiles = argc - optind;
    if (nfiles < 1)
        return cli_usage_error("compare", "missing BASE.yaml", NULL);
    if (nfiles > 2)
        return cli_usage_error("compare", "two scenarios at most (BASE and CANDIDATE); extra:", argv[optind + 2]);
    if (nfiles == 1 && nmanifests == 0)
        return cli_usage_error("compare", "missing CANDIDATE.yaml (it may be left out only with --manifest "
                                      "SERVICE=PATH, the candidate then being BASE with that manifest)", NULL);
    const char *base_file = argv[optind], *cand_file = nfiles == 2 ? argv[optind + 1] : base_file;
    if ((rc = outdir_given_empty("compare", &co)) != 0)
        return rc;
    if (junit && markdown && !strcmp(junit, markdown))
        return cli_usage_error("compare", "--junit and --markdown name the same file:", junit);
    memcpy(csets, co.sets, co.nsets * sizeof *co.sets);

    scenario_t *base = NULL, *cand = NULL, *cand0 = NULL;
    char *manifest_sets[MAX_MANIFESTS] = {0};
    char *base_out = NULL, *cand_out = NULL, *json = NULL, *csv = NULL, *cand_label = NULL;
    metrics_t bpaths, cpaths;
    run_result_t bres, cres;
    compare_report_t rep = {0};
    bool ran_base = false, ran_cand = false;
    run_dir_t *cdir = NULL;
    metrics_init(&bpaths);
    metrics_init(&cpaths);

    base = common_load("compare", base_file, &co, &rc);
    if (!base)
        goto done;
    /* the candidate runs with the base's seed: the same traffic */
    char seedbuf[24];
    snprintf(seedbuf, sizeof seedbuf, "%" PRIu64, base->seed);
    size_t ncsets = co.nsets;
    if (nmanifests) {
        /* the scenario the manifests go into: CANDIDATE, or BASE */
        const scenario_t *into = base;
        if (nfiles == 2) {
            memcpy(clabels, co.labels, sizeof clabels[0] * co.nsets);
            cand0 = load_scenario("compare", cand_file, csets, clabels, co.nsets, seedbuf, co.duration, co.strict, &rc);
            if (!cand0)
                goto done;
            into = cand0;
        }
        size_t lablen = strlen(cand_file) + 32;
        for (size_t i = 0; i < nmanifests; i++)
            lablen += strlen(manifests[i]) + 2;
        cand_label = malloc(lablen);
        if (!cand_label) {
            rc = out_of_memory("compare");
            goto done;
        }
        size_t k = (size_t)snprintf(cand_label, lablen, "%s with --manifest", nfiles == 2 ? cand_file : "the base");
        for (size_t i = 0; i < nmanifests; i++) {
            k += (size_t)snprintf(cand_label + k, lablen - k, "%s%s", i ? ", " : " ", manifests[i]);
            const char *eq = strchr(manifests[i], '=');
            char svc[128];
            snprintf(svc, sizeof svc, "%.*s", (int)(eq - manifests[i]), manifests[i]);
            int mr = model_catalog.manifest_override(into, svc, eq + 1, &manifest_sets[i], err, sizeof err);
            if (mr != 0) {
                if (mr == -2)
                    out_of_memory("compare");
                else
                    fprintf(stderr, "--manifest:1:%d: %s\n", mr == -1 && !strncmp(err, "no service", 10) ? 1
                                                            : (int)(eq - manifests[i]) + 2, err);
                rc = mr == -2 ? EXIT_INTERNAL : EXIT_INPUT;
                goto done;
            }
            clabels[ncsets] = "--manifest";
            csets[ncsets++] = manifest_sets[i];
        }
    }
    for (size_t i = 0; i < co.nsets; i++)
        clabels[i] = co.labels[i];
    cand = load_scenario("compare", cand_file, csets, clabels, ncsets, seedbuf, co.duration, co.strict, &rc);
    if (!cand)
        goto done;

    /* every limit names a path both write, with a direction */
    if (nlimits) {
        if (scenario_metric_paths(base, &bpaths) != 0 || scenario_metric_paths(cand, &cpaths) != 0) {
            rc = out_of_memory("compare");
            goto done;
        }
        for (size_t i = 0; i < nlimits; i++) {
            for (size_t j = 0; j < i; j++)
                if (!strcmp(limits[j].metric, limits[i].metric)) {
                    fprintf(stderr, "--max-regression[%d]:1:%d: '%s' has a limit already (--max-regression[%d]:1:%d)\n",
                            limits[i].option, limits[i].col, limits[i].metric, limits[j].option, limits[j].col);
                    rc = EXIT_INPUT;
                    goto done;
                }
            if (compare_check_limit(&limits[i], &bpaths, &cpaths, base_file, err, sizeof err) != 0) {
                fprintf(stderr, "%s\n", err);
                rc = EXIT_INPUT;
                goto done;
            }
        }
    }
    /* the reports' places are checked before anything runs; -o is one
     * transaction (sim/run.h): both runs and the reports are written into
     * a directory beside it, which replaces it whole at the end */
    const char *reports[4] = {junit, markdown, NULL, NULL};
    static const char *const report_opt[4] = {"--junit:", "--markdown:", "-o:", "-o:"};
    for (int i = 0; i < 2; i++)
        if (reports[i] && co.outdir && path_inside(reports[i], co.outdir)) {
            fprintf(stderr,
                    "clustersim compare: %s '%s' is inside -o '%s', which compare replaces whole (an earlier "
                    "compare's results, nothing else): write the report beside it\n",
                    report_opt[i], reports[i], co.outdir);
            rc = EXIT_INPUT;
            goto done;
        }
    for (int i = 0; i < 2; i++)
        if (reports[i] && gate_check_output(reports[i], err, sizeof err) != 0) {
            fprintf(stderr, "clustersim compare: %s %s\n", report_opt[i], err);
            rc = EXIT_INPUT;
            goto done;
        }
    catch_stop_signals(); /* before -o's temporary directory: a stop removes it */
    if (co.outdir) {
        int orc = run_dir_open(&cdir, co.outdir, RUN_DIR_COMPARE, (int)co.reps, err, sizeof err);
        if (orc != RUN_OK) {
            fprintf(stderr, "clustersim compare: -o: %s\n", err);
            rc = orc == RUN_BAD_OUTPUT ? EXIT_INPUT : EXIT_INTERNAL;
            goto done;
        }
        pending_dir = cdir;
        const char *t = run_dir_path(cdir);
        base_out = concat(t, "/base");
        cand_out = concat(t, "/candidate");
        json = concat(t, "/compare.json");
        csv = concat(t, "/compare.csv");
        if (!base_out || !cand_out || !json || !csv) {
            rc = out_of_memory("compare");
            goto done;
        }
        reports[2] = json;
        reports[3] = csv;
    }

    run_opts_t o = {base_out, (int)co.reps, (int)co.threads, !co.quiet && isatty(STDERR_FILENO), &stop_signal,
                    true};
    rc = run_checked("compare", base, &o, &bres);
    ran_base = true;
    if (rc || atomic_load(&stop_signal))
        goto done;
    if (bres.summary.overloaded)
        overload_note("compare", base_file, &bres);
    o.outdir = cand_out;
    rc = run_checked("compare", cand, &o, &cres);
    ran_cand = true;
    if (rc || atomic_load(&stop_signal))
        goto done;
    if (cres.summary.overloaded)
        overload_note("compare", cand_label ? cand_label : cand_file, &cres);
    if (compare_evaluate(&bres, &cres, limits, nlimits, rule, &rep) != 0) {
        rc = out_of_memory("compare");
        goto done;
    }
    rep.base_label = base_file;
    rep.cand_label = cand_label ? cand_label : cand_file;
    rep.seed = base->seed;
    compare_print(stdout, &rep, co.quiet);
    fflush(stdout);
    rc = rep.passed == rep.nlimited ? 0 : EXIT_GATE;
    int (*const writers[4])(const char *, const compare_report_t *, char *, size_t) = {
        compare_write_junit, compare_write_markdown, compare_write_json, compare_write_csv};
    bool written = true; /* -o's reports */
    for (int i = 0; i < 4; i++)
        if (reports[i] && !atomic_load(&stop_signal) && writers[i](reports[i], &rep, err, sizeof err) != 0) {
            fprintf(stderr, "clustersim compare: %s %s\n", report_opt[i], err);
            rc = EXIT_INTERNAL;
            written = written && i < 2;
        }
    if (cdir && written && !atomic_load(&stop_signal)) {
        run_dir_t *d = cdir;
        cdir = NULL;
        pending_dir = NULL;
        if (run_dir_commit(d, err, sizeof err) != RUN_OK) {
            fprintf(stderr, "clustersim compare: -o: %s\n", err);
            rc = EXIT_INTERNAL;
        } else if (!co.quiet) {
            printf("results: %s/compare.json, compare.csv; the runs in %s/base and %s/candidate\n", co.outdir,
                   co.outdir, co.outdir);
        }
    }

done:
    if (cdir) { /* not committed: nothing of this run is left */
        if (rc == EXIT_INTERNAL)
            fprintf(stderr, "clustersim compare: -o: %s\n",
                    run_dir_replaces(cdir) ? "the output directory keeps the earlier results"
                                           : "no result was written (the output directory was not created)");
        pending_dir = NULL;
        run_dir_abort(cdir);
    }
    compare_report_free(&rep);
    if (ran_base)
        run_result_free(&bres);
    if (ran_cand)
        run_result_free(&cres);
    metrics_free(&bpaths);
    metrics_free(&cpaths);
    for (size_t i = 0; i < nmanifests; i++)
        free(manifest_sets[i]);
    free(base_out);
    free(cand_out);
    free(json);
    free(csv);
    free(cand_label);
    scenario_free(cand0);
    scenario_free(cand);
    scenario_free(base);
    return finish(rc);
}

/* ---- what sweep and tune share ------------------------------------------------------ */

/* A --vary value: 0, or the exit code of a usage error. */
static int vary_option(const char *cmd, const char **varies, size_t *nvary)
{
    if (*nvary == MAX_VARY)
        return cli_usage_error(cmd, "too many --vary options", NULL);
    varies[(*nvary)++] = optarg;
    return 0;
}

/* The grid of the --vary values; 0, or the exit code (the message printed
 * when speak). */
static int make_grid(const char *cmd, const char *const *varies, size_t nvary, sweep_grid_t *grid, bool speak)
{
    char err[8192];
    for (size_t i = 0; i < nvary; i++) {
        int gr = sweep_grid_add(grid, varies[i], (int)i + 1, err, sizeof err);
        if (gr != 0) {
            if (speak && gr == -2)
                out_of_memory(cmd);
            else if (speak)
                fprintf(stderr, "%s\n", err);
            return gr == -2 ? EXIT_INTERNAL : EXIT_INPUT;
        }
    }
    return 0;
}

/* The checks after a grid command's options (sweep, tune): one scenario,
 * a --vary, -o not empty. 0, or the exit code of a usage error. */
static int grid_args(const char *cmd, int argc, char **argv, size_t nvary, const common_opts_t *co, const char *none)
{
    int rc = one_scenario(cmd, argc, argv);
    if (rc == 0 && nvary == 0)
        rc = cli_usage_error(cmd, none, NULL);
    return rc ? rc : outdir_given_empty(cmd, co);
}

#ifdef CLUSTERSIM_MPI
/* Under mpirun every rank reads the same command line, so an error in it
 * would be printed once per rank: before MPI starts (ranks_start), ranks
 * other than 0 write their stderr to /dev/null. The rank comes from the
 * launcher's environment (Open MPI, PMIx, MPICH's PMI), as MPI_Init would
 * read it. */
static int saved_stderr = -1;

static void mute_other_ranks(void)
{
    const char *r = getenv("OMPI_COMM_WORLD_RANK");
    if (!r)
        r = getenv("PMIX_RANK");
    if (!r)
        r = getenv("PMI_RANK");
    if (!r || atoi(r) <= 0 || saved_stderr >= 0)
        return;
    int null = open("/dev/null", O_WRONLY);
    if (null < 0)
        return;
    fflush(stderr);
    saved_stderr = dup(2);
    if (saved_stderr >= 0)
        dup2(null, 2);
    close(null);
}

static void unmute(void)
{
    if (saved_stderr < 0)
        return;
    fflush(stderr);
    dup2(saved_stderr, 2);
    close(saved_stderr);
    saved_stderr = -1;
}
/* The exit code of a rank that stopped before MPI started (an error in the
 * options): a muted rank exits 0, so that mpirun does not abort the job,
 * rank 0 with it, before rank 0 has said what is wrong; rank 0 exits with
 * the code, and mpirun with it. */
static int pre_mpi_rc(int rc) { return saved_stderr >= 0 ? 0 : rc; }
#else
static void mute_other_ranks(void) {}
static int pre_mpi_rc(int rc) { return rc; }
#endif

/* The start of a command that runs under mpirun too (sweep, tune,
 * capacity): this process's rank of nranks (0 of 1 without MPI). Rank 0
 * speaks for all; the others are quiet, their messages would repeat it.
 * 0, or EXIT_INTERNAL (said). */
static int ranks_start(const char *cmd, common_opts_t *co, int *rank, int *nranks)
{
    *rank = 0;
    *nranks = 1;
#ifdef CLUSTERSIM_MPI
    unmute();
    if (sweep_mpi_init(rank, nranks) != 0) {
        fprintf(stderr, "clustersim %s: MPI could not start\n", cmd);
        return EXIT_INTERNAL;
    }
    if (*rank != 0)
        co->quiet = 1;
#else
    (void)cmd;
    (void)co;
#endif
    return 0;
}

/* The last word of such a command: finish(rc), ending MPI with it. */
static int ranks_end(int rc)
{
    rc = finish(rc);
#ifdef CLUSTERSIM_MPI
    rc = sweep_mpi_end(rc);
#endif
    return rc;
}

/* The exit code of a sweep_*, tune_* or capacity_* failure. */
static int fail_code(int rc) { return rc == SWEEP_BAD_INPUT ? EXIT_INPUT : EXIT_INTERNAL; }
_Static_assert((int)TUNE_BAD_INPUT == (int)SWEEP_BAD_INPUT && (int)CAPACITY_BAD_INPUT == (int)SWEEP_BAD_INPUT &&
                   (int)TUNE_FAILED == (int)SWEEP_FAILED && (int)CAPACITY_FAILED == (int)SWEEP_FAILED,
               "fail_code reads every search's codes");

/* Makes a command's object with make(opts, d, err, errlen, &rc) (sweep_new,
 * tune_new, capacity_new), rank 0 printing the diagnostics. NULL with
 * make's code in *rc, or EXIT_INTERNAL (said) when memory ran out first. */
static void *new_with_diag(const char *cmd, int rank, void *(*make)(const void *, diag_t *, char *, size_t, int *),
                           const void *opts, char *err, size_t errlen, int *rc)
{
    diag_t *d = calloc(1, sizeof *d);
    if (!d) {
        *rc = out_of_memory(cmd);
        return NULL;
    }
    diag_init(d);
    void *obj = make(opts, d, err, errlen, rc);
    if (rank == 0)
        diag_print(d, stderr);
    free(d);
    return obj;
}

/* Makes a grid command's object (sweep, tune) with new_with_diag and sets
 * the default output directory results/PREFIX-NAME when -o was not given.
 * NULL with the exit code in *rc. */
static void *grid_new(const char *cmd, int rank, void *(*make)(const void *, diag_t *, char *, size_t, int *),
                      const void *opts, const char *(*name)(const void *), const char *prefix, common_opts_t *co,
                      int *rc)
{
    int nrc;
    void *obj = new_with_diag(cmd, rank, make, opts, NULL, 0, &nrc);
    if (!obj && nrc == EXIT_INTERNAL) {
        *rc = nrc;
        return NULL;
    }
    if (!obj) {
        if (nrc == SWEEP_FAILED && rank == 0)
            out_of_memory(cmd);
        *rc = fail_code(nrc);
        return NULL;
    }
    *rc = default_outdir(cmd, co, prefix, name(obj));
    return obj;
}

static void *make_sweep(const void *o, diag_t *d, char *err, size_t errlen, int *rc)
{
    (void)err, (void)errlen;
    return sweep_new(o, d, rc);
}
static const char *name_sweep(const void *s) { return sweep_name(s); }
static void *make_tune(const void *o, diag_t *d, char *err, size_t errlen, int *rc)
{
    (void)err, (void)errlen;
    return tune_new(o, d, rc);
}
static const char *name_tune(const void *t) { return tune_name(t); }
static void *make_capacity(const void *o, diag_t *d, char *err, size_t errlen, int *rc)
{
    return capacity_new(o, d, err, errlen, rc);
}

/* Prints a sweep_* or tune_* failure (rank 0 only: it speaks for all); the
 * exit code. */
static int grid_fail(const char *cmd, int rank, int rc, const char *err)
{
    if (rank == 0)
        fprintf(stderr, "clustersim %s: %s\n", cmd, err);
    return fail_code(rc);
}

/* Prints a capacity_* failure (rank 0 only); the exit code. Its messages
 * that point into an option (--range:1:5: ...) stand without the prefix. */
static int capacity_fail(int rank, int rc, const char *err)
{
    if (rank == 0 && err[0])
        fprintf(stderr, "%s%s\n", strncmp(err, "--", 2) ? "clustersim capacity: " : "", err);
    return fail_code(rc);
}

static int cmd_sweep(int argc, char **argv)
{
    static const struct option opts[] = {
        COMMON_LONG,
        {"vary", required_argument, 0, 'V'}, {"resume", no_argument, 0, 'R'},
        {0, 0, 0, 0}};
    common_opts_t co = COMMON_INIT;
    const char *varies[MAX_VARY];
    size_t nvary = 0;
    int rc = 0, resume = 0, c;
    mute_other_ranks();
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, COMMON_SHORT, opts, NULL)) != -1) {
        switch (c) {
        case 'R': resume = 1; break;
        case 'V':
            if ((rc = vary_option("sweep", varies, &nvary)) != 0)
                return rc;
            break;
        case 'h': fputs(usage_sweep, stdout); return 0;
        default:
            if ((rc = other_option("sweep", c, argv, &co)) != 0)
                return rc;
            break;
        }
    }
    if ((rc = grid_args("sweep", argc, argv, nvary, &co, "nothing to vary: give at least one --vary "
                                                         "PATH=V1,V2,... (e.g. --vary services.web.replicas=1,2,4)")))
        return rc;

    int rank, nranks;
    if ((rc = ranks_start("sweep", &co, &rank, &nranks)) != 0)
        return rc;
    char err[8192];
    sweep_grid_t grid = {0};
    if ((rc = make_grid("sweep", varies, nvary, &grid, rank == 0)) != 0) {
        sweep_grid_free(&grid);
        return ranks_end(rc);
    }
    sweep_t *sw = NULL;
    if ((rc = common_seed_duration("sweep", &co)) != 0)
        goto done;
    sweep_opts_t so = {argv[optind], co.sets, co.labels, co.nsets, co.strict, &grid, (int)co.reps, (int)co.threads,
                       !co.quiet && isatty(STDERR_FILENO), &stop_signal, rank, nranks};
    if (!(sw = grid_new("sweep", rank, make_sweep, &so, name_sweep, "results/sweep-", &co, &rc)) || rc)
        goto done;
    int orc = rank == 0 ? sweep_open(sw, co.outdir, resume, err, sizeof err) : SWEEP_OK;
#ifdef CLUSTERSIM_MPI
    orc = sweep_mpi_share(sw, orc); /* rank 0's verdict and rows done, to every rank */
#endif
    if (orc == SWEEP_COMPLETE) {
        if (!co.quiet)
            printf("%s: the sweep is complete already (%zu points): %s/sweep.csv, sweep.json\n", co.outdir,
                   sweep_points(sw), co.outdir);
        goto done;
    }
    if (orc != SWEEP_OK) {
        rc = grid_fail("sweep", rank, orc, err);
        goto done;
    }
    catch_stop_signals();
    size_t before = sweep_done(sw);
#ifdef CLUSTERSIM_MPI
    int src = sweep_mpi_run(sw, &stop_signal, err, sizeof err);
#else
    int src = sweep_run(sw, err, sizeof err);
#endif
    if (src == SWEEP_STOPPED)
        return stopped("sweep", err);
    if (src != SWEEP_OK) {
        /* under MPI a worker's message went to rank 0, which prints it */
        rc = rank == 0 ? grid_fail("sweep", rank, src, err) : EXIT_INTERNAL;
        goto done;
    }
    if (rank == 0) {
        int frc = sweep_finish(sw, err, sizeof err);
        if (frc != SWEEP_OK) {
            rc = grid_fail("sweep", rank, frc, err);
            goto done;
        }
        if (!co.quiet)
            printf("%zu points x %ld replication%s (%zu run now, %zu kept from the journal): %s/sweep.csv, "
                   "sweep.json\n", sweep_points(sw), co.reps, co.reps == 1 ? "" : "s", sweep_points(sw) - before,
                   before, co.outdir);
    }

done:
    sweep_free(sw);
    sweep_grid_free(&grid);
    common_free(&co);
    return ranks_end(rc);
}

static int cmd_tune(int argc, char **argv)
{
    static const struct option opts[] = {
        COMMON_LONG,
        {"vary", required_argument, 0, 'V'}, {"resume", no_argument, 0, 'R'},
        {"objective", required_argument, 0, 'O'}, {"maximize", no_argument, 0, 'X'},
        {"initial", required_argument, 0, 'I'}, {"budget", required_argument, 0, 'B'},
        {0, 0, 0, 0}};
    common_opts_t co = COMMON_INIT;
    const char *varies[MAX_VARY];
    size_t nvary = 0;
    long initial = 2, budget = 0;
    int rc = 0, resume = 0, maximize = 0, reps_given = 0, c;
    const char *objective = "cost.total_usd";
    mute_other_ranks();
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, COMMON_SHORT, opts, NULL)) != -1) {
        switch (c) {
        case 'R': resume = 1; break;
        case 'X': maximize = 1; break;
        case 'O':
            if (!*optarg)
                return cli_usage_error("tune", "--objective: the metric path is empty", NULL);
            objective = optarg;
            break;
        case 'I':
            if (cli_parse_count(optarg, 2, 10000, &initial) != 0)
                return cli_usage_error("tune", "--initial: expected an integer from 2 to 10000, got", optarg);
            break;
        case 'B':
            if (cli_parse_count(optarg, 1, 1000000000L, &budget) != 0)
                return cli_usage_error("tune", "--budget: expected an integer from 1 to 1000000000, got", optarg);
            break;
        case 'V':
            if ((rc = vary_option("tune", varies, &nvary)) != 0)
                return rc;
            break;
        case 'h': fputs(usage_tune, stdout); return 0;
        default:
            reps_given |= c == 'r';
            if ((rc = other_option("tune", c, argv, &co)) != 0)
                return rc;
            break;
        }
    }
    if ((rc = grid_args("tune", argc, argv, nvary, &co, "nothing to search: give at least one --vary "
                                                       "PATH=V1,V2,... (e.g. --vary services.web.replicas=1,2,4)")))
        return rc;
    if (!reps_given)
        co.reps = 4;
    int rank, nranks;
    if ((rc = ranks_start("tune", &co, &rank, &nranks)) != 0)
        return rc;
    char err[8192];
    sweep_grid_t grid = {0};
    tune_t *t = NULL;
    if ((rc = make_grid("tune", varies, nvary, &grid, rank == 0)) != 0 ||
        (rc = common_seed_duration("tune", &co)) != 0)
        goto done;
    tune_opts_t to = {{argv[optind], co.sets, co.labels, co.nsets, co.strict, &grid, (int)co.reps, (int)co.threads,
                       false, &stop_signal, 0, 1},
                      objective, maximize, (int)initial, budget, NULL};
#ifdef CLUSTERSIM_MPI
    to.runner = tune_mpi_cells;
#endif
    if (!(t = grid_new("tune", rank, make_tune, &to, name_tune, "results/tune-", &co, &rc)) || rc)
        goto done;
    int orc = rank == 0 ? tune_open(t, co.outdir, resume, err, sizeof err) : TUNE_OK;
#ifdef CLUSTERSIM_MPI
    orc = tune_mpi_share(t, orc); /* rank 0's verdict and journaled values, to every rank */
#endif
    if (orc == TUNE_COMPLETE) {
        /* the exit code the search had: 1 when no candidate met every gate */
        int won = rank == 0 ? tune_finished_winner(co.outdir) : 1;
        if (won < 0) {
            fprintf(stderr, "clustersim tune: %s/tune.json: cannot read the finished search's winner\n", co.outdir);
            rc = EXIT_INTERNAL;
        } else if (!won) {
            rc = EXIT_GATE;
        }
        if (!co.quiet && rank == 0)
            printf("%s: the search is complete already%s: %s/tune.json, tune.csv, tune.md\n", co.outdir,
                   won == 0 ? " (no candidate meets every gate)" : "", co.outdir);
        goto done;
    }
    if (orc != TUNE_OK) {
        rc = grid_fail("tune", rank, orc, err);
        goto done;
    }
    catch_stop_signals();
    int src = tune_run(t, err, sizeof err);
    if (src == TUNE_STOPPED)
        return stopped("tune", err);
    if (src != TUNE_OK || (rank == 0 && (src = tune_finish(t, err, sizeof err)) != TUNE_OK)) {
        rc = rank == 0 ? grid_fail("tune", rank, src, err) : EXIT_INTERNAL;
        goto done;
    }
    if (!co.quiet) {
        tune_print(stdout, t);
        printf("(%ld of the simulations read from the journal)\nresults: %s/tune.json, tune.csv, tune.md%s\n",
               tune_from_journal(t), co.outdir, tune_has_winner(t) ? ", winner.yaml" : "");
    }
    rc = tune_has_winner(t) ? 0 : EXIT_GATE;

done:
    tune_free(t);
    sweep_grid_free(&grid);
    common_free(&co);
    return ranks_end(rc);
}

static int cmd_capacity(int argc, char **argv)
{
    static const struct option opts[] = {
        COMMON_LONG,
        {"metric", required_argument, 0, 'm'}, {"range", required_argument, 0, 'g'},
        {"tolerance", required_argument, 0, 't'}, {"max-replications", required_argument, 0, 'x'},
        {"max-probes", required_argument, 0, 'p'}, {"resume", no_argument, 0, 'R'},
        {0, 0, 0, 0}};
    common_opts_t co = COMMON_INIT;
    co.reps = 5;
    const char *metric = NULL, *range = NULL, *tolerance = NULL;
    long max_reps = 0, max_probes = 30;
    int rc = 0, resume = 0, c;
    mute_other_ranks();
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, COMMON_SHORT, opts, NULL)) != -1) {
        switch (c) {
        case 'm': metric = optarg; break;
        case 'g': range = optarg; break;
        case 't': tolerance = optarg; break;
        case 'x':
            if (cli_parse_count(optarg, 2, 10000, &max_reps) != 0)
                return cli_usage_error("capacity", "--max-replications: expected an integer from 2 to 10000, got", optarg);
            break;
        case 'p':
            if (cli_parse_count(optarg, 2, 200, &max_probes) != 0)
                return cli_usage_error("capacity", "--max-probes: expected an integer from 2 to 200, got", optarg);
            break;
        case 'R': resume = 1; break;
        case 'r': /* a verdict needs an interval: 2 at least, said as such */
            if (cli_parse_count(optarg, 2, 10000, &co.reps) != 0)
                return cli_usage_error("capacity", "--replications: expected an integer from 2 to 10000 (a verdict "
                                                   "needs an interval), got", optarg);
            break;
        case 'h': fputs(usage_capacity, stdout); return 0;
        default:
            if ((rc = other_option("capacity", c, argv, &co)) != 0)
                return rc;
            break;
        }
    }
    if ((rc = one_scenario("capacity", argc, argv)) != 0)
        return rc;
    if ((rc = outdir_given_empty("capacity", &co)) != 0)
        return rc;
    if (max_reps == 0)
        max_reps = 4 * co.reps > 10000 ? 10000 : 4 * co.reps;
    if (max_reps < co.reps)
        return cli_usage_error("capacity", "--max-replications: must be at least --replications", NULL);
    if (metric && !*metric)
        return cli_usage_error("capacity", "--metric: the path is empty", NULL);
    int rank, nranks;
    if ((rc = ranks_start("capacity", &co, &rank, &nranks)) != 0)
        return rc;
    char err[8192] = "";
    capacity_t *cap = NULL;
    if ((rc = common_seed_duration("capacity", &co)) != 0)
        goto done;
    capacity_opts_t o = {argv[optind], co.sets, co.labels, co.nsets, co.strict, metric, range, tolerance, (int)co.reps,
                         (int)max_reps, (int)max_probes, (int)co.threads, !co.quiet && isatty(STDERR_FILENO),
                         &stop_signal, rank, nranks, NULL};
#ifdef CLUSTERSIM_MPI
    o.share = sweep_mpi_rows;
#endif
    int nrc;
    if (!(cap = new_with_diag("capacity", rank, make_capacity, &o, err, sizeof err, &nrc))) {
        rc = nrc == EXIT_INTERNAL ? nrc : capacity_fail(rank, nrc, err);
        goto done;
    }
    if ((rc = default_outdir("capacity", &co, "results/capacity-", capacity_name(cap))) != 0)
        goto done;
    nrc = rank == 0 ? capacity_open(cap, co.outdir, resume, err, sizeof err) : CAPACITY_OK;
#ifdef CLUSTERSIM_MPI
    double status = nrc; /* rank 0's verdict, to every rank */
    int zero = 0;
    if (sweep_mpi_rows(&status, 1, 1, &zero) != 0)
        status = CAPACITY_FAILED;
    nrc = (int)status;
#endif
    if (nrc != CAPACITY_OK) {
        rc = capacity_fail(rank, nrc, err);
        goto done;
    }
    catch_stop_signals();
    nrc = capacity_search(cap, err, sizeof err);
    if (nrc == CAPACITY_STOPPED)
        return stopped("capacity", err);
    if (nrc == CAPACITY_BAD_INPUT && rank == 0)
        capacity_abandon(cap);
    if (nrc != CAPACITY_OK) {
        rc = capacity_fail(rank, nrc, err);
        goto done;
    }
    if (!co.quiet) {
        capacity_print(stdout, cap);
        fflush(stdout);
    }
    if (rank == 0 && (nrc = capacity_finish(cap, err, sizeof err)) != CAPACITY_OK) {
        rc = capacity_fail(rank, nrc, err);
        goto done;
    }
    if (!co.quiet)
        printf("results: %s/capacity.json, capacity.md\n", co.outdir);

done:
    capacity_free(cap);
    common_free(&co);
    return ranks_end(rc);
}

static int cmd_validate(int argc, char **argv)
{
    static const struct option opts[] = {{"set", required_argument, 0, 's'}, {"strict", no_argument, 0, 'T'},
                                         {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
    const char *sets[MAX_SETS];
    size_t nsets = 0;
    int c, strict = 0;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
        switch (c) {
        case 's':
            if (nsets == MAX_SETS)
                return cli_usage_error("validate", "too many --set options", NULL);
            sets[nsets++] = optarg;
            break;
        case 'T': strict = 1; break;
        case 'h': fputs(usage_validate, stdout); return 0;
        case ':': return cli_usage_error("validate", "missing value for", argv[optind - 1]);
        default: return cli_usage_error("validate", "unknown option", argv[optind - 1]);
        }
    }
    if (optind != argc - 1)
        return cli_usage_error("validate", "expected one SCENARIO.yaml", NULL);
    scenario_opts_t so = {NULL, strict};
    diag_t d;
    diag_init(&d);
    scenario_t *sc = scenario_load_opts(argv[optind], sets, nsets, &so, &d);
    diag_print(&d, stderr);
    if (!sc)
        return diag_exit_code(&d);
    printf("%s: ok (%zu station%s, %s)\n", argv[optind], sc->nstations, sc->nstations == 1 ? "" : "s", sc->name);
    scenario_free(sc);
    return 0;
}

static int cmd_describe(int argc, char **argv)
{
    if (argc > 1 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
        fputs(usage_describe, stdout);
        return 0;
    }
    if (argc > 1)
        return cli_usage_error("describe", "unexpected argument", argv[1]);
    scenario_describe(stdout);
    return 0;
}

/* The commands that run under mpirun, with the exit code of a rank that
 * stopped before MPI started (pre_mpi_rc). */
static int cmd_sweep_ranks(int argc, char **argv) { return pre_mpi_rc(cmd_sweep(argc, argv)); }
static int cmd_capacity_ranks(int argc, char **argv) { return pre_mpi_rc(cmd_capacity(argc, argv)); }
static int cmd_tune_ranks(int argc, char **argv) { return pre_mpi_rc(cmd_tune(argc, argv)); }

static const cli_command_t commands[] = {
    {"run", cmd_run},
    {"check", cmd_check},
    {"compare", cmd_compare},
    {"sweep", cmd_sweep_ranks},
    {"capacity", cmd_capacity_ranks},
    {"tune", cmd_tune_ranks},
    {"validate", cmd_validate},
    {"describe", cmd_describe},
};

int main(int argc, char **argv)
{
    if (argc < 2) {
        fputs(usage_main, stderr);
        return EXIT_INPUT;
    }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help")) {
        fputs(usage_main, stdout);
        return 0;
    }
    if (!strcmp(cmd, "--version") || !strcmp(cmd, "version")) {
        printf("clustersim %s\n", VERSION);
        return 0;
    }
    const cli_command_t *c = NULL;
    for (size_t i = 0; i < sizeof commands / sizeof commands[0] && !c; i++)
        if (!strcmp(commands[i].name, cmd))
            c = &commands[i];
    for (size_t i = 0; i < model_catalog.ncommands && !c; i++) /* the models' own (clustersim hpa) */
        if (!strcmp(model_catalog.commands[i].name, cmd))
            c = &model_catalog.commands[i];
    if (c) {
        for (int k = 2; k < argc; k++)
            if (!strcmp(argv[k], "--version")) {
                printf("clustersim %s\n", VERSION);
                return 0;
            }
        return c->fn(argc - 1, argv + 1);
    }
    return cli_usage_error(NULL, "unknown command", cmd);
}
