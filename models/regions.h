/* regions: where users are and how far apart (the scenario's `regions:`).
 *
 * The world is the plan's nine edge locations (models/geo.h). A scenario
 * with `regions:` puts its users in some of them, each with a share of the
 * traffic, a UTC offset (the location's standard time unless given) and the
 * diurnal curve; the origin cluster (every service) runs in `origin`.
 *
 * Traffic. Region r offers share_r x diurnal(local hour of r) of the
 * traffic's rate, so the day's peaks travel around the globe and the total
 * still averages `traffic.rate` over a day (each curve has mean 1 and the
 * shares sum to 1: shares that do not are an error, not normalised).
 *
 * Network. The round-trip time between two locations comes from their
 * great-circle distance (geo_rtt_ms: fibre factor, fixed per-leg overhead,
 * local RTT on the diagonal; `network:`), or, with `network.model: matrix`,
 * only from `rtt:`, which must then give every pair of the locations the
 * run uses. `rtt:` entries override the model in either case (symmetric).
 * A request's latency includes every leg it crosses: user to edge, edge to
 * origin, and back (models/cdn.c).
 *
 * Routing (used by the CDN): `geo_dns` sends a user to the edge that DNS
 * named when the client resolved, up to `dns_ttl` ago (a client's cached
 * record has an age uniform over the TTL), so for a TTL after an edge dies
 * some of its users still go there and fail; `anycast` always reaches the
 * nearest healthy edge. */
#ifndef MODELS_REGIONS_H
#define MODELS_REGIONS_H

#include <stdbool.h>
#include <stdint.h>

#include "models/geo.h"
#include "sim/params.h"
#include "sim/simtime.h"

enum { ROUTING_GEO_DNS, ROUTING_ANYCAST };
enum { NETWORK_GREAT_CIRCLE, NETWORK_MATRIX };

typedef struct regions_cfg {
    bool enabled;               /* `regions:` present */
    int origin;                 /* geo index of the origin cluster */
    const char *origin_name;
    int routing;
    simtime_t dns_ttl;
    simtime_t dead_edge_timeout;/* a request sent to a dead edge fails after this */
    geo_rtt_params_t net;
    int model;
    /* users: nusers regions, in file order */
    int nusers;
    int user_loc[GEO_NLOCATIONS];       /* geo index */
    double share[GEO_NLOCATIONS];
    double utc_offset[GEO_NLOCATIONS];
    srcpos_t user_pos[GEO_NLOCATIONS];
    simtime_t start_utc;        /* the UTC time of day at time 0 */
    bool diurnal;               /* rates follow the curve */
    double curve[24];           /* mean 1 */
    /* the RTT matrix of the nine locations, ms */
    double rtt[GEO_NLOCATIONS * GEO_NLOCATIONS];
    bool rtt_given[GEO_NLOCATIONS * GEO_NLOCATIONS];
    srcpos_t pos;
    srcpos_t rtt_pos;           /* of `rtt:` (pos when absent) */
} regions_cfg_t;

extern const param_table_t regions_table;

/* The P_CUSTOM decoder of `regions:` (obj + p->offset is a regions_cfg_t). */
int regions_decode(const param_t *p, cfg_node_t *node, void *obj, pctx_t *ctx, const char *path);
/* Completes the RTT matrix once the locations in use are known (users,
 * origin and the edges given, a mask over geo indices): with the matrix
 * model every pair among them must be given. 0 or the number of errors. */
int regions_check_rtt(regions_cfg_t *c, const bool *used, diag_t *d);

/* RTT in ns between locations a and b. */
static inline simtime_t regions_rtt(const regions_cfg_t *c, int a, int b)
{
    return (simtime_t)(c->rtt[a * GEO_NLOCATIONS + b] * 1e6 + 0.5);
}

/* The weight of user region i at time t: share x diurnal (x 1 without). */
double regions_weight(const regions_cfg_t *c, int i, simtime_t t);
/* The largest weight sum over a day (a bound for thinning). */
double regions_weight_max(const regions_cfg_t *c);

#endif
