#include "models/deployment.h"
#include "sim/world.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void world_fail(world_t *w, const char *msg)
{
    if (!w->failed)
        snprintf(w->error, sizeof w->error, "%s", msg);
    w->failed = true;
}

void world_request_done(world_t *w, request_t *r, bool ok)
{
    if (r->measured) {
        if (ok) {
            w->requests_completed++;
            hist_add(&w->latency, w->now - r->arrival);
        } else {
            w->requests_failed++;
        }
    }
    pool_put(&w->requests, r);
}

/* ---- periodic events ---------------------------------------------------- */

static void on_warmup(void *ctx, void *obj, uint64_t arg)
{
    (void)obj, (void)arg;
    world_t *w = ctx;
    for (size_t i = 0; i < w->sc->nservices; i++)
        service_restart_stats(&w->services[i], w->now);
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

/* A CSV field, quoted when it holds a comma, a quote or a line break. */
static void csv_field(FILE *f, const char *s)
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

void world_event(world_t *w, const char *service, const char *kind, const char *from, const char *to,
                 const char *reason)
{
    w->nevents++;
    if (!w->eventlog)
        return;
    fprintf(w->eventlog, "%d,%.10g,", w->replication, simtime_to_s(w->now));
    char obj[200];
    snprintf(obj, sizeof obj, "%s/%s", service, kind);
    csv_field(w->eventlog, obj);
    fputc(',', w->eventlog);
    csv_field(w->eventlog, from);
    fputc(',', w->eventlog);
    csv_field(w->eventlog, to);
    fputc(',', w->eventlog);
    csv_field(w->eventlog, reason);
    fputc('\n', w->eventlog);
}

/* metrics-server: a window opens `window` before each scrape. */
static void on_window(void *ctx, void *obj, uint64_t arg)
{
    (void)obj, (void)arg;
    world_t *w = ctx;
    for (size_t i = 0; i < w->sc->nservices; i++)
        service_window_start(w, &w->services[i]);
    if (w->now + w->sc->metrics_resolution <= w->end)
        world_schedule(w, w->now + w->sc->metrics_resolution, on_window, NULL, 0);
}

static void on_scrape(void *ctx, void *obj, uint64_t arg)
{
    (void)obj, (void)arg;
    world_t *w = ctx;
    simtime_t res = w->sc->metrics_resolution;
    for (size_t i = 0; i < w->sc->nservices; i++)
        service_scrape(w, &w->services[i]);
    traffic_scrape(&w->traffic, res);
    if (w->now + res <= w->end)
        world_schedule(w, w->now + res, on_scrape, NULL, 0);
}

static void on_rollout(void *ctx, void *obj, uint64_t arg)
{
    (void)arg;
    deployment_rollout(ctx, obj);
}

void world_write_headers(FILE *series, FILE *eventlog)
{
    if (series)
        fputs("replication,time_s,series,value\n", series);
    if (eventlog)
        fputs("replication,time_s,object,from,to,reason\n", eventlog);
}

static void row(world_t *w, double t, const char *svc, const char *name, double v)
{
    if (svc)
        fprintf(w->series, "%d,%.10g,%s.%s,%.6g\n", w->replication, t, svc, name, v);
    else
        fprintf(w->series, "%d,%.10g,%s,%.6g\n", w->replication, t, name, v);
}

static void on_sample(void *ctx, void *obj, uint64_t arg)
{
    (void)obj, (void)arg;
    world_t *w = ctx;
    simtime_t dt = w->sc->sample_interval;
    double t = simtime_to_s(w->now), secs = simtime_to_s(dt);
    row(w, t, NULL, "offered_rate", traffic_rate_at(&w->sc->traffic, w->now));
    row(w, t, NULL, "arrival_rate", (double)w->iv_arrivals / secs);
    w->iv_arrivals = 0;
    for (size_t i = 0; i < w->sc->nservices; i++) {
        service_t *s = &w->services[i];
        const char *n = s->cfg->name;
        double area = gauge_area(&s->busy, w->now);
        double workers = (double)s->npods * s->cfg->concurrency;
        row(w, t, n, "replicas", s->npods);
        row(w, t, n, "replicas_desired", s->desired);
        row(w, t, n, "replicas_ready", s->view.n);
        if (s->cfg->cpu_request_m > 0 && s->view.n > 0)
            row(w, t, n, "cpu_utilization", s->cpu.value * 1000.0 / ((double)s->cfg->cpu_request_m * s->view.n));
        row(w, t, n, "busy", s->busy.value);
        row(w, t, n, "queue_length", s->queue.value);
        row(w, t, n, "utilization", (area - s->iv.busy_area0) / ((double)dt * workers));
        row(w, t, n, "throughput_rps", (double)s->iv.completed / secs);
        row(w, t, n, "rejected", (double)s->iv.rejected);
        if (s->iv.latency.n) {
            row(w, t, n, "latency_p50_ms", hist_quantile(&s->iv.latency, 0.50) / 1e6);
            row(w, t, n, "latency_p99_ms", hist_quantile(&s->iv.latency, 0.99) / 1e6);
        }
        s->iv.completed = s->iv.rejected = 0;
        s->iv.busy_area0 = area;
        hist_reset(&s->iv.latency);
    }
    if (w->now + dt <= w->end)
        world_schedule(w, w->now + dt, on_sample, NULL, 0);
}

/* ---- life cycle ----------------------------------------------------------- */

world_t *world_new(const scenario_t *sc, int rep, FILE *series, FILE *eventlog)
{
    world_t *w = calloc(1, sizeof *w);
    if (!w)
        return NULL;
    w->sc = sc;
    w->replication = rep;
    w->seed = sc->seed + (uint64_t)rep;
    w->warmup = sc->warmup;
    w->end = sc->duration;
    w->series = series;
    w->eventlog = eventlog;
    w->arena = arena_new();
    w->q = evq_new(1024);
    pool_init(&w->requests, sizeof(request_t), 1024);
    pool_init(&w->jobs, sizeof(job_t), 1024);
    if (!w->arena || !w->q)
        goto fail;
    w->services = arena_alloc(w->arena, sc->nservices * sizeof *w->services);
    if (!w->services)
        goto fail;
    for (size_t i = 0; i < sc->nservices; i++)
        if (service_init(w, &w->services[i], &sc->services[i], (uint32_t)i) != 0)
            goto fail;
    if (traffic_init(w, &w->traffic, &sc->traffic, &w->services[0]) != 0)
        goto fail;
    bool autoscaled = false;
    for (size_t i = 0; i < sc->nservices; i++) {
        service_t *s = &w->services[i];
        for (size_t k = 0; k < s->cfg->nrollouts; k++)
            if (s->cfg->rollouts[k] <= w->end)
                world_schedule(w, s->cfg->rollouts[k], on_rollout, s, 0);
        if (s->cfg->autoscaler.kind) {
            autoscaled = true;
            if (autoscaler_start(w, s) != 0)
                goto fail;
        }
    }
    /* metrics-server scrapes when someone reads metrics */
    if (autoscaled) {
        world_schedule(w, sc->metrics_resolution - sc->metrics_window, on_window, NULL, 0);
        world_schedule(w, sc->metrics_resolution, on_scrape, NULL, 0);
    }
    if (w->warmup > 0)
        world_schedule(w, w->warmup, on_warmup, NULL, 0);
    if (series)
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
    if (w->services)
        for (size_t i = 0; i < w->sc->nservices; i++) {
            autoscaler_stop(&w->services[i]);
            service_destroy(&w->services[i]);
        }
    traffic_destroy(&w->traffic);
    pool_destroy(&w->requests);
    pool_destroy(&w->jobs);
    evq_free(w->q);
    arena_free(w->arena);
    free(w);
}

int world_run(world_t *w)
{
    evq_t *q = w->q;
    simtime_t end = w->end;
    evq_event_t ev;
    uint64_t events = 0;
    while (evq_pop(q, &ev)) {
        if (ev.time > end)
            break;
        w->now = ev.time;
        ev.fn(w, ev.obj, ev.arg);
        events++;
        if (w->failed)
            break;
    }
    w->events = events;
    w->now = end;
    if (w->progress)
        atomic_store_explicit(w->progress, end, memory_order_relaxed);
    return w->failed ? -1 : 0;
}

/* ---- results -------------------------------------------------------------- */

static void add_quantiles(metrics_t *m, const hist_t *h, const char *prefix, int with_max)
{
    metrics_add(m, hist_mean(h) / 1e6, "%s.mean", prefix);
    metrics_add(m, hist_quantile(h, 0.50) / 1e6, "%s.p50", prefix);
    metrics_add(m, hist_quantile(h, 0.95) / 1e6, "%s.p95", prefix);
    metrics_add(m, hist_quantile(h, 0.99) / 1e6, "%s.p99", prefix);
    if (with_max)
        metrics_add(m, h->n ? (double)h->max / 1e6 : NAN, "%s.max", prefix);
}

void world_collect(const world_t *w, metrics_t *m)
{
    double window = simtime_to_s(w->end - w->warmup);
    uint64_t finished = w->requests_completed + w->requests_failed;
    metrics_add(m, (double)w->events, "events");
    metrics_add(m, (double)w->requests_total, "requests.total");
    metrics_add(m, (double)w->requests_completed, "requests.completed");
    metrics_add(m, (double)w->requests_failed, "requests.rejected");
    metrics_add(m, finished ? (double)w->requests_failed / (double)finished : 0.0, "requests.error_rate");
    metrics_add(m, (double)w->requests_completed / window, "requests.throughput_rps");
    add_quantiles(m, &w->latency, "latency_ms", 1);
    for (size_t i = 0; i < w->sc->nservices; i++) {
        const service_t *s = &w->services[i];
        char p[200];
        snprintf(p, sizeof p, "services.%s", s->cfg->name);
        double workers_area = gauge_area(&s->replicas, w->end) * s->cfg->concurrency;
        metrics_add(m, (double)s->completed / window, "%s.throughput_rps", p);
        char lat[220], wait[220];
        snprintf(lat, sizeof lat, "%s.latency_ms", p);
        snprintf(wait, sizeof wait, "%s.wait_ms", p);
        add_quantiles(m, &s->latency, lat, 1);
        add_quantiles(m, &s->wait, wait, 0);
        metrics_add(m, workers_area > 0 ? gauge_area(&s->busy, w->end) / workers_area : 0.0, "%s.utilization", p);
        metrics_add(m, (double)s->rejected, "%s.rejected", p);
        metrics_add(m, (double)s->errors, "%s.errors", p);
        metrics_add(m, s->replicas.min, "%s.replicas.min", p);
        metrics_add(m, s->replicas.max, "%s.replicas.max", p);
        metrics_add(m, gauge_mean(&s->replicas, w->end), "%s.replicas.mean", p);
        metrics_add(m, s->replicas.value, "%s.replicas.final", p);
        metrics_add(m, gauge_mean(&s->ready_pods, w->end), "%s.replicas.ready_mean", p);
        metrics_add(m, gauge_mean(&s->desired_g, w->end), "%s.replicas.desired_mean", p);
        metrics_add(m, (double)s->scaling_events, "%s.scaling_events", p);
        metrics_add(m, gauge_area(&s->replicas, w->end) / 3600e9, "%s.pod_hours", p);
        if (s->cfg->cpu_request_m > 0)
            metrics_add(m, gauge_area(&s->cpu, w->end) * 1000.0 /
                               (gauge_area(&s->replicas, w->end) * (double)s->cfg->cpu_request_m),
                        "%s.cpu_utilization", p);
        if (s->cfg->autoscaler.kind) {
            const autoscaler_t *a = &s->autoscaler;
            metrics_add(m, a->episodes ? a->response_sum_s / (double)a->episodes : NAN, "%s.scale_up_response_s", p);
            metrics_add(m, a->episodes ? a->response_max_s : NAN, "%s.scale_up_response_max_s", p);
            metrics_add(m, (double)a->episodes, "%s.scale_up_episodes", p);
        }
        if (s->cfg->mem_limit_b)
            metrics_add(m, (double)s->oom_kills, "%s.oom_kills", p);
        if (s->cfg->nrollouts) {
            metrics_add(m, (double)s->rollouts_done, "%s.rollouts", p);
            metrics_add(m, s->rollouts_done ? s->rollout_seconds / (double)s->rollouts_done : NAN,
                        "%s.rollout_duration_s", p);
            metrics_add(m, (double)s->rollout_errors, "%s.rollout_errors", p);
            char rl[220];
            snprintf(rl, sizeof rl, "%s.rollout_latency_ms", p);
            add_quantiles(m, &s->rollout_latency, rl, 1);
        }
        metrics_add(m, gauge_mean(&s->queue, w->end), "%s.queue_length_mean", p);
        metrics_add(m, gauge_mean(&s->in_system, w->end), "%s.in_system_mean", p);
        metrics_add(m, s->in_system.max, "%s.in_system_max", p);
    }
}
