/* service_station: the service as a station kind — its section of the
 * scenario, its checks across services (calls, limits), and its part of
 * the run's results (time series, summary.json, the terminal tables). The
 * model itself is service.c. */
#include "models/service.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "models/catalog.h"
#include "models/deployment.h"
#include "sim/limits.h"
#include "sim/world.h"

/* ---- the scenario -------------------------------------------------------------- */

service_cfg_t *scenario_service(const scenario_t *sc, size_t i)
{
    size_t n;
    station_cfg_t *first = scenario_stations_of(sc, &station_service, &n);
    return i < n ? first[i].cfg : NULL;
}

size_t scenario_nservices(const scenario_t *sc)
{
    size_t n;
    scenario_stations_of(sc, &station_service, &n);
    return n;
}

/* Service i < scenario_nservices(sc) of the scenario. */
static service_cfg_t *svc_cfg(const scenario_t *sc, size_t i)
{
    size_t n;
    return scenario_stations_of(sc, &station_service, &n)[i].cfg;
}

/* The station index of the first service. */
static size_t svc_base(const scenario_t *sc)
{
    size_t n;
    station_cfg_t *first = scenario_stations_of(sc, &station_service, &n);
    return first ? first->index : 0;
}

service_t *world_service(world_t *w, size_t i)
{
    const service_cfg_t *c = scenario_service(w->sc, i);
    return c ? world_station(w, (uint32_t)(svc_base(w->sc) + i))->state : NULL;
}

static void svc_begin(station_cfg_t *st)
{
    service_cfg_t *c = st->cfg;
    c->name = st->name;
    c->pos = st->pos;
}

static int svc_decoded(station_cfg_t *st, cfg_node_t *node, pctx_t *ctx, const char *path)
{
    service_cfg_t *c = st->cfg;
    return c->deployment ? service_apply_deployment(c, node, ctx, path) : 0;
}

/* Calls must name services and must not loop (a request would never end). */
static int check_calls(scenario_t *sc, diag_t *d)
{
    int errs = 0;
    for (size_t i = 0; i < scenario_nservices(sc); i++) {
        service_cfg_t *c = svc_cfg(sc, i);
        for (size_t k = 0; k < c->ncalls; k++) {
            if (!c->call_names[k])
                continue;
            const station_cfg_t *callee = scenario_station(sc, &station_service, c->call_names[k]);
            if (!callee) {
                char valid[400];
                size_t n = 0;
                for (size_t j = 0; j < scenario_nservices(sc) && n < sizeof valid; j++)
                    n += (size_t)snprintf(valid + n, sizeof valid - n, "%s%s", j ? ", " : "", svc_cfg(sc, j)->name);
                diag_error(d, c->call_pos[k], "services.%s.calls[%zu]: undefined service '%s' (defined: %s)", c->name,
                           k, c->call_names[k], valid);
                errs++;
            } else {
                c->calls[k] = callee->index;
            }
        }
    }
    if (errs)
        return errs;
    /* Depth-first search for a cycle; colour 1 = on the stack, 2 = done. */
    size_t n = scenario_nservices(sc), base = svc_base(sc);
    unsigned char *colour = calloc(n, 1);
    size_t *stack = malloc(n * sizeof *stack), *edge = calloc(n, sizeof *edge);
    if (!colour || !stack || !edge) {
        free(colour), free(stack), free(edge);
        diag_oom(d, (srcpos_t){sc->file, 0, 0});
        return 1;
    }
    for (size_t root = 0; root < n && !errs; root++) {
        if (colour[root])
            continue;
        size_t top = 0;
        stack[top++] = root;
        colour[root] = 1;
        while (top && !errs) {
            size_t u = stack[top - 1];
            service_cfg_t *c = svc_cfg(sc, u);
            if (edge[u] < c->ncalls) {
                size_t k = edge[u]++;
                size_t v = c->calls[k] - base;
                if (colour[v] == 1) {
                    diag_error(d, c->call_pos[k], "services.%s.calls[%zu]: calling '%s' makes a loop (%s)", c->name, k,
                               svc_cfg(sc, v)->name, v == u ? "a service calls itself" : "requests would never end");
                    errs++;
                } else if (colour[v] == 0) {
                    colour[v] = 1;
                    stack[top++] = v;
                }
            } else {
                colour[u] = 2;
                top--;
            }
        }
    }
    free(colour), free(stack), free(edge);
    return errs;
}

/* The most replicas a service's Deployment can be asked for: its initial
 * replicas or, when an autoscaler is higher, the autoscaler's maximum (both
 * autoscalers clamp their decisions to it). */
static int64_t most_replicas(const service_cfg_t *c)
{
    int64_t r = c->replicas;
    const autoscaler_cfg_t *a = &c->autoscaler;
    int64_t amax = a->kind == &autoscaler_hpa ? (a->hpa ? a->hpa->max_replicas : 0)
                   : a->kind                   ? a->max_replicas
                                               : 0;
    return amax > r ? amax : r;
}

int64_t service_most_pods(const service_cfg_t *c)
{
    int64_t r = most_replicas(c);
    /* a RollingUpdate rollout keeps up to replicas + maxSurge pods */
    return r + (c->nrollouts && !c->recreate ? k8s_intstr_resolve(c->max_surge, (int32_t)r, true) : 0);
}

/* Visits one request makes from service u, saturated at LIMIT_VISITS + 1
 * (memo[u] 0: not computed yet). The call graph has no loops (checked
 * before) and at most LIMIT_SERVICES services, which bounds the recursion. */
static int64_t visits(const scenario_t *sc, size_t u, int64_t *memo, diag_t *d, int *errs)
{
    if (memo[u])
        return memo[u];
    const service_cfg_t *c = svc_cfg(sc, u);
    int64_t v = 1;
    for (size_t k = 0; k < c->ncalls && v <= LIMIT_VISITS; k++) {
        int64_t sub = visits(sc, c->calls[k] - svc_base(sc), memo, d, errs);
        if (sub > LIMIT_VISITS)
            return memo[u] = sub; /* reported at the callee's own call */
        v += sub;
        if (v > LIMIT_VISITS) {
            diag_error(d, c->call_pos[k],
                       "services.%s.calls[%zu]: a request to '%s' would make more than %d service visits (calls, "
                       "counted through every service they call), above clustersim's limit of %d per request",
                       c->name, k, c->name, LIMIT_VISITS, LIMIT_VISITS);
            (*errs)++;
        }
    }
    return memo[u] = v;
}

static int check_limits(const scenario_t *sc, diag_t *d)
{
    int errs = 0;
    int64_t pods = 0, workers = 0;
    for (size_t i = 0; i < scenario_nservices(sc); i++) {
        const service_cfg_t *c = svc_cfg(sc, i);
        int64_t r = most_replicas(c), p = service_most_pods(c), surge = p - r;
        if (pods <= LIMIT_PODS && pods + p > LIMIT_PODS) {
            if (surge)
                diag_error(d, c->pos,
                           "services.%s: up to %lld pods at once (%lld replicas + %lld surge in a rollout) bring the "
                           "run to %lld, above clustersim's limit of %d pods per run",
                           c->name, (long long)p, (long long)r, (long long)surge, (long long)(pods + p), LIMIT_PODS);
            else
                diag_error(d, c->pos,
                           "services.%s: up to %lld pod%s at once bring%s the run to %lld, above clustersim's limit "
                           "of %d pods per run",
                           c->name, (long long)p, p == 1 ? "" : "s", p == 1 ? "s" : "", (long long)(pods + p),
                           LIMIT_PODS);
            errs++;
        }
        pods += p;
        int64_t wk = p * c->concurrency;
        if (workers <= LIMIT_WORKERS && workers + wk > LIMIT_WORKERS && !errs) { /* one message per cause */
            diag_error(d, c->pos,
                       "services.%s: up to %lld pods x concurrency %d bring the run to %lld workers, above "
                       "clustersim's limit of %d workers per run",
                       c->name, (long long)p, c->concurrency, (long long)(workers + wk), LIMIT_WORKERS);
            errs++;
        }
        workers += wk;
    }
    /* periodic work that visits every pod: metrics-server's windows and
     * scrapes, the samples of timeseries.csv, and the service's autoscaler */
    double per_pod = 2.0 * (double)(sc->duration / sc->metrics_resolution) +
                     (double)(sc->duration / sc->sample_interval),
           pod_ticks = 0;
    for (size_t i = 0; i < scenario_nservices(sc) && !errs; i++) {
        const service_cfg_t *c = svc_cfg(sc, i);
        const autoscaler_cfg_t *a = &c->autoscaler;
        double syncs = a->kind && (a->kind != &autoscaler_hpa || a->hpa)
                           ? (double)(sc->duration / a->kind->period(a))
                           : 0;
        /* a pod that a memory limit can OOM-kill may crash-loop: a restart
         * every 10 s at most (CrashLoopBackOff's shortest), each a few
         * events and a reconcile */
        double restarts = c->mem_limit_b ? (double)(sc->duration / (10 * SIM_S)) : 0;
        pod_ticks += (double)service_most_pods(c) * (per_pod + syncs + restarts);
        /* autoscaler.csv: a row per metric per sync (the threshold kind's
         * three triggers) */
        double rows = syncs * (a->hpa ? (double)a->hpa->n_metrics : 3);
        if (rows > LIMIT_SERIES_ROWS) {
            diag_error(d, a->pos,
                       "services.%s.autoscaler: %.0f syncs of %.0f rows each make %.0f rows of autoscaler.csv, "
                       "above clustersim's limit of %d rows per replication; make the sync period longer or the "
                       "duration shorter",
                       c->name, syncs, rows / syncs, rows, LIMIT_SERIES_ROWS);
            errs++;
            break;
        }
        if (pod_ticks > LIMIT_POD_TICKS) {
            diag_error(d, c->pos,
                       "services.%s: periodic work (metrics scrapes, samples%s%s) visits pods %.0f times in a "
                       "replication of %.6g s, above clustersim's limit of %.0f; make their intervals longer or "
                       "the duration shorter",
                       c->name, syncs ? ", autoscaler syncs" : "", restarts ? ", crash-loop restarts" : "",
                       pod_ticks, simtime_to_s(sc->duration), LIMIT_POD_TICKS);
            errs++;
        }
    }
    int64_t *memo = calloc(scenario_nservices(sc), sizeof *memo);
    if (!memo) {
        diag_oom(d, (srcpos_t){sc->file, 0, 0});
        return errs + 1;
    }
    for (size_t i = 0; i < scenario_nservices(sc); i++)
        visits(sc, i, memo, d, &errs);
    free(memo);
    return errs;
}

static int svc_check(scenario_t *sc, diag_t *d)
{
    int errs = 0;
    size_t n = scenario_nservices(sc);
    const platform_cfg_t *pf = platform_of(sc);
    for (size_t i = 0; i < n; i++) {
        service_cfg_t *c = svc_cfg(sc, i);
        if (c->mem_limit_b && c->mem_base_b > c->mem_limit_b)
            diag_warning(d, c->pos,
                         "services.%s: memory.base (%lld bytes) is above the memory limit (%lld bytes): every "
                         "container is OOM-killed as it starts, and no pod becomes Ready",
                         c->name, (long long)c->mem_base_b, (long long)c->mem_limit_b);
        if (c->nweights > (size_t)c->replicas) {
            diag_error(d, c->weights_pos, "services.%s.weights: %zu weights for %d replicas", c->name, c->nweights,
                       c->replicas);
            errs++;
        }
    }
    for (size_t i = 0; i < n; i++) {
        service_cfg_t *c = svc_cfg(sc, i);
        hpa_spec_t *h = c->autoscaler.hpa;
        if (!h)
            continue;
        h->cfg = pf->hpa_controller;
        errs += autoscaler_check_metrics(&c->autoscaler, &pf->traffic, c->name, d);
        /* Utilization is relative to the request: without one the metric fails */
        for (size_t m = 0; m < h->n_metrics; m++) {
            const hpa_metric_spec_t *ms = &h->metrics[m];
            bool res = ms->source == HPA_SOURCE_RESOURCE || ms->source == HPA_SOURCE_CONTAINER_RESOURCE;
            if (res && ms->target == HPA_TARGET_UTILIZATION &&
                ((strcmp(ms->name, "cpu") == 0 && c->cpu_request_m == 0) ||
                 (strcmp(ms->name, "memory") == 0 && c->mem_request_b == 0))) {
                diag_error(d, c->autoscaler.pos,
                           "services.%s.autoscaler: the HPA's %s Utilization target needs "
                           "services.%s.resources.requests.%s (utilisation is relative to the request)",
                           c->name, ms->name, c->name, ms->name);
                errs++;
            }
        }
    }
    errs += check_calls(sc, d);
    if (!errs)
        errs += check_limits(sc, d);
    return errs;
}

/* ---- the run ---------------------------------------------------------------------- */

static int svc_init(world_t *w, station_t *st)
{
    service_t *s = st->state;
    s->station = st;
    int rc = service_init(w, s, st->def->cfg, st->def->index);
    s->station = st;
    return rc;
}

static void on_rollout(void *ctx, void *obj, uint64_t arg)
{
    (void)arg;
    deployment_rollout(ctx, obj);
}

/* A scheduled pod crash: the oldest Ready pod's container dies (its
 * requests fail, it restarts after CrashLoopBackOff); with no Ready pod,
 * the oldest running one; with none, nothing (an event says so). */
static void on_crash(void *ctx, void *obj, uint64_t arg)
{
    (void)arg;
    world_t *w = ctx;
    service_t *s = obj;
    pod_t *victim = s->view.n ? s->ready[0] : NULL;
    for (uint32_t i = 0; !victim && i < s->npods; i++)
        if (pod_running(s->pods[i]))
            victim = s->pods[i];
    if (!victim || service_pod_crash(w, victim, "Error (fault: pod_crash)") != 0)
        world_event(w, s->cfg->name, "pod", "-", "-", "fault pod_crash: no running pod");
}

static const char *const svc_faults[] = {"pod_crash", "rollout", NULL};

/* A `rollout` fault: a rolling update at that time, as services.NAME.rollouts
 * (kept in increasing order; two at one instant are one). */
static int add_rollout(scenario_t *sc, service_cfg_t *c, const fault_spec_t *f, diag_t *d)
{
    simtime_t *a = arena_alloc(sc->arena, (c->nrollouts + 1) * sizeof *a);
    if (!a) {
        diag_oom(d, f->pos);
        return 1;
    }
    size_t n = 0;
    bool placed = false;
    for (size_t i = 0; i < c->nrollouts; i++) {
        if (!placed && f->at <= c->rollouts[i]) {
            if (f->at < c->rollouts[i])
                a[n++] = f->at;
            placed = true;
        }
        a[n++] = c->rollouts[i];
    }
    if (!placed)
        a[n++] = f->at;
    c->rollouts = a;
    c->nrollouts = n;
    return 0;
}

static int svc_fault(scenario_t *sc, station_cfg_t *st, const fault_spec_t *f, diag_t *d)
{
    service_cfg_t *c = st->cfg;
    if (f->detail) {
        diag_error(d, f->target_pos, "faults: %s takes a service (services.%s), not '%s' after it", f->name, c->name,
                   f->detail);
        return 1;
    }
    if (strcmp(f->name, "rollout") == 0)
        return add_rollout(sc, c, f, d);
    simtime_t *a = arena_append(sc->arena, c->crashes, c->ncrashes, sizeof *a);
    if (!a) {
        diag_oom(d, f->pos);
        return 1;
    }
    a[c->ncrashes++] = f->at;
    c->crashes = a;
    c->killable = true; /* its pods keep job slots: a crash fails their requests */
    return 0;
}

static int svc_start(world_t *w, station_t *st)
{
    service_t *s = st->state;
    for (size_t k = 0; k < s->cfg->ncrashes; k++)
        if (s->cfg->crashes[k] <= w->end)
            world_schedule(w, s->cfg->crashes[k], on_crash, s, 0);
    for (size_t k = 0; k < s->cfg->nrollouts; k++)
        if (s->cfg->rollouts[k] <= w->end)
            world_schedule(w, s->cfg->rollouts[k], on_rollout, s, 0);
    if (s->cfg->autoscaler.kind && autoscaler_start(w, s) != 0)
        return -1;
    return 0;
}

static void svc_destroy(world_t *w, station_t *st)
{
    (void)w;
    service_t *s = st->state;
    autoscaler_stop(s);
    service_destroy(s);
}

static void svc_arrive(world_t *w, station_t *st, request_t *r)
{
    job_t *j = service_job_new(w);
    if (!j)
        return;
    j->req = r;
    service_submit(w, st->state, j);
}

static void svc_restart(world_t *w, station_t *st) { service_restart_stats(st->state, w->now); }

static bool svc_scraped(const station_cfg_t *c) { return ((const service_cfg_t *)c->cfg)->autoscaler.kind != NULL; }

static void svc_window(world_t *w, station_t *st) { service_window_start(w, st->state); }

static void svc_scrape(world_t *w, station_t *st) { service_scrape(w, st->state); }

static void svc_sample(world_t *w, station_t *st, double t, double secs)
{
    service_t *s = st->state;
    const char *n = s->cfg->name;
    double area = gauge_area(&s->busy, w->now), pods_area = gauge_area(&s->replicas, w->now);
    world_series(w, t, n, "replicas", s->npods);
    world_series(w, t, n, "replicas_desired", s->desired);
    world_series(w, t, n, "replicas_ready", s->view.n);
    /* CPU used over CPU requested by the Ready pods, both integrated over
     * the interval (as the HPA's scrapes average usage over a window) */
    double cpu_area = gauge_area(&s->cpu, w->now), ready_area = gauge_area(&s->ready_pods, w->now);
    if (s->cfg->cpu_request_m > 0 && ready_area > s->iv.ready_area0)
        world_series(w, t, n, "cpu_utilization",
                     (cpu_area - s->iv.cpu_area0) * 1000.0 /
                         ((double)s->cfg->cpu_request_m * (ready_area - s->iv.ready_area0)));
    world_series(w, t, n, "busy", s->busy.value);
    world_series(w, t, n, "queue_length", s->queue.value);
    /* busy workers over workers, both integrated over the interval, as the
     * summary's (none when no pod existed in it) */
    if (pods_area > s->iv.pods_area0)
        world_series(w, t, n, "utilization",
                     (area - s->iv.busy_area0) / ((pods_area - s->iv.pods_area0) * s->cfg->concurrency));
    world_series(w, t, n, "throughput_rps", (double)s->iv.completed / secs);
    world_series(w, t, n, "rejected", (double)s->iv.rejected);
    if (s->iv.latency.n) {
        world_series(w, t, n, "latency_p50_ms", hist_quantile(&s->iv.latency, 0.50) / 1e6);
        world_series(w, t, n, "latency_p95_ms", hist_quantile(&s->iv.latency, 0.95) / 1e6);
        world_series(w, t, n, "latency_p99_ms", hist_quantile(&s->iv.latency, 0.99) / 1e6);
    }
    /* pods still present but terminating (within their grace period) */
    world_series(w, t, n, "replicas_terminating", (double)s->npods - service_count(s, false));
    s->iv.completed = s->iv.rejected = 0;
    s->iv.busy_area0 = area;
    s->iv.cpu_area0 = cpu_area;
    s->iv.ready_area0 = ready_area;
    s->iv.pods_area0 = pods_area;
    hist_clear(&s->iv.latency);
}

static void svc_collect(const world_t *w, const station_t *st, metrics_t *m)
{
    const service_t *s = st->state;
    double window = simtime_to_s(w->end - w->warmup);
    char p[200];
    snprintf(p, sizeof p, "services.%s", s->cfg->name);
    double workers_area = gauge_area(&s->replicas, w->end) * s->cfg->concurrency;
    metrics_add(m, (double)s->completed / window, "%s.throughput_rps", p);
    char lat[220], wait[220];
    snprintf(lat, sizeof lat, "%s.latency_ms", p);
    snprintf(wait, sizeof wait, "%s.wait_ms", p);
    metrics_add_latency(m, &s->latency, lat, true);
    metrics_add_latency(m, &s->wait, wait, false);
    metrics_add(m, workers_area > 0 ? gauge_area(&s->busy, w->end) / workers_area : 0.0, "%s.utilization", p);
    metrics_add_count(m, s->rejected, "%s.rejected", p);
    metrics_add_count(m, s->errors, "%s.errors", p);
    metrics_add(m, s->replicas.min, "%s.replicas.min", p);
    metrics_add(m, s->replicas.max, "%s.replicas.max", p);
    metrics_add(m, gauge_mean(&s->replicas, w->end), "%s.replicas.mean", p);
    metrics_add(m, s->replicas.value, "%s.replicas.final", p);
    metrics_add(m, gauge_mean(&s->ready_pods, w->end), "%s.replicas.ready_mean", p);
    metrics_add(m, gauge_mean(&s->desired_g, w->end), "%s.replicas.desired_mean", p);
    metrics_add(m, (double)s->scaling_events, "%s.scaling_events", p);
    metrics_add(m, gauge_area(&s->replicas, w->end) / 3600e9, "%s.pod_hours", p);
    metrics_add(m,
                cost_compute(&platform_of(w->sc)->cost, gauge_area(&s->replicas, w->end) / 3600e9,
                             s->cfg->cpu_request_m, s->cfg->mem_request_b),
                "%s.cost_usd", p);
    if (s->cfg->cpu_request_m > 0)
        metrics_add(m,
                    gauge_area(&s->cpu, w->end) * 1000.0 /
                        (gauge_area(&s->replicas, w->end) * (double)s->cfg->cpu_request_m),
                    "%s.cpu_utilization", p);
    if (s->cfg->cpu_request_m > 0) { /* for cost.cpu_utilization, over every service */
        metrics_add(m, gauge_area(&s->cpu, w->end) / 3600e9, "%s.cpu_used_core_hours", p);
        metrics_add(m, gauge_area(&s->replicas, w->end) * (double)s->cfg->cpu_request_m / 3600e12,
                    "%s.cpu_requested_core_hours", p);
    }
    if (s->cfg->autoscaler.kind) {
        const autoscaler_t *a = &s->autoscaler;
        metrics_add(m, a->episodes ? a->response_sum_s / (double)a->episodes : NAN, "%s.scale_up_response_s", p);
        metrics_add(m, a->episodes ? a->response_max_s : NAN, "%s.scale_up_response_max_s", p);
        metrics_add(m, (double)a->episodes, "%s.scale_up_episodes", p);
    }
    if (s->cfg->mem_limit_b)
        metrics_add_count(m, s->oom_kills, "%s.oom_kills", p);
    if (s->cfg->nrollouts) {
        metrics_add(m, (double)s->rollouts_done, "%s.rollouts", p);
        metrics_add(m, s->rollouts_done ? s->rollout_seconds / (double)s->rollouts_done : NAN,
                    "%s.rollout_duration_s", p);
        metrics_add_count(m, s->rollout_errors, "%s.rollout_errors", p);
        char rl[220];
        snprintf(rl, sizeof rl, "%s.rollout_latency_ms", p);
        metrics_add_latency(m, &s->rollout_latency, rl, true);
    }
    metrics_add(m, gauge_mean(&s->queue, w->end), "%s.queue_length_mean", p);
    metrics_add(m, gauge_mean(&s->in_system, w->end), "%s.in_system_mean", p);
    metrics_add(m, s->in_system.max, "%s.in_system_max", p);
}

/* ---- the terminal tables -------------------------------------------------------- */

/* The metric services.SVC.LEAF (NaN if absent). */
static double get(const station_report_t *rep, const char *svc, const char *leaf)
{
    /* service names are at most 63 characters (scenario.c), leaves short
     * constants; a path that did not fit would find nothing, never another */
    char path[200];
    int n = snprintf(path, sizeof path, "services.%s.%s", svc, leaf);
    if (n < 0 || (size_t)n >= sizeof path)
        return NAN;
    return metrics_value(rep->summary, path);
}

static void cell(FILE *f, double v, int width, int prec)
{
    if (isnan(v))
        fprintf(f, " %*s", width, "-");
    else
        fprintf(f, " %*.*f", width, prec, v);
}

static void svc_report(FILE *f, const station_report_t *rep)
{
    const scenario_t *sc = rep->sc;
    size_t ns = scenario_nservices(sc);
    fprintf(f, "\n%-16s %9s | %9s %9s %9s %9s | %9s %9s %9s %9s | %6s %9s\n", "service", "tput/s", "lat mean",
            "p50", "p95", "p99", "wait mean", "p50", "p95", "p99", "util", "rejected");
    fprintf(f, "%-16s %9s | %39s | %39s | %6s %9s\n", "", "", "latency (ms)", "queueing wait (ms)", "", "");
    for (size_t i = 0; i < ns; i++) {
        const char *n = svc_cfg(sc, i)->name;
        fprintf(f, "%-16.16s", n);
        cell(f, get(rep, n, "throughput_rps"), 9, 2);
        fprintf(f, " |");
        cell(f, get(rep, n, "latency_ms.mean"), 9, 3);
        cell(f, get(rep, n, "latency_ms.p50"), 9, 3);
        cell(f, get(rep, n, "latency_ms.p95"), 9, 3);
        cell(f, get(rep, n, "latency_ms.p99"), 9, 3);
        fprintf(f, " |");
        cell(f, get(rep, n, "wait_ms.mean"), 9, 3);
        cell(f, get(rep, n, "wait_ms.p50"), 9, 3);
        cell(f, get(rep, n, "wait_ms.p95"), 9, 3);
        cell(f, get(rep, n, "wait_ms.p99"), 9, 3);
        fprintf(f, " |");
        cell(f, 100 * get(rep, n, "utilization"), 5, 1);
        fprintf(f, "%%");
        cell(f, get(rep, n, "rejected"), 9, 0);
        fprintf(f, "\n");
    }
    bool header = false;
    for (size_t i = 0; i < ns; i++) {
        const service_cfg_t *c = svc_cfg(sc, i);
        const char *n = c->name;
        if (!c->autoscaler.kind && !c->nrollouts && !c->mem_limit_b && !c->cpu_request_m)
            continue;
        if (!header) {
            fprintf(f, "\n%-16s %9s %9s %9s %6s %7s %9s %9s %8s %6s\n", "pods", "min", "mean", "max", "final",
                    "scaled", "response", "resp max", "cpu util", "OOM");
            header = true;
        }
        fprintf(f, "%-16.16s", n);
        cell(f, get(rep, n, "replicas.min"), 9, 0);
        cell(f, get(rep, n, "replicas.mean"), 9, 2);
        cell(f, get(rep, n, "replicas.max"), 9, 0);
        cell(f, get(rep, n, "replicas.final"), 6, 0);
        cell(f, get(rep, n, "scaling_events"), 7, 0);
        double r = get(rep, n, "scale_up_response_s"), rm = get(rep, n, "scale_up_response_max_s");
        cell(f, r, 8, 1);
        fputs(isnan(r) ? " " : "s", f);
        cell(f, rm, 8, 1);
        fputs(isnan(rm) ? " " : "s", f);
        cell(f, 100 * get(rep, n, "cpu_utilization"), 7, 1);
        fprintf(f, "%%");
        cell(f, get(rep, n, "oom_kills"), 6, 0);
        fprintf(f, "\n");
    }
    if (header)
        fprintf(f, "(response: from the autoscaler wanting more pods than are Ready to enough Ready pods; "
                   "cpu util: used over requested)\n");
}

static void svc_describe(FILE *f)
{
    fprintf(f, "\n### Load balancers (`load_balancer`)\n\n| name | behaviour |\n|---|---|\n");
    size_t n;
    const lb_kind_t *const *all = lb_all(&n);
    for (size_t i = 0; i < n; i++)
        fprintf(f, "| `%s` | %s |\n", all[i]->name, all[i]->help);
}

/* For capacity's bottleneck report: CPU request over limit, and the
 * autoscaler's maximum. */
static void svc_limits(const station_cfg_t *st, double *request_over_limit, double *max_replicas)
{
    const service_cfg_t *cfg = st->cfg;
    *request_over_limit = cfg->cpu_request_m > 0 && cfg->cpu_limit_m > 0
                              ? (double)cfg->cpu_request_m / (double)cfg->cpu_limit_m : 1;
    const autoscaler_cfg_t *a = &cfg->autoscaler;
    *max_replicas = !a->kind ? -1 : a->hpa ? a->hpa->max_replicas : a->max_replicas;
}

static bool svc_pod_alive(world_t *w, station_t *st, uint32_t pod_uid)
{
    (void)w;
    return service_pod_exists(st->state, pod_uid);
}

const station_kind_t station_service = {
    .name = "service",
    .section = "services",
    .section_ref = "services.NAME",
    .help = "name: service (below); traffic enters the first",
    .params = &service_table,
    .cfg_size = sizeof(service_cfg_t),
    .state_size = sizeof(service_t),
    .visit_size = sizeof(job_t),
    .max_instances = LIMIT_SERVICES,
    .section_flags = PF_REQUIRED,
    .series_per_station = LIMIT_SERIES_PER_SERVICE,
    .begin = svc_begin,
    .decoded = svc_decoded,
    .check = svc_check,
    .describe = svc_describe,
    .faults = svc_faults,
    .fault = svc_fault,
    .init = svc_init,
    .start = svc_start,
    .destroy = svc_destroy,
    .arrive = svc_arrive,
    .restart_stats = svc_restart,
    .pod_alive = svc_pod_alive,
    .scraped = svc_scraped,
    .window = svc_window,
    .scrape = svc_scrape,
    .sample = svc_sample,
    .collect = svc_collect,
    .report = svc_report,
    .limits = svc_limits,
};
