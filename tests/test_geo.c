/* Unit tests of models/geo (locations, distances, RTT matrix, routing,
 * diurnal curve).
 *
 * Hand computations (coordinates of geo.c, R = 6371.0 km, haversine
 * h = sin^2(dlat/2) + cos lat1 cos lat2 sin^2(dlon/2), d = 2 R asin(sqrt h)):
 *
 *   london (51.5074, -0.1278) - new-york (40.7128, -74.0060):
 *     dlat = -10.7946, dlon = -73.8782 degrees;
 *     sin^2(dlat/2) = 0.00884755, cos cos = 0.47178240,
 *     sin^2(dlon/2) = 0.36115990, h = 0.17923643,
 *     2 asin(sqrt h) = 0.87430893 rad, d = 5570.2222 km.
 *   johannesburg (-26.2041, 28.0473) - cape-town (-33.9249, 18.4241):
 *     dlat = -7.7208, dlon = -9.6232; sin^2(dlat/2) = 0.00453275,
 *     cos cos = 0.74449170, sin^2(dlon/2) = 0.00703579, h = 0.00977084,
 *     0.19801845 rad, d = 1261.5756 km (road maps say ~1270 km between
 *     the cities; this is centre to centre on the sphere).
 *   johannesburg - nairobi: h = 0.05177128, d = 2924.8435 km.
 *   Checked to 0.01 km: the values above carry four decimals.
 *
 *   RTT johannesburg - cape-town, defaults: 2 x 1261.5756 x 1.5 / 200
 *     + 2 x 5 = 18.9236 + 10 = 28.9236 ms; with fibre_factor 1 and no
 *     hops: 12.6158 ms.
 *
 * Diurnal: the curve is piecewise linear between integer hours, so the
 * trapezoid rule on any grid containing the integers integrates it exactly;
 * its mean over [0, 24] must be 1 to 1e-9 (rounding only). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdbool.h>
#include <string.h>

#include "models/geo.h"

#define N GEO_NLOCATIONS

static void assert_near(double got, double want, double tol)
{
    if (!(fabs(got - want) <= tol))
        fail_msg("got %.10g, want %.10g (tolerance %g)", got, want, tol);
}

static void test_table(void **state)
{
    (void)state;
    static const char *const names[N] = {
        "johannesburg", "cape-town", "nairobi", "london", "frankfurt", "new-york",
        "singapore", "sydney", "sao-paulo"
    };
    static const geo_tier_t tiers[N] = {
        GEO_TIER_PRIMARY, GEO_TIER_PRIMARY, GEO_TIER_PRIMARY,
        GEO_TIER_SECONDARY, GEO_TIER_SECONDARY, GEO_TIER_SECONDARY,
        GEO_TIER_TERTIARY, GEO_TIER_TERTIARY, GEO_TIER_TERTIARY
    };
    static const double offsets[N] = { 2, 2, 3, 0, 1, -5, 8, 10, -3 };
    for (int i = 0; i < N; i++) {
        const geo_location_t *l = geo_location(i);
        assert_non_null(l);
        assert_string_equal(l->name, names[i]);
        assert_int_equal(l->tier, tiers[i]);
        assert_true(l->utc_offset_h == offsets[i]);
        assert_true(l->lat >= -90 && l->lat <= 90 && l->lon >= -180 && l->lon <= 180);
        assert_int_equal(geo_find(names[i]), i);
        assert_non_null(strstr(geo_valid_names(), names[i]));
    }
    assert_null(geo_location(-1));
    assert_null(geo_location(N));
    assert_int_equal(geo_find("Johannesburg"), -1);
    assert_int_equal(geo_find("sao_paulo"), -1);
    assert_int_equal(geo_find(""), -1);
    assert_string_equal(geo_tier_name(GEO_TIER_PRIMARY), "primary");
    assert_string_equal(geo_tier_name(GEO_TIER_SECONDARY), "secondary");
    assert_string_equal(geo_tier_name(GEO_TIER_TERTIARY), "tertiary");
}

static double dist(const char *a, const char *b)
{
    const geo_location_t *x = geo_location(geo_find(a)), *y = geo_location(geo_find(b));
    assert_non_null(x);
    assert_non_null(y);
    return geo_distance_km(x->lat, x->lon, y->lat, y->lon);
}

static void test_distance(void **state)
{
    (void)state;
    const double pi = 3.14159265358979323846, r = GEO_EARTH_RADIUS_KM;
    assert_near(dist("london", "new-york"), 5570.2222, 0.01);
    assert_near(dist("new-york", "london"), 5570.2222, 0.01);
    assert_near(dist("johannesburg", "cape-town"), 1261.5756, 0.01);
    assert_near(dist("johannesburg", "nairobi"), 2924.8435, 0.01);
    assert_near(dist("sydney", "sydney"), 0.0, 1e-9);
    /* closed forms: a quarter meridian, antipodes, one degree of equator */
    assert_near(geo_distance_km(0, 0, 90, 0), pi * r / 2, 1e-9);
    assert_near(geo_distance_km(0, 0, 0, 180), pi * r, 1e-9);
    assert_near(geo_distance_km(-33.9, 18.4, 33.9, -161.6), pi * r, 1e-6);
    assert_near(geo_distance_km(0, 10, 0, 11), pi * r / 180, 1e-9);
    /* across the date line: 179.5 E to 179.5 W is one degree */
    assert_near(geo_distance_km(0, 179.5, 0, -179.5), pi * r / 180, 1e-9);
}

static void test_rtt_matrix(void **state)
{
    (void)state;
    geo_rtt_params_t p = geo_rtt_params_default();
    assert_true(p.fibre_factor == 1.5 && p.per_hop_ms == 2.0 && p.hops == 5.0
                && p.local_rtt_ms == 10.0);
    double m[N * N];
    assert_int_equal(geo_rtt_builtin(m, &p), 0);
    for (int i = 0; i < N; i++) {
        assert_true(m[i * N + i] == 10.0);
        for (int j = 0; j < N; j++) {
            assert_true(m[i * N + j] == m[j * N + i]);
            if (i != j)             /* beyond the local RTT: d > 0 */
                assert_true(m[i * N + j] > 10.0);
        }
    }
    int jnb = geo_find("johannesburg"), cpt = geo_find("cape-town");
    int lon = geo_find("london"), nyc = geo_find("new-york");
    assert_near(m[jnb * N + cpt], 28.9236, 1e-3);
    assert_near(geo_rtt_ms(1261.5756, &p), 28.9236, 1e-3);
    assert_near(m[lon * N + nyc], 2 * 5570.2222 * 1.5 / 200 + 10, 1e-3);

    /* propagation only */
    geo_rtt_params_t q = { 1.0, 0.0, 0.0, 3.0 };
    assert_int_equal(geo_rtt_builtin(m, &q), 0);
    assert_near(m[cpt * N + jnb], 12.6158, 1e-3);
    assert_true(m[lon * N + lon] == 3.0);

    /* a measured pair replaces both directions; the rest is unchanged */
    double before[N * N];
    memcpy(before, m, sizeof m);
    assert_int_equal(geo_rtt_set(m, N, jnb, lon, 160.0), 0);
    assert_true(m[jnb * N + lon] == 160.0 && m[lon * N + jnb] == 160.0);
    assert_int_equal(geo_rtt_set(m, N, nyc, nyc, 4.0), 0);
    assert_true(m[nyc * N + nyc] == 4.0);
    int changed = 0;
    for (int k = 0; k < N * N; k++)
        changed += m[k] != before[k];
    assert_int_equal(changed, 3);
    memcpy(before, m, sizeof m);
    assert_int_equal(geo_rtt_set(m, N, -1, 0, 1.0), -1);
    assert_int_equal(geo_rtt_set(m, N, 0, N, 1.0), -1);
    assert_int_equal(geo_rtt_set(m, N, 0, 1, -1.0), -1);
    assert_int_equal(geo_rtt_set(m, N, 0, 1, NAN), -1);
    assert_memory_equal(m, before, sizeof m);

    /* bad parameters and coordinates leave the matrix untouched */
    geo_rtt_params_t bad[] = {
        { 0.9, 2, 5, 10 }, { NAN, 2, 5, 10 }, { 1.5, -1, 5, 10 },
        { 1.5, 2, -5, 10 }, { 1.5, 2, 5, -10 }, { 1.5, 2, 5, INFINITY },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(geo_rtt_params_check(&bad[i]), -1);
        assert_int_equal(geo_rtt_builtin(m, &bad[i]), -1);
    }
    double lat[2] = { 0, 91 }, lonv[2] = { 0, 0 };
    assert_int_equal(geo_rtt_matrix(m, 2, lat, lonv, &p), -1);
    lat[1] = 0;
    lonv[1] = NAN;
    assert_int_equal(geo_rtt_matrix(m, 2, lat, lonv, &p), -1);
    assert_int_equal(geo_rtt_matrix(m, 0, lat, lonv, &p), -1);
    assert_memory_equal(m, before, sizeof m);
}

/* The k-th healthy destination by brute force: k-th smallest (rtt, index). */
static int brute_kth(const double *row, const bool *healthy, int n, int k)
{
    bool used[64] = { false };
    for (int r = 0; r <= k; r++) {
        int best = -1;
        for (int j = 0; j < n; j++)
            if (healthy[j] && !used[j] && (best < 0 || row[j] < row[best]))
                best = j;
        if (best < 0)
            return -1;
        if (r == k)
            return best;
        used[best] = true;
    }
    return -1;
}

static void test_nearest(void **state)
{
    (void)state;
    geo_rtt_params_t p = geo_rtt_params_default();
    double m[N * N];
    assert_int_equal(geo_rtt_builtin(m, &p), 0);
    int lon = geo_find("london"), fra = geo_find("frankfurt"), nyc = geo_find("new-york");
    int jnb = geo_find("johannesburg"), cpt = geo_find("cape-town");
    bool up[N];
    for (int i = 0; i < N; i++)
        up[i] = true;

    /* all up: every source is served in its own metro */
    for (int i = 0; i < N; i++)
        assert_int_equal(geo_nearest(&m[i * N], up, N), i);
    /* london down: frankfurt (19.6 ms); then new-york (93.6) before
     * nairobi (112.3) */
    up[lon] = false;
    assert_int_equal(geo_nearest(&m[lon * N], up, N), fra);
    up[fra] = false;
    assert_int_equal(geo_nearest(&m[lon * N], up, N), nyc);
    up[lon] = up[fra] = true;
    up[jnb] = false;
    assert_int_equal(geo_nearest(&m[jnb * N], up, N), cpt);
    for (int i = 0; i < N; i++)
        up[i] = false;
    assert_int_equal(geo_nearest(&m[0], up, N), -1);

    /* ties go to the lowest index */
    const double flat[4] = { 5, 3, 3, 3 };
    const bool all[4] = { true, true, true, true }, not1[4] = { true, false, true, true };
    assert_int_equal(geo_nearest(flat, all, 4), 1);
    assert_int_equal(geo_nearest(flat, not1, 4), 2);
    int fo[16];
    const double fm[16] = { 5, 3, 3, 3,  3, 5, 3, 3,  3, 3, 5, 3,  3, 3, 3, 5 };
    assert_int_equal(geo_order_build(fo, fm, 4), 0);
    assert_int_equal(fo[0], 1);
    assert_int_equal(fo[1], 2);
    assert_int_equal(fo[2], 3);
    assert_int_equal(fo[3], 0);
    assert_int_equal(geo_order_kth(fo, not1, 4, 0), 2);
    assert_int_equal(geo_order_build(fo, fm, 0), -1);

    /* the precomputed order agrees with brute force for every source, every
     * set of healthy sites (2^9) and every k */
    int order[N * N];
    assert_int_equal(geo_order_build(order, m, N), 0);
    assert_int_equal(order[lon * N + 0], lon);
    assert_int_equal(order[lon * N + 1], fra);
    assert_int_equal(order[lon * N + 2], nyc);
    for (unsigned mask = 0; mask < (1u << N); mask++) {
        for (int i = 0; i < N; i++)
            up[i] = mask >> i & 1u;
        for (int i = 0; i < N; i++) {
            assert_int_equal(geo_order_kth(&order[i * N], up, N, 0), geo_nearest(&m[i * N], up, N));
            for (int k = 0; k <= N; k++)
                assert_int_equal(geo_order_kth(&order[i * N], up, N, k),
                                 brute_kth(&m[i * N], up, N, k));
        }
    }
}

static void test_diurnal(void **state)
{
    (void)state;
    const double *c = geo_diurnal_builtin();
    double sum = 0;
    for (int h = 0; h < 24; h++) {
        sum += c[h];
        assert_true(geo_diurnal(h, NULL) == c[h]);
    }
    assert_near(sum / 24.0, 1.0, 1e-12);

    /* trapezoid over a 1/64 h grid (exact for a piecewise-linear curve);
     * the extremes on that grid */
    const int per_h = 64;
    double integral = 0, lo = INFINITY, hi = -INFINITY, at_lo = -1, at_hi = -1;
    for (int k = 0; k < 24 * per_h; k++) {
        double t0 = (double)k / per_h, t1 = (double)(k + 1) / per_h;
        double v0 = geo_diurnal(t0, NULL);
        integral += 0.5 * (v0 + geo_diurnal(t1, NULL)) / per_h;
        if (v0 < lo) {
            lo = v0;
            at_lo = t0;
        }
        if (v0 > hi) {
            hi = v0;
            at_hi = t0;
        }
    }
    assert_near(integral / 24.0, 1.0, 1e-9);
    assert_true(at_lo == 4.0);
    assert_true(at_hi == 20.0);
    assert_true(hi / lo >= 3.0 && hi / lo <= 4.0);

    /* linear between the points; 23:00 joined to 00:00; any hour wraps */
    assert_near(geo_diurnal(4.5, NULL), (c[4] + c[5]) / 2, 1e-15);
    assert_near(geo_diurnal(23.5, NULL), (c[23] + c[0]) / 2, 1e-15);
    assert_near(geo_diurnal(23.75, NULL), 0.25 * c[23] + 0.75 * c[0], 1e-15);
    assert_near(geo_diurnal(-0.5, NULL), geo_diurnal(23.5, NULL), 1e-15);
    assert_near(geo_diurnal(-1e-17, NULL), c[0], 1e-12);
    assert_near(geo_diurnal(24.0 * 365 + 3.0, NULL), c[3], 1e-12);
    assert_true(isnan(geo_diurnal(NAN, NULL)));
    assert_true(isnan(geo_diurnal(INFINITY, NULL)));

    /* a caller's curve, normalised to mean 1 */
    double mine[24];
    for (int h = 0; h < 24; h++)
        mine[h] = h < 12 ? 1.0 : 3.0;
    assert_int_equal(geo_diurnal_normalise(mine), 0);
    assert_near(geo_diurnal(6, mine), 0.5, 1e-15);
    assert_near(geo_diurnal(18, mine), 1.5, 1e-15);
    assert_near(geo_diurnal(11.5, mine), 1.0, 1e-15);
    assert_near(geo_diurnal(23.5, mine), 1.0, 1e-15);     /* 23:00 joins 00:00 */
    assert_near(geo_diurnal(-0.25, mine), 0.75 * 0.5 + 0.25 * 1.5, 1e-15);
    double bad[24] = { 0 };
    assert_int_equal(geo_diurnal_normalise(bad), -1);
    bad[3] = -1.0;
    bad[4] = 2.0;
    assert_int_equal(geo_diurnal_normalise(bad), -1);
    assert_true(bad[4] == 2.0);
}

static void test_local_hour(void **state)
{
    (void)state;
    const simtime_t H = 3600 * SIM_S, DAY = 24 * H;
    assert_near(geo_local_hour(0, 0), 0.0, 1e-12);
    assert_near(geo_local_hour(0, -5), 19.0, 1e-12);      /* new-york at 00:00 UTC */
    assert_near(geo_local_hour(2 * H, -3), 23.0, 1e-12);
    assert_near(geo_local_hour(3 * H, -3), 0.0, 1e-12);
    assert_near(geo_local_hour(H, -3.5), 21.5, 1e-12);
    assert_near(geo_local_hour(0, 5.75), 5.75, 1e-12);
    assert_near(geo_local_hour(23 * H, 2), 1.0, 1e-12);
    assert_near(geo_local_hour(-H, 0), 23.0, 1e-12);
    assert_near(geo_local_hour(-H, -24 * 3), 23.0, 1e-12);
    assert_near(geo_local_hour(1000 * DAY + 4 * H + H / 2, 10), 14.5, 1e-12);
    double h = geo_local_hour(-1, 0);                   /* 1 ns before midnight */
    assert_true(h >= 0.0 && h < 24.0);
    assert_near(h, 24.0, 1e-9);
    h = geo_local_hour(0, -1e-17);
    assert_true(h >= 0.0 && h < 24.0);
    assert_true(isnan(geo_local_hour(0, NAN)));
    /* every location at 12:00 UTC */
    for (int i = 0; i < N; i++) {
        const geo_location_t *l = geo_location(i);
        assert_near(geo_local_hour(12 * H, l->utc_offset_h),
                    fmod(12.0 + l->utc_offset_h + 24.0, 24.0), 1e-12);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table),
        cmocka_unit_test(test_distance),
        cmocka_unit_test(test_rtt_matrix),
        cmocka_unit_test(test_nearest),
        cmocka_unit_test(test_diurnal),
        cmocka_unit_test(test_local_hour),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
