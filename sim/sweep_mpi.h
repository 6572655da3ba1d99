/* sweep_mpi: `mpirun -np N clustersim-mpi sweep ...`, a sweep's points
 * spread over MPI ranks. Only bin/clustersim-mpi links this file (the
 * library and bin/clustersim know nothing of MPI); it is the only file that
 * includes mpi.h.
 *
 * Every rank parses the same command line and loads the same grid. Rank 0
 * alone opens the output directory (and reads the journal on --resume); it
 * then broadcasts its verdict and which points have a row, so that every
 * rank sees the same list of pending points and runs the i-th of them with
 * i mod N == its rank, in threads as a single process would (sweep.h). At
 * the end each rank sends its rows to rank 0, which journals them and writes
 * sweep.csv and sweep.json: a row's text does not depend on where it was
 * computed, so the files equal a single process's, byte for byte.
 *
 * What holds on interruption: rank 0 journals its own rows as they finish,
 * the other ranks' only when they are gathered at the end; a stopped MPI
 * sweep leaves whole rows, and --resume (with clustersim-mpi or with
 * bin/clustersim, the journal being the same) runs only the rest. */
#ifndef SIM_SWEEP_MPI_H
#define SIM_SWEEP_MPI_H

#include <stddef.h>

#include "sim/sweep.h"

/* Starts MPI (threads funnelled through the main thread): this process's
 * rank and the number of ranks. 0, or -1. */
int sweep_mpi_init(int *rank, int *nranks);
/* Rank 0's status (a SWEEP_* of sweep_open) and, when it is SWEEP_OK, its
 * points that have a row, to every rank. Returns the status. */
int sweep_mpi_share(sweep_t *s, int status);
/* Every rank's status and rows to rank 0, which adds the rows (journaling
 * them). The status of the whole: SWEEP_OK, or SWEEP_FAILED with a message
 * in err (on rank 0: naming the rank that failed). */
int sweep_mpi_gather(sweep_t *s, int status, char *err, size_t errlen);
/* Ends MPI; returns code (the exit code). */
int sweep_mpi_end(int code);

#endif
