/* cdn: geo routing to CDN edges, one cache per edge, and the network legs
 * of a request between its user, its edge and the origin (the station kind
 * "cdn", the scenario's `cdn:`; implied, with every default, by `regions:`).
 *
 * A request from user region u reaches an edge e (regions.routing: the
 * nearest healthy one, by RTT; under geo_dns, the one DNS named when the
 * client last resolved, up to dns_ttl ago: each client re-resolves every
 * TTL at a phase of its own, so after an edge dies its users keep going
 * there for up to a TTL and those requests fail after
 * regions.dead_edge_timeout). The user-edge leg costs half the RTT each way.
 * At the edge, a request whose class the rules make cacheable is looked up
 * (key: class and object): a fresh hit is answered there; a miss or a stale
 * entry goes on to the origin (half the edge-origin RTT each way) and the
 * reply fills the cache on its way back. Other classes pass through. With
 * `edges: []` there is no CDN: requests go straight to the origin (half the
 * user-origin RTT each way).
 *
 * Cacheable: GET and HEAD only; a `private` class never; a `static` class
 * for edge_cache_ttl (the plan's zone setting, 2 h); otherwise the first
 * rule whose path glob (fnmatch) matches the class's path pattern, for its
 * ttl (the plan's apiRules by default: paths under /api/public/ 300 s,
 * under /api/courses/ 1800 s, GET); no rule: not cached (user-specific
 * content).
 *
 * Each edge's cache is models/cache.c (TTL set on fill, or refreshed on hit,
 * `ttl_mode`; optional capacity in bytes, LRU). Purges at scheduled times
 * remove the classes a path glob or a surrogate key names, at every edge;
 * an outage takes an edge down for a while (its cache survives: a CDN
 * edge's disk is not lost in a routing outage). Both are rows of
 * events.csv. Hit ratios count measured requests the layer could have
 * answered (cacheable ones); others are `bypass`.
 *
 * Faults (the scenario's `faults:`) add to these: `outage` (cdn.EDGE) and
 * `purge` (cdn) as above; `origin_outage` (cdn): the origin, the cluster at
 * regions.origin, is unreachable for a while; `region_outage` (cdn.LOCATION):
 * everything of the CDN's in that location is down, its edge (as `outage`)
 * and the origin if it is there (as `origin_outage`); a location with
 * neither is an error. While the origin is down, edges still answer fresh
 * hits; a request that must reach the origin (a miss, a stale entry, an
 * uncacheable class, or any request when there are no edges) crosses the
 * leg to it, has its connection refused there and is answered with an
 * error when the refusal is back at the edge (or the user): after the
 * leg's round trip, without visiting the services. No stale entry is served
 * on that error: Cloudflare serves stale content on origin errors only with
 * Always Online or stale-if-error, which this model does not have. Those
 * requests count as failed, and as cache.cdn.origin_errors. Overlapping
 * outages of one edge, or of the origin, compose: it is down while any is
 * active; each change of its state is a row of events.csv
 * (`cdn.LOCATION/edge`, `cdn.LOCATION/origin`). The origin's state is a flag
 * updated by its outages' events, so a request checks one bool.
 *
 * Simplifications: the edge is chosen when the request leaves the user; one
 * already on its way when its edge goes down is still served there. A fetch
 * that missed before a purge and returns after it fills the cache with what
 * the origin sent (the purge does not chase requests in flight). The origin
 * refuses a request when it reaches it: one already inside the origin when
 * an outage starts is answered (its reply is not lost on the way back). */
#ifndef MODELS_CDN_H
#define MODELS_CDN_H

#include <stdbool.h>
#include <stdint.h>

#include "models/cache.h"
#include "models/geo.h"
#include "models/traffic.h"
#include "sim/params.h"
#include "sim/station.h"

typedef struct cdn_rule {
    const char *path;
    int method;                 /* -1: GET and HEAD */
    simtime_t ttl;
    srcpos_t pos;
} cdn_rule_t;

typedef struct cdn_purge {
    simtime_t at;
    const char *path;           /* glob over class paths, or NULL */
    const char *surrogate_key;  /* or a class's surrogate key */
    uint32_t classes;           /* resolved: the classes it removes (bit k) */
    srcpos_t pos;
} cdn_purge_t;

/* An outage of an edge (in `outages`) or of the origin (`origin_outages`). */
typedef struct cdn_outage {
    const char *edge;           /* the edge's location (the origin's: unused) */
    simtime_t at, duration;
    int slot;                   /* resolved: index into edges (origin: -1) */
    srcpos_t pos;
    bool region;                /* from a region_outage fault (its events say so) */
} cdn_outage_t;

typedef struct cdn_cfg {
    const char **edge_names;    /* as given (NULL: all nine) */
    srcpos_t *edge_pos;
    size_t nedge_names;
    bool edges_given;
    int nedges;
    int edge_loc[GEO_NLOCATIONS];   /* geo index of each edge */
    int64_t capacity_b;
    int ttl_mode;
    simtime_t edge_cache_ttl;
    cdn_rule_t *rules;
    size_t nrules;
    bool rules_given;
    cdn_purge_t *purges;
    size_t npurges;
    cdn_outage_t *outages;
    size_t noutages;
    cdn_outage_t *origin_outages;   /* faults: origin_outage, region_outage at the origin */
    size_t norigin_outages;
    srcpos_t pos;
    /* resolved against traffic and regions */
    simtime_t class_ttl[TRAFFIC_MAX_CLASSES];   /* 0: not cacheable */
    /* per user region, the edges by increasing RTT (slots) */
    int order[GEO_NLOCATIONS * GEO_NLOCATIONS];
} cdn_cfg_t;

extern const station_kind_t station_cdn;

#endif
