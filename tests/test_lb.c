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
    b->kind->changed(b->state, &b->view);
}

static uint32_t bed_pick(bed_t *b, uint32_t client, rng_t *r)
{
    uint32_t i = b->kind->pick(b->state, &b->view, client, r);
    assert_true(i < b->view.n);
    return i;
}

static void bed_free(bed_t *b) { free(b->state); }

static void check_binomial(const char *what, long count, long n, double p)
{
    double sd = sqrt((double)n * p * (1 - p));
    if (!(fabs((double)count - (double)n * p) <= 5 * sd)) {
        print_error("%s: count %ld, expected %.1f +- 5*%.1f\n", what, count, (double)n * p, sd);
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
    b.kind->changed(b.state, &b.view);
    assert_int_equal(bed_pick(&b, 0, NULL), 1);
    assert_int_equal(bed_pick(&b, 0, NULL), 0);
    assert_int_equal(bed_pick(&b, 0, NULL), 1);
    /* one pod: always it */
    b.view.n = 1;
    b.kind->changed(b.state, &b.view);
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
    b.pods[0].active = 3, b.pods[1].active = 1, b.pods[2].active = 2;
    for (int k = 0; k < 5; k++)
        assert_int_equal(bed_pick(&b, 0, NULL), 1);
    /* idle: ties go round, not always to pod 0 */
    b.pods[0].active = b.pods[1].active = b.pods[2].active = 0;
    uint32_t first = bed_pick(&b, 0, NULL);
    for (uint32_t k = 1; k < 7; k++)
        assert_int_equal(bed_pick(&b, 0, NULL), (first + k) % 3);
    /* a tie between pods 1 and 2 (pod 0 busier): they alternate */
    b.pods[0].active = 5, b.pods[1].active = 1, b.pods[2].active = 1;
    uint32_t p = bed_pick(&b, 0, NULL);
    assert_true(p == 1 || p == 2);
    for (int k = 0; k < 6; k++) {
        uint32_t q = bed_pick(&b, 0, NULL);
        assert_int_equal(q, p == 1 ? 2 : 1);
        p = q;
    }
    /* the core adds the request to the pod: an idle service spreads evenly */
    b.pods[0].active = b.pods[1].active = b.pods[2].active = 0;
    for (int k = 0; k < 30; k++)
        b.pods[bed_pick(&b, 0, NULL)].active++;
    for (int i = 0; i < 3; i++)
        assert_int_equal(b.pods[i].active, 10);
    bed_free(&b);

    /* a view that shrank below the cursor */
    bed_init(&b, "least_connections", 3);
    (void)bed_pick(&b, 0, NULL), (void)bed_pick(&b, 0, NULL); /* cursor at 2 */
    b.view.n = 2;
    b.kind->changed(b.state, &b.view);
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
    b.pods[0].active = 2, b.pods[1].active = 1, b.pods[2].active = 0;
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
            b.pods[i].active = (int)rng_below(r, 3);
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
    b.kind->changed(b.state, &b.view);
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
    b.kind->changed(b.state, &b.view);
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
    b.kind->changed(b.state, &b.view);
    static const uint32_t seq25[7] = {0, 1, 0, 0, 0, 1, 0};
    for (int k = 0; k < 14; k++)
        assert_int_equal(bed_pick(&b, 0, NULL), seq25[k % 7]);
    bed_free(&b);

    /* any weights: over sum(w) picks each pod is chosen exactly w times */
    bed_init(&b, "weighted_round_robin", 5);
    static const double w[5] = {3, 1, 4, 1, 5};
    for (int i = 0; i < 5; i++)
        b.pods[i].weight = w[i];
    b.kind->changed(b.state, &b.view);
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
    b.kind->changed(b.state, &b.view);
    static uint32_t before[C];
    long per_pod[N] = {0};
    for (uint32_t c = 0; c < C; c++) {
        before[c] = b.view.members[bed_pick(&b, c, NULL)]->uid;
        per_pod[before[c] - 100]++;
    }
    /* sticky: the same client again, after others, maps to the same pod */
    for (uint32_t c = 0; c < C; c += 7)
        assert_int_equal(b.view.members[bed_pick(&b, c, NULL)]->uid, before[c]);
    /* and spread: each pod about C/N clients */
    for (int i = 0; i < N; i++)
        check_binomial("ip_hash share", per_pod[i], C, 1.0 / N);

    /* the mapping is by uid, not position: the reversed view agrees */
    lb_member_t *rev[N];
    for (int i = 0; i < N; i++)
        rev[i] = &b.pods[N - 1 - i];
    lb_view_t rv = {rev, N};
    b.kind->changed(b.state, &rv);
    for (uint32_t c = 0; c < C; c += 3)
        assert_int_equal(rv.members[b.kind->pick(b.state, &rv, c, NULL)]->uid, before[c]);

    /* remove pod uid 102 (a view without it): only its clients move */
    lb_member_t *less[N - 1];
    for (int i = 0, k = 0; i < N; i++)
        if (i != 2)
            less[k++] = &b.pods[i];
    lb_view_t lv = {less, N - 1};
    b.kind->changed(b.state, &lv);
    long moved = 0;
    for (uint32_t c = 0; c < C; c++) {
        uint32_t u = lv.members[b.kind->pick(b.state, &lv, c, NULL)]->uid;
        assert_true(u != 102);
        if (before[c] != 102)
            assert_int_equal(u, before[c]);
        else
            moved++;
    }
    assert_int_equal(moved, per_pod[2]);

    /* add pod uid 105: clients move only to it, about C/(N+1) of them */
    b.view.n = N + 1;
    b.kind->changed(b.state, &b.view);
    moved = 0;
    for (uint32_t c = 0; c < C; c++) {
        uint32_t u = b.view.members[bed_pick(&b, c, NULL)]->uid;
        if (u != before[c]) {
            assert_int_equal(u, 105);
            moved++;
        }
    }
    check_binomial("ip_hash moved to new pod", moved, C, 1.0 / (N + 1));
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
    b.pods[0].active = 10, b.pods[1].active = 0;
    for (int k = 0; k < 1000; k++)
        assert_int_equal(bed_pick(&b, 0, r), 1);
    b.pods[0].active = 0, b.pods[1].active = 10;
    for (int k = 0; k < 1000; k++)
        assert_int_equal(bed_pick(&b, 0, r), 0);
    bed_free(&b);

    /* five pods, pod 3 heavily loaded: never chosen (its partner is always
     * another, idle pod); by symmetry the idle four share evenly */
    bed_init(&b, "power_of_two", 5);
    b.pods[3].active = 100;
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
        b.pods[i].active = i;
    memset(cnt, 0, sizeof cnt);
    for (int k = 0; k < P; k++)
        cnt[bed_pick(&b, 0, r)]++;
    assert_int_equal(cnt[4], 0);
    for (int i = 0; i < 4; i++)
        check_binomial("p2 ranked share", cnt[i], P, (4 - i) / 10.0);

    /* equal loads: uniform */
    for (int i = 0; i < 5; i++)
        b.pods[i].active = 2;
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
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
