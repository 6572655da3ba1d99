/* sweep_mpi: a sweep, or a tune's rounds, over MPI ranks (sweep_mpi.h).
 * Messages: a worker sends TAG_ROW (a row's text, or "" when it has none
 * yet: a request; tune: TAG_VALS, a cell and its values as doubles, or
 * nothing) or TAG_FAIL (its error message, its last word); rank 0 answers
 * each with TAG_POINT, a point (tune: cell) index (unsigned long long) or
 * NO_POINT: stop. */
#include "sim/sweep_mpi.h"

#include <mpi.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { TAG_ROW = 1, TAG_FAIL, TAG_POINT, TAG_VALS };
#define NO_POINT (~0ULL)

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

/* Rank 0's n flags to every rank, sent as bytes (bool is one byte wherever
 * C11 and MPI_C_BOOL agree). false, with nothing sent, when a rank is out
 * of memory or its fits is false. */
static bool bcast_flags(bool *flags, size_t n, bool fits)
{
    unsigned char *b = malloc(n);
    int ok = b != NULL && fits;
    MPI_Allreduce(MPI_IN_PLACE, &ok, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
    if (!ok) {
        free(b);
        return false;
    }
    for (size_t i = 0; i < n; i++)
        b[i] = flags[i];
    MPI_Bcast(b, (int)n, MPI_UNSIGNED_CHAR, 0, MPI_COMM_WORLD);
    for (size_t i = 0; i < n; i++)
        flags[i] = b[i] != 0;
    free(b);
    return true;
}

int sweep_mpi_share(sweep_t *s, int status)
{
    MPI_Bcast(&status, 1, MPI_INT, 0, MPI_COMM_WORLD);
    if (status == SWEEP_OK && sweep_points(s) <= (size_t)0x7fffffff &&
        !bcast_flags(sweep_done_flags(s), sweep_points(s), true))
        return SWEEP_FAILED;
    return status;
}

/* Waits for a message that matches (source, tag), checking *stop every
 * millisecond: rank 0 must notice a SIGINT while no worker speaks, and a
 * polling wait leaves the cores to the workers (MPI's blocking receive
 * spins). 0 with its status, or -1 when stopped. */
static int wait_message(int source, int tag, const atomic_int *stop, MPI_Status *st)
{
    for (;;) {
        int flag = 0;
        MPI_Iprobe(source, tag, MPI_COMM_WORLD, &flag, st);
        if (flag)
            return 0;
        if (stop && atomic_load(stop))
            return -1;
        nanosleep(&(struct timespec){0, 1000 * 1000}, NULL);
    }
}

/* Receives the probed message st as a string (malloc'd). NULL: out of
 * memory; the zero-byte receive that stands in for it is then a truncation,
 * which MPI's default handler reports by ending the job (a row is a few
 * hundred bytes: a process that cannot hold one cannot go on anyway). */
static char *recv_text(const MPI_Status *st)
{
    int n = 0;
    MPI_Get_count(st, MPI_CHAR, &n);
    char *t = malloc((size_t)n + 1);
    char sink;
    MPI_Recv(t ? t : &sink, t ? n : 0, MPI_CHAR, st->MPI_SOURCE, st->MPI_TAG, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    if (t)
        t[n] = '\0';
    return t;
}

static int coordinate(sweep_t *s, int nranks, const atomic_int *stop, char *err, size_t errlen)
{
    size_t np = sweep_points(s), next = 0;
    const bool *done = sweep_done_flags(s);
    int status = SWEEP_OK, active = nranks - 1;
    while (active > 0) {
        MPI_Status st;
        if (wait_message(MPI_ANY_SOURCE, MPI_ANY_TAG, stop, &st) != 0) {
            snprintf(err, errlen, "stopped; %zu of %zu points have their row in the journal (--resume runs the rest)",
                     sweep_done(s), np);
            return SWEEP_STOPPED;
        }
        int r = st.MPI_SOURCE;
        char *text = recv_text(&st);
        if (!text && status == SWEEP_OK) {
            snprintf(err, errlen, "out of memory receiving rank %d's row", r);
            status = SWEEP_FAILED;
        }
        if (st.MPI_TAG == TAG_FAIL) {
            if (status == SWEEP_OK) {
                snprintf(err, errlen, "rank %d: %s", r, text ? text : "?");
                status = SWEEP_FAILED;
            }
            free(text);
            active--; /* it has ended */
            continue;
        }
        if (text && *text && status == SWEEP_OK)
            status = sweep_add_rows(s, text, err, errlen); /* journaled now */
        free(text);
        while (next < np && done[next])
            next++;
        unsigned long long p = status == SWEEP_OK && next < np ? (unsigned long long)next++ : NO_POINT;
        MPI_Send(&p, 1, MPI_UNSIGNED_LONG_LONG, r, TAG_POINT, MPI_COMM_WORLD);
        if (p == NO_POINT)
            active--;
    }
    return status;
}

static int work(sweep_t *s, const atomic_int *stop, char *err, size_t errlen)
{
    const char *row = "";
    for (;;) {
        MPI_Send(row, (int)strlen(row), MPI_CHAR, 0, TAG_ROW, MPI_COMM_WORLD);
        MPI_Status st;
        if (wait_message(0, TAG_POINT, stop, &st) != 0) {
            snprintf(err, errlen, "stopped while waiting for a point");
            return SWEEP_STOPPED;
        }
        unsigned long long p;
        MPI_Recv(&p, 1, MPI_UNSIGNED_LONG_LONG, 0, TAG_POINT, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        if (p == NO_POINT)
            return SWEEP_OK;
        int rc = sweep_run_point(s, (size_t)p, err, errlen);
        if (rc == SWEEP_STOPPED)
            return rc;
        if (rc == SWEEP_OK && !(row = sweep_row(s, (size_t)p))) {
            snprintf(err, errlen, "point %llu has no row", p);
            rc = SWEEP_FAILED;
        }
        if (rc != SWEEP_OK) {
            MPI_Send(err, (int)strlen(err), MPI_CHAR, 0, TAG_FAIL, MPI_COMM_WORLD);
            return rc;
        }
    }
}

int sweep_mpi_run(sweep_t *s, const atomic_int *stop, char *err, size_t errlen)
{
    int rank, nranks;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &nranks);
    if (nranks == 1)
        return sweep_run(s, err, errlen);
    return rank == 0 ? coordinate(s, nranks, stop, err, errlen) : work(s, stop, err, errlen);
}

int sweep_mpi_rows(double *v, size_t per, int n, const int *owner)
{
    if (per > 0x7fffffff)
        return -1;
    for (int k = 0; k < n; k++)
        if (MPI_Bcast(v + (size_t)k * per, (int)per, MPI_DOUBLE, owner[k], MPI_COMM_WORLD) != MPI_SUCCESS)
            return -1;
    return 0;
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

/* ---- tune ---------------------------------------------------------------------------- */

int tune_mpi_share(tune_t *t, int status)
{
    MPI_Bcast(&status, 1, MPI_INT, 0, MPI_COMM_WORLD);
    if (status != TUNE_OK)
        return status;
    size_t n = tune_cells(t), nv = tune_nvals(t);
    if (!bcast_flags(tune_have(t), n, n * nv <= 0x7fffffff))
        return TUNE_FAILED;
    MPI_Bcast(tune_table(t), (int)(n * nv), MPI_DOUBLE, 0, MPI_COMM_WORLD);
    return TUNE_OK;
}

/* Rank 0: hands the cells out one at a time, stores (and journals) the
 * values as they come. */
static int tune_coordinate(tune_t *t, const size_t *cells, size_t n, int nranks, const atomic_int *stop, char *err,
                           size_t errlen)
{
    size_t nv = tune_nvals(t), next = 0;
    double *buf = malloc((nv + 1) * sizeof *buf);
    int status = buf ? TUNE_OK : TUNE_FAILED, active = nranks - 1;
    if (!buf)
        snprintf(err, errlen, "out of memory");
    while (active > 0) {
        MPI_Status st;
        if (wait_message(MPI_ANY_SOURCE, MPI_ANY_TAG, stop, &st) != 0) {
            snprintf(err, errlen, "stopped; the replications done are in the journal (--resume continues)");
            free(buf);
            return TUNE_STOPPED;
        }
        int r = st.MPI_SOURCE;
        if (st.MPI_TAG == TAG_FAIL) {
            char *text = recv_text(&st);
            if (status == TUNE_OK) {
                snprintf(err, errlen, "rank %d: %s", r, text ? text : "?");
                status = TUNE_FAILED;
            }
            free(text);
            active--; /* it has ended its share */
            continue;
        }
        int count = 0;
        MPI_Get_count(&st, MPI_DOUBLE, &count);
        double sink;
        bool fits = buf && (size_t)count <= nv + 1;
        MPI_Recv(fits ? buf : &sink, fits ? count : 0, MPI_DOUBLE, r, TAG_VALS, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        if (fits && (size_t)count == nv + 1 && status == TUNE_OK) {
            int e = tune_store(t, (size_t)buf[0], buf + 1);
            if (e) {
                snprintf(err, errlen, "writing the journal failed: %s", strerror(e));
                status = TUNE_FAILED;
            }
        }
        unsigned long long c = status == TUNE_OK && next < n ? (unsigned long long)cells[next++] : NO_POINT;
        MPI_Send(&c, 1, MPI_UNSIGNED_LONG_LONG, r, TAG_POINT, MPI_COMM_WORLD);
        if (c == NO_POINT)
            active--;
    }
    free(buf);
    return status;
}

/* A worker: asks for cells, runs each in its threads, sends the values. */
static int tune_work(tune_t *t, const atomic_int *stop, char *err, size_t errlen)
{
    size_t nv = tune_nvals(t);
    double *buf = malloc((nv + 1) * sizeof *buf);
    int count = 0, rc = buf ? TUNE_OK : TUNE_FAILED;
    if (!buf)
        snprintf(err, errlen, "out of memory");
    while (rc == TUNE_OK) {
        MPI_Send(buf, count, MPI_DOUBLE, 0, TAG_VALS, MPI_COMM_WORLD);
        MPI_Status st;
        if (wait_message(0, TAG_POINT, stop, &st) != 0) {
            snprintf(err, errlen, "stopped while waiting for a replication");
            free(buf);
            return TUNE_STOPPED;
        }
        unsigned long long c;
        MPI_Recv(&c, 1, MPI_UNSIGNED_LONG_LONG, 0, TAG_POINT, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        if (c == NO_POINT)
            break;
        size_t cell = (size_t)c;
        if ((rc = tune_run_cells(t, &cell, 1, err, errlen)) == TUNE_STOPPED) {
            free(buf);
            return rc;
        }
        buf[0] = (double)cell; /* exact: cells are below 2^53 */
        memcpy(buf + 1, tune_table(t) + cell * nv, nv * sizeof *buf);
        count = (int)nv + 1;
    }
    if (rc != TUNE_OK)
        MPI_Send(err, (int)strlen(err), MPI_CHAR, 0, TAG_FAIL, MPI_COMM_WORLD);
    free(buf);
    return rc;
}

int tune_mpi_cells(tune_t *t, const size_t *cells, size_t n, const atomic_int *stop, char *err, size_t errlen)
{
    int rank, nranks;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &nranks);
    if (nranks == 1)
        return tune_run_cells(t, cells, n, err, errlen);
    int rc = rank == 0 ? tune_coordinate(t, cells, n, nranks, stop, err, errlen) : tune_work(t, stop, err, errlen);
    if (rc == TUNE_STOPPED)
        return rc;
    /* every rank takes the round's values from rank 0, so that all run the same race */
    int status = rc;
    MPI_Bcast(&status, 1, MPI_INT, 0, MPI_COMM_WORLD);
    if (status != TUNE_OK) {
        if (rank != 0 && rc == TUNE_OK)
            snprintf(err, errlen, "another rank failed (rank 0 says which)");
        return TUNE_FAILED;
    }
    size_t nv = tune_nvals(t);
    double *vals = n * nv <= 0x7fffffff ? malloc(n * nv * sizeof *vals + 1) : NULL;
    int ok = vals != NULL;
    MPI_Allreduce(MPI_IN_PLACE, &ok, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
    if (!ok) {
        free(vals);
        snprintf(err, errlen, "out of memory sharing a round's values");
        return TUNE_FAILED;
    }
    if (rank == 0)
        for (size_t i = 0; i < n; i++)
            memcpy(vals + i * nv, tune_table(t) + cells[i] * nv, nv * sizeof *vals);
    MPI_Bcast(vals, (int)(n * nv), MPI_DOUBLE, 0, MPI_COMM_WORLD);
    for (size_t i = 0; rank != 0 && i < n; i++)
        tune_store(t, cells[i], vals + i * nv); /* no journal on a worker: cannot fail */
    free(vals);
    return TUNE_OK;
}
