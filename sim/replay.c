#include "sim/replay.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "sim/units.h"

typedef struct row {
    double time;
    int metric;          /* index into the spec's metrics */
    int64_t milli;       /* value x 1000 */
    int32_t ready;       /* -1: not given */
} row_t;

typedef struct rows {
    row_t *v;
    size_t n, cap;
} rows_t;

/* The metric a CSV name refers to, or -1. */
static int metric_index(const hpa_spec_t *s, const char *name)
{
    for (size_t i = 0; i < s->n_metrics; i++)
        if (strcmp(s->metrics[i].name, name) == 0)
            return (int)i;
    return -1;
}

static char *trim(char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    size_t n = strlen(s);
    while (n > 0 && isspace((unsigned char)s[n - 1]))
        s[--n] = '\0';
    return s;
}

static int read_csv(const hpa_spec_t *spec, const char *path, rows_t *rows, diag_t *d)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        diag_error(d, (srcpos_t){path, 0, 0}, "cannot open: %s", strerror(errno));
        return -1;
    }
    char line[4096];
    int lineno = 0, col_of[4] = {-1, -1, -1, -1}, ncols = 0;
    static const char *const names[] = {"time", "metric", "value", "ready_pods"};
    double last_time = -1;
    int errs = 0;
    while (fgets(line, sizeof line, f) && errs < 20) {
        lineno++;
        line[strcspn(line, "\r\n")] = '\0';
        if (lineno > 1 && (line[0] == '\0' || line[0] == '#'))
            continue;
        char *cells[16];
        int cols[16], n = 0;
        char *p = line;
        for (;;) {
            char *c = strchr(p, ',');
            if (n < 16) {
                cols[n] = (int)(p - line) + 1;
                cells[n++] = p;
            }
            if (!c)
                break;
            *c = '\0';
            p = c + 1;
        }
        if (lineno == 1) {
            ncols = n;
            for (int i = 0; i < n; i++) {
                char *h = trim(cells[i]);
                int k;
                for (k = 0; k < 4 && strcmp(h, names[k]) != 0; k++)
                    ;
                if (k == 4 || col_of[k] >= 0) {
                    diag_error(d, (srcpos_t){path, 1, cols[i]},
                               "%s column '%s' (the header names time, metric, value and optionally ready_pods)",
                               k == 4 ? "unknown" : "repeated", h);
                    errs++;
                } else {
                    col_of[k] = i;
                }
            }
            for (int k = 0; k < 3 && !errs; k++)
                if (col_of[k] < 0) {
                    diag_error(d, (srcpos_t){path, 1, 1}, "the header lacks the '%s' column", names[k]);
                    errs++;
                }
            if (errs)
                break;
            continue;
        }
        if (n != ncols) {
            diag_error(d, (srcpos_t){path, lineno, 1}, "%d cells where the header has %d", n, ncols);
            errs++;
            continue;
        }
        row_t r = {0, 0, 0, -1};
        char *t = trim(cells[col_of[0]]), *m = trim(cells[col_of[1]]), *v = trim(cells[col_of[2]]);
        if (units_number(t, &r.time) != NULL || r.time < 0 || r.time > 3.1536e8) {
            diag_error(d, (srcpos_t){path, lineno, cols[col_of[0]]},
                       "time: expected seconds from 0 to 315360000, got '%s'", t);
            errs++;
            continue;
        }
        if (r.time < last_time) {
            diag_error(d, (srcpos_t){path, lineno, cols[col_of[0]]},
                       "time %s goes back (the previous row is at %g s): rows must be in time order", t, last_time);
            errs++;
            continue;
        }
        last_time = r.time;
        r.metric = metric_index(spec, m);
        if (r.metric < 0) {
            char valid[400];
            size_t k = 0;
            valid[0] = '\0';
            for (size_t i = 0; i < spec->n_metrics && k < sizeof valid; i++)
                k += (size_t)snprintf(valid + k, sizeof valid - k, "%s%s", i ? ", " : "", spec->metrics[i].name);
            diag_error(d, (srcpos_t){path, lineno, cols[col_of[1]]},
                       "metric '%s' is not one of the manifest's (%s)", m, valid);
            errs++;
            continue;
        }
        if (units_quantity(v, 3, &r.milli) != NULL || r.milli < 0) {
            diag_error(d, (srcpos_t){path, lineno, cols[col_of[2]]},
                       "value: expected a non-negative number (or quantity such as 500m), got '%s'", v);
            errs++;
            continue;
        }
        if (col_of[3] >= 0) {
            char *rp = trim(cells[col_of[3]]), *end;
            if (*rp) {
                long rv = strtol(rp, &end, 10);
                if (*end || rv < 0 || rv > 1000000) {
                    diag_error(d, (srcpos_t){path, lineno, cols[col_of[3]]},
                               "ready_pods: expected a count of pods, got '%s'", rp);
                    errs++;
                    continue;
                }
                r.ready = (int32_t)rv;
            }
        }
        if (rows->n == rows->cap) {
            size_t nc = rows->cap ? rows->cap * 2 : 256;
            row_t *g = realloc(rows->v, nc * sizeof *g);
            if (!g) {
                diag_oom(d, (srcpos_t){path, lineno, 1});
                errs++;
                break;
            }
            rows->v = g;
            rows->cap = nc;
        }
        rows->v[rows->n++] = r;
    }
    if (!errs && lineno == 0) {
        diag_error(d, (srcpos_t){path, 1, 1}, "empty file: expected a header time,metric,value");
        errs++;
    }
    fclose(f);
    return errs ? -1 : 0;
}

/* A milli-value as a decimal ("53.333", "100"). */
static void fmt_milli(char *buf, size_t n, int64_t m)
{
    int64_t a = m < 0 ? -m : m;
    if (a % 1000 == 0) {
        snprintf(buf, n, "%s%" PRId64, m < 0 ? "-" : "", a / 1000);
    } else {
        char frac[8];
        snprintf(frac, sizeof frac, "%03" PRId64, a % 1000);
        for (int i = 2; i > 0 && frac[i] == '0'; i--)
            frac[i] = '\0';
        snprintf(buf, n, "%s%" PRId64 ".%s", m < 0 ? "-" : "", a / 1000, frac);
    }
}

/* What the "observed metric" column of hpa-spec.md shows for metric i. */
static void fmt_value(char *buf, size_t n, const hpa_metric_spec_t *ms, const hpa_metric_result_t *r)
{
    if (!r->valid)
        buf[0] = '\0';
    else if (ms->target == HPA_TARGET_UTILIZATION)
        snprintf(buf, n, "%" PRId64, r->value);
    else
        fmt_milli(buf, n, r->value);
}

static void fmt_int(char *buf, size_t n, int32_t v)
{
    if (v < 0)
        buf[0] = '\0';
    else
        snprintf(buf, n, "%" PRId32, v);
}

static void json_str(FILE *out, const char *s)
{
    fputc('"', out);
    for (; *s; s++) {
        if (*s == '"' || *s == '\\')
            fprintf(out, "\\%c", *s);
        else if ((unsigned char)*s < 0x20)
            fprintf(out, "\\u%04x", *s);
        else
            fputc(*s, out);
    }
    fputc('"', out);
}

int replay_run(const k8s_hpa_t *h, const char *csv_path, int32_t replicas, replay_format_t fmt, FILE *out, diag_t *d)
{
    const hpa_spec_t *spec = &h->spec;
    rows_t rows = {0};
    if (read_csv(spec, csv_path, &rows, d) != 0) {
        free(rows.v);
        return -1;
    }
    hpa_state_t st;
    if (hpa_state_init(&st, spec) != 0) {
        free(rows.v);
        diag_oom(d, (srcpos_t){csv_path, 0, 0});
        return -1;
    }
    size_t cap_pods = 0;
    hpa_pod_t *pods = NULL;
    hpa_sample_t *samples = NULL;
    hpa_obs_t obs[HPA_MAX_METRICS];
    int rc = 0;
    const char *name = h->name ? h->name : "hpa";

    if (fmt == REPLAY_CSV) {
        fputs("time,current", out);
        for (size_t i = 0; i < spec->n_metrics; i++)
            fprintf(out, ",%s,%s_proposal", spec->metrics[i].name, spec->metrics[i].name);
        fputs(",raw,stabilized,final,reason\n", out);
    } else if (fmt == REPLAY_TABLE) {
        fprintf(out, "HPA %s: min %d, max %d, %s path, %zu metric%s\n\n", name, spec->min_replicas,
                spec->max_replicas, spec->has_behavior ? "behavior" : "legacy (no behavior)", spec->n_metrics,
                spec->n_metrics == 1 ? "" : "s");
        fprintf(out, "%9s %7s", "time (s)", "current");
        for (size_t i = 0; i < spec->n_metrics; i++)
            fprintf(out, "  %-26.26s", spec->metrics[i].name);
        fprintf(out, " %5s %10s %5s  %s\n", "raw", "stabilized", "final", "reason");
    } else {
        fputs("{\n  \"hpa\": ", out);
        json_str(out, name);
        fprintf(out, ",\n  \"min_replicas\": %d,\n  \"max_replicas\": %d,\n  \"syncs\": [", spec->min_replicas,
                spec->max_replicas);
    }

    int32_t current = replicas;
    for (size_t i = 0; i < rows.n;) {
        size_t j = i;
        while (j < rows.n && rows.v[j].time == rows.v[i].time)
            j++;
        double t = rows.v[i].time;
        simtime_t now = simtime_from_s(t);
        int32_t ready = current;
        for (size_t k = i; k < j; k++)
            if (rows.v[k].ready >= 0)
                ready = rows.v[k].ready < current ? rows.v[k].ready : current;
        size_t npods = current > 0 ? (size_t)current : 0;
        if (npods > cap_pods) {
            hpa_pod_t *np = realloc(pods, npods * sizeof *np);
            if (np)
                pods = np;
            hpa_sample_t *ns = realloc(samples, npods * HPA_MAX_METRICS * sizeof *ns);
            if (ns)
                samples = ns;
            if (!np || !ns) {
                diag_oom(d, (srcpos_t){csv_path, 0, 0});
                rc = -1;
                break;
            }
            cap_pods = npods;
        }
        for (size_t p = 0; p < npods; p++) {
            bool r = (int32_t)p < ready;
            pods[p] = (hpa_pod_t){.id = p, .phase = r ? HPA_POD_RUNNING : HPA_POD_PENDING,
                                  .ready = r ? HPA_COND_TRUE : HPA_COND_NONE, .started = r,
                                  .start_time = now - 3600 * SIM_S, .ready_since = now - 3600 * SIM_S + 10 * SIM_S};
        }
        for (size_t m = 0; m < spec->n_metrics; m++) {
            const hpa_metric_spec_t *ms = &spec->metrics[m];
            const row_t *row = NULL;
            for (size_t k = i; k < j; k++)
                if (rows.v[k].metric == (int)m)
                    row = &rows.v[k];
            hpa_sample_t *sm = samples ? samples + m * cap_pods : NULL;
            obs[m] = (hpa_obs_t){.failed = row == NULL, .samples = sm, .value = row ? row->milli : 0};
            for (size_t p = 0; row && p < npods; p++) {
                /* Utilization: a nominal request of 100 cores makes the usage
                 * in millicores equal to the percent in milli-units, so the
                 * controller's integer utilisation is the CSV value. */
                bool util = ms->target == HPA_TARGET_UTILIZATION;
                sm[p] = (hpa_sample_t){.present = (int32_t)p < ready, .value = row->milli,
                                       .request = util ? 100000 : 1000, .timestamp = now, .window = 0};
            }
        }
        hpa_input_t in = {now, current, current, pods, npods, obs};
        hpa_decision_t dec;
        if (hpa_sync(spec, &st, &in, &dec) != 0) {
            diag_oom(d, (srcpos_t){csv_path, 0, 0});
            rc = -1;
            break;
        }
        char raw[16], stab[16], val[32];
        fmt_int(raw, sizeof raw, dec.raw);
        fmt_int(stab, sizeof stab, dec.stabilized);
        const char *reason = hpa_decision_reason(&dec);
        if (fmt == REPLAY_CSV) {
            fprintf(out, "%.10g,%d", t, current);
            for (size_t m = 0; m < spec->n_metrics; m++) {
                const hpa_metric_result_t *mr = m < dec.n_metrics ? &dec.metrics[m] : NULL;
                char prop[16] = "";
                val[0] = '\0';
                if (mr && mr->valid) {
                    fmt_value(val, sizeof val, &spec->metrics[m], mr);
                    fmt_int(prop, sizeof prop, mr->proposal);
                }
                fprintf(out, ",%s,%s", val, prop);
            }
            fprintf(out, ",%s,%s,%d,%s\n", raw, stab, dec.desired, reason);
        } else if (fmt == REPLAY_TABLE) {
            fprintf(out, "%9.10g %7d", t, current);
            for (size_t m = 0; m < spec->n_metrics; m++) {
                const hpa_metric_result_t *mr = m < dec.n_metrics ? &dec.metrics[m] : NULL;
                char cellbuf[64];
                if (mr && mr->valid) {
                    fmt_value(val, sizeof val, &spec->metrics[m], mr);
                    snprintf(cellbuf, sizeof cellbuf, "%s%s -> %d", val,
                             spec->metrics[m].target == HPA_TARGET_UTILIZATION ? "%" : "", mr->proposal);
                } else {
                    snprintf(cellbuf, sizeof cellbuf, "%s", mr ? hpa_metric_err_str(mr->err) : "-");
                }
                fprintf(out, "  %-26.26s", cellbuf);
            }
            fprintf(out, " %5s %10s %5d  %s\n", raw, stab, dec.desired, reason);
        } else {
            fprintf(out, "%s\n    {\"time\": %.10g, \"current\": %d, \"metrics\": [", i ? "," : "", t, current);
            for (size_t m = 0; m < spec->n_metrics; m++) {
                const hpa_metric_result_t *mr = m < dec.n_metrics ? &dec.metrics[m] : NULL;
                fprintf(out, "%s{\"name\": ", m ? ", " : "");
                json_str(out, spec->metrics[m].name);
                if (mr && mr->valid) {
                    fmt_value(val, sizeof val, &spec->metrics[m], mr);
                    fprintf(out, ", \"value\": %s, \"proposal\": %d}", val, mr->proposal);
                } else {
                    fprintf(out, ", \"value\": null, \"proposal\": null, \"error\": ");
                    json_str(out, mr ? hpa_metric_err_str(mr->err) : "not computed");
                    fputc('}', out);
                }
            }
            fprintf(out, "], \"raw\": %s, \"stabilized\": %s, \"final\": %d, \"reason\": ", dec.raw >= 0 ? raw : "null",
                    dec.stabilized >= 0 ? stab : "null", dec.desired);
            json_str(out, reason);
            fputc('}', out);
        }
        current = dec.desired;
        i = j;
    }
    if (fmt == REPLAY_JSON)
        fputs("\n  ]\n}\n", out);
    free(pods);
    free(samples);
    free(rows.v);
    hpa_state_free(&st);
    return rc;
}
