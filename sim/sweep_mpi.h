/* sweep_mpi: `mpirun -np N clustersim-mpi sweep ...`, a sweep's points
 * spread over MPI ranks (and, through sweep_mpi_rows, the replications of
 * `capacity`'s probes: sim/capacity.h). Only bin/clustersim-mpi links this file (the
 * library and bin/clustersim know nothing of MPI); it is the only file that
 * includes mpi.h.
 *
 * Every rank parses the same command line and loads the same grid. Rank 0
 * alone opens the output directory (and reads the journal on --resume); it
 * then broadcasts its verdict and which points have a row.
 *
 * Dynamic scheduling: points differ in cost (a higher load runs longer), so
 * rank 0 hands the next pending point, in grid order, to whichever rank
 * asks; that rank runs its replications in -j threads (sweep_run_point),
 * sends the row back at once and asks again. Rank 0 only coordinates when
 * N > 1: it journals each row as it arrives (write + fsync, in completion
 * order; resume and the final writer place rows by their point) and waits
 * for messages by polling every millisecond, so it costs next to no CPU
 * and never makes a worker wait for a point while it computes one. The
 * trade-off: N ranks give N - 1 workers (run N = workers + 1, and with
 * -np 2 one rank computes); a point is the unit handed out, so a rank
 * whose -j threads outnumber the replications leaves some cores idle. At
 * the end rank 0 writes sweep.csv and sweep.json: a row's text does not
 * depend on where it was computed, so the files equal a single process's,
 * byte for byte. With N == 1 the process runs the sweep as bin/clustersim.
 *
 * What holds on interruption: every finished row, whichever rank computed
 * it, is in the journal as soon as rank 0 has received it; a stopped MPI
 * sweep leaves whole rows, and --resume (with clustersim-mpi or with
 * bin/clustersim, the journal being the same) runs only the rest. Each rank
 * notices its own SIGINT or SIGTERM (rank 0 within 1 ms, a worker within
 * 0.1 s) and ends. */
#ifndef SIM_SWEEP_MPI_H
#define SIM_SWEEP_MPI_H

#include <stdatomic.h>
#include <stddef.h>

#include "sim/sweep.h"
#include "sim/tune.h"

/* Starts MPI (threads funnelled through the main thread): this process's
 * rank and the number of ranks. 0, or -1. */
int sweep_mpi_init(int *rank, int *nranks);
/* Rank 0's status (a SWEEP_* of sweep_open) and, when it is SWEEP_OK, its
 * points that have a row, to every rank. Returns the status. */
int sweep_mpi_share(sweep_t *s, int status);
/* Runs the pending points over the ranks (see above); on rank 0 every row
 * ends up added and journaled. SWEEP_OK, SWEEP_FAILED with a message in err
 * (on rank 0: naming the rank that failed; a worker has sent its message
 * to rank 0), or SWEEP_STOPPED once *stop is nonzero (as sweep_run: end
 * the process at once). */
int sweep_mpi_run(sweep_t *s, const atomic_int *stop, char *err, size_t errlen);
/* tune over ranks. Every rank loads the grid and runs the same race: its
 * decisions depend only on the values, and every rank gets every value.
 * Rank 0 alone opens the directory; tune_mpi_share gives its status (a
 * TUNE_* of tune_open) and, when TUNE_OK, the table of values read from the
 * journal to every rank. tune_mpi_cells is tune_opts_t.runner: rank 0
 * hands a round's cells out one at a time to whichever rank asks (ranks
 * 1..N-1 run each in their threads and send the values back) and journals
 * them as they come; at the end of the round rank 0 broadcasts them all.
 * Returns as tune_run_cells; a rank that failed makes the round fail on
 * every rank. */
int tune_mpi_share(tune_t *t, int status);
int tune_mpi_cells(tune_t *t, const size_t *cells, size_t n, const atomic_int *stop, char *err, size_t errlen);
/* For `capacity` (sim/capacity.h): gives every rank the n rows of per
 * numbers in v, row k from rank owner[k]. 0, or -1. */
int sweep_mpi_rows(double *v, size_t per, int n, const int *owner);
/* Ends MPI; returns code (the exit code). */
int sweep_mpi_end(int code);

#endif
