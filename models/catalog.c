#include "models/catalog.h"

#include <math.h>
#include <string.h>

#include "models/autoscaler.h"
#include "models/browser.h"
#include "models/cdn.h"
#include "models/database.h"
#include "models/redis.h"
#include "models/replay.h"
#include "models/service.h"
#include "sim/limits.h"
#include "sim/world.h"

/* ---- the HPA controller's flags: cluster-wide ------------------------------ */

typedef struct controller_flags {
    simtime_t sync_period, downscale, cpu_init, readiness_delay;
    double tolerance;
} controller_flags_t;

#define FOFF(f) offsetof(controller_flags_t, f)
static const param_t controller_params[] = {
    {"sync_period", P_DURATION, FOFF(sync_period), "15s", 0.001, 3600, 0, NULL, NULL, NULL,
     "--horizontal-pod-autoscaler-sync-period"},
    {"tolerance", P_DOUBLE, FOFF(tolerance), "0.1", 0, 10, 0, NULL, NULL, NULL, "--horizontal-pod-autoscaler-tolerance"},
    {"downscale_stabilization", P_DURATION, FOFF(downscale), "5m", 0, 86400, 0, NULL, NULL, NULL,
     "--horizontal-pod-autoscaler-downscale-stabilization (used when a manifest's behavior leaves it unset; whole "
     "seconds)"},
    {"cpu_initialization_period", P_DURATION, FOFF(cpu_init), "5m", 0, 86400, 0, NULL, NULL, NULL,
     "--horizontal-pod-autoscaler-cpu-initialization-period"},
    {"initial_readiness_delay", P_DURATION, FOFF(readiness_delay), "30s", 0, 86400, 0, NULL, NULL, NULL,
     "--horizontal-pod-autoscaler-initial-readiness-delay"},
};
#define NCONTROLLER (sizeof controller_params / sizeof controller_params[0])
static const param_table_t controller_table = PARAM_TABLE(controller_params);

static int decode_controller(const param_t *p, cfg_node_t *node, void *obj, pctx_t *ctx, const char *path)
{
    controller_flags_t f;
    memset(&f, 0, sizeof f);
    int errs = params_decode(controller_params, NCONTROLLER, node, &f, ctx, path);
    hpa_config_t *c = (hpa_config_t *)((char *)obj + p->offset);
    hpa_config_defaults(c);
    c->sync_period = f.sync_period;
    c->tolerance = f.tolerance;
    c->downscale_window_s = (int32_t)(f.downscale / SIM_S);
    if (!errs && f.downscale % SIM_S) {
        /* the window is kept in whole seconds, as a manifest's
         * stabilizationWindowSeconds is: a fraction would be cut */
        cfg_node_t *v = cfg_get(node, "downscale_stabilization");
        diag_error(ctx->diag, v ? v->pos : node->pos,
                   "%s%sdownscale_stabilization: must be whole seconds (clustersim keeps the window in seconds, as "
                   "stabilizationWindowSeconds), got %.9g s",
                   path, *path ? "." : "", simtime_to_s(f.downscale));
        errs++;
    }
    c->cpu_init_period = f.cpu_init;
    c->initial_readiness_delay = f.readiness_delay;
    return errs;
}

#define OFF(f) offsetof(platform_cfg_t, f)
static const param_t platform_params[] = {
    {"traffic", P_MAP, OFF(traffic), "{}", 0, 0, 0, NULL, NULL, NULL, "the arrival process (below)",
     .sub = &traffic_table},
    {"regions", P_CUSTOM, OFF(regions), NULL, 0, 0, 0, NULL, regions_decode, "mapping",
     "users in the plan's nine locations, the origin's location and the network between them (below); absent: "
     "one place, no network delay", .sub = &regions_table},
    {"cost", P_MAP, OFF(cost), "{}", 0, 0, 0, NULL, NULL, NULL,
     "prices of compute and CDN egress (below; defaults: AWS on-demand, 2024)", .sub = &cost_table},
    {"hpa_controller", P_CUSTOM, OFF(hpa_controller), "{}", 0, 0, 0, NULL, decode_controller, "mapping",
     "the HPA controller's flags, for every HPA (below)", .sub = &controller_table},
};
static const param_table_t platform_table = PARAM_TABLE(platform_params);

static int platform_check(scenario_t *sc, cfg_node_t *root, diag_t *d)
{
    platform_cfg_t *pf = platform_of(sc);
    traffic_cfg_t *t = &pf->traffic;
    int errs = 0;
    t->regions = pf->regions.enabled ? &pf->regions : NULL;
    cost_resolve(&pf->cost);
    errs += traffic_check(t, sc, d);
    /* Profile factors are multiples of traffic.rate. */
    for (size_t i = 0; i < t->nprofile; i++) {
        traffic_point_t *pt = &t->profile[i];
        if (isnan(pt->rate))
            pt->rate = pt->factor * t->rate;
    }
    if (t->nprofile == 0 && t->rate <= 0) {
        cfg_node_t *tn = cfg_get(root, "traffic");
        cfg_node_t *r = cfg_get(tn, "rate");
        diag_error(d, r ? r->pos : tn ? tn->pos : root->pos, "traffic.rate: must be > 0 (or give a profile)");
        errs++;
    }
    double n = errs ? 0 : traffic_expected_arrivals(t, sc->duration);
    if (n > LIMIT_ARRIVALS) {
        /* at the key that sets the level: the rate, else the profile */
        cfg_node_t *tn = cfg_get(root, "traffic");
        cfg_node_t *at = cfg_get(tn, t->nprofile ? "profile" : "rate");
        if (!at && t->nprofile)
            at = cfg_get(tn, "replay");
        diag_error(d, at ? at->pos : tn ? tn->pos : root->pos,
                   "traffic: %.0f arrivals expected in a replication of %.6g s (the rate, with the regions' and flash "
                   "crowds' largest factor, over the duration), above clustersim's limit of %.0f per replication; "
                   "lower the rate or shorten the duration",
                   n, simtime_to_s(sc->duration), LIMIT_ARRIVALS);
        errs++;
    }
    return errs;
}

/* ---- the table ----------------------------------------------------------------- */

/* In this order their sections are decoded and their stations made; the
 * browser and the CDN lead every route (route_order). */
static const station_kind_t *const kinds[] = {
    &station_service,
    &station_browser,
    &station_cdn,
    &station_redis,
    &station_database,
};

static void collect_after(const world_t *w, metrics_t *m) { cost_collect_total(m, (double)w->requests_total); }

const catalog_t model_catalog = {
    kinds, sizeof kinds / sizeof kinds[0], &platform_table, sizeof(platform_cfg_t), platform_check, &traffic_source,
    collect_after, autoscaler_manifest_override, &replay_command, 1,
};

const station_kind_t *station_kind_find(const char *name)
{
    for (size_t i = 0; i < model_catalog.nkinds; i++)
        if (strcmp(model_catalog.kinds[i]->name, name) == 0)
            return model_catalog.kinds[i];
    return NULL;
}
