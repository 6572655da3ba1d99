#include "models/deployment.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "sim/world.h"

/* ---- deletion order ----------------------------------------------------
 * Which of two pods a ReplicaSet deletes first (Kubernetes' ActivePods
 * order): not yet on a node before on one; Pending before Running; not
 * Ready before Ready; Ready for less time first; more restarts first;
 * newer first. The order is computed from a key taken once per pod and
 * reconcile, so that a pod deleted meanwhile is never read again. */

typedef struct vkey {
    uint8_t rank;          /* on a node (4) + past Pending (2) + Ready (1): smaller first */
    int restarts;
    simtime_t ready_since; /* compared between Ready pods only */
    simtime_t created;
    uint32_t uid;
} vkey_t;

static vkey_t key_of(const pod_t *p)
{
    int on_node = p->phase != POD_PENDING;
    /* phase Pending: pulling, or creating the first container */
    int running = p->phase == POD_PENDING || p->phase == POD_PULLING || (p->phase == POD_STARTING && p->restarts == 0)
                      ? 0
                      : 1;
    int ready = p->phase == POD_READY;
    return (vkey_t){(uint8_t)(on_node * 4 + running * 2 + ready), p->restarts, p->ready_since, p->created, p->lb.uid};
}

/* True when a goes before b. */
static bool delete_before(const vkey_t *a, const vkey_t *b)
{
    if (a->rank != b->rank)
        return a->rank < b->rank;
    if ((a->rank & 1) && a->ready_since != b->ready_since)
        return a->ready_since > b->ready_since;
    if (a->restarts != b->restarts)
        return a->restarts > b->restarts;
    if (a->created != b->created)
        return a->created > b->created;
    return a->uid > b->uid;
}

/* ---- one reconcile ----------------------------------------------------------
 * A reconcile counts the pods once and keeps the counts up to date as it
 * creates and deletes pods. Nothing else changes a pod while it runs:
 * creating a pod only schedules its first step, deleting one may end it at
 * once, and the reconcile that ending asks for only requests another pass.
 * The pods it may delete are taken, the first time a pass needs a victim,
 * with their keys into `cand`; each kind of victim query (below) has a
 * binary heap of indices into it, built on first use, and a deleted pod is
 * marked dead there rather than removed from every heap. So a reconcile
 * costs O(pods) plus O(log pods) per pod it creates or deletes, where it
 * used to scan every pod for each (ctl_visits in service_t counts the
 * work, for tests). */

enum { Q_ANY, Q_OLD_UNREADY, Q_OLD, Q_NEW, NQ };

typedef struct cand {
    pod_t *pod;
    vkey_t key;
    bool old, ready, dead;
} cand_t;

struct deployment_scratch {
    cand_t *cand;
    uint32_t ncand, cap;
    uint32_t *heap[NQ];
    uint32_t nheap[NQ];
    bool built[NQ];
};

typedef struct snap {
    int alive, alive_new, ready, ready_new, old_any;
    bool have_cand;
} snap_t;

static bool query_wants(int q, const cand_t *c)
{
    switch (q) {
    case Q_ANY: return true;
    case Q_OLD_UNREADY: return c->old && !c->ready;
    case Q_OLD: return c->old;
    default: return !c->old;
    }
}

static bool heap_less(service_t *s, uint32_t a, uint32_t b)
{
    s->ctl_visits++;
    return delete_before(&s->ctl->cand[a].key, &s->ctl->cand[b].key);
}

static void sift_down(service_t *s, uint32_t *h, uint32_t n, uint32_t i)
{
    for (;;) {
        uint32_t l = 2 * i + 1, m = i;
        if (l < n && heap_less(s, h[l], h[m]))
            m = l;
        if (l + 1 < n && heap_less(s, h[l + 1], h[m]))
            m = l + 1;
        if (m == i)
            return;
        uint32_t t = h[i];
        h[i] = h[m];
        h[m] = t;
        i = m;
    }
}

static void sift_up(service_t *s, uint32_t *h, uint32_t i)
{
    while (i > 0 && heap_less(s, h[i], h[(i - 1) / 2])) {
        uint32_t t = h[i];
        h[i] = h[(i - 1) / 2];
        h[(i - 1) / 2] = t;
        i = (i - 1) / 2;
    }
}

/* Room for n candidates (and their heap entries); false when memory ran out. */
static bool reserve(world_t *w, service_t *s, uint32_t n)
{
    struct deployment_scratch *x = s->ctl;
    if (!x && !(x = s->ctl = calloc(1, sizeof *x))) {
        world_fail(w, "out of memory (Deployment controller)");
        return false;
    }
    if (n <= x->cap)
        return true;
    uint32_t nc = x->cap ? x->cap : 16;
    while (nc < n)
        nc *= 2;
    cand_t *c = realloc(x->cand, nc * sizeof *c);
    if (c)
        x->cand = c;
    bool ok = c != NULL;
    for (int q = 0; q < NQ && ok; q++) {
        uint32_t *h = realloc(x->heap[q], nc * sizeof *h);
        if (h)
            x->heap[q] = h;
        ok = h != NULL;
    }
    if (!ok) {
        world_fail(w, "out of memory (Deployment controller)");
        return false;
    }
    x->cap = nc;
    return true;
}

/* Takes every pod that is not terminating as a candidate. */
static bool take_candidates(world_t *w, service_t *s, snap_t *sn)
{
    if (!reserve(w, s, s->npods))
        return false;
    struct deployment_scratch *x = s->ctl;
    x->ncand = 0;
    for (int q = 0; q < NQ; q++)
        x->built[q] = false, x->nheap[q] = 0;
    for (uint32_t i = 0; i < s->npods; i++) {
        pod_t *p = s->pods[i];
        s->ctl_visits++;
        if (p->phase == POD_TERMINATING)
            continue;
        x->cand[x->ncand++] = (cand_t){p, key_of(p), p->revision != s->revision, p->phase == POD_READY, false};
    }
    sn->have_cand = true;
    return true;
}

/* The pod to delete first among those query q admits, or -1. */
static int64_t victim(world_t *w, service_t *s, snap_t *sn, int q)
{
    if (!sn->have_cand && !take_candidates(w, s, sn))
        return -1;
    struct deployment_scratch *x = s->ctl;
    uint32_t *h = x->heap[q];
    if (!x->built[q]) {
        uint32_t n = 0;
        for (uint32_t i = 0; i < x->ncand; i++) {
            s->ctl_visits++;
            if (!x->cand[i].dead && query_wants(q, &x->cand[i]))
                h[n++] = i;
        }
        for (uint32_t i = n / 2; i-- > 0;)
            sift_down(s, h, n, i);
        x->nheap[q] = n;
        x->built[q] = true;
    }
    /* dead entries (deleted through another query) are dropped on the way */
    while (x->nheap[q] && x->cand[h[0]].dead) {
        h[0] = h[--x->nheap[q]];
        sift_down(s, h, x->nheap[q], 0);
    }
    return x->nheap[q] ? (int64_t)h[0] : -1;
}

/* Creates a pod of the current revision; false when memory ran out. */
static bool create(world_t *w, service_t *s, snap_t *sn)
{
    s->ctl_visits++;
    pod_t *p = service_pod_new(w, s, false, s->revision);
    if (!p)
        return false;
    sn->alive++;
    sn->alive_new++;
    if (sn->have_cand) {
        /* a candidate from now on, in the heaps already built */
        struct deployment_scratch *x = s->ctl;
        if (!reserve(w, s, x->ncand + 1))
            return false;
        uint32_t i = x->ncand++;
        x->cand[i] = (cand_t){p, key_of(p), false, p->phase == POD_READY, false};
        for (int q = 0; q < NQ; q++)
            if (x->built[q] && query_wants(q, &x->cand[i])) {
                x->heap[q][x->nheap[q]++] = i;
                sift_up(s, x->heap[q], x->nheap[q] - 1);
            }
    }
    return true;
}

/* Deletes the first victim of query q if there is one; true when it did. */
static bool delete_first(world_t *w, service_t *s, snap_t *sn, int q)
{
    int64_t i = victim(w, s, sn, q);
    if (i < 0)
        return false;
    cand_t *c = &s->ctl->cand[i];
    c->dead = true;
    bool ready = c->pod->phase == POD_READY, fresh = c->pod->revision == s->revision;
    bool gone = service_pod_delete(w, c->pod);
    sn->alive--;
    sn->ready -= ready;
    sn->alive_new -= fresh;
    sn->ready_new -= fresh && ready;
    sn->old_any -= gone && !fresh;
    return true;
}

static void rollout_done(world_t *w, service_t *s)
{
    s->rolling = false;
    if (w->now >= w->warmup) { /* counted as the summary counts: after warm-up */
        s->rollouts_done++;
        s->rollout_seconds += simtime_to_s(w->now - s->rollout_start);
    }
    char to[32];
    snprintf(to, sizeof to, "revision %d", s->revision);
    world_event(w, s->cfg->name, "deployment", "rolling", to, "RolloutComplete");
}

/* One pass of the Deployment controller; true when it created or deleted
 * a pod (another pass may then do more: a deletion frees surge room). */
static bool reconcile_once(world_t *w, service_t *s, snap_t *sn)
{
    int32_t D = s->desired;
    int alive = sn->alive, alive_new = sn->alive_new, ready = sn->ready, ready_new = sn->ready_new;
    if (!s->rolling) {
        if (alive < D)
            return create(w, s, sn);
        return alive > D && delete_first(w, s, sn, Q_ANY);
    }
    if (s->cfg->recreate) {
        /* Recreate: every old pod goes; the new ones start when the old
         * ones are gone (terminated, not only terminating) */
        if (delete_first(w, s, sn, Q_OLD))
            return true;
        if (sn->old_any)
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
            return create(w, s, sn);
        /* old pods that are not Ready are not available anyway, but they
         * go only as far as availability allows (cleanupUnhealthyReplicas,
         * maxScaledDown = all pods - minAvailable - new pods not yet
         * available): new pods still starting keep as many old ones */
        if (alive > alive_new && alive - (D - unavail) - (alive_new - ready_new) > 0 &&
            delete_first(w, s, sn, Q_OLD_UNREADY))
            return true;
        if (alive > alive_new && ready - 1 >= D - unavail && delete_first(w, s, sn, Q_OLD))
            return true;
    }
    if (alive_new < D && alive == alive_new)
        return create(w, s, sn);
    /* a smaller D during the rollout: new pods beyond it go too */
    if (alive_new > D)
        return delete_first(w, s, sn, Q_NEW);
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
    snap_t sn = {0};
    for (uint32_t i = 0; i < s->npods; i++) {
        const pod_t *p = s->pods[i];
        s->ctl_visits++;
        sn.old_any += p->revision != s->revision;
        if (p->phase == POD_TERMINATING)
            continue;
        sn.alive++;
        sn.ready += p->phase == POD_READY;
        if (p->revision == s->revision) {
            sn.alive_new++;
            sn.ready_new += p->phase == POD_READY;
        }
    }
    /* each pass creates or deletes one pod */
    for (int passes = 0; passes < 1000000 && !w->failed; passes++) {
        s->reconcile_again = false;
        if (!reconcile_once(w, s, &sn) && !s->reconcile_again)
            break;
    }
    s->in_reconcile = false;
}

void deployment_free(service_t *s)
{
    struct deployment_scratch *x = s->ctl;
    if (!x)
        return;
    free(x->cand);
    for (int q = 0; q < NQ; q++)
        free(x->heap[q]);
    free(x);
    s->ctl = NULL;
}

uint64_t deployment_visits(const service_t *s) { return s->ctl_visits; }

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
    world_event(w, s->cfg->name, "deployment", from, to, s->cfg->recreate ? "Recreate" : "RollingUpdate");
    deployment_reconcile(w, s);
}

/* qsort order of candidates: by revision, then in deletion order. */
static int by_revision_then_order(const void *pa, const void *pb)
{
    const cand_t *a = pa, *b = pb;
    if (a->pod->revision != b->pod->revision)
        return a->pod->revision < b->pod->revision ? -1 : 1;
    return delete_before(&a->key, &b->key) ? -1 : delete_before(&b->key, &a->key) ? 1 : 0;
}

typedef struct rs_group {
    int revision;
    int64_t tie;              /* among sets of one size, the larger first */
    uint32_t first, n, ready; /* candidates first .. first + n - 1 */
    int32_t size;             /* the size it is scaled to */
} rs_group_t;

/* ReplicaSetsBySizeNewer (scaling up) or BySizeOlder (down): larger first,
 * then the newer (up: tie = revision) or the older (down: -revision). */
static int by_size(const void *pa, const void *pb)
{
    const rs_group_t *a = pa, *b = pb;
    if (a->n != b->n)
        return a->n > b->n ? -1 : 1;
    return a->tie > b->tie ? -1 : a->tie < b->tie;
}

/* The Deployment controller's scale() when the desired replicas change in
 * the middle of a RollingUpdate (a scaling event; the rollout's own steps
 * wait for the next sync): with pods of more than one revision, and the new
 * one not saturated, the change is spread over the revisions' ReplicaSets in
 * proportion to their sizes, so that all of them together stay at
 * desired + maxSurge (GetProportion, getReplicaSetFraction: each set's size
 * x (D + surge) / (D0 + surge(D0)), the annotation of the size before,
 * rounded; the leftover to the first in size order, never below 0). Pods of
 * a revision are deleted in ActivePods order; an old revision scaled up gets
 * pods of its own revision. A scaling event is rare: this costs
 * O(pods log pods). */
static void scale_proportionally(world_t *w, service_t *s, int32_t D0)
{
    snap_t sn = {0};
    if (!take_candidates(w, s, &sn))
        return;
    struct deployment_scratch *x = s->ctl;
    if (x->ncand == 0)
        return;
    qsort(x->cand, x->ncand, sizeof *x->cand, by_revision_then_order);
    uint32_t ngroups = 1;
    for (uint32_t i = 1; i < x->ncand; i++)
        ngroups += x->cand[i].pod->revision != x->cand[i - 1].pod->revision;
    if (ngroups < 2)
        return; /* FindActiveOrLatest: one active set takes the new size, as a reconcile does */
    rs_group_t *g = malloc(ngroups * sizeof *g);
    if (!g) {
        world_fail(w, "out of memory (Deployment controller)");
        return;
    }
    ngroups = 0;
    for (uint32_t i = 0; i < x->ncand; i++) {
        if (i == 0 || x->cand[i].pod->revision != x->cand[i - 1].pod->revision)
            g[ngroups++] = (rs_group_t){x->cand[i].pod->revision, 0, i, 0, 0, 0};
        g[ngroups - 1].n++;
        g[ngroups - 1].ready += x->cand[i].ready;
    }
    int32_t D = s->desired, total = (int32_t)x->ncand;
    const rs_group_t *fresh = &g[ngroups - 1]; /* the highest revision */
    bool saturated = fresh->revision == s->revision && (int32_t)fresh->n == D && (int32_t)fresh->ready == D;
    int32_t allowed = D > 0 ? D + k8s_intstr_resolve(s->cfg->max_surge, D, true) : 0;
    int32_t to_add = allowed - total;
    if (saturated || to_add == 0) {
        free(g);
        return; /* (saturated: the old sets go to 0, as the reconcile deletes them) */
    }
    int32_t before = D0 > 0 ? D0 + k8s_intstr_resolve(s->cfg->max_surge, D0, true) : total;
    for (uint32_t k = 0; k < ngroups; k++)
        g[k].tie = to_add > 0 ? g[k].revision : -(int64_t)g[k].revision;
    qsort(g, ngroups, sizeof *g, by_size);
    int32_t added = 0;
    for (uint32_t k = 0; k < ngroups; k++) {
        int32_t n = (int32_t)g[k].n, prop = 0;
        if (n > 0 && to_add != added) {
            int32_t frac = D == 0 ? -n : (int32_t)floor((double)n * (double)allowed / (double)before + 0.5) - n;
            int32_t room = to_add - added;
            prop = to_add > 0 ? (frac < room ? frac : room) : (frac > room ? frac : room);
        }
        g[k].size = n + prop;
        added += prop;
    }
    g[0].size += to_add - added;
    if (g[0].size < 0)
        g[0].size = 0;
    /* nested reconciles (a deleted pod that goes at once) wait for the one after */
    s->in_reconcile = true;
    for (uint32_t k = 0; k < ngroups && !w->failed; k++) {
        for (int32_t i = g[k].size; i < (int32_t)g[k].n; i++) /* the first in deletion order */
            service_pod_delete(w, x->cand[g[k].first + (uint32_t)(i - g[k].size)].pod);
        for (int32_t i = (int32_t)g[k].n; i < g[k].size; i++) {
            if (!service_pod_new(w, s, false, g[k].revision))
                break;
        }
    }
    s->in_reconcile = false;
    free(g);
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
    int32_t before = s->desired;
    s->desired = desired;
    if (w->now >= w->warmup)
        s->scaling_events++;
    gauge_set(&s->desired_g, w->now, desired);
    if (s->rolling && !s->cfg->recreate && !s->in_reconcile)
        scale_proportionally(w, s, before);
    deployment_reconcile(w, s);
}
