#include "models/traffic.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "models/catalog.h"
#include "models/service.h"
#include "models/trace.h"
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


/* ---- classes ---------------------------------------------------------------- */

#define COFF(f) offsetof(traffic_class_t, f)
static const char *const methods[] = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", NULL};

static int decode_route(const param_t *p, cfg_node_t *node, void *obj, pctx_t *ctx, const char *path)
{
    (void)p;
    traffic_class_t *c = obj;
    int errs = params_decode_names(node, ctx, path, "service name", &c->route_names, &c->route_pos, &c->nroute);
    if (errs)
        return errs;
    c->route = arena_alloc(ctx->arena, (c->nroute ? c->nroute : 1) * sizeof *c->route);
    if (!c->route) {
        diag_oom(ctx->diag, node->pos);
        return 1;
    }
    c->route_given = true;
    return 0;
}

static int decode_max_age(const param_t *p, cfg_node_t *node, void *obj, pctx_t *ctx, const char *path)
{
    static const param_t d = {"max_age", P_DURATION, 0, NULL, 0, 315360000.0, 0, NULL, NULL, NULL, NULL};
    traffic_class_t *c = obj;
    (void)p;
    c->max_age_given = true;
    c->max_age_pos = node->pos;
    return params_decode_value(&d, node, &c->max_age, ctx, path);
}

static const param_t class_params[] = {
    {"share", P_DOUBLE, COFF(share), NULL, 0, 1, PF_REQUIRED | PF_MIN_EXCL, NULL, NULL, NULL,
     "part of the traffic (the shares of all classes sum to 1)"},
    {"method", P_ENUM, COFF(method), "GET", 0, 0, 0, methods, NULL, NULL, "HTTP method (caches store GET and HEAD)"},
    {"path", P_STRING, COFF(path), "/", 0, 0, 0, NULL, NULL, NULL,
     "URL pattern of the class, e.g. /api/courses/* (what the CDN's rules and purges match)"},
    {"objects", P_U64, COFF(objects), "1", 1, 1e12, 0, NULL, NULL, NULL,
     "distinct objects (URLs) of the class; memory is spent only on those requested"},
    {"zipf", P_DOUBLE, COFF(zipf), "0", 0, 10, 0, NULL, NULL, NULL,
     "popularity: object i is asked for in proportion to i^-zipf (0: uniform)"},
    {"size", P_MEMORY, COFF(size_b), "4Ki", 0, 1e12, 0, NULL, NULL, NULL, "response size"},
    {"static", P_BOOL, COFF(is_static), "false", 0, 0, 0, NULL, NULL, NULL,
     "a static asset: the CDN keeps it for cdn.edge_cache_ttl; browsers for max_age (default 1 year, immutable)"},
    {"private", P_BOOL, COFF(is_private), "false", 0, 0, 0, NULL, NULL, NULL,
     "user-specific content: no shared cache stores it (browsers may, per max_age)"},
    {"max_age", P_CUSTOM, 0, NULL, 0, 0, 0, NULL, decode_max_age, "duration",
     "browser Cache-Control max-age (default: 1 year for static classes, else 0: not stored); GET and HEAD only"},
    {"must_revalidate", P_BOOL, COFF(must_revalidate), "false", 0, 0, 0, NULL, NULL, NULL,
     "once stale, a browser copy is revalidated with a conditional request instead of fetched anew"},
    {"surrogate_key", P_STRING, COFF(surrogate_key), NULL, 0, 0, 0, NULL, NULL, NULL,
     "a tag a CDN purge can name (cdn.purges[].surrogate_key)"},
    {"route", P_CUSTOM, 0, NULL, 0, 0, 0, NULL, decode_route, "list of service names",
     "the services the request visits at the origin, in order ([]: none, the origin answers at once; default: "
     "the first service)"},
};
static const param_table_t class_table = PARAM_TABLE(class_params);

static int decode_classes(const param_t *p, cfg_node_t *node, void *obj, pctx_t *ctx, const char *path)
{
    (void)p;
    traffic_cfg_t *c = obj;
    if (c->nmix) {
        diag_error(ctx->diag, node->pos, "%s: give either mix (shares only) or classes, not both", path);
        return 1;
    }
    if (node->kind != CFG_MAP || node->n == 0) {
        diag_error(ctx->diag, node->pos, "%s: expected a mapping of class names to classes, got %s", path,
                   node->kind == CFG_MAP ? "an empty mapping" : cfg_kind_name(node));
        return 1;
    }
    if (node->n > TRAFFIC_MAX_CLASSES) {
        diag_error(ctx->diag, node->pos, "%s: at most %d classes", path, TRAFFIC_MAX_CLASSES);
        return 1;
    }
    c->mix = arena_alloc(ctx->arena, node->n * sizeof *c->mix);
    if (!c->mix) {
        diag_oom(ctx->diag, node->pos);
        return 1;
    }
    int errs = 0;
    double sum = 0;
    for (size_t i = 0; i < node->n; i++) {
        cfg_pair_t *pr = &node->pairs[i];
        pr->used = true;
        char sub[300];
        snprintf(sub, sizeof sub, "%s.%s", path, pr->key->str);
        traffic_class_t *k = &c->mix[i];
        k->name = pr->key->str;
        k->pos = pr->key->pos;
        int e;
        if (cfg_is_null(pr->val)) { /* located at the key: there is no mapping */
            diag_error(ctx->diag, pr->key->pos, "%s: missing required key 'share'", sub);
            e = 1;
        } else {
            e = params_decode(class_table.rows, class_table.n, pr->val, k, ctx, sub);
        }
        if (!e && !k->max_age_given && k->is_static && traffic_method_cacheable(k->method))
            k->max_age = 365 * 86400 * SIM_S;
        if (!e && k->max_age > 0 && !traffic_method_cacheable(k->method)) {
            /* (a browser would not store it: say so rather than ignore it) */
            diag_error(ctx->diag, k->max_age_pos,
                       "%s.max_age: browsers store responses to GET and HEAD only, and this class is %s", sub,
                       methods[k->method]);
            e = 1;
        }
        errs += e;
        sum += e ? 0 : k->share;
    }
    c->nmix = node->n;
    c->classes = true;
    if (!errs && fabs(sum - 1.0) > 1e-6) {
        diag_error(ctx->diag, node->pos, "%s: the shares add up to %.9g, not 1 (they are not normalised)", path, sum);
        errs++;
    }
    return errs;
}

/* ---- flash crowds -------------------------------------------------------------- */

#define FOFF(f) offsetof(flash_crowd_t, f)
static const param_t flash_params[] = {
    {"at", P_DURATION, FOFF(at), NULL, 0, 315360000.0, PF_REQUIRED, NULL, NULL, NULL, "when the rise starts"},
    {"factor", P_DOUBLE, FOFF(factor), NULL, 1, 1e4, PF_REQUIRED, NULL, NULL, NULL, "peak multiple of the rate"},
    {"rise", P_DURATION, FOFF(rise), "2m", 0, 86400, 0, NULL, NULL, NULL, "time to reach the peak"},
    {"hold", P_DURATION, FOFF(hold), "10m", 0, 315360000.0, 0, NULL, NULL, NULL, "time at the peak"},
    {"fall", P_DURATION, FOFF(fall), "10m", 0, 86400, 0, NULL, NULL, NULL, "time back to normal"},
    {"region", P_STRING, FOFF(region), NULL, 0, 0, 0, NULL, NULL, NULL,
     "the user region it hits (default: all; needs `regions`)"},
};
static const param_table_t flash_table = PARAM_TABLE(flash_params);

static int decode_flash(const param_t *p, cfg_node_t *node, void *obj, pctx_t *ctx, const char *path)
{
    (void)p;
    traffic_cfg_t *c = obj;
    int errs = params_decode_list(node, ctx, path, &flash_table, sizeof *c->flash, (void **)&c->flash, &c->nflash,
                                  1000);
    for (size_t i = 0; !errs && i < c->nflash; i++) {
        cfg_node_t *region = cfg_get(node->items[i], "region");
        c->flash[i].pos = region ? region->pos : node->items[i]->pos;
        c->flash[i].user = -1;
    }
    return errs;
}

/* ---- a recorded trace -------------------------------------------------------- */

/* `replay: FILE`: rates become the profile (piecewise linear between the
 * rows, as a profile is); timestamps become the arrivals themselves. */
static int decode_replay(const param_t *p, cfg_node_t *node, void *obj, pctx_t *ctx, const char *path)
{
    (void)p;
    traffic_cfg_t *c = obj;
    const char *file = params_scalar(node, ctx, path, "a file name");
    if (!file)
        return 1;
    if (c->nprofile) {
        diag_error(ctx->diag, node->pos, "%s: give either profile or replay", path);
        return 1;
    }
    const char *full = params_begin_ref(ctx, node, "traffic", "replay", file);
    if (!full)
        return 1;
    trace_t tr;
    int rc = trace_load(ctx->arena, full, &tr, ctx->diag);
    diag_pop_ref(ctx->diag);
    if (rc != 0)
        return 1;
    c->replay = full;
    if (tr.kind == TRACE_TIMESTAMPS) {
        c->timestamps = tr.at;
        c->ntimestamps = tr.n;
        return 0;
    }
    c->profile = arena_alloc(ctx->arena, tr.n * sizeof *c->profile);
    if (!c->profile) {
        diag_oom(ctx->diag, node->pos);
        return 1;
    }
    for (size_t i = 0; i < tr.n; i++)
        c->profile[i] = (traffic_point_t){tr.at[i], tr.rate[i], NAN, node->pos, node->pos};
    c->nprofile = tr.n;
    return 0;
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
    {"classes", P_CUSTOM, 0, NULL, 0, 0, 0, NULL, decode_classes, "mapping",
     "name: class: what requests ask for and the route they take (below); instead of `mix`, and also External "
     "metrics", .sub = &class_table, .sub_name = "classes.NAME"},
    {"flash_crowds", P_CUSTOM, 0, NULL, 0, 0, 0, NULL, decode_flash, "list",
     "sudden surges of a region's or all traffic (below)", .sub = &flash_table, .sub_name = "flash_crowds[]"},
    {"replay", P_CUSTOM, 0, NULL, 0, 0, 0, NULL, decode_replay, "file",
     "a CSV trace instead of rate/profile: `time_s,rate` rows (a piecewise-linear rate) or `time_s` rows (one "
     "request each)"},
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
    traffic_t *t = state;
    double secs = simtime_to_s(window);
    for (size_t k = 0; k < t->cfg->nmix; k++) {
        t->class_rate_prev[k] = t->class_rate[k];
        t->class_rate[k] = (double)(t->class_arrivals[k] - t->class_prev[k]) / secs;
        t->class_prev[k] = t->class_arrivals[k];
    }
    t->scraped_at = w->now;
    t->scrapes++;
}

/* The largest the modulation gets: the regions' weight sum at its peak
 * times every flash crowd's factor (the thinning's bound). */
static double modulation_bound(const traffic_cfg_t *c)
{
    double m = c->regions ? regions_weight_max(c->regions) : 1;
    for (size_t k = 0; k < c->nflash; k++)
        m *= c->flash[k].factor;
    return m;
}

double traffic_expected_arrivals(const traffic_cfg_t *c, simtime_t duration)
{
    if (c->timestamps)
        return (double)c->ntimestamps;
    double d = simtime_to_s(duration), lam;
    if (c->nprofile == 0) {
        lam = c->rate * d;
    } else {
        /* the rate is linear between the points (constant before the first
         * and after the last): trapezoids between the points inside (0, d) */
        double t0 = 0, r0 = traffic_rate_at(c, 0);
        lam = 0;
        for (size_t k = 0; k < c->nprofile; k++) {
            const traffic_point_t *p = &c->profile[k];
            if (p->at <= 0 || p->at >= duration)
                continue;
            double t1 = simtime_to_s(p->at);
            lam += 0.5 * (r0 + p->rate) * (t1 - t0);
            t0 = t1;
            r0 = p->rate;
        }
        lam += 0.5 * (r0 + traffic_rate_at(c, duration)) * (d - t0);
    }
    return lam * modulation_bound(c);
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

/* ---- modulation: regions' daily curves and flash crowds ---------------------- */

static double flash_factor(const flash_crowd_t *f, simtime_t t)
{
    simtime_t dt = t - f->at;
    if (dt < 0)
        return 1;
    if (dt < f->rise)
        return 1 + (f->factor - 1) * (double)dt / (double)f->rise;
    dt -= f->rise;
    if (dt < f->hold)
        return f->factor;
    dt -= f->hold;
    if (dt < f->fall)
        return f->factor - (f->factor - 1) * (double)dt / (double)f->fall;
    return 1;
}

/* The hour of day (UTC) at t, in [0, 24). */
static double utc_hour(simtime_t t)
{
    const simtime_t day = 86400 * SIM_S;
    simtime_t r = t % day;
    return (double)(r < 0 ? r + day : r) / (3600.0 * (double)SIM_S);
}

/* User region i's curve at UTC hour utc: its value, its slope per hour
 * (*slope) and the hours left to the curve's next point (*left). The same
 * interpolation as geo_diurnal(), with a shift and a wrap instead of fmod:
 * this runs for every arrival. */
static double curve_at(const regions_cfg_t *rg, int i, double utc, double *slope, double *left)
{
    double h = utc + rg->utc_offset[i];
    h = h < 0 ? h + 24 : h >= 24 ? h - 24 : h;
    int k = (int)h;
    if (k > 23) /* h just below 24 rounding up */
        k = 23;
    double f = h - k, c0 = rg->curve[k], c1 = rg->curve[k == 23 ? 0 : k + 1];
    *slope = c1 - c0;
    *left = 1.0 - f;
    return c0 + f * (c1 - c0);
}

double traffic_modulation(const traffic_cfg_t *c, simtime_t t, double *w)
{
    const regions_cfg_t *rg = c->regions;
    if (!rg || !rg->enabled) {
        double m = 1;
        for (size_t k = 0; k < c->nflash; k++)
            m *= flash_factor(&c->flash[k], t);
        if (w)
            w[0] = m;
        return m;
    }
    double utc = utc_hour(t + rg->start_utc), sum = 0;
    for (int i = 0; i < rg->nusers; i++) {
        double x = rg->share[i];
        if (rg->diurnal) {
            double slope, left;
            x *= curve_at(rg, i, utc, &slope, &left);
        }
        for (size_t k = 0; k < c->nflash; k++)
            if (c->flash[k].user < 0 || c->flash[k].user == i)
                x *= flash_factor(&c->flash[k], t);
        if (w)
            w[i] = x;
        sum += x;
    }
    return sum;
}

/* The linear piece of the regions' weights holding now (diurnal curves,
 * no flash crowds): each region's local hour runs to its next whole hour,
 * where its curve's slope changes; the piece ends at the first of them. */
static void new_segment(traffic_t *t, simtime_t now)
{
    const regions_cfg_t *rg = t->cfg->regions;
    const simtime_t hour = 3600 * SIM_S;
    double utc = utc_hour(now + rg->start_utc);
    simtime_t end = now + hour;
    t->sa = t->sb = 0;
    for (int i = 0; i < rg->nusers; i++) {
        double slope, f_left;
        t->wa[i] = rg->share[i] * curve_at(rg, i, utc, &slope, &f_left);
        t->wb[i] = rg->share[i] * slope / (double)hour;
        t->sa += t->wa[i];
        t->sb += t->wb[i];
        simtime_t left = (simtime_t)ceil(f_left * (double)hour);
        if (left < 1)
            left = 1;
        if (now + left < end)
            end = now + left;
    }
    t->seg_lo = now;
    t->seg_hi = end;
}

/* Whether a candidate at time `at` of the thinned process is kept: drawn
 * with probability modulation(at) / mod_max. The modulation is a function
 * of time alone, so the draw may be made when the candidate is generated
 * rather than when it is due: the candidates that are thinned away never
 * become events (with the built-in daily curve about two candidates in
 * three), and every stream is drawn in the same order as it would be at
 * the candidates' own times, so the arrivals are the same. */
static bool thin_keep(traffic_t *t, simtime_t at)
{
    double sum;
    if (t->segmented) {
        if (at < t->seg_lo || at >= t->seg_hi)
            new_segment(t, at);
        sum = t->sa + t->sb * (double)(at - t->seg_lo);
    } else {
        sum = traffic_modulation(t->cfg, at, NULL);
    }
    return rng_uniform(t->rng_thin) * t->mod_max < sum;
}

static void identify(const world_t *w, traffic_t *t, uint64_t n, simtime_t at, request_t *q);

/* The next arrival of a Poisson process of rate `rate` x the regions' weight
 * sum, by the time change: the arrival comes when the integrated rate from
 * now reaches e (an exponential of mean 1). On a piece [seg_lo, seg_hi) the
 * rate is linear, r(x) = a + s x from the piece's start of the search, so
 * its integral a d + s d^2 / 2 = e is solved in closed form; a piece whose
 * integral falls short hands the rest of e to the next. Exact, as thinning
 * is, and one draw per arrival where thinning the built-in curve drew about
 * three candidates and three uniforms. SIM_NEVER past the end of the run. */
static simtime_t invert_next(const world_t *w, traffic_t *t, simtime_t from, double e)
{
    const double rate = t->cfg->rate;
    simtime_t at = from;
    while (at <= w->end) {
        if (at < t->seg_lo || at >= t->seg_hi)
            new_segment(t, at);
        double a = rate * (t->sa + t->sb * (double)(at - t->seg_lo)); /* per s */
        double sl = rate * t->sb * (double)SIM_S;                       /* per s^2 */
        double span = simtime_to_s(t->seg_hi - at);
        if (a < 0)
            a = 0;
        double area = a * span + 0.5 * sl * span * span;
        if (e <= area) {
            /* the smallest d >= 0 with a d + sl d^2 / 2 = e (stable form) */
            double disc = a * a + 2.0 * sl * e;
            double d = disc > 0 ? 2.0 * e / (a + sqrt(disc)) : span;
            simtime_t dt = simtime_from_s(d < span ? d : span);
            if (dt < 1)
                dt = 1; /* time moves forward: two arrivals never share an instant */
            return at + dt;
        }
        e -= area > 0 ? area : 0;
        at = t->seg_hi;
    }
    return SIM_NEVER;
}

/* The time of the first arrival after `from` (an arrival's time, or the
 * start), or SIM_NEVER. */
static simtime_t next_after(const world_t *w, traffic_t *t, simtime_t from)
{
    const traffic_cfg_t *c = t->cfg;
    if (!t->extended && !c->timestamps) { /* the plain process: the hot path */
        double e = c->arrivals == ARRIVALS_POISSON ? rng_exp1(t->rng_arrivals) : 1.0;
        return traffic_advance(c, &t->seg, from, e);
    }
    if (t->inverted)
        return invert_next(w, t, from, rng_exp1(t->rng_arrivals));
    if (c->timestamps) /* a replayed trace: every request at its recorded time */
        return t->next_ts < c->ntimestamps ? c->timestamps[t->next_ts++] : SIM_NEVER;
    /* candidates at the bound of the modulation, thinned as they come */
    simtime_t next = from;
    do {
        double e = c->arrivals == ARRIVALS_POISSON ? rng_exp1(t->rng_arrivals) : 1.0;
        if (t->modulated)
            e /= t->mod_max;
        next = traffic_advance(c, &t->seg, next, e);
    } while (t->modulated && next != SIM_NEVER && next <= w->end && !thin_keep(t, next));
    return next;
}

/* Works out arrivals ahead up to TRAFFIC_AHEAD of them, then schedules the
 * next one. Who comes and when depends only on the arrival's number and
 * the traffic's own streams, each drawn in arrival order however far ahead
 * (so the arrivals are those of working each out when the one before it
 * comes); knowing them early lets the first station load what they will
 * read (world_prefetch) several arrivals before they are due: one arrival
 * ahead was too close at the evening peak, where arrivals come a few
 * events apart. */
static void schedule_next(world_t *w, traffic_t *t)
{
    while (t->nahead < TRAFFIC_AHEAD && !t->ahead_end) {
        /* the search starts at the last arrival worked out: the last in the
         * ring, or the one that just came (now; the start at first) */
        simtime_t from =
            t->nahead ? t->ahead[(t->ahead_head + t->nahead - 1) % TRAFFIC_AHEAD].at : w->now;
        simtime_t at = next_after(w, t, from);
        if (at == SIM_NEVER || at > w->end) {
            t->ahead_end = true;
            break;
        }
        uint32_t k = (t->ahead_head + t->nahead) % TRAFFIC_AHEAD;
        t->ahead[k].at = at;
        identify(w, t, t->arrivals + 1 + t->nahead, at, &t->ahead[k].q);
        world_prefetch(&t->ahead[k].q);
        t->nahead++;
    }
    if (t->nahead)
        world_schedule(w, t->ahead[t->ahead_head].at, arrival, t, 0);
}

/* Who arrival number n (counted from 1), due at time `at`, is: its route,
 * client, class, user region and object. Nothing here depends on the state
 * of the world, only on n, `at` and the traffic streams, so it is worked out
 * when the arrival is scheduled (the one draw, the object, comes from a
 * stream of its own and is drawn once per arrival in arrival order, as it
 * would be at the arrival itself) and the arrival then counts it. */
static void identify(const world_t *w, traffic_t *t, uint64_t n, simtime_t at, request_t *q)
{
    const traffic_cfg_t *c = t->cfg;
    q->route = t->plain.n ? &t->plain : &w->entry;
    /* Client ids come from a counter-based generator (a hash of the arrival
     * number with the stream's key): uniform, reproducible, and with no
     * generator call per request. Multiply-shift maps 32 bits onto the range. */
    uint64_t h = rng_mix64(t->client_key + n);
    q->client = (uint32_t)(((h >> 32) * (uint64_t)c->clients) >> 32);
    q->klass = 0;
    if (c->nmix) {
        /* the first k with u < mix_cum[k], counted without branches (the
         * class is as random as u: a branch on it mispredicts) */
        double u = (double)(rng_mix64(t->mix_key + n) >> 11) * 0x1.0p-53;
        size_t below = 0;
        for (size_t k = 0; k < c->nmix; k++)
            below += u >= t->mix_cum[k];
        q->klass = below < c->nmix ? (uint8_t)(below + 1) : 0;
    }
    q->region = 0;
    q->object = 0;
    if (!t->extended)
        return;
    const regions_cfg_t *rg = c->regions;
    if (rg && rg->enabled) {
        /* the regions' weights at `at` */
        double wts[GEO_NLOCATIONS], sum = 1;
        if (t->segmented) {
            if (at < t->seg_lo || at >= t->seg_hi)
                new_segment(t, at);
            double dt = (double)(at - t->seg_lo);
            sum = t->sa + t->sb * dt;
            for (int i = 0; i < rg->nusers; i++)
                wts[i] = t->wa[i] + t->wb[i] * dt;
        } else {
            sum = traffic_modulation(c, at, wts);
        }
        /* the first i with u - wts[0] - ... - wts[i-1] < wts[i] (the last
         * if none), without branches: the subtractions are the same */
        double u = (double)(rng_mix64(t->region_key + n) >> 11) * 0x1.0p-53 * sum;
        int i = 0, found = 0;
        for (int k = 0; k < rg->nusers - 1; k++) {
            found |= u < wts[k];
            i += !found;
            u -= wts[k];
        }
        q->region = (uint8_t)i;
    }
    if (q->klass && c->classes) {
        const traffic_class_t *k = &c->mix[q->klass - 1];
        q->route = &t->routes[q->klass - 1];
        q->object = k->objects > 1 ? zipf_sample(&t->zipf[q->klass - 1], t->rng_objects) : 1;
    }
}

static void arrival(void *ctx, void *obj, uint64_t arg)
{
    (void)arg;
    world_t *w = ctx;
    traffic_t *t = obj;
    const traffic_cfg_t *c = t->cfg;
    /* (a kept candidate: thinning happened in schedule_next) */
    t->arrivals++;
    t->iv_arrivals++;
    request_t *req = world_new_request(w);
    if (!req)
        return;
    /* the arrival worked out ahead (schedule_next) */
    const request_t *q = &t->ahead[t->ahead_head].q;
    req->route = q->route;
    req->client = q->client;
    req->klass = q->klass;
    req->region = q->region;
    req->object = q->object;
    t->ahead_head = (t->ahead_head + 1) % TRAFFIC_AHEAD;
    t->nahead--;
    req->arrival = w->now;
    world_admit(w, req);
    if (req->klass) {
        t->class_arrivals[req->klass - 1]++;
        if (req->measured && c->classes)
            t->cls_requests[req->klass - 1]++;
    }
    if (c->regions && c->regions->enabled) {
        t->reg_iv[req->region]++;
        if (req->measured)
            t->reg_requests[req->region]++;
    }
    if (req->route->n)
        world_enter(w, req);
    else /* route: [] and no browser or CDN in front: the origin answers at once */
        world_request_done(w, req, true);
    schedule_next(w, t);
}

static bool route_fill(world_t *w, route_t *r, station_t **prefix, size_t np, const uint32_t *idx, size_t n,
                       const char *name)
{
    r->hops = arena_alloc(w->arena, (np + n + 1) * sizeof *r->hops);
    if (!r->hops)
        return false;
    for (size_t i = 0; i < np; i++)
        r->hops[r->n++] = prefix[i];
    for (size_t i = 0; i < n; i++)
        r->hops[r->n++] = world_station(w, idx[i]);
    r->name = name;
    return true;
}

/* The routes: the stations every route starts with (browser, CDN: kinds
 * with a route_order, in that order), then the class's services. */
static int build_routes(world_t *w, traffic_t *t)
{
    const traffic_cfg_t *c = t->cfg;
    station_t **prefix = arena_alloc(w->arena, (w->nstations + 1) * sizeof *prefix);
    if (!prefix)
        return -1;
    size_t np = 0;
    for (int order = 1; order <= 16; order++)
        for (size_t i = 0; i < w->nstations; i++)
            if (w->stations[i].def->kind->route_order == order)
                prefix[np++] = &w->stations[i];
    uint32_t first = w->entry.n ? w->entry.hops[0]->def->index : 0;
    if (np && !route_fill(w, &t->plain, prefix, np, &first, w->entry.n, "plain"))
        return -1;
    if (!c->classes)
        return 0;
    t->routes = arena_alloc(w->arena, c->nmix * sizeof *t->routes);
    if (!t->routes)
        return -1;
    for (size_t k = 0; k < c->nmix; k++) {
        const traffic_class_t *cl = &c->mix[k];
        bool ok = cl->route_given ? route_fill(w, &t->routes[k], prefix, np, cl->route, cl->nroute, cl->name)
                                  : route_fill(w, &t->routes[k], prefix, np, &first, w->entry.n, cl->name);
        if (!ok || zipf_init(&t->zipf[k], cl->objects, cl->zipf) != 0)
            return -1;
    }
    return 0;
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
    /* every request has a class: shares that add up to 1 within the
     * loader's 1e-6 (or the sum's rounding) leave no room above the last */
    if (cfg->nmix)
        t->mix_cum[cfg->nmix - 1] = 1.0;
    if (!t->rng_arrivals)
        return -1;
    const regions_cfg_t *rg = cfg->regions;
    t->mod_max = modulation_bound(cfg);
    t->modulated = cfg->nflash > 0 || (rg && rg->diurnal);
    t->segmented = rg && rg->diurnal && cfg->nflash == 0 && !cfg->timestamps;
    /* a constant rate times the regions' curves: Poisson arrivals come by the
     * time change (invert_next); the rest (profiles, flash crowds, other
     * arrival processes) by thinning, which alone draws from traffic.thinning */
    t->inverted = t->segmented && cfg->nprofile == 0 && cfg->arrivals == ARRIVALS_POISSON;
    if (t->modulated || rg || cfg->classes) {
        t->rng_objects = rng_new(w->seed, "traffic.objects");
        t->region_key = rng_mix64(rng_stream_seed(w->seed, "traffic.regions"));
        if (!t->rng_objects)
            return -1;
    }
    if (t->modulated && !t->inverted && !(t->rng_thin = rng_new(w->seed, "traffic.thinning")))
        return -1;
    if (rg) {
        t->reg_latency = arena_alloc(w->arena, 2 * (size_t)rg->nusers * sizeof *t->reg_latency);
        if (!t->reg_latency)
            return -1;
        t->reg_iv_latency = t->reg_latency + rg->nusers;
    }
    if (cfg->classes && !(t->cls_latency = arena_alloc(w->arena, cfg->nmix * sizeof *t->cls_latency)))
        return -1;
    if (build_routes(w, t) != 0)
        return -1;
    t->extended = t->modulated || rg || t->routes;
    t->seg_lo = t->seg_hi = 0;
    w->source_done = rg || cfg->classes;
    /* The first arrival: from time 0, as if the process had just started. */
    t->seg = 0;
    while (t->seg < cfg->nprofile && 0 >= seg_end(cfg, t->seg))
        t->seg++;
    schedule_next(w, t);
    return 0;
}

static void traffic_done(world_t *w, void *state, const request_t *r, bool ok)
{
    traffic_t *t = state;
    simtime_t lat = w->now - r->arrival;
    /* the interval's series, warm-up included; the rest after it */
    if (t->reg_latency && ok)
        hist_add(&t->reg_iv_latency[r->region], lat);
    if (!r->measured)
        return;
    if (t->reg_latency) {
        if (ok)
            hist_add(&t->reg_latency[r->region], lat);
        else
            t->reg_failed[r->region]++;
    }
    if (t->cls_latency && r->klass) {
        if (ok)
            hist_add(&t->cls_latency[r->klass - 1], lat);
        else
            t->cls_failed[r->klass - 1]++;
    }
}

static void traffic_collect(const world_t *w, const void *state, metrics_t *m)
{
    (void)w;
    const traffic_t *t = state;
    const traffic_cfg_t *c = t->cfg;
    char p[300];
    if (c->regions)
        for (int i = 0; i < c->regions->nusers; i++) {
            const char *n = geo_location(c->regions->user_loc[i])->name;
            uint64_t req = t->reg_requests[i], done = t->reg_latency[i].n + t->reg_failed[i];
            metrics_add(m, (double)req, "regions.%s.requests", n);
            metrics_add_prop(m, t->reg_failed[i], done, "regions.%s.error_rate", n);
            snprintf(p, sizeof p, "regions.%s.latency_ms", n);
            metrics_add_latency(m, &t->reg_latency[i], p, false);
        }
    if (c->classes)
        for (size_t k = 0; k < c->nmix; k++) {
            const char *n = c->mix[k].name;
            uint64_t done = t->cls_latency[k].n + t->cls_failed[k];
            metrics_add(m, (double)t->cls_requests[k], "classes.%s.requests", n);
            metrics_add_prop(m, t->cls_failed[k], done, "classes.%s.error_rate", n);
            snprintf(p, sizeof p, "classes.%s.latency_ms", n);
            metrics_add_latency(m, &t->cls_latency[k], p, false);
        }
}

static void traffic_destroy(world_t *w, void *state)
{
    (void)w;
    traffic_t *t = state;
    rng_free(t->rng_arrivals);
    rng_free(t->rng_thin);
    rng_free(t->rng_objects);
    t->rng_arrivals = t->rng_thin = t->rng_objects = NULL;
}

static void traffic_sample(world_t *w, void *state, double t, double secs)
{
    traffic_t *tr = state;
    /* the rate arrivals are drawn at now: the base rate (profile) times the
     * regions' daily curves and the flash crowds where they modulate it
     * (per sample, off the arrivals' path; unmodulated, the base rate) */
    double offered = traffic_rate_at(tr->cfg, w->now);
    if (tr->modulated && !tr->cfg->timestamps)
        offered *= traffic_modulation(tr->cfg, w->now, NULL);
    world_series(w, t, NULL, "offered_rate", offered);
    world_series(w, t, NULL, "arrival_rate", (double)tr->iv_arrivals / secs);
    tr->iv_arrivals = 0;
    const regions_cfg_t *rg = tr->cfg->regions;
    for (int i = 0; rg && i < rg->nusers; i++) {
        char p[80];
        snprintf(p, sizeof p, "region.%s", geo_location(rg->user_loc[i])->name);
        world_series(w, t, p, "arrival_rate", (double)tr->reg_iv[i] / secs);
        if (tr->reg_iv_latency[i].n)
            world_series(w, t, p, "latency_p95_ms", hist_quantile(&tr->reg_iv_latency[i], 0.95) / 1e6);
        tr->reg_iv[i] = 0;
        hist_clear(&tr->reg_iv_latency[i]);
    }
}

traffic_t *world_traffic(const world_t *w) { return w->source; }

static void traffic_report(FILE *f, const station_report_t *rep);

/* The offered load: traffic.rate and the profile's points given as a rate
 * (those given as a factor, flash crowds and the regions' shares scale with
 * traffic.rate already); a replayed trace has no rate. */
static int traffic_load_keys(const scenario_t *sc, const char *file, char (*paths)[SOURCE_KEY_LEN], double *values,
                             size_t max, char *err, size_t errlen)
{
    const traffic_cfg_t *t = &platform_of(sc)->traffic;
    if (t->replay) {
        snprintf(err, errlen, "%s replays a trace (traffic.replay: %s): there is no rate to multiply; search "
                              "another key with --metric PATH --range LO..HI", file, t->replay);
        return -1;
    }
    if (!(t->rate > 0) && t->nprofile == 0) {
        snprintf(err, errlen, "%s has traffic.rate 0: a multiple of it is 0", file);
        return -1;
    }
    size_t n = 0;
    if (n < max) {
        snprintf(paths[n], SOURCE_KEY_LEN, "traffic.rate");
        values[n] = t->rate;
    }
    n++;
    for (size_t i = 0; i < t->nprofile; i++) {
        if (!isnan(t->profile[i].factor))
            continue;
        if (n < max) {
            snprintf(paths[n], SOURCE_KEY_LEN, "traffic.profile.%zu.rate", i);
            values[n] = t->profile[i].rate;
        }
        n++;
    }
    if (n > INT_MAX) {
        snprintf(err, errlen, "%s: too many traffic.profile points", file);
        return -1;
    }
    return (int)n;
}

const source_kind_t traffic_source = {
    sizeof(traffic_t), traffic_init, traffic_destroy, traffic_scrape, traffic_sample, traffic_collect, traffic_done,
    traffic_report, traffic_load_keys,
};

/* ---- the terminal table ---------------------------------------------------------- */

static double metric(const station_report_t *rep, const char *a, const char *b, const char *c)
{
    char path[300];
    snprintf(path, sizeof path, "%s.%s.%s", a, b, c);
    return metrics_value(rep->summary, path);
}

static void report_row(FILE *f, const station_report_t *rep, const char *group, const char *name)
{
    double v[5] = {metric(rep, group, name, "requests"), metric(rep, group, name, "latency_ms.p50"),
                   metric(rep, group, name, "latency_ms.p95"), metric(rep, group, name, "latency_ms.p99"),
                   100 * metric(rep, group, name, "error_rate")};
    fprintf(f, "%-16.16s %12.0f", name, v[0]);
    for (int i = 1; i < 5; i++)
        if (isnan(v[i]))
            fprintf(f, " %9s", "-");
        else
            fprintf(f, i < 4 ? " %9.3f" : " %8.3f%%", v[i]);
    fputc('\n', f);
}

static void traffic_report(FILE *f, const station_report_t *rep)
{
    const traffic_cfg_t *c = &platform_of(rep->sc)->traffic;
    const regions_cfg_t *rg = c->regions;
    if (rg) {
        fprintf(f, "\n%-16s %12s %9s %9s %9s %9s\n", "region", "requests", "p50 ms", "p95 ms", "p99 ms", "errors");
        for (int i = 0; i < rg->nusers; i++)
            report_row(f, rep, "regions", geo_location(rg->user_loc[i])->name);
    }
    if (c->classes) {
        fprintf(f, "\n%-16s %12s %9s %9s %9s %9s\n", "class", "requests", "p50 ms", "p95 ms", "p99 ms", "errors");
        for (size_t k = 0; k < c->nmix; k++)
            report_row(f, rep, "classes", c->mix[k].name);
    }
}

/* ---- checks against the scenario -------------------------------------------------- */

int traffic_check(const traffic_cfg_t *cfg, scenario_t *sc, diag_t *d)
{
    int errs = 0;
    for (size_t k = 0; k < cfg->nmix; k++) {
        traffic_class_t *c = &cfg->mix[k];
        for (size_t i = 0; i < c->nroute; i++) {
            if (!c->route_names[i])
                continue;
            /* a service, or another station a route may name (redis) */
            const station_cfg_t *st = scenario_station(sc, &station_service, c->route_names[i]);
            if (!st) {
                st = scenario_station(sc, NULL, c->route_names[i]);
                if (st && (st->kind->route_order > 0 || !st->kind->arrive))
                    st = NULL;
            }
            if (!st) {
                char valid[400];
                size_t n = 0, ns = scenario_nservices(sc);
                for (size_t j = 0; j < ns && n < sizeof valid; j++)
                    n += (size_t)snprintf(valid + n, sizeof valid - n, "%s%s", j ? ", " : "",
                                          scenario_service(sc, j)->name);
                diag_error(d, c->route_pos[i], "traffic.classes.%s.route[%zu]: undefined service '%s' (defined: %s)",
                           c->name, i, c->route_names[i], valid);
                errs++;
            } else {
                c->route[i] = st->index;
            }
        }
    }
    if (cfg->timestamps && cfg->nflash) {
        /* (thinning could only remove requests from a trace, not add them) */
        diag_error(d, cfg->flash[0].pos,
                   "traffic.flash_crowds: traffic.replay is a trace of timestamps, which are the arrivals "
                   "themselves: a flash crowd cannot multiply them (replay a trace of rates, time_s,rate, to "
                   "add one)");
        errs++;
    }
    const regions_cfg_t *rg = cfg->regions;
    for (size_t k = 0; k < cfg->nflash; k++) {
        flash_crowd_t *f = &cfg->flash[k];
        if (!f->region)
            continue;
        if (!rg) {
            diag_error(d, f->pos, "traffic.flash_crowds[%zu].region: needs `regions` (users in regions)", k);
            errs++;
            continue;
        }
        for (int i = 0; i < rg->nusers; i++)
            if (strcmp(geo_location(rg->user_loc[i])->name, f->region) == 0)
                f->user = i;
        if (f->user < 0) {
            diag_error(d, f->pos, "traffic.flash_crowds[%zu].region: '%s' has no users in regions.users", k,
                       f->region);
            errs++;
        }
    }
    return errs;
}
