/* hist: fixed-memory latency histogram with bounded relative error.
 *
 * Log-linear buckets in the manner of HdrHistogram, over integer nanoseconds:
 * values below 128 ns have a bucket each; above, every power-of-two octave is
 * split into 64 equal buckets, so a bucket [lo, lo+w) has w <= lo/64 and its
 * midpoint is within 1/128 (0.78%) of any value in it. Values up to 2^59 ns
 * (about 18 years: past the longest run, 3650 days, so past any latency)
 * are resolved; larger ones fall into the last bucket (the exact max is
 * kept apart). Memory is HIST_BUCKETS counters (3456, 27 KiB) whatever the
 * run length. (Up to 2^43 ns, 2.4 h, as it once was, latencies of hours
 * fell together into the last bucket: a p50 of 3 h read 2.4 h.)
 * Merging adds counts, so a merged histogram equals one fed all the values.
 *
 * Quantile q of n values: the value of rank ceil(q*n) (at least 1) in sorted
 * order, reported as the midpoint of its bucket, clamped to [min, max].
 *
 * Resolution: the exact value v (an integer number of ns) lies in the bucket
 * [lo, lo+w-1] of the reported one, whose midpoint is lo + (w-1)/2, so the
 * report is at most (w-1)/2 away from v (clamping to [min, max], which holds
 * v, only brings it closer): 0 below 128 ns, between about 1/256 and 1/128 of
 * the value above. hist_resolution() gives that bound at a reported value
 * (the reported value and the exact one share a bucket). Past 2^59 ns the
 * last bucket is open-ended and the bound does not hold. */
#ifndef SIM_HIST_H
#define SIM_HIST_H

#include <stdint.h>
#include "sim/simtime.h"

#define HIST_SUB_BITS 7
#define HIST_HALF (1 << (HIST_SUB_BITS - 1))            /* 64 buckets per octave */
#define HIST_MAX_BITS 59                                /* resolves < 2^59 ns */
#define HIST_BUCKETS ((HIST_MAX_BITS - HIST_SUB_BITS + 2) * HIST_HALF)

typedef struct hist {
    uint64_t n;
    double sum;            /* of values, ns */
    simtime_t min, max;
    uint64_t counts[HIST_BUCKETS];
} hist_t;

/* Clears a histogram that is initialised (reset, or zeroed memory), in
 * time proportional to the range of its values: per sampling interval. */
void hist_clear(hist_t *h);
void hist_reset(hist_t *h);
/* The bucket of a value v >= 0 (values past the range go to the last). */
static inline unsigned hist_bucket(simtime_t v)
{
    uint64_t u = v > 0 ? (uint64_t)v : 0;
    if (u < (1u << HIST_SUB_BITS))
        return (unsigned)u;
    if (u >= (1ULL << HIST_MAX_BITS))
        return HIST_BUCKETS - 1;
    unsigned e = 63u - (unsigned)__builtin_clzll(u);           /* e >= SUB_BITS */
    unsigned shift = e - (HIST_SUB_BITS - 1);
    return shift * HIST_HALF + (unsigned)(u >> shift);
}
/* Records one value (ns). */
static inline void hist_add(hist_t *h, simtime_t v)
{
    if (v < 0)
        v = 0;
    h->counts[hist_bucket(v)]++;
    if (h->n == 0 || v < h->min)
        h->min = v;
    if (h->n == 0 || v > h->max)
        h->max = v;
    h->n++;
    h->sum += (double)v;
}
/* Lower bound and width of bucket b. */
void hist_bucket_range(unsigned b, uint64_t *lo, uint64_t *width);
/* Adds every value of src into dst. */
void hist_merge(hist_t *dst, const hist_t *src);
/* Quantile q in [0,1] (ns), NAN when empty. */
double hist_quantile(const hist_t *h, double q);
/* The largest distance between a quantile reported as v (ns) and the exact
 * order statistic it stands for: (w-1)/2, w the width of the bucket holding
 * v (see above). NAN when v is NAN. */
double hist_resolution(double v);
/* Mean (ns), NAN when empty. */
double hist_mean(const hist_t *h);

#endif
