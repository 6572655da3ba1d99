/* vdata: a run as clustersim-view sees it, read from a results directory
 * (or filled row by row while a scenario runs live).
 *
 * A results directory holds summary.json, timeseries.csv and events.csv
 * (README.md, "Results"), and, from runs that write it, autoscaler.csv: one
 * row per metric per autoscaler sync, with the columns of `clustersim hpa
 * replay`. The viewer shows one replication (0 unless asked; vrun_t's
 * `replication`): the rows of the others are read (and checked) but not
 * kept. summary.json's figures (costs, SLOs) are the run's, over every
 * replication.
 *
 * Time series are kept by sample: `t[i]` is the i-th distinct sample time
 * and each series holds one value per sample (NAN where a row is missing,
 * as latency rows are when nothing completed). Rows arrive in time order
 * (the run writes them so); a row at an earlier time than the last sample
 * is an error. The same vdata_add_sample() serves the file reader and live
 * runs, so both see one model.
 *
 * Errors are located (`file:line:col: message`, diag.h) and returned; no
 * SDL here: the reader is built and tested with or without SDL2. */
#ifndef VIZ_VDATA_H
#define VIZ_VDATA_H

#include <stdbool.h>
#include <stddef.h>

#include "sim/arena.h"
#include "sim/diag.h"

typedef struct vseries {
    const char *name;       /* "api-gateway.replicas", "offered_rate", ... */
    double *v;              /* one value per sample (capacity: the run's) */
} vseries_t;

typedef enum vevent_kind {
    VEV_SCALE_UP,           /* an autoscaler raised the replica count */
    VEV_SCALE_DOWN,         /* ... or lowered it */
    VEV_FAULT,              /* a pod crash or OOM kill, an outage, a server down, a failover, a purge */
    VEV_RECOVER,            /* an edge, origin or database server back up, a promotion, a Redis replica promoted */
    VEV_OTHER               /* a rollout step, anything else */
} vevent_kind_t;

typedef struct vevent {
    double t;               /* s */
    const char *object, *from, *to, *reason;
    vevent_kind_t kind;
} vevent_t;

/* One metric of one autoscaler sync (a row of autoscaler.csv; README.md,
 * "Results"). An empty cell is NAN: a metric that could not be computed
 * (not yet scraped, no Ready pod) has no value or proposal, a threshold
 * autoscaler's metric without a request no target, and a sync at which
 * every metric failed no raw or stabilized recommendation. */
typedef struct vmetric {
    const char *metric;
    double value, target;   /* in one unit (CPU: percent of the request) */
    double proposal;        /* replicas it proposes */
} vmetric_t;

/* One autoscaler sync: what the controller saw and decided. */
typedef struct vsync {
    double t;               /* s */
    const char *service;
    double current, raw, stabilized, final; /* raw, stabilized: NAN when none */
    const char *reason;     /* the limiting reason, "" when none */
    vmetric_t *m;           /* nm metrics, in the file's order */
    int nm;
} vsync_t;

/* A latency gate of the scenario's `slo:` (from summary.json). */
typedef struct vslo {
    const char *name, *metric, *op;
    double threshold;
} vslo_t;

typedef struct vrun {
    arena_t *arena;         /* everything below but the growing arrays */
    const char *dir;        /* as given */
    int replication;        /* the replication shown */
    int replications;       /* summary.json's (0 when absent) */
    const char *scenario;   /* summary.json's "scenario"; the file's name live */
    double duration_s, warmup_s;
    /* samples */
    double *t;
    int nt, capt;
    vseries_t *series;
    int nseries, capseries;
    int *hash, hcap;        /* series by name (vdata_find) */
    /* names found in the series, in first-seen order */
    const char **services, **edges, **regions;
    int nservices, nedges, nregions;
    /* events and syncs, by time */
    vevent_t *events;
    int nevents, capevents;
    vsync_t *syncs;
    int nsyncs, capsyncs;
    bool has_autoscaler;    /* autoscaler.csv was there */
    /* from summary.json (0 / NULL when absent) */
    vslo_t *slos;
    int nslos;
    double cost_total_usd, cdn_egress_usd;
    const char **cost_service;       /* per service named in summary.json */
    double *cost_service_usd, *pod_hours;
    int ncost;
    bool has_summary;
    /* live (no summary.json yet): cost_service_usd holds each service's
     * price per pod-hour (pod_hours 1) from the scenario's `cost:`, and
     * fixed_usd_hour what Redis and the database cost an hour; CDN egress
     * is known only at the run's end. 0 / false from a results directory. */
    double fixed_usd_hour;
    bool live_prices;
} vrun_t;

/* An empty run (live mode fills it); false when out of memory. */
bool vdata_init(vrun_t *r, const char *dir);
/* Reads DIR's results of one replication into r (initialised here). 0, or
 * -1 with located errors in d (diag_oom when memory ran out; a replication
 * the run does not have is an error); r needs vdata_free either way. */
int vdata_load(vrun_t *r, const char *dir, int replication, diag_t *d);
void vdata_free(vrun_t *r);

/* Readers of one file each, for tests and for live mode (the text must be
 * NUL-terminated; path names it in messages). 0 or -1 with errors in d. */
int vdata_parse_timeseries(vrun_t *r, const char *path, const char *text, size_t len, diag_t *d);
int vdata_parse_events(vrun_t *r, const char *path, const char *text, size_t len, diag_t *d);
int vdata_parse_autoscaler(vrun_t *r, const char *path, const char *text, size_t len, diag_t *d);
int vdata_parse_summary(vrun_t *r, const char *path, const char *text, size_t len, diag_t *d);

/* Adds a value of series `name` at time t (s). A later t opens a new sample.
 * 0; -1 when t is earlier than the last sample (err says so) or memory ran
 * out (err "out of memory"). */
int vdata_add_sample(vrun_t *r, double t, const char *name, double v, const char **err);
/* Adds an event row (strings copied). 0, or -1 when out of memory. */
int vdata_add_event(vrun_t *r, double t, const char *object, const char *from, const char *to, const char *reason);

/* The series called name, or -1. */
int vdata_find(const vrun_t *r, const char *name);
/* The series "SERVICE.FIELD" (or "PREFIX.NAME.FIELD"), or -1. */
int vdata_find2(const vrun_t *r, const char *prefix, const char *name, const char *field);
/* Series s's value at sample i; NAN when s < 0 or no value. */
double vdata_value(const vrun_t *r, int s, int i);
/* The last sample at or before time t (0 when t is before the first; -1 when
 * there is none). */
int vdata_sample_at(const vrun_t *r, double t);
/* The last sync of service at or before t, at most max_age s old; -1. */
int vdata_sync_at(const vrun_t *r, const char *service, double t, double max_age);
/* The classification of an event row (see vevent_kind_t). */
vevent_kind_t vdata_event_kind(const char *object, const char *from, const char *to);

#endif
