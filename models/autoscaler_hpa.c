/* autoscaler_hpa: the `hpa` autoscaler kind. The HorizontalPodAutoscaler of
 * an autoscaling/v2 manifest, read as the API server reads it, run every
 * sync period by models/hpa.c (the controller's algorithm, exactly) over
 * what metrics-server last scraped: the pods' statuses as the controller
 * sees them, Resource cpu/memory samples with their requests, Pods metrics
 * from the custom-metrics adapter, Object/External totals and business
 * rates. Metric names are resolved to what they read once, at start. */
#include "models/autoscaler.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "models/service.h"
#include "models/catalog.h"
#include "models/traffic.h"
#include "models/k8s.h"
#include "models/deployment.h"
#include "models/replay.h"
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

int autoscaler_hpa_load(autoscaler_cfg_t *a, cfg_node_t *node, pctx_t *ctx, const char *path, const char *svc)
{
    cfg_node_t *mn = cfg_get(node, "manifest");
    k8s_objects_t objs;
    /* the manifest's errors, and a manifest that cannot be read, name this key */
    const char *full = params_begin_ref(ctx, mn, path, "manifest", a->manifest);
    if (!full)
        return 1;
    int rc = k8s_load_patched(ctx->arena, full, a->strict || ctx->strict, a->patch, &objs, ctx->diag);
    diag_pop_ref(ctx->diag);
    if (rc != 0)
        return 1;
    if (objs.n_hpas == 0) {
        diag_error(ctx->diag, mn->pos, "%s.manifest: '%s' holds no autoscaling/v2 HorizontalPodAutoscaler", path,
                   full);
        return 1;
    }
    a->hpa = arena_alloc(ctx->arena, sizeof *a->hpa);
    if (!a->hpa) {
        diag_oom(ctx->diag, mn->pos);
        return 1;
    }
    *a->hpa = objs.hpas[0].spec;
    if (objs.hpas[0].target_name && strcmp(objs.hpas[0].target_name, svc) != 0)
        diag_warning(ctx->diag, mn->pos, "%s.manifest: the HPA scales '%s'; here it drives service '%s'", path,
                     objs.hpas[0].target_name, svc);
    return 0;
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
        int cls = autoscaler_class_metric(&platform_of(w->sc)->traffic, ms);
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

static simtime_t hpa_period(const autoscaler_cfg_t *c) { return c->hpa->cfg.sync_period; }

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
    hpa_pod_t h = {.id = p->lb.uid, .start_time = p->started, .ready_since = p->ready_since};
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
        int kind = a->mkind[m];
        if (kind == MK_CLASS) {
            /* a business rate from the traffic (External/Object
             * CLASS_per_second); none before the first scrape */
            const traffic_t *tr = world_traffic(w);
            bool before = tr->scraped_at == w->now; /* at a scrape's instant: the one before */
            obs[m].value = (int64_t)llround((before ? tr->class_rate_prev : tr->class_rate)[a->mclass[m]] * 1000.0);
            obs[m].failed = tr->scrapes - before == 0;
            continue;
        }
        int src = spec->metrics[m].source;
        if (src == HPA_SOURCE_OBJECT || src == HPA_SOURCE_EXTERNAL) {
            /* the service's total at the last scrape (service_totals_t):
             * none before the first one, nor a rate before a window closed */
            const service_totals_t *t = service_totals(s, w->now);
            double v = kind == MK_RATE ? t->rps : kind == MK_INFLIGHT ? (double)t->inflight : (double)t->queued;
            obs[m].value = (int64_t)llround(v * 1000.0);
            obs[m].failed = t->scrapes == 0 || (kind == MK_RATE && !t->has_rate);
            continue;
        }
        for (size_t i = 0; i < n; i++) {
            const pod_t *p = s->pods[i];
            const pod_metrics_t *pm = service_pod_metrics(p, w->now);
            bool run = pod_running(p);
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
            }
            sm[i] = x;
        }
    }
    hpa_input_t in = {w->now, s->desired, service_count(s, false), a->pods, n, obs};
    hpa_decision_t d;
    if (hpa_sync(spec, &a->hpa, &in, &d) != 0) {
        world_fail(w, "out of memory (hpa)");
        return;
    }
    if (w->autoscaler_log) {
        replay_cells_t cl;
        replay_cells(spec, &d, &cl);
        for (size_t m = 0; m < spec->n_metrics; m++)
            autoscaler_log(w, s,
                           &(autoscaler_row_t){d.current, spec->metrics[m].name, cl.m[m].value, cl.m[m].target,
                                               cl.m[m].proposal, cl.raw, cl.stabilized, cl.final, cl.reason});
    }
    int32_t before = s->desired;
    if (d.rescale) {
        char reason[160];
        const char *why = d.outcome == HPA_OUTCOME_OK ? hpa_limit_str(d.limit) : hpa_outcome_str(d.outcome);
        if (d.raw >= 0)
            snprintf(reason, sizeof reason, "%s%sraw %d stabilized %d", why, *why ? " " : "", d.raw, d.stabilized);
        else
            snprintf(reason, sizeof reason, "%s", why);
        deployment_scale(w, s, d.desired, "hpa", reason);
    }
    if (d.raw >= 0) {
        int32_t want = d.raw < spec->min_replicas ? spec->min_replicas
                                                  : d.raw > spec->max_replicas ? spec->max_replicas : d.raw;
        autoscaler_episode(w, s, want, before);
    }
}

const autoscaler_kind_t autoscaler_hpa = {"hpa", "the Kubernetes HorizontalPodAutoscaler (autoscaling/v2)", hpa_init,
                                          hpa_sync_service, hpa_period, hpa_destroy};

