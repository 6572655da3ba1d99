/* hpa: the Kubernetes HorizontalPodAutoscaler (autoscaling/v2) control
 * algorithm, as the controller's Go code implements it (hpa-spec.md).
 *
 * A pure module: no YAML, no I/O, no engine. The caller (the simulator, or
 * `clustersim hpa replay`) owns one hpa_spec_t and one hpa_state_t per HPA
 * and calls hpa_sync() once per sync period with what the controller would
 * read at that instant: scale.spec.replicas, scale.status.replicas, the pods
 * the target's selector matches, and one observation per metric. hpa_sync()
 * runs reconcileAutoscaler steps 1-6 (§1): it records the initial
 * recommendation, handles a target at 0 replicas and an out-of-range count,
 * computes every metric's proposal with the replica calculator's integer and
 * float64 arithmetic (§2, §3), takes the max with the partial-failure rule,
 * normalizes (legacy §4.3 when behavior is absent, stabilization windows
 * and rate-limit policies §4.2 otherwise), and returns a decision record. The
 * caller applies decision.desired to the target; the state is already
 * updated (recommendation stored, scale event stored when it changed).
 *
 * Assumptions:
 *  - Time is simtime_t nanoseconds and never goes backwards between syncs.
 *  - Window and period boundaries are strict in the way the real controller
 *    behaves: a recommendation or scale event exactly W seconds old is outside
 *    a W-second window (§4.4). Go compares with After/Before on wall clocks
 *    whose syncs are 15 s plus processing time apart, so on a nominal 15 s
 *    grid an "exactly W old" sample is in fact slightly older than W. This
 *    module uses "age < W is inside" everywhere, including the legacy
 *    stabilizeRecommendation (whose literal Go test is "not Before(cutoff)")
 *    and the outdated-slot marks (literal Go: "Before(cutoff)").
 *  - Where Go converts an out-of-range float64 to int32 (implementation-
 *    defined in Go, undefined in C) or overflows int32 arithmetic, this
 *    module saturates at INT32_MIN/INT32_MAX.
 *  - The feature gates HPAConfigurableTolerance (beta, on by default in 1.35)
 *    and HPAScaleToZero (alpha, off) are fields of hpa_config_t. The newer,
 *    unreleased ScaledToZero-condition requirement is not modelled: a target
 *    at 0 replicas with minReplicas 0 computes metrics (§1 step 3).
 *
 * Invariants kept by the state (hpa_state_t):
 *  - recommendations are stored only on the metric path (§1 step 5); the
 *    initial one on the first sync of a fresh or reset state;
 *  - scale events are stored only when behavior is present and the replica
 *    count changed; replica_change >= 0; an outdated event is never counted
 *    again by a rate limit (its age only grows past the longest period);
 *  - the arrays are allocated by hpa_state_init() for the bound below and
 *    grow (doubling) only if syncs come closer together than the configured
 *    sync period; a sync never allocates otherwise.
 *
 * Memory bound: on a sync grid of period P, the recommendations list holds at
 * most maxWindow/P + 1 entries (Go reuses one expired slot per sync, so the
 * list stops growing once the oldest entry ages out), and each event list at
 * most longestPolicyPeriod/P + 1. hpa_state_init() reserves 3 more of each.
 */
#ifndef MODELS_HPA_H
#define MODELS_HPA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "sim/simtime.h"

#define HPA_MAX_METRICS  16   /* metrics per HPA (Kubernetes has no limit; manifests use a handful) */
#define HPA_MAX_POLICIES 8    /* policies per direction */
#define HPA_NAME_MAX     128  /* metric / resource / container name, with the NUL */

#define HPA_ENOMEM (-1)       /* hpa_state_init / hpa_sync: memory ran out */

/* ---- the spec ---------------------------------------------------------- */

/* Enumerations start at an INVALID value so that a loader can map an unknown
 * string to it and let hpa_spec_validate() report it. */
typedef enum {
    HPA_SOURCE_INVALID = 0,
    HPA_SOURCE_RESOURCE,
    HPA_SOURCE_CONTAINER_RESOURCE,
    HPA_SOURCE_PODS,
    HPA_SOURCE_OBJECT,
    HPA_SOURCE_EXTERNAL,
} hpa_source_t;

typedef enum {
    HPA_TARGET_INVALID = 0,
    HPA_TARGET_UTILIZATION,    /* average_utilization, percent of request */
    HPA_TARGET_AVERAGE_VALUE,  /* target_milli per pod */
    HPA_TARGET_VALUE,          /* target_milli in total */
} hpa_target_t;

typedef enum {
    HPA_POLICY_INVALID = 0,
    HPA_POLICY_PODS,
    HPA_POLICY_PERCENT,
} hpa_policy_type_t;

typedef enum {
    HPA_SELECT_INVALID = 0,
    HPA_SELECT_MAX,
    HPA_SELECT_MIN,
    HPA_SELECT_DISABLED,
} hpa_select_t;

/* One entry of spec.metrics. The target type says which number the
 * controller uses (for Resource: averageValue when set, else
 * averageUtilization, whatever target.type says). */
typedef struct hpa_metric_spec {
    hpa_source_t source;
    char name[HPA_NAME_MAX];       /* resource name (cpu, memory) or metric name */
    char container[HPA_NAME_MAX];  /* ContainerResource only */
    hpa_target_t target;
    int32_t average_utilization;   /* HPA_TARGET_UTILIZATION: percent */
    int64_t target_milli;          /* AVERAGE_VALUE / VALUE: Quantity.MilliValue() */
} hpa_metric_spec_t;

typedef struct hpa_policy {
    hpa_policy_type_t type;
    int32_t value;
    int32_t period_s;
} hpa_policy_t;

/* spec.behavior.scaleUp or .scaleDown. Each has_ flag says whether the field
 * is set (nil in Go when false). After hpa_spec_set_defaults() every field is
 * set except scaleDown's window, which stays unset and means the
 * controller's downscale-stabilization flag. */
typedef struct hpa_rules {
    bool has_window;
    int32_t window_s;              /* stabilizationWindowSeconds */
    bool has_select;
    hpa_select_t select;           /* selectPolicy */
    bool has_policies;             /* true with n_policies 0 is `policies: []` (invalid) */
    size_t n_policies;
    hpa_policy_t policies[HPA_MAX_POLICIES];
    bool has_tolerance;
    double tolerance;              /* KEP-4951, Quantity.AsApproximateFloat64() */
} hpa_rules_t;

/* The controller's flags (RecommendedDefaultHPAControllerConfiguration) and
 * feature gates. Shared by every HPA of one controller; copied into each spec
 * so that a sync needs one object. */
typedef struct hpa_config {
    simtime_t sync_period;             /* --horizontal-pod-autoscaler-sync-period, 15 s */
    double tolerance;                  /* --horizontal-pod-autoscaler-tolerance, 0.1 */
    int32_t downscale_window_s;        /* --horizontal-pod-autoscaler-downscale-stabilization, 300 s */
    simtime_t cpu_init_period;         /* --horizontal-pod-autoscaler-cpu-initialization-period, 5 min */
    simtime_t initial_readiness_delay; /* --horizontal-pod-autoscaler-initial-readiness-delay, 30 s */
    bool configurable_tolerance;       /* gate HPAConfigurableTolerance (beta, on) */
    bool scale_to_zero;                /* gate HPAScaleToZero (alpha, off): minReplicas 0 passes validation */
} hpa_config_t;

typedef struct hpa_spec {
    int32_t min_replicas;          /* spec.minReplicas (1 when absent) */
    int32_t max_replicas;
    size_t n_metrics;
    hpa_metric_spec_t metrics[HPA_MAX_METRICS];
    bool has_behavior;             /* false: legacy normalization (§4.3) */
    hpa_rules_t scale_up, scale_down;
    hpa_config_t cfg;
} hpa_spec_t;

/* A validation error: the field path as the API server spells it
 * (spec.behavior.scaleUp.policies[0].value) and the message body as
 * field.Error prints it ("Invalid value: 0: must be greater than zero"). */
typedef struct hpa_violation {
    char path[96];
    char msg[160];
} hpa_violation_t;

/* Fills cfg with the controller's default flags (§1). */
void hpa_config_defaults(hpa_config_t *cfg);
/* Clears spec to an HPA with no metrics, minReplicas 1, maxReplicas 0, no
 * behavior and the default controller configuration. */
void hpa_spec_init(hpa_spec_t *spec);
/* Applies the API server's defaulting (§4.1): no metrics -> cpu 80 %
 * utilization; when behavior is present, each unset field of scaleUp and
 * scaleDown is copied from the defaults (policies replaced wholesale, the
 * scaleDown window left to the controller flag). Idempotent. */
void hpa_spec_set_defaults(hpa_spec_t *spec);
/* Checks spec against the API server's validation (§4.1) and the module's
 * limits; stores up to cap violations in out (out may be NULL when cap is 0)
 * and returns how many there are in all (0: valid). Unset behavior fields
 * count as defaulted. */
size_t hpa_spec_validate(const hpa_spec_t *spec, hpa_violation_t *out, size_t cap);

/* ---- per-HPA state ----------------------------------------------------- */

typedef struct hpa_rec {
    int32_t replicas;              /* the raw (unstabilized) recommendation */
    simtime_t t;
} hpa_rec_t;

typedef struct hpa_event {
    int32_t change;                /* replicas added (up list) or removed (down list), >= 0 */
    bool outdated;                 /* slot may be reused by the next event */
    simtime_t t;
} hpa_event_t;

/* The controller's in-memory state for one HPA (lost on controller restart). */
typedef struct hpa_state {
    hpa_rec_t *recs;
    size_t n_recs, cap_recs;
    hpa_event_t *up, *down;
    size_t n_up, cap_up, n_down, cap_down;
} hpa_state_t;

/* Empty state with room for the bound above for this spec; 0, or HPA_ENOMEM
 * (then st holds nothing and hpa_state_free is still safe). */
int hpa_state_init(hpa_state_t *st, const hpa_spec_t *spec);
/* Forgets all history, as a controller restart does; keeps the memory. */
void hpa_state_reset(hpa_state_t *st);
/* Releases the arrays; st is then empty (reset-able, free-able again). */
void hpa_state_free(hpa_state_t *st);

/* ---- per-sync input ---------------------------------------------------- */

typedef enum {
    HPA_POD_PENDING = 0,
    HPA_POD_RUNNING,
    HPA_POD_SUCCEEDED,
    HPA_POD_FAILED,
    HPA_POD_UNKNOWN,
} hpa_phase_t;

typedef enum {
    HPA_COND_NONE = 0,             /* no Ready condition in the pod status */
    HPA_COND_TRUE,
    HPA_COND_FALSE,
    HPA_COND_UNKNOWN,
} hpa_cond_t;

/* A pod matched by scale.status.selector. */
typedef struct hpa_pod {
    uint64_t id;                   /* the caller's identifier; not used here */
    hpa_phase_t phase;
    bool deleting;                 /* metadata.deletionTimestamp is set */
    hpa_cond_t ready;              /* Ready condition status */
    bool started;                  /* status.startTime is set */
    simtime_t start_time;
    simtime_t ready_since;         /* Ready condition lastTransitionTime */
} hpa_pod_t;

/* One pod's sample of one pod metric (Resource, ContainerResource, Pods). */
typedef struct hpa_sample {
    bool present;                  /* the metrics API returned a sample for this pod */
    int64_t value;                 /* usage / metric value, milli-units */
    int64_t request;               /* Resource/ContainerResource: the pod's (container's)
                                      request, milli-units; < 0: no request set */
    simtime_t timestamp;           /* when the sample was taken */
    simtime_t window;              /* the sample's averaging window */
} hpa_sample_t;

/* What the controller fetched for one metric this sync. */
typedef struct hpa_obs {
    bool failed;                   /* the metrics API returned an error */
    const hpa_sample_t *samples;   /* pod metrics: n_pods samples, parallel to input pods */
    int64_t value;                 /* Object: the value; External: the sum of the series; milli */
} hpa_obs_t;

/* Everything one sync reads; all arrays are owned by the caller. */
typedef struct hpa_input {
    simtime_t now;
    int32_t spec_replicas;         /* scale.spec.replicas: the current count */
    int32_t status_replicas;       /* scale.status.replicas: Object/External AverageValue only */
    const hpa_pod_t *pods;
    size_t n_pods;
    const hpa_obs_t *obs;          /* spec->n_metrics entries, in spec order */
} hpa_input_t;

/* ---- the decision ------------------------------------------------------ */

typedef enum {
    HPA_OUTCOME_OK = 0,            /* metrics computed and normalized (ValidMetricFound) */
    HPA_OUTCOME_ABOVE_MAX,         /* current > maxReplicas: desired = max, no metrics */
    HPA_OUTCOME_BELOW_MIN,         /* current < minReplicas: desired = min, no metrics */
    HPA_OUTCOME_SCALING_DISABLED,  /* current == 0 and minReplicas != 0 (ScalingDisabled) */
    HPA_OUTCOME_FAILED_METRICS,    /* FailedComputeMetricsReplicas: no change */
} hpa_outcome_t;

/* The ScalingLimited reason of the normalizer. NONE is Go's
 * "DesiredWithinRange" (printed as the empty string). For ABOVE_MAX /
 * BELOW_MIN the limit is TOO_MANY / TOO_FEW. */
typedef enum {
    HPA_LIMIT_NONE = 0,
    HPA_LIMIT_SCALE_UP,            /* ScaleUpLimit */
    HPA_LIMIT_SCALE_DOWN,          /* ScaleDownLimit */
    HPA_LIMIT_TOO_MANY,            /* TooManyReplicas */
    HPA_LIMIT_TOO_FEW,             /* TooFewReplicas */
} hpa_limit_t;

/* Why a metric is invalid this sync. */
typedef enum {
    HPA_MERR_NONE = 0,
    HPA_MERR_FETCH,                /* the metrics API failed (obs.failed) */
    HPA_MERR_NO_PODS,              /* no pods returned by selector */
    HPA_MERR_NO_METRICS,           /* no metrics for targeted pods (pods might be unready) */
    HPA_MERR_MISSING_REQUEST,      /* a selected pod has no request for the resource */
    HPA_MERR_ZERO_REQUEST,         /* the requests of the counted pods sum to 0 */
    HPA_MERR_BAD_SPEC,             /* the metric's source/target cannot be computed */
} hpa_metric_err_t;

typedef struct hpa_metric_result {
    bool valid;
    hpa_metric_err_t err;
    int32_t proposal;              /* replica proposal (valid only) */
    /* What the "observed metric" column shows: utilization percent
     * (Utilization), average milli-value over ready pods (Resource
     * AverageValue, Pods), the fetched value (Object; External: the sum). */
    int64_t value;
    /* Go's status averageValue: raw average usage (Utilization), the value
     * (AverageValue), per-pod ceil(value/status.replicas) (Object/External
     * AverageValue), the value (Object/External Value). */
    int64_t average;
    double ratio;                  /* usage ratio r */
    double ratio2;                 /* r after the §3 corrections; NaN when not needed */
    int32_t n_ready, n_unready, n_missing, n_ignored;  /* §3 groups (pod metrics) */
} hpa_metric_result_t;

typedef struct hpa_decision {
    simtime_t now;
    hpa_outcome_t outcome;
    int32_t current;               /* scale.spec.replicas */
    int32_t raw;                   /* max(0, max over metrics); -1 when not computed */
    int32_t stabilized;            /* after the window(s); -1 when not computed */
    int32_t desired;               /* the new scale.spec.replicas (== current: no change) */
    hpa_limit_t limit;
    bool rescale;                  /* desired != current: apply it */
    double tol_up, tol_down;       /* the tolerances used */
    size_t n_metrics;              /* entries of metrics[]: 0 when metrics were not computed */
    size_t invalid_metrics;        /* metrics that failed this sync */
    hpa_metric_result_t metrics[HPA_MAX_METRICS];
} hpa_decision_t;

/* Runs one reconcile of the HPA at in->now and fills *d; updates st
 * (recommendation, scale event). Returns 0, or HPA_ENOMEM when the state
 * could not grow (then st is unchanged and *d is not meaningful). */
int hpa_sync(const hpa_spec_t *spec, hpa_state_t *st, const hpa_input_t *in, hpa_decision_t *d);

/* ---- names ------------------------------------------------------------- */

/* The Go reason string of a limit ("ScaleUpLimit", ...; "" for NONE). */
const char *hpa_limit_str(hpa_limit_t l);
/* The outcome's name ("ValidMetricFound", "ScalingDisabled",
 * "FailedComputeMetricsReplicas", "AboveMaxReplicas", "BelowMinReplicas"). */
const char *hpa_outcome_str(hpa_outcome_t o);
/* One reason for an events/CSV column: the outcome name for a disabled or
 * failed sync, else the limit string. */
const char *hpa_decision_reason(const hpa_decision_t *d);
/* A short description of a metric error. */
const char *hpa_metric_err_str(hpa_metric_err_t e);
/* API spelling of the enums ("Resource", "AverageValue", "Percent", "Max");
 * "invalid" for an out-of-range value. */
const char *hpa_source_str(hpa_source_t s);
const char *hpa_target_str(hpa_target_t t);
const char *hpa_policy_type_str(hpa_policy_type_t p);
const char *hpa_select_str(hpa_select_t s);
/* Parses the API spelling (exact, case-sensitive as the API server is);
 * the INVALID value for anything else. */
hpa_source_t hpa_source_parse(const char *s);
hpa_target_t hpa_target_parse(const char *s);
hpa_policy_type_t hpa_policy_type_parse(const char *s);
hpa_select_t hpa_select_parse(const char *s);

#endif
