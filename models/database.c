#include "models/database.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "models/browser.h"
#include "models/cache.h"
#include "models/catalog.h"
#include "models/cdn.h"
#include "models/geo.h"
#include "models/redis.h"
#include "models/server.h"
#include "sim/gauge.h"
#include "sim/linprobe.h"
#include "sim/prefetch.h"
#include "sim/world.h"

/* ---- configuration --------------------------------------------------------------- */

#define OFF(f) offsetof(db_cfg_t, f)

static int decode_dist_at(const param_t *p, cfg_node_t *node, void *obj, pctx_t *ctx, const char *path)
{
    return dist_decode(node, (dist_t *)((char *)obj + p->offset), ctx, path);
}

static int decode_policy(const param_t *p, cfg_node_t *node, void *obj, pctx_t *ctx, const char *path)
{
    (void)p;
    const char *name = params_scalar(node, ctx, path, "a load balancer name");
    if (!name)
        return 1;
    const lb_kind_t *k = lb_find(name);
    if (strcmp(name, "nearest") == 0) {
        ((db_cfg_t *)obj)->policy = NULL;
        return 0;
    }
    if (!k || k == &lb_ip_hash || k == &lb_weighted_round_robin) {
        diag_error(ctx->diag, node->pos,
                   "%s: unknown read_policy '%s' (valid: round_robin, least_connections, random, power_of_two, "
                   "nearest)",
                   path, name);
        return 1;
    }
    ((db_cfg_t *)obj)->policy = k;
    return 0;
}

/* Names are resolved here; their count against `replicas` in db_check. */
static int decode_locations(const param_t *p, cfg_node_t *node, void *obj, pctx_t *ctx, const char *path)
{
    (void)p;
    db_cfg_t *c = obj;
    const char **names;
    size_t n;
    int errs = params_decode_names(node, ctx, path, "location name", &names, &c->loc_pos, &n);
    if (errs)
        return errs;
    for (size_t i = 0; i < n; i++) {
        int g = geo_find(names[i]);
        if (g < 0) {
            diag_error(ctx->diag, c->loc_pos[i], "%s[%zu]: unknown location '%s' (valid: %s)", path, i, names[i],
                       geo_valid_names());
            errs++;
        } else if (i < DB_MAX_REPLICAS) {
            c->loc[i + 1] = g;
        }
    }
    c->nlocs = n;
    c->locs_pos = node->pos;
    c->locs_given = errs == 0;
    return errs;
}

static const param_t db_params[] = {
    {"replicas", P_INT, OFF(replicas), "2", 0, DB_MAX_REPLICAS, 0, NULL, NULL, NULL, "read replicas"},
    {"cores", P_INT, OFF(cores), "4", 1, 1024, 0, NULL, NULL, NULL, "queries each server executes at once"},
    {"queue_capacity", P_INT, OFF(queue_capacity), "1000", 0, 10000000, 0, NULL, NULL, NULL,
     "queries waiting at each server; one that finds it full is refused"},
    {"read_time", P_CUSTOM, OFF(read_time), "{dist: exponential, mean: 5ms}", 0, 0, 0, NULL, decode_dist_at,
     "distribution", "time a read executes"},
    {"write_time", P_CUSTOM, OFF(write_time), "{dist: exponential, mean: 10ms}", 0, 0, 0, NULL, decode_dist_at,
     "distribution", "time a write executes (at the primary)"},
    {"replication_lag", P_CUSTOM, OFF(lag), "{dist: exponential, mean: 100ms}", 0, 0, 0, NULL, decode_dist_at,
     "distribution", "how far behind the primary a replica's data is, per read"},
    {"rtt", P_DURATION, OFF(rtt), "1ms", 0, 10, 0, NULL, NULL, NULL, "round trip between a pod and the database"},
    {"read_policy", P_CUSTOM, 0, "round_robin", 0, 0, 0, NULL, decode_policy, "name",
     "how reads are spread over the healthy replicas (a load balancer, or nearest: the smallest network RTT "
     "from the origin, ties in turn)"},
    {"replica_locations", P_CUSTOM, 0, NULL, 0, 0, 0, NULL, decode_locations, "list of location names",
     "where each replica runs, in order, one per replica (default: every one at regions.origin)"},
    {"failover_time", P_DURATION, OFF(failover_time), "30s", 0, 3600, 0, NULL, NULL, NULL,
     "from a primary_failure to a replica's promotion (Patroni's default leader ttl)"},
    {"pool_size", P_INT, OFF(pool_size), "10", 0, 10000, 0, NULL, NULL, NULL,
     "connections in each pod's pool (0: no pools)"},
    {"pool_timeout", P_DURATION, OFF(pool_timeout), "5s", 0, 3600, 0, NULL, NULL, NULL,
     "waiting longer than this for a connection is an error"},
    {"max_connections", P_INT, OFF(max_connections), "200", 1, 1000000, 0, NULL, NULL, NULL,
     "connections the server accepts, all pools together (PostgreSQL's max_connections)"},
    {"query_cache_ttl", P_DURATION, OFF(query_cache_ttl), "0s", 0, 315360000.0, 0, NULL, NULL, NULL,
     "how long a read's result stays in the query cache (0: no query cache)"},
    {"query_cache_capacity", P_MEMORY, OFF(query_cache_b), "256Mi", 0, 9e15, 0, NULL, NULL, NULL,
     "bytes of results each server caches (LRU; 0: unbounded)"},
};
static const param_table_t db_table = PARAM_TABLE(db_params);

static void db_begin(station_cfg_t *st)
{
    db_cfg_t *c = st->cfg;
    for (int i = 0; i <= DB_MAX_REPLICAS; i++)
        c->loc[i] = -1;
}

static int db_check(scenario_t *sc, diag_t *d)
{
    size_t n;
    station_cfg_t *st = scenario_stations_of(sc, &station_database, &n);
    if (!st || !((db_cfg_t *)st->cfg)->locs_given)
        return 0;
    const db_cfg_t *c = st->cfg;
    if (c->nlocs != (size_t)c->replicas) {
        diag_error(d, c->locs_pos,
                   "database.replica_locations: %zu location%s for %d replica%s (one per replica, in order)", c->nlocs,
                   c->nlocs == 1 ? "" : "s", c->replicas, c->replicas == 1 ? "" : "s");
        return 1;
    }
    const regions_cfg_t *rg = &platform_of(sc)->regions;
    if (!rg->enabled) {
        diag_warning(d, c->locs_pos,
                     "database.replica_locations: without regions: every server is at one place (no network delay)");
        return 0;
    }
    int errs = 0;
    for (int i = 1; rg->model == NETWORK_MATRIX && rg->origin >= 0 && i <= c->replicas; i++)
        if (c->loc[i] != rg->origin && !rg->rtt_given[rg->origin * GEO_NLOCATIONS + c->loc[i]]) {
            diag_error(d, c->loc_pos[i - 1],
                       "database.replica_locations[%d]: with network.model: matrix regions.rtt needs the round trip "
                       "%s-%s",
                       i - 1, geo_location(rg->origin)->name, geo_location(c->loc[i])->name);
            errs++;
        }
    return errs;
}

static const char *const db_faults[] = {"replica_failure", "primary_failure", NULL};

static int db_fault(scenario_t *sc, station_cfg_t *st, const fault_spec_t *f, diag_t *d)
{
    db_cfg_t *c = st->cfg;
    char *end = NULL;
    long n = 0;
    if (strcmp(f->name, "primary_failure") == 0) {
        if (f->detail && strcmp(f->detail, "primary") != 0) {
            diag_error(d, f->target_pos, "faults: a primary_failure targets database (or database.primary), not "
                                         "database.%s",
                       f->detail);
            return 1;
        }
        c->nprimary_failures++;
    } else {
        n = f->detail ? strtol(f->detail, &end, 10) : 0;
        if (!f->detail || *end || n < 1 || n > c->replicas) {
            diag_error(d, f->target_pos, "faults: a replica_failure names its replica, database.1 to database.%d",
                       c->replicas);
            return 1;
        }
    }
    db_failure_t *a = arena_append(sc->arena, c->failures, c->nfailures, sizeof *a);
    if (!a) {
        diag_oom(d, f->pos);
        return 1;
    }
    a[c->nfailures++] = (db_failure_t){f->at, f->duration > 0 ? f->duration : 3650 * 86400 * SIM_S, (int)n};
    c->failures = a;
    return 0;
}

/* ---- run time ---------------------------------------------------------------------- */

typedef struct db_pool db_pool_t;
typedef struct db_query {
    server_item_t link;         /* first: its server's queue, or its pool's */
    struct database *db;
    request_t *req;
    uint64_t pool;              /* the key of the pool whose connection it holds or awaits (0: none) */
    evq_handle_t timeout;
    evq_handle_t done;          /* its completion, while it executes (with exec) */
    struct db_query *eprev, *enext; /* the queries executing at its server */
    int server;                 /* 0.. replicas (0: the primary as configured) */
    bool write, dead;           /* dead: timed out while waiting in the pool */
    simtime_t sent, asked;
} db_query_t;

/* A pod's pool: connections as the workers of a queueing core, made at its
 * pod's first query. The pool of a pod that is gone no longer counts in the
 * pools' size, and goes as soon as no query holds or awaits one of its
 * connections; a query that comes later, of a request that pod served
 * before it went, gets a pool of its own again, marked gone (the pod's
 * existence is asked of its station, world_pod_alive, once per pool made).
 * So the records are those of the pods that exist, and of gone pods with
 * queries in flight: they do not grow with the pods a run has made. */
struct db_pool {
    uint64_t key;               /* (station + 1) << 32 | pod uid, + 1; 0: an empty slot */
    server_t core;
    bool gone;                  /* its pod is gone */
};

/* last write time per object key: open addressing, grown at half load;
 * a key and its time share a slot, so a lookup reads one line */
typedef struct lastw_slot {
    uint64_t key;               /* 0: empty (keys are never 0: object + 1) */
    simtime_t at;
} lastw_slot_t;

typedef struct lastw {
    lastw_slot_t *slots;
    size_t mask, n;
} lastw_t;

typedef struct database {
    const db_cfg_t *cfg;
    rng_t *rng;
    server_t core[DB_MAX_REPLICAS + 1];
    db_query_t *exec[DB_MAX_REPLICAS + 1];  /* executing at each server (kept only when a
                                             * primary_failure may have to fail them) */
    lb_member_t member[DB_MAX_REPLICAS + 1];
    lb_member_t *up[DB_MAX_REPLICAS + 1];   /* the healthy replicas' members */
    int up_index[DB_MAX_REPLICAS + 1];
    lb_view_t view;
    void *lb_state;
    int primary;                /* the server that takes writes (down: none does) */
    int down[DB_MAX_REPLICAS + 1];          /* failures holding each server down (down while > 0) */
    gauge_t busy[DB_MAX_REPLICAS + 1];
    /* where the servers are: half of rtt + network RTT each (the time of a
     * leg), and the network RTTs; the servers by (RTT, number), for nearest */
    simtime_t half[DB_MAX_REPLICAS + 1], net[DB_MAX_REPLICAS + 1];
    int near[DB_MAX_REPLICAS + 1];
    uint32_t near_next;         /* the turn among the nearest (ties) */
    int *victim;                /* per failure: the server a primary_failure took down (-1: none) */
    bool *crashed;              /* per failure: a primary_failure that took a server down and has
                                 * not recovered yet (its failover may still come) */
    simtime_t nowrite, nowrite_from;    /* time with no primary to write to; since (-1: there is one) */
    lastw_t lastw;
    cache_t qcache[DB_MAX_REPLICAS + 1];    /* per server */
    uint64_t qc_hits, qc_misses;
    db_pool_t *pools;           /* open addressing by key, grown at half load */
    size_t pool_mask, npools, nlive;    /* pools, and those of pods not gone */
    int in_use;                 /* connections held, all pools */
    gauge_t conn, conn_cap;     /* held, and the pools' size x the pools of pods not gone */
    /* measured */
    uint64_t reads, writes, stale, refused, failed, to_primary;
    uint64_t timeouts, too_many, writes_failed, failovers;
    hist_t latency, pool_wait, lag;    /* lag: drawn for the measured reads at replicas */
} database_t;

enum { EV_AT_SERVER, EV_DONE, EV_BACK_OK, EV_BACK_FAIL, EV_POOL_TIMEOUT };

static void db_event(void *ctx, void *obj, uint64_t arg);

static void later(world_t *w, simtime_t dt, db_query_t *q, int ev)
{
    world_schedule(w, w->now + dt, db_event, q, (uint64_t)ev);
}

/* A row is its object id, whatever the class (a write class and a read class
 * with the same `objects` touch the same rows); +1 keeps 0 free. */
static inline uint64_t key_of(const request_t *r) { return r->object + 1; }

static simtime_t *lastw_slot(world_t *w, lastw_t *m, uint64_t key, bool insert)
{
    if (insert && (m->n + 1) * 2 > m->mask + 1) {
        size_t cap = m->mask ? (m->mask + 1) * 2 : 1024;
        lastw_slot_t *t = calloc(cap, sizeof *t);
        if (!t) {
            world_fail(w, "out of memory (database)");
            return NULL;
        }
        for (size_t i = 0; m->mask && i <= m->mask; i++)
            if (m->slots[i].key) {
                size_t j = rng_mix64(m->slots[i].key) & (cap - 1);
                while (t[j].key)
                    j = (j + 1) & (cap - 1);
                t[j] = m->slots[i];
            }
        free(m->slots);
        m->slots = t, m->mask = cap - 1;
    }
    if (!m->mask)
        return NULL;
    size_t j = rng_mix64(key) & m->mask;
    while (m->slots[j].key && m->slots[j].key != key)
        j = (j + 1) & m->mask;
    if (!m->slots[j].key) {
        if (!insert)
            return NULL;
        m->slots[j].key = key;
        m->n++;
    }
    return &m->slots[j].at;
}

/* Starts loading what a query's completion will read: its row's last-write
 * slot and its result's place in the query caches (a hint; the query runs
 * for a while first). */
static void prefetch_done(const database_t *db, const db_query_t *q)
{
    uint64_t key = key_of(q->req);
    if (db->lastw.mask)
        PREFETCH(&db->lastw.slots[rng_mix64(key) & db->lastw.mask]);
    if (db->cfg->query_cache_ttl <= 0)
        return;
    if (!q->write) {
        cache_prefetch(&db->qcache[q->server], key);
        return;
    }
    for (int i = 0; i <= db->cfg->replicas; i++)
        cache_prefetch(&db->qcache[i], key);
}

/* The replicas reads may go to: every healthy server but the primary. */
static void refresh_view(world_t *w, database_t *db)
{
    uint32_t n = 0;
    for (int i = 0; i <= db->cfg->replicas; i++)
        if (!db->down[i] && i != db->primary) {
            db->up[n] = &db->member[i];
            db->up_index[n++] = i;
        }
    db->view = (lb_view_t){db->up, n};
    if (n && db->cfg->policy && db->cfg->policy->changed(db->lb_state, &db->view) != 0)
        world_fail(w, "out of memory (read_policy)");
}

/* read_policy nearest: the first healthy replica in the order by RTT, and
 * the ones tied with it in turn (db->view.n > 0: there is one). */
static int pick_nearest(database_t *db)
{
    const int n = db->cfg->replicas + 1;
    int first = -1;
    uint32_t tied = 0;
    for (int k = 0; k < n; k++) {
        int s = db->near[k];
        if (s == db->primary || db->down[s])
            continue;
        if (first < 0)
            first = k;
        else if (db->net[s] != db->net[db->near[first]])
            break;
        tied++;
    }
    uint32_t i = db->near_next < tied ? db->near_next : 0;
    db->near_next = i + 1 == tied ? 0 : i + 1;
    for (int k = first;; k++) {
        int s = db->near[k];
        if (s != db->primary && !db->down[s] && i-- == 0)
            return s;
    }
}

/* The pool of key (made on its pod's first query); pools move when the
 * table grows, so queries keep the key, not a pointer. */
static db_pool_t *pool_find(world_t *w, database_t *db, uint64_t key, bool make)
{
    if (make && (db->npools + 1) * 2 > db->pool_mask + 1) {
        size_t cap = db->pool_mask ? (db->pool_mask + 1) * 2 : 64;
        db_pool_t *t = calloc(cap, sizeof *t);
        if (!t) {
            world_fail(w, "out of memory (database pools)");
            return NULL;
        }
        for (size_t i = 0; db->pool_mask && i <= db->pool_mask; i++)
            if (db->pools[i].key) {
                size_t j = rng_mix64(db->pools[i].key) & (cap - 1);
                while (t[j].key)
                    j = (j + 1) & (cap - 1);
                t[j] = db->pools[i];
            }
        free(db->pools);
        db->pools = t;
        db->pool_mask = cap - 1;
    }
    if (!db->pools)
        return NULL;
    size_t j = rng_mix64(key) & db->pool_mask;
    while (db->pools[j].key && db->pools[j].key != key)
        j = (j + 1) & db->pool_mask;
    if (!db->pools[j].key) {
        if (!make)
            return NULL;
        db->pools[j] = (db_pool_t){.key = key};
        db->npools++;
        /* key - 1 is pod_station << 32 | pod_uid */
        db->pools[j].gone = !world_pod_alive(w, (uint16_t)((key - 1) >> 32), (uint32_t)(key - 1));
        if (!db->pools[j].gone) {
            db->nlive++;
            gauge_set(&db->conn_cap, w->now, (double)db->nlive * db->cfg->pool_size);
        }
    }
    return &db->pools[j];
}

size_t database_pools_kept(const station_t *st) { return ((const database_t *)st->state)->npools; }

/* The pool of a gone pod goes once nothing holds or awaits its connections
 * (pool is invalid after), by backward shift (sim/linprobe.h). */
static void pool_drop_if_done(database_t *db, db_pool_t *pool)
{
    if (!pool->gone || pool->core.busy || pool->core.queued)
        return;
    size_t mask = db->pool_mask, i = (size_t)(pool - db->pools), j = i;
    db->pools[i].key = 0;
    db->npools--;
    for (;;) {
        j = (j + 1) & mask;
        if (!db->pools[j].key)
            return;
        if (!linprobe_moves_back(rng_mix64(db->pools[j].key) & mask, i, j, mask))
            continue;
        db->pools[i] = db->pools[j];
        db->pools[j].key = 0;
        i = j;
    }
}

/* A pod is gone: its pool no longer counts in the pools' size. */
static void db_pod_gone(world_t *w, station_t *st, uint16_t pod_station, uint32_t pod_uid)
{
    database_t *db = st->state;
    if (db->cfg->pool_size == 0)
        return;
    db_pool_t *pool = pool_find(w, db, (((uint64_t)pod_station << 32) | pod_uid) + 1, false);
    if (pool && !pool->gone) {
        pool->gone = true;
        db->nlive--;
        gauge_set(&db->conn_cap, w->now, (double)db->nlive * db->cfg->pool_size);
        pool_drop_if_done(db, pool);
    }
}

/* Every change of a server's load goes through here, so that an indexed
 * read_policy (least_connections) hears of it. */
static void server_load(database_t *db, int i, int delta)
{
    lb_member_t *m = &db->member[i];
    if (db->cfg->policy)
        lb_set_active(db->cfg->policy, db->lb_state, &db->view, m, m->active + delta);
    else
        m->active += delta;
}

static void send_query(world_t *w, database_t *db, db_query_t *q)
{
    server_load(db, q->server, 1);
    later(w, db->half[q->server], q, EV_AT_SERVER);
}

/* q takes a connection now (it asked at q->asked); false when the server
 * already has max_connections. */
static bool connect(world_t *w, database_t *db, db_query_t *q)
{
    if (db->in_use >= db->cfg->max_connections) {
        if (q->req->measured)
            db->too_many++;
        return false;
    }
    db->in_use++;
    gauge_add(&db->conn, w->now, 1);
    if (q->req->measured)
        hist_add(&db->pool_wait, w->now - q->asked);
    return true;
}

static void db_arrive(world_t *w, station_t *st, request_t *r)
{
    database_t *db = st->state;
    db_query_t *q = world_visit_get(w);
    if (!q)
        return;
    int method = r->klass ? platform_of(w->sc)->traffic.mix[r->klass - 1].method : METHOD_GET;
    bool write = !traffic_method_cacheable(method);
    int server = db->primary;
    if (!write && db->view.n)
        server = db->cfg->policy ? db->up_index[db->cfg->policy->pick(db->lb_state, &db->view, r->client, db->rng)]
                                 : pick_nearest(db);
    else if (!write && r->measured)
        db->to_primary++;
    *q = (db_query_t){.db = db, .req = r, .server = server, .write = write, .sent = w->now, .asked = w->now};
    if (db->cfg->pool_size == 0) {
        send_query(w, db, q);
        return;
    }
    q->pool = (((uint64_t)r->pod_station << 32) | r->pod_uid) + 1;
    db_pool_t *pool = pool_find(w, db, q->pool, true);
    if (!pool)
        return;
    if (server_take(&pool->core, db->cfg->pool_size, &q->link)) {
        if (connect(w, db, q)) {
            send_query(w, db, q);
        } else { /* refused by the server: the pool's slot is free again */
            server_release(&pool->core);
            pool_drop_if_done(db, pool);
            q->pool = 0;
            later(w, 0, q, EV_BACK_FAIL);
        }
    } else {
        q->timeout = world_schedule(w, w->now + db->cfg->pool_timeout, db_event, q, EV_POOL_TIMEOUT);
    }
}

/* q is done with its connection: the next live waiter of its pool takes it. */
static void release(world_t *w, database_t *db, db_query_t *q)
{
    db_pool_t *pool = q->pool ? pool_find(w, db, q->pool, false) : NULL;
    if (!pool)
        return;
    db->in_use--;
    gauge_add(&db->conn, w->now, -1);
    for (;;) {
        server_item_t *next = server_release(&pool->core);
        if (!next) {
            pool_drop_if_done(db, pool);
            return;
        }
        db_query_t *n = (db_query_t *)next;
        if (n->dead) { /* timed out earlier: its request is gone */
            world_visit_put(w, n);
            continue;
        }
        world_cancel(w, n->timeout);
        n->timeout = 0;
        if (connect(w, db, n)) {
            send_query(w, db, n);
            return;
        }
        n->pool = 0; /* refused: its slot goes to the next */
        later(w, 0, n, EV_BACK_FAIL);
    }
}

static void execute(world_t *w, database_t *db, db_query_t *q)
{
    gauge_add(&db->busy[q->server], w->now, 1);
    simtime_t dt = dist_sample_ns(q->write ? &db->cfg->write_time : &db->cfg->read_time, db->rng);
    evq_handle_t done = world_schedule(w, w->now + dt, db_event, q, EV_DONE);
    prefetch_done(db, q);
    if (!db->cfg->nprimary_failures) /* nothing will need to find it */
        return;
    q->done = done;
    db_query_t **head = &db->exec[q->server];
    q->eprev = NULL;
    q->enext = *head;
    if (*head)
        (*head)->eprev = q;
    *head = q;
}

static void unlink_exec(database_t *db, db_query_t *q)
{
    if (!db->cfg->nprimary_failures)
        return;
    if (q->eprev)
        q->eprev->enext = q->enext;
    else
        db->exec[q->server] = q->enext;
    if (q->enext)
        q->enext->eprev = q->eprev;
}

static void finish(world_t *w, database_t *db, db_query_t *q, bool ok)
{
    request_t *r = q->req;
    if (r->measured) {
        if (ok)
            hist_add(&db->latency, w->now - q->sent);
        else
            db->failed++, db->writes_failed += q->write;
    }
    release(w, db, q);
    world_visit_put(w, q);
    if (ok)
        world_pass(w, r); /* the next station, or the origin answers */
    else
        world_back(w, r, false);
}

static void db_event(void *ctx, void *obj, uint64_t arg)
{
    world_t *w = ctx;
    db_query_t *q = obj;
    database_t *db = q->db;
    const db_cfg_t *c = db->cfg;
    switch ((int)arg) {
    case EV_AT_SERVER: {
        server_t *core = &db->core[q->server];
        if (db->down[q->server] || !server_has_room(core, c->cores, c->queue_capacity)) {
            server_load(db, q->server, -1);
            if (q->req->measured && !db->down[q->server])
                db->refused++;
            if (!db->down[q->server])
                q->req->rejected = true;
            later(w, db->half[q->server], q, EV_BACK_FAIL);
            break;
        }
        if (!q->write && c->query_cache_ttl > 0 &&
            cache_lookup(&db->qcache[q->server], key_of(q->req), w->now) == CACHE_HIT) {
            /* answered from the query cache: no execution */
            server_load(db, q->server, -1);
            if (q->req->measured)
                db->qc_hits++, db->reads++;
            later(w, db->half[q->server], q, EV_BACK_OK);
            break;
        }
        if (!q->write && c->query_cache_ttl > 0 && q->req->measured)
            db->qc_misses++;
        if (server_take(core, c->cores, &q->link))
            execute(w, db, q);
        break;
    }
    case EV_DONE: {
        unlink_exec(db, q);
        gauge_add(&db->busy[q->server], w->now, -1);
        server_load(db, q->server, -1);
        server_item_t *next = server_release(&db->core[q->server]);
        if (next)
            execute(w, db, (db_query_t *)next);
        request_t *r = q->req;
        uint64_t key = key_of(r);
        if (q->write) {
            simtime_t *t = lastw_slot(w, &db->lastw, key, true);
            if (t)
                *t = w->now;
            for (int i = 0; c->query_cache_ttl > 0 && i <= c->replicas; i++)
                cache_remove(&db->qcache[i], key);
            if (r->measured)
                db->writes++;
        } else {
            if (r->measured)
                db->reads++;
            /* the result is cached (a 1 KiB row: capacity counts them) */
            if (c->query_cache_ttl > 0 &&
                cache_fill(&db->qcache[q->server], key, 1024, c->query_cache_ttl, w->now) != 0)
                world_fail(w, "out of memory (query cache)");
            if (q->server != db->primary) {
                simtime_t lag = dist_sample_ns(&c->lag, db->rng);
                simtime_t *t = lastw_slot(w, &db->lastw, key, false);
                if (r->measured)
                    hist_add(&db->lag, lag);
                if (t && r->measured && *t > w->now - lag)
                    db->stale++;
            }
        }
        later(w, db->half[q->server], q, EV_BACK_OK);
        break;
    }
    case EV_BACK_OK:
        finish(w, db, q, true);
        break;
    case EV_BACK_FAIL:
        finish(w, db, q, false);
        break;
    case EV_POOL_TIMEOUT: {
        /* waited past the timeout: the request fails now; the record stays
         * in the pool's queue, marked, until the queue reaches it */
        request_t *r = q->req;
        q->timeout = 0;
        q->dead = true;
        if (r->measured)
            db->timeouts++, db->failed++, db->writes_failed += q->write;
        world_back(w, r, false);
        break;
    }
    }
}

/* The time with no primary to write to: it starts, or ends, now. */
static void no_primary(world_t *w, database_t *db, bool starts)
{
    if (starts && db->nowrite_from < 0) {
        db->nowrite_from = w->now;
    } else if (!starts && db->nowrite_from >= 0) {
        db->nowrite += w->now - db->nowrite_from;
        db->nowrite_from = -1;
    }
}

/* Server s goes down: its waiting queries fail now, and so do the ones
 * executing when `all` (a crash), else those finish. */
static void fail_server(world_t *w, database_t *db, int s, bool all)
{
    server_t *core = &db->core[s];
    if (all) {
        for (db_query_t *q = db->exec[s]; q; q = q->enext) {
            world_cancel(w, q->done);
            gauge_add(&db->busy[s], w->now, -1);
            server_load(db, s, -1);
            later(w, db->half[s], q, EV_BACK_FAIL);
        }
        db->exec[s] = NULL;
    }
    int busy = all ? 0 : core->busy;
    server_item_t *it = server_drain(core);
    core->busy = busy;
    while (it) {
        db_query_t *q = (db_query_t *)it;
        it = it->next;
        server_load(db, s, -1);
        later(w, db->half[s], q, EV_BACK_FAIL);
    }
}

static void on_failure(void *ctx, void *obj, uint64_t arg)
{
    world_t *w = ctx;
    station_t *st = obj;
    database_t *db = st->state;
    int replica = (int)(arg >> 1);
    bool fails = (arg & 1) == 0;
    /* failures of one server overlap: it is down while any of them lasts */
    bool was = db->down[replica] > 0;
    db->down[replica] += fails ? 1 : -1;
    bool is = db->down[replica] > 0;
    char name[64];
    snprintf(name, sizeof name, "database.%d", replica);
    world_event(w, name, replica == db->primary ? "primary" : "replica", was ? "down" : "up", is ? "down" : "up",
                fails ? "replica failure" : "recovered");
    if (was == is)
        return;
    refresh_view(w, db);
    if (replica == db->primary) /* promoted earlier: writes wait for it */
        no_primary(w, db, is);
    if (is) /* its waiting reads fail now; those executing finish */
        fail_server(w, db, replica, false);
}

/* A primary_failure's steps (arg: its index << 2 | step). */
enum { PF_CRASH, PF_PROMOTE, PF_RECOVER };

static void on_primary(void *ctx, void *obj, uint64_t arg)
{
    world_t *w = ctx;
    station_t *st = obj;
    database_t *db = st->state;
    const db_cfg_t *c = db->cfg;
    size_t i = (size_t)(arg >> 2);
    const db_failure_t *f = &c->failures[i];
    char name[64], reason[160];
    switch ((int)(arg & 3)) {
    case PF_CRASH: {
        int s = db->primary;
        if (db->down[s]) { /* no primary to kill: nothing happens */
            db->victim[i] = -1;
            world_event(w, "database", "primary", "none", "none", "primary failure: there is no primary (ignored)");
            return;
        }
        db->victim[i] = s;
        db->crashed[i] = true;
        db->down[s]++;
        no_primary(w, db, true);
        snprintf(name, sizeof name, "database.%d", s);
        world_event(w, name, "primary", "up", "down",
                    "primary failure: its queries fail, writes fail until a failover");
        fail_server(w, db, s, true);
        if (w->now + c->failover_time <= w->end)
            world_schedule(w, w->now + c->failover_time, on_primary, st, (uint64_t)i << 2 | PF_PROMOTE);
        if (f->duration < w->end - w->now)
            world_schedule(w, w->now + f->duration, on_primary, st, (uint64_t)i << 2 | PF_RECOVER);
        return;
    }
    case PF_PROMOTE: {
        int s = db->victim[i];
        /* back already (this failure recovered, though another may have
         * taken the server down again), or replaced: no failover */
        if (!db->crashed[i] || db->primary != s)
            return;
        int p = -1;
        for (int k = 0; k <= c->replicas && p < 0; k++)
            if (k != s && !db->down[k])
                p = k;
        if (p < 0) {
            snprintf(name, sizeof name, "database.%d", s);
            world_event(w, name, "primary", "down", "down",
                        "failover: no healthy replica to promote; writes fail until the primary recovers");
            return;
        }
        db->primary = p;
        refresh_view(w, db);
        no_primary(w, db, false);
        if (w->now >= w->warmup)
            db->failovers++;
        snprintf(name, sizeof name, "database.%d", p);
        snprintf(reason, sizeof reason, "failover: promoted in place of database.%d", s);
        world_event(w, name, "primary", "replica", "primary", reason);
        return;
    }
    case PF_RECOVER: {
        int s = db->victim[i];
        db->crashed[i] = false;
        snprintf(name, sizeof name, "database.%d", s);
        if (--db->down[s] > 0) {
            world_event(w, name, s == db->primary ? "primary" : "replica", "down", "down",
                        "recovered from the primary failure; another failure holds it down");
            return;
        }
        if (db->primary == s) {
            no_primary(w, db, false);
            world_event(w, name, "primary", "down", "up", "recovered: the primary again (none was promoted)");
        } else {
            refresh_view(w, db);
            snprintf(reason, sizeof reason, "recovered: a replica of database.%d", db->primary);
            world_event(w, name, "replica", "down", "up", reason);
        }
        return;
    }
    }
}

static int db_init(world_t *w, station_t *st)
{
    database_t *db = st->state;
    const db_cfg_t *c = st->def->cfg;
    db->cfg = c;
    db->rng = rng_new(w->seed, "database");
    db->lb_state = arena_alloc(w->arena, c->policy && c->policy->state_size ? c->policy->state_size : 1);
    if (!db->rng || !db->lb_state)
        return -1;
    for (int i = 0; i <= c->replicas; i++) {
        db->member[i] = (lb_member_t){.uid = (uint32_t)i, .weight = 1.0};
        gauge_init(&db->busy[i], 0, 0);
    }
    /* where the servers are: the network RTT from the origin, and the
     * servers by it (insertion, stable: ties by number) */
    const regions_cfg_t *rg = &platform_of(w->sc)->regions;
    for (int i = 0; i <= c->replicas; i++) {
        int loc = c->loc[i];
        db->net[i] = rg->enabled && i > 0 && loc >= 0 && loc != rg->origin ? regions_rtt(rg, rg->origin, loc) : 0;
        db->half[i] = (c->rtt + db->net[i]) / 2;
        int k = i;
        while (k > 0 && db->net[db->near[k - 1]] > db->net[i]) {
            db->near[k] = db->near[k - 1];
            k--;
        }
        db->near[k] = i;
    }
    db->primary = 0;
    db->nowrite_from = -1;
    if (c->nprimary_failures) {
        db->victim = arena_alloc(w->arena, c->nfailures * sizeof *db->victim);
        db->crashed = arena_alloc(w->arena, c->nfailures * sizeof *db->crashed);
        if (!db->victim || !db->crashed)
            return -1;
        for (size_t i = 0; i < c->nfailures; i++)
            db->crashed[i] = false;
    }
    for (int i = 0; c->query_cache_ttl > 0 && i <= c->replicas; i++)
        if (cache_init(&db->qcache[i], c->query_cache_b, CACHE_TTL_SET_ON_MISS) != 0)
            return -1;
    gauge_init(&db->conn, 0, 0);
    gauge_init(&db->conn_cap, 0, 0);
    refresh_view(w, db);
    return 0;
}

static int db_start(world_t *w, station_t *st)
{
    const db_cfg_t *c = ((database_t *)st->state)->cfg;
    for (size_t i = 0; i < c->nfailures; i++) {
        const db_failure_t *f = &c->failures[i];
        if (f->replica == 0) { /* a primary_failure: its later steps follow from it */
            if (f->at <= w->end)
                world_schedule(w, f->at, on_primary, st, (uint64_t)i << 2 | PF_CRASH);
            continue;
        }
        if (f->at <= w->end)
            world_schedule(w, f->at, on_failure, st, (uint64_t)f->replica << 1);
        if (f->duration < w->end - f->at)
            world_schedule(w, f->at + f->duration, on_failure, st, ((uint64_t)f->replica << 1) | 1);
    }
    return 0;
}

static void db_destroy(world_t *w, station_t *st)
{
    (void)w;
    database_t *db = st->state;
    if (db->cfg && db->cfg->policy)
        lb_fini(db->cfg->policy, db->lb_state);
    rng_free(db->rng);
    free(db->lastw.slots);
    free(db->pools);
    db->pools = NULL;
    for (int i = 0; i <= DB_MAX_REPLICAS; i++)
        cache_destroy(&db->qcache[i]);
    db->rng = NULL;
    db->lastw = (lastw_t){0};
}

static void db_restart(world_t *w, station_t *st)
{
    database_t *db = st->state;
    for (int i = 0; db->cfg && i <= db->cfg->replicas; i++)
        gauge_restart(&db->busy[i], w->now);
    gauge_restart(&db->conn, w->now);
    gauge_restart(&db->conn_cap, w->now);
    db->nowrite = 0;
    if (db->nowrite_from >= 0)
        db->nowrite_from = w->now;
}

double database_cost_usd(const db_cfg_t *c, const cost_cfg_t *price, double hours)
{
    return hours * (1 + c->replicas) * price->db_node_hour;
}

static void db_collect(const world_t *w, const station_t *st, metrics_t *m)
{
    const database_t *db = st->state;
    const db_cfg_t *c = db->cfg;
    metrics_add(m, (double)db->reads, "database.reads");
    metrics_add(m, (double)db->writes, "database.writes");
    metrics_add_prop(m, db->stale, db->reads, "database.stale_read_fraction");
    metrics_add_count(m, db->refused, "database.refused");
    metrics_add_count(m, db->failed, "database.failed");
    metrics_add(m, (double)db->to_primary, "database.reads_at_primary");
    metrics_add_latency(m, &db->latency, "database.latency_ms", false);
    metrics_add(m, gauge_mean(&db->busy[0], w->end) / c->cores, "database.primary.utilization");
    metrics_add(m, database_cost_usd(c, &platform_of(w->sc)->cost, simtime_to_s(w->end - w->warmup) / 3600.0),
                "cost.database_usd");
    if (c->query_cache_ttl > 0) {
        metrics_add_prop(m, db->qc_hits, db->qc_hits + db->qc_misses, "cache.db_query.hit_ratio");
        metrics_add(m, (double)db->qc_hits, "cache.db_query.hits");
        metrics_add(m, (double)db->qc_misses, "cache.db_query.misses");
    }
    if (c->pool_size) {
        double cap = gauge_area(&db->conn_cap, w->end);
        metrics_add(m, cap > 0 ? gauge_area(&db->conn, w->end) / cap : NAN, "database.pool_utilization");
        metrics_add_latency(m, &db->pool_wait, "database.pool_wait_ms", false);
        metrics_add_count(m, db->timeouts, "database.pool_timeouts");
        metrics_add_count(m, db->too_many, "database.too_many_connections");
        metrics_add(m, db->conn.max, "database.connections_max");
    }
    for (int i = 1; i <= c->replicas; i++)
        metrics_add(m, gauge_mean(&db->busy[i], w->end) / c->cores, "database.replicas.%d.utilization", i);
    if (c->replicas)
        metrics_add_latency(m, &db->lag, "database.replication_lag_ms", false);
    if (c->nprimary_failures) {
        simtime_t nowrite = db->nowrite + (db->nowrite_from >= 0 ? w->end - db->nowrite_from : 0);
        metrics_add(m, (double)db->failovers, "database.primary_failovers");
        metrics_add_count(m, db->writes_failed, "database.writes_failed");
        metrics_add(m, simtime_to_s(nowrite), "database.primary_unavailable_s");
    }
}

static void db_report(FILE *f, const station_report_t *rep)
{
    const metrics_t *m = rep->summary;
    size_t n;
    const db_cfg_t *c = scenario_stations_of(rep->sc, &station_database, &n)->cfg;
    /* the fourth cache layer continues the cache table of the layers before */
    if (c->query_cache_ttl > 0) {
        if (!scenario_stations_of(rep->sc, &station_browser, &n) && !scenario_stations_of(rep->sc, &station_cdn, &n) &&
            !scenario_stations_of(rep->sc, &station_redis, &n))
            cache_report_header(f);
        cache_report_row(f, "db query cache", metrics_value(m, "cache.db_query.hits"),
                         metrics_value(m, "cache.db_query.misses"), NAN);
    }
    fprintf(f, "\n%-16s %12s %12s %9s %9s %9s %9s %9s\n", "database", "reads", "writes", "failed", "stale", "p50 ms",
            "p95 ms", "p99 ms");
    fprintf(f, "%-16s %12.0f %12.0f %9.0f %8.3f%% %9.3f %9.3f %9.3f\n", "postgresql", metrics_value(m, "database.reads"),
            metrics_value(m, "database.writes"), metrics_value(m, "database.failed"),
            100 * metrics_value(m, "database.stale_read_fraction"), metrics_value(m, "database.latency_ms.p50"),
            metrics_value(m, "database.latency_ms.p95"), metrics_value(m, "database.latency_ms.p99"));
    fprintf(f, "  %-14s %8.1f%% busy\n", "server 0", 100 * metrics_value(m, "database.primary.utilization"));
    for (int i = 1; i <= c->replicas; i++) {
        char path[64], label[32];
        snprintf(path, sizeof path, "database.replicas.%d.utilization", i);
        snprintf(label, sizeof label, "replica %d", i);
        fprintf(f, "  %-14s %8.1f%% busy\n", label, 100 * metrics_value(m, path));
    }
    if (c->pool_size > 0)
        fprintf(f,
                "  pools: %.1f%% of their connections in use, wait p95 %.3f ms, %.0f timeouts; at most %.0f of "
                "max_connections %d open, %.0f refused\n",
                100 * metrics_value(m, "database.pool_utilization"), metrics_value(m, "database.pool_wait_ms.p95"),
                metrics_value(m, "database.pool_timeouts"), metrics_value(m, "database.connections_max"),
                c->max_connections, metrics_value(m, "database.too_many_connections"));
}

const station_kind_t station_database = {
    .name = "database",
    .section = "database",
    .help = "PostgreSQL: a primary and read replicas (below); visited where a class's route names `database`",
    .params = &db_table,
    .cfg_size = sizeof(db_cfg_t),
    .state_size = sizeof(database_t),
    .visit_size = sizeof(db_query_t),
    .max_instances = 1,
    .singleton = true,
    .begin = db_begin,
    .check = db_check,
    .faults = db_faults,
    .fault = db_fault,
    .init = db_init,
    .start = db_start,
    .destroy = db_destroy,
    .arrive = db_arrive,
    .restart_stats = db_restart,
    .pod_gone = db_pod_gone,
    .collect = db_collect,
    .report = db_report,
};
