/* service: a Deployment's pods behind a load balancer.
 *
 * Requests. Each pod has `concurrency` workers in front of one FIFO queue
 * holding at most `queue_capacity` waiting requests (not counting those in
 * service); a request that finds its pod's queue full is rejected, an
 * error. A worker serves a request for a time drawn from `service_time`,
 * then makes the service's downstream `calls` one after the other,
 * synchronously: the worker stays held until the last call returns, as a
 * thread-per-request HTTP handler does. A failed call fails the caller's
 * request at once. One visit of a request to a service is a job; jobs and
 * requests come from pools, so the event loop does not allocate.
 *
 * CPU. `service_time` is CPU demand at one core. A pod whose busy workers
 * want more cores than its CPU limit is throttled: the workers share the
 * limit equally (processor sharing; each progresses at limit/busy), so
 * requests slow down in proportion. A pod's CPU usage (cores in use, over
 * time) is what metrics-server reports. Pods without a limit, or with
 * `concurrency` at most the limit, can never be throttled and take the
 * cheaper path of one completion event per request.
 *
 * Memory. A pod's working set is `memory.base` plus `memory.per_request`
 * for each request in it (in service or queued). A pod above its memory
 * limit is OOM-killed: its requests fail and its container restarts through
 * container start and readiness again, after Kubernetes' CrashLoopBackOff
 * delay (10 s doubling to 5 min, reset after 10 min of running).
 *
 * Life cycle. A new pod goes Pending (`startup.scheduling`), pulls its
 * image (`startup.image_pull`), starts its container
 * (`startup.container_start`), and becomes Ready when its readiness probe
 * passes (`startup.readiness`); only Ready pods receive requests, and the
 * balancer is told of every change. A pod being removed leaves the balancer
 * at once, finishes the requests it holds within `termination_grace`, and
 * is then gone (requests still in it fail). The pods present at time 0 are
 * Ready.
 *
 * Replicas. The Deployment controller (models/deployment.c) creates and
 * deletes pods to keep `desired` replicas and runs rollouts.
 *
 * Job slots. Killing a pod's requests (an OOM kill, the end of a grace
 * period) needs the jobs holding its workers, which costs two updates per
 * request; only services that can lose pods keep them (`tracked`: resources,
 * an autoscaler, rollouts, or `killable`: a scheduled fault names it).
 * Nothing kills the requests of an untracked service: deployment_scale
 * refuses to scale one (an internal error), service_pod_crash returns -1
 * without touching it, and kill_jobs fails the run rather than read slots
 * that do not exist.
 *
 * Statistics count requests that arrived after warm-up; gauges (busy
 * workers, queue, pods) are time-weighted from warm-up on. */
#ifndef MODELS_SERVICE_H
#define MODELS_SERVICE_H

#include <stdbool.h>
#include <stdint.h>

#include "models/autoscaler.h"
#include "models/lb.h"
#include "models/server.h"
#include "sim/dist.h"
#include "sim/evq.h"
#include "sim/gauge.h"
#include "sim/hist.h"
#include "models/k8s.h"
#include "sim/params.h"
#include "sim/pool.h"
#include "sim/rng.h"
#include "sim/simtime.h"
#include "sim/station.h"
#include "sim/world.h"

typedef struct world world_t;
typedef struct service service_t;
typedef struct job job_t;
typedef struct pod pod_t;

/* ---- configuration (decoded from the scenario) -------------------------- */

typedef struct startup_cfg {
    dist_t scheduling, image_pull, container_start, readiness;
} startup_cfg_t;

typedef struct service_cfg {
    const char *name;           /* its station's */
    srcpos_t pos;
    int replicas;
    int concurrency;
    int queue_capacity;
    dist_t service_time;
    const lb_kind_t *lb;
    double *weights;            /* nweights <= replicas: the i-th for the pod of a revision that holds index i
                                   (the lowest its revision's pods left free when it was created); pods beyond
                                   them weigh 1 */
    size_t nweights;
    srcpos_t weights_pos;
    const char **call_names;    /* as written */
    srcpos_t *call_pos;
    uint32_t *calls;            /* resolved: station indices of services */
    size_t ncalls;
    /* resources: millicores and bytes; 0 means not set */
    int64_t cpu_request_m, cpu_limit_m, mem_request_b, mem_limit_b;
    int64_t mem_base_b;
    int64_t mem_per_request_b;
    startup_cfg_t startup;
    simtime_t grace;            /* terminationGracePeriodSeconds */
    int recreate;               /* strategy: 0 RollingUpdate, 1 Recreate */
    k8s_intstr_t max_surge, max_unavailable;
    simtime_t *rollouts;        /* times of rolling updates, increasing */
    size_t nrollouts;
    const char *deployment;     /* apps/v1 Deployment file, or NULL */
    autoscaler_cfg_t autoscaler;
    bool killable;              /* a fault may crash its pods: keep job slots */
    simtime_t *crashes;         /* scheduled pod crashes (faults), in file order */
    size_t ncrashes;
} service_cfg_t;

extern const param_table_t service_table;
/* The station kind "service" (models/service_station.c). */
extern const station_kind_t station_service;

/* Applies a Deployment manifest (replicas, resources, strategy, grace) to
 * the keys the scenario left unset; 0 or the number of errors. */
int service_apply_deployment(service_cfg_t *c, cfg_node_t *svc_map, pctx_t *ctx, const char *path);

/* ---- run-time state -------------------------------------------------------- */

enum { JOB_QUEUED, JOB_WORKING, JOB_CALLING, JOB_DETACHED };

struct job {
    server_item_t link;         /* first: the queue's link (and the pool's while free) */
    request_t *req;
    job_t *parent;              /* the caller's job, NULL at the entry service */
    service_t *svc;
    pod_t *pod;                 /* NULL once detached from a killed pod */
    simtime_t enq, start;
    evq_handle_t ev;            /* its completion (unthrottled pods) */
    uint32_t next_call;
    uint32_t bslot;             /* index in pod->slots while it holds a worker */
    uint32_t wslot;             /* index in pod->working (throttled pods) */
    uint8_t state;
    bool failed;                /* a downstream call failed (detached jobs) */
};

typedef enum {
    POD_PENDING,                /* waiting for the scheduler */
    POD_PULLING,                /* pulling its image */
    POD_STARTING,               /* container starting */
    POD_UNREADY,                /* running, readiness probe not yet passed */
    POD_READY,                  /* receiving requests */
    POD_BACKOFF,                /* OOM-killed, waiting to restart */
    POD_TERMINATING,            /* deleted, draining */
} pod_phase_t;

/* What the last metrics scrape saw of a pod (metrics-server and the custom
 * metrics adapter). */
typedef struct pod_metrics {
    int scrapes;                /* since the container (re)started */
    simtime_t at;               /* time of the last scrape */
    bool win_ok;                /* running at the start of the current window */
    simtime_t win_at;           /* start of the window */
    double win_area;            /* CPU core-ns then */
    uint64_t win_arrivals;      /* requests routed here by then */
    int64_t cpu_m;              /* usage over the last window, millicores */
    int64_t mem_b;              /* working set at the scrape */
    double rps;                 /* requests routed to the pod per second */
    int inflight, queued;
    bool has_cpu;               /* running through the window: rates exist */
} pod_metrics_t;

/* A working job of a throttled pod in the pod's heap: its finish tag, the
 * pod's virtual time at which its CPU work is done, in ns at one core with
 * 64 fractional bits (hi:lo), kept in the entry so that the heap compares
 * without reading the job. */
typedef struct ps_entry {
    uint64_t hi, lo;
    job_t *job;
} ps_entry_t;

/* A throttled pod with n working jobs: each job's rate min(1, limit/n),
 * its reciprocal (rounded), and the cores in use, min(n, limit). */
typedef struct ps_step {
    double rate, inv, cores;
} ps_step_t;

struct pod {
    void *pool_link;
    /* what the balancer sees: lb.active (busy + queued), lb.uid (stable for
     * the pod's life), lb.weight */
    lb_member_t lb;
    service_t *svc;
    uint64_t seq;               /* creation number: orders s->pods, never wraps */
    int revision;
    int32_t wslot;              /* its weight's index in `weights` (-1: weighs 1) */
    pod_phase_t phase;
    simtime_t created;
    simtime_t started;          /* status.startTime: bound to a node */
    simtime_t container_start;  /* the running container's start */
    simtime_t ready_since;      /* last transition of the Ready condition */
    evq_handle_t phase_ev;      /* the pending life-cycle step */
    server_t core;              /* workers and the FIFO queue: busy, queued */
    uint64_t served;            /* jobs completed, all of the run */
    uint64_t arrivals;          /* jobs routed here */
    /* CPU: cores in use now and their integral (core-ns) */
    double cpu_now, cpu_area;
    simtime_t cpu_last;
    job_t **slots;              /* the jobs holding a worker, [0, busy) */
    /* jobs using CPU now (own work, not waiting on a call); throttled pods
     * keep them in `working` (the order in which simultaneous completions
     * are handled) and in `ps_heap` by finish tag, and share one
     * completion event, for the least tag (processor sharing, service.c) */
    int nworking;
    job_t **working;
    ps_entry_t *ps_heap;        /* a min-heap of nworking entries, concurrency allocated */
    uint64_t ps_vhi, ps_vlo;    /* virtual time: work each working job has had (fixed point, as tags) */
    evq_handle_t ps_ev;
    simtime_t ps_last;          /* when virtual time was last advanced */
    double ps_rate;             /* work progress per ns for each job */
    int restarts;
    simtime_t backoff;          /* the next CrashLoopBackOff delay */
    pod_metrics_t m;
    pod_metrics_t m_prev;       /* m before the last scrape (service_pod_metrics) */
};

/* The service's own totals at the metrics-server's last scrape, whatever
 * pods came and went meanwhile: what an HPA's Object and External metrics
 * read (requests_per_second over the window, inflight and queued then). */
typedef struct service_totals {
    simtime_t at;               /* of the scrape */
    uint64_t win_submitted;     /* s->submitted when the window opened */
    simtime_t win_at;
    bool win_open;              /* a window opened */
    bool has_rate;              /* the last scrape closed a window */
    uint32_t scrapes;
    double rps;
    int64_t inflight, queued;
} service_totals_t;

/* Per-interval counters for the time series (all requests, warm-up too). */
typedef struct service_interval {
    uint64_t completed, rejected;
    hist_t latency;
    double busy_area0;          /* busy gauge area at the interval's start */
    double cpu_area0;           /* cpu gauge area (core-ns used) at the interval's start */
    double ready_area0;         /* ready_pods gauge area (pod-ns) at the interval's start */
    double pods_area0;          /* replicas gauge area (pod-ns, every pod) at the interval's start */
} service_interval_t;

struct service {
    const service_cfg_t *cfg;
    station_t *station;
    uint32_t index;
    pod_t **pods;               /* every pod that exists, in creation order (by seq) */
    uint32_t npods, cap_pods;
    pod_t **ready;              /* the Ready pods, in pod order */
    lb_member_t **members;      /* their balancer members, in the same order */
    lb_view_t view;
    void *lb_state;
    rng_t *rng_time, *rng_lb, *rng_life;
    service_t **calls;
    uint32_t ncalls;
    pool_t pod_pool;
    /* per revision with pods, the weights none of its pods holds: a min-heap
     * of indices into cfg->weights (service.c, "weights") */
    struct wset *wsets;
    uint32_t nwsets;
    uint32_t next_uid;
    uint64_t next_seq;
    bool throttled;             /* pods may be CPU-throttled (processor sharing) */
    double ps_limit;            /* throttled: the CPU limit, cores */
    ps_step_t *ps_steps;        /* throttled: [n] rates and cores with n working jobs, n <= concurrency */
    /* CPU accounting and the busy-job slots cost two updates per request;
     * a service with no resources, autoscaler, rollouts or memory limit has
     * no reader of the one and no pod to kill for the other, and skips them */
    bool tracked;
    /* the Deployment */
    int32_t desired;            /* spec.replicas */
    int revision;               /* of the current template */
    bool rolling;               /* a rollout is in progress */
    bool in_reconcile, reconcile_again;
    struct deployment_scratch *ctl; /* the controller's buffers, kept between reconciles */
    uint64_t ctl_visits;        /* pods the controller looked at: its work, for tests */
    simtime_t rollout_start;
    autoscaler_t autoscaler;
    /* statistics (measured requests) */
    hist_t latency, wait;
    uint64_t completed, rejected, errors;
    uint64_t oom_kills, scaling_events, rollouts_done;
    uint64_t rollout_errors;    /* requests failed while a rollout was on */
    hist_t rollout_latency;     /* of those completed while a rollout was on */
    double rollout_seconds;
    uint64_t submitted;         /* jobs handed to the service, all (warm-up too) */
    service_totals_t tot, tot_prev; /* at the last scrape, and before it */
    gauge_t busy, queue, in_system, replicas, ready_pods, desired_g;
    gauge_t cpu;                /* cores in use, all pods */
    service_interval_t iv;
};

/* What an autoscaler evaluating now reads of pod p's metrics, and of the
 * service's totals: the last scrape, or, at the very instant of a scrape,
 * the one before it (the sync and the scrape do not see each other's
 * work at one instant, whichever event came first). */
static inline const pod_metrics_t *service_pod_metrics(const pod_t *p, simtime_t now)
{
    return p->m.at == now && p->m.scrapes > 0 ? &p->m_prev : &p->m;
}
static inline const service_totals_t *service_totals(const service_t *s, simtime_t now)
{
    return s->tot.at == now && s->tot.scrapes > 0 ? &s->tot_prev : &s->tot;
}

/* Sets up a service from its configuration; its initial pods Ready. 0 or -1 (OOM). */
int service_init(world_t *w, service_t *s, const service_cfg_t *cfg, uint32_t index);
/* A job (a visit record), cleared; NULL when memory ran out (the run fails).
 * Inline: one per visit, on the hot path. */
static inline job_t *service_job_new(world_t *w)
{
    job_t *j = world_visit_get(w);
    if (j)
        *j = (job_t){0};
    return j;
}
static inline void service_job_free(world_t *w, job_t *j) { world_visit_put(w, j); }
/* The i-th service of a scenario (in file order), or NULL; and their count. */
service_cfg_t *scenario_service(const scenario_t *sc, size_t i);
size_t scenario_nservices(const scenario_t *sc);
/* The i-th service of a run, or NULL. */
service_t *world_service(world_t *w, size_t i);
void service_destroy(service_t *s);
/* Hands job j (j->req set, j->parent set or NULL) to service s at w->now. */
void service_submit(world_t *w, service_t *s, job_t *j);
/* Restarts the time-weighted statistics (end of warm-up). */
void service_restart_stats(service_t *s, simtime_t now);
/* Creates a pod of the current revision (the Deployment controller's
 * use): Ready now, or starting up; NULL when memory ran out. */
pod_t *service_pod_new(world_t *w, service_t *s, bool ready_now, int revision);
/* Deletes a pod: gone at once if it holds nothing, else draining within
 * the grace period (the Deployment controller's use). True when it is gone
 * (p is no longer valid). */
bool service_pod_delete(world_t *w, pod_t *p);
/* Whether the pod with this uid exists (gone: false). O(log pods). */
bool service_pod_exists(const service_t *s, uint32_t uid);
/* Crashes a running pod's container (a fault; reason for events.csv): its
 * requests fail, it restarts after CrashLoopBackOff. 0, or -1 when the pod
 * is not running or its service keeps no job slots (not killable). */
int service_pod_crash(world_t *w, pod_t *p, const char *reason);
/* Pods by phase: every pod that is not terminating, and the Ready ones. */
int service_count(const service_t *s, bool ready_only);
/* The most pods a service can have at once: its most replicas (initial, or
 * its autoscaler's maximum) plus, if it rolls out with RollingUpdate, the
 * surge. Bounds the run's pods (the limits) and sizes ip_hash's table. */
int64_t service_most_pods(const service_cfg_t *c);
/* Marks the start of a metrics window (window before a scrape). */
void service_window_start(world_t *w, service_t *s);
/* Takes a metrics scrape of every pod (metrics-server): CPU usage and
 * request rates over the window since service_window_start, for the pods
 * that ran through it; working set and requests in the pod now. */
void service_scrape(world_t *w, service_t *s);
/* True when the pod's container runs (it may hold requests). */
bool pod_running(const pod_t *p);
/* The pod's CPU core-ns up to now. */
double pod_cpu_area(const pod_t *p, simtime_t now);
/* The pod's working set now, bytes. */
int64_t pod_memory(const pod_t *p);
/* The name of a pod phase. */
const char *pod_phase_str(pod_phase_t ph);

#endif
