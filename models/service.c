#include "models/service.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "models/deployment.h"
#include "sim/limits.h"
#include "sim/world.h"

/* ---- configuration ------------------------------------------------------ */

#define OFF(f) offsetof(service_cfg_t, f)
#define MAXDUR 315360000.0 /* 3650 days */

/* A distribution stored at the row's offset. */
static int decode_dist_at(const param_t *p, cfg_node_t *node, void *obj, pctx_t *ctx, const char *path)
{
    return dist_decode(node, (dist_t *)((char *)obj + p->offset), ctx, path);
}

static int decode_lb(const param_t *p, cfg_node_t *node, void *obj, pctx_t *ctx, const char *path)
{
    (void)p;
    const char *name = params_scalar(node, ctx, path, "a load balancer name");
    if (!name)
        return 1;
    const lb_kind_t *k = lb_find(name);
    if (!k) {
        char valid[256];
        lb_names(valid, sizeof valid);
        diag_error(ctx->diag, node->pos, "%s: unknown load_balancer '%s' (valid: %s)", path, name, valid);
        return 1;
    }
    ((service_cfg_t *)obj)->lb = k;
    return 0;
}

static int decode_weights(const param_t *p, cfg_node_t *node, void *obj, pctx_t *ctx, const char *path)
{
    (void)p;
    service_cfg_t *c = obj;
    if (node->kind != CFG_SEQ) {
        diag_error(ctx->diag, node->pos, "%s: expected a list of weights, got %s", path, cfg_kind_name(node));
        return 1;
    }
    c->weights_pos = node->pos;
    c->weights = arena_alloc(ctx->arena, (node->n ? node->n : 1) * sizeof *c->weights);
    if (!c->weights)
        return 1;
    static const param_t w = {"weight", P_DOUBLE, 0, NULL, 0, 1e6, PF_MIN_EXCL, NULL, NULL, NULL, NULL};
    int errs = 0;
    for (size_t i = 0; i < node->n; i++) {
        char sub[300];
        snprintf(sub, sizeof sub, "%s[%zu]", path, i);
        errs += params_decode_value(&w, node->items[i], &c->weights[i], ctx, sub);
    }
    c->nweights = node->n;
    return errs;
}

static int decode_calls(const param_t *p, cfg_node_t *node, void *obj, pctx_t *ctx, const char *path)
{
    (void)p;
    service_cfg_t *c = obj;
    int errs = params_decode_names(node, ctx, path, "service name", &c->call_names, &c->call_pos, &c->ncalls);
    if (errs)
        return errs;
    c->calls = arena_alloc(ctx->arena, (c->ncalls ? c->ncalls : 1) * sizeof *c->calls);
    if (!c->calls) {
        diag_oom(ctx->diag, node->pos);
        return 1;
    }
    return 0;
}

static const param_t requests_params[] = {
    {"cpu", P_CPU, OFF(cpu_request_m), NULL, 0, 1e9, 0, NULL, NULL, NULL, "CPU request (what utilisation is relative to)"},
    {"memory", P_MEMORY, OFF(mem_request_b), NULL, 0, 9e18, 0, NULL, NULL, NULL, "memory request"},
};
static const param_t limits_params[] = {
    {"cpu", P_CPU, OFF(cpu_limit_m), NULL, 0, 1e9, 0, NULL, NULL, NULL, "CPU limit: above it the pod is throttled"},
    {"memory", P_MEMORY, OFF(mem_limit_b), NULL, 0, 9e18, 0, NULL, NULL, NULL, "memory limit: above it, OOM-killed"},
};

/* how `requests` and `limits` read in the reference */
static const param_t resources_doc_params[] = {
    {"cpu", P_CPU, 0, NULL, 0, 1e9, 0, NULL, NULL, NULL,
     "requests: what CPU utilisation is relative to; limits: above it the pod is throttled"},
    {"memory", P_MEMORY, 0, NULL, 0, 9e18, 0, NULL, NULL, NULL,
     "requests: what memory utilisation is relative to; limits: above it the pod is OOM-killed"},
};
static const param_table_t resources_doc_table = PARAM_TABLE(resources_doc_params);

static int decode_resources(const param_t *p, cfg_node_t *node, void *obj, pctx_t *ctx, const char *path)
{
    (void)p;
    static const param_t outer[] = {
        {"requests", P_CUSTOM, 0, NULL, 0, 0, 0, NULL, NULL, "mapping", NULL},
        {"limits", P_CUSTOM, 0, NULL, 0, 0, 0, NULL, NULL, "mapping", NULL},
    };
    if (node->kind != CFG_MAP) {
        diag_error(ctx->diag, node->pos, "%s: expected a mapping {requests: ..., limits: ...}, got %s", path,
                   cfg_kind_name(node));
        return 1;
    }
    char sub[300];
    int errs = 0;
    cfg_node_t *rq = cfg_get(node, "requests"), *lm = cfg_get(node, "limits");
    snprintf(sub, sizeof sub, "%s.requests", path);
    if (rq)
        errs += params_decode(requests_params, 2, rq, obj, ctx, sub);
    snprintf(sub, sizeof sub, "%s.limits", path);
    if (lm)
        errs += params_decode(limits_params, 2, lm, obj, ctx, sub);
    errs += params_check_unknown(outer, 2, node, ctx, path);
    service_cfg_t *c = obj;
    /* as the API server does: a limit without a request is also the request */
    if (!errs && c->cpu_limit_m && !cfg_get(rq, "cpu"))
        c->cpu_request_m = c->cpu_limit_m;
    if (!errs && c->mem_limit_b && !cfg_get(rq, "memory"))
        c->mem_request_b = c->mem_limit_b;
    if (!errs && c->cpu_limit_m && c->cpu_request_m > c->cpu_limit_m) {
        diag_error(ctx->diag, node->pos, "%s: the CPU request is above the limit (Kubernetes refuses this)", path);
        errs++;
    }
    if (!errs && c->mem_limit_b && c->mem_request_b > c->mem_limit_b) {
        diag_error(ctx->diag, node->pos, "%s: the memory request is above the limit (Kubernetes refuses this)", path);
        errs++;
    }
    return errs;
}

static const param_t service_memory_params[] = {
    {"base", P_MEMORY, OFF(mem_base_b), "0", 0, 9e18, 0, NULL, NULL, NULL, "working set of an idle pod"},
    {"per_request", P_MEMORY, OFF(mem_per_request_b), "0", 0, 9e15, 0, NULL, NULL, NULL,
     "added for each request in the pod (in service or queued)"},
};

static const param_table_t memory_table = PARAM_TABLE(service_memory_params);

#define SOFF(f) (offsetof(service_cfg_t, startup) + offsetof(startup_cfg_t, f))
static const param_t service_startup_params[] = {
    {"scheduling", P_CUSTOM, SOFF(scheduling), "1s", 0, 0, 0, NULL, decode_dist_at, "distribution",
     "Pending: until the scheduler binds the pod to a node"},
    {"image_pull", P_CUSTOM, SOFF(image_pull), "{dist: lognormal, mean: 5s, cv: 0.5}", 0, 0, 0, NULL, decode_dist_at,
     "distribution", "pulling the image"},
    {"container_start", P_CUSTOM, SOFF(container_start), "1s", 0, 0, 0, NULL, decode_dist_at, "distribution",
     "creating and starting the container (also after an OOM kill)"},
    {"readiness", P_CUSTOM, SOFF(readiness), "3s", 0, 0, 0, NULL, decode_dist_at, "distribution",
     "until the readiness probe passes (initialDelaySeconds plus the first successful probes)"},
};

static const param_table_t startup_table = PARAM_TABLE(service_startup_params);

/* maxSurge / maxUnavailable: a count, or a percentage such as "25%",
 * through the manifests' parser (k8s_intstr_parse) and bounds. */
static int decode_intstr(const param_t *p, cfg_node_t *node, void *obj, pctx_t *ctx, const char *path)
{
    k8s_intstr_t *v = (k8s_intstr_t *)((char *)obj + p->offset);
    const char *s = params_scalar(node, ctx, path, "a count or a percentage such as 25%");
    if (!s)
        return 1;
    k8s_intstr_t x;
    char buf[200];
    const char *e = k8s_intstr_parse(s, &x);
    if (!e)
        e = k8s_intstr_bounds(x, p->offset == OFF(max_surge), buf, sizeof buf);
    if (e) {
        diag_error(ctx->diag, node->pos, "%s: %s, got '%s'", path, e, s);
        return 1;
    }
    *v = x;
    return 0;
}

static const char *const strategy_types[] = {"RollingUpdate", "Recreate", NULL};
static const param_t service_strategy_params[] = {
    {"type", P_ENUM, OFF(recreate), "RollingUpdate", 0, 0, 0, strategy_types, NULL, NULL,
     "RollingUpdate, or Recreate (all old pods go before new ones start)"},
    {"max_surge", P_CUSTOM, OFF(max_surge), "25%", 0, 0, 0, NULL, decode_intstr, "count or %",
     "pods above `replicas` a rollout may create (rounded up)"},
    {"max_unavailable", P_CUSTOM, OFF(max_unavailable), "25%", 0, 0, 0, NULL, decode_intstr, "count or %",
     "pods below `replicas` that may be unavailable during a rollout (rounded down)"},
};

static const param_table_t strategy_table = PARAM_TABLE(service_strategy_params);

static int decode_strategy(const param_t *p, cfg_node_t *node, void *obj, pctx_t *ctx, const char *path)
{
    (void)p;
    int errs = params_decode(strategy_table.rows, strategy_table.n, node, obj, ctx, path);
    service_cfg_t *c = obj;
    if (!errs && !c->recreate && c->max_surge.value == 0 && c->max_unavailable.value == 0) {
        diag_error(ctx->diag, node->pos, "%s: max_surge and max_unavailable cannot both be 0", path);
        errs++;
    }
    return errs;
}

static int decode_rollouts(const param_t *p, cfg_node_t *node, void *obj, pctx_t *ctx, const char *path)
{
    (void)p;
    service_cfg_t *c = obj;
    if (node->kind != CFG_SEQ) {
        diag_error(ctx->diag, node->pos, "%s: expected a list of times, e.g. [30m, 2h]", path);
        return 1;
    }
    c->rollouts = arena_alloc(ctx->arena, (node->n ? node->n : 1) * sizeof *c->rollouts);
    if (!c->rollouts)
        return 1;
    static const param_t at = {"at", P_DURATION, 0, NULL, 0, MAXDUR, 0, NULL, NULL, NULL, NULL};
    int errs = 0;
    for (size_t i = 0; i < node->n; i++) {
        char sub[300];
        snprintf(sub, sizeof sub, "%s[%zu]", path, i);
        int e = params_decode_value(&at, node->items[i], &c->rollouts[i], ctx, sub);
        if (!e && i > 0 && c->rollouts[i] <= c->rollouts[i - 1]) {
            diag_error(ctx->diag, node->items[i]->pos, "%s: rollouts must be in increasing time order", sub);
            e = 1;
        }
        errs += e;
    }
    c->nrollouts = node->n;
    return errs;
}

static const param_t service_params[] = {
    {"replicas", P_INT, OFF(replicas), "1", 1, LIMIT_REPLICAS, 0, NULL, NULL, NULL,
     "pods at the start (the Deployment's spec.replicas)"},
    {"concurrency", P_INT, OFF(concurrency), "1", 1, 100000, 0, NULL, NULL, NULL,
     "workers per pod, sharing the pod's FIFO queue"},
    {"queue_capacity", P_INT, OFF(queue_capacity), "1000", 0, 10000000, 0, NULL, NULL, NULL,
     "waiting room per pod, not counting requests in service; a request that finds it full is rejected"},
    {"service_time", P_CUSTOM, OFF(service_time), "{dist: exponential, mean: 100ms}", 0, 0, 0, NULL, decode_dist_at,
     "distribution", "CPU time one request needs at one core"},
    {"load_balancer", P_CUSTOM, 0, "round_robin", 0, 0, 0, NULL, decode_lb, "name",
     "policy spreading requests over ready pods (see below)"},
    {"weights", P_CUSTOM, 0, NULL, 0, 0, 0, NULL, decode_weights, "list of numbers > 0",
     "per-pod weights for `weighted_round_robin`: the i-th for the i-th pod, and for the pod that replaces it "
     "(a new pod takes the lowest weight no pod of its revision holds); pods past the list weigh 1"},
    {"calls", P_CUSTOM, 0, NULL, 0, 0, 0, NULL, decode_calls, "list of service names",
     "downstream services a request visits in sequence after its service time; the worker waits for them"},
    {"resources", P_CUSTOM, 0, NULL, 0, 0, 0, NULL, decode_resources, "mapping",
     "`requests` and `limits` of `cpu` and `memory`, as in a pod spec (below)", .sub = &resources_doc_table,
     .sub_note = "`requests` and `limits`, each a mapping of these keys (a limit without a request is also the "
                 "request):"},
    {"memory", P_MAP, 0, "{}", 0, 0, 0, NULL, NULL, NULL,
     "working-set model: `base` + `per_request` x requests in the pod (below)", .sub = &memory_table},
    {"startup", P_MAP, 0, "{}", 0, 0, 0, NULL, NULL, NULL,
     "how long a new pod takes to become Ready, step by step (below)", .sub = &startup_table},
    {"termination_grace", P_DURATION, OFF(grace), "30s", 0, MAXDUR, 0, NULL, NULL, NULL,
     "a deleted pod finishes its requests within this, then is killed"},
    {"strategy", P_CUSTOM, 0, "{}", 0, 0, 0, NULL, decode_strategy, "mapping",
     "RollingUpdate or Recreate, and the rolling update bounds (below)", .sub = &strategy_table},
    {"rollouts", P_CUSTOM, 0, NULL, 0, 0, 0, NULL, decode_rollouts, "list of durations",
     "times at which a rolling update replaces every pod"},
    {"deployment", P_STRING, OFF(deployment), NULL, 0, 0, 0, NULL, NULL, NULL,
     "an apps/v1 Deployment manifest (relative to the scenario) giving replicas, resources, strategy and grace "
     "period where this service does not"},
    {"autoscaler", P_CUSTOM, 0, NULL, 0, 0, 0, NULL, autoscaler_decode, "mapping",
     "`kind: hpa` with an autoscaling/v2 `manifest`, or `kind: threshold` (below)", .sub = &autoscaler_table},
};
const param_table_t service_table = PARAM_TABLE(service_params);

int service_apply_deployment(service_cfg_t *c, cfg_node_t *svc_map, pctx_t *ctx, const char *path)
{
    cfg_node_t *dn = cfg_get(svc_map, "deployment");
    k8s_objects_t objs;
    /* the manifest's errors, and a manifest that cannot be read, name this key */
    const char *full = params_begin_ref(ctx, dn, path, "deployment", c->deployment);
    if (!full)
        return 1;
    int rc = k8s_load(ctx->arena, full, ctx->strict, &objs, ctx->diag);
    diag_pop_ref(ctx->diag);
    if (rc != 0)
        return 1;
    if (objs.n_deployments == 0) {
        diag_error(ctx->diag, dn->pos, "%s.deployment: '%s' holds no apps/v1 Deployment", path, full);
        return 1;
    }
    const k8s_deployment_t *d = &objs.deployments[0];
    if (!cfg_find(svc_map, "replicas"))
        c->replicas = d->replicas;
    if (!cfg_find(svc_map, "resources")) {
        c->cpu_request_m = d->cpu_request_m > 0 ? d->cpu_request_m : 0;
        c->cpu_limit_m = d->cpu_limit_m > 0 ? d->cpu_limit_m : 0;
        c->mem_request_b = d->mem_request_b > 0 ? d->mem_request_b : 0;
        c->mem_limit_b = d->mem_limit_b > 0 ? d->mem_limit_b : 0;
    }
    if (!cfg_find(svc_map, "strategy")) {
        c->recreate = d->recreate;
        c->max_surge = d->max_surge;
        c->max_unavailable = d->max_unavailable;
    }
    if (!cfg_find(svc_map, "termination_grace"))
        c->grace = d->grace_s * SIM_S;
    return 0;
}

/* ---- pods: CPU and memory ------------------------------------------------- */

const char *pod_phase_str(pod_phase_t ph)
{
    static const char *const names[] = {"Pending", "PullingImage", "ContainerCreating", "NotReady", "Ready",
                                        "CrashLoopBackOff", "Terminating"};
    return (unsigned)ph < sizeof names / sizeof names[0] ? names[ph] : "?";
}

/* Cores in use by a pod change: the integral so far is banked. */
static inline void cpu_set(service_t *s, pod_t *p, simtime_t now, double cores)
{
    p->cpu_area += p->cpu_now * (double)(now - p->cpu_last);
    p->cpu_last = now;
    gauge_add(&s->cpu, now, cores - p->cpu_now);
    p->cpu_now = cores;
}

double pod_cpu_area(const pod_t *p, simtime_t now) { return p->cpu_area + p->cpu_now * (double)(now - p->cpu_last); }

int64_t pod_memory(const pod_t *p)
{
    const service_cfg_t *c = p->svc->cfg;
    return c->mem_base_b + c->mem_per_request_b * (int64_t)p->lb.active;
}

/* Whether the pod's working set is above its memory limit (an OOM kill). */
static bool over_memory(const pod_t *p)
{
    return p->svc->cfg->mem_limit_b && pod_memory(p) > p->svc->cfg->mem_limit_b;
}

bool pod_running(const pod_t *p)
{
    return p->phase == POD_UNREADY || p->phase == POD_READY || p->phase == POD_TERMINATING;
}

/* ---- the balancer's view -------------------------------------------------
 * The view is the Ready pods in s->pods order, which is creation order, so
 * by increasing seq: a pod becoming Ready or leaving is inserted or removed at
 * the place a binary search finds, rather than the view rebuilt from every
 * pod on each change. */

static void view_changed(world_t *w, service_t *s)
{
    s->view.members = s->members;
    if (s->cfg->lb->changed(s->lb_state, &s->view) != 0)
        world_fail(w, "out of memory (balancer)");
    gauge_set(&s->ready_pods, w->now, s->view.n);
    autoscaler_ready_changed(w, s);
}

static void rebuild_view(world_t *w, service_t *s)
{
    uint32_t n = 0;
    for (uint32_t i = 0; i < s->npods; i++)
        if (s->pods[i]->phase == POD_READY) {
            s->members[n] = &s->pods[i]->lb;
            s->ready[n++] = s->pods[i];
        }
    s->view.n = n;
    view_changed(w, s);
}

/* The first index of a (n pods by increasing seq) whose seq is >= seq. */
static uint32_t seq_index(pod_t *const *a, uint32_t n, uint64_t seq)
{
    uint32_t lo = 0, hi = n;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (a[mid]->seq < seq)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static void view_insert(world_t *w, service_t *s, pod_t *p)
{
    uint32_t i = seq_index(s->ready, s->view.n, p->seq);
    memmove(&s->ready[i + 1], &s->ready[i], (s->view.n - i) * sizeof *s->ready);
    memmove(&s->members[i + 1], &s->members[i], (s->view.n - i) * sizeof *s->members);
    s->ready[i] = p;
    s->members[i] = &p->lb;
    s->view.n++;
    view_changed(w, s);
}

static void view_remove(world_t *w, service_t *s, pod_t *p)
{
    uint32_t i = seq_index(s->ready, s->view.n, p->seq);
    if (i == s->view.n || s->ready[i] != p) {
        world_fail(w, "internal error: a pod leaving the balancer was not in it");
        return;
    }
    memmove(&s->ready[i], &s->ready[i + 1], (s->view.n - i - 1) * sizeof *s->ready);
    memmove(&s->members[i], &s->members[i + 1], (s->view.n - i - 1) * sizeof *s->members);
    s->view.n--;
    view_changed(w, s);
}

int service_count(const service_t *s, bool ready_only)
{
    int n = 0;
    for (uint32_t i = 0; i < s->npods; i++) {
        pod_phase_t ph = s->pods[i]->phase;
        n += ready_only ? ph == POD_READY : ph != POD_TERMINATING;
    }
    return n;
}

/* ---- requests ------------------------------------------------------------- */

static void job_done(void *ctx, void *obj, uint64_t arg);
static void ps_done(void *ctx, void *obj, uint64_t arg);
static void complete(world_t *w, job_t *j, bool ok);
static void pod_oom(world_t *w, pod_t *p);
static void pod_gone(world_t *w, pod_t *p);

/* ---- processor sharing (throttled pods) ------------------------------------
 * The n working jobs of a throttled pod share min(n, limit) cores: each
 * progresses at ps_rate = min(1, limit/n) ns of work per ns. Rather than
 * subtract the progress from every job at each start and completion, the pod
 * keeps a virtual clock V, the work that each of its working jobs has
 * received (all get the same), and each job a finish tag, V at its start plus
 * its demand: its work left is tag - V. The jobs sit in a min-heap of tags
 * (ps_heap, allocated with the pod) and the pod has one pending event, for
 * the least tag. A start or a completion costs O(log n) and allocates
 * nothing; V is 0 again whenever no job works.
 *
 * Rounding. V and the tags are 128-bit integers in units of 2^-64 ns (a
 * run's 3650 days are below 2^59 ns). V advances by the same double
 * rate x elapsed that was once subtracted from each job's work left, but
 * with no rounding (to a multiple of 2^-63 ns, which drops bits only from a
 * step under 2^-11 ns), so tag - V is the exact value that the chain of
 * rounded subtractions approximated, and it does not drift as V grows. The
 * next completion is, as before, ceil(left / rate) ns ahead, and the jobs
 * within half a nanosecond of done finish with it; simultaneous completions
 * are handled in the order in which the old scan of `working` met them
 * (ps_done). So the instants are those of the subtracting method except
 * where its rounding error (about 2^-53 of the work left per step) carried
 * left / rate across a whole nanosecond: then one differs by 1 ns. That
 * happens where left / rate is a whole number in exact arithmetic, as when
 * the job count stayed at 3 under a 1-core limit (rates of 1/3), and the
 * two methods round differently there. test_k8s.c's test_ps_reference
 * measures it: about 1 completion in 100 to 300, at 1 ns, at limits 2, 500m
 * and 1 against the subtracting method. A run's results differ from that
 * method's in the last digits of time-weighted means, or, when a shifted
 * instant meets another event, more.
 *
 * Cost (the goal: processor sharing at a limit within 1.2 times the cost of
 * no limit at rho 0.95). Every change below leaves a run's results as they
 * were, to the byte: the same instants, from the same arithmetic.
 * - A start and a completion reschedule apart (ps_started, ps_finished):
 *   the one moves the pod's pending event, the other schedules the next (the
 *   event just fired), with no branch shared between them to mispredict.
 * - Rate, reciprocal and cores for n working jobs from one table (ps_steps),
 *   and the next completion from the product by the reciprocal, the
 *   division only where the product cannot tell (ps_due).
 * - V advanced inline and passed on in registers; a step converted to fixed
 *   point from the double's bits (psv_from_ns), not through a chain of
 *   conversions that each wait on the last.
 * - The binary heap padded with a PS_NONE tag: an entry's lesser child
 *   found with no count of children; the pop starts from the root's lesser
 *   child, which ps_done's check found.
 * - The CPU gauge only banks its area while the cores in use stay at the
 *   limit (ps_cpu_set).
 * - The pop and the completion's rescheduling inlined into ps_done; ps_start
 *   kept out of start(), which it would swell for unthrottled pods too.
 * tests/bench/bench_ps.c, CPU time limit/none, medians of 5 calls (each the
 * median of 7 rounds), this code against the code before it in turn, on a
 * shared 2-core AMD EPYC virtual machine: 1.68 -> 1.56 at a 1-core limit
 * (about 151 -> 137 ns a request; none 88 both), 1.19 -> 1.14 at 200 cores
 * (163 -> 156 ns). Not yet 1.2 at 1 core: what is left is the heap's push
 * and pop (each a chain of dependent loads and comparisons, about 4 levels
 * at 19 jobs), V's two advances and the two next-completion computations
 * per request. Tried and not kept: a 4-ary heap (half the levels: 1.49
 * and 1.07, but tests/test_invariants.c checks the binary layout), a pop taking two levels a step
 * from contiguous grandchildren (slower), deferring the event's move later
 * in the event set until it reaches the root (the limit no faster, since
 * the move is made there anyway, and every pop of every run pays a check),
 * and branch-free sifting (GCC makes branches of it again). */

__extension__ typedef unsigned __int128 psv_t;

#define PSV_HALF ((psv_t)1 << 63) /* 0.5 ns */

static inline psv_t psv(uint64_t hi, uint64_t lo) { return (psv_t)hi << 64 | lo; }
static inline psv_t ps_tag(const ps_entry_t *e) { return psv(e->hi, e->lo); }
static inline psv_t ps_vnow(const pod_t *p) { return psv(p->ps_vhi, p->ps_vlo); }

static inline void ps_vset(pod_t *p, psv_t v)
{
    p->ps_vhi = (uint64_t)(v >> 64);
    p->ps_vlo = (uint64_t)v;
}

/* x >= 0 ns (below 2^63) in units of 2^-64 ns, a multiple of 2:
 * 2 floor(x 2^63), exact when x >= 2^-11. It is what the two conversions
 * trunc(x) and trunc((x - trunc(x)) 2^63) give, read from x's bits instead:
 * a normal x is m 2^(e - 1075) with m its 53-bit significand and e its
 * biased exponent, so x 2^63 = m 2^s, s = e - 1012 (integer shifts, not a
 * chain of conversions). A subnormal x (e = 0) gives 0, as they do. */
static inline psv_t psv_from_ns(double x)
{
    uint64_t b;
    memcpy(&b, &x, sizeof b);
    uint64_t e = b >> 52, m = (b & (((uint64_t)1 << 52) - 1)) | (uint64_t)(e != 0) << 52;
    int sh = (int)e - 1012;
    if (sh >= 0)
        return (psv_t)m << (sh + 1);
    return sh > -64 ? (psv_t)((m >> -sh) << 1) : 0;
}

/* psv_from_ns((double)x) for a whole number of ns x >= 0: (double)x is
 * whole, with no fraction to convert. */
static inline psv_t psv_from_whole_ns(simtime_t x) { return psv((uint64_t)(simtime_t)(double)x, 0); }

/* a - b in ns, either sign, a and b multiples of 2 units (as all tags and
 * virtual times are): exact when it fits a double. */
static inline double psv_diff_ns(psv_t a, psv_t b)
{
    psv_t d = a - b;
    /* (GCC and Clang convert to a signed type modulo 2^64) */
    return (double)(int64_t)(uint64_t)(d >> 64) + (double)(int64_t)((uint64_t)d >> 1) * 0x1p-63;
}

/* ceil(x) for 0 <= x < 2^63, without a call. */
static inline simtime_t ceil_ns(double x)
{
    simtime_t c = (simtime_t)x;
    return c + ((double)c < x);
}

/* The heap is binary (the children of i are 2i + 1 and 2i + 2; white-box
 * tests check that layout). The entries from n on are PS_NONE, a tag above
 * any (the heap is allocated with PS_PAD more than the concurrency), so that
 * both children of an entry are always there to compare, with no count of
 * how many exist, and an empty heap's least tag is PS_NONE's. */
#define PS_PAD 1

/* (the pop and the completion's rescheduling, once each, in ps_done: GCC
 * left them calls) */
#if defined(__GNUC__)
#define PS_INLINE inline __attribute__((always_inline))
#define PS_NOINLINE __attribute__((noinline))
#else
#define PS_INLINE inline
#define PS_NOINLINE
#endif

static const ps_entry_t PS_NONE = {UINT64_MAX, UINT64_MAX, NULL};

/* Entries a pod's heap is allocated with: the concurrency (at least 2, as
 * ps_done reads the root's two children h[1] and h[2] however few jobs
 * there are), plus PS_PAD. */
static size_t ps_heap_slots(const service_cfg_t *c) { return (size_t)(c->concurrency > 2 ? c->concurrency : 2) + PS_PAD; }

/* The lesser of h[c] and h[c + 1] (both readable). */
static inline int ps_least2(const ps_entry_t *h, int c) { return c + (ps_tag(&h[c + 1]) < ps_tag(&h[c])); }

/* Adds job j with tag t to a heap of n entries. (The tag and the job come
 * apart: an entry passed whole, just written as two halves, would be read
 * back before the stores can forward to the load.) */
static void ps_push(ps_entry_t *h, int n, psv_t t, job_t *j)
{
    int i = n;
    while (i > 0) {
        int up = (i - 1) / 2;
        if (ps_tag(&h[up]) <= t)
            break;
        h[i] = h[up];
        i = up;
    }
    h[i].hi = (uint64_t)(t >> 64);
    h[i].lo = (uint64_t)t;
    h[i].job = j;
}

/* Removes and returns the least entry of a heap of n > 0 entries; c is
 * ps_least2(h, 1), the root's lesser child, which ps_done has found already.
 * (If c is the last entry, it reads as PS_NONE once the last is taken out,
 * and the last goes to the root, as it should.) */
static PS_INLINE ps_entry_t ps_pop(ps_entry_t *h, int n, int c)
{
    ps_entry_t top = h[0], last = h[--n];
    h[n] = PS_NONE;
    if (n == 0)
        return top;
    psv_t t = ps_tag(&last);
    int i = 0;
    for (;;) {
        if (t <= ps_tag(&h[c]))
            break;
        h[i] = h[c];
        i = c;
        c = 2 * i + 1;
        if (c >= n)
            break;
        c = ps_least2(h, c);
    }
    h[i] = last;
    return top;
}

/* Throttled pods: every working job progressed by rate x elapsed; returns
 * the virtual time now (passed on in registers rather than read back). */
static inline psv_t ps_advance(pod_t *p, simtime_t now)
{
    psv_t v = ps_vnow(p);
    if (p->nworking > 0) {
        /* (a step of 0 adds 0) */
        v += psv_from_ns(p->ps_rate * (double)(now - p->ps_last));
        ps_vset(p, v);
    }
    p->ps_last = now;
    return v;
}

/* ceil(least / st->rate) ns for least > 0, without the division when the
 * product by the rounded reciprocal tells. With q = least / rate exactly and
 * u = 2^-53, the quotient x = fl(q) is within u q of q, and y =
 * fl(least x fl(1/rate)) within (2u + u^2) q (two roundings), so |y - x| <
 * 2^-50 y = e. When y - 2e and y + 2e (each rounded, by less than e) have
 * the same whole part c, x lies strictly between c and c + 1, and ceil(x) is
 * c + 1; otherwise the division decides (rarely for a quotient drawn at
 * random, but a rate of 1/n at a 1-core limit makes whole quotients common:
 * 1 call in 11 at rho 0.95). So the instant is the division's, always. (Two
 * truncations side by side, not a truncation, a conversion back and a
 * subtraction one after the other.) */
static inline simtime_t ps_due(double least, const ps_step_t *st)
{
    double y = least * st->inv, e2 = y * 0x1p-49;
    simtime_t lo = (simtime_t)(y - e2), hi = (simtime_t)(y + e2);
    if (lo == hi)
        return hi + 1;
    return st->rate == 1.0 ? ceil_ns(least) : ceil_ns(least / st->rate);
}

/* Cores in use by a throttled pod are now `cores`: unchanged above the
 * limit, when the pod's CPU gauge needs only its area banked (adding 0 to
 * it would change neither its value, never -0, nor its extremes). */
static inline void ps_cpu_set(service_t *s, pod_t *p, simtime_t now, double cores)
{
    if (cores != p->cpu_now) {
        cpu_set(s, p, now, cores);
        return;
    }
    p->cpu_area += p->cpu_now * (double)(now - p->cpu_last);
    p->cpu_last = now;
    s->cpu.area += s->cpu.value * (double)(now - s->cpu.last);
    s->cpu.last = now;
}

/* Throttled pods: the rate each working job gets after a start (n >= 1
 * working, the pod's event pending unless n is 1), and the next completion. */
static inline void ps_started(world_t *w, pod_t *p, psv_t v)
{
    service_t *s = p->svc;
    const ps_step_t *st = &s->ps_steps[p->nworking];
    p->ps_rate = st->rate;
    ps_cpu_set(s, p, w->now, st->cores);
    double least = psv_diff_ns(ps_tag(&p->ps_heap[0]), v);
    simtime_t t = w->now + (least > 0 ? ps_due(least, st) : 0);
    /* moved, not cancelled and scheduled: the same order of events */
    if (p->ps_ev)
        p->ps_ev = world_reschedule(w, p->ps_ev, t);
    else
        p->ps_ev = world_schedule(w, t, ps_done, p, 0);
}

/* The same after completions (the pod's event fired: none is pending). */
static PS_INLINE void ps_finished(world_t *w, pod_t *p, psv_t v)
{
    service_t *s = p->svc;
    int n = p->nworking;
    const ps_step_t *st = &s->ps_steps[n];
    p->ps_rate = st->rate;
    ps_cpu_set(s, p, w->now, st->cores);
    if (n == 0) {
        p->ps_vhi = p->ps_vlo = 0;
        return;
    }
    double least = psv_diff_ns(ps_tag(&p->ps_heap[0]), v);
    p->ps_ev = world_schedule(w, w->now + (least > 0 ? ps_due(least, st) : 0), ps_done, p, 0);
}

/* Throttled pods: j begins its demand ns of work. (Kept out of start(),
 * which it would swell for every pod, throttled or not.) */
static PS_NOINLINE void ps_start(world_t *w, pod_t *p, job_t *j, simtime_t demand)
{
    psv_t v = ps_advance(p, w->now);
    j->wslot = (uint32_t)p->nworking;
    p->working[p->nworking] = j;
    ps_push(p->ps_heap, p->nworking++, v + psv_from_whole_ns(demand), j);
    ps_started(w, p, v);
}

/* j holds a worker of p (the core counted it in busy): its service begins. */
static void start(world_t *w, service_t *s, pod_t *p, job_t *j)
{
    if (s->tracked) {
        j->bslot = (uint32_t)p->core.busy - 1;
        p->slots[j->bslot] = j;
    }
    gauge_add(&s->busy, w->now, 1);
    j->start = w->now;
    j->state = JOB_WORKING;
    if (j->req->measured)
        hist_add(&s->wait, w->now - j->enq);
    simtime_t demand = dist_sample_ns(&s->cfg->service_time, s->rng_time);
    if (s->throttled) {
        ps_start(w, p, j, demand);
    } else {
        if (s->tracked)
            cpu_set(s, p, w->now, ++p->nworking);
        j->ev = world_schedule(w, w->now + demand, job_done, j, 0);
    }
}

/* The job's own work is done: make the next downstream call, or complete. */
static void advance(world_t *w, job_t *j)
{
    service_t *s = j->svc;
    if (j->next_call < s->ncalls && !j->failed) {
        job_t *c = service_job_new(w);
        if (!c)
            return;
        j->state = j->pod ? JOB_CALLING : JOB_DETACHED;
        c->req = j->req;
        c->parent = j;
        service_submit(w, s->calls[j->next_call++], c);
    } else {
        complete(w, j, !j->failed);
    }
}

/* Own CPU work finished (unthrottled pods). */
static void job_done(void *ctx, void *obj, uint64_t arg)
{
    (void)arg;
    world_t *w = ctx;
    job_t *j = obj;
    j->ev = 0;
    if (j->svc->tracked) {
        pod_t *p = j->pod;
        cpu_set(j->svc, p, w->now, --p->nworking);
    }
    advance(w, j);
}

static int ps_by_wslot(const void *a, const void *b)
{
    uint32_t x = ((const ps_entry_t *)a)->job->wslot, y = ((const ps_entry_t *)b)->job->wslot;
    return (x > y) - (x < y);
}

/* The jobs of a throttled pod with no work left are done. */
static void ps_done(void *ctx, void *obj, uint64_t arg)
{
    (void)arg;
    world_t *w = ctx;
    pod_t *p = obj;
    p->ps_ev = 0;
    psv_t v = ps_advance(p, w->now);
    /* Jobs within half a nanosecond of done finish now (the instant is
     * rounded up to a whole ns); several may finish at the same instant.
     * They leave the heap for its free tail, s[0, k), sorted by place in
     * `working`. */
    ps_entry_t *h = p->ps_heap;
    int n = p->nworking, k = 0;
    psv_t due = v + PSV_HALF;
    int c = ps_least2(h, 1);
    if (ps_tag(&h[0]) <= due && ps_tag(&h[c]) > due) { /* (h[0] is PS_NONE if n is 0) */
        /* the usual case: one job done (the second least tag is a child of
         * the root's, and above due) */
        job_t *x = ps_pop(h, n, c).job, *y = p->working[--p->nworking];
        p->working[x->wslot] = y;
        y->wslot = x->wslot;
        ps_finished(w, p, v);
        advance(w, x);
        return;
    }
    while (k < n && ps_tag(&h[0]) <= due) {
        ps_entry_t e = ps_pop(h, n - k, ps_least2(h, 1));
        k++;
        h[n - k + PS_PAD] = e;
    }
    ps_entry_t *s = &h[n - k + PS_PAD];
    if (k > 16) {
        qsort(s, (size_t)k, sizeof *s, ps_by_wslot);
    } else {
        for (int i = 1; i < k; i++) {
            ps_entry_t e = s[i];
            int m = i;
            for (; m > 0 && s[m - 1].job->wslot > e.job->wslot; m--)
                s[m] = s[m - 1];
            s[m] = e;
        }
    }
    /* They finish in the order of a scan of `working` from its start that
     * swaps each finished job with the last one (and looks at the same place
     * again), stopping at 64: runs repeat the results of that scan over every
     * job. The scan's next finished job is the one at the least place: the
     * job moved into a hole is either unfinished, or the finished one at the
     * greatest place, s[hi], taken at once. Those left (past 64) go back. */
    job_t *finished[64];
    int nf = 0, lo = 0, hi = k - 1;
    while (lo <= hi && nf < 64) {
        job_t *x = s[lo++].job;
        uint32_t at = x->wslot;
        for (;;) {
            finished[nf++] = x;
            job_t *y = p->working[--p->nworking];
            p->working[at] = y;
            y->wslot = at;
            if (nf == 64 || y == x || lo > hi || s[hi].job != y)
                break;
            hi--;
            x = y;
        }
    }
    int hn = n - k;
    for (int i = lo; i <= hi; i++) {
        ps_entry_t e = s[i];
        ps_push(h, hn++, ps_tag(&e), e.job);
    }
    for (int i = hn; i < n + PS_PAD; i++)
        h[i] = PS_NONE;
    if (hn != p->nworking) {
        world_fail(w, "internal error: a throttled pod's heap and working jobs disagree");
        return;
    }
    ps_finished(w, p, v);
    for (int i = 0; i < nf; i++)
        advance(w, finished[i]);
}

/* Returns the result of a job to its caller (or ends the request). */
static void reply(world_t *w, job_t *parent, request_t *req, bool ok)
{
    if (!parent) {
        /* the request's route goes on to its next station, or back */
        if (ok && req->hop + 1u < req->route->n)
            world_pass(w, req);
        else
            world_back(w, req, ok);
    } else if (parent->state == JOB_DETACHED) {
        /* its pod was killed while it waited: it fails now */
        parent->failed = true;
        complete(w, parent, false);
    } else if (ok) {
        advance(w, parent);
    } else {
        complete(w, parent, false);
    }
}

static void count_result(world_t *w, service_t *s, job_t *j, bool ok)
{
    if (ok) {
        s->iv.completed++;
        hist_add(&s->iv.latency, w->now - j->enq);
        if (j->req->measured) {
            s->completed++;
            hist_add(&s->latency, w->now - j->enq);
            if (s->rolling)
                hist_add(&s->rollout_latency, w->now - j->enq);
        }
    } else {
        if (j->req->measured)
            s->errors++;
        if (s->rolling && j->req->measured)
            s->rollout_errors++;
    }
}

/* A worker of p is done with its job: the next queued job takes it. */
static void pull_queue(world_t *w, service_t *s, pod_t *p)
{
    server_item_t *next = server_release(&p->core);
    if (!next)
        return;
    gauge_add(&s->queue, w->now, -1);
    start(w, s, p, (job_t *)next);
}

static void complete(world_t *w, job_t *j, bool ok)
{
    service_t *s = j->svc;
    pod_t *p = j->pod;
    simtime_t now = w->now;
    if (p) {
        if (s->tracked) {
            job_t *last = p->slots[p->core.busy - 1];
            p->slots[j->bslot] = last;
            last->bslot = j->bslot;
        }
        lb_set_active(s->cfg->lb, s->lb_state, &s->view, &p->lb, p->lb.active - 1);
        p->served++;
        gauge_add(&s->busy, now, -1);
        gauge_add(&s->in_system, now, -1);
    }
    count_result(w, s, j, ok);
    job_t *parent = j->parent;
    request_t *req = j->req;
    if (!parent && p) { /* the pod that answered it, for stations after it */
        req->pod_station = (uint16_t)(s->index + 1);
        req->pod_uid = p->lb.uid;
    }
    if (p) {
        /* a draining pod still serves what it has queued, then goes (last:
         * pod_gone frees p, and the reconcile it runs may hand its memory
         * to a new pod) */
        pull_queue(w, s, p);
        if (p->phase == POD_TERMINATING && p->lb.active == 0)
            pod_gone(w, p);
    }
    service_job_free(w, j);
    reply(w, parent, req, ok);
}

void service_submit(world_t *w, service_t *s, job_t *j)
{
    j->svc = s;
    j->enq = w->now;
    s->submitted++;
    if (s->view.n > 0) {
        pod_t *p = s->ready[s->cfg->lb->pick(s->lb_state, &s->view, j->req->client, s->rng_lb)];
        p->arrivals++;
        if (server_has_room(&p->core, s->cfg->concurrency, s->cfg->queue_capacity)) {
            j->pod = p;
            lb_set_active(s->cfg->lb, s->lb_state, &s->view, &p->lb, p->lb.active + 1);
            gauge_add(&s->in_system, w->now, 1);
            if (server_take(&p->core, s->cfg->concurrency, &j->link)) {
                start(w, s, p, j);
            } else {
                j->state = JOB_QUEUED;
                gauge_add(&s->queue, w->now, 1);
            }
            if (over_memory(p))
                pod_oom(w, p);
            return;
        }
    }
    /* rejected: the queue is full (or no pod is ready) */
    s->iv.rejected++;
    j->req->rejected = true;
    if (j->req->measured) {
        s->rejected++;
        if (s->rolling)
            s->rollout_errors++;
    }
    job_t *parent = j->parent;
    request_t *req = j->req;
    service_job_free(w, j);
    reply(w, parent, req, false);
}

/* ---- killing a pod's requests --------------------------------------------- */

/* Every request held by p fails now (OOM kill, end of the grace period).
 * Jobs waiting on a downstream call are detached instead: they fail when the
 * call returns, so that no one is left pointing at a freed job. */
static void kill_jobs(world_t *w, pod_t *p)
{
    service_t *s = p->svc;
    if (!s->tracked && p->core.busy > 0) {
        /* its jobs in service are in no slot: nothing may kill them */
        world_fail(w, "internal error: requests of a service without job slots were to be killed");
        return;
    }
    /* the queued jobs (reversed, as before), then those holding workers */
    job_t *failed = NULL;
    for (job_t *j = (job_t *)p->core.qhead, *next; j; j = next) {
        next = (job_t *)j->link.next;
        j->link.next = failed ? &failed->link : NULL;
        failed = j;
    }
    for (int i = 0; i < p->core.busy; i++) {
        job_t *j = p->slots[i];
        if (j->state == JOB_CALLING) {
            j->state = JOB_DETACHED;
            j->pod = NULL;
            continue;
        }
        if (j->ev)
            world_cancel(w, j->ev);
        j->ev = 0;
        j->link.next = failed ? &failed->link : NULL;
        failed = j;
    }
    if (p->ps_ev)
        world_cancel(w, p->ps_ev);
    p->ps_ev = 0;
    for (int i = 0; i < p->nworking && p->ps_heap; i++)
        p->ps_heap[i] = PS_NONE;
    p->nworking = 0;
    p->ps_vhi = p->ps_vlo = 0;
    cpu_set(s, p, w->now, 0);
    gauge_add(&s->queue, w->now, -p->core.queued);
    gauge_add(&s->busy, w->now, -p->core.busy);
    gauge_add(&s->in_system, w->now, -p->lb.active);
    server_drain(&p->core);
    lb_set_active(s->cfg->lb, s->lb_state, &s->view, &p->lb, 0);
    while (failed) {
        job_t *j = failed;
        failed = (job_t *)j->link.next;
        j->pod = NULL;
        count_result(w, s, j, false);
        job_t *parent = j->parent;
        request_t *req = j->req;
        service_job_free(w, j);
        reply(w, parent, req, false);
    }
}

/* ---- pod life cycle ------------------------------------------------------- */

static void phase_step(void *ctx, void *obj, uint64_t arg);

static void phase_after(world_t *w, pod_t *p, pod_phase_t ph, const dist_t *d)
{
    p->phase = ph;
    p->phase_ev = world_schedule(w, w->now + dist_sample_ns(d, p->svc->rng_life), phase_step, p, 0);
}

static void become_ready(world_t *w, pod_t *p)
{
    p->phase = POD_READY;
    p->ready_since = w->now;
    view_insert(w, p->svc, p);
    deployment_reconcile(w, p->svc);
}

static void phase_step(void *ctx, void *obj, uint64_t arg)
{
    (void)arg;
    world_t *w = ctx;
    pod_t *p = obj;
    const startup_cfg_t *st = &p->svc->cfg->startup;
    p->phase_ev = 0;
    switch (p->phase) {
    case POD_PENDING:
        p->started = p->ready_since = w->now; /* status.startTime; Ready=False from here */
        phase_after(w, p, POD_PULLING, &st->image_pull);
        break;
    case POD_PULLING:
    case POD_BACKOFF:
        phase_after(w, p, POD_STARTING, &st->container_start);
        break;
    case POD_STARTING:
        /* the container runs: metrics restart, the probe starts */
        p->m = p->m_prev = (pod_metrics_t){0};
        p->cpu_last = w->now;
        p->container_start = w->now;
        phase_after(w, p, POD_UNREADY, &st->readiness);
        /* an idle working set above the limit: killed as it starts, never Ready */
        if (over_memory(p))
            pod_oom(w, p);
        break;
    case POD_UNREADY:
        become_ready(w, p);
        break;
    case POD_TERMINATING: /* the grace period is over */
        kill_jobs(w, p);
        pod_gone(w, p);
        break;
    case POD_READY:
        break;
    }
}

/* ---- weights: index i of `weights` for the pod that holds it ----------------
 * Each revision's pods hold indices of their own: initial pods take 0, 1, ...
 * in order; a pod that goes gives its index back to its revision and the
 * next pod of that revision takes the lowest free one. So a rollout's new
 * pods weigh what the pods they replace weighed, whatever the surge, and a
 * scale-down and up keeps the weights (they used to follow pod uids, and
 * every pod after a rollout weighed 1). A revision's set goes with its last
 * pod; O(log weights) per pod, plus the revisions alive at once. */

struct wset {
    int revision;
    uint32_t pods;      /* its pods that hold an index */
    uint32_t nfree;
    int32_t *free;      /* min-heap */
};

static struct wset *wset_of(service_t *s, int revision, bool make)
{
    for (uint32_t i = 0; i < s->nwsets; i++)
        if (s->wsets[i].revision == revision)
            return &s->wsets[i];
    if (!make)
        return NULL;
    struct wset *a = realloc(s->wsets, (s->nwsets + 1) * sizeof *a);
    if (!a)
        return NULL;
    s->wsets = a;
    struct wset *x = &a[s->nwsets];
    size_t n = s->cfg->nweights;
    *x = (struct wset){revision, 0, (uint32_t)n, malloc(n * sizeof *x->free)};
    if (!x->free)
        return NULL;
    for (size_t i = 0; i < n; i++) /* every index free, in order: a sorted array is a min-heap */
        x->free[i] = (int32_t)i;
    s->nwsets++;
    return x;
}

/* The lowest index the pods of `revision` leave free (-1: none; -2: out of memory). */
static int32_t wslot_take(service_t *s, int revision)
{
    if (!s->cfg->nweights)
        return -1;
    struct wset *x = wset_of(s, revision, true);
    if (!x)
        return -2;
    if (x->nfree == 0)
        return -1;
    int32_t *h = x->free, top = h[0], last = h[--x->nfree];
    uint32_t i = 0, n = x->nfree;
    for (;;) {
        uint32_t c = 2 * i + 1;
        if (c >= n)
            break;
        if (c + 1 < n && h[c + 1] < h[c])
            c++;
        if (h[c] >= last)
            break;
        h[i] = h[c];
        i = c;
    }
    if (n)
        h[i] = last;
    x->pods++;
    return top;
}

static void wslot_give(service_t *s, int revision, int32_t slot)
{
    struct wset *x = wset_of(s, revision, false);
    if (!x)
        return;
    int32_t *h = x->free;
    uint32_t i = x->nfree++;
    while (i > 0 && h[(i - 1) / 2] > slot) {
        h[i] = h[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    h[i] = slot;
    if (--x->pods == 0 && revision != s->revision) { /* an old revision's last pod: its set goes */
        free(x->free);
        *x = s->wsets[--s->nwsets];
    }
}

pod_t *service_pod_new(world_t *w, service_t *s, bool ready_now, int revision)
{
    if (s->npods == s->cap_pods) {
        uint32_t nc = s->cap_pods ? s->cap_pods * 2 : 16;
        pod_t **g = realloc(s->pods, nc * sizeof *g);
        pod_t **r = realloc(s->ready, nc * sizeof *r);
        if (r)
            s->ready = r;
        lb_member_t **m = realloc(s->members, nc * sizeof *m);
        if (m)
            s->members = s->view.members = m;
        if (g)
            s->pods = g;
        if (!g || !r || !m) {
            world_fail(w, "out of memory (pods)");
            return NULL;
        }
        s->cap_pods = nc;
    }
    pod_t *p = pool_get(&s->pod_pool);
    if (!p) {
        world_fail(w, "out of memory (pods)");
        return NULL;
    }
    memset(p, 0, sizeof *p);
    p->svc = s;
    /* per-pod arrays: allocated when a pod is created (a scaling event, not
     * a request), freed when it is gone */
    p->slots = s->tracked ? malloc((size_t)s->cfg->concurrency * sizeof *p->slots) : NULL;
    p->working = s->throttled ? malloc((size_t)s->cfg->concurrency * sizeof *p->working) : NULL;
    p->ps_heap = s->throttled ? malloc(ps_heap_slots(s->cfg) * sizeof *p->ps_heap) : NULL;
    if ((s->tracked && !p->slots) || (s->throttled && (!p->working || !p->ps_heap)))
        goto oom;
    p->lb.uid = s->next_uid++;
    p->seq = s->next_seq++;
    p->revision = revision;
    p->wslot = wslot_take(s, revision);
    if (p->wslot == -2)
        goto oom;
    p->lb.weight = p->wslot >= 0 ? s->cfg->weights[p->wslot] : 1.0;
    for (size_t i = 0; p->ps_heap && i < ps_heap_slots(s->cfg); i++)
        p->ps_heap[i] = PS_NONE;
    p->created = p->cpu_last = p->ps_last = w->now;
    p->backoff = 10 * SIM_S;
    s->pods[s->npods++] = p;
    gauge_set(&s->replicas, w->now, s->npods);
    if (ready_now) {
        p->started = p->ready_since = p->container_start = w->now;
        p->phase = POD_READY;
        if (over_memory(p)) {
            /* its container could not have run: killed as it started */
            p->phase = POD_UNREADY;
            pod_oom(w, p);
        }
    } else {
        phase_after(w, p, POD_PENDING, &s->cfg->startup.scheduling);
    }
    return p;
oom:
    free(p->slots);
    free(p->working);
    free(p->ps_heap);
    pool_put(&s->pod_pool, p);
    world_fail(w, "out of memory (pods)");
    return NULL;
}

static void pod_gone(world_t *w, pod_t *p)
{
    service_t *s = p->svc;
    if (p->wslot >= 0)
        wslot_give(s, p->revision, p->wslot);
    if (p->phase_ev)
        world_cancel(w, p->phase_ev);
    p->phase_ev = 0;
    cpu_set(s, p, w->now, 0);
    uint32_t i = seq_index(s->pods, s->npods, p->seq);
    if (i < s->npods && s->pods[i] == p) {
        memmove(&s->pods[i], &s->pods[i + 1], (s->npods - i - 1) * sizeof *s->pods);
        s->npods--;
    } else {
        world_fail(w, "internal error: a pod that is gone was not in its service");
    }
    gauge_set(&s->replicas, w->now, s->npods);
    world_pod_gone(w, (uint16_t)(s->index + 1), p->lb.uid);
    free(p->slots);
    free(p->working);
    free(p->ps_heap);
    pool_put(&s->pod_pool, p);
    deployment_reconcile(w, s);
}

bool service_pod_exists(const service_t *s, uint32_t uid)
{
    /* uids and seqs are both counted from 0 at each pod's creation */
    uint32_t i = seq_index(s->pods, s->npods, uid);
    return i < s->npods && s->pods[i]->lb.uid == uid;
}

/* Deletes a pod as the ReplicaSet controller does. */
bool service_pod_delete(world_t *w, pod_t *p)
{
    bool was_ready = p->phase == POD_READY;
    if (p->phase_ev)
        world_cancel(w, p->phase_ev);
    p->phase_ev = 0;
    if (!pod_running(p) || p->lb.active == 0) {
        if (was_ready)
            p->phase = POD_TERMINATING, view_remove(w, p->svc, p);
        pod_gone(w, p);
        return true;
    }
    p->phase = POD_TERMINATING;
    if (was_ready)
        view_remove(w, p->svc, p);
    /* no new requests; those it holds have until the grace period ends */
    p->phase_ev = world_schedule(w, w->now + p->svc->cfg->grace, phase_step, p, 0);
    return false;
}

/* The pod's container dies (reason: OOMKilled, Error): its requests fail
 * and it restarts after CrashLoopBackOff; a terminating pod is gone. */
static void pod_crash(world_t *w, pod_t *p, const char *reason)
{
    service_t *s = p->svc;
    world_event(w, s->cfg->name, "pod", pod_phase_str(p->phase),
                p->phase == POD_TERMINATING ? "gone" : "CrashLoopBackOff", reason);
    if (p->phase == POD_TERMINATING) {
        kill_jobs(w, p);
        pod_gone(w, p);
        return;
    }
    /* CrashLoopBackOff: 10 s doubling to 5 min; reset after 10 min of running */
    if (w->now - p->container_start > 600 * SIM_S)
        p->backoff = 10 * SIM_S;
    p->restarts++;
    bool was_ready = p->phase == POD_READY;
    p->phase = POD_BACKOFF;
    if (p->phase_ev)
        world_cancel(w, p->phase_ev);
    p->phase_ev = world_schedule(w, w->now + p->backoff, phase_step, p, 0);
    p->backoff = p->backoff * 2 > 300 * SIM_S ? 300 * SIM_S : p->backoff * 2;
    /* out of the balancer before its requests fail: the failures run other
     * code (callers, autoscalers) that must not route anything here */
    if (was_ready) {
        p->ready_since = w->now;
        view_remove(w, s, p);
    }
    kill_jobs(w, p);
}

static void pod_oom(world_t *w, pod_t *p)
{
    if (w->now >= w->warmup)
        p->svc->oom_kills++;
    pod_crash(w, p, "OOMKilled");
}

int service_pod_crash(world_t *w, pod_t *p, const char *reason)
{
    if (!p->svc->tracked || !pod_running(p))
        return -1; /* no job slots to find its requests by, or no container */
    pod_crash(w, p, reason);
    return 0;
}

/* ---- metrics ----------------------------------------------------------------- */

void service_window_start(world_t *w, service_t *s)
{
    for (uint32_t i = 0; i < s->npods; i++) {
        pod_t *p = s->pods[i];
        pod_metrics_t *m = &p->m;
        m->win_ok = pod_running(p);
        m->win_at = w->now;
        m->win_area = pod_cpu_area(p, w->now);
        m->win_arrivals = p->arrivals;
    }
    s->tot.win_submitted = s->submitted;
    s->tot.win_at = w->now;
    s->tot.win_open = true;
}

void service_scrape(world_t *w, service_t *s)
{
    service_totals_t *t = &s->tot;
    s->tot_prev = *t;
    t->inflight = t->queued = 0;
    for (uint32_t i = 0; i < s->npods; i++) {
        pod_t *p = s->pods[i];
        if (!pod_running(p)) /* (holding no request) */
            continue;
        /* the service's totals: what its pods hold now */
        t->inflight += p->lb.active;
        t->queued += p->core.queued;
        pod_metrics_t *m = &p->m;
        p->m_prev = *m;
        /* a rate needs the container running since the window began */
        m->has_cpu = m->win_ok && m->win_at >= p->container_start && w->now > m->win_at;
        if (m->has_cpu) {
            double span = (double)(w->now - m->win_at);
            m->cpu_m = (int64_t)((pod_cpu_area(p, w->now) - m->win_area) / span * 1000.0);
            m->rps = (double)(p->arrivals - m->win_arrivals) / (span * 1e-9);
        }
        m->mem_b = pod_memory(p);
        m->inflight = p->lb.active;
        m->queued = p->core.queued;
        m->at = w->now;
        m->scrapes++;
    }
    /* and its requests over the window, whichever pods took them */
    t->at = w->now;
    t->has_rate = t->win_open && w->now > t->win_at;
    if (t->has_rate)
        t->rps = (double)(s->submitted - t->win_submitted) / ((double)(w->now - t->win_at) * 1e-9);
    t->scrapes++;
}

/* ---- set-up ------------------------------------------------------------------ */


int service_init(world_t *w, service_t *s, const service_cfg_t *cfg, uint32_t index)
{
    memset(s, 0, sizeof *s);
    s->cfg = cfg;
    s->index = index;
    s->throttled = cfg->cpu_limit_m > 0 && (int64_t)cfg->concurrency * 1000 > cfg->cpu_limit_m;
    s->tracked = cfg->cpu_request_m || cfg->cpu_limit_m || cfg->mem_limit_b || cfg->autoscaler.kind ||
                 cfg->nrollouts || cfg->mem_request_b || cfg->killable;
    s->lb_state = arena_alloc(w->arena, cfg->lb->state_size ? cfg->lb->state_size : 1);
    int64_t most = service_most_pods(cfg);
    s->view.capacity = most > 0 && most <= UINT32_MAX ? (uint32_t)most : 0;
    s->calls = arena_alloc(w->arena, (cfg->ncalls ? cfg->ncalls : 1) * sizeof *s->calls);
    char name[300];
    snprintf(name, sizeof name, "service.%s.time", cfg->name);
    s->rng_time = rng_new(w->seed, name);
    snprintf(name, sizeof name, "service.%s.lb", cfg->name);
    s->rng_lb = rng_new(w->seed, name);
    snprintf(name, sizeof name, "service.%s.life", cfg->name);
    s->rng_life = rng_new(w->seed, name);
    pool_init(&s->pod_pool, sizeof(pod_t), 16);
    if (!s->lb_state || !s->calls || !s->rng_time || !s->rng_lb || !s->rng_life)
        return -1;
    if (s->throttled) {
        /* each job's rate with n working, min(1, limit/n), and the cores in
         * use, min(n, limit): loads, not divisions and comparisons */
        s->ps_steps = arena_alloc(w->arena, ((size_t)cfg->concurrency + 1) * sizeof *s->ps_steps);
        if (!s->ps_steps)
            return -1;
        double limit = s->ps_limit = (double)cfg->cpu_limit_m / 1000.0;
        for (int n = 0; n <= cfg->concurrency; n++) {
            ps_step_t *st = &s->ps_steps[n];
            st->rate = n <= limit ? 1.0 : limit / n;
            st->inv = 1.0 / st->rate;
            st->cores = n <= limit ? n : limit;
        }
    }
    for (size_t i = 0; i < cfg->ncalls; i++)
        s->calls[i] = world_station(w, cfg->calls[i])->state;
    s->ncalls = (uint32_t)cfg->ncalls;
    gauge_init(&s->busy, 0, 0);
    gauge_init(&s->queue, 0, 0);
    gauge_init(&s->in_system, 0, 0);
    gauge_init(&s->replicas, 0, 0);
    gauge_init(&s->ready_pods, 0, 0);
    gauge_init(&s->cpu, 0, 0);
    s->desired = cfg->replicas;
    gauge_init(&s->desired_g, 0, cfg->replicas);
    for (int i = 0; i < cfg->replicas; i++)
        if (!service_pod_new(w, s, true, s->revision))
            return -1;
    rebuild_view(w, s);
    /* the initial pods were there from the start */
    gauge_init(&s->replicas, 0, s->npods);
    gauge_init(&s->ready_pods, 0, s->view.n);
    return 0;
}

void service_destroy(service_t *s)
{
    if (s->cfg)
        lb_fini(s->cfg->lb, s->lb_state);
    rng_free(s->rng_time);
    rng_free(s->rng_lb);
    rng_free(s->rng_life);
    s->rng_time = s->rng_lb = s->rng_life = NULL;
    for (uint32_t i = 0; i < s->npods; i++) {
        free(s->pods[i]->slots);
        free(s->pods[i]->working);
        free(s->pods[i]->ps_heap);
    }
    free(s->pods);
    free(s->ready);
    free(s->members);
    for (uint32_t i = 0; i < s->nwsets; i++)
        free(s->wsets[i].free);
    free(s->wsets);
    s->wsets = NULL;
    s->nwsets = 0;
    s->pods = s->ready = NULL;
    s->members = NULL;
    s->npods = 0;
    pool_destroy(&s->pod_pool);
    deployment_free(s);
}

void service_restart_stats(service_t *s, simtime_t now)
{
    /* keep the current sampling interval's areas across the restart */
    s->iv.busy_area0 -= gauge_area(&s->busy, now);
    s->iv.cpu_area0 -= gauge_area(&s->cpu, now);
    s->iv.ready_area0 -= gauge_area(&s->ready_pods, now);
    s->iv.pods_area0 -= gauge_area(&s->replicas, now);
    gauge_restart(&s->busy, now);
    gauge_restart(&s->queue, now);
    gauge_restart(&s->in_system, now);
    gauge_restart(&s->replicas, now);
    gauge_restart(&s->ready_pods, now);
    gauge_restart(&s->desired_g, now);
    gauge_restart(&s->cpu, now);
}
