/* zipf: rejection-inversion (Hörmann and Derflinger, 1996).
 *
 * With the hat h(x) = x^-s, convex and decreasing on x > 0, and its integral
 *
 *     H(x) = (x^(1-s) - 1) / (1-s)        (= ln x when s = 1),
 *
 * the interval [k - 1/2, k + 1/2] carries hat mass H(k+1/2) - H(k-1/2) >= h(k)
 * (a convex function lies above its tangent at the centre, so its mean over
 * a symmetric interval is at least its value there). A uniform u in
 * (H(1.5) - h(1), H(n + 1/2)] is inverted, x = H^-1(u), and rounded to
 * k = round(x); u is kept when u >= H(k + 1/2) - h(k), i.e. when it lies in
 * the top h(k) of k's interval. Every k therefore has acceptance mass exactly
 * h(k) = k^-s, which is the Zipf law. Starting the range at H(1.5) - h(1)
 * rather than H(0.5) gives rank 1 exactly its mass (it is never rejected)
 * and keeps x away from 0, where the hat of s > 1 is unbounded.
 *
 * Squeeze (as in the paper's algorithm): the exact test needs H(k + 1/2),
 * a pow() or log(). For this hat the left (rejected) part of k's interval
 * measured in x, [k - 1/2, H^-1(H(k+1/2) - h(k))], is widest for k = 2, so
 * any x with k - x <= 2 - H^-1(H(2.5) - h(2)) lies in the accepted part and
 * is kept at once; the exact test is needed only near the left end of an
 * interval. (Checked while writing this, in long double, for s = 0 to 20 in
 * steps of 0.01 and k = 2 to 10^12 where long double resolves the interval:
 * the margin is smallest, 0, at k = 2. Rank 1 never needs the test. The
 * squeeze only saves time; the exact test alone gives the same law.)
 *
 * Numerics: H and H^-1 are written with log1p/expm1 through
 * helper1(t) = log1p(t)/t and helper2(t) = expm1(t)/t, both -> 1 as t -> 0,
 * so s = 1 and s close to 1 need no special case. */
#include "sim/zipf.h"

#include <math.h>

/* log1p(t) / t, continuous at t = 0. */
static double helper1(double t)
{
    if (fabs(t) > 1e-8)
        return log1p(t) / t;
    return 1.0 - t * (0.5 - t * (1.0 / 3.0 - 0.25 * t));
}

/* expm1(t) / t, continuous at t = 0. */
static double helper2(double t)
{
    if (fabs(t) > 1e-8)
        return expm1(t) / t;
    return 1.0 + t * 0.5 * (1.0 + t * (1.0 / 3.0) * (1.0 + 0.25 * t));
}

/* The hat h(x) = x^-s. */
static double hat(double x, double s)
{
    return exp(-s * log(x));
}

/* H(x) = integral of the hat from 1 to x, q = 1 - s. */
static double hat_integral(double x, double q)
{
    double lx = log(x);
    return helper2(q * lx) * lx;
}

/* H^-1(u). For s < 1 the range of H is bounded below by -1/q (x = 0),
 * for s > 1 above by -1/q (x = infinity); rounding can step past those
 * bounds by an ulp, so t is clamped at -1 (x = 0 or infinity). */
static double hat_integral_inv(double u, double q)
{
    double t = u * q;
    if (t < -1.0)
        t = -1.0;
    return exp(helper1(t) * u);
}

int zipf_init(zipf_t *z, uint64_t n, double s)
{
    if (n == 0 || n > ZIPF_N_MAX || !isfinite(s) || s < 0.0)
        return -1;
    double q = 1.0 - s;
    z->n = n;
    z->s = s;
    z->h_lo = hat_integral(1.5, q) - 1.0;
    z->h_hi = hat_integral((double)n + 0.5, q);
    z->squeeze = 2.0 - hat_integral_inv(hat_integral(2.5, q) - hat(2.0, s), q);
    z->norm = zipf_harmonic(n, s);
    return 0;
}

uint64_t zipf_sample(const zipf_t *z, rng_t *r)
{
    double q = 1.0 - z->s;
    double nd = (double)z->n;
    for (;;) {
        /* u runs from h_hi down to (but excluding) h_lo */
        double u = z->h_hi + rng_uniform(r) * (z->h_lo - z->h_hi);
        double x = hat_integral_inv(u, q);
        double kd = floor(x + 0.5);
        if (kd < 1.0)
            kd = 1.0;               /* x in (H^-1(h_lo), 0.5): rank 1's interval */
        else if (kd > nd)
            kd = nd;                /* x = n + 0.5 exactly */
        if (kd - x <= z->squeeze
            || u >= hat_integral(kd + 0.5, q) - hat(kd, z->s))
            return (uint64_t)kd;
    }
}

double zipf_pmf(const zipf_t *z, uint64_t i)
{
    if (i < 1 || i > z->n)
        return 0.0;
    return hat((double)i, z->s) / z->norm;
}

/* sum_{k=a..b} k^-s (1 <= a <= b), smallest terms first, Kahan-compensated. */
static double direct_sum(uint64_t a, uint64_t b, double s)
{
    double sum = 0.0, c = 0.0;
    for (uint64_t k = b; k >= a; k--) {
        double y = hat((double)k, s) - c;
        double t = sum + y;
        c = (t - sum) - y;
        sum = t;
    }
    return sum;
}

/* First index of the Euler-Maclaurin tail: terms 1..EM_M-1 are summed. */
#define EM_M 32

double zipf_harmonic(uint64_t n, double s)
{
    if (!isfinite(s) || s < 0.0)
        return NAN;
    if (n == 0)
        return 0.0;
    if (s == 0.0)
        return (double)n;
    if (n <= ZIPF_HARMONIC_EXACT_MAX)
        return direct_sum(1, n, s);

    /* sum_{k=M..n} f(k) = int_M^n f + (f(M) + f(n))/2
     *                   + sum_j B_2j/(2j)! (f^(2j-1)(n) - f^(2j-1)(M)),
     * f(x) = x^-s, f^(2j-1)(x) = -(s)_(2j-1) x^(-s-2j+1), (s)_m the rising
     * factorial s (s+1) ... (s+m-1). B_2/2! = 1/12, B_4/4! = -1/720,
     * B_6/6! = 1/30240, B_8/8! = -1/1209600. */
    static const double coef[4] = {
        1.0 / 12.0, -1.0 / 720.0, 1.0 / 30240.0, -1.0 / 1209600.0
    };
    double m = EM_M, nd = (double)n, q = 1.0 - s;
    double l = log(nd / m);
    double integral = hat(m, -q) * l * helper2(q * l);   /* M^q (e^(qL) - 1)/q */
    double corr = 0.0, rising = s;                        /* (s)_1 */
    for (int j = 0; j < 4; j++) {
        double p = s + 2.0 * j + 1.0;                     /* exponent s+2j-1, j from 1 */
        corr += coef[j] * rising * (hat(m, p) - hat(nd, p));
        rising *= (s + 2.0 * j + 1.0) * (s + 2.0 * j + 2.0);
    }
    double tail = integral + 0.5 * (hat(m, s) + hat(nd, s)) + corr;
    return direct_sum(1, EM_M - 1, s) + tail;
}
