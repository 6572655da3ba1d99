/* Unit tests of sim/rng (named streams) and sim/dist (distributions decoded
 * from YAML and sampled).
 *
 * Distributions go through the public path: YAML text -> cfg_parse_string ->
 * dist_decode -> dist_sample, with a fixed-seed stream. Each kind is drawn
 * n = 200000 times and checked against its closed form:
 *
 *  - mean: |xbar - mu| <= 5 sigma / sqrt(n), sigma^2 the closed-form
 *    variance (CLT; a correct sampler fails with probability ~6e-7);
 *  - variance: |s^2 - sigma^2| <= 5 sqrt((mu4 - sigma^4) / n), mu4 the
 *    closed-form 4th central moment. This is the CLT standard error of the
 *    sample variance (Var s^2 = (mu4 - sigma^4)/n + O(1/n^2)); it needs a
 *    finite 4th moment, so it is applied only where mu4 is finite;
 *  - dist_mean() equals the closed-form mean (relative 1e-12: the two are
 *    the same formula evaluated by different code).
 *
 * Closed forms (X the variable): exponential mean m: sigma^2 = m^2,
 * mu4 = 9 m^4. Lognormal by mean m and cv c: s^2 = ln(1+c^2),
 * mu_log = ln m - s^2/2, E X^k = exp(k mu_log + k^2 s^2 / 2). Gamma shape k
 * scale t: mean k t, sigma^2 = k t^2, mu4 = 3 k (k+2) t^4; by mean m and cv c,
 * k = 1/c^2 and t = m c^2. Weibull scale l shape k: E X^r = l^r G(1 + r/k).
 * Pareto shape a scale x_m: E X^r = a x_m^r / (a - r) for a > r. Uniform on
 * [a, b]: mean (a+b)/2, sigma^2 = (b-a)^2/12, mu4 = (b-a)^4/80. Central
 * moments from raw ones: mu4 = m4 - 4 m3 m1 + 6 m2 m1^2 - 3 m1^4.
 *
 * Heavy tails: the normal approximation is weakest for Pareto. For the mean
 * check with a = 2.5 (3rd moment infinite) a 5-SE excursion by one big
 * sample needs x >= 5 SE n = 33 s for x_m = 10 ms, probability
 * n (x_m/x)^a ~ 3e-4; the variance check uses a = 6 (mu4 finite), where the
 * one-big-sample route to 5 SE has probability ~3e-4 likewise. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sim/arena.h"
#include "sim/cfg.h"
#include "sim/diag.h"
#include "sim/dist.h"
#include "sim/params.h"
#include "sim/rng.h"

#define NSAMP 200000

typedef struct fx {
    arena_t *arena;
    diag_t diag;
    pctx_t ctx;
} fx_t;

static int setup(void **state)
{
    fx_t *f = calloc(1, sizeof *f);
    if (!f)
        return -1;
    f->arena = arena_new();
    diag_init(&f->diag);
    f->ctx = (pctx_t){f->arena, &f->diag, NULL};
    *state = f;
    return f->arena ? 0 : -1;
}

static int teardown(void **state)
{
    fx_t *f = *state;
    arena_free(f->arena);
    free(f);
    return 0;
}

/* Parses yaml (named t.yaml) and decodes the distribution under top-level
 * key `key`. Returns dist_decode's result (or -1 when the YAML is bad). */
static int decode(fx_t *f, const char *yaml, const char *key, dist_t *d)
{
    cfg_node_t *root = cfg_parse_string(f->arena, yaml, strlen(yaml), "t.yaml", &f->diag);
    if (!root) {
        diag_print(&f->diag, stderr);
        return -1;
    }
    return dist_decode(cfg_get(root, key), d, &f->ctx, key);
}

/* Decodes and insists on success. */
static void decode_ok(fx_t *f, const char *yaml, dist_t *d)
{
    int rc = decode(f, yaml, "t", d);
    if (rc != 0 || f->diag.errors != 0) {
        diag_print(&f->diag, stderr);
        fail_msg("decode failed: %s", yaml);
    }
}

typedef struct moments {
    double mean, var, min, max;
} moments_t;

/* n draws (Welford's running mean and variance); all must be >= 0. */
static moments_t draw(const dist_t *d, const char *stream)
{
    rng_t *r = rng_new(20240601, stream);
    assert_non_null(r);
    double mean = 0, m2 = 0, mn = INFINITY, mx = -INFINITY;
    for (long i = 0; i < NSAMP; i++) {
        double x = dist_sample(d, r);
        if (!(x >= 0)) {
            print_error("%s: draw %ld is %g\n", stream, i, x);
            fail();
        }
        double dlt = x - mean;
        mean += dlt / (double)(i + 1);
        m2 += dlt * (x - mean);
        mn = x < mn ? x : mn;
        mx = x > mx ? x : mx;
    }
    rng_free(r);
    return (moments_t){mean, m2 / (NSAMP - 1), mn, mx};
}

static void check_close(const char *what, double got, double want, double tol)
{
    if (!(fabs(got - want) <= tol)) {
        print_error("%s: got %.10g, want %.10g, |diff| %.3g > tol %.3g\n", what, got, want, fabs(got - want), tol);
        fail();
    }
}

/* The checks described at the top. mu4 < 0 means "infinite: skip the
 * variance check". */
static void check_moments(const char *name, const dist_t *d, double mu, double var, double mu4)
{
    check_close("dist_mean", dist_mean(d), mu, 1e-12 * mu);
    moments_t m = draw(d, name);
    double se_mean = sqrt(var / NSAMP);
    /* power: the check resolves the mean to better than 2% */
    assert_true(5 * se_mean < 0.02 * mu);
    check_close(name, m.mean, mu, 5 * se_mean);
    if (mu4 >= 0) {
        double se_var = sqrt((mu4 - var * var) / NSAMP);
        assert_true(5 * se_var < 0.2 * var);
        check_close(name, m.var, var, 5 * se_var);
    }
}

static double central4(double m1, double m2, double m3, double m4)
{
    return m4 - 4 * m3 * m1 + 6 * m2 * m1 * m1 - 3 * m1 * m1 * m1 * m1;
}

/* ---- streams ------------------------------------------------------------- */

static void test_streams(void **state)
{
    (void)state;
    enum { K = 1000 };
    rng_t *a = rng_new(42, "svc.web.time"), *b = rng_new(42, "svc.web.time");
    rng_t *c = rng_new(42, "svc.web.lb"), *e = rng_new(43, "svc.web.time");
    assert_non_null(a), assert_non_null(b), assert_non_null(c), assert_non_null(e);
    int same_c = 0, same_e = 0;
    for (int i = 0; i < K; i++) {
        double x = rng_uniform(a), y = rng_uniform(b), z = rng_uniform(c), w = rng_uniform(e);
        assert_true(x == y);                       /* same (seed, name) */
        assert_true(x >= 0 && x < 1);
        same_c += x == z;
        same_e += x == w;
    }
    /* different name, different seed: unrelated sequences (two independent
     * uniform doubles coincide with probability 2^-53 each) */
    assert_true(same_c == 0);
    assert_true(same_e == 0);
    rng_free(a), rng_free(b), rng_free(c), rng_free(e);

    /* rng_stream_seed is a function of (seed, name), all 64 bits of the
     * seed count, and it is what rng_new fills the state from (sim/rng.h):
     * a gsl_rng of type rng_xoshiro256pp seeded with it by gsl_rng_set must
     * produce the same raw outputs (tests/test_rng.c pins the values). */
    assert_true(rng_stream_seed(7, "traffic") == rng_stream_seed(7, "traffic"));
    assert_true(rng_stream_seed(7, "traffic") != rng_stream_seed(7, "traffic2"));
    assert_true(rng_stream_seed(7, "traffic") != rng_stream_seed(8, "traffic"));
    assert_true(rng_stream_seed(7, "traffic") != rng_stream_seed(7 + (UINT64_C(1) << 32), "traffic"));
    assert_true(rng_stream_seed(7, "") != rng_stream_seed(7, "a"));
    rng_t *r = rng_new(7, "traffic");
    gsl_rng *g = gsl_rng_alloc(&rng_xoshiro256pp);
    assert_non_null(r), assert_non_null(g);
    gsl_rng_set(g, rng_stream_seed(7, "traffic"));
    for (int i = 0; i < K; i++)
        assert_int_equal(gsl_rng_get(r), gsl_rng_get(g));
    gsl_rng_free(g);
    rng_free(r);
    /* a name's stream does not depend on other streams being created */
    rng_t *x1 = rng_new(5, "x");
    double first = rng_uniform(x1);
    rng_free(x1);
    rng_t *junk = rng_new(5, "y");
    for (int i = 0; i < 10; i++)
        (void)rng_uniform(junk);
    rng_t *x2 = rng_new(5, "x");
    assert_true(rng_uniform(x2) == first);
    rng_free(junk), rng_free(x2);
}

static void test_mix64_known_values(void **state)
{
    (void)state;
    /* SplitMix64 (Steele, Lea, Flood 2014; Vigna's splitmix64.c) seeded with
     * 0 outputs 0xe220a8397b1dcdaf then 0x6e789e6aa1b965f4; rng_mix64(x) is
     * the output for state x, i.e. for x = 0 and x = the golden gamma. */
    assert_true(rng_mix64(0) == 0xe220a8397b1dcdafULL);
    assert_true(rng_mix64(0x9e3779b97f4a7c15ULL) == 0x6e789e6aa1b965f4ULL);
}

static void test_rng_helpers(void **state)
{
    (void)state;
    rng_t *r = rng_new(1, "helpers");
    assert_non_null(r);
    enum { N = 200000, B = 7 };
    long cnt[B] = {0};
    double se = 0, s = 0;
    for (int i = 0; i < N; i++) {
        double u = rng_uniform_pos(r);
        assert_true(u > 0 && u < 1);
        uint32_t k = rng_below(r, B);
        assert_true(k < B);
        cnt[k]++;
        double x = rng_exp1(r);
        assert_true(x >= 0 && isfinite(x));
        se += x;
        s += u;
    }
    /* Exp(1): mean 1, sd 1: within 5/sqrt(N). U(0,1): mean 1/2, sd
     * 1/sqrt(12). rng_below: each count Binomial(N, 1/B), within 5 sd. */
    check_close("exp1 mean", se / N, 1.0, 5.0 / sqrt(N));
    check_close("uniform mean", s / N, 0.5, 5.0 / sqrt(12.0 * N));
    double p = 1.0 / B, sd = sqrt(N * p * (1 - p));
    for (int k = 0; k < B; k++)
        check_close("rng_below count", (double)cnt[k], N * p, 5 * sd);
    assert_int_equal(rng_below(r, 1), 0);
    rng_free(r);
}

/* ---- distributions ----------------------------------------------------------- */

static void test_exponential(void **state)
{
    fx_t *f = *state;
    dist_t d;
    decode_ok(f, "t: {dist: exponential, mean: 1s}\n", &d);
    assert_ptr_equal(d.kind, dist_find("exponential"));
    check_moments("exponential", &d, 1.0, 1.0, 9.0);
    decode_ok(f, "t:\n  dist: exponential\n  mean: 250us\n", &d);
    double m = 250e-6;
    check_moments("exponential.250us", &d, m, m * m, 9 * m * m * m * m);
    /* it is mean x rng_exp1 (the ziggurat, tests/test_rng.c) */
    rng_t *a = rng_new(9, "exp.twin"), *b = rng_new(9, "exp.twin");
    assert_non_null(a), assert_non_null(b);
    for (int i = 0; i < 100000; i++)
        assert_true(dist_sample(&d, a) == m * rng_exp1(b));
    rng_free(a), rng_free(b);
}

static void test_deterministic(void **state)
{
    fx_t *f = *state;
    dist_t d;
    decode_ok(f, "t: {dist: deterministic, value: 5ms}\n", &d);
    assert_ptr_equal(d.kind, dist_find("deterministic"));
    rng_t *r = rng_new(3, "det");
    for (int i = 0; i < 1000; i++)
        assert_true(dist_sample(&d, r) == d.value);
    check_close("value", d.value, 0.005, 1e-15);
    check_close("mean", dist_mean(&d), 0.005, 1e-15);
    assert_int_equal(dist_sample_ns(&d, r), 5000000);
    /* a bare duration is a deterministic distribution */
    dist_t b;
    decode_ok(f, "t: 5ms\n", &b);
    assert_ptr_equal(b.kind, dist_find("deterministic"));
    check_close("bare value", b.value, 0.005, 1e-15);
    assert_int_equal(dist_sample_ns(&b, r), 5000000);
    decode_ok(f, "t: 1.5\n", &b);                 /* bare number: seconds */
    assert_true(b.value == 1.5);
    /* dist_deterministic builds the same */
    dist_deterministic(&b, 0.25);
    assert_ptr_equal(b.kind, dist_find("deterministic"));
    assert_true(dist_sample(&b, r) == 0.25);
    assert_true(dist_mean(&b) == 0.25);
    rng_free(r);
}

static void test_lognormal(void **state)
{
    fx_t *f = *state;
    dist_t d;
    /* cv 0.5: mean and variance (all moments finite) */
    decode_ok(f, "t: {dist: lognormal, mean: 20ms, cv: 0.5}\n", &d);
    assert_ptr_equal(d.kind, dist_find("lognormal"));
    double m = 0.02, c = 0.5, s2 = log1p(c * c), mul = log(m) - s2 / 2;
    double e[5];
    for (int k = 1; k <= 4; k++)
        e[k] = exp(k * mul + k * k * s2 / 2);
    check_close("E X", e[1], m, 1e-12 * m);              /* the parametrisation */
    check_close("Var X", e[2] - e[1] * e[1], (c * m) * (c * m), 1e-10 * (c * m) * (c * m));
    check_moments("lognormal.cv0.5", &d, m, (c * m) * (c * m), central4(e[1], e[2], e[3], e[4]));
    /* the header's example, cv 1.5: mean only (the 4th moment is finite but
     * (1+cv^2)^6 ~ 1200 times m^4, so s^2 converges too slowly to check) */
    decode_ok(f, "t: {dist: lognormal, mean: 20ms, cv: 1.5}\n", &d);
    check_moments("lognormal.cv1.5", &d, m, (1.5 * m) * (1.5 * m), -1);
}

static void test_gamma(void **state)
{
    fx_t *f = *state;
    dist_t d;
    /* by mean 1s and cv 0.5: shape 1/0.25 = 4, scale 1 * 0.25 */
    decode_ok(f, "t: {dist: gamma, mean: 1s, cv: 0.5}\n", &d);
    assert_ptr_equal(d.kind, dist_find("gamma"));
    double k = 4, t = 0.25;
    check_moments("gamma.meancv", &d, k * t, k * t * t, 3 * k * (k + 2) * t * t * t * t);
    /* by shape 2.5 and scale 10ms */
    decode_ok(f, "t: {dist: gamma, shape: 2.5, scale: 10ms}\n", &d);
    k = 2.5, t = 0.01;
    check_moments("gamma.shapescale", &d, k * t, k * t * t, 3 * k * (k + 2) * t * t * t * t);
}

static void test_weibull(void **state)
{
    fx_t *f = *state;
    dist_t d;
    decode_ok(f, "t: {dist: weibull, shape: 1.5, scale: 1s}\n", &d);
    assert_ptr_equal(d.kind, dist_find("weibull"));
    double k = 1.5, l = 1.0, e[5];
    for (int r = 1; r <= 4; r++)
        e[r] = pow(l, r) * tgamma(1.0 + r / k);
    check_moments("weibull", &d, e[1], e[2] - e[1] * e[1], central4(e[1], e[2], e[3], e[4]));
    /* shape 1 is exponential with mean = scale */
    decode_ok(f, "t: {dist: weibull, shape: 1, scale: 2s}\n", &d);
    check_moments("weibull.exp", &d, 2.0, 4.0, 9.0 * 16.0);
}

static void test_pareto(void **state)
{
    fx_t *f = *state;
    dist_t d;
    /* shape 2.5 (the header's example): variance finite, 4th moment not */
    decode_ok(f, "t: {dist: pareto, shape: 2.5, scale: 10ms}\n", &d);
    assert_ptr_equal(d.kind, dist_find("pareto"));
    double a = 2.5, xm = 0.01;
    double m1 = a * xm / (a - 1), m2 = a * xm * xm / (a - 2);
    check_moments("pareto.2.5", &d, m1, m2 - m1 * m1, -1);
    moments_t mm = draw(&d, "pareto.min");
    assert_true(mm.min >= xm);                 /* support [x_m, inf) */
    /* shape 6: 4th moment finite, variance checked too */
    decode_ok(f, "t: {dist: pareto, shape: 6, scale: 10ms}\n", &d);
    a = 6;
    double e[5];
    for (int r = 1; r <= 4; r++)
        e[r] = a * pow(xm, r) / (a - r);
    check_moments("pareto.6", &d, e[1], e[2] - e[1] * e[1], central4(e[1], e[2], e[3], e[4]));
    /* shape <= 1: no mean */
    decode_ok(f, "t: {dist: pareto, shape: 1, scale: 10ms}\n", &d);
    assert_true(isinf(dist_mean(&d)));
}

static void test_uniform(void **state)
{
    fx_t *f = *state;
    dist_t d;
    decode_ok(f, "t: {dist: uniform, min: 1ms, max: 5ms}\n", &d);
    assert_ptr_equal(d.kind, dist_find("uniform"));
    double a = 0.001, b = 0.005, w = b - a;
    check_moments("uniform", &d, (a + b) / 2, w * w / 12, w * w * w * w / 80);
    moments_t m = draw(&d, "uniform.range");
    assert_true(m.min >= a && m.max <= b);
    /* and they come close to both ends: P(no draw in the lowest 0.01% of
     * the range) = (1 - 1e-4)^200000 ~ e^-20 */
    assert_true(m.min < a + 1e-4 * w && m.max > b - 1e-4 * w);
}

/* Writes text to a fresh file under /tmp; returns its path (static). */
static const char *write_tmp(const char *tag, const char *text)
{
    static char path[256];
    snprintf(path, sizeof path, "/tmp/clustersim_test_dist_%ld_%s.csv", (long)getpid(), tag);
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    fputs(text, fp);
    fclose(fp);
    return path;
}

static void test_empirical(void **state)
{
    fx_t *f = *state;
    /* six values with units, a header line, and one bare number (seconds) */
    static const double vals[] = {0.005, 0.010, 0.5, 0.00025, 2.0, 0.0015};
    enum { NV = 6 };
    const char *path = write_tmp("a", "latency\n5ms\n10ms\n0.5s\n250us\n2\n1.5ms\n");
    char yaml[512];
    snprintf(yaml, sizeof yaml, "t: {dist: empirical, file: '%s'}\n", path);
    dist_t d;
    decode_ok(f, yaml, &d);
    unlink(path);
    assert_ptr_equal(d.kind, dist_find("empirical"));
    assert_int_equal(d.nsamples, NV);
    double mu = 0, m2 = 0;
    for (int i = 0; i < NV; i++)
        mu += vals[i], m2 += vals[i] * vals[i];
    mu /= NV;
    double var = m2 / NV - mu * mu; /* of one uniform draw from the six */
    check_close("dist_mean", dist_mean(&d), mu, 1e-12 * mu);

    rng_t *r = rng_new(11, "empirical");
    long cnt[NV] = {0};
    double sum = 0;
    for (long i = 0; i < NSAMP; i++) {
        double x = dist_sample(&d, r);
        int k = 0;
        while (k < NV && !(fabs(x - vals[k]) <= 1e-12 * vals[k]))
            k++;
        if (k == NV) {
            print_error("draw %g is not one of the file's values\n", x);
            fail();
        }
        cnt[k]++;
        sum += x;
    }
    rng_free(r);
    /* each value Binomial(n, 1/6): within 5 sd; mean within 5 SE */
    double p = 1.0 / NV, sd = sqrt(NSAMP * p * (1 - p));
    for (int k = 0; k < NV; k++)
        check_close("empirical count", (double)cnt[k], NSAMP * p, 5 * sd);
    check_close("empirical mean", sum / NSAMP, mu, 5 * sqrt(var / NSAMP));

    /* column 1 of a two-column file */
    path = write_tmp("b", "id,latency\n1,3ms\n2,7ms\n");
    snprintf(yaml, sizeof yaml, "t: {dist: empirical, file: '%s', column: 1}\n", path);
    decode_ok(f, yaml, &d);
    unlink(path);
    assert_int_equal(d.nsamples, 2);
    check_close("dist_mean col 1", dist_mean(&d), 0.005, 1e-15);
    r = rng_new(12, "empirical.b");
    for (int i = 0; i < 1000; i++) {
        double x = dist_sample(&d, r);
        assert_true(fabs(x - 0.003) < 1e-15 || fabs(x - 0.007) < 1e-15);
    }
    rng_free(r);

    /* the header is the first line that is neither blank nor a comment */
    path = write_tmp("c", "# recorded 2026-11-30\n\nlatency\n1ms\n3ms\n");
    snprintf(yaml, sizeof yaml, "t: {dist: empirical, file: '%s'}\n", path);
    decode_ok(f, yaml, &d);
    unlink(path);
    assert_int_equal(d.nsamples, 2);
    check_close("dist_mean after a comment and a header", dist_mean(&d), 0.002, 1e-15);
}

/* A first line made only of what durations are made of is a sample, and
 * an error when it is not one (it was taken for a header and dropped: a
 * typo in the first sample changed the distribution, where the same typo
 * on line 2 is an error). Headers keep their place: "1st_latency", an
 * empty cell, after a blank line of spaces, and "ms" (no digit). */
static void test_empirical_first_sample_typo(void **state)
{
    fx_t *f = *state;
    static const char *const first[] = {"10mss\n2ms\n", "-5ms\n2ms\n4ms\n", "1.5.ms\n1ms\n"};
    for (int i = 0; i < 3; i++) {
        const char *path = write_tmp("d", first[i]);
        char yaml[512];
        snprintf(yaml, sizeof yaml, "t: {dist: empirical, file: '%s'}\n", path);
        diag_init(&f->diag);
        dist_t d;
        assert_true(decode(f, yaml, "t", &d) > 0);
        unlink(path);
        assert_true(f->diag.errors >= 1);
        assert_non_null(strstr(f->diag.msgs[0].text, ":1:1: expected a non-negative duration"));
    }
    static const char *const headers[] = {"1st_latency\n10ms\n30ms\n", "x,\n0,10ms\n1,30ms\n", "   \n+x\n10ms\n30ms\n",
                                          "ms\n10ms\n30ms\n"};
    for (int i = 0; i < 4; i++) {
        const char *path = write_tmp("e", headers[i]);
        char yaml[512];
        snprintf(yaml, sizeof yaml, "t: {dist: empirical, file: '%s'%s}\n", path, i == 1 ? ", column: 1" : "");
        dist_t d;
        diag_init(&f->diag);
        decode_ok(f, yaml, &d);
        unlink(path);
        assert_int_equal(d.nsamples, 2);
        check_close("dist_mean after a header", dist_mean(&d), 0.020, 1e-15);
    }
}

/* ---- decode errors ------------------------------------------------------------ */

/* Decoding `yaml` must fail with exactly one error at line:col whose text
 * contains `needle`. */
static void expect_error(fx_t *f, const char *yaml, int line, int col, const char *needle)
{
    diag_init(&f->diag);
    dist_t d;
    int rc = decode(f, yaml, "t", &d);
    char prefix[64];
    snprintf(prefix, sizeof prefix, "t.yaml:%d:%d: ", line, col);
    if (rc <= 0 || f->diag.errors != 1 || strncmp(f->diag.msgs[0].text, prefix, strlen(prefix)) != 0 ||
        !strstr(f->diag.msgs[0].text, needle)) {
        print_error("yaml:\n%s\nrc %d, %zu errors; want one at %s containing '%s'; got:\n", yaml, rc,
                    f->diag.errors, prefix, needle);
        diag_print(&f->diag, stderr);
        fail();
    }
    diag_init(&f->diag);
}

static void test_decode_errors(void **state)
{
    fx_t *f = *state;
    /* Columns counted by hand: in "  dist: expo" the value starts after 8
     * characters, column 9; a block mapping's position is its first key. */

    /* unknown name: at the name, listing every valid one */
    expect_error(f, "t:\n  dist: expo\n  mean: 1s\n", 2, 9, "'expo'");
    diag_init(&f->diag);
    dist_t d;
    assert_true(decode(f, "t:\n  dist: expo\n  mean: 1s\n", "t", &d) > 0);
    static const char *const names[] = {"exponential", "deterministic", "lognormal", "gamma",
                                        "weibull",     "pareto",        "uniform",   "empirical"};
    for (size_t i = 0; i < 8; i++)
        if (!strstr(f->diag.msgs[0].text, names[i])) {
            print_error("'%s' not listed in: %s\n", names[i], f->diag.msgs[0].text);
            fail();
        }
    for (size_t i = 0; i < 8; i++)
        assert_non_null(dist_find(names[i]));
    assert_null(dist_find("expo"));

    /* missing required parameter: at the mapping (line 2, column 3) */
    expect_error(f, "t:\n  dist: exponential\n", 2, 3, "'mean'");
    expect_error(f, "t:\n  dist: lognormal\n  mean: 20ms\n", 2, 3, "'cv'");
    /* flow style: "t: {" puts the mapping's '{' at column 4 */
    expect_error(f, "t: {dist: weibull, shape: 1.5}\n", 1, 4, "'scale'");
    /* missing dist key */
    expect_error(f, "t:\n  mean: 1s\n", 2, 3, "'dist'");

    /* cv <= 0: at the value ("  cv: " is 6 characters) */
    expect_error(f, "t:\n  dist: lognormal\n  mean: 20ms\n  cv: 0\n", 4, 7, "cv");
    expect_error(f, "t:\n  dist: lognormal\n  mean: 20ms\n  cv: -0.5\n", 4, 7, "cv");
    expect_error(f, "t:\n  dist: gamma\n  mean: 1s\n  cv: 0\n", 4, 7, "cv");
    /* exponential mean must be > 0: at the value ("  mean: " is 8) */
    expect_error(f, "t:\n  dist: exponential\n  mean: 0s\n", 3, 9, "mean");

    /* uniform min >= max: at the mapping */
    expect_error(f, "t:\n  dist: uniform\n  min: 5ms\n  max: 1ms\n", 2, 3, "min < max");
    expect_error(f, "t:\n  dist: uniform\n  min: 5ms\n  max: 5ms\n", 2, 3, "min < max");

    /* gamma with both parametrisations, or half of one: at the mapping */
    expect_error(f, "t:\n  dist: gamma\n  mean: 1s\n  cv: 0.5\n  shape: 2\n  scale: 1s\n", 2, 3, "gamma");
    expect_error(f, "t:\n  dist: gamma\n  mean: 1s\n", 2, 3, "gamma");
    expect_error(f, "t:\n  dist: gamma\n  shape: 2\n", 2, 3, "gamma");

    /* an unknown key inside the distribution: at the key */
    expect_error(f, "t:\n  dist: exponential\n  mean: 1s\n  sigma: 2\n", 4, 3, "'sigma'");
    /* a bad duration: at the value */
    expect_error(f, "t:\n  dist: exponential\n  mean: 5 parsecs\n", 3, 9, "parsecs");
    /* a negative bare duration, and a non-duration scalar: at the scalar
     * ("t: " is 3 characters) */
    expect_error(f, "t: -5ms\n", 1, 4, "-5ms");
    expect_error(f, "t: fast\n", 1, 4, "fast");
    /* a sequence is not a distribution */
    expect_error(f, "t: [1, 2]\n", 1, 4, "sequence");
    /* an empirical file that does not exist: at the file name */
    expect_error(f, "t:\n  dist: empirical\n  file: /nonexistent/clustersim.csv\n", 3, 9, "cannot open");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_streams),
        cmocka_unit_test(test_mix64_known_values),
        cmocka_unit_test(test_rng_helpers),
        cmocka_unit_test_setup_teardown(test_exponential, setup, teardown),
        cmocka_unit_test_setup_teardown(test_deterministic, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lognormal, setup, teardown),
        cmocka_unit_test_setup_teardown(test_gamma, setup, teardown),
        cmocka_unit_test_setup_teardown(test_weibull, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pareto, setup, teardown),
        cmocka_unit_test_setup_teardown(test_uniform, setup, teardown),
        cmocka_unit_test_setup_teardown(test_empirical, setup, teardown),
        cmocka_unit_test_setup_teardown(test_empirical_first_sample_typo, setup, teardown),
        cmocka_unit_test_setup_teardown(test_decode_errors, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
