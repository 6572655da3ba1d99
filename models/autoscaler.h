/* autoscaler: what changes a service's desired replicas, one kind per row
 * of one table (autoscaler.c), each kind in a file of its own
 * (autoscaler_hpa.c, autoscaler_threshold.c):
 *
 *   hpa        the Kubernetes HorizontalPodAutoscaler, from an autoscaling/v2
 *              manifest, run exactly as the controller does (models/hpa.c)
 *              every sync period over what metrics-server last scraped;
 *   threshold  the seed plan's triggers: up when CPU > 70% or memory > 80% or
 *              the queue > 100, down when CPU < 30% and memory < 40%, by
 *              `step` pods, no faster than `cooldown`.
 *
 * Both read the same metrics (service_scrape), so they can be compared on
 * the same traffic. Each decision that changes replicas is an event in
 * events.csv with its reason.
 *
 * Why it scaled: every evaluation writes rows of autoscaler.csv
 * (`replication,time_s,service,current,metric,value,target,proposal,raw,
 * stabilized,final,reason`), one per metric, the evaluation's columns
 * (current, raw, stabilized, final, reason) repeated on each. The HPA's
 * cells are `hpa replay`'s (replay_cells in models/replay.c): fed to
 * `clustersim hpa replay` with the same manifest, the values give the same
 * decisions wherever the pods are all Ready with samples (the replay knows
 * only a Ready count, not the missing-sample and CPU-initialisation groups).
 * The threshold kind writes rows `cpu`, `memory` and `queue` with its
 * value (percent of request; requests queued), the up threshold as target,
 * the final replicas and the trigger as reason; proposal, raw and stabilized
 * are empty (it has no recommendation but current +- step). Per evaluation
 * only, never per request.
 *
 * Scale-up response, measured in episodes. One starts at the first
 * evaluation whose recommendation before windows and rate limits (HPA: the
 * raw recommendation; threshold: current + step when a trigger fires)
 * exceeds the Ready pods. It ends once the Ready pods have reached the
 * desired replicas and no scale-up has come for a quiet period (HPA: the
 * longer of the scale-up window and the longest scale-up policy period,
 * plus two syncs; threshold: the cooldown plus two periods). Its response is
 * the time from its start to the last increase of Ready pods; an episode in
 * which nothing scaled up is not counted. The response includes the metrics'
 * lag, windows, rate limits and pod start-up: what "auto-scaling response
 * time" means to the seed plan (< 2 minutes). The recommendation alone
 * cannot end an episode: new pods without metrics lower it for a sync (the
 * HPA's missing-pods rule) before the load is met. */
#ifndef MODELS_AUTOSCALER_H
#define MODELS_AUTOSCALER_H

#include <stdbool.h>
#include <stdint.h>

#include "models/hpa.h"
#include "sim/diag.h"
#include "sim/params.h"
#include "sim/simtime.h"

typedef struct world world_t;
typedef struct service service_t;
typedef struct autoscaler_kind autoscaler_kind_t;

typedef struct autoscaler_cfg {
    const autoscaler_kind_t *kind;  /* NULL: replicas stay as set */
    srcpos_t pos;
    /* hpa */
    const char *manifest;
    bool strict;
    const cfg_node_t *patch;        /* fields of the manifest's HPA changed (NULL: none) */
    hpa_spec_t *hpa;                /* the manifest's spec, defaulted and validated */
    /* threshold */
    int min_replicas, max_replicas, step;
    simtime_t period, cooldown;
    double cpu_up, cpu_down, memory_up, memory_down, queue_up;
} autoscaler_cfg_t;

typedef struct autoscaler {
    const autoscaler_cfg_t *cfg;
    hpa_state_t hpa;
    /* what each HPA metric reads, resolved from its name once (MK_* in autoscaler.c) */
    uint8_t mkind[HPA_MAX_METRICS];
    int16_t mclass[HPA_MAX_METRICS];
    hpa_pod_t *pods;                /* input buffers, grown with the pods */
    hpa_sample_t *samples;
    size_t cap;
    simtime_t last_scale;
    bool scaled;
    /* scale-up response episodes */
    bool episode, episode_scaled;
    simtime_t episode_start, last_up, last_ready_up, quiet;
    int32_t prev_ready;
    uint64_t episodes;
    double response_sum_s, response_max_s;
} autoscaler_t;

struct autoscaler_kind {
    const char *name;
    const char *help;
    /* Prepares the run-time state; 0 or -1 (out of memory). */
    int (*init)(world_t *w, service_t *s);
    /* One evaluation at w->now. */
    void (*sync)(world_t *w, service_t *s);
    /* Time between evaluations (a property of the configuration: the
     * loader's limits count the evaluations of a run). */
    simtime_t (*period)(const autoscaler_cfg_t *c);
    void (*destroy)(service_t *s);
};

extern const autoscaler_kind_t autoscaler_hpa, autoscaler_threshold;

/* The kind named `name`, or NULL. */
const autoscaler_kind_t *autoscaler_find(const char *name);
/* Decodes a service's `autoscaler:` (a P_CUSTOM row of the service table;
 * obj is the service_cfg_t). */
int autoscaler_decode(const param_t *p, cfg_node_t *node, void *obj, pctx_t *ctx, const char *path);
/* Starts the service's autoscaler (first evaluation one period in). */
int autoscaler_start(world_t *w, service_t *s);
void autoscaler_stop(service_t *s);
/* Tells the episode bookkeeping that the number of Ready pods changed. */
void autoscaler_ready_changed(world_t *w, service_t *s);
typedef struct traffic_cfg traffic_cfg_t;
/* The traffic class whose rate an HPA metric names (External or Object
 * CLASS_per_second), or -1. */
int autoscaler_class_metric(const traffic_cfg_t *t, const hpa_metric_spec_t *m);
/* Reports the HPA's metrics that nothing produces (the list of those that
 * exist); the number of errors. */
int autoscaler_check_metrics(const autoscaler_cfg_t *a, const traffic_cfg_t *t, const char *svc, diag_t *d);
/* Closes or extends the scale-up episode after an evaluation (kinds call
 * it): `want` is the recommendation before windows and rate limits,
 * `before` the desired replicas before the decision. */
void autoscaler_episode(world_t *w, service_t *s, int32_t want, int32_t before);
/* One row of autoscaler.csv; NULL or "" cells are empty. */
typedef struct autoscaler_row {
    int32_t current;
    const char *metric, *value, *target, *proposal, *raw, *stabilized, *final, *reason;
} autoscaler_row_t;
/* Writes r for service s at w->now to w->autoscaler_log (nothing when it is NULL). */
void autoscaler_log(world_t *w, const service_t *s, const autoscaler_row_t *r);
/* kind hpa: reads the manifest of a service's autoscaler (autoscaler_hpa.c). */
int autoscaler_hpa_load(autoscaler_cfg_t *a, cfg_node_t *node, pctx_t *ctx, const char *path, const char *svc);
/* The `autoscaler` keys. */
extern const param_table_t autoscaler_table;

/* The override (a --set PATH=VALUE, malloc'd in *set) that gives service svc
 * of sc the HPA manifest at file (absolute, or relative to the current
 * directory: it is made absolute, since a scenario's own paths are relative
 * to the scenario): `services.SVC.autoscaler.manifest="FILE"` when svc
 * already has an hpa autoscaler without a `patch` (its other keys stay),
 * else the whole `services.SVC.autoscaler={kind: hpa, manifest: "FILE"}`
 * (with `strict: true` if the base had it; a base's patch is not applied
 * to the candidate's manifest). For `compare
 * --manifest`. 0; -1 with a message in err (no such service, the valid names
 * listed; a file that cannot be read); -2 out of memory. */
typedef struct scenario scenario_t;
int autoscaler_manifest_override(const scenario_t *sc, const char *svc, const char *file, char **set, char *err,
                                 size_t errlen);

#endif
