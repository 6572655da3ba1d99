#include "sim/hist.h"

#include <math.h>
#include <string.h>

void hist_reset(hist_t *h) { memset(h, 0, sizeof *h); }

/* Every nonzero count lies in [bucket(min), bucket(max)] (hist_add keeps
 * min and max of the values it counts), so clears, merges and quantiles
 * touch only that range: an empty histogram costs nothing to clear. */
void hist_clear(hist_t *h)
{
    if (h->n) {
        unsigned lo = hist_bucket(h->min), hi = hist_bucket(h->max);
        memset(&h->counts[lo], 0, (hi - lo + 1) * sizeof h->counts[0]);
    }
    h->n = 0;
    h->sum = 0;
    h->min = h->max = 0;
}

void hist_bucket_range(unsigned b, uint64_t *lo, uint64_t *width)
{
    if (b < (1u << HIST_SUB_BITS)) {
        *lo = b;
        *width = 1;
        return;
    }
    unsigned shift = b / HIST_HALF - 1;
    uint64_t m = b % HIST_HALF + HIST_HALF;
    *lo = m << shift;
    *width = 1ULL << shift;
}

void hist_merge(hist_t *dst, const hist_t *src)
{
    if (src->n == 0)
        return;
    for (unsigned i = hist_bucket(src->min), hi = hist_bucket(src->max); i <= hi; i++)
        dst->counts[i] += src->counts[i];
    if (dst->n == 0 || src->min < dst->min)
        dst->min = src->min;
    if (dst->n == 0 || src->max > dst->max)
        dst->max = src->max;
    dst->n += src->n;
    dst->sum += src->sum;
}

double hist_quantile(const hist_t *h, double q)
{
    if (h->n == 0)
        return NAN;
    if (q <= 0)
        return (double)h->min;
    if (q >= 1)
        return (double)h->max;
    uint64_t rank = (uint64_t)ceil(q * (double)h->n);
    if (rank < 1)
        rank = 1;
    /* the bucket b holding the rank-th value: cum(<= b) >= rank > cum(< b);
     * walked from the nearer end of [bucket(min), bucket(max)] */
    unsigned lo_b = hist_bucket(h->min), hi_b = hist_bucket(h->max), b = hi_b;
    if (q <= 0.5) {
        uint64_t cum = 0;
        for (b = lo_b; b < hi_b; b++) {
            cum += h->counts[b];
            if (cum >= rank)
                break;
        }
    } else {
        uint64_t above = 0; /* values in buckets above b */
        for (b = hi_b; b > lo_b; b--) {
            if (h->n - above - h->counts[b] < rank)
                break;
            above += h->counts[b];
        }
    }
    uint64_t lo, w;
    hist_bucket_range(b, &lo, &w);
    double mid = (double)lo + (double)(w - 1) / 2.0;
    if (mid < (double)h->min)
        mid = (double)h->min;
    if (mid > (double)h->max)
        mid = (double)h->max;
    return mid;
}

double hist_resolution(double v)
{
    if (isnan(v))
        return NAN;
    /* the bucket of the nearest integer: a reported midpoint lo + (w-1)/2
     * rounds to an integer of its own bucket */
    double r = floor(v + 0.5);
    simtime_t t = r <= 0 ? 0 : r >= 0x1p62 ? (simtime_t)1 << 62 : (simtime_t)r;
    uint64_t lo, w;
    hist_bucket_range(hist_bucket(t), &lo, &w);
    return (double)(w - 1) / 2.0;
}

double hist_mean(const hist_t *h) { return h->n ? h->sum / (double)h->n : NAN; }
