/* sweep: a scenario run over the Cartesian grid of --vary values, for
 * `clustersim sweep`; one row of headline metrics per grid point.
 *
 * The grid. Each --vary PATH=v1,v2,... or PATH=lo..hi:step is an axis; the
 * first axis varies slowest (nested loops in the order written), so point
 * p's value on the last axis is p mod its count. A point's values are
 * applied after the --set overrides exactly as --set applies them, so units
 * work and a bad path or value is a located error naming the --vary (its
 * columns count in the whole option). A range's values are lo + i*step for
 * i = 0, 1, ... up to hi (a tolerance of 1e-9 steps, so 0..1:0.1 ends at 1),
 * printed in 15 significant digits with the unit suffix the three share.
 *
 * Common random numbers. Replication k of every point runs with seed + k,
 * so the points see the same traffic and their differences are not noise.
 *
 * Jobs. The (point, replication) pairs of the points still to run are jobs,
 * taken in grid order by a pool of threads; a point's scenario is loaded by
 * the first job that needs it and freed with its row. A point's row is
 * formed when its last replication ends: the same numbers, whatever the
 * number of threads and the order of completion.
 *
 * Rows and the journal. Each finished row is appended to DIR/sweep.csv.partial
 * with one write() of the whole line and an fsync, under a lock that a stop
 * also takes, so the journal holds only whole lines (a line cut by a crash of
 * the machine has no newline and is dropped on resume). The journal starts
 * with "# clustersim sweep journal v1 id=ID" and the CSV header; ID is a
 * 64-bit FNV-1a hash of the scenario file's bytes, the --set overrides
 * (with --seed and --duration), every axis and its values, the replications
 * and the header. At the end sweep.csv and sweep.json are each written whole
 * (beside, synced, renamed) from the rows in grid order, and the journal is
 * removed; sweep.json carries the ID. --resume keeps the rows of a journal
 * with the same ID and runs only the other points (a journal or sweep.json
 * of another ID is an error; a complete sweep.json of the same ID leaves
 * nothing to do). Since a row's text is the same whenever it is computed,
 * the final files equal those of an uninterrupted sweep, byte for byte.
 *
 * Ranks. For a spread over processes (MPI), a process either runs a static
 * share (sweep_run: the i-th pending points with i mod nranks == rank) or
 * the points a coordinator hands it one at a time (sweep_run_point); the
 * rows computed elsewhere are added with sweep_add_rows. Library code:
 * errors are returned. */
#ifndef SIM_SWEEP_H
#define SIM_SWEEP_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "sim/diag.h"
#include "sim/scenario.h"

#define SWEEP_SCHEMA "clustersim.sweep/v1"
#define SWEEP_MAX_POINTS 1000000

/* One --vary: a scenario path and its values, as written. */
typedef struct sweep_axis {
    char *path;
    char **values;
    int *cols;      /* 1-based column of each value in the option */
    size_t n;
    int option;     /* which --vary (1-based) */
} sweep_axis_t;

typedef struct sweep_grid {
    sweep_axis_t *axes;
    size_t naxes;
    size_t npoints;
} sweep_grid_t;

/* Adds the axis of one --vary value "PATH=v1,v2,..." or "PATH=lo..hi:step"
 * (option: its number, 1-based). 0; -1 bad input, with a message in err
 * starting "--vary[option]:1:COL: "; -2 out of memory. */
int sweep_grid_add(sweep_grid_t *g, const char *spec, int option, char *err, size_t errlen);
/* The first n bytes of s as a number with an optional unit suffix
 * ("100ms", "2.5", "-1", "200/min"): the number in *v, the suffix
 * (letters, '/', '%'; shorter than sufsize, so sufsize 1 takes a bare
 * number only) in suf. 0, or -1. (The ranges of --vary and of capacity's
 * --range.) */
int sweep_parse_bound(const char *s, size_t n, double *v, char *suf, size_t sufsize);
void sweep_grid_free(sweep_grid_t *g);
/* The index into axis a's values of point p. */
size_t sweep_grid_index(const sweep_grid_t *g, size_t p, size_t a);
/* Writes g as a JSON array of {"path", "values"} (sweep.json's and
 * tune.json's "grid", indented for their top level): values as strings, or
 * with numbers set those that read as JSON numbers as numbers. */
void sweep_grid_json(FILE *f, const sweep_grid_t *g, bool numbers);
/* h (FNV-1a, journal.h) continued with g, for a search's id: each axis as
 * "--vary", its path and its values. */
uint64_t sweep_grid_hash(uint64_t h, const sweep_grid_t *g);

typedef struct sweep_opts {
    const char *file;                    /* the scenario */
    const char *const *sets;             /* --set overrides, with "seed=..." and "duration=..." */
    const char *const *labels;           /* their names in messages (as scenario_opts_t) */
    size_t nsets;
    bool strict;
    const sweep_grid_t *grid;
    int replications;                    /* >= 1 */
    int threads;                         /* 0: one per core */
    bool progress;                       /* a progress line on stderr */
    const atomic_int *stop;              /* nonzero: stop (NULL: never) */
    int rank, nranks;                    /* this process's share (one process: 0, 1) */
} sweep_opts_t;

typedef struct sweep sweep_t;

/* What the functions below return. */
enum {
    SWEEP_OK = 0,
    SWEEP_FAILED = -1,   /* an internal error, or a write failed */
    SWEEP_BAD_INPUT = -2,/* the scenario, a point, the directory or the journal is wrong */
    SWEEP_STOPPED = -3,  /* *stop became nonzero; see sweep_run */
    SWEEP_COMPLETE = 1,  /* sweep_open(resume): the directory holds this sweep, finished */
};

/* Loads the scenario at every point of the grid (every error is in d, the
 * points named "--vary[i]"), and lists the columns: the union in grid
 * order of each point's headline metrics (compare's list) and the gates
 * of the first point's slo:. NULL on error: *rc is then SWEEP_BAD_INPUT or
 * SWEEP_FAILED (out of memory). o is kept: it must outlive the sweep. */
sweep_t *sweep_new(const sweep_opts_t *o, diag_t *d, int *rc);
void sweep_free(sweep_t *s);
/* The scenario's name, the number of points, of points with a row. */
const char *sweep_name(const sweep_t *s);
size_t sweep_points(const sweep_t *s);
size_t sweep_done(const sweep_t *s);
/* The sweep's ID (16 hexadecimal digits). */
const char *sweep_id(const sweep_t *s);
/* Per point, whether it has a row (sweep_points entries). A process that
 * did not open the directory sets them from one that did (MPI) before
 * sweep_run; only a point's flag is copied, not its row. */
bool *sweep_done_flags(sweep_t *s);

/* Makes dir (mkdir -p) and starts or resumes the journal there (see the
 * header). SWEEP_OK, SWEEP_COMPLETE, or SWEEP_BAD_INPUT / SWEEP_FAILED with
 * a message. Without it, sweep_run journals nothing. */
int sweep_open(sweep_t *s, const char *dir, bool resume, char *err, size_t errlen);
/* Runs this process's share of the points without a row. SWEEP_OK,
 * SWEEP_FAILED with a message, or SWEEP_STOPPED: the journal is whole and
 * no row will be written, but running replications were abandoned, not
 * joined (they still read s): the caller must end the process at once
 * without freeing s. */
int sweep_run(sweep_t *s, char *err, size_t errlen);
/* Runs point p (pending: no row yet) alone, its replications in threads as
 * sweep_run does; it may be called again for another point. Returns as
 * sweep_run (SWEEP_STOPPED likewise ends the process). */
int sweep_run_point(sweep_t *s, size_t p, char *err, size_t errlen);
/* Point p's row (no newline), or NULL while it has none. */
const char *sweep_row(const sweep_t *s, size_t p);
/* The rows computed by this process's sweep_run, each a line, in grid
 * order (malloc'd; "" when none), for sweep_add_row elsewhere. NULL: out of
 * memory. */
char *sweep_rows_text(const sweep_t *s);
/* Adds (and journals) rows computed by another process: text is lines as
 * sweep_rows_text gives them. SWEEP_OK, or SWEEP_FAILED with a message
 * (a line that is not a row of this sweep). */
int sweep_add_rows(sweep_t *s, const char *text, char *err, size_t errlen);
/* Writes dir/sweep.csv and dir/sweep.json (each whole) and removes the
 * journal. Every point must have a row. SWEEP_OK or SWEEP_FAILED. */
int sweep_finish(sweep_t *s, char *err, size_t errlen);

/* The pieces of the sweep that `tune` (sim/tune.c) shares (and sim/journal.h:
 * the hash, the number format, reading a file, appending a line). */

/* Loads the scenario at point p of o->grid: the --set overrides, then the
 * point's values as --vary[i] overrides. NULL with diagnostics in d. */
scenario_t *sweep_load_point(const sweep_opts_t *o, size_t p, diag_t *d);
/* fsync of a directory (after a rename in it): 0 or an errno. */
int sweep_sync_dir(const char *dir);
/* A journal of results appended as they come (sweep's and tune's): the
 * file dir/name, whose first line is magic then id, then header (lines,
 * each with its newline, or ""), then one line per result. */
typedef struct sweep_journal {
    const char *dir, *name;
    const char *final;      /* the finished result in dir, holding "id": "ID" */
    const char *magic, *id, *header;
    const char *what;       /* "sweep", "search": for messages */
    const char *inputs;     /* what the id hashes, for messages */
    size_t min_lines;       /* a journal has at least these lines (its header) */
    /* a line after the first (lineno 2, ...): 0, or -1 with a message in err */
    int (*line)(void *ctx, char *line, size_t lineno, const char *path, char *err, size_t errlen);
    void *ctx;
} sweep_journal_t;
/* Makes j->dir (mkdir -p), then: an existing journal is read (resume; else
 * bad input) and *fd opened to append to it; on resume a finished result
 * of the same id is SWEEP_COMPLETE, of another bad input; else a new
 * journal holding the header is put in place whole. SWEEP_OK,
 * SWEEP_COMPLETE, or SWEEP_BAD_INPUT / SWEEP_FAILED with a message. */
int sweep_journal_open(const sweep_journal_t *j, bool resume, int *fd, char *err, size_t errlen);

#endif
