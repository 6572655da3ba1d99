/* database: PostgreSQL, a primary and read replicas (the station kind
 * "database", the scenario's `database:`), visited where a class's route
 * names `database`.
 *
 * Each server (the primary, each replica) is `cores` workers in front of one
 * FIFO queue of at most `queue_capacity` waiting queries (models/server.h):
 * a query that finds it full is refused, an error. A query crosses half the
 * `rtt` each way. Writes (classes whose method is not GET or HEAD) go to the
 * primary and take `write_time`; reads go to a replica chosen by
 * `read_policy` (a load balancer of models/lb.h over the healthy replicas:
 * round_robin, least_connections, random, power_of_two) and take
 * `read_time`, or to the primary when no replica is up.
 *
 * Rows are object ids, whatever the class: a write class and a read class
 * with the same `objects` read and write the same rows.
 *
 * Replication lag: each read at a replica sees the data as it was `lag` ago
 * (drawn per read from `replication_lag`); the read is stale when its
 * object was written within that window. For Poisson writes of rate w to an
 * object and exponential lag of mean L, P(stale) = wL / (1 + wL).
 *
 * Faults: `{target: database.N, fault: replica_failure, duration: D}`
 * takes replica N (1-based) down for D (default: to the end): its queued
 * reads fail at once, the ones already executing finish, new reads go to
 * the others.
 *
 * Connection pools: each pod of the service that sent the query (the last
 * service on its route) has a pool of `pool_size` connections. A query
 * takes one for its whole round trip (to the server, its queue, its
 * execution, back); waiting for one is latency, waiting past
 * `pool_timeout` is an error; a connection the server would count beyond
 * `max_connections` (all pools together) is refused ("too many clients").
 * Pools are made when a pod first queries (not per event). A query that
 * times out is failed at once and left in the pool's queue, skipped when it
 * comes up (the queue is never scanned).
 *
 * Query cache (the fourth cache layer): with `query_cache.ttl` > 0, a read
 * whose row's result is cached (at the server it reached, one cache per
 * server) is answered without executing; a miss executes and caches the
 * result for the ttl (set on miss; `size` bytes each, LRU within
 * `capacity`). A write at the primary invalidates the row's entry at
 * every server.
 *
 * Not modelled yet: a primary failure. */
#ifndef MODELS_DATABASE_H
#define MODELS_DATABASE_H

#include "models/lb.h"
#include "sim/dist.h"
#include "sim/station.h"

#define DB_MAX_REPLICAS 16

typedef struct db_failure {
    simtime_t at, duration;
    int replica;                /* 1-based */
} db_failure_t;

typedef struct db_cfg {
    int replicas, cores, queue_capacity;
    int pool_size;              /* connections per pod (0: no pools) */
    simtime_t query_cache_ttl;  /* the query cache (0: none) */
    int64_t query_cache_b;
    simtime_t pool_timeout;
    int max_connections;
    dist_t read_time, write_time, lag;
    simtime_t rtt;
    const lb_kind_t *policy;
    db_failure_t *failures;
    size_t nfailures;
} db_cfg_t;

extern const station_kind_t station_database;

#endif
