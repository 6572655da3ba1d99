/* Unit tests of sim/hist: the log-linear latency histogram.
 *
 * What is pinned and where it comes from (sim/hist.h):
 *  - buckets: values below 128 ns one bucket each; above, an octave split in
 *    64 buckets, so a bucket [lo, lo+w) has w <= lo/64; the buckets tile
 *    [0, 2^59) and everything at or above 2^59 goes to the last one;
 *  - quantile q of n values is the value of rank ceil(q*n) (at least 1),
 *    reported as its bucket's midpoint lo + (w-1)/2 clamped to [min, max].
 *    For a true value v in [lo, lo+w-1]: |mid - v| <= (w-1)/2 < w/2 <= lo/128
 *    <= v/128, and clamping to [min, max] (which contains v) only brings mid
 *    closer. Hence |reported - exact| <= exact/128 for v >= 128, and 0 below.
 *    The exact value is found by sorting the same samples; the rank is
 *    computed in integer arithmetic (ceil(a*n/b) for q = a/b).
 *  - mean = sum/n; min and max are kept exactly.
 *
 * Samples come from a SplitMix64 generator local to this file (fixed seed). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sim/hist.h"

static uint64_t sm_state;
static uint64_t sm_next(void)
{
    uint64_t z = (sm_state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}
/* Uniform on [0, 1) with 53 random bits. */
static double sm_unif(void) { return (double)(sm_next() >> 11) * 0x1p-53; }

static int cmp_i64(const void *a, const void *b)
{
    simtime_t x = *(const simtime_t *)a, y = *(const simtime_t *)b;
    return (x > y) - (x < y);
}

/* The quantiles the simulator reports, as exact fractions a/b. */
static const struct {
    uint64_t a, b;
} qs[] = {{1, 2}, {9, 10}, {19, 20}, {99, 100}, {999, 1000}};

static hist_t *new_hist(void)
{
    hist_t *h = malloc(sizeof *h);
    assert_non_null(h);
    hist_reset(h);
    return h;
}

/* Feeds v[0..n) to a histogram and checks every quantile of qs[] against the
 * exact order statistic of rank ceil(a*n/b), within exact/128 (0 below 128). */
static void check_quantiles(simtime_t *v, size_t n)
{
    hist_t *h = new_hist();
    for (size_t i = 0; i < n; i++)
        hist_add(h, v[i]);
    qsort(v, n, sizeof *v, cmp_i64);
    assert_int_equal(h->n, n);
    assert_int_equal(h->min, v[0]);
    assert_int_equal(h->max, v[n - 1]);
    for (size_t k = 0; k < sizeof qs / sizeof qs[0]; k++) {
        uint64_t rank = (qs[k].a * n + qs[k].b - 1) / qs[k].b;
        if (rank < 1)
            rank = 1;
        double exact = (double)v[rank - 1];
        double got = hist_quantile(h, (double)qs[k].a / (double)qs[k].b);
        double tol = exact < 128 ? 0.0 : exact / 128.0;
        if (!(fabs(got - exact) <= tol)) {
            print_error("q=%llu/%llu n=%zu: got %.17g, exact %.17g, tol %.6g\n", (unsigned long long)qs[k].a,
                        (unsigned long long)qs[k].b, n, got, exact, tol);
            fail();
        }
    }
    /* q = 0 and q = 1 are the exact extremes */
    assert_true(hist_quantile(h, 0.0) == (double)v[0]);
    assert_true(hist_quantile(h, 1.0) == (double)v[n - 1]);
    free(h);
}

static void test_bucket_round_trip(void **state)
{
    (void)state;
    uint64_t next_lo = 0;
    for (unsigned b = 0; b < HIST_BUCKETS; b++) {
        uint64_t lo, w;
        hist_bucket_range(b, &lo, &w);
        /* contiguous and non-overlapping: each bucket starts where the last
         * ended, so the lower bounds increase strictly */
        assert_int_equal(lo, next_lo);
        assert_true(w >= 1);
        assert_int_equal(hist_bucket((simtime_t)lo), b);
        assert_int_equal(hist_bucket((simtime_t)(lo + w - 1)), b);
        if (w > 1)
            assert_int_equal(hist_bucket((simtime_t)(lo + w / 2)), b);
        if (b < 128)
            assert_int_equal(w, 1);            /* exact below 128 ns */
        else
            assert_true(w * 64 <= lo);         /* w <= lo/64 */
        next_lo = lo + w;
    }
    /* the buckets tile exactly [0, 2^HIST_MAX_BITS) */
    assert_int_equal(next_lo, (uint64_t)1 << HIST_MAX_BITS);
    /* a few values by hand: 128 = 2^7 starts the first split octave, whose
     * buckets have width 2^(7-6) = 2 */
    assert_int_equal(hist_bucket(127), 127);
    assert_int_equal(hist_bucket(128), 128);
    assert_int_equal(hist_bucket(129), 128);
    assert_int_equal(hist_bucket(130), 129);
    assert_int_equal(hist_bucket(-5), 0);
    /* at and past the range: the last bucket */
    assert_int_equal(hist_bucket(((simtime_t)1 << HIST_MAX_BITS) - 1), HIST_BUCKETS - 1);
    assert_int_equal(hist_bucket((simtime_t)1 << HIST_MAX_BITS), HIST_BUCKETS - 1);
    assert_int_equal(hist_bucket(INT64_MAX), HIST_BUCKETS - 1);
}

static void test_small_values_exact_rank(void **state)
{
    (void)state;
    /* 1..10 in scrambled order; all below 128 ns, so quantiles are exact.
     * Ranks by hand, ceil(q*10): q=.05 -> 1, .1 -> 1, .5 -> 5, .9 -> 9,
     * .95 -> 10 (ceil 9.5), .001 -> 1 (at least 1). */
    static const simtime_t vals[] = {7, 3, 10, 1, 9, 2, 8, 5, 4, 6};
    hist_t *h = new_hist();
    for (size_t i = 0; i < 10; i++)
        hist_add(h, vals[i]);
    assert_true(hist_quantile(h, 0.05) == 1.0);
    assert_true(hist_quantile(h, 0.1) == 1.0);
    assert_true(hist_quantile(h, 0.15) == 2.0);
    assert_true(hist_quantile(h, 0.5) == 5.0);
    assert_true(hist_quantile(h, 0.51) == 6.0);
    assert_true(hist_quantile(h, 0.9) == 9.0);
    assert_true(hist_quantile(h, 0.95) == 10.0);
    assert_true(hist_quantile(h, 0.001) == 1.0);
    /* mean of 1..10 = 55/10 = 5.5, exactly representable */
    assert_true(hist_mean(h) == 5.5);
    assert_int_equal(h->min, 1);
    assert_int_equal(h->max, 10);

    /* one value far above 128: every quantile is clamped to [min, max] =
     * [v, v], so it is v exactly, not the bucket's midpoint */
    hist_reset(h);
    hist_add(h, 1000000007);
    assert_true(hist_quantile(h, 0.5) == 1000000007.0);
    assert_true(hist_quantile(h, 0.999) == 1000000007.0);
    assert_true(hist_mean(h) == 1000000007.0);

    /* every value 0..127 a random number of times: exact quantiles */
    sm_state = 7;
    enum { N = 5000 };
    static simtime_t v[N];
    for (size_t i = 0; i < N; i++)
        v[i] = (simtime_t)(sm_next() % 128);
    check_quantiles(v, N);
    free(h);
}

static void test_quantiles_log_uniform(void **state)
{
    (void)state;
    /* log-uniform from 1 us to 1 h: v = 1e3 * (3.6e12/1e3)^U ns */
    enum { N = 100000 };
    static simtime_t v[N];
    sm_state = 12345;
    double span = log(3.6e12 / 1e3);
    for (size_t i = 0; i < N; i++)
        v[i] = llround(1e3 * exp(span * sm_unif()));
    check_quantiles(v, N);
    /* latencies of hours to years (1 h to 3650 days, the longest run):
     * resolved as well (up to 2^43 ns, 2.4 h, they once all fell into the
     * last bucket) */
    double span_long = log(3650.0 * 86400 / 3600);
    for (size_t i = 0; i < N; i++)
        v[i] = llround(3.6e12 * exp(span_long * sm_unif()));
    check_quantiles(v, N);
    /* several sizes, so ranks fall in many places (n = 1, 2, 3, ...) */
    for (size_t n = 1; n <= 64; n++) {
        for (size_t i = 0; i < n; i++)
            v[i] = llround(1e3 * exp(span * sm_unif()));
        check_quantiles(v, n);
    }
}

static void test_quantiles_exponential(void **state)
{
    (void)state;
    /* exponential with mean 1 ms (some values fall below 128 ns: exact
     * there) and with mean 10 s: v = -mean * ln(1 - U) */
    static const double means_ns[] = {1e6, 1e10};
    enum { N = 100000 };
    static simtime_t v[N];
    sm_state = 99;
    for (size_t m = 0; m < 2; m++) {
        for (size_t i = 0; i < N; i++)
            v[i] = llround(-means_ns[m] * log1p(-sm_unif()));
        check_quantiles(v, N);
    }
    /* a point mass plus a far outlier: p50..p99.9 all sit on the mass */
    for (size_t i = 0; i < 9999; i++)
        v[i] = 5000000;
    v[9999] = 3000000000;
    check_quantiles(v, 10000);
}

static void test_mean_min_max(void **state)
{
    (void)state;
    enum { N = 100000 };
    hist_t *h = new_hist();
    sm_state = 2024;
    double span = log(3.6e12 / 1e3);
    int64_t sum = 0; /* < 1e5 * 3.6e12 = 3.6e17, fits */
    simtime_t mn = INT64_MAX, mx = INT64_MIN;
    for (size_t i = 0; i < N; i++) {
        simtime_t x = llround(1e3 * exp(span * sm_unif()));
        hist_add(h, x);
        sum += x;
        mn = x < mn ? x : mn;
        mx = x > mx ? x : mx;
    }
    assert_int_equal(h->min, mn);
    assert_int_equal(h->max, mx);
    /* The histogram sums in double, one value at a time. Recursive
     * summation of n non-negative terms errs by at most (n-1) u sum, with
     * u = 2^-53 (Higham, Accuracy and Stability, 4.2); the integer sum here
     * is exact. */
    double exact = (double)sum / N;
    double tol = (N - 1) * 0x1p-53 * exact;
    assert_true(fabs(hist_mean(h) - exact) <= tol);
    assert_true(fabs(h->sum - (double)sum) <= (N - 1) * 0x1p-53 * (double)sum);

    /* Sums below 2^53 are exact in double: mean is then exactly sum/n.
     * 1..1000 ns: sum 500500, mean 500.5. */
    hist_reset(h);
    for (simtime_t x = 1000; x >= 1; x--)
        hist_add(h, x);
    assert_true(hist_mean(h) == 500.5);
    assert_int_equal(h->min, 1);
    assert_int_equal(h->max, 1000);
    free(h);
}

static void assert_hist_equal(const hist_t *a, const hist_t *b)
{
    assert_int_equal(a->n, b->n);
    assert_int_equal(a->min, b->min);
    assert_int_equal(a->max, b->max);
    assert_true(a->sum == b->sum);
    for (unsigned i = 0; i < HIST_BUCKETS; i++)
        if (a->counts[i] != b->counts[i]) {
            print_error("bucket %u: %llu != %llu\n", i, (unsigned long long)a->counts[i],
                        (unsigned long long)b->counts[i]);
            fail();
        }
}

static void test_merge(void **state)
{
    (void)state;
    hist_t *a = new_hist(), *b = new_hist(), *all = new_hist(), *m = new_hist();
    sm_state = 31337;
    double span = log(3.6e12 / 1e3);
    uint64_t total = 0;
    /* a gets values below 1 s, b values from 1 us up to 1 h (and the max of
     * everything, and the min), so the merge must take min from b. Sums are
     * integers below 2^53 (checked), hence exact in double whatever the
     * order of addition: the merged sum must equal the one-pass sum. */
    for (int i = 0; i < 2000; i++) {
        simtime_t x = llround(1e3 * exp(log(1e6) * sm_unif())) + 1000;
        simtime_t y = llround(1e3 * exp(span * sm_unif()));
        hist_add(a, x);
        hist_add(all, x);
        hist_add(b, y);
        hist_add(all, y);
        total += (uint64_t)x + (uint64_t)y;
    }
    hist_add(b, 3);
    hist_add(all, 3);
    hist_add(b, (simtime_t)1 << 45); /* past the range: last bucket */
    hist_add(all, (simtime_t)1 << 45);
    total += 3 + ((uint64_t)1 << 45);
    assert_true(total < ((uint64_t)1 << 53));

    /* merge into an empty histogram, then the other */
    hist_merge(m, a);
    assert_hist_equal(m, a);
    hist_merge(m, b);
    assert_hist_equal(m, all);
    /* merging an empty one changes nothing */
    hist_t *empty = new_hist();
    hist_merge(m, empty);
    assert_hist_equal(m, all);
    /* the other order gives the same */
    hist_merge(b, a);
    assert_hist_equal(b, all);
    for (size_t k = 0; k < sizeof qs / sizeof qs[0]; k++) {
        double q = (double)qs[k].a / (double)qs[k].b;
        assert_true(hist_quantile(m, q) == hist_quantile(all, q));
    }
    free(a), free(b), free(all), free(m), free(empty);
}

static void test_empty_is_nan(void **state)
{
    (void)state;
    hist_t *h = new_hist();
    assert_int_equal(h->n, 0);
    assert_true(isnan(hist_quantile(h, 0.5)));
    assert_true(isnan(hist_quantile(h, 0.0)));
    assert_true(isnan(hist_quantile(h, 1.0)));
    assert_true(isnan(hist_mean(h)));
    /* after a reset of a used one, too */
    hist_add(h, 5);
    assert_false(isnan(hist_mean(h)));
    hist_reset(h);
    assert_true(isnan(hist_quantile(h, 0.99)));
    assert_true(isnan(hist_mean(h)));
    free(h);
}

/* The quantile by a plain scan from bucket 0 (the definition), for
 * hist_quantile's two-ended walk over [bucket(min), bucket(max)]. */
static double naive_quantile(const hist_t *h, double q)
{
    uint64_t rank = (uint64_t)ceil(q * (double)h->n), cum = 0;
    if (rank < 1)
        rank = 1;
    for (unsigned b = 0; b < HIST_BUCKETS; b++) {
        cum += h->counts[b];
        if (cum >= rank) {
            uint64_t lo, w;
            hist_bucket_range(b, &lo, &w);
            double mid = (double)lo + (double)(w - 1) / 2.0;
            return mid < (double)h->min ? (double)h->min : mid > (double)h->max ? (double)h->max : mid;
        }
    }
    return (double)h->max;
}

/* hist_clear empties a used histogram exactly as hist_reset does (every
 * count zero), and quantiles walked from either end equal the plain scan,
 * for spreads from one bucket to thirty octaves. */
static void test_clear_and_quantile_walk(void **state)
{
    (void)state;
    hist_t *h = new_hist(), *z = new_hist();
    uint64_t x = 88172645463325252ULL;
    for (int round = 0; round < 200; round++) {
        int n = 1 + round * 7;
        int octaves = 1 + round % 30;
        for (int i = 0; i < n; i++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            hist_add(h, (simtime_t)(x % ((uint64_t)1 << octaves)) + (simtime_t)(round % 3) * 1000);
        }
        static const double probs[] = {0.001, 0.01, 0.1, 0.25, 0.5, 0.5000001, 0.75, 0.9, 0.95, 0.99, 0.999};
        for (size_t k = 0; k < sizeof probs / sizeof probs[0]; k++)
            assert_true(hist_quantile(h, probs[k]) == naive_quantile(h, probs[k]));
        hist_clear(h);
        assert_int_equal(h->n, 0);
        assert_memory_equal(h->counts, z->counts, sizeof z->counts);
    }
    free(h);
    free(z);
}

static void test_overflow_last_bucket(void **state)
{
    (void)state;
    hist_t *h = new_hist();
    const simtime_t big[] = {(simtime_t)1 << HIST_MAX_BITS, ((simtime_t)1 << HIST_MAX_BITS) + 12345,
                             ((simtime_t)1 << HIST_MAX_BITS) + ((simtime_t)1 << 57),
                             (simtime_t)9000000000000000000LL};
    for (size_t i = 0; i < 4; i++)
        hist_add(h, big[i]);
    assert_int_equal(h->counts[HIST_BUCKETS - 1], 4);
    assert_int_equal(h->n, 4);
    assert_int_equal(h->max, big[3]);                 /* kept exactly */
    assert_int_equal(h->min, big[0]);
    assert_true(hist_quantile(h, 1.0) == (double)big[3]);
    /* the largest quantile short of 1 still lands in the last bucket, and
     * the clamp keeps it within [min, max] */
    double q = hist_quantile(h, 0.999);
    assert_true(q >= (double)big[0] && q <= (double)big[3]);
    /* a value just below 2^59 shares the last bucket but is resolved */
    hist_add(h, ((simtime_t)1 << HIST_MAX_BITS) - 1);
    assert_int_equal(h->counts[HIST_BUCKETS - 1], 5);
    assert_int_equal(h->min, ((simtime_t)1 << HIST_MAX_BITS) - 1);
    free(h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bucket_round_trip),
        cmocka_unit_test(test_small_values_exact_rank),
        cmocka_unit_test(test_quantiles_log_uniform),
        cmocka_unit_test(test_quantiles_exponential),
        cmocka_unit_test(test_mean_min_max),
        cmocka_unit_test(test_merge),
        cmocka_unit_test(test_clear_and_quantile_walk),
        cmocka_unit_test(test_empty_is_nan),
        cmocka_unit_test(test_overflow_last_bucket),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
