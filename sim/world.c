#include "sim/world.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sim/limits.h"

void world_fail(world_t *w, const char *msg)
{
    if (!w->failed)
        snprintf(w->error, sizeof w->error, "%s", msg);
    w->failed = true;
}

void world_fail_pool(world_t *w, const pool_t *p, const char *what)
{
    char msg[sizeof w->error];
    if (pool_full(p)) {
        if (!w->failed)
            w->overloaded = true;
        snprintf(msg, sizeof msg,
                 "at %.3f s, %zu %s at once reach clustersim's limit: the load outgrows what the platform "
                 "serves, and its queues grow without end; lower the load, the queues' capacities or the duration",
                 simtime_to_s(w->now), p->max_objects, what);
    } else {
        snprintf(msg, sizeof msg, "out of memory (%s)", what);
    }
    world_fail(w, msg);
}

void world_collect_overloaded(const world_t *w, metrics_t *m)
{
    world_collect(w, m);
    m->overloaded = 1;
    for (size_t i = 0; i < m->n; i++) {
        m->v[i].value = NAN;
        if (m->v[i].trials >= 0)
            m->v[i].trials = m->v[i].successes = 0;
    }
}

void world_request_done(world_t *w, request_t *r, bool ok)
{
    if (w->source_done) /* every request: the source's series cover the warm-up too */
        model_catalog.source->done(w, w->source, r, ok);
    if (r->measured) {
        if (ok) {
            w->requests_completed++;
            hist_add(&w->latency, w->now - r->arrival);
        } else {
            w->requests_failed++;
            w->requests_rejected += r->rejected;
        }
    }
    pool_put(&w->requests, r);
}

void world_back_slow(world_t *w, request_t *r, bool ok)
{
    while (r->hop > 0) {
        station_t *st = r->route->hops[--r->hop];
        if (st->def->kind->back) {
            st->def->kind->back(w, st, r, ok);
            return;
        }
    }
    world_request_done(w, r, ok);
}

void world_pass(world_t *w, request_t *r)
{
    if (++r->hop >= r->route->n)
        world_back(w, r, true);
    else
        world_enter(w, r);
}

/* ---- periodic events ---------------------------------------------------- */

static void on_warmup(void *ctx, void *obj, uint64_t arg)
{
    (void)obj, (void)arg;
    world_t *w = ctx;
    for (size_t i = 0; i < w->nstations; i++) {
        station_t *st = &w->stations[i];
        if (st->def->kind->restart_stats)
            st->def->kind->restart_stats(w, st);
    }
}

static void on_progress(void *ctx, void *obj, uint64_t arg)
{
    (void)obj;
    world_t *w = ctx;
    if (w->progress)
        atomic_store_explicit(w->progress, w->now, memory_order_relaxed);
    simtime_t next = w->now + (simtime_t)arg;
    if (next <= w->end)
        world_schedule(w, next, on_progress, NULL, arg);
}

void world_csv_field(FILE *f, const char *s)
{
    if (!strpbrk(s, ",\"\n\r")) {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

bool world_pod_alive(world_t *w, uint16_t pod_station, uint32_t pod_uid)
{
    if (pod_station == 0 || pod_station > w->nstations)
        return true;
    station_t *st = &w->stations[pod_station - 1];
    return st->def->kind->pod_alive ? st->def->kind->pod_alive(w, st, pod_uid) : true;
}

void world_pod_gone(world_t *w, uint16_t pod_station, uint32_t pod_uid)
{
    for (size_t i = 0; i < w->nstations; i++) {
        station_t *st = &w->stations[i];
        if (st->def->kind->pod_gone)
            st->def->kind->pod_gone(w, st, pod_station, pod_uid);
    }
}

void world_event(world_t *w, const char *name, const char *kind, const char *from, const char *to,
                 const char *reason)
{
    w->nevents++;
    if (!w->eventlog)
        return;
    fprintf(w->eventlog, "%d,%.10g,", w->replication, simtime_to_s(w->now));
    char obj[200];
    snprintf(obj, sizeof obj, "%s/%s", name, kind);
    world_csv_field(w->eventlog, obj);
    fputc(',', w->eventlog);
    world_csv_field(w->eventlog, from);
    fputc(',', w->eventlog);
    world_csv_field(w->eventlog, to);
    fputc(',', w->eventlog);
    world_csv_field(w->eventlog, reason);
    fputc('\n', w->eventlog);
}

/* metrics-server: a window opens `window` before each scrape. */
static void on_window(void *ctx, void *obj, uint64_t arg)
{
    (void)obj, (void)arg;
    world_t *w = ctx;
    for (size_t i = 0; i < w->nstations; i++) {
        station_t *st = &w->stations[i];
        if (st->def->kind->window)
            st->def->kind->window(w, st);
    }
    if (w->now + w->sc->metrics_resolution <= w->end)
        world_schedule(w, w->now + w->sc->metrics_resolution, on_window, NULL, 0);
}

static void on_scrape(void *ctx, void *obj, uint64_t arg)
{
    (void)obj, (void)arg;
    world_t *w = ctx;
    simtime_t res = w->sc->metrics_resolution;
    for (size_t i = 0; i < w->nstations; i++) {
        station_t *st = &w->stations[i];
        if (st->def->kind->scrape)
            st->def->kind->scrape(w, st);
    }
    if (model_catalog.source->scrape)
        model_catalog.source->scrape(w, w->source, res);
    if (w->now + res <= w->end)
        world_schedule(w, w->now + res, on_scrape, NULL, 0);
}

void world_write_headers(const world_files_t *f)
{
    if (f->series)
        fputs("replication,time_s,series,value\n", f->series);
    if (f->events)
        fputs("replication,time_s,object,from,to,reason\n", f->events);
    if (f->autoscaler)
        fputs("replication,time_s,service,current,metric,value,target,proposal,raw,stabilized,final,reason\n",
              f->autoscaler);
}

void world_series(world_t *w, double t, const char *prefix, const char *name, double v)
{
    if (prefix)
        fprintf(w->series, "%d,%.10g,%s.%s,%.6g\n", w->replication, t, prefix, name, v);
    else
        fprintf(w->series, "%d,%.10g,%s,%.6g\n", w->replication, t, name, v);
}

static void on_sample(void *ctx, void *obj, uint64_t arg)
{
    (void)obj, (void)arg;
    world_t *w = ctx;
    simtime_t dt = w->sc->sample_interval;
    double t = simtime_to_s(w->now), secs = simtime_to_s(dt);
    if (model_catalog.source->sample)
        model_catalog.source->sample(w, w->source, t, secs);
    for (size_t i = 0; i < w->nstations; i++) {
        station_t *st = &w->stations[i];
        if (st->def->kind->sample)
            st->def->kind->sample(w, st, t, secs);
    }
    if (w->now + dt <= w->end)
        world_schedule(w, w->now + dt, on_sample, NULL, 0);
}

/* ---- life cycle ----------------------------------------------------------- */

world_t *world_new(const scenario_t *sc, int rep, const world_files_t *files)
{
    world_t *w = calloc(1, sizeof *w);
    if (!w)
        return NULL;
    w->sc = sc;
    w->replication = rep;
    w->seed = sc->seed + (uint64_t)rep;
    w->warmup = sc->warmup;
    w->end = sc->duration;
    if (files) {
        w->series = files->series;
        w->eventlog = files->events;
        w->autoscaler_log = files->autoscaler;
    }
    w->arena = arena_new();
    w->q = evq_new(1024);
    size_t visit = 0;
    for (size_t i = 0; i < sc->nstations; i++)
        if (sc->stations[i].kind->visit_size > visit)
            visit = sc->stations[i].kind->visit_size;
    pool_init(&w->requests, sizeof(request_t), 1024);
    pool_init(&w->visits, visit ? visit : sizeof(void *), 1024);
    w->requests.max_objects = LIMIT_INFLIGHT;
    w->visits.max_objects = LIMIT_INFLIGHT;
    if (!w->arena || !w->q)
        goto fail;
    const source_kind_t *src = model_catalog.source;
    w->stations = arena_alloc(w->arena, (sc->nstations ? sc->nstations : 1) * sizeof *w->stations);
    w->source = arena_alloc(w->arena, src->state_size ? src->state_size : 1);
    w->entry.hops = arena_alloc(w->arena, sizeof *w->entry.hops);
    if (!w->stations || !w->source || !w->entry.hops)
        goto fail;
    for (size_t i = 0; i < sc->nstations; i++) {
        const station_kind_t *k = sc->stations[i].kind;
        w->stations[i].def = &sc->stations[i];
        w->stations[i].arrive = k->arrive;
        w->stations[i].state = arena_alloc(w->arena, k->state_size ? k->state_size : 1);
        if (!w->stations[i].state)
            goto fail;
        memset(w->stations[i].state, 0, k->state_size);
    }
    w->nstations = sc->nstations;
    for (size_t i = 0; i < w->nstations; i++)
        if (w->stations[i].def->kind->init(w, &w->stations[i]) != 0)
            goto fail;
    /* requests that name no route enter the first station that takes them */
    for (size_t i = 0; i < w->nstations && !w->entry.n; i++)
        if (w->stations[i].def->kind->arrive) {
            w->entry.hops[0] = &w->stations[i];
            w->entry.n = 1;
            w->entry.name = w->stations[i].def->name;
        }
    if (src->init(w, w->source) != 0)
        goto fail;
    bool scraped = false;
    for (size_t i = 0; i < w->nstations; i++) {
        station_t *st = &w->stations[i];
        if (st->def->kind->start && st->def->kind->start(w, st) != 0)
            goto fail;
        if (st->def->kind->scraped && st->def->kind->scraped(st->def))
            scraped = true;
    }
    /* metrics-server scrapes when someone reads metrics */
    if (scraped) {
        world_schedule(w, sc->metrics_resolution - sc->metrics_window, on_window, NULL, 0);
        world_schedule(w, sc->metrics_resolution, on_scrape, NULL, 0);
    }
    if (w->warmup > 0)
        world_schedule(w, w->warmup, on_warmup, NULL, 0);
    if (w->series)
        world_schedule(w, sc->sample_interval, on_sample, NULL, 0);
    simtime_t step = w->end / 200 > 0 ? w->end / 200 : 1;
    world_schedule(w, step, on_progress, NULL, (uint64_t)step);
    if (w->failed)
        goto fail;
    return w;
fail:
    world_free(w);
    return NULL;
}

void world_free(world_t *w)
{
    if (!w)
        return;
    /* a station's destroy must accept a state its init did not finish
     * (zeroed, or partly set): init may have failed on any station */
    if (w->stations)
        for (size_t i = 0; i < w->nstations; i++)
            if (w->stations[i].def->kind->destroy)
                w->stations[i].def->kind->destroy(w, &w->stations[i]);
    if (w->source && model_catalog.source->destroy)
        model_catalog.source->destroy(w, w->source);
    pool_destroy(&w->requests);
    pool_destroy(&w->visits);
    evq_free(w->q);
    arena_free(w->arena);
    free(w);
}

int world_run(world_t *w)
{
    evq_t *q = w->q;
    simtime_t end = w->end;
    evq_event_t ev;
    uint64_t events = 0, limit = w->event_limit ? w->event_limit : UINT64_MAX;
    while (evq_pop(q, &ev)) {
        if (ev.time > end)
            break;
        w->now = ev.time;
        ev.fn(w, ev.obj, ev.arg);
        events++;
        if (w->failed || events == limit)
            break;
    }
    w->events = events;
    w->now = end;
    if (w->progress)
        atomic_store_explicit(w->progress, end, memory_order_relaxed);
    return w->failed ? -1 : 0;
}

/* ---- results -------------------------------------------------------------- */

void world_collect(const world_t *w, metrics_t *m)
{
    double window = simtime_to_s(w->end - w->warmup);
    uint64_t finished = w->requests_completed + w->requests_failed;
    metrics_add(m, (double)w->events, "events");
    metrics_add(m, (double)w->requests_total, "requests.total");
    metrics_add(m, (double)w->requests_completed, "requests.completed");
    metrics_add_count(m, w->requests_failed, "requests.failed");
    metrics_add_count(m, w->requests_rejected, "requests.rejected");
    /* none finished: no rate (null), so that a gate on it fails for want of
     * a sample rather than passing on nothing */
    metrics_add_prop(m, w->requests_failed, finished, "requests.error_rate");
    metrics_add(m, (double)w->requests_completed / window, "requests.throughput_rps");
    metrics_add_latency(m, &w->latency, "latency_ms", true);
    if (model_catalog.source->collect)
        model_catalog.source->collect(w, w->source, m);
    for (size_t i = 0; i < w->nstations; i++)
        if (w->stations[i].def->kind->collect)
            w->stations[i].def->kind->collect(w, &w->stations[i], m);
    if (model_catalog.collect_after)
        model_catalog.collect_after(w, m);
}
