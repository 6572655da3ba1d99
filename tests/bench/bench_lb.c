/* bench_lb: the cost of a pick of every load-balancer policy at 10, 100,
 * 1,000 and 10,000 members, as a ratio to `random` measured side by side.
 *
 * Workload, the same for every policy: a closed loop of 1.1 n requests in
 * flight. Each step picks a member for a client (drawn in advance from
 * 2^16 random ids), raises the member's load by one as the service does
 * (lb_set_active, so that least_connections' index hears of it) and ends
 * the oldest request in flight (its member's load down by one). So every
 * member is busy, as at utilisation 1.1, the case where least_connections
 * used to scan every member. The bookkeeping is in every policy's time, so
 * a ratio to random is the policy's own cost over the cheapest one's.
 * weighted_round_robin runs twice: equal weights (one group), and weights
 * 1, 2, 3, 4 in turn (four groups).
 *
 * Timing: thread CPU time. Each (policy, n) gets a number of picks that
 * takes about 20 ms; then 7 rounds, each measuring every policy once in
 * turn, and the median per policy. Also printed: the time of one `changed`
 * (a member joins a view of n), the one-off cost of the O(n) index builds.
 * Numbers only, never pass or fail.
 *
 * Built with -DBENCH_LB_OLD it compiles against the interface before the
 * indexed policies (changed returning nothing, no lb_set_active), to
 * measure the old policies with the same loop. */
#define _DEFAULT_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "models/lb.h"
#include "sim/rng.h"

#ifdef BENCH_LB_OLD
#define SET_ACTIVE(k, st, v, m, a) ((m)->active = (a))
#define CHANGED(k, st, v) ((k)->changed((st), (v)), 0)
#define FINI(k, st) ((void)0)
#define VIEW(m, n, cap) ((lb_view_t){(m), (n)})
#else
#define VIEW(m, n, cap) ((lb_view_t){(m), (n), (cap)})
#define SET_ACTIVE(k, st, v, m, a) lb_set_active((k), (st), (v), (m), (a))
#define CHANGED(k, st, v) ((k)->changed((st), (v)))
#define FINI(k, st) lb_fini((k), (st))
#endif

enum { NCLIENTS = 1 << 16, ROUNDS = 7, MAXPOL = 8 };

static double cpu_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

typedef struct {
    const char *label;
    const lb_kind_t *kind;
    int weights; /* 0: all 1; 1: 1, 2, 3, 4 in turn */
} pol_t;

typedef struct {
    const lb_kind_t *kind;
    void *st;
    lb_member_t *m;
    lb_member_t **ptr;
    lb_view_t view;
    uint32_t n, inflight, head; /* ring of the members of requests in flight */
    uint32_t *ring;
    rng_t *r;
} run_t;

static uint32_t clients[NCLIENTS];

static int run_init(run_t *x, const pol_t *p, uint32_t n)
{
    memset(x, 0, sizeof *x);
    x->kind = p->kind;
    x->n = n;
    x->inflight = n + n / 10;
    x->m = calloc(n + 1, sizeof *x->m);
    x->ptr = calloc(n + 1, sizeof *x->ptr);
    x->ring = calloc(x->inflight, sizeof *x->ring);
    x->st = calloc(1, p->kind->state_size + 1);
    x->r = rng_new(1, "bench.lb");
    if (!x->m || !x->ptr || !x->ring || !x->st || !x->r)
        return -1;
    for (uint32_t i = 0; i <= n; i++) {
        x->m[i].uid = 1000 + 3 * i;
        x->m[i].weight = p->weights ? 1 + i % 4 : 1;
        x->ptr[i] = &x->m[i];
    }
    /* capacity: a service at its most replicas n, with Kubernetes' default
     * 25% surge (what a service tells its balancer: service_most_pods) */
    x->view = VIEW(x->ptr, n, n + (n + 3) / 4);
    if (CHANGED(x->kind, x->st, &x->view) != 0)
        return -1;
    /* fill the loop: 1.1 n requests placed by the policy */
    for (uint32_t k = 0; k < x->inflight; k++) {
        uint32_t i = x->kind->pick(x->st, &x->view, clients[k % NCLIENTS], x->r);
        SET_ACTIVE(x->kind, x->st, &x->view, x->ptr[i], x->ptr[i]->active + 1);
        x->ring[k] = i;
    }
    return 0;
}

static void run_free(run_t *x)
{
    if (x->st)
        FINI(x->kind, x->st);
    free(x->st), free(x->m), free(x->ptr), free(x->ring);
    rng_free(x->r);
}

/* ns per step over `steps` steps */
static double run_steps(run_t *x, uint64_t steps)
{
    const lb_kind_t *k = x->kind;
    uint32_t head = x->head, c = head;
    double t0 = cpu_s();
    for (uint64_t s = 0; s < steps; s++) {
        uint32_t i = k->pick(x->st, &x->view, clients[c++ & (NCLIENTS - 1)], x->r);
        lb_member_t *m = x->ptr[i];
        SET_ACTIVE(k, x->st, &x->view, m, m->active + 1);
        lb_member_t *old = x->ptr[x->ring[head]];
        SET_ACTIVE(k, x->st, &x->view, old, old->active - 1);
        x->ring[head] = i;
        head = head + 1 == x->inflight ? 0 : head + 1;
    }
    double t = cpu_s() - t0;
    x->head = head;
    return t * 1e9 / (double)steps;
}

/* microseconds of one `changed` when member n joins a view of n */
static double changed_us(const pol_t *p, uint32_t n)
{
    run_t x;
    if (run_init(&x, p, n) != 0) {
        run_free(&x);
        return -1;
    }
    x.view.n = n + 1;
    double t0 = cpu_s();
    int rc = CHANGED(x.kind, x.st, &x.view);
    double t = cpu_s() - t0;
    run_free(&x);
    return rc ? -1 : t * 1e6;
}

static int dcmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(void)
{
    static const uint32_t sizes[] = {10, 100, 1000, 10000};
    const pol_t pols[] = {
        {"random", &lb_random, 0},
        {"round_robin", &lb_round_robin, 0},
        {"power_of_two", &lb_power_of_two, 0},
        {"least_connections", &lb_least_connections, 0},
        {"ip_hash", &lb_ip_hash, 0},
        {"weighted_round_robin", &lb_weighted_round_robin, 0},
        {"weighted_rr (w 1,2,3,4)", &lb_weighted_round_robin, 1},
    };
    const size_t np = sizeof pols / sizeof pols[0];
    for (uint32_t i = 0; i < NCLIENTS; i++)
        clients[i] = (uint32_t)(rng_mix64(i + 1) >> 32);

    printf("bench_lb: ns per pick (pick + load up + oldest request's load down, 1.1 n in flight),\n"
           "median of %d rounds; x = ratio to random in the same round set; changed = one member joins\n",
           ROUNDS);
    for (size_t si = 0; si < sizeof sizes / sizeof sizes[0]; si++) {
        uint32_t n = sizes[si];
        run_t x[MAXPOL];
        uint64_t steps[MAXPOL];
        double ns[MAXPOL][ROUNDS];
        for (size_t p = 0; p < np; p++) {
            if (run_init(&x[p], &pols[p], n) != 0) {
                fprintf(stderr, "bench_lb: out of memory\n");
                return 1;
            }
            /* calibrate: about 20 ms a measurement */
            steps[p] = 1000;
            while (steps[p] < (1u << 30)) {
                double t = run_steps(&x[p], steps[p]) * (double)steps[p] * 1e-9;
                if (t > 0.02)
                    break;
                steps[p] *= t < 0.002 ? 8 : 2;
            }
        }
        for (int round = 0; round < ROUNDS; round++)
            for (size_t p = 0; p < np; p++)
                ns[p][round] = run_steps(&x[p], steps[p]);
        double med[MAXPOL];
        for (size_t p = 0; p < np; p++) {
            qsort(ns[p], ROUNDS, sizeof ns[p][0], dcmp);
            med[p] = ns[p][ROUNDS / 2];
        }
        printf("\nn = %u\n", n);
        printf("  %-24s %10s %8s %12s\n", "policy", "ns/pick", "x random", "changed us");
        for (size_t p = 0; p < np; p++) {
            printf("  %-24s %10.1f %8.2f %12.1f\n", pols[p].label, med[p], med[p] / med[0], changed_us(&pols[p], n));
            run_free(&x[p]);
        }
        fflush(stdout);
    }
    return 0;
}
