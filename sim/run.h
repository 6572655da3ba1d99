/* run: a scenario's replications, in parallel threads, and its result files.
 *
 * Replication i runs with seed + i in a world of its own; results are
 * gathered by replication index, so the output does not depend on the
 * number of threads or on which finishes first. Files are written
 * atomically: each to a temporary name in the output directory, renamed
 * only when the whole run has succeeded; a failed run leaves no result. */
#ifndef SIM_RUN_H
#define SIM_RUN_H

#include <stdbool.h>
#include <stddef.h>

#include "sim/metrics.h"
#include "sim/scenario.h"

typedef struct run_opts {
    const char *outdir;     /* NULL: no files */
    int replications;       /* >= 1 */
    int threads;            /* 0: as many as cores */
    bool progress;          /* draw a progress line on stderr */
} run_opts_t;

typedef struct run_result {
    metrics_t summary;      /* mean over replications (with ci95 when R > 1) */
    metrics_t *reps;        /* per replication */
    int replications;
    double wall_s;
} run_result_t;

/* Runs sc. 0 on success; -1 with a message in err (an internal error). */
int run_scenario(const scenario_t *sc, const run_opts_t *o, run_result_t *res, char *err, size_t errlen);
void run_result_free(run_result_t *res);
/* Creates directory dir and its parents (existing ones are fine). 0, or -1
 * with errno set (ENOTDIR when a path component is not a directory). */
int run_make_dir(const char *dir);
/* Writes `text` (len bytes) to path atomically (temporary file + rename). */
int run_write_atomic(const char *path, const char *text, size_t len);

#endif
