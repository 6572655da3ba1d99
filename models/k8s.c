#include "models/k8s.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/cfg.h"
#include "sim/limits.h"
#include "sim/units.h"

/* Paths are formatted through this wrapper: a path cut short only shortens
 * a message, and it keeps the compiler's truncation analysis quiet. */
static void pf(char *dst, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void pf(char *dst, size_t n, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(dst, n, fmt, ap);
    va_end(ap);
}

/* ---- decoding context ------------------------------------------------------
 * Every decoded field records (its path, the position of its value), so that
 * a violation found later by validation (a path such as
 * "spec.behavior.scaleUp.policies[0].value") is reported at that value, or at
 * the nearest decoded ancestor when the field itself is absent. */

#define MAX_MARKS 512

typedef struct mark {
    char path[96];
    srcpos_t pos;
} mark_t;

typedef struct kctx {
    arena_t *a;
    diag_t *d;
    bool strict;
    int errors;
    mark_t marks[MAX_MARKS];
    size_t nmarks;
} kctx_t;

static void mark(kctx_t *k, const char *path, srcpos_t pos)
{
    if (k->nmarks < MAX_MARKS) {
        pf(k->marks[k->nmarks].path, sizeof k->marks[k->nmarks].path, "%s", path);
        k->marks[k->nmarks++].pos = pos;
    }
}

static srcpos_t pos_of(const kctx_t *k, const char *path, srcpos_t fallback)
{
    size_t best = 0, best_len = 0;
    for (size_t i = 0; i < k->nmarks; i++) {
        size_t n = strlen(k->marks[i].path);
        if (n > best_len && strncmp(path, k->marks[i].path, n) == 0 &&
            (path[n] == '\0' || path[n] == '.' || path[n] == '[')) {
            best = i;
            best_len = n;
        }
    }
    return best_len ? k->marks[best].pos : fallback;
}

static void err(kctx_t *k, srcpos_t pos, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void err(kctx_t *k, srcpos_t pos, const char *fmt, ...)
{
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    diag_error(k->d, pos, "%s", msg);
    k->errors++;
}

/* Reports the keys of map that are not in known (a NULL-terminated list). */
static void unknown_fields(kctx_t *k, cfg_node_t *map, const char *path, const char *const *known)
{
    if (!map || map->kind != CFG_MAP)
        return;
    for (size_t i = 0; i < map->n; i++) {
        const char *key = map->pairs[i].key->str;
        bool ok = false;
        for (size_t j = 0; known[j]; j++)
            if (strcmp(known[j], key) == 0)
                ok = true;
        if (ok)
            continue;
        if (k->strict) {
            err(k, map->pairs[i].key->pos,
                "unknown field \"%s%s%s\" (strict decoding, as kubectl's default --validate=strict)", path,
                *path ? "." : "", key);
        } else {
            diag_warning(k->d, map->pairs[i].key->pos,
                         "unknown field \"%s%s%s\" (dropped; kubectl's default --validate=strict would reject "
                         "this manifest)",
                         path, *path ? "." : "", key);
        }
    }
}

/* The value of key in map (recording its position under path.key). */
static cfg_node_t *field(kctx_t *k, cfg_node_t *map, const char *path, const char *key)
{
    cfg_node_t *n = cfg_get(map, key);
    if (n && !cfg_is_null(n)) {
        char p[160];
        pf(p, sizeof p, "%s%s%s", path, *path ? "." : "", key);
        mark(k, p, n->pos);
        return n;
    }
    return NULL;
}

static bool want_map(kctx_t *k, cfg_node_t *n, const char *path)
{
    if (n && n->kind != CFG_MAP) {
        err(k, n->pos, "%s: expected an object (mapping), got %s", path, cfg_kind_name(n));
        return false;
    }
    return n != NULL;
}

static const char *get_str(kctx_t *k, cfg_node_t *n, const char *path)
{
    if (!n)
        return NULL;
    if (n->kind != CFG_SCALAR) {
        err(k, n->pos, "%s: expected a string, got %s", path, cfg_kind_name(n));
        return NULL;
    }
    return n->str;
}

/* The string at map.key, which must be there: NULL after reporting a
 * missing key (at the mapping) or a wrong type (at the value). */
static const char *required_str(kctx_t *k, cfg_node_t *map, const char *path, const char *key, const char *what)
{
    char p[200];
    pf(p, sizeof p, "%s.%s", path, key);
    cfg_node_t *n = field(k, map, path, key);
    if (!n) {
        err(k, map->pos, "%s: Required value: must specify %s", p, what);
        return NULL;
    }
    return get_str(k, n, p);
}

static bool get_int(kctx_t *k, cfg_node_t *n, const char *path, int64_t lo, int64_t hi, int64_t *out)
{
    if (!n)
        return false;
    const char *s = n->kind == CFG_SCALAR ? n->str : "";
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (n->kind != CFG_SCALAR || !n->plain || !*s || *end || !(isdigit((unsigned char)s[0]) || s[0] == '-')) {
        err(k, n->pos, "%s: expected an integer, got %s%s%s", path, n->kind == CFG_SCALAR ? "'" : "",
            n->kind == CFG_SCALAR ? s : cfg_kind_name(n), n->kind == CFG_SCALAR ? "'" : "");
        return false;
    }
    if (v < lo || v > hi || errno == ERANGE) { /* the text, not strtoll's clamp */
        err(k, n->pos, "%s: %s is out of range for its type", path, s);
        return false;
    }
    *out = v;
    return true;
}

static bool get_int32(kctx_t *k, cfg_node_t *n, const char *path, int32_t *out)
{
    int64_t v;
    if (!get_int(k, n, path, INT32_MIN, INT32_MAX, &v))
        return false;
    *out = (int32_t)v;
    return true;
}

/* A quantity times 10^scale10 (3: milli-units), rounded up. */
static bool get_quantity_scaled(kctx_t *k, cfg_node_t *n, const char *path, int scale10, int64_t *out)
{
    if (!n)
        return false;
    const char *e = n->kind != CFG_SCALAR                  ? "expected a quantity"
                    : units_quantity(n->str, scale10, out) ? "expected a quantity such as 500m, 1.5, 2Gi or 100"
                                                           : NULL;
    if (e) {
        err(k, n->pos, "%s: %s, got %s%s%s", path, e, n->kind == CFG_SCALAR ? "'" : "",
            n->kind == CFG_SCALAR ? n->str : cfg_kind_name(n), n->kind == CFG_SCALAR ? "'" : "");
        return false;
    }
    return true;
}

static bool get_quantity(kctx_t *k, cfg_node_t *n, const char *path, int64_t *milli)
{
    return get_quantity_scaled(k, n, path, 3, milli);
}

const char *k8s_quantity_milli(const char *s, int64_t *milli)
{
    return units_quantity(s, 3, milli) ? "expected a quantity such as 500m, 1.5, 2Gi or 100" : NULL;
}

const char *k8s_intstr_parse(const char *s, k8s_intstr_t *out)
{
    int64_t v = 0;
    size_t i = 0;
    while (isdigit((unsigned char)s[i]) && v <= INT32_MAX)
        v = v * 10 + (s[i++] - '0');
    bool pct = s[i] == '%' && s[i + 1] == '\0';
    if (i == 0 || (s[i] && !pct))
        return "expected a count (0, 1, ...) or a percentage such as 25%";
    if (v > INT32_MAX)
        return "the number is too large (at most 2147483647)";
    out->percent = pct;
    out->value = (int32_t)v;
    return NULL;
}

const char *k8s_intstr_bounds(k8s_intstr_t v, bool surge, char *buf, size_t size)
{
    if (!surge && v.percent && v.value > 100)
        snprintf(buf, size, "Invalid value: \"%d%%\": must not be greater than 100%%", v.value);
    else if (surge && v.percent && v.value > LIMIT_SURGE_PERCENT)
        snprintf(buf, size, "%d%% is above clustersim's limit of %d%% (a rollout adds at most as many pods as replicas)",
                 v.value, LIMIT_SURGE_PERCENT);
    else if (surge && !v.percent && v.value > LIMIT_SURGE)
        snprintf(buf, size, "%d is above clustersim's limit of %d extra pods during a rollout", v.value, LIMIT_SURGE);
    else
        return NULL;
    return buf;
}

int32_t k8s_intstr_resolve(k8s_intstr_t v, int32_t replicas, bool round_up)
{
    if (!v.percent)
        return v.value;
    int64_t num = (int64_t)v.value * replicas;
    return (int32_t)(round_up ? (num + 99) / 100 : num / 100);
}

static const char *const meta_known[] = {"name", "namespace", "labels", "annotations", "uid", "resourceVersion",
                                         "generation", "creationTimestamp", "deletionTimestamp",
                                         "deletionGracePeriodSeconds", "ownerReferences", "finalizers",
                                         "managedFields", "generateName", "selfLink", NULL};

static void decode_meta(kctx_t *k, cfg_node_t *doc, const char **name, const char **ns)
{
    cfg_node_t *m = field(k, doc, "", "metadata");
    if (!want_map(k, m, "metadata"))
        return;
    unknown_fields(k, m, "metadata", meta_known);
    *name = get_str(k, field(k, m, "metadata", "name"), "metadata.name");
    *ns = get_str(k, field(k, m, "metadata", "namespace"), "metadata.namespace");
}

/* The fields every object has (apiVersion, kind, metadata, spec, status):
 * checks them and returns the spec mapping, or NULL after reporting. */
static cfg_node_t *object_spec(kctx_t *k, cfg_node_t *doc, const char *const *spec_known, const char **name,
                               const char **ns)
{
    static const char *const top[] = {"apiVersion", "kind", "metadata", "spec", "status", NULL};
    unknown_fields(k, doc, "", top);
    decode_meta(k, doc, name, ns);
    cfg_node_t *spec = field(k, doc, "", "spec");
    if (!spec) {
        err(k, doc->pos, "spec: Required value");
        return NULL;
    }
    if (!want_map(k, spec, "spec"))
        return NULL;
    unknown_fields(k, spec, "spec", spec_known);
    return spec;
}

/* ---- HorizontalPodAutoscaler ------------------------------------------------ */

/* The quantity at path.name (node n), in milli units into *milli; *ok
 * turns false when it is not a quantity, or, the target being valid so
 * far (*ok), when it is not positive. */
static void positive_quantity(kctx_t *k, cfg_node_t *n, const char *path, const char *name, int64_t *milli, bool *ok)
{
    char p[160];
    pf(p, sizeof p, "%s.%s", path, name);
    if ((*ok = get_quantity(k, n, p, milli) && *ok) && *milli <= 0)
        err(k, n->pos, "%s: Invalid value: \"%s\": must be positive", p, n->str), *ok = false;
}

/* spec.metrics[i].SOURCE.target, read as the API server and the controller
 * read it: by which fields are present, not by `type` alone
 * (validateMetricTarget, validate{Resource,Pods,Object,External}Source),
 * then resolved to the number the controller computes with
 * (computeStatusFor*Metric): a Resource's averageValue when set, else its
 * averageUtilization; a Pods metric's averageValue; an External metric's
 * averageValue when set, else its value; an Object metric's value for type
 * Value, its averageValue for type AverageValue. m->source is decoded. */
static void decode_target(kctx_t *k, cfg_node_t *t, const char *path, hpa_metric_spec_t *m)
{
    static const char *const known[] = {"type", "value", "averageValue", "averageUtilization", NULL};
    char p[160];
    unknown_fields(k, t, path, known);
    pf(p, sizeof p, "%s.type", path);
    cfg_node_t *tn = field(k, t, path, "type");
    const char *type = get_str(k, tn, p);
    hpa_target_t written = HPA_TARGET_INVALID;
    if (!tn)
        err(k, t->pos, "%s: Required value: must specify a metric target type", p);
    else if (type && (written = hpa_target_parse(type)) == HPA_TARGET_INVALID)
        err(k, tn->pos, "%s: Unsupported value: \"%s\": supported values: \"AverageValue\", \"Utilization\", \"Value\"",
            p, type);
    cfg_node_t *un = field(k, t, path, "averageUtilization"), *vn = field(k, t, path, "value"),
               *an = field(k, t, path, "averageValue");
    int32_t util = 0;
    int64_t value = 0, average = 0;
    bool ok = true;
    if (un) {
        pf(p, sizeof p, "%s.averageUtilization", path);
        if ((ok = get_int32(k, un, p, &util) && ok) && util < 1)
            err(k, un->pos, "%s: Invalid value: %" PRId32 ": must be greater than 0", p, util), ok = false;
    }
    if (vn)
        positive_quantity(k, vn, path, "value", &value, &ok);
    if (an)
        positive_quantity(k, an, path, "averageValue", &average, &ok);
    if (written == HPA_TARGET_INVALID || !ok)
        return;
    switch (m->source) {
    case HPA_SOURCE_RESOURCE:
    case HPA_SOURCE_CONTAINER_RESOURCE:
        if (!un && !an)
            err(k, t->pos, "%s.averageUtilization: Required value: must set either a target raw value or a target "
                "utilization", path);
        else if (un && an)
            err(k, an->pos, "%s.averageValue: Forbidden: may not set both a target raw value and a target utilization",
                path);
        else if (an)
            m->target = HPA_TARGET_AVERAGE_VALUE, m->target_milli = average;
        else
            m->target = HPA_TARGET_UTILIZATION, m->average_utilization = util;
        break;
    case HPA_SOURCE_PODS:
        if (!an)
            err(k, t->pos, "%s.averageValue: Required value: must specify a positive target averageValue", path);
        else
            m->target = HPA_TARGET_AVERAGE_VALUE, m->target_milli = average;
        break;
    case HPA_SOURCE_EXTERNAL:
        if (!vn && !an)
            err(k, t->pos, "%s.value: Required value: must set either a target value for metric or a per-pod target",
                path);
        else if (vn && an)
            err(k, vn->pos, "%s.value: Forbidden: may not set both a target value for metric and a per-pod target",
                path);
        else if (an)
            m->target = HPA_TARGET_AVERAGE_VALUE, m->target_milli = average;
        else
            m->target = HPA_TARGET_VALUE, m->target_milli = value;
        break;
    case HPA_SOURCE_OBJECT:
        if (!vn && !an)
            err(k, t->pos, "%s.value: Required value: must set either a target value or averageValue", path);
        else if (written == HPA_TARGET_VALUE && vn)
            m->target = HPA_TARGET_VALUE, m->target_milli = value;
        else if (written == HPA_TARGET_AVERAGE_VALUE && an)
            m->target = HPA_TARGET_AVERAGE_VALUE, m->target_milli = average;
        else /* accepted by the API server; the controller fails at every sync */
            err(k, tn->pos,
                "%s.type: '%s' with %s only: the API server accepts it, but the controller computes an Object "
                "metric only from value with type Value or averageValue with type AverageValue, so every sync "
                "would fail to compute this metric",
                path, type, vn ? "value" : "averageValue");
        break;
    default:
        break;
    }
}

static void decode_metric_name(kctx_t *k, cfg_node_t *src, const char *path, hpa_metric_spec_t *m)
{
    static const char *const known[] = {"name", "selector", NULL};
    char p[160];
    pf(p, sizeof p, "%s.metric", path);
    cfg_node_t *mn = field(k, src, path, "metric");
    if (!mn) {
        err(k, src->pos, "%s: Required value: must specify a metric", p);
        return;
    }
    if (!want_map(k, mn, p))
        return;
    unknown_fields(k, mn, p, known);
    const char *name = required_str(k, mn, p, "name", "a metric name");
    if (name)
        pf(m->name, sizeof m->name, "%s", name);
}

static void decode_metric(kctx_t *k, cfg_node_t *n, const char *path, hpa_metric_spec_t *m)
{
    static const char *const known[] = {"type", "resource", "containerResource", "pods", "object", "external", NULL};
    static const char *const src_keys[] = {NULL, "resource", "containerResource", "pods", "object", "external"};
    if (!want_map(k, n, path))
        return;
    unknown_fields(k, n, path, known);
    char p[160];
    pf(p, sizeof p, "%s.type", path);
    cfg_node_t *tn = field(k, n, path, "type");
    const char *type = get_str(k, tn, p);
    if (!tn) {
        err(k, n->pos, "%s: Required value: must specify a metric source type", p);
        return;
    }
    if (!type)
        return;
    m->source = hpa_source_parse(type);
    if (m->source == HPA_SOURCE_INVALID) {
        err(k, tn->pos,
            "%s: Unsupported value: \"%s\": supported values: \"ContainerResource\", \"External\", \"Object\", "
            "\"Pods\", \"Resource\"",
            p, type);
        return;
    }
    const char *key = src_keys[m->source];
    char sp[160];
    pf(sp, sizeof sp, "%s.%s", path, key);
    cfg_node_t *src = field(k, n, path, key);
    for (int i = 1; i <= 5; i++)
        if (i != (int)m->source && cfg_get(n, src_keys[i]))
            err(k, cfg_get(n, src_keys[i])->pos, "%s.%s: Forbidden: must populate the given metric source only",
                path, src_keys[i]);
    if (!src) {
        err(k, n->pos, "%s: Required value: must populate information for the given metric source", sp);
        return;
    }
    if (!want_map(k, src, sp))
        return;
    if (m->source == HPA_SOURCE_RESOURCE || m->source == HPA_SOURCE_CONTAINER_RESOURCE) {
        static const char *const rk[] = {"name", "target", NULL};
        static const char *const crk[] = {"name", "container", "target", NULL};
        unknown_fields(k, src, sp, m->source == HPA_SOURCE_RESOURCE ? rk : crk);
        const char *name = required_str(k, src, sp, "name", "a resource name");
        if (name && strcmp(name, "cpu") && strcmp(name, "memory"))
            err(k, cfg_get(src, "name")->pos, "%s.name: Unsupported value: \"%s\": clustersim models \"cpu\" and \"memory\"",
                sp, name);
        else if (name)
            pf(m->name, sizeof m->name, "%s", name);
        if (m->source == HPA_SOURCE_CONTAINER_RESOURCE) {
            const char *c = required_str(k, src, sp, "container", "a container");
            if (c)
                pf(m->container, sizeof m->container, "%s", c);
        }
    } else {
        static const char *const pk[] = {"metric", "target", NULL};
        static const char *const ok[] = {"describedObject", "metric", "target", NULL};
        unknown_fields(k, src, sp, m->source == HPA_SOURCE_OBJECT ? ok : pk);
        decode_metric_name(k, src, sp, m);
        if (m->source == HPA_SOURCE_OBJECT) {
            char po[180];
            pf(po, sizeof po, "%s.describedObject", sp);
            cfg_node_t *d = field(k, src, sp, "describedObject");
            if (!d)
                err(k, src->pos, "%s: Required value: must specify the described object", po);
            else if (want_map(k, d, po)) {
                static const char *const dk[] = {"apiVersion", "kind", "name", NULL};
                unknown_fields(k, d, po, dk);
            }
        }
    }
    char pt[180];
    pf(pt, sizeof pt, "%s.target", sp);
    cfg_node_t *t = field(k, src, sp, "target");
    if (!t)
        err(k, src->pos, "%s: Required value: must specify a metric target", pt);
    else if (want_map(k, t, pt))
        decode_target(k, t, pt, m);
}

static void decode_rules(kctx_t *k, cfg_node_t *n, const char *path, hpa_rules_t *r)
{
    static const char *const known[] = {"stabilizationWindowSeconds", "selectPolicy", "policies", "tolerance", NULL};
    if (!want_map(k, n, path))
        return;
    unknown_fields(k, n, path, known);
    char p[160];
    cfg_node_t *v;
    if ((v = field(k, n, path, "stabilizationWindowSeconds"))) {
        pf(p, sizeof p, "%s.stabilizationWindowSeconds", path);
        r->has_window = get_int32(k, v, p, &r->window_s);
    }
    if ((v = field(k, n, path, "selectPolicy"))) {
        pf(p, sizeof p, "%s.selectPolicy", path);
        const char *s = get_str(k, v, p);
        if (s) {
            r->has_select = true;
            r->select = hpa_select_parse(s);
            if (r->select == HPA_SELECT_INVALID)
                err(k, v->pos, "%s: Unsupported value: \"%s\": supported values: \"Disabled\", \"Max\", \"Min\"", p, s);
        }
    }
    if ((v = field(k, n, path, "tolerance"))) {
        pf(p, sizeof p, "%s.tolerance", path);
        /* AsApproximateFloat64: not rounded to milli-units (0.0005 is
         * 0.0005); nano-units keep every digit a tolerance needs */
        int64_t nano;
        if (get_quantity_scaled(k, v, p, 9, &nano)) {
            r->has_tolerance = true;
            r->tolerance = (double)nano / 1e9;
        }
    }
    /* policies: null is no policies given (copyHPAScalingRules keeps the
     * defaults when the list is nil), as any null field is */
    cfg_node_t *pol = field(k, n, path, "policies");
    if (pol) {
        pf(p, sizeof p, "%s.policies", path);
        r->has_policies = true;
        if (pol->kind != CFG_SEQ) {
            err(k, pol->pos, "%s: expected a list, got %s", p, cfg_kind_name(pol));
            return;
        }
        if (pol->n > HPA_MAX_POLICIES) {
            err(k, pol->pos, "%s: Too many: %zu: clustersim reads at most %d policies", p, pol->n, HPA_MAX_POLICIES);
            return;
        }
        r->n_policies = pol->n;
        for (size_t i = 0; i < pol->n; i++) {
            static const char *const pk[] = {"type", "value", "periodSeconds", NULL};
            char pp[180], fp[200];
            pf(pp, sizeof pp, "%s[%zu]", p, i);
            mark(k, pp, pol->items[i]->pos);
            if (!want_map(k, pol->items[i], pp))
                continue;
            unknown_fields(k, pol->items[i], pp, pk);
            hpa_policy_t *hp = &r->policies[i];
            pf(fp, sizeof fp, "%s.type", pp);
            cfg_node_t *tn = field(k, pol->items[i], pp, "type");
            const char *t = get_str(k, tn, fp);
            if (!tn)
                err(k, pol->items[i]->pos, "%s: Required value", fp);
            else if (t && (hp->type = hpa_policy_type_parse(t)) == HPA_POLICY_INVALID)
                err(k, tn->pos, "%s: Unsupported value: \"%s\": supported values: \"Percent\", \"Pods\"", fp, t);
            pf(fp, sizeof fp, "%s.value", pp);
            get_int32(k, field(k, pol->items[i], pp, "value"), fp, &hp->value);
            pf(fp, sizeof fp, "%s.periodSeconds", pp);
            get_int32(k, field(k, pol->items[i], pp, "periodSeconds"), fp, &hp->period_s);
        }
    }
}

/* A replica count the API accepts but clustersim does not simulate. */
static void over_limit(kctx_t *k, const char *path, srcpos_t fallback, int64_t v)
{
    err(k, pos_of(k, path, fallback), "%s: %lld is above clustersim's limit of %d pods per service", path,
        (long long)v, LIMIT_REPLICAS);
}

static void decode_hpa(kctx_t *k, cfg_node_t *doc, k8s_hpa_t *h)
{
    static const char *const spec_known[] = {"scaleTargetRef", "minReplicas", "maxReplicas", "metrics", "behavior", NULL};
    hpa_spec_init(&h->spec);
    cfg_node_t *spec = object_spec(k, doc, spec_known, &h->name, &h->ns);
    if (!spec)
        return;
    cfg_node_t *ref = field(k, spec, "spec", "scaleTargetRef");
    if (!ref) {
        err(k, spec->pos, "spec.scaleTargetRef: Required value: the HPA must name what it scales");
    } else if (want_map(k, ref, "spec.scaleTargetRef")) {
        static const char *const rk[] = {"apiVersion", "kind", "name", NULL};
        unknown_fields(k, ref, "spec.scaleTargetRef", rk);
        h->target_kind = required_str(k, ref, "spec.scaleTargetRef", "kind", "the kind of the target");
        h->target_name = required_str(k, ref, "spec.scaleTargetRef", "name", "the name of the target");
    }
    cfg_node_t *v;
    if ((v = field(k, spec, "spec", "minReplicas")))
        get_int32(k, v, "spec.minReplicas", &h->spec.min_replicas);
    if ((v = field(k, spec, "spec", "maxReplicas")))
        get_int32(k, v, "spec.maxReplicas", &h->spec.max_replicas);
    cfg_node_t *metrics = field(k, spec, "spec", "metrics");
    if (metrics) {
        if (metrics->kind != CFG_SEQ) {
            err(k, metrics->pos, "spec.metrics: expected a list, got %s", cfg_kind_name(metrics));
        } else if (metrics->n > HPA_MAX_METRICS) {
            err(k, metrics->pos, "spec.metrics: Too many: %zu: clustersim reads at most %d metrics", metrics->n,
                HPA_MAX_METRICS);
        } else {
            h->spec.n_metrics = metrics->n;
            for (size_t i = 0; i < metrics->n; i++) {
                char p[64];
                pf(p, sizeof p, "spec.metrics[%zu]", i);
                mark(k, p, metrics->items[i]->pos);
                decode_metric(k, metrics->items[i], p, &h->spec.metrics[i]);
            }
        }
    }
    /* `behavior: {}` opts into the behavior path; `behavior: null` (or a
     * bare `behavior:`, its fields commented out) is Spec.Behavior == nil,
     * the legacy path, as the API decodes it */
    cfg_node_t *beh = field(k, spec, "spec", "behavior");
    if (beh) {
        h->spec.has_behavior = true;
        if (want_map(k, beh, "spec.behavior")) {
            static const char *const bk[] = {"scaleUp", "scaleDown", NULL};
            unknown_fields(k, beh, "spec.behavior", bk);
            if ((v = field(k, beh, "spec.behavior", "scaleUp")))
                decode_rules(k, v, "spec.behavior.scaleUp", &h->spec.scale_up);
            if ((v = field(k, beh, "spec.behavior", "scaleDown")))
                decode_rules(k, v, "spec.behavior.scaleDown", &h->spec.scale_down);
        }
    }
    if (k->errors)
        return;
    hpa_spec_set_defaults(&h->spec);
    hpa_violation_t viol[16];
    size_t nv = hpa_spec_validate(&h->spec, viol, 16);
    for (size_t i = 0; i < nv && i < 16; i++)
        err(k, pos_of(k, viol[i].path, spec->pos), "%s: %s", viol[i].path, viol[i].msg);
    /* the API accepts these; clustersim's own bound (sim/limits.h) does not */
    if (h->spec.min_replicas > LIMIT_REPLICAS)
        over_limit(k, "spec.minReplicas", spec->pos, h->spec.min_replicas);
    if (h->spec.max_replicas > LIMIT_REPLICAS)
        over_limit(k, "spec.maxReplicas", spec->pos, h->spec.max_replicas);
}

/* ---- Deployment ------------------------------------------------------------ */

static void decode_intstr(kctx_t *k, cfg_node_t *n, const char *path, k8s_intstr_t *out)
{
    if (!n)
        return;
    /* IntOrString: a plain integer, or a string that is a percentage; a
     * quoted count ("5") is neither, as the API server says */
    size_t len = n->kind == CFG_SCALAR ? strlen(n->str) : 0;
    bool pct = len > 1 && n->str[len - 1] == '%';
    const char *e = n->kind != CFG_SCALAR ? "expected an integer or a percentage such as \"25%\""
                    : !n->plain && !pct  ? "a string must be a percentage such as \"25%\""
                                         : k8s_intstr_parse(n->str, out);
    if (e)
        err(k, n->pos, "%s: %s, got '%s'", path, e, n->kind == CFG_SCALAR ? n->str : cfg_kind_name(n));
}

static const char *const container_known[] = {
    "name", "image", "imagePullPolicy", "command", "args", "workingDir", "ports", "env", "envFrom", "resources",
    "resizePolicy", "restartPolicy", "volumeMounts", "volumeDevices", "livenessProbe", "readinessProbe",
    "startupProbe", "lifecycle", "terminationMessagePath", "terminationMessagePolicy", "securityContext", "stdin",
    "stdinOnce", "tty", NULL};
static const char *const podspec_known[] = {
    "containers", "initContainers", "ephemeralContainers", "volumes", "restartPolicy",
    "terminationGracePeriodSeconds", "activeDeadlineSeconds", "dnsPolicy", "dnsConfig", "nodeSelector",
    "serviceAccountName", "serviceAccount", "automountServiceAccountToken", "nodeName", "hostNetwork", "hostPID",
    "hostIPC", "shareProcessNamespace", "securityContext", "imagePullSecrets", "hostname", "subdomain", "affinity",
    "schedulerName", "tolerations", "hostAliases", "priorityClassName", "priority", "readinessGates",
    "runtimeClassName", "enableServiceLinks", "preemptionPolicy", "overhead", "topologySpreadConstraints",
    "setHostnameAsFQDN", "os", "hostUsers", "schedulingGates", "resourceClaims", "resources", NULL};

static void decode_resources(kctx_t *k, cfg_node_t *c, const char *path, k8s_deployment_t *dep)
{
    cfg_node_t *res = field(k, c, path, "resources");
    char rp[200];
    pf(rp, sizeof rp, "%s.resources", path);
    if (!want_map(k, res, rp))
        return;
    static const char *const rk[] = {"requests", "limits", "claims", NULL};
    unknown_fields(k, res, rp, rk);
    static const char *const which[] = {"requests", "limits"};
    int64_t cpu[2] = {-1, -1}, mem[2] = {-1, -1}; /* this container's request, limit */
    for (int w = 0; w < 2; w++) {
        char wp[220];
        pf(wp, sizeof wp, "%s.%s", rp, which[w]);
        cfg_node_t *m = field(k, res, rp, which[w]);
        if (!want_map(k, m, wp))
            continue;
        /* other resources (ephemeral-storage, GPUs) are valid and not modelled */
        cfg_node_t *v;
        char fp[240];
        if ((v = field(k, m, wp, "cpu"))) {
            pf(fp, sizeof fp, "%s.cpu", wp);
            get_quantity(k, v, fp, &cpu[w]);
        }
        if ((v = field(k, m, wp, "memory"))) {
            pf(fp, sizeof fp, "%s.memory", wp);
            if (get_quantity(k, v, fp, &mem[w]))
                mem[w] = (mem[w] + 999) / 1000;
        }
    }
    /* the API server's default: a limit without a request is the request */
    for (int w = 0; w < 2; w++) {
        int64_t req = cpu[0] >= 0 ? cpu[0] : cpu[1], mreq = mem[0] >= 0 ? mem[0] : mem[1];
        int64_t *dst_c = w ? &dep->cpu_limit_m : &dep->cpu_request_m;
        int64_t *dst_m = w ? &dep->mem_limit_b : &dep->mem_request_b;
        int64_t vc = w ? cpu[1] : req, vm = w ? mem[1] : mreq;
        if (vc >= 0)
            *dst_c = (*dst_c < 0 ? 0 : *dst_c) + vc;
        if (vm >= 0)
            *dst_m = (*dst_m < 0 ? 0 : *dst_m) + vm;
    }
}

static void decode_deployment(kctx_t *k, cfg_node_t *doc, k8s_deployment_t *dep)
{
    static const char *const spec_known[] = {"replicas", "selector", "template", "strategy", "minReadySeconds",
                                             "revisionHistoryLimit", "paused", "progressDeadlineSeconds", NULL};
    dep->replicas = 1;
    dep->max_surge = dep->max_unavailable = (k8s_intstr_t){true, 25};
    dep->cpu_request_m = dep->cpu_limit_m = dep->mem_request_b = dep->mem_limit_b = -1;
    dep->grace_s = 30;
    cfg_node_t *spec = object_spec(k, doc, spec_known, &dep->name, &dep->ns);
    if (!spec)
        return;
    cfg_node_t *v;
    if ((v = field(k, spec, "spec", "replicas")))
        get_int32(k, v, "spec.replicas", &dep->replicas);
    if (dep->replicas < 0)
        err(k, v->pos, "spec.replicas: Invalid value: %d: must be greater than or equal to 0", dep->replicas);
    else if (dep->replicas > LIMIT_REPLICAS)
        over_limit(k, "spec.replicas", v->pos, dep->replicas);
    if ((v = field(k, spec, "spec", "minReadySeconds")) && get_int32(k, v, "spec.minReadySeconds", &dep->min_ready_s) &&
        dep->min_ready_s > 0)
        diag_warning(k->d, v->pos, "spec.minReadySeconds is not simulated: a pod counts as available when Ready");
    cfg_node_t *st = field(k, spec, "spec", "strategy");
    if (want_map(k, st, "spec.strategy")) {
        static const char *const sk[] = {"type", "rollingUpdate", NULL};
        unknown_fields(k, st, "spec.strategy", sk);
        cfg_node_t *tn = field(k, st, "spec.strategy", "type");
        const char *t = get_str(k, tn, "spec.strategy.type");
        if (t && strcmp(t, "Recreate") == 0)
            dep->recreate = true;
        else if (t && strcmp(t, "RollingUpdate") != 0)
            err(k, tn->pos, "spec.strategy.type: Unsupported value: \"%s\": supported values: \"Recreate\", "
                            "\"RollingUpdate\"", t);
        cfg_node_t *ru = field(k, st, "spec.strategy", "rollingUpdate");
        if (want_map(k, ru, "spec.strategy.rollingUpdate")) {
            static const char *const rk[] = {"maxSurge", "maxUnavailable", NULL};
            unknown_fields(k, ru, "spec.strategy.rollingUpdate", rk);
            decode_intstr(k, field(k, ru, "spec.strategy.rollingUpdate", "maxSurge"),
                          "spec.strategy.rollingUpdate.maxSurge", &dep->max_surge);
            decode_intstr(k, field(k, ru, "spec.strategy.rollingUpdate", "maxUnavailable"),
                          "spec.strategy.rollingUpdate.maxUnavailable", &dep->max_unavailable);
            if (dep->max_surge.value == 0 && dep->max_unavailable.value == 0)
                err(k, ru->pos, "spec.strategy.rollingUpdate.maxUnavailable: Invalid value: 0: may not be 0 when "
                                "`maxSurge` is 0");
            const char *mu = "spec.strategy.rollingUpdate.maxUnavailable";
            const char *ms = "spec.strategy.rollingUpdate.maxSurge";
            char buf[200];
            const char *e;
            if ((e = k8s_intstr_bounds(dep->max_unavailable, false, buf, sizeof buf)) != NULL)
                err(k, pos_of(k, mu, ru->pos), "%s: %s", mu, e);
            /* the API accepts any surge; clustersim's own bound (sim/limits.h) */
            if ((e = k8s_intstr_bounds(dep->max_surge, true, buf, sizeof buf)) != NULL)
                err(k, pos_of(k, ms, ru->pos), "%s: %s", ms, e);
        }
    }
    cfg_node_t *tmpl = field(k, spec, "spec", "template");
    if (!want_map(k, tmpl, "spec.template"))
        return;
    static const char *const tk[] = {"metadata", "spec", NULL};
    unknown_fields(k, tmpl, "spec.template", tk);
    cfg_node_t *ps = field(k, tmpl, "spec.template", "spec");
    if (!want_map(k, ps, "spec.template.spec"))
        return;
    unknown_fields(k, ps, "spec.template.spec", podspec_known);
    if ((v = field(k, ps, "spec.template.spec", "terminationGracePeriodSeconds")))
        get_int(k, v, "spec.template.spec.terminationGracePeriodSeconds", 0, 315360000, &dep->grace_s);
    cfg_node_t *cs = field(k, ps, "spec.template.spec", "containers");
    if (cs && cs->kind == CFG_SEQ) {
        for (size_t i = 0; i < cs->n; i++) {
            char cp[80];
            pf(cp, sizeof cp, "spec.template.spec.containers[%zu]", i);
            mark(k, cp, cs->items[i]->pos);
            if (!want_map(k, cs->items[i], cp))
                continue;
            unknown_fields(k, cs->items[i], cp, container_known);
            decode_resources(k, cs->items[i], cp, dep);
        }
    } else if (cs) {
        err(k, cs->pos, "spec.template.spec.containers: expected a list, got %s", cfg_kind_name(cs));
    }
}

/* ---- documents -------------------------------------------------------------- */

/* The body shared by k8s_load and k8s_load_text: decodes the n parsed
 * documents of the file named path. */
static int load_docs(arena_t *a, const char *path, cfg_node_t **docs, size_t n, bool strict, k8s_objects_t *out,
                     diag_t *d)
{
    if (n == 0) {
        diag_error(d, (srcpos_t){path, 1, 1}, "no Kubernetes object in this file");
        return -1;
    }
    out->hpas = arena_alloc(a, n * sizeof *out->hpas);
    out->deployments = arena_alloc(a, n * sizeof *out->deployments);
    kctx_t *k = calloc(1, sizeof *k);
    if (!out->hpas || !out->deployments || !k) {
        free(k);
        diag_oom(d, (srcpos_t){path, 0, 0});
        return -1;
    }
    k->a = a;
    k->d = d;
    k->strict = strict;
    int errors = 0;
    for (size_t i = 0; i < n; i++) {
        cfg_node_t *doc = docs[i];
        k->errors = 0;
        k->nmarks = 0;
        if (doc->kind != CFG_MAP) {
            err(k, doc->pos, "a Kubernetes object is a mapping with apiVersion and kind, got %s", cfg_kind_name(doc));
            errors += k->errors;
            continue;
        }
        cfg_node_t *kn = cfg_get(doc, "kind"), *vn = cfg_get(doc, "apiVersion");
        const char *kind = get_str(k, kn, "kind"), *api = get_str(k, vn, "apiVersion");
        if (!kn)
            err(k, doc->pos, "kind: Required value: the object's kind (HorizontalPodAutoscaler, Deployment)");
        if (!vn)
            err(k, doc->pos, "apiVersion: Required value");
        if (k->errors) {
            errors += k->errors;
            continue;
        }
        /* (apiVersion, kind) pairs served; anything else in those groups is
         * an error at the kind (as the API server's "no matches for kind"),
         * a known kind in another version an error at the apiVersion. */
        static const struct {
            const char *api, *kind;
        } served[] = {{"autoscaling/v2", "HorizontalPodAutoscaler"}, {"apps/v1", "Deployment"}};
        int api_known = -1, kind_known = -1;
        for (int s = 0; s < 2; s++) {
            if (strcmp(api, served[s].api) == 0)
                api_known = s;
            if (strcmp(kind, served[s].kind) == 0)
                kind_known = s;
        }
        if (kind_known >= 0 && api_known == kind_known) {
            if (kind_known == 0) {
                k8s_hpa_t *h = &out->hpas[out->n_hpas];
                memset(h, 0, sizeof *h);
                h->pos = doc->pos;
                decode_hpa(k, doc, h);
                if (!k->errors)
                    out->n_hpas++;
            } else {
                k8s_deployment_t *dep = &out->deployments[out->n_deployments];
                memset(dep, 0, sizeof *dep);
                dep->pos = doc->pos;
                decode_deployment(k, doc, dep);
                if (!k->errors)
                    out->n_deployments++;
            }
        } else if (api_known >= 0 && kind_known >= 0) {
            /* both valid alone: the spec's content says which object was meant */
            cfg_node_t *sp = cfg_get(doc, "spec");
            int meant = cfg_get(sp, "scaleTargetRef") ? 0 : cfg_get(sp, "template") ? 1 : kind_known;
            if (meant == kind_known)
                err(k, vn->pos, "apiVersion: \"%s\" does not serve %s; use %s", api, kind, served[kind_known].api);
            else
                err(k, kn->pos, "kind: no kind \"%s\" in version \"%s\" (it serves %s)", kind, api,
                    served[api_known].kind);
        } else if (api_known >= 0) {
            err(k, kn->pos, "kind: no kind \"%s\" in version \"%s\" (it serves %s)", kind, api,
                served[api_known].kind);
        } else if (kind_known >= 0) {
            err(k, vn->pos, "apiVersion: \"%s\" does not serve %s%s; use %s", api, kind,
                strcmp(api, "autoscaling/v2beta2") == 0 || strcmp(api, "autoscaling/v2beta1") == 0
                    ? " (removed in Kubernetes 1.25/1.26)"
                    : "",
                served[kind_known].api);
        } else {
            diag_warning(d, kn->pos, "kind '%s' is not simulated (HorizontalPodAutoscaler and Deployment are); "
                                     "skipped", kind);
        }
        errors += k->errors;
    }
    free(k);
    return errors ? -1 : 0;
}

int k8s_load(arena_t *a, const char *path, bool strict, k8s_objects_t *out, diag_t *d)
{
    return k8s_load_patched(a, path, strict, NULL, out, d);
}

int k8s_load_patched(arena_t *a, const char *path, bool strict, const cfg_node_t *patch, k8s_objects_t *out,
                     diag_t *d)
{
    memset(out, 0, sizeof *out);
    cfg_node_t **docs;
    size_t n;
    if (cfg_parse_file_all(a, path, &docs, &n, d) != 0)
        return -1;
    if (patch) {
        size_t i = 0;
        for (; i < n; i++) {
            const cfg_node_t *kind = NULL;
            for (size_t j = 0; docs[i]->kind == CFG_MAP && j < docs[i]->n; j++)
                if (!strcmp(docs[i]->pairs[j].key->str, "kind"))
                    kind = docs[i]->pairs[j].val;
            if (kind && kind->kind == CFG_SCALAR && !strcmp(kind->str, "HorizontalPodAutoscaler"))
                break;
        }
        if (i == n) {
            diag_error(d, patch->pos, "patch: %s holds no HorizontalPodAutoscaler to patch", path);
            return -1;
        }
        if (cfg_merge_patch(a, &docs[i], patch, "patch", d) != 0)
            return -1;
    }
    return load_docs(a, path, docs, n, strict, out, d);
}

int k8s_load_text(arena_t *a, const char *name, const char *text, size_t len, bool strict, k8s_objects_t *out,
                  diag_t *d)
{
    memset(out, 0, sizeof *out);
    cfg_node_t **docs;
    size_t n;
    if (cfg_parse_text_all(a, text, len, name, &docs, &n, d) != 0)
        return -1;
    return load_docs(a, name, docs, n, strict, out, d);
}
