/* cost: what the platform costs to run (the scenario's `cost:`).
 *
 * Compute is billed as pods hold their requests: pod-hours of a service x
 * (its CPU request in vCPU x `vcpu_hour` + its memory request in GiB x
 * `gib_hour`); a pod without requests is billed as the smallest billable
 * pod (`min_vcpu`, `min_gib`; AWS Fargate's 0.25 vCPU and 0.5 GiB). CDN
 * egress is the bytes its edges send to users (the responses of the
 * classes, hits and misses alike) x the price of the edge's price class;
 * origin-to-edge transfer is free (as from AWS origins to CloudFront).
 *
 * Default prices (USD, on-demand, us-east-1 and CloudFront's first 10 TB
 * per month, as AWS published them in 2024; a scenario overrides any):
 * vCPU-hour 0.04048, GiB-hour 0.004445 (Fargate, Linux/x86); egress per
 * GiB: North America and Europe 0.085, South Africa 0.110, South America
 * 0.110, Singapore 0.120, Australia 0.114; a Redis node (ElastiCache
 * cache.r6g.large, on-demand) 0.206 per hour, every primary and replica of
 * every shard billed for the measured window; a PostgreSQL server (RDS
 * db.r6g.large, single-AZ) 0.225 per hour, the primary and each replica.
 *
 * Every cost a station reports is a metric whose last key ends in `_usd`
 * (`services.web.cost_usd`, `cost.cdn_egress_usd`); `cost.total_usd` is
 * their sum over the measured window [warmup, end], and
 * `cost.per_million_requests_usd` that over the measured requests.
 * `cost.compute_usd` is the services' part of it, and `cost.cpu_utilization`
 * the CPU the pods used over the CPU they requested, over every service
 * with a CPU request (core-hours used over core-hours requested: the
 * plan's "70%+ resource utilization" is this number). */
#ifndef MODELS_COST_H
#define MODELS_COST_H

#include "models/geo.h"
#include "sim/metrics.h"
#include "sim/params.h"

typedef struct cost_cfg {
    double vcpu_hour, gib_hour;
    double min_vcpu, min_gib;
    double egress_gib[GEO_NLOCATIONS];   /* by edge location */
    double egress_na_eu, egress_africa, egress_sa, egress_sg, egress_au;
    double redis_node_hour;             /* one Redis node (primary or replica) */
    double db_node_hour;                /* one PostgreSQL server (primary or replica) */
} cost_cfg_t;

extern const param_table_t cost_table;

/* Fills the per-location egress prices from the price classes. */
void cost_resolve(cost_cfg_t *c);
/* The compute cost of pod_hours of pods requesting cpu_m millicores and
 * mem_b bytes (0: not set, billed at the minimum). */
double cost_compute(const cost_cfg_t *c, double pod_hours, int64_t cpu_m, int64_t mem_b);
/* Appends cost.total_usd and cost.per_million_requests_usd: the sum of
 * every `_usd` metric in m so far, over `requests`. */
void cost_collect_total(metrics_t *m, double requests);

#endif
