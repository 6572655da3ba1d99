/* Unit tests of the load-balancer policies (models/lb.h, models/lb_*.c).
 *
 * Each test builds a view over its own array of members (pods), as the
 * service does:
 * allocate state_size zeroed bytes, call changed(), then pick(). Pod uids
 * are 100 + index, so that a policy confusing a pod's uid with its position
 * in the view is caught when the view is reordered or shrunk.
 *
 * Statistical checks: a count that is Binomial(N, p) under a correct policy
 * must lie within 5 standard deviations sqrt(N p (1-p)) of N p (normal
 * approximation; a correct policy fails one such check with probability
 * ~6e-7, and the seeds are fixed). For ip_hash the "randomness" is the hash
 * of (client, uid); the binomial model is the ideal of a uniform hash. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "models/lb.h"
#include "models/service.h"
#include "sim/rng.h"

#define MAXP 16

typedef struct bed {
    lb_member_t pods[MAXP];
    lb_member_t *ptr[MAXP];
    lb_view_t view;
    const lb_kind_t *kind;
    void *state;
} bed_t;

/* n pods with uids 100.., weight 1, idle; the view holds all of them. */
static void bed_init(bed_t *b, const char *policy, uint32_t n)
{
    memset(b, 0, sizeof *b);
    b->kind = lb_find(policy);
    assert_non_null(b->kind);
    for (uint32_t i = 0; i < n; i++) {
        b->pods[i].uid = 100 + i;
        b->pods[i].weight = 1;
        b->ptr[i] = &b->pods[i];
    }
    b->view = (lb_view_t){b->ptr, n};
    b->state = calloc(1, b->kind->state_size + 1);
    assert_non_null(b->state);
    assert_int_equal(b->kind->changed(b->state, &b->view), 0);
}

static uint32_t bed_pick(bed_t *b, uint32_t client, rng_t *r)
{
    uint32_t i = b->kind->pick(b->state, &b->view, client, r);
    assert_true(i < b->view.n);
    return i;
}

/* Pod i's load, set as the core sets it (the policy is told). */
static void bed_set(bed_t *b, uint32_t i, int active)
{
    lb_set_active(b->kind, b->state, &b->view, &b->pods[i], active);
}

static void bed_free(bed_t *b)
{
    lb_fini(b->kind, b->state);
    free(b->state);
}

static void check_binomial(const char *what, long count, long n, double p)
{
    double sd = sqrt((double)n * p * (1 - p));
    if (!(fabs((double)count - (double)n * p) <= 5 * sd)) {
        print_error("%s: count %ld, expected %.1f +- 5*%.1f\n", what, count, (double)n * p, sd);
        fail();
    }
}

/* Pearson's statistic of counts cnt[0..n) of C clients against 1/n each:
 * chi-square with n - 1 degrees of freedom for a policy that balances
 * exactly (ip_hash's AnchorHash: every pod a 1/n share of the hash space).
 * Checked for n >= 30, where k + 6 sqrt(2k) bounds it (normal
 * approximation; the Wilson-Hilferty tail there is below 1e-5). */
static void check_even(const char *what, const long *cnt, uint32_t n, long C)
{
    if (n < 30)
        return;
    double e = (double)C / n, chi = 0;
    for (uint32_t i = 0; i < n; i++)
        chi += ((double)cnt[i] - e) * ((double)cnt[i] - e) / e;
    double k = n - 1;
    if (!(chi <= k + 6 * sqrt(2 * k))) {
        print_error("%s: chi-square %.1f on %.0f degrees of freedom, above %.1f\n", what, chi, k, k + 6 * sqrt(2 * k));
        fail();
    }
}

static void test_find(void **state)
{
    (void)state;
    static const char *const names[] = {"round_robin", "least_connections",    "ip_hash",
                                        "weighted_round_robin", "random", "power_of_two"};
    const lb_kind_t *const syms[] = {&lb_round_robin, &lb_least_connections, &lb_ip_hash,
                                     &lb_weighted_round_robin, &lb_random, &lb_power_of_two};
    for (size_t i = 0; i < 6; i++) {
        const lb_kind_t *k = lb_find(names[i]);
        assert_ptr_equal(k, syms[i]);
        assert_string_equal(k->name, names[i]);
        assert_non_null(k->changed);
        assert_non_null(k->pick);
    }
    assert_null(lb_find("rr"));
    assert_null(lb_find(""));
    assert_null(lb_find("Round_Robin"));
    assert_null(lb_find("round_robin "));
    size_t n;
    const lb_kind_t *const *all = lb_all(&n);
    assert_int_equal(n, 6);
    char buf[256];
    lb_names(buf, sizeof buf);
    for (size_t i = 0; i < n; i++) {
        assert_ptr_equal(lb_find(all[i]->name), all[i]);
        assert_non_null(strstr(buf, all[i]->name));
    }
    /* a short buffer is truncated, not overrun */
    char small[12];
    memset(small, 'x', sizeof small);
    lb_names(small, 8);
    assert_int_equal(strlen(small), 7);
    assert_int_equal(small[8], 'x');
}

static void test_round_robin(void **state)
{
    (void)state;
    bed_t b;
    bed_init(&b, "round_robin", 3);
    for (uint32_t k = 0; k < 9; k++)
        assert_int_equal(bed_pick(&b, k, NULL), k % 3);
    /* after 4 picks the cursor is at 1; a view of 2 pods keeps it modulo 2:
     * 1, 0, 1, ... (the rotation goes on) */
    assert_int_equal(bed_pick(&b, 0, NULL), 0);
    b.view.n = 2;
    assert_int_equal(b.kind->changed(b.state, &b.view), 0);
    assert_int_equal(bed_pick(&b, 0, NULL), 1);
    assert_int_equal(bed_pick(&b, 0, NULL), 0);
    assert_int_equal(bed_pick(&b, 0, NULL), 1);
    /* one pod: always it */
    b.view.n = 1;
    assert_int_equal(b.kind->changed(b.state, &b.view), 0);
    for (int k = 0; k < 5; k++)
        assert_int_equal(bed_pick(&b, 0, NULL), 0);
    bed_free(&b);
}

static void test_least_connections(void **state)
{
    (void)state;
    bed_t b;
    bed_init(&b, "least_connections", 3);
    /* a unique minimum wins, every time */
    bed_set(&b, 0, 3), bed_set(&b, 1, 1), bed_set(&b, 2, 2);
    for (int k = 0; k < 5; k++)
        assert_int_equal(bed_pick(&b, 0, NULL), 1);
    /* idle: ties go round, not always to pod 0 */
    bed_set(&b, 0, 0), bed_set(&b, 1, 0), bed_set(&b, 2, 0);
    uint32_t first = bed_pick(&b, 0, NULL);
    for (uint32_t k = 1; k < 7; k++)
        assert_int_equal(bed_pick(&b, 0, NULL), (first + k) % 3);
    /* a tie between pods 1 and 2 (pod 0 busier): they alternate */
    bed_set(&b, 0, 5), bed_set(&b, 1, 1), bed_set(&b, 2, 1);
    uint32_t p = bed_pick(&b, 0, NULL);
    assert_true(p == 1 || p == 2);
    for (int k = 0; k < 6; k++) {
        uint32_t q = bed_pick(&b, 0, NULL);
        assert_int_equal(q, p == 1 ? 2 : 1);
        p = q;
    }
    /* the core adds the request to the pod: an idle service spreads evenly */
    bed_set(&b, 0, 0), bed_set(&b, 1, 0), bed_set(&b, 2, 0);
    for (int k = 0; k < 30; k++)
        {
            uint32_t q = bed_pick(&b, 0, NULL);
            bed_set(&b, q, b.pods[q].active + 1);
        }
    for (int i = 0; i < 3; i++)
        assert_int_equal(b.pods[i].active, 10);
    bed_free(&b);

    /* a view that shrank below the cursor */
    bed_init(&b, "least_connections", 3);
    (void)bed_pick(&b, 0, NULL), (void)bed_pick(&b, 0, NULL); /* cursor at 2 */
    b.view.n = 2;
    assert_int_equal(b.kind->changed(b.state, &b.view), 0);
    uint32_t prev = bed_pick(&b, 0, NULL);
    assert_true(prev < 2);
    for (int k = 0; k < 4; k++) {           /* idle: the two take turns */
        uint32_t q = bed_pick(&b, 0, NULL);
        assert_int_equal(q, 1 - prev);
        prev = q;
    }
    bed_free(&b);
}

/* The pick has the least `active` of all ready pods, whatever the cursor. */
static void test_least_connections_always_min(void **state)
{
    (void)state;
    bed_t b;
    /* By hand: fresh state (cursor 0), loads (2, 1, 0). The scan from the
     * cursor sees 2, then 1, then 0: pod 2 is the only idle one.
     * (A scan from the moving `best` rather than from the start would visit
     * pod 0 twice and never pod 2.) */
    bed_init(&b, "least_connections", 3);
    bed_set(&b, 0, 2), bed_set(&b, 1, 1), bed_set(&b, 2, 0);
    uint32_t hand = bed_pick(&b, 0, NULL);
    bed_free(&b);

    /* random loads in {0,1,2} on 7 pods, 20000 picks (the cursor moves
     * around): the chosen pod's load must be the minimum every time, and
     * every pod must win some ties */
    bed_init(&b, "least_connections", 7);
    rng_t *r = rng_new(5, "test.lc");
    long hits[7] = {0}, wrong = 0;
    for (int it = 0; it < 20000; it++) {
        int mn = 1 << 30;
        for (int i = 0; i < 7; i++) {
            bed_set(&b, (uint32_t)i, (int)rng_below(r, 3));
            mn = b.pods[i].active < mn ? b.pods[i].active : mn;
        }
        uint32_t q = bed_pick(&b, 0, NULL);
        if (b.pods[q].active != mn && wrong++ < 3)
            print_error("pick %d: pod %u has %d active, the least is %d\n", it, q, b.pods[q].active, mn);
        hits[q]++;
    }
    for (int i = 0; i < 7; i++)
        assert_true(hits[i] > 0);
    rng_free(r);
    bed_free(&b);
    if (wrong)
        print_error("%ld of 20000 picks were not a least-loaded pod\n", wrong);
    assert_int_equal(hand, 2);
    assert_int_equal(wrong, 0);
}

static void test_weighted_round_robin(void **state)
{
    (void)state;
    bed_t b;
    bed_init(&b, "weighted_round_robin", 3);
    b.pods[0].weight = 5, b.pods[1].weight = 1, b.pods[2].weight = 1;
    assert_int_equal(b.kind->changed(b.state, &b.view), 0);
    /* nginx smooth WRR by hand, weights (5,1,1), total 7. Each step adds the
     * weights to the current values, picks the largest (first on a tie) and
     * subtracts 7 from it:
     *   (0,0,0)  +w (5,1,1)  pick a -> (-2,1,1)
     *            +w (3,2,2)  pick a -> (-4,2,2)
     *            +w (1,3,3)  pick b -> (1,-4,3)
     *            +w (6,-3,4) pick a -> (-1,-3,4)
     *            +w (4,-2,5) pick c -> (4,-2,-2)
     *            +w (9,-1,-1) pick a -> (2,-1,-1)
     *            +w (7,0,0)  pick a -> (0,0,0)   back to the start
     * so a a b a c a a, repeating every 7 picks. */
    static const uint32_t seq571[7] = {0, 0, 1, 0, 2, 0, 0};
    long cnt[3] = {0};
    for (int k = 0; k < 21; k++) {
        uint32_t i = bed_pick(&b, 0, NULL);
        assert_int_equal(i, seq571[k % 7]);
        cnt[i]++;
    }
    assert_int_equal(cnt[0], 15), assert_int_equal(cnt[1], 3), assert_int_equal(cnt[2], 3);
    /* changed() restarts the cycle */
    (void)bed_pick(&b, 0, NULL), (void)bed_pick(&b, 0, NULL), (void)bed_pick(&b, 0, NULL);
    assert_int_equal(b.kind->changed(b.state, &b.view), 0);
    for (int k = 0; k < 7; k++)
        assert_int_equal(bed_pick(&b, 0, NULL), seq571[k]);
    bed_free(&b);

    /* fractional weights (2.5, 1), total 3.5:
     *   (0,0)    +w (2.5,1)    pick a -> (-1,1)
     *            +w (1.5,2)    pick b -> (1.5,-1.5)
     *            +w (4,-0.5)   pick a -> (0.5,-0.5)
     *            +w (3,0.5)    pick a -> (-0.5,0.5)
     *            +w (2,1.5)    pick a -> (-1.5,1.5)
     *            +w (1,2.5)    pick b -> (1,-1)
     *            +w (3.5,0)    pick a -> (0,0)
     * so a b a a a b a: 5 and 2 in 7 picks, the ratio 2.5 : 1. (All these
     * values are multiples of 0.5: exact in binary floating point.) */
    bed_init(&b, "weighted_round_robin", 2);
    b.pods[0].weight = 2.5, b.pods[1].weight = 1;
    assert_int_equal(b.kind->changed(b.state, &b.view), 0);
    static const uint32_t seq25[7] = {0, 1, 0, 0, 0, 1, 0};
    for (int k = 0; k < 14; k++)
        assert_int_equal(bed_pick(&b, 0, NULL), seq25[k % 7]);
    bed_free(&b);

    /* any weights: over sum(w) picks each pod is chosen exactly w times */
    bed_init(&b, "weighted_round_robin", 5);
    static const double w[5] = {3, 1, 4, 1, 5};
    for (int i = 0; i < 5; i++)
        b.pods[i].weight = w[i];
    assert_int_equal(b.kind->changed(b.state, &b.view), 0);
    long c5[5] = {0};
    for (int k = 0; k < 14 * 3; k++)
        c5[bed_pick(&b, 0, NULL)]++;
    for (int i = 0; i < 5; i++)
        assert_int_equal(c5[i], (long)w[i] * 3);
    bed_free(&b);
}

static void test_ip_hash(void **state)
{
    (void)state;
    enum { C = 10000, N = 5 };
    bed_t b;
    bed_init(&b, "ip_hash", N + 1);
    b.view.n = N; /* pods 0..4 ready; pod 5 (uid 105) joins later */
    assert_int_equal(b.kind->changed(b.state, &b.view), 0);
    static uint32_t before[C], mid[C];
    long per_pod[N] = {0};
    for (uint32_t c = 0; c < C; c++) {
        before[c] = b.view.members[bed_pick(&b, c, NULL)]->uid;
        per_pod[before[c] - 100]++;
    }
    /* sticky: the same client again, after others, maps to the same pod */
    for (uint32_t c = 0; c < C; c += 7)
        assert_int_equal(b.view.members[bed_pick(&b, c, NULL)]->uid, before[c]);
    /* and spread: each pod Binomial(C, 1/N) clients (exact balance) */
    for (int i = 0; i < N; i++)
        check_binomial("ip_hash share", per_pod[i], C, 1.0 / N);

    /* the mapping is by uid, not position: the reversed view agrees */
    lb_member_t *rev[N];
    for (int i = 0; i < N; i++)
        rev[i] = &b.pods[N - 1 - i];
    lb_view_t rv = {rev, N, 0};
    assert_int_equal(b.kind->changed(b.state, &rv), 0);
    for (uint32_t c = 0; c < C; c += 3)
        assert_int_equal(rv.members[b.kind->pick(b.state, &rv, c, NULL)]->uid, before[c]);

    /* remove pod uid 102 (a view without it): only its clients move, evenly
     * to the 4 others */
    lb_member_t *less[N - 1];
    for (int i = 0, k = 0; i < N; i++)
        if (i != 2)
            less[k++] = &b.pods[i];
    lb_view_t lv = {less, N - 1, 0};
    assert_int_equal(b.kind->changed(b.state, &lv), 0);
    long moved = 0, to[N] = {0};
    for (uint32_t c = 0; c < C; c++) {
        uint32_t u = mid[c] = lv.members[b.kind->pick(b.state, &lv, c, NULL)]->uid;
        assert_true(u != 102);
        if (before[c] != 102)
            assert_int_equal(u, before[c]);
        else
            moved++, to[u - 100]++;
    }
    assert_int_equal(moved, per_pod[2]);
    for (int i = 0; i < N; i++)
        if (i != 2)
            check_binomial("ip_hash moved from the leaving pod", to[i], moved, 1.0 / (N - 1));

    /* add pod uid 105: clients move only to it, Binomial(C, 1/N) of them;
     * it takes the bucket 102 left, so exactly 102's clients */
    b.view.members[2] = &b.pods[5]; /* the view: 100, 101, 105, 103, 104 */
    b.view.n = N;
    assert_int_equal(b.kind->changed(b.state, &b.view), 0);
    moved = 0;
    for (uint32_t c = 0; c < C; c++) {
        uint32_t u = b.view.members[bed_pick(&b, c, NULL)]->uid;
        if (u != mid[c]) {
            assert_int_equal(u, 105);
            moved++;
        }
        assert_int_equal(u, before[c] == 102 ? 105 : before[c]);
    }
    check_binomial("ip_hash moved to the new pod", moved, C, 1.0 / N);
    bed_free(&b);
}

static void test_random(void **state)
{
    (void)state;
    enum { P = 100000, N = 4 };
    bed_t b;
    bed_init(&b, "random", N);
    rng_t *r = rng_new(77, "test.lb.random");
    long cnt[N] = {0};
    for (int k = 0; k < P; k++)
        cnt[bed_pick(&b, (uint32_t)k, r)]++;
    for (int i = 0; i < N; i++)
        check_binomial("random share", cnt[i], P, 1.0 / N);
    /* one pod: always it */
    b.view.n = 1;
    for (int k = 0; k < 10; k++)
        assert_int_equal(bed_pick(&b, 0, r), 0);
    /* same stream, same picks */
    rng_t *r1 = rng_new(9, "x"), *r2 = rng_new(9, "x");
    b.view.n = N;
    for (int k = 0; k < 100; k++)
        assert_int_equal(bed_pick(&b, 0, r1), bed_pick(&b, 0, r2));
    rng_free(r), rng_free(r1), rng_free(r2);
    bed_free(&b);
}

static void test_power_of_two(void **state)
{
    (void)state;
    enum { P = 100000 };
    bed_t b;
    rng_t *r = rng_new(2024, "test.lb.p2");

    /* two pods, one loaded: the idle one, always (whichever side) */
    bed_init(&b, "power_of_two", 2);
    bed_set(&b, 0, 10), bed_set(&b, 1, 0);
    for (int k = 0; k < 1000; k++)
        assert_int_equal(bed_pick(&b, 0, r), 1);
    bed_set(&b, 0, 0), bed_set(&b, 1, 10);
    for (int k = 0; k < 1000; k++)
        assert_int_equal(bed_pick(&b, 0, r), 0);
    bed_free(&b);

    /* five pods, pod 3 heavily loaded: never chosen (its partner is always
     * another, idle pod); by symmetry the idle four share evenly */
    bed_init(&b, "power_of_two", 5);
    bed_set(&b, 3, 100);
    long cnt[5] = {0};
    for (int k = 0; k < P; k++)
        cnt[bed_pick(&b, 0, r)]++;
    assert_int_equal(cnt[3], 0);
    for (int i = 0; i < 5; i++)
        if (i != 3)
            check_binomial("p2 idle share", cnt[i], P, 0.25);

    /* distinct loads 0 < 1 < 2 < 3 < 4: the pair is a uniform 2-subset of
     * the 5 pods (C(5,2) = 10 of them) and the less loaded wins, so pod i
     * is chosen when paired with one of the 4 - i busier pods:
     * P(i) = (4 - i)/10 = .4, .3, .2, .1, 0. */
    for (int i = 0; i < 5; i++)
        bed_set(&b, i, i);
    memset(cnt, 0, sizeof cnt);
    for (int k = 0; k < P; k++)
        cnt[bed_pick(&b, 0, r)]++;
    assert_int_equal(cnt[4], 0);
    for (int i = 0; i < 4; i++)
        check_binomial("p2 ranked share", cnt[i], P, (4 - i) / 10.0);

    /* equal loads: uniform */
    for (int i = 0; i < 5; i++)
        bed_set(&b, i, 2);
    memset(cnt, 0, sizeof cnt);
    for (int k = 0; k < P; k++)
        cnt[bed_pick(&b, 0, r)]++;
    for (int i = 0; i < 5; i++)
        check_binomial("p2 equal-load share", cnt[i], P, 0.2);

    /* one pod: it, without drawing */
    b.view.n = 1;
    assert_int_equal(bed_pick(&b, 0, r), 0);
    rng_free(r);
    bed_free(&b);
}

/* ---- the indexed policies against their definitions ----------------------
 * A pool of M members and a view over a random subset of them in a random
 * order, changed now and then as a service's ready set changes. */

typedef struct mpool {
    uint32_t m;
    lb_member_t *pods;
    lb_member_t **ptr;
    lb_view_t view;
} mpool_t;

static void mpool_init(mpool_t *p, uint32_t m)
{
    p->m = m;
    p->pods = calloc(m, sizeof *p->pods);
    p->ptr = calloc(m, sizeof *p->ptr);
    assert_true(p->pods && p->ptr);
    for (uint32_t i = 0; i < m; i++) {
        p->pods[i].uid = 1000 + 7 * i;
        p->pods[i].weight = 1;
        p->ptr[i] = &p->pods[i];
    }
    p->view = (lb_view_t){p->ptr, m};
}

static void mpool_free(mpool_t *p) { free(p->pods), free(p->ptr); }

/* A view of n members: a random subset in a random order. */
static void mpool_shuffle(mpool_t *p, uint32_t n, rng_t *r)
{
    for (uint32_t i = 0; i < p->m; i++)
        p->ptr[i] = &p->pods[i];
    for (uint32_t i = 0; i < n; i++) {
        uint32_t j = i + rng_below(r, p->m - i);
        lb_member_t *t = p->ptr[i];
        p->ptr[i] = p->ptr[j], p->ptr[j] = t;
    }
    p->view.n = n;
}

static void *state_new(const lb_kind_t *k, const lb_view_t *v)
{
    void *st = calloc(1, k->state_size + 1);
    assert_non_null(st);
    assert_int_equal(k->changed(st, v), 0);
    return st;
}

static void state_free(const lb_kind_t *k, void *st)
{
    lb_fini(k, st);
    free(st);
}

/* The old least_connections, a scan from the rotating start: the reference. */
static uint32_t ref_lc_pick(uint32_t *start, const lb_view_t *v)
{
    uint32_t n = v->n, s = *start < n ? *start : 0, best = s;
    for (uint32_t k = 1; k < n; k++) {
        uint32_t i = s + k < n ? s + k : s + k - n;
        if (v->members[i]->active < v->members[best]->active)
            best = i;
    }
    *start = best + 1 == n ? 0 : best + 1;
    return best;
}

/* 400,000 random steps on up to 300 members: a change of the view (about
 * 1 in 100: sizes 1 to 300, new order), a change of any member's load (in
 * the view or not, to a small value so that ties abound, or by one), or a
 * pick, then mostly the picked member's load up by one as the core does.
 * Every pick must be the scan's. */
static void test_least_connections_vs_scan(void **state)
{
    (void)state;
    enum { M = 300, STEPS = 400000 };
    const lb_kind_t *k = &lb_least_connections;
    rng_t *r = rng_new(11, "test.lc.ref");
    mpool_t p;
    mpool_init(&p, M);
    mpool_shuffle(&p, 37, r);
    void *st = state_new(k, &p.view);
    uint32_t ref_start = 0;
    long picks = 0, changes = 0, mismatches = 0;
    for (int it = 0; it < STEPS; it++) {
        uint32_t u = rng_below(r, 100);
        if (u == 0) {
            uint32_t n = rng_below(r, 4) == 0 ? 1 + rng_below(r, 3) : 1 + rng_below(r, M);
            mpool_shuffle(&p, n, r);
            assert_int_equal(k->changed(st, &p.view), 0);
            ref_start %= n;
            changes++;
        } else if (u < 45) {
            lb_member_t *m = &p.pods[rng_below(r, M)];
            int a = rng_below(r, 3) ? m->active + (rng_below(r, 2) ? 1 : -1) : (int)rng_below(r, 5);
            lb_set_active(k, st, &p.view, m, a < 0 ? 0 : a);
        } else {
            uint32_t want = ref_lc_pick(&ref_start, &p.view);
            uint32_t got = k->pick(st, &p.view, 0, NULL);
            if (got != want && mismatches++ < 3)
                print_error("step %d: picked %u, the scan picks %u (n %u)\n", it, got, want, p.view.n);
            picks++;
            if (rng_below(r, 10) < 7)
                lb_set_active(k, st, &p.view, p.view.members[got], p.view.members[got]->active + 1);
        }
    }
    assert_true(picks > 200000 && changes > 3000);
    assert_int_equal(mismatches, 0);
    state_free(k, st);
    mpool_free(&p);
    rng_free(r);
}

/* nginx's smooth weighted round robin as it was, a scan: the reference.
 * cur[] is indexed by pool position (the member's scratch). */
static uint32_t ref_wrr_pick(double *cur, const mpool_t *p)
{
    double total = 0;
    uint32_t best = 0;
    for (uint32_t i = 0; i < p->view.n; i++) {
        uint32_t id = (uint32_t)(p->view.members[i] - p->pods);
        cur[id] += p->view.members[i]->weight;
        total += p->view.members[i]->weight;
        if (cur[id] > cur[p->view.members[best] - p->pods])
            best = i;
    }
    cur[p->view.members[best] - p->pods] -= total;
    return best;
}

static void ref_wrr_changed(double *cur, const mpool_t *p)
{
    for (uint32_t i = 0; i < p->view.n; i++)
        cur[p->view.members[i] - p->pods] = 0;
}

/* Pick for pick the same as the scan: weights drawn from a few values
 * (integers and halves, exact in binary), views changed about every 300
 * picks; then one weight for all (round robin from the first pod) and
 * all weights distinct (one group per pod). */
static void test_weighted_round_robin_vs_nginx(void **state)
{
    (void)state;
    enum { M = 60, STEPS = 300000 };
    static const double values[] = {1, 2, 3, 5, 0.5, 2.5, 1, 1};
    const lb_kind_t *k = &lb_weighted_round_robin;
    rng_t *r = rng_new(12, "test.wrr.ref");
    mpool_t p;
    mpool_init(&p, M);
    static double cur[M];
    for (int round = 0; round < 3; round++) {
        for (uint32_t i = 0; i < M; i++)
            p.pods[i].weight = round == 0 ? values[rng_below(r, 8)] : round == 1 ? 1.0 : 1.0 + i;
        mpool_shuffle(&p, 1 + rng_below(r, M), r);
        void *st = state_new(k, &p.view);
        ref_wrr_changed(cur, &p);
        long mismatches = 0;
        for (int it = 0; it < STEPS; it++) {
            if (rng_below(r, 300) == 0) {
                mpool_shuffle(&p, 1 + rng_below(r, M), r);
                assert_int_equal(k->changed(st, &p.view), 0);
                ref_wrr_changed(cur, &p);
            }
            uint32_t want = ref_wrr_pick(cur, &p), got = k->pick(st, &p.view, 0, NULL);
            if (got != want && mismatches++ < 3)
                print_error("round %d step %d: picked %u, nginx picks %u\n", round, it, got, want);
        }
        assert_int_equal(mismatches, 0);
        if (round == 1) { /* equal weights: round robin from the first pod, restarted by changed */
            assert_int_equal(k->changed(st, &p.view), 0);
            for (uint32_t i = 0; i < 3 * p.view.n; i++)
                assert_int_equal(k->pick(st, &p.view, 0, NULL), i % p.view.n);
        }
        state_free(k, st);
    }
    mpool_free(&p);
    rng_free(r);
}

/* Shares and smoothness. With exact arithmetic, after k picks member i's
 * current weight is cur_i = k w_i - W c_i (c_i its picks so far), and the
 * current weights sum to 0 after every pick. Right after the additions they
 * sum to W, so the largest is >= W/n and the picked member drops to more
 * than W/n - W > -W; a current weight only drops when picked, hence
 * cur_i > -W at all times: d_i = c_i - k w_i / W = -cur_i / W < 1 (never a
 * whole pick ahead of its share). The d_i sum to 0, so d_i > -(n - 1).
 * And every W picks (integer weights) the current weights are all 0 again
 * (Tijdeman-style cycle): c_i = w_i exactly per cycle. Checked after every
 * pick for 20 cycles of random integer weights on 2 to 24 members. */
static void test_weighted_round_robin_smooth(void **state)
{
    (void)state;
    enum { M = 24 };
    const lb_kind_t *k = &lb_weighted_round_robin;
    rng_t *r = rng_new(13, "test.wrr.smooth");
    mpool_t p;
    mpool_init(&p, M);
    double worst_ahead = -1e9, worst_behind = 1e9;
    for (int trial = 0; trial < 40; trial++) {
        uint32_t n = 2 + rng_below(r, M - 1);
        long W = 0;
        for (uint32_t i = 0; i < M; i++)
            p.pods[i].weight = 1 + rng_below(r, trial % 2 ? 3 : 12);
        mpool_shuffle(&p, n, r);
        for (uint32_t i = 0; i < n; i++)
            W += (long)p.view.members[i]->weight;
        void *st = state_new(k, &p.view);
        long c[M] = {0};
        for (long kk = 1; kk <= 20 * W; kk++) {
            c[k->pick(st, &p.view, 0, NULL)]++;
            for (uint32_t i = 0; i < n; i++) {
                double d = (double)c[i] - (double)kk * p.view.members[i]->weight / (double)W;
                worst_ahead = d > worst_ahead ? d : worst_ahead;
                worst_behind = d < worst_behind ? d : worst_behind;
                assert_true(d < 1);
                assert_true(d > -(double)(n - 1));
            }
            if (kk % W == 0)
                for (uint32_t i = 0; i < n; i++)
                    assert_int_equal(c[i], (long)p.view.members[i]->weight * (kk / W));
        }
        state_free(k, st);
    }
    assert_true(worst_ahead < 1 && worst_behind > -(M - 1));
    mpool_free(&p);
    rng_free(r);
}

/* The uid of each client's member. */
static void ih_map(const lb_kind_t *k, void *st, const lb_view_t *v, uint32_t C, uint32_t *out)
{
    for (uint32_t c = 0; c < C; c++)
        out[c] = v->members[k->pick(st, v, c, NULL)]->uid;
}

static bool in_view(const lb_view_t *v, uint32_t uid)
{
    for (uint32_t i = 0; i < v->n; i++)
        if (v->members[i]->uid == uid)
            return true;
    return false;
}

/* ip_hash at scale: balance, remapping on a leave and a join, then 60
 * random changes of the set (several pods at once, new orders), after each
 * of which (a) a client moved only if its pod left or its new pod just
 * joined, (b) the shares are still even (AnchorHash keeps every working
 * bucket at 1/n of the hash space, whatever the history), and (c) the same
 * set in another order changes nothing. Then a view that outgrows its
 * table's capacity, and one where every pod is replaced. */
static void test_ip_hash_scale(void **state)
{
    (void)state;
    enum { M = 400, N = 200, C = 100000 };
    const lb_kind_t *k = &lb_ip_hash;
    rng_t *r = rng_new(14, "test.ih.scale");
    mpool_t p;
    mpool_init(&p, M);
    mpool_shuffle(&p, N, r);
    void *st = state_new(k, &p.view);
    uint32_t *before = malloc(C * sizeof *before), *after = malloc(C * sizeof *after);
    uint32_t *again = malloc(C * sizeof *again);
    long *cnt = calloc(1, (1000 + 7 * M) * sizeof *cnt), *per = calloc(M, sizeof *per);
    assert_true(before && after && again && cnt && per);

    /* balance: each pod Binomial(C, 1/N), and Pearson's statistic */
    ih_map(k, st, &p.view, C, before);
    for (uint32_t c = 0; c < C; c++)
        cnt[before[c]]++;
    for (uint32_t i = 0; i < N; i++)
        check_binomial("share", per[i] = cnt[p.view.members[i]->uid], C, 1.0 / N);
    check_even("shares", per, N, C);

    /* one leaves (the view's 17th): only its clients move */
    uint32_t gone = p.view.members[17]->uid;
    lb_member_t *t17 = p.view.members[17];
    p.view.members[17] = p.view.members[N - 1], p.view.members[N - 1] = t17;
    p.view.n = N - 1;
    assert_int_equal(k->changed(st, &p.view), 0);
    ih_map(k, st, &p.view, C, after);
    long moved = 0;
    for (uint32_t c = 0; c < C; c++) {
        if (before[c] == gone) {
            assert_true(after[c] != gone);
            moved++;
        } else {
            assert_int_equal(after[c], before[c]);
        }
    }
    assert_int_equal(moved, cnt[gone]);

    /* one joins (a pod never seen): clients move only to it, 1/N of them */
    uint32_t joined = 0;
    for (uint32_t i = 0; i < M && !joined; i++)
        if (!in_view(&p.view, p.pods[i].uid) && p.pods[i].uid != gone) {
            joined = p.pods[i].uid;
            p.view.members[N - 1] = &p.pods[i];
        }
    memcpy(before, after, C * sizeof *before);
    p.view.n = N;
    assert_int_equal(k->changed(st, &p.view), 0);
    ih_map(k, st, &p.view, C, after);
    moved = 0;
    for (uint32_t c = 0; c < C; c++)
        if (after[c] != before[c]) {
            assert_int_equal(after[c], joined);
            moved++;
        }
    check_binomial("join moved", moved, C, 1.0 / N);

    /* random changes, kept up incrementally */
    memcpy(before, after, C * sizeof *before);
    lb_view_t prev;
    lb_member_t **prevm = malloc(M * sizeof *prevm), **rev = malloc(M * sizeof *rev);
    assert_true(prevm && rev);
    for (int ch = 0; ch < 60; ch++) {
        memcpy(prevm, p.view.members, p.view.n * sizeof *prevm);
        prev = (lb_view_t){prevm, p.view.n, 0};
        /* mostly a few pods in or out (a subset overlapping the old one) */
        uint32_t n = p.view.n;
        int d = (int)rng_below(r, 7) - 3;
        n = (uint32_t)((int)n + d < 1 ? 1 : (int)n + d > M ? M : (int)n + d);
        if (ch % 10 == 9)
            n = 1 + rng_below(r, M);
        /* keep most of the old members: swap a few out, then order anew */
        for (uint32_t i = 0; i < M; i++)
            p.ptr[i] = &p.pods[i];
        uint32_t kept = 0;
        for (uint32_t i = 0; i < prev.n && kept < n; i++)
            if (rng_below(r, 10) != 0) {
                uint32_t id = (uint32_t)(prev.members[i] - p.pods);
                for (uint32_t j = kept; j < M; j++)
                    if (p.ptr[j] == &p.pods[id]) {
                        p.ptr[j] = p.ptr[kept], p.ptr[kept++] = &p.pods[id];
                        break;
                    }
            }
        for (uint32_t i = kept; i < n; i++) {
            uint32_t j = i + rng_below(r, M - i);
            lb_member_t *t = p.ptr[i];
            p.ptr[i] = p.ptr[j], p.ptr[j] = t;
        }
        for (uint32_t i = n; i-- > 1;) {
            uint32_t j = rng_below(r, i + 1);
            lb_member_t *t = p.ptr[i];
            p.ptr[i] = p.ptr[j], p.ptr[j] = t;
        }
        p.view = (lb_view_t){p.ptr, n, 0};
        assert_int_equal(k->changed(st, &p.view), 0);
        ih_map(k, st, &p.view, C, after);
        memset(cnt, 0, (1000 + 7 * M) * sizeof *cnt);
        for (uint32_t c = 0; c < C; c++) {
            cnt[after[c]]++;
            if (after[c] != before[c])
                assert_true(!in_view(&p.view, before[c]) || !in_view(&prev, after[c]));
        }
        for (uint32_t i = 0; i < n; i++)
            per[i] = cnt[p.view.members[i]->uid];
        check_even("shares after a change", per, n, C);
        /* the same set in reverse order: nothing moves */
        for (uint32_t i = 0; i < n; i++)
            rev[i] = p.view.members[n - 1 - i];
        lb_view_t rv = {rev, n, 0};
        assert_int_equal(k->changed(st, &rv), 0);
        ih_map(k, st, &rv, C, again);
        assert_memory_equal(again, after, C * sizeof *after);
        assert_int_equal(k->changed(st, &p.view), 0);
        memcpy(before, after, C * sizeof *before);
    }
    state_free(k, st);

    /* a table sized for 50 (the view's capacity) that 51, then 120, outgrow:
     * still a member every time, and even */
    mpool_shuffle(&p, 50, r);
    p.view.capacity = 50;
    st = state_new(k, &p.view);
    for (uint32_t n = 51; n <= 120; n += 69) {
        p.view.n = n;
        assert_int_equal(k->changed(st, &p.view), 0);
        ih_map(k, st, &p.view, C, after);
        memset(cnt, 0, (1000 + 7 * M) * sizeof *cnt);
        for (uint32_t c = 0; c < C; c++)
            cnt[after[c]]++;
        long sum = 0;
        for (uint32_t i = 0; i < n; i++)
            sum += per[i] = cnt[p.view.members[i]->uid];
        assert_int_equal(sum, C);
        check_even("shares in an outgrown table", per, n, C);
    }
    /* every pod replaced at once (no pod stays): all members, even */
    for (uint32_t i = 0; i < 60; i++)
        p.ptr[i] = &p.pods[M - 1 - i];
    p.view.n = 60;
    assert_int_equal(k->changed(st, &p.view), 0);
    ih_map(k, st, &p.view, C, after);
    memset(cnt, 0, (1000 + 7 * M) * sizeof *cnt);
    for (uint32_t c = 0; c < C; c++)
        cnt[after[c]]++;
    for (uint32_t i = 0; i < 60; i++)
        per[i] = cnt[p.view.members[i]->uid];
    check_even("shares after a replacement", per, 60, C);
    /* empty, then one pod: every client on it */
    p.view.n = 0;
    assert_int_equal(k->changed(st, &p.view), 0);
    p.view.n = 1;
    assert_int_equal(k->changed(st, &p.view), 0);
    for (uint32_t c = 0; c < 1000; c++)
        assert_int_equal(k->pick(st, &p.view, c, NULL), 0);

    free(prevm), free(rev);
    free(before), free(after), free(again), free(cnt), free(per);
    state_free(k, st);
    mpool_free(&p);
    rng_free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_find),
        cmocka_unit_test(test_round_robin),
        cmocka_unit_test(test_least_connections),
        cmocka_unit_test(test_least_connections_always_min),
        cmocka_unit_test(test_weighted_round_robin),
        cmocka_unit_test(test_ip_hash),
        cmocka_unit_test(test_random),
        cmocka_unit_test(test_power_of_two),
        cmocka_unit_test(test_least_connections_vs_scan),
        cmocka_unit_test(test_weighted_round_robin_vs_nginx),
        cmocka_unit_test(test_weighted_round_robin_smooth),
        cmocka_unit_test(test_ip_hash_scale),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
