/* service: a service of N pods behind a load balancer.
 *
 * Each pod has `concurrency` workers in front of one FIFO queue holding at
 * most `queue_capacity` waiting requests (not counting those in service); a
 * request that finds its pod's queue full is rejected, an error. A worker
 * serves a request for a time drawn from `service_time`, then makes the
 * service's downstream `calls` one after the other, synchronously: the
 * worker stays held until the last call returns, as a thread-per-request
 * HTTP handler does. A failed call fails the caller's request at once.
 *
 * One visit of a request to a service is a job; jobs and requests come from
 * pools, so the event loop does not allocate. A service's latency is its
 * jobs' sojourn (queueing + service + downstream calls); its wait is the
 * queueing alone. Statistics count requests that arrived after warm-up;
 * gauges (busy workers, queue, replicas) are time-weighted from warm-up on. */
#ifndef MODELS_SERVICE_H
#define MODELS_SERVICE_H

#include <stdbool.h>
#include <stdint.h>

#include "models/lb.h"
#include "sim/dist.h"
#include "sim/gauge.h"
#include "sim/hist.h"
#include "sim/params.h"
#include "sim/rng.h"
#include "sim/simtime.h"

typedef struct world world_t;
typedef struct service service_t;
typedef struct job job_t;

/* ---- configuration (decoded from the scenario) -------------------------- */

typedef struct service_cfg {
    const char *name;
    srcpos_t pos;
    int replicas;
    int concurrency;
    int queue_capacity;
    dist_t service_time;
    const lb_kind_t *lb;
    double *weights;            /* per pod, nweights <= replicas; the rest 1 */
    size_t nweights;
    srcpos_t weights_pos;
    const char **call_names;    /* as written */
    srcpos_t *call_pos;
    uint32_t *calls;            /* resolved service indices */
    size_t ncalls;
} service_cfg_t;

extern const param_t service_params[];
extern const size_t service_nparams;

/* ---- run-time state -------------------------------------------------------- */

typedef struct request {
    void *pool_link;
    simtime_t arrival;
    uint32_t client;
    bool measured;              /* arrived after warm-up */
} request_t;

struct job {
    job_t *next;                /* queue link (and pool link while free) */
    request_t *req;
    job_t *parent;              /* the caller's job, NULL at the entry service */
    service_t *svc;
    pod_t *pod;
    simtime_t enq, start;
    uint32_t next_call;
};

struct pod {
    uint32_t uid;               /* stable for the pod's life (ip_hash) */
    int busy;                   /* workers in use */
    int queued;                 /* waiting */
    int active;                 /* busy + queued: what balancers compare */
    job_t *qhead, *qtail;
    double weight;              /* weighted_round_robin */
    double lb_weight_cur;       /* scratch of weighted_round_robin */
    uint64_t served;            /* jobs completed, all of the run */
};

/* Per-interval counters for the time series (all requests, warm-up too). */
typedef struct service_interval {
    uint64_t completed, rejected;
    hist_t latency;
    double busy_area0;          /* busy gauge area at the interval's start */
} service_interval_t;

struct service {
    const service_cfg_t *cfg;
    uint32_t index;
    pod_t *pods;
    uint32_t npods;
    pod_t **ready;              /* the balancer's view */
    lb_view_t view;
    void *lb_state;
    rng_t *rng_time, *rng_lb;
    service_t **calls;
    uint32_t ncalls;
    /* statistics (measured requests) */
    hist_t latency, wait;
    uint64_t completed, rejected, errors;
    gauge_t busy, queue, in_system, replicas;
    service_interval_t iv;
};

/* Sets up a service from its configuration; pods all ready. 0 or -1 (OOM). */
int service_init(world_t *w, service_t *s, const service_cfg_t *cfg, uint32_t index);
void service_destroy(service_t *s);
/* Hands job j (j->req set, j->parent set or NULL) to service s at w->now. */
void service_submit(world_t *w, service_t *s, job_t *j);
/* Restarts the time-weighted statistics (end of warm-up). */
void service_restart_stats(service_t *s, simtime_t now);

#endif
