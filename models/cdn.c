#include "models/cdn.h"

#include <fnmatch.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "models/browser.h"
#include "models/catalog.h"
#include "sim/world.h"

/* ---- configuration ---------------------------------------------------------- */

#define OFF(f) offsetof(cdn_cfg_t, f)
#define YEAR_S 315360000.0
static const char *const ttl_modes[] = {"set_on_miss", "refresh_on_hit", NULL};
static const char *const rule_methods[] = {"GET", "HEAD", "any", NULL};

#define ROFF(f) offsetof(cdn_rule_t, f)
static const param_t rule_params[] = {
    {"path", P_STRING, ROFF(path), NULL, 0, 0, PF_REQUIRED, NULL, NULL, NULL,
     "glob over the classes' path patterns, e.g. /api/public/*"},
    {"method", P_ENUM, ROFF(method), "GET", 0, 0, 0, rule_methods, NULL, NULL, "which requests it caches"},
    {"ttl", P_DURATION, ROFF(ttl), NULL, 0, YEAR_S, PF_REQUIRED, NULL, NULL, NULL, "how long the edge keeps a response"},
};
static const param_table_t rule_table = PARAM_TABLE(rule_params);

#define POFF(f) offsetof(cdn_purge_t, f)
static const param_t purge_params[] = {
    {"at", P_DURATION, POFF(at), NULL, 0, YEAR_S, PF_REQUIRED, NULL, NULL, NULL, "when"},
    {"path", P_STRING, POFF(path), NULL, 0, 0, 0, NULL, NULL, NULL, "glob: the classes whose path it matches"},
    {"surrogate_key", P_STRING, POFF(surrogate_key), NULL, 0, 0, 0, NULL, NULL, NULL,
     "or: the classes tagged with this surrogate_key"},
};
static const param_table_t purge_table = PARAM_TABLE(purge_params);

#define UOFF(f) offsetof(cdn_outage_t, f)
static const param_t outage_params[] = {
    {"edge", P_STRING, UOFF(edge), NULL, 0, 0, PF_REQUIRED, NULL, NULL, NULL, "which edge goes down"},
    {"at", P_DURATION, UOFF(at), NULL, 0, YEAR_S, PF_REQUIRED, NULL, NULL, NULL, "when"},
    {"duration", P_DURATION, UOFF(duration), "3650d", 0, YEAR_S, PF_MIN_EXCL, NULL, NULL, NULL,
     "how long (default: to the end of the run)"},
};
static const param_table_t outage_table = PARAM_TABLE(outage_params);

static int decode_edges(const param_t *p, cfg_node_t *node, void *obj, pctx_t *ctx, const char *path)
{
    (void)p;
    cdn_cfg_t *c = obj;
    if (node->kind == CFG_SEQ && node->n > GEO_NLOCATIONS) {
        diag_error(ctx->diag, node->pos, "%s: expected a list of up to %d locations (valid: %s)", path,
                   GEO_NLOCATIONS, geo_valid_names());
        return 1;
    }
    int errs = params_decode_names(node, ctx, path, "location", &c->edge_names, &c->edge_pos, &c->nedge_names);
    for (size_t i = 0; !errs && i < c->nedge_names; i++) {
        char sub[512];
        snprintf(sub, sizeof sub, "%s[%zu]", path, i);
        int loc = geo_find(c->edge_names[i]);
        if (loc < 0) {
            diag_error(ctx->diag, c->edge_pos[i], "%s: unknown region '%s' (valid: %s)", sub, c->edge_names[i],
                       geo_valid_names());
            errs++;
            continue;
        }
        for (int k = 0; k < c->nedges; k++)
            if (c->edge_loc[k] == loc) {
                diag_error(ctx->diag, c->edge_pos[i], "%s: '%s' is listed twice", sub, c->edge_names[i]);
                errs++;
                loc = -1;
                break;
            }
        if (loc >= 0)
            c->edge_loc[c->nedges++] = loc;
    }
    c->edges_given = true;
    return errs;
}

static int decode_rules(const param_t *p, cfg_node_t *node, void *obj, pctx_t *ctx, const char *path)
{
    (void)p;
    cdn_cfg_t *c = obj;
    c->rules_given = true;
    int e = params_decode_list(node, ctx, path, &rule_table, sizeof(cdn_rule_t), (void **)&c->rules, &c->nrules, 1000);
    for (size_t i = 0; !e && i < c->nrules; i++) {
        c->rules[i].pos = node->items[i]->pos;
        c->rules[i].method = c->rules[i].method == 2 ? -1 : c->rules[i].method;
    }
    return e;
}

static int decode_purges(const param_t *p, cfg_node_t *node, void *obj, pctx_t *ctx, const char *path)
{
    (void)p;
    cdn_cfg_t *c = obj;
    int e = params_decode_list(node, ctx, path, &purge_table, sizeof(cdn_purge_t), (void **)&c->purges, &c->npurges, 10000);
    for (size_t i = 0; !e && i < c->npurges; i++) {
        cdn_purge_t *pg = &c->purges[i];
        pg->pos = node->items[i]->pos;
        if (!pg->path == !pg->surrogate_key) {
            diag_error(ctx->diag, pg->pos, "%s[%zu]: give either path or surrogate_key", path, i);
            e++;
        }
    }
    return e;
}

static int decode_outages(const param_t *p, cfg_node_t *node, void *obj, pctx_t *ctx, const char *path)
{
    (void)p;
    cdn_cfg_t *c = obj;
    int e =
        params_decode_list(node, ctx, path, &outage_table, sizeof(cdn_outage_t), (void **)&c->outages, &c->noutages, 1000);
    for (size_t i = 0; !e && i < c->noutages; i++) {
        cfg_node_t *edge = cfg_get(node->items[i], "edge");
        c->outages[i].pos = edge ? edge->pos : node->items[i]->pos;
    }
    return e;
}

static const param_t cdn_params[] = {
    {"edges", P_CUSTOM, 0, NULL, 0, 0, 0, NULL, decode_edges, "list of locations",
     "where the CDN has edges (default: all nine; []: no CDN, users reach the origin directly)"},
    {"capacity", P_MEMORY, OFF(capacity_b), "0", 0, 9e18, 0, NULL, NULL, NULL,
     "bytes each edge caches, least recently used evicted first (0: unbounded)"},
    {"ttl_mode", P_ENUM, OFF(ttl_mode), "set_on_miss", 0, 0, 0, ttl_modes, NULL, NULL,
     "set_on_miss: an entry lives ttl from when it was fetched (HTTP); refresh_on_hit: each hit restarts it"},
    {"edge_cache_ttl", P_DURATION, OFF(edge_cache_ttl), "2h", 0, YEAR_S, 0, NULL, NULL, NULL,
     "how long edges keep static classes (the plan's zone setting)"},
    {"rules", P_CUSTOM, 0, NULL, 0, 0, 0, NULL, decode_rules, "list",
     "caching rules for the other classes, first match wins (default: the plan's: /api/public/* GET 300s, "
     "/api/courses/* GET 1800s); a class no rule matches is not cached",
     .sub = &rule_table, .sub_name = "rules[]"},
    {"purges", P_CUSTOM, 0, NULL, 0, 0, 0, NULL, decode_purges, "list",
     "scheduled purges at every edge (below)", .sub = &purge_table, .sub_name = "purges[]"},
    {"outages", P_CUSTOM, 0, NULL, 0, 0, 0, NULL, decode_outages, "list",
     "scheduled edge outages (below): its users go to the next nearest healthy edge", .sub = &outage_table,
     .sub_name = "outages[]"},
};
static const param_table_t cdn_table = PARAM_TABLE(cdn_params);

static void cdn_begin(station_cfg_t *st)
{
    cdn_cfg_t *c = st->cfg;
    c->pos = st->pos;
}

/* Scheduled faults join the CDN's own purges and outages; the origin's
 * outages are faults only. */
static const char *const cdn_faults[] = {"outage", "purge", "origin_outage", "region_outage", NULL};

#define FOREVER (3650 * 86400 * SIM_S) /* an outage's default duration: to the end of any run */

/* Appends an outage of `where` (an edge's location, or NULL) for f's time
 * to the list *list of *n. */
static int add_outage(scenario_t *sc, cdn_outage_t **list, size_t *n, const char *where, const fault_spec_t *f,
                      bool region, diag_t *d)
{
    cdn_outage_t *a = arena_append(sc->arena, *list, *n, sizeof *a);
    if (!a) {
        diag_oom(d, f->pos);
        return 1;
    }
    a[(*n)++] = (cdn_outage_t){where, f->at, f->duration > 0 ? f->duration : FOREVER, -1, f->target_pos, region};
    *list = a;
    return 0;
}

/* region_outage at cdn.LOCATION: the edge there (if the CDN has one) and
 * the origin (if it is there); a location with neither is an error. The
 * edges are known (decoded, or every location by default) and so is
 * regions.origin: faults are applied after every key is decoded. */
static int region_outage(scenario_t *sc, cdn_cfg_t *c, const fault_spec_t *f, diag_t *d)
{
    const regions_cfg_t *rg = &platform_of(sc)->regions;
    if (!f->detail) {
        diag_error(d, f->target_pos, "faults: a region outage names its location, e.g. target: cdn.nairobi");
        return 1;
    }
    int loc = geo_find(f->detail);
    if (loc < 0) {
        diag_error(d, f->target_pos, "faults: region_outage: unknown location '%s' (valid: %s)", f->detail,
                   geo_valid_names());
        return 1;
    }
    if (!rg->enabled)
        return 0; /* cdn_check says the CDN needs regions */
    bool edge = !c->edges_given;
    for (int k = 0; k < c->nedges; k++)
        edge |= c->edge_loc[k] == loc;
    bool origin = loc == rg->origin;
    if (!edge && !origin) {
        diag_error(d, f->target_pos,
                   "faults: region_outage at '%s': the CDN has no edge there and the origin is in %s (nothing to "
                   "take down)",
                   f->detail, geo_location(rg->origin)->name);
        return 1;
    }
    const char *name = geo_location(loc)->name;
    int errs = edge ? add_outage(sc, &c->outages, &c->noutages, name, f, true, d) : 0;
    if (!errs && origin)
        errs = add_outage(sc, &c->origin_outages, &c->norigin_outages, NULL, f, true, d);
    return errs;
}

static int cdn_fault(scenario_t *sc, station_cfg_t *st, const fault_spec_t *f, diag_t *d)
{
    cdn_cfg_t *c = st->cfg;
    if (strcmp(f->name, "region_outage") == 0)
        return region_outage(sc, c, f, d);
    if (strcmp(f->name, "outage") == 0) {
        if (!f->detail) {
            diag_error(d, f->target_pos, "faults: an outage names its edge, e.g. target: cdn.london");
            return 1;
        }
        return add_outage(sc, &c->outages, &c->noutages, f->detail, f, false, d);
    }
    if (f->detail) {
        diag_error(d, f->target_pos, "faults: %s: target: cdn, not '%s' after it",
                   strcmp(f->name, "purge") == 0 ? "a purge is at every edge" : "an origin outage is of the origin",
                   f->detail);
        return 1;
    }
    if (strcmp(f->name, "origin_outage") == 0)
        return add_outage(sc, &c->origin_outages, &c->norigin_outages, NULL, f, false, d);
    cdn_purge_t *a = arena_append(sc->arena, c->purges, c->npurges, sizeof *a);
    if (!a) {
        diag_oom(d, f->pos);
        return 1;
    }
    a[c->npurges++] = (cdn_purge_t){f->at, "*", NULL, 0, f->pos}; /* every class */
    c->purges = a;
    return 0;
}

static const cdn_rule_t default_rules[] = {
    {"/api/public/*", METHOD_GET, 300 * SIM_S, {"(default)", 0, 0}},
    {"/api/courses/*", METHOD_GET, 1800 * SIM_S, {"(default)", 0, 0}},
};

static bool implied(const scenario_t *sc) { return platform_of(sc)->regions.enabled; }

static int cdn_check(scenario_t *sc, diag_t *d)
{
    size_t n;
    station_cfg_t *st = scenario_stations_of(sc, &station_cdn, &n);
    if (!st)
        return 0;
    cdn_cfg_t *c = st->cfg;
    platform_cfg_t *pf = platform_of(sc);
    const traffic_cfg_t *tr = &pf->traffic;
    regions_cfg_t *rg = &pf->regions;
    if (!rg->enabled) {
        diag_error(d, c->pos, "cdn: needs `regions` (where users and edges are)");
        return 1;
    }
    int errs = 0;
    if (!c->edges_given)
        for (int i = 0; i < GEO_NLOCATIONS; i++)
            c->edge_loc[c->nedges++] = i;
    if (!c->rules_given) {
        c->rules = (cdn_rule_t *)(uintptr_t)default_rules;
        c->nrules = sizeof default_rules / sizeof default_rules[0];
    }
    /* what each class may be cached for */
    for (size_t k = 0; k < tr->nmix && tr->classes; k++) {
        const traffic_class_t *cl = &tr->mix[k];
        simtime_t ttl = 0;
        if (cl->is_private || !traffic_method_cacheable(cl->method))
            ttl = 0;
        else if (cl->is_static)
            ttl = c->edge_cache_ttl;
        else
            for (size_t i = 0; i < c->nrules; i++) {
                const cdn_rule_t *r = &c->rules[i];
                if ((r->method < 0 || r->method == cl->method) && fnmatch(r->path, cl->path, 0) == 0) {
                    ttl = r->ttl;
                    break;
                }
            }
        c->class_ttl[k] = ttl;
    }
    for (size_t i = 0; i < c->npurges; i++) {
        cdn_purge_t *pg = &c->purges[i];
        for (size_t k = 0; k < tr->nmix && tr->classes; k++) {
            const traffic_class_t *cl = &tr->mix[k];
            bool m = pg->path ? fnmatch(pg->path, cl->path, 0) == 0
                              : cl->surrogate_key && strcmp(cl->surrogate_key, pg->surrogate_key) == 0;
            if (m)
                pg->classes |= 1u << k;
        }
        if (!pg->classes) {
            diag_error(d, pg->pos, "cdn.purges[%zu]: %s '%s' names no class of traffic.classes", i,
                       pg->path ? "path" : "surrogate_key", pg->path ? pg->path : pg->surrogate_key);
            errs++;
        }
    }
    for (size_t i = 0; i < c->noutages; i++) {
        cdn_outage_t *o = &c->outages[i];
        o->slot = -1;
        for (int e = 0; e < c->nedges; e++)
            if (strcmp(geo_location(c->edge_loc[e])->name, o->edge) == 0)
                o->slot = e;
        if (o->slot < 0 && geo_find(o->edge) < 0) {
            diag_error(d, o->pos, "cdn.outages[%zu].edge: unknown region '%s' (valid: %s)", i, o->edge,
                       geo_valid_names());
            errs++;
        } else if (o->slot < 0) {
            diag_error(d, o->pos, "cdn.outages[%zu].edge: '%s' is not one of the CDN's edges", i, o->edge);
            errs++;
        }
    }
    /* the RTTs the run uses, and each user region's edges by RTT */
    bool used[GEO_NLOCATIONS] = {false};
    used[rg->origin] = true;
    for (int i = 0; i < rg->nusers; i++)
        used[rg->user_loc[i]] = true;
    for (int e = 0; e < c->nedges; e++)
        used[c->edge_loc[e]] = true;
    errs += regions_check_rtt(rg, used, d);
    for (int u = 0; u < GEO_NLOCATIONS; u++) {
        int *row = &c->order[u * GEO_NLOCATIONS];
        for (int e = 0; e < c->nedges; e++) {
            /* insertion by (rtt, slot) */
            int j = e;
            double r = rg->rtt[u * GEO_NLOCATIONS + c->edge_loc[e]];
            while (j > 0 && rg->rtt[u * GEO_NLOCATIONS + c->edge_loc[row[j - 1]]] > r) {
                row[j] = row[j - 1];
                j--;
            }
            row[j] = e;
        }
    }
    return errs;
}

/* ---- run time ------------------------------------------------------------------ */

enum { PH_AT_EDGE, PH_TO_ORIGIN, PH_AT_EDGE_BACK, PH_TO_USER, PH_DEAD };
enum { F_FILL = 1, F_OK = 2 };
#define NO_EDGE 255

typedef struct cdn {
    const cdn_cfg_t *cfg;
    const regions_cfg_t *rg;
    const traffic_cfg_t *tr;
    cache_t cache[GEO_NLOCATIONS];
    bool up[GEO_NLOCATIONS];
    bool origin_down;           /* an origin outage is active (set by their events) */
    uint64_t dns_key;
    /* measured requests */
    uint64_t hits, misses, bypass, dead, unreachable;
    uint64_t origin_errors;     /* refused by the origin while it was down */
    uint64_t e_hits[GEO_NLOCATIONS], e_miss[GEO_NLOCATIONS], e_req[GEO_NLOCATIONS];
    uint64_t r_hits[GEO_NLOCATIONS], r_miss[GEO_NLOCATIONS];
    uint64_t c_hits[TRAFFIC_MAX_CLASSES], c_miss[TRAFFIC_MAX_CLASSES];
    uint64_t purged;
    double e_bytes[GEO_NLOCATIONS];     /* sent to users by each edge (measured) */
    /* this sampling interval, all requests */
    uint64_t iv_req[GEO_NLOCATIONS], iv_hits[GEO_NLOCATIONS], iv_miss[GEO_NLOCATIONS];
} cdn_t;

static inline uint64_t cache_key(const request_t *r) { return ((uint64_t)r->klass << 48) | (r->object & 0xffffffffffffULL); }

static inline int user_loc(const cdn_t *c, const request_t *r) { return c->rg->user_loc[r->region]; }

static inline bool active(const cdn_outage_t *o, simtime_t t) { return t >= o->at && t - o->at < o->duration; }

static bool up_at(const cdn_cfg_t *c, int slot, simtime_t t)
{
    for (size_t i = 0; i < c->noutages; i++) {
        const cdn_outage_t *o = &c->outages[i];
        if (o->slot == slot && active(o, t))
            return false;
    }
    return true;
}

/* The first edge of user location u's order that is up at time t. */
static int nearest_up(const cdn_cfg_t *c, int u, simtime_t t)
{
    const int *row = &c->order[u * GEO_NLOCATIONS];
    for (int i = 0; i < c->nedges; i++)
        if (up_at(c, row[i], t))
            return row[i];
    return -1;
}

static void cdn_event(void *ctx, void *obj, uint64_t arg);

static void later(world_t *w, request_t *r, simtime_t dt, int phase)
{
    world_schedule(w, w->now + dt, cdn_event, r, (uint64_t)phase);
}

static void cdn_arrive(world_t *w, station_t *st, request_t *r)
{
    cdn_t *c = st->state;
    const cdn_cfg_t *cf = c->cfg;
    int u = user_loc(c, r);
    r->flags = 0;
    if (cf->nedges == 0) { /* no CDN: straight to the origin */
        r->edge = NO_EDGE;
        later(w, r, regions_rtt(c->rg, u, c->rg->origin) / 2, PH_TO_ORIGIN);
        return;
    }
    int e;
    if (c->rg->routing == ROUTING_GEO_DNS && c->rg->dns_ttl > 0) {
        /* the client resolved last at now - age, its own phase in the TTL */
        simtime_t ttl = c->rg->dns_ttl;
        uint64_t h = rng_mix64(c->dns_key ^ (((uint64_t)r->region << 32) | r->client));
        simtime_t phase = (simtime_t)((h >> 11) % (uint64_t)ttl);
        simtime_t age = (w->now - phase) % ttl; /* in (-ttl, ttl): one division, then into [0, ttl) */
        if (age < 0)
            age += ttl;
        e = nearest_up(cf, u, w->now - age);
        if (e >= 0 && !up_at(cf, e, w->now)) {
            /* DNS still names a dead edge: the request times out */
            if (r->measured)
                c->dead++;
            r->edge = (uint8_t)e;
            later(w, r, c->rg->dead_edge_timeout, PH_DEAD);
            return;
        }
        if (e < 0)
            e = nearest_up(cf, u, w->now);
    } else {
        e = nearest_up(cf, u, w->now);
    }
    if (e < 0) { /* every edge is down */
        if (r->measured)
            c->unreachable++;
        r->edge = NO_EDGE;
        later(w, r, c->rg->dead_edge_timeout, PH_DEAD);
        return;
    }
    r->edge = (uint8_t)e;
    /* the edge looks the object up half a round trip from now: its line can
     * load meanwhile (a hint; it changes no result) */
    if (r->klass && cf->class_ttl[r->klass - 1] > 0)
        cache_prefetch(&c->cache[e], cache_key(r));
    later(w, r, regions_rtt(c->rg, u, cf->edge_loc[e]) / 2, PH_AT_EDGE);
}

static void at_edge(world_t *w, cdn_t *c, request_t *r)
{
    const cdn_cfg_t *cf = c->cfg;
    int e = r->edge, u = user_loc(c, r);
    simtime_t ttl = r->klass ? cf->class_ttl[r->klass - 1] : 0;
    c->iv_req[e]++;
    if (r->measured)
        c->e_req[e]++;
    if (ttl > 0) {
        if (cache_lookup(&c->cache[e], cache_key(r), w->now) == CACHE_HIT) {
            c->iv_hits[e]++;
            if (r->measured) {
                c->hits++, c->e_hits[e]++, c->r_hits[r->region]++, c->c_hits[r->klass - 1]++;
            }
            r->flags |= F_OK;
            later(w, r, regions_rtt(c->rg, u, cf->edge_loc[e]) / 2, PH_TO_USER);
            return;
        }
        c->iv_miss[e]++;
        if (r->measured) {
            c->misses++, c->e_miss[e]++, c->r_miss[r->region]++, c->c_miss[r->klass - 1]++;
        }
        r->flags |= F_FILL;
    } else if (r->measured) {
        c->bypass++;
    }
    later(w, r, regions_rtt(c->rg, cf->edge_loc[e], c->rg->origin) / 2, PH_TO_ORIGIN);
}

static void back(world_t *w, cdn_t *c, request_t *r, bool ok)
{
    if (ok)
        r->flags |= F_OK;
    else
        r->flags &= (uint8_t)~F_OK;
    if (r->edge == NO_EDGE) {
        later(w, r, regions_rtt(c->rg, user_loc(c, r), c->rg->origin) / 2, PH_TO_USER);
    } else {
        if ((r->flags & (F_FILL | F_OK)) == (F_FILL | F_OK))
            cache_prefetch(&c->cache[r->edge], cache_key(r)); /* the fill's line, as in cdn_arrive */
        later(w, r, regions_rtt(c->rg, c->cfg->edge_loc[r->edge], c->rg->origin) / 2, PH_AT_EDGE_BACK);
    }
}

static void cdn_back(world_t *w, station_t *st, request_t *r, bool ok) { back(w, st->state, r, ok); }

static void cdn_event(void *ctx, void *obj, uint64_t arg)
{
    world_t *w = ctx;
    request_t *r = obj;
    station_t *st = r->route->hops[r->hop];
    cdn_t *c = st->state;
    switch ((int)arg) {
    case PH_AT_EDGE:
        at_edge(w, c, r);
        break;
    case PH_TO_ORIGIN:
        if (c->origin_down) {
            /* the origin is unreachable: the connection is refused, and the
             * refusal travels back as an error reply would (nothing filled) */
            if (r->measured)
                c->origin_errors++;
            back(w, c, r, false);
            break;
        }
        world_pass(w, r);
        break;
    case PH_AT_EDGE_BACK: {
        int e = r->edge;
        if ((r->flags & (F_FILL | F_OK)) == (F_FILL | F_OK) && r->klass &&
            cache_fill(&c->cache[e], cache_key(r), c->tr->mix[r->klass - 1].size_b, c->cfg->class_ttl[r->klass - 1],
                       w->now) != 0) {
            world_fail(w, "out of memory (CDN cache)");
            return;
        }
        later(w, r, regions_rtt(c->rg, user_loc(c, r), c->cfg->edge_loc[e]) / 2, PH_TO_USER);
        break;
    }
    case PH_TO_USER:
        /* egress: the response's body, unless a revalidation (a 304) or a
         * HEAD (headers only) */
        if (r->measured && r->edge != NO_EDGE && r->klass && (r->flags & F_OK) && !r->revalidate &&
            c->tr->mix[r->klass - 1].method != METHOD_HEAD)
            c->e_bytes[r->edge] += (double)c->tr->mix[r->klass - 1].size_b;
        world_back(w, r, (r->flags & F_OK) != 0);
        break;
    case PH_DEAD:
        world_back(w, r, false);
        break;
    }
}

/* ---- scheduled purges and outages ------------------------------------------------- */

static bool purge_match(uint64_t key, void *arg)
{
    uint32_t classes = *(const uint32_t *)arg;
    uint64_t k = key >> 48;
    return k >= 1 && (classes >> (k - 1)) & 1u;
}

static void on_purge(void *ctx, void *obj, uint64_t arg)
{
    world_t *w = ctx;
    station_t *st = obj;
    cdn_t *c = st->state;
    const cdn_purge_t *pg = &c->cfg->purges[arg];
    uint32_t classes = pg->classes;
    size_t n = 0;
    for (int e = 0; e < c->cfg->nedges; e++)
        n += cache_purge(&c->cache[e], purge_match, &classes);
    c->purged += n;
    char to[64];
    snprintf(to, sizeof to, "%zu entries removed", n);
    world_event(w, "cdn", "purge", pg->path ? pg->path : pg->surrogate_key, to,
                pg->path ? "purge by path" : "purge by surrogate key");
}

/* An outage starts or ends: the edge's state is recomputed from every
 * outage (two may overlap), and only a change is an event. */
static void on_outage(void *ctx, void *obj, uint64_t arg)
{
    world_t *w = ctx;
    station_t *st = obj;
    cdn_t *c = st->state;
    const cdn_outage_t *o = &c->cfg->outages[arg >> 1];
    bool up = up_at(c->cfg, o->slot, w->now);
    if (up == c->up[o->slot])
        return;
    c->up[o->slot] = up;
    char name[80];
    snprintf(name, sizeof name, "cdn.%s", o->edge);
    world_event(w, name, "edge", up ? "down" : "up", up ? "up" : "down",
                up ? "recovered" : o->region ? "region outage" : "outage");
}

/* The same for the origin's outages: only a start can take it down, so
 * the outage named by arg is the one that did. */
static void on_origin_outage(void *ctx, void *obj, uint64_t arg)
{
    world_t *w = ctx;
    station_t *st = obj;
    cdn_t *c = st->state;
    const cdn_cfg_t *cf = c->cfg;
    bool down = false;
    for (size_t i = 0; i < cf->norigin_outages && !down; i++)
        down = active(&cf->origin_outages[i], w->now);
    if (down == c->origin_down)
        return;
    c->origin_down = down;
    char name[80];
    snprintf(name, sizeof name, "cdn.%s", geo_location(c->rg->origin)->name);
    world_event(w, name, "origin", down ? "up" : "down", down ? "down" : "up",
                !down ? "recovered" : cf->origin_outages[arg >> 1].region ? "region outage" : "origin outage");
}

static int cdn_init(world_t *w, station_t *st)
{
    cdn_t *c = st->state;
    c->cfg = st->def->cfg;
    platform_cfg_t *pf = platform_of(w->sc);
    c->rg = &pf->regions;
    c->tr = &pf->traffic;
    c->dns_key = rng_mix64(rng_stream_seed(w->seed, "cdn.dns"));
    for (int e = 0; e < c->cfg->nedges; e++) {
        c->up[e] = true;
        if (cache_init(&c->cache[e], c->cfg->capacity_b, (cache_ttl_mode_t)c->cfg->ttl_mode) != 0)
            return -1;
    }
    return 0;
}

static int cdn_start(world_t *w, station_t *st)
{
    const cdn_cfg_t *cf = ((cdn_t *)st->state)->cfg;
    for (size_t i = 0; i < cf->npurges; i++)
        if (cf->purges[i].at <= w->end)
            world_schedule(w, cf->purges[i].at, on_purge, st, i);
    for (size_t i = 0; i < cf->noutages; i++) {
        const cdn_outage_t *o = &cf->outages[i];
        if (o->at <= w->end)
            world_schedule(w, o->at, on_outage, st, i << 1);
        if (o->duration < w->end - o->at)
            world_schedule(w, o->at + o->duration, on_outage, st, (i << 1) | 1);
    }
    for (size_t i = 0; i < cf->norigin_outages; i++) {
        const cdn_outage_t *o = &cf->origin_outages[i];
        if (o->at <= w->end)
            world_schedule(w, o->at, on_origin_outage, st, i << 1);
        if (o->duration < w->end - o->at)
            world_schedule(w, o->at + o->duration, on_origin_outage, st, (i << 1) | 1);
    }
    return 0;
}

static void cdn_destroy(world_t *w, station_t *st)
{
    (void)w;
    cdn_t *c = st->state;
    for (int e = 0; e < GEO_NLOCATIONS; e++)
        cache_destroy(&c->cache[e]);
}

/* End of warm-up: the edges' eviction counts and the entries purged
 * restart (the other counters count measured requests only). */
static void cdn_restart(world_t *w, station_t *st)
{
    (void)w;
    cdn_t *c = st->state;
    for (int e = 0; e < GEO_NLOCATIONS; e++)
        c->cache[e].stats = (cache_stats_t){0};
    c->purged = 0;
}

/* ---- results ---------------------------------------------------------------------- */

static void cdn_sample(world_t *w, station_t *st, double t, double secs)
{
    cdn_t *c = st->state;
    for (int e = 0; e < c->cfg->nedges; e++) {
        char p[80];
        snprintf(p, sizeof p, "edge.%s", geo_location(c->cfg->edge_loc[e])->name);
        world_series(w, t, p, "requests_rps", (double)c->iv_req[e] / secs);
        if (c->iv_hits[e] + c->iv_miss[e])
            world_series(w, t, p, "hit_ratio", metrics_ratio(c->iv_hits[e], c->iv_miss[e]));
        world_series(w, t, p, "up", c->up[e]);
        c->iv_req[e] = c->iv_hits[e] = c->iv_miss[e] = 0;
    }
}

static void cdn_collect(const world_t *w, const station_t *st, metrics_t *m)
{
    const cdn_t *c = st->state;
    metrics_add_prop(m, c->hits, c->hits + c->misses, "cache.cdn.hit_ratio");
    metrics_add(m, (double)c->hits, "cache.cdn.hits");
    metrics_add(m, (double)c->misses, "cache.cdn.misses");
    metrics_add(m, (double)c->bypass, "cache.cdn.bypass");
    metrics_add(m, (double)(c->misses + c->bypass), "cache.cdn.origin_requests");
    metrics_add_count(m, c->dead, "cache.cdn.dead_edge_failures");
    metrics_add_count(m, c->unreachable, "cache.cdn.unreachable");
    metrics_add(m, (double)c->purged, "cache.cdn.purged");
    /* only with origin outages: every other scenario's summary.json stays as it was */
    if (c->cfg->norigin_outages)
        metrics_add_count(m, c->origin_errors, "cache.cdn.origin_errors");
    const cost_cfg_t *price = &platform_of(w->sc)->cost;
    double egress = 0, gib = 0;
    for (int e = 0; e < c->cfg->nedges; e++) {
        gib += c->e_bytes[e] / 1073741824.0;
        egress += c->e_bytes[e] / 1073741824.0 * price->egress_gib[c->cfg->edge_loc[e]];
    }
    metrics_add(m, gib, "cache.cdn.egress_gib");
    metrics_add(m, egress, "cost.cdn_egress_usd");
    for (int e = 0; e < c->cfg->nedges; e++) {
        const char *n = geo_location(c->cfg->edge_loc[e])->name;
        metrics_add(m, (double)c->e_req[e], "cache.cdn.edges.%s.requests", n);
        metrics_add_prop(m, c->e_hits[e], c->e_hits[e] + c->e_miss[e], "cache.cdn.edges.%s.hit_ratio", n);
        metrics_add(m, (double)c->e_hits[e], "cache.cdn.edges.%s.hits", n);
        metrics_add(m, (double)c->e_miss[e], "cache.cdn.edges.%s.misses", n);
        metrics_add(m, (double)c->cache[e].stats.evictions, "cache.cdn.edges.%s.evictions", n);
        metrics_add(m, (double)cache_used(&c->cache[e]), "cache.cdn.edges.%s.bytes_used", n);
    }
    for (int i = 0; i < c->rg->nusers; i++)
        metrics_add_prop(m, c->r_hits[i], c->r_hits[i] + c->r_miss[i], "cache.cdn.regions.%s.hit_ratio",
                    geo_location(c->rg->user_loc[i])->name);
    for (size_t k = 0; c->tr->classes && k < c->tr->nmix; k++)
        if (c->cfg->class_ttl[k] > 0)
            metrics_add_prop(m, c->c_hits[k], c->c_hits[k] + c->c_miss[k], "cache.cdn.classes.%s.hit_ratio", c->tr->mix[k].name);
}

static void cdn_report(FILE *f, const station_report_t *rep)
{
    size_t n;
    station_cfg_t *st = scenario_stations_of(rep->sc, &station_cdn, &n);
    const cdn_cfg_t *c = st->cfg;
    size_t nb;
    if (!scenario_stations_of(rep->sc, &station_browser, &nb))
        cache_report_header(f);
    cache_report_row(f, "cdn", metrics_value(rep->summary, "cache.cdn.hits"), metrics_value(rep->summary, "cache.cdn.misses"), metrics_value(rep->summary, "cache.cdn.bypass"));
    for (int e = 0; e < c->nedges; e++) {
        const char *name = geo_location(c->edge_loc[e])->name;
        char label[80], hits[120], misses[120];
        snprintf(label, sizeof label, "  %s", name);
        snprintf(hits, sizeof hits, "cache.cdn.edges.%s.hits", name);
        snprintf(misses, sizeof misses, "cache.cdn.edges.%s.misses", name);
        cache_report_row(f, label, metrics_value(rep->summary, hits), metrics_value(rep->summary, misses), NAN);
    }
}

const station_kind_t station_cdn = {
    .name = "cdn",
    .section = "cdn",
    .help = "CDN edges in front of the origin: geo routing, edge caches, purges and outages (below); implied, "
            "with every default, by `regions`",
    .params = &cdn_table,
    .cfg_size = sizeof(cdn_cfg_t),
    .state_size = sizeof(cdn_t),
    .max_instances = 1,
    .singleton = true,
    .implied = implied,
    .route_order = 2,
    .series_per_station = 3 * GEO_NLOCATIONS,
    .begin = cdn_begin,
    .faults = cdn_faults,
    .fault = cdn_fault,
    .check = cdn_check,
    .init = cdn_init,
    .start = cdn_start,
    .destroy = cdn_destroy,
    .arrive = cdn_arrive,
    .back = cdn_back,
    .restart_stats = cdn_restart,
    .sample = cdn_sample,
    .collect = cdn_collect,
    .report = cdn_report,
};
