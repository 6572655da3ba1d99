/* run: replications in threads, and the output directory as a transaction
 * (run.h says what is guaranteed).
 *
 * Invariants kept here:
 * - Nothing is created outside the temporary directory PARENT/.BASE.tmp-...
 *   except PARENT's missing ancestors (mkdir -p) before the run, and the
 *   final rename(s) at the end. The paths are checked against PATH_MAX and
 *   NAME_MAX before anything is created, so no path is ever cut.
 * - An existing output directory is replaced only when it holds nothing but
 *   result files (an earlier run's): `-o ~` must never rename a home
 *   directory away. Removing the earlier result unlinks those names only.
 * - Worker threads create their files under the shared lock and only while
 *   the run has not failed; the main thread marks the run failed under the
 *   same lock before it removes the temporary directory, so no file can
 *   appear in it afterwards (a stop does not wait for the workers). */
#ifdef __linux__
#define _GNU_SOURCE /* renameat2(RENAME_EXCHANGE): replacing a directory with no window */
#endif
#include "sim/run.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "sim/results.h"
#include "sim/world.h"

#ifndef PATH_MAX
#define PATH_MAX 4096
#endif
#ifndef NAME_MAX
#define NAME_MAX 255
#endif

/* The files of a result directory. A directory holding anything else (but
 * the .*.tmp files older versions could leave) is not one to replace. */
static const char *const result_files[] = {"summary.json", "timeseries.csv", "events.csv", "autoscaler.csv"};
#define NRESULT_FILES (sizeof result_files / sizeof result_files[0])

/* The CSV files each replication writes a part of (DIR/WHAT.rN.part), merged
 * in replication order after the header (world_write_headers). */
enum { PART_SERIES, PART_EVENTS, PART_AUTOSCALER, NPARTS };
static const struct {
    const char *what, *file, *desc;
} parts[NPARTS] = {
    {"timeseries", "timeseries.csv", "time series"},
    {"events", "events.csv", "event log"},
    {"autoscaler", "autoscaler.csv", "autoscaler log"},
};

char *run_strprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return NULL;
    char *s = malloc((size_t)n + 1);
    if (!s)
        return NULL;
    va_start(ap, fmt);
    vsnprintf(s, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return s;
}

/* ---- the output directory --------------------------------------------------- */

typedef struct outdir {
    int layout;     /* RUN_DIR_RESULTS or RUN_DIR_COMPARE: what it may hold */
    char *target;   /* where the results go (resolved when it is a symbolic link) */
    char *parent;   /* its directory */
    const char *base; /* its last component, in target */
    char *tmp;      /* the temporary directory beside it, once created */
    bool exists;    /* target existed: it is replaced whole */
    mode_t mode;    /* permissions of the new directory */
} outdir_t;

static void out_free(outdir_t *od)
{
    free(od->target);
    free(od->parent);
    free(od->tmp);
    memset(od, 0, sizeof *od);
}

/* The files and directories a directory of a layout holds: a run's, its
 * result files; a compare's, its two reports and the two runs' result
 * directories. (Plus the .NAME.tmp files older versions could leave.) */
static const char *const compare_files[] = {"compare.json", "compare.csv"};
static const char *const compare_dirs[] = {"base", "candidate"};

static bool named(const char *name, const char *const *names, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(name, names[i]) == 0)
            return true;
    return false;
}

/* A .NAME.tmp file an older version could leave. */
static bool is_tmp_name(const char *name)
{
    size_t n = strlen(name);
    return name[0] == '.' && n > 5 && strcmp(name + n - 4, ".tmp") == 0;
}

static bool is_result_name(const char *name) { return named(name, result_files, NRESULT_FILES) || is_tmp_name(name); }

/* Whether name is one of a layout's files (is_dir false) or directories (a
 * run's result files are not a compare's: its runs are in base/ and
 * candidate/). */
static bool layout_entry(int layout, const char *name, bool is_dir)
{
    if (layout == RUN_DIR_COMPARE)
        return is_dir ? named(name, compare_dirs, 2) : named(name, compare_files, 2) || is_tmp_name(name);
    return !is_dir && is_result_name(name);
}

/* A path for messages: whole when short, else its start and its length (a
 * 4000-byte path would bury the message). */
static const char *shown(const char *path, char *buf, size_t size)
{
    size_t n = strlen(path);
    if (n < 200)
        return path;
    snprintf(buf, size, "%.60s... (%zu bytes)", path, n);
    return buf;
}

/* Splits dir into target, parent and base. RUN_OK or RUN_BAD_OUTPUT/FAILED. */
static int out_split(outdir_t *od, const char *dir, char *err, size_t errlen)
{
    size_t n = strlen(dir);
    while (n > 1 && dir[n - 1] == '/')
        n--;
    od->target = malloc(n + 1);
    if (!od->target) {
        snprintf(err, errlen, "out of memory");
        return RUN_FAILED;
    }
    memcpy(od->target, dir, n);
    od->target[n] = '\0';
    char *slash = strrchr(od->target, '/');
    od->base = slash ? slash + 1 : od->target;
    if (!*od->base || !strcmp(od->base, ".") || !strcmp(od->base, "..")) {
        char b[128];
        snprintf(err, errlen,
                 "'%s' cannot be an output directory: results replace the whole directory, so -o must name a new "
                 "directory or an earlier run's (not '/', '.' or '..')",
                 shown(dir, b, sizeof b));
        return RUN_BAD_OUTPUT;
    }
    if (!slash)
        od->parent = run_strprintf(".");
    else if (slash == od->target)
        od->parent = run_strprintf("/");
    else
        od->parent = run_strprintf("%.*s", (int)(slash - od->target), od->target);
    if (!od->parent) {
        snprintf(err, errlen, "out of memory");
        return RUN_FAILED;
    }
    return RUN_OK;
}

/* The temporary (what "tmp") or aside ("old") directory's mkdtemp template. */
/* The name of a directory made beside BASE: .BASE.WHAT-PID- and mkdtemp's
 * six characters. */
#define TEMP_NAME ".%s.%s-%ld-XXXXXX"

static char *sibling_template(const outdir_t *od, const char *what)
{
    const char *sep = od->parent[strlen(od->parent) - 1] == '/' ? "" : "/";
    return run_strprintf("%s%s" TEMP_NAME, od->parent, sep, od->base, what, (long)getpid());
}

/* The length of that name for base and what. */
static size_t temp_name_len(const char *base, const char *what)
{
    return (size_t)snprintf(NULL, 0, TEMP_NAME, base, what, (long)getpid());
}

/* Whether every path the run creates fits the system's limits. */
static int out_check_lengths(const outdir_t *od, int reps, char *err, size_t errlen)
{
    char *tmpl = sibling_template(od, "tmp");
    if (!tmpl) {
        snprintf(err, errlen, "out of memory");
        return RUN_FAILED;
    }
    /* the longest file inside: WHAT.rN.part, N the last replication */
    int longest = 0;
    for (int k = 0; k < NPARTS; k++) {
        int len = snprintf(NULL, 0, "%s.r%d.part", parts[k].what, reps - 1);
        if (len > longest)
            longest = len;
    }
    size_t comp = temp_name_len(od->base, "tmp");
    /* a compare's runs write theirs two levels down, the longer below
     * candidate/ (its own temporary directory) */
    size_t nested = od->layout == RUN_DIR_COMPARE
                        ? strlen("candidate/") + temp_name_len("candidate", "tmp") + 1
                        : 0;
    size_t need = strlen(tmpl) + 1 + nested + (size_t)longest;
    free(tmpl);
    char b[128];
    if (comp > NAME_MAX) {
        snprintf(err, errlen,
                 "the output directory's name '%s' is too long: the temporary directory written beside it "
                 "(.NAME.tmp-PID-XXXXXX) would have %zu characters, over the limit of %d",
                 shown(od->base, b, sizeof b), comp, NAME_MAX);
        return RUN_BAD_OUTPUT;
    }
    if (need >= PATH_MAX || strlen(od->target) >= PATH_MAX) {
        snprintf(err, errlen,
                 "the output path '%s' is too long: with the names of the files the run writes it would need %zu "
                 "bytes, over the system's limit of %d",
                 shown(od->target, b, sizeof b), need + 1, PATH_MAX);
        return RUN_BAD_OUTPUT;
    }
    return RUN_OK;
}

int run_make_dirs(const char *dir)
{
    char *p = run_strprintf("%s", dir);
    if (!p)
        return -1;
    int rc = 0;
    for (char *s = p + 1; *s && rc == 0; s++)
        if (*s == '/') {
            *s = '\0';
            if (mkdir(p, 0777) != 0 && errno != EEXIST)
                rc = -1;
            *s = '/';
        }
    struct stat st;
    if (rc == 0 && mkdir(p, 0777) != 0 && errno != EEXIST)
        rc = -1;
    if (rc == 0 && stat(p, &st) != 0)
        rc = -1;
    if (rc == 0 && !S_ISDIR(st.st_mode)) {
        errno = ENOTDIR;
        rc = -1;
    }
    int e = errno;
    free(p);
    errno = e;
    return rc;
}

/* The first entry of dir that is not one of its layout's (malloc'd) in
 * *foreign, or NULL; a compare's run directories are looked into. 0, or -1
 * with errno set. */
static int find_foreign(const char *dir, int layout, char **foreign)
{
    *foreign = NULL;
    DIR *d = opendir(dir);
    if (!d)
        return -1;
    struct dirent *e;
    struct stat st;
    int rc = 0;
    while (!*foreign && rc == 0 && (e = readdir(d)) != NULL) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        /* a regular file or a directory by one of the names (not a link) */
        bool known = fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
                     (S_ISREG(st.st_mode) || S_ISDIR(st.st_mode)) &&
                     layout_entry(layout, e->d_name, S_ISDIR(st.st_mode));
        if (known && S_ISDIR(st.st_mode)) {
            char *sub = run_strprintf("%s/%s", dir, e->d_name), *inner = NULL;
            if (!sub || find_foreign(sub, RUN_DIR_RESULTS, &inner) != 0) {
                rc = -1;
                if (!sub)
                    errno = ENOMEM;
            } else if (inner) {
                *foreign = run_strprintf("%s/%s", e->d_name, inner);
                if (!*foreign) {
                    errno = ENOMEM;
                    rc = -1;
                }
            }
            free(inner);
            free(sub);
            continue;
        }
        if (known)
            continue;
        *foreign = run_strprintf("%s", e->d_name);
        if (!*foreign) {
            errno = ENOMEM;
            rc = -1;
        }
    }
    closedir(d);
    return rc;
}

/* Checks dir and creates the temporary directory beside it (and dir's
 * missing parents). RUN_OK, or RUN_BAD_OUTPUT / RUN_FAILED with a message. */
static int out_open(outdir_t *od, const char *dir, int layout, int reps, char *err, size_t errlen)
{
    memset(od, 0, sizeof *od);
    od->layout = layout;
    int rc = out_split(od, dir, err, errlen);
    if (rc == RUN_OK)
        rc = out_check_lengths(od, reps, err, errlen);
    if (rc != RUN_OK)
        return rc;
    char b[128];
    struct stat st;
    if (lstat(od->target, &st) == 0 && S_ISLNK(st.st_mode)) {
        /* a link to a directory: the results go where it points */
        char *real = NULL;
        if (stat(od->target, &st) != 0 || !S_ISDIR(st.st_mode) || !(real = realpath(od->target, NULL))) {
            snprintf(err, errlen, "'%s' is a symbolic link, but not to a directory", shown(od->target, b, sizeof b));
            return RUN_BAD_OUTPUT;
        }
        out_free(od);
        od->layout = layout;
        rc = out_split(od, real, err, errlen);
        free(real);
        if (rc == RUN_OK)
            rc = out_check_lengths(od, reps, err, errlen);
        if (rc != RUN_OK)
            return rc;
    }
    if (lstat(od->target, &st) == 0) {
        if (!S_ISDIR(st.st_mode)) {
            snprintf(err, errlen, "'%s' exists and is not a directory (results go into a directory of their own)",
                     shown(od->target, b, sizeof b));
            return RUN_BAD_OUTPUT;
        }
        char *foreign;
        if (find_foreign(od->target, od->layout, &foreign) != 0) {
            snprintf(err, errlen, "cannot read the output directory '%s': %s", shown(od->target, b, sizeof b),
                     strerror(errno));
            return errno == ENOMEM ? RUN_FAILED : RUN_BAD_OUTPUT;
        }
        if (foreign) {
            snprintf(err, errlen,
                     "the output directory '%s' holds '%s', which is not a result file: results replace the whole "
                     "directory, so -o must name a new directory or an earlier %s's",
                     shown(od->target, b, sizeof b), foreign, od->layout == RUN_DIR_COMPARE ? "compare" : "run");
            free(foreign);
            return RUN_BAD_OUTPUT;
        }
        /* Replacing it renames it: that needs write permission on it (its
         * ".." entry changes) and fails on a mount point. */
        struct stat pst;
        if (stat(od->parent, &pst) == 0 && pst.st_dev != st.st_dev) {
            snprintf(err, errlen, "the output directory '%s' is a mount point: results replace the whole directory, "
                                  "so -o must name a directory inside it",
                     shown(od->target, b, sizeof b));
            return RUN_BAD_OUTPUT;
        }
        if (access(od->target, W_OK) != 0) {
            snprintf(err, errlen, "cannot replace the output directory '%s': %s", shown(od->target, b, sizeof b),
                     strerror(errno));
            return RUN_BAD_OUTPUT;
        }
        od->exists = true;
        od->mode = st.st_mode & 07777;
    } else if (errno != ENOENT) {
        snprintf(err, errlen, "cannot use '%s' as the output directory: %s", shown(od->target, b, sizeof b),
                 strerror(errno));
        return RUN_BAD_OUTPUT;
    } else {
        if (run_make_dirs(od->parent) != 0) {
            snprintf(err, errlen, "cannot create '%s', the output directory's parent: %s",
                     shown(od->parent, b, sizeof b), strerror(errno));
            return errno == ENOMEM ? RUN_FAILED : RUN_BAD_OUTPUT;
        }
        mode_t mask = umask(022); /* read it back: no thread of ours runs yet */
        umask(mask);
        od->mode = 0777 & ~mask;
    }
    od->tmp = sibling_template(od, "tmp");
    if (!od->tmp) {
        snprintf(err, errlen, "out of memory");
        return RUN_FAILED;
    }
    if (!mkdtemp(od->tmp)) {
        int e = errno;
        free(od->tmp);
        od->tmp = NULL;
        char b2[128];
        snprintf(err, errlen, "cannot write results to '%s': creating a directory beside it, in '%s', failed: %s",
                 shown(dir, b, sizeof b), shown(od->parent, b2, sizeof b2), strerror(e));
        return e == ENOMEM ? RUN_FAILED : RUN_BAD_OUTPUT;
    }
    chmod(od->tmp, od->mode); /* mkdtemp made it 0700; a failure only leaves that */
    return RUN_OK;
}

/* Removes dir: every entry (all, the temporary directory's), or only its
 * layout's (only_results: an earlier result, which may hold what was added
 * to it since), a directory by its contents. 0, or -1 when something is
 * left. */
static int remove_dir(const char *dir, int layout, bool only_results)
{
    DIR *d = opendir(dir);
    if (d) {
        struct dirent *e;
        struct stat st;
        while ((e = readdir(d)) != NULL) {
            if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..") ||
                fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0)
                continue;
            bool is_dir = S_ISDIR(st.st_mode);
            if (only_results && !layout_entry(layout, e->d_name, is_dir))
                continue;
            if (is_dir) {
                char *sub = run_strprintf("%s/%s", dir, e->d_name);
                if (sub)
                    remove_dir(sub, RUN_DIR_RESULTS, only_results);
                free(sub);
            } else {
                unlinkat(dirfd(d), e->d_name, 0);
            }
        }
        closedir(d);
    }
    return rmdir(dir);
}

/* Removes the temporary directory (a failed or stopped run). */
static void out_abort(outdir_t *od)
{
    if (od->tmp)
        remove_dir(od->tmp, od->layout, false);
    out_free(od);
}

/* fsync of a directory, so that the names in it are durable. 0 or an errno
 * value (file systems that cannot sync a directory do not count). */
static int sync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY);
    if (fd < 0)
        return errno;
    int e = fsync(fd) == 0 || errno == EINVAL || errno == EBADF || errno == ENOTSUP ? 0 : errno;
    close(fd);
    return e;
}

/* The earlier results, now at `old`, are removed (result files only). */
static void remove_old(const char *old, int layout)
{
    if (remove_dir(old, layout, true) != 0)
        fprintf(stderr, "clustersim %s: warning: the earlier results were moved to '%s', which holds files "
                        "clustersim did not write (added during the run?); it was left in place\n",
                layout == RUN_DIR_COMPARE ? "compare" : "run", old);
}

/* Renames the complete temporary directory to the target (replacing an
 * existing one whole). RUN_OK, or RUN_FAILED with a message (the target is
 * then as it was and the caller removes the temporary directory). */
static int out_commit(outdir_t *od, char *err, size_t errlen)
{
    char b[128];
    int e = sync_dir(od->tmp);
    if (e) {
        snprintf(err, errlen, "syncing the results failed: %s", strerror(e));
        return RUN_FAILED;
    }
    if (od->exists) {
#ifdef RENAME_EXCHANGE
        /* one system call: the target always holds a whole result */
        if (renameat2(AT_FDCWD, od->tmp, AT_FDCWD, od->target, RENAME_EXCHANGE) == 0) {
            remove_old(od->tmp, od->layout); /* the earlier result, now at the temporary name */
            free(od->tmp);
            od->tmp = NULL;
            sync_dir(od->parent);
            return RUN_OK;
        }
        /* EINVAL: the file system cannot exchange; anything else shows below */
#endif
        char *aside = sibling_template(od, "old");
        if (!aside || !mkdtemp(aside)) {
            snprintf(err, errlen, "cannot create a directory in '%s' to move the earlier results to: %s",
                     shown(od->parent, b, sizeof b), aside ? strerror(errno) : "out of memory");
            free(aside);
            return RUN_FAILED;
        }
        /* The window between these two renames is the one run.h describes. */
        if (rename(od->target, aside) != 0) {
            e = errno;
            rmdir(aside);
            free(aside);
            if (e != ENOENT) { /* ENOENT: removed during the run; nothing to replace */
                snprintf(err, errlen, "cannot move the earlier results in '%s' aside: %s",
                         shown(od->target, b, sizeof b), strerror(e));
                return RUN_FAILED;
            }
            aside = NULL;
        }
        if (rename(od->tmp, od->target) != 0) {
            e = errno;
            if (aside)
                rename(aside, od->target); /* put the earlier results back */
            free(aside);
            snprintf(err, errlen, "cannot rename the results to '%s': %s", shown(od->target, b, sizeof b),
                     strerror(e));
            return RUN_FAILED;
        }
        if (aside)
            remove_old(aside, od->layout);
        free(aside);
    } else if (rename(od->tmp, od->target) != 0) {
        snprintf(err, errlen, "cannot rename the results to '%s': %s", shown(od->target, b, sizeof b),
                 strerror(errno));
        return RUN_FAILED;
    }
    free(od->tmp);
    od->tmp = NULL;
    sync_dir(od->parent);
    return RUN_OK;
}

/* ---- a directory as one transaction, for other commands' results -------------- */

struct run_dir {
    outdir_t od;
};

int run_dir_open(run_dir_t **d, const char *dir, int layout, int reps, char *err, size_t errlen)
{
    *d = calloc(1, sizeof **d);
    if (!*d) {
        snprintf(err, errlen, "out of memory");
        return RUN_FAILED;
    }
    int rc = out_open(&(*d)->od, dir, layout, reps, err, errlen);
    if (rc != RUN_OK) {
        run_dir_abort(*d);
        *d = NULL;
    }
    return rc;
}

const char *run_dir_path(const run_dir_t *d) { return d->od.tmp; }

bool run_dir_replaces(const run_dir_t *d) { return d->od.exists; }

int run_dir_commit(run_dir_t *d, char *err, size_t errlen)
{
    int rc = out_commit(&d->od, err, errlen);
    run_dir_abort(d);
    return rc;
}

void run_dir_abort(run_dir_t *d)
{
    if (!d)
        return;
    out_abort(&d->od);
    free(d);
}

/* Flushes (and syncs) and closes f: 0, or the errno value of the first
 * failure. A failed write earlier leaves its bytes buffered, so the flush
 * fails again with the same error. */
static int finish_file(FILE *f, bool sync)
{
    int e = 0;
    errno = 0;
    if (fflush(f) != 0)
        e = errno ? errno : EIO;
    else if (ferror(f))
        e = EIO;
    else if (sync && fsync(fileno(f)) != 0)
        e = errno;
    errno = 0;
    if (fclose(f) != 0 && !e)
        e = errno ? errno : EIO;
    return e;
}

static char *part_path(const char *dir, const char *what, int rep)
{
    return run_strprintf("%s/%s.r%d.part", dir, what, rep);
}

/* ---- replications ------------------------------------------------------------ */

typedef struct shared {
    const scenario_t *sc;
    const run_opts_t *o;
    const char *tmpdir;       /* NULL: no files */
    metrics_t *reps;
    _Atomic int64_t *progress;
    _Atomic int next;
    _Atomic int done;
    _Atomic int failed;
    pthread_mutex_t lock;     /* file creation, err, and the condition below */
    pthread_cond_t changed;   /* signalled when a replication ends */
    char err[PATH_MAX + 512];
} shared_t;

static void set_error(shared_t *sh, const char *fmt, ...)
{
    pthread_mutex_lock(&sh->lock);
    if (!atomic_load(&sh->failed)) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(sh->err, sizeof sh->err, fmt, ap);
        va_end(ap);
    }
    atomic_store(&sh->failed, 1);
    pthread_cond_broadcast(&sh->changed);
    pthread_mutex_unlock(&sh->lock);
}

static void run_one(shared_t *sh, int rep)
{
    FILE *f[NPARTS] = {NULL};
    if (sh->tmpdir) {
        char *path[NPARTS];
        bool oom = false, skip = false;
        int e = 0;
        for (int k = 0; k < NPARTS; k++)
            oom |= !(path[k] = part_path(sh->tmpdir, parts[k].what, rep));
        pthread_mutex_lock(&sh->lock);
        if (atomic_load(&sh->failed))
            skip = true; /* failed or stopped: the directory may be going away */
        for (int k = 0; k < NPARTS && !skip && !oom && !e; k++)
            if (!(f[k] = fopen(path[k], "w")))
                e = errno;
        pthread_mutex_unlock(&sh->lock);
        for (int k = 0; k < NPARTS; k++)
            free(path[k]);
        if (skip)
            goto out;
        if (oom) {
            set_error(sh, "out of memory");
            goto out;
        }
        if (e) {
            set_error(sh, "cannot create replication %d's files in the temporary directory '%s': %s", rep,
                      sh->tmpdir, strerror(e));
            goto out;
        }
    }
    world_t *w = world_new(sh->sc, rep, &(world_files_t){f[PART_SERIES], f[PART_EVENTS], f[PART_AUTOSCALER]});
    if (!w) {
        set_error(sh, "out of memory setting up the run");
        goto out;
    }
    w->progress = &sh->progress[rep];
    if (world_run(w) == 0) {
        world_collect(w, &sh->reps[rep]);
    } else if (w->overloaded && sh->o->overload_fails_gates) {
        world_collect_overloaded(w, &sh->reps[rep]);
    } else {
        set_error(sh, "%s", w->error);
    }
    if (sh->reps[rep].oom)
        set_error(sh, "out of memory collecting results");
    world_free(w);
out:
    for (int k = 0; k < NPARTS; k++) {
        int e = f[k] ? finish_file(f[k], false) : 0;
        if (e)
            set_error(sh, "writing replication %d's %s (for %s) failed: %s", rep, parts[k].desc, parts[k].file,
                      strerror(e));
    }
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

void run_wait_100ms(pthread_cond_t *c, pthread_mutex_t *m)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_nsec += 100 * 1000 * 1000;
    if (ts.tv_nsec >= 1000000000) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000;
    }
    pthread_cond_timedwait(c, m, &ts);
}

double run_clock_s(void)
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

/* Concatenates the replications' parts into DIR/name (after the CSV header),
 * removing each part. 0, or -1 with a message in err. */
static int merge_files(const char *dir, int k, int r, char *err, size_t errlen)
{
    const char *what = parts[k].what, *name = parts[k].file;
    char *path = run_strprintf("%s/%s", dir, name);
    FILE *out = path ? fopen(path, "w") : NULL;
    free(path);
    if (!out) {
        snprintf(err, errlen, "creating %s failed: %s", name, strerror(errno));
        return -1;
    }
    world_write_headers(&(world_files_t){k == PART_SERIES ? out : NULL, k == PART_EVENTS ? out : NULL,
                                         k == PART_AUTOSCALER ? out : NULL});
    size_t bufsize = 65536;
    char *buf = malloc(bufsize);
    int e = buf ? 0 : ENOMEM;
    for (int i = 0; i < r && !e; i++) {
        char *part = part_path(dir, what, i);
        FILE *in = part ? fopen(part, "r") : NULL;
        if (!in) {
            e = errno ? errno : ENOMEM;
            free(part);
            break;
        }
        size_t n;
        while (!e && (n = fread(buf, 1, bufsize, in)) > 0)
            if (fwrite(buf, 1, n, out) != n)
                e = errno ? errno : EIO;
        if (!e && ferror(in))
            e = EIO;
        fclose(in);
        unlink(part);
        free(part);
    }
    free(buf);
    int fe = finish_file(out, true);
    if (!e)
        e = fe;
    if (e) {
        snprintf(err, errlen, "writing %s failed: %s", name, strerror(e));
        return -1;
    }
    return 0;
}

static int write_summary(const char *dir, const scenario_t *sc, const run_result_t *res, char *err, size_t errlen)
{
    char *text = results_summary_json(sc, res);
    char *path = text ? run_strprintf("%s/summary.json", dir) : NULL;
    if (!path) {
        free(text);
        snprintf(err, errlen, "out of memory writing summary.json");
        return -1;
    }
    FILE *f = fopen(path, "w");
    free(path);
    int e = f ? 0 : errno;
    if (f) {
        fputs(text, f);
        fputc('\n', f);
        e = finish_file(f, true);
    }
    free(text);
    if (e) {
        snprintf(err, errlen, "writing summary.json failed: %s", strerror(e));
        return -1;
    }
    return 0;
}

static bool stop_requested(const run_opts_t *o)
{
    return o->stop && atomic_load(o->stop);
}

int run_scenario(const scenario_t *sc, const run_opts_t *o, run_result_t *res, char *err, size_t errlen)
{
    memset(res, 0, sizeof *res);
    int r = o->replications > 0 ? o->replications : 1;
    res->replications = r;
    outdir_t od = {0};
    if (o->outdir) {
        int rc = out_open(&od, o->outdir, RUN_DIR_RESULTS, r, err, errlen);
        if (rc != RUN_OK) {
            out_abort(&od);
            return rc;
        }
    }
    /* On the heap: after a stop the workers still running keep using it. */
    shared_t *sh = calloc(1, sizeof *sh);
    metrics_t *reps = calloc((size_t)r, sizeof *reps);
    void *progress_mem = calloc((size_t)r, sizeof *sh->progress);
    if (!sh || !reps || !progress_mem) {
        free(sh);
        free(reps);
        free(progress_mem);
        out_abort(&od);
        snprintf(err, errlen, "out of memory");
        return RUN_FAILED;
    }
    sh->sc = sc;
    sh->o = o;
    sh->tmpdir = od.tmp;
    sh->reps = reps;
    sh->progress = progress_mem;
    pthread_mutex_init(&sh->lock, NULL);
    pthread_cond_init(&sh->changed, NULL);
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    int nt = o->threads > 0 ? o->threads : (int)(cores > 0 ? cores : 1);
    if (nt > r)
        nt = r;
    double t0 = run_clock_s();
    pthread_t *th = calloc((size_t)nt, sizeof *th);
    int started = 0;
    for (int i = 0; th && i < nt; i++)
        if (pthread_create(&th[i], NULL, worker, sh) == 0)
            started++;
    if (started == 0 && !stop_requested(o))
        worker(sh); /* no thread could start: run here */
    /* Wait for the workers, waking every 100 ms to draw progress and to see
     * a stop request. */
    bool drawn = false, stopped = false;
    pthread_mutex_lock(&sh->lock);
    while (started && atomic_load(&sh->done) < r && !atomic_load(&sh->failed)) {
        run_wait_100ms(&sh->changed, &sh->lock);
        if (stop_requested(o)) {
            /* under the lock: from here on no worker creates a file */
            atomic_store(&sh->failed, 1);
            stopped = true;
            break;
        }
        double el = run_clock_s() - t0;
        if (o->progress && el > 0.5 && atomic_load(&sh->done) < r) {
            draw_progress(sh, r, el);
            drawn = true;
        }
    }
    pthread_mutex_unlock(&sh->lock);
    if (drawn) {
        if (!stopped)
            draw_progress(sh, r, run_clock_s() - t0);
        fputc('\n', stderr);
    }
    if (stopped) {
        /* The event loop cannot be interrupted: the workers are abandoned
         * (sh, reps and progress_mem stay allocated for them) and the caller
         * ends the process. Their open files are unlinked with the directory. */
        out_abort(&od);
        free(th);
        snprintf(err, errlen, "stopped; no result was written");
        return RUN_STOPPED;
    }
    for (int i = 0; i < started; i++)
        pthread_join(th[i], NULL);
    free(th);
    res->wall_s = run_clock_s() - t0;
    res->reps = reps;
    int rc = RUN_OK;
    if (atomic_load(&sh->failed)) {
        snprintf(err, errlen, "%s", sh->err);
        rc = RUN_FAILED;
    } else if (metrics_aggregate(&res->summary, reps, (size_t)r) != 0) {
        snprintf(err, errlen, "replications disagree on their metrics, or out of memory");
        rc = RUN_FAILED;
    }
    if (rc == RUN_OK && od.tmp) {
        for (int k = 0; k < NPARTS && rc == RUN_OK; k++)
            if (merge_files(od.tmp, k, r, err, errlen) != 0)
                rc = RUN_FAILED;
        if (rc == RUN_OK && write_summary(od.tmp, sc, res, err, errlen) != 0)
            rc = RUN_FAILED;
        if (rc == RUN_OK && stop_requested(o)) {
            snprintf(err, errlen, "stopped; no result was written");
            rc = RUN_STOPPED;
        } else if (rc == RUN_OK)
            rc = out_commit(&od, err, errlen);
    }
    if (rc == RUN_FAILED && o->outdir) {
        /* say what became of the output directory */
        size_t n = strlen(err);
        char b[128];
        snprintf(err + n, errlen > n ? errlen - n : 0, od.exists ? "; '%s' keeps the earlier results" :
                                                                     "; no result was written ('%s' was not created)",
                 shown(od.target, b, sizeof b));
    }
    out_abort(&od);
    free(progress_mem);
    pthread_mutex_destroy(&sh->lock);
    pthread_cond_destroy(&sh->changed);
    free(sh);
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
