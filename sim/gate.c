/* gate: SLO gates judged under a rule, and their reports (gate.h says the
 * rules). The writers escape what their format needs: XML's five special
 * characters (and control characters, which XML 1.0 cannot hold at all) in
 * JUnit, Markdown's table and inline syntax in the Markdown summary. */
#define _XOPEN_SOURCE 700 /* realpath */
#include "sim/gate.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sim/metrics.h"
#include "sim/results.h"
#include "sim/run.h"

#ifndef PATH_MAX
#define PATH_MAX 4096
#endif
#ifndef NAME_MAX
#define NAME_MAX 255
#endif

/* ---- judging ----------------------------------------------------------------- */

/* Whether the end of [v - h, v + h] that is nearer to failing passes. */
static bool interval_passes(const slo_t *g, double v, double h)
{
    bool below = g->op == SLO_LT || g->op == SLO_LE; /* the value must stay under */
    return slo_pass(g, below ? v + h : v - h);
}

int gate_evaluate(const scenario_t *sc, const run_result_t *res, gate_rule_t rule, gate_report_t *rep)
{
    memset(rep, 0, sizeof *rep);
    rep->scenario = sc->name;
    rep->seed = sc->seed;
    rep->replications = res->replications;
    rep->overloaded = res->summary.overloaded;
    rep->rule = rule;
    rep->wall_s = res->wall_s;
    rep->n = sc->nslo;
    rep->v = calloc(sc->nslo ? sc->nslo : 1, sizeof *rep->v);
    if (!rep->v)
        return -1;
    const metrics_t *sum = &res->summary;
    for (size_t i = 0; i < sc->nslo; i++) {
        gate_verdict_t *gv = &rep->v[i];
        const slo_t *g = &sc->slo[i];
        gv->slo = g;
        gv->value = gv->half = NAN;
        const metric_t *m = metrics_find(sum, g->metric);
        if (m) {
            /* the replications hold the same paths in the same order
             * (metrics_aggregate checked it): the same index in each */
            size_t at = (size_t)(m - sum->v);
            for (int k = 0; k < res->replications && res->reps; k++)
                gv->samples += at < res->reps[k].n && !isnan(res->reps[k].v[at].value);
            gv->value = m->value;
            gv->proportion = m->trials >= 0 && !m->count;
            gv->count = m->count;
            if (res->replications > 1 && gv->samples >= 2)
                gv->half = results_ci95(m); /* widened for a percentile and a proportion */
        }
        gv->pass_mean = slo_pass(g, gv->value);
        if (res->summary.overloaded > 0) {
            /* the others' values leave out the worst: it outgrew the platform */
            gv->basis = GATE_OVERLOADED;
            gv->pass = false;
        } else if (isnan(gv->value)) {
            gv->basis = GATE_NO_SAMPLE;
            gv->pass = false;
        } else if (res->replications < 2) {
            gv->basis = GATE_BY_VALUE;
            gv->pass = gv->pass_mean;
        } else if (rule == GATE_ON_MEAN) {
            gv->basis = GATE_BY_MEAN;
            gv->pass = gv->pass_mean;
        } else if (isnan(gv->half)) {
            gv->basis = GATE_NO_INTERVAL;
            gv->pass = false;
        } else {
            gv->basis = GATE_BY_CI;
            gv->pass = interval_passes(g, gv->value, gv->half);
        }
        rep->passed += gv->pass;
    }
    return 0;
}

void gate_report_free(gate_report_t *rep)
{
    free(rep->v);
    memset(rep, 0, sizeof *rep);
}

const char *gate_rule_text(const gate_report_t *rep, char *buf, size_t size)
{
    if (rep->replications < 2)
        snprintf(buf, size, "the value of one replication, which has no interval; --replications 2 or more gives one");
    else if (rep->rule == GATE_ON_MEAN)
        snprintf(buf, size, "the mean over %d replications, --gate-on mean", rep->replications);
    else
        snprintf(buf, size, "the whole 95%% confidence interval over %d replications", rep->replications);
    return buf;
}

/* ---- text of a verdict ------------------------------------------------------- */

static const char *num(double v, char *buf, size_t size)
{
    if (isnan(v))
        snprintf(buf, size, "no sample");
    else
        snprintf(buf, size, "%.6g", v);
    return buf;
}

/* The interval's ends as shown: a proportion's stay in [0, 1] (the
 * verdict reads one end, which this does not move across a threshold in
 * [0, 1]). */
static void shown_ends(const gate_verdict_t *gv, double *lo, double *hi)
{
    *lo = gv->value - gv->half;
    *hi = gv->value + gv->half;
    if (gv->proportion || gv->count)
        *lo = fmax(*lo, 0);
    if (gv->proportion)
        *hi = fmin(*hi, 1);
}

/* The interval as "[lo, hi]", or "-" when there is none. */
static const char *interval(const gate_verdict_t *gv, char *buf, size_t size)
{
    double lo, hi;
    shown_ends(gv, &lo, &hi);
    if (isnan(gv->value) || isnan(gv->half))
        snprintf(buf, size, "-");
    else
        snprintf(buf, size, "[%.6g, %.6g]", lo, hi);
    return buf;
}

/* The verdict with what decided it when that is worth a word. */
static const char *verdict(const gate_report_t *rep, const gate_verdict_t *gv, char *buf, size_t size)
{
    bool has_ci = !isnan(gv->half);
    switch (gv->basis) {
    case GATE_NO_SAMPLE: snprintf(buf, size, "FAIL (no sample)"); break;
    case GATE_OVERLOADED:
        snprintf(buf, size, "FAIL (%d of %d replications overloaded)", rep->overloaded, rep->replications);
        break;
    case GATE_NO_INTERVAL:
        snprintf(buf, size, "FAIL (no interval: a sample in %d of %d replications)", gv->samples, rep->replications);
        break;
    case GATE_BY_CI:
        snprintf(buf, size, "%s", gv->pass ? "PASS" : gv->pass_mean ? "FAIL (the mean passes; the interval crosses "
                                                                      "the threshold)"
                                                                    : "FAIL");
        break;
    case GATE_BY_MEAN:
        snprintf(buf, size, "%s",
                 gv->pass && has_ci && !interval_passes(gv->slo, gv->value, gv->half)
                     ? "PASS (on the mean; the interval crosses the threshold)"
                 : gv->pass ? "PASS"
                            : "FAIL");
        break;
    default: snprintf(buf, size, "%s", gv->pass ? "PASS" : "FAIL"); break;
    }
    return buf;
}

/* One sentence: the metric, its value and interval, the threshold, the
 * verdict and what decided it (the JUnit failure message and output). */
static void sentence(const gate_report_t *rep, const gate_verdict_t *gv, char *buf, size_t size)
{
    const slo_t *g = gv->slo;
    char v[32], t[32], lo[32], hi[32];
    num(g->threshold, t, sizeof t);
    if (gv->basis == GATE_NO_SAMPLE) {
        snprintf(buf, size, "%s: no sample (nothing was measured), threshold %s %s: fail", g->metric,
                 slo_ops[g->op], t);
        return;
    }
    if (gv->basis == GATE_OVERLOADED) {
        snprintf(buf, size,
                 "%s: %d of %d replications reached clustersim's limit of requests in flight (the load outgrows "
                 "the platform), threshold %s %s: fail",
                 g->metric, rep->overloaded, rep->replications, slo_ops[g->op], t);
        return;
    }
    num(gv->value, v, sizeof v);
    const char *by = gv->basis == GATE_BY_VALUE ? "the value (one replication, no interval)"
                     : gv->basis == GATE_BY_MEAN ? "the mean (--gate-on mean)"
                     : gv->basis == GATE_NO_INTERVAL ? "the 95% interval, which needs a sample in 2 replications"
                     : g->op == SLO_LT || g->op == SLO_LE ? "the 95% interval's upper end"
                                                           : "the 95% interval's lower end";
    if (isnan(gv->half))
        snprintf(buf, size, "%s = %s (%d replication%s, no interval), threshold %s %s: %s, decided by %s",
                 g->metric, v, rep->replications, rep->replications == 1 ? "" : "s", slo_ops[g->op], t,
                 gv->pass ? "pass" : "fail", by);
    else {
        double l, h;
        shown_ends(gv, &l, &h);
        snprintf(buf, size, "%s = %s, 95%% CI [%s, %s] (%d replications), threshold %s %s: %s, decided by %s",
                 g->metric, v, num(l, lo, sizeof lo), num(h, hi, sizeof hi), rep->replications, slo_ops[g->op], t,
                 gv->pass ? "pass" : "fail", by);
    }
}

/* The cells of a gate's line in the terminal summary. */
typedef struct cells {
    char value[32], interval[80], threshold[48], verdict[96];
} cells_t;

static void cells_of(const gate_report_t *rep, const gate_verdict_t *gv, cells_t *c)
{
    char t[32];
    num(gv->value, c->value, sizeof c->value);
    interval(gv, c->interval, sizeof c->interval);
    snprintf(c->threshold, sizeof c->threshold, "%s %s", slo_ops[gv->slo->op], num(gv->slo->threshold, t, sizeof t));
    verdict(rep, gv, c->verdict, sizeof c->verdict);
}

static int widest(int w, const char *s)
{
    int n = (int)strlen(s);
    return n > w ? n : w;
}

void gate_print(FILE *f, const gate_report_t *rep, bool quiet)
{
    char rule[160];
    if (!quiet) {
        if (rep->replications > 1)
            fprintf(f, "check %s: %d replications (seeds %" PRIu64 " to %" PRIu64 "), %.2fs wall\n", rep->scenario,
                    rep->replications, rep->seed, rep->seed + (uint64_t)(rep->replications - 1), rep->wall_s);
        else
            fprintf(f, "check %s: 1 replication (seed %" PRIu64 "), %.2fs wall\n", rep->scenario, rep->seed,
                    rep->wall_s);
        /* columns as wide as their widest cell (names up to 40, paths up to 60) */
        int wn = 4, wm = 6, wv = 5, wi = 12, wt = 9;
        cells_t c;
        for (size_t i = 0; i < rep->n; i++) {
            cells_of(rep, &rep->v[i], &c);
            wn = widest(wn, rep->v[i].slo->name);
            wm = widest(wm, rep->v[i].slo->metric);
            wv = widest(wv, c.value);
            wi = widest(wi, c.interval);
            wt = widest(wt, c.threshold);
        }
        wn = wn > 40 ? 40 : wn;
        wm = wm > 60 ? 60 : wm;
        fprintf(f, "%-*s  %-*s  %*s  %-*s  %-*s  %s\n", wn, "gate", wm, "metric", wv, "value", wi, "95% interval", wt,
                "threshold", "verdict");
        for (size_t i = 0; i < rep->n; i++) {
            const gate_verdict_t *gv = &rep->v[i];
            cells_of(rep, gv, &c);
            fprintf(f, "%-*s  %-*s  %*s  %-*s  %-*s  %s\n", wn, gv->slo->name, wm, gv->slo->metric, wv, c.value, wi,
                    c.interval, wt, c.threshold, c.verdict);
        }
    }
    fprintf(f, "%zu of %zu gates pass (rule: %s)\n", rep->passed, rep->n, gate_rule_text(rep, rule, sizeof rule));
}

/* ---- whole files -------------------------------------------------------------- */

/* A report's target: the file itself, or where a link to one points. */
typedef struct target {
    char path[PATH_MAX];  /* the file to replace */
    char dir[PATH_MAX];   /* its directory */
    const char *base;     /* its name, in path */
} target_t;

/* Splits (and resolves) path into t. 0, or -1 with a message. */
static int target_of(const char *path, target_t *t, char *err, size_t errlen)
{
    struct stat st;
    if (!*path) {
        snprintf(err, errlen, "the report's file name is empty");
        return -1;
    }
    if (strlen(path) >= sizeof t->path) {
        snprintf(err, errlen, "the report's path is too long (%zu bytes; the system's limit is %d)", strlen(path),
                 PATH_MAX);
        return -1;
    }
    snprintf(t->path, sizeof t->path, "%s", path);
    if (lstat(path, &st) == 0 && S_ISLNK(st.st_mode)) {
        /* a link to a file: the report replaces the file it points to */
        char *real = stat(path, &st) == 0 && S_ISREG(st.st_mode) ? realpath(path, NULL) : NULL;
        if (!real) {
            snprintf(err, errlen, "'%s' is a symbolic link, but not to a regular file", path);
            return -1;
        }
        snprintf(t->path, sizeof t->path, "%s", real);
        free(real);
    }
    char *slash = strrchr(t->path, '/');
    t->base = slash ? slash + 1 : t->path;
    if (!*t->base || !strcmp(t->base, ".") || !strcmp(t->base, "..")) {
        snprintf(err, errlen, "'%s' names a directory; a report is a file", path);
        return -1;
    }
    if (!slash)
        snprintf(t->dir, sizeof t->dir, ".");
    else if (slash == t->path)
        snprintf(t->dir, sizeof t->dir, "/");
    else
        snprintf(t->dir, sizeof t->dir, "%.*s", (int)(slash - t->path), t->path);
    return 0;
}

/* The temporary name beside t (attempt k), or -1 when it does not fit. */
static int temp_name(const target_t *t, unsigned k, char *buf, size_t size)
{
    const char *sep = t->dir[strlen(t->dir) - 1] == '/' ? "" : "/";
    int n = snprintf(buf, size, "%s%s.%s.tmp-%ld-%u", t->dir, sep, t->base, (long)getpid(), k);
    size_t comp = strlen(t->base) + (size_t)snprintf(NULL, 0, "..tmp-%ld-%u", (long)getpid(), 4000000000u);
    return n < 0 || (size_t)n >= size || comp > NAME_MAX ? -1 : 0;
}

int gate_check_output(const char *path, char *err, size_t errlen)
{
    target_t t;
    char tmp[PATH_MAX];
    struct stat st;
    if (target_of(path, &t, err, errlen) != 0)
        return -1;
    if (stat(t.path, &st) == 0) {
        if (!S_ISREG(st.st_mode)) {
            snprintf(err, errlen, "'%s' exists and is not a regular file (a report is written beside it and renamed "
                                  "over it)", path);
            return -1;
        }
    } else if (errno != ENOENT) {
        snprintf(err, errlen, "cannot use '%s' for a report: %s", path, strerror(errno));
        return -1;
    }
    if (temp_name(&t, 0, tmp, sizeof tmp) != 0) {
        snprintf(err, errlen, "the report's name '%s' is too long for the temporary file written beside it", path);
        return -1;
    }
    if (run_make_dirs(t.dir) != 0) {
        snprintf(err, errlen, "cannot create '%s', the directory of the report '%s': %s", t.dir, path,
                 strerror(errno));
        return -1;
    }
    if (access(t.dir, W_OK) != 0) {
        snprintf(err, errlen, "cannot write the report '%s' in '%s': %s", path, t.dir, strerror(errno));
        return -1;
    }
    return 0;
}

int gate_write_file(const char *path, void (*emit)(FILE *, const void *), const void *ctx, char *err,
                    size_t errlen)
{
    target_t t;
    char tmp[PATH_MAX];
    if (target_of(path, &t, err, errlen) != 0)
        return -1;
    int fd = -1;
    for (unsigned k = 0; fd < 0 && k < 100; k++) {
        if (temp_name(&t, k, tmp, sizeof tmp) != 0) {
            snprintf(err, errlen, "the report's name '%s' is too long", path);
            return -1;
        }
        fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL, 0666); /* the umask applies, as for any file */
        if (fd < 0 && errno != EEXIST) {
            snprintf(err, errlen, "cannot create a temporary file beside '%s': %s", path, strerror(errno));
            return -1;
        }
    }
    if (fd < 0) {
        snprintf(err, errlen, "cannot create a temporary file beside '%s': too many exist", path);
        return -1;
    }
    FILE *f = fdopen(fd, "w");
    if (!f) {
        int e = errno;
        close(fd);
        unlink(tmp);
        snprintf(err, errlen, "writing '%s' failed: %s", path, strerror(e));
        return -1;
    }
    emit(f, ctx);
    int e = 0;
    errno = 0;
    if (fflush(f) != 0)
        e = errno ? errno : EIO;
    else if (ferror(f))
        e = EIO;
    else if (fsync(fileno(f)) != 0 && errno != EINVAL)
        e = errno;
    errno = 0;
    if (fclose(f) != 0 && !e)
        e = errno ? errno : EIO;
    if (!e && rename(tmp, t.path) != 0)
        e = errno;
    if (e) {
        unlink(tmp);
        snprintf(err, errlen, "writing '%s' failed: %s", path, strerror(e));
        return -1;
    }
    int dfd = open(t.dir, O_RDONLY | O_DIRECTORY);
    if (dfd >= 0) {
        fsync(dfd); /* the new name is durable (best effort: not every file system can) */
        close(dfd);
    }
    return 0;
}

/* ---- JUnit XML ------------------------------------------------------------------ */

void gate_xml_put(FILE *f, const char *s)
{
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        switch (c) {
        case '&': fputs("&amp;", f); break;
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '"': fputs("&quot;", f); break;
        case '\'': fputs("&apos;", f); break;
        case '\t': fputs("&#9;", f); break;
        case '\n': fputs("&#10;", f); break;
        case '\r': fputs("&#13;", f); break;
        default: fputc(c < 0x20 ? '?' : c, f); break;
        }
    }
}

void gate_junit_case(FILE *f, const char *classname, const char *name, const char *failure_type,
                     const char *line)
{
    fputs("    <testcase classname=\"", f);
    gate_xml_put(f, classname);
    fputs("\" name=\"", f);
    gate_xml_put(f, name);
    fputs("\" time=\"0\">\n", f);
    if (failure_type) {
        fprintf(f, "      <failure type=\"%s\" message=\"", failure_type);
        gate_xml_put(f, line);
        fputs("\">", f);
        gate_xml_put(f, line);
        fputs("</failure>\n", f);
    }
    fputs("      <system-out>", f);
    gate_xml_put(f, line);
    fputs("</system-out>\n    </testcase>\n", f);
}

static void emit_junit(FILE *f, const void *ctx)
{
    const gate_report_t *rep = ctx;
    size_t failures = rep->n - rep->passed;
    char rule[160], line[1024], seed[24];
    snprintf(seed, sizeof seed, "%" PRIu64, rep->seed);
    fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n", f);
    fprintf(f, "<testsuites name=\"clustersim check\" tests=\"%zu\" failures=\"%zu\" errors=\"0\" time=\"%.3f\">\n",
            rep->n, failures, rep->wall_s);
    fputs("  <testsuite name=\"", f);
    gate_xml_put(f, rep->scenario);
    fprintf(f, "\" tests=\"%zu\" failures=\"%zu\" errors=\"0\" skipped=\"0\" time=\"%.3f\">\n", rep->n, failures,
            rep->wall_s);
    fputs("    <properties>\n      <property name=\"rule\" value=\"", f);
    gate_xml_put(f, gate_rule_text(rep, rule, sizeof rule));
    fprintf(f, "\"/>\n      <property name=\"replications\" value=\"%d\"/>\n", rep->replications);
    fprintf(f, "      <property name=\"seed\" value=\"%s\"/>\n    </properties>\n", seed);
    for (size_t i = 0; i < rep->n; i++) {
        const gate_verdict_t *gv = &rep->v[i];
        sentence(rep, gv, line, sizeof line);
        gate_junit_case(f, rep->scenario, gv->slo->name, gv->pass ? NULL : "slo", line);
    }
    fputs("  </testsuite>\n</testsuites>\n", f);
}

int gate_write_junit(const char *path, const gate_report_t *rep, char *err, size_t errlen)
{
    return gate_write_file(path, emit_junit, rep, err, errlen);
}

/* ---- JSON strings ------------------------------------------------------------------ */

void gate_json_put(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '"' || ch == '\\')
            fprintf(f, "\\%c", ch);
        else if (ch < 0x20)
            fprintf(f, "\\u%04x", ch);
        else
            fputc(ch, f);
    }
    fputc('"', f);
}

/* ---- Markdown --------------------------------------------------------------------- */

void gate_md_put(FILE *f, const char *s)
{
    for (; *s; s++) {
        if (*s == '\n' || *s == '\r')
            fputc(' ', f);
        else {
            if (strchr("\\`*_[]<>|&~!", *s))
                fputc('\\', f);
            fputc(*s, f);
        }
    }
}

#define MD_PASS "\xe2\x9c\x85 PASS"  /* U+2705 */
#define MD_FAIL "\xe2\x9d\x8c FAIL"  /* U+274C */

static void emit_markdown(FILE *f, const void *ctx)
{
    const gate_report_t *rep = ctx;
    char rule[160];
    fputs("### clustersim check ", f);
    gate_md_put(f, rep->scenario);
    fprintf(f, ": %zu of %zu gates pass\n\n", rep->passed, rep->n);
    fputs("| gate | metric | value | threshold | verdict |\n|---|---|---|---|---|\n", f);
    for (size_t i = 0; i < rep->n; i++) {
        const gate_verdict_t *gv = &rep->v[i];
        char v[32], h[32], t[32], vd[96];
        fputs("| ", f);
        gate_md_put(f, gv->slo->name);
        /* a path in a code span, as written (paths hold no backquote) */
        if (strchr(gv->slo->metric, '`')) {
            fputs(" | ", f);
            gate_md_put(f, gv->slo->metric);
            fputs(" | ", f);
        } else
            fprintf(f, " | `%s` | ", gv->slo->metric);
        if (isnan(gv->value))
            fputs("no sample", f);
        else if (isnan(gv->half))
            fputs(num(gv->value, v, sizeof v), f);
        else
            fprintf(f, "%s \xc2\xb1 %s", num(gv->value, v, sizeof v), num(gv->half, h, sizeof h)); /* U+00B1 */
        /* "< 200": a '<' before a space starts no HTML */
        fprintf(f, " | %s %s | %s", slo_ops[gv->slo->op], num(gv->slo->threshold, t, sizeof t), gv->pass ? MD_PASS : MD_FAIL);
        verdict(rep, gv, vd, sizeof vd);
        const char *why = strchr(vd, '(');
        if (why) {
            fputc(' ', f);
            gate_md_put(f, why);
        }
        fputs(" |\n", f);
    }
    if (rep->replications > 1)
        fprintf(f, "\nRule: %s (seeds %" PRIu64 " to %" PRIu64 "). Values are means over the replications, \xc2\xb1 "
                   "the half-width of their 95%% confidence interval.\n",
                gate_rule_text(rep, rule, sizeof rule), rep->seed, rep->seed + (uint64_t)(rep->replications - 1));
    else
        fprintf(f, "\nRule: %s (seed %" PRIu64 ").\n", gate_rule_text(rep, rule, sizeof rule), rep->seed);
}

int gate_write_markdown(const char *path, const gate_report_t *rep, char *err, size_t errlen)
{
    return gate_write_file(path, emit_markdown, rep, err, errlen);
}
