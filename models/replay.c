#define _GNU_SOURCE /* getopt_long */
#include "models/replay.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "sim/arena.h"
#include "sim/cli.h"
#include "sim/gate.h"
#include "sim/units.h"

typedef struct row {
    double time;
    int metric;          /* index into the spec's metrics */
    int64_t milli;       /* value x 1000; -1: empty (the metric failed) */
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

/* A cell's text for a message: at most 40 bytes, and "..." when cut. */
#define CELL_SHOWN 40
#define SHOW(s) (int)(strlen(s) > CELL_SHOWN ? CELL_SHOWN : strlen(s)), (s), (strlen(s) > CELL_SHOWN ? "..." : "")

/* A growing buffer for one cell as a C string: cells are of any length,
 * parsed whole, never cut to a fixed buffer. */
typedef struct scratch {
    char small[128];
    char *s;
    size_t cap;
} scratch_t;

/* The cell [p, p + n) without surrounding blanks, NUL-terminated in sc;
 * NULL when out of memory. */
static const char *cell_str(scratch_t *sc, const char *p, size_t n)
{
    while (n > 0 && isspace((unsigned char)*p))
        p++, n--;
    while (n > 0 && isspace((unsigned char)p[n - 1]))
        n--;
    if (!sc->s) {
        sc->s = sc->small;
        sc->cap = sizeof sc->small;
    }
    if (n >= sc->cap) {
        char *g = malloc(n + 1);
        if (!g)
            return NULL;
        if (sc->s != sc->small)
            free(sc->s);
        sc->s = g;
        sc->cap = n + 1;
    }
    memcpy(sc->s, p, n);
    sc->s[n] = '\0';
    return sc->s;
}

static void scratch_free(scratch_t *sc)
{
    if (sc->s && sc->s != sc->small)
        free(sc->s);
    sc->s = NULL;
}

/* The cells of a line: every one is counted; the first CELLS_KEPT are kept
 * (a valid header has at most 4 columns, and a row must have as many cells
 * as the header, so a row with more is an error, never cut). */
#define CELLS_KEPT 4
typedef struct cells {
    const char *s[CELLS_KEPT];
    size_t len[CELLS_KEPT];
    int col[CELLS_KEPT];   /* 1-based column in the line */
    size_t n;              /* all cells of the line */
} cells_t;

static void split_cells(const textline_t *l, cells_t *c)
{
    const char *p = l->s, *end = l->s + l->len;
    c->n = 0;
    for (;;) {
        const char *q = memchr(p, ',', (size_t)(end - p));
        const char *e = q ? q : end;
        if (c->n < CELLS_KEPT) {
            c->s[c->n] = p;
            c->len[c->n] = (size_t)(e - p);
            c->col[c->n] = (int)(p - l->s) + 1;
        }
        c->n++;
        if (!q)
            break;
        p = q + 1;
    }
}

/* The rows of the metrics CSV f (see replay.h), appended to rows. */
static int parse_rows(const hpa_spec_t *spec, const textfile_t *f, rows_t *rows, diag_t *d)
{
    const char *path = f->path;
    int lineno = 0, col_of[4] = {-1, -1, -1, -1}, ncols = 0;
    static const char *const names[] = {"time", "metric", "value", "ready_pods"};
    double last_time = -1;
    int errs = 0;
    size_t cursor = 0;
    textline_t l;
    scratch_t sc = {0};
    cells_t cells;
    while (errs < 20 && textfile_next_line(f, &cursor, &lineno, &l)) {
        if (lineno > 1 && (l.len == 0 || l.s[0] == '#'))
            continue;
        split_cells(&l, &cells);
        if (lineno == 1) {
            /* the header: each cell in turn, whatever their number */
            const char *p = l.s, *end = l.s + l.len;
            for (int i = 0;; i++) {
                const char *q = memchr(p, ',', (size_t)(end - p));
                const char *h = cell_str(&sc, p, (size_t)((q ? q : end) - p));
                if (!h) {
                    diag_oom(d, (srcpos_t){path, 1, (int)(p - l.s) + 1});
                    errs++;
                    break;
                }
                int k;
                for (k = 0; k < 4 && strcmp(h, names[k]) != 0; k++)
                    ;
                if (k == 4 || col_of[k] >= 0) {
                    diag_error(d, (srcpos_t){path, 1, (int)(p - l.s) + 1},
                               "%s column '%.*s%s' (the header names time, metric, value and optionally ready_pods)",
                               k == 4 ? "unknown" : "repeated", SHOW(h));
                    errs++;
                } else {
                    col_of[k] = i;
                }
                if (!q || errs >= 20)
                    break;
                p = q + 1;
            }
            ncols = (int)cells.n;
            for (int k = 0; k < 3 && !errs; k++)
                if (col_of[k] < 0) {
                    diag_error(d, (srcpos_t){path, 1, 1}, "the header lacks the '%s' column", names[k]);
                    errs++;
                }
            if (errs)
                break;
            continue;
        }
        if (cells.n != (size_t)ncols) {
            diag_error(d, (srcpos_t){path, lineno, 1}, "%zu cells where the header has %d", cells.n, ncols);
            errs++;
            continue;
        }
        /* A valid header has at most 4 columns, so every cell is kept. */
        row_t r = {0, 0, 0, -1};
        const char *t = cell_str(&sc, cells.s[col_of[0]], cells.len[col_of[0]]);
        if (!t) {
            diag_oom(d, (srcpos_t){path, lineno, 1});
            errs++;
            break;
        }
        if (units_number(t, &r.time) != NULL || r.time < 0 || r.time > 3.1536e8) {
            diag_error(d, (srcpos_t){path, lineno, cells.col[col_of[0]]},
                       "time: expected seconds from 0 to 315360000, got '%.*s%s'", SHOW(t));
            errs++;
            continue;
        }
        if (r.time < last_time) {
            diag_error(d, (srcpos_t){path, lineno, cells.col[col_of[0]]},
                       "time %.*s%s goes back (the previous row is at %g s): rows must be in time order", SHOW(t),
                       last_time);
            errs++;
            continue;
        }
        last_time = r.time;
        const char *m = cell_str(&sc, cells.s[col_of[1]], cells.len[col_of[1]]);
        if (!m) {
            diag_oom(d, (srcpos_t){path, lineno, 1});
            errs++;
            break;
        }
        r.metric = metric_index(spec, m);
        if (r.metric < 0) {
            char valid[400];
            size_t k = 0;
            valid[0] = '\0';
            for (size_t i = 0; i < spec->n_metrics && k < sizeof valid; i++)
                k += (size_t)snprintf(valid + k, sizeof valid - k, "%s%s", i ? ", " : "", spec->metrics[i].name);
            diag_error(d, (srcpos_t){path, lineno, cells.col[col_of[1]]},
                       "metric '%.*s%s' is not one of the manifest's (%s)", SHOW(m), valid);
            errs++;
            continue;
        }
        const char *v = cell_str(&sc, cells.s[col_of[2]], cells.len[col_of[2]]);
        if (!v) {
            diag_oom(d, (srcpos_t){path, lineno, 1});
            errs++;
            break;
        }
        if (!*v) {
            r.milli = -1; /* no value: the metric failed at this sync */
        } else if (units_quantity(v, 3, &r.milli) != NULL || r.milli < 0) {
            diag_error(d, (srcpos_t){path, lineno, cells.col[col_of[2]]},
                       "value: expected a non-negative number (or quantity such as 500m), got '%.*s%s'", SHOW(v));
            errs++;
            continue;
        }
        if (col_of[3] >= 0) {
            const char *rp = cell_str(&sc, cells.s[col_of[3]], cells.len[col_of[3]]);
            char *rend;
            if (!rp) {
                diag_oom(d, (srcpos_t){path, lineno, 1});
                errs++;
                break;
            }
            if (*rp) {
                errno = 0;
                long rv = strtol(rp, &rend, 10);
                if (*rend || errno || rv < 0 || rv > 1000000) {
                    diag_error(d, (srcpos_t){path, lineno, cells.col[col_of[3]]},
                               "ready_pods: expected a count of pods, got '%.*s%s'", SHOW(rp));
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
    scratch_free(&sc);
    if (!errs && lineno == 0) {
        diag_error(d, (srcpos_t){path, 1, 1}, "empty file: expected a header time,metric,value");
        errs++;
    }
    return errs ? -1 : 0;
}

int replay_parse_metrics(const hpa_spec_t *spec, const textfile_t *f, size_t *nrows, diag_t *d)
{
    rows_t rows = {0};
    int rc = parse_rows(spec, f, &rows, d);
    if (nrows)
        *nrows = rows.n;
    free(rows.v);
    return rc;
}

/* Reads the metrics file at path into rows; the text is freed on return. */
static int read_csv(const hpa_spec_t *spec, const char *path, rows_t *rows, diag_t *d)
{
    arena_t *a = arena_new();
    if (!a) {
        diag_oom(d, (srcpos_t){path, 0, 0});
        return -1;
    }
    textfile_t f;
    int rc = textfile_read(a, path, TEXTFILE_MAX_CSV, TEXTFILE_NO_BOM, &f, d);
    if (rc == 0)
        rc = parse_rows(spec, &f, rows, d);
    arena_free(a);
    return rc;
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

static void fmt_int(char *buf, size_t n, int32_t v)
{
    if (v < 0)
        buf[0] = '\0';
    else
        snprintf(buf, n, "%" PRId32, v);
}

void replay_cells(const hpa_spec_t *spec, const hpa_decision_t *d, replay_cells_t *c)
{
    fmt_int(c->raw, sizeof c->raw, d->raw);
    fmt_int(c->stabilized, sizeof c->stabilized, d->stabilized);
    fmt_int(c->final, sizeof c->final, d->desired);
    c->reason = hpa_decision_reason(d);
    for (size_t m = 0; m < spec->n_metrics && m < HPA_MAX_METRICS; m++) {
        const hpa_metric_spec_t *ms = &spec->metrics[m];
        const hpa_metric_result_t *mr = m < d->n_metrics ? &d->metrics[m] : NULL;
        replay_metric_cells_t *mc = &c->m[m];
        /* what the "observed metric" column of hpa-spec.md shows, and its target */
        bool util = ms->target == HPA_TARGET_UTILIZATION;
        if (util)
            snprintf(mc->target, sizeof mc->target, "%" PRId32, ms->average_utilization);
        else
            fmt_milli(mc->target, sizeof mc->target, ms->target_milli);
        mc->value[0] = mc->proposal[0] = '\0';
        mc->error = !mr ? "not computed" : !mr->valid ? hpa_metric_err_str(mr->err) : NULL;
        if (mc->error)
            continue;
        if (util)
            snprintf(mc->value, sizeof mc->value, "%" PRId64, mr->value);
        else
            fmt_milli(mc->value, sizeof mc->value, mr->value);
        fmt_int(mc->proposal, sizeof mc->proposal, mr->proposal);
    }
}

int replay_run(const k8s_hpa_t *h, const char *csv_path, int32_t replicas, replay_format_t fmt, FILE *out, diag_t *d)
{
    const hpa_spec_t *spec = &h->spec;
    /* a metrics CSV names a metric by its name alone: two of the same name
     * (cpu as a Resource and a ContainerResource) could not be told apart */
    for (size_t i = 0; i < spec->n_metrics; i++)
        for (size_t j = 0; j < i; j++)
            if (strcmp(spec->metrics[i].name, spec->metrics[j].name) == 0) {
                diag_error(d, h->pos,
                           "spec.metrics[%zu]: metrics[%zu] has the same name, '%s': a metrics file's rows name a "
                           "metric only by its name, so hpa replay needs the names to differ",
                           i, j, spec->metrics[i].name);
                return -1;
            }
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
        gate_json_put(out, name);
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
            if (row && row->milli < 0)
                row = NULL; /* an empty value: failed, as no row */
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
        replay_cells_t cl;
        replay_cells(spec, &dec, &cl);
        if (fmt == REPLAY_CSV) {
            fprintf(out, "%.10g,%d", t, current);
            for (size_t m = 0; m < spec->n_metrics; m++)
                fprintf(out, ",%s,%s", cl.m[m].value, cl.m[m].proposal);
            fprintf(out, ",%s,%s,%s,%s\n", cl.raw, cl.stabilized, cl.final, cl.reason);
        } else if (fmt == REPLAY_TABLE) {
            fprintf(out, "%9.10g %7d", t, current);
            for (size_t m = 0; m < spec->n_metrics; m++) {
                char cellbuf[64];
                if (!cl.m[m].error)
                    snprintf(cellbuf, sizeof cellbuf, "%s%s -> %s", cl.m[m].value,
                             spec->metrics[m].target == HPA_TARGET_UTILIZATION ? "%" : "", cl.m[m].proposal);
                else
                    snprintf(cellbuf, sizeof cellbuf, "%s", m < dec.n_metrics ? cl.m[m].error : "-");
                fprintf(out, "  %-26.26s", cellbuf);
            }
            fprintf(out, " %5s %10s %5s  %s\n", cl.raw, cl.stabilized, cl.final, cl.reason);
        } else {
            fprintf(out, "%s\n    {\"time\": %.10g, \"current\": %d, \"metrics\": [", i ? "," : "", t, current);
            for (size_t m = 0; m < spec->n_metrics; m++) {
                fprintf(out, "%s{\"name\": ", m ? ", " : "");
                gate_json_put(out, spec->metrics[m].name);
                if (!cl.m[m].error) {
                    fprintf(out, ", \"value\": %s, \"proposal\": %s}", cl.m[m].value, cl.m[m].proposal);
                } else {
                    fprintf(out, ", \"value\": null, \"proposal\": null, \"error\": ");
                    gate_json_put(out, cl.m[m].error);
                    fputc('}', out);
                }
            }
            fprintf(out, "], \"raw\": %s, \"stabilized\": %s, \"final\": %s, \"reason\": ",
                    dec.raw >= 0 ? cl.raw : "null", dec.stabilized >= 0 ? cl.stabilized : "null", cl.final);
            gate_json_put(out, cl.reason);
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

/* ---- the command: clustersim hpa replay ----------------------------------- */

static const char usage_hpa[] =
    "usage: clustersim hpa replay HPA.yaml --metrics METRICS.csv [options]\n"
    "\n"
    "Runs the HorizontalPodAutoscaler algorithm of an autoscaling/v2 manifest, as the\n"
    "Kubernetes controller does, over recorded metric samples, and prints every sync:\n"
    "time, current replicas, each metric's value and proposal, the raw recommendation,\n"
    "the stabilized one, the final replicas and what limited them.\n"
    "\n"
    "  --metrics FILE       CSV with columns time,metric,value[,ready_pods] (see scenarios/README.md)\n"
    "  --replicas N         replicas at the start (default: the Deployment's in the same file,\n"
    "                       else spec.minReplicas)\n"
    "  --format F           table (default), csv or json\n"
    "  --strict             an unknown field in the manifest is an error (kubectl's default)\n"
    "  -h, --help\n";


static int cmd_hpa_replay(int argc, char **argv)
{
    static const struct option opts[] = {{"metrics", required_argument, 0, 'm'}, {"replicas", required_argument, 0, 'r'},
                                         {"format", required_argument, 0, 'f'}, {"strict", no_argument, 0, 's'},
                                         {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
    const char *metrics = NULL;
    long replicas = -1;
    replay_format_t fmt = REPLAY_TABLE;
    bool strict = false;
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
        switch (c) {
        case 'm': metrics = optarg; break;
        case 'r':
            if (cli_parse_count(optarg, 0, 1000000, &replicas) != 0)
                return cli_usage_error("hpa replay", "--replicas: expected an integer from 0 to 1000000, got", optarg);
            break;
        case 'f':
            if (!strcmp(optarg, "table"))
                fmt = REPLAY_TABLE;
            else if (!strcmp(optarg, "csv"))
                fmt = REPLAY_CSV;
            else if (!strcmp(optarg, "json"))
                fmt = REPLAY_JSON;
            else
                return cli_usage_error("hpa replay", "--format: expected table, csv or json, got", optarg);
            break;
        case 's': strict = true; break;
        case 'h': fputs(usage_hpa, stdout); return 0;
        case ':': return cli_usage_error("hpa replay", "missing value for", argv[optind - 1]);
        default: return cli_usage_error("hpa replay", "unknown option", argv[optind - 1]);
        }
    }
    if (optind != argc - 1)
        return cli_usage_error("hpa replay", "expected one HPA.yaml", NULL);
    if (!metrics)
        return cli_usage_error("hpa replay", "--metrics METRICS.csv is required", NULL);
    arena_t *a = arena_new();
    diag_t *d = calloc(1, sizeof *d);
    if (!a || !d) {
        arena_free(a);
        free(d);
        fprintf(stderr, "clustersim hpa replay: out of memory\n");
        return CLI_EXIT_INTERNAL;
    }
    k8s_objects_t objs;
    int rc = 0;
    if (k8s_load(a, argv[optind], strict, &objs, d) != 0) {
        rc = diag_exit_code(d);
    } else if (objs.n_hpas == 0) {
        diag_error(d, (srcpos_t){argv[optind], 1, 1}, "no autoscaling/v2 HorizontalPodAutoscaler in this file");
        rc = CLI_EXIT_INPUT;
    } else {
        const k8s_hpa_t *h = &objs.hpas[0];
        if (replicas < 0) {
            replicas = h->spec.min_replicas;
            for (size_t i = 0; i < objs.n_deployments; i++)
                if (h->target_name && objs.deployments[i].name && !strcmp(objs.deployments[i].name, h->target_name))
                    replicas = objs.deployments[i].replicas;
        }
        /* the manifest's warnings first, then the metrics file's errors */
        diag_print(d, stderr);
        diag_init(d);
        if (replay_run(h, metrics, (int32_t)replicas, fmt, stdout, d) != 0)
            rc = diag_exit_code(d);
    }
    diag_print(d, stderr);
    arena_free(a);
    free(d);
    return rc;
}

static int hpa_command(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        fputs(usage_hpa, argc < 2 ? stderr : stdout);
        return argc < 2 ? CLI_EXIT_INPUT : 0;
    }
    if (!strcmp(argv[1], "replay"))
        return cmd_hpa_replay(argc - 1, argv + 1);
    return cli_usage_error("hpa", "unknown subcommand (valid: replay):", argv[1]);
}

const cli_command_t replay_command = {"hpa", hpa_command};
