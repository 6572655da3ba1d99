/* world: one replication of a scenario: the clock, the event set, the pools
 * and the models, wired together.
 *
 * Models read `now`, `warmup` and `end`, and schedule through
 * world_schedule(); everything else belongs to the core. There are no
 * globals: replications run in parallel threads, each with its own world.
 *
 * The run loop pops the earliest event, sets `now`, calls it: that is all
 * the event loop does. It stops at `end` (events after it never fire) or at
 * the first internal error (memory), which fails the replication. */
#ifndef SIM_WORLD_H
#define SIM_WORLD_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "models/service.h"
#include "models/traffic.h"
#include "sim/arena.h"
#include "sim/evq.h"
#include "sim/hist.h"
#include "sim/metrics.h"
#include "sim/pool.h"
#include "sim/scenario.h"

struct world {
    /* read by models */
    simtime_t now, warmup, end;
    uint64_t seed;
    service_t *services;
    /* the core's */
    const scenario_t *sc;
    int replication;
    evq_t *q;
    arena_t *arena;
    pool_t requests, jobs;
    traffic_t traffic;
    uint64_t events;
    /* requests that arrived after warm-up */
    uint64_t requests_total, requests_completed, requests_failed;
    hist_t latency;
    /* time series and event log (NULL: not written) */
    FILE *series, *eventlog;
    uint64_t iv_arrivals;
    uint64_t nevents;          /* rows of events.csv */
    /* progress: simulated time reached, read by another thread (may be NULL) */
    _Atomic int64_t *progress;
    bool failed;
    char error[200];
};

/* A world for replication `rep` (seed = scenario seed + rep). series and
 * eventlog may be NULL. NULL when out of memory. */
world_t *world_new(const scenario_t *sc, int rep, FILE *series, FILE *eventlog);
void world_free(world_t *w);
/* Runs to the end. 0, or -1 on an internal error (w->error says which). */
int world_run(world_t *w);
/* Appends this run's results to m. */
void world_collect(const world_t *w, metrics_t *m);
/* Writes the CSV headers of the time series and the event log. */
void world_write_headers(FILE *series, FILE *eventlog);

/* Marks the run failed (first message kept). */
void world_fail(world_t *w, const char *msg);

/* Schedules an event; its handle (0 when memory ran out: the run fails). */
static inline evq_handle_t world_schedule(world_t *w, simtime_t t, evq_fn fn, void *obj, uint64_t arg)
{
    evq_handle_t h = evq_schedule(w->q, t, fn, obj, arg);
    if (!h)
        world_fail(w, "out of memory (event set)");
    return h;
}

static inline job_t *world_new_job(world_t *w)
{
    job_t *j = pool_get(&w->jobs);
    if (j)
        *j = (job_t){0};
    else
        world_fail(w, "out of memory (jobs)");
    return j;
}

static inline void world_free_job(world_t *w, job_t *j) { pool_put(&w->jobs, j); }

static inline request_t *world_new_request(world_t *w)
{
    request_t *r = pool_get(&w->requests);
    if (r)
        *r = (request_t){0};
    else
        world_fail(w, "out of memory (requests)");
    return r;
}

/* Writes a row of events.csv: `object` is "SERVICE/KIND" (hpa, threshold,
 * deployment, pod); from, to and reason are free text. */
void world_event(world_t *w, const char *service, const char *kind, const char *from, const char *to,
                 const char *reason);

/* A request's last job finished (ok) or failed. */
void world_request_done(world_t *w, request_t *r, bool ok);

#endif
