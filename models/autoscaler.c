#include "models/autoscaler.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "models/service.h"
#include "models/traffic.h"
#include "models/k8s.h"
#include "sim/limits.h"
#include "sim/scenario.h"
#include "sim/world.h"

/* ---- configuration --------------------------------------------------------- */

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

/* `patch`: kept as a tree, merged into the manifest when it is read. */
static int decode_patch(const param_t *p, cfg_node_t *node, void *obj, pctx_t *ctx, const char *path)
{
    (void)p;
    if (node->kind != CFG_MAP) {
        diag_error(ctx->diag, node->pos, "%s: expected a mapping of the manifest's fields to change "
                                         "(spec: {minReplicas: 3}), got %s", path, cfg_kind_name(node));
        return 1;
    }
    ((autoscaler_cfg_t *)obj)->patch = node;
    return 0;
}

static const param_t autoscaler_params[] = {
    {"kind", P_CUSTOM, 0, NULL, 0, 0, PF_REQUIRED, NULL, decode_kind, "`hpa` or `threshold`", "which autoscaler"},
    {"manifest", P_STRING, AOFF(manifest), NULL, 0, 0, 0, NULL, NULL, NULL,
     "hpa: an autoscaling/v2 HorizontalPodAutoscaler manifest, relative to the scenario"},
    {"strict", P_BOOL, AOFF(strict), "false", 0, 0, 0, NULL, NULL, NULL,
     "hpa: an unknown field in the manifest is an error (kubectl's default) rather than a warning"},
    {"patch", P_CUSTOM, 0, NULL, 0, 0, 0, NULL, decode_patch, "mapping",
     "hpa: the manifest's fields to change, merged into its HPA (maps by key, lists by index: "
     "spec.metrics.0.resource.target.averageUtilization; null removes)"},
    {"min_replicas", P_INT, AOFF(min_replicas), "1", 1, LIMIT_REPLICAS, 0, NULL, NULL, NULL,
     "threshold: fewest pods (at least 1: with none, no CPU, memory or queue is left to scale up on)"},
    {"max_replicas", P_INT, AOFF(max_replicas), "10", 1, LIMIT_REPLICAS, 0, NULL, NULL, NULL, "threshold: most pods"},
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
    {"step", P_INT, AOFF(step), "1", 1, LIMIT_REPLICAS, 0, NULL, NULL, NULL, "threshold: pods added or removed at a time"},
    {"cooldown", P_DURATION, AOFF(cooldown), "60s", 0, 86400, 0, NULL, NULL, NULL,
     "threshold: no scaling sooner than this after the last"},
};
#define NPARAMS (sizeof autoscaler_params / sizeof autoscaler_params[0])

const param_table_t autoscaler_table = PARAM_TABLE(autoscaler_params);

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
            errs += autoscaler_hpa_load(a, node, ctx, path, c->name);
    } else {
        cfg_pair_t *pr = cfg_find(node, "manifest");
        if (!pr)
            pr = cfg_find(node, "strict");
        if (!pr)
            pr = cfg_find(node, "patch");
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

int autoscaler_manifest_override(const scenario_t *sc, const char *svc, const char *file, char **set, char *err,
                                 size_t errlen)
{
    *set = NULL;
    size_t n;
    const station_cfg_t *st = scenario_stations_of(sc, &station_service, &n);
    const service_cfg_t *c = NULL;
    for (size_t i = 0; st && i < n && !c; i++)
        if (strcmp(st[i].name, svc) == 0)
            c = st[i].cfg;
    if (!c) {
        size_t k = (size_t)snprintf(err, errlen, "no service '%s' in %s (services:", svc, sc->file);
        for (size_t i = 0; st && i < n && k < errlen; i++)
            k += (size_t)snprintf(err + k, errlen - k, "%s %s", i ? "," : "", st[i].name);
        if (k < errlen)
            snprintf(err + k, errlen - k, "%s)", n ? "" : " none");
        return -1;
    }
    FILE *f = fopen(file, "r");
    if (!f) {
        snprintf(err, errlen, "cannot read the manifest '%s': %s", file, strerror(errno));
        return -1;
    }
    fclose(f);
    /* FILE as a YAML double-quoted scalar, absolute */
    char cwd[4096] = "";
    if (file[0] != '/' && !getcwd(cwd, sizeof cwd)) {
        snprintf(err, errlen, "cannot make the manifest's path '%s' absolute: %s", file, strerror(errno));
        return -1;
    }
    size_t len = strlen(cwd) + 1 + 2 * strlen(file) + 3;
    char *q = malloc(len);
    if (!q)
        return -2;
    size_t k = 0;
    q[k++] = '"';
    for (const char *p = cwd; *p; p++)
        q[k++] = *p;
    if (*cwd)
        q[k++] = '/';
    for (const char *p = file; *p; p++) {
        if ((unsigned char)*p < 0x20) {
            free(q);
            snprintf(err, errlen, "the manifest's path holds a control character");
            return -1;
        }
        if (*p == '"' || *p == '\\')
            q[k++] = '\\';
        q[k++] = *p;
    }
    q[k++] = '"';
    q[k] = '\0';
    /* the manifest alone when the service has an HPA without a patch (its
     * other keys stay); else the whole autoscaler, so that a base's patch,
     * which would edit the candidate's manifest, goes (its strictness stays) */
    const autoscaler_cfg_t *a = &c->autoscaler;
    bool plain = a->kind == &autoscaler_hpa && !a->patch;
    const char *pre = plain ? ".manifest="
                      : a->kind == &autoscaler_hpa && a->strict ? "={kind: hpa, strict: true, manifest: "
                                                                : "={kind: hpa, manifest: ",
               *post = plain ? "" : "}";
    int need = snprintf(NULL, 0, "services.%s.autoscaler%s%s%s", svc, pre, q, post);
    *set = need < 0 ? NULL : malloc((size_t)need + 1);
    if (*set)
        snprintf(*set, (size_t)need + 1, "services.%s.autoscaler%s%s%s", svc, pre, q, post);
    free(q);
    return *set ? 0 : -2;
}

/* ---- running ------------------------------------------------------------------ */

/* After an evaluation: `want` is the recommendation before windows and
 * rate limits, `before` the desired replicas before the decision. */
void autoscaler_episode(world_t *w, service_t *s, int32_t want, int32_t before)
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

void autoscaler_log(world_t *w, const service_t *s, const autoscaler_row_t *r)
{
    FILE *f = w->autoscaler_log;
    if (!f)
        return;
    fprintf(f, "%d,%.10g,", w->replication, simtime_to_s(w->now));
    world_csv_field(f, s->cfg->name);
    fprintf(f, ",%" PRId32 ",", r->current);
    const char *cells[] = {r->metric, r->value, r->target, r->proposal, r->raw, r->stabilized, r->final, r->reason};
    for (size_t i = 0; i < sizeof cells / sizeof cells[0]; i++) {
        if (i)
            fputc(',', f);
        world_csv_field(f, cells[i] ? cells[i] : "");
    }
    fputc('\n', f);
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
    simtime_t next = w->now + k->period(&s->cfg->autoscaler);
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
    simtime_t period = a->cfg->kind->period(a->cfg), span = 0;
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
    simtime_t first = a->cfg->kind->period(a->cfg);
    if (first <= w->end)
        world_schedule(w, first, tick, s, 0);
    return w->failed ? -1 : 0;
}

void autoscaler_stop(service_t *s)
{
    if (s->cfg && s->cfg->autoscaler.kind && s->cfg->autoscaler.kind->destroy)
        s->cfg->autoscaler.kind->destroy(s);
}

