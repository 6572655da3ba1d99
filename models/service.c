#include "models/service.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/world.h"

/* ---- configuration ------------------------------------------------------ */

#define OFF(f) offsetof(service_cfg_t, f)

static int decode_service_time(const param_t *p, cfg_node_t *node, void *obj, pctx_t *ctx, const char *path)
{
    (void)p;
    return dist_decode(node, &((service_cfg_t *)obj)->service_time, ctx, path);
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
    if (node->kind != CFG_SEQ) {
        diag_error(ctx->diag, node->pos, "%s: expected a list of service names, got %s", path, cfg_kind_name(node));
        return 1;
    }
    size_t n = node->n ? node->n : 1;
    c->call_names = arena_alloc(ctx->arena, n * sizeof *c->call_names);
    c->call_pos = arena_alloc(ctx->arena, n * sizeof *c->call_pos);
    c->calls = arena_alloc(ctx->arena, n * sizeof *c->calls);
    if (!c->call_names || !c->call_pos || !c->calls)
        return 1;
    int errs = 0;
    for (size_t i = 0; i < node->n; i++) {
        char sub[300];
        snprintf(sub, sizeof sub, "%s[%zu]", path, i);
        const char *s = params_scalar(node->items[i], ctx, sub, "a service name");
        if (!s) {
            errs++;
            continue;
        }
        c->call_names[i] = s;
        c->call_pos[i] = node->items[i]->pos;
    }
    c->ncalls = node->n;
    return errs;
}

const param_t service_params[] = {
    {"replicas", P_INT, OFF(replicas), "1", 1, 10000, 0, NULL, NULL, NULL, "pods"},
    {"concurrency", P_INT, OFF(concurrency), "1", 1, 100000, 0, NULL, NULL, NULL,
     "workers per pod, sharing the pod's FIFO queue"},
    {"queue_capacity", P_INT, OFF(queue_capacity), "1000", 0, 10000000, 0, NULL, NULL, NULL,
     "waiting room per pod, not counting requests in service; a request that finds it full is rejected"},
    {"service_time", P_CUSTOM, 0, "{dist: exponential, mean: 100ms}", 0, 0, 0, NULL, decode_service_time,
     "distribution", "time a worker spends on one request (CPU work plus local waits)"},
    {"load_balancer", P_CUSTOM, 0, "round_robin", 0, 0, 0, NULL, decode_lb, "name",
     "policy spreading requests over ready pods (see below)"},
    {"weights", P_CUSTOM, 0, NULL, 0, 0, 0, NULL, decode_weights, "list of numbers > 0",
     "per-pod weights for `weighted_round_robin`, in pod order; pods past the list weigh 1"},
    {"calls", P_CUSTOM, 0, NULL, 0, 0, 0, NULL, decode_calls, "list of service names",
     "downstream services a request visits in sequence after its service time; the worker waits for them"},
};
const size_t service_nparams = sizeof service_params / sizeof service_params[0];

/* ---- run time ----------------------------------------------------------- */

static void set_ready_view(service_t *s)
{
    s->view.pods = s->ready;
    s->view.n = 0;
    for (uint32_t i = 0; i < s->npods; i++)
        s->ready[s->view.n++] = &s->pods[i];
    s->cfg->lb->changed(s->lb_state, &s->view);
}

int service_init(world_t *w, service_t *s, const service_cfg_t *cfg, uint32_t index)
{
    memset(s, 0, sizeof *s);
    s->cfg = cfg;
    s->index = index;
    s->npods = (uint32_t)cfg->replicas;
    s->pods = arena_alloc(w->arena, s->npods * sizeof *s->pods);
    s->ready = arena_alloc(w->arena, s->npods * sizeof *s->ready);
    s->lb_state = arena_alloc(w->arena, cfg->lb->state_size ? cfg->lb->state_size : 1);
    s->calls = arena_alloc(w->arena, (cfg->ncalls ? cfg->ncalls : 1) * sizeof *s->calls);
    char name[300];
    snprintf(name, sizeof name, "service.%s.time", cfg->name);
    s->rng_time = rng_new(w->seed, name);
    snprintf(name, sizeof name, "service.%s.lb", cfg->name);
    s->rng_lb = rng_new(w->seed, name);
    if (!s->pods || !s->ready || !s->lb_state || !s->calls || !s->rng_time || !s->rng_lb)
        return -1;
    for (uint32_t i = 0; i < s->npods; i++) {
        s->pods[i].uid = i;
        s->pods[i].weight = i < cfg->nweights ? cfg->weights[i] : 1.0;
    }
    for (size_t i = 0; i < cfg->ncalls; i++)
        s->calls[i] = &w->services[cfg->calls[i]];
    s->ncalls = (uint32_t)cfg->ncalls;
    set_ready_view(s);
    gauge_init(&s->busy, 0, 0);
    gauge_init(&s->queue, 0, 0);
    gauge_init(&s->in_system, 0, 0);
    gauge_init(&s->replicas, 0, s->npods);
    return 0;
}

void service_destroy(service_t *s)
{
    rng_free(s->rng_time);
    rng_free(s->rng_lb);
    s->rng_time = s->rng_lb = NULL;
}

void service_restart_stats(service_t *s, simtime_t now)
{
    /* keep the current sampling interval's busy area across the restart */
    s->iv.busy_area0 -= gauge_area(&s->busy, now);
    gauge_restart(&s->busy, now);
    gauge_restart(&s->queue, now);
    gauge_restart(&s->in_system, now);
    gauge_restart(&s->replicas, now);
}

static void job_done(void *ctx, void *obj, uint64_t arg);

static void start(world_t *w, service_t *s, pod_t *p, job_t *j)
{
    p->busy++;
    gauge_add(&s->busy, w->now, 1);
    j->start = w->now;
    if (j->req->measured)
        hist_add(&s->wait, w->now - j->enq);
    world_schedule(w, w->now + dist_sample_ns(&s->cfg->service_time, s->rng_time), job_done, j, 0);
}

static void complete(world_t *w, job_t *j, bool ok);

/* The job's own work is done: make the next downstream call, or complete. */
static void advance(world_t *w, job_t *j)
{
    service_t *s = j->svc;
    if (j->next_call < s->ncalls) {
        job_t *c = world_new_job(w);
        if (!c)
            return;
        c->req = j->req;
        c->parent = j;
        service_submit(w, s->calls[j->next_call++], c);
    } else {
        complete(w, j, true);
    }
}

static void job_done(void *ctx, void *obj, uint64_t arg)
{
    (void)arg;
    advance(ctx, obj);
}

/* Returns the result of a job to its caller (or ends the request). */
static void reply(world_t *w, job_t *parent, request_t *req, bool ok)
{
    if (!parent)
        world_request_done(w, req, ok);
    else if (ok)
        advance(w, parent);
    else
        complete(w, parent, false);
}

static void complete(world_t *w, job_t *j, bool ok)
{
    service_t *s = j->svc;
    pod_t *p = j->pod;
    simtime_t now = w->now;
    p->busy--;
    p->active--;
    p->served++;
    gauge_add(&s->busy, now, -1);
    gauge_add(&s->in_system, now, -1);
    if (ok) {
        s->iv.completed++;
        hist_add(&s->iv.latency, now - j->enq);
        if (j->req->measured) {
            s->completed++;
            hist_add(&s->latency, now - j->enq);
        }
    } else if (j->req->measured) {
        s->errors++;
    }
    job_t *next = p->qhead;
    if (next) {
        p->qhead = next->next;
        if (!p->qhead)
            p->qtail = NULL;
        p->queued--;
        gauge_add(&s->queue, now, -1);
        start(w, s, p, next);
    }
    job_t *parent = j->parent;
    request_t *req = j->req;
    world_free_job(w, j);
    reply(w, parent, req, ok);
}

void service_submit(world_t *w, service_t *s, job_t *j)
{
    j->svc = s;
    j->enq = w->now;
    pod_t *p = NULL;
    if (s->view.n > 0) {
        p = s->view.pods[s->cfg->lb->pick(s->lb_state, &s->view, j->req->client, s->rng_lb)];
        if (p->busy < s->cfg->concurrency) {
            j->pod = p;
            p->active++;
            gauge_add(&s->in_system, w->now, 1);
            start(w, s, p, j);
            return;
        }
        if (p->queued < s->cfg->queue_capacity) {
            j->pod = p;
            j->next = NULL;
            if (p->qtail)
                p->qtail->next = j;
            else
                p->qhead = j;
            p->qtail = j;
            p->queued++;
            p->active++;
            gauge_add(&s->queue, w->now, 1);
            gauge_add(&s->in_system, w->now, 1);
            return;
        }
    }
    /* rejected: the queue is full (or no pod is ready) */
    s->iv.rejected++;
    if (j->req->measured)
        s->rejected++;
    job_t *parent = j->parent;
    request_t *req = j->req;
    world_free_job(w, j);
    reply(w, parent, req, false);
}
