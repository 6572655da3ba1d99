/* zipf: the Zipf distribution over {1..n}, sampled in O(1) time and memory.
 *
 * P(X = i) = i^-s / H(n, s) for i = 1..n, with exponent s >= 0 (s = 0 is
 * uniform) and H(n, s) = sum_{k=1..n} k^-s the generalised harmonic number.
 * Object popularity in caches and CDNs is commonly modelled this way (s
 * between about 0.6 and 1.2); rank i = 1 is the most popular object.
 *
 * Sampling is rejection-inversion (W. Hörmann and G. Derflinger,
 * "Rejection-inversion to generate variates from monotone discrete
 * distributions", ACM TOMACS 6(3), 1996): a continuous variate with density
 * proportional to the hat x^-s is drawn by inversion and rounded to the
 * nearest integer k; it is kept when it falls in a part of k's interval whose
 * hat mass is exactly k^-s, else drawn again. The result has the exact
 * distribution (up to double rounding); no table, no per-object memory. The
 * expected number of proposals per draw, (hat mass) / H(n, s), is below
 * 1.017 for every n and s (largest near s = 3; 1.000 for s = 0, 1.006 for
 * s = 1 and n = 10, computed while writing this); a draw costs about 50-75 ns
 * at -O2 on a 2020s x86-64. Each proposal takes one rng_uniform(), which
 * has 53 random bits: with a 32-bit uniform (as GSL's MT19937 gave) the
 * objects of a uniform population of 10^9 would own 4 or 5 of the 2^32 grid
 * points each, so their probabilities would differ by 25%.
 *
 * Tried and dropped: the first 4,095 ranks by an alias table (one draw, one
 * 64-bit read; the rest by this method as the table's last column). It
 * took 70% of the baseline's draws off log1p and exp, but the table's
 * reads (32 kB per class) missed the caches about as often, and the
 * baseline day took 0.99 of the time (farm-bench, 3 pairs): not worth the
 * memory and a changed stream.
 *
 * Limits: n <= ZIPF_N_MAX = 2^53, where consecutive integers are still
 * distinct doubles; s finite. Rounding: rank k owns a stretch of width k^-s
 * of a uniform spread over a range of magnitude U = max(1, |H(n + 1/2)|), so
 * its probability is resolved to a relative error of about 2^-52 U k^s.
 * At n = 10^9 the worst rank is off by 5e-6 for s <= 1 and 7e-5 for
 * s = 1.2; for s = 2 the error passes 1% beyond rank 10^7, where 6e-8 of
 * the draws fall. No simulation can observe this. */
#ifndef SIM_ZIPF_H
#define SIM_ZIPF_H

#include <stdint.h>
#include "sim/rng.h"

#define ZIPF_N_MAX (UINT64_C(1) << 53)
/* zipf_harmonic() sums terms directly up to this n, and uses the
 * Euler-Maclaurin formula beyond. */
#define ZIPF_HARMONIC_EXACT_MAX UINT64_C(1000000)

/* A sampler; plain data, no pointers, may be copied and shared by threads
 * (each with its own rng_t). Fields are private to zipf.c. */
typedef struct zipf {
    uint64_t n;
    double s;
    double h_lo;       /* integral of the hat up to 1.5, minus h(1) */
    double h_hi;       /* integral of the hat up to n + 0.5 */
    double squeeze;    /* k - x <= squeeze accepts without the exact test */
    double norm;       /* H(n, s) */
} zipf_t;

/* Prepares a sampler for {1..n} with exponent s: 0 on success, -1 when
 * n == 0, n > ZIPF_N_MAX, s < 0 or s is not finite (z is then untouched).
 * Costs O(min(n, 10^6)) once, for the normalising constant (about 15 ms at
 * n = 10^6; zipf_sample does not need it). */
int zipf_init(zipf_t *z, uint64_t n, double s);
/* One draw in [1, n]. */
uint64_t zipf_sample(const zipf_t *z, rng_t *r);
/* P(X = i): i^-s / H(n, s), 0 outside [1, n]. */
double zipf_pmf(const zipf_t *z, uint64_t i);
/* The generalised harmonic number H(n, s) = sum_{k=1..n} k^-s, for s >= 0
 * (0 for n == 0; NaN for s < 0 or not finite). For n <= 10^6 the terms are
 * summed from the smallest up with compensated (Kahan) summation: relative
 * error a few ulp. Beyond, the first 31 terms are summed and the rest is
 * the Euler-Maclaurin formula through the B_8 term; for k^-s (completely
 * monotone) the remainder is below the first omitted term,
 * |B_10 / 10!| (s)_9 32^(-s-9) < 1e-17 for every s >= 0, so the result is
 * within a few ulp as well. */
double zipf_harmonic(uint64_t n, double s);

#endif
