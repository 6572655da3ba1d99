#include "models/autoscaler.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "models/service.h"
#include "models/traffic.h"
#include "sim/k8s.h"
#include "sim/world.h"

/* ---- the metrics an HPA can name ------------------------------------------
 * Pods metrics (per pod, from the custom metrics adapter) and Object /
 * External metrics (the service's totals). */

static const char *const pods_metrics[] = {"http_requests_per_second", "requests_per_second", "inflight",
                                           "queue_length", NULL};
static const char *const total_metrics[] = {"queue_depth", "inflight", "requests_per_second", NULL};

static bool in_list(const char *const *list, const char *name)
{
    for (size_t i = 0; list[i]; i++)
        if (strcmp(list[i], name) == 0)
            return true;
    return false;
}

static void list_names(const char *const *list, char *buf, size_t n)
{
    size_t k = 0;
    buf[0] = '\0';
    for (size_t i = 0; list[i] && k < n; i++)
        k += (size_t)snprintf(buf + k, n - k, "%s%s", i ? ", " : "", list[i]);
}

int autoscaler_class_metric(const traffic_cfg_t *t, const hpa_metric_spec_t *m)
{
    if (m->source != HPA_SOURCE_OBJECT && m->source != HPA_SOURCE_EXTERNAL)
        return -1;
    size_t n = strlen(m->name), suf = strlen("_per_second");
    if (n <= suf || strcmp(m->name + n - suf, "_per_second") != 0)
        return -1;
    char cls[HPA_NAME_MAX];
    snprintf(cls, sizeof cls, "%.*s", (int)(n - suf), m->name);
    return traffic_class_index(t, cls);
}

int autoscaler_check_metrics(const autoscaler_cfg_t *a, const traffic_cfg_t *t, const char *svc, diag_t *d)
{
    int errs = 0;
    for (size_t i = 0; a->hpa && i < a->hpa->n_metrics; i++) {
        const hpa_metric_spec_t *m = &a->hpa->metrics[i];
        char valid[600];
        if (m->source == HPA_SOURCE_PODS && !in_list(pods_metrics, m->name)) {
            list_names(pods_metrics, valid, sizeof valid);
            diag_error(d, a->pos, "services.%s.autoscaler: the HPA's Pods metric '%s' is not produced here "
                                  "(available: %s)",
                       svc, m->name, valid);
            errs++;
        } else if ((m->source == HPA_SOURCE_OBJECT || m->source == HPA_SOURCE_EXTERNAL) &&
                   !in_list(total_metrics, m->name) && autoscaler_class_metric(t, m) < 0) {
            list_names(total_metrics, valid, sizeof valid);
            size_t k = strlen(valid);
            for (size_t c = 0; c < t->nmix && k < sizeof valid; c++)
                k += (size_t)snprintf(valid + k, sizeof valid - k, ", %s_per_second", t->mix[c].name);
            diag_error(d, a->pos, "services.%s.autoscaler: the HPA's %s metric '%s' is not produced here "
                                  "(available: %s)",
                       svc, hpa_source_str(m->source), m->name, valid);
            errs++;
        }
    }
    return errs;
}

/* ---- configuration --------------------------------------------------------- */

extern const autoscaler_kind_t autoscaler_hpa, autoscaler_threshold;
static const autoscaler_kind_t *const kinds[] = {&autoscaler_hpa, &autoscaler_threshold};
#define NKINDS (sizeof kinds / sizeof kinds[0])

const autoscaler_kind_t *autoscaler_find(const char *name)
{
    for (size_t i = 0; i < NKINDS; i++)
        if (strcmp(kinds[i]->name, name) == 0)
            return kinds[i];
    return NULL;
}

#define AOFF(f) offsetof(autoscaler_cfg_t, f)

static int decode_kind(const param_t *p, cfg_node_t *node, void *obj, pctx_t *ctx, const char *path)
{
    (void)p;
    const char *name = params_scalar(node, ctx, path, "an autoscaler kind");
    if (!name)
        return 1;
    autoscaler_cfg_t *a = obj;
    a->kind = autoscaler_find(name);
    if (!a->kind) {
        diag_error(ctx->diag, node->pos, "%s: unknown autoscaler kind '%s' (valid: hpa, threshold)", path, name);
        return 1;
    }
    return 0;
}

static const param_t autoscaler_params[] = {
    {"kind", P_CUSTOM, 0, NULL, 0, 0, PF_REQUIRED, NULL, decode_kind, "`hpa` or `threshold`", "which autoscaler"},
    {"manifest", P_STRING, AOFF(manifest), NULL, 0, 0, 0, NULL, NULL, NULL,
     "hpa: an autoscaling/v2 HorizontalPodAutoscaler manifest, relative to the scenario"},
    {"strict", P_BOOL, AOFF(strict), "false", 0, 0, 0, NULL, NULL, NULL,
     "hpa: an unknown field in the manifest is an error (kubectl's default) rather than a warning"},
    {"min_replicas", P_INT, AOFF(min_replicas), "1", 0, 10000, 0, NULL, NULL, NULL, "threshold: fewest pods"},
    {"max_replicas", P_INT, AOFF(max_replicas), "10", 1, 10000, 0, NULL, NULL, NULL, "threshold: most pods"},
    {"period", P_DURATION, AOFF(period), "15s", 0.001, 86400, 0, NULL, NULL, NULL,
     "threshold: time between evaluations"},
    {"cpu_up", P_DOUBLE, AOFF(cpu_up), "70", 0, 100000, 0, NULL, NULL, NULL,
     "threshold: scale up when CPU utilisation (% of request) is above"},
    {"cpu_down", P_DOUBLE, AOFF(cpu_down), "30", 0, 100000, 0, NULL, NULL, NULL,
     "threshold: scale down when CPU utilisation is below (and memory too)"},
    {"memory_up", P_DOUBLE, AOFF(memory_up), "80", 0, 100000, 0, NULL, NULL, NULL,
     "threshold: scale up when memory utilisation (% of request) is above"},
    {"memory_down", P_DOUBLE, AOFF(memory_down), "40", 0, 100000, 0, NULL, NULL, NULL,
     "threshold: scale down when memory utilisation is below (and CPU too)"},
    {"queue_up", P_DOUBLE, AOFF(queue_up), "100", 0, 1e9, 0, NULL, NULL, NULL,
     "threshold: scale up when the requests queued in the service are more than"},
    {"step", P_INT, AOFF(step), "1", 1, 10000, 0, NULL, NULL, NULL, "threshold: pods added or removed at a time"},
    {"cooldown", P_DURATION, AOFF(cooldown), "60s", 0, 86400, 0, NULL, NULL, NULL,
     "threshold: no scaling sooner than this after the last"},
};
#define NPARAMS (sizeof autoscaler_params / sizeof autoscaler_params[0])

void autoscaler_describe(FILE *f) { params_describe(f, autoscaler_params, NPARAMS); }

static int load_hpa(autoscaler_cfg_t *a, cfg_node_t *node, pctx_t *ctx, const char *path, const char *svc)
{
    cfg_node_t *mn = cfg_get(node, "manifest");
    const char *full = params_path(ctx, a->manifest);
    k8s_objects_t objs;
    if (!full || k8s_load(ctx->arena, full, a->strict || ctx->strict, &objs, ctx->diag) != 0)
        return 1;
    if (objs.n_hpas == 0) {
        diag_error(ctx->diag, mn->pos, "%s.manifest: '%s' holds no autoscaling/v2 HorizontalPodAutoscaler", path,
                   full);
        return 1;
    }
    a->hpa = arena_alloc(ctx->arena, sizeof *a->hpa);
    if (!a->hpa)
        return 1;
    *a->hpa = objs.hpas[0].spec;
    if (objs.hpas[0].target_name && strcmp(objs.hpas[0].target_name, svc) != 0)
        diag_warning(ctx->diag, mn->pos, "%s.manifest: the HPA scales '%s'; here it drives service '%s'", path,
                     objs.hpas[0].target_name, svc);
    return 0;
}

int autoscaler_decode(const param_t *p, cfg_node_t *node, void *obj, pctx_t *ctx, const char *path)
{
    (void)p;
    service_cfg_t *c = obj;
    autoscaler_cfg_t *a = &c->autoscaler;
    a->pos = node->pos;
    int errs = params_decode(autoscaler_params, NPARAMS, node, a, ctx, path);
    if (errs)
        return errs;
    static const char *const threshold_only[] = {"min_replicas", "max_replicas", "period", "cpu_up", "cpu_down",
                                                 "memory_up", "memory_down", "queue_up", "step", "cooldown", NULL};
    if (a->kind == &autoscaler_hpa) {
        for (size_t i = 0; threshold_only[i]; i++) {
            cfg_pair_t *pr = cfg_find(node, threshold_only[i]);
            if (pr) {
                diag_error(ctx->diag, pr->key->pos, "%s.%s: applies to kind threshold (an HPA takes its bounds "
                                                    "and behaviour from its manifest)",
                           path, threshold_only[i]);
                errs++;
            }
        }
        if (!a->manifest) {
            diag_error(ctx->diag, node->pos, "%s: kind hpa needs a `manifest` (an autoscaling/v2 HPA)", path);
            return errs + 1;
        }
        if (!errs)
            errs += load_hpa(a, node, ctx, path, c->name);
    } else {
        cfg_pair_t *pr = cfg_find(node, "manifest");
        if (!pr)
            pr = cfg_find(node, "strict");
        if (pr) {
            diag_error(ctx->diag, pr->key->pos, "%s.%s: applies to kind hpa", path, pr->key->str);
            errs++;
        }
        if (!errs && a->min_replicas > a->max_replicas) {
            diag_error(ctx->diag, node->pos, "%s: min_replicas is above max_replicas", path);
            errs++;
        }
        if (!errs && (a->cpu_down >= a->cpu_up || a->memory_down >= a->memory_up)) {
            diag_error(ctx->diag, node->pos, "%s: each *_down threshold must be below its *_up", path);
            errs++;
        }
    }
    return errs;
}

/* ---- running ------------------------------------------------------------------ */

/* After an evaluation: `want` is the recommendation before windows and
 * rate limits, `before` the desired replicas before the decision. */
static void episode_update(world_t *w, service_t *s, int32_t want, int32_t before)
{
    autoscaler_t *a = &s->autoscaler;
    int32_t ready = (int32_t)s->view.n;
    if (!a->episode) {
        if (want <= ready)
            return;
        a->episode = true;
        a->episode_scaled = false;
        a->episode_start = a->last_up = a->last_ready_up = w->now;
    }
    if (s->desired > before) {
        a->episode_scaled = true;
        a->last_up = w->now;
    }
    if (ready >= s->desired && want <= s->desired && w->now - a->last_up >= a->quiet) {
        if (a->episode_scaled) {
            double r = simtime_to_s(a->last_ready_up - a->episode_start);
            a->episodes++;
            a->response_sum_s += r;
            if (r > a->response_max_s)
                a->response_max_s = r;
        }
        a->episode = false;
    }
}

void autoscaler_ready_changed(world_t *w, service_t *s)
{
    autoscaler_t *a = &s->autoscaler;
    if (a->episode && (int32_t)s->view.n > a->prev_ready)
        a->last_ready_up = w->now;
    a->prev_ready = (int32_t)s->view.n;
}

static void tick(void *ctx, void *obj, uint64_t arg)
{
    (void)arg;
    world_t *w = ctx;
    service_t *s = obj;
    const autoscaler_kind_t *k = s->cfg->autoscaler.kind;
    k->sync(w, s);
    simtime_t next = w->now + k->period(w, s);
    if (next <= w->end)
        world_schedule(w, next, tick, s, 0);
}

int autoscaler_start(world_t *w, service_t *s)
{
    autoscaler_t *a = &s->autoscaler;
    memset(a, 0, sizeof *a);
    a->cfg = &s->cfg->autoscaler;
    a->prev_ready = (int32_t)s->view.n;
    if (a->cfg->kind->init && a->cfg->kind->init(w, s) != 0)
        return -1;
    /* the quiet period that closes a scale-up episode (autoscaler.h) */
    simtime_t period = a->cfg->kind->period(w, s), span = 0;
    if (a->cfg->hpa) {
        const hpa_rules_t *up = &a->cfg->hpa->scale_up;
        if (a->cfg->hpa->has_behavior) {
            span = (simtime_t)up->window_s * SIM_S;
            for (size_t i = 0; i < up->n_policies; i++)
                if ((simtime_t)up->policies[i].period_s * SIM_S > span)
                    span = (simtime_t)up->policies[i].period_s * SIM_S;
        }
    } else {
        span = a->cfg->cooldown;
    }
    a->quiet = span + 2 * period;
    simtime_t first = a->cfg->kind->period(w, s);
    if (first <= w->end)
        world_schedule(w, first, tick, s, 0);
    return w->failed ? -1 : 0;
}

void autoscaler_stop(service_t *s)
{
    if (s->cfg && s->cfg->autoscaler.kind && s->cfg->autoscaler.kind->destroy)
        s->cfg->autoscaler.kind->destroy(s);
}

/* ---- kind hpa ---------------------------------------------------------------- */

/* What an HPA metric reads from the pods' metrics. */
enum { MK_CPU, MK_MEMORY, MK_RATE, MK_INFLIGHT, MK_QUEUE, MK_CLASS };

static int hpa_init(world_t *w, service_t *s)
{
    autoscaler_t *a = &s->autoscaler;
    const hpa_spec_t *spec = s->cfg->autoscaler.hpa;
    for (size_t m = 0; m < spec->n_metrics; m++) {
        const hpa_metric_spec_t *ms = &spec->metrics[m];
        int cls = autoscaler_class_metric(&w->sc->traffic, ms);
        a->mclass[m] = (int16_t)cls;
        if (cls >= 0)
            a->mkind[m] = MK_CLASS;
        else if (ms->source == HPA_SOURCE_RESOURCE || ms->source == HPA_SOURCE_CONTAINER_RESOURCE)
            a->mkind[m] = strcmp(ms->name, "cpu") == 0 ? MK_CPU : MK_MEMORY;
        else if (strstr(ms->name, "requests_per_second"))
            a->mkind[m] = MK_RATE;
        else if (strcmp(ms->name, "inflight") == 0)
            a->mkind[m] = MK_INFLIGHT;
        else
            a->mkind[m] = MK_QUEUE; /* queue_length, queue_depth */
    }
    return hpa_state_init(&a->hpa, spec) == 0 ? 0 : -1;
}

static simtime_t hpa_period(const world_t *w, const service_t *s)
{
    (void)w;
    return s->cfg->autoscaler.hpa->cfg.sync_period;
}

static void hpa_destroy(service_t *s)
{
    hpa_state_free(&s->autoscaler.hpa);
    free(s->autoscaler.pods);
    free(s->autoscaler.samples);
    s->autoscaler.pods = NULL;
    s->autoscaler.samples = NULL;
}

/* What the pod's status looks like to the controller. */
static hpa_pod_t pod_status(const pod_t *p)
{
    hpa_pod_t h = {.id = p->uid, .start_time = p->started, .ready_since = p->ready_since};
    switch (p->phase) {
    case POD_PENDING:
    case POD_PULLING:
        h.phase = HPA_POD_PENDING;
        h.ready = p->phase == POD_PENDING ? HPA_COND_NONE : HPA_COND_FALSE;
        break;
    case POD_STARTING:
        /* containers being created: Pending the first time, Running after a restart */
        h.phase = p->restarts ? HPA_POD_RUNNING : HPA_POD_PENDING;
        h.ready = HPA_COND_FALSE;
        break;
    case POD_BACKOFF:
    case POD_UNREADY:
        h.phase = HPA_POD_RUNNING;
        h.ready = HPA_COND_FALSE;
        break;
    case POD_READY:
        h.phase = HPA_POD_RUNNING;
        h.ready = HPA_COND_TRUE;
        break;
    case POD_TERMINATING:
        h.phase = HPA_POD_RUNNING;
        h.ready = HPA_COND_TRUE;
        h.deleting = true;
        break;
    }
    h.started = p->phase != POD_PENDING;
    return h;
}

static bool has_running_container(const pod_t *p)
{
    return p->phase == POD_UNREADY || p->phase == POD_READY || p->phase == POD_TERMINATING;
}

static void hpa_sync_service(world_t *w, service_t *s)
{
    autoscaler_t *a = &s->autoscaler;
    const hpa_spec_t *spec = a->cfg->hpa;
    const service_cfg_t *c = s->cfg;
    size_t n = s->npods;
    if (n > a->cap) {
        size_t nc = n * 2;
        hpa_pod_t *np = realloc(a->pods, nc * sizeof *np);
        if (np)
            a->pods = np;
        hpa_sample_t *ns = realloc(a->samples, nc * HPA_MAX_METRICS * sizeof *ns);
        if (ns)
            a->samples = ns;
        if (!np || !ns) {
            world_fail(w, "out of memory (hpa)");
            return;
        }
        a->cap = nc;
    }
    hpa_obs_t obs[HPA_MAX_METRICS];
    simtime_t window = w->sc->metrics_window;
    for (size_t i = 0; i < n; i++)
        a->pods[i] = pod_status(s->pods[i]);
    for (size_t m = 0; m < spec->n_metrics; m++) {
        hpa_sample_t *sm = a->samples + m * a->cap;
        obs[m] = (hpa_obs_t){.samples = sm};
        int64_t total = 0;
        int kind = a->mkind[m];
        if (kind == MK_CLASS) {
            /* a business rate from the traffic (External/Object CLASS_per_second) */
            obs[m].value = (int64_t)llround(w->traffic.class_rate[a->mclass[m]] * 1000.0);
            continue;
        }
        for (size_t i = 0; i < n; i++) {
            const pod_t *p = s->pods[i];
            const pod_metrics_t *pm = &p->m;
            bool run = has_running_container(p);
            hpa_sample_t x = {.timestamp = pm->at, .window = window, .request = -1};
            if (kind == MK_CPU) {
                x.present = run && pm->has_cpu;
                x.value = pm->cpu_m;
                x.request = c->cpu_request_m > 0 ? c->cpu_request_m : -1;
            } else if (kind == MK_MEMORY) {
                x.present = run && pm->scrapes > 0;
                x.value = pm->mem_b * 1000;
                x.request = c->mem_request_b > 0 ? c->mem_request_b * 1000 : -1;
            } else {
                double v = kind == MK_RATE ? pm->rps : kind == MK_INFLIGHT ? pm->inflight : pm->queued;
                x.present = run && (kind == MK_RATE ? pm->has_cpu : pm->scrapes > 0);
                x.value = (int64_t)llround(v * 1000.0);
                /* Object / External: the service's total (queue_depth sums the
                 * queued requests, as the per-pod value does) */
                if (x.present)
                    total += x.value;
            }
            sm[i] = x;
        }
        obs[m].value = total;
    }
    hpa_input_t in = {w->now, s->desired, service_count(s, false), a->pods, n, obs};
    hpa_decision_t d;
    if (hpa_sync(spec, &a->hpa, &in, &d) != 0) {
        world_fail(w, "out of memory (hpa)");
        return;
    }
    int32_t before = s->desired;
    if (d.rescale) {
        char reason[160];
        const char *why = d.outcome == HPA_OUTCOME_OK ? hpa_limit_str(d.limit) : hpa_outcome_str(d.outcome);
        if (d.raw >= 0)
            snprintf(reason, sizeof reason, "%s%sraw %d stabilized %d", why, *why ? " " : "", d.raw, d.stabilized);
        else
            snprintf(reason, sizeof reason, "%s", why);
        service_scale(w, s, d.desired, "hpa", reason);
    }
    if (d.raw >= 0) {
        int32_t want = d.raw < spec->min_replicas ? spec->min_replicas
                                                  : d.raw > spec->max_replicas ? spec->max_replicas : d.raw;
        episode_update(w, s, want, before);
    }
}

const autoscaler_kind_t autoscaler_hpa = {"hpa", "the Kubernetes HorizontalPodAutoscaler (autoscaling/v2)", hpa_init,
                                          hpa_sync_service, hpa_period, hpa_destroy};

/* ---- kind threshold -------------------------------------------------------- */

static simtime_t th_period(const world_t *w, const service_t *s)
{
    (void)w;
    return s->cfg->autoscaler.period;
}

static void th_sync(world_t *w, service_t *s)
{
    autoscaler_t *a = &s->autoscaler;
    const autoscaler_cfg_t *cfg = a->cfg;
    const service_cfg_t *c = s->cfg;
    double cpu_used = 0, mem_used = 0, queued = 0;
    int n_cpu = 0, n_mem = 0;
    for (uint32_t i = 0; i < s->npods; i++) {
        const pod_t *p = s->pods[i];
        if (!has_running_container(p) || p->m.scrapes == 0)
            continue;
        queued += p->m.queued;
        if (p->phase != POD_READY)
            continue;
        if (p->m.has_cpu) {
            cpu_used += (double)p->m.cpu_m;
            n_cpu++;
        }
        mem_used += (double)p->m.mem_b;
        n_mem++;
    }
    /* a metric with a request is judged once it is measured (CPU needs two
     * scrapes); one without a request cannot be judged and is left out */
    bool cpu_req = c->cpu_request_m > 0, mem_req = c->mem_request_b > 0;
    bool has_cpu = n_cpu > 0 && cpu_req, has_mem = n_mem > 0 && mem_req;
    double cpu = has_cpu ? 100.0 * cpu_used / ((double)n_cpu * (double)c->cpu_request_m) : NAN;
    double mem = has_mem ? 100.0 * mem_used / ((double)n_mem * (double)c->mem_request_b) : NAN;
    char reason[160] = "";
    bool up = false, down = false;
    if (has_cpu && cpu > cfg->cpu_up) {
        up = true;
        snprintf(reason, sizeof reason, "cpu %.1f%% > %g%%", cpu, cfg->cpu_up);
    } else if (has_mem && mem > cfg->memory_up) {
        up = true;
        snprintf(reason, sizeof reason, "memory %.1f%% > %g%%", mem, cfg->memory_up);
    } else if (queued > cfg->queue_up) {
        up = true;
        snprintf(reason, sizeof reason, "queue %.0f > %g", queued, cfg->queue_up);
    } else if ((cpu_req || mem_req) && (!cpu_req || (has_cpu && cpu < cfg->cpu_down)) &&
               (!mem_req || (has_mem && mem < cfg->memory_down))) {
        down = true;
        if (has_cpu && has_mem)
            snprintf(reason, sizeof reason, "cpu %.1f%% < %g%% and memory %.1f%% < %g%%", cpu, cfg->cpu_down, mem,
                     cfg->memory_down);
        else if (has_cpu)
            snprintf(reason, sizeof reason, "cpu %.1f%% < %g%%", cpu, cfg->cpu_down);
        else
            snprintf(reason, sizeof reason, "memory %.1f%% < %g%%", mem, cfg->memory_down);
    }
    int32_t cur = s->desired, want = cur;
    if (up)
        want = cur + cfg->step;
    else if (down)
        want = cur - cfg->step;
    if (want > cfg->max_replicas)
        want = cfg->max_replicas;
    if (want < cfg->min_replicas)
        want = cfg->min_replicas;
    if (cur > cfg->max_replicas || cur < cfg->min_replicas)
        snprintf(reason, sizeof reason, "outside [%d, %d]", cfg->min_replicas, cfg->max_replicas);
    bool cooling = a->scaled && w->now - a->last_scale < cfg->cooldown;
    if (want != cur && !cooling) {
        a->scaled = true;
        a->last_scale = w->now;
        service_scale(w, s, want, "threshold", reason);
    }
    episode_update(w, s, up ? want : cur, cur);
}

const autoscaler_kind_t autoscaler_threshold = {"threshold", "the seed plan's utilisation triggers", NULL, th_sync,
                                                th_period, NULL};
