#include "sim/hist.h"

#include <math.h>
#include <string.h>

void hist_reset(hist_t *h) { memset(h, 0, sizeof *h); }

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
    for (unsigned i = 0; i < HIST_BUCKETS; i++)
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
    uint64_t cum = 0;
    for (unsigned b = 0; b < HIST_BUCKETS; b++) {
        cum += h->counts[b];
        if (cum >= rank) {
            uint64_t lo, w;
            hist_bucket_range(b, &lo, &w);
            double mid = (double)lo + (double)(w - 1) / 2.0;
            if (mid < (double)h->min)
                mid = (double)h->min;
            if (mid > (double)h->max)
                mid = (double)h->max;
            return mid;
        }
    }
    return (double)h->max;
}

double hist_mean(const hist_t *h) { return h->n ? h->sum / (double)h->n : NAN; }
