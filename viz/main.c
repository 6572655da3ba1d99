/* clustersim-view: the review window (README.md, "Reviewing a run").
 *
 *   clustersim-view RESULTS_DIR                 replay a finished run
 *   clustersim-view BASE_DIR CANDIDATE_DIR      overlay two runs (compare)
 *   clustersim-view SCENARIO.yaml [--set P=V]   run one live
 *   ... --snapshot OUT.png [--at T] [--size WxH]   one frame, no display
 *   ... --bench-frames N [--size WxH]           time N frames (make bench)
 *
 * Live mode runs one replication of the scenario (0, or --replication N)
 * in a thread of its own,
 * with timeseries.csv and events.csv written into two pipes instead of
 * files: the engine needs no hook. The window reads the rows as they come
 * and stops reading at a row later than its cursor, so a full pipe blocks
 * the simulation: simulated time advances at the chosen speed (or as fast
 * as the engine goes, at "max"). Nothing is written to disk.
 *
 * Only main() exits; every error is a message and exit 2 (bad input) or 3
 * (SDL, fonts, memory). */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <SDL.h>
#include <SDL_ttf.h>

#include "models/catalog.h"
#include "models/cost.h"
#include "models/database.h"
#include "models/redis.h"
#include "models/service.h"
#include "sim/diag.h"
#include "sim/scenario.h"
#include "sim/units.h"
#include "sim/world.h"
#include "viz/draw.h"
#include "viz/png.h"
#include "viz/vdata.h"

#define VERSION "0.1.0"
#define MAX_SETS 64

static const char usage[] =
    "usage: clustersim-view RESULTS_DIR [CANDIDATE_DIR] [options]\n"
    "       clustersim-view SCENARIO.yaml [--set PATH=VALUE]... [options]\n"
    "options:\n"
    "  --snapshot OUT.png   draw one frame into OUT.png, no window (no display needed)\n"
    "  --at T               the time cursor: 6h, 90m, 3600 (seconds); default: the end (the start in a window)\n"
    "  --size WxH           the frame's size in pixels (default 1600x900; at least 800x500)\n"
    "  --speed S            1, 10, 100, 1000, 10000 or max: simulated seconds per second (default 100)\n"
    "  --service NAME       the service selected at the start (default: the first)\n"
    "  --replication N      the replication shown (default 0); live: the one run (seed + N)\n"
    "  --set PATH=VALUE     (live) override a scenario key, as clustersim run --set\n"
    "  --bench-frames N     draw N frames headless and print the median time per frame\n"
    "  --help, --version\n"
    "keys: space pause, left/right step a sample (shift: 10), [ ] the previous/next autoscaler sync,\n"
    "      home/end, +/- speed, 1-9 service,\n"
    "      c the run shown (compare), s screenshot (PNG), q or escape quit; mouse: hover for values,\n"
    "      click or drag on the charts to move the cursor\n";

static const double speeds[] = {1, 10, 100, 1000, 10000, INFINITY};
#define NSPEEDS ((int)(sizeof speeds / sizeof speeds[0]))

typedef struct opts {
    const char *path[2];
    int npaths;
    const char *snapshot, *service;
    double at;
    bool at_set;
    int w, h;
    int speed;
    long bench;
    int replication;
    const char *sets[MAX_SETS];
    int nsets;
} opts_t;

static int bad_option(const char *opt, int col, const char *msg, const char *val)
{
    fprintf(stderr, "%s:1:%d: %s: '%s'\n", opt, col, msg, val);
    return 2;
}

/* "WxH": 0 or 2 after a message. */
static int parse_size(const char *s, int *w, int *h)
{
    char *end;
    errno = 0;
    long a = strtol(s, &end, 10);
    if (end == s || errno || a <= 0)
        return bad_option("--size", 1, "expected WIDTHxHEIGHT in pixels, as 1600x900", s);
    if (*end != 'x' && *end != 'X')
        return bad_option("--size", (int)(end - s) + 1, "expected 'x' between width and height, as 1600x900", s);
    const char *p = end + 1;
    long b = strtol(p, &end, 10);
    if (end == p || errno || b <= 0)
        return bad_option("--size", (int)(p - s) + 1, "expected a height in pixels after 'x'", s);
    if (*end)
        return bad_option("--size", (int)(end - s) + 1, "unexpected text after the height", s);
    if (a < 800 || b < 500 || a > 8192 || b > 8192)
        return bad_option("--size", 1, "the size must be from 800x500 to 8192x8192", s);
    *w = (int)a;
    *h = (int)b;
    return 0;
}

/* 0, 2 after a message (bad command line), or -1 when --help or --version
 * was answered (exit 0). */
static int parse_args(int argc, char **argv, opts_t *o)
{
    memset(o, 0, sizeof *o);
    o->w = 1600;
    o->h = 900;
    o->speed = 2;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        bool has_val = i + 1 < argc;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            fputs(usage, stdout);
            return -1;
        } else if (!strcmp(a, "--version")) {
            printf("clustersim-view %s\n", VERSION);
            return -1;
        } else if (!strcmp(a, "--snapshot") || !strcmp(a, "--at") || !strcmp(a, "--size") || !strcmp(a, "--speed") ||
                   !strcmp(a, "--set") || !strcmp(a, "--bench-frames") || !strcmp(a, "--service") ||
                   !strcmp(a, "--replication")) {
            if (!has_val) {
                fprintf(stderr, "%s: expects a value\n%s", a, usage);
                return 2;
            }
            const char *v = argv[++i];
            if (!strcmp(a, "--snapshot")) {
                if (!v[0])
                    return bad_option("--snapshot", 1, "expected a file name", v);
                o->snapshot = v;
            } else if (!strcmp(a, "--service"))
                o->service = v;
            else if (!strcmp(a, "--at")) {
                simtime_t t;
                const char *msg = units_duration(v, &t);
                if (msg || t < 0)
                    return bad_option("--at", 1, msg ? msg : "expected a time at or after 0", v);
                o->at = simtime_to_s(t);
                o->at_set = true;
            } else if (!strcmp(a, "--size")) {
                int rc = parse_size(v, &o->w, &o->h);
                if (rc)
                    return rc;
            } else if (!strcmp(a, "--speed")) {
                int k = -1;
                for (int s = 0; s < NSPEEDS - 1; s++)
                    if (atof(v) == speeds[s] && strspn(v, "0123456789") == strlen(v))
                        k = s;
                if (!strcmp(v, "max"))
                    k = NSPEEDS - 1;
                if (k < 0)
                    return bad_option("--speed", 1, "expected 1, 10, 100, 1000, 10000 or max", v);
                o->speed = k;
            } else if (!strcmp(a, "--replication")) {
                char *end;
                long rep = strtol(v, &end, 10);
                if (end == v || *end || rep < 0 || rep > 1000000)
                    return bad_option("--replication", 1, "expected a whole number from 0", v);
                o->replication = (int)rep;
            } else if (!strcmp(a, "--bench-frames")) {
                char *end;
                o->bench = strtol(v, &end, 10);
                if (end == v || *end || o->bench < 1 || o->bench > 100000)
                    return bad_option("--bench-frames", 1, "expected a number of frames from 1 to 100000", v);
            } else {
                if (o->nsets == MAX_SETS) {
                    fprintf(stderr, "--set: at most %d\n", MAX_SETS);
                    return 2;
                }
                o->sets[o->nsets++] = v;
            }
        } else if (a[0] == '-' && a[1]) {
            fprintf(stderr, "%s: unknown option\n%s", a, usage);
            return 2;
        } else if (o->npaths == 2) {
            fprintf(stderr, "%s: at most two results directories (a base and a candidate)\n", a);
            return 2;
        } else
            o->path[o->npaths++] = a;
    }
    if (o->npaths == 0) {
        fputs(usage, stderr);
        return 2;
    }
    return 0;
}

static bool is_dir(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

/* Whether --snapshot's file can be written: not a directory, in a directory
 * that exists and takes new files (an existing file: one we may write).
 * Checked before anything is loaded or run, as clustersim's -o is: a bad
 * path is bad input (2, after a message), not a failure at the end of a
 * whole live run. A write that still fails later is exit 3. */
static int check_snapshot(const char *path)
{
    struct stat st;
    char dir[4096];
    const char *slash = strrchr(path, '/');
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
        return bad_option("--snapshot", 1, "is a directory, not a file name", path);
    if (!slash)
        snprintf(dir, sizeof dir, ".");
    else if (slash == path)
        snprintf(dir, sizeof dir, "/");
    else if ((size_t)(slash - path) < sizeof dir)
        snprintf(dir, sizeof dir, "%.*s", (int)(slash - path), path);
    else
        return bad_option("--snapshot", 1, "the path is too long", path);
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        fprintf(stderr, "--snapshot:1:1: no directory '%s' to write '%s' into\n", dir, path);
        return 2;
    }
    if (access(dir, W_OK | X_OK) != 0) {
        fprintf(stderr, "--snapshot:1:1: cannot write '%s' in '%s': %s\n", path, dir, strerror(errno));
        return 2;
    }
    if (access(path, F_OK) == 0 && access(path, W_OK) != 0) {
        fprintf(stderr, "--snapshot:1:1: cannot write '%s': %s\n", path, strerror(errno));
        return 2;
    }
    return 0;
}

/* ---- live mode ------------------------------------------------------------ */

enum { LIVE_SERIES, LIVE_EVENTS, LIVE_AUTOSCALER, LIVE_PIPES };

typedef struct live {
    scenario_t *sc;
    FILE *w[LIVE_PIPES];        /* the world's ends: timeseries, events, autoscaler rows */
    int fd[LIVE_PIPES];         /* the window's ends, non-blocking (-1: none) */
    pthread_t thread;
    bool started;
    char *buf[LIVE_PIPES];      /* bytes read and not yet parsed */
    size_t len[LIVE_PIPES], cap[LIVE_PIPES];
    char *header[LIVE_PIPES];   /* each pipe's first line, as the world wrote it */
    bool eof[LIVE_PIPES];
    bool blocked[LIVE_PIPES];   /* a row later than the cursor is waiting */
    atomic_int done;            /* the thread has ended */
    atomic_int refs;            /* the window and the thread: the last to let go frees */
    int replication;            /* the one run (its seed: the scenario's + replication) */
    int failed;                 /* the world failed (its message in error) */
    char error[320];
} live_t;

/* Lets go of l: the last of the window and the run's thread frees it and
 * the scenario. On the heap, not on main's stack: a run still going when
 * the window quits keeps using l until the process ends. */
static void live_release(live_t *l)
{
    if (atomic_fetch_sub(&l->refs, 1) != 1)
        return;
    if (l->sc)
        scenario_free(l->sc);
    free(l);
}

static void *live_main(void *arg)
{
    live_t *l = arg;
    world_files_t files = {l->w[LIVE_SERIES], l->w[LIVE_EVENTS], l->w[LIVE_AUTOSCALER]};
    world_write_headers(&files);
    world_t *w = world_new(l->sc, l->replication, &files);
    if (!w) {
        snprintf(l->error, sizeof l->error, "out of memory setting up the run");
        l->failed = 1;
    } else {
        if (world_run(w) != 0) {
            snprintf(l->error, sizeof l->error, "%s", w->error);
            l->failed = 1;
        }
        world_free(w);
    }
    for (int k = 0; k < LIVE_PIPES; k++)
        fclose(l->w[k]);
    atomic_store(&l->done, 1);
    live_release(l);
    return NULL;
}

/* The scenario's prices, for the cost chart of a live run (summary.json,
 * where a replay finds them, comes at the end): each service's price per
 * pod-hour (cost_compute of one pod-hour, as the run bills its pods) and
 * what Redis's and the database's nodes cost an hour. False when out of
 * memory. */
static bool live_prices(vrun_t *r, const scenario_t *sc)
{
    const cost_cfg_t *cost = &platform_of(sc)->cost;
    size_t n;
    station_cfg_t *st = scenario_stations_of(sc, &station_service, &n);
    r->cost_service = arena_alloc(r->arena, (n + 1) * sizeof *r->cost_service);
    r->cost_service_usd = arena_alloc(r->arena, (n + 1) * sizeof *r->cost_service_usd);
    r->pod_hours = arena_alloc(r->arena, (n + 1) * sizeof *r->pod_hours);
    if (!r->cost_service || !r->cost_service_usd || !r->pod_hours)
        return false;
    for (size_t k = 0; k < n; k++) {
        const service_cfg_t *c = st[k].cfg;
        r->cost_service[k] = st[k].name;
        r->cost_service_usd[k] = cost_compute(cost, 1.0, c->cpu_request_m, c->mem_request_b);
        r->pod_hours[k] = 1;
    }
    r->ncost = (int)n;
    st = scenario_stations_of(sc, &station_redis, &n);
    for (size_t k = 0; k < n; k++) {
        r->fixed_usd_hour += redis_cost_usd(st[k].cfg, cost, 1);
    }
    st = scenario_stations_of(sc, &station_database, &n);
    for (size_t k = 0; k < n; k++) {
        r->fixed_usd_hour += database_cost_usd(st[k].cfg, cost, 1);
    }
    r->live_prices = true;
    return true;
}

static int live_start(live_t *l, const opts_t *o, vrun_t *r)
{
    diag_t d;
    diag_init(&d);
    scenario_opts_t so = {NULL, false}; /* messages name --set[N], as clustersim's */
    l->sc = scenario_load_opts(o->path[0], o->sets, (size_t)o->nsets, &so, &d);
    diag_print(&d, stderr);
    if (!l->sc)
        return diag_exit_code(&d);
    if (!vdata_init(r, o->path[0])) {
        fprintf(stderr, "out of memory\n");
        return 3;
    }
    r->replication = l->replication = o->replication; /* the rows the run writes carry it */
    r->scenario = l->sc->name;
    r->duration_s = simtime_to_s(l->sc->duration);
    r->warmup_s = simtime_to_s(l->sc->warmup);
    vslo_t *slos = arena_alloc(r->arena, (l->sc->nslo + 1) * sizeof *slos);
    for (size_t i = 0; slos && i < l->sc->nslo; i++)
        slos[r->nslos++] = (vslo_t){l->sc->slo[i].name, l->sc->slo[i].metric, slo_ops[l->sc->slo[i].op],
                                    l->sc->slo[i].threshold};
    r->slos = slos;
    if (!slos || !live_prices(r, l->sc)) {
        fprintf(stderr, "out of memory\n");
        return 3;
    }
    r->has_autoscaler = true; /* its rows come through a pipe */
    for (int k = 0; k < LIVE_PIPES; k++) {
        int p[2];
        if (pipe(p) != 0) {
            fprintf(stderr, "cannot create a pipe: %s\n", strerror(errno));
            return 3;
        }
        fcntl(p[0], F_SETFL, O_NONBLOCK);
        l->fd[k] = p[0];
        if (!(l->w[k] = fdopen(p[1], "w"))) {
            close(p[1]);
            fprintf(stderr, "cannot start the run: %s\n", strerror(errno));
            return 3;
        }
        /* a row reaches the window when it is written, not when 4 KiB are */
        setvbuf(l->w[k], NULL, _IOLBF, 0);
    }
    /* two holders before the thread starts: a run that ends at once lets go
     * of its own (live_stop counts the window's back to 1 if none starts) */
    atomic_store(&l->refs, 2);
    if (pthread_create(&l->thread, NULL, live_main, l) != 0) {
        fprintf(stderr, "cannot start the run\n");
        return 3;
    }
    l->started = true;
    return 0;
}

/* The reader of each pipe's rows (the file readers, given the header). */
static int (*const live_parse[LIVE_PIPES])(vrun_t *, const char *, const char *, size_t, diag_t *) = {
    vdata_parse_timeseries, vdata_parse_events, vdata_parse_autoscaler};

/* Parses the complete rows of every pipe with time <= until into r, reading
 * more while nothing waits; a row past until stays (its pipe "blocked").
 * 0, or -1 on a malformed row (after a message) or OOM. */
static int live_pump(live_t *l, vrun_t *r, double until)
{
    for (int k = 0; k < LIVE_PIPES; k++) {
        for (;;) {
            char *start = l->buf[k], *nl;
            size_t left = l->len[k];
            bool blocked = false;
            while (left && (nl = memchr(start, '\n', left))) {
                *nl = '\0';
                if (!l->header[k]) { /* the first line: the header */
                    if (!(l->header[k] = strdup(start)))
                        return -1;
                } else {
                    const char *c1 = strchr(start, ',');
                    if (c1 && strtod(c1 + 1, NULL) > until) {
                        *nl = '\n';
                        blocked = true;
                        break;
                    }
                    /* one row: the file reader takes it as a table of one row */
                    size_t n = strlen(l->header[k]) + 1 + (size_t)(nl - start) + 1;
                    char *row = malloc(n + 1);
                    if (!row)
                        return -1;
                    snprintf(row, n + 1, "%s\n%s\n", l->header[k], start);
                    diag_t d;
                    diag_init(&d);
                    int rc = live_parse[k](r, "live", row, n, &d);
                    free(row);
                    if (rc != 0) {
                        diag_print(&d, stderr);
                        return -1;
                    }
                }
                left -= (size_t)(nl + 1 - start);
                start = nl + 1;
            }
            if (left)
                memmove(l->buf[k], start, left);
            l->len[k] = left;
            l->blocked[k] = blocked;
            if (blocked || l->eof[k])
                break;
            if (l->cap[k] - l->len[k] < 4096) {
                size_t nc = l->cap[k] ? l->cap[k] * 2 : 65536;
                char *p = realloc(l->buf[k], nc);
                if (!p)
                    return -1;
                l->buf[k] = p;
                l->cap[k] = nc;
            }
            ssize_t got = read(l->fd[k], l->buf[k] + l->len[k], l->cap[k] - l->len[k]);
            if (got == 0)
                l->eof[k] = true;
            if (got <= 0)
                break;
            l->len[k] += (size_t)got;
        }
    }
    return 0;
}

/* Reads the live run's rows up to time until (blocking): for a snapshot.
 * 0, or 3 after a message. */
static int live_catch_up(live_t *l, vrun_t *r, double until)
{
    for (;;) {
        if (live_pump(l, r, until) != 0) {
            fprintf(stderr, "clustersim-view: the live run's output could not be read\n");
            return 3;
        }
        bool all_eof = true;
        for (int k = 0; k < LIVE_PIPES; k++)
            all_eof = all_eof && l->eof[k];
        if (l->blocked[LIVE_SERIES] || all_eof)
            break;
        struct timespec ts = {0, 1000000};
        nanosleep(&ts, NULL);
    }
    if (l->failed) {
        fprintf(stderr, "clustersim-view: the run failed: %s\n", l->error);
        return 3;
    }
    return 0;
}

/* Ends the live run and lets go of l. A finished run is joined. One still
 * running cannot be interrupted (world_run has no stop: see sim/run.h), and
 * waiting for it could take the whole simulation: its read ends are closed
 * (its writes then fail, SIGPIPE being ignored) and it is detached; it frees
 * l and the scenario if it ends before the process does. */
static void live_stop(live_t *l)
{
    bool finished = l->started && atomic_load(&l->done);
    for (int k = 0; k < LIVE_PIPES; k++) {
        if (l->fd[k] >= 0)
            close(l->fd[k]);
        if (!l->started && l->w[k])
            fclose(l->w[k]);
        free(l->buf[k]);
        l->buf[k] = NULL;
        free(l->header[k]);
        l->header[k] = NULL;
    }
    if (!l->started)
        atomic_store(&l->refs, 1);
    else if (finished)
        pthread_join(l->thread, NULL);
    else
        pthread_detach(l->thread);
    live_release(l);
}

/* ---- frames --------------------------------------------------------------- */

static int select_service(vview_t *v, const char *name)
{
    const vrun_t *r = v->run[0];
    for (int s = 0; s < r->nservices; s++)
        if (!strcmp(r->services[s], name)) {
            v->service = s;
            return 0;
        }
    fprintf(stderr, "--service:1:1: no service '%s' in %s (services:", name, r->dir);
    for (int s = 0; s < r->nservices; s++)
        fprintf(stderr, "%s %s", s ? "," : "", r->services[s]);
    fprintf(stderr, ")\n");
    return 2;
}

static double now_ms(void) { return (double)SDL_GetPerformanceCounter() * 1000.0 / (double)SDL_GetPerformanceFrequency(); }

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Headless: one frame into a PNG, or N frames timed. */
static int headless(vview_t *v, const opts_t *o)
{
    SDL_Surface *s = SDL_CreateRGBSurfaceWithFormat(0, o->w, o->h, 32, SDL_PIXELFORMAT_ARGB8888);
    SDL_Renderer *ren = s ? SDL_CreateSoftwareRenderer(s) : NULL;
    char err[512];
    int rc = 0;
    if (!ren) {
        fprintf(stderr, "clustersim-view: cannot create a software renderer: %s\n", SDL_GetError());
        rc = 3;
    } else if (vview_init(v, ren, err, sizeof err) != 0) {
        fprintf(stderr, "clustersim-view: %s\n", err);
        rc = 3;
    } else if (o->bench) {
        double *ms = malloc((size_t)o->bench * sizeof *ms);
        if (!ms) {
            rc = 3;
        } else {
            double tmax = vview_tmax(v);
            for (long k = 0; k < o->bench; k++) {
                v->cursor = tmax * (double)k / (double)o->bench; /* a moving cursor, as in a replay */
                double t0 = now_ms();
                vview_draw(v, o->w, o->h);
                SDL_RenderPresent(ren);
                ms[k] = now_ms() - t0;
            }
            qsort(ms, (size_t)o->bench, sizeof *ms, cmp_double);
            printf("frames %ld  size %dx%d  median %.2f ms  min %.2f  max %.2f\n", o->bench, o->w, o->h,
                   ms[o->bench / 2], ms[0], ms[o->bench - 1]);
            free(ms);
        }
    } else {
        vview_draw(v, o->w, o->h);
        SDL_RenderPresent(ren);
        if (vpng_write(o->snapshot, s->pixels, s->w, s->h, s->pitch, err, sizeof err) != 0) {
            fprintf(stderr, "clustersim-view: %s\n", err);
            rc = 3;
        }
    }
    vview_free(v);
    if (ren)
        SDL_DestroyRenderer(ren);
    SDL_FreeSurface(s);
    return rc;
}

/* The window's frame as a PNG in the current directory. */
static void screenshot(SDL_Renderer *ren, const vview_t *v)
{
    int w, h;
    SDL_GetRendererOutputSize(ren, &w, &h);
    SDL_Surface *s = SDL_CreateRGBSurfaceWithFormat(0, w, h, 32, SDL_PIXELFORMAT_ARGB8888);
    if (!s || SDL_RenderReadPixels(ren, NULL, SDL_PIXELFORMAT_ARGB8888, s->pixels, s->pitch) != 0) {
        fprintf(stderr, "clustersim-view: screenshot failed: %s\n", SDL_GetError());
        SDL_FreeSurface(s);
        return;
    }
    char path[256], err[512];
    for (int n = 1; n < 10000; n++) {
        snprintf(path, sizeof path, "clustersim-view-%s-%d.png", v->run[0]->scenario, n);
        if (access(path, F_OK) != 0)
            break;
    }
    if (vpng_write(path, s->pixels, w, h, s->pitch, err, sizeof err) != 0)
        fprintf(stderr, "clustersim-view: %s\n", err);
    else
        printf("screenshot: %s\n", path);
    fflush(stdout);
    SDL_FreeSurface(s);
}

static void set_status(vview_t *v, bool paused, int speed, bool live_done)
{
    char sp[16];
    if (isinf(speeds[speed]))
        snprintf(sp, sizeof sp, "max");
    else
        snprintf(sp, sizeof sp, "%g\xc3\x97", speeds[speed]);
    snprintf(v->status, sizeof v->status, "%s %s%s", paused ? "paused," : "\xe2\x96\xb6", sp,
             live_done ? " (run finished)" : "");
}

static int window(vview_t *v, const opts_t *o, live_t *live, vrun_t *liverun)
{
    if (SDL_InitSubSystem(SDL_INIT_VIDEO) != 0) {
        fprintf(stderr, "clustersim-view: no display (%s); use --snapshot OUT.png for a frame without one\n",
                SDL_GetError());
        return 3;
    }
    SDL_Window *win = SDL_CreateWindow("clustersim-view", SDL_WINDOWPOS_UNDEFINED, SDL_WINDOWPOS_UNDEFINED, o->w,
                                       o->h, SDL_WINDOW_RESIZABLE);
    SDL_Renderer *ren = win ? SDL_CreateRenderer(win, -1, 0) : NULL;
    if (ren == NULL && win)
        ren = SDL_CreateRenderer(win, -1, SDL_RENDERER_SOFTWARE);
    char err[512];
    if (!ren || vview_init(v, ren, err, sizeof err) != 0) {
        fprintf(stderr, "clustersim-view: %s\n", ren ? err : SDL_GetError());
        if (ren)
            SDL_DestroyRenderer(ren);
        if (win)
            SDL_DestroyWindow(win);
        return 3;
    }
    SDL_SetWindowMinimumSize(win, 800, 500);
    bool paused = false, quit = false, dragging = false;
    int speed = o->speed, rc = 0;
    double last = now_ms();
    while (!quit) {
        SDL_Event e;
        const vrun_t *r = v->run[0];
        double tmax = live ? (r->nt ? r->t[r->nt - 1] : 0) : vview_tmax(v);
        while (SDL_PollEvent(&e)) {
            int idx = vdata_sample_at(r, v->cursor);
            switch (e.type) {
            case SDL_QUIT: quit = true; break;
            case SDL_KEYDOWN: {
                SDL_Keycode k = e.key.keysym.sym;
                int step = (e.key.keysym.mod & KMOD_SHIFT) ? 10 : 1;
                if (k == SDLK_q || k == SDLK_ESCAPE)
                    quit = true;
                else if (k == SDLK_SPACE)
                    paused = !paused;
                else if ((k == SDLK_RIGHT || k == SDLK_LEFT) && r->nt) {
                    int j = idx + (k == SDLK_RIGHT ? step : -step);
                    j = j < 0 ? 0 : j >= r->nt ? r->nt - 1 : j;
                    v->cursor = r->t[j];
                    paused = true;
                } else if (k == SDLK_HOME)
                    v->cursor = 0;
                else if (k == SDLK_END)
                    v->cursor = tmax;
                else if ((k == SDLK_PLUS || k == SDLK_EQUALS || k == SDLK_KP_PLUS) && speed < NSPEEDS - 1)
                    speed++;
                else if ((k == SDLK_MINUS || k == SDLK_KP_MINUS) && speed > 0)
                    speed--;
                else if (k >= SDLK_1 && k <= SDLK_9 && k - SDLK_1 < v->run[v->show]->nservices)
                    v->service = k - SDLK_1;
                else if (k == SDLK_LEFTBRACKET || k == SDLK_RIGHTBRACKET) {
                    /* the previous or next autoscaler sync of the service */
                    const vrun_t *sr = v->run[v->show];
                    const char *svc = v->service < sr->nservices ? sr->services[v->service] : "";
                    double best = k == SDLK_LEFTBRACKET ? -INFINITY : INFINITY;
                    for (int j = 0; j < sr->nsyncs; j++) {
                        double st = sr->syncs[j].t;
                        if (strcmp(sr->syncs[j].service, svc) != 0)
                            continue;
                        if (k == SDLK_LEFTBRACKET && st < v->cursor - 1e-9 && st > best)
                            best = st;
                        if (k == SDLK_RIGHTBRACKET && st > v->cursor + 1e-9 && st < best)
                            best = st;
                    }
                    if (isfinite(best))
                        v->cursor = best;
                    paused = true;
                } else if (k == SDLK_c && v->nruns == 2)
                    v->show = 1 - v->show;
                else if (k == SDLK_s)
                    screenshot(ren, v);
                break;
            }
            case SDL_MOUSEMOTION:
                v->mouse_x = e.motion.x;
                v->mouse_y = e.motion.y;
                /* fall through: a drag scrubs */
                __attribute__((fallthrough));
            case SDL_MOUSEBUTTONDOWN:
                if (e.type == SDL_MOUSEBUTTONDOWN)
                    dragging = true, v->mouse_x = e.button.x, v->mouse_y = e.button.y;
                if (dragging && v->mouse_x >= v->L.plot[0].x && v->mouse_x < v->L.plot[0].x + v->L.plot[0].w &&
                    v->mouse_y > v->L.header.h && v->mouse_x > v->L.pods.x + v->L.pods.w) {
                    double f = (double)(v->mouse_x - v->L.plot[0].x) / (v->L.plot[0].w - 1);
                    v->cursor = f * vview_tmax(v);
                    paused = true;
                }
                break;
            case SDL_MOUSEBUTTONUP: dragging = false; break;
            case SDL_WINDOWEVENT:
                if (e.window.event == SDL_WINDOWEVENT_LEAVE)
                    v->mouse_x = v->mouse_y = -1;
                break;
            default: break;
            }
        }
        double t = now_ms(), dt = (t - last) / 1000;
        last = t;
        bool flat_out = !paused && isinf(speeds[speed]);
        if (!paused && !flat_out)
            v->cursor += dt * speeds[speed];
        else if (flat_out && !live && r->nt) { /* a replay at max: one sample a frame */
            int j = vdata_sample_at(r, v->cursor);
            v->cursor = r->t[j + 1 < r->nt ? j + 1 : j];
        }
        if (live) {
            /* at max, every row the engine has written; else the rows up to
             * the cursor (the pipes hold the engine back) */
            if (live_pump(live, liverun, flat_out ? INFINITY : v->cursor) != 0) {
                fprintf(stderr, "clustersim-view: the live run's output could not be read\n");
                rc = 3;
                break;
            }
            if (live->failed && live->eof[LIVE_SERIES]) {
                fprintf(stderr, "clustersim-view: the run failed: %s\n", live->error);
                rc = 3;
                break;
            }
            /* the cursor waits for an engine slower than the speed asked:
             * at most one sample interval past the last sample */
            double last_t = liverun->nt ? liverun->t[liverun->nt - 1] : 0;
            double ahead = last_t + simtime_to_s(live->sc->sample_interval);
            if (flat_out)
                v->cursor = last_t;
            else if (!live->eof[LIVE_SERIES] && v->cursor > ahead)
                v->cursor = ahead;
            if (v->cursor > liverun->duration_s)
                v->cursor = liverun->duration_s;
        } else if (v->cursor > tmax)
            v->cursor = tmax;
        set_status(v, paused, speed, live && live->eof[LIVE_SERIES]);
        int w, h;
        SDL_GetRendererOutputSize(ren, &w, &h);
        vview_draw(v, w, h);
        SDL_RenderPresent(ren);
        double spent = now_ms() - t;
        if (spent < 16)
            SDL_Delay((Uint32)(16 - spent));
    }
    vview_free(v);
    SDL_DestroyRenderer(ren);
    SDL_DestroyWindow(win);
    SDL_QuitSubSystem(SDL_INIT_VIDEO);
    return rc;
}

/* The value given to --at (for messages). */
static const char *at_arg(int argc, char **argv)
{
    const char *v = "";
    for (int i = 1; i + 1 < argc; i++)
        if (!strcmp(argv[i], "--at"))
            v = argv[i + 1];
    return v;
}

int main(int argc, char **argv)
{
    opts_t o;
    int rc = parse_args(argc, argv, &o);
    if (rc)
        return rc < 0 ? 0 : rc;
    if (o.snapshot && !o.bench && (rc = check_snapshot(o.snapshot)) != 0)
        return rc;
    signal(SIGPIPE, SIG_IGN);
    vrun_t runs[2];
    memset(runs, 0, sizeof runs);
    bool is_live = o.npaths == 1 && !is_dir(o.path[0]);
    live_t *live = is_live ? calloc(1, sizeof *live) : NULL;
    if (is_live && !live) {
        fprintf(stderr, "out of memory\n");
        return 3;
    }
    for (int k = 0; live && k < LIVE_PIPES; k++)
        live->fd[k] = -1;
    if (!is_live && o.nsets) {
        fprintf(stderr, "--set: only for a scenario run live\n");
        return 2;
    }
    if (o.npaths == 2 && !is_dir(o.path[1])) {
        fprintf(stderr, "%s: not a results directory (compare takes two: BASE_DIR CANDIDATE_DIR)\n", o.path[1]);
        return 2;
    }
    vview_t v;
    memset(&v, 0, sizeof v);
    if (is_live) {
        rc = live_start(live, &o, &runs[0]);
        v.nruns = 1;
        v.mode = "live";
    } else {
        for (int k = 0; k < o.npaths && rc == 0; k++) {
            diag_t d;
            diag_init(&d);
            if (vdata_load(&runs[k], o.path[k], o.replication, &d) != 0) {
                diag_print(&d, stderr);
                rc = diag_exit_code(&d);
            }
        }
        v.nruns = o.npaths;
        v.mode = o.npaths == 2 ? "compare" : "replay";
    }
    v.run[0] = &runs[0];
    v.run[1] = o.npaths == 2 ? &runs[1] : NULL;
    if (rc == 0 && o.service)
        rc = select_service(&v, o.service);
    if (rc == 0 && TTF_Init() != 0) {
        fprintf(stderr, "clustersim-view: %s\n", TTF_GetError());
        rc = 3;
    }
    if (rc == 0) {
        bool headless_mode = o.snapshot || o.bench;
        v.cursor = o.at_set ? o.at : headless_mode ? vview_tmax(&v) : 0;
        /* (a live run's end is its scenario's duration: nothing has run yet) */
        double end = is_live ? runs[0].duration_s : vview_tmax(&v);
        if (o.at_set && o.at > end) {
            char b[32];
            snprintf(b, sizeof b, "%g", end);
            fprintf(stderr, "--at:1:1: '%s' is after the end of the run (%s s)\n", at_arg(argc, argv), b);
            rc = 2;
        } else if (headless_mode) {
            set_status(&v, true, o.speed, false);
            if (is_live) /* run it up to the cursor (the end without --at) */
                rc = live_catch_up(live, &runs[0], o.at_set ? o.at : INFINITY);
            if (rc == 0 && is_live && !o.at_set)
                v.cursor = vview_tmax(&v);
            if (rc == 0)
                rc = headless(&v, &o);
        } else
            rc = window(&v, &o, live, &runs[0]);
        TTF_Quit();
    }
    vdata_free(&runs[0]);
    vdata_free(&runs[1]);
    if (live) /* after the runs: run 0's names point into the scenario */
        live_stop(live);
    SDL_Quit();
    return rc;
}
