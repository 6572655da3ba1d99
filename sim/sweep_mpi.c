/* sweep_mpi: a sweep over MPI ranks (sweep_mpi.h). Messages: status ints,
 * then a row text as a length (unsigned long long) and its bytes. */
#include "sim/sweep_mpi.h"

#include <mpi.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { TAG_STATUS = 1, TAG_LEN, TAG_TEXT };

int sweep_mpi_init(int *rank, int *nranks)
{
    int inited = 0, provided;
    MPI_Initialized(&inited);
    if (!inited && MPI_Init_thread(NULL, NULL, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS)
        return -1;
    MPI_Comm_rank(MPI_COMM_WORLD, rank);
    MPI_Comm_size(MPI_COMM_WORLD, nranks);
    return 0;
}

int sweep_mpi_share(sweep_t *s, int status)
{
    MPI_Bcast(&status, 1, MPI_INT, 0, MPI_COMM_WORLD);
    if (status == SWEEP_OK && sweep_points(s) <= (size_t)0x7fffffff) {
        /* bool is one byte wherever C11 and MPI_C_BOOL agree; send bytes */
        size_t n = sweep_points(s);
        unsigned char *b = malloc(n);
        bool *done = sweep_done_flags(s);
        int ok = b != NULL;
        MPI_Allreduce(MPI_IN_PLACE, &ok, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
        if (!ok) {
            free(b);
            return SWEEP_FAILED;
        }
        for (size_t i = 0; i < n; i++)
            b[i] = done[i];
        MPI_Bcast(b, (int)n, MPI_UNSIGNED_CHAR, 0, MPI_COMM_WORLD);
        for (size_t i = 0; i < n; i++)
            done[i] = b[i] != 0;
        free(b);
    }
    return status;
}

int sweep_mpi_gather(sweep_t *s, int status, char *err, size_t errlen)
{
    int rank, nranks;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &nranks);
    if (rank != 0) {
        char *text = status == SWEEP_OK ? sweep_rows_text(s) : NULL;
        if (status == SWEEP_OK && !text)
            status = SWEEP_FAILED;
        MPI_Send(&status, 1, MPI_INT, 0, TAG_STATUS, MPI_COMM_WORLD);
        /* a failure's message goes with it; rows only after success */
        const char *body = status == SWEEP_OK ? text : err;
        unsigned long long len = strlen(body);
        MPI_Send(&len, 1, MPI_UNSIGNED_LONG_LONG, 0, TAG_LEN, MPI_COMM_WORLD);
        MPI_Send(body, (int)len, MPI_CHAR, 0, TAG_TEXT, MPI_COMM_WORLD);
        free(text);
        return status;
    }
    for (int r = 1; r < nranks; r++) {
        int st;
        unsigned long long len;
        MPI_Recv(&st, 1, MPI_INT, r, TAG_STATUS, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        MPI_Recv(&len, 1, MPI_UNSIGNED_LONG_LONG, r, TAG_LEN, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        char *body = len < 0x7fffffffULL ? malloc(len + 1) : NULL;
        if (!body) {
            /* the message must still be taken off the wire */
            char *sink = malloc(len ? len : 1);
            MPI_Recv(sink, (int)len, MPI_CHAR, r, TAG_TEXT, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
            free(sink);
            if (status == SWEEP_OK) {
                snprintf(err, errlen, "out of memory receiving rank %d's rows", r);
                status = SWEEP_FAILED;
            }
            continue;
        }
        MPI_Recv(body, (int)len, MPI_CHAR, r, TAG_TEXT, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        body[len] = '\0';
        if (st != SWEEP_OK) {
            if (status == SWEEP_OK) {
                snprintf(err, errlen, "rank %d: %s", r, body);
                status = SWEEP_FAILED;
            }
        } else if (status == SWEEP_OK)
            status = sweep_add_rows(s, body, err, errlen);
        free(body);
    }
    return status;
}

int sweep_mpi_end(int code)
{
    int inited = 0, finalized = 0;
    MPI_Initialized(&inited);
    MPI_Finalized(&finalized);
    if (inited && !finalized)
        MPI_Finalize();
    return code;
}
