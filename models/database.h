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
 * round_robin, least_connections, random, power_of_two; or nearest, below)
 * and take `read_time`, or to the primary when no replica is up.
 *
 * Servers are numbered 0 (the primary as configured) to `replicas`; the
 * numbers stay with the servers when roles change (a failover), and so do
 * the metrics named after them (`primary.utilization` is server 0's,
 * `replicas.N.utilization` server N's, whatever it serves).
 *
 * Locations: the pods run at the origin (`regions.origin`); server 0 is
 * there, and replica N at `replica_locations[N-1]` (default: the origin).
 * A query to a server away from the origin crosses, on top of `rtt`, the
 * network RTT between the origin and the server's location (models/geo.h,
 * `regions.network`), half each way; a server at the origin adds nothing
 * (`rtt` is the in-cluster round trip, not the metro's local_rtt). Without
 * `regions:` everything is at one place and no server adds anything.
 * `read_policy: nearest` reads at the healthy replica with the smallest
 * such RTT, ties (equal integer nanoseconds) in turn, so with every replica
 * at the origin it is round_robin. The RTTs and the order of the servers
 * by RTT are computed at init; a pick scans that order, O(replicas).
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
 * takes server N (1-based) down for D (default: to the end): its queued
 * reads fail at once, the ones already executing finish, new reads go to
 * the others. (Should server N be the primary by then, after a failover,
 * writes fail until it is back: a replica_failure starts no failover.)
 *
 * `{target: database, fault: primary_failure, duration: D}` (or target
 * `database.primary`) kills the server that is the primary at `at`:
 *  - the queries queued or executing there fail at once (their errors
 *    travel back to the pods, half the server's round trip);
 *  - writes fail from then on: they cross to the dead server and their
 *    error comes back, a round trip after they were sent (a refused
 *    connection, not a timeout); reads go on at the replicas;
 *  - `failover_time` after `at` (default 30 s, Patroni's default leader
 *    `ttl`, the time before it starts a failover; AWS quotes 60-120 s for
 *    RDS Multi-AZ instances and under 35 s for Multi-AZ DB clusters) the
 *    lowest-numbered healthy server other than the primary is promoted: it
 *    takes the writes and stops taking replica reads (the reads queued at
 *    it still run there); reads go to the other replicas, or to the new
 *    primary when none is left. With no healthy replica then, nothing is
 *    promoted and writes fail until the fault ends (a replica that recovers
 *    later is not promoted);
 *  - when D ends (default: never) the server comes back: as a replica when
 *    another was promoted, else as the primary again.
 * A primary_failure at a time there is no primary (one is down, not yet
 * replaced) does nothing. Each step is a row of events.csv (object
 * database.N/primary or /replica, N the server's number). With a
 * primary_failure scheduled the results add `database.primary_failovers`
 * (promotions after warm-up), `database.writes_failed` (measured writes
 * that failed, any cause) and `database.primary_unavailable_s` (time after
 * warm-up with no primary to write to).
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
 * every server. */
#ifndef MODELS_DATABASE_H
#define MODELS_DATABASE_H

#include "models/lb.h"
#include "models/cost.h"
#include "sim/dist.h"
#include "sim/station.h"

#define DB_MAX_REPLICAS 16

typedef struct db_failure {
    simtime_t at, duration;
    int replica;                /* 1-based; 0: a primary_failure */
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
    const lb_kind_t *policy;    /* NULL: read_policy nearest */
    simtime_t failover_time;
    /* replica_locations: geo index of server i (1..replicas); -1: the origin */
    int loc[DB_MAX_REPLICAS + 1];
    bool locs_given;
    size_t nlocs;               /* as given (checked against replicas) */
    srcpos_t locs_pos, *loc_pos;
    db_failure_t *failures;
    size_t nfailures, nprimary_failures;
} db_cfg_t;

extern const station_kind_t station_database;

/* The connection pools a database station (its state) keeps now: those of
 * pods that exist, and of gone pods with queries in flight (for tests: they
 * do not grow with the pods a run has made). */
size_t database_pools_kept(const station_t *st);
/* What the servers cost for `hours`: the primary and each replica, a node
 * each at price->db_node_hour (cost.database_usd: the measured hours; the
 * viewer's live cost: 1 h). */
double database_cost_usd(const db_cfg_t *c, const cost_cfg_t *price, double hours);

#endif
