/* redis: the application cache, a Redis tier of shards (the station kind
 * "redis", the scenario's `redis:`), visited where a class's route names it.
 *
 * A class mapped to one of the `patterns` (the plan's: sessions 24 h, API
 * responses 15 min, DB query results 10 min, course content 1 h) looks its
 * object up: the key (class, object) is hashed to a shard, the GET crosses
 * half the `rtt`, waits for the shard (one thread: a server of one worker
 * and a FIFO queue, models/server.h; a shard can saturate) and takes
 * `get_time`. A hit answers the request there (back after half the rtt);
 * a miss goes on along the route (to the database, or the origin answers).
 * When the reply passes back, the application SETs the value (cache-aside):
 * the SET is queued at its shard like a GET (`set_time`) but the reply does
 * not wait for it. Classes of no pattern pass through (`bypass`).
 *
 * Memory: each shard holds at most `maxmemory` bytes of values (the
 * pattern's `size` each). Eviction `allkeys-lru` evicts least recently used
 * keys (volatile-lru is the same here: every key has a TTL); `noeviction`
 * refuses a SET that does not fit (counted). TTLs are set on SET, as
 * EXPIRE does.
 *
 * Failover: a `faults:` item `{target: redis.N, fault: failover}` makes
 * shard N's primary fail; after `failover_detection` its replica is
 * promoted with the same data (asynchronous replication's last writes are
 * not modelled). Meanwhile its requests fail after `rtt`
 * (`on_failover: fail`) or go on to the database (`database`).
 *
 * Placement: a route [api-gateway, content, redis, ...] means the data
 * lookup follows content's own work; the service's worker is not held
 * while Redis answers (the lookup's time is in the end-to-end latency, not
 * in the service's). */
#ifndef MODELS_REDIS_H
#define MODELS_REDIS_H

#include "models/cache.h"
#include "models/traffic.h"
#include "models/cost.h"
#include "sim/dist.h"
#include "sim/station.h"

#define REDIS_MAX_SHARDS 64
#define REDIS_MAX_PATTERNS 16

typedef struct redis_pattern {
    const char *name;
    simtime_t ttl;
    int64_t size_b;
    const char **classes;
    srcpos_t *class_pos;
    size_t nclasses;
    srcpos_t pos;
} redis_pattern_t;

typedef struct redis_cfg {
    int shards;
    int replicas;               /* per shard: promoted on failover; billed */
    int64_t maxmemory_b;
    int eviction;               /* 0 allkeys-lru, 1 noeviction */
    dist_t get_time, set_time;
    simtime_t rtt;
    simtime_t detection;
    int on_failover;            /* 0 fail, 1 database */
    redis_pattern_t *patterns;
    size_t npatterns;
    bool patterns_given;
    struct redis_failover {
        simtime_t at;
        int shard;
    } *failovers;               /* faults */
    size_t nfailovers;
    /* resolved: the pattern of each class (-1: none) */
    int class_pattern[TRAFFIC_MAX_CLASSES];
    srcpos_t pos;
} redis_cfg_t;

extern const station_kind_t station_redis;

/* What the tier costs for `hours`: every shard's primary and replicas, a
 * node each at price->redis_node_hour (cost.redis_usd: the measured hours;
 * the viewer's live cost: 1 h). */
double redis_cost_usd(const redis_cfg_t *c, const cost_cfg_t *price, double hours);

#endif
