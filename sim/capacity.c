/* capacity: the search, its journal, the bottleneck report and the outputs
 * (capacity.h says what is guaranteed).
 *
 * Invariants kept here:
 * - A probe's verdict depends only on its value and its replications'
 *   metrics, and those only on the value and the seeds; a replication read
 *   back from the journal has the bytes it had when computed (numbers in the
 *   shortest form that reads back exactly), so the search takes the same
 *   steps and writes the same files with or without --resume.
 * - Probes are kept in the order they ran; values are never probed twice.
 *   A finished probe keeps its scenario, summary and gates, not its
 *   replications.
 *
 * What summary.json does not carry it asks the models through the
 * catalogue (sim/station.h), naming none: the source's load keys and their
 * values (to multiply them: source_kind_t.load_keys), and a station's CPU
 * request over its limit and its autoscaler's maximum (to say how close to
 * its limits a service is: station_kind_t.limits). */
#include "sim/capacity.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sim/gate.h"
#include "sim/journal.h"
#include "sim/probe.h"
#include "sim/run.h"
#include "sim/scenario.h"
#include "sim/sweep.h"

#define JOURNAL "capacity.journal"
#define JOURNAL_MAGIC "# clustersim capacity journal v1 id="
#define MAX_PROBES_HARD 200

typedef struct cap_probe {
    double x;
    char xtext[40];
    probe_t p;
} cap_probe_t;

/* A replication read from the journal: its value's text, index and numbers. */
typedef struct jrec {
    char *xtext;
    int k;
    char *nums;
} jrec_t;

struct capacity {
    const capacity_opts_t *o;
    scenario_t *base;           /* the scenario with the user's overrides */
    char name[160];
    bool multiple;              /* the traffic multiple (else --metric PATH) */
    const char *path;           /* --metric PATH */
    double rate;                /* the base traffic.rate (multiple) */
    /* the keys of the offered load (the source's load_keys: the first is
     * the base rate) and their values in the scenario, as many as the
     * source has (a profile's points given as rates: any number) */
    size_t nkeys;
    char (*keys)[SOURCE_KEY_LEN];
    double *key_val;
    double lo, hi;
    bool integer;               /* PATH takes integers */
    char unit[16];              /* the range's unit ("ms", "/min", "Mi"; "": a bare number) */
    double tol;                 /* absolute, or relative when tol_rel */
    bool tol_rel;
    char id[17];
    /* the journal */
    char *dir, *journal;
    int jfd;
    bool closed;
    jrec_t *recs;
    size_t nrecs;
    /* the search */
    cap_probe_t *probes;
    size_t nprobes;
    /* the direction (its sense), found from the range's ends: +1 when the gates hold
     * below the answer (more traffic breaks them; the answer is the
     * largest passing value), -1 when they hold above it (more replicas
     * help; the answer is the smallest passing value). The search works on
     * y = sense x, in which the gates always hold below the answer. */
    int sense;
    int lp, ff;                 /* indices of the pass and the fail nearest the answer (-1: none) */
    bool converged;
    bool unbracketed;           /* the search ended: its range does not bracket the answer */
};

/* ---- values and probes ---------------------------------------------------------- */

static void fmt_exact(char *buf, size_t size, double v)
{
    if (isfinite(v))
        journal_fmt_num(buf, size, v);
    else
        snprintf(buf, size, "%g", v);
}

/* The overrides of value x after the user's: sets and labels (room for
 * nsets + value_nsets(c)), their texts malloc'd in owned[]. The count,
 * or -1 when out of memory. */
static int value_sets(const capacity_t *c, double x, const char *xtext, const char **sets, const char **labels,
                      bool *whole, char **owned, size_t *nowned)
{
    const capacity_opts_t *o = c->o;
    size_t n = o->nsets;
    for (size_t i = 0; i < o->nsets; i++) {
        sets[i] = o->sets[i];
        labels[i] = o->labels ? o->labels[i] : NULL;
        whole[i] = false;
    }
    *nowned = 0;
    char buf[40];
    if (c->multiple) {
        for (size_t i = 0; i < c->nkeys; i++) {
            fmt_exact(buf, sizeof buf, c->key_val[i] * x);
            owned[(*nowned)++] = run_strprintf("%s=%s", c->keys[i], buf);
        }
    } else {
        owned[(*nowned)++] = run_strprintf("%s=%s%s", c->path, xtext, c->unit);
    }
    for (size_t i = 0; i < *nowned; i++) {
        if (!owned[i])
            return -1;
        sets[n] = owned[i];
        labels[n] = "--metric";
        whole[n] = true;
        n++;
    }
    return (int)n;
}

/* How many overrides a value makes: one per load key, or the one PATH. */
static size_t value_nsets(const capacity_t *c) { return c->multiple ? c->nkeys : 1; }

/* The station names of sc, joined (for messages), into buf. */
static void station_names(const scenario_t *sc, char *buf, size_t size)
{
    size_t k = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < sc->nstations && k + 1 < size; i++)
        k += (size_t)snprintf(buf + k, size - k, "%s%s", i ? ", " : "", sc->stations[i].name);
}

/* Loads the scenario at x into p. CAPACITY_OK, or an error (diagnostics in
 * d, or a message in err). */
static int load_at(const capacity_t *c, double x, const char *xtext, probe_t *p, diag_t *d, char *err, size_t errlen)
{
    const capacity_opts_t *o = c->o;
    memset(p, 0, sizeof *p);
    size_t cap = o->nsets + value_nsets(c);
    const char **sets = calloc(cap, sizeof *sets);
    const char **labels = calloc(cap, sizeof *labels);
    bool *whole = calloc(cap, sizeof *whole);
    char **owned = calloc(value_nsets(c), sizeof *owned);
    size_t nowned = 0;
    int n = sets && labels && whole && owned ? value_sets(c, x, xtext, sets, labels, whole, owned, &nowned) : -1;
    int rc = CAPACITY_OK;
    if (n < 0) {
        snprintf(err, errlen, "out of memory");
        rc = CAPACITY_FAILED;
    } else {
        scenario_opts_t so = {labels, o->strict, whole};
        int prc = probe_open(p, o->file, sets, (size_t)n, &so, d);
        err[0] = '\0';
        if (prc != 0) {
            rc = prc == -1 ? CAPACITY_BAD_INPUT : CAPACITY_FAILED;
            if (prc == -2 && p->sc)
                snprintf(err, errlen, "out of memory");
        } else if (c->base && p->sc->nstations != c->base->nstations) {
            /* `--set services.wbe.replicas=3` makes a service: not a key of this scenario */
            char names[512];
            station_names(c->base, names, sizeof names);
            snprintf(err, errlen, "--metric:1:1: '%s' is not a key of %s: setting it adds a component (the "
                                  "scenario has: %s)", c->path, o->file, names);
            rc = CAPACITY_BAD_INPUT;
        }
    }
    for (size_t i = 0; i < nowned; i++)
        free(owned[i]);
    free(owned);
    free(sets);
    free(labels);
    free(whole);
    return rc;
}

/* The journal's replication k of the value xtext, or NULL. */
static const jrec_t *find_rec(const capacity_t *c, const char *xtext, int k)
{
    for (size_t i = 0; i < c->nrecs; i++)
        if (c->recs[i].k == k && !strcmp(c->recs[i].xtext, xtext))
            return &c->recs[i];
    return NULL;
}

/* rec's numbers as metrics with the paths of sc. 0, or -1 (they do not fit). */
static int rec_metrics(const jrec_t *rec, const scenario_t *sc, metrics_t *m)
{
    if (scenario_metric_paths(sc, m) != 0)
        return -1;
    size_t n = metrics_numbers(m);
    double *x = malloc((n ? n : 1) * sizeof *x);
    if (!x)
        return -1;
    const char *s = rec->nums;
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        char *end;
        while (*s == ' ')
            s++;
        if (!*s)
            rc = -1;
        else if (x[i] = strtod(s, &end), end == s)
            rc = -1;
        else
            s = end;
    }
    if (rc == 0 && *s)
        rc = -1;
    if (rc == 0)
        metrics_from_numbers(m, x);
    free(x);
    return rc;
}

/* Appends replication k of probe cp (its metrics m) to the journal. */
static int journal_rep(capacity_t *c, const cap_probe_t *cp, int k, const metrics_t *m)
{
    if (c->jfd < 0 || find_rec(c, cp->xtext, k))
        return 0;
    size_t nn = metrics_numbers(m), cap = 64 + strlen(cp->xtext) + nn * 26;
    char *line = malloc(cap);
    double *x = malloc((nn ? nn : 1) * sizeof *x);
    if (!line || !x) {
        free(line);
        free(x);
        return ENOMEM;
    }
    metrics_to_numbers(m, x);
    size_t n = (size_t)snprintf(line, cap, "%s\t%d\t", cp->xtext, k);
    for (size_t i = 0; i < nn; i++) {
        char buf[40];
        fmt_exact(buf, sizeof buf, x[i]);
        n += (size_t)snprintf(line + n, cap - n, "%s%s", i ? " " : "", buf);
    }
    free(x);
    int e = journal_append(c->jfd, line, &c->closed);
    free(line);
    return e;
}

/* Journals replications [from, from + n) of cp, which it holds. */
static int journal_batch(capacity_t *c, const cap_probe_t *cp, int from, int n, char *err, size_t errlen)
{
    for (int k = from; k < from + n; k++) {
        int e = journal_rep(c, cp, k, &cp->p.reps[k]);
        if (e) {
            snprintf(err, errlen, "writing the journal '%s' failed: %s", c->journal, strerror(e));
            return CAPACITY_FAILED;
        }
    }
    return CAPACITY_OK;
}

/* batch() over processes (see capacity.h): every process ends with the
 * same n replications added to cp. */
static int batch_shared(capacity_t *c, cap_probe_t *cp, int n, bool journaled, char *err, size_t errlen)
{
    const capacity_opts_t *o = c->o;
    int from = cp->p.nreps, nr = o->nranks;
    /* rank 0 says whether its journal holds the batch */
    double flag = journaled;
    int zero = 0;
    if (o->share(&flag, 1, 1, &zero) != 0) {
        snprintf(err, errlen, "sharing replications between processes failed");
        return CAPACITY_FAILED;
    }
    journaled = flag != 0;
    metrics_t paths;
    metrics_init(&paths);
    size_t per = scenario_metric_paths(cp->p.sc, &paths) == 0 ? metrics_numbers(&paths) : 0;
    double *v = calloc((size_t)n * (per ? per : 1), sizeof *v);
    int *owner = calloc((size_t)(n > nr ? n : nr), sizeof *owner);
    metrics_t *mine = calloc((size_t)n, sizeof *mine);
    double status = v && owner && mine && per ? 0 : -2;
    int lo = 0, hi = 0, rc = CAPACITY_OK;
    if (status == 0 && journaled) {
        for (int k = 0; k < n && o->rank == 0; k++) {
            metrics_t m;
            metrics_init(&m);
            if (rec_metrics(find_rec(c, cp->xtext, from + k), cp->p.sc, &m) != 0 || metrics_numbers(&m) != per)
                status = -4;
            if (status == 0)
                metrics_to_numbers(&m, &v[(size_t)k * per]);
            metrics_free(&m);
        }
    } else if (status == 0) {
        /* contiguous blocks: process r runs [r n / nr, (r + 1) n / nr) */
        for (int r = 0; r < nr; r++)
            for (int k = r * n / nr; k < (r + 1) * n / nr; k++)
                owner[k] = r;
        lo = o->rank * n / nr;
        hi = (o->rank + 1) * n / nr;
        if (hi > lo)
            status = probe_simulate(&cp->p, from + lo, hi - lo, o->threads, o->stop, mine, err, errlen);
        if (status == -3) {
            rc = CAPACITY_STOPPED; /* end the process at once */
            goto done;
        }
        for (int k = lo; status == 0 && k < hi; k++)
            metrics_to_numbers(&mine[k - lo], &v[(size_t)k * per]);
    }
    /* every process's status, then the rows */
    double *st = calloc((size_t)nr, sizeof *st);
    int *who = calloc((size_t)nr, sizeof *who);
    if (!st || !who) {
        free(st);
        free(who);
        rc = CAPACITY_FAILED;
        snprintf(err, errlen, "out of memory");
        goto done; /* the others wait: the process ends, and mpirun with it */
    }
    for (int r = 0; r < nr; r++)
        who[r] = r;
    st[o->rank] = status;
    int sr = o->share(st, 1, nr, who);
    double worst = 0;
    int bad = 0;
    for (int r = 0; r < nr; r++)
        if (st[r] < worst) {
            worst = st[r];
            bad = r;
        }
    free(st);
    free(who);
    if (sr != 0) {
        rc = CAPACITY_FAILED;
        snprintf(err, errlen, "sharing replications between processes failed");
        goto done;
    }
    if (worst != 0) {
        if (bad != o->rank || status == -2 || status == -4)
            snprintf(err, errlen, "%s on rank %d", worst == -4 ? "the journal does not fit this scenario's results"
                                                   : worst == -2 ? "out of memory" : "a replication failed", bad);
        rc = worst == -4 ? CAPACITY_BAD_INPUT : CAPACITY_FAILED;
        goto done;
    }
    if (o->share(v, per, n, owner) != 0) {
        rc = CAPACITY_FAILED;
        snprintf(err, errlen, "sharing replications between processes failed");
        goto done;
    }
    for (int k = 0; k < n && rc == CAPACITY_OK; k++) {
        metrics_t m;
        metrics_init(&m);
        if (scenario_metric_paths(cp->p.sc, &m) != 0 || metrics_numbers(&m) != per) {
            rc = CAPACITY_FAILED;
            snprintf(err, errlen, "out of memory");
        }
        if (rc == CAPACITY_OK)
            metrics_from_numbers(&m, &v[(size_t)k * per]);
        if (rc == CAPACITY_OK && probe_add(&cp->p, &m) != 0) {
            rc = CAPACITY_FAILED;
            snprintf(err, errlen, "out of memory");
        }
        metrics_free(&m);
    }
    if (rc == CAPACITY_OK && !journaled && o->rank == 0)
        rc = journal_batch(c, cp, from, n, err, errlen);
done:
    for (int k = 0; mine && k < hi - lo; k++)
        metrics_free(&mine[k]);
    free(mine);
    free(v);
    free(owner);
    metrics_free(&paths);
    return rc;
}

/* Replications [from, from + n) of cp: from the journal when it holds all
 * of them, else run (and journaled). */
static int batch(capacity_t *c, cap_probe_t *cp, int n, char *err, size_t errlen)
{
    int from = cp->p.nreps;
    bool all = c->nrecs > 0;
    for (int k = from; all && k < from + n; k++)
        all = find_rec(c, cp->xtext, k) != NULL;
    if (c->o->nranks > 1)
        return batch_shared(c, cp, n, all, err, errlen);
    if (all) {
        for (int k = from; k < from + n; k++) {
            metrics_t m;
            metrics_init(&m);
            if (rec_metrics(find_rec(c, cp->xtext, k), cp->p.sc, &m) != 0 || probe_add(&cp->p, &m) != 0) {
                metrics_free(&m);
                snprintf(err, errlen, "%s: replication %d of the value %s does not fit this scenario's results "
                                      "(remove the journal to start over)", c->journal, k, cp->xtext);
                return CAPACITY_BAD_INPUT;
            }
        }
        return CAPACITY_OK;
    }
    int rc = probe_run(&cp->p, n, c->o->threads, c->o->stop, err, errlen);
    if (rc == -3)
        return CAPACITY_STOPPED;
    if (rc == -2)
        snprintf(err, errlen, "out of memory");
    if (rc != 0)
        return CAPACITY_FAILED;
    return journal_batch(c, cp, from, n, err, errlen);
}

/* Probes x to its final verdict; *out its index. */
static int probe_at(capacity_t *c, double x, size_t *out, char *err, size_t errlen)
{
    if (c->nprobes == (size_t)c->o->max_probes)
        return CAPACITY_OK + 1; /* no more probes */
    cap_probe_t *cp = &c->probes[c->nprobes];
    memset(cp, 0, sizeof *cp);
    cp->x = x;
    fmt_exact(cp->xtext, sizeof cp->xtext, x);
    diag_t *d = calloc(1, sizeof *d);
    if (!d) {
        snprintf(err, errlen, "out of memory");
        return CAPACITY_FAILED;
    }
    diag_init(d);
    int rc = load_at(c, x, cp->xtext, &cp->p, d, err, errlen);
    if (rc != CAPACITY_OK && !err[0]) /* checked at both ends before: unexpected here */
        snprintf(err, errlen, "%s", d->n ? d->msgs[0].text : "the scenario did not load");
    free(d);
    if (rc != CAPACITY_OK) {
        probe_free(&cp->p);
        return rc;
    }
    c->nprobes++;
    /* the looks it may take: R, 2R, 4R, ... up to max_replications */
    cp->p.looks = probe_looks(c->o->replications, c->o->max_replications);
    rc = batch(c, cp, c->o->replications, err, errlen);
    while (rc == CAPACITY_OK && cp->p.verdict == PROBE_UNSURE && cp->p.nreps < c->o->max_replications) {
        int more = cp->p.nreps;
        if (cp->p.nreps + more > c->o->max_replications)
            more = c->o->max_replications - cp->p.nreps;
        rc = batch(c, cp, more, err, errlen);
    }
    if (rc != CAPACITY_OK)
        return rc;
    probe_trim(&cp->p);
    if (c->o->progress)
        fprintf(stderr, "capacity %s: probe %zu at %s: %s (%d replications)\n", c->name, c->nprobes, cp->xtext,
                probe_verdict_name(cp->p.verdict), cp->p.nreps);
    *out = c->nprobes - 1;
    return CAPACITY_OK;
}

/* ---- options ---------------------------------------------------------------------- */

static int opt_err(char *err, size_t errlen, const char *opt, int col, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static int opt_err(char *err, size_t errlen, const char *opt, int col, const char *fmt, ...)
{
    int k = snprintf(err, errlen, "%s:1:%d: ", opt, col);
    va_list ap;
    va_start(ap, fmt);
    if (k >= 0 && (size_t)k < errlen)
        vsnprintf(err + k, errlen - (size_t)k, fmt, ap);
    va_end(ap);
    return CAPACITY_BAD_INPUT;
}

/* A plain number (no unit), the whole of the n bytes at s. */
static int parse_number(const char *s, size_t n, double *v)
{
    char none[1];
    return sweep_parse_bound(s, n, v, none, sizeof none);
}

static int parse_options(capacity_t *c, char *err, size_t errlen)
{
    const capacity_opts_t *o = c->o;
    c->multiple = !o->metric || !strcmp(o->metric, "traffic.rate");
    c->path = c->multiple ? "traffic.rate" : o->metric;
    if (!c->multiple && !o->range)
        return opt_err(err, errlen, "--range", 1, "--metric %s needs a --range LO..HI (in the key's own unit, bare "
                                                  "numbers: per second, seconds, cores, bytes)", o->metric);
    c->lo = 0.5;
    c->hi = 8;
    if (o->range) {
        const char *dots = strstr(o->range, "..");
        if (!dots)
            return opt_err(err, errlen, "--range", 1, "expected LO..HI (e.g. 0.5..8), got '%s'", o->range);
        char uhi[sizeof c->unit];
        if (sweep_parse_bound(o->range, (size_t)(dots - o->range), &c->lo, c->unit, sizeof c->unit) != 0)
            return opt_err(err, errlen, "--range", 1, "LO: expected a number with an optional unit, got '%.*s'",
                           (int)(dots - o->range), o->range);
        if (sweep_parse_bound(dots + 2, strlen(dots + 2), &c->hi, uhi, sizeof uhi) != 0)
            return opt_err(err, errlen, "--range", (int)(dots - o->range) + 3, "HI: expected a number with an "
                           "optional unit, got '%s'", dots + 2);
        if (strcmp(c->unit, uhi) != 0)
            return opt_err(err, errlen, "--range", (int)(dots - o->range) + 3, "LO and HI must have the same unit "
                           "(or none), got '%s' and '%s'", c->unit, uhi);
        if (c->multiple && c->unit[0])
            return opt_err(err, errlen, "--range", 1, "a traffic multiple is a bare number, got the unit '%s'",
                           c->unit);
        if (!(c->lo < c->hi))
            return opt_err(err, errlen, "--range", 1, "the range %s is empty: LO must be below HI", o->range);
        if (c->multiple && c->lo <= 0)
            return opt_err(err, errlen, "--range", 1, "a traffic multiple must be above 0: LO is %.*s",
                           (int)(dots - o->range), o->range);
    }
    c->tol = 0.02;
    c->tol_rel = true;
    if (o->tolerance) {
        size_t n = strlen(o->tolerance);
        c->tol_rel = n > 0 && o->tolerance[n - 1] == '%';
        if (parse_number(o->tolerance, n - c->tol_rel, &c->tol) != 0 || !(c->tol > 0))
            return opt_err(err, errlen, "--tolerance", 1, "expected a number above 0, or a percentage such as "
                                                          "2%%, got '%s'", o->tolerance);
        if (c->tol_rel)
            c->tol /= 100;
        if (c->tol_rel && c->tol >= 1)
            return opt_err(err, errlen, "--tolerance", 1, "a relative tolerance must be below 100%%, got '%s'",
                           o->tolerance);
    }
    return CAPACITY_OK;
}

/* The traffic multiple: the keys of the offered load, from the model of
 * the source (the engine knows no model: catalog_t in sim/station.h),
 * counted first, then read into arrays of that size. */
static int traffic_base(capacity_t *c, char *err, size_t errlen)
{
    char msg[1024];
    const source_kind_t *src = model_catalog.source;
    int n = src->load_keys ? src->load_keys(c->base, c->o->file, NULL, NULL, 0, msg, sizeof msg)
                           : (snprintf(msg, sizeof msg, "the traffic has no rate to multiply"), -1);
    if (n < 1)
        return opt_err(err, errlen, "--metric", 1, "%s", msg);
    c->keys = calloc((size_t)n, sizeof *c->keys);
    c->key_val = calloc((size_t)n, sizeof *c->key_val);
    if (!c->keys || !c->key_val) {
        snprintf(err, errlen, "out of memory");
        return CAPACITY_FAILED;
    }
    if (src->load_keys(c->base, c->o->file, c->keys, c->key_val, (size_t)n, msg, sizeof msg) != n)
        return opt_err(err, errlen, "--metric", 1, "%s", msg);
    c->nkeys = (size_t)n;
    c->rate = c->key_val[0];
    return CAPACITY_OK;
}

static void make_id(capacity_t *c, const char *text, size_t n)
{
    const capacity_opts_t *o = c->o;
    uint64_t h = journal_id_start(CAPACITY_SCHEMA, text, n, o->sets, o->nsets);
    h = journal_fnv_str(h, "proportions' counts"); /* journals before them hold fewer numbers a line */
    char buf[160];
    snprintf(buf, sizeof buf, "metric=%s range=%.17g..%.17g tol=%.17g%s R=%d max=%d probes=%d", c->path, c->lo,
             c->hi, c->tol, c->tol_rel ? "rel" : "abs", o->replications, o->max_replications, o->max_probes);
    h = journal_fnv_str(h, buf);
    if (c->unit[0]) /* (only then: a bare range keeps the ids it had) */
        h = journal_fnv_str(h, c->unit);
    snprintf(c->id, sizeof c->id, "%016" PRIx64, h);
}

/* Whether the loader's message t ("--metric:1:COL: ...", from the
 * override PATH=VALUE) is about the value rather than the path: it points
 * at the value (the column after PATH and '='), and does not say that the
 * path names a mapping or a list (a value there is refused whatever it is). */
static bool about_value(const capacity_t *c, const char *t)
{
    char *end;
    long col = strtol(t + strlen("--metric:1:"), &end, 10);
    if (strncmp(t, "--metric:1:", strlen("--metric:1:")) != 0 || *end != ':')
        return false;
    size_t vcol = strlen(c->path) + 2;
    if (col < (long)vcol)
        return false;
    return !strstr(end, ": expected a mapping") && !strstr(end, ": expected a list") &&
           !strstr(end, ": expected a non-empty list");
}

capacity_t *capacity_new(const capacity_opts_t *o, diag_t *d, char *err, size_t errlen, int *rc)
{
    err[0] = '\0';
    capacity_t *c = calloc(1, sizeof *c);
    if (!c) {
        *rc = CAPACITY_FAILED;
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    c->o = o;
    c->jfd = -1;
    c->lp = c->ff = -1;
    c->sense = 1;
    c->probes = calloc((size_t)o->max_probes, sizeof *c->probes);
    if (!c->probes) {
        *rc = CAPACITY_FAILED;
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    if ((*rc = parse_options(c, err, errlen)) != CAPACITY_OK)
        goto fail;
    scenario_opts_t so = {o->labels, o->strict, NULL};
    c->base = scenario_load_opts(o->file, o->sets, o->nsets, &so, d);
    if (!c->base) {
        *rc = diag_exit_code(d) == 2 ? CAPACITY_BAD_INPUT : CAPACITY_FAILED;
        goto fail;
    }
    snprintf(c->name, sizeof c->name, "%s", c->base->name);
    if (c->base->nslo == 0) {
        *rc = CAPACITY_BAD_INPUT;
        snprintf(err, errlen, "%s: the scenario has no `slo:` gates, so no value can be said to meet them (add a "
                              "list such as `slo: [{name: p99, metric: latency_ms.p99, op: \"<\", threshold: 200}]`, "
                              "or --set 'slo=[...]'; see scenarios/README.md)", o->file);
        goto fail;
    }
    if (c->multiple && (*rc = traffic_base(c, err, errlen)) != CAPACITY_OK)
        goto fail;
    /* both ends load (a bad path or value is found before anything runs);
     * a key that refuses a half takes integers */
    for (int end = 0; end < 3; end++) {
        double x = end == 0 ? c->lo : end == 1 ? c->hi : floor(c->lo) + 0.5;
        if (end == 2 && (c->multiple || c->lo != floor(c->lo) || c->hi != floor(c->hi) || c->hi - c->lo < 1))
            break;
        char xtext[40];
        fmt_exact(xtext, sizeof xtext, x);
        probe_t p;
        /* the base load gave the warnings already: only errors are kept */
        diag_t *dd = calloc(1, sizeof *dd);
        if (!dd) {
            *rc = CAPACITY_FAILED;
            snprintf(err, errlen, "out of memory");
            goto fail;
        }
        diag_init(dd);
        *rc = load_at(c, x, xtext, &p, dd, err, errlen);
        probe_free(&p);
        if (end == 2 && *rc == CAPACITY_BAD_INPUT && dd->errors && strstr(dd->msgs[dd->n - 1].text, "expected an integer")) {
            c->integer = true;
            *rc = CAPACITY_OK;
        }
        for (size_t m = 0; *rc != CAPACITY_OK && m < dd->n && d->n < DIAG_MAX; m++)
            if (!dd->msgs[m].warning) {
                d->msgs[d->n] = dd->msgs[m];
                /* a value the range's end gives, refused: said of --range,
                 * at that end, not of the --metric it is written into */
                const char *t = dd->msgs[m].text, *msg = NULL;
                if (!strncmp(t, "--metric:", 9) && (msg = strstr(t + 9, ": ")) && end < 2 && about_value(c, t)) {
                    const char *dots = o->range ? strstr(o->range, "..") : NULL;
                    int col = end == 0 || !dots ? 1 : (int)(dots - o->range) + 3;
                    snprintf(d->msgs[d->n].text, sizeof d->msgs[d->n].text,
                             "--range:1:%d: the %srange's %s, %s%s, gives a value the scenario refuses: %s", col,
                             o->range ? "" : "default ", end == 0 ? "start" : "end", xtext, c->unit, msg + 2);
                }
                d->n++;
                d->errors++;
            }
        free(dd);
        if (*rc != CAPACITY_OK)
            goto fail;
    }
    size_t n;
    char *text = journal_read_all(o->file, &n);
    if (!text) {
        *rc = CAPACITY_BAD_INPUT;
        snprintf(err, errlen, "cannot read '%s': %s", o->file, strerror(errno));
        goto fail;
    }
    make_id(c, text, n);
    free(text);
    return c;
fail:
    capacity_free(c);
    return NULL;
}

void capacity_free(capacity_t *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->nprobes; i++)
        probe_free(&c->probes[i].p);
    free(c->probes);
    for (size_t i = 0; i < c->nrecs; i++) {
        free(c->recs[i].xtext);
        free(c->recs[i].nums);
    }
    free(c->recs);
    if (c->jfd >= 0)
        close(c->jfd);
    free(c->dir);
    free(c->journal);
    free(c->keys);
    free(c->key_val);
    scenario_free(c->base);
    free(c);
}

const char *capacity_name(const capacity_t *c) { return c->name; }

/* ---- the journal -------------------------------------------------------------------- */

/* A line of the journal (journal_load's reader): the header, then one
 * replication a line. */
static int read_line(void *ctx, char *line, size_t lineno, char *err, size_t errlen)
{
    capacity_t *c = ctx;
    if (lineno == 1) {
        if (strncmp(line, JOURNAL_MAGIC, strlen(JOURNAL_MAGIC)) != 0) {
            snprintf(err, errlen, "%s:1:1: not a clustersim capacity journal", c->journal);
            return CAPACITY_BAD_INPUT;
        }
        if (strcmp(line + strlen(JOURNAL_MAGIC), c->id) != 0) {
            snprintf(err, errlen, "%s:1:%zu: the journal belongs to another search (id %.16s, this one's is "
                                  "%s: the scenario file, --set, --seed, --duration, --metric, --range, "
                                  "--tolerance or the replication options differ); use another -o directory, "
                                  "or remove this one to start over",
                     c->journal, strlen(JOURNAL_MAGIC) + 1, line + strlen(JOURNAL_MAGIC), c->id);
            return CAPACITY_BAD_INPUT;
        }
        return CAPACITY_OK;
    }
    char *t1 = strchr(line, '\t'), *t2 = t1 ? strchr(t1 + 1, '\t') : NULL;
    char *end = NULL;
    long k = t2 ? strtol(t1 + 1, &end, 10) : -1;
    if (!t2 || end != t2 || k < 0 || k > 100000) {
        snprintf(err, errlen, "%s:%zu:1: not a line of a capacity journal", c->journal, lineno);
        return CAPACITY_BAD_INPUT;
    }
    jrec_t *r = realloc(c->recs, (c->nrecs + 1) * sizeof *r);
    if (!r) {
        snprintf(err, errlen, "out of memory");
        return CAPACITY_FAILED;
    }
    c->recs = r;
    *t1 = '\0';
    r[c->nrecs].xtext = run_strprintf("%s", line);
    r[c->nrecs].k = (int)k;
    r[c->nrecs].nums = run_strprintf("%s", t2 + 1);
    c->nrecs++;
    if (!r[c->nrecs - 1].xtext || !r[c->nrecs - 1].nums) {
        snprintf(err, errlen, "out of memory");
        return CAPACITY_FAILED;
    }
    return CAPACITY_OK;
}
_Static_assert((int)CAPACITY_FAILED == JOURNAL_FAILED && (int)CAPACITY_BAD_INPUT == JOURNAL_BAD_INPUT,
               "journal_load's codes are capacity's");

int capacity_open(capacity_t *c, const char *dir, bool resume, char *err, size_t errlen)
{
    if (run_make_dirs(dir) != 0) {
        snprintf(err, errlen, "cannot create the output directory '%s': %s", dir, strerror(errno));
        return errno == ENOMEM ? CAPACITY_FAILED : CAPACITY_BAD_INPUT;
    }
    if (access(dir, W_OK) != 0) {
        snprintf(err, errlen, "cannot write into '%s': %s", dir, strerror(errno));
        return CAPACITY_BAD_INPUT;
    }
    c->dir = run_strprintf("%s", dir);
    c->journal = run_strprintf("%s/" JOURNAL, dir);
    if (!c->dir || !c->journal) {
        snprintf(err, errlen, "out of memory");
        return CAPACITY_FAILED;
    }
    struct stat st;
    if (stat(c->journal, &st) == 0) {
        if (!resume) {
            snprintf(err, errlen, "%s holds the journal of an interrupted search: continue it with --resume (the "
                                  "same command), or remove it to start over", c->journal);
            return CAPACITY_BAD_INPUT;
        }
        return journal_load(c->journal, read_line, c, 1, &c->jfd, err, errlen);
    }
    /* a new journal: its header line, put in place whole */
    char *head = run_strprintf(JOURNAL_MAGIC "%s\n", c->id);
    if (!head) {
        snprintf(err, errlen, "out of memory");
        return CAPACITY_FAILED;
    }
    const char *what;
    int e = journal_create(dir, c->journal, head, &c->jfd, &what);
    free(head);
    if (e) {
        snprintf(err, errlen, "cannot %s '%s': %s", what, c->journal, strerror(e));
        return e == ENOMEM ? CAPACITY_FAILED : CAPACITY_BAD_INPUT;
    }
    return CAPACITY_OK;
}

/* ---- the search ------------------------------------------------------------------------ */

/* Whether the gap (a, b) is narrow enough. */
static bool narrow(const capacity_t *c, double a, double b)
{
    if (c->integer && b - a <= 1)
        return true;
    return c->tol_rel ? b - a <= c->tol * fabs(b) : b - a <= c->tol;
}

static double midpoint(const capacity_t *c, double a, double b)
{
    double m = a + (b - a) / 2;
    return c->integer ? floor(m) : m;
}

/* Probe i's value in the search's direction: y = sense x. */
static double yof(const capacity_t *c, size_t i) { return c->sense * c->probes[i].x; }

/* The unsure values between the pass and the fail nearest the answer: the
 * one nearest the pass in *lo, the one nearest the fail in *hi, both as y
 * (NaN: none). */
static void unsure_y(const capacity_t *c, double *lo, double *hi)
{
    *lo = *hi = NAN;
    double lp = c->lp >= 0 ? yof(c, (size_t)c->lp) : -INFINITY;
    double ff = c->ff >= 0 ? yof(c, (size_t)c->ff) : INFINITY;
    for (size_t i = 0; i < c->nprobes; i++) {
        double y = yof(c, i);
        if (c->probes[i].p.verdict != PROBE_UNSURE || y <= lp || y >= ff)
            continue;
        if (isnan(*lo) || y < *lo)
            *lo = y;
        if (isnan(*hi) || y > *hi)
            *hi = y;
    }
}

/* The band of unsure values as values, *lo <= *hi (NaN: none). */
static void unsure_band(const capacity_t *c, double *lo, double *hi)
{
    double a, b;
    unsure_y(c, &a, &b);
    *lo = c->sense > 0 ? a : -b;
    *hi = c->sense > 0 ? b : -a;
}

/* Takes probe i's verdict into the bracket. */
static void take(capacity_t *c, size_t i)
{
    const cap_probe_t *cp = &c->probes[i];
    if (cp->p.verdict == PROBE_PASS && (c->lp < 0 || yof(c, i) > yof(c, (size_t)c->lp)))
        c->lp = (int)i;
    if (cp->p.verdict == PROBE_FAIL && (c->ff < 0 || yof(c, i) < yof(c, (size_t)c->ff)))
        c->ff = (int)i;
}

/* What probe i at an end of the range (which: "LO", "HI") found, when it
 * did not pass, into buf. */
static void end_state(const capacity_t *c, size_t i, const char *which, char *buf, size_t size)
{
    const cap_probe_t *cp = &c->probes[i];
    const char *empty = NULL; /* a gate with nothing measured */
    for (size_t g = 0; g < c->base->nslo && !empty; g++)
        if (isnan(cp->p.gates[g].value))
            empty = c->base->slo[g].name;
    if (cp->p.summary.overloaded > 0)
        snprintf(buf, size, "overloaded at %s = %s: %d of %d replications outgrew the platform (their queues grow "
                            "without end)", which, cp->xtext, cp->p.summary.overloaded, cp->p.nreps);
    else if (empty)
        snprintf(buf, size, "overloaded: nothing completed at %s = %s (gate '%s' has no sample in %d replications)",
                 which, cp->xtext, empty, cp->p.nreps);
    else
        snprintf(buf, size, "the slo: gates %s at %s = %s (%d replications)",
                 cp->p.verdict == PROBE_FAIL ? "fail already" : "cannot be shown to hold", which, cp->xtext,
                 cp->p.nreps);
}

int capacity_search(capacity_t *c, char *err, size_t errlen)
{
    char lo_t[40], hi_t[40];
    fmt_exact(lo_t, sizeof lo_t, c->lo);
    fmt_exact(hi_t, sizeof hi_t, c->hi);
    size_t i, ihi;
    int rc = probe_at(c, c->lo, &i, err, errlen);
    if (rc != CAPACITY_OK)
        return rc > 0 ? CAPACITY_BAD_INPUT : rc;
    double x = c->lo, ulo, uhi;
    if (c->probes[i].p.verdict != PROBE_PASS) {
        /* the gates may hold above the answer (a key whose growth helps):
         * then HI passes, and the answer is the smallest passing value */
        if ((rc = probe_at(c, c->hi, &ihi, err, errlen)) != CAPACITY_OK)
            return rc > 0 ? CAPACITY_BAD_INPUT : rc;
        if (c->probes[ihi].p.verdict == PROBE_PASS) {
            c->sense = -1;
            take(c, i);
            take(c, ihi);
            goto bisect;
        }
        char at_lo[512], at_hi[512];
        end_state(c, i, "LO", at_lo, sizeof at_lo);
        end_state(c, ihi, "HI", at_hi, sizeof at_hi);
        c->unbracketed = true;
        snprintf(err, errlen, "--range:1:1: the range does not bracket the answer: %s, and %s; give a lower LO "
                              "(if the gates hold below the answer) or a higher HI (if they hold above it)",
                 at_lo, at_hi);
        return CAPACITY_BAD_INPUT;
    }
    take(c, i);
    /* bracketing: doubling from LO, capped at HI */
    while (c->ff < 0) {
        double nx = c->lo > 0 && 2 * x < c->hi ? 2 * x : c->hi;
        if ((rc = probe_at(c, nx, &i, err, errlen)) < 0)
            return rc;
        if (rc > 0) {
            unsure_band(c, &ulo, &uhi);
            if (!isnan(ulo))
                return CAPACITY_OK; /* an unsure band, not narrowed: said in the answer */
            c->unbracketed = true;
            snprintf(err, errlen, "--max-probes:1:1: every slo: gate still holds at %s after %d probes, short of "
                                  "HI = %s: raise LO, or --max-probes", c->probes[c->lp].xtext, c->o->max_probes,
                     hi_t);
            return CAPACITY_BAD_INPUT;
        }
        take(c, i);
        if (nx == c->hi)
            break;
        x = nx;
    }
    unsure_band(c, &ulo, &uhi);
    if (c->ff < 0 && isnan(ulo)) {
        c->unbracketed = true;
        snprintf(err, errlen, "--range:1:%zu: the range does not bracket the answer: every slo: gate holds at LO = "
                              "%s and still holds at HI = %s; give a higher HI (if the gates hold below the answer) "
                              "or a lower LO (if they hold above it: the smallest value at which they hold)",
                 strlen(lo_t) + 3, lo_t, hi_t);
        return CAPACITY_BAD_INPUT;
    }
    /* bisection, on y = sense x (the gates hold below the answer in y) */
bisect:
    for (;;) {
        unsure_y(c, &ulo, &uhi);
        if (c->ff < 0 && isnan(ulo)) { /* noise passed a value above every unsure one: nothing left to narrow */
            c->converged = true;
            return CAPACITY_OK;
        }
        double lp = yof(c, (size_t)c->lp), ff = c->ff >= 0 ? yof(c, (size_t)c->ff) : NAN;
        double next;
        double top = !isnan(ulo) ? ulo : ff;
        if (!narrow(c, lp, top) && midpoint(c, lp, top) > lp)
            next = midpoint(c, lp, top);
        else if (!isnan(uhi) && c->ff >= 0 && !narrow(c, uhi, ff) && midpoint(c, uhi, ff) > uhi)
            next = midpoint(c, uhi, ff);
        else {
            c->converged = true;
            return CAPACITY_OK;
        }
        if ((rc = probe_at(c, c->sense * next, &i, err, errlen)) != CAPACITY_OK)
            return rc > 0 ? CAPACITY_OK : rc;
        take(c, i);
    }
}

/* ---- the bottleneck report ------------------------------------------------------------ */

enum { SIG_SAT, SIG_CPU, SIG_OVERFLOW, SIG_PINNED, SIG_GROWTH, SIG_GROWTH1 };

typedef struct signal {
    char path[120];
    const char *what;       /* "utilization", ... */
    int kind;
    double v, ci, v0, ci0;  /* at the break, at the last pass */
    double score, lo;       /* its score, and the score at the low end of the 95% intervals */
} signal_t;

typedef struct component {
    char name[120];
    signal_t sig[8];
    size_t nsig;
    double score, lo;       /* its leading signal's */
    size_t lead;            /* its leading signal */
    int second;             /* the signal after it (-1: none) */
} component_t;

typedef struct report {
    component_t *comp;
    size_t ncomp;
    const cap_probe_t *brk, *pass;
    int first_gate;         /* the slo: gate that fails first, -1: none */
    double first_gate_x;
} report_t;

/* The limits of the station of section `services` named name, from its
 * model (station_kind_t.limits): its CPU request over its limit (1 without
 * both) and its autoscaler's maximum (-1: none). */
static void station_limits(const scenario_t *sc, const char *name, double *request_over_limit, double *max)
{
    *request_over_limit = 1;
    *max = -1;
    for (size_t i = 0; i < sc->nstations; i++) {
        const station_cfg_t *st = &sc->stations[i];
        if (st->name && !strcmp(st->name, name) && !strcmp(st->kind->section, "services") && st->kind->limits) {
            st->kind->limits(st, request_over_limit, max);
            return;
        }
    }
}

/* cpu_utilization (CPU used over requested) as a share of the CPU limit,
 * where saturation is (throttling): request / limit, or 1 without both. */
static double cpu_scale(const scenario_t *sc, const char *name)
{
    double r, m;
    station_limits(sc, name, &r, &m);
    return r;
}

/* The most replicas sc's autoscaler of service NAME allows, or -1 (none). */
static double max_replicas(const scenario_t *sc, const char *name)
{
    double r, m;
    station_limits(sc, name, &r, &m);
    return m;
}

/* path without its prefix "services." and suffix (e.g. ".utilization"),
 * into buf: 0 when path has both. */
static int middle(const char *path, const char *prefix, const char *suffix, char *buf, size_t size)
{
    size_t np = strlen(prefix), ns = strlen(suffix), n = strlen(path);
    if (n <= np + ns || strncmp(path, prefix, np) != 0 || strcmp(path + n - ns, suffix) != 0)
        return -1;
    snprintf(buf, size, "%.*s", (int)(n - np - ns), path + np);
    return strchr(buf, '.') ? -1 : 0;
}

static component_t *component(report_t *r, const char *name)
{
    for (size_t i = 0; i < r->ncomp; i++)
        if (!strcmp(r->comp[i].name, name))
            return &r->comp[i];
    component_t *c = realloc(r->comp, (r->ncomp + 1) * sizeof *c);
    if (!c)
        return NULL;
    r->comp = c;
    c = &r->comp[r->ncomp++];
    memset(c, 0, sizeof *c);
    snprintf(c->name, sizeof c->name, "%s", name);
    return c;
}

/* The signals: which summary paths say that a component saturates. */
static const struct {
    const char *prefix, *suffix;  /* a middle component between them, or none (suffix "") */
    const char *comp;             /* the component: this, then the middle (if any) */
    const char *what;
    int kind;
} signals[] = {
    {"services.", ".utilization", "services.", "utilization (busy workers / workers)", SIG_SAT},
    {"services.", ".cpu_utilization", "services.", "cpu_utilization (CPU used / requested)", SIG_CPU},
    {"services.", ".rejected", "services.", "rejected (queue full)", SIG_OVERFLOW},
    {"services.", ".oom_kills", "services.", "oom_kills (memory limit)", SIG_OVERFLOW},
    {"services.", ".queue_length_mean", "services.", "queue_length_mean (growth)", SIG_GROWTH1},
    {"services.", ".replicas.max", "services.", "replicas.max (autoscaler's max)", SIG_PINNED},
    {"database.primary.utilization", "", "database.primary", "utilization", SIG_SAT},
    {"database.replicas.", ".utilization", "database.replicas.", "utilization", SIG_SAT},
    {"database.pool_utilization", "", "database.pool", "pool_utilization", SIG_SAT},
    {"database.pool_timeouts", "", "database.pool", "pool_timeouts", SIG_OVERFLOW},
    {"database.too_many_connections", "", "database.pool", "too_many_connections", SIG_OVERFLOW},
    {"database.pool_wait_ms", "", "database.pool", "pool_wait_ms (growth)", SIG_GROWTH1},
    {"cache.redis.utilization", "", "cache.redis", "utilization", SIG_SAT},
    {"cache.cdn.origin_requests", "", "cache.cdn", "origin_requests (misses to origin, growth)", SIG_GROWTH},
};

double capacity_growth(double brk, double last, double add)
{
    if (isnan(brk) || isnan(last) || !(brk > last) || !(last + add >= 0) || !(brk + add > 0))
        return 0;
    return 1 - (last + add) / (brk + add);
}

void capacity_rank(size_t n, const double *score, const double *lo, size_t *order)
{
    for (size_t i = 0; i < n; i++)
        order[i] = i;
    /* insertion sort: stable, so a tie keeps the given order */
    for (size_t i = 1; i < n; i++)
        for (size_t j = i; j > 0; j--) {
            size_t a = order[j - 1], b = order[j];
            if (!(lo[b] > lo[a] || (lo[b] == lo[a] && score[b] > score[a])))
                break;
            order[j - 1] = b;
            order[j] = a;
        }
}

bool capacity_lead_apart(size_t n, const double *score, const double *lo)
{
    return n < 2 || lo[0] >= score[1] || (isnan(score[1]) && !isnan(lo[0]));
}

/* Components 0 and 1 of a ranked report, whether told apart. */
static bool lead_apart(const report_t *r)
{
    if (r->ncomp < 2)
        return true;
    double score[2] = {r->comp[0].score, r->comp[1].score}, lo[2] = {r->comp[0].lo, r->comp[1].lo};
    return capacity_lead_apart(2, score, lo);
}

/* sg's score and the score at the low end of its intervals (1 means
 * saturated): a utilisation is its own score (CPU: its share of the
 * limit, where throttling starts); requests turned away score 1 plus
 * their share of all requests; an autoscaler at its maximum scores 1; a
 * growth signal (queue length, pool wait, misses to origin) scores how
 * much it grew from the last pass to the break, capacity_growth. The low
 * end takes each value at the end of its 95% interval nearest to "not
 * saturated" (the break's low end, the last pass's high end). */
static void score_signal(signal_t *sg, double scale, double limit, double total)
{
    double ci = isnan(sg->ci) ? 0 : sg->ci, ci0 = isnan(sg->ci0) ? 0 : sg->ci0, vl = sg->v - ci;
    switch (sg->kind) {
    case SIG_SAT:
    case SIG_CPU:
        sg->score = isnan(sg->v) ? 0 : sg->v * scale;
        sg->lo = isnan(sg->v) ? 0 : vl * scale;
        break;
    case SIG_OVERFLOW:
        sg->score = sg->v > 0 ? 1 + (total > 0 ? sg->v / total : 0) : 0;
        sg->lo = vl > 0 ? 1 + (total > 0 ? vl / total : 0) : 0;
        break;
    case SIG_PINNED:
        sg->score = sg->v >= limit ? 1 : 0;
        sg->lo = vl >= limit ? 1 : 0;
        break;
    default: {
        double add = sg->kind == SIG_GROWTH1 ? 1 : 0;
        sg->score = capacity_growth(sg->v, sg->v0, add);
        sg->lo = capacity_growth(vl, sg->v0 + ci0, add);
        break;
    }
    }
}

static int build_report(const capacity_t *c, report_t *r)
{
    memset(r, 0, sizeof *r);
    r->first_gate = -1;
    if (c->lp >= 0)
        r->pass = &c->probes[c->lp];
    if (c->ff >= 0)
        r->brk = &c->probes[c->ff];
    else { /* no sure fail: the unsure value nearest the failing side (in the search's direction) */
        double ylo, yhi;
        unsure_y(c, &ylo, &yhi);
        for (size_t i = 0; i < c->nprobes; i++)
            if (yof(c, i) == yhi)
                r->brk = &c->probes[i];
    }
    /* the gate that fails first as the value moves towards failing: the
     * first value (in the search's direction) at which it fails; a tie goes
     * to the smaller margin at the break */
    for (size_t g = 0; g < c->base->nslo; g++)
        for (size_t i = 0; i < c->nprobes; i++) {
            const cap_probe_t *cp = &c->probes[i];
            if (cp->p.gates[g].verdict != PROBE_FAIL)
                continue;
            bool better = r->first_gate < 0 || c->sense * cp->x < c->sense * r->first_gate_x ||
                          (cp->x == r->first_gate_x && r->brk &&
                           r->brk->p.gates[g].margin < r->brk->p.gates[r->first_gate].margin);
            if (better) {
                r->first_gate = (int)g;
                r->first_gate_x = cp->x;
            }
        }
    if (!r->brk)
        return 0;
    const metrics_t *m = &r->brk->p.summary;
    double total = metrics_value(m, "requests.total");
    for (size_t i = 0; i < m->n; i++) {
        const metric_t *mt = &m->v[i];
        for (size_t s = 0; s < sizeof signals / sizeof signals[0]; s++) {
            char mid[120], name[120];
            if (signals[s].suffix[0]) {
                if (middle(mt->path, signals[s].prefix, signals[s].suffix, mid, sizeof mid) != 0)
                    continue;
            } else if (strcmp(mt->path, signals[s].prefix) != 0)
                continue;
            snprintf(name, sizeof name, "%s%s", signals[s].comp, signals[s].suffix[0] ? mid : "");
            double limit = signals[s].kind == SIG_PINNED ? max_replicas(r->brk->p.sc, mid) : 0;
            if (signals[s].kind == SIG_PINNED && limit <= 0)
                continue;
            component_t *cp = component(r, name);
            if (!cp)
                return -1;
            if (cp->nsig == sizeof cp->sig / sizeof cp->sig[0])
                continue;
            signal_t *sg = &cp->sig[cp->nsig++];
            snprintf(sg->path, sizeof sg->path, "%s", mt->path);
            sg->what = signals[s].what;
            sg->kind = signals[s].kind;
            sg->v = mt->value;
            sg->ci = mt->ci95;
            const metric_t *m0 = r->pass ? metrics_find(&r->pass->p.summary, mt->path) : NULL;
            sg->v0 = m0 ? m0->value : NAN;
            sg->ci0 = m0 ? m0->ci95 : NAN;
            score_signal(sg, sg->kind == SIG_CPU ? cpu_scale(r->brk->p.sc, mid) : 1, limit, total);
        }
    }
    /* a component's signals in the ranking's order: the first leads */
    double sc[8], lo[8];
    size_t order[8];
    for (size_t i = 0; i < r->ncomp; i++) {
        component_t *cp = &r->comp[i];
        for (size_t s = 0; s < cp->nsig; s++) {
            sc[s] = cp->sig[s].score;
            lo[s] = cp->sig[s].lo;
        }
        capacity_rank(cp->nsig, sc, lo, order);
        cp->lead = order[0];
        cp->second = cp->nsig > 1 ? (int)order[1] : -1;
        cp->score = cp->sig[cp->lead].score;
        cp->lo = cp->sig[cp->lead].lo;
    }
    /* the components, by the low end of their scores, then the scores; a
     * tie keeps summary.json's order */
    double *csc = malloc((r->ncomp ? r->ncomp : 1) * sizeof *csc);
    double *clo = malloc((r->ncomp ? r->ncomp : 1) * sizeof *clo);
    size_t *cord = malloc((r->ncomp ? r->ncomp : 1) * sizeof *cord);
    component_t *sorted = malloc((r->ncomp ? r->ncomp : 1) * sizeof *sorted);
    int rc = csc && clo && cord && sorted ? 0 : -1;
    if (rc == 0) {
        for (size_t i = 0; i < r->ncomp; i++) {
            csc[i] = r->comp[i].score;
            clo[i] = r->comp[i].lo;
        }
        capacity_rank(r->ncomp, csc, clo, cord);
        for (size_t i = 0; i < r->ncomp; i++)
            sorted[i] = r->comp[cord[i]];
        memcpy(r->comp, sorted, r->ncomp * sizeof *sorted);
    }
    free(csc);
    free(clo);
    free(cord);
    free(sorted);
    return rc;
}

/* ---- the outputs ---------------------------------------------------------------------- */

/* "v ± ci" (or "v", or "-") into buf. */
static const char *pm(char *buf, size_t size, double v, double ci)
{
    if (isnan(v))
        snprintf(buf, size, "-");
    else if (isnan(ci))
        snprintf(buf, size, "%.6g", v);
    else
        snprintf(buf, size, "%.6g ± %.3g", v, ci);
    return buf;
}

static const char *metric_label(const capacity_t *c, char *buf, size_t size)
{
    if (c->multiple)
        snprintf(buf, size, "traffic multiple m (traffic.rate %.6g/s x m%s)", c->rate,
                 c->nkeys > 1 ? ", and the profile's rates" : "");
    else
        snprintf(buf, size, "%s%s%s%s", c->path, c->integer ? " (integers)" : "", c->unit[0] ? " in " : "", c->unit);
    return buf;
}

/* The answer in a sentence. */
static void answer(FILE *f, const capacity_t *c)
{
    double ulo, uhi;
    unsure_band(c, &ulo, &uhi);
    const char *lp = c->probes[c->lp].xtext, *ff = c->ff >= 0 ? c->probes[c->ff].xtext : NULL;
    if (c->sense > 0) {
        fprintf(f, "every gate holds up to %s", lp);
        if (ff)
            fprintf(f, "; fails by %s: the breaking point lies in [%s, %s]", ff, lp, ff);
    } else {
        fprintf(f, "every gate holds down to %s (the smallest value at which every SLO holds", lp);
        if (ff && c->integer && c->probes[c->lp].x - c->probes[c->ff].x <= 1)
            fprintf(f, ": %s); fails at %s", lp, ff);
        else if (ff)
            fprintf(f, " lies in [%s, %s]); fails at %s", ff, lp, ff);
        else
            fputc(')', f);
    }
    if (!ff)
        fprintf(f, "; no value in the range fails with confidence");
    if (!isnan(ulo) && ulo == uhi)
        fprintf(f, " (undecided at %.6g with %d replications)", ulo, c->o->max_replications);
    else if (!isnan(ulo))
        fprintf(f, " (undecided from %.6g to %.6g with %d replications)", ulo, uhi, c->o->max_replications);
    if (!c->converged)
        fprintf(f, " (--max-probes %d reached before the tolerance)", c->o->max_probes);
}

void capacity_print(FILE *f, const capacity_t *c)
{
    char buf[200], b1[64], b2[64];
    fprintf(f, "capacity %s: %s; %d replications per probe (up to %d when unsure), seeds %" PRIu64 ".., "
               "tolerance %.6g%s\n",
            c->name, metric_label(c, buf, sizeof buf), c->o->replications, c->o->max_replications, c->base->seed,
            c->tol_rel ? c->tol * 100 : c->tol, c->tol_rel ? "%" : "");
    fprintf(f, "probe  %-12s %-7s reps  gates not passing\n", "value", "verdict");
    for (size_t i = 0; i < c->nprobes; i++) {
        const cap_probe_t *cp = &c->probes[i];
        fprintf(f, "%5zu  %-12s %-7s %4d", i + 1, cp->xtext, probe_verdict_name(cp->p.verdict), cp->p.nreps);
        int shown = 0;
        for (size_t g = 0; g < c->base->nslo; g++)
            if (cp->p.gates[g].verdict != PROBE_PASS && shown++ < 3)
                fprintf(f, "%s%s (%s)", shown == 1 ? "  " : " ", c->base->slo[g].name,
                        probe_verdict_name(cp->p.gates[g].verdict));
        if (shown > 3)
            fprintf(f, " and %d more", shown - 3);
        fputc('\n', f);
    }
    answer(f, c);
    fputc('\n', f);
    report_t r;
    if (build_report(c, &r) != 0) {
        fprintf(f, "(the bottleneck report ran out of memory)\n");
        free(r.comp);
        return;
    }
    if (r.first_gate >= 0) {
        const slo_t *g = &c->base->slo[r.first_gate];
        fprintf(f, "first gate to fail: %s (%s %s %.6g), from %.6g", g->name, g->metric, slo_ops[g->op],
                g->threshold, r.first_gate_x);
        if (r.brk)
            fprintf(f, ": %s at %s", pm(b1, sizeof b1, r.brk->p.gates[r.first_gate].value,
                                        r.brk->p.gates[r.first_gate].half), r.brk->xtext);
        if (r.pass)
            fprintf(f, ", %s at %s", pm(b2, sizeof b2, r.pass->p.gates[r.first_gate].value,
                                        r.pass->p.gates[r.first_gate].half), r.pass->xtext);
        fputc('\n', f);
    }
    if (r.brk) {
        fprintf(f, "bottlenecks at %s (ranked; 1 = saturated), beside %s:\n", r.brk->xtext,
                r.pass ? r.pass->xtext : "-");
        fprintf(f, "rank  %-28s %-44s %6s %6s  %-22s %s\n", "component", "signal (second below)", "score", "low",
                "at break", "at last pass");
        for (size_t i = 0; i < r.ncomp; i++) {
            const component_t *cp = &r.comp[i];
            const signal_t *s = &cp->sig[cp->lead];
            fprintf(f, "%4zu  %-28s %-44s %6.3f %6.3f  %-22s %s\n", i + 1, cp->name, s->what, s->score, s->lo,
                    pm(b1, sizeof b1, s->v, s->ci), pm(b2, sizeof b2, s->v0, s->ci0));
            if (cp->second >= 0) {
                s = &cp->sig[cp->second];
                fprintf(f, "      %-28s %-44s %6.3f %6.3f  %-22s %s\n", "", s->what, s->score, s->lo,
                        pm(b1, sizeof b1, s->v, s->ci), pm(b2, sizeof b2, s->v0, s->ci0));
            }
        }
        if (!lead_apart(&r))
            fprintf(f, "(1 and 2 are not told apart: 1's low end, %.3f, is below 2's score, %.3f; more "
                       "replications may order them)\n", r.comp[0].lo, r.comp[1].score);
    }
    free(r.comp);
}

static void json_vc(FILE *f, const char *key, double v, double ci)
{
    fprintf(f, "\"%s\": {\"value\": ", key);
    journal_put_num(f, v, "null");
    fputs(", \"ci95\": ", f);
    journal_put_num(f, ci, "null");
    fputc('}', f);
}

static void emit_json(FILE *f, const void *ctx)
{
    const capacity_t *c = ctx;
    report_t r;
    int oom = build_report(c, &r);
    double ulo, uhi;
    unsure_band(c, &ulo, &uhi);
    fprintf(f, "{\n  \"schema\": \"" CAPACITY_SCHEMA "\",\n  \"scenario\": ");
    gate_json_put(f, c->name);
    fputs(",\n  \"file\": ", f);
    gate_json_put(f, c->o->file);
    fprintf(f, ",\n  \"id\": \"%s\",\n  \"metric\": {\"kind\": \"%s\", \"path\": ", c->id,
            c->multiple ? "traffic_multiple" : c->integer ? "integer" : "number");
    gate_json_put(f, c->path);
    if (c->unit[0]) {
        fputs(", \"unit\": ", f);
        gate_json_put(f, c->unit);
    }
    fputs(", \"base_rate\": ", f);
    journal_put_num(f, c->multiple ? c->rate : NAN, "null");
    fputs("},\n  \"range\": [", f);
    journal_put_num(f, c->lo, "null");
    fputs(", ", f);
    journal_put_num(f, c->hi, "null");
    fprintf(f, "],\n  \"tolerance\": {\"value\": ");
    journal_put_num(f, c->tol, "null");
    fprintf(f, ", \"relative\": %s},\n  \"seed\": %" PRIu64 ",\n  \"replications\": %d,\n"
               "  \"max_replications\": %d,\n  \"max_probes\": %d,\n",
            c->tol_rel ? "true" : "false", c->base->seed, c->o->replications, c->o->max_replications,
            c->o->max_probes);
    fprintf(f, "  \"result\": {\"bound\": \"%s\", \"%s\": ", c->sense > 0 ? "largest_passing" : "smallest_passing",
            c->sense > 0 ? "holds_up_to" : "holds_down_to");
    journal_put_num(f, c->probes[c->lp].x, "null");
    fputs(", \"fails_by\": ", f);
    journal_put_num(f, c->ff >= 0 ? c->probes[c->ff].x : NAN, "null");
    fputs(", \"unsure\": ", f);
    if (isnan(ulo))
        fputs("null", f);
    else {
        fputc('[', f);
        journal_put_num(f, ulo, "null");
        fputs(", ", f);
        journal_put_num(f, uhi, "null");
        fputc(']', f);
    }
    fprintf(f, ", \"converged\": %s},\n  \"first_gate\": ", c->converged ? "true" : "false");
    if (r.first_gate < 0)
        fputs("null", f);
    else {
        fputs("{\"name\": ", f);
        gate_json_put(f, c->base->slo[r.first_gate].name);
        fputs(", \"metric\": ", f);
        gate_json_put(f, c->base->slo[r.first_gate].metric);
        fputs(", \"fails_from\": ", f);
        journal_put_num(f, r.first_gate_x, "null");
        fputc('}', f);
    }
    fputs(",\n  \"probes\": [", f);
    for (size_t i = 0; i < c->nprobes; i++) {
        const cap_probe_t *cp = &c->probes[i];
        fprintf(f, "%s\n    {\"value\": ", i ? "," : "");
        journal_put_num(f, cp->x, "null");
        fprintf(f, ", \"verdict\": \"%s\", \"replications\": %d, \"gates\": [", probe_verdict_name(cp->p.verdict),
                cp->p.nreps);
        for (size_t g = 0; g < c->base->nslo; g++) {
            const probe_gate_t *pg = &cp->p.gates[g];
            fputs(g ? ", {\"name\": " : "{\"name\": ", f);
            gate_json_put(f, c->base->slo[g].name);
            fputs(", \"value\": ", f);
            journal_put_num(f, pg->value, "null");
            fputs(", \"ci95\": ", f);
            journal_put_num(f, pg->half, "null");
            fprintf(f, ", \"verdict\": \"%s\"}", probe_verdict_name(pg->verdict));
        }
        fputs("]}", f);
    }
    fputs("\n  ],\n  \"bottlenecks\": {\"at\": ", f);
    journal_put_num(f, r.brk ? r.brk->x : NAN, "null");
    fputs(", \"last_pass\": ", f);
    journal_put_num(f, r.pass ? r.pass->x : NAN, "null");
    fprintf(f, ", \"lead_apart\": %s", r.ncomp ? (lead_apart(&r) ? "true" : "false") : "null");
    fputs(", \"components\": [", f);
    for (size_t i = 0; !oom && i < r.ncomp; i++) {
        const component_t *cp = &r.comp[i];
        fprintf(f, "%s\n    {\"component\": ", i ? "," : "");
        gate_json_put(f, cp->name);
        fputs(", \"score\": ", f);
        journal_put_num(f, cp->score, "null");
        fputs(", \"score_low\": ", f);
        journal_put_num(f, cp->lo, "null");
        fputs(", \"lead\": ", f);
        gate_json_put(f, cp->sig[cp->lead].path);
        fputs(", \"second\": ", f);
        if (cp->second >= 0)
            gate_json_put(f, cp->sig[cp->second].path);
        else
            fputs("null", f);
        fputs(", \"signals\": [", f);
        for (size_t s = 0; s < cp->nsig; s++) {
            const signal_t *sg = &cp->sig[s];
            fputs(s ? ", {\"path\": " : "{\"path\": ", f);
            gate_json_put(f, sg->path);
            fputs(", ", f);
            json_vc(f, "at", sg->v, sg->ci);
            fputs(", ", f);
            json_vc(f, "last_pass", sg->v0, sg->ci0);
            fputs(", \"score\": ", f);
            journal_put_num(f, sg->score, "null");
            fputs(", \"score_low\": ", f);
            journal_put_num(f, sg->lo, "null");
            fputc('}', f);
        }
        fputs("]}", f);
    }
    fputs("\n  ]}\n}\n", f);
    free(r.comp);
}

static void emit_md(FILE *f, const void *ctx)
{
    const capacity_t *c = ctx;
    char buf[200], b1[64], b2[64];
    report_t r;
    int oom = build_report(c, &r);
    fputs("## Capacity of ", f);
    gate_md_put(f, c->name);
    fputs("\n\n", f);
    answer(f, c);
    fprintf(f, ".\n\nValue: %s. Every probe ran %d replications (up to %d when unsure) with the same seeds from "
               "%" PRIu64 "; a probe passes when every gate's whole 95%% interval passes, fails when one gate's "
               "whole interval fails.\n\n",
            metric_label(c, buf, sizeof buf), c->o->replications, c->o->max_replications, c->base->seed);
    fputs("| probe | value | verdict | replications |\n|---:|---:|---|---:|\n", f);
    for (size_t i = 0; i < c->nprobes; i++)
        fprintf(f, "| %zu | %s | %s | %d |\n", i + 1, c->probes[i].xtext, probe_verdict_name(c->probes[i].p.verdict),
                c->probes[i].p.nreps);
    if (r.first_gate >= 0) {
        fputs("\nFirst gate to fail: **", f);
        gate_md_put(f, c->base->slo[r.first_gate].name);
        fprintf(f, "** (from %.6g).\n", r.first_gate_x);
    }
    if (r.brk && !oom) {
        fprintf(f, "\n### Bottlenecks at %s (beside %s)\n\nRanked by the low end of the score's 95%% interval "
                   "(1 = saturated); each component's second signal below it.\n\n"
                   "| rank | component | signal | score | low | at %s | at %s |\n"
                   "|---:|---|---|---:|---:|---:|---:|\n",
                r.brk->xtext, r.pass ? r.pass->xtext : "-", r.brk->xtext, r.pass ? r.pass->xtext : "-");
        for (size_t i = 0; i < r.ncomp; i++) {
            const component_t *cp = &r.comp[i];
            for (int k = 0; k < 2; k++) {
                if (k == 1 && cp->second < 0)
                    break;
                const signal_t *s = &cp->sig[k == 0 ? cp->lead : (size_t)cp->second];
                if (k == 0) {
                    fprintf(f, "| %zu | ", i + 1);
                    gate_md_put(f, cp->name);
                } else
                    fputs("| | ", f);
                fputs(" | ", f);
                gate_md_put(f, s->what);
                fprintf(f, " | %.3f | %.3f | %s | %s |\n", s->score, s->lo, pm(b1, sizeof b1, s->v, s->ci),
                        pm(b2, sizeof b2, s->v0, s->ci0));
            }
        }
        if (!lead_apart(&r))
            fprintf(f, "\n1 and 2 are not told apart: 1's low end, %.3f, is below 2's score, %.3f; more "
                       "replications may order them.\n", r.comp[0].lo, r.comp[1].score);
    }
    free(r.comp);
}

static void remove_journal(capacity_t *c)
{
    if (c->jfd < 0)
        return;
    close(c->jfd);
    c->jfd = -1;
    unlink(c->journal);
}

void capacity_abandon(capacity_t *c)
{
    if (c->unbracketed)
        remove_journal(c);
}

int capacity_finish(capacity_t *c, char *err, size_t errlen)
{
    char *json = run_strprintf("%s/capacity.json", c->dir);
    char *md = run_strprintf("%s/capacity.md", c->dir);
    int rc = CAPACITY_OK;
    if (!json || !md) {
        snprintf(err, errlen, "out of memory");
        rc = CAPACITY_FAILED;
    } else if (gate_write_file(json, emit_json, c, err, errlen) != 0 || gate_write_file(md, emit_md, c, err, errlen) != 0)
        rc = CAPACITY_FAILED;
    else
        remove_journal(c);
    free(json);
    free(md);
    return rc;
}
