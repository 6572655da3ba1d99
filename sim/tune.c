/* tune: the race, the journal and the reports (tune.h says what is
 * guaranteed).
 *
 * Invariants kept here:
 * - vals[(p * R + k) * nvals ...] holds replication k of point p once
 *   have[p * R + k] is set; it is written by its one job (or the journal)
 *   and never changed, so a judgement depends only on the values.
 * - The journal is appended to only under t->lock and only while the
 *   search is not closed; a stop closes it under the same lock. */
#include "sim/tune.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sim/cfg.h"
#include "sim/compare.h"
#include "sim/gate.h"
#include "sim/journal.h"
#include "sim/probe.h"
#include "sim/results.h"
#include "sim/run.h"
#include "sim/scenario.h"
#include "sim/world.h"

#define JOURNAL "tune.journal"
#define JOURNAL_MAGIC "# clustersim tune journal v1 id="

enum { ALIVE, INFEASIBLE, DOMINATED };

typedef struct round {
    int reps;        /* replications of each candidate after it */
    size_t alive;    /* candidates in it */
    long sims;       /* simulations it added */
    size_t dropped;  /* candidates it dropped */
} round_t;

/* Where a varied key's value is in the file's text. */
typedef struct spot {
    size_t at, len;  /* byte offset and length of the value */
    size_t axis;
} spot_t;

struct tune {
    const tune_opts_t *o;
    const sweep_grid_t *g;
    size_t npoints;
    int R, r0;
    int looks;                /* the race's rounds: r0, 2 r0, ... up to R (each a look at every candidate) */
    long budget;
    char *name;
    char id[17];
    scenario_t *sc0;          /* point 0: the gates every point has */
    size_t npaths;
    const char **paths;       /* the objective, then each gate's metric */
    metrics_t layout;         /* those paths' metrics, of their kinds (a proportion keeps its counts) */
    size_t nvals;             /* per replication: metrics_numbers(layout), the paths' values, then each
                                 proportion's trials and successes, then whether it overloaded */
    double *vals;
    bool *have;
    /* per point */
    int *state, *dropped_at;
    size_t *by;               /* DOMINATED: by which point */
    probe_eval_t *ev;               /* the last judgement (ev[p].replications 0: none) */
    bool *pareto;
    size_t winner;            /* SIZE_MAX: none */
    round_t *rounds;
    size_t nrounds;
    long spent, from_journal;
    /* the file's text and where each varied value is in it */
    char *text;
    size_t textlen;
    spot_t *spots;
    /* the directory and the journal */
    char *dir, *journal;
    int jfd;
    /* a round */
    size_t *jobs, njobs, jobs_done;
    size_t *pending;          /* a round's cells without values */
    scenario_t **sc;          /* per point, loaded for the round */
    _Atomic size_t next;
    _Atomic int failed;
    bool closed;
    pthread_mutex_t lock;
    pthread_cond_t changed;
    char err[1024];
};

/* ---- the winner's text ----------------------------------------------------------- */

/* The byte offset of 1-based (line, col) in text, columns counting
 * characters (UTF-8), as libyaml's marks do; SIZE_MAX when outside. */
static size_t text_offset(const char *text, size_t n, int line, int col)
{
    size_t i = 0;
    for (int l = 1; l < line; l++) {
        const char *nl = memchr(text + i, '\n', n - i);
        if (!nl)
            return SIZE_MAX;
        i = (size_t)(nl - text) + 1;
    }
    for (int c = 1; c < col && i < n; c++) {
        i++;
        while (i < n && ((unsigned char)text[i] & 0xC0) == 0x80)
            i++;
    }
    return i < n ? i : SIZE_MAX;
}

/* The length of the scalar token starting at s: a quoted one to its closing
 * quote, a plain one to the end of the line, a comment, or a flow
 * indicator (',', ']', '}'), trailing blanks left out. */
static size_t token_len(const char *s)
{
    size_t i = 0;
    if (s[0] == '"' || s[0] == '\'') {
        for (i = 1; s[i] && s[i] != '\n'; i++) {
            if (s[0] == '"' && s[i] == '\\' && s[i + 1])
                i++;
            else if (s[i] == s[0]) {
                if (s[0] == '\'' && s[i + 1] == '\'')
                    i++;
                else
                    return i + 1;
            }
        }
        return i;
    }
    while (s[i] && s[i] != '\n' && s[i] != '\r' && s[i] != ',' && s[i] != ']' && s[i] != '}' &&
           !(s[i] == '#' && i > 0 && (s[i - 1] == ' ' || s[i - 1] == '\t')))
        i++;
    while (i > 0 && (s[i - 1] == ' ' || s[i - 1] == '\t'))
        i--;
    return i;
}

/* How many paths of the tree reach a scalar written at pos: more than one
 * when it is an alias's (an alias is a copy of its anchor's node, at the
 * anchor's place) or a merge key's. */
static size_t paths_to(const cfg_node_t *n, srcpos_t pos)
{
    if (!n)
        return 0;
    if (n->kind == CFG_SCALAR)
        return n->pos.line == pos.line && n->pos.col == pos.col;
    size_t k = 0;
    for (size_t i = 0; i < n->n; i++)
        k += n->kind == CFG_MAP ? paths_to(n->pairs[i].val, pos) : paths_to(n->items[i], pos);
    return k;
}

static int spot_cmp(const void *a, const void *b)
{
    const spot_t *x = a, *y = b;
    return x->at < y->at ? -1 : x->at > y->at ? 1 : 0;
}

/* Finds each varied key's value in the scenario file's own text (t->spots,
 * in the order of the text). The value must be that key's alone, on its
 * line: not an alias's or a merge key's copy, whose text other keys share,
 * nor a block scalar; an anchor before it stays. 0, or -1 with an error in
 * d (-2: out of memory). */
static int find_spots(tune_t *t, diag_t *d)
{
    const char *file = t->o->so.file;
    t->text = journal_read_all(file, &t->textlen);
    t->spots = calloc(t->g->naxes + 1, sizeof *t->spots);
    arena_t *a = arena_new();
    if (!t->text || !t->spots || !a) {
        arena_free(a);
        diag_oom(d, (srcpos_t){file, 1, 1});
        return -2;
    }
    diag_t *pd = calloc(1, sizeof *pd);
    cfg_node_t *root = NULL;
    if (pd) {
        diag_init(pd);
        root = cfg_parse_file(a, file, pd);
    }
    int rc = 0;
    for (size_t i = 0; i < t->g->naxes && rc == 0; i++) {
        const sweep_axis_t *ax = &t->g->axes[i];
        cfg_node_t *n = root;
        const char *p = ax->path;
        size_t missing = 0; /* the length of the path up to the first key the file lacks (0: none) */
        while (n && *p) {
            size_t len = strcspn(p, ".");
            char key[256];
            snprintf(key, sizeof key, "%.*s", (int)len, p);
            if (n->kind == CFG_MAP) {
                cfg_pair_t *pr = cfg_find(n, key);
                n = pr ? pr->val : NULL;
            } else if (n->kind == CFG_SEQ) {
                char *end;
                unsigned long k = strtoul(key, &end, 10);
                n = *key && !*end && k < n->n ? n->items[k] : NULL;
            } else
                n = NULL;
            if (!n)
                missing = (size_t)(p - ax->path) + len;
            p += len + (p[len] == '.');
        }
        size_t at = n && n->kind == CFG_SCALAR && n->pos.line > 0
                        ? text_offset(t->text, t->textlen, n->pos.line, n->pos.col)
                        : SIZE_MAX;
        char label[32];
        snprintf(label, sizeof label, "--vary[%d]", ax->option);
        if (at == SIZE_MAX || cfg_is_null(n)) {
            char lacks[320] = "";
            if (missing > 0 && missing < strlen(ax->path))
                snprintf(lacks, sizeof lacks, " (the file has no '%.*s'; check the spelling)", (int)missing,
                         ax->path);
            diag_error(d, (srcpos_t){label, 1, 1},
                       "'%s' is not a value written in %s%s: tune writes the winner (winner.yaml) by replacing "
                       "each varied value in the file's text, so the key must be there; add it with its current "
                       "value", ax->path, file, lacks);
            rc = -1;
            break;
        }
        if (paths_to(root, n->pos) > 1) {
            diag_error(d, (srcpos_t){label, 1, 1},
                       "'%s' is the value at %s:%d:%d, which other keys share (an anchor's alias or a merge key "
                       "copies it): tune writes the winner by replacing the value in the file's text, which "
                       "would change them too; write this key's value out on its own",
                       ax->path, file, n->pos.line, n->pos.col);
            rc = -1;
            break;
        }
        /* an anchor (or a tag) before the value stays */
        while (t->text[at] == '&' || t->text[at] == '!') {
            while (at < t->textlen && t->text[at] != ' ' && t->text[at] != '\t' && t->text[at] != '\n')
                at++;
            while (at < t->textlen && (t->text[at] == ' ' || t->text[at] == '\t'))
                at++;
        }
        if (t->text[at] == '|' || t->text[at] == '>' || t->text[at] == '\n') {
            diag_error(d, (srcpos_t){label, 1, 1},
                       "'%s' is written as a block scalar at %s:%d:%d: tune replaces values on their own line; "
                       "write it on the key's line", ax->path, file, n->pos.line, n->pos.col);
            rc = -1;
            break;
        }
        t->spots[i] = (spot_t){at, token_len(t->text + at), i};
    }
    if (rc == 0) {
        qsort(t->spots, t->g->naxes, sizeof *t->spots, spot_cmp);
        for (size_t i = 1; i < t->g->naxes; i++)
            if (t->spots[i].at < t->spots[i - 1].at + t->spots[i - 1].len) {
                /* (paths are checked to differ, and spell an index one way only) */
                const sweep_axis_t *x = &t->g->axes[t->spots[i - 1].axis], *y = &t->g->axes[t->spots[i].axis];
                char label[32];
                snprintf(label, sizeof label, "--vary[%d]", y->option);
                diag_error(d, (srcpos_t){label, 1, 1}, "'%s' and '%s' are the same value in %s's text", x->path,
                           y->path, file);
                rc = -1;
                break;
            }
    }
    free(pd);
    arena_free(a);
    return rc;
}

/* The scenario's text with each varied value replaced by the winner's
 * (the spots are in the order of the text, apart). */
static void emit_winner(FILE *f, const void *ctx)
{
    const tune_t *t = ctx;
    size_t pos = 0;
    for (size_t i = 0; i < t->g->naxes; i++) {
        const spot_t *sp = &t->spots[i];
        fwrite(t->text + pos, 1, sp->at - pos, f);
        fputs(t->g->axes[sp->axis].values[sweep_grid_index(t->g, t->winner, sp->axis)], f);
        pos = sp->at + sp->len;
    }
    fwrite(t->text + pos, 1, t->textlen - pos, f);
}

/* ---- setting up -------------------------------------------------------------------- */

static bool same_gates(const scenario_t *a, const scenario_t *b)
{
    if (a->nslo != b->nslo)
        return false;
    for (size_t i = 0; i < a->nslo; i++)
        if (strcmp(a->slo[i].name, b->slo[i].name) || strcmp(a->slo[i].metric, b->slo[i].metric) ||
            a->slo[i].op != b->slo[i].op || a->slo[i].threshold != b->slo[i].threshold)
            return false;
    return true;
}

/* Checks point p's scenario: the gates of point 0, the objective. */
static void check_point(tune_t *t, size_t p, const scenario_t *sc, diag_t *d)
{
    const tune_opts_t *o = t->o;
    if (p == 0 && sc->nslo == 0)
        diag_error(d, (srcpos_t){o->so.file, 1, 1}, "the scenario has no slo: gates; tune looks for the "
                                                     "configuration that meets every gate, so it needs at least one");
    if (p > 0 && !same_gates(t->sc0, sc))
        diag_error(d, (srcpos_t){o->so.file, 1, 1}, "point %zu has other slo: gates than point 0: tune judges "
                                                     "every candidate by the same gates (do not --vary slo)", p);
    metrics_t paths;
    metrics_init(&paths);
    if (scenario_metric_paths(sc, &paths) != 0) {
        diag_oom(d, (srcpos_t){o->so.file, 1, 1});
    } else if (!metrics_find(&paths, o->objective)) {
        const char *near[3];
        metrics_nearest(&paths, o->objective, near);
        char at[48] = "";
        if (p)
            snprintf(at, sizeof at, " at point %zu", p);
        diag_error(d, (srcpos_t){"--objective", 1, 1},
                   "'%s' is not a metric of %s%s (its summary.json has no such path; nearest: %s, %s, %s)",
                   o->objective, o->so.file, at, near[0], near[1], near[2]);
    }
    metrics_free(&paths);
}

static void make_id(tune_t *t)
{
    const tune_opts_t *o = t->o;
    uint64_t h = journal_id_start(TUNE_SCHEMA, t->text, t->textlen, o->so.sets, o->so.nsets);
    h = sweep_grid_hash(h, t->g);
    char buf[128];
    snprintf(buf, sizeof buf, "objective %s R%d r0 %d budget %ld", o->maximize ? "max" : "min", t->R, t->r0,
             t->budget);
    h = journal_fnv_str(h, buf);
    h = journal_fnv_str(h, o->objective);
    h = journal_fnv_str(h, "proportions' counts"); /* journals before them hold fewer numbers a line */
    snprintf(t->id, sizeof t->id, "%016" PRIx64, h);
}

tune_t *tune_new(const tune_opts_t *o, diag_t *d, int *rc)
{
    *rc = TUNE_FAILED;
    tune_t *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->o = o;
    t->g = o->so.grid;
    t->npoints = t->g->npoints ? t->g->npoints : 1;
    t->R = o->so.replications;
    t->r0 = o->initial;
    t->looks = probe_looks(t->r0, t->R);
    t->winner = SIZE_MAX;
    t->jfd = -1;
    pthread_mutex_init(&t->lock, NULL);
    pthread_cond_init(&t->changed, NULL);
    long minimum = (long)t->npoints * t->r0 + t->R - t->r0;
    t->budget = o->budget ? o->budget : (long)t->npoints * t->R;
    if (t->R < 2 || t->r0 < 2 || t->r0 > t->R) {
        diag_error(d, (srcpos_t){"--replications", 1, 1}, "tune needs 2 <= --initial (%d) <= --replications (%d): "
                                                          "a race drops candidates by 95%% intervals", t->r0, t->R);
        *rc = TUNE_BAD_INPUT;
        tune_free(t);
        return NULL;
    }
    if ((double)t->npoints * t->R > TUNE_MAX_JOBS) {
        diag_error(d, (srcpos_t){"--vary", 1, 1}, "%zu points x %d replications is over tune's limit of %d",
                   t->npoints, t->R, TUNE_MAX_JOBS);
        *rc = TUNE_BAD_INPUT;
        tune_free(t);
        return NULL;
    }
    if (t->budget < minimum) {
        diag_error(d, (srcpos_t){"--budget", 1, 1}, "a budget of %ld simulations is too small: the first round "
                                                    "(%zu points x %d) and the winner's top-up to %d need %ld",
                   t->budget, t->npoints, t->r0, t->R, minimum);
        *rc = TUNE_BAD_INPUT;
        tune_free(t);
        return NULL;
    }
    for (size_t p = 0; p < t->npoints; p++) {
        diag_t *pd = p == 0 ? d : calloc(1, sizeof *pd);
        if (!pd) {
            tune_free(t);
            return NULL;
        }
        if (p)
            diag_init(pd);
        scenario_t *sc = sweep_load_point(&o->so, p, pd);
        if (sc)
            check_point(t, p, sc, pd);
        if (pd != d) {
            for (size_t i = 0; i < pd->n; i++)
                if (!pd->msgs[i].warning && d->n < DIAG_MAX)
                    d->msgs[d->n++] = pd->msgs[i];
            d->errors += pd->errors;
            d->oom |= pd->oom;
            free(pd);
        }
        if (p == 0)
            t->sc0 = sc;
        else
            scenario_free(sc);
        if (d->errors) {
            *rc = diag_exit_code(d) == 3 ? TUNE_FAILED : TUNE_BAD_INPUT;
            tune_free(t);
            return NULL;
        }
    }
    int fs = find_spots(t, d);
    if (fs != 0) {
        *rc = fs == -2 ? TUNE_FAILED : TUNE_BAD_INPUT;
        tune_free(t);
        return NULL;
    }
    t->npaths = 1 + t->sc0->nslo;
    if (t->npaths > TUNE_MAX_GATES + 1) {
        diag_error(d, (srcpos_t){o->so.file, 1, 1}, "%zu slo: gates are over tune's limit of %d", t->sc0->nslo,
                   TUNE_MAX_GATES);
        *rc = TUNE_BAD_INPUT;
        tune_free(t);
        return NULL;
    }
    size_t cells = t->npoints * (size_t)t->R;
    t->paths = calloc(t->npaths, sizeof *t->paths);
    if (!t->paths) {
        tune_free(t);
        return NULL;
    }
    t->paths[0] = o->objective;
    for (size_t i = 0; i < t->sc0->nslo; i++)
        t->paths[1 + i] = t->sc0->slo[i].metric;
    /* a proportion (an error rate, a hit ratio) keeps its counts, which
     * bound its interval as they do in check's (results_ci95) */
    metrics_t mp;
    metrics_init(&mp);
    int lrc = scenario_metric_paths(t->sc0, &mp) != 0 ? -1 : metrics_select(&t->layout, &mp, t->paths, t->npaths);
    metrics_free(&mp);
    if (lrc != 0) {
        tune_free(t);
        return NULL;
    }
    t->nvals = metrics_numbers(&t->layout);
    t->vals = calloc(cells * t->nvals, sizeof *t->vals);
    t->have = calloc(cells, sizeof *t->have);
    t->state = calloc(t->npoints, sizeof *t->state);
    t->dropped_at = calloc(t->npoints, sizeof *t->dropped_at);
    t->by = calloc(t->npoints, sizeof *t->by);
    t->ev = calloc(t->npoints, sizeof *t->ev);
    t->pareto = calloc(t->npoints, sizeof *t->pareto);
    t->sc = calloc(t->npoints, sizeof *t->sc);
    t->jobs = calloc(cells, sizeof *t->jobs);
    t->pending = calloc(cells, sizeof *t->pending);
    t->name = run_strprintf("%s", t->sc0->name);
    if (!t->vals || !t->have || !t->state || !t->dropped_at || !t->by || !t->ev || !t->pareto || !t->sc ||
        !t->jobs || !t->pending || !t->name) {
        tune_free(t);
        return NULL;
    }
    make_id(t);
    *rc = TUNE_OK;
    return t;
}

void tune_free(tune_t *t)
{
    if (!t)
        return;
    for (size_t p = 0; t->ev && p < t->npoints; p++)
        probe_eval_free(&t->ev[p]);
    for (size_t p = 0; t->sc && p < t->npoints; p++)
        scenario_free(t->sc[p]);
    scenario_free(t->sc0);
    free(t->paths);
    metrics_free(&t->layout);
    free(t->vals);
    free(t->have);
    free(t->state);
    free(t->dropped_at);
    free(t->by);
    free(t->ev);
    free(t->pareto);
    free(t->sc);
    free(t->jobs);
    free(t->pending);
    free(t->rounds);
    free(t->name);
    free(t->text);
    free(t->spots);
    free(t->dir);
    free(t->journal);
    if (t->jfd >= 0)
        close(t->jfd);
    pthread_mutex_destroy(&t->lock);
    pthread_cond_destroy(&t->changed);
    free(t);
}

const char *tune_name(const tune_t *t) { return t->name; }
bool tune_has_winner(const tune_t *t) { return t->winner != SIZE_MAX; }
long tune_from_journal(const tune_t *t) { return t->from_journal; }

/* ---- the journal --------------------------------------------------------------------- */

/* The journal line of replication k of point p (malloc'd, no newline). */
static char *journal_line(const tune_t *t, size_t p, int k)
{
    size_t cap = 48 + t->nvals * 32;
    char *line = malloc(cap);
    if (!line)
        return NULL;
    size_t n = (size_t)snprintf(line, cap, "%zu,%d", p, k);
    const double *v = &t->vals[(p * (size_t)t->R + (size_t)k) * t->nvals];
    for (size_t i = 0; i < t->nvals; i++) {
        char num[40];
        journal_fmt_num(num, sizeof num, v[i]);
        n += (size_t)snprintf(line + n, cap - n, ",%s", num);
    }
    return line;
}

/* Reads a line of the journal into the table: 0, or -1 when it is not one. */
static int journal_read_line(tune_t *t, char *line)
{
    char *end;
    errno = 0;
    unsigned long long p = strtoull(line, &end, 10);
    if (end == line || *end != ',' || errno || p >= t->npoints || !(line[0] >= '0' && line[0] <= '9'))
        return -1;
    char *s = end + 1;
    long k = strtol(s, &end, 10);
    if (end == s || *end != ',' || k < 0 || k >= t->R || !(s[0] >= '0' && s[0] <= '9'))
        return -1;
    double vals[TUNE_MAX_VALS];
    for (size_t i = 0; i < t->nvals; i++) {
        if (*end != ',')
            return -1;
        s = end + 1;
        if (*s == ',' || *s == '\0') {
            vals[i] = NAN;
            end = s;
            continue;
        }
        vals[i] = strtod(s, &end);
        if (end == s || !isfinite(vals[i]))
            return -1;
    }
    if (*end)
        return -1;
    size_t cell = (size_t)p * (size_t)t->R + (size_t)k;
    double *dst = &t->vals[cell * t->nvals];
    if (t->have[cell])
        return memcmp(dst, vals, t->nvals * sizeof *dst) == 0 ? 0 : -1;
    memcpy(dst, vals, t->nvals * sizeof *dst);
    t->have[cell] = true;
    t->from_journal++;
    return 0;
}

/* A journal line of the search (tune_open). */
static int tune_line(void *ctx, char *line, size_t lineno, const char *path, char *err, size_t errlen)
{
    if (journal_read_line(ctx, line) == 0)
        return 0;
    snprintf(err, errlen, "%s:%zu:1: not a line of this search's journal", path, lineno);
    return -1;
}

int tune_open(tune_t *t, const char *dir, bool resume, char *err, size_t errlen)
{
    t->dir = run_strprintf("%s", dir);
    t->journal = run_strprintf("%s/%s", dir, JOURNAL);
    if (!t->dir || !t->journal) {
        snprintf(err, errlen, "out of memory");
        return TUNE_FAILED;
    }
    sweep_journal_t j = {dir, JOURNAL, "tune.json", JOURNAL_MAGIC, t->id, "", "search",
                         "the scenario file, --set, --seed, --duration, the --vary grid, --objective, "
                         "--replications, --initial or --budget", 1, tune_line, t};
    return sweep_journal_open(&j, resume, &t->jfd, err, errlen);
}

int tune_finished_winner(const char *dir)
{
    char *path = run_strprintf("%s/tune.json", dir);
    size_t n;
    char *text = path ? journal_read_all(path, &n) : NULL;
    free(path);
    if (!text)
        return -1;
    const char *at = strstr(text, "\n  \"winner\": ");
    int rc = !at ? -1 : strncmp(at + 13, "null", 4) != 0;
    free(text);
    return rc;
}

/* ---- running a round ------------------------------------------------------------------- */

/* The first failure's message is kept; the others wake up. Under t->lock. */
static void fail(tune_t *t, const char *msg)
{
    if (!atomic_exchange(&t->failed, 1))
        snprintf(t->err, sizeof t->err, "%s", msg);
    pthread_cond_broadcast(&t->changed);
}

/* Keeps v (t->nvals values) as cell's and journals them: 0 or an errno
 * (the journal is then closed). Under t->lock. */
static int store_cell(tune_t *t, size_t cell, const double *v)
{
    if (t->have[cell])
        return 0;
    memcpy(&t->vals[cell * t->nvals], v, t->nvals * sizeof *v);
    char *line = t->jfd >= 0 ? journal_line(t, cell / (size_t)t->R, (int)(cell % (size_t)t->R)) : NULL;
    int e = t->jfd < 0 ? 0 : !line ? ENOMEM : journal_append(t->jfd, line, &t->closed);
    free(line);
    if (e)
        t->closed = true;
    else
        t->have[cell] = true;
    return e;
}

int tune_store(tune_t *t, size_t cell, const double *v)
{
    pthread_mutex_lock(&t->lock);
    int e = t->closed ? EIO : store_cell(t, cell, v);
    pthread_mutex_unlock(&t->lock);
    return e;
}

size_t tune_nvals(const tune_t *t) { return t->nvals; }
size_t tune_cells(const tune_t *t) { return t->npoints * (size_t)t->R; }
bool *tune_have(tune_t *t) { return t->have; }
double *tune_table(tune_t *t) { return t->vals; }

static void *worker(void *arg)
{
    tune_t *t = arg;
    for (;;) {
        if (atomic_load(&t->failed))
            break;
        size_t j = atomic_fetch_add(&t->next, 1);
        if (j >= t->njobs)
            break;
        size_t cell = t->jobs[j], p = cell / (size_t)t->R;
        int k = (int)(cell % (size_t)t->R);
        metrics_t m;
        metrics_init(&m);
        world_t *w = world_new(t->sc[p], k, NULL);
        if (w && world_run(w) == 0)
            world_collect(w, &m);
        else if (w && w->overloaded) /* past what the platform serves: its gates fail */
            world_collect_overloaded(w, &m);
        char msg[512];
        pthread_mutex_lock(&t->lock);
        if (!w || m.oom)
            fail(t, "out of memory running a replication");
        else if (w->failed && !w->overloaded) {
            snprintf(msg, sizeof msg, "point %zu, replication %d: %s", p, k, w->error);
            fail(t, msg);
        } else if (!t->closed) {
            double v[TUNE_MAX_VALS];
            metrics_t sel;
            metrics_init(&sel);
            int e = 0;
            if (metrics_select(&sel, &m, t->paths, t->npaths) != 0 || metrics_numbers(&sel) != t->nvals)
                fail(t, "out of memory running a replication"); /* (its paths are the scenario's: no other) */
            else {
                metrics_to_numbers(&sel, v);
                e = store_cell(t, cell, v);
            }
            metrics_free(&sel);
            if (e) {
                snprintf(msg, sizeof msg, "writing to '%s' failed: %s", t->journal, strerror(e));
                fail(t, msg);
            }
        }
        world_free(w);
        metrics_free(&m);
        t->jobs_done++;
        pthread_cond_broadcast(&t->changed);
        pthread_mutex_unlock(&t->lock);
    }
    return NULL;
}

/* Runs the replications [0, r) of the points in pts[0..n) that the table
 * does not hold yet, by the runner of the options (default: threads).
 * TUNE_OK, TUNE_FAILED or TUNE_STOPPED (see tune_run). */
static int run_round(tune_t *t, const size_t *pts, size_t n, int r, char *err, size_t errlen)
{
    size_t nc = 0;
    for (size_t i = 0; i < n; i++)
        for (int k = 0; k < r; k++) {
            size_t cell = pts[i] * (size_t)t->R + (size_t)k;
            if (!t->have[cell])
                t->pending[nc++] = cell;
        }
    if (nc == 0)
        return TUNE_OK;
    if (t->o->runner)
        return t->o->runner(t, t->pending, nc, t->o->so.stop, err, errlen);
    return tune_run_cells(t, t->pending, nc, err, errlen);
}

int tune_run_cells(tune_t *t, const size_t *cells, size_t n, char *err, size_t errlen)
{
    t->njobs = t->jobs_done = 0;
    atomic_store(&t->next, 0);
    for (size_t i = 0; i < n; i++)
        if (!t->have[cells[i]])
            t->jobs[t->njobs++] = cells[i];
    if (t->njobs == 0)
        return TUNE_OK;
    diag_t *d = calloc(1, sizeof *d);
    if (!d) {
        snprintf(err, errlen, "out of memory");
        return TUNE_FAILED;
    }
    for (size_t j = 0; j < t->njobs; j++) {
        size_t p = t->jobs[j] / (size_t)t->R;
        if (t->sc[p])
            continue;
        diag_init(d);
        if (!(t->sc[p] = sweep_load_point(&t->o->so, p, d))) {
            snprintf(err, errlen, "point %zu no longer loads: %s", p, d->n ? d->msgs[0].text : "?");
            free(d);
            return TUNE_FAILED;
        }
    }
    free(d);
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    int nt = t->o->so.threads > 0 ? t->o->so.threads : (int)(cores > 0 ? cores : 1);
    if ((size_t)nt > t->njobs)
        nt = (int)t->njobs;
    pthread_t *th = calloc((size_t)nt, sizeof *th);
    if (!th) {
        snprintf(err, errlen, "out of memory");
        return TUNE_FAILED;
    }
    int started = 0;
    for (int i = 0; i < nt; i++)
        if (pthread_create(&th[started], NULL, worker, t) == 0)
            started++;
    if (started == 0)
        worker(t);
    bool stopped = false;
    pthread_mutex_lock(&t->lock);
    while (started && t->jobs_done < t->njobs && !atomic_load(&t->failed)) {
        run_wait_100ms(&t->changed, &t->lock);
        if (t->o->so.stop && atomic_load(t->o->so.stop)) {
            t->closed = true; /* under the lock: no line is being written, none will be */
            stopped = true;
            break;
        }
    }
    pthread_mutex_unlock(&t->lock);
    if (stopped) {
        snprintf(err, errlen, "stopped; the replications done are in the journal (--resume continues)");
        return TUNE_STOPPED;
    }
    for (int i = 0; i < started; i++)
        pthread_join(th[i], NULL);
    free(th);
    for (size_t j = 0; j < t->njobs; j++) {
        size_t p = t->jobs[j] / (size_t)t->R;
        scenario_free(t->sc[p]);
        t->sc[p] = NULL;
    }
    if (atomic_load(&t->failed)) {
        snprintf(err, errlen, "%s", t->err);
        return TUNE_FAILED;
    }
    return TUNE_OK;
}

/* ---- the race ------------------------------------------------------------------------------ */

/* Judges point p on its replications [0, r). 0, or -1 (out of memory). */
static int judge(tune_t *t, size_t p, int r)
{
    metrics_t *reps = calloc((size_t)r, sizeof *reps);
    if (!reps)
        return -1;
    bool oom = false;
    for (int k = 0; k < r; k++) {
        metrics_init(&reps[k]);
        if (metrics_select(&reps[k], &t->layout, t->paths, t->npaths) == 0)
            metrics_from_numbers(&reps[k], &t->vals[(p * (size_t)t->R + (size_t)k) * t->nvals]);
        oom |= reps[k].oom;
    }
    probe_eval_free(&t->ev[p]);
    int rc = oom ? -1 : probe_judge(t->sc0, t->o->objective, reps, r, t->looks, &t->ev[p]);
    for (int k = 0; k < r; k++)
        metrics_free(&reps[k]);
    free(reps);
    return rc;
}

/* The objective of point p as a cost (lower is better). */
static double cost_of(const tune_t *t, size_t p) { return t->o->maximize ? -t->ev[p].objective : t->ev[p].objective; }

/* Whether q beats p with confidence on the objective: the interval of the
 * paired differences p - q (as costs) over [0, r) is above 0, one-sided at
 * 2.5% / looks (the race judges p once a round: probe_split), the
 * resolution floor added as it is. */
static bool beats(const tune_t *t, size_t q, size_t p, int r)
{
    double b[64], c[64];
    double *bv = r <= 64 ? b : malloc((size_t)r * sizeof *bv), *cv = r <= 64 ? c : malloc((size_t)r * sizeof *cv);
    bool yes = false;
    if (bv && cv) {
        for (int k = 0; k < r; k++) {
            bv[k] = t->vals[(q * (size_t)t->R + (size_t)k) * t->nvals];
            cv[k] = t->vals[(p * (size_t)t->R + (size_t)k) * t->nvals];
        }
        double floor = results_resolution(t->o->objective, t->ev[p].objective) +
                       results_resolution(t->o->objective, t->ev[q].objective);
        double mean, half;
        int pairs = compare_paired(bv, cv, (size_t)r, 0, &mean, &half);
        half = probe_split(half, pairs - 1, t->looks) + floor;
        if (t->o->maximize)
            mean = -mean;
        yes = !isnan(half) && mean - half > 0;
    }
    if (bv != b)
        free(bv);
    if (cv != c)
        free(cv);
    return yes;
}

static int add_round(tune_t *t, int r, size_t alive, long sims)
{
    round_t *nr = realloc(t->rounds, (t->nrounds + 1) * sizeof *nr);
    if (!nr)
        return -1;
    t->rounds = nr;
    t->rounds[t->nrounds++] = (round_t){r, alive, sims, 0};
    return 0;
}

/* The alive points in pts (their count). */
static size_t alive_points(const tune_t *t, size_t *pts)
{
    size_t n = 0;
    for (size_t p = 0; p < t->npoints; p++)
        if (t->state[p] == ALIVE)
            pts[n++] = p;
    return n;
}

/* The survivor with the least cost that may meet every gate (feasible, or
 * undecided: not surely failing one), not tried yet. */
static size_t best_survivor(const tune_t *t, const bool *tried)
{
    size_t best = SIZE_MAX;
    for (size_t p = 0; p < t->npoints; p++)
        if (t->state[p] == ALIVE && !tried[p] && !t->ev[p].infeasible && !isnan(t->ev[p].objective) &&
            (best == SIZE_MAX || cost_of(t, p) < cost_of(t, best)))
            best = p;
    return best;
}

static void mark_pareto(tune_t *t)
{
    for (size_t p = 0; p < t->npoints; p++) {
        const probe_eval_t *e = &t->ev[p];
        t->pareto[p] = e->replications > 0 && !isnan(e->objective) && !isnan(e->margin);
        for (size_t q = 0; q < t->npoints && t->pareto[p]; q++) {
            const probe_eval_t *f = &t->ev[q];
            if (q == p || f->replications == 0 || isnan(f->objective) || isnan(f->margin))
                continue;
            double cp = cost_of(t, p), cq = cost_of(t, q);
            bool dom = cq <= cp && f->margin >= e->margin && (cq < cp || f->margin > e->margin);
            /* equal points: the first in grid order stands for them */
            bool same = cq == cp && f->margin == e->margin && q < p;
            if (dom || same)
                t->pareto[p] = false;
        }
    }
}

int tune_run(tune_t *t, char *err, size_t errlen)
{
    size_t *pts = calloc(t->npoints, sizeof *pts);
    bool *tried = calloc(t->npoints, sizeof *tried);
    if (!pts || !tried) {
        free(pts);
        free(tried);
        snprintf(err, errlen, "out of memory");
        return TUNE_FAILED;
    }
    int rc = TUNE_OK, r = t->r0, had = 0;
    for (;;) {
        size_t n = alive_points(t, pts);
        if ((rc = run_round(t, pts, n, r, err, errlen)) != TUNE_OK)
            break;
        long sims = (long)n * (r - had);
        t->spent += sims;
        if (add_round(t, r, n, sims) != 0)
            goto oom;
        for (size_t i = 0; i < n; i++)
            if (judge(t, pts[i], r) != 0)
                goto oom;
        /* drop: a gate surely failing, or beaten surely by a candidate that meets every gate */
        size_t dropped = 0;
        for (size_t i = 0; i < n; i++) {
            size_t p = pts[i];
            if (t->ev[p].infeasible) {
                t->state[p] = INFEASIBLE;
                t->dropped_at[p] = r;
                dropped++;
                continue;
            }
            for (size_t j = 0; j < n; j++) {
                size_t q = pts[j];
                if (q != p && t->ev[q].feasible && !t->ev[q].infeasible && beats(t, q, p, r)) {
                    t->state[p] = DOMINATED;
                    t->dropped_at[p] = r;
                    t->by[p] = q;
                    dropped++;
                    break;
                }
            }
        }
        t->rounds[t->nrounds - 1].dropped = dropped;
        size_t left = n - dropped;
        if (r == t->R || left <= 1)
            break;
        int nr = r * 2 < t->R ? r * 2 : t->R;
        if (t->spent + (long)left * (nr - r) + (t->R - nr) > t->budget)
            break; /* the next round and the winner's top-up would not fit */
        had = r;
        r = nr;
    }
    /* The winner, at R replications: the survivors in order of cost, each
     * topped up to R, the first that meets every gate there. One that fails
     * there gives back the candidates it was taken to dominate (by[]), which
     * race on in the same order: a drop rests on its dominator's feasibility,
     * judged at fewer replications. */
    while (rc == TUNE_OK) {
        size_t w = best_survivor(t, tried);
        if (w == SIZE_MAX)
            break;
        tried[w] = true;
        int have = t->ev[w].replications;
        if (have < t->R) {
            if (t->spent + (t->R - have) > t->budget)
                continue; /* (one topped up already may still be judged) */
            if ((rc = run_round(t, &w, 1, t->R, err, errlen)) != TUNE_OK)
                break;
            t->spent += t->R - have;
            if (add_round(t, t->R, 1, t->R - have) != 0 || judge(t, w, t->R) != 0)
                goto oom;
        }
        if (t->ev[w].feasible) {
            t->winner = w;
            break;
        }
        for (size_t p = 0; p < t->npoints; p++)
            if (t->state[p] == DOMINATED && t->by[p] == w) {
                t->state[p] = ALIVE;
                t->dropped_at[p] = 0;
            }
    }
    if (rc == TUNE_OK)
        mark_pareto(t);
    free(pts);
    free(tried);
    return rc;
oom:
    free(pts);
    free(tried);
    snprintf(err, errlen, "out of memory");
    return TUNE_FAILED;
}

/* ---- reports ---------------------------------------------------------------------------- */

static const char *status_of(const tune_t *t, size_t p)
{
    if (p == t->winner)
        return "winner";
    if (t->state[p] == INFEASIBLE)
        return "infeasible";
    if (t->state[p] == DOMINATED)
        return "dominated";
    if (t->ev[p].feasible)
        return "feasible";
    return t->ev[p].replications >= t->R ? "fails" : "undecided";
}

static const char *value_of(const tune_t *t, size_t p, size_t a)
{
    return t->g->axes[a].values[sweep_grid_index(t->g, p, a)];
}

/* A cell for each axis, point p's values (SIZE_MAX: the axes' paths), as
 * CSV fields after commas or as Markdown cells closed by " |". */
static void put_axes(FILE *f, const tune_t *t, size_t p, bool md)
{
    for (size_t a = 0; a < t->g->naxes; a++) {
        const char *cell = p == SIZE_MAX ? t->g->axes[a].path : value_of(t, p, a);
        if (md) {
            fputc(' ', f);
            gate_md_put(f, cell);
            fputs(" |", f);
        } else {
            fputc(',', f);
            world_csv_field(f, cell);
        }
    }
}

static void emit_csv(FILE *f, const void *ctx)
{
    const tune_t *t = ctx;
    fputs("point", f);
    put_axes(f, t, SIZE_MAX, false);
    fputs(",status,dominated_by,replications,", f);
    world_csv_field(f, t->o->objective);
    fputc(',', f);
    world_csv_field(f, t->o->objective);
    fputs("_ci95,margin,margin_ci95,pareto", f);
    for (size_t i = 0; i < t->sc0->nslo; i++) {
        const char *sfx[4] = {".value", ".value_ci95", ".margin", ".pass"};
        for (int k = 0; k < 4; k++) {
            fputs(",slo.", f);
            world_csv_field(f, t->sc0->slo[i].name);
            fputs(sfx[k], f);
        }
    }
    fputc('\n', f);
    for (size_t p = 0; p < t->npoints; p++) {
        const probe_eval_t *e = &t->ev[p];
        fprintf(f, "%zu", p);
        put_axes(f, t, p, false);
        fprintf(f, ",%s,", status_of(t, p));
        if (t->state[p] == DOMINATED)
            fprintf(f, "%zu", t->by[p]);
        fprintf(f, ",%d,", e->replications);
        journal_put_num(f, e->objective, "");
        fputc(',', f);
        journal_put_num(f, e->objective_half, "");
        fputc(',', f);
        journal_put_num(f, e->margin, "");
        fputc(',', f);
        journal_put_num(f, e->margin_half, "");
        fputs(t->pareto[p] ? ",true" : ",false", f);
        for (size_t i = 0; i < e->gates.n; i++) {
            const gate_verdict_t *v = &e->gates.v[i];
            double h, mg = probe_margin(v, &h);
            fputc(',', f);
            journal_put_num(f, v->value, "");
            fputc(',', f);
            journal_put_num(f, v->half, "");
            fputc(',', f);
            journal_put_num(f, mg, "");
            fputs(v->pass ? ",true" : ",false", f);
        }
        fputc('\n', f);
    }
}

static void json_values(FILE *f, const tune_t *t, size_t p)
{
    fputc('{', f);
    for (size_t a = 0; a < t->g->naxes; a++) {
        if (a)
            fputs(", ", f);
        gate_json_put(f, t->g->axes[a].path);
        fputs(": ", f);
        gate_json_put(f, value_of(t, p, a));
    }
    fputc('}', f);
}

static void json_candidate(FILE *f, const tune_t *t, size_t p, const char *ind, const char *extra)
{
    const probe_eval_t *e = &t->ev[p];
    fprintf(f, "{\"point\": %zu, \"values\": ", p);
    json_values(f, t, p);
    fprintf(f, ",\n%s \"status\": \"%s\", \"dominated_by\": ", ind, status_of(t, p));
    if (t->state[p] == DOMINATED)
        fprintf(f, "%zu", t->by[p]);
    else
        fputs("null", f);
    fprintf(f, ", \"dropped_at\": ");
    if (t->state[p] != ALIVE)
        fprintf(f, "%d", t->dropped_at[p]);
    else
        fputs("null", f);
    fprintf(f, ", \"replications\": %d, \"pareto\": %s,\n%s \"objective\": {\"value\": ", e->replications,
            t->pareto[p] ? "true" : "false", ind);
    journal_put_num(f, e->objective, "null");
    fputs(", \"ci95\": ", f);
    journal_put_num(f, e->objective_half, "null");
    fputs("}, \"margin\": {\"value\": ", f);
    journal_put_num(f, e->margin, "null");
    fputs(", \"ci95\": ", f);
    journal_put_num(f, e->margin_half, "null");
    fputs(", \"gate\": ", f);
    if (e->gates.n && !isnan(e->margin))
        gate_json_put(f, t->sc0->slo[e->margin_gate].name);
    else
        fputs("null", f);
    fprintf(f, "},\n%s \"slo\": [", ind);
    for (size_t i = 0; i < e->gates.n; i++) {
        const gate_verdict_t *v = &e->gates.v[i];
        double h, mg = probe_margin(v, &h);
        fprintf(f, "%s\n%s   {\"name\": ", i ? "," : "", ind);
        gate_json_put(f, v->slo->name);
        fputs(", \"value\": ", f);
        journal_put_num(f, v->value, "null");
        fputs(", \"ci95\": ", f);
        journal_put_num(f, v->half, "null");
        fputs(", \"margin\": ", f);
        journal_put_num(f, mg, "null");
        fprintf(f, ", \"pass\": %s}", v->pass ? "true" : "false");
    }
    fprintf(f, "]%s}", extra);
}

static void emit_json(FILE *f, const void *ctx)
{
    const tune_t *t = ctx;
    fprintf(f, "{\n  \"schema\": \"%s\",\n  \"scenario\": ", TUNE_SCHEMA);
    gate_json_put(f, t->name);
    fputs(",\n  \"file\": ", f);
    gate_json_put(f, t->o->so.file);
    fprintf(f, ",\n  \"id\": \"%s\",\n  \"objective\": {\"path\": ", t->id);
    gate_json_put(f, t->o->objective);
    fprintf(f, ", \"direction\": \"%s\"},\n", t->o->maximize ? "maximize" : "minimize");
    fprintf(f, "  \"method\": {\"name\": \"racing\", \"initial_replications\": %d, \"replications\": %d, "
               "\"budget\": %ld},\n", t->r0, t->R, t->budget);
    fprintf(f, "  \"simulations\": {\"spent\": %ld, \"exhaustive\": %ld},\n", t->spent,
            (long)t->npoints * t->R);
    fputs("  \"grid\": ", f);
    sweep_grid_json(f, t->g, false); /* values as strings, as in "values" of each candidate */
    fputs(",\n  \"rounds\": [", f);
    for (size_t i = 0; i < t->nrounds; i++)
        fprintf(f, "%s\n    {\"replications\": %d, \"candidates\": %zu, \"simulations\": %ld, \"dropped\": %zu}",
                i ? "," : "", t->rounds[i].reps, t->rounds[i].alive, t->rounds[i].sims, t->rounds[i].dropped);
    fputs("\n  ],\n  \"candidates\": [", f);
    for (size_t p = 0; p < t->npoints; p++) {
        fputs(p ? ",\n    " : "\n    ", f);
        json_candidate(f, t, p, "    ", "");
    }
    fputs("\n  ],\n  \"pareto\": [", f);
    bool first = true;
    for (size_t p = 0; p < t->npoints; p++)
        if (t->pareto[p]) {
            fprintf(f, "%s%zu", first ? "" : ", ", p);
            first = false;
        }
    fputs("],\n  \"winner\": ", f);
    if (t->winner == SIZE_MAX)
        fputs("null", f);
    else {
        json_candidate(f, t, t->winner, "  ", ", \"file\": \"winner.yaml\"");
    }
    fputs("\n}\n", f);
}

static void md_interval(FILE *f, double v, double h)
{
    if (isnan(v))
        fputs("-", f);
    else
        fprintf(f, "%.6g", v);
    if (!isnan(h))
        fprintf(f, " ± %.3g", h);
}

static void emit_md(FILE *f, const void *ctx)
{
    const tune_t *t = ctx;
    fputs("## clustersim tune: ", f);
    gate_md_put(f, t->name);
    fputs("\n\n", f);
    if (t->winner == SIZE_MAX)
        fputs("**No candidate meets every SLO** (whole 95% intervals).\n\n", f);
    else {
        const probe_eval_t *e = &t->ev[t->winner];
        fprintf(f, "**Winner: point %zu**", t->winner);
        for (size_t a = 0; a < t->g->naxes; a++) {
            fputs(a ? ", `" : ": `", f);
            fprintf(f, "%s=%s`", t->g->axes[a].path, value_of(t, t->winner, a));
        }
        fprintf(f, "; `%s` ", t->o->objective);
        md_interval(f, e->objective, e->objective_half);
        fprintf(f, " over %d replications; tightest gate ", e->replications);
        gate_md_put(f, t->sc0->slo[e->margin_gate].name);
        fputs(", margin ", f);
        md_interval(f, e->margin, e->margin_half);
        fputs(" (`winner.yaml`).\n\n", f);
    }
    fprintf(f, "%ld simulations (the exhaustive grid at %d replications: %ld); racing from %d replications, "
               "budget %ld.\n\n", t->spent, t->R, (long)t->npoints * t->R, t->r0, t->budget);
    fputs("| point |", f);
    put_axes(f, t, SIZE_MAX, true);
    fputs(" status | replications | ", f);
    gate_md_put(f, t->o->objective);
    fputs(" | least margin | Pareto |\n|---|", f);
    for (size_t a = 0; a < t->g->naxes; a++)
        fputs("---|", f);
    fputs("---|---|---|---|---|\n", f);
    for (size_t p = 0; p < t->npoints; p++) {
        const probe_eval_t *e = &t->ev[p];
        fprintf(f, "| %zu |", p);
        put_axes(f, t, p, true);
        fprintf(f, " %s", status_of(t, p));
        if (t->state[p] == DOMINATED)
            fprintf(f, " (by %zu)", t->by[p]);
        fprintf(f, " | %d | ", e->replications);
        md_interval(f, e->objective, e->objective_half);
        fputs(" | ", f);
        md_interval(f, e->margin, e->margin_half);
        fprintf(f, " | %s |\n", t->pareto[p] ? "yes" : "");
    }
    fputs("\nMargins are the tightest gate's distance to its threshold, as a fraction of the threshold "
          "(positive: on the passing side). Intervals are 95%; gates pass when the whole interval does.\n", f);
}

int tune_finish(tune_t *t, char *err, size_t errlen)
{
    const char *names[4] = {"tune.csv", "tune.md", "winner.yaml", "tune.json"};
    void (*emit[4])(FILE *, const void *) = {emit_csv, emit_md, emit_winner, emit_json};
    int rc = TUNE_OK;
    for (int i = 0; i < 4 && rc == TUNE_OK; i++) {
        char *path = run_strprintf("%s/%s", t->dir, names[i]);
        if (!path) {
            snprintf(err, errlen, "out of memory");
            rc = TUNE_FAILED;
        } else if (i == 2 && t->winner == SIZE_MAX)
            unlink(path); /* no winner: none from an earlier search either */
        else if (gate_write_file(path, emit[i], t, err, errlen) != 0)
            rc = TUNE_FAILED;
        free(path);
    }
    if (rc == TUNE_OK) {
        if (t->jfd >= 0) {
            close(t->jfd);
            t->jfd = -1;
        }
        unlink(t->journal);
        sweep_sync_dir(t->dir);
    }
    return rc;
}

void tune_print(FILE *f, const tune_t *t)
{
    fprintf(f, "%s: %zu candidates, %ld simulations (exhaustive: %zu x %d = %ld), %zu rounds\n", t->name,
            t->npoints, t->spent, t->npoints, t->R, (long)t->npoints * t->R, t->nrounds);
    if (t->winner == SIZE_MAX) {
        int most = 0;
        bool undecided = false; /* the budget ran out on one (not every candidate surely failed) */
        for (size_t p = 0; p < t->npoints; p++) {
            if (t->ev[p].replications > most)
                most = t->ev[p].replications;
            undecided |= !strcmp(status_of(t, p), "undecided");
        }
        fprintf(f, "no candidate meets every SLO (whole 95%% intervals, at %d replications at most%s)\n", most,
                undecided ? ": the budget ran out first" : "");
        return;
    }
    const probe_eval_t *e = &t->ev[t->winner];
    fprintf(f, "winner: point %zu:", t->winner);
    for (size_t a = 0; a < t->g->naxes; a++)
        fprintf(f, " %s=%s", t->g->axes[a].path, value_of(t, t->winner, a));
    char v[40], h[40], m[40], mh[40];
    journal_fmt_num(v, sizeof v, e->objective);
    /* (a half-width is NaN where a value had one replication's sample) */
    snprintf(h, sizeof h, isnan(e->objective_half) ? "-" : "%.4g", e->objective_half);
    snprintf(m, sizeof m, "%.4g", e->margin);
    snprintf(mh, sizeof mh, isnan(e->margin_half) ? "-" : "%.3g", e->margin_half);
    fprintf(f, "\n  %s = %s ± %s (%d replications); tightest gate '%s': margin %s ± %s of its threshold\n",
            t->o->objective, v, h, e->replications, t->sc0->slo[e->margin_gate].name, m, mh);
    fprintf(f, "  %s/winner.yaml: %s with these values, to commit in its place (relative paths in it are "
               "that file's directory's)\n", t->dir, t->o->so.file);
}
