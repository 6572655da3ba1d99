/* k8s: Kubernetes manifests read as Kubernetes reads them.
 *
 * A file may hold several documents; `autoscaling/v2` HorizontalPodAutoscaler
 * and `apps/v1` Deployment objects are decoded, other kinds are skipped with
 * a warning. Decoding follows the API server: the API defaults are applied
 * (hpa-spec.md §4.1 for the HPA; replicas 1, RollingUpdate 25%/25%, a 30 s
 * grace period for the Deployment), the API validation runs
 * (hpa_spec_validate for the HPA) and each violation is reported at the
 * offending node. A field the API does not know is reported as
 *   FILE:LINE:COL: warning: unknown field "spec.behavior.scaleUp.policies[0].minReplicas"
 * and dropped, as the server's default field validation (Warn) does; with
 * `strict` it is an error, as `kubectl apply` (--validate=strict) makes it.
 * Status and most of metadata are accepted and ignored. */
#ifndef SIM_K8S_H
#define SIM_K8S_H

#include <stdbool.h>
#include <stdint.h>

#include "models/hpa.h"
#include "sim/arena.h"
#include "sim/cfg.h"
#include "sim/diag.h"

typedef struct k8s_hpa {
    const char *name, *ns;
    const char *target_kind, *target_name;   /* spec.scaleTargetRef */
    hpa_spec_t spec;                          /* defaulted and validated */
    srcpos_t pos;                             /* the document */
} k8s_hpa_t;

/* A rolling-update bound: an absolute count or a percentage of replicas. */
typedef struct k8s_intstr {
    bool percent;
    int32_t value;
} k8s_intstr_t;

/* The one parser of maxSurge / maxUnavailable, for manifests and scenarios:
 * digits (a count) or digits and '%' (a percentage), nothing else (no sign,
 * blank or fraction), at most 2^31-1. NULL, or what is wrong. */
const char *k8s_intstr_parse(const char *s, k8s_intstr_t *out);
/* The bounds of a parsed value: maxUnavailable at most 100% (the API's),
 * maxSurge at most LIMIT_SURGE_PERCENT % or LIMIT_SURGE pods (clustersim's,
 * sim/limits.h). NULL, or the message (in buf). */
const char *k8s_intstr_bounds(k8s_intstr_t v, bool surge, char *buf, size_t size);

typedef struct k8s_deployment {
    const char *name, *ns;
    int32_t replicas;                         /* spec.replicas (default 1) */
    bool recreate;                            /* strategy.type Recreate */
    k8s_intstr_t max_surge, max_unavailable;  /* default 25% each */
    int64_t cpu_request_m, cpu_limit_m;       /* summed over containers; -1: unset */
    int64_t mem_request_b, mem_limit_b;       /* bytes; -1: unset */
    int64_t grace_s;                          /* terminationGracePeriodSeconds (30) */
    int32_t min_ready_s;                      /* minReadySeconds (0) */
    srcpos_t pos;
} k8s_deployment_t;

typedef struct k8s_objects {
    k8s_hpa_t *hpas;
    size_t n_hpas;
    k8s_deployment_t *deployments;
    size_t n_deployments;
} k8s_objects_t;

/* Reads every document of path into out (allocated in a). 0, or -1 with
 * errors in d; warnings (unknown fields, skipped kinds) are added to d too. */
int k8s_load(arena_t *a, const char *path, bool strict, k8s_objects_t *out, diag_t *d);
/* As k8s_load, with patch (NULL: none) merged into the file's first
 * HorizontalPodAutoscaler before it is decoded (cfg_merge_patch: maps by
 * key, lists by index, a null removes), so that a scenario or --set can
 * change a manifest's fields without another file; a patched value that is
 * wrong is reported where the patch gives it. */
int k8s_load_patched(arena_t *a, const char *path, bool strict, const cfg_node_t *patch, k8s_objects_t *out,
                     diag_t *d);
/* As k8s_load, on text already in memory (len bytes, NUL-terminated), named
 * `name` in messages. */
int k8s_load_text(arena_t *a, const char *name, const char *text, size_t len, bool strict, k8s_objects_t *out,
                  diag_t *d);
/* A Kubernetes quantity ("500m", "1.5", "2Gi", "1e3", 100) in milli-units,
 * rounded up as Quantity.MilliValue(). NULL on success or a message. */
const char *k8s_quantity_milli(const char *s, int64_t *milli);
/* The absolute count of a rolling-update bound for `replicas` (surge rounds
 * up, unavailable rounds down, as the Deployment controller does). */
int32_t k8s_intstr_resolve(k8s_intstr_t v, int32_t replicas, bool round_up);

#endif
