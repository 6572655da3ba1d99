/* run: a scenario's replications, in parallel threads, and its result files.
 *
 * Replication i runs with seed + i in a world of its own; results are
 * gathered by replication index, so the output does not depend on the
 * number of threads or on which finishes first.
 *
 * The result files are one transaction. Before anything runs, the output
 * directory DIR is checked (its path must fit PATH_MAX with every file name
 * the run writes; if it exists it must be a directory holding nothing but an
 * earlier run's result files) and a fresh temporary directory
 * PARENT/.BASE.tmp-PID-XXXXXX is created beside it. Every file is written
 * there and synced; only when all are complete is the temporary directory
 * renamed to DIR. An existing DIR is replaced whole: on Linux the two
 * directories are exchanged in one renameat2(RENAME_EXCHANGE), elsewhere (or
 * on a file system without it) DIR is first renamed aside to
 * PARENT/.BASE.old-PID-XXXXXX and the new directory renamed in; the old one
 * is then removed. A failure, or a stop request, removes the temporary
 * directory: DIR is then absent, or holds the earlier run's files untouched.
 *
 * If the process dies between the two renames of the fallback (a window of
 * two system calls; there is none with RENAME_EXCHANGE), DIR is absent, the
 * earlier result is whole in .BASE.old-PID-XXXXXX and the new one whole in
 * .BASE.tmp-PID-XXXXXX; neither is ever mixed with the other. */
#ifndef SIM_RUN_H
#define SIM_RUN_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#include "sim/metrics.h"
#include "sim/scenario.h"

typedef struct run_opts {
    const char *outdir;     /* NULL: no files */
    int replications;       /* >= 1 */
    int threads;            /* 0: as many as cores */
    bool progress;          /* draw a progress line on stderr */
    const atomic_int *stop; /* polled every 100 ms; nonzero stops the run (NULL: never) */
    /* a replication that reaches the limit of requests in flight has every
     * metric NaN (world_collect_overloaded: its gates fail) and counts in
     * the summary's metrics_t.overloaded, instead of failing the run (check,
     * compare) */
    bool overload_fails_gates;
} run_opts_t;

typedef struct run_result {
    metrics_t summary;      /* mean over replications (with ci95 when R > 1) */
    metrics_t *reps;        /* per replication */
    int replications;
    double wall_s;
} run_result_t;

/* What run_scenario returned. */
enum {
    RUN_OK = 0,
    RUN_FAILED = -1,     /* an internal error, or writing a result file failed (disk full) */
    RUN_BAD_OUTPUT = -2, /* the output directory cannot be used; nothing ran, nothing was written */
    RUN_STOPPED = -3,    /* *o->stop became nonzero: no result was written, see below */
};

/* Runs sc, writing its results to o->outdir as described above. RUN_OK, or
 * another RUN_* with a message in err (which names the path or the write
 * that failed). After RUN_STOPPED the temporary directory is gone but
 * replications that were running were abandoned, not joined (the event loop
 * cannot be interrupted): they still read sc and o, so the caller must end
 * the process at once without freeing them. res needs run_result_free in
 * every case. */
int run_scenario(const scenario_t *sc, const run_opts_t *o, run_result_t *res, char *err, size_t errlen);
void run_result_free(run_result_t *res);

/* The same transaction for another command's result directory: DIR is
 * checked (it must be new, or hold only what a directory of its layout
 * holds) and a temporary directory made beside it, before anything runs;
 * the command writes everything into run_dir_path() (a run's -o may be a
 * directory in it), then run_dir_commit renames it to DIR, replacing an
 * earlier one whole, or run_dir_abort removes it. Open and commit return
 * RUN_OK or a RUN_* error with a message; commit and abort free d (abort
 * takes NULL). */
enum {
    RUN_DIR_RESULTS, /* a run's: summary.json and its CSV files */
    RUN_DIR_COMPARE, /* compare's: compare.json, compare.csv, base/ and candidate/ (two runs') */
};
typedef struct run_dir run_dir_t;
int run_dir_open(run_dir_t **d, const char *dir, int layout, int reps, char *err, size_t errlen);
const char *run_dir_path(const run_dir_t *d);
/* Whether DIR existed (it is replaced whole). */
bool run_dir_replaces(const run_dir_t *d);
int run_dir_commit(run_dir_t *d, char *err, size_t errlen);
void run_dir_abort(run_dir_t *d);

/* mkdir -p dir: 0, or -1 with errno set (ENOTDIR when a component is not a
 * directory). For `-o` and check's reports. */
int run_make_dirs(const char *dir);
/* A malloc'd formatted string of exact size (the caller frees it), or NULL
 * when out of memory. */
char *run_strprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Waits on c (m locked) until it is signalled or 100 ms have passed: the
 * coordinating threads' poll of progress and stop requests. */
void run_wait_100ms(pthread_cond_t *c, pthread_mutex_t *m);
/* Seconds on the monotonic clock (for elapsed times and progress lines). */
double run_clock_s(void);

#endif
