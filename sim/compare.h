/* compare: two variants of a scenario (a base and a candidate) run with the
 * same seeds, replication k of one paired with replication k of the other,
 * for `clustersim compare`; regression limits judged on the paired
 * differences, and the reports (terminal table, JUnit XML, Markdown,
 * compare.json, compare.csv).
 *
 * Pairing. Replication k of either runs with seed + k, and every stream is
 * seeded from (seed, component name), so the two see the same traffic
 * (common random numbers). For each metric path both runs have, the
 * difference d_k = candidate_k - base_k is taken per replication (pairs
 * where either has no sample, NaN, are left out); the difference reported
 * is their mean and its 95% interval is Student t on the d_k (pairs - 1
 * degrees of freedom): much narrower than two separate intervals when the
 * runs are correlated, and exactly [0, 0] when the candidate is the base.
 * For a latency percentile the half-width adds the resolution of the
 * histograms the two values are read from: results_resolution() at the
 * base mean plus the same at the candidate mean (each value may be off by
 * its own half bucket) -- except when every replication of the candidate
 * produced exactly the base's metrics (the same run: `identical`), where
 * the difference is known to be 0.
 *
 * Direction. A limit needs to know which way is worse. By the path:
 * lower is better for latencies (a component PREFIX_ms: latency_ms,
 * wait_ms, pool_wait_ms), error_rate, errors, failed, rejected, refused,
 * timeouts, oom_kills, costs (*_usd), pod_hours, replicas.*, and
 * scale_up_response_s / scale_up_response_max_s; higher is better for
 * hit_ratio. Any other path has no direction and cannot take a limit.
 *
 * The rule (--gate-on, as `check`'s): a limit METRIC=PCT fails when the
 * regression, the difference in the worse direction as a percentage of the
 * base mean, is above PCT. GATE_ON_CI (the default): the interval's worse
 * end is judged, so a limit passes only when the whole 95% interval of the
 * ratio is within it, the base's noise included: the test is on the paired
 * w_k = (worse change)_k - PCT/100 |b_k| (the upper end of their mean's
 * Student t interval, plus the resolution floor, at or below 0), and the
 * regression shown is the smallest PCT it passes at (compare.c,
 * regression_bound); GATE_ON_MEAN: the mean difference. With one
 * replication there is no interval and the difference decides. A base mean
 * of 0 makes any change in the worse direction an infinite regression (it
 * fails every limit) and no change a regression of 0. A metric with no
 * pair fails; under the CI rule so does one with fewer than 2 pairs.
 *
 * Headline metrics (the table's rows; compare.json and compare.csv hold
 * every common path): latency_ms.{p50, p95, p99}, requests.error_rate,
 * services.*.latency_ms.{p50, p95, p99}, services.*.replicas.{mean, max},
 * services.*.pod_hours, services.*.scale_up_response_s,
 * regions.*.latency_ms.{p50, p95, p99}, cache.*.hit_ratio, cost.total_usd
 * (`*` one path component), in summary.json's order; a limited metric is
 * always a row. Library code: nothing exits. */
#ifndef SIM_COMPARE_H
#define SIM_COMPARE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "sim/gate.h"
#include "sim/metrics.h"
#include "sim/run.h"

typedef enum compare_dir {
    COMPARE_NO_DIRECTION = 0,
    COMPARE_LOWER_BETTER,
    COMPARE_HIGHER_BETTER,
} compare_dir_t;

/* Which way is better for the metric at path (see above). */
compare_dir_t compare_direction(const char *path);
/* The direction rule in words, for messages. */
extern const char compare_direction_text[];
/* Whether path is a headline metric (see above). */
bool compare_is_headline(const char *path);

/* The mean of the paired differences c[k] - b[k] over the k < r where both
 * are numbers, in *mean, and the half-width of its 95% interval in *half
 * (Student t with pairs - 1 degrees of freedom) plus floor; *half is
 * NaN with fewer than 2 pairs, *mean NaN with none. Returns the pairs. */
int compare_paired(const double *b, const double *c, size_t r, double floor, double *mean, double *half);

/* One --max-regression METRIC=PCT. */
typedef struct compare_limit {
    char metric[128];
    double pct;          /* >= 0 */
    int option;          /* which --max-regression (1-based), for messages */
    int col;             /* column of METRIC in it (1-based) */
} compare_limit_t;

/* Appends the limits of one option value "METRIC=PCT[,METRIC=PCT]..." (PCT a
 * number >= 0, a trailing % allowed) to lim[*n..cap). 0, or -1 with a
 * message in err that starts with "--max-regression[option]:1:COL: ". */
int compare_parse_limits(const char *spec, int option, compare_limit_t *lim, size_t cap, size_t *n, char *err,
                         size_t errlen);
/* Whether l can be judged: its path is one of base_paths (else the three
 * nearest are named) and of cand_paths, and has a direction. 0, or -1 with
 * a located message in err. base_file names the base in the message. */
int compare_check_limit(const compare_limit_t *l, const metrics_t *base_paths, const metrics_t *cand_paths,
                        const char *base_file, char *err, size_t errlen);

typedef struct compare_row {
    const char *path;            /* borrowed from the base's summary */
    compare_dir_t dir;
    bool headline;
    double base, cand;           /* means over the replications with a sample (NaN: none) */
    double diff, half;           /* mean paired difference, 95% half-width (NaN: no interval) */
    double pct;                  /* diff in % of |base| (NaN: base 0 or no sample) */
    int pairs;
    const compare_limit_t *limit; /* NULL: not limited */
    double regression;           /* limited: the judged regression in % (worse is positive) */
    double regression_mean;      /* limited: the mean's, in % */
    bool pass;                   /* limited: the verdict (unlimited rows pass) */
    gate_basis_t basis;
} compare_row_t;

typedef struct compare_report {
    const char *base_label, *cand_label; /* borrowed: how the two are named in reports */
    uint64_t seed;
    int replications;
    gate_rule_t rule;
    double wall_s;               /* both runs */
    bool identical;              /* every pair of replications gave the same metrics */
    compare_row_t *rows;         /* every path both have, in the base's order */
    size_t n, nlimited, passed;  /* passed: limited rows that pass */
    size_t only_base, only_cand; /* paths that only one of the two has */
} compare_report_t;

/* Pairs base and cand (the same replications, the same seeds) and judges
 * lim[0..nlim) under rule (each limit's path must be one both have:
 * compare_check_limit). 0, or -1 when out of memory. rep borrows base's
 * paths and lim: free them after compare_report_free. */
int compare_evaluate(const run_result_t *base, const run_result_t *cand, const compare_limit_t *lim, size_t nlim,
                     gate_rule_t rule, compare_report_t *rep);
void compare_report_free(compare_report_t *rep);
/* The rule that decided, in words (into buf). */
const char *compare_rule_text(const compare_report_t *rep, char *buf, size_t size);
/* The terminal table (headline and limited rows) and the last line
 * ("N of M limits pass (rule: ...)" or "no --max-regression limits").
 * quiet: the last line only. */
void compare_print(FILE *f, const compare_report_t *rep, bool quiet);
/* The reports, each written whole (gate_write_file): JUnit XML with a
 * testcase per row of the table (only a limited one can fail), Markdown
 * for a pull-request comment, and every common path as JSON
 * (schema clustersim.compare/v1) and CSV. 0, or -1 with a message. */
int compare_write_junit(const char *path, const compare_report_t *rep, char *err, size_t errlen);
int compare_write_markdown(const char *path, const compare_report_t *rep, char *err, size_t errlen);
int compare_write_json(const char *path, const compare_report_t *rep, char *err, size_t errlen);
int compare_write_csv(const char *path, const compare_report_t *rep, char *err, size_t errlen);

#define COMPARE_SCHEMA "clustersim.compare/v1"

#endif
