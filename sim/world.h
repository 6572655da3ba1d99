/* world: one replication of a scenario: the clock, the event set, the pools,
 * the request source and the stations, wired together.
 *
 * The world knows no model by name: it creates the stations of the
 * scenario through their kinds (sim/station.h), the source through the
 * catalogue, and asks each to sample and collect itself. There are no
 * globals: replications run in parallel threads, each with its own world.
 *
 * What models may use is listed in sim/station.h, and is what they use: the
 * fields under "read by models" (and `failed`, read only), the source's
 * `source_done` (set by the source at init), and the functions below; the
 * other fields are the core's.
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

#include "sim/arena.h"
#include "sim/evq.h"
#include "sim/hist.h"
#include "sim/metrics.h"
#include "sim/pool.h"
#include "sim/scenario.h"
#include "sim/station.h"

struct world {
    /* read by models */
    simtime_t now, warmup, end;
    uint64_t seed;
    const scenario_t *sc;       /* the configuration */
    arena_t *arena;             /* for allocations at init (freed with the world) */
    station_t *stations;        /* as sc->stations */
    size_t nstations;
    void *source;               /* the request source's state */
    route_t entry;              /* the route of requests that name none: the first station */
    bool source_done;           /* the source's `done` wants every finished request (set by it) */
    /* the core's */
    int replication;
    evq_t *q;
    pool_t requests, visits;
    uint64_t events;
    /* world_run stops after this many events (0: none), as if the run had
     * ended: a harness's bound on a run's cost (tests/fuzz/fuzz_run.c) */
    uint64_t event_limit;
    /* requests that arrived after warm-up */
    uint64_t requests_total, requests_completed;
    uint64_t requests_failed;   /* every error */
    uint64_t requests_rejected; /* of those, refused by a full queue (or no ready pod) */
    hist_t latency;
    /* time series and event log (NULL: not written) */
    FILE *series, *eventlog;
    uint64_t nevents;          /* rows of events.csv */
    /* rows of autoscaler.csv, one per metric per autoscaler evaluation
     * (models/autoscaler.h); NULL: not written. Set by the caller after
     * world_new, before world_run. */
    FILE *autoscaler_log;
    /* progress: simulated time reached, read by another thread (may be NULL) */
    _Atomic int64_t *progress;
    bool failed;
    bool overloaded;            /* failed at the limit of requests in flight (world_fail_pool) */
    char error[320];
};

/* The CSV streams a run writes rows to, each NULL for none: timeseries.csv's,
 * events.csv's and autoscaler.csv's. */
typedef struct world_files {
    FILE *series, *events, *autoscaler;
} world_files_t;

/* A world for replication `rep` (seed = scenario seed + rep), writing to
 * files (NULL: nothing). NULL when out of memory. */
world_t *world_new(const scenario_t *sc, int rep, const world_files_t *files);
void world_free(world_t *w);
/* Runs to the end. 0, or -1 on an internal error (w->error says which). */
int world_run(world_t *w);
/* Appends this run's results to m. */
void world_collect(const world_t *w, metrics_t *m);
/* Writes the CSV headers of the time series, the event log and the
 * autoscaler log (each may be NULL). */
void world_write_headers(const world_files_t *files);

/* The metrics of a replication that stopped at the limit of requests in
 * flight (w->overloaded), for commands that judge gates (check, compare,
 * sweep, tune, capacity): every value NaN, and metrics_t.overloaded set, so
 * that every gate and limit of the run fails (gate.h); the run is not an
 * error there. Into m (empty). */
void world_collect_overloaded(const world_t *w, metrics_t *m);
/* Marks the run failed (first message kept). */
void world_fail(world_t *w, const char *msg);
/* The same when pool p (of `what`) gave nothing: memory ran out, or the
 * pool reached its bound (sim/limits.h, LIMIT_INFLIGHT). */
void world_fail_pool(world_t *w, const pool_t *p, const char *what);

/* Schedules an event; its handle (0 when memory ran out: the run fails). */
static inline evq_handle_t world_schedule(world_t *w, simtime_t t, evq_fn fn, void *obj, uint64_t arg)
{
    evq_handle_t h = evq_schedule(w->q, t, fn, obj, arg);
    if (!h)
        world_fail(w, "out of memory (event set)");
    return h;
}

/* Cancels a pending event (its handle from world_schedule). */
static inline void world_cancel(world_t *w, evq_handle_t h) { evq_cancel(w->q, h); }

/* Moves a pending event to time t, as cancel then schedule would (its
 * handle stays valid). */
static inline evq_handle_t world_reschedule(world_t *w, evq_handle_t h, simtime_t t)
{
    return evq_reschedule(w->q, h, t);
}

/* A new request arrived now: measured when after warm-up, and counted. */
static inline void world_admit(world_t *w, request_t *r)
{
    r->measured = w->now >= w->warmup;
    if (r->measured)
        w->requests_total++;
}

/* A visit record (the largest visit_size of the scenario's kinds; contents
 * undefined), or NULL when memory ran out (the run fails). */
static inline void *world_visit_get(world_t *w)
{
    void *v = pool_get(&w->visits);
    if (!v)
        world_fail_pool(w, &w->visits, "visits to stations in progress");
    return v;
}

static inline void world_visit_put(world_t *w, void *v) { pool_put(&w->visits, v); }

/* A request, cleared, on the entry route; NULL when memory ran out. */
static inline request_t *world_new_request(world_t *w)
{
    request_t *r = pool_get(&w->requests);
    if (r)
        *r = (request_t){0};
    else
        world_fail_pool(w, &w->requests, "requests in flight");
    return r;
}

/* The station at index i of the scenario. */
static inline station_t *world_station(world_t *w, uint32_t i) { return &w->stations[i]; }

/* A request enters the station at its hop. */
static inline void world_enter(world_t *w, request_t *r)
{
    station_t *st = r->route->hops[r->hop];
    st->arrive(w, st, r);
}

/* A request like r (not yet made: a template) will enter its route soon:
 * its first station may prefetch (station_kind_t.prefetch). */
static inline void world_prefetch(const request_t *r)
{
    const station_t *st = r->route->n ? r->route->hops[0] : NULL;
    if (st && st->def->kind->prefetch)
        st->def->kind->prefetch(st, r);
}

/* The station at r's hop passes it on to the next one; past the end of its
 * route the origin answers it at once. */
void world_pass(world_t *w, request_t *r);
/* A request's reply reached the user: it is done (counted, freed). */
void world_request_done(world_t *w, request_t *r, bool ok);
void world_back_slow(world_t *w, request_t *r, bool ok);
/* The reply leaves the station at r's hop, back towards the user: the
 * previous stations' `back` see it pass; at hop 0 the request is done. */
static inline void world_back(world_t *w, request_t *r, bool ok)
{
    if (r->hop == 0)
        world_request_done(w, r, ok);
    else
        world_back_slow(w, r, ok);
}

/* A pod of the station whose index + 1 is pod_station, uid pod_uid (as a
 * request names the pod that served it), is gone: every station that keeps
 * something per pod (station_kind_t.pod_gone) hears of it. Not per request:
 * once per pod. */
void world_pod_gone(world_t *w, uint16_t pod_station, uint32_t pod_uid);
/* Whether that pod still exists (pod_station 0, no pod: true). O(log pods),
 * asked once per pod a station hears of, not per request. */
bool world_pod_alive(world_t *w, uint16_t pod_station, uint32_t pod_uid);
/* Writes a row of events.csv: `object` is "NAME/KIND" (hpa, threshold,
 * deployment, pod, ...); from, to and reason are free text. */
void world_event(world_t *w, const char *name, const char *kind, const char *from, const char *to,
                 const char *reason);
/* Writes s to f as one CSV field: as it is, or quoted when it holds a
 * comma, a quote or a line break. */
void world_csv_field(FILE *f, const char *s);
/* Writes a row of timeseries.csv at time t (s): series "PREFIX.NAME", or
 * NAME when prefix is NULL. Only from a `sample` operation. */
void world_series(world_t *w, double t, const char *prefix, const char *name, double v);

#endif
