#include "models/redis.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "models/browser.h"
#include "models/catalog.h"
#include "models/cdn.h"
#include "models/server.h"
#include "sim/gauge.h"
#include "sim/world.h"

/* ---- configuration ------------------------------------------------------------ */

#define OFF(f) offsetof(redis_cfg_t, f)
#define MAXDUR 315360000.0
static const char *const evictions[] = {"allkeys-lru", "noeviction", NULL};
static const char *const failover_modes[] = {"fail", "database", NULL};

static int decode_dist_at(const param_t *p, cfg_node_t *node, void *obj, pctx_t *ctx, const char *path)
{
    return dist_decode(node, (dist_t *)((char *)obj + p->offset), ctx, path);
}

#define POFF(f) offsetof(redis_pattern_t, f)
static int decode_classes(const param_t *p, cfg_node_t *node, void *obj, pctx_t *ctx, const char *path)
{
    (void)p;
    redis_pattern_t *pt = obj;
    return params_decode_names(node, ctx, path, "class name", &pt->classes, &pt->class_pos, &pt->nclasses);
}

static const param_t pattern_params[] = {
    {"ttl", P_DURATION, POFF(ttl), NULL, 0, MAXDUR, PF_REQUIRED | PF_MIN_EXCL, NULL, NULL, NULL,
     "how long a SET value lives (EXPIRE)"},
    {"size", P_MEMORY, POFF(size_b), "2Ki", 0, 1e9, 0, NULL, NULL, NULL, "bytes of one value in memory"},
    {"classes", P_CUSTOM, 0, NULL, 0, 0, 0, NULL, decode_classes, "list of class names",
     "the traffic classes whose requests look this pattern's keys up"},
};
static const param_table_t pattern_table = PARAM_TABLE(pattern_params);

static int decode_patterns(const param_t *p, cfg_node_t *node, void *obj, pctx_t *ctx, const char *path)
{
    (void)p;
    redis_cfg_t *c = obj;
    if (node->kind != CFG_MAP || node->n == 0 || node->n > REDIS_MAX_PATTERNS) {
        diag_error(ctx->diag, node->pos, "%s: expected a mapping of 1 to %d patterns {ttl, size, classes}", path,
                   REDIS_MAX_PATTERNS);
        return 1;
    }
    c->patterns = arena_alloc(ctx->arena, node->n * sizeof *c->patterns);
    if (!c->patterns) {
        diag_oom(ctx->diag, node->pos);
        return 1;
    }
    int errs = 0;
    for (size_t i = 0; i < node->n; i++) {
        cfg_pair_t *pr = &node->pairs[i];
        pr->used = true;
        char sub[512];
        snprintf(sub, sizeof sub, "%s.%s", path, pr->key->str);
        redis_pattern_t *pt = &c->patterns[i];
        memset(pt, 0, sizeof *pt);
        pt->name = pr->key->str;
        pt->pos = pr->key->pos;
        if (cfg_is_null(pr->val)) {
            diag_error(ctx->diag, pr->key->pos, "%s: missing required key 'ttl'", sub);
            errs++;
            continue;
        }
        errs += params_decode(pattern_table.rows, pattern_table.n, pr->val, pt, ctx, sub);
    }
    c->npatterns = node->n;
    c->patterns_given = true;
    return errs;
}

static const param_t redis_params[] = {
    {"shards", P_INT, OFF(shards), "1", 1, REDIS_MAX_SHARDS, 0, NULL, NULL, NULL,
     "primaries the keys are hashed over (each with a replica for failover)"},
    {"replicas", P_INT, OFF(replicas), "1", 1, 5, 0, NULL, NULL, NULL,
     "replicas of each shard (one is promoted on a failover); every node is billed"},
    {"maxmemory", P_MEMORY, OFF(maxmemory_b), "1Gi", 1, 9e15, 0, NULL, NULL, NULL, "bytes of values per shard"},
    {"eviction", P_ENUM, OFF(eviction), "allkeys-lru", 0, 0, 0, evictions, NULL, NULL,
     "allkeys-lru: the least recently used keys go; noeviction: a SET that does not fit is refused"},
    {"get_time", P_CUSTOM, OFF(get_time), "100us", 0, 0, 0, NULL, decode_dist_at, "distribution",
     "time a shard's one thread spends on a GET"},
    {"set_time", P_CUSTOM, OFF(set_time), "100us", 0, 0, 0, NULL, decode_dist_at, "distribution",
     "time it spends on a SET"},
    {"rtt", P_DURATION, OFF(rtt), "500us", 0, 10, 0, NULL, NULL, NULL, "round trip between a pod and Redis"},
    {"failover_detection", P_DURATION, OFF(detection), "10s", 0, 3600, 0, NULL, NULL, NULL,
     "from a primary's failure to its replica's promotion"},
    {"on_failover", P_ENUM, OFF(on_failover), "fail", 0, 0, 0, failover_modes, NULL, NULL,
     "while a shard has no primary: its requests fail, or go on to the database"},
    {"patterns", P_CUSTOM, 0, NULL, 0, 0, 0, NULL, decode_patterns, "mapping",
     "key patterns: name: {ttl, size, classes} (default: the plan's sessions 24h, api-responses 15m, "
     "db-queries 10m, course-content 1h, no classes)",
     .sub = &pattern_table, .sub_name = "patterns.NAME"},
};
static const param_table_t redis_table = PARAM_TABLE(redis_params);

static const redis_pattern_t plan_patterns[] = {
    {"sessions", 86400 * SIM_S, 2048, NULL, NULL, 0, {"(default)", 0, 0}},
    {"api-responses", 900 * SIM_S, 2048, NULL, NULL, 0, {"(default)", 0, 0}},
    {"db-queries", 600 * SIM_S, 2048, NULL, NULL, 0, {"(default)", 0, 0}},
    {"course-content", 3600 * SIM_S, 2048, NULL, NULL, 0, {"(default)", 0, 0}},
};

static void redis_begin(station_cfg_t *st) { ((redis_cfg_t *)st->cfg)->pos = st->pos; }

static int redis_check(scenario_t *sc, diag_t *d)
{
    size_t n;
    station_cfg_t *st = scenario_stations_of(sc, &station_redis, &n);
    if (!st)
        return 0;
    redis_cfg_t *c = st->cfg;
    const traffic_cfg_t *tr = &platform_of(sc)->traffic;
    if (!c->patterns_given) {
        c->patterns = (redis_pattern_t *)(uintptr_t)plan_patterns;
        c->npatterns = sizeof plan_patterns / sizeof plan_patterns[0];
    }
    for (size_t k = 0; k < TRAFFIC_MAX_CLASSES; k++)
        c->class_pattern[k] = -1;
    int errs = 0;
    for (size_t p = 0; p < c->npatterns; p++)
        for (size_t i = 0; i < c->patterns[p].nclasses; i++) {
            const char *name = c->patterns[p].classes[i];
            int k = tr->classes ? traffic_class_index(tr, name) : -1;
            if (k < 0) {
                diag_error(d, c->patterns[p].class_pos[i],
                           "redis.patterns.%s.classes[%zu]: '%s' is not a class of traffic.classes", c->patterns[p].name,
                           i, name);
                errs++;
            } else if (c->class_pattern[k] >= 0) {
                diag_error(d, c->patterns[p].class_pos[i], "redis.patterns.%s.classes[%zu]: '%s' is already in %s",
                           c->patterns[p].name, i, name, c->patterns[c->class_pattern[k]].name);
                errs++;
            } else {
                c->class_pattern[k] = (int)p;
            }
        }
    return errs;
}

static const char *const redis_faults[] = {"failover", NULL};

static int redis_fault(scenario_t *sc, station_cfg_t *st, const fault_spec_t *f, diag_t *d)
{
    redis_cfg_t *c = st->cfg;
    char *end = NULL;
    long shard = f->detail ? strtol(f->detail, &end, 10) : -1;
    if (!f->detail || *end || shard < 0 || shard >= c->shards) {
        diag_error(d, f->target_pos, "faults: a failover names its shard, redis.0 to redis.%d", c->shards - 1);
        return 1;
    }
    struct redis_failover *a = arena_append(sc->arena, c->failovers, c->nfailovers, sizeof *a);
    if (!a) {
        diag_oom(d, f->pos);
        return 1;
    }
    a[c->nfailovers++] = (struct redis_failover){f->at, (int)shard};
    c->failovers = a;
    return 0;
}

/* ---- run time ----------------------------------------------------------------- */

/* A command at a shard: a GET (for a request) or a SET (on its own). */
typedef struct redis redis_t;
typedef struct redis_op {
    server_item_t link;         /* first: the shard's queue */
    redis_t *rd;
    request_t *req;             /* the GET's request; NULL for a SET */
    uint64_t key;
    int64_t size;
    simtime_t ttl, sent;
    int shard;
} redis_op_t;

struct redis {
    const redis_cfg_t *cfg;
    const traffic_cfg_t *tr;
    rng_t *rng;
    server_t core[REDIS_MAX_SHARDS];
    cache_t cache[REDIS_MAX_SHARDS];
    int down[REDIS_MAX_SHARDS];  /* failovers under way: the shard has no primary while > 0 */
    /* measured */
    uint64_t hits, misses, bypass, failed, refused_sets;
    uint64_t p_hits[REDIS_MAX_PATTERNS], p_miss[REDIS_MAX_PATTERNS];
    hist_t latency;             /* a GET, from sending it to its answer at the pod */
    gauge_t busy[REDIS_MAX_SHARDS];
};

enum { EV_AT_SHARD, EV_DONE, EV_HIT, EV_MISS, EV_FAIL };

/* Slots of a shard's table that each command sweeps for expired keys
 * (cache_expire). Redis deletes an expired key when it is read and, by its
 * active expiry, samples keys ten times a second; here the sweep advances
 * with the commands instead: a table of n slots is swept every n / 8
 * commands (plus one per key removed), and holds 5n/16 to 5n/8 keys, so a
 * full sweep takes 0.2 to 0.4 commands per key held, and an expired key
 * holds memory about that long. A SET that noeviction would refuse can
 * therefore succeed once expired keys went, as in Redis. */
#define REDIS_EXPIRE_SLOTS 8

static void redis_event(void *ctx, void *obj, uint64_t arg);

static void later(world_t *w, simtime_t dt, redis_op_t *op, int ev)
{
    world_schedule(w, w->now + dt, redis_event, op, (uint64_t)ev);
}

static void begin(world_t *w, redis_t *rd, redis_op_t *op)
{
    gauge_add(&rd->busy[op->shard], w->now, 1);
    later(w, dist_sample_ns(op->req ? &rd->cfg->get_time : &rd->cfg->set_time, rd->rng), op, EV_DONE);
}

static int shard_of(const redis_t *rd, uint64_t key) { return (int)(rng_mix64(key) % (uint64_t)rd->cfg->shards); }

static inline uint64_t key_of(const request_t *r) { return ((uint64_t)r->klass << 48) | (r->object & 0xffffffffffffULL); }

static void redis_arrive(world_t *w, station_t *st, request_t *r)
{
    redis_t *rd = st->state;
    const redis_cfg_t *c = rd->cfg;
    int p = r->klass ? c->class_pattern[r->klass - 1] : -1;
    if (p < 0) {
        if (r->measured)
            rd->bypass++;
        world_pass(w, r);
        return;
    }
    redis_op_t *op = world_visit_get(w);
    if (!op)
        return;
    *op = (redis_op_t){{NULL}, rd, r, key_of(r), 0, 0, w->now, 0};
    op->shard = shard_of(rd, op->key);
    /* the lookup comes two events later (at the shard, done): its slot
     * can load meanwhile */
    cache_prefetch(&rd->cache[op->shard], op->key);
    later(w, c->rtt / 2, op, EV_AT_SHARD);
}

/* The reply passes back: the application SETs the value (cache-aside),
 * without waiting for it. */
static void redis_back(world_t *w, station_t *st, request_t *r, bool ok)
{
    redis_t *rd = st->state;
    int p = r->klass ? rd->cfg->class_pattern[r->klass - 1] : -1;
    if (ok && p >= 0) {
        redis_op_t *op = world_visit_get(w);
        if (!op)
            return;
        const redis_pattern_t *pt = &rd->cfg->patterns[p];
        *op = (redis_op_t){{NULL}, rd, NULL, key_of(r), pt->size_b, pt->ttl, w->now, 0};
        op->shard = shard_of(rd, op->key);
        cache_prefetch(&rd->cache[op->shard], op->key);
        later(w, rd->cfg->rtt / 2, op, EV_AT_SHARD);
    }
    world_back(w, r, ok);
}

static void redis_event(void *ctx, void *obj, uint64_t arg)
{
    world_t *w = ctx;
    redis_op_t *op = obj;
    redis_t *rd = op->rd;
    const redis_cfg_t *c = rd->cfg;
    request_t *r = op->req;
    switch ((int)arg) {
    case EV_AT_SHARD:
        if (rd->down[op->shard] > 0) {
            /* no primary: a GET fails (after the round trip) or goes on */
            if (!r) {
                world_visit_put(w, op);
            } else if (c->on_failover == 0) {
                if (r->measured)
                    rd->failed++;
                later(w, c->rtt / 2, op, EV_FAIL);
            } else {
                if (r->measured)
                    rd->bypass++;
                later(w, c->rtt / 2, op, EV_MISS);
            }
            break;
        }
        if (server_take(&rd->core[op->shard], 1, &op->link))
            begin(w, rd, op);
        break;
    case EV_DONE: {
        gauge_add(&rd->busy[op->shard], w->now, -1);
        server_item_t *next = server_release(&rd->core[op->shard]);
        if (next)
            begin(w, rd, (redis_op_t *)next);
        cache_t *cache = &rd->cache[op->shard];
        /* expired keys are deleted, as Redis's active expiry does: a few
         * slots of the shard's table per command */
        cache_expire(cache, w->now, REDIS_EXPIRE_SLOTS);
        if (!r) { /* a SET */
            if (c->eviction == 1 && cache_used(cache) + op->size > c->maxmemory_b && !cache_peek(cache, op->key, w->now))
                rd->refused_sets++;
            else if (cache_fill(cache, op->key, op->size, op->ttl, w->now) != 0)
                world_fail(w, "out of memory (redis)");
            world_visit_put(w, op);
            break;
        }
        int p = c->class_pattern[r->klass - 1];
        bool hit = cache_lookup(cache, op->key, w->now) == CACHE_HIT;
        if (r->measured) {
            if (hit)
                rd->hits++, rd->p_hits[p]++;
            else
                rd->misses++, rd->p_miss[p]++;
        }
        later(w, c->rtt / 2, op, hit ? EV_HIT : EV_MISS);
        break;
    }
    case EV_HIT:
    case EV_MISS:
    case EV_FAIL:
        if (r->measured)
            hist_add(&rd->latency, w->now - op->sent);
        world_visit_put(w, op);
        if (arg == EV_HIT)
            world_back(w, r, true);
        else if (arg == EV_MISS)
            world_pass(w, r);
        else
            world_back(w, r, false);
        break;
    }
}

/* A shard's primary fails (arg: shard), and its replica is promoted after
 * the detection delay (arg + REDIS_MAX_SHARDS): two rows of events.csv. */
static void on_failover(void *ctx, void *obj, uint64_t arg)
{
    world_t *w = ctx;
    redis_t *rd = obj;
    bool promoted = arg >= REDIS_MAX_SHARDS;
    int shard = (int)(arg % REDIS_MAX_SHARDS);
    char name[64];
    snprintf(name, sizeof name, "redis.%d", shard);
    /* failovers of one shard overlap: it has no primary while any lasts */
    if (!promoted) {
        world_event(w, name, "redis", rd->down[shard]++ ? "failed" : "primary", "failed",
                    rd->cfg->on_failover ? "failover: requests go to the database" : "failover: requests fail");
        if (w->now + rd->cfg->detection <= w->end)
            world_schedule(w, w->now + rd->cfg->detection, on_failover, rd, arg + REDIS_MAX_SHARDS);
    } else if (--rd->down[shard] > 0) {
        world_event(w, name, "redis", "failed", "failed", "failover detected; another failover is under way");
    } else {
        world_event(w, name, "redis", "failed", "replica promoted", "failover detected");
    }
}

static int redis_init(world_t *w, station_t *st)
{
    redis_t *rd = st->state;
    rd->cfg = st->def->cfg;
    rd->tr = &platform_of(w->sc)->traffic;
    rd->rng = rng_new(w->seed, "redis.time");
    if (!rd->rng)
        return -1;
    const redis_cfg_t *c = rd->cfg;
    for (int s = 0; s < c->shards; s++) {
        if (cache_init(&rd->cache[s], c->eviction == 0 ? c->maxmemory_b : 0, CACHE_TTL_SET_ON_MISS) != 0)
            return -1;
        gauge_init(&rd->busy[s], 0, 0);
    }
    return 0;
}

static int redis_start(world_t *w, station_t *st)
{
    redis_t *rd = st->state;
    for (size_t i = 0; i < rd->cfg->nfailovers; i++)
        if (rd->cfg->failovers[i].at <= w->end)
            world_schedule(w, rd->cfg->failovers[i].at, on_failover, rd, (uint64_t)rd->cfg->failovers[i].shard);
    return 0;
}

static void redis_destroy(world_t *w, station_t *st)
{
    (void)w;
    redis_t *rd = st->state;
    rng_free(rd->rng);
    rd->rng = NULL;
    for (int s = 0; s < REDIS_MAX_SHARDS; s++)
        cache_destroy(&rd->cache[s]);
}

static void redis_restart(world_t *w, station_t *st)
{
    redis_t *rd = st->state;
    for (int s = 0; rd->cfg && s < rd->cfg->shards; s++) {
        gauge_restart(&rd->busy[s], w->now);
        rd->cache[s].stats = (cache_stats_t){0}; /* evictions count from the end of warm-up */
    }
}

/* ---- results -------------------------------------------------------------------- */

double redis_cost_usd(const redis_cfg_t *c, const cost_cfg_t *price, double hours)
{
    return hours * c->shards * (1 + c->replicas) * price->redis_node_hour;
}

static void redis_collect(const world_t *w, const station_t *st, metrics_t *m)
{
    const redis_t *rd = st->state;
    const redis_cfg_t *c = rd->cfg;
    metrics_add_prop(m, rd->hits, rd->hits + rd->misses, "cache.redis.hit_ratio");
    metrics_add(m, (double)rd->hits, "cache.redis.hits");
    metrics_add(m, (double)rd->misses, "cache.redis.misses");
    metrics_add(m, (double)rd->bypass, "cache.redis.bypass");
    metrics_add_count(m, rd->failed, "cache.redis.failed");
    metrics_add_count(m, rd->refused_sets, "cache.redis.refused_sets");
    metrics_add_latency(m, &rd->latency, "cache.redis.latency_ms", false);
    double used = 0, ev = 0, util = 0;
    for (int s = 0; s < c->shards; s++) {
        used += (double)cache_used(&rd->cache[s]);
        ev += (double)rd->cache[s].stats.evictions;
        util += gauge_mean(&rd->busy[s], w->end);
    }
    metrics_add(m, used, "cache.redis.memory_bytes");
    metrics_add(m, ev, "cache.redis.evictions");
    metrics_add(m, util / c->shards, "cache.redis.utilization");
    double hours = simtime_to_s(w->end - w->warmup) / 3600.0;
    metrics_add(m, redis_cost_usd(c, &platform_of(w->sc)->cost, hours), "cost.redis_usd");
    for (size_t p = 0; p < c->npatterns; p++)
        metrics_add_prop(m, rd->p_hits[p], rd->p_hits[p] + rd->p_miss[p], "cache.redis.patterns.%s.hit_ratio", c->patterns[p].name);
}

static void redis_report(FILE *f, const station_report_t *rep)
{
    size_t n;
    if (!scenario_stations_of(rep->sc, &station_browser, &n) && !scenario_stations_of(rep->sc, &station_cdn, &n))
        cache_report_header(f);
    cache_report_row(f, "redis", metrics_value(rep->summary, "cache.redis.hits"), metrics_value(rep->summary, "cache.redis.misses"),
                     metrics_value(rep->summary, "cache.redis.bypass"));
    const redis_cfg_t *c = scenario_stations_of(rep->sc, &station_redis, &n)->cfg;
    for (size_t p = 0; p < c->npatterns; p++) {
        char path[200], label[64];
        snprintf(path, sizeof path, "cache.redis.patterns.%s.hit_ratio", c->patterns[p].name);
        snprintf(label, sizeof label, "  %s", c->patterns[p].name);
        double r = metrics_value(rep->summary, path);
        if (r == r)
            fprintf(f, "%-16.16s %12s %12s %12s %8.2f%%\n", label, "", "", "", 100 * r);
    }
}

const station_kind_t station_redis = {
    .name = "redis",
    .section = "redis",
    .help = "the Redis application cache: shards, key patterns, eviction, failover (below); visited where a "
            "class's route names `redis`",
    .params = &redis_table,
    .cfg_size = sizeof(redis_cfg_t),
    .state_size = sizeof(redis_t),
    .visit_size = sizeof(redis_op_t),
    .max_instances = 1,
    .singleton = true,
    .series_per_station = 0,
    .begin = redis_begin,
    .check = redis_check,
    .faults = redis_faults,
    .fault = redis_fault,
    .init = redis_init,
    .start = redis_start,
    .destroy = redis_destroy,
    .arrive = redis_arrive,
    .back = redis_back,
    .restart_stats = redis_restart,
    .collect = redis_collect,
    .report = redis_report,
};
