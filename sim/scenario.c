#include "sim/scenario.h"

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sim/cfg.h"
#include "sim/limits.h"
#include "sim/params.h"

#define OFF(f) offsetof(scenario_t, f)
#define MAX_SECONDS 315360000.0 /* 3650 days */

/* metrics-server and the HPA controller: cluster-wide flags. */
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
     "--horizontal-pod-autoscaler-downscale-stabilization (used when a manifest's behavior leaves it unset)"},
    {"cpu_initialization_period", P_DURATION, FOFF(cpu_init), "5m", 0, 86400, 0, NULL, NULL, NULL,
     "--horizontal-pod-autoscaler-cpu-initialization-period"},
    {"initial_readiness_delay", P_DURATION, FOFF(readiness_delay), "30s", 0, 86400, 0, NULL, NULL, NULL,
     "--horizontal-pod-autoscaler-initial-readiness-delay"},
};
#define NCONTROLLER (sizeof controller_params / sizeof controller_params[0])
static const param_table_t controller_table = PARAM_TABLE(controller_params);

static int decode_controller(const param_t *p, cfg_node_t *node, void *obj, pctx_t *ctx, const char *path)
{
    (void)p;
    controller_flags_t f;
    memset(&f, 0, sizeof f);
    int errs = params_decode(controller_params, NCONTROLLER, node, &f, ctx, path);
    hpa_config_t *c = &((scenario_t *)obj)->hpa_controller;
    hpa_config_defaults(c);
    c->sync_period = f.sync_period;
    c->tolerance = f.tolerance;
    c->downscale_window_s = (int32_t)(f.downscale / SIM_S);
    c->cpu_init_period = f.cpu_init;
    c->initial_readiness_delay = f.readiness_delay;
    return errs;
}

static const param_t metrics_server_params[] = {
    {"resolution", P_DURATION, offsetof(scenario_t, metrics_resolution), "60s", 1, 3600, 0, NULL, NULL, NULL,
     "--metric-resolution: time between scrapes"},
    {"window", P_DURATION, offsetof(scenario_t, metrics_window), NULL, 1, 3600, 0, NULL, NULL, NULL,
     "CPU usage and request rates are averaged over the window ending at each scrape (default: the "
     "resolution, the rate between consecutive scrapes; at most the resolution)"},
};

static const param_table_t metrics_server_table = PARAM_TABLE(metrics_server_params);

static int decode_metrics_server(const param_t *p, cfg_node_t *node, void *obj, pctx_t *ctx, const char *path)
{
    (void)p;
    scenario_t *sc = obj;
    int errs = params_decode(metrics_server_table.rows, metrics_server_table.n, node, obj, ctx, path);
    cfg_node_t *wn = cfg_get(node, "window");
    if (!errs && !wn)
        sc->metrics_window = sc->metrics_resolution;
    if (!errs && sc->metrics_window > sc->metrics_resolution) {
        diag_error(ctx->diag, wn->pos, "%s.window: must not be longer than the resolution", path);
        errs++;
    }
    return errs;
}

static int valid_name(const char *s)
{
    if (!islower((unsigned char)*s) && !isdigit((unsigned char)*s))
        return 0;
    for (; *s; s++)
        if (!islower((unsigned char)*s) && !isdigit((unsigned char)*s) && *s != '-' && *s != '_')
            return 0;
    return 1;
}

/* The run's name is the last component of its results directory
 * (results/NAME), so it must be one plain file name that stays inside
 * results/: 1 to 128 of the letters, digits, '-', '_' and '.', not starting
 * with '.' (no "..", no hidden directory). A name derived from the file name
 * is not checked: it is a file name's start, without '/' and never ".". */
#define RUN_NAME_MAX 128

static int decode_name(const param_t *p, cfg_node_t *node, void *obj, pctx_t *ctx, const char *path)
{
    (void)p;
    const char *s = params_scalar(node, ctx, path, "a name");
    if (!s)
        return 1;
    size_t n = strlen(s), bad = n;
    for (size_t i = 0; i < n && bad == n; i++)
        if (!isalnum((unsigned char)s[i]) && s[i] != '-' && s[i] != '_' && (s[i] != '.' || i == 0))
            bad = i;
    if (n == 0 || n > RUN_NAME_MAX || bad < n) {
        diag_error(ctx->diag, node->pos,
                   "%s: a run's name is 1 to %d letters, digits, '-', '_' and '.', not starting with '.' (it names "
                   "the directory results/NAME), got '%s'",
                   path, RUN_NAME_MAX, s);
        return 1;
    }
    const char *c = arena_strdup(ctx->arena, s);
    if (!c) {
        diag_oom(ctx->diag, node->pos);
        return 1;
    }
    ((scenario_t *)obj)->name = c;
    return 0;
}

static int decode_services(const param_t *p, cfg_node_t *node, void *obj, pctx_t *ctx, const char *path)
{
    (void)p;
    scenario_t *sc = obj;
    if (node->kind != CFG_MAP || node->n == 0) {
        diag_error(ctx->diag, node->pos, "%s: expected a mapping of service names to services, got %s", path,
                   node->kind == CFG_MAP ? "an empty mapping" : cfg_kind_name(node));
        return 1;
    }
    if (node->n > LIMIT_SERVICES) {
        /* refused before any service is decoded: each may read a manifest */
        const cfg_pair_t *pr = &node->pairs[LIMIT_SERVICES];
        diag_error(ctx->diag, pr->key->pos,
                   "services.%s: service %d of %zu is above clustersim's limit of %d services per run",
                   pr->key->str, LIMIT_SERVICES + 1, node->n, LIMIT_SERVICES);
        return 1;
    }
    sc->services = arena_alloc(ctx->arena, node->n * sizeof *sc->services);
    if (!sc->services) {
        diag_oom(ctx->diag, node->pos);
        return 1;
    }
    sc->nservices = node->n;
    int errs = 0;
    for (size_t i = 0; i < node->n; i++) {
        cfg_pair_t *pr = &node->pairs[i];
        pr->used = true;
        service_cfg_t *c = &sc->services[i];
        c->name = pr->key->str;
        c->pos = pr->key->pos;
        char sub[300];
        snprintf(sub, sizeof sub, "%s.%s", path, c->name);
        if (strlen(c->name) > 63 || !valid_name(c->name)) {
            diag_error(ctx->diag, pr->key->pos,
                       "%s: a service name is 1 to 63 characters of a-z, 0-9, '-' and '_', starting with a letter "
                       "or digit",
                       sub);
            errs++;
        }
        /* `web:` with no value is a service with every default */
        int e = params_decode(service_table.rows, service_table.n, cfg_is_null(pr->val) ? NULL : pr->val, c, ctx, sub);
        if (!e && c->deployment)
            e = service_apply_deployment(c, pr->val, ctx, sub);
        errs += e;
    }
    return errs;
}

static const param_t scenario_params[] = {
    {"name", P_CUSTOM, OFF(name), NULL, 0, 0, 0, NULL, decode_name, "string", "the run's name (default: the file name)"},
    {"seed", P_U64, OFF(seed), "1", 0, 0, PF_NO_BOUNDS, NULL, NULL, NULL,
     "random seed; replication i runs with seed + i"},
    {"duration", P_DURATION, OFF(duration), "1h", 0, MAX_SECONDS, PF_MIN_EXCL, NULL, NULL, NULL, "simulated time"},
    {"warmup", P_DURATION, OFF(warmup), "0s", 0, MAX_SECONDS, 0, NULL, NULL, NULL,
     "statistics ignore requests that arrive before this"},
    {"sample_interval", P_DURATION, OFF(sample_interval), NULL, 0.001, MAX_SECONDS, 0, NULL, NULL, NULL,
     "time between rows of timeseries.csv (default: the smallest of 1s, 2s, 5s, 10s, 15s, 30s, 1m, 2m, 5m, "
     "10m, 15m, 30m, 1h, 2h, 6h, 12h, 1d giving at most 1000 rows per series)"},
    {"traffic", P_MAP, OFF(traffic), "{}", 0, 0, 0, NULL, NULL, NULL, "the arrival process (below)",
     .sub = &traffic_table},
    {"metrics_server", P_CUSTOM, 0, "{}", 0, 0, 0, NULL, decode_metrics_server, "mapping",
     "how pod metrics are scraped (below)", .sub = &metrics_server_table},
    {"hpa_controller", P_CUSTOM, 0, "{}", 0, 0, 0, NULL, decode_controller, "mapping",
     "the HPA controller's flags, for every HPA (below)", .sub = &controller_table},
    {"services", P_CUSTOM, 0, NULL, 0, 0, PF_REQUIRED, NULL, decode_services, "mapping",
     "name: service (below); traffic enters the first", .sub = &service_table, .sub_name = "services.NAME"},
};
static const param_table_t scenario_table = PARAM_TABLE(scenario_params);
#define NPARAMS (sizeof scenario_params / sizeof scenario_params[0])

int scenario_service_index(const scenario_t *s, const char *name)
{
    for (size_t i = 0; i < s->nservices; i++)
        if (strcmp(s->services[i].name, name) == 0)
            return (int)i;
    return -1;
}

/* Calls must name services and must not loop (a request would never end). */
static int check_calls(scenario_t *sc, diag_t *d)
{
    int errs = 0;
    for (size_t i = 0; i < sc->nservices; i++) {
        service_cfg_t *c = &sc->services[i];
        for (size_t k = 0; k < c->ncalls; k++) {
            if (!c->call_names[k])
                continue;
            int idx = scenario_service_index(sc, c->call_names[k]);
            if (idx < 0) {
                char valid[400];
                size_t n = 0;
                for (size_t j = 0; j < sc->nservices && n < sizeof valid; j++)
                    n += (size_t)snprintf(valid + n, sizeof valid - n, "%s%s", j ? ", " : "", sc->services[j].name);
                diag_error(d, c->call_pos[k], "services.%s.calls[%zu]: undefined service '%s' (defined: %s)", c->name,
                           k, c->call_names[k], valid);
                errs++;
            } else {
                c->calls[k] = (uint32_t)idx;
            }
        }
    }
    if (errs)
        return errs;
    /* Depth-first search for a cycle; colour 1 = on the stack, 2 = done. */
    size_t n = sc->nservices;
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
            service_cfg_t *c = &sc->services[u];
            if (edge[u] < c->ncalls) {
                size_t k = edge[u]++;
                size_t v = c->calls[k];
                if (colour[v] == 1) {
                    diag_error(d, c->call_pos[k], "services.%s.calls[%zu]: calling '%s' makes a loop (%s)", c->name, k,
                               sc->services[v].name, v == u ? "a service calls itself" : "requests would never end");
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

static simtime_t auto_interval(simtime_t duration)
{
    static const simtime_t steps[] = {1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 21600, 43200,
                                      86400};
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++)
        if (duration / (steps[i] * SIM_S) <= 1000)
            return steps[i] * SIM_S;
    return duration / 1000 > SIM_S ? duration / 1000 / SIM_S * SIM_S : SIM_S;
}

static scenario_t *load_tree(arena_t *a, cfg_node_t *root, const char *file, const char *const *sets,
                             size_t nsets, const scenario_opts_t *o, diag_t *d)
{
    const char *const *labels = o ? o->labels : NULL;
    for (size_t i = 0; root && i < nsets; i++) {
        bool named = labels && labels[i];
        const char *label = named ? labels[i] : arena_printf(a, "--set[%zu]", i + 1);
        if (!label || cfg_apply_set(a, root, sets[i], label, named, d) != 0)
            return NULL;
    }
    if (!root)
        return NULL;
    scenario_t *sc = arena_alloc(a, sizeof *sc);
    if (!sc)
        return NULL;
    sc->arena = a;
    sc->file = arena_strdup(a, file);
    char *dir = arena_strdup(a, file);
    char *slash = dir ? strrchr(dir, '/') : NULL;
    if (slash)
        *slash = '\0';
    pctx_t ctx = {a, d, slash ? dir : ".", o && o->strict};
    if (root->kind != CFG_MAP) {
        diag_error(d, root->pos, "a scenario is a mapping of keys (name, seed, duration, traffic, services, ...), "
                                 "got %s", cfg_kind_name(root));
        return NULL;
    }
    int errs = params_decode(scenario_params, NPARAMS, root, sc, &ctx, "");
    if (errs)
        return NULL;
    if (!sc->name) {
        const char *base = strrchr(file, '/');
        base = base ? base + 1 : file;
        size_t len = strcspn(base, ".");
        sc->name = arena_strndup(a, base, len ? len : strlen(base));
    }
    cfg_node_t *wn = cfg_get(root, "warmup");
    if (sc->warmup >= sc->duration) {
        diag_error(d, wn ? wn->pos : root->pos, "warmup: must be shorter than duration");
        errs++;
    }
    cfg_node_t *sn = cfg_get(root, "sample_interval");
    if (!sn)
        sc->sample_interval = auto_interval(sc->duration);
    else if (sc->sample_interval > sc->duration) {
        diag_error(d, sn->pos, "sample_interval: must not be longer than duration");
        errs++;
    } else if (sc->duration / sc->sample_interval > 10000000) {
        diag_error(d, sn->pos, "sample_interval: more than 10 million rows per series; make it longer");
        errs++;
    }
    /* Profile factors are multiples of traffic.rate. */
    for (size_t i = 0; i < sc->traffic.nprofile; i++) {
        traffic_point_t *pt = &sc->traffic.profile[i];
        if (isnan(pt->rate))
            pt->rate = pt->factor * sc->traffic.rate;
    }
    if (sc->traffic.nprofile == 0 && sc->traffic.rate <= 0) {
        cfg_node_t *t = cfg_get(root, "traffic");
        cfg_node_t *r = cfg_get(t, "rate");
        diag_error(d, r ? r->pos : t ? t->pos : root->pos, "traffic.rate: must be > 0 (or give a profile)");
        errs++;
    }
    for (size_t i = 0; i < sc->nservices; i++) {
        service_cfg_t *c = &sc->services[i];
        if (c->nweights > (size_t)c->replicas) {
            diag_error(d, c->weights_pos, "services.%s.weights: %zu weights for %d replicas", c->name, c->nweights,
                       c->replicas);
            errs++;
        }
    }
    for (size_t i = 0; i < sc->nservices; i++) {
        service_cfg_t *c = &sc->services[i];
        hpa_spec_t *h = c->autoscaler.hpa;
        if (!h)
            continue;
        h->cfg = sc->hpa_controller;
        errs += autoscaler_check_metrics(&c->autoscaler, &sc->traffic, c->name, d);
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
        errs += limits_check(sc, sn ? sn->pos : root->pos, d);
    return errs ? NULL : sc;
}

scenario_t *scenario_load(const char *path, const char *const *sets, size_t nsets, diag_t *d)
{
    return scenario_load_opts(path, sets, nsets, NULL, d);
}

scenario_t *scenario_load_opts(const char *path, const char *const *sets, size_t nsets, const scenario_opts_t *o,
                               diag_t *d)
{
    arena_t *a = arena_new();
    if (!a) {
        diag_oom(d, (srcpos_t){path, 0, 0});
        return NULL;
    }
    cfg_node_t *root = cfg_parse_file(a, path, d);
    scenario_t *sc = load_tree(a, root, path, sets, nsets, o, d);
    if (!sc)
        arena_free(a);
    return sc;
}

scenario_t *scenario_load_string(const char *yaml, const char *name, const char *const *sets, size_t nsets,
                                 diag_t *d)
{
    arena_t *a = arena_new();
    if (!a) {
        diag_oom(d, (srcpos_t){name, 0, 0});
        return NULL;
    }
    cfg_node_t *root = cfg_parse_string(a, yaml, strlen(yaml), name, d);
    scenario_t *sc = load_tree(a, root, name, sets, nsets, NULL, d);
    if (!sc)
        arena_free(a);
    return sc;
}

void scenario_free(scenario_t *s)
{
    if (s)
        arena_free(s->arena);
}

void scenario_describe(FILE *f)
{
    params_describe_tree(f, "Top level", "", &scenario_table);
    fprintf(f, "\n### Load balancers (`load_balancer`)\n\n| name | behaviour |\n|---|---|\n");
    size_t n;
    const lb_kind_t *const *all = lb_all(&n);
    for (size_t i = 0; i < n; i++)
        fprintf(f, "| `%s` | %s |\n", all[i]->name, all[i]->help);
    fprintf(f, "\n### Distributions (`service_time` and other durations drawn at random)\n\n"
               "Written `{dist: NAME, ...}`; a bare duration such as `20ms` is deterministic.\n");
    dist_describe(f);
}
