/* tune: the cheapest configuration of a grid that meets every `slo:` gate,
 * found by racing the candidates with common random numbers, for
 * `clustersim tune`.
 *
 * The space. The candidates are the points of a sweep grid (sweep.h: each
 * --vary an axis, the first varying slowest), each loaded as sweep loads
 * it. Every point must have the scenario's gates (the same names, metrics,
 * operators and thresholds: candidates are judged by one set of SLOs), and
 * the objective (a summary.json path, lower is better; maximize: higher)
 * must be a metric of every point.
 *
 * The method: racing by successive doubling (a successive-halving schedule
 * where the cut is decided by confidence intervals, not by a fixed fraction).
 * Replication k of every candidate runs with seed + k (common random
 * numbers), so two candidates see the same traffic and their difference is
 * the configuration's. Round 1 gives every candidate r0 replications; after
 * each round every candidate still in the race is judged (probe.h, the
 * whole-95%-interval rule of check) and dropped when
 *   - a gate fails with confidence (its whole interval on the failing side:
 *     more replications will not make it pass), or
 *   - it is dominated: some candidate that meets every gate (whole
 *     intervals) has a lower objective with confidence, the 95% interval of
 *     the paired differences (compare.h) entirely above 0.
 * A candidate is judged once a round (L rounds in all: r0, 2 r0, ..., R),
 * so the drops split their error over the looks (Bonferroni, probe_split):
 * a gate's failing side at 2.5% / (L x gates), as capacity's probes are
 * judged, a domination at 2.5% / L. Feasibility is the plain 95% rule.
 * The survivors' replications then double (capped at R, the full fidelity),
 * until the survivors have R, or one is left, or the next round would not
 * fit the budget. The winner is the survivor that meets every gate with the
 * lowest objective mean (ties: the first point in grid order); it is always
 * judged at R replications (topped up if the race ended earlier: the budget
 * keeps room for that), and if it no longer meets a gate at R the next
 * survivor is tried, while the budget lasts.
 *
 * The budget counts simulations: one replication of one candidate at the
 * scenario's duration is one. It must hold the first round and the winner's
 * top-up, points x r0 + R - r0; the default, points x R, is what the
 * exhaustive sweep at R replications spends, which the race never exceeds.
 *
 * Every decision depends only on the replications' values, so the search
 * is the same whatever the number of threads and the order in which runs end.
 *
 * The journal. Each replication's values (the objective and the gates'
 * metrics) are appended to DIR/tune.journal as a line "POINT,REP,values..."
 * (one write, then fsync) as soon as it ends; the journal starts with
 * "# clustersim tune journal v1 id=ID", ID a 64-bit FNV-1a hash of the
 * scenario file's bytes, the --set overrides (with --seed and --duration),
 * the grid, the objective and its direction, r0, R and the budget. --resume
 * reads a journal of the same ID and runs the same race, taking the values
 * it holds instead of running them again: the race and its files are those
 * of an uninterrupted search, byte for byte. A journal or a finished
 * tune.json of another ID is bad input; at the end the files are written
 * whole (beside, synced, renamed) and the journal removed.
 *
 * The winner's file. DIR/winner.yaml is the scenario file's own text with
 * the value of each varied key replaced in place (comments, order and
 * layout kept), so it can replace the file in a commit. Each --vary path
 * must therefore be a scalar written in the file itself (not a default, not
 * from a base: or a manifest): checked before anything runs. Relative paths
 * in it (manifests, base:) are relative to the original file's directory.
 *
 * Library code: errors are returned, nothing exits. */
#ifndef SIM_TUNE_H
#define SIM_TUNE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#include "sim/diag.h"
#include "sim/sweep.h"

#define TUNE_SCHEMA "clustersim.tune/v1"
#define TUNE_MAX_JOBS 10000000 /* points x R: the race's table of values */
#define TUNE_MAX_GATES 1024    /* slo: gates a tuned scenario may have */
#define TUNE_MAX_VALS (3 * (TUNE_MAX_GATES + 1) + 1) /* values per replication: the objective and the gates,
                                                         the counts of those that are proportions, and
                                                         whether it overloaded */

typedef struct tune tune_t;

typedef struct tune_opts {
    sweep_opts_t so;        /* the scenario, overrides, grid, R (replications), threads, progress, stop */
    const char *objective;  /* a summary.json path */
    bool maximize;          /* higher is better */
    int initial;            /* r0: the first round's replications, 2 <= r0 <= R */
    long budget;            /* simulations at most (0: points x R) */
    /* runs cells (replication k of point p is cell p * R + k) that have no
     * values yet, storing them (tune_store or tune_run_cells), as
     * tune_run_cells does; NULL: tune_run_cells (threads). For MPI. */
    int (*runner)(tune_t *t, const size_t *cells, size_t n, const atomic_int *stop, char *err, size_t errlen);
} tune_opts_t;

/* What the functions below return (sweep's codes). */
enum {
    TUNE_OK = SWEEP_OK,
    TUNE_FAILED = SWEEP_FAILED,
    TUNE_BAD_INPUT = SWEEP_BAD_INPUT,
    TUNE_STOPPED = SWEEP_STOPPED,
    TUNE_COMPLETE = SWEEP_COMPLETE,
};

/* Loads every point and checks the gates, the objective, the varied paths
 * and the budget (errors in d). NULL on error, *rc TUNE_BAD_INPUT or
 * TUNE_FAILED (out of memory). o must outlive the search. */
tune_t *tune_new(const tune_opts_t *o, diag_t *d, int *rc);
void tune_free(tune_t *t);
const char *tune_name(const tune_t *t);
/* Makes dir and starts or resumes the journal (see above). TUNE_OK,
 * TUNE_COMPLETE (resume: dir holds this search, finished), or
 * TUNE_BAD_INPUT / TUNE_FAILED with a message. */
int tune_open(tune_t *t, const char *dir, bool resume, char *err, size_t errlen);
/* Runs the race. TUNE_OK, TUNE_FAILED with a message, or TUNE_STOPPED:
 * the journal is whole, but running replications were abandoned (they
 * still read t): the caller must end the process at once without freeing t. */
int tune_run(tune_t *t, char *err, size_t errlen);
/* Writes DIR/tune.json, tune.csv, tune.md and (with a winner) winner.yaml,
 * each whole, and removes the journal. TUNE_OK or TUNE_FAILED. */
int tune_finish(tune_t *t, char *err, size_t errlen);
/* The terminal summary: the simulations spent, the winner with its
 * objective and tightest gate (or that none meets every gate). */
void tune_print(FILE *f, const tune_t *t);
/* Whether a candidate meets every gate at R replications (after tune_run). */
bool tune_has_winner(const tune_t *t);
/* Whether the finished search in dir (tune_open said TUNE_COMPLETE) has a
 * winner: 1, 0, or -1 when its tune.json cannot be read. */
int tune_finished_winner(const char *dir);
/* Simulations the race read from the journal. */
long tune_from_journal(const tune_t *t);

/* For runners of cells elsewhere (MPI: sim/sweep_mpi.c). */
/* Runs cells[0..n) in this process's threads, storing their values (and
 * journaling them when this process opened the journal). Returns as tune_run. */
int tune_run_cells(tune_t *t, const size_t *cells, size_t n, char *err, size_t errlen);
/* Stores the tune_nvals(t) values v of cell computed elsewhere, journaled
 * when this process opened the journal: 0 or an errno. */
int tune_store(tune_t *t, size_t cell, const double *v);
/* Values per cell; cells (points x R); the table: tune_have(t)[cell] says
 * whether tune_table(t)[cell * nvals ...] holds cell's values. */
size_t tune_nvals(const tune_t *t);
size_t tune_cells(const tune_t *t);
bool *tune_have(tune_t *t);
double *tune_table(tune_t *t);

#endif
