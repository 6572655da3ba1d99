/* vdata: the results of a run, read for clustersim-view (see vdata.h).
 *
 * The CSV files are the run's own (sim/world.c writes them): a header naming
 * the columns, then rows whose cells may be quoted ("a, b" with "" for a
 * quote) when they hold a comma or a quote. Columns are found by name, so a
 * file with extra columns still reads; a missing column, a row with another
 * number of cells than the header, a number that is not one, or a time that
 * goes back is an error at its line and column. */
#include "viz/vdata.h"

#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "sim/journal.h"
#include "sim/textfile.h"
#include "sim/units.h"

#define MAX_CELLS 16

/* ---- growing arrays ------------------------------------------------------ */

/* Makes room for one more item in *arr (n used of *cap); false on OOM. */
static bool grow(void **arr, int n, int *cap, size_t size)
{
    if (n < *cap)
        return true;
    int nc = *cap ? *cap * 2 : 64;
    void *p = realloc(*arr, (size_t)nc * size);
    if (!p)
        return false;
    *arr = p;
    *cap = nc;
    return true;
}

bool vdata_init(vrun_t *r, const char *dir)
{
    memset(r, 0, sizeof *r);
    r->arena = arena_new();
    if (!r->arena)
        return false;
    r->dir = arena_strdup(r->arena, dir ? dir : "");
    r->scenario = r->dir;
    return r->dir != NULL;
}

void vdata_free(vrun_t *r)
{
    for (int i = 0; i < r->nseries; i++)
        free(r->series[i].v);
    free(r->series);
    free(r->hash);
    free(r->t);
    free(r->events);
    free(r->syncs);
    arena_free(r->arena);
    memset(r, 0, sizeof *r);
}

/* ---- lookups ------------------------------------------------------------- */

/* Series are found through an open-addressing table of their indexes
 * (hash of the name; -1 empty), kept at most half full. */
static uint64_t name_hash(const char *s) { return journal_fnv(JOURNAL_FNV_INIT, s, strlen(s)); }

int vdata_find(const vrun_t *r, const char *name)
{
    if (!r->hcap)
        return -1;
    for (uint64_t k = name_hash(name) & (uint64_t)(r->hcap - 1);; k = (k + 1) & (uint64_t)(r->hcap - 1)) {
        int i = r->hash[k];
        if (i < 0)
            return -1;
        if (strcmp(r->series[i].name, name) == 0)
            return i;
    }
}

/* Puts series i in the table, growing it first when half full; false on OOM. */
static bool hash_put(vrun_t *r, int i)
{
    if (2 * (r->nseries + 1) > r->hcap) {
        int nc = r->hcap ? r->hcap * 2 : 256;
        int *h = malloc((size_t)nc * sizeof *h);
        if (!h)
            return false;
        for (int k = 0; k < nc; k++)
            h[k] = -1;
        free(r->hash);
        r->hash = h;
        r->hcap = nc;
        for (int j = 0; j < r->nseries; j++)
            if (j != i && !hash_put(r, j))
                return false;
    }
    uint64_t k = name_hash(r->series[i].name) & (uint64_t)(r->hcap - 1);
    while (r->hash[k] >= 0)
        k = (k + 1) & (uint64_t)(r->hcap - 1);
    r->hash[k] = i;
    return true;
}

int vdata_find2(const vrun_t *r, const char *prefix, const char *name, const char *field)
{
    char buf[512];
    if (prefix)
        snprintf(buf, sizeof buf, "%s.%s.%s", prefix, name, field);
    else
        snprintf(buf, sizeof buf, "%s.%s", name, field);
    return vdata_find(r, buf);
}

double vdata_value(const vrun_t *r, int s, int i)
{
    if (s < 0 || s >= r->nseries || i < 0 || i >= r->nt)
        return NAN;
    return r->series[s].v[i];
}

int vdata_sample_at(const vrun_t *r, double t)
{
    if (r->nt == 0)
        return -1;
    int lo = 0, hi = r->nt - 1;
    if (t <= r->t[0])
        return 0;
    while (lo < hi) { /* the last i with t[i] <= t */
        int mid = lo + (hi - lo + 1) / 2;
        if (r->t[mid] <= t)
            lo = mid;
        else
            hi = mid - 1;
    }
    return lo;
}

int vdata_sync_at(const vrun_t *r, const char *service, double t, double max_age)
{
    for (int i = r->nsyncs - 1; i >= 0; i--) {
        const vsync_t *s = &r->syncs[i];
        if (s->t > t || strcmp(s->service, service) != 0)
            continue;
        return t - s->t <= max_age ? i : -1;
    }
    return -1;
}

/* ---- samples and names --------------------------------------------------- */

/* Adds name to *list (n of them) unless it is there; false on OOM. */
static bool note_name(vrun_t *r, const char ***list, int *n, const char *name, size_t len)
{
    for (int i = 0; i < *n; i++)
        if (strlen((*list)[i]) == len && memcmp((*list)[i], name, len) == 0)
            return true;
    const char **nl = arena_append(r->arena, *list, (size_t)*n, sizeof **list);
    char *s = arena_strndup(r->arena, name, len);
    if (!nl || !s)
        return false;
    nl[*n] = s;
    *list = nl;
    (*n)++;
    return true;
}

/* Records the service, edge or region a series name belongs to. */
static bool note_series(vrun_t *r, const char *name)
{
    const char *dot = strrchr(name, '.');
    if (!dot)
        return true;
    if (strncmp(name, "edge.", 5) == 0 && dot > name + 5)
        return note_name(r, &r->edges, &r->nedges, name + 5, (size_t)(dot - name - 5));
    if (strncmp(name, "region.", 7) == 0 && dot > name + 7)
        return note_name(r, &r->regions, &r->nregions, name + 7, (size_t)(dot - name - 7));
    if (strcmp(dot, ".replicas") == 0)
        return note_name(r, &r->services, &r->nservices, name, (size_t)(dot - name));
    return true;
}

int vdata_add_sample(vrun_t *r, double t, const char *name, double v, const char **err)
{
    if (r->nt == 0 || t > r->t[r->nt - 1]) {
        int oldcap = r->capt;
        if (!grow((void **)&r->t, r->nt, &r->capt, sizeof *r->t))
            goto oom;
        if (r->capt != oldcap)
            for (int s = 0; s < r->nseries; s++) {
                double *p = realloc(r->series[s].v, (size_t)r->capt * sizeof *p);
                if (!p)
                    goto oom;
                r->series[s].v = p;
            }
        r->t[r->nt] = t;
        for (int s = 0; s < r->nseries; s++)
            r->series[s].v[r->nt] = NAN;
        r->nt++;
    } else if (t < r->t[r->nt - 1]) {
        *err = "time goes back: rows must be in time order";
        return -1;
    }
    int s = vdata_find(r, name);
    if (s < 0) {
        if (!grow((void **)&r->series, r->nseries, &r->capseries, sizeof *r->series))
            goto oom;
        double *vals = malloc((size_t)r->capt * sizeof *vals);
        const char *nm = arena_strdup(r->arena, name);
        if (!vals || !nm || !note_series(r, nm)) {
            free(vals);
            goto oom;
        }
        for (int i = 0; i < r->nt; i++)
            vals[i] = NAN;
        s = r->nseries;
        r->series[s] = (vseries_t){nm, vals};
        if (!hash_put(r, s)) {
            free(vals);
            goto oom;
        }
        r->nseries++;
    }
    r->series[s].v[r->nt - 1] = v;
    return 0;
oom:
    *err = "out of memory";
    return -1;
}

vevent_kind_t vdata_event_kind(const char *object, const char *from, const char *to)
{
    const char *slash = strrchr(object, '/');
    const char *kind = slash ? slash + 1 : object;
    if (strcmp(kind, "hpa") == 0 || strcmp(kind, "threshold") == 0) {
        double a = strtod(from, NULL), b = strtod(to, NULL);
        return b > a ? VEV_SCALE_UP : b < a ? VEV_SCALE_DOWN : VEV_OTHER;
    }
    /* what goes down and comes back up (an edge, an origin, a database
     * server in either role): `to` says which; a promotion ends a primary's
     * failure, and "down, down" (another failure holds it) is neither */
    if (strcmp(kind, "edge") == 0 || strcmp(kind, "origin") == 0 || strcmp(kind, "replica") == 0 ||
        strcmp(kind, "primary") == 0) {
        if (strcmp(to, "up") == 0 || strcmp(to, "primary") == 0)
            return VEV_RECOVER;
        return strcmp(to, "down") == 0 && strcmp(from, "down") != 0 ? VEV_FAULT : VEV_OTHER;
    }
    if (strcmp(kind, "redis") == 0) /* a failover, then its replica promoted */
        return strcmp(to, "replica promoted") == 0 ? VEV_RECOVER : strcmp(from, "failed") == 0 ? VEV_OTHER : VEV_FAULT;
    if (strcmp(kind, "pod") == 0 || strcmp(kind, "purge") == 0 || strcmp(kind, "database") == 0 ||
        strcmp(kind, "shard") == 0)
        return VEV_FAULT;
    return VEV_OTHER;
}

int vdata_add_event(vrun_t *r, double t, const char *object, const char *from, const char *to, const char *reason)
{
    if (!grow((void **)&r->events, r->nevents, &r->capevents, sizeof *r->events))
        return -1;
    vevent_t e = {t,
                  arena_strdup(r->arena, object),
                  arena_strdup(r->arena, from),
                  arena_strdup(r->arena, to),
                  arena_strdup(r->arena, reason),
                  vdata_event_kind(object, from, to)};
    if (!e.object || !e.from || !e.to || !e.reason)
        return -1;
    r->events[r->nevents++] = e;
    return 0;
}

/* ---- CSV ----------------------------------------------------------------- */

typedef struct cells {
    char *s[MAX_CELLS];     /* unquoted, NUL-terminated (in the arena) */
    int col[MAX_CELLS];     /* 1-based column of the cell's first byte */
    int n;                  /* cells of the line (may exceed MAX_CELLS) */
} cells_t;

/* Splits a line into cells. NULL, or a message (col set) for a bad quote;
 * "out of memory" when the arena fails. */
static const char *split(arena_t *a, const textline_t *l, cells_t *c, int *col)
{
    c->n = 0;
    size_t i = 0;
    for (;;) {
        size_t start = i;
        char *cell;
        if (i < l->len && l->s[i] == '"') {
            cell = arena_alloc(a, l->len - i + 1);
            if (!cell)
                return "out of memory";
            size_t k = 0;
            i++;
            for (;;) {
                if (i >= l->len) {
                    *col = (int)start + 1;
                    return "a quoted cell is not closed on its line";
                }
                if (l->s[i] == '"') {
                    if (i + 1 < l->len && l->s[i + 1] == '"') {
                        cell[k++] = '"';
                        i += 2;
                        continue;
                    }
                    i++;
                    break;
                }
                cell[k++] = l->s[i++];
            }
            cell[k] = '\0';
            if (i < l->len && l->s[i] != ',') {
                *col = (int)i + 1;
                return "a quoted cell must end at a comma";
            }
        } else {
            while (i < l->len && l->s[i] != ',')
                i++;
            cell = arena_strndup(a, l->s + start, i - start);
            if (!cell)
                return "out of memory";
        }
        if (c->n < MAX_CELLS) {
            c->s[c->n] = cell;
            c->col[c->n] = (int)start + 1;
        }
        c->n++;
        if (i >= l->len)
            return NULL;
        i++; /* the comma */
    }
}

/* A table being read: its file, header columns and the current row. */
typedef struct table {
    textfile_t f;
    size_t cursor;
    int lineno;
    textline_t line;
    cells_t cells;
    int ncols;
    int col[MAX_CELLS];     /* cell index of each wanted column */
    arena_t *file;          /* the file's name and lines */
    arena_t *scratch;       /* cells of one line; reset per line */
} table_t;

/* Opens text as a table and finds the wanted columns in its header.
 * 0 or -1 with an error in d. */
static int table_open(table_t *tb, const char *path, const char *text, size_t len, const char *const *want,
                      int nwant, diag_t *d)
{
    memset(tb, 0, sizeof *tb);
    tb->scratch = arena_new();
    tb->file = arena_new();
    if (!tb->scratch || !tb->file) {
        diag_oom(d, (srcpos_t){path, 0, 0});
        return -1;
    }
    if (textfile_from_text(tb->file, path, text, len, TEXTFILE_NO_BOM, &tb->f, d) != 0)
        return -1;
    if (!textfile_next_line(&tb->f, &tb->cursor, &tb->lineno, &tb->line)) {
        diag_error(d, (srcpos_t){tb->f.path, 1, 1}, "empty file: expected a header (%s, ...)", want[0]);
        return -1;
    }
    int col = 1;
    const char *msg = split(tb->scratch, &tb->line, &tb->cells, &col);
    if (msg) {
        diag_error(d, (srcpos_t){tb->f.path, tb->lineno, col}, "%s", msg);
        return -1;
    }
    tb->ncols = tb->cells.n;
    int n = tb->cells.n < MAX_CELLS ? tb->cells.n : MAX_CELLS;
    for (int w = 0; w < nwant; w++) {
        tb->col[w] = -1;
        for (int c = 0; c < n; c++)
            if (strcmp(tb->cells.s[c], want[w]) == 0)
                tb->col[w] = c;
        if (tb->col[w] < 0) {
            diag_error(d, (srcpos_t){tb->f.path, 1, 1}, "the header has no column '%s'", want[w]);
            return -1;
        }
    }
    return 0;
}

/* Frees the table; returns rc, or -1 when the last table_row failed. */
static int table_close(table_t *tb, int row, int rc)
{
    arena_free(tb->scratch);
    arena_free(tb->file);
    return row < 0 ? -1 : rc;
}

static int oom(diag_t *d, const table_t *tb)
{
    diag_oom(d, (srcpos_t){tb->f.path, tb->lineno, 1});
    return -1;
}

/* The next row, split; 1, 0 at the end, -1 with an error in d. Blank lines
 * are skipped. The previous row's cells are freed. */
static int table_row(table_t *tb, diag_t *d)
{
    arena_free(tb->scratch);
    if (!(tb->scratch = arena_new()))
        return oom(d, tb);
    for (;;) {
        if (!textfile_next_line(&tb->f, &tb->cursor, &tb->lineno, &tb->line))
            return 0;
        if (tb->line.len > 0)
            break;
    }
    int col = 1;
    const char *msg = split(tb->scratch, &tb->line, &tb->cells, &col);
    if (msg) {
        diag_error(d, (srcpos_t){tb->f.path, tb->lineno, col}, "%s", msg);
        return -1;
    }
    if (tb->cells.n != tb->ncols) {
        diag_error(d, (srcpos_t){tb->f.path, tb->lineno, 1}, "%d cells where the header has %d", tb->cells.n,
                   tb->ncols);
        return -1;
    }
    return 1;
}

static const char *cell(const table_t *tb, int w) { return tb->cells.s[tb->col[w]]; }

/* Where column w of the current row starts. */
static srcpos_t cell_pos(const table_t *tb, int w)
{
    return (srcpos_t){tb->f.path, tb->lineno, tb->cells.col[tb->col[w]]};
}

/* Column w as a finite number (empty allowed when nan_ok: NAN). 0 or -1. */
static int cell_number(const table_t *tb, int w, bool empty_ok, double *out, diag_t *d)
{
    const char *s = cell(tb, w);
    if (empty_ok && s[strspn(s, " ")] == '\0') {
        *out = NAN;
        return 0;
    }
    if (units_number(s, out) != NULL) {
        diag_error(d, cell_pos(tb, w), "expected a number, got '%.40s'",
                   s);
        return -1;
    }
    return 0;
}

/* The replication of this row: 0 keeps it (r's), 1 skips it, -1 an error. */
static int row_replication(const vrun_t *r, const table_t *tb, diag_t *d)
{
    double rep;
    if (cell_number(tb, 0, false, &rep, d) != 0)
        return -1;
    if (rep < 0 || rep != floor(rep)) {
        diag_error(d, cell_pos(tb, 0),
                   "replication: expected a whole number >= 0");
        return -1;
    }
    return rep == r->replication ? 0 : 1;
}

int vdata_parse_timeseries(vrun_t *r, const char *path, const char *text, size_t len, diag_t *d)
{
    static const char *const want[] = {"replication", "time_s", "series", "value"};
    table_t tb;
    int rc = table_open(&tb, path, text, len, want, (int)(sizeof want / sizeof *want), d), row = 0;
    while (rc == 0 && (row = table_row(&tb, d)) == 1) {
        int keep = row_replication(r, &tb, d);
        double t, v;
        if (keep < 0 || cell_number(&tb, 1, false, &t, d) != 0 || cell_number(&tb, 3, true, &v, d) != 0) {
            rc = -1;
            break;
        }
        if (keep != 0)
            continue;
        if (cell(&tb, 2)[0] == '\0') {
            diag_error(d, cell_pos(&tb, 2), "series: empty name");
            rc = -1;
            break;
        }
        const char *err = NULL;
        if (vdata_add_sample(r, t, cell(&tb, 2), v, &err) != 0) {
            if (strcmp(err, "out of memory") == 0)
                rc = oom(d, &tb);
            else {
                diag_error(d, cell_pos(&tb, 1), "time_s: %s", err);
                rc = -1;
            }
        }
    }
    return table_close(&tb, row, rc);
}

int vdata_parse_events(vrun_t *r, const char *path, const char *text, size_t len, diag_t *d)
{
    static const char *const want[] = {"replication", "time_s", "object", "from", "to", "reason"};
    table_t tb;
    int rc = table_open(&tb, path, text, len, want, (int)(sizeof want / sizeof *want), d), row = 0;
    while (rc == 0 && (row = table_row(&tb, d)) == 1) {
        int keep = row_replication(r, &tb, d);
        double t;
        if (keep < 0 || cell_number(&tb, 1, false, &t, d) != 0) {
            rc = -1;
            break;
        }
        if (keep == 0 && vdata_add_event(r, t, cell(&tb, 2), cell(&tb, 3), cell(&tb, 4), cell(&tb, 5)) != 0)
            rc = oom(d, &tb);
    }
    return table_close(&tb, row, rc);
}

int vdata_parse_autoscaler(vrun_t *r, const char *path, const char *text, size_t len, diag_t *d)
{
    static const char *const want[] = {"replication", "time_s", "service", "current", "metric", "value",
                                       "target",      "proposal", "raw",   "stabilized", "final", "reason"};
    enum { REP, T, SVC, CUR, MET, VAL, TGT, PROP, RAW, STAB, FIN, REASON };
    table_t tb;
    int rc = table_open(&tb, path, text, len, want, (int)(sizeof want / sizeof *want), d), row = 0;
    while (rc == 0 && (row = table_row(&tb, d)) == 1) {
        int keep = row_replication(r, &tb, d);
        double n[12];
        for (int c = T; keep >= 0 && c <= FIN; c++)
            if (c != SVC && c != MET &&
                cell_number(&tb, c, c == VAL || c == TGT || c == PROP || c == RAW || c == STAB, &n[c], d) != 0)
                keep = -1;
        if (keep < 0) {
            rc = -1;
            break;
        }
        if (keep == 0) {
            /* a sync's rows are consecutive: same time and service */
            vsync_t *s = r->nsyncs ? &r->syncs[r->nsyncs - 1] : NULL;
            if (!s || s->t != n[T] || strcmp(s->service, cell(&tb, SVC)) != 0) {
                if (s && n[T] < s->t) {
                    diag_error(d, cell_pos(&tb, T),
                               "time_s: time goes back: rows must be in time order");
                    rc = -1;
                    break;
                }
                if (!grow((void **)&r->syncs, r->nsyncs, &r->capsyncs, sizeof *r->syncs)) {
                    rc = oom(d, &tb);
                    break;
                }
                s = &r->syncs[r->nsyncs++];
                *s = (vsync_t){n[T], arena_strdup(r->arena, cell(&tb, SVC)), n[CUR], n[RAW], n[STAB], n[FIN],
                               arena_strdup(r->arena, cell(&tb, REASON)), NULL, 0};
            }
            vmetric_t *m = arena_append(r->arena, s->m, (size_t)s->nm, sizeof *m);
            const char *name = arena_strdup(r->arena, cell(&tb, MET));
            if (!m || !name || !s->service || !s->reason) {
                rc = oom(d, &tb);
                break;
            }
            m[s->nm] = (vmetric_t){name, n[VAL], n[TGT], n[PROP]};
            s->m = m;
            s->nm++;
        }
    }
    rc = table_close(&tb, row, rc);
    if (rc == 0)
        r->has_autoscaler = true;
    return rc;
}

/* ---- summary.json -------------------------------------------------------- */

static double json_num(const cJSON *o, const char *a, const char *b)
{
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, a);
    if (b)
        x = cJSON_GetObjectItemCaseSensitive(x, b);
    return cJSON_IsNumber(x) ? x->valuedouble : 0;
}

int vdata_parse_summary(vrun_t *r, const char *path, const char *text, size_t len, diag_t *d)
{
    const char *end = NULL;
    cJSON *j = cJSON_ParseWithLengthOpts(text, len, &end, false);
    if (!j || !cJSON_IsObject(j)) {
        const textfile_t tf = {path, text, len};
        size_t off = end && end >= text ? (size_t)(end - text) : 0;
        diag_error(d, textfile_pos(&tf, off), j ? "expected a JSON object" : "not valid JSON here");
        cJSON_Delete(j);
        return -1;
    }
    const cJSON *schema = cJSON_GetObjectItemCaseSensitive(j, "schema");
    if (!cJSON_IsString(schema) || strncmp(schema->valuestring, "clustersim.summary/", 19) != 0) {
        diag_error(d, (srcpos_t){path, 1, 1}, "not a clustersim summary (no \"schema\": \"clustersim.summary/v1\")");
        cJSON_Delete(j);
        return -1;
    }
    int rc = 0;
    const cJSON *sc = cJSON_GetObjectItemCaseSensitive(j, "scenario");
    if (cJSON_IsString(sc) && !(r->scenario = arena_strdup(r->arena, sc->valuestring)))
        rc = -1;
    /* what a run always writes, and the window needs: a number each (a
     * null or a missing one is not taken for 0) */
    static const char *const need[][2] = {
        {"duration_s", NULL}, {"warmup_s", NULL}, {"replications", NULL}, {"cost", "total_usd"}};
    for (size_t i = 0; i < sizeof need / sizeof need[0]; i++) {
        const cJSON *x = cJSON_GetObjectItemCaseSensitive(j, need[i][0]);
        if (need[i][1])
            x = cJSON_GetObjectItemCaseSensitive(x, need[i][1]);
        if (!cJSON_IsNumber(x) || !isfinite(x->valuedouble)) {
            diag_error(d, (srcpos_t){path, 1, 1}, "%s%s%s: expected a number", need[i][0], need[i][1] ? "." : "",
                       need[i][1] ? need[i][1] : "");
            cJSON_Delete(j);
            return -1;
        }
    }
    r->duration_s = json_num(j, "duration_s", NULL);
    r->warmup_s = json_num(j, "warmup_s", NULL);
    double reps = json_num(j, "replications", NULL);
    r->replications = reps >= 1 && reps <= INT_MAX ? (int)reps : 0;
    r->cost_total_usd = json_num(j, "cost", "total_usd");
    r->cdn_egress_usd = json_num(j, "cost", "cdn_egress_usd");
    const cJSON *svcs = cJSON_GetObjectItemCaseSensitive(j, "services"), *s;
    int n = cJSON_GetArraySize(svcs);
    r->cost_service = arena_alloc(r->arena, (size_t)(n + 1) * sizeof *r->cost_service);
    r->cost_service_usd = arena_alloc(r->arena, (size_t)(n + 1) * sizeof *r->cost_service_usd);
    r->pod_hours = arena_alloc(r->arena, (size_t)(n + 1) * sizeof *r->pod_hours);
    if (!r->cost_service || !r->cost_service_usd || !r->pod_hours)
        rc = -1;
    cJSON_ArrayForEach(s, svcs)
    {
        if (rc != 0 || !s->string)
            break;
        r->cost_service[r->ncost] = arena_strdup(r->arena, s->string);
        r->cost_service_usd[r->ncost] = json_num(s, "cost_usd", NULL);
        r->pod_hours[r->ncost] = json_num(s, "pod_hours", NULL);
        if (!r->cost_service[r->ncost++])
            rc = -1;
    }
    const cJSON *slo = cJSON_GetObjectItemCaseSensitive(j, "slo"), *g;
    cJSON_ArrayForEach(g, slo)
    {
        const cJSON *nm = cJSON_GetObjectItemCaseSensitive(g, "name"),
                    *me = cJSON_GetObjectItemCaseSensitive(g, "metric"), *op = cJSON_GetObjectItemCaseSensitive(g, "op"),
                    *th = cJSON_GetObjectItemCaseSensitive(g, "threshold");
        if (rc != 0 || !cJSON_IsString(nm) || !cJSON_IsString(me) || !cJSON_IsString(op) || !cJSON_IsNumber(th))
            continue;
        vslo_t *ns = arena_append(r->arena, r->slos, (size_t)r->nslos, sizeof *ns);
        if (!ns) {
            rc = -1;
            break;
        }
        ns[r->nslos] = (vslo_t){arena_strdup(r->arena, nm->valuestring), arena_strdup(r->arena, me->valuestring),
                                arena_strdup(r->arena, op->valuestring), th->valuedouble};
        if (!ns[r->nslos].name || !ns[r->nslos].metric || !ns[r->nslos].op)
            rc = -1;
        r->slos = ns;
        r->nslos++;
    }
    cJSON_Delete(j);
    if (rc != 0)
        diag_oom(d, (srcpos_t){path, 0, 0});
    else
        r->has_summary = true;
    return rc;
}

/* ---- a results directory ------------------------------------------------- */

typedef int (*parse_fn)(vrun_t *, const char *, const char *, size_t, diag_t *);

/* Reads DIR/name with fn; a missing optional file is not an error. */
static int load_file(vrun_t *r, const char *dir, const char *name, parse_fn fn, bool optional, diag_t *d)
{
    char *path = arena_printf(r->arena, "%s/%s", dir, name);
    if (!path) {
        diag_oom(d, (srcpos_t){name, 0, 0});
        return -1;
    }
    if (optional) {
        FILE *f = fopen(path, "r");
        if (!f)
            return 0;
        fclose(f);
    }
    arena_t *a = arena_new();
    textfile_t tf;
    int rc = -1;
    if (!a)
        diag_oom(d, (srcpos_t){path, 0, 0});
    else if (textfile_read(a, path, TEXTFILE_MAX_CSV, TEXTFILE_NO_BOM, &tf, d) == 0)
        rc = fn(r, tf.path, tf.text, tf.len, d);
    arena_free(a);
    return rc;
}

int vdata_load(vrun_t *r, const char *dir, int replication, diag_t *d)
{
    if (!vdata_init(r, dir)) {
        diag_oom(d, (srcpos_t){dir, 0, 0});
        return -1;
    }
    r->replication = replication;
    if (load_file(r, dir, "summary.json", vdata_parse_summary, false, d) != 0)
        return -1;
    if (r->replications && replication >= r->replications) {
        if (r->replications == 1)
            diag_error(d, (srcpos_t){"--replication", 1, 1}, "%s holds one replication (0), not %d", r->dir,
                       replication);
        else
            diag_error(d, (srcpos_t){"--replication", 1, 1}, "%s holds replications 0 to %d, not %d", r->dir,
                       r->replications - 1, replication);
        return -1;
    }
    if (load_file(r, dir, "timeseries.csv", vdata_parse_timeseries, false, d) != 0 ||
        load_file(r, dir, "events.csv", vdata_parse_events, false, d) != 0 ||
        load_file(r, dir, "autoscaler.csv", vdata_parse_autoscaler, true, d) != 0)
        return -1;
    if (r->nt == 0) {
        diag_error(d, (srcpos_t){r->dir, 0, 0}, "timeseries.csv has no rows of replication %d: nothing to show",
                   r->replication);
        return -1;
    }
    return 0;
}
