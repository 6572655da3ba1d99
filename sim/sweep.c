/* sweep: the grid, the jobs, the rows, the journal (sweep.h says what is
 * guaranteed).
 *
 * Invariants kept here:
 * - A row's text depends only on the point and on its replications'
 *   metrics: numbers are printed in the shortest form that reads back
 *   exactly, so a row written to the journal, read back on --resume and
 *   put into sweep.json gives the same bytes as one computed in this run.
 * - The journal is appended to only under s->lock and only while the sweep
 *   is not closed; a stop closes it under the same lock, so no line is
 *   being written when sweep_run returns SWEEP_STOPPED.
 * - A point's scenario and replications' metrics live from the first job
 *   of the point to its row; pt->reps[k] is written by the one job (p, k)
 *   only, the rest of the point state under s->lock. */
#include "sim/sweep.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "sim/compare.h"
#include "sim/gate.h"
#include "sim/journal.h"
#include "sim/results.h"
#include "sim/run.h"
#include "sim/scenario.h"
#include "sim/world.h"

#define JOURNAL "sweep.csv.partial"
#define JOURNAL_MAGIC "# clustersim sweep journal v1 id="

/* ---- small helpers ------------------------------------------------------------- */

/* A growing string. */
typedef struct sbuf {
    char *s;
    size_t n, cap;
    bool oom;
} sbuf_t;

static void sb_add(sbuf_t *b, const char *t, size_t n)
{
    if (b->oom)
        return;
    if (b->n + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->n + n + 1)
            cap *= 2;
        char *s = realloc(b->s, cap);
        if (!s) {
            b->oom = true;
            return;
        }
        b->s = s;
        b->cap = cap;
    }
    memcpy(b->s + b->n, t, n);
    b->n += n;
    b->s[b->n] = '\0';
}

static void sb_str(sbuf_t *b, const char *t) { sb_add(b, t, strlen(t)); }

static void sb_num(sbuf_t *b, double v)
{
    char buf[40];
    journal_fmt_num(buf, sizeof buf, v);
    sb_str(b, buf);
}

/* A CSV field: quoted when it holds a comma, a quote or a line break. */
static void sb_csv(sbuf_t *b, const char *s)
{
    if (!strpbrk(s, ",\"\r\n")) {
        sb_str(b, s);
        return;
    }
    sb_add(b, "\"", 1);
    for (; *s; s++) {
        if (*s == '"')
            sb_add(b, "\"", 1);
        sb_add(b, s, 1);
    }
    sb_add(b, "\"", 1);
}

/* Whether s is a JSON number. */
static bool is_json_number(const char *s)
{
    if (*s == '-')
        s++;
    if (*s == '0')
        s++;
    else if (*s >= '1' && *s <= '9')
        while (*s >= '0' && *s <= '9')
            s++;
    else
        return false;
    if (*s == '.') {
        s++;
        if (!(*s >= '0' && *s <= '9'))
            return false;
        while (*s >= '0' && *s <= '9')
            s++;
    }
    if (*s == 'e' || *s == 'E') {
        s++;
        if (*s == '+' || *s == '-')
            s++;
        if (!(*s >= '0' && *s <= '9'))
            return false;
        while (*s >= '0' && *s <= '9')
            s++;
    }
    return *s == '\0';
}

/* ---- the grid ---------------------------------------------------------------------- */

static int grid_err(char *err, size_t errlen, int option, int col, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
static int grid_err(char *err, size_t errlen, int option, int col, const char *fmt, ...)
{
    int k = snprintf(err, errlen, "--vary[%d]:1:%d: ", option, col);
    va_list ap;
    va_start(ap, fmt);
    if (k >= 0 && (size_t)k < errlen)
        vsnprintf(err + k, errlen - (size_t)k, fmt, ap);
    va_end(ap);
    return -1;
}

int sweep_parse_bound(const char *s, size_t n, double *v, char *suf, size_t sufsize)
{
    char buf[128];
    if (n == 0 || n >= sizeof buf)
        return -1;
    memcpy(buf, s, n);
    buf[n] = '\0';
    char *end;
    errno = 0;
    *v = strtod(buf, &end);
    if (end == buf || errno || !isfinite(*v))
        return -1;
    for (const char *p = end; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || *p == '/' || *p == '%'))
            return -1;
    if (strlen(end) >= sufsize)
        return -1;
    strcpy(suf, end);
    return 0;
}

static int axis_push(sweep_axis_t *ax, char *value, int col)
{
    char **v = realloc(ax->values, (ax->n + 1) * sizeof *v);
    if (v)
        ax->values = v;
    int *c = v ? realloc(ax->cols, (ax->n + 1) * sizeof *c) : NULL;
    if (c)
        ax->cols = c;
    if (!v || !c || !value) {
        free(value);
        return -2;
    }
    ax->values[ax->n] = value;
    ax->cols[ax->n++] = col;
    return 0;
}

static void axis_free(sweep_axis_t *ax)
{
    for (size_t i = 0; i < ax->n; i++)
        free(ax->values[i]);
    free(ax->values);
    free(ax->cols);
    free(ax->path);
    memset(ax, 0, sizeof *ax);
}

static int parse_range(sweep_axis_t *ax, const char *vals, int vcol, int option, char *err, size_t errlen)
{
    const char *dots = strstr(vals, ".."), *colon = strchr(dots + 2, ':');
    if (!colon)
        return grid_err(err, errlen, option, vcol, "a range is LO..HI:STEP (e.g. 1..8:1, 100ms..500ms:100ms), "
                                                   "got '%s'", vals);
    double lo, hi, step;
    char slo[32], shi[32], sst[32];
    if (sweep_parse_bound(vals, (size_t)(dots - vals), &lo, slo, sizeof slo) != 0)
        return grid_err(err, errlen, option, vcol, "the range's start '%.*s' is not a number (with an optional unit)",
                        (int)(dots - vals), vals);
    if (sweep_parse_bound(dots + 2, (size_t)(colon - dots - 2), &hi, shi, sizeof shi) != 0)
        return grid_err(err, errlen, option, vcol + (int)(dots + 2 - vals),
                        "the range's end '%.*s' is not a number (with an optional unit)", (int)(colon - dots - 2),
                        dots + 2);
    if (sweep_parse_bound(colon + 1, strlen(colon + 1), &step, sst, sizeof sst) != 0)
        return grid_err(err, errlen, option, vcol + (int)(colon + 1 - vals),
                        "the range's step '%s' is not a number (with an optional unit)", colon + 1);
    if (strcmp(slo, shi) != 0 || (sst[0] && strcmp(sst, slo) != 0))
        return grid_err(err, errlen, option, vcol, "the range's start, end and step must have the same unit "
                                                   "(or the step none), got '%s', '%s' and '%s'", slo, shi, sst);
    if (!(step > 0))
        return grid_err(err, errlen, option, vcol + (int)(colon + 1 - vals), "the range's step must be above 0, "
                                                                             "got '%s'", colon + 1);
    if (hi < lo)
        return grid_err(err, errlen, option, vcol, "the range %s is empty: its end is below its start", vals);
    double count = floor((hi - lo) / step + 1e-9) + 1;
    if (count > SWEEP_MAX_POINTS)
        return grid_err(err, errlen, option, vcol, "the range %s has %.0f values, over the limit of %d", vals, count,
                        SWEEP_MAX_POINTS);
    char prev[40] = "";
    for (long i = 0; i < (long)count; i++) {
        double v = lo + (double)i * step;
        char num[40];
        snprintf(num, sizeof num, "%.15g", v == 0 ? 0.0 : v);
        /* a step below what 15 digits tell apart makes equal values, as a
         * list with a value twice would */
        if (!strcmp(num, prev))
            return grid_err(err, errlen, option, vcol + (int)(colon + 1 - vals),
                            "the range %s gives the value %s twice (values are written with 15 significant "
                            "digits): make the step larger",
                            vals, num);
        snprintf(prev, sizeof prev, "%s", num);
        if (axis_push(ax, run_strprintf("%s%s", num, slo), vcol) != 0)
            return -2;
    }
    return 0;
}

int sweep_grid_add(sweep_grid_t *g, const char *spec, int option, char *err, size_t errlen)
{
    const char *eq = strchr(spec, '=');
    if (!eq || eq == spec)
        return grid_err(err, errlen, option, 1, "expected PATH=V1,V2,... or PATH=LO..HI:STEP (e.g. "
                                                "services.web.replicas=1,2,4), got '%s'", spec);
    for (const char *p = spec; p < eq; p++)
        if (*p == ' ' || *p == '\t')
            return grid_err(err, errlen, option, (int)(p - spec) + 1, "a space in the path");
    const char *vals = eq + 1;
    int vcol = (int)(vals - spec) + 1;
    if (!*vals)
        return grid_err(err, errlen, option, vcol, "no values after '='");
    for (size_t a = 0; a < g->naxes; a++)
        if (strlen(g->axes[a].path) == (size_t)(eq - spec) && !strncmp(g->axes[a].path, spec, (size_t)(eq - spec)))
            return grid_err(err, errlen, option, 1, "'%s' is varied already (--vary[%d])", g->axes[a].path,
                            g->axes[a].option);
    sweep_axis_t ax = {0};
    ax.option = option;
    ax.path = run_strprintf("%.*s", (int)(eq - spec), spec);
    if (!ax.path)
        return -2;
    int rc = 0;
    /* LO..HI:STEP when it has that shape (a ':' after the "..") or what
     * comes before ".." is a number: a single value such as ../hpa.yaml (a
     * relative path) is a list of one */
    const char *dots = strstr(vals, "..");
    double lo_val;
    char lo_unit[32];
    if (dots && !strchr(vals, ',') &&
        (strchr(dots + 2, ':') ||
         sweep_parse_bound(vals, (size_t)(dots - vals), &lo_val, lo_unit, sizeof lo_unit) == 0)) {
        rc = parse_range(&ax, vals, vcol, option, err, errlen);
    } else {
        const char *p = vals;
        for (;;) {
            const char *end = strchr(p, ',');
            if (!end)
                end = p + strlen(p);
            const char *a = p, *b = end;
            while (a < b && (*a == ' ' || *a == '\t'))
                a++;
            while (b > a && (b[-1] == ' ' || b[-1] == '\t'))
                b--;
            int col = vcol + (int)(a - vals);
            if (a == b) {
                rc = grid_err(err, errlen, option, col, "an empty value in the list");
                break;
            }
            for (size_t i = 0; i < ax.n; i++)
                if (strlen(ax.values[i]) == (size_t)(b - a) && !strncmp(ax.values[i], a, (size_t)(b - a))) {
                    rc = grid_err(err, errlen, option, col, "the value '%s' is in the list twice", ax.values[i]);
                    break;
                }
            if (rc)
                break;
            if ((rc = axis_push(&ax, run_strprintf("%.*s", (int)(b - a), a), col)) != 0)
                break;
            if (!*end)
                break;
            p = end + 1;
        }
    }
    if (rc == 0 && (double)(g->npoints ? g->npoints : 1) * (double)ax.n > SWEEP_MAX_POINTS)
        rc = grid_err(err, errlen, option, 1, "the grid would have more than %d points", SWEEP_MAX_POINTS);
    sweep_axis_t *axes = rc ? NULL : realloc(g->axes, (g->naxes + 1) * sizeof *axes);
    if (rc == 0 && !axes)
        rc = -2;
    if (rc) {
        axis_free(&ax);
        return rc;
    }
    g->axes = axes;
    g->axes[g->naxes++] = ax;
    g->npoints = (g->npoints ? g->npoints : 1) * ax.n;
    return 0;
}

void sweep_grid_free(sweep_grid_t *g)
{
    for (size_t a = 0; a < g->naxes; a++)
        axis_free(&g->axes[a]);
    free(g->axes);
    memset(g, 0, sizeof *g);
}

size_t sweep_grid_index(const sweep_grid_t *g, size_t p, size_t a)
{
    for (size_t b = g->naxes; b-- > a + 1;)
        p /= g->axes[b].n;
    return p % g->axes[a].n;
}

/* ---- the sweep ------------------------------------------------------------------------ */

typedef struct point {
    scenario_t *sc;      /* loaded by its first job, freed with its row */
    metrics_t *reps;     /* per replication, while it runs */
    int left;            /* replications still running or to run */
} point_t;

struct sweep {
    const sweep_opts_t *o;
    const sweep_grid_t *g;
    size_t npoints;
    int reps;
    simtime_t duration;   /* the first point's, for the progress line */
    char *name;
    char id[17];
    char **cols;          /* metric paths */
    size_t ncols;
    char **slos;          /* gate names (the first point's) */
    size_t nslos;
    char *header;
    size_t fields;        /* fields of a row */
    char **rows;          /* per point: its row (no newline), or NULL */
    bool *done;           /* rows[p] != NULL, for MPI */
    bool *computed;       /* computed by this process */
    size_t ndone;
    /* the directory */
    char *dir, *journal;
    int jfd;
    /* a run */
    point_t *pt;
    size_t *mine;
    size_t nmine, njobs;
    _Atomic size_t next;
    _Atomic int failed;
    bool closed;
    size_t jobs_done;
    _Atomic int64_t *prog;
    pthread_mutex_t lock;
    pthread_cond_t changed;
    char err[1024];
};

/* The overrides of point p: the --set ones, then one per axis, its value
 * placed so that its column is the one it has in the --vary (sweep.h). The
 * arrays have nsets + naxes entries; assign[] holds the malloc'd ones. */
static int point_sets(const sweep_opts_t *o, size_t p, const char **sets, const char **labels, bool *whole,
                      char **assign, char (*names)[24])
{
    for (size_t i = 0; i < o->nsets; i++) {
        sets[i] = o->sets[i];
        labels[i] = o->labels ? o->labels[i] : NULL;
        whole[i] = false;
    }
    for (size_t a = 0; a < o->grid->naxes; a++) {
        const sweep_axis_t *ax = &o->grid->axes[a];
        size_t k = sweep_grid_index(o->grid, p, a);
        int pad = ax->cols[k] - (int)strlen(ax->path) - 2;
        assign[a] = run_strprintf("%s=%*s%s", ax->path, pad > 0 ? pad : 0, "", ax->values[k]);
        if (!assign[a])
            return -1;
        snprintf(names[a], sizeof names[a], "--vary[%d]", ax->option);
        sets[o->nsets + a] = assign[a];
        labels[o->nsets + a] = names[a];
        whole[o->nsets + a] = true;
    }
    return 0;
}

scenario_t *sweep_load_point(const sweep_opts_t *o, size_t p, diag_t *d)
{
    size_t naxes = o->grid->naxes, n = o->nsets + naxes;
    const char **sets = calloc(n + 1, sizeof *sets), **labels = calloc(n + 1, sizeof *labels);
    bool *whole = calloc(n + 1, sizeof *whole);
    char **assign = calloc(naxes + 1, sizeof *assign);
    char(*names)[24] = calloc(naxes + 1, sizeof *names);
    scenario_t *sc = NULL;
    if (!sets || !labels || !whole || !assign || !names || point_sets(o, p, sets, labels, whole, assign, names) != 0)
        diag_oom(d, (srcpos_t){o->file, 1, 1});
    else {
        scenario_opts_t so = {labels, o->strict, whole};
        sc = scenario_load_opts(o->file, sets, n, &so, d);
    }
    for (size_t a = 0; assign && a < naxes; a++)
        free(assign[a]);
    free(sets);
    free(labels);
    free(whole);
    free(assign);
    free(names);
    return sc;
}

static bool has_str(char **v, size_t n, const char *s)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(v[i], s))
            return true;
    return false;
}

static int push_str(char ***v, size_t *n, const char *s)
{
    char **nv = realloc(*v, (*n + 1) * sizeof *nv);
    if (!nv)
        return -1;
    *v = nv;
    if (!(nv[*n] = run_strprintf("%s", s)))
        return -1;
    (*n)++;
    return 0;
}

/* The CSV prefix of point p's row: its index and values. */
static void row_prefix(const sweep_t *s, size_t p, sbuf_t *b)
{
    char num[24];
    snprintf(num, sizeof num, "%zu", p);
    sb_str(b, num);
    for (size_t a = 0; a < s->g->naxes; a++) {
        sb_add(b, ",", 1);
        sb_csv(b, s->g->axes[a].values[sweep_grid_index(s->g, p, a)]);
    }
}

static int make_header(sweep_t *s)
{
    sbuf_t b = {0};
    sb_str(&b, "point");
    s->fields = 1 + s->g->naxes;
    for (size_t a = 0; a < s->g->naxes; a++) {
        sb_add(&b, ",", 1);
        sb_csv(&b, s->g->axes[a].path);
    }
    for (size_t i = 0; i < s->ncols; i++) {
        sb_add(&b, ",", 1);
        sb_csv(&b, s->cols[i]);
        s->fields++;
        if (s->reps >= 2) {
            sb_add(&b, ",", 1);
            sb_csv(&b, s->cols[i]);
            sb_str(&b, "_ci95");
            s->fields++;
        }
    }
    for (size_t i = 0; i < s->nslos; i++) {
        const char *suffix[3] = {".value", ".value_ci95", ".pass"};
        for (int k = 0; k < 3; k++) {
            if (k == 1 && s->reps < 2)
                continue;
            char *name = run_strprintf("slo.%s%s", s->slos[i], suffix[k]);
            if (!name) {
                b.oom = true;
                break;
            }
            sb_add(&b, ",", 1);
            sb_csv(&b, name);
            free(name);
            s->fields++;
        }
    }
    if (b.oom) {
        free(b.s);
        return -1;
    }
    s->header = b.s;
    return 0;
}

uint64_t sweep_grid_hash(uint64_t h, const sweep_grid_t *g)
{
    for (size_t a = 0; a < g->naxes; a++) {
        h = journal_fnv_str(h, "--vary");
        h = journal_fnv_str(h, g->axes[a].path);
        for (size_t k = 0; k < g->axes[a].n; k++)
            h = journal_fnv_str(h, g->axes[a].values[k]);
    }
    return h;
}

static void make_id(sweep_t *s, const char *text, size_t n)
{
    uint64_t h = journal_id_start(SWEEP_SCHEMA, text, n, s->o->sets, s->o->nsets);
    h = sweep_grid_hash(h, s->g);
    char r[24];
    snprintf(r, sizeof r, "R%d", s->reps);
    h = journal_fnv_str(h, r);
    h = journal_fnv_str(h, s->header);
    snprintf(s->id, sizeof s->id, "%016" PRIx64, h);
}

sweep_t *sweep_new(const sweep_opts_t *o, diag_t *d, int *rc)
{
    *rc = SWEEP_FAILED;
    sweep_t *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->o = o;
    s->g = o->grid;
    s->npoints = s->g->npoints ? s->g->npoints : 1;
    s->reps = o->replications > 0 ? o->replications : 1;
    s->jfd = -1;
    pthread_mutex_init(&s->lock, NULL);
    pthread_cond_init(&s->changed, NULL);
    s->rows = calloc(s->npoints, sizeof *s->rows);
    s->done = calloc(s->npoints, sizeof *s->done);
    s->computed = calloc(s->npoints, sizeof *s->computed);
    if (!s->rows || !s->done || !s->computed) {
        sweep_free(s);
        return NULL;
    }
    metrics_t paths, prev;
    metrics_init(&prev);
    bool oom = false;
    for (size_t p = 0; p < s->npoints && !oom; p++) {
        /* the warnings of a manifest are the same at every point: once */
        diag_t *pd = p == 0 ? d : calloc(1, sizeof *pd);
        if (!pd) {
            oom = true;
            break;
        }
        if (p)
            diag_init(pd);
        scenario_t *sc = sweep_load_point(s->o, p, pd);
        if (!sc && pd != d) {
            for (size_t i = 0; i < pd->n; i++)
                if (!pd->msgs[i].warning && d->n < DIAG_MAX)
                    d->msgs[d->n++] = pd->msgs[i];
            d->errors += pd->errors;
            d->oom |= pd->oom;
        }
        if (pd != d)
            free(pd);
        if (!sc) {
            metrics_free(&prev);
            *rc = diag_exit_code(d) == 3 ? SWEEP_FAILED : SWEEP_BAD_INPUT;
            sweep_free(s);
            return NULL;
        }
        metrics_init(&paths);
        if (scenario_metric_paths(sc, &paths) != 0)
            oom = true;
        /* most grids leave the paths as they are: compare with the last */
        bool same = paths.n == prev.n;
        for (size_t i = 0; same && i < paths.n; i++)
            same = !strcmp(paths.v[i].path, prev.v[i].path);
        for (size_t i = 0; !same && !oom && i < paths.n; i++)
            if (compare_is_headline(paths.v[i].path) && !has_str(s->cols, s->ncols, paths.v[i].path))
                oom = push_str(&s->cols, &s->ncols, paths.v[i].path) != 0;
        if (p == 0) {
            s->duration = sc->duration;
            oom = oom || !(s->name = run_strprintf("%s", sc->name));
            for (size_t i = 0; !oom && i < sc->nslo; i++)
                if (!has_str(s->slos, s->nslos, sc->slo[i].name))
                    oom = push_str(&s->slos, &s->nslos, sc->slo[i].name) != 0;
        }
        metrics_free(&prev);
        prev = paths;
        scenario_free(sc);
    }
    metrics_free(&prev);
    size_t n = 0;
    char *text = oom ? NULL : journal_read_all(o->file, &n);
    if (oom || !text || make_header(s) != 0) {
        free(text);
        sweep_free(s);
        return NULL;
    }
    make_id(s, text, n);
    free(text);
    *rc = SWEEP_OK;
    return s;
}

void sweep_free(sweep_t *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->ncols; i++)
        free(s->cols[i]);
    for (size_t i = 0; i < s->nslos; i++)
        free(s->slos[i]);
    for (size_t p = 0; s->rows && p < s->npoints; p++)
        free(s->rows[p]);
    free(s->cols);
    free(s->slos);
    free(s->rows);
    free(s->done);
    free(s->computed);
    free(s->header);
    free(s->name);
    free(s->dir);
    free(s->journal);
    if (s->jfd >= 0)
        close(s->jfd);
    pthread_mutex_destroy(&s->lock);
    pthread_cond_destroy(&s->changed);
    free(s);
}

const char *sweep_name(const sweep_t *s) { return s->name; }
size_t sweep_points(const sweep_t *s) { return s->npoints; }
size_t sweep_done(const sweep_t *s) { return s->ndone; }
const char *sweep_id(const sweep_t *s) { return s->id; }
bool *sweep_done_flags(sweep_t *s) { return s->done; }

/* ---- rows ------------------------------------------------------------------------------ */

/* Point p's row from its replications (pt->reps, s->reps of them). NULL
 * when out of memory. */
static char *make_row(const sweep_t *s, size_t p, const scenario_t *sc, metrics_t *reps)
{
    run_result_t res = {0};
    res.reps = reps;
    res.replications = s->reps;
    if (metrics_aggregate(&res.summary, reps, (size_t)s->reps) != 0) {
        metrics_free(&res.summary);
        return NULL;
    }
    gate_report_t rep = {0};
    if (s->nslos && gate_evaluate(sc, &res, GATE_ON_CI, &rep) != 0) {
        metrics_free(&res.summary);
        return NULL;
    }
    sbuf_t b = {0};
    row_prefix(s, p, &b);
    for (size_t i = 0; i < s->ncols; i++) {
        const metric_t *m = metrics_find(&res.summary, s->cols[i]);
        sb_add(&b, ",", 1);
        if (m)
            sb_num(&b, m->value);
        if (s->reps >= 2) {
            sb_add(&b, ",", 1);
            if (m)
                sb_num(&b, results_ci95(m));
        }
    }
    for (size_t i = 0; i < s->nslos; i++) {
        const gate_verdict_t *v = NULL;
        for (size_t k = 0; k < rep.n; k++)
            if (!strcmp(rep.v[k].slo->name, s->slos[i]))
                v = &rep.v[k];
        sb_add(&b, ",", 1);
        if (v)
            sb_num(&b, v->value);
        if (s->reps >= 2) {
            sb_add(&b, ",", 1);
            if (v)
                sb_num(&b, v->half);
        }
        sb_add(&b, ",", 1);
        if (v)
            sb_str(&b, v->pass ? "true" : "false");
    }
    gate_report_free(&rep);
    metrics_free(&res.summary);
    if (b.oom) {
        free(b.s);
        return NULL;
    }
    return b.s;
}

/* Whether the fields after the prefix are values a row can hold: numbers,
 * true, false or nothing, fields - 1 - naxes of them. */
static bool valid_tail(const sweep_t *s, const char *t)
{
    size_t n = 0;
    for (;;) {
        if (*t != ',')
            return false;
        t++;
        const char *end = t;
        while (*end && *end != ',')
            end++;
        char buf[48];
        size_t len = (size_t)(end - t);
        if (len >= sizeof buf)
            return false;
        memcpy(buf, t, len);
        buf[len] = '\0';
        if (len && strcmp(buf, "true") && strcmp(buf, "false") && !is_json_number(buf))
            return false;
        n++;
        t = end;
        if (!*t)
            break;
    }
    return n == s->fields - 1 - s->g->naxes;
}

/* Checks a line (no newline) as a row of this sweep: its point in *p.
 * 0, or -1. */
static int parse_row(const sweep_t *s, const char *line, size_t *p)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(line, &end, 10);
    if (end == line || *end != ',' || errno || v >= s->npoints || line[0] == '-' || line[0] == '+')
        return -1;
    sbuf_t b = {0};
    row_prefix(s, (size_t)v, &b);
    if (b.oom)
        return -1;
    bool ok = !strncmp(line, b.s, b.n) && (s->fields == 1 + s->g->naxes ? line[b.n] == '\0'
                                                                         : valid_tail(s, line + b.n));
    free(b.s);
    if (!ok)
        return -1;
    *p = (size_t)v;
    return 0;
}

/* Keeps row (taking it) as point p's; journals it when journal. */
static int store_row(sweep_t *s, size_t p, char *row, bool journal)
{
    if (s->rows[p]) {
        int same = !strcmp(s->rows[p], row);
        free(row);
        return same ? 0 : -1;
    }
    int e = journal ? journal_append(s->jfd, row, &s->closed) : 0;
    s->rows[p] = row;
    s->done[p] = true;
    s->ndone++;
    return e;
}

int sweep_add_rows(sweep_t *s, const char *text, char *err, size_t errlen)
{
    while (*text) {
        const char *nl = strchr(text, '\n');
        size_t n = nl ? (size_t)(nl - text) : strlen(text);
        char *line = run_strprintf("%.*s", (int)n, text);
        size_t p;
        if (!line) {
            snprintf(err, errlen, "out of memory");
            return SWEEP_FAILED;
        }
        if (parse_row(s, line, &p) != 0) {
            snprintf(err, errlen, "a row from another process is not a row of this sweep: '%.80s'", line);
            free(line);
            return SWEEP_FAILED;
        }
        int e = store_row(s, p, line, true);
        if (e) {
            if (e < 0)
                snprintf(err, errlen, "point %zu has two different rows", p);
            else
                snprintf(err, errlen, "writing the journal failed: %s", strerror(e));
            return SWEEP_FAILED;
        }
        text += n + (nl ? 1 : 0);
    }
    return SWEEP_OK;
}

char *sweep_rows_text(const sweep_t *s)
{
    sbuf_t b = {0};
    sb_add(&b, "", 0);
    for (size_t p = 0; p < s->npoints; p++)
        if (s->computed[p] && s->rows[p]) {
            sb_str(&b, s->rows[p]);
            sb_add(&b, "\n", 1);
        }
    if (b.oom) {
        free(b.s);
        return NULL;
    }
    return b.s;
}

/* ---- the directory ------------------------------------------------------------------------ */

int sweep_sync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY);
    if (fd < 0)
        return errno;
    int e = fsync(fd) == 0 || errno == EINVAL || errno == EBADF || errno == ENOTSUP ? 0 : errno;
    close(fd);
    return e;
}

/* A line of journal j at path (journal_load's reader): the first must be
 * j->magic and j->id, the others go to j->line. */
_Static_assert((int)SWEEP_FAILED == JOURNAL_FAILED && (int)SWEEP_BAD_INPUT == JOURNAL_BAD_INPUT,
               "journal_load's codes are the sweep's");

typedef struct journal_reader {
    const sweep_journal_t *j;
    const char *path;
} journal_reader_t;

static int read_line(void *ctx, char *line, size_t lineno, char *err, size_t errlen)
{
    const journal_reader_t *r = ctx;
    const sweep_journal_t *j = r->j;
    size_t mlen = strlen(j->magic);
    if (lineno > 1)
        return j->line(j->ctx, line, lineno, r->path, err, errlen) != 0 ? SWEEP_BAD_INPUT : SWEEP_OK;
    if (strncmp(line, j->magic, mlen) != 0) {
        snprintf(err, errlen, "%s:1:1: not a clustersim %s journal", r->path, j->what);
        return SWEEP_BAD_INPUT;
    }
    if (strcmp(line + mlen, j->id) != 0) {
        snprintf(err, errlen, "%s:1:%zu: the journal belongs to another %s (id %.16s, this one's is %s: "
                              "%s differ); --resume continues only the same %s: use another -o directory, "
                              "or remove this one to start over",
                 r->path, mlen + 1, j->what, line + mlen, j->id, j->inputs, j->what);
        return SWEEP_BAD_INPUT;
    }
    return SWEEP_OK;
}

int sweep_journal_open(const sweep_journal_t *j, bool resume, int *fd, char *err, size_t errlen)
{
    *fd = -1;
    if (run_make_dirs(j->dir) != 0) {
        snprintf(err, errlen, "cannot create the output directory '%s': %s", j->dir, strerror(errno));
        return errno == ENOMEM ? SWEEP_FAILED : SWEEP_BAD_INPUT;
    }
    if (access(j->dir, W_OK) != 0) {
        snprintf(err, errlen, "cannot write to the output directory '%s': %s", j->dir, strerror(errno));
        return SWEEP_BAD_INPUT;
    }
    char *path = run_strprintf("%s/%s", j->dir, j->name), *final = run_strprintf("%s/%s", j->dir, j->final);
    if (!path || !final) {
        free(path);
        free(final);
        snprintf(err, errlen, "out of memory");
        return SWEEP_FAILED;
    }
    struct stat st;
    int rc;
    if (lstat(path, &st) == 0) {
        if (!resume) {
            snprintf(err, errlen, "'%s' holds an unfinished %s (%s): add --resume to finish it, or remove "
                                  "that file to start over", j->dir, j->what, j->name);
            rc = SWEEP_BAD_INPUT;
        } else
            rc = journal_load(path, read_line, &(journal_reader_t){j, path}, j->min_lines, fd, err, errlen);
    } else if (resume && lstat(final, &st) == 0) {
        /* finished: the same one, or another */
        size_t n;
        char *text = journal_read_all(final, &n);
        char *at = text ? strstr(text, "\"id\": \"") : NULL;
        if (at && !strncmp(at + 7, j->id, 16) && at[23] == '"')
            rc = SWEEP_COMPLETE;
        else {
            snprintf(err, errlen, "'%s' holds another %s (%.16s; this one's id is %s: %s differ); --resume "
                                  "continues only the same %s: use another -o directory", final, j->what,
                     at ? at + 7 : "no id", j->id, j->inputs, j->what);
            rc = SWEEP_BAD_INPUT;
        }
        free(text);
    } else {
        char *head = run_strprintf("%s%s\n%s", j->magic, j->id, j->header);
        if (!head) {
            snprintf(err, errlen, "out of memory");
            rc = SWEEP_FAILED;
        } else {
            const char *what;
            int e = journal_create(j->dir, path, head, fd, &what);
            if (e)
                snprintf(err, errlen, "cannot %s '%s': %s", what, path, strerror(e));
            rc = e ? SWEEP_BAD_INPUT : SWEEP_OK;
        }
        free(head);
    }
    free(path);
    free(final);
    return rc;
}

/* A journal line of the sweep: the header (line 2), then rows. */
static int sweep_line(void *ctx, char *line, size_t lineno, const char *path, char *err, size_t errlen)
{
    sweep_t *s = ctx;
    if (lineno == 2) {
        if (strcmp(line, s->header) == 0)
            return 0;
        snprintf(err, errlen, "%s:2:1: the journal's columns are not this sweep's", path);
        return -1;
    }
    size_t p;
    char *row = parse_row(s, line, &p) == 0 ? run_strprintf("%s", line) : NULL;
    if (row && store_row(s, p, row, false) == 0)
        return 0;
    snprintf(err, errlen, "%s:%zu:1: not a row of this sweep", path, lineno);
    return -1;
}

int sweep_open(sweep_t *s, const char *dir, bool resume, char *err, size_t errlen)
{
    s->dir = run_strprintf("%s", dir);
    s->journal = run_strprintf("%s/%s", dir, JOURNAL);
    char *header = run_strprintf("%s\n", s->header);
    if (!s->dir || !s->journal || !header) {
        free(header);
        snprintf(err, errlen, "out of memory");
        return SWEEP_FAILED;
    }
    sweep_journal_t j = {dir, JOURNAL, "sweep.json", JOURNAL_MAGIC, s->id, header, "sweep",
                         "the scenario file, --set, --seed, --duration, the --vary grid or --replications", 2,
                         sweep_line, s};
    int rc = sweep_journal_open(&j, resume, &s->jfd, err, errlen);
    free(header);
    return rc;
}

static void emit_csv(FILE *f, const void *ctx)
{
    const sweep_t *s = ctx;
    fprintf(f, "%s\n", s->header);
    for (size_t p = 0; p < s->npoints; p++)
        fprintf(f, "%s\n", s->rows[p]);
}

/* A value as given: a JSON number when it reads as one, else a string. */
static void json_value(FILE *f, const char *v)
{
    if (is_json_number(v))
        fputs(v, f);
    else
        gate_json_put(f, v);
}

/* The next field of a row's tail (after a comma) into buf; the rest. */
static const char *next_field(const char *t, char *buf, size_t size)
{
    t++; /* the comma */
    size_t n = strcspn(t, ",");
    snprintf(buf, size, "%.*s", (int)n, t);
    return t + n;
}

static void json_field(FILE *f, const char *v) { fputs(*v ? v : "null", f); }

void sweep_grid_json(FILE *f, const sweep_grid_t *g, bool numbers)
{
    fputc('[', f);
    for (size_t a = 0; a < g->naxes; a++) {
        const sweep_axis_t *ax = &g->axes[a];
        fputs(a ? ",\n    {\"path\": " : "\n    {\"path\": ", f);
        gate_json_put(f, ax->path);
        fputs(", \"values\": [", f);
        for (size_t k = 0; k < ax->n; k++) {
            if (k)
                fputs(", ", f);
            if (numbers)
                json_value(f, ax->values[k]);
            else
                gate_json_put(f, ax->values[k]);
        }
        fputs("]}", f);
    }
    fputs(g->naxes ? "\n  ]" : "]", f);
}

static void emit_json(FILE *f, const void *ctx)
{
    const sweep_t *s = ctx;
    fprintf(f, "{\n  \"schema\": \"%s\",\n  \"scenario\": ", SWEEP_SCHEMA);
    gate_json_put(f, s->name);
    fputs(",\n  \"file\": ", f);
    gate_json_put(f, s->o->file);
    fprintf(f, ",\n  \"id\": \"%s\",\n  \"replications\": %d,\n  \"points\": %zu,\n  \"grid\": ", s->id, s->reps,
            s->npoints);
    sweep_grid_json(f, s->g, true);
    fputs(",\n  \"results\": [", f);
    for (size_t p = 0; p < s->npoints; p++) {
        sbuf_t b = {0};
        row_prefix(s, p, &b);
        const char *t = s->rows[p] + (b.oom ? 0 : b.n);
        free(b.s);
        fprintf(f, "%s\n    {\"point\": %zu, \"values\": {", p ? "," : "", p);
        for (size_t a = 0; a < s->g->naxes; a++) {
            if (a)
                fputs(", ", f);
            gate_json_put(f, s->g->axes[a].path);
            fputs(": ", f);
            json_value(f, s->g->axes[a].values[sweep_grid_index(s->g, p, a)]);
        }
        fputs("},\n     \"metrics\": {", f);
        char v[48], h[48];
        for (size_t i = 0; i < s->ncols; i++) {
            t = next_field(t, v, sizeof v);
            fputs(i ? ",\n       " : "\n       ", f);
            gate_json_put(f, s->cols[i]);
            fputs(": {\"value\": ", f);
            json_field(f, v);
            if (s->reps >= 2) {
                t = next_field(t, h, sizeof h);
                fputs(", \"ci95\": ", f);
                json_field(f, h);
            }
            fputs("}", f);
        }
        fputs(s->ncols ? "\n     }" : "}", f);
        if (s->nslos) {
            fputs(",\n     \"slo\": [", f);
            for (size_t i = 0; i < s->nslos; i++) {
                t = next_field(t, v, sizeof v);
                fputs(i ? ",\n       {\"name\": " : "\n       {\"name\": ", f);
                gate_json_put(f, s->slos[i]);
                fputs(", \"value\": ", f);
                json_field(f, v);
                if (s->reps >= 2) {
                    t = next_field(t, h, sizeof h);
                    fputs(", \"ci95\": ", f);
                    json_field(f, h);
                }
                t = next_field(t, v, sizeof v);
                fputs(", \"pass\": ", f);
                json_field(f, v);
                fputs("}", f);
            }
            fputs("\n     ]", f);
        }
        fputs("}", f);
    }
    fputs("\n  ]\n}\n", f);
}

int sweep_finish(sweep_t *s, char *err, size_t errlen)
{
    if (s->ndone != s->npoints) {
        snprintf(err, errlen, "%zu of %zu points have no row", s->npoints - s->ndone, s->npoints);
        return SWEEP_FAILED;
    }
    char *csv = run_strprintf("%s/sweep.csv", s->dir), *json = run_strprintf("%s/sweep.json", s->dir);
    int rc = SWEEP_OK;
    if (!csv || !json) {
        snprintf(err, errlen, "out of memory");
        rc = SWEEP_FAILED;
    } else if (gate_write_file(csv, emit_csv, s, err, errlen) != 0 ||
               gate_write_file(json, emit_json, s, err, errlen) != 0)
        rc = SWEEP_FAILED;
    else {
        /* both are whole: the journal has done its work */
        if (s->jfd >= 0) {
            close(s->jfd);
            s->jfd = -1;
        }
        unlink(s->journal);
        sweep_sync_dir(s->dir);
    }
    free(csv);
    free(json);
    return rc;
}

/* ---- running ---------------------------------------------------------------------------- */

static void set_error(sweep_t *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Under s->lock. */
static void set_error(sweep_t *s, const char *fmt, ...)
{
    if (!atomic_load(&s->failed)) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(s->err, sizeof s->err, fmt, ap);
        va_end(ap);
    }
    atomic_store(&s->failed, 1);
    pthread_cond_broadcast(&s->changed);
}

/* Point p's last replication ended: its row. Under s->lock. */
static void finish_point(sweep_t *s, size_t p)
{
    point_t *pt = &s->pt[p];
    char *row = make_row(s, p, pt->sc, pt->reps);
    for (int k = 0; k < s->reps; k++)
        metrics_free(&pt->reps[k]);
    free(pt->reps);
    pt->reps = NULL;
    scenario_free(pt->sc);
    pt->sc = NULL;
    if (!row) {
        set_error(s, "out of memory forming point %zu's row", p);
        return;
    }
    if (s->closed) {
        free(row);
        return;
    }
    s->computed[p] = true;
    int e = store_row(s, p, row, true);
    if (e) {
        s->closed = true; /* the journal ends with the last whole row */
        set_error(s, "writing point %zu's row to '%s' failed: %s", p, s->journal, strerror(e > 0 ? e : EIO));
    }
}

typedef struct worker_arg {
    sweep_t *s;
    int slot;
} worker_arg_t;

static void *worker(void *arg)
{
    worker_arg_t *wa = arg;
    sweep_t *s = wa->s;
    for (;;) {
        if (atomic_load(&s->failed))
            break;
        size_t j = atomic_fetch_add(&s->next, 1);
        if (j >= s->njobs)
            break;
        size_t p = s->mine[j / (size_t)s->reps];
        int k = (int)(j % (size_t)s->reps);
        pthread_mutex_lock(&s->lock);
        point_t *pt = &s->pt[p];
        if (!pt->sc && !s->closed && !atomic_load(&s->failed)) {
            diag_t *d = calloc(1, sizeof *d);
            pt->reps = calloc((size_t)s->reps, sizeof *pt->reps);
            if (d)
                diag_init(d);
            if (!d || !pt->reps)
                set_error(s, "out of memory");
            else if (!(pt->sc = sweep_load_point(s->o, p, d)))
                set_error(s, "point %zu no longer loads: %s", p, d->n ? d->msgs[0].text : "?");
            free(d);
        }
        const scenario_t *sc = pt->sc;
        pthread_mutex_unlock(&s->lock);
        if (!sc)
            break;
        _Atomic int64_t *prog = &s->prog[wa->slot];
        atomic_store(prog, 0);
        world_t *w = world_new(sc, k, NULL);
        if (w) {
            w->progress = prog;
            if (world_run(w) == 0)
                world_collect(w, &pt->reps[k]);
            else if (w->overloaded) /* a point past what the platform serves: its gates fail */
                world_collect_overloaded(w, &pt->reps[k]);
        }
        pthread_mutex_lock(&s->lock);
        if (!w)
            set_error(s, "out of memory setting up point %zu", p);
        else if (w->failed && !w->overloaded)
            set_error(s, "point %zu, replication %d: %s", p, k, w->error);
        else if (pt->reps[k].oom)
            set_error(s, "out of memory collecting results");
        world_free(w);
        atomic_store(prog, 0);
        s->jobs_done++;
        if (!atomic_load(&s->failed) && --pt->left == 0)
            finish_point(s, p);
        pthread_cond_broadcast(&s->changed);
        pthread_mutex_unlock(&s->lock);
    }
    return NULL;
}

static void fmt_dur(char *buf, size_t size, double s)
{
    if (s < 60)
        snprintf(buf, size, "%.0fs", s);
    else if (s < 3600)
        snprintf(buf, size, "%.0fm%02.0fs", floor(s / 60), fmod(s, 60));
    else
        snprintf(buf, size, "%.0fh%02.0fm", floor(s / 3600), floor(fmod(s, 3600) / 60));
}

/* Under s->lock. The fraction of this run's jobs done (running ones by
 * their simulated time) gives the time left. */
static void draw_progress(sweep_t *s, int nt, double elapsed)
{
    double sum = (double)s->jobs_done;
    for (int i = 0; s->duration > 0 && i < nt; i++)
        sum += (double)atomic_load_explicit(&s->prog[i], memory_order_relaxed) / (double)s->duration;
    double frac = s->njobs ? sum / (double)s->njobs : 1;
    if (frac > 1)
        frac = 1;
    int width = 30, filled = (int)(frac * width);
    char bar[64], el[32], left[32];
    for (int i = 0; i < width; i++)
        bar[i] = i < filled ? '#' : '.';
    bar[width] = '\0';
    fmt_dur(el, sizeof el, elapsed);
    if (frac > 0.01)
        fmt_dur(left, sizeof left, elapsed * (1 - frac) / frac);
    else
        snprintf(left, sizeof left, "?");
    fprintf(stderr, "\r%s sweep [%s] %zu/%zu points  %s elapsed, ~%s left ", s->name, bar, s->ndone, s->npoints, el,
            left);
    fflush(stderr);
}

/* Allocates the run's per-point state; 0, or -1 (out of memory, in err). */
static int run_alloc(sweep_t *s, char *err, size_t errlen)
{
    s->mine = calloc(s->npoints, sizeof *s->mine);
    s->pt = calloc(s->npoints, sizeof *s->pt);
    if (!s->mine || !s->pt) {
        free(s->mine);
        free(s->pt);
        s->mine = NULL;
        s->pt = NULL;
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    return 0;
}

static int run_mine(sweep_t *s, char *err, size_t errlen);

int sweep_run(sweep_t *s, char *err, size_t errlen)
{
    const sweep_opts_t *o = s->o;
    int nranks = o->nranks > 0 ? o->nranks : 1;
    if (run_alloc(s, err, errlen) != 0)
        return SWEEP_FAILED;
    size_t pending = 0;
    for (size_t p = 0; p < s->npoints; p++)
        if (!s->done[p]) {
            if ((int)(pending % (size_t)nranks) == o->rank) {
                s->mine[s->nmine++] = p;
                s->pt[p].left = s->reps;
            }
            pending++;
        }
    return run_mine(s, err, errlen);
}

int sweep_run_point(sweep_t *s, size_t p, char *err, size_t errlen)
{
    if (p >= s->npoints || s->done[p]) {
        snprintf(err, errlen, "point %zu is not a pending point of this sweep", p);
        return SWEEP_FAILED;
    }
    if (run_alloc(s, err, errlen) != 0)
        return SWEEP_FAILED;
    s->mine[s->nmine++] = p;
    s->pt[p].left = s->reps;
    return run_mine(s, err, errlen);
}

const char *sweep_row(const sweep_t *s, size_t p) { return p < s->npoints ? s->rows[p] : NULL; }

/* Runs the points in s->mine (allocated by run_alloc) in threads. */
static int run_mine(sweep_t *s, char *err, size_t errlen)
{
    const sweep_opts_t *o = s->o;
    s->njobs = s->nmine * (size_t)s->reps;
    s->jobs_done = 0;
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    int nt = o->threads > 0 ? o->threads : (int)(cores > 0 ? cores : 1);
    if ((size_t)nt > s->njobs)
        nt = (int)s->njobs;
    if (nt == 0) {
        free(s->pt);
        free(s->mine);
        s->pt = NULL;
        s->mine = NULL;
        s->nmine = s->njobs = 0;
        return SWEEP_OK;
    }
    /* not freed after a stop: abandoned workers may still use them */
    s->prog = calloc((size_t)nt, sizeof *s->prog);
    pthread_t *th = calloc((size_t)nt, sizeof *th);
    worker_arg_t *wa = calloc((size_t)nt, sizeof *wa);
    if (!s->prog || !th || !wa) {
        free(th);
        free(wa);
        snprintf(err, errlen, "out of memory");
        return SWEEP_FAILED;
    }
    double t0 = run_clock_s();
    int started = 0;
    for (int i = 0; i < nt; i++) {
        wa[i] = (worker_arg_t){s, i};
        if (pthread_create(&th[started], NULL, worker, &wa[i]) == 0)
            started++;
    }
    if (started == 0)
        worker(&wa[0]);
    bool drawn = false, stopped = false;
    pthread_mutex_lock(&s->lock);
    while (started && s->jobs_done < s->njobs && !atomic_load(&s->failed)) {
        run_wait_100ms(&s->changed, &s->lock);
        if (o->stop && atomic_load(o->stop)) {
            /* under the lock: no row is being written, none will be */
            s->closed = true;
            stopped = true;
            break;
        }
        double el = run_clock_s() - t0;
        if (o->progress && el > 0.5 && s->jobs_done < s->njobs) {
            draw_progress(s, nt, el);
            drawn = true;
        }
    }
    if (drawn && !stopped)
        draw_progress(s, nt, run_clock_s() - t0);
    pthread_mutex_unlock(&s->lock);
    if (drawn)
        fputc('\n', stderr);
    if (stopped) {
        snprintf(err, errlen, "stopped; %zu of %zu points have their row in the journal (--resume runs the rest)",
                 s->ndone, s->npoints);
        return SWEEP_STOPPED;
    }
    for (int i = 0; i < started; i++)
        pthread_join(th[i], NULL);
    free(th);
    free(wa);
    free(s->prog);
    s->prog = NULL;
    int rc = SWEEP_OK;
    if (atomic_load(&s->failed)) {
        snprintf(err, errlen, "%s", s->err);
        rc = SWEEP_FAILED;
    }
    for (size_t i = 0; i < s->nmine; i++) {
        point_t *pt = &s->pt[s->mine[i]];
        for (int k = 0; pt->reps && k < s->reps; k++)
            metrics_free(&pt->reps[k]);
        free(pt->reps);
        scenario_free(pt->sc);
    }
    free(s->pt);
    free(s->mine);
    s->pt = NULL;
    s->mine = NULL;
    s->nmine = s->njobs = 0;
    atomic_store(&s->next, 0);
    return rc;
}
