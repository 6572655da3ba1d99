#include "sim/results.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cJSON.h>

#include "sim/hist.h"
#include "sim/simtime.h"

/* The object at the dotted prefix of path (created as needed), or NULL when
 * out of memory; *leaf is set to the last component (malloc'd, the caller
 * frees it). The path is copied whole, however long. */
static cJSON *walk(cJSON *root, const char *path, char **leaf)
{
    char *buf = malloc(strlen(path) + 1);
    if (!buf)
        return NULL;
    strcpy(buf, path);
    cJSON *cur = root;
    char *part = buf, *dot;
    while ((dot = strchr(part, '.')) != NULL) {
        *dot = '\0';
        cJSON *next = cJSON_GetObjectItemCaseSensitive(cur, part);
        if (!next) {
            next = cJSON_AddObjectToObject(cur, part);
            if (!next) {
                free(buf);
                return NULL;
            }
        }
        cur = next;
        part = dot + 1;
    }
    /* the leaf moves to the start of buf, which the caller frees */
    memmove(buf, part, strlen(part) + 1);
    *leaf = buf;
    return cur;
}

bool results_is_percentile(const char *path)
{
    const char *leaf = strrchr(path, '.');
    if (!leaf || leaf - path < 3 || strncmp(leaf - 3, "_ms", 3) != 0 || leaf[1] != 'p' || !leaf[2])
        return false;
    for (const char *c = leaf + 2; *c; c++)
        if (*c < '0' || *c > '9')
            return false;
    return true;
}

double results_resolution(const char *path, double value)
{
    if (isnan(value) || !results_is_percentile(path))
        return 0;
    /* the percentile is in ms, the histogram in ns */
    return hist_resolution(value * 1e6) / 1e6;
}

/* A 95% interval of a proportion of x successes in n trials: none or all
 * successes, the exact (Clopper-Pearson) one in closed form (0 in n: up to
 * 1 - 0.025^(1/n), the rule of three's 3.7/n); otherwise Wilson's score
 * interval, whose coverage is close to 95% even for few successes and which
 * needs no iterative inverse (GSL's inverse beta does not converge for the
 * counts of a long run). */
static const double Z975 = 1.959963984540054; /* the standard normal's 97.5% quantile */

static void binomial_ci95(double x, double n, double *lo, double *hi)
{
    if (x <= 0) {
        *lo = 0;
        *hi = 1 - pow(0.025, 1 / n);
    } else if (x >= n) {
        *lo = pow(0.025, 1 / n);
        *hi = 1;
    } else {
        const double z = Z975, z2 = z * z;
        double p = x / n, c = (p + z2 / (2 * n)) / (1 + z2 / n);
        double h = z / (1 + z2 / n) * sqrt(p * (1 - p) / n + z2 / (4 * n * n));
        *lo = c - h;
        *hi = c + h;
    }
}

/* A 95% interval of the mean per replication of a count of events whose
 * total over n replications is x: Poisson, exact for none (up to
 * -ln(0.025) = 3.69 events in all), the score interval otherwise. */
static void poisson_ci95(double x, double n, double *lo, double *hi)
{
    const double z = Z975, z2 = z * z;
    if (x <= 0) {
        *lo = 0;
        *hi = -log(0.025) / n;
    } else {
        double h = z * sqrt(x + z2 / 4);
        *lo = fmax(0, x + z2 / 2 - h) / n;
        *hi = (x + z2 / 2 + h) / n;
    }
}

double results_ci95(const metric_t *m)
{
    if (isnan(m->ci95) || isnan(m->value))
        return m->ci95;
    double half = m->ci95;
    /* A percentile read from a histogram is off by up to its resolution, a
     * bias of the reading, not noise: it adds to the t half-width. */
    half += results_resolution(m->path, m->value);
    /* A proportion is also a count of trials: its replications may all
     * agree (no error in any: a t half-width of 0), which says little when
     * the trials are few. The interval covers the exact binomial one of the
     * pooled counts, too (binomial_ci95: 0 errors in 1,000 requests, up to
     * 0.37%). */
    if (m->trials > 0) {
        /* a count of events, the same with Poisson's: no rejection in 5
         * replications says up to 0.74 a replication, not 0 */
        double x = floor(m->successes + 0.5), lo, hi;
        if (m->count)
            poisson_ci95(x, m->trials, &lo, &hi);
        else
            binomial_ci95(x, floor(m->trials + 0.5), &lo, &hi);
        half = fmax(half, fmax(m->value - lo, hi - m->value));
    }
    return half;
}

static int add_number(cJSON *obj, const char *key, double v)
{
    /* JSON has no NaN or infinity: such a value (no samples) is null. */
    cJSON *item = isfinite(v) ? cJSON_CreateNumber(v) : cJSON_CreateNull();
    return item && cJSON_AddItemToObject(obj, key, item) ? 0 : -1;
}

char *results_summary_json(const scenario_t *sc, const run_result_t *res)
{
    cJSON *root = cJSON_CreateObject();
    if (!root)
        return NULL;
    int bad = 0;
    bad |= !cJSON_AddStringToObject(root, "schema", RESULTS_SCHEMA);
    bad |= !cJSON_AddStringToObject(root, "scenario", sc->name);
    /* every digit of the 64-bit seed: a JSON number, not a rounded double */
    char seed[24];
    snprintf(seed, sizeof seed, "%" PRIu64, sc->seed);
    bad |= !cJSON_AddRawToObject(root, "seed", seed);
    bad |= add_number(root, "replications", res->replications);
    bad |= add_number(root, "duration_s", simtime_to_s(sc->duration));
    bad |= add_number(root, "warmup_s", simtime_to_s(sc->warmup));
    bad |= add_number(root, "wall_s", res->wall_s);
    for (size_t i = 0; i < res->summary.n && !bad; i++) {
        const metric_t *m = &res->summary.v[i];
        char *leaf = NULL;
        cJSON *obj = walk(root, m->path, &leaf);
        if (!obj) {
            bad = 1;
            break;
        }
        bad |= add_number(obj, leaf, m->value);
        if (res->replications > 1) {
            size_t n = strlen(leaf);
            char *ci = malloc(n + sizeof "_ci95");
            if (ci) {
                memcpy(ci, leaf, n);
                memcpy(ci + n, "_ci95", sizeof "_ci95");
                bad |= add_number(obj, ci, results_ci95(m));
            }
            bad |= !ci;
            free(ci);
        }
        free(leaf);
    }
    /* the SLO gates: value (the mean over replications) against threshold */
    if (!bad && sc->nslo) {
        cJSON *arr = cJSON_AddArrayToObject(root, "slo");
        bad |= !arr;
        for (size_t i = 0; i < sc->nslo && !bad; i++) {
            const slo_t *g = &sc->slo[i];
            const metric_t *m = metrics_find(&res->summary, g->metric);
            double v = m ? m->value : NAN;
            cJSON *o = cJSON_CreateObject();
            bad |= !o || !cJSON_AddItemToArray(arr, o);
            if (bad)
                break;
            bad |= !cJSON_AddStringToObject(o, "name", g->name);
            bad |= !cJSON_AddStringToObject(o, "metric", g->metric);
            bad |= !cJSON_AddStringToObject(o, "op", slo_ops[g->op]);
            bad |= add_number(o, "threshold", g->threshold);
            bad |= add_number(o, "value", v);
            if (res->replications > 1)
                bad |= add_number(o, "value_ci95", m ? results_ci95(m) : NAN);
            bad |= !cJSON_AddBoolToObject(o, "pass", slo_pass(g, v));
        }
    }
    char *text = bad ? NULL : cJSON_Print(root);
    cJSON_Delete(root);
    return text;
}

/* The metric at path, NaN if absent. */
static double get(const run_result_t *res, const char *path) { return metrics_value(&res->summary, path); }

/* x with `digits` decimals into buf, or "-" when it has no value (NaN: no
 * sample). */
static const char *num(char *buf, size_t size, double x, int digits)
{
    if (isnan(x))
        snprintf(buf, size, "-");
    else
        snprintf(buf, size, "%.*f", digits, x);
    return buf;
}

void results_print_table(FILE *f, const scenario_t *sc, const run_result_t *res)
{
    double total = get(res, "requests.total"), failed = get(res, "requests.failed");
    double rej = get(res, "requests.rejected");
    char b[6][40];
    fprintf(f,
            "\n%s: %.0f requests after warm-up, %.0f failed (%.0f of them rejected by a full queue; error rate "
            "%s%s), %d replication%s, %.2fs wall\n",
            sc->name, total, failed, rej, num(b[0], sizeof b[0], 100 * get(res, "requests.error_rate"), 4),
            isnan(get(res, "requests.error_rate")) ? "" : "%",
            res->replications, res->replications > 1 ? "s" : "", res->wall_s);
    static const char *const lat[5] = {"mean", "p50", "p95", "p99", "max"};
    for (int i = 0; i < 5; i++) {
        char path[32];
        snprintf(path, sizeof path, "latency_ms.%s", lat[i]);
        num(b[i + 1], sizeof b[i + 1], get(res, path), 3);
    }
    fprintf(f, "end to end latency ms: mean %s  p50 %s  p95 %s  p99 %s  max %s\n", b[1], b[2], b[3], b[4], b[5]);
    station_report_t rep = {sc, &res->summary, res->replications};
    if (model_catalog.source->report)
        model_catalog.source->report(f, &rep);
    for (size_t i = 0; i < model_catalog.nkinds; i++) {
        size_t n;
        if (model_catalog.kinds[i]->report && scenario_stations_of(sc, model_catalog.kinds[i], &n))
            model_catalog.kinds[i]->report(f, &rep);
    }
    double bill = get(res, "cost.total_usd");
    if (!isnan(bill)) {
        /* every part of the bill the models reported (cost.PART_usd) */
        fprintf(f, "\n%-24s %12s %8s\n", "cost over [warmup, end]", "USD", "share");
        for (size_t i = 0; i < res->summary.n; i++) {
            const char *p = res->summary.v[i].path;
            size_t n = strlen(p);
            if (strncmp(p, "cost.", 5) != 0 || n < 10 || strcmp(p + n - 4, "_usd") != 0 ||
                strcmp(p, "cost.total_usd") == 0 || strcmp(p, "cost.per_million_requests_usd") == 0)
                continue;
            double v = res->summary.v[i].value;
            fprintf(f, "  %-22.*s %12.4f %7.1f%%\n", (int)(n - 9), p + 5, v, bill > 0 ? 100 * v / bill : 0.0);
        }
        fprintf(f, "  %-22s %12.4f   (%.4f USD per million requests)\n", "total", bill,
                get(res, "cost.per_million_requests_usd"));
        double u = get(res, "cost.cpu_utilization");
        if (!isnan(u))
            fprintf(f, "  CPU used over requested: %.1f%%\n", 100 * u);
    }
    if (sc->nslo) {
        size_t unmet = 0;
        fprintf(f, "\n%-24s %-46s %2s %12s %12s  %s\n", "SLO", "metric", "op", "threshold", "value", "verdict");
        for (size_t i = 0; i < sc->nslo; i++) {
            const slo_t *g = &sc->slo[i];
            double v = get(res, g->metric);
            bool pass = slo_pass(g, v);
            unmet += !pass;
            fprintf(f, "%-24.24s %-46.46s %2s %12.6g %12.6g  %s\n", g->name, g->metric, slo_ops[g->op], g->threshold,
                    v, pass ? "pass" : isnan(v) ? "FAIL (no sample)" : "FAIL");
        }
        fprintf(f, "%zu of %zu SLOs met%s\n", sc->nslo - unmet, sc->nslo,
                res->replications > 1 ? " (on the means over replications)" : "");
    }
    if (res->replications > 1)
        fprintf(f, "\n(means over %d replications; summary.json gives each a 95%% confidence half-width, *_ci95)\n",
                res->replications);
}
