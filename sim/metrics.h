/* metrics: a run's results as a flat, ordered list of (path, value).
 *
 * Paths are the keys of summary.json ("services.web.latency_ms.p99"); one
 * list per replication, in the same order for every replication of a
 * scenario, so that aggregation (mean and 95% CI), the JSON writer, the
 * table and SLO look-ups are one mechanism. Built once at the end of a run,
 * never in the event loop. */
#ifndef SIM_METRICS_H
#define SIM_METRICS_H

#include <stdbool.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>

#include "sim/hist.h"

typedef struct metric {
    char path[120];
    double value;
    double ci95;          /* half-width over replications (NaN: single run) */
    /* a proportion (metrics_add_prop): the count it is a fraction of, and
     * the count of successes (over every replication, once aggregated);
     * trials < 0: not a proportion. A count of events (metrics_add_count):
     * once aggregated, trials is the replications with a value and
     * successes their total */
    double trials, successes;
    bool count;
} metric_t;

typedef struct metrics {
    metric_t *v;
    size_t n, cap;
    int oom;              /* an add failed */
    /* replications that stopped at the limit of requests in flight (0 or 1
     * for one replication's metrics, the sum once aggregated): every gate
     * and limit on them fails, whatever the others measured */
    int overloaded;
} metrics_t;

void metrics_init(metrics_t *m);
void metrics_free(metrics_t *m);
/* Appends value under the formatted path. */
void metrics_add(metrics_t *m, double value, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Appends PREFIX.{mean, p50, p95, p99} (and .max) of a histogram of
 * nanoseconds, in milliseconds (NaN when it is empty). */
void metrics_add_latency(metrics_t *m, const hist_t *h, const char *prefix, bool with_max);
/* The value of the metric at path, NaN when there is none. */
double metrics_value(const metrics_t *m, const char *path);
/* Appends the proportion successes / trials (NaN when trials is 0), which
 * aggregation also bounds by its pooled counts (results_ci95). */
void metrics_add_prop(metrics_t *m, uint64_t successes, uint64_t trials, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Appends a count of events (failures, rejections, OOM kills), which
 * aggregation also bounds by a Poisson interval of its total over the
 * replications (results_ci95). */
void metrics_add_count(metrics_t *m, uint64_t events, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* hits / (hits + misses): NaN when both are 0 (no lookup). */
static inline double metrics_ratio(uint64_t hits, uint64_t misses)
{
    return hits + misses ? (double)hits / (double)(hits + misses) : (double)NAN;
}
/* A replication's metrics as plain numbers (for journals and for sharing
 * between processes), whole: each value in order, then each proportion's
 * trials and successes, then whether it overloaded. metrics_numbers says
 * how many. */
size_t metrics_numbers(const metrics_t *m);
void metrics_to_numbers(const metrics_t *m, double *out);
/* The reverse, into m, which holds the same paths already (values and
 * counts are overwritten). */
void metrics_from_numbers(metrics_t *m, const double *in);
/* out (empty) = from's metrics at paths[0..n), in that order (a copy of
 * each: value, and a proportion's or a count's fields; NaN where from has
 * no such path), and from's overloaded: a selection to pass through
 * metrics_to_numbers. 0, or -1 when memory ran out. */
int metrics_select(metrics_t *out, const metrics_t *from, const char *const *paths, size_t n);
/* The metric at path, or NULL. */
const metric_t *metrics_find(const metrics_t *m, const char *path);
/* The three paths of m nearest to path by edit distance, nearest first, in
 * near[] ("-" where m has fewer), for "did you mean" messages. */
void metrics_nearest(const metrics_t *m, const char *path, const char *near[3]);
/* out = mean of runs[0..r) per path, with ci95 when r > 1 (a proportion's
 * counts summed over the replications with a value). -1 when the runs do
 * not have the same paths (an internal error) or memory ran out. */
int metrics_aggregate(metrics_t *out, const metrics_t *runs, size_t r);

#endif
