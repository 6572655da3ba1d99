/* Unit tests of sim/zipf (rejection-inversion Zipf sampler, harmonic numbers).
 *
 * Goodness of fit: for n = 10, 100, 1000 and s = 0, 0.5, 0.8, 1, 1.2, 2,
 * D = 500,000 draws are binned (consecutive ranks merged, from rank 1 on,
 * until each bin expects at least 5 draws; a short remainder joins the last
 * bin) and Pearson's X^2 = sum (O - E)^2 / E is compared with the chi-square
 * critical value at significance 0.001 for (bins - 1) degrees of freedom
 * (gsl_cdf_chisq_Qinv(0.001, dof)). A correct sampler fails one such check
 * with probability 0.1%; the seeds are fixed, so the outcome repeats. To show
 * the check is not vague, the same draws are tested against the pmf of an
 * exponent 0.02 too large and must be rejected.
 *
 * Large n = 10^9: for s = 0.5, 0.8, 1, 1.2, 2 and D = 2,000,000 draws, the
 * frequencies of X = 1 and X <= 10 are binomial(D, p); each must be within
 * 4.5 standard errors sqrt(p (1-p) / D) of the pmf's p (a correct sampler
 * fails with probability 7e-6 per check). Ranks are also binned by powers of
 * two, [2^j, 2^(j+1)), masses from harmonic-number differences, and
 * chi-square tested as above: that covers the whole range of ranks.
 *
 * Resolution: a uniform (s = 0) over n = 2^33 draws odd ranks with
 * probability 1/2 (within 4.5 SE); a sampler fed one 32-bit uniform per
 * proposal could reach only every second rank there.
 *
 * Harmonic numbers: exact rationals for n = 10; the asymptotic series
 * H(n, 1) = ln n + gamma + 1/(2n) - 1/(12 n^2) + 1/(120 n^4) - ..., whose
 * truncation error is below 1/(252 n^6); H(n, s) = zeta(s) - zeta(s, n+1)
 * (GSL's Hurwitz zeta) for s > 1; and for s < 1 the series
 * zeta(s) + n^(1-s)/(1-s) + n^-s/2 - s n^(-s-1)/12 (next term
 * ~ n^(-s-3), below 1e-27 at n = 10^9). Agreement is required to a relative
 * 1e-14 (about 45 ulp: the sums are compensated and the EM remainder is
 * below 1e-17, so this leaves room only for the references' own rounding). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_sf_zeta.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "sim/rng.h"
#include "sim/zipf.h"

#define SIG 0.001          /* chi-square significance */
#define ZTOL 4.5           /* binomial tolerance, standard errors */
#define MAXN 1000

static rng_t *stream(const char *what, uint64_t n, double s)
{
    char name[96];
    snprintf(name, sizeof name, "zipf-test/%s/%llu/%g", what, (unsigned long long)n, s);
    rng_t *r = rng_new(20240601, name);
    assert_non_null(r);
    return r;
}

/* Pearson's X^2 over cells 0..m-1 (expected e, observed o), merging
 * consecutive cells until each bin expects >= 5. Returns X^2, sets *dof. */
static double chisq_binned(const double *e, const double *o, int m, int *dof)
{
    double x2 = 0.0, be = 0.0, bo = 0.0, last_e = 0.0, last_o = 0.0;
    int bins = 0;
    for (int i = 0; i < m; i++) {
        be += e[i];
        bo += o[i];
        if (be >= 5.0) {
            if (bins > 0)
                x2 += (last_o - last_e) * (last_o - last_e) / last_e;
            last_e = be;
            last_o = bo;
            bins++;
            be = bo = 0.0;
        }
    }
    assert_true(bins >= 2);
    last_e += be;                   /* a remainder below 5 joins the last bin */
    last_o += bo;
    x2 += (last_o - last_e) * (last_o - last_e) / last_e;
    *dof = bins - 1;
    return x2;
}

static void test_init_rejects_bad_params(void **state)
{
    (void)state;
    zipf_t z;
    memset(&z, 0xa5, sizeof z);
    zipf_t before = z;
    assert_int_equal(zipf_init(&z, 0, 1.0), -1);
    assert_int_equal(zipf_init(&z, 10, -0.1), -1);
    assert_int_equal(zipf_init(&z, 10, NAN), -1);
    assert_int_equal(zipf_init(&z, 10, INFINITY), -1);
    assert_int_equal(zipf_init(&z, ZIPF_N_MAX + 1, 1.0), -1);
    assert_memory_equal(&z, &before, sizeof z);
    assert_int_equal(zipf_init(&z, ZIPF_N_MAX, 1.0), 0);
    assert_int_equal(zipf_init(&z, 1, 0.0), 0);
    assert_int_equal(zipf_init(&z, 10, 50.0), 0);
}

/* n = 1 always draws 1; extreme exponents stay in range; the pmf sums to 1
 * and is 0 outside [1, n]. */
static void test_edges(void **state)
{
    (void)state;
    zipf_t z;
    rng_t *r = stream("edges", 1, 0);
    assert_int_equal(zipf_init(&z, 1, 1.0), 0);
    for (int i = 0; i < 1000; i++)
        assert_int_equal(zipf_sample(&z, r), 1);
    assert_true(fabs(zipf_pmf(&z, 1) - 1.0) < 1e-15);

    const double ss[] = { 0.0, 1e-9, 0.999999999, 1.0, 1.000000001, 7.0, 50.0 };
    const uint64_t ns[] = { 2, 3, 1000, UINT64_C(1000000000), ZIPF_N_MAX };
    for (size_t a = 0; a < sizeof ss / sizeof ss[0]; a++)
        for (size_t b = 0; b < sizeof ns / sizeof ns[0]; b++) {
            assert_int_equal(zipf_init(&z, ns[b], ss[a]), 0);
            for (int i = 0; i < 20000; i++) {
                uint64_t k = zipf_sample(&z, r);
                assert_true(k >= 1 && k <= ns[b]);
            }
            assert_true(zipf_pmf(&z, 0) == 0.0);
            assert_true(zipf_pmf(&z, ns[b] + 1) == 0.0);
        }
    assert_int_equal(zipf_init(&z, 1000, 0.8), 0);
    double sum = 0.0;
    for (uint64_t i = 1; i <= 1000; i++)
        sum += zipf_pmf(&z, i);
    assert_true(fabs(sum - 1.0) < 1e-13);
    rng_free(r);
}

static void test_chisq_small_n(void **state)
{
    (void)state;
    const uint64_t ns[] = { 10, 100, 1000 };
    const double ss[] = { 0.0, 0.5, 0.8, 1.0, 1.2, 2.0 };
    const int D = 500000;
    static double e[MAXN], o[MAXN];
    for (size_t a = 0; a < 3; a++)
        for (size_t b = 0; b < 6; b++) {
            uint64_t n = ns[a];
            double s = ss[b];
            zipf_t z;
            assert_int_equal(zipf_init(&z, n, s), 0);
            rng_t *r = stream("chisq", n, s);
            memset(o, 0, sizeof o);
            for (int i = 0; i < D; i++) {
                uint64_t k = zipf_sample(&z, r);
                assert_true(k >= 1 && k <= n);
                o[k - 1] += 1.0;
            }
            rng_free(r);
            for (uint64_t i = 1; i <= n; i++)
                e[i - 1] = D * zipf_pmf(&z, i);
            int dof;
            double x2 = chisq_binned(e, o, (int)n, &dof);
            double crit = gsl_cdf_chisq_Qinv(SIG, dof);
            print_message("n=%-4llu s=%.1f  X2=%8.1f dof=%3d crit(0.001)=%7.1f  p=%.3f\n",
                          (unsigned long long)n, s, x2, dof, crit,
                          gsl_cdf_chisq_Q(x2, dof));
            assert_true(x2 <= crit);

            if (n == 1000 && s == 1.0) {
                /* power: the pmf of s + 0.02 is rejected by the same draws */
                zipf_t w;
                assert_int_equal(zipf_init(&w, n, s + 0.02), 0);
                for (uint64_t i = 1; i <= n; i++)
                    e[i - 1] = D * zipf_pmf(&w, i);
                double x2w = chisq_binned(e, o, (int)n, &dof);
                double critw = gsl_cdf_chisq_Qinv(SIG, dof);
                print_message("  against s=%.2f: X2=%.1f dof=%d crit=%.1f (must reject)\n",
                              s + 0.02, x2w, dof, critw);
                assert_true(x2w > critw);
            }
        }
}

/* sum_{k=a..b} pmf(k): direct for b <= 2^20, else harmonic differences. */
static double mass(const zipf_t *z, uint64_t n, uint64_t a, uint64_t b, double s)
{
    if (b <= (UINT64_C(1) << 20)) {
        double sum = 0.0;
        for (uint64_t k = b; k >= a; k--)
            sum += zipf_pmf(z, k);
        return sum;
    }
    return (zipf_harmonic(b, s) - zipf_harmonic(a - 1, s)) / zipf_harmonic(n, s);
}

static void binomial_check(const char *what, double count, int D, double p)
{
    double se = sqrt(p * (1.0 - p) / D);
    double f = count / D;
    print_message("    %-6s freq=%.6f pmf=%.6f  z=%+.2f\n", what, f, p, (f - p) / se);
    assert_true(fabs(f - p) <= ZTOL * se);
}

static void test_large_n(void **state)
{
    (void)state;
    const uint64_t n = UINT64_C(1000000000);
    const double ss[] = { 0.5, 0.8, 1.0, 1.2, 2.0 };
    const int D = 2000000;
    enum { NB = 30 };               /* 2^29 <= 10^9 < 2^30 */
    for (size_t b = 0; b < sizeof ss / sizeof ss[0]; b++) {
        double s = ss[b];
        zipf_t z;
        assert_int_equal(zipf_init(&z, n, s), 0);
        rng_t *r = stream("large", n, s);
        double o[NB] = { 0 }, e[NB];
        double ones = 0, le10 = 0;
        for (int i = 0; i < D; i++) {
            uint64_t k = zipf_sample(&z, r);
            assert_true(k >= 1 && k <= n);
            ones += k == 1;
            le10 += k <= 10;
            int j = 0;                /* floor(log2 k) */
            while (k >> (j + 1))
                j++;
            o[j] += 1.0;
        }
        rng_free(r);
        print_message("n=1e9 s=%.1f\n", s);
        binomial_check("X=1", ones, D, zipf_pmf(&z, 1));
        binomial_check("X<=10", le10, D, mass(&z, n, 1, 10, s));
        double total = 0.0;
        for (int j = 0; j < NB; j++) {
            uint64_t lo = UINT64_C(1) << j, hi = (UINT64_C(1) << (j + 1)) - 1;
            if (hi > n)
                hi = n;
            e[j] = D * mass(&z, n, lo, hi, s);
            total += e[j];
        }
        assert_true(fabs(total / D - 1.0) < 1e-12);
        int dof;
        double x2 = chisq_binned(e, o, NB, &dof);
        double crit = gsl_cdf_chisq_Qinv(SIG, dof);
        print_message("    log2 bins: X2=%.1f dof=%d crit=%.1f p=%.3f\n", x2, dof, crit,
                      gsl_cdf_chisq_Q(x2, dof));
        assert_true(x2 <= crit);
    }
}

/* Uniform over n = 2^33: the fraction of odd ranks is binomial(D, 1/2), and
 * the mean is (n+1)/2 with standard error n / sqrt(12 D). */
static void test_uniform_resolution(void **state)
{
    (void)state;
    const uint64_t n = UINT64_C(1) << 33;
    const int D = 1000000;
    zipf_t z;
    assert_int_equal(zipf_init(&z, n, 0.0), 0);
    rng_t *r = stream("resolution", n, 0.0);
    double odd = 0, sum = 0;
    for (int i = 0; i < D; i++) {
        uint64_t k = zipf_sample(&z, r);
        assert_true(k >= 1 && k <= n);
        odd += (double)(k & 1);
        sum += (double)k;
    }
    rng_free(r);
    print_message("n=2^33 s=0\n");
    binomial_check("odd", odd, D, 0.5);
    double mean = sum / D, mu = ((double)n + 1.0) / 2.0, se = (double)n / sqrt(12.0 * D);
    print_message("    mean/n=%.6f  z=%+.2f\n", mean / (double)n, (mean - mu) / se);
    assert_true(fabs(mean - mu) <= ZTOL * se);
}

static void assert_rel(double got, double want, double tol)
{
    if (!(fabs(got - want) <= tol * fabs(want)))
        fail_msg("got %.17g, want %.17g (relative error %.3g > %.3g)", got, want,
                 fabs(got - want) / fabs(want), tol);
}

static double direct(uint64_t n, double s)
{
    double sum = 0.0, c = 0.0;
    for (uint64_t k = n; k >= 1; k--) {
        double y = pow((double)k, -s) - c, t = sum + y;
        c = (t - sum) - y;
        sum = t;
    }
    return sum;
}

static void test_harmonic(void **state)
{
    (void)state;
    const double tol = 1e-14;
    const double gamma_e = 0.57721566490153286061;

    assert_true(zipf_harmonic(0, 1.0) == 0.0);
    assert_true(isnan(zipf_harmonic(10, -1.0)));
    assert_true(isnan(zipf_harmonic(10, NAN)));
    assert_true(zipf_harmonic(UINT64_C(123456789012), 0.0) == 123456789012.0);
    assert_true(zipf_harmonic(1, 3.7) == 1.0);
    /* H(10, 1) = 7381/2520, H(10, 2) = 1968329/1270080 */
    assert_rel(zipf_harmonic(10, 1.0), 7381.0 / 2520.0, tol);
    assert_rel(zipf_harmonic(10, 2.0), 1968329.0 / 1270080.0, tol);

    /* s = 1 against the asymptotic series, both sides of the exact-sum limit */
    const uint64_t big[] = { UINT64_C(1000000), UINT64_C(1000001), UINT64_C(1000000000),
                             UINT64_C(1000000000000), UINT64_C(1000000000000000) };
    for (size_t i = 0; i < sizeof big / sizeof big[0]; i++) {
        double n = (double)big[i], n2 = n * n;
        double want = log(n) + gamma_e + 1.0 / (2.0 * n) - 1.0 / (12.0 * n2)
                    + 1.0 / (120.0 * n2 * n2);
        assert_rel(zipf_harmonic(big[i], 1.0), want, tol);
    }

    /* s > 1: zeta(s) - zeta(s, n + 1) */
    const double sg[] = { 1.2, 2.0, 3.0 };
    const uint64_t ng[] = { 1000, UINT64_C(1000000), UINT64_C(1000001),
                            UINT64_C(1000000000), UINT64_C(1000000000000) };
    for (size_t a = 0; a < 3; a++)
        for (size_t b = 0; b < sizeof ng / sizeof ng[0]; b++) {
            double want = gsl_sf_zeta(sg[a]) - gsl_sf_hzeta(sg[a], (double)ng[b] + 1.0);
            assert_rel(zipf_harmonic(ng[b], sg[a]), want, tol);
        }

    /* s < 1: zeta(s) + n^(1-s)/(1-s) + n^-s/2 - s n^(-s-1)/12 */
    const double sl[] = { 0.5, 0.8 };
    const uint64_t nl[] = { UINT64_C(1000000000), UINT64_C(1000000000000) };
    for (size_t a = 0; a < 2; a++)
        for (size_t b = 0; b < 2; b++) {
            double s = sl[a], n = (double)nl[b];
            double want = gsl_sf_zeta(s) + pow(n, 1.0 - s) / (1.0 - s) + 0.5 * pow(n, -s)
                        - s * pow(n, -s - 1.0) / 12.0;
            assert_rel(zipf_harmonic(nl[b], s), want, tol);
        }

    /* the Euler-Maclaurin branch against a direct sum, and the seam */
    const double sd[] = { 0.3, 0.5, 0.8, 0.999999, 1.0, 1.2, 2.0, 5.0 };
    const uint64_t lim = ZIPF_HARMONIC_EXACT_MAX;
    for (size_t a = 0; a < sizeof sd / sizeof sd[0]; a++) {
        double s = sd[a];
        assert_rel(zipf_harmonic(2 * lim, s), direct(2 * lim, s), tol);
        double step = zipf_harmonic(lim + 1, s) - zipf_harmonic(lim, s);
        double want = pow((double)(lim + 1), -s);
        /* the step is small next to H: compare it in units of H */
        assert_true(fabs(step - want) <= tol * zipf_harmonic(lim, s));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_init_rejects_bad_params),
        cmocka_unit_test(test_edges),
        cmocka_unit_test(test_harmonic),
        cmocka_unit_test(test_chisq_small_n),
        cmocka_unit_test(test_large_n),
        cmocka_unit_test(test_uniform_resolution),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
