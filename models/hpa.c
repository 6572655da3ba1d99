/* hpa: the Kubernetes HPA control algorithm (see hpa.h for the contract).
 *
 * The code follows pkg/controller/podautoscaler (horizontal.go,
 * replica_calculator.go, metrics/utilization.go) function by function; each
 * static function names the Go function it mirrors. Arithmetic is kept in the
 * Go types: milli-values are int64 with truncating division, utilization is a
 * truncated integer percent, ratios and Percent policies are float64 (C
 * double, evaluated in the same order so that the representable-value
 * artefacts of §4.2 come out the same), proposals are ceil() to int32.
 *
 * A sync first reserves room for one more recommendation (two on the first
 * sync) and one more scale event per direction, so that it either fails
 * before touching anything or runs to the end without allocating. */
#include "models/hpa.h"

#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- names ------------------------------------------------------------- */

static const char *const source_names[] = {
    "invalid", "Resource", "ContainerResource", "Pods", "Object", "External",
};
static const char *const target_names[] = {
    "invalid", "Utilization", "AverageValue", "Value",
};
static const char *const policy_names[] = {"invalid", "Pods", "Percent"};
static const char *const select_names[] = {"invalid", "Max", "Min", "Disabled"};
static const char *const limit_names[] = {
    "", "ScaleUpLimit", "ScaleDownLimit", "TooManyReplicas", "TooFewReplicas",
};
static const char *const outcome_names[] = {
    "ValidMetricFound", "AboveMaxReplicas", "BelowMinReplicas",
    "ScalingDisabled", "FailedComputeMetricsReplicas",
};
static const char *const merr_names[] = {
    "",
    "unable to fetch metrics",
    "no pods returned by selector while calculating replica count",
    "did not receive metrics for targeted pods (pods might be unready)",
    "missing request for the resource in a selected pod",
    "no metrics returned matched known pods (requests sum to 0)",
    "invalid metric source or target",
};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static const char *name_of(const char *const *tab, size_t n, int v)
{
    return (v >= 0 && (size_t)v < n) ? tab[v] : "invalid";
}

static int parse_name(const char *const *tab, size_t n, const char *s)
{
    if (s)
        for (size_t i = 1; i < n; i++)
            if (strcmp(tab[i], s) == 0)
                return (int)i;
    return 0;
}

const char *hpa_limit_str(hpa_limit_t l) { return name_of(limit_names, NELEM(limit_names), (int)l); }
const char *hpa_outcome_str(hpa_outcome_t o) { return name_of(outcome_names, NELEM(outcome_names), (int)o); }
const char *hpa_metric_err_str(hpa_metric_err_t e) { return name_of(merr_names, NELEM(merr_names), (int)e); }
const char *hpa_source_str(hpa_source_t s) { return name_of(source_names, NELEM(source_names), (int)s); }
const char *hpa_target_str(hpa_target_t t) { return name_of(target_names, NELEM(target_names), (int)t); }
const char *hpa_policy_type_str(hpa_policy_type_t p) { return name_of(policy_names, NELEM(policy_names), (int)p); }
const char *hpa_select_str(hpa_select_t s) { return name_of(select_names, NELEM(select_names), (int)s); }

hpa_source_t hpa_source_parse(const char *s) { return (hpa_source_t)parse_name(source_names, NELEM(source_names), s); }
hpa_target_t hpa_target_parse(const char *s) { return (hpa_target_t)parse_name(target_names, NELEM(target_names), s); }
hpa_policy_type_t hpa_policy_type_parse(const char *s) { return (hpa_policy_type_t)parse_name(policy_names, NELEM(policy_names), s); }
hpa_select_t hpa_select_parse(const char *s) { return (hpa_select_t)parse_name(select_names, NELEM(select_names), s); }

const char *hpa_decision_reason(const hpa_decision_t *d)
{
    if (d->outcome == HPA_OUTCOME_SCALING_DISABLED || d->outcome == HPA_OUTCOME_FAILED_METRICS)
        return hpa_outcome_str(d->outcome);
    return hpa_limit_str(d->limit);
}

/* ---- spec: defaults ---------------------------------------------------- */

/* pkg/apis/autoscaling/v2/defaults.go */
static const hpa_policy_t default_up_policies[] = {
    {HPA_POLICY_PODS, 4, 15},
    {HPA_POLICY_PERCENT, 100, 15},
};
static const hpa_policy_t default_down_policies[] = {
    {HPA_POLICY_PERCENT, 100, 15},
};

void hpa_config_defaults(hpa_config_t *cfg)
{
    cfg->sync_period = 15 * SIM_S;
    cfg->tolerance = 0.1;
    cfg->downscale_window_s = 300;
    cfg->cpu_init_period = 300 * SIM_S;
    cfg->initial_readiness_delay = 30 * SIM_S;
    cfg->configurable_tolerance = true;
    cfg->scale_to_zero = false;
}

void hpa_spec_init(hpa_spec_t *spec)
{
    memset(spec, 0, sizeof *spec);
    spec->min_replicas = 1;
    hpa_config_defaults(&spec->cfg);
}

/* GenerateHPAScaleUpRules / GenerateHPAScaleDownRules via copyHPAScalingRules:
 * every unset field of r takes the default; policies as a whole. The
 * scale-down window stays unset (the controller flag applies). */
static void rules_default(hpa_rules_t *r, bool up)
{
    if (up && !r->has_window) {
        r->has_window = true;
        r->window_s = 0;
    }
    if (!r->has_select) {
        r->has_select = true;
        r->select = HPA_SELECT_MAX;
    }
    if (!r->has_policies) {
        const hpa_policy_t *p = up ? default_up_policies : default_down_policies;
        size_t n = up ? NELEM(default_up_policies) : NELEM(default_down_policies);
        r->has_policies = true;
        r->n_policies = n;
        memcpy(r->policies, p, n * sizeof *p);
    }
}

void hpa_spec_set_defaults(hpa_spec_t *spec)
{
    if (spec->n_metrics == 0) {   /* SetDefaults_HorizontalPodAutoscaler */
        hpa_metric_spec_t *m = &spec->metrics[0];
        memset(m, 0, sizeof *m);
        m->source = HPA_SOURCE_RESOURCE;
        strcpy(m->name, "cpu");
        m->target = HPA_TARGET_UTILIZATION;
        m->average_utilization = 80;   /* autoscaling.DefaultCPUUtilization */
        spec->n_metrics = 1;
    }
    if (spec->has_behavior) {
        rules_default(&spec->scale_up, true);
        rules_default(&spec->scale_down, false);
    }
}

/* ---- spec: validation -------------------------------------------------- */

typedef struct vctx {
    hpa_violation_t *out;
    size_t cap, n;
} vctx_t;

static void vadd(vctx_t *v, const char *path, const char *suffix, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void vadd(vctx_t *v, const char *path, const char *suffix, const char *fmt, ...)
{
    if (v->n < v->cap) {
        hpa_violation_t *e = &v->out[v->n];
        int k = snprintf(e->path, sizeof e->path, "%s%s", path, suffix);
        if (k < 0)
            e->path[0] = '\0';
        va_list ap;
        va_start(ap, fmt);
        k = vsnprintf(e->msg, sizeof e->msg, fmt, ap);
        va_end(ap);
        if (k < 0)
            e->msg[0] = '\0';
    }
    v->n++;
}

/* A milli-value as Quantity.String() would print a whole or milli number. */
static const char *fmt_milli(char *buf, size_t n, int64_t m)
{
    int k = (m % 1000 == 0) ? snprintf(buf, n, "%" PRId64, m / 1000)
                            : snprintf(buf, n, "%" PRId64 "m", m);
    if (k < 0)
        buf[0] = '\0';
    return buf;
}

static const char *source_field(hpa_source_t s)
{
    switch (s) {
    case HPA_SOURCE_RESOURCE: return "resource";
    case HPA_SOURCE_CONTAINER_RESOURCE: return "containerResource";
    case HPA_SOURCE_PODS: return "pods";
    case HPA_SOURCE_OBJECT: return "object";
    case HPA_SOURCE_EXTERNAL: return "external";
    case HPA_SOURCE_INVALID: break;
    }
    return NULL;
}

/* validateMetricSpec + validate{Resource,ContainerResource,Pods,Object,External}Source
 * + validateMetricTarget, on the effective form of one metric. */
static void validate_metric(vctx_t *v, size_t i, const hpa_metric_spec_t *m)
{
    char base[64], q[32];
    const char *field = source_field(m->source);
    int k = snprintf(base, sizeof base, "spec.metrics[%zu]", i);
    if (k < 0)
        base[0] = '\0';
    if (!field) {
        vadd(v, base, ".type", "Unsupported value: supported values: \"ContainerResource\", "
             "\"External\", \"Object\", \"Pods\", \"Resource\"");
        return;
    }
    k = snprintf(base, sizeof base, "spec.metrics[%zu].%s", i, field);
    if (k < 0)
        base[0] = '\0';
    bool resource = m->source == HPA_SOURCE_RESOURCE || m->source == HPA_SOURCE_CONTAINER_RESOURCE;

    if (resource) {
        if (m->name[0] == '\0')
            vadd(v, base, ".name", "Required value: must specify a resource name");
        if (m->source == HPA_SOURCE_CONTAINER_RESOURCE && m->container[0] == '\0')
            vadd(v, base, ".container", "Required value: must specify a container");
    } else if (m->name[0] == '\0') {
        vadd(v, base, ".metric.name", "Required value: must specify a metric name");
    }

    switch (m->target) {
    case HPA_TARGET_UTILIZATION:
        if (m->average_utilization < 1)
            vadd(v, base, ".target.averageUtilization", "Invalid value: %" PRId32 ": must be greater than 0",
                 m->average_utilization);
        break;
    case HPA_TARGET_AVERAGE_VALUE:
        if (m->target_milli <= 0)
            vadd(v, base, ".target.averageValue", "Invalid value: \"%s\": must be positive",
                 fmt_milli(q, sizeof q, m->target_milli));
        break;
    case HPA_TARGET_VALUE:
        if (m->target_milli <= 0)
            vadd(v, base, ".target.value", "Invalid value: \"%s\": must be positive",
                 fmt_milli(q, sizeof q, m->target_milli));
        break;
    case HPA_TARGET_INVALID:
    default:
        vadd(v, base, ".target.type", "Invalid value: must be either Utilization, Value, or AverageValue");
        return;
    }

    /* which target each source accepts */
    if (resource && m->target == HPA_TARGET_VALUE)
        vadd(v, base, ".target.averageUtilization",
             "Required value: must set either a target raw value or a target utilization");
    if (m->source == HPA_SOURCE_PODS && m->target != HPA_TARGET_AVERAGE_VALUE)
        vadd(v, base, ".target.averageValue", "Required value: must specify a positive target averageValue");
    if (m->source == HPA_SOURCE_OBJECT && m->target == HPA_TARGET_UTILIZATION)
        vadd(v, base, ".target.averageValue", "Required value: must set either a target value or averageValue");
    if (m->source == HPA_SOURCE_EXTERNAL && m->target == HPA_TARGET_UTILIZATION)
        vadd(v, base, ".target.averageValue",
             "Required value: must set either a target value for metric or a per-pod target");
}

/* validateScalingRules + validateScalingPolicy */
static void validate_rules(vctx_t *v, const char *base, const hpa_rules_t *r)
{
    char p[96];
    if (r->has_window && r->window_s < 0)
        vadd(v, base, ".stabilizationWindowSeconds",
             "Invalid value: %" PRId32 ": must be greater than or equal to zero", r->window_s);
    if (r->has_window && r->window_s > 3600)
        vadd(v, base, ".stabilizationWindowSeconds",
             "Invalid value: %" PRId32 ": must be less than or equal to 3600", r->window_s);
    if (r->has_select && r->select != HPA_SELECT_MAX && r->select != HPA_SELECT_MIN &&
        r->select != HPA_SELECT_DISABLED)
        vadd(v, base, ".selectPolicy", "Unsupported value: supported values: \"Disabled\", \"Max\", \"Min\"");
    if (r->has_policies && r->n_policies == 0)
        vadd(v, base, ".policies", "Required value: must specify at least one Policy");
    if (r->has_policies && r->n_policies > HPA_MAX_POLICIES)
        vadd(v, base, ".policies", "Too many: %zu: must have at most %d items", r->n_policies, HPA_MAX_POLICIES);
    size_t n = r->has_policies ? r->n_policies : 0;
    if (n > HPA_MAX_POLICIES)
        n = HPA_MAX_POLICIES;
    for (size_t i = 0; i < n; i++) {
        const hpa_policy_t *pol = &r->policies[i];
        int k = snprintf(p, sizeof p, "%s.policies[%zu]", base, i);
        if (k < 0)
            p[0] = '\0';
        if (pol->type != HPA_POLICY_PODS && pol->type != HPA_POLICY_PERCENT)
            vadd(v, p, ".type", "Unsupported value: supported values: \"Percent\", \"Pods\"");
        if (pol->value <= 0)
            vadd(v, p, ".value", "Invalid value: %" PRId32 ": must be greater than zero", pol->value);
        if (pol->period_s <= 0)
            vadd(v, p, ".periodSeconds", "Invalid value: %" PRId32 ": must be greater than zero", pol->period_s);
        if (pol->period_s > 1800)
            vadd(v, p, ".periodSeconds", "Invalid value: %" PRId32 ": must be less than or equal to 1800",
                 pol->period_s);
    }
    if (r->has_tolerance && !(r->tolerance >= 0))
        vadd(v, base, ".tolerance", "Invalid value: \"%g\": must be greater than or equal to 0", r->tolerance);
}

size_t hpa_spec_validate(const hpa_spec_t *spec, hpa_violation_t *out, size_t cap)
{
    vctx_t v = {out, out ? cap : 0, 0};
    int32_t min_bound = spec->cfg.scale_to_zero ? 0 : 1;

    if (spec->min_replicas < min_bound)
        vadd(&v, "spec.minReplicas", "", "Invalid value: %" PRId32 ": must be greater than or equal to %" PRId32,
             spec->min_replicas, min_bound);
    if (spec->max_replicas == 0)
        vadd(&v, "spec.maxReplicas", "", "Required value: must be set and greater than 0");
    else if (spec->max_replicas < 0)
        vadd(&v, "spec.maxReplicas", "", "Invalid value: %" PRId32 ": must be greater than or equal to 1",
             spec->max_replicas);
    if (spec->max_replicas < spec->min_replicas)
        vadd(&v, "spec.maxReplicas", "", "Invalid value: %" PRId32 ": must be greater than or equal to `minReplicas`",
             spec->max_replicas);

    size_t nm = spec->n_metrics;
    if (nm > HPA_MAX_METRICS) {
        vadd(&v, "spec.metrics", "", "Too many: %zu: must have at most %d items", nm, HPA_MAX_METRICS);
        nm = HPA_MAX_METRICS;
    }
    bool obj_or_ext = false;
    for (size_t i = 0; i < nm; i++) {
        validate_metric(&v, i, &spec->metrics[i]);
        if (spec->metrics[i].source == HPA_SOURCE_OBJECT || spec->metrics[i].source == HPA_SOURCE_EXTERNAL)
            obj_or_ext = true;
    }
    if (spec->min_replicas == 0 && !obj_or_ext)
        vadd(&v, "spec.metrics", "",
             "Forbidden: must specify at least one Object or External metric to support scaling to zero replicas");

    if (spec->has_behavior) {
        validate_rules(&v, "spec.behavior.scaleUp", &spec->scale_up);
        validate_rules(&v, "spec.behavior.scaleDown", &spec->scale_down);
    }

    const hpa_config_t *c = &spec->cfg;
    if (c->sync_period <= 0)
        vadd(&v, "controller.syncPeriod", "", "Invalid value: must be greater than 0");
    if (!(c->tolerance >= 0))
        vadd(&v, "controller.tolerance", "", "Invalid value: \"%g\": must be greater than or equal to 0", c->tolerance);
    if (c->downscale_window_s < 0)
        vadd(&v, "controller.downscaleStabilizationWindow", "",
             "Invalid value: %" PRId32 ": must be greater than or equal to 0", c->downscale_window_s);
    return v.n;
}

/* ---- state ------------------------------------------------------------- */

static int reserve_recs(hpa_state_t *st, size_t need)
{
    if (need <= st->cap_recs)
        return 0;
    size_t nc = st->cap_recs ? st->cap_recs : 4;
    while (nc < need)
        nc *= 2;
    hpa_rec_t *p = realloc(st->recs, nc * sizeof *p);
    if (!p)
        return HPA_ENOMEM;
    st->recs = p;
    st->cap_recs = nc;
    return 0;
}

static int reserve_events(hpa_event_t **arr, size_t *cap, size_t need)
{
    if (need <= *cap)
        return 0;
    size_t nc = *cap ? *cap : 4;
    while (nc < need)
        nc *= 2;
    hpa_event_t *p = realloc(*arr, nc * sizeof *p);
    if (!p)
        return HPA_ENOMEM;
    *arr = p;
    *cap = nc;
    return 0;
}

static int32_t longest_period(const hpa_rules_t *r)   /* getLongestPolicyPeriod */
{
    int32_t l = 0;
    size_t n = r->n_policies < HPA_MAX_POLICIES ? r->n_policies : HPA_MAX_POLICIES;
    for (size_t i = 0; i < n; i++)
        if (r->policies[i].period_s > l)
            l = r->policies[i].period_s;
    return l;
}

/* entries needed for a span of s seconds on the sync grid, plus slack */
static size_t span_entries(int32_t s, simtime_t period)
{
    if (period <= 0)
        period = 15 * SIM_S;
    if (s < 0)
        s = 0;
    return (size_t)((simtime_t)s * SIM_S / period) + 4;
}

static void effective_rules(const hpa_spec_t *spec, hpa_rules_t *up, hpa_rules_t *down)
{
    *up = spec->scale_up;
    *down = spec->scale_down;
    rules_default(up, true);
    rules_default(down, false);
}

static int32_t down_window_s(const hpa_spec_t *spec, const hpa_rules_t *down)
{
    /* maybeInitScaleDownStabilizationWindow */
    return down->has_window ? down->window_s : spec->cfg.downscale_window_s;
}

int hpa_state_init(hpa_state_t *st, const hpa_spec_t *spec)
{
    memset(st, 0, sizeof *st);
    int32_t w = spec->cfg.downscale_window_s;
    size_t nup = 0, ndown = 0;
    if (spec->has_behavior) {
        hpa_rules_t up, down;
        effective_rules(spec, &up, &down);
        w = up.window_s;
        if (down_window_s(spec, &down) > w)
            w = down_window_s(spec, &down);
        nup = span_entries(longest_period(&up), spec->cfg.sync_period);
        ndown = span_entries(longest_period(&down), spec->cfg.sync_period);
    }
    if (reserve_recs(st, span_entries(w, spec->cfg.sync_period)) ||
        reserve_events(&st->up, &st->cap_up, nup) ||
        reserve_events(&st->down, &st->cap_down, ndown)) {
        hpa_state_free(st);
        return HPA_ENOMEM;
    }
    return 0;
}

void hpa_state_reset(hpa_state_t *st)
{
    st->n_recs = st->n_up = st->n_down = 0;
}

void hpa_state_free(hpa_state_t *st)
{
    free(st->recs);
    free(st->up);
    free(st->down);
    memset(st, 0, sizeof *st);
}

/* ---- arithmetic helpers ------------------------------------------------ */

static int32_t sat32(int64_t x)
{
    return x > INT32_MAX ? INT32_MAX : x < INT32_MIN ? INT32_MIN : (int32_t)x;
}

/* int32(x) for a float64 already integral or to be truncated toward zero */
static int32_t sat32d(double x)
{
    if (isnan(x))
        return 0;
    if (x >= 2147483647.0)
        return INT32_MAX;
    if (x <= -2147483648.0)
        return INT32_MIN;
    return (int32_t)x;
}

/* int32(math.Ceil(x)) */
static int32_t ceil32(double x) { return sat32d(ceil(x)); }

/* (s * 100) / r in int64 arithmetic, split so that it does not overflow for
 * large s (the quotient equals Go's whenever Go's product does not overflow) */
static int64_t mul100_div(int64_t s, int64_t r)
{
    return (s / r) * 100 + ((s % r) * 100) / r;
}

typedef struct tol {
    double up, down;
} tol_t;

static bool within(tol_t t, double r)   /* Tolerances.isWithin */
{
    return (1.0 - t.down) <= r && r <= (1.0 + t.up);
}

/* ---- the replica calculator -------------------------------------------- */

static bool is_resource(const hpa_metric_spec_t *m)
{
    return m->source == HPA_SOURCE_RESOURCE || m->source == HPA_SOURCE_CONTAINER_RESOURCE;
}

/* groupPods, the cpu-only branch: is this pod's sample too early to trust? */
static bool cpu_unready(const hpa_pod_t *p, const hpa_sample_t *s, const hpa_config_t *cfg, simtime_t now)
{
    if (p->ready == HPA_COND_NONE || !p->started)
        return true;
    if (p->start_time + cfg->cpu_init_period > now)
        /* still within the initialisation period: ignore the sample if the pod
         * is unready or one window has not passed since the last transition */
        return p->ready == HPA_COND_FALSE || s->timestamp < p->ready_since + s->window;
    /* ignore the sample if the pod is unready and has never been ready */
    return p->ready == HPA_COND_FALSE && p->start_time + cfg->initial_readiness_delay > p->ready_since;
}

static void fail(hpa_metric_result_t *r, hpa_metric_err_t e)
{
    r->valid = false;
    r->err = e;
}

/* GetResourceReplicas (utilization), GetRawResourceReplicas and
 * GetMetricReplicas (both calcPlainMetricReplicas): a metric sampled per pod. */
static void pod_metric(const hpa_metric_spec_t *m, const hpa_config_t *cfg, tol_t tol, int32_t current,
                       const hpa_input_t *in, const hpa_obs_t *obs, hpa_metric_result_t *r)
{
    bool util = is_resource(m) && m->target == HPA_TARGET_UTILIZATION;
    bool cpu = is_resource(m) && strcmp(m->name, "cpu") == 0;

    if (is_resource(m) ? (m->target != HPA_TARGET_UTILIZATION && m->target != HPA_TARGET_AVERAGE_VALUE)
                       : m->target != HPA_TARGET_AVERAGE_VALUE) {
        fail(r, HPA_MERR_BAD_SPEC);
        return;
    }
    if (util ? m->average_utilization <= 0 : m->target_milli <= 0) {
        fail(r, HPA_MERR_BAD_SPEC);
        return;
    }
    if (obs->failed || (in->n_pods > 0 && !obs->samples)) {
        fail(r, HPA_MERR_FETCH);
        return;
    }
    if (in->n_pods == 0) {
        fail(r, HPA_MERR_NO_PODS);
        return;
    }

    /* groupPods, accumulated on the fly: sums over ready pods, and what the
     * second pass would add for missing and unready pods */
    int64_t fallback_pct = m->average_utilization > 100 ? m->average_utilization : 100;
    int64_t sum_ready = 0, req_ready = 0;
    int64_t sum_missing_fb = 0, req_missing = 0, req_unready = 0;
    bool missing_request = false;
    for (size_t i = 0; i < in->n_pods; i++) {
        const hpa_pod_t *p = &in->pods[i];
        const hpa_sample_t *s = &obs->samples[i];
        int64_t req = util ? s->request : 0;   /* requests matter for utilization only */
        if (req < 0)                  /* calculateRequests covers every listed pod */
            missing_request = true;
        if (p->deleting || p->phase == HPA_POD_FAILED || p->phase == HPA_POD_SUCCEEDED) {
            r->n_ignored++;
            continue;
        }
        if (p->phase == HPA_POD_PENDING) {
            r->n_unready++;
            req_unready += req;
            continue;
        }
        if (!s->present) {
            r->n_missing++;
            req_missing += req;
            sum_missing_fb += req * fallback_pct / 100;   /* per pod, truncated */
            continue;
        }
        if (cpu && cpu_unready(p, s, cfg, in->now)) {
            r->n_unready++;
            req_unready += req;
            continue;
        }
        r->n_ready++;
        sum_ready += s->value;
        req_ready += req;
    }
    if (r->n_ready == 0) {
            fail(r, HPA_MERR_NO_METRICS);
            return;
        }
    if (missing_request) {
        fail(r, HPA_MERR_MISSING_REQUEST);
        return;
    }

    double target = util ? (double)m->average_utilization : (double)m->target_milli;
    if (util) {   /* GetResourceUtilizationRatio */
        if (req_ready == 0) {
        fail(r, HPA_MERR_ZERO_REQUEST);
        return;
    }
        int32_t pct = sat32(mul100_div(sum_ready, req_ready));
        r->value = pct;
        r->average = sum_ready / r->n_ready;
        r->ratio = (double)pct / target;
    } else {      /* GetMetricUsageRatio */
        int64_t avg = sum_ready / r->n_ready;
        r->value = r->average = avg;
        r->ratio = (double)avg / target;
    }
    double ratio = r->ratio;

    bool up_with_unready = r->n_unready > 0 && ratio > 1.0;
    if (!up_with_unready && r->n_missing == 0) {
        r->valid = true;
        r->proposal = within(tol, ratio) ? current : ceil32(ratio * (double)r->n_ready);
        return;
    }

    /* second pass: missing pods at the fallback (scale-down) or 0 (scale-up),
     * unready pods at 0 on a scale-up */
    int64_t sum = sum_ready, req = req_ready, n = r->n_ready;
    if (r->n_missing > 0) {
        if (ratio < 1.0) {
            sum += util ? sum_missing_fb : (int64_t)r->n_missing * m->target_milli;
            req += req_missing;
            n += r->n_missing;
        } else if (ratio > 1.0) {
            req += req_missing;
            n += r->n_missing;
        }
    }
    if (up_with_unready) {
        req += req_unready;
        n += r->n_unready;
    }
    double ratio2;
    if (util) {
        if (req == 0) {
        fail(r, HPA_MERR_ZERO_REQUEST);
        return;
    }
        ratio2 = (double)sat32(mul100_div(sum, req)) / target;
    } else {
        ratio2 = (double)(sum / n) / target;
    }
    r->ratio2 = ratio2;
    r->valid = true;
    if (within(tol, ratio2) || (ratio < 1.0 && ratio2 > 1.0) || (ratio > 1.0 && ratio2 < 1.0)) {
        r->proposal = current;   /* too small a change, or the direction would flip */
        return;
    }
    int32_t nr = ceil32(ratio2 * (double)n);
    if ((ratio2 < 1.0 && nr > current) || (ratio2 > 1.0 && nr < current))
        nr = current;            /* the pod count would flip the direction */
    r->proposal = nr;
}

/* GetObjectMetricReplicas / GetExternalMetricReplicas (target value) and
 * GetObjectPerPodMetricReplicas / GetExternalPerPodMetricReplicas (average). */
static void object_metric(const hpa_metric_spec_t *m, tol_t tol, int32_t current, const hpa_input_t *in,
                          const hpa_obs_t *obs, hpa_metric_result_t *r)
{
    if ((m->target != HPA_TARGET_VALUE && m->target != HPA_TARGET_AVERAGE_VALUE) || m->target_milli <= 0) {
        fail(r, HPA_MERR_BAD_SPEC);
        return;
    }
    if (obs->failed) {
        fail(r, HPA_MERR_FETCH);
        return;
    }
    int64_t usage = obs->value;
    double target = (double)m->target_milli;
    r->value = usage;

    if (m->target == HPA_TARGET_VALUE) {
        r->average = usage;
        r->ratio = (double)usage / target;
        if (current == 0) {   /* getUsageRatioReplicaCount: scale from zero */
            r->valid = true;
            r->proposal = ceil32(r->ratio);
            return;
        }
        if (within(tol, r->ratio)) {
            r->valid = true;
            r->proposal = current;
            return;
        }
        if (in->n_pods == 0) {   /* getReadyPodsCount */
            fail(r, HPA_MERR_NO_PODS);
            return;
        }
        int64_t ready = 0;
        for (size_t i = 0; i < in->n_pods; i++)
            if (in->pods[i].phase == HPA_POD_RUNNING && in->pods[i].ready == HPA_COND_TRUE)
                ready++;
        r->n_ready = (int32_t)ready;
        r->valid = true;
        r->proposal = ceil32(r->ratio * (double)ready);
        return;
    }

    int32_t sr = in->status_replicas;
    if (sr != 0)
        r->ratio = (double)usage / (target * (double)sr);
    else   /* float64 x/0 in Go */
        r->ratio = usage == 0 ? NAN : usage > 0 ? INFINITY : -INFINITY;
    r->valid = true;
    r->proposal = sr;
    if (!within(tol, r->ratio))
        r->proposal = ceil32((double)usage / target);
    /* getPerPodUsage */
    r->average = sr == 0 ? 0 : (int64_t)ceil((double)usage / (double)sr);
}

static tol_t tolerances(const hpa_spec_t *spec)   /* tolerancesForHpa */
{
    tol_t t = {spec->cfg.tolerance, spec->cfg.tolerance};
    if (!spec->has_behavior || !spec->cfg.configurable_tolerance)
        return t;
    if (spec->scale_down.has_tolerance)
        t.down = spec->scale_down.tolerance;
    if (spec->scale_up.has_tolerance)
        t.up = spec->scale_up.tolerance;
    return t;
}

/* computeReplicasForMetrics: the max over valid proposals, or -1 when all are
 * invalid or some are and the valid max is below the current count. */
static int32_t compute_metrics(const hpa_spec_t *spec, tol_t tol, const hpa_input_t *in, hpa_decision_t *d)
{
    int32_t current = in->spec_replicas, replicas = 0;
    size_t n = spec->n_metrics < HPA_MAX_METRICS ? spec->n_metrics : HPA_MAX_METRICS;
    d->n_metrics = n;
    for (size_t i = 0; i < n; i++) {
        const hpa_metric_spec_t *m = &spec->metrics[i];
        hpa_metric_result_t *r = &d->metrics[i];
        memset(r, 0, sizeof *r);
        r->ratio = r->ratio2 = NAN;
        const hpa_obs_t *obs = in->obs ? &in->obs[i] : NULL;
        if (!obs)
            fail(r, HPA_MERR_FETCH);
        else if (m->source == HPA_SOURCE_OBJECT || m->source == HPA_SOURCE_EXTERNAL)
            object_metric(m, tol, current, in, obs, r);
        else if (m->source == HPA_SOURCE_RESOURCE || m->source == HPA_SOURCE_CONTAINER_RESOURCE ||
                 m->source == HPA_SOURCE_PODS)
            pod_metric(m, &spec->cfg, tol, current, in, obs, r);
        else
            fail(r, HPA_MERR_BAD_SPEC);
        if (!r->valid) {
            d->invalid_metrics++;
            continue;
        }
        if (replicas == 0 || r->proposal > replicas)
            replicas = r->proposal;
    }
    if (d->invalid_metrics >= n || (d->invalid_metrics > 0 && replicas < current))
        return -1;
    return replicas;
}

/* ---- normalization ----------------------------------------------------- */

static void store_rec(hpa_state_t *st, long old, int32_t raw, simtime_t now)
{
    hpa_rec_t rec = {raw, now};
    if (old >= 0)
        st->recs[old] = rec;
    else
        st->recs[st->n_recs++] = rec;
}

/* normalizeDesiredReplicas: stabilizeRecommendation + convertDesiredReplicasWithRules */
static int32_t normalize_legacy(const hpa_spec_t *spec, hpa_state_t *st, simtime_t now, int32_t current,
                                int32_t raw, int32_t min, hpa_decision_t *d)
{
    simtime_t w = (simtime_t)spec->cfg.downscale_window_s * SIM_S;
    int32_t stab = raw;
    long old = -1;
    for (size_t i = 0; i < st->n_recs; i++) {
        if (now - st->recs[i].t >= w)   /* expired (see hpa.h on boundaries) */
            old = (long)i;
        else if (st->recs[i].replicas > stab)
            stab = st->recs[i].replicas;
    }
    store_rec(st, old, raw, now);
    d->stabilized = stab;

    int32_t up_limit = sat32d(fmax(2.0 * (double)current, 4.0));   /* calculateScaleUpLimit */
    int32_t max_allowed;
    hpa_limit_t reason;
    if (spec->max_replicas > up_limit) {
        max_allowed = up_limit;
        reason = HPA_LIMIT_SCALE_UP;
    } else {
        max_allowed = spec->max_replicas;
        reason = HPA_LIMIT_TOO_MANY;
    }
    if (stab < min) {
        d->limit = HPA_LIMIT_TOO_FEW;
        return min;
    }
    if (stab > max_allowed) {
        d->limit = reason;
        return max_allowed;
    }
    d->limit = HPA_LIMIT_NONE;
    return stab;
}

/* getReplicasChangePerPeriod */
static int64_t change_in_period(const hpa_event_t *ev, size_t n, int32_t period_s, simtime_t now)
{
    simtime_t p = (simtime_t)period_s * SIM_S;
    int64_t sum = 0;
    for (size_t i = 0; i < n; i++)
        if (now - ev[i].t < p)
            sum += ev[i].change;
    return sum;
}

/* calculateScaleUpLimitWithScalingRules (up) and
 * calculateScaleDownLimitWithBehaviors (!up) */
static int32_t rate_limit(const hpa_state_t *st, const hpa_rules_t *rules, bool up, int32_t current, simtime_t now)
{
    if (rules->select == HPA_SELECT_DISABLED)
        return current;
    bool pick_min = up ? rules->select == HPA_SELECT_MIN : rules->select != HPA_SELECT_MIN;
    int32_t result = pick_min ? INT32_MAX : INT32_MIN;
    size_t n = rules->n_policies < HPA_MAX_POLICIES ? rules->n_policies : HPA_MAX_POLICIES;
    for (size_t i = 0; i < n; i++) {
        const hpa_policy_t *p = &rules->policies[i];
        int64_t added = change_in_period(st->up, st->n_up, p->period_s, now);
        int64_t deleted = change_in_period(st->down, st->n_down, p->period_s, now);
        int32_t start = sat32((int64_t)current - added + deleted);
        int32_t proposed;
        if (p->type == HPA_POLICY_PODS)
            proposed = sat32(up ? (int64_t)start + p->value : (int64_t)start - p->value);
        else if (p->type == HPA_POLICY_PERCENT)
            proposed = up ? ceil32((double)start * (1 + (double)p->value / 100))
                          : sat32d((double)start * (1 - (double)p->value / 100));
        else
            continue;   /* Go leaves `proposed` at its previous value; validation rejects this */
        if (pick_min ? proposed < result : proposed > result)
            result = proposed;
    }
    return result;
}

/* normalizeDesiredReplicasWithBehaviors: stabilizeRecommendationWithBehaviors
 * + convertDesiredReplicasWithBehaviorRate */
static int32_t normalize_behavior(const hpa_spec_t *spec, const hpa_rules_t *up, const hpa_rules_t *down,
                                  hpa_state_t *st, simtime_t now, int32_t current, int32_t raw, int32_t min,
                                  hpa_decision_t *d)
{
    simtime_t up_w = (simtime_t)up->window_s * SIM_S;
    simtime_t down_w = (simtime_t)down_window_s(spec, down) * SIM_S;
    int32_t up_rec = raw, down_rec = raw;
    long old = -1;
    for (size_t i = 0; i < st->n_recs; i++) {
        simtime_t age = now - st->recs[i].t;
        int32_t rec = st->recs[i].replicas;
        if (age < up_w && rec < up_rec)
            up_rec = rec;
        if (age < down_w && rec > down_rec)
            down_rec = rec;
        if (age >= up_w && age >= down_w)
            old = (long)i;
    }
    int32_t stab = current;
    if (stab < up_rec)
        stab = up_rec;
    if (stab > down_rec)
        stab = down_rec;
    store_rec(st, old, raw, now);
    d->stabilized = stab;
    d->limit = HPA_LIMIT_NONE;

    if (stab > current) {
        int32_t lim = rate_limit(st, up, true, current, now);
        if (lim < current)
            lim = current;
        int32_t max_allowed = spec->max_replicas;
        hpa_limit_t reason = HPA_LIMIT_TOO_MANY;
        if (max_allowed > lim) {
            max_allowed = lim;
            reason = HPA_LIMIT_SCALE_UP;
        }
        if (stab > max_allowed) {
            d->limit = reason;
            return max_allowed;
        }
    } else if (stab < current) {
        int32_t lim = rate_limit(st, down, false, current, now);
        if (lim > current)
            lim = current;
        int32_t min_allowed = min;
        hpa_limit_t reason = HPA_LIMIT_TOO_FEW;
        if (min_allowed < lim) {
            min_allowed = lim;
            reason = HPA_LIMIT_SCALE_DOWN;
        }
        if (stab < min_allowed) {
            d->limit = reason;
            return min_allowed;
        }
    }
    return stab;
}

/* storeScaleEvent (behavior only): mark events older than the direction's
 * longest period outdated, overwrite the last outdated slot or append. */
static void store_event(hpa_state_t *st, const hpa_rules_t *up, const hpa_rules_t *down, simtime_t now,
                        int32_t prev, int32_t next)
{
    bool is_up = next > prev;
    hpa_event_t *ev = is_up ? st->up : st->down;
    size_t *n = is_up ? &st->n_up : &st->n_down;
    simtime_t longest = (simtime_t)longest_period(is_up ? up : down) * SIM_S;
    long old = -1;
    for (size_t i = 0; i < *n; i++) {
        if (now - ev[i].t >= longest)
            ev[i].outdated = true;
        if (ev[i].outdated)
            old = (long)i;
    }
    hpa_event_t e = {sat32(is_up ? (int64_t)next - prev : (int64_t)prev - next), false, now};
    if (old >= 0)
        ev[old] = e;
    else
        ev[(*n)++] = e;
}

/* ---- the sync ---------------------------------------------------------- */

int hpa_sync(const hpa_spec_t *spec, hpa_state_t *st, const hpa_input_t *in, hpa_decision_t *d)
{
    /* room for the initial record + this sync's recommendation + one event */
    if (reserve_recs(st, st->n_recs + 2) ||
        (spec->has_behavior && (reserve_events(&st->up, &st->cap_up, st->n_up + 1) ||
                                reserve_events(&st->down, &st->cap_down, st->n_down + 1))))
        return HPA_ENOMEM;

    simtime_t now = in->now;
    int32_t current = in->spec_replicas;
    int32_t min = spec->min_replicas;
    hpa_rules_t up, down;
    effective_rules(spec, &up, &down);
    tol_t tol = tolerances(spec);

    memset(d, 0, sizeof *d);
    d->now = now;
    d->current = current;
    d->raw = d->stabilized = -1;
    d->tol_up = tol.up;
    d->tol_down = tol.down;

    /* 1. recordInitialRecommendation */
    if (st->n_recs == 0)
        store_rec(st, -1, current, now);

    int32_t desired;
    bool rescale = true;
    if (current == 0 && min != 0) {            /* 3. scaling disabled */
        d->outcome = HPA_OUTCOME_SCALING_DISABLED;
        desired = 0;
        rescale = false;
    } else if (current > spec->max_replicas) { /* 4. out of range, one step */
        d->outcome = HPA_OUTCOME_ABOVE_MAX;
        d->limit = HPA_LIMIT_TOO_MANY;
        desired = spec->max_replicas;
    } else if (current < min) {
        d->outcome = HPA_OUTCOME_BELOW_MIN;
        d->limit = HPA_LIMIT_TOO_FEW;
        desired = min;
    } else {                                   /* 5. metrics, normalization */
        int32_t metric_desired = compute_metrics(spec, tol, in, d);
        if (metric_desired == -1) {
            d->outcome = HPA_OUTCOME_FAILED_METRICS;
            d->desired = current;
            return 0;
        }
        desired = metric_desired > 0 ? metric_desired : 0;
        d->raw = desired;
        if (!spec->has_behavior)
            desired = normalize_legacy(spec, st, now, current, desired, min, d);
        else
            desired = normalize_behavior(spec, &up, &down, st, now, current, desired, min, d);
        rescale = desired != current;
    }

    /* 6. apply */
    if (rescale) {
        if (spec->has_behavior)
            store_event(st, &up, &down, now, current, desired);
    } else {
        desired = current;
    }
    d->rescale = rescale;
    d->desired = desired;
    return 0;
}
