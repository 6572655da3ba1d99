#include "sim/scenario.h"

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sim/cfg.h"
#include "sim/dist.h"
#include "sim/limits.h"
#include "sim/params.h"
#include "sim/world.h"

#define OFF(f) offsetof(scenario_t, f)
#define MAX_SECONDS 315360000.0 /* 3650 days */

static const param_t metrics_server_params[] = {
    {"resolution", P_DURATION, OFF(metrics_resolution), "60s", 1, 3600, 0, NULL, NULL, NULL,
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

/* A singleton kind's station, configured by its section (node; NULL: every
 * default). */
static int add_singleton(scenario_t *sc, const station_kind_t *k, cfg_node_t *node, pctx_t *ctx, const char *path)
{
    station_cfg_t *all = arena_alloc(ctx->arena, (sc->nstations + 1) * sizeof *all);
    void *cfg = arena_alloc(ctx->arena, k->cfg_size ? k->cfg_size : 1);
    srcpos_t pos = node ? node->pos : (srcpos_t){sc->file, 0, 0};
    if (!all || !cfg) {
        diag_oom(ctx->diag, pos);
        return 1;
    }
    if (sc->nstations)
        memcpy(all, sc->stations, sc->nstations * sizeof *all);
    sc->stations = all;
    station_cfg_t *c = &all[sc->nstations];
    *c = (station_cfg_t){k, k->section, pos, (uint32_t)sc->nstations, cfg};
    sc->nstations++;
    cfg_node_t *val = node && !cfg_is_null(node) ? node : NULL;
    if (k->begin)
        k->begin(c);
    int e = params_decode(k->params->rows, k->params->n, val, c->cfg, ctx, path);
    if (!e && k->decoded)
        e = k->decoded(c, val, ctx, path);
    return e;
}

/* A station kind's section: a mapping of names to configurations. */
static int decode_stations(const param_t *p, cfg_node_t *node, void *obj, pctx_t *ctx, const char *path)
{
    scenario_t *sc = obj;
    const station_kind_t *k = p->data;
    if (k->singleton)
        return add_singleton(sc, k, node, ctx, path);
    if (node->kind != CFG_MAP || node->n == 0) {
        diag_error(ctx->diag, node->pos, "%s: expected a mapping of %s names to %ss, got %s", path, k->name, k->name,
                   node->kind == CFG_MAP ? "an empty mapping" : cfg_kind_name(node));
        return 1;
    }
    if (node->n > k->max_instances) {
        /* refused before any is decoded: each may read a manifest */
        const cfg_pair_t *pr = &node->pairs[k->max_instances];
        diag_error(ctx->diag, pr->key->pos, "%s.%s: %s %zu of %zu is above clustersim's limit of %zu %ss per run",
                   path, pr->key->str, k->name, k->max_instances + 1, node->n, k->max_instances, k->name);
        return 1;
    }
    station_cfg_t *all = arena_alloc(ctx->arena, (sc->nstations + node->n) * sizeof *all);
    if (!all) {
        diag_oom(ctx->diag, node->pos);
        return 1;
    }
    if (sc->nstations)
        memcpy(all, sc->stations, sc->nstations * sizeof *all);
    sc->stations = all;
    int errs = 0;
    for (size_t i = 0; i < node->n; i++) {
        cfg_pair_t *pr = &node->pairs[i];
        pr->used = true;
        station_cfg_t *c = &all[sc->nstations];
        *c = (station_cfg_t){k, pr->key->str, pr->key->pos, (uint32_t)sc->nstations, NULL};
        c->cfg = arena_alloc(ctx->arena, k->cfg_size ? k->cfg_size : 1);
        if (!c->cfg) {
            diag_oom(ctx->diag, node->pos);
            return errs + 1;
        }
        sc->nstations++;
        char sub[300];
        snprintf(sub, sizeof sub, "%s.%s", path, c->name);
        if (strlen(c->name) > 63 || !valid_name(c->name)) {
            diag_error(ctx->diag, pr->key->pos,
                       "%s: a %s name is 1 to 63 characters of a-z, 0-9, '-' and '_', starting with a letter or digit",
                       sub, k->name);
            errs++;
        }
        /* `web:` with no value is a station with every default */
        cfg_node_t *val = cfg_is_null(pr->val) ? NULL : pr->val;
        if (k->begin)
            k->begin(c);
        int e = params_decode(k->params->rows, k->params->n, val, c->cfg, ctx, sub);
        if (!e && k->decoded)
            e = k->decoded(c, val, ctx, sub);
        errs += e;
    }
    return errs;
}

/* `faults:` items: decoded here, resolved to stations once they exist. */
typedef struct fault_in {
    simtime_t at, duration;
    const char *target, *fault;
} fault_in_t;

#define FIOFF(f) offsetof(fault_in_t, f)
static const param_t fault_params[] = {
    {"at", P_DURATION, FIOFF(at), NULL, 0, MAX_SECONDS, PF_REQUIRED, NULL, NULL, NULL, "when"},
    {"target", P_STRING, FIOFF(target), NULL, 0, 0, PF_REQUIRED, NULL, NULL, NULL,
     "what it hits: SECTION.NAME (`services.api`), a singleton's SECTION (`cdn`), and a detail after it "
     "(`cdn.london`: that edge)"},
    {"fault", P_STRING, FIOFF(fault), NULL, 0, 0, PF_REQUIRED, NULL, NULL, NULL,
     "its name, one the target accepts (each station kind's faults: see `clustersim describe`)"},
    {"duration", P_DURATION, FIOFF(duration), "0s", 0, MAX_SECONDS, 0, NULL, NULL, NULL,
     "how long, for faults that last (an outage; default: to the end)"},
};
static const param_table_t fault_table = PARAM_TABLE(fault_params);

static int decode_faults(const param_t *p, cfg_node_t *node, void *obj, pctx_t *ctx, const char *path)
{
    (void)p;
    scenario_t *sc = obj;
    fault_in_t *in;
    size_t n;
    int errs = params_decode_list(node, ctx, path, &fault_table, sizeof *in, (void **)&in, &n, 10000);
    if (errs)
        return errs;
    sc->faults = arena_alloc(ctx->arena, (n ? n : 1) * sizeof *sc->faults);
    sc->fault_targets = arena_alloc(ctx->arena, (n ? n : 1) * sizeof *sc->fault_targets);
    if (!sc->faults || !sc->fault_targets) {
        diag_oom(ctx->diag, node->pos);
        return 1;
    }
    for (size_t i = 0; i < n; i++) {
        cfg_node_t *it = node->items[i];
        sc->faults[i] = (fault_spec_t){in[i].at, in[i].duration, in[i].fault, NULL, it->pos,
                                       cfg_get(it, "fault")->pos, cfg_get(it, "target")->pos};
        sc->fault_targets[i] = in[i].target;
    }
    sc->nfaults = n;
    return 0;
}

/* Resolves each fault's target to a station and hands it to the kind. */
static int apply_faults(scenario_t *sc, arena_t *a, diag_t *d)
{
    int errs = 0;
    for (size_t i = 0; i < sc->nfaults; i++) {
        fault_spec_t *f = &sc->faults[i];
        const char *t = sc->fault_targets[i];
        const char *dot = strchr(t, '.');
        size_t len = dot ? (size_t)(dot - t) : strlen(t);
        const station_kind_t *k = NULL;
        for (size_t j = 0; j < model_catalog.nkinds && !k; j++) {
            const station_kind_t *c = model_catalog.kinds[j];
            if (c->section && strlen(c->section) == len && strncmp(c->section, t, len) == 0)
                k = c;
        }
        station_cfg_t *st = NULL;
        const char *rest = dot ? dot + 1 : NULL;
        if (k && k->singleton) {
            size_t nk;
            st = scenario_stations_of(sc, k, &nk);
            f->detail = rest && *rest ? rest : NULL;
        } else if (k && rest) {
            const char *dot2 = strchr(rest, '.');
            char *name = arena_strndup(a, rest, dot2 ? (size_t)(dot2 - rest) : strlen(rest));
            const station_cfg_t *c = name ? scenario_station(sc, k, name) : NULL;
            st = c ? &sc->stations[c->index] : NULL;
            f->detail = dot2 && dot2[1] ? dot2 + 1 : NULL;
        }
        if (!st) {
            diag_error(d, f->target_pos, "faults[%zu].target: '%s' names no station (a section and a name, such "
                                         "as services.api, or a singleton such as cdn, that the scenario has)",
                       i, t);
            errs++;
            continue;
        }
        size_t w = 0;
        while (k->faults && k->faults[w] && strcmp(k->faults[w], f->name) != 0)
            w++;
        if (!k->faults || !k->faults[w] || !k->fault) {
            char valid[200] = "none";
            size_t m = 0;
            for (size_t j = 0; k->faults && k->faults[j] && m < sizeof valid; j++)
                m += (size_t)snprintf(valid + m, sizeof valid - m, "%s%s", j ? ", " : "", k->faults[j]);
            diag_error(d, f->name_pos, "faults[%zu].fault: a %s does not take '%s' (valid: %s)", i, k->name, f->name,
                       valid);
            errs++;
            continue;
        }
        errs += k->fault(sc, st, f, d);
    }
    return errs;
}

/* ---- SLO gates ------------------------------------------------------------------ */

const char *const slo_ops[] = {"<", "<=", ">", ">=", NULL};

#define SOFF(f) offsetof(slo_t, f)
static const param_t slo_params[] = {
    {"name", P_STRING, SOFF(name), NULL, 0, 0, PF_REQUIRED, NULL, NULL, NULL, "what the gate is called"},
    {"metric", P_STRING, SOFF(metric), NULL, 0, 0, PF_REQUIRED, NULL, NULL, NULL,
     "a path into summary.json, e.g. services.web.latency_ms.p99 (checked against the run's paths)"},
    {"op", P_ENUM, SOFF(op), NULL, 0, 0, PF_REQUIRED, slo_ops, NULL, NULL, "how value and threshold compare"},
    {"threshold", P_DOUBLE, SOFF(threshold), NULL, 0, 0, PF_REQUIRED | PF_NO_BOUNDS, NULL, NULL, NULL,
     "in the metric's own unit"},
};
static const param_table_t slo_table = PARAM_TABLE(slo_params);

static int decode_slo(const param_t *p, cfg_node_t *node, void *obj, pctx_t *ctx, const char *path)
{
    (void)p;
    scenario_t *sc = obj;
    int errs = params_decode_list(node, ctx, path, &slo_table, sizeof *sc->slo, (void **)&sc->slo, &sc->nslo, 1000);
    for (size_t i = 0; !errs && i < sc->nslo; i++) {
        sc->slo[i].pos = node->items[i]->pos;
        sc->slo[i].metric_pos = cfg_get(node->items[i], "metric")->pos;
    }
    return errs;
}

/* Every gate's metric must be a path the run writes: the paths depend only
 * on the configuration, so a world that has not run lists them. */
int scenario_metric_paths(const scenario_t *sc, metrics_t *out)
{
    metrics_init(out);
    world_t *w = world_new(sc, 0, NULL);
    if (w)
        world_collect(w, out);
    world_free(w);
    if (!w || out->oom) {
        metrics_free(out);
        return -1;
    }
    return 0;
}

static int check_slo(scenario_t *sc, diag_t *d)
{
    if (!sc->nslo)
        return 0;
    metrics_t m;
    if (scenario_metric_paths(sc, &m) != 0) {
        diag_oom(d, sc->slo[0].pos);
        return 1;
    }
    int errs = 0;
    for (size_t i = 0; i < sc->nslo; i++) {
        const slo_t *g = &sc->slo[i];
        if (metrics_find(&m, g->metric))
            continue;
        const char *near[3];
        metrics_nearest(&m, g->metric, near);
        diag_error(d, g->metric_pos, "slo[%zu].metric: '%s' is not a path of this scenario's summary.json (nearest: "
                                     "%s, %s, %s)",
                   i, g->metric, near[0], near[1], near[2]);
        errs++;
    }
    metrics_free(&m);
    return errs;
}

/* `base:` was applied before decoding (apply_base); here it is only read. */
static int decode_base(const param_t *p, cfg_node_t *node, void *obj, pctx_t *ctx, const char *path)
{
    (void)p, (void)obj;
    return params_scalar(node, ctx, path, "a file") ? 0 : 1;
}

static const param_t scenario_params[] = {
    {"base", P_CUSTOM, 0, NULL, 0, 0, 0, NULL, decode_base, "file",
     "a scenario file this one extends (relative to this file): its keys, with this file's on top (mappings "
     "merged key by key; lists and values replaced; its `name` not inherited)"},
    {"name", P_CUSTOM, OFF(name), NULL, 0, 0, 0, NULL, decode_name, "string", "the run's name (default: the file name)"},
    {"seed", P_U64, OFF(seed), "1", 0, 0, PF_NO_BOUNDS, NULL, NULL, NULL,
     "random seed; replication i runs with seed + i"},
    {"duration", P_DURATION, OFF(duration), "1h", 0, MAX_SECONDS, PF_MIN_EXCL, NULL, NULL, NULL, "simulated time"},
    {"warmup", P_DURATION, OFF(warmup), "0s", 0, MAX_SECONDS, 0, NULL, NULL, NULL,
     "statistics ignore requests that arrive before this"},
    {"sample_interval", P_DURATION, OFF(sample_interval), NULL, 0.001, MAX_SECONDS, 0, NULL, NULL, NULL,
     "time between rows of timeseries.csv (default: the smallest of 1s, 2s, 5s, 10s, 15s, 30s, 1m, 2m, 5m, "
     "10m, 15m, 30m, 1h, 2h, 6h, 12h, 1d giving at most 1000 rows per series)"},
    {"metrics_server", P_CUSTOM, 0, "{}", 0, 0, 0, NULL, decode_metrics_server, "mapping",
     "how pod metrics are scraped (below)", .sub = &metrics_server_table},
    {"slo", P_CUSTOM, 0, NULL, 0, 0, 0, NULL, decode_slo, "list",
     "service-level gates on summary.json paths, evaluated by every run (below)", .sub = &slo_table,
     .sub_name = "slo[]"},
    {"faults", P_CUSTOM, 0, NULL, 0, 0, 0, NULL, decode_faults, "list",
     "scheduled faults, one syntax for every target (below)", .sub = &fault_table, .sub_name = "faults[]"},
};
#define NPARAMS (sizeof scenario_params / sizeof scenario_params[0])

const station_cfg_t *scenario_station(const scenario_t *s, const station_kind_t *k, const char *name)
{
    for (size_t i = 0; i < s->nstations; i++)
        if ((!k || s->stations[i].kind == k) && strcmp(s->stations[i].name, name) == 0)
            return &s->stations[i];
    return NULL;
}

station_cfg_t *scenario_stations_of(const scenario_t *s, const station_kind_t *k, size_t *n)
{
    size_t i = 0;
    while (i < s->nstations && s->stations[i].kind != k)
        i++;
    size_t j = i;
    while (j < s->nstations && s->stations[j].kind == k)
        j++;
    *n = j - i;
    return i < s->nstations ? &s->stations[i] : NULL;
}

/* The top-level keys: the scenario's own, the models' (their offsets moved
 * into the models block) and one section per station kind. `out` holds
 * NPARAMS + platform rows + kinds. */
static size_t top_rows(param_t *out)
{
    const catalog_t *cat = &model_catalog;
    size_t n = 0;
    for (size_t i = 0; i < NPARAMS; i++)
        out[n++] = scenario_params[i];
    for (size_t i = 0; cat->platform && i < cat->platform->n; i++) {
        out[n] = cat->platform->rows[i];
        out[n++].offset += offsetof(scenario_t, models);
    }
    for (size_t i = 0; i < cat->nkinds; i++) {
        const station_kind_t *k = cat->kinds[i];
        if (!k->section)
            continue;
        out[n++] = (param_t){k->section, P_CUSTOM, 0, NULL, 0, 0, k->section_flags, NULL, decode_stations, "mapping",
                             k->help, .sub = k->params, .sub_name = k->section_ref, .data = k};
    }
    return n;
}

static size_t top_rows_max(void)
{
    const catalog_t *cat = &model_catalog;
    return NPARAMS + (cat->platform ? cat->platform->n : 0) + cat->nkinds;
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

/* ---- `base:` one scenario on top of another ------------------------------ */

#define SCENARIO_MAX_BASES 8

/* over on top of base (both mappings): base's keys in base's order, each
 * replaced by over's value for the same key, or merged with it when both
 * are mappings; then over's other keys. Lists and scalars are replaced
 * whole. Nodes keep their own positions (and so their files). */
static cfg_node_t *merge_maps(arena_t *a, const cfg_node_t *base, cfg_node_t *over, diag_t *d)
{
    cfg_node_t *m = arena_alloc(a, sizeof *m);
    cfg_pair_t *pairs = arena_alloc(a, (base->n + over->n + 1) * sizeof *pairs);
    if (!m || !pairs) {
        diag_oom(d, over->pos);
        return NULL;
    }
    *m = *over;
    size_t n = 0;
    for (size_t i = 0; i < base->n; i++) {
        const cfg_pair_t *bp = &base->pairs[i];
        cfg_pair_t *op = NULL;
        for (size_t j = 0; j < over->n && !op; j++)
            if (strcmp(over->pairs[j].key->str, bp->key->str) == 0)
                op = &over->pairs[j];
        if (!op) {
            pairs[n++] = (cfg_pair_t){bp->key, bp->val, false};
        } else if (op->val->kind == CFG_MAP && bp->val->kind == CFG_MAP) {
            cfg_node_t *v = merge_maps(a, bp->val, op->val, d);
            if (!v)
                return NULL;
            pairs[n++] = (cfg_pair_t){op->key, v, false};
        } else {
            pairs[n++] = (cfg_pair_t){op->key, op->val, false};
        }
    }
    for (size_t j = 0; j < over->n; j++) {
        bool seen = false;
        for (size_t i = 0; i < base->n && !seen; i++)
            seen = strcmp(over->pairs[j].key->str, base->pairs[i].key->str) == 0;
        if (!seen)
            pairs[n++] = (cfg_pair_t){over->pairs[j].key, over->pairs[j].val, false};
    }
    m->pairs = pairs;
    m->n = n;
    return m;
}

/* Resolves root's `base:` chain (each relative to the file naming it):
 * the result is every base merged under root, in order, with the base's
 * own `name` left out (a derived scenario is named by its own file). Each
 * base file is added to bases[] (pctx_t.bases). NULL on error (reported). */
static cfg_node_t *apply_base(arena_t *a, cfg_node_t *root, const char *file, const char **bases, size_t *nbases,
                              diag_t *d)
{
    if (!root || root->kind != CFG_MAP)
        return root;
    cfg_node_t *bn = cfg_get(root, "base");
    if (!bn)
        return root;
    if (bn->kind != CFG_SCALAR || cfg_is_null(bn)) {
        diag_error(d, bn->pos, "base: expected the file of a scenario to extend, got %s", cfg_kind_name(bn));
        return NULL;
    }
    if (*nbases >= SCENARIO_MAX_BASES) {
        diag_error(d, bn->pos, "base: more than %d scenarios deep (does a base extend itself?)", SCENARIO_MAX_BASES);
        return NULL;
    }
    const char *slash = strrchr(file, '/');
    const char *path = bn->str[0] == '/' || !slash ? arena_strdup(a, bn->str)
                                                     : arena_printf(a, "%.*s/%s", (int)(slash - file), file, bn->str);
    if (!path) {
        diag_oom(d, bn->pos);
        return NULL;
    }
    diag_push_ref(d, bn->pos, "base");
    cfg_node_t *parent = cfg_parse_file(a, path, d);
    diag_pop_ref(d);
    if (!parent)
        return NULL;
    if (parent->kind != CFG_MAP) {
        diag_error(d, parent->pos, "a scenario is a mapping of keys, got %s (the base of %s)", cfg_kind_name(parent),
                   file);
        return NULL;
    }
    bases[(*nbases)++] = parent->pos.file;
    parent = apply_base(a, parent, parent->pos.file, bases, nbases, d);
    if (!parent)
        return NULL;
    /* the base's name is its own: leave it out */
    cfg_node_t trimmed = *parent;
    cfg_pair_t *keep = arena_alloc(a, (parent->n + 1) * sizeof *keep);
    if (!keep) {
        diag_oom(d, bn->pos);
        return NULL;
    }
    trimmed.n = 0;
    for (size_t i = 0; i < parent->n; i++)
        if (strcmp(parent->pairs[i].key->str, "name") != 0)
            keep[trimmed.n++] = parent->pairs[i];
    trimmed.pairs = keep;
    return merge_maps(a, &trimmed, root, d);
}

static scenario_t *load_tree(arena_t *a, cfg_node_t *root, const char *file, const char *const *sets,
                             size_t nsets, const scenario_opts_t *o, diag_t *d)
{
    const char *const *labels = o ? o->labels : NULL;
    const char *bases[SCENARIO_MAX_BASES];
    size_t nbases = 0;
    root = apply_base(a, root, file, bases, &nbases, d);
    for (size_t i = 0; root && i < nsets; i++) {
        bool named = labels && labels[i];
        const char *label = named ? labels[i] : arena_printf(a, "--set[%zu]", i + 1);
        bool whole = !named || (o->whole && o->whole[i]);
        if (!label || cfg_apply_set(a, root, sets[i], label, !whole, d) != 0)
            return NULL;
    }
    if (!root)
        return NULL;
    scenario_t *sc = arena_alloc(a, sizeof *sc + model_catalog.platform_size);
    param_t *rows = arena_alloc(a, top_rows_max() * sizeof *rows);
    if (!sc || !rows) {
        diag_oom(d, root->pos);
        return NULL;
    }
    memset(sc, 0, sizeof *sc + model_catalog.platform_size);
    size_t nrows = top_rows(rows);
    sc->arena = a;
    sc->file = arena_strdup(a, file);
    char *dir = arena_strdup(a, file);
    char *slash = dir ? strrchr(dir, '/') : NULL;
    if (slash)
        *slash = '\0';
    pctx_t ctx = {a, d, slash ? dir : ".", o && o->strict, bases, nbases};
    if (root->kind != CFG_MAP) {
        diag_error(d, root->pos, "a scenario is a mapping of keys (name, seed, duration, traffic, services, ...), "
                                 "got %s", cfg_kind_name(root));
        return NULL;
    }
    int errs = params_decode(rows, nrows, root, sc, &ctx, "");
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
    /* singletons the scenario implies without naming them (a CDN in front
     * of regions), with every default */
    for (size_t i = 0; i < model_catalog.nkinds && !errs; i++) {
        const station_kind_t *k = model_catalog.kinds[i];
        if (k->singleton && k->implied && !cfg_get(root, k->section) && k->implied(sc))
            errs += add_singleton(sc, k, NULL, &ctx, k->section);
    }
    if (!errs)
        errs += apply_faults(sc, a, d);
    if (model_catalog.platform_check)
        errs += model_catalog.platform_check(sc, root, d);
    for (size_t i = 0; i < model_catalog.nkinds; i++) {
        const station_kind_t *k = model_catalog.kinds[i];
        if (k->check)
            errs += k->check(sc, d);
    }
    if (!errs)
        errs += limits_check(sc, sn ? sn->pos : root->pos, d);
    if (!errs)
        errs += check_slo(sc, d);
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
    param_t *rows = malloc(top_rows_max() * sizeof *rows);
    if (!rows)
        return;
    param_table_t t = {rows, top_rows(rows)};
    /* faults[].fault lists what each station kind takes, from the catalog */
    param_t frows[sizeof fault_params / sizeof fault_params[0]];
    memcpy(frows, fault_params, sizeof frows);
    char help[1024] = "its name, one the target accepts (";
    bool first = true;
    for (size_t i = 0; i < model_catalog.nkinds; i++) {
        const station_kind_t *k = model_catalog.kinds[i];
        for (size_t j = 0; k->faults && k->faults[j]; j++) {
            size_t m = strlen(help);
            if (j)
                snprintf(help + m, sizeof help - m, ", %s", k->faults[j]);
            else
                snprintf(help + m, sizeof help - m, "%s%s: %s", first ? "" : "; ", k->section, k->faults[j]);
            first = false;
        }
    }
    size_t hl = strlen(help);
    snprintf(help + hl, sizeof help - hl, ")");
    for (size_t i = 0; i < sizeof frows / sizeof frows[0]; i++)
        if (strcmp(frows[i].key, "fault") == 0)
            frows[i].help = help;
    param_table_t ft = {frows, sizeof frows / sizeof frows[0]};
    for (size_t i = 0; i < t.n; i++)
        if (strcmp(rows[i].key, "faults") == 0)
            rows[i].sub = &ft;
    params_describe_tree(f, "Top level", "", &t);
    free(rows);
    for (size_t i = 0; i < model_catalog.nkinds; i++)
        if (model_catalog.kinds[i]->describe)
            model_catalog.kinds[i]->describe(f);
    fprintf(f, "\n### Distributions (`service_time` and other durations drawn at random)\n\n"
               "Written `{dist: NAME, ...}`; a bare duration such as `20ms` is deterministic.\n");
    dist_describe(f);
}
