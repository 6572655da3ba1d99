#include "models/traffic.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "models/catalog.h"
#include "sim/world.h"

/* ---- configuration ------------------------------------------------------ */

static int decode_profile(const param_t *p, cfg_node_t *node, void *obj, pctx_t *ctx, const char *path)
{
    (void)p;
    traffic_cfg_t *c = obj;
    if (node->kind != CFG_SEQ || node->n == 0) {
        diag_error(ctx->diag, node->pos, "%s: expected a non-empty list of points {at: DURATION, rate: RATE}", path);
        return 1;
    }
    c->profile = arena_alloc(ctx->arena, node->n * sizeof *c->profile);
    if (!c->profile)
        return 1;
    c->nprofile = node->n;
    int errs = 0;
    for (size_t i = 0; i < node->n; i++) {
        char sub[300];
        snprintf(sub, sizeof sub, "%s[%zu]", path, i);
        traffic_point_t *pt = &c->profile[i];
        pt->rate = pt->factor = NAN;
        pt->pos = node->items[i]->pos;
        int e = params_decode(traffic_point_table.rows, traffic_point_table.n, node->items[i], pt, ctx, sub);
        errs += e;
        if (e)
            continue;
        pt->at_pos = cfg_get(node->items[i], "at")->pos;
        if (isnan(pt->rate) == isnan(pt->factor)) {
            diag_error(ctx->diag, pt->pos, "%s: give either rate or factor", sub);
            errs++;
        }
        if (i > 0 && pt->at <= c->profile[i - 1].at) {
            diag_error(ctx->diag, pt->at_pos, "%s.at: points must be in increasing time order", sub);
            errs++;
        }
    }
    return errs;
}

static int decode_mix(const param_t *p, cfg_node_t *node, void *obj, pctx_t *ctx, const char *path)
{
    (void)p;
    traffic_cfg_t *c = obj;
    if (node->kind != CFG_MAP || node->n == 0) {
        diag_error(ctx->diag, node->pos, "%s: expected a mapping of class names to shares, e.g. {payments: 0.01}",
                   path);
        return 1;
    }
    if (node->n > TRAFFIC_MAX_CLASSES) {
        diag_error(ctx->diag, node->pos, "%s: at most %d classes", path, TRAFFIC_MAX_CLASSES);
        return 1;
    }
    c->mix = arena_alloc(ctx->arena, node->n * sizeof *c->mix);
    if (!c->mix)
        return 1;
    static const param_t share = {"share", P_DOUBLE, 0, NULL, 0, 1, PF_MIN_EXCL, NULL, NULL, NULL, NULL};
    int errs = 0;
    double sum = 0;
    for (size_t i = 0; i < node->n; i++) {
        cfg_pair_t *pr = &node->pairs[i];
        pr->used = true;
        char sub[300];
        snprintf(sub, sizeof sub, "%s.%s", path, pr->key->str);
        c->mix[i].name = pr->key->str;
        c->mix[i].pos = pr->key->pos;
        int e = params_decode_value(&share, pr->val, &c->mix[i].share, ctx, sub);
        errs += e;
        sum += e ? 0 : c->mix[i].share;
    }
    if (!errs && sum > 1 + 1e-9) {
        diag_error(ctx->diag, node->pos, "%s: the shares add up to %g, more than 1", path, sum);
        errs++;
    }
    c->nmix = node->n;
    return errs;
}

#define OFF(f) offsetof(traffic_cfg_t, f)
static const char *const arrival_kinds[] = {"poisson", "deterministic", NULL};

static const param_t traffic_params[] = {
    {"rate", P_RATE, OFF(rate), "1/s", 0, 1e9, 0, NULL, NULL, NULL,
     "mean arrival rate when there is no profile, and the base of a profile's factors"},
    {"arrivals", P_ENUM, OFF(arrivals), "poisson", 0, 0, 0, arrival_kinds, NULL, NULL,
     "poisson: exponential gaps (non-homogeneous under a profile); deterministic: even gaps"},
    {"profile", P_CUSTOM, 0, NULL, 0, 0, 0, NULL, decode_profile, "list of points",
     "piecewise-linear rate over time (see below); absent: constant `rate`", .sub = &traffic_point_table,
     .sub_name = "profile[]", .sub_note = "Each point of the profile:"},
    {"clients", P_INT, OFF(clients), "1000", 1, 1000000000, 0, NULL, NULL, NULL,
     "distinct client ids requests are drawn from (ip_hash stickiness)"},
    {"mix", P_CUSTOM, 0, NULL, 0, 0, 0, NULL, decode_mix, "mapping",
     "request classes and their shares, e.g. `{registrations: 0.02, payments: 0.01}` (the rest is unclassed); "
     "each class's rate is the External metric CLASS_per_second"},
};
const param_table_t traffic_table = PARAM_TABLE(traffic_params);

#define POFF(f) offsetof(traffic_point_t, f)
static const param_t traffic_point_params[] = {
    {"at", P_DURATION, POFF(at), NULL, 0, 315360000.0, PF_REQUIRED, NULL, NULL, NULL, "time of the point"},
    {"rate", P_RATE, POFF(rate), NULL, 0, 1e9, 0, NULL, NULL, NULL, "rate at that time"},
    {"factor", P_DOUBLE, POFF(factor), NULL, 0, 1e6, 0, NULL, NULL, NULL, "or: a multiple of traffic.rate"},
};
const param_table_t traffic_point_table = PARAM_TABLE(traffic_point_params);

/* ---- the integrated rate -------------------------------------------------- */

/* A gap longer than any run (1e10 s, above the 3650-day bound on duration)
 * means no further arrival; it also keeps t + gap inside int64. */
#define NO_ARRIVAL_GAP_S 1e10

/* Segment k covers [start(k), end(k)): k = 0 is before the first point, k =
 * nprofile after the last; inside, the rate is linear between points k-1, k. */
static simtime_t seg_end(const traffic_cfg_t *c, size_t k) { return k >= c->nprofile ? SIM_NEVER : c->profile[k].at; }

/* Rate at t inside segment k, and its slope (per s^2). */
static double seg_rate(const traffic_cfg_t *c, size_t k, simtime_t t, double *slope)
{
    if (c->nprofile == 0) {
        *slope = 0;
        return c->rate;
    }
    if (k == 0) {
        *slope = 0;
        return c->profile[0].rate;
    }
    if (k >= c->nprofile) {
        *slope = 0;
        return c->profile[c->nprofile - 1].rate;
    }
    const traffic_point_t *a = &c->profile[k - 1], *b = &c->profile[k];
    *slope = (b->rate - a->rate) / simtime_to_s(b->at - a->at);
    return a->rate + *slope * simtime_to_s(t - a->at);
}

int traffic_class_index(const traffic_cfg_t *cfg, const char *name)
{
    for (size_t k = 0; k < cfg->nmix; k++)
        if (strcmp(cfg->mix[k].name, name) == 0)
            return (int)k;
    return -1;
}

static void traffic_scrape(world_t *w, void *state, simtime_t window)
{
    (void)w;
    traffic_t *t = state;
    double secs = simtime_to_s(window);
    for (size_t k = 0; k < t->cfg->nmix; k++) {
        t->class_rate[k] = (double)(t->class_arrivals[k] - t->class_prev[k]) / secs;
        t->class_prev[k] = t->class_arrivals[k];
    }
}

double traffic_rate_at(const traffic_cfg_t *c, simtime_t t)
{
    size_t k = 0;
    while (k < c->nprofile && t >= seg_end(c, k))
        k++;
    double slope;
    return seg_rate(c, k, t, &slope);
}

simtime_t traffic_advance(const traffic_cfg_t *c, size_t *seg, simtime_t t, double e)
{
    if (c->nprofile == 0) { /* constant rate: the common case, on the hot path */
        double gap = e / c->rate;
        if (!(gap < NO_ARRIVAL_GAP_S)) /* also a zero or tiny rate */
            return SIM_NEVER;
        simtime_t dt = simtime_from_s(gap);
        return t + (dt < 1 ? 1 : dt);
    }
    size_t k = *seg;
    for (;;) {
        double s;
        double r = seg_rate(c, k, t, &s);
        if (r < 0)
            r = 0;
        simtime_t end = seg_end(c, k);
        double span = end == SIM_NEVER ? INFINITY : simtime_to_s(end - t);
        double area = span == INFINITY ? (r > 0 || s > 0 ? INFINITY : 0) : r * span + 0.5 * s * span * span;
        if (e <= area) {
            /* Solve r d + s d^2 / 2 = e for the smallest d >= 0 (stable form). */
            double disc = r * r + 2.0 * s * e;
            double d = disc > 0 ? 2.0 * e / (r + sqrt(disc)) : (r > 0 ? e / r : span);
            if (!(d < NO_ARRIVAL_GAP_S))
                return SIM_NEVER;
            simtime_t dt = simtime_from_s(d);
            if (dt < 1)
                dt = 1;   /* time moves forward: two arrivals never share an instant */
            if (end != SIM_NEVER && t + dt > end)
                dt = end - t;
            *seg = k;
            return t + dt;
        }
        if (end == SIM_NEVER)
            return SIM_NEVER;
        e -= area;
        t = end;
        k++;
    }
}

/* ---- run time ----------------------------------------------------------- */

static void arrival(void *ctx, void *obj, uint64_t arg);

static void schedule_next(world_t *w, traffic_t *t)
{
    double e = t->cfg->arrivals == ARRIVALS_POISSON ? rng_exp1(t->rng_arrivals) : 1.0;
    simtime_t next = traffic_advance(t->cfg, &t->seg, w->now, e);
    if (next != SIM_NEVER && next <= w->end)
        world_schedule(w, next, arrival, t, 0);
}

static void arrival(void *ctx, void *obj, uint64_t arg)
{
    (void)arg;
    world_t *w = ctx;
    traffic_t *t = obj;
    t->arrivals++;
    t->iv_arrivals++;
    request_t *req = world_new_request(w);
    if (!req)
        return;
    req->arrival = w->now;
    req->route = &w->entry;
    /* Client ids come from a counter-based generator (a hash of the arrival
     * number with the stream's key): uniform, reproducible, and with no
     * generator call per request. Multiply-shift maps 32 bits onto the range. */
    uint64_t h = rng_mix64(t->client_key + t->arrivals);
    req->client = (uint32_t)(((h >> 32) * (uint64_t)t->cfg->clients) >> 32);
    if (t->cfg->nmix) {
        double u = (double)(rng_mix64(t->mix_key + t->arrivals) >> 11) * 0x1.0p-53;
        for (size_t k = 0; k < t->cfg->nmix; k++)
            if (u < t->mix_cum[k]) {
                t->class_arrivals[k]++;
                break;
            }
    }
    req->measured = w->now >= w->warmup;
    if (req->measured)
        w->requests_total++;
    world_enter(w, req);
    schedule_next(w, t);
}

static int traffic_init(world_t *w, void *state)
{
    traffic_t *t = state;
    const traffic_cfg_t *cfg = &platform_of(w->sc)->traffic;
    memset(t, 0, sizeof *t);
    t->cfg = cfg;
    t->rng_arrivals = rng_new(w->seed, "traffic.arrivals");
    t->client_key = rng_mix64(rng_stream_seed(w->seed, "traffic.clients"));
    t->mix_key = rng_mix64(rng_stream_seed(w->seed, "traffic.mix"));
    double cum = 0;
    for (size_t k = 0; k < cfg->nmix; k++)
        t->mix_cum[k] = cum += cfg->mix[k].share;
    if (!t->rng_arrivals)
        return -1;
    /* The first arrival: from time 0, as if the process had just started. */
    t->seg = 0;
    while (t->seg < cfg->nprofile && 0 >= seg_end(cfg, t->seg))
        t->seg++;
    schedule_next(w, t);
    return 0;
}

static void traffic_destroy(world_t *w, void *state)
{
    (void)w;
    traffic_t *t = state;
    rng_free(t->rng_arrivals);
    t->rng_arrivals = NULL;
}

static void traffic_sample(world_t *w, void *state, double t, double secs)
{
    traffic_t *tr = state;
    world_series(w, t, NULL, "offered_rate", traffic_rate_at(tr->cfg, w->now));
    world_series(w, t, NULL, "arrival_rate", (double)tr->iv_arrivals / secs);
    tr->iv_arrivals = 0;
}

traffic_t *world_traffic(const world_t *w) { return w->source; }

const source_kind_t traffic_source = {
    sizeof(traffic_t), traffic_init, traffic_destroy, traffic_scrape, traffic_sample, NULL,
};
