#include "models/browser.h"

#include <math.h>
#include <stdio.h>

#include "models/catalog.h"
#include "sim/world.h"

#define OFF(f) offsetof(browser_cfg_t, f)
static const char *const ttl_modes[] = {"set_on_miss", "refresh_on_hit", NULL};

static const param_t browser_params[] = {
    {"capacity_per_client", P_MEMORY, OFF(capacity_per_client_b), "20Mi", 0, 1e12, 0, NULL, NULL, NULL,
     "bytes of this site one browser keeps (0: unbounded)"},
    {"ttl_mode", P_ENUM, OFF(ttl_mode), "set_on_miss", 0, 0, 0, ttl_modes, NULL, NULL,
     "set_on_miss: max-age counts from the response (HTTP); refresh_on_hit: each hit restarts it"},
};
static const param_table_t browser_table = PARAM_TABLE(browser_params);

typedef struct browser {
    const traffic_cfg_t *tr;
    const regions_cfg_t *rg;
    cache_t cache;
    uint64_t hits, misses, revalidations, bypass;
    uint64_t c_hits[TRAFFIC_MAX_CLASSES], c_miss[TRAFFIC_MAX_CLASSES];
    uint64_t r_hits[GEO_NLOCATIONS], r_miss[GEO_NLOCATIONS];
    uint64_t iv_hits, iv_miss;
} browser_t;

static int browser_check(scenario_t *sc, diag_t *d)
{
    size_t n;
    station_cfg_t *st = scenario_stations_of(sc, &station_browser, &n);
    if (st && !platform_of(sc)->traffic.classes) {
        diag_error(d, st->pos, "browser: needs traffic.classes (what is cached, and for how long, is per class)");
        return 1;
    }
    return 0;
}

/* A browser's copy of an object: its client (within its region), the class
 * and the object. */
static inline uint64_t key_of(const request_t *r)
{
    uint64_t who = ((uint64_t)r->region << 32) | r->client;
    uint64_t what = ((uint64_t)r->klass << 48) | (r->object & 0xffffffffffffULL);
    return rng_mix64(who) ^ what;
}

static void browser_arrive(world_t *w, station_t *st, request_t *r)
{
    browser_t *b = st->state;
    const traffic_class_t *k = r->klass ? &b->tr->mix[r->klass - 1] : NULL;
    if (!k || k->max_age <= 0) {
        if (r->measured)
            b->bypass++;
        world_pass(w, r);
        return;
    }
    cache_result_t res = cache_lookup(&b->cache, key_of(r), w->now);
    if (res == CACHE_HIT) {
        b->iv_hits++;
        if (r->measured)
            b->hits++, b->c_hits[r->klass - 1]++, b->r_hits[r->region]++;
        world_back(w, r, true);
        return;
    }
    b->iv_miss++;
    if (r->measured) {
        b->misses++, b->c_miss[r->klass - 1]++, b->r_miss[r->region]++;
        if (res == CACHE_STALE && k->must_revalidate)
            b->revalidations++;
    }
    r->revalidate = res == CACHE_STALE && k->must_revalidate;
    world_pass(w, r);
}

static void browser_prefetch(const station_t *st, const request_t *r)
{
    const browser_t *b = st->state;
    const traffic_class_t *k = r->klass ? &b->tr->mix[r->klass - 1] : NULL;
    if (k && k->max_age > 0)
        cache_prefetch(&b->cache, key_of(r));
}

static void browser_back(world_t *w, station_t *st, request_t *r, bool ok)
{
    browser_t *b = st->state;
    const traffic_class_t *k = r->klass ? &b->tr->mix[r->klass - 1] : NULL;
    if (ok && k && k->max_age > 0 && cache_fill(&b->cache, key_of(r), k->size_b, k->max_age, w->now) != 0) {
        world_fail(w, "out of memory (browser cache)");
        return;
    }
    world_back(w, r, ok);
}

static int browser_init(world_t *w, station_t *st)
{
    browser_t *b = st->state;
    const browser_cfg_t *c = st->def->cfg;
    platform_cfg_t *pf = platform_of(w->sc);
    b->tr = &pf->traffic;
    b->rg = pf->regions.enabled ? &pf->regions : NULL;
    int64_t cap = c->capacity_per_client_b;
    int64_t clients = b->tr->clients * (b->rg ? b->rg->nusers : 1);
    cap = cap > 0 && cap <= INT64_MAX / clients ? cap * clients : 0;
    return cache_init(&b->cache, cap, (cache_ttl_mode_t)c->ttl_mode);
}

static void browser_destroy(world_t *w, station_t *st)
{
    (void)w;
    browser_t *b = st->state;
    cache_destroy(&b->cache);
}

static void browser_sample(world_t *w, station_t *st, double t, double secs)
{
    (void)secs;
    browser_t *b = st->state;
    if (b->iv_hits + b->iv_miss)
        world_series(w, t, "browser", "hit_ratio", metrics_ratio(b->iv_hits, b->iv_miss));
    b->iv_hits = b->iv_miss = 0;
}

static void browser_collect(const world_t *w, const station_t *st, metrics_t *m)
{
    (void)w;
    const browser_t *b = st->state;
    metrics_add_prop(m, b->hits, b->hits + b->misses, "cache.browser.hit_ratio");
    metrics_add(m, (double)b->hits, "cache.browser.hits");
    metrics_add(m, (double)b->misses, "cache.browser.misses");
    metrics_add(m, (double)b->revalidations, "cache.browser.revalidations");
    metrics_add(m, (double)b->bypass, "cache.browser.bypass");
    for (int i = 0; b->rg && i < b->rg->nusers; i++)
        metrics_add_prop(m, b->r_hits[i], b->r_hits[i] + b->r_miss[i], "cache.browser.regions.%s.hit_ratio",
                    geo_location(b->rg->user_loc[i])->name);
    for (size_t k = 0; k < b->tr->nmix; k++)
        if (b->tr->mix[k].max_age > 0)
            metrics_add_prop(m, b->c_hits[k], b->c_hits[k] + b->c_miss[k], "cache.browser.classes.%s.hit_ratio",
                        b->tr->mix[k].name);
}

static void browser_report(FILE *f, const station_report_t *rep)
{
    cache_report_header(f);
    cache_report_row(f, "browser", metrics_value(rep->summary, "cache.browser.hits"), metrics_value(rep->summary, "cache.browser.misses"),
                     metrics_value(rep->summary, "cache.browser.bypass"));
}

const station_kind_t station_browser = {
    .name = "browser",
    .section = "browser",
    .help = "the users' browser caches, first on every route (below); needs traffic.classes",
    .params = &browser_table,
    .cfg_size = sizeof(browser_cfg_t),
    .state_size = sizeof(browser_t),
    .max_instances = 1,
    .singleton = true,
    .route_order = 1,
    .series_per_station = 1,
    .check = browser_check,
    .init = browser_init,
    .destroy = browser_destroy,
    .arrive = browser_arrive,
    .prefetch = browser_prefetch,
    .back = browser_back,
    .sample = browser_sample,
    .collect = browser_collect,
    .report = browser_report,
};
