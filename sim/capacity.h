/* capacity: the largest traffic multiple (or value of any numeric scenario
 * key) at which every slo: gate of a scenario still holds, with the
 * interval of the answer, and the bottleneck report at the breaking point,
 * for `clustersim capacity`.
 *
 * The value. By default a multiple m of the traffic: traffic.rate x m and
 * every traffic.profile point given as a `rate` x m (points given as a
 * `factor`, flash crowds and regional shares are multiples of traffic.rate
 * already), so m = 1 is the scenario as written. A scenario whose traffic is
 * a replayed trace (traffic.replay) has no rate to multiply: --metric PATH
 * then. With --metric PATH the value is any numeric key, applied as
 * --set PATH=VALUE (bare numbers: per second, seconds, cores, bytes); a key
 * that takes integers is searched over integers; --range may carry the
 * key's unit (2ms..30ms), written after each value. The direction comes
 * from the range's ends: when LO passes, the gates hold below the answer
 * (more traffic, longer service times) and the answer is the largest
 * passing value; when LO does not pass and HI does, they hold above it (a
 * key whose growth helps: replicas, concurrency) and the answer is the
 * smallest passing value, found by bisection between the ends.
 *
 * A probe is the scenario at one value, judged by sim/probe.h: R
 * replications with seeds S..S+R-1 (the same at every value: common random
 * numbers), every gate's 95% interval, and a verdict: pass (every interval
 * on the passing side), fail (one interval wholly on the failing side) or
 * unsure. An unsure probe is given more replications, doubling, up to
 * --max-replications; if it is still unsure the boundary lies in an
 * uncertain band and the probe says so.
 *
 * The search (as the gates hold below the answer; the other direction is
 * the same on -x). LO must pass (else, unless HI passes, bad input: the
 * range brackets nothing, and each end's state is said). Bracketing:
 * from LO the value doubles (LO > 0; else it goes to HI at once), capped at
 * HI, until a probe fails; if HI passes the range does not bracket the
 * answer (bad input: raise HI). Then bisection: the gap between the largest
 * passing value and the smallest value that does not pass (an unsure one
 * first, then a failing one) is halved until it is within the tolerance;
 * with an uncertain band, the gap between the band's top and the smallest
 * failing value is narrowed the same way. Each probe is a pure function of
 * the value and the seeds, so the sequence of probes is too.
 *
 * The answer: "holds up to X" (the largest passing value) and "fails by Y"
 * (the smallest failing value), the breaking point lying in [X, Y], and,
 * where probes stayed unsure, the band [A, B] between them in which the
 * replications could not decide.
 *
 * Journal and --resume. Every replication of every probe is appended to
 * DIR/capacity.journal as one line (the value, the replication's index and
 * every number of its summary, in the shortest form that reads back
 * exactly), whole, with an fsync (sim/journal.h). The journal's first line
 * is "# clustersim capacity journal v1 id=ID", ID an FNV-1a hash of the
 * scenario file's bytes, the --set/--seed/--duration options, the metric,
 * range, tolerance and replication options. --resume replays the search,
 * taking each replication from the journal where it is there: the outputs
 * are the bytes of a search never interrupted. A journal of another ID is
 * bad input; without --resume an existing journal is bad input too.
 *
 * Processes (MPI). Every process runs the same search: the same probes,
 * loaded alike, judged on the same replications. A batch of replications
 * is split into contiguous blocks, one per process, each run in its
 * threads; the rows of numbers are then shared so that every process holds
 * every replication, in seed order, and takes the same next step. Only
 * rank 0 opens the directory and the journal; on --resume it tells the
 * others which batches the journal holds and shares their rows. Since a
 * replication's numbers do not depend on where it ran, the files equal a
 * single process's, byte for byte.
 *
 * Outputs, written whole at the end (the journal is then removed):
 * DIR/capacity.json (schema clustersim.capacity/v1) and DIR/capacity.md; the
 * terminal report is capacity_print's. Library code: errors are returned. */
#ifndef SIM_CAPACITY_H
#define SIM_CAPACITY_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "sim/diag.h"

#define CAPACITY_SCHEMA "clustersim.capacity/v1"

typedef struct capacity_opts {
    const char *file;                    /* the scenario */
    const char *const *sets;             /* --set overrides, with "seed=..." and "duration=..." */
    const char *const *labels;           /* their names in messages */
    size_t nsets;
    bool strict;
    const char *metric;                  /* --metric PATH; NULL or "traffic.rate": the traffic multiple */
    const char *range;                   /* --range LO..HI as written; NULL: 0.5..8 for the multiple */
    const char *tolerance;               /* --tolerance X or X%; NULL: 2% */
    int replications;                    /* per probe, >= 2 */
    int max_replications;                /* an unsure probe's cap (>= replications) */
    int max_probes;                      /* >= 2 */
    int threads;                         /* 0: one per core */
    bool progress;                       /* a line on stderr per probe */
    const atomic_int *stop;              /* nonzero: stop (NULL: never) */
    /* Processes (MPI): this one's rank of nranks (one process: 0, 1), and
     * share(v, per, n, owner), which gives every process the n rows of per
     * numbers in v that the process owner[k] filled (row k); 0, or -1. */
    int rank, nranks;
    int (*share)(double *v, size_t per, int n, const int *owner);
} capacity_opts_t;

typedef struct capacity capacity_t;

enum {
    CAPACITY_OK = 0,
    CAPACITY_FAILED = -1,    /* an internal error, or a write failed */
    CAPACITY_BAD_INPUT = -2, /* the scenario, an option, the directory, the journal, the range */
    CAPACITY_STOPPED = -3,   /* *stop became nonzero: end the process without freeing */
};

/* Checks the options and loads the scenario at both ends of the range
 * (errors in d, or in err for the options: "--range:1:COL: ..."). NULL on
 * error with *rc CAPACITY_BAD_INPUT or CAPACITY_FAILED. o must outlive it. */
capacity_t *capacity_new(const capacity_opts_t *o, diag_t *d, char *err, size_t errlen, int *rc);
void capacity_free(capacity_t *c);
/* The scenario's name. */
const char *capacity_name(const capacity_t *c);
/* Makes dir and starts (or, resume, continues) the journal there. */
int capacity_open(capacity_t *c, const char *dir, bool resume, char *err, size_t errlen);
/* Runs the search (see above). CAPACITY_OK, or an error with a message
 * (CAPACITY_BAD_INPUT: the range does not bracket the answer). */
int capacity_search(capacity_t *c, char *err, size_t errlen);
/* The terminal report of a finished search. */
void capacity_print(FILE *f, const capacity_t *c);
/* After capacity_search found that the range does not bracket the answer,
 * removes the journal: that search is over, and another range is another
 * search. Otherwise (a journal that does not fit, say) does nothing. */
void capacity_abandon(capacity_t *c);
/* Writes dir/capacity.json and dir/capacity.md whole, removes the journal. */
int capacity_finish(capacity_t *c, char *err, size_t errlen);

/* The bottleneck report's ranking (exposed for its tests). A saturation
 * score has a low end: the score at the end of its values' 95% intervals
 * nearest to "not saturated". capacity_rank puts 0..n-1 into order, by the
 * low end (highest first), then the score, a tie keeping the given order:
 * a score whose interval reaches down to nothing (one bad replication of
 * three) does not outrank one that is surely high. */
void capacity_rank(size_t n, const double *score, const double *lo, size_t *order);
/* Whether the first of n components in a ranking (score[], lo[] in rank
 * order) leads surely: its score's low end is at or above the second's
 * score (true for fewer than two; false when its low end is NaN). When
 * not, the report says the two are not told apart. */
bool capacity_lead_apart(size_t n, const double *score, const double *lo);
/* How much a signal grew from the last pass (last) to the break (brk), as a
 * score in [0, 1): 1 - (last + add) / (brk + add), 0 when it did not grow
 * (add smooths a value near 0: 1 for a queue's length, a wait in ms). */
double capacity_growth(double brk, double last, double add);

#endif
