#include "models/deployment.h"

#include <stdio.h>

#include "sim/world.h"

/* Which of two pods a ReplicaSet deletes first (Kubernetes' ActivePods
 * order): not yet on a node before on one; Pending before Running; not
 * Ready before Ready; Ready for less time first; more restarts first;
 * newer first. True when a goes before b. */
static bool delete_before(const pod_t *a, const pod_t *b)
{
    int na = a->phase != POD_PENDING, nb = b->phase != POD_PENDING;
    /* phase Pending: pulling, or creating the first container */
    int pa = a->phase == POD_PENDING || a->phase == POD_PULLING || (a->phase == POD_STARTING && a->restarts == 0) ? 0 : 1;
    int pb = b->phase == POD_PENDING || b->phase == POD_PULLING || (b->phase == POD_STARTING && b->restarts == 0) ? 0 : 1;
    bool ra = a->phase == POD_READY, rb = b->phase == POD_READY;
    if (na != nb)
        return na < nb;
    if (pa != pb)
        return pa < pb;
    if (ra != rb)
        return !ra;
    if (ra && a->ready_since != b->ready_since)
        return a->ready_since > b->ready_since;
    if (a->restarts != b->restarts)
        return a->restarts > b->restarts;
    if (a->created != b->created)
        return a->created > b->created;
    return a->uid > b->uid;
}

/* The pod to delete: of revision `rev` (any if rev < 0; not the current
 * one if old_only), Ready ones only if ready_ok. NULL when none. */
static pod_t *victim(service_t *s, int rev, bool old_only, bool ready_ok)
{
    pod_t *best = NULL;
    for (uint32_t i = 0; i < s->npods; i++) {
        pod_t *p = s->pods[i];
        if (p->phase == POD_TERMINATING || (rev >= 0 && p->revision != rev) ||
            (old_only && p->revision == s->revision) || (!ready_ok && p->phase == POD_READY))
            continue;
        if (!best || delete_before(p, best))
            best = p;
    }
    return best;
}

static void rollout_done(world_t *w, service_t *s)
{
    s->rolling = false;
    s->rollouts_done++;
    s->rollout_seconds += simtime_to_s(w->now - s->rollout_start);
    char to[32];
    snprintf(to, sizeof to, "revision %d", s->revision);
    world_event(w, s->cfg->name, "deployment", "rolling", to, "RolloutComplete");
}

/* Deletes v if there is one; true when it did. */
static bool delete_if(world_t *w, pod_t *v)
{
    if (v)
        service_pod_delete(w, v);
    return v != NULL;
}

/* One pass of the Deployment controller; true when it created or deleted
 * a pod (another pass may then do more: a deletion frees surge room). */
static bool reconcile_once(world_t *w, service_t *s)
{
    int32_t D = s->desired;
    int alive = 0, alive_new = 0, ready = 0, ready_new = 0, old_any = 0;
    for (uint32_t i = 0; i < s->npods; i++) {
        pod_t *p = s->pods[i];
        old_any += p->revision != s->revision;
        if (p->phase == POD_TERMINATING)
            continue;
        alive++;
        ready += p->phase == POD_READY;
        if (p->revision == s->revision) {
            alive_new++;
            ready_new += p->phase == POD_READY;
        }
    }
    if (!s->rolling) {
        if (alive < D)
            return service_pod_new(w, s, false) != NULL;
        return alive > D && delete_if(w, victim(s, -1, false, true));
    }
    if (s->cfg->recreate) {
        /* Recreate: every old pod goes; the new ones start when the old
         * ones are gone (terminated, not only terminating) */
        if (delete_if(w, victim(s, -1, true, true)))
            return true;
        if (old_any)
            return false;
    } else {
        /* RollingUpdate: at most D + surge pods, at least D - unavailable
         * Ready; terminating pods are not counted (the ReplicaSets'
         * replicas are what the controller counts) */
        int32_t surge = k8s_intstr_resolve(s->cfg->max_surge, D, true);
        int32_t unavail = k8s_intstr_resolve(s->cfg->max_unavailable, D, false);
        if (surge == 0 && unavail == 0)
            unavail = 1;
        if (alive < D + surge && alive_new < D)
            return service_pod_new(w, s, false) != NULL;
        /* old pods that are not Ready are not available anyway */
        if (alive > alive_new && delete_if(w, victim(s, -1, true, false)))
            return true;
        if (alive > alive_new && ready - 1 >= D - unavail && delete_if(w, victim(s, -1, true, true)))
            return true;
    }
    if (alive_new < D && alive == alive_new)
        return service_pod_new(w, s, false) != NULL;
    /* a smaller D during the rollout: new pods beyond it go too */
    if (alive_new > D)
        return delete_if(w, victim(s, s->revision, false, true));
    /* complete as Kubernetes says it is: every active pod new and Ready
     * (draining old pods are not active) */
    if (alive_new == D && ready_new == D && alive == alive_new)
        rollout_done(w, s);
    return false;
}

void deployment_reconcile(world_t *w, service_t *s)
{
    if (s->in_reconcile) {
        s->reconcile_again = true;
        return;
    }
    s->in_reconcile = true;
    /* each pass creates or deletes one pod */
    for (int passes = 0; passes < 1000000 && !w->failed; passes++) {
        s->reconcile_again = false;
        if (!reconcile_once(w, s) && !s->reconcile_again)
            break;
    }
    s->in_reconcile = false;
}

void deployment_rollout(world_t *w, service_t *s)
{
    if (!s->tracked) {
        world_fail(w, "internal error: a rollout of a service set up without rollouts");
        return;
    }
    char from[32], to[32];
    snprintf(from, sizeof from, "revision %d", s->revision);
    s->revision++;
    snprintf(to, sizeof to, "revision %d", s->revision);
    s->rolling = true;
    s->rollout_start = w->now;
    world_event(w, s->cfg->name, "deployment", from, to, "RollingUpdate");
    deployment_reconcile(w, s);
}

void deployment_scale(world_t *w, service_t *s, int32_t desired, const char *who, const char *reason)
{
    if (desired == s->desired)
        return;
    if (!s->tracked) {
        /* pods of an untracked service cannot be killed (no job slots): only
         * services with an autoscaler or rollouts are scaled */
        world_fail(w, "internal error: scaling a service set up without autoscaling");
        return;
    }
    char from[16], to[16];
    snprintf(from, sizeof from, "%d", s->desired);
    snprintf(to, sizeof to, "%d", desired);
    world_event(w, s->cfg->name, who, from, to, reason);
    s->desired = desired;
    s->scaling_events++;
    gauge_set(&s->desired_g, w->now, desired);
    deployment_reconcile(w, s);
}
