#include "sim/dist.h"

#include <gsl/gsl_randist.h>
#include <gsl/gsl_sf_gamma.h>
#include <inttypes.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sim/units.h"

/* The characters of a duration: a number (sign, digits, point, exponent),
 * its unit (ns us µs ms s m min h d) and blanks. */
#define DURATION_CHARS "0123456789.+-eEnusmihd \t\xc2\xb5"

#define OFF(f) offsetof(dist_t, f)
#define MAXDUR 315360000.0 /* 3650 days, as a scenario's duration */

/* ---- samplers ---------------------------------------------------------- */

/* mean times sim/rng's ziggurat: exact, and without a log on the hot path
 * (GSL's gsl_ran_exponential inverts, -mean log1p(-U)). */
static double s_exponential(const dist_t *d, rng_t *r) { return d->mean * rng_exp1(r); }
static double s_deterministic(const dist_t *d, rng_t *r) { (void)r; return d->value; }
static double s_lognormal(const dist_t *d, rng_t *r) { return gsl_ran_lognormal(r, d->a, d->b); }
static double s_gamma(const dist_t *d, rng_t *r) { return gsl_ran_gamma(r, d->a, d->b); }
static double s_weibull(const dist_t *d, rng_t *r) { return gsl_ran_weibull(r, d->scale, d->shape); }
static double s_pareto(const dist_t *d, rng_t *r) { return gsl_ran_pareto(r, d->shape, d->scale); }
static double s_uniform(const dist_t *d, rng_t *r) { return gsl_ran_flat(r, d->min, d->max); }
static double s_empirical(const dist_t *d, rng_t *r) { return d->samples[rng_below(r, (uint32_t)d->nsamples)]; }

static double m_exponential(const dist_t *d) { return d->mean; }
static double m_deterministic(const dist_t *d) { return d->value; }
static double m_lognormal(const dist_t *d) { return d->mean; }
static double m_gamma(const dist_t *d) { return d->a * d->b; }
static double m_weibull(const dist_t *d) { return d->scale * gsl_sf_gamma(1.0 + 1.0 / d->shape); }
static double m_pareto(const dist_t *d) { return d->shape > 1 ? d->shape * d->scale / (d->shape - 1) : INFINITY; }
static double m_uniform(const dist_t *d) { return (d->min + d->max) / 2; }
static double m_empirical(const dist_t *d) { return d->a; }

/* ---- preparation (combinations and derived parameters) ----------------- */

static int p_none(dist_t *d, cfg_node_t *map, pctx_t *ctx, const char *path)
{
    (void)d, (void)map, (void)ctx, (void)path;
    return 0;
}

static int p_lognormal(dist_t *d, cfg_node_t *map, pctx_t *ctx, const char *path)
{
    (void)map, (void)ctx, (void)path;
    double s2 = log1p(d->cv * d->cv);
    d->b = sqrt(s2);
    d->a = log(d->mean) - s2 / 2;
    return 0;
}

static int p_gamma(dist_t *d, cfg_node_t *map, pctx_t *ctx, const char *path)
{
    bool by_moments = cfg_find(map, "mean") || cfg_find(map, "cv");
    bool by_shape = cfg_find(map, "shape") || cfg_find(map, "scale");
    if (by_moments == by_shape || (by_moments && !(d->mean > 0 && d->cv > 0)) ||
        (by_shape && !(d->shape > 0 && d->scale > 0))) {
        diag_error(ctx->diag, map->pos, "%s: gamma takes either mean and cv, or shape and scale", path);
        return 1;
    }
    if (by_moments) {
        d->a = 1.0 / (d->cv * d->cv);
        d->b = d->mean * d->cv * d->cv;
    } else {
        d->a = d->shape;
        d->b = d->scale;
    }
    return 0;
}

static int p_uniform(dist_t *d, cfg_node_t *map, pctx_t *ctx, const char *path)
{
    if (!(d->min < d->max)) {
        diag_error(ctx->diag, map->pos, "%s: uniform needs min < max", path);
        return 1;
    }
    return 0;
}

/* A cell for a message: at most 40 bytes of it, and "..." when cut. */
#define CELL_SHOWN 40
#define SHOW(s, n) (int)((n) > CELL_SHOWN ? CELL_SHOWN : (n)), (s), ((n) > CELL_SHOWN ? "..." : "")

/* The samples are a column of durations; each cell is parsed whole (copied
 * into a buffer of its own size, never cut to a fixed one). Lines that are
 * empty or start with '#' are skipped; the first line is a header when its
 * cell is not a duration. The array is allocated once, in the arena, with
 * one slot per line (counted first), so memory is at most 8 bytes per line
 * of the file and nothing is copied. */
int dist_empirical_parse(const textfile_t *f, int column, dist_t *d, arena_t *a, diag_t *diag)
{
    if (column < 0) {
        diag_error(diag, (srcpos_t){f->path, 0, 0}, "column %d: columns count from 0", column);
        return -1;
    }
    size_t cur = 0, lines = 0;
    int lineno = 0;
    textline_t l;
    while (textfile_next_line(f, &cur, &lineno, &l))
        lines++;
    double *v = NULL;
    if (lines > 0 && (lines > SIZE_MAX / sizeof *v || !(v = arena_alloc(a, lines * sizeof *v)))) {
        diag_oom(diag, (srcpos_t){f->path, 0, 0});
        return -1;
    }
    char small[64], *cell = small;
    size_t cellcap = sizeof small, n = 0;
    double sum = 0;
    int rc = 0;
    bool first = true; /* the first line that is neither blank nor a comment */
    cur = 0;
    lineno = 0;
    while (rc == 0 && textfile_next_line(f, &cur, &lineno, &l)) {
        if (l.len == 0 || l.s[0] == '#' || l.len == strspn(l.s, " \t\r"))
            continue;
        bool header_may = first;
        first = false;
        const char *p = l.s, *end = l.s + l.len;
        for (int c = 0; c < column && p; c++) {
            const char *q = memchr(p, ',', (size_t)(end - p));
            p = q ? q + 1 : NULL;
        }
        if (!p) {
            diag_error(diag, (srcpos_t){f->path, l.lineno, 1}, "no column %d on this line", column);
            rc = -1;
            break;
        }
        const char *q = memchr(p, ',', (size_t)(end - p));
        size_t len = (size_t)((q ? q : end) - p);
        int col = (int)(p - l.s) + 1;
        if (len >= cellcap) {
            char *g = malloc(len + 1);
            if (!g) {
                diag_oom(diag, (srcpos_t){f->path, l.lineno, col});
                rc = -1;
                break;
            }
            if (cell != small)
                free(cell);
            cell = g;
            cellcap = len + 1;
        }
        memcpy(cell, p, len);
        cell[len] = '\0';
        simtime_t t;
        if (strlen(cell) != len) { /* a textfile holds no NUL; one built by hand might */
            diag_error(diag, (srcpos_t){f->path, l.lineno, col + (int)strlen(cell)}, "a NUL byte inside a sample");
            rc = -1;
        } else if (units_duration(cell, &t) != NULL || t < 0) {
            /* a header: the first line, unless its cell looks like a sample
             * with a typo, digits among only what durations are made of
             * ("10mss", "1.5.ms", "-5ms": an error, as anywhere); so
             * "latency", "1st_latency", "ms", "" are headers */
            if (header_may && (!strpbrk(cell, "0123456789") || cell[strspn(cell, DURATION_CHARS)] != '\0'))
                continue;
            diag_error(diag, (srcpos_t){f->path, l.lineno, col}, "expected a non-negative duration, got '%.*s%s'",
                       SHOW(cell, len));
            rc = -1;
        } else {
            v[n++] = simtime_to_s(t);
            sum += simtime_to_s(t);
        }
    }
    if (cell != small)
        free(cell);
    if (rc != 0)
        return -1;
    if (n == 0) {
        diag_error_file(diag, f->path, "holds no samples");
        return -1;
    }
    if (n > UINT32_MAX) {
        diag_error_file(diag, f->path, "too many samples (at most %" PRIu32 ")", UINT32_MAX);
        return -1;
    }
    d->samples = v;
    d->nsamples = n;
    d->a = sum / (double)n;
    return 0;
}

/* The samples file is read inside a reference to the `file:` key, so that
 * its errors, and a file that cannot be read at all, name that key. */
static int p_empirical(dist_t *d, cfg_node_t *map, pctx_t *ctx, const char *path)
{
    cfg_node_t *fn = cfg_get(map, "file");
    const char *full = params_begin_ref(ctx, fn, path, "file", d->file);
    if (!full)
        return 1;
    textfile_t f;
    int rc = textfile_read(ctx->arena, full, TEXTFILE_MAX_CSV, TEXTFILE_NO_BOM, &f, ctx->diag);
    if (rc == 0)
        rc = dist_empirical_parse(&f, d->column, d, ctx->arena, ctx->diag);
    diag_pop_ref(ctx->diag);
    return rc != 0;
}

/* ---- the table ----------------------------------------------------------- */

#define DUR(k, field, req, help) {k, P_SECONDS, OFF(field), NULL, 0, MAXDUR, PF_MIN_EXCL | (req), NULL, NULL, NULL, help}
/* The `dist` key is read by dist_decode before the table; its row only makes it a valid key. */
static int dist_key(const param_t *p, cfg_node_t *n, void *obj, pctx_t *ctx, const char *path)
{
    (void)p, (void)n, (void)obj, (void)ctx, (void)path;
    return 0;
}
#define DIST_KEY {"dist", P_CUSTOM, 0, NULL, 0, 0, PF_NO_BOUNDS, NULL, dist_key, "name", "the kind"}

static const param_t par_exponential[] = {DIST_KEY, DUR("mean", mean, PF_REQUIRED, "mean")};
static const param_t par_deterministic[] = {
    DIST_KEY, {"value", P_SECONDS, OFF(value), NULL, 0, MAXDUR, PF_REQUIRED, NULL, NULL, NULL, "the constant"}};
static const param_t par_lognormal[] = {
    DIST_KEY, DUR("mean", mean, PF_REQUIRED, "mean"),
    {"cv", P_DOUBLE, OFF(cv), NULL, 0, 100, PF_REQUIRED | PF_MIN_EXCL, NULL, NULL, NULL, "coefficient of variation (sd/mean)"}};
static const param_t par_gamma[] = {
    DIST_KEY, DUR("mean", mean, 0, "mean (with cv)"),
    {"cv", P_DOUBLE, OFF(cv), NULL, 0, 100, PF_MIN_EXCL, NULL, NULL, NULL, "coefficient of variation (with mean)"},
    {"shape", P_DOUBLE, OFF(shape), NULL, 0, 1e6, PF_MIN_EXCL, NULL, NULL, NULL, "shape k (with scale)"},
    DUR("scale", scale, 0, "scale theta (with shape)")};
static const param_t par_weibull[] = {
    DIST_KEY, {"shape", P_DOUBLE, OFF(shape), NULL, 0, 1e6, PF_REQUIRED | PF_MIN_EXCL, NULL, NULL, NULL, "shape k"},
    DUR("scale", scale, PF_REQUIRED, "scale lambda")};
static const param_t par_pareto[] = {
    DIST_KEY, {"shape", P_DOUBLE, OFF(shape), NULL, 0, 1e6, PF_REQUIRED | PF_MIN_EXCL, NULL, NULL, NULL, "tail index alpha"},
    DUR("scale", scale, PF_REQUIRED, "minimum x_m")};
static const param_t par_uniform[] = {
    DIST_KEY, {"min", P_SECONDS, OFF(min), NULL, 0, MAXDUR, PF_REQUIRED, NULL, NULL, NULL, "lower end"},
    {"max", P_SECONDS, OFF(max), NULL, 0, MAXDUR, PF_REQUIRED, NULL, NULL, NULL, "upper end"}};
static const param_t par_empirical[] = {
    DIST_KEY, {"file", P_STRING, OFF(file), NULL, 0, 0, PF_REQUIRED, NULL, NULL, NULL, "CSV file, relative to the scenario"},
    {"column", P_INT, OFF(column), "0", 0, 1000, 0, NULL, NULL, NULL, "0-based column of the samples"}};

#define N(a) (sizeof(a) / sizeof((a)[0]))
static const dist_kind_t kinds[] = {
    {"exponential", par_exponential, N(par_exponential), p_none, s_exponential, m_exponential, "memoryless; cv 1"},
    {"deterministic", par_deterministic, N(par_deterministic), p_none, s_deterministic, m_deterministic, "always `value`"},
    {"lognormal", par_lognormal, N(par_lognormal), p_lognormal, s_lognormal, m_lognormal, "by its mean and cv"},
    {"gamma", par_gamma, N(par_gamma), p_gamma, s_gamma, m_gamma, "mean and cv, or shape and scale"},
    {"weibull", par_weibull, N(par_weibull), p_none, s_weibull, m_weibull, "P(X>x) = exp(-(x/scale)^shape)"},
    {"pareto", par_pareto, N(par_pareto), p_none, s_pareto, m_pareto, "P(X>x) = (scale/x)^shape for x >= scale"},
    {"uniform", par_uniform, N(par_uniform), p_uniform, s_uniform, m_uniform, "on [min, max]"},
    {"empirical", par_empirical, N(par_empirical), p_empirical, s_empirical, m_empirical,
     "resamples the values of a CSV column (durations; blank and # lines skipped, and the first other line "
     "when it does not start as a number does: a header)"},
};

const dist_kind_t *dist_find(const char *name)
{
    for (size_t i = 0; i < N(kinds); i++)
        if (strcmp(kinds[i].name, name) == 0)
            return &kinds[i];
    return NULL;
}

void dist_deterministic(dist_t *d, double v)
{
    memset(d, 0, sizeof *d);
    d->kind = &kinds[1];
    d->value = v;
}

double dist_mean(const dist_t *d) { return d->kind->mean_of(d); }

int dist_decode(cfg_node_t *node, dist_t *d, pctx_t *ctx, const char *path)
{
    memset(d, 0, sizeof *d);
    if (node && node->kind == CFG_SCALAR && !cfg_is_null(node)) {
        simtime_t t;
        const char *err = units_duration(node->str, &t);
        if (err || t < 0) {
            diag_error(ctx->diag, node->pos, "%s: expected a distribution {dist: NAME, ...} or a duration, got '%s'",
                       path, node->str);
            return 1;
        }
        dist_deterministic(d, simtime_to_s(t));
        return 0;
    }
    if (!node || node->kind != CFG_MAP) {
        diag_error(ctx->diag, node ? node->pos : (srcpos_t){0},
                   "%s: expected a distribution {dist: NAME, ...}, got %s", path, cfg_kind_name(node));
        return 1;
    }
    cfg_node_t *kn = cfg_get(node, "dist");
    if (!kn) {
        diag_error(ctx->diag, node->pos, "%s: missing required key 'dist'", path);
        return 1;
    }
    const char *name = params_scalar(kn, ctx, path, "a distribution name");
    if (!name)
        return 1;
    d->kind = dist_find(name);
    if (!d->kind) {
        char valid[256];
        size_t k = 0;
        for (size_t i = 0; i < N(kinds); i++)
            k += (size_t)snprintf(valid + k, sizeof valid - k, "%s%s", i ? ", " : "", kinds[i].name);
        diag_error(ctx->diag, kn->pos, "%s: unknown distribution '%s' (valid: %s)", path, name, valid);
        return 1;
    }
    /* `dist` itself is the first row of every table: decoding it again is harmless. */
    int errs = params_decode(d->kind->params, d->kind->nparams, node, d, ctx, path);
    if (errs == 0)
        errs = d->kind->prepare(d, node, ctx, path);
    return errs;
}

void dist_describe(FILE *f)
{
    for (size_t i = 0; i < N(kinds); i++) {
        fprintf(f, "\n`%s`: %s\n\n", kinds[i].name, kinds[i].help);
        params_describe(f, kinds[i].params + 1, kinds[i].nparams - 1);
    }
}
