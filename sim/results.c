#include "sim/results.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cJSON.h>

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
                bad |= add_number(obj, ci, m->ci95);
            }
            bad |= !ci;
            free(ci);
        }
        free(leaf);
    }
    char *text = bad ? NULL : cJSON_Print(root);
    cJSON_Delete(root);
    return text;
}

/* The metric services.SVC.LEAF, or LEAF itself when svc is NULL (NaN if absent). */
static double get(const run_result_t *res, const char *svc, const char *leaf)
{
    if (!svc) {
        const metric_t *m = metrics_find(&res->summary, leaf);
        return m ? m->value : NAN;
    }
    /* service names are at most 63 characters (scenario.c), leaves short
     * constants; a path that did not fit would find nothing, never another */
    char path[200];
    int n = snprintf(path, sizeof path, "services.%s.%s", svc, leaf);
    if (n < 0 || (size_t)n >= sizeof path)
        return NAN;
    const metric_t *m = metrics_find(&res->summary, path);
    return m ? m->value : NAN;
}

static void cell(FILE *f, double v, int width, int prec)
{
    if (isnan(v))
        fprintf(f, " %*s", width, "-");
    else
        fprintf(f, " %*.*f", width, prec, v);
}

void results_print_table(FILE *f, const scenario_t *sc, const run_result_t *res)
{
    double total = get(res, NULL, "requests.total"), rej = get(res, NULL, "requests.rejected");
    fprintf(f, "\n%s: %.0f requests after warm-up, %.0f rejected (error rate %.4f%%), %d replication%s, %.2fs wall\n",
            sc->name, total, rej, 100 * get(res, NULL, "requests.error_rate"), res->replications,
            res->replications > 1 ? "s" : "", res->wall_s);
    fprintf(f, "end to end latency ms: mean %.3f  p50 %.3f  p95 %.3f  p99 %.3f  max %.3f\n\n",
            get(res, NULL, "latency_ms.mean"), get(res, NULL, "latency_ms.p50"), get(res, NULL, "latency_ms.p95"),
            get(res, NULL, "latency_ms.p99"), get(res, NULL, "latency_ms.max"));
    fprintf(f, "%-16s %9s | %9s %9s %9s %9s | %9s %9s %9s %9s | %6s %9s\n", "service", "tput/s", "lat mean",
            "p50", "p95", "p99", "wait mean", "p50", "p95", "p99", "util", "rejected");
    fprintf(f, "%-16s %9s | %39s | %39s | %6s %9s\n", "", "", "latency (ms)", "queueing wait (ms)", "", "");
    for (size_t i = 0; i < sc->nservices; i++) {
        const char *n = sc->services[i].name;
        fprintf(f, "%-16.16s", n);
        cell(f, get(res, n, "throughput_rps"), 9, 2);
        fprintf(f, " |");
        cell(f, get(res, n, "latency_ms.mean"), 9, 3);
        cell(f, get(res, n, "latency_ms.p50"), 9, 3);
        cell(f, get(res, n, "latency_ms.p95"), 9, 3);
        cell(f, get(res, n, "latency_ms.p99"), 9, 3);
        fprintf(f, " |");
        cell(f, get(res, n, "wait_ms.mean"), 9, 3);
        cell(f, get(res, n, "wait_ms.p50"), 9, 3);
        cell(f, get(res, n, "wait_ms.p95"), 9, 3);
        cell(f, get(res, n, "wait_ms.p99"), 9, 3);
        fprintf(f, " |");
        cell(f, 100 * get(res, n, "utilization"), 5, 1);
        fprintf(f, "%%");
        cell(f, get(res, n, "rejected"), 9, 0);
        fprintf(f, "\n");
    }
    bool header = false;
    for (size_t i = 0; i < sc->nservices; i++) {
        const service_cfg_t *c = &sc->services[i];
        const char *n = c->name;
        if (!c->autoscaler.kind && !c->nrollouts && !c->mem_limit_b && !c->cpu_request_m)
            continue;
        if (!header) {
            fprintf(f, "\n%-16s %9s %9s %9s %6s %7s %9s %9s %8s %6s\n", "pods", "min", "mean", "max", "final",
                    "scaled", "response", "resp max", "cpu util", "OOM");
            header = true;
        }
        fprintf(f, "%-16.16s", n);
        cell(f, get(res, n, "replicas.min"), 9, 0);
        cell(f, get(res, n, "replicas.mean"), 9, 2);
        cell(f, get(res, n, "replicas.max"), 9, 0);
        cell(f, get(res, n, "replicas.final"), 6, 0);
        cell(f, get(res, n, "scaling_events"), 7, 0);
        double r = get(res, n, "scale_up_response_s"), rm = get(res, n, "scale_up_response_max_s");
        cell(f, r, 8, 1);
        fputs(isnan(r) ? " " : "s", f);
        cell(f, rm, 8, 1);
        fputs(isnan(rm) ? " " : "s", f);
        cell(f, 100 * get(res, n, "cpu_utilization"), 7, 1);
        fprintf(f, "%%");
        cell(f, get(res, n, "oom_kills"), 6, 0);
        fprintf(f, "\n");
    }
    if (header)
        fprintf(f, "(response: from the autoscaler wanting more pods than are Ready to enough Ready pods; "
                   "cpu util: used over requested)\n");
    if (res->replications > 1)
        fprintf(f, "\n(means over %d replications; summary.json gives each a 95%% confidence half-width, *_ci95)\n",
                res->replications);
}
