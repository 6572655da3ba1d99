/* limits: how much one run may create, whatever its input says.
 *
 * Kubernetes accepts an HPA with maxReplicas 2^31-1 and a Deployment with
 * any replicas and maxSurge; clustersim reads them as the API server does
 * (models/k8s.c, hpa_spec_validate in models/hpa.c) and then applies these
 * limits of its own, separately: every message says "clustersim's limit",
 * so that it is not mistaken for an API error. They make the cost of any
 * accepted input bounded: a run's memory and work grow with the pods that
 * exist at once, the workers in them, the services and the service visits
 * of one request, so each of those is capped here, at the key that would
 * exceed it, when the scenario is loaded (exit 2), never by a crawl or an
 * out-of-memory failure in the middle of a run.
 *
 * Why these values:
 *   - 10,000 replicas per service: the scenario's `replicas` and the
 *     threshold autoscaler's `max_replicas` had this bound already; the
 *     Deployment's spec.replicas and the HPA's min/maxReplicas get the same.
 *     It is above what one Deployment runs in practice (Kubernetes' own
 *     scalability targets stop at 5,000 nodes and 150,000 pods per cluster).
 *   - maxSurge: at most 10,000 pods, or 100% (as many new pods as replicas),
 *     so that a rolling update keeps at most 2 x 10,000 pods of a service
 *     that are not terminating. Kubernetes accepts a percentage above 100%
 *     for maxSurge; clustersim refuses it.
 *   - 100,000 pods per run: the most pods all services' controllers may keep
 *     at once (each service: the largest replica count it can reach, from
 *     `replicas` or its autoscaler's maximum, plus the rollout surge at that
 *     count when it has RollingUpdate rollouts). A pod costs about 0.5 KiB
 *     plus its worker slots, and the controllers' work per reconcile is
 *     linear in the pods, so this keeps both within a desktop's means. Pods
 *     draining after deletion are not counted: each holds at least one
 *     request (an idle pod goes at once), so they are bounded by the requests
 *     in flight, not by the configuration.
 *   - 10,000,000 workers per run (pods x concurrency, summed as above): a
 *     pod's worker slots are allocated when it is created, 8-16 bytes each
 *     (40 in a pod that a CPU limit can throttle: its processor-sharing heap
 *     of 24-byte entries), so at most about 400 MB.
 *   - 1,000 services: each carries four latency histograms (about 110 KiB:
 *     27 KiB each, sim/hist.h) and 11 time series, so 1,000 services are
 *     about 110 MB and 11,000 series.
 *   - 10,000 service visits per request: calls are synchronous and may fan
 *     out (a service calling the next one twice, 30 deep, makes 2^30 visits
 *     per request), so the visits one request makes, counted through the
 *     call graph, are bounded.
 *   - 100,000,000 rows of timeseries.csv per replication (about 3.5 GB at
 *     ~35 bytes a row): the scenario already limits one series to 10
 *     million rows, but 1,000 services have 13,002 series. The default
 *     sample_interval (at most 1,000 rows a series) never reaches it. The
 *     same bound holds for autoscaler.csv, a row per metric per sync of each
 *     service's autoscaler (a sync every 1 ms for a day is 86 million).
 *   - 10,000,000,000 arrivals per replication, expected (traffic.rate, or
 *     the profile's integral, times the regions' and flash crowds' largest
 *     factor, over the duration: the candidates the traffic draws before
 *     thinning; a replayed trace of timestamps is its own count). This is
 *     what makes a run's time bounded: each arrival does a bounded amount of
 *     work (at most LIMIT_VISITS service visits and the stations of one
 *     route), and 10^10 is 180 times the Azora baseline's day (56 million
 *     requests), a few hours at the day's pace (README, "Speed").
 *   - 10^11 pod visits by periodic work per replication: metrics-server's
 *     windows and scrapes (every metrics.resolution, 1 s at least) and the
 *     samples of timeseries.csv visit every pod, an autoscaler's sync (every
 *     sync_period or period, 1 ms at least) its service's pods, and a pod
 *     that a memory limit can OOM-kill may restart every 10 s
 *     (CrashLoopBackOff's shortest back-off); counted with each service at
 *     its most pods, as above. With the arrivals below, this
 *     bounds the events that do not come from requests. The baseline's day:
 *     5 x 10^5; 10,000 pods synced every 15 s for a year: 2 x 10^10.
 *   - 10,000,000 requests in flight at once, and as many visits to stations
 *     in progress (jobs, queries, Redis commands): the only part of a run's
 *     memory that its input cannot bound in advance, since an overloaded
 *     service's queue of queue_capacity (up to 10^7 per pod) x 100,000 pods
 *     fills at the rate of the overload. A request is 56 bytes and a visit
 *     at most 88 (a database query), so together at most about 1.5 GB.
 *     Reaching either stops the run with a message (exit 3, as out of
 *     memory does), never an out-of-memory failure; no result is written.
 *     Commands that judge gates (check, compare, sweep, tune, capacity)
 *     take the replication as one whose gates all fail instead
 *     (world_collect_overloaded).
 *     No scenario that a platform keeps up with comes near: the baseline's day peaks at 100 requests in flight
 *     and 46 visits. */
#ifndef SIM_LIMITS_H
#define SIM_LIMITS_H

#include "sim/diag.h"

#define LIMIT_REPLICAS 10000          /* desired pods of one service */
#define LIMIT_SURGE 10000             /* maxSurge as a count */
#define LIMIT_SURGE_PERCENT 100       /* maxSurge as a percentage */
#define LIMIT_PODS 100000             /* pods kept at once, all services */
#define LIMIT_WORKERS 10000000        /* pods x concurrency, all services */
#define LIMIT_SERVICES 1000           /* services of a scenario */
#define LIMIT_VISITS 10000            /* service visits of one request */
#define LIMIT_SERIES_ROWS 100000000   /* rows of timeseries.csv per replication */
#define LIMIT_ARRIVALS 1e10           /* expected arrivals per replication */
#define LIMIT_POD_TICKS 1e11          /* pods visited by periodic work per replication */
#define LIMIT_INFLIGHT 10000000       /* requests in flight, and visits in progress, at once */
/* Series per service in timeseries.csv at most (sim/world.c, on_sample),
 * and those of the whole run (offered and arrival rate). */
#define LIMIT_SERIES_PER_SERVICE 13
#define LIMIT_SERIES_RUN 2

struct scenario;

/* Checks a loaded scenario against the time-series rows limit (reported at
 * interval_pos, where sample_interval is set; each station kind declares its
 * series per station). The limits of one kind (pods, workers and visits of
 * services) are checked by the kind (models/service_station.c). 0, or the
 * number of errors reported in d. */
int limits_check(const struct scenario *sc, srcpos_t interval_pos, diag_t *d);

#endif
