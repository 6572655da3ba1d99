/* geo: the platform's edge locations, the round-trip times between them,
 * nearest-healthy routing and the daily traffic curve.
 *
 * Locations. The scaling plan names nine CDN edge locations in three tiers:
 * primary johannesburg, cape-town, nairobi; secondary london, frankfurt,
 * new-york; tertiary singapore, sydney, sao-paulo (the scenario spellings:
 * lower case, '-' between words). Coordinates are the cities' centres in
 * degrees (north and east positive); the UTC offset is the standard-time
 * offset in hours (daylight saving is ignored: a diurnal curve is a shape,
 * an hour's shift in half the year is within its uncertainty).
 *
 * Round-trip time between two distinct locations, in milliseconds:
 *
 *     rtt = 2 * d * fibre_factor / GEO_FIBRE_KM_PER_MS + per_hop_ms * hops
 *
 * d the great-circle distance (haversine on a sphere of radius 6371.0 km,
 * the mean Earth radius; the spheroid changes distances by at most 0.5%).
 * Light in fibre travels at c / n, n ~ 1.47, about 200 km per ms.
 * fibre_factor (default 1.5) is the route inflation, fibre path length over
 * great-circle length. Measured values: Bozkurt et al., "Dissecting latency
 * in the Internet's fiber infrastructure" (arXiv 1811.10737, 2018) quote the
 * rule of thumb of earlier campaigns, Internet latency ~ 2.1 x line-of-sight
 * distance at fibre speed (that includes routing policy and queueing), and
 * find shortest paths through the US long-haul conduits at 1.3 x in the
 * median; Subramanian et al. (USENIX 2002) find the inflation falls as the
 * distance grows. 1.5 sits between, for long-haul paths between major hubs.
 * per_hop_ms * hops (default 2 ms x 5 = 10 ms) is the fixed part: routers,
 * exchanges and the user's last mile. Its default equals local_rtt_ms, so
 * the RTT to a nearby metro tends to the RTT in one's own as d -> 0.
 * local_rtt_ms (default 10 ms) is the RTT of a location to itself: a user
 * to the edge in its own metro, last mile included. Defaults give, e.g.,
 * johannesburg-cape-town 28.9 ms, london-new-york 93.6 ms,
 * johannesburg-london 146.0 ms, london-sydney 264.9 ms; measured pairs can
 * replace any entry (geo_rtt_set).
 *
 * Routing: a source sends to the healthy destination with the smallest RTT
 * (ties to the lowest index). geo_order_build() sorts every source's
 * destinations by RTT once; then the nearest healthy one is the first
 * healthy entry of the row, found by a scan that stops at the first hit.
 *
 * Diurnal curve: a multiplier of the mean request rate by local hour, mean
 * 1 over 24 hours, piecewise linear between 24 hourly points, periodic. */
#ifndef MODELS_GEO_H
#define MODELS_GEO_H

#include <stdbool.h>
#include "sim/simtime.h"

#define GEO_NLOCATIONS 9
#define GEO_EARTH_RADIUS_KM 6371.0
#define GEO_FIBRE_KM_PER_MS 200.0

typedef enum geo_tier {
    GEO_TIER_PRIMARY = 1,
    GEO_TIER_SECONDARY = 2,
    GEO_TIER_TERTIARY = 3
} geo_tier_t;

typedef struct geo_location {
    const char *name;       /* scenario spelling */
    double lat, lon;        /* degrees */
    geo_tier_t tier;
    double utc_offset_h;    /* standard time, hours east of UTC */
} geo_location_t;

typedef struct geo_rtt_params {
    double fibre_factor;    /* fibre route length / great-circle length, >= 1 */
    double per_hop_ms;      /* fixed RTT cost of one leg, ms, >= 0 */
    double hops;            /* legs per inter-location RTT, >= 0 */
    double local_rtt_ms;    /* RTT of a location to itself, ms, >= 0 */
} geo_rtt_params_t;

#define GEO_RTT_PARAMS_DEFAULT { 1.5, 2.0, 5.0, 10.0 }

/* Location i of the built-in table, i in [0, GEO_NLOCATIONS); NULL outside. */
const geo_location_t *geo_location(int i);
/* Index of the location spelled `name`, or -1. */
int geo_find(const char *name);
/* "johannesburg, cape-town, ..., sao-paulo": for "valid: ..." messages. */
const char *geo_valid_names(void);
/* "primary", "secondary", "tertiary"; "?" for another value. */
const char *geo_tier_name(geo_tier_t t);

/* Great-circle distance in km between two points given in degrees. */
double geo_distance_km(double lat1, double lon1, double lat2, double lon2);
/* The default parameters (GEO_RTT_PARAMS_DEFAULT). */
geo_rtt_params_t geo_rtt_params_default(void);
/* 0 when every parameter is finite and in its range above, else -1. */
int geo_rtt_params_check(const geo_rtt_params_t *p);
/* RTT in ms between distinct locations d km apart (the formula above). */
double geo_rtt_ms(double d_km, const geo_rtt_params_t *p);
/* Fills the n x n row-major matrix rtt[i*n + j] from coordinates in
 * degrees: symmetric, local_rtt_ms on the diagonal. Returns -1 (rtt
 * untouched) when n < 1, p fails geo_rtt_params_check or a latitude is
 * outside [-90, 90] or a longitude outside [-180, 180]; else 0. */
int geo_rtt_matrix(double *rtt, int n, const double *lat, const double *lon,
                   const geo_rtt_params_t *p);
/* geo_rtt_matrix() over the built-in table, in its order. */
int geo_rtt_builtin(double rtt[GEO_NLOCATIONS * GEO_NLOCATIONS], const geo_rtt_params_t *p);
/* Sets rtt[i][j] and rtt[j][i] to ms (a measured value); i == j sets the
 * diagonal entry. Returns -1 (nothing changed) for an index outside [0, n)
 * or ms negative or not finite. */
int geo_rtt_set(double *rtt, int n, int i, int j, double ms);

/* The healthy destination with the smallest rtt_row[j], ties to the lowest
 * j; -1 when none is healthy. O(n). */
int geo_nearest(const double *rtt_row, const bool *healthy, int n);
/* Fills order[i*n + 0..n-1] with the destinations of source i sorted by
 * rtt[i*n + j], ties by j (a stable insertion sort, O(n^2) per row: built
 * once). Returns -1 for n < 1, else 0. */
int geo_order_build(int *order, const double *rtt, int n);
/* The k-th (0-based) healthy destination in a row of geo_order_build(),
 * or -1 when fewer than k + 1 are healthy. k = 0 is geo_nearest(). The scan
 * stops at the (k+1)-th healthy entry, so while most sites are up it takes
 * O(k + 1) steps. */
int geo_order_kth(const int *order_row, const bool *healthy, int n, int k);

/* The built-in curve's 24 hourly points (00:00 .. 23:00 local), mean 1. */
const double *geo_diurnal_builtin(void);
/* The multiplier at local_hour (any finite value; taken modulo 24) of the
 * hourly curve24 (NULL: built-in), linear between the points, 23:00 joined
 * to 00:00. NaN for a non-finite hour. The curve's mean over 24 h is the
 * mean of its 24 points; use geo_diurnal_normalise() to make it 1. */
double geo_diurnal(double local_hour, const double *curve24);
/* Scales curve24 in place to mean 1: 0, or -1 (unchanged) when a point is
 * negative or not finite or all are 0. */
int geo_diurnal_normalise(double curve24[24]);
/* Local hour in [0, 24) at simulated time t (t = 0 is 00:00 UTC) at a
 * location utc_offset_h hours east of UTC; negative t and offsets wrap.
 * NaN for a non-finite offset. */
double geo_local_hour(simtime_t t, double utc_offset_h);

#endif
