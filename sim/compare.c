/* compare: paired differences of two runs and their reports (compare.h says
 * the rules). Built after both runs, outside any event loop. */
#include "sim/compare.h"

#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sim/results.h"
#include "sim/stats.h"

/* ---- which metrics, which direction -------------------------------------------- */

/* The headline metrics, `*` one path component. */
static const char *const headline[] = {
    "latency_ms.p50", "latency_ms.p95", "latency_ms.p99", "requests.error_rate",
    "services.*.latency_ms.p50", "services.*.latency_ms.p95", "services.*.latency_ms.p99",
    "services.*.replicas.mean", "services.*.replicas.max", "services.*.pod_hours",
    "services.*.scale_up_response_s",
    "regions.*.latency_ms.p50", "regions.*.latency_ms.p95", "regions.*.latency_ms.p99",
    "cache.*.hit_ratio", "cost.total_usd",
};

/* Leaves that are better lower, whatever their parent. */
static const char *const lower_leaves[] = {
    "error_rate", "errors", "failed", "rejected", "refused", "timeouts", "pool_timeouts", "oom_kills",
    "pod_hours", "scale_up_response_s", "scale_up_response_max_s",
};

const char compare_direction_text[] =
    "lower is better for latencies (*_ms.*), error_rate, errors, failed, rejected, refused, timeouts, "
    "oom_kills, costs (*_usd), pod_hours, replicas.* and scale_up_response_s; higher is better for hit_ratio";

/* Whether path matches pat, where `*` stands for exactly one component. */
static bool glob_path(const char *pat, const char *path)
{
    for (;;) {
        const char *pe = strchr(pat, '.'), *qe = strchr(path, '.');
        size_t pn = pe ? (size_t)(pe - pat) : strlen(pat), qn = qe ? (size_t)(qe - path) : strlen(path);
        if (!(pn == 1 && pat[0] == '*' && qn > 0) && (pn != qn || strncmp(pat, path, pn) != 0))
            return false;
        if (!pe || !qe)
            return !pe && !qe;
        pat = pe + 1;
        path = qe + 1;
    }
}

bool compare_is_headline(const char *path)
{
    for (size_t i = 0; i < sizeof headline / sizeof headline[0]; i++)
        if (glob_path(headline[i], path))
            return true;
    return false;
}

static bool ends_with(const char *s, size_t n, const char *suffix)
{
    size_t k = strlen(suffix);
    return n >= k && strncmp(s + n - k, suffix, k) == 0;
}

compare_dir_t compare_direction(const char *path)
{
    const char *leaf = strrchr(path, '.');
    leaf = leaf ? leaf + 1 : path;
    /* the component before the leaf: [parent, parent + np) */
    const char *parent = path;
    size_t np = 0;
    if (leaf > path) {
        const char *end = leaf - 1, *p = end;
        while (p > path && p[-1] != '.')
            p--;
        parent = p;
        np = (size_t)(end - p);
    }
    if (!strcmp(leaf, "hit_ratio"))
        return COMPARE_HIGHER_BETTER;
    if (ends_with(parent, np, "_ms") || ends_with(leaf, strlen(leaf), "_usd") ||
        (np == 8 && !strncmp(parent, "replicas", 8)))
        return COMPARE_LOWER_BETTER;
    for (size_t i = 0; i < sizeof lower_leaves / sizeof lower_leaves[0]; i++)
        if (!strcmp(leaf, lower_leaves[i]))
            return COMPARE_LOWER_BETTER;
    return COMPARE_NO_DIRECTION;
}

/* ---- paired differences ----------------------------------------------------------- */

int compare_paired(const double *b, const double *c, size_t r, double floor, double *mean, double *half)
{
    double buf[64];
    double *d = r <= 64 ? buf : malloc(r * sizeof *d);
    *mean = *half = NAN;
    if (!d)
        return -1;
    size_t k = 0;
    for (size_t i = 0; i < r; i++)
        if (!isnan(b[i]) && !isnan(c[i]))
            d[k++] = c[i] - b[i];
    if (k > 0) {
        stats_mean_ci95(d, k, mean, half);
        *half += floor; /* (NaN, for one pair, stays) */
    }
    if (d != buf)
        free(d);
    return (int)k;
}

/* ---- limits ------------------------------------------------------------------------- */

int compare_parse_limits(const char *spec, int option, compare_limit_t *lim, size_t cap, size_t *n, char *err,
                         size_t errlen)
{
    const char *p = spec;
    for (;;) {
        int col = (int)(p - spec) + 1;
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        const char *eq = memchr(p, '=', len);
        if (!eq || eq == p) {
            snprintf(err, errlen, "--max-regression[%d]:1:%d: expected METRIC=PCT (e.g. latency_ms.p99=10), got "
                                  "'%.*s'", option, col, (int)len, p);
            return -1;
        }
        size_t mlen = (size_t)(eq - p);
        if (mlen >= sizeof lim->metric) {
            snprintf(err, errlen, "--max-regression[%d]:1:%d: '%.*s' is not a metric path (too long)", option, col,
                     (int)mlen, p);
            return -1;
        }
        char num[64];
        size_t vlen = len - mlen - 1;
        int vcol = col + (int)mlen + 1;
        if (vlen && eq[vlen] == '%')
            vlen--;
        if (vlen == 0 || vlen >= sizeof num) {
            snprintf(err, errlen, "--max-regression[%d]:1:%d: expected a percentage after '=' (e.g. 10 or 10%%)",
                     option, vcol);
            return -1;
        }
        memcpy(num, eq + 1, vlen);
        num[vlen] = '\0';
        char *stop;
        double v = strtod(num, &stop);
        if (*stop || !isfinite(v) || v < 0) {
            snprintf(err, errlen, "--max-regression[%d]:1:%d: '%s' is not a percentage >= 0", option, vcol, num);
            return -1;
        }
        if (*n == cap) {
            snprintf(err, errlen, "--max-regression[%d]:1:%d: too many limits (at most %zu)", option, col, cap);
            return -1;
        }
        compare_limit_t *l = &lim[(*n)++];
        memcpy(l->metric, p, mlen);
        l->metric[mlen] = '\0';
        l->pct = v;
        l->option = option;
        l->col = col;
        if (!end)
            return 0;
        p = end + 1;
    }
}

int compare_check_limit(const compare_limit_t *l, const metrics_t *base_paths, const metrics_t *cand_paths,
                        const char *base_file, char *err, size_t errlen)
{
    if (!metrics_find(base_paths, l->metric)) {
        const char *near[3];
        metrics_nearest(base_paths, l->metric, near);
        snprintf(err, errlen, "--max-regression[%d]:1:%d: '%s' is not a path of %s's summary.json (nearest: %s, %s, "
                              "%s)", l->option, l->col, l->metric, base_file, near[0], near[1], near[2]);
        return -1;
    }
    if (!metrics_find(cand_paths, l->metric)) {
        snprintf(err, errlen, "--max-regression[%d]:1:%d: '%s' is a path of the base's summary.json but not of the "
                              "candidate's: there is nothing to compare", l->option, l->col, l->metric);
        return -1;
    }
    if (compare_direction(l->metric) == COMPARE_NO_DIRECTION) {
        snprintf(err, errlen, "--max-regression[%d]:1:%d: '%s' has no known better direction, so no regression "
                              "can be judged (%s)", l->option, l->col, l->metric, compare_direction_text);
        return -1;
    }
    return 0;
}

/* ---- judging ---------------------------------------------------------------------- */

/* The signed difference x as a regression in % of base (worse positive). */
static double regression_pct(double x, compare_dir_t dir, double base)
{
    double worse = dir == COMPARE_HIGHER_BETTER ? -x : x;
    if (base == 0)
        return worse > 0 ? (double)INFINITY : worse < 0 ? -(double)INFINITY : 0.0;
    return 100 * worse / fabs(base);
}

/* The upper end of the 95% interval of the mean of w_k = s (c_k - b_k) -
 * pct/100 |b_k| over the pairs with both values, plus floor: at or below 0,
 * the candidate is worse than the base by at most pct% with 95% confidence
 * (s = 1 when higher is worse, -1 when lower is). The base's own noise is
 * in the w_k, which a limit on the mean difference over the mean base left
 * out: a difference known exactly, as common random numbers make it,
 * passed or failed on the base mean's luck. NaN when fewer than 2 pairs. */
static double limit_excess(const double *b, const double *c, size_t r, double s, double floor, double pct,
                           double *w)
{
    size_t k = 0;
    for (size_t i = 0; i < r; i++)
        if (!isnan(b[i]) && !isnan(c[i]))
            w[k++] = s * (c[i] - b[i]) - pct / 100 * fabs(b[i]);
    if (k < 2)
        return NAN;
    double mean, half;
    stats_mean_ci95(w, k, &mean, &half);
    return mean + half + floor;
}

/* Whether the base is surely away from 0: the 95% interval of the mean of
 * |b_k| excludes 0 (limit_excess with s = 0 and pct = 100 is the upper end
 * of the interval of -|b_k|). Then limit_excess, convex in pct, goes to
 * minus infinity as pct grows, so it falls everywhere and the limits that
 * pass are [p*, infinity); otherwise no relative regression can be
 * bounded. */
static bool base_away_from_zero(const double *b, const double *c, size_t r, double *w)
{
    return limit_excess(b, c, r, 0, 0, 100, w) < 0;
}

/* The smallest regression in % that the limit test passes at (the worse
 * end of the ratio's interval, Fieller's), for a base surely away from 0
 * (base_away_from_zero): bisection on limit_excess, which falls as pct
 * grows; +infinity when no pct below 10^9 passes. */
static double regression_bound(const double *b, const double *c, size_t r, double s, double floor, double *w)
{
    double hi = 1;
    while (!(limit_excess(b, c, r, s, floor, hi, w) <= 0)) {
        hi *= 2;
        if (hi > 1e9)
            return (double)INFINITY;
    }
    double lo = hi - 1;
    while (limit_excess(b, c, r, s, floor, lo, w) <= 0) {
        lo -= 2 * (hi - lo);
        if (lo < -1e9)
            return -(double)INFINITY;
    }
    for (int i = 0; i < 100 && hi - lo > 1e-12 * fmax(1, fabs(hi)); i++) {
        double mid = 0.5 * (lo + hi);
        if (limit_excess(b, c, r, s, floor, mid, w) <= 0)
            hi = mid;
        else
            lo = mid;
    }
    return hi;
}

static void judge(compare_row_t *row, int reps, gate_rule_t rule, const double *b, const double *c, double floor,
                  double *w, int overloaded)
{
    const compare_limit_t *l = row->limit;
    row->regression = row->regression_mean = NAN;
    if (overloaded) { /* a replication of either outgrew the platform: the others leave out the worst */
        row->basis = GATE_OVERLOADED;
        row->pass = false;
        return;
    }
    if (row->pairs == 0 || isnan(row->base) || isnan(row->diff)) {
        row->basis = GATE_NO_SAMPLE;
        row->pass = false;
        return;
    }
    row->regression_mean = regression_pct(row->diff, row->dir, row->base);
    if (reps < 2) {
        row->basis = GATE_BY_VALUE;
        row->regression = row->regression_mean;
    } else if (rule == GATE_ON_MEAN) {
        row->basis = GATE_BY_MEAN;
        row->regression = row->regression_mean;
    } else if (isnan(row->half)) {
        row->basis = GATE_NO_INTERVAL;
        row->pass = false;
        return;
    } else {
        row->basis = GATE_BY_CI;
        double s = row->dir == COMPARE_HIGHER_BETTER ? -1 : 1;
        if (row->base != 0 && base_away_from_zero(b, c, (size_t)reps, w)) {
            row->regression = regression_bound(b, c, (size_t)reps, s, floor, w);
            /* the verdict is the test at the limit itself (the same, as
             * the excess falls) */
            row->pass = limit_excess(b, c, (size_t)reps, s, floor, l->pct, w) <= 0;
            return;
        }
        /* a base that may be 0 (a rare error rate): no ratio can be bounded.
         * A difference whose interval is not worse anywhere is no
         * regression (the same run gives exactly 0); one that may be worse
         * is an infinite regression, as over a base of 0 */
        double worse_end = row->dir == COMPARE_HIGHER_BETTER ? row->diff - row->half : row->diff + row->half;
        row->regression = s * worse_end <= 0 && row->base != 0 ? regression_pct(worse_end, row->dir, row->base)
                          : s * worse_end <= 0                  ? 0.0
                                                                : (double)INFINITY;
    }
    row->pass = row->regression <= l->pct;
}

/* Whether replication k of the two runs gave the same metrics. */
static bool same_run(const metrics_t *a, const metrics_t *b)
{
    if (a->n != b->n)
        return false;
    for (size_t i = 0; i < a->n; i++) {
        double x = a->v[i].value, y = b->v[i].value;
        if (strcmp(a->v[i].path, b->v[i].path) != 0 || (x != y && !(isnan(x) && isnan(y))))
            return false;
    }
    return true;
}

int compare_evaluate(const run_result_t *base, const run_result_t *cand, const compare_limit_t *lim, size_t nlim,
                     gate_rule_t rule, compare_report_t *rep)
{
    memset(rep, 0, sizeof *rep);
    int r = base->replications < cand->replications ? base->replications : cand->replications;
    rep->replications = r;
    rep->rule = rule;
    rep->wall_s = base->wall_s + cand->wall_s;
    const metrics_t *bs = &base->summary, *cs = &cand->summary;
    rep->rows = calloc(bs->n ? bs->n : 1, sizeof *rep->rows);
    double *bv = malloc((size_t)(r > 0 ? r : 1) * sizeof *bv), *cv = malloc((size_t)(r > 0 ? r : 1) * sizeof *cv),
           *wv = malloc((size_t)(r > 0 ? r : 1) * sizeof *wv);
    if (!rep->rows || !bv || !cv || !wv) {
        free(bv);
        free(cv);
        free(wv);
        compare_report_free(rep);
        return -1;
    }
    rep->identical = base->reps && cand->reps && r > 0;
    for (int k = 0; k < r && rep->identical; k++)
        rep->identical = same_run(&base->reps[k], &cand->reps[k]);
    size_t common = 0;
    for (size_t i = 0; i < bs->n; i++) {
        const metric_t *bm = &bs->v[i];
        /* the same index when the two have the same paths, else a search */
        const metric_t *cm = i < cs->n && !strcmp(cs->v[i].path, bm->path) ? &cs->v[i] : metrics_find(cs, bm->path);
        if (!cm) {
            rep->only_base++;
            continue;
        }
        common++;
        size_t j = (size_t)(cm - cs->v);
        compare_row_t *row = &rep->rows[rep->n++];
        row->path = bm->path;
        row->dir = compare_direction(bm->path);
        row->headline = compare_is_headline(bm->path);
        row->base = bm->value;
        row->cand = cm->value;
        for (int k = 0; k < r; k++) {
            /* the replications hold the summary's paths in its order */
            bv[k] = base->reps && i < base->reps[k].n ? base->reps[k].v[i].value : NAN;
            cv[k] = cand->reps && j < cand->reps[k].n ? cand->reps[k].v[j].value : NAN;
        }
        double floor = rep->identical ? 0
                                      : results_resolution(bm->path, row->base) + results_resolution(bm->path, row->cand);
        row->pairs = compare_paired(bv, cv, (size_t)r, floor, &row->diff, &row->half);
        if (row->pairs < 0) {
            free(bv);
            free(cv);
            free(wv);
            compare_report_free(rep);
            return -1;
        }
        row->pct = isnan(row->diff) || isnan(row->base) || row->base == 0 ? NAN : 100 * row->diff / fabs(row->base);
        row->pass = true;
        row->basis = GATE_BY_VALUE;
        for (size_t q = 0; q < nlim && !row->limit; q++)
            if (!strcmp(lim[q].metric, bm->path))
                row->limit = &lim[q];
        if (row->limit) {
            judge(row, r, rule, bv, cv, floor, wv, bs->overloaded + cs->overloaded);
            rep->nlimited++;
            rep->passed += row->pass;
        }
    }
    rep->only_cand = cs->n - common;
    free(bv);
    free(cv);
    free(wv);
    return 0;
}

void compare_report_free(compare_report_t *rep)
{
    free(rep->rows);
    memset(rep, 0, sizeof *rep);
}

const char *compare_rule_text(const compare_report_t *rep, char *buf, size_t size)
{
    if (rep->replications < 2)
        snprintf(buf, size, "the difference of one pair of runs, which has no interval; --replications 2 or more "
                            "gives one");
    else if (rep->rule == GATE_ON_MEAN)
        snprintf(buf, size, "the mean of %d paired differences, --gate-on mean", rep->replications);
    else
        snprintf(buf, size, "the whole 95%% interval of %d paired differences (its worse end)", rep->replications);
    return buf;
}

/* ---- text of a row ------------------------------------------------------------------ */

static bool shown(const compare_row_t *row) { return row->headline || row->limit; }

static const char *num(double v, char *buf, size_t size)
{
    snprintf(buf, size, isnan(v) ? "-" : "%.6g", v);
    return buf;
}

static const char *signed_num(double v, char *buf, size_t size)
{
    if (isnan(v))
        snprintf(buf, size, "-");
    else if (v == 0)
        snprintf(buf, size, "0"); /* also -0 */
    else
        snprintf(buf, size, "%+.4g", v);
    return buf;
}

static const char *pct_text(double v, char *buf, size_t size)
{
    if (isnan(v))
        snprintf(buf, size, "-");
    else if (isinf(v))
        snprintf(buf, size, "%cinf%%", v > 0 ? '+' : '-');
    else if (v == 0)
        snprintf(buf, size, "0%%");
    else
        snprintf(buf, size, "%+.2f%%", v);
    return buf;
}

/* "[lo, hi]" of the difference, or "-". */
static const char *interval(const compare_row_t *row, char *buf, size_t size)
{
    char lo[32], hi[32];
    if (isnan(row->diff) || isnan(row->half))
        snprintf(buf, size, "-");
    else
        snprintf(buf, size, "[%s, %s]", signed_num(row->diff - row->half, lo, sizeof lo),
                 signed_num(row->diff + row->half, hi, sizeof hi));
    return buf;
}

/* The limit as the bound on the change: "<= +10%" or ">= -10%". */
static const char *limit_text(const compare_row_t *row, char *buf, size_t size)
{
    if (!row->limit)
        snprintf(buf, size, "%s", "");
    else if (row->dir == COMPARE_HIGHER_BETTER)
        snprintf(buf, size, ">= -%g%%", row->limit->pct);
    else
        snprintf(buf, size, "<= +%g%%", row->limit->pct);
    return buf;
}

static const char *verdict(const compare_row_t *row, char *buf, size_t size)
{
    char reg[32];
    if (!row->limit) {
        snprintf(buf, size, "%s", "");
        return buf;
    }
    switch (row->basis) {
    case GATE_NO_SAMPLE: snprintf(buf, size, "FAIL (no sample)"); break;
    case GATE_OVERLOADED: snprintf(buf, size, "FAIL (replications overloaded)"); break;
    case GATE_NO_INTERVAL: snprintf(buf, size, "FAIL (no interval: %d pair%s)", row->pairs, row->pairs == 1 ? "" : "s"); break;
    case GATE_BY_CI:
        if (row->pass)
            snprintf(buf, size, "PASS");
        else if (row->regression_mean <= row->limit->pct)
            snprintf(buf, size, "FAIL (the mean is within; the interval reaches a %s regression)",
                     pct_text(row->regression, reg, sizeof reg));
        else
            snprintf(buf, size, "FAIL (a %s regression)", pct_text(row->regression, reg, sizeof reg));
        break;
    default:
        if (!row->pass)
            snprintf(buf, size, "FAIL (a %s regression)", pct_text(row->regression, reg, sizeof reg));
        else if (row->basis == GATE_BY_MEAN && !isnan(row->half) &&
                 regression_pct(row->dir == COMPARE_HIGHER_BETTER ? row->diff - row->half : row->diff + row->half,
                                row->dir, row->base) > row->limit->pct)
            snprintf(buf, size, "PASS (on the mean; the interval reaches beyond the limit)");
        else
            snprintf(buf, size, "PASS");
        break;
    }
    return buf;
}

/* One sentence about a row (JUnit's message and output). */
static void sentence(const compare_report_t *rep, const compare_row_t *row, char *buf, size_t size)
{
    char b[32], c[32], d[32], p[32], iv[80], lim[32], vd[160], plo[32], phi[32], rule[200];
    int k = snprintf(buf, size, "%s: base %s, candidate %s, difference %s (%s)", row->path,
                     num(row->base, b, sizeof b), num(row->cand, c, sizeof c), signed_num(row->diff, d, sizeof d),
                     pct_text(row->pct, p, sizeof p));
    if (!isnan(row->half) && k >= 0 && (size_t)k < size) {
        double base = fabs(row->base);
        k += snprintf(buf + k, size - (size_t)k, ", 95%% interval %s", interval(row, iv, sizeof iv));
        if (base > 0 && !isnan(base) && k >= 0 && (size_t)k < size)
            k += snprintf(buf + k, size - (size_t)k, " (%s to %s)",
                          pct_text(100 * (row->diff - row->half) / base, plo, sizeof plo),
                          pct_text(100 * (row->diff + row->half) / base, phi, sizeof phi));
    }
    if (k >= 0 && (size_t)k < size)
        k += snprintf(buf + k, size - (size_t)k, " over %d pair%s", row->pairs, row->pairs == 1 ? "" : "s");
    if (row->limit && k >= 0 && (size_t)k < size)
        snprintf(buf + k, size - (size_t)k, "; limit: change %s (%s better): %s, rule: %s", limit_text(row, lim, sizeof lim),
                 row->dir == COMPARE_HIGHER_BETTER ? "higher" : "lower", verdict(row, vd, sizeof vd),
                 compare_rule_text(rep, rule, sizeof rule));
}

typedef struct cells {
    char base[32], cand[32], diff[32], pct[32], interval[80], limit[32], verdict[160];
} cells_t;

static void cells_of(const compare_row_t *row, cells_t *c)
{
    num(row->base, c->base, sizeof c->base);
    num(row->cand, c->cand, sizeof c->cand);
    signed_num(row->diff, c->diff, sizeof c->diff);
    pct_text(row->pct, c->pct, sizeof c->pct);
    interval(row, c->interval, sizeof c->interval);
    limit_text(row, c->limit, sizeof c->limit);
    verdict(row, c->verdict, sizeof c->verdict);
}

static int widest(int w, const char *s)
{
    int n = (int)strlen(s);
    return n > w ? n : w;
}

void compare_print(FILE *f, const compare_report_t *rep, bool quiet)
{
    char rule[200];
    if (!quiet) {
        fprintf(f, "compare %s -> %s: %d replication%s paired by seed (seed%s %" PRIu64, rep->base_label,
                rep->cand_label, rep->replications, rep->replications == 1 ? "" : "s",
                rep->replications > 1 ? "s" : "", rep->seed);
        if (rep->replications > 1)
            fprintf(f, " to %" PRIu64, rep->seed + (uint64_t)(rep->replications - 1));
        fprintf(f, " for both), %.2fs wall\n", rep->wall_s);
        if (rep->identical)
            fprintf(f, "the candidate ran exactly as the base in every replication: every difference is 0\n");
        if (rep->only_base || rep->only_cand)
            fprintf(f, "%zu path%s only in the base, %zu only in the candidate (not compared)\n", rep->only_base,
                    rep->only_base == 1 ? "" : "s", rep->only_cand);
        int wm = 6, wb = 4, wc = 9, wd = 4, wp = 6, wi = 20, wl = 5;
        cells_t c;
        for (size_t i = 0; i < rep->n; i++) {
            if (!shown(&rep->rows[i]))
                continue;
            cells_of(&rep->rows[i], &c);
            wm = widest(wm, rep->rows[i].path);
            wb = widest(wb, c.base);
            wc = widest(wc, c.cand);
            wd = widest(wd, c.diff);
            wp = widest(wp, c.pct);
            wi = widest(wi, c.interval);
            wl = widest(wl, c.limit);
        }
        wm = wm > 60 ? 60 : wm;
        fprintf(f, "%-*s  %*s  %*s  %*s  %*s  %-*s  %-*s  %s\n", wm, "metric", wb, "base", wc, "candidate", wd, "diff",
                wp, "diff %", wi, "95% interval of diff", wl, "limit", rep->nlimited ? "verdict" : "");
        for (size_t i = 0; i < rep->n; i++) {
            const compare_row_t *row = &rep->rows[i];
            if (!shown(row))
                continue;
            cells_of(row, &c);
            char line[600];
            int len = snprintf(line, sizeof line, "%-*s  %*s  %*s  %*s  %*s  %-*s  %-*s  %s", wm, row->path, wb, c.base,
                               wc, c.cand, wd, c.diff, wp, c.pct, wi, c.interval, wl, c.limit, c.verdict);
            /* no trailing blanks on a line without a limit */
            size_t end = len < 0 ? 0 : (size_t)len < sizeof line ? (size_t)len : sizeof line - 1;
            while (end > 0 && line[end - 1] == ' ')
                end--;
            fprintf(f, "%.*s", (int)end, line);
            fputc('\n', f);
        }
    }
    if (rep->nlimited)
        fprintf(f, "%zu of %zu limits pass (rule: %s)\n", rep->passed, rep->nlimited,
                compare_rule_text(rep, rule, sizeof rule));
    else
        fprintf(f, "no --max-regression limits: nothing is judged\n");
}

/* ---- JUnit XML ------------------------------------------------------------------------- */

static void emit_junit(FILE *f, const void *ctx)
{
    const compare_report_t *rep = ctx;
    size_t tests = 0, failures = rep->nlimited - rep->passed;
    char line[2048], rule[200], name[512];
    for (size_t i = 0; i < rep->n; i++)
        tests += shown(&rep->rows[i]);
    snprintf(name, sizeof name, "%s -> %s", rep->base_label, rep->cand_label);
    fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n", f);
    fprintf(f, "<testsuites name=\"clustersim compare\" tests=\"%zu\" failures=\"%zu\" errors=\"0\" time=\"%.3f\">\n",
            tests, failures, rep->wall_s);
    fputs("  <testsuite name=\"", f);
    gate_xml_put(f, name);
    fprintf(f, "\" tests=\"%zu\" failures=\"%zu\" errors=\"0\" skipped=\"0\" time=\"%.3f\">\n", tests, failures,
            rep->wall_s);
    fputs("    <properties>\n      <property name=\"rule\" value=\"", f);
    gate_xml_put(f, compare_rule_text(rep, rule, sizeof rule));
    fprintf(f, "\"/>\n      <property name=\"replications\" value=\"%d\"/>\n", rep->replications);
    fprintf(f, "      <property name=\"seed\" value=\"%" PRIu64 "\"/>\n", rep->seed);
    fprintf(f, "      <property name=\"identical\" value=\"%s\"/>\n    </properties>\n",
            rep->identical ? "true" : "false");
    for (size_t i = 0; i < rep->n; i++) {
        const compare_row_t *row = &rep->rows[i];
        if (!shown(row))
            continue;
        sentence(rep, row, line, sizeof line);
        gate_junit_case(f, "compare", row->path, row->limit && !row->pass ? "regression" : NULL, line);
    }
    fputs("  </testsuite>\n</testsuites>\n", f);
}

int compare_write_junit(const char *path, const compare_report_t *rep, char *err, size_t errlen)
{
    return gate_write_file(path, emit_junit, rep, err, errlen);
}

/* ---- Markdown --------------------------------------------------------------------------- */

#define MD_PASS "\xe2\x9c\x85 PASS"  /* U+2705 */
#define MD_FAIL "\xe2\x9d\x8c FAIL"  /* U+274C */
#define MD_DELTA "\xce\x94"           /* U+0394 */

static void emit_markdown(FILE *f, const void *ctx)
{
    const compare_report_t *rep = ctx;
    char rule[200];
    fputs("### clustersim compare: ", f);
    if (rep->nlimited)
        fprintf(f, "%zu of %zu regression limits pass\n\n", rep->passed, rep->nlimited);
    else
        fputs("no regression limits\n\n", f);
    fputs("Base ", f);
    gate_md_put(f, rep->base_label);
    fputs(", candidate ", f);
    gate_md_put(f, rep->cand_label);
    if (rep->replications > 1)
        fprintf(f, ": %d replications paired by seed (seeds %" PRIu64 " to %" PRIu64 " for both).",
                rep->replications, rep->seed, rep->seed + (uint64_t)(rep->replications - 1));
    else
        fprintf(f, ": one replication of each (seed %" PRIu64 " for both).", rep->seed);
    if (rep->identical)
        fputs(" The candidate ran exactly as the base: every difference is 0.", f);
    fputs("\n\n| metric | base | candidate | " MD_DELTA " | " MD_DELTA " % | 95% interval of " MD_DELTA
          " | verdict |\n|---|---:|---:|---:|---:|---|---|\n", f);
    for (size_t i = 0; i < rep->n; i++) {
        const compare_row_t *row = &rep->rows[i];
        if (!shown(row))
            continue;
        cells_t c;
        cells_of(row, &c);
        fprintf(f, "| `%s` | %s | %s | %s | %s | %s | ", row->path, c.base, c.cand, c.diff, c.pct, c.interval);
        if (row->limit) {
            /* "<= +5%" as "≤ +5%" (a '<' would need escaping) */
            fprintf(f, "%s (limit %s%s", row->pass ? MD_PASS : MD_FAIL,
                    row->dir == COMPARE_HIGHER_BETTER ? "\xe2\x89\xa5 " : "\xe2\x89\xa4 ", c.limit + 3);
            const char *why = strchr(c.verdict, '(');
            if (why) {
                /* the reason, without its parentheses */
                char inner[160];
                snprintf(inner, sizeof inner, "%.*s", (int)strlen(why + 1) - 1, why + 1);
                fputs("; ", f);
                gate_md_put(f, inner);
            }
            fputc(')', f);
        }
        fputs(" |\n", f);
    }
    fprintf(f, "\n%s = candidate \xe2\x88\x92 base, paired by replication; %% of the base mean. Rule: %s.\n", MD_DELTA,
            compare_rule_text(rep, rule, sizeof rule));
}

int compare_write_markdown(const char *path, const compare_report_t *rep, char *err, size_t errlen)
{
    return gate_write_file(path, emit_markdown, rep, err, errlen);
}

/* ---- compare.json, compare.csv ---------------------------------------------------------- */

/* A JSON number (17 digits: reads back exactly), null for NaN or infinity. */
static void json_num(FILE *f, double v)
{
    if (isfinite(v))
        fprintf(f, "%.17g", v);
    else
        fputs("null", f);
}

static const char *dir_name(compare_dir_t d)
{
    return d == COMPARE_LOWER_BETTER ? "lower" : d == COMPARE_HIGHER_BETTER ? "higher" : NULL;
}

static const char *verdict_word(const compare_row_t *row) { return !row->limit ? "" : row->pass ? "pass" : "fail"; }

static void emit_json(FILE *f, const void *ctx)
{
    const compare_report_t *rep = ctx;
    char rule[200];
    fputs("{\n  \"schema\": \"" COMPARE_SCHEMA "\",\n  \"base\": ", f);
    gate_json_put(f, rep->base_label);
    fputs(",\n  \"candidate\": ", f);
    gate_json_put(f, rep->cand_label);
    fprintf(f, ",\n  \"seed\": %" PRIu64 ",\n  \"replications\": %d,\n  \"rule\": \"%s\",\n  \"rule_text\": ", rep->seed,
            rep->replications, rep->rule == GATE_ON_MEAN ? "mean" : "ci");
    gate_json_put(f, compare_rule_text(rep, rule, sizeof rule));
    fprintf(f, ",\n  \"identical\": %s,\n  \"limits\": %zu,\n  \"limits_passed\": %zu,\n  \"wall_s\": ",
            rep->identical ? "true" : "false", rep->nlimited, rep->passed);
    json_num(f, rep->wall_s);
    fputs(",\n  \"metrics\": [", f);
    for (size_t i = 0; i < rep->n; i++) {
        const compare_row_t *row = &rep->rows[i];
        fputs(i ? ",\n    {\"metric\": " : "\n    {\"metric\": ", f);
        gate_json_put(f, row->path);
        fprintf(f, ", \"headline\": %s, \"direction\": ", row->headline ? "true" : "false");
        if (dir_name(row->dir))
            gate_json_put(f, dir_name(row->dir));
        else
            fputs("null", f);
        const struct {
            const char *k;
            double v;
        } nums[] = {{"base", row->base}, {"candidate", row->cand}, {"diff", row->diff}, {"diff_ci95", row->half},
                    {"diff_pct", row->pct}};
        for (size_t q = 0; q < sizeof nums / sizeof nums[0]; q++) {
            fprintf(f, ", \"%s\": ", nums[q].k);
            json_num(f, nums[q].v);
        }
        fprintf(f, ", \"pairs\": %d", row->pairs);
        if (row->limit) {
            fputs(", \"limit_pct\": ", f);
            json_num(f, row->limit->pct);
            fputs(", \"regression_pct\": ", f);
            json_num(f, row->regression);
            fprintf(f, ", \"pass\": %s", row->pass ? "true" : "false");
        }
        fputc('}', f);
    }
    fputs("\n  ]\n}\n", f);
}

int compare_write_json(const char *path, const compare_report_t *rep, char *err, size_t errlen)
{
    return gate_write_file(path, emit_json, rep, err, errlen);
}

/* A CSV field: empty for NaN, 17 digits otherwise. */
static void csv_num(FILE *f, double v)
{
    fputc(',', f);
    if (!isnan(v))
        fprintf(f, "%.17g", v);
}

static void emit_csv(FILE *f, const void *ctx)
{
    const compare_report_t *rep = ctx;
    fputs("metric,headline,direction,base,candidate,diff,diff_ci95,diff_lo,diff_hi,diff_pct,pairs,limit_pct,"
          "regression_pct,verdict\n", f);
    for (size_t i = 0; i < rep->n; i++) {
        const compare_row_t *row = &rep->rows[i];
        /* paths are names of [a-z0-9_-] joined by dots: no quoting needed */
        fprintf(f, "%s,%d,%s", row->path, row->headline, dir_name(row->dir) ? dir_name(row->dir) : "");
        csv_num(f, row->base);
        csv_num(f, row->cand);
        csv_num(f, row->diff);
        csv_num(f, row->half);
        csv_num(f, row->diff - row->half);
        csv_num(f, row->diff + row->half);
        csv_num(f, row->pct);
        fprintf(f, ",%d", row->pairs);
        csv_num(f, row->limit ? row->limit->pct : NAN);
        csv_num(f, row->limit && isfinite(row->regression) ? row->regression : NAN);
        fprintf(f, ",%s\n", verdict_word(row));
    }
}

int compare_write_csv(const char *path, const compare_report_t *rep, char *err, size_t errlen)
{
    return gate_write_file(path, emit_csv, rep, err, errlen);
}
