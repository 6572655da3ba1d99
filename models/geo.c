/* geo: locations, RTT matrix, nearest-healthy routing, diurnal curve.
 * The model and its constants are described in geo.h. */
#include "models/geo.h"

#include <math.h>
#include <string.h>

#define DEG (3.14159265358979323846 / 180.0)

/* City centres; standard-time UTC offsets (SAST +2, EAT +3, GMT 0, CET +1,
 * EST -5, SGT +8, AEST +10, BRT -3). */
static const geo_location_t locations[GEO_NLOCATIONS] = {
    { "johannesburg", -26.2041,  28.0473, GEO_TIER_PRIMARY,    2.0 },
    { "cape-town",    -33.9249,  18.4241, GEO_TIER_PRIMARY,    2.0 },
    { "nairobi",       -1.2921,  36.8219, GEO_TIER_PRIMARY,    3.0 },
    { "london",        51.5074,  -0.1278, GEO_TIER_SECONDARY,  0.0 },
    { "frankfurt",     50.1109,   8.6821, GEO_TIER_SECONDARY,  1.0 },
    { "new-york",      40.7128, -74.0060, GEO_TIER_SECONDARY, -5.0 },
    { "singapore",      1.3521, 103.8198, GEO_TIER_TERTIARY,   8.0 },
    { "sydney",       -33.8688, 151.2093, GEO_TIER_TERTIARY,  10.0 },
    { "sao-paulo",    -23.5505, -46.6333, GEO_TIER_TERTIARY,  -3.0 },
};

const geo_location_t *geo_location(int i)
{
    return i >= 0 && i < GEO_NLOCATIONS ? &locations[i] : NULL;
}

int geo_find(const char *name)
{
    for (int i = 0; i < GEO_NLOCATIONS; i++)
        if (strcmp(locations[i].name, name) == 0)
            return i;
    return -1;
}

const char *geo_valid_names(void)
{
    return "johannesburg, cape-town, nairobi, london, frankfurt, new-york, "
           "singapore, sydney, sao-paulo";
}

const char *geo_tier_name(geo_tier_t t)
{
    switch (t) {
    case GEO_TIER_PRIMARY: return "primary";
    case GEO_TIER_SECONDARY: return "secondary";
    case GEO_TIER_TERTIARY: return "tertiary";
    }
    return "?";
}

/* Haversine: hav(c) = hav(dlat) + cos lat1 cos lat2 hav(dlon), d = R c.
 * Well conditioned for small distances (unlike the spherical law of
 * cosines); h is clamped to [0, 1] against rounding near antipodes. */
double geo_distance_km(double lat1, double lon1, double lat2, double lon2)
{
    double p1 = lat1 * DEG, p2 = lat2 * DEG;
    double sp = sin((p2 - p1) / 2.0), sl = sin((lon2 - lon1) * DEG / 2.0);
    double h = sp * sp + cos(p1) * cos(p2) * sl * sl;
    if (h > 1.0)
        h = 1.0;
    return 2.0 * GEO_EARTH_RADIUS_KM * asin(sqrt(h));
}

geo_rtt_params_t geo_rtt_params_default(void)
{
    geo_rtt_params_t p = GEO_RTT_PARAMS_DEFAULT;
    return p;
}

static bool finite_at_least(double x, double lo)
{
    return isfinite(x) && x >= lo;
}

int geo_rtt_params_check(const geo_rtt_params_t *p)
{
    return finite_at_least(p->fibre_factor, 1.0) && finite_at_least(p->per_hop_ms, 0.0)
        && finite_at_least(p->hops, 0.0) && finite_at_least(p->local_rtt_ms, 0.0) ? 0 : -1;
}

double geo_rtt_ms(double d_km, const geo_rtt_params_t *p)
{
    return 2.0 * d_km * p->fibre_factor / GEO_FIBRE_KM_PER_MS + p->per_hop_ms * p->hops;
}

int geo_rtt_matrix(double *rtt, int n, const double *lat, const double *lon,
                   const geo_rtt_params_t *p)
{
    if (n < 1 || geo_rtt_params_check(p) != 0)
        return -1;
    for (int i = 0; i < n; i++)
        if (!(lat[i] >= -90.0 && lat[i] <= 90.0 && lon[i] >= -180.0 && lon[i] <= 180.0))
            return -1;
    for (int i = 0; i < n; i++) {
        rtt[i * n + i] = p->local_rtt_ms;
        for (int j = i + 1; j < n; j++) {
            double ms = geo_rtt_ms(geo_distance_km(lat[i], lon[i], lat[j], lon[j]), p);
            rtt[i * n + j] = rtt[j * n + i] = ms;
        }
    }
    return 0;
}

int geo_rtt_builtin(double rtt[GEO_NLOCATIONS * GEO_NLOCATIONS], const geo_rtt_params_t *p)
{
    double lat[GEO_NLOCATIONS], lon[GEO_NLOCATIONS];
    for (int i = 0; i < GEO_NLOCATIONS; i++) {
        lat[i] = locations[i].lat;
        lon[i] = locations[i].lon;
    }
    return geo_rtt_matrix(rtt, GEO_NLOCATIONS, lat, lon, p);
}

int geo_rtt_set(double *rtt, int n, int i, int j, double ms)
{
    if (i < 0 || i >= n || j < 0 || j >= n || !finite_at_least(ms, 0.0))
        return -1;
    rtt[i * n + j] = rtt[j * n + i] = ms;
    return 0;
}

int geo_nearest(const double *rtt_row, const bool *healthy, int n)
{
    int best = -1;
    for (int j = 0; j < n; j++)
        if (healthy[j] && (best < 0 || rtt_row[j] < rtt_row[best]))
            best = j;
    return best;
}

int geo_order_build(int *order, const double *rtt, int n)
{
    if (n < 1)
        return -1;
    for (int i = 0; i < n; i++) {
        const double *row = rtt + (size_t)i * (size_t)n;
        int *o = order + (size_t)i * (size_t)n;
        /* insertion sort by (rtt, index): j enters in increasing order and
         * moves only past strictly larger RTTs, so ties keep index order */
        for (int j = 0; j < n; j++) {
            int k = j;
            while (k > 0 && row[o[k - 1]] > row[j]) {
                o[k] = o[k - 1];
                k--;
            }
            o[k] = j;
        }
    }
    return 0;
}

int geo_order_kth(const int *order_row, const bool *healthy, int n, int k)
{
    for (int r = 0; r < n; r++)
        if (healthy[order_row[r]] && k-- == 0)
            return order_row[r];
    return -1;
}

/* A typical web-traffic day by local hour (requests relative to the daily
 * mean): trough 0.44 at 04:00, a morning ramp, a plateau with a small dip
 * after lunch, the peak 1.52 at 20:00 (peak/trough 3.45), falling off to
 * midnight. The 24 points sum to 24 exactly (as decimals), so the mean of
 * the piecewise-linear curve is 1. The shape is the common one of
 * consumer-facing services (evening peak at home, night trough); a
 * scenario with measured hourly counts should pass its own curve. */
static const double diurnal_builtin[24] = {
    1.00, 0.78, 0.62, 0.50, 0.44, 0.47,     /* 00-05 */
    0.56, 0.72, 0.88, 1.00, 1.07, 1.11,     /* 06-11 */
    1.13, 1.10, 1.08, 1.07, 1.09, 1.15,     /* 12-17 */
    1.25, 1.40, 1.52, 1.49, 1.37, 1.20,     /* 18-23 */
};

const double *geo_diurnal_builtin(void)
{
    return diurnal_builtin;
}

double geo_diurnal(double local_hour, const double *curve24)
{
    if (!isfinite(local_hour))
        return NAN;
    const double *c = curve24 ? curve24 : diurnal_builtin;
    double h = fmod(local_hour, 24.0);
    if (h < 0.0)
        h += 24.0;
    int i = (int)h;             /* 0..24: h + 24 may round up to 24.0 */
    if (i >= 24) {
        i = 0;
        h = 0.0;
    }
    double f = h - i;
    return c[i] + f * (c[(i + 1) % 24] - c[i]);
}

int geo_diurnal_normalise(double curve24[24])
{
    double sum = 0.0;
    for (int i = 0; i < 24; i++) {
        if (!finite_at_least(curve24[i], 0.0))
            return -1;
        sum += curve24[i];
    }
    if (!(sum > 0.0) || !isfinite(sum))
        return -1;
    double scale = 24.0 / sum;
    for (int i = 0; i < 24; i++)
        curve24[i] *= scale;
    return 0;
}

double geo_local_hour(simtime_t t, double utc_offset_h)
{
    const simtime_t day = 86400 * SIM_S;
    simtime_t r = t % day;              /* exact: keeps precision for long runs */
    if (r < 0)
        r += day;
    double h = fmod((double)r / (3600.0 * (double)SIM_S) + utc_offset_h, 24.0);
    if (h < 0.0)
        h += 24.0;
    if (h >= 24.0)                      /* -tiny + 24 rounds to 24 */
        h = 0.0;
    return h;
}
