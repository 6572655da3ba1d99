/* Unit tests of sim/rng: the xoshiro256++ generator, its seeding, its GSL
 * face, and the exactness of the fast draws (uniform, uniform_pos, below,
 * and the ziggurat exponential).
 *
 * Known answers. xoshiro256++ from the state {1, 2, 3, 4} gives the ten
 * outputs in the test of Rust's rand_xoshiro (rust-random/rngs,
 * rand_xoshiro/src/xoshiro256plusplus.rs, "produced with the reference
 * implementation" xoshiro256plusplus.c), and from {0, 0, 0, 1} the ten of
 * xoshiro-fortran's test/README.md; both lists were recomputed by hand in
 * an independent Python transcription of the reference next() before being
 * written here. The seeded state of (42, "svc.web.time") was computed the
 * same way (FNV-1a 64 of the name, SplitMix64 as in Vigna's splitmix64.c).
 *
 * Exactness of the exponential, N = 4 x 10^7 draws of rng_exp1:
 *  - Pearson's X^2 over 1030 bins: each ziggurat layer's x-range
 *    [x_{i+1}, x_i) split in 4 equal widths (where a wrong table or wedge
 *    test would show), and the tail beyond r = 7.697 in 9 bins up to
 *    r + 6.3 and beyond (the last expects N e^-(r+6.3) = 33 draws; every
 *    bin expects at least 5, asserted). Expected counts come from the
 *    closed form P(a <= X < b) = e^-a - e^-b, not from the tables. Under the
 *    null X^2 is chi-square with K - 1 degrees of freedom whatever N is, so
 *    the bound is its quantile at significance 1e-6
 *    (gsl_cdf_chisq_Qinv(1e-6, K - 1) = 1259, 230 above the mean K - 1);
 *    what N buys is power: a law that moves a fraction d of the mass of a
 *    bin of probability p adds about N p d^2 to X^2, so a layer whose mass
 *    is 4% off (4 bins of p ~ 1/1030: 4 x 4e7 / 1030 x 0.0016 = 250) is
 *    caught about half the time, 6% off (560) nearly always.
 *  - raw moments E X^k = k! for k = 1..4: the sample mean of X^k is within
 *    5 standard errors sqrt(((2k)! - (k!)^2) / N) (CLT; X^4's skewness of
 *    about 60 makes its mean's skewness 60 / sqrt(N) = 0.01: normal enough).
 *  - Kolmogorov-Smirnov on the first n = 10^6 draws: sup |F_n - F| <=
 *    sqrt(ln(2 / a) / (2 n)) with a = 1e-6, by the Dvoretzky-Kiefer-
 *    Wolfowitz inequality with Massart's constant (P(D > e) <= 2 e^(-2 n
 *    e^2) for every n, not only asymptotically); and the same on the draws
 *    beyond r, minus r, against Exp(1) (the tail path).
 * A correct sampler fails one of these checks with probability below 1e-5;
 * the seeds are fixed, so the outcome repeats. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/rng.h"

#define SIG 1e-6       /* chi-square and KS significance */
#define ZTOL 5.0       /* moment tolerance, standard errors */

static void set_state(rng_t *r, uint64_t a, uint64_t b, uint64_t c, uint64_t d)
{
    rng_state_t *st = r->state;
    st->s[0] = a, st->s[1] = b, st->s[2] = c, st->s[3] = d;
}

/* ---- the generator ------------------------------------------------------------ */

static void test_reference_outputs(void **state)
{
    (void)state;
    static const uint64_t from1234[10] = {
        41943041ULL, 58720359ULL, 3588806011781223ULL, 3591011842654386ULL,
        9228616714210784205ULL, 9973669472204895162ULL, 14011001112246962877ULL,
        12406186145184390807ULL, 15849039046786891736ULL, 10450023813501588000ULL,
    };
    static const uint64_t from0001[10] = {
        0x800000ULL, 0x800011ULL, 0x2200000800011ULL, 0x2200044000020ULL,
        0x22000448008a1ULL, 0x1102100802208a0ULL, 0x114002284200880ULL,
        0x402896644a64095ULL, 0x8a14a0a244acc891ULL, 0x8c88ba4680b20495ULL,
    };
    rng_t *r = rng_new(1, "reference");
    assert_non_null(r);
    set_state(r, 1, 2, 3, 4);
    for (int i = 0; i < 10; i++)
        assert_true(rng_next(r) == from1234[i]);
    set_state(r, 0, 0, 0, 1);
    for (int i = 0; i < 10; i++)
        assert_true(rng_next(r) == from0001[i]);
    rng_free(r);
}

static void test_seeding(void **state)
{
    (void)state;
    assert_true(rng_stream_seed(42, "svc.web.time") == 0x9f366601333f2fdeULL);
    rng_t *r = rng_new(42, "svc.web.time");
    assert_non_null(r);
    const rng_state_t *st = r->state;
    assert_true(st->s[0] == 0x1062e1b2d2f2d1b8ULL);
    assert_true(st->s[1] == 0x2397f0dbe6bc067dULL);
    assert_true(st->s[2] == 0xab4d70a544dd59ffULL);
    assert_true(st->s[3] == 0x44db2e117d3d1ffbULL);
    assert_true(rng_next(r) == 0xf28af9abac9d70bfULL);
    assert_true(rng_next(r) == 0xa820e60620c0f7c4ULL);
    assert_true(rng_next(r) == 0xb402814710cd3d68ULL);
    rng_free(r);

    /* the full 64 bits of the stream seed count: seeds 2^32 apart differ */
    assert_true(rng_stream_seed(1, "x") != rng_stream_seed(1 + (UINT64_C(1) << 32), "x"));
    rng_t *a = rng_new(1, "x"), *b = rng_new(1 + (UINT64_C(1) << 32), "x");
    assert_non_null(a), assert_non_null(b);
    assert_true(rng_next(a) != rng_next(b));
    rng_free(a), rng_free(b);
}

/* GSL's face of the generator: a gsl_rng of the type, seeded by gsl_rng_set
 * with the stream seed, is rng_new's stream; gsl_rng_get and
 * gsl_rng_uniform agree with the inline draws. */
static void test_gsl_type(void **state)
{
    (void)state;
    assert_true(sizeof(unsigned long) == 8);   /* gsl_rng_set takes all 64 bits */
    rng_t *r = rng_new(7, "traffic"), *r2 = rng_new(7, "traffic");
    gsl_rng *g = gsl_rng_alloc(&rng_xoshiro256pp), *g2 = gsl_rng_alloc(&rng_xoshiro256pp);
    assert_non_null(r), assert_non_null(r2), assert_non_null(g), assert_non_null(g2);
    assert_string_equal(gsl_rng_name(g), "xoshiro256++");
    assert_true(gsl_rng_max(g) == 0xffffffffUL && gsl_rng_min(g) == 0);
    assert_int_equal(gsl_rng_size(g), 32);
    gsl_rng_set(g, rng_stream_seed(7, "traffic"));
    gsl_rng_set(g2, rng_stream_seed(7, "traffic"));
    for (int i = 0; i < 1000; i++) {
        uint64_t x = rng_next(r);
        assert_true(gsl_rng_get(g) == (unsigned long)(x >> 32));
        double u = gsl_rng_uniform(g2), v = rng_uniform(r2);
        assert_true(u == v);
    }
    /* a clone continues the same stream */
    gsl_rng *c = gsl_rng_clone(g);
    assert_non_null(c);
    for (int i = 0; i < 10; i++)
        assert_true(gsl_rng_get(c) == gsl_rng_get(g));
    gsl_rng_free(c), gsl_rng_free(g), gsl_rng_free(g2);
    rng_free(r), rng_free(r2);
}

/* The extreme outputs, forced: state {0, 1, 1, 0} outputs 0 and
 * {0, 1, 1, 2^64 - 1} outputs 2^64 - 1 (rotl(s0 + s3, 23) + s0). */
static void test_uniform_edges(void **state)
{
    (void)state;
    rng_t *r = rng_new(1, "edges");
    assert_non_null(r);
    const uint64_t ones = ~UINT64_C(0);
    set_state(r, 0, 1, 1, 0);
    assert_true(rng_next(r) == 0);
    set_state(r, 0, 1, 1, ones);
    assert_true(rng_next(r) == ones);

    set_state(r, 0, 1, 1, 0);
    assert_true(rng_uniform(r) == 0.0);
    set_state(r, 0, 1, 1, ones);
    assert_true(rng_uniform(r) == 1.0 - 0x1p-53);
    set_state(r, 0, 1, 1, 0);
    assert_true(rng_uniform_pos(r) == 0x1p-53);
    set_state(r, 0, 1, 1, ones);
    assert_true(rng_uniform_pos(r) == 1.0 - 0x1p-53);
    /* the ziggurat at the same outputs: layer 0 at x = 0, and layer 255 at
     * its right edge (the wedge test, then whatever follows) */
    set_state(r, 0, 1, 1, 0);
    assert_true(rng_exp1(r) == 0.0);
    set_state(r, 0, 1, 1, ones);
    double e = rng_exp1(r);
    assert_true(e >= 0 && isfinite(e));

    for (int i = 0; i < 1000000; i++) {
        double u = rng_uniform_pos(r), v = rng_uniform(r);
        assert_true(u > 0 && u < 1);
        assert_true(v >= 0 && v < 1);
    }
    rng_free(r);
}

/* rng_below(n) for n = 3 * 2^30: multiply-shift alone, floor(x n / 2^32)
 * = floor(3 x / 4), gives each multiple of 3 two of the 2^32 values of x
 * and every other integer one, so P(k mod 3 == 0) would be 1/2; the
 * rejection of the 2^32 mod n = 2^30 lowest products makes it exactly 1/3.
 * D = 300,000 draws, within ZTOL binomial standard errors. */
static void test_below(void **state)
{
    (void)state;
    rng_t *r = rng_new(2, "below");
    assert_non_null(r);
    const uint32_t n = 3u << 30;
    const int D = 300000;
    double zero = 0;
    for (int i = 0; i < D; i++) {
        uint32_t k = rng_below(r, n);
        assert_true(k < n);
        zero += k % 3 == 0;
    }
    double p = 1.0 / 3, se = sqrt(p * (1 - p) / D);
    print_message("k %% 3 == 0: %.5f (z = %+.2f)\n", zero / D, (zero / D - p) / se);
    assert_true(fabs(zero / D - p) <= ZTOL * se);
    for (int i = 0; i < 1000; i++) {
        assert_int_equal(rng_below(r, 1), 0);
        assert_true(rng_below(r, UINT32_MAX) < UINT32_MAX);
    }
    /* forced: from the state {0, 1, 1, 0} the upper halves of the outputs
     * are 0, 0, 0x22000, 0x22100, 0x40040100, 0x43128944, 0x43108966, ...
     * (Python transcription of next()); the low 32 bits of h n are
     * (3 h mod 4) 2^30, below 2^30 while h is a multiple of 4, so six are
     * rejected and the seventh gives floor(0x43108966 n / 2^32) = 843867916
     * (multiply-shift alone would give 0) */
    set_state(r, 0, 1, 1, 0);
    assert_int_equal(rng_below(r, n), 843867916);
    rng_free(r);
}

/* ---- the ziggurat -------------------------------------------------------------- */

/* The tables against their definition: x_0 = r + 1 (= v / f(r)), each
 * layer i >= 1 of area x_i (f(x_{i+1}) - f(x_i)) = v = (r + 1) e^-r, the
 * top one ending at f = 1, and k[i] the 53-bit threshold of x_{i+1} / x_i. */
static void test_zig_tables(void **state)
{
    (void)state;
    double x[257];
    for (int i = 0; i < 256; i++)
        x[i] = rng__zig_w[i] * 0x1p53;
    x[256] = 0;
    double r = x[1], v = (r + 1) * exp(-r);
    /* Marsaglia and Tsang's r and v (2000), which they give to 18 and 16
     * digits; their v is off in its 15th digit from the (r + 1) e^-r of
     * their r, 3.94965982258155722e-3 (sim/rng_tables.py), hence 1e-14 */
    assert_true(fabs(r - 7.69711747013104972) <= 1e-15 * r);
    assert_true(fabs(v - 3.949659822581572e-3) <= 1e-14 * v);
    assert_true(fabs(v - 3.94965982258155722e-3) <= 1e-15 * v);
    assert_true(fabs(x[0] - (r + 1)) <= 1e-15 * x[0]);
    for (int i = 1; i < 256; i++) {
        assert_true(x[i + 1] < x[i]);
        double area = x[i] * (exp(-x[i + 1]) - exp(-x[i]));
        if (!(fabs(area - v) <= 1e-12 * v))
            fail_msg("layer %d: area %.17g, v %.17g", i, area, v);
    }
    for (int i = 0; i < 256; i++) {
        double k = ldexp(x[i + 1] / x[i], 53);
        assert_true(fabs((double)rng__zig_k[i] - k) <= 2.0 + 1e-15 * k);
    }
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* sup |F_n - F| of sorted xs against F(x) = 1 - e^-x. */
static double ks_exp(double *xs, size_t n)
{
    qsort(xs, n, sizeof *xs, cmp_double);
    double d = 0;
    for (size_t i = 0; i < n; i++) {
        double f = -expm1(-xs[i]);
        double lo = f - (double)i / (double)n, hi = (double)(i + 1) / (double)n - f;
        d = fmax(d, fmax(lo, hi));
    }
    return d;
}

static double dkw_bound(size_t n) { return sqrt(log(2.0 / SIG) / (2.0 * (double)n)); }

enum { NEXP = 40000000, NKS = 1000000, MAXTAIL = 100000, SUB = 4 };

static void test_exp_exact(void **state)
{
    (void)state;
    /* bin edges, increasing: 0 = x_256 < ... < x_1 = r, each layer's range
     * in SUB equal parts, then the tail's edges */
    static const double tail_off[] = {0.25, 0.5, 1, 1.5, 2, 3, 4, 5, 6.3};
    enum { NT = sizeof tail_off / sizeof tail_off[0], NEDGE = 255 * SUB + 1 + NT, K = NEDGE };
    double edge[NEDGE], x[257];
    for (int i = 0; i < 256; i++)
        x[i] = rng__zig_w[i] * 0x1p53;
    x[256] = 0;
    const double r = x[1];
    int ne = 0;
    for (int i = 256; i > 1; i--)
        for (int j = 0; j < SUB; j++)
            edge[ne++] = x[i] + (x[i - 1] - x[i]) * j / SUB;
    edge[ne++] = r;
    for (int j = 0; j < NT; j++)
        edge[ne++] = r + tail_off[j];
    assert_int_equal(ne, NEDGE);
    /* bin b is [edge[b], edge[b+1]), the last [edge[K-1], inf) */
    static long cnt[K];
    memset(cnt, 0, sizeof cnt);
    double *ks = malloc(NKS * sizeof *ks), *tail = malloc(MAXTAIL * sizeof *tail);
    assert_non_null(ks), assert_non_null(tail);
    size_t ntail = 0;
    double mom[5] = {0};
    rng_t *g = rng_new(20240601, "exp.exact");
    assert_non_null(g);
    for (long n = 0; n < NEXP; n++) {
        double e = rng_exp1(g);
        if (!(e >= 0 && isfinite(e)))
            fail_msg("draw %ld is %g", n, e);
        if (n < NKS)
            ks[n] = e;
        if (e >= r && ntail < MAXTAIL)
            tail[ntail++] = e - r;
        /* binary search: the last edge <= e */
        int lo = 0, hi = K - 1;
        while (lo < hi) {
            int mid = (lo + hi + 1) / 2;
            if (edge[mid] <= e)
                lo = mid;
            else
                hi = mid - 1;
        }
        cnt[lo]++;
        double p = e;
        for (int k = 1; k <= 4; k++, p *= e)
            mom[k] += p;
    }
    rng_free(g);

    double x2 = 0, emin = INFINITY;
    for (int b = 0; b < K; b++) {
        double pb = b + 1 < K ? exp(-edge[b]) - exp(-edge[b + 1]) : exp(-edge[b]);
        double want = pb * NEXP;
        emin = fmin(emin, want);
        x2 += (cnt[b] - want) * (cnt[b] - want) / want;
    }
    double crit = gsl_cdf_chisq_Qinv(SIG, K - 1);
    print_message("exp1 chi-square: X2 = %.1f, dof %d, bound %.1f (p = %.3g); least expected count %.1f; "
                  "%ld draws beyond r + 6.3\n", x2, K - 1, crit, gsl_cdf_chisq_Q(x2, K - 1), emin, cnt[K - 1]);
    assert_true(emin >= 5);
    assert_true(x2 <= crit);

    double fact[5] = {1, 1, 2, 6, 24}, fact2[5] = {1, 2, 24, 720, 40320};
    for (int k = 1; k <= 4; k++) {
        double m = mom[k] / NEXP, se = sqrt((fact2[k] - fact[k] * fact[k]) / NEXP);
        print_message("E X^%d: %.6f, want %g (z = %+.2f)\n", k, m, fact[k], (m - fact[k]) / se);
        assert_true(fabs(m - fact[k]) <= ZTOL * se);
    }

    double d = ks_exp(ks, NKS), dt = ks_exp(tail, ntail);
    print_message("KS: D = %.5f (bound %.5f, n = %d); tail: D = %.5f (bound %.5f, n = %zu)\n", d,
                  dkw_bound(NKS), NKS, dt, dkw_bound(ntail), ntail);
    assert_true(d <= dkw_bound(NKS));
    assert_true(ntail > 10000 && ntail < MAXTAIL);
    assert_true(dt <= dkw_bound(ntail));
    free(ks), free(tail);
}

/* The tail path alone: rng__exp1_slow in layer 0 at a position past r
 * returns r + Exp(1); n = 10^6 such draws minus r against Exp(1) by KS
 * (DKW bound as above), so a tail 1% off in scale is caught (D = 0.004
 * against a bound of 0.0027), which the 18,000 tail draws of N could not. */
static void test_exp_tail(void **state)
{
    (void)state;
    double *xs = malloc(NKS * sizeof *xs);
    assert_non_null(xs);
    rng_t *g = rng_new(20240601, "exp.tail");
    assert_non_null(g);
    const double r = rng__zig_w[1] * 0x1p53;
    for (int n = 0; n < NKS; n++) {
        double e = rng__exp1_slow(g, 0, rng__zig_k[0]);
        assert_true(e >= r && isfinite(e));
        xs[n] = e - r;
    }
    rng_free(g);
    double d = ks_exp(xs, NKS);
    print_message("tail path: D = %.5f (bound %.5f, n = %d)\n", d, dkw_bound(NKS), NKS);
    assert_true(d <= dkw_bound(NKS));
    free(xs);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reference_outputs),
        cmocka_unit_test(test_seeding),
        cmocka_unit_test(test_gsl_type),
        cmocka_unit_test(test_uniform_edges),
        cmocka_unit_test(test_below),
        cmocka_unit_test(test_zig_tables),
        cmocka_unit_test(test_exp_exact),
        cmocka_unit_test(test_exp_tail),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
