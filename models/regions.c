#include "models/regions.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* ---- configuration ------------------------------------------------------ */

#define OFF(f) offsetof(regions_cfg_t, f)
#define NOFF(f) (offsetof(regions_cfg_t, net) + offsetof(geo_rtt_params_t, f))

static const char *const routing_kinds[] = {"geo_dns", "anycast", NULL};
static const char *const network_models[] = {"great_circle", "matrix", NULL};

/* `network:` is kept in ms for the model; the scenario writes durations. */
typedef struct network_in {
    double fibre_factor, per_hop_s, hops, local_rtt_s;
    int model;
} network_in_t;

#define IOFF(f) offsetof(network_in_t, f)
static const param_t network_params[] = {
    {"model", P_ENUM, IOFF(model), "great_circle", 0, 0, 0, network_models, NULL, NULL,
     "great_circle: RTT from distance (below), `rtt` overriding pairs; matrix: `rtt` gives every pair in use"},
    {"fibre_factor", P_DOUBLE, IOFF(fibre_factor), "1.5", 1, 10, 0, NULL, NULL, NULL,
     "fibre route length over great-circle distance (light in fibre: 200 km/ms)"},
    {"per_hop", P_SECONDS, IOFF(per_hop_s), "2ms", 0, 1, 0, NULL, NULL, NULL,
     "fixed RTT of one leg (routers, exchanges, last mile)"},
    {"hops", P_DOUBLE, IOFF(hops), "5", 0, 100, 0, NULL, NULL, NULL, "legs of a path between two locations"},
    {"local_rtt", P_SECONDS, IOFF(local_rtt_s), "10ms", 0, 10, 0, NULL, NULL, NULL,
     "RTT within one location (a user to its own metro's edge)"},
};
static const param_table_t network_table = PARAM_TABLE(network_params);

typedef struct users_doc {
    double share, utc_offset;
} users_doc_t;

static const param_t user_params[] = {
    {"share", P_DOUBLE, offsetof(users_doc_t, share), NULL, 0, 1, PF_REQUIRED | PF_MIN_EXCL, NULL, NULL, NULL,
     "this region's share of traffic.rate (the shares sum to 1)"},
    {"utc_offset", P_DOUBLE, offsetof(users_doc_t, utc_offset), NULL, -12, 14, 0, NULL, NULL, NULL,
     "hours east of UTC for the diurnal curve (default: the location's standard time)"},
};
static const param_table_t user_table = PARAM_TABLE(user_params);

static const param_t regions_params[] = {
    {"origin", P_STRING, 0, NULL, 0, 0, PF_REQUIRED, NULL, NULL, NULL,
     "the location of the origin cluster (every service runs there)"},
    {"routing", P_ENUM, OFF(routing), "geo_dns", 0, 0, 0, routing_kinds, NULL, NULL,
     "geo_dns: the nearest healthy edge when the client resolved (cached up to dns_ttl); anycast: the nearest "
     "healthy edge now"},
    {"dns_ttl", P_DURATION, OFF(dns_ttl), "60s", 0, 86400, 0, NULL, NULL, NULL,
     "geo_dns: how long clients keep an edge's address (after an edge dies, its users still go there for up to "
     "this long)"},
    {"dead_edge_timeout", P_DURATION, OFF(dead_edge_timeout), "3s", 0, 600, 0, NULL, NULL, NULL,
     "a request sent to a dead edge fails after this (the client's connect timeout)"},
    {"network", P_CUSTOM, 0, "{}", 0, 0, 0, NULL, NULL, "mapping", "how round-trip times are derived (below)",
     .sub = &network_table},
    {"rtt", P_CUSTOM, 0, NULL, 0, 0, 0, NULL, NULL, "mapping",
     "measured round trips overriding the model, `{london: {new-york: 70ms}}` (symmetric)"},
    {"diurnal", P_CUSTOM, 0, "true", 0, 0, 0, NULL, NULL, "boolean or 24 numbers",
     "rates follow a daily curve by local hour: true (the built-in curve: low at 04:00, peak at 20:00), false, "
     "or 24 hourly factors (scaled to mean 1)"},
    {"start_utc", P_DURATION, OFF(start_utc), "0s", 0, 86399, 0, NULL, NULL, NULL,
     "the UTC time of day at which the run starts, for the daily curves (16h: time 0 is 16:00 UTC)"},
    {"users", P_CUSTOM, 0, NULL, 0, 0, PF_REQUIRED, NULL, NULL, "mapping",
     "location: {share, utc_offset}: where requests come from (below)", .sub = &user_table,
     .sub_name = "users.LOCATION"},
};
const param_table_t regions_table = PARAM_TABLE(regions_params);

static int find_location(cfg_node_t *node, pctx_t *ctx, const char *path, const char *s)
{
    int i = geo_find(s);
    if (i < 0)
        diag_error(ctx->diag, node->pos, "%s: unknown region '%s' (valid: %s)", path, s, geo_valid_names());
    return i;
}

static int decode_network(regions_cfg_t *c, cfg_node_t *node, pctx_t *ctx, const char *path)
{
    network_in_t in;
    memset(&in, 0, sizeof in);
    int errs = params_decode(network_params, network_table.n, node, &in, ctx, path);
    c->model = in.model;
    c->net.fibre_factor = in.fibre_factor;
    c->net.per_hop_ms = in.per_hop_s * 1e3;
    c->net.hops = in.hops;
    c->net.local_rtt_ms = in.local_rtt_s * 1e3;
    return errs;
}

static int decode_users(regions_cfg_t *c, cfg_node_t *node, pctx_t *ctx, const char *path)
{
    if (node->kind != CFG_MAP || node->n == 0) {
        diag_error(ctx->diag, node->pos, "%s: expected a mapping of locations to {share: ...}, got %s", path,
                   node->kind == CFG_MAP ? "an empty mapping" : cfg_kind_name(node));
        return 1;
    }
    int errs = 0;
    double sum = 0;
    for (size_t i = 0; i < node->n; i++) {
        cfg_pair_t *pr = &node->pairs[i];
        pr->used = true;
        char sub[512];
        snprintf(sub, sizeof sub, "%s.%s", path, pr->key->str);
        int loc = find_location(pr->key, ctx, sub, pr->key->str);
        if (loc < 0) {
            errs++;
            continue;
        }
        users_doc_t u = {0, NAN};
        int e;
        if (cfg_is_null(pr->val)) { /* located at the key: there is no mapping */
            diag_error(ctx->diag, pr->key->pos, "%s: missing required key 'share'", sub);
            e = 1;
        } else {
            e = params_decode(user_params, user_table.n, pr->val, &u, ctx, sub);
        }
        errs += e;
        if (e)
            continue;
        int k = c->nusers++;
        c->user_loc[k] = loc;
        c->share[k] = u.share;
        c->utc_offset[k] = isnan(u.utc_offset) ? geo_location(loc)->utc_offset_h : u.utc_offset;
        c->user_pos[k] = pr->key->pos;
        sum += u.share;
    }
    if (!errs && fabs(sum - 1.0) > 1e-6) {
        diag_error(ctx->diag, node->pos,
                   "%s: the shares add up to %.9g, not 1 (they are each region's part of traffic.rate; they are not "
                   "normalised)",
                   path, sum);
        errs++;
    }
    return errs;
}

static int decode_rtt(regions_cfg_t *c, cfg_node_t *node, pctx_t *ctx, const char *path)
{
    if (node->kind != CFG_MAP) {
        diag_error(ctx->diag, node->pos, "%s: expected a mapping {FROM: {TO: DURATION}}, got %s", path,
                   cfg_kind_name(node));
        return 1;
    }
    static const param_t ms = {"rtt", P_SECONDS, 0, NULL, 0, 10, 0, NULL, NULL, NULL, NULL};
    int errs = 0;
    for (size_t i = 0; i < node->n; i++) {
        cfg_pair_t *pr = &node->pairs[i];
        pr->used = true;
        char sub[512];
        snprintf(sub, sizeof sub, "%s.%s", path, pr->key->str);
        int a = find_location(pr->key, ctx, sub, pr->key->str);
        if (a < 0) {
            errs++;
            continue;
        }
        if (pr->val->kind != CFG_MAP) {
            diag_error(ctx->diag, pr->val->pos, "%s: expected a mapping {TO: DURATION}, got %s", sub,
                       cfg_kind_name(pr->val));
            errs++;
            continue;
        }
        for (size_t j = 0; j < pr->val->n; j++) {
            cfg_pair_t *q = &pr->val->pairs[j];
            q->used = true;
            char sub2[1024];
            snprintf(sub2, sizeof sub2, "%s.%s", sub, q->key->str);
            int b = find_location(q->key, ctx, sub2, q->key->str);
            double v;
            if (b < 0 || params_decode_value(&ms, q->val, &v, ctx, sub2) != 0) {
                errs++;
                continue;
            }
            geo_rtt_set(c->rtt, GEO_NLOCATIONS, a, b, v * 1e3);
            c->rtt_given[a * GEO_NLOCATIONS + b] = c->rtt_given[b * GEO_NLOCATIONS + a] = true;
        }
    }
    return errs;
}

static int decode_diurnal(regions_cfg_t *c, cfg_node_t *node, pctx_t *ctx, const char *path)
{
    if (node->kind == CFG_SCALAR) {
        static const param_t b = {"diurnal", P_BOOL, 0, NULL, 0, 0, 0, NULL, NULL, NULL, NULL};
        if (params_decode_value(&b, node, &c->diurnal, ctx, path) != 0)
            return 1;
        memcpy(c->curve, geo_diurnal_builtin(), sizeof c->curve);
        return 0;
    }
    if (node->kind != CFG_SEQ || node->n != 24) {
        diag_error(ctx->diag, node->pos, "%s: expected true, false or a list of 24 hourly factors, got %s%s", path,
                   node->kind == CFG_SEQ ? "a list of that many items" : cfg_kind_name(node), "");
        return 1;
    }
    static const param_t f = {"factor", P_DOUBLE, 0, NULL, 0, 1e6, 0, NULL, NULL, NULL, NULL};
    int errs = 0;
    for (size_t i = 0; i < 24; i++) {
        char sub[512];
        snprintf(sub, sizeof sub, "%s[%zu]", path, i);
        errs += params_decode_value(&f, node->items[i], &c->curve[i], ctx, sub);
    }
    if (!errs && geo_diurnal_normalise(c->curve) != 0) {
        diag_error(ctx->diag, node->pos, "%s: the factors are all 0", path);
        errs++;
    }
    c->diurnal = true;
    return errs;
}

int regions_decode(const param_t *p, cfg_node_t *node, void *obj, pctx_t *ctx, const char *path)
{
    regions_cfg_t *c = (regions_cfg_t *)((char *)obj + p->offset);
    memset(c, 0, sizeof *c);
    if (node->kind != CFG_MAP) {
        diag_error(ctx->diag, node->pos, "%s: expected a mapping (origin, users, ...), got %s", path,
                   cfg_kind_name(node));
        return 1;
    }
    c->enabled = true;
    c->pos = node->pos;
    c->net = geo_rtt_params_default();
    /* the scalar keys through the table (custom rows decode nothing there) */
    typedef struct scalars {
        const char *origin;
        int routing;
        simtime_t dns_ttl, dead, start;
    } scalars_t;
    static const param_t rows[] = {
        {"origin", P_STRING, offsetof(scalars_t, origin), NULL, 0, 0, PF_REQUIRED, NULL, NULL, NULL, NULL},
        {"routing", P_ENUM, offsetof(scalars_t, routing), "geo_dns", 0, 0, 0, routing_kinds, NULL, NULL, NULL},
        {"dns_ttl", P_DURATION, offsetof(scalars_t, dns_ttl), "60s", 0, 86400, 0, NULL, NULL, NULL, NULL},
        {"dead_edge_timeout", P_DURATION, offsetof(scalars_t, dead), "3s", 0, 600, 0, NULL, NULL, NULL, NULL},
        {"start_utc", P_DURATION, offsetof(scalars_t, start), "0s", 0, 86399, 0, NULL, NULL, NULL, NULL},
    };
    scalars_t sv;
    memset(&sv, 0, sizeof sv);
    int errs = 0;
    char sub[256];
    /* every key: the scalars here, the rest below; unknown keys once */
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        cfg_node_t *v = cfg_get(node, rows[i].key);
        snprintf(sub, sizeof sub, "%s.%s", path, rows[i].key);
        if (v)
            errs += params_decode_value(&rows[i], v, &sv, ctx, sub);
        else if (rows[i].flags & PF_REQUIRED) {
            diag_error(ctx->diag, node->pos, "%s: missing required key '%s'", path, rows[i].key);
            errs++;
        } else {
            cfg_node_t dn = {.kind = CFG_SCALAR, .str = rows[i].def, .plain = true, .pos = {"(default)", 0, 0}};
            errs += params_decode_value(&rows[i], &dn, &sv, ctx, sub);
        }
    }
    c->routing = sv.routing;
    c->dns_ttl = sv.dns_ttl;
    c->dead_edge_timeout = sv.dead;
    c->start_utc = sv.start;
    if (sv.origin) {
        snprintf(sub, sizeof sub, "%s.origin", path);
        c->origin = find_location(cfg_get(node, "origin"), ctx, sub, sv.origin);
        c->origin_name = sv.origin;
        errs += c->origin < 0;
    }
    cfg_node_t *v;
    snprintf(sub, sizeof sub, "%s.network", path);
    errs += decode_network(c, cfg_get(node, "network"), ctx, sub);
    if (geo_rtt_builtin(c->rtt, &c->net) != 0) {
        diag_error(ctx->diag, node->pos, "%s.network: parameters out of range", path);
        errs++;
    }
    c->rtt_pos = node->pos;
    if ((v = cfg_get(node, "rtt")) != NULL) {
        c->rtt_pos = v->pos;
        snprintf(sub, sizeof sub, "%s.rtt", path);
        errs += decode_rtt(c, v, ctx, sub);
    }
    snprintf(sub, sizeof sub, "%s.diurnal", path);
    if ((v = cfg_get(node, "diurnal")) != NULL)
        errs += decode_diurnal(c, v, ctx, sub);
    else {
        c->diurnal = true;
        memcpy(c->curve, geo_diurnal_builtin(), sizeof c->curve);
    }
    snprintf(sub, sizeof sub, "%s.users", path);
    if ((v = cfg_get(node, "users")) != NULL)
        errs += decode_users(c, v, ctx, sub);
    else {
        diag_error(ctx->diag, node->pos, "%s: missing required key 'users'", path);
        errs++;
    }
    errs += params_check_unknown(regions_params, regions_table.n, node, ctx, path);
    return errs;
}

int regions_check_rtt(regions_cfg_t *c, const bool *used, diag_t *d)
{
    if (c->model != NETWORK_MATRIX)
        return 0;
    for (int a = 0; a < GEO_NLOCATIONS; a++)
        for (int b = a; b < GEO_NLOCATIONS; b++)
            if (used[a] && used[b] && !c->rtt_given[a * GEO_NLOCATIONS + b]) {
                diag_error(d, c->rtt_pos,
                           "regions.rtt: with network.model: matrix every pair of locations in use needs a round "
                           "trip; %s-%s is missing",
                           geo_location(a)->name, geo_location(b)->name);
                return 1;
            }
    return 0;
}

/* ---- weights over the day --------------------------------------------------- */

double regions_weight(const regions_cfg_t *c, int i, simtime_t t)
{
    if (!c->diurnal)
        return c->share[i];
    return c->share[i] * geo_diurnal(geo_local_hour(t + c->start_utc, c->utc_offset[i]), c->curve);
}

double regions_weight_max(const regions_cfg_t *c)
{
    double m = 0;
    for (int i = 0; i < c->nusers; i++) {
        double peak = 1;
        if (c->diurnal)
            for (int h = 0; h < 24; h++)
                peak = c->curve[h] > peak ? c->curve[h] : peak;
        m += c->share[i] * peak;
    }
    return m;
}
