#include "sim/run.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "sim/results.h"
#include "sim/world.h"

typedef struct shared {
    const scenario_t *sc;
    const run_opts_t *o;
    metrics_t *reps;
    _Atomic int64_t *progress;
    _Atomic int next;
    _Atomic int done;
    _Atomic int failed;
    pthread_mutex_t lock;
    pthread_cond_t changed;   /* signalled when a replication ends */
    char err[256];
} shared_t;

static void tmp_name(char *buf, size_t size, const char *dir, const char *what, int rep)
{
    snprintf(buf, size, "%s/.%s.%ld.r%d.tmp", dir, what, (long)getpid(), rep);
}

static void set_error(shared_t *sh, const char *msg)
{
    pthread_mutex_lock(&sh->lock);
    if (!atomic_load(&sh->failed))
        snprintf(sh->err, sizeof sh->err, "%s", msg);
    atomic_store(&sh->failed, 1);
    pthread_cond_broadcast(&sh->changed);
    pthread_mutex_unlock(&sh->lock);
}

static void run_one(shared_t *sh, int rep)
{
    FILE *series = NULL, *events = NULL;
    char path[4096];
    if (sh->o->outdir) {
        tmp_name(path, sizeof path, sh->o->outdir, "timeseries", rep);
        series = fopen(path, "w");
        tmp_name(path, sizeof path, sh->o->outdir, "events", rep);
        events = fopen(path, "w");
        if (!series || !events) {
            snprintf(path, sizeof path, "cannot write in %s: %s", sh->o->outdir, strerror(errno));
            set_error(sh, path);
            goto out;
        }
    }
    world_t *w = world_new(sh->sc, rep, series, events);
    if (!w) {
        set_error(sh, "out of memory setting up the run");
        goto out;
    }
    w->progress = &sh->progress[rep];
    if (world_run(w) != 0)
        set_error(sh, w->error);
    else
        world_collect(w, &sh->reps[rep]);
    if (sh->reps[rep].oom)
        set_error(sh, "out of memory collecting results");
    world_free(w);
out:
    if (series && fclose(series) != 0)
        set_error(sh, "error writing the time series");
    if (events && fclose(events) != 0)
        set_error(sh, "error writing the event log");
}

static void *worker(void *arg)
{
    shared_t *sh = arg;
    for (;;) {
        int rep = atomic_fetch_add(&sh->next, 1);
        if (rep >= sh->o->replications || atomic_load(&sh->failed))
            break;
        run_one(sh, rep);
        pthread_mutex_lock(&sh->lock);
        atomic_fetch_add(&sh->done, 1);
        pthread_cond_broadcast(&sh->changed);
        pthread_mutex_unlock(&sh->lock);
    }
    return NULL;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void draw_progress(shared_t *sh, int r, double elapsed)
{
    double sum = 0;
    for (int i = 0; i < r; i++)
        sum += (double)atomic_load_explicit(&sh->progress[i], memory_order_relaxed) / (double)sh->sc->duration;
    double frac = sum / r;
    int width = 30, filled = (int)(frac * width);
    char bar[64];
    for (int i = 0; i < width; i++)
        bar[i] = i < filled ? '#' : '.';
    bar[width] = '\0';
    double eta = frac > 0.01 ? elapsed * (1 - frac) / frac : 0;
    fprintf(stderr, "\r%s [%s] %5.1f%%  %d/%d replications  %.0fs elapsed, ~%.0fs left ", sh->sc->name, bar,
            100 * frac, atomic_load(&sh->done), r, elapsed, eta);
    fflush(stderr);
}

/* Concatenates the replications' temporary files into DIR/name (atomically). */
static int merge_files(const char *dir, const char *what, const char *name, int r, int write_header)
{
    char tmp[4096], final[4096], part[4096];
    snprintf(tmp, sizeof tmp, "%s/.%s.%ld.tmp", dir, name, (long)getpid());
    snprintf(final, sizeof final, "%s/%s", dir, name);
    FILE *out = fopen(tmp, "w");
    if (!out)
        return -1;
    int rc = 0;
    if (write_header)
        world_write_headers(strcmp(what, "timeseries") == 0 ? out : NULL, strcmp(what, "events") == 0 ? out : NULL);
    char buf[65536];
    for (int i = 0; i < r && rc == 0; i++) {
        tmp_name(part, sizeof part, dir, what, i);
        FILE *in = fopen(part, "r");
        if (!in) {
            rc = -1;
            break;
        }
        size_t n;
        while ((n = fread(buf, 1, sizeof buf, in)) > 0)
            if (fwrite(buf, 1, n, out) != n)
                rc = -1;
        fclose(in);
    }
    if (fclose(out) != 0)
        rc = -1;
    if (rc == 0 && rename(tmp, final) != 0)
        rc = -1;
    if (rc != 0)
        unlink(tmp);
    return rc;
}

static void remove_parts(const char *dir, int r)
{
    char part[4096];
    for (int i = 0; i < r; i++) {
        tmp_name(part, sizeof part, dir, "timeseries", i);
        unlink(part);
        tmp_name(part, sizeof part, dir, "events", i);
        unlink(part);
    }
}

int run_make_dir(const char *dir)
{
    char p[4096];
    if (!*dir || strlen(dir) >= sizeof p) {
        errno = EINVAL;
        return -1;
    }
    snprintf(p, sizeof p, "%s", dir);
    for (char *s = p + 1; *s; s++)
        if (*s == '/') {
            *s = '\0';
            if (mkdir(p, 0777) != 0 && errno != EEXIST)
                return -1;
            *s = '/';
        }
    if (mkdir(p, 0777) != 0 && errno != EEXIST)
        return -1;
    struct stat st;
    if (stat(p, &st) != 0)
        return -1;
    if (!S_ISDIR(st.st_mode)) {
        errno = ENOTDIR;
        return -1;
    }
    return 0;
}

int run_write_atomic(const char *path, const char *text, size_t len)
{
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.%ld.tmp", path, (long)getpid());
    FILE *f = fopen(tmp, "w");
    if (!f)
        return -1;
    size_t n = fwrite(text, 1, len, f);
    if (fclose(f) != 0 || n != len || rename(tmp, path) != 0) {
        unlink(tmp);
        return -1;
    }
    return 0;
}

int run_scenario(const scenario_t *sc, const run_opts_t *o, run_result_t *res, char *err, size_t errlen)
{
    memset(res, 0, sizeof *res);
    int r = o->replications > 0 ? o->replications : 1;
    res->replications = r;
    if (o->outdir && run_make_dir(o->outdir) != 0) {
        snprintf(err, errlen, "cannot create %s: %s", o->outdir, strerror(errno));
        return -1;
    }
    shared_t sh;
    memset(&sh, 0, sizeof sh);
    sh.sc = sc;
    sh.o = o;
    sh.reps = calloc((size_t)r, sizeof *sh.reps);
    void *progress_mem = calloc((size_t)r, sizeof *sh.progress);
    sh.progress = progress_mem;
    pthread_mutex_init(&sh.lock, NULL);
    pthread_cond_init(&sh.changed, NULL);
    if (!sh.reps || !sh.progress) {
        free(sh.reps);
        free(progress_mem);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    int nt = o->threads > 0 ? o->threads : (int)(cores > 0 ? cores : 1);
    if (nt > r)
        nt = r;
    double t0 = now_s();
    pthread_t *th = calloc((size_t)nt, sizeof *th);
    int started = 0;
    for (int i = 0; th && i < nt; i++)
        if (pthread_create(&th[i], NULL, worker, &sh) == 0)
            started++;
    if (started == 0)
        worker(&sh); /* no thread could start: run here */
    /* Wait for the workers, waking every 100 ms to draw progress. */
    bool drawn = false;
    pthread_mutex_lock(&sh.lock);
    while (started && atomic_load(&sh.done) < r && !atomic_load(&sh.failed)) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += 100 * 1000 * 1000;
        if (ts.tv_nsec >= 1000000000) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000;
        }
        pthread_cond_timedwait(&sh.changed, &sh.lock, &ts);
        double el = now_s() - t0;
        if (o->progress && el > 0.5 && atomic_load(&sh.done) < r) {
            draw_progress(&sh, r, el);
            drawn = true;
        }
    }
    pthread_mutex_unlock(&sh.lock);
    for (int i = 0; i < started; i++)
        pthread_join(th[i], NULL);
    free(th);
    if (drawn) {
        draw_progress(&sh, r, now_s() - t0);
        fputc('\n', stderr);
    }
    res->wall_s = now_s() - t0;
    res->reps = sh.reps;
    int rc = 0;
    if (atomic_load(&sh.failed)) {
        snprintf(err, errlen, "%s", sh.err);
        rc = -1;
    } else if (metrics_aggregate(&res->summary, sh.reps, (size_t)r) != 0) {
        snprintf(err, errlen, "replications disagree on their metrics, or out of memory");
        rc = -1;
    }
    if (rc == 0 && o->outdir) {
        if (merge_files(o->outdir, "timeseries", "timeseries.csv", r, 1) != 0 ||
            merge_files(o->outdir, "events", "events.csv", r, 1) != 0 ||
            results_write_summary(o->outdir, sc, res) != 0) {
            snprintf(err, errlen, "cannot write the results in %s: %s", o->outdir, strerror(errno));
            rc = -1;
        }
    }
    if (o->outdir)
        remove_parts(o->outdir, r);
    free(progress_mem);
    pthread_mutex_destroy(&sh.lock);
    pthread_cond_destroy(&sh.changed);
    return rc;
}

void run_result_free(run_result_t *res)
{
    metrics_free(&res->summary);
    for (int i = 0; res->reps && i < res->replications; i++)
        metrics_free(&res->reps[i]);
    free(res->reps);
    memset(res, 0, sizeof *res);
}
