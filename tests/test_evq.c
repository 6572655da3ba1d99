/* Unit tests of sim/evq: the pending-event set.
 *
 * The contract (sim/evq.h): events pop in (time, seq) order, seq being the
 * order of scheduling, so equal times pop first-in first-out; a handle names
 * one scheduled event and goes stale once it fired or was cancelled, even
 * when its pool slot is reused; cancel of a stale or zero handle does
 * nothing. The randomized test checks every pop of ~200k mixed operations
 * against a brute-force reference (a list of live (time, seq) pairs searched
 * linearly for the minimum), which is slow but obviously right; it runs
 * twice, the second time with the set's 32-bit seqs pushed to their end
 * (evq__skip_seq) every few thousand operations, so that their renumbering
 * happens dozens of times amid ties, cancels and growth.
 *
 * The operation stream comes from a SplitMix64 generator local to this file
 * (fixed seed), so the test does not depend on sim/rng. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdlib.h>

#include "sim/evq.h"

/* Two distinct callbacks, so that a popped fn can be checked too. */
static void fn_a(void *ctx, void *obj, uint64_t arg) { (void)ctx, (void)obj, (void)arg; }
static void fn_b(void *ctx, void *obj, uint64_t arg) { (void)ctx, (void)obj, (void)arg; }

static uint64_t sm_state;
static uint64_t sm_next(void)
{
    uint64_t z = (sm_state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}
static uint64_t sm_below(uint64_t n) { return sm_next() % n; }

/* Pops one event and checks its time and arg. */
static void expect_pop(evq_t *q, simtime_t t, uint64_t arg)
{
    evq_event_t ev;
    assert_true(evq_pop(q, &ev));
    assert_int_equal(ev.time, t);
    assert_int_equal(ev.arg, arg);
}

static void test_empty(void **state)
{
    (void)state;
    evq_t *q = evq_new(0);
    assert_non_null(q);
    assert_int_equal(evq_size(q), 0);
    assert_true(evq_peek_time(q) == SIM_NEVER);
    evq_event_t ev;
    assert_false(evq_pop(q, &ev));
    /* 0 is never a valid handle; neither is a slot far outside the pool. */
    assert_false(evq_pending(q, 0));
    assert_false(evq_cancel(q, 0));
    assert_false(evq_pending(q, ((uint64_t)1 << 32) | 123456u));
    assert_false(evq_cancel(q, ((uint64_t)1 << 32) | 123456u));
    /* Emptied again after use: peek is SIM_NEVER once more. */
    assert_true(evq_schedule(q, 7, fn_a, NULL, 1) != 0);
    assert_int_equal(evq_peek_time(q), 7);
    expect_pop(q, 7, 1);
    assert_true(evq_peek_time(q) == SIM_NEVER);
    assert_false(evq_pop(q, &ev));
    evq_free(q);
    evq_free(NULL); /* allowed, like free() */
}

static void test_pop_order_by_time(void **state)
{
    (void)state;
    /* Times scheduled out of order; they must come out sorted, with fn and
     * obj carried along. arg is the time itself here. */
    static const simtime_t times[] = {50, 10, 40, 30, 20, 0, 90, 70, 60, 80, SIM_NEVER - 1, -5};
    static const simtime_t sorted[] = {-5, 0, 10, 20, 30, 40, 50, 60, 70, 80, 90, SIM_NEVER - 1};
    const size_t n = sizeof times / sizeof times[0];
    int objs[12];
    evq_t *q = evq_new(4);
    assert_non_null(q);
    for (size_t i = 0; i < n; i++)
        assert_true(evq_schedule(q, times[i], (i & 1) ? fn_b : fn_a, &objs[i], (uint64_t)times[i]) != 0);
    assert_int_equal(evq_size(q), n);
    for (size_t k = 0; k < n; k++) {
        assert_int_equal(evq_peek_time(q), sorted[k]);
        evq_event_t ev;
        assert_true(evq_pop(q, &ev));
        assert_int_equal(ev.time, sorted[k]);
        assert_int_equal(ev.arg, (uint64_t)sorted[k]);
        /* the obj and fn scheduled with this time */
        size_t i = 0;
        while (times[i] != sorted[k])
            i++;
        assert_ptr_equal(ev.obj, &objs[i]);
        assert_true(ev.fn == ((i & 1) ? fn_b : fn_a));
        assert_int_equal(evq_size(q), n - k - 1);
    }
    evq_free(q);
}

static void test_equal_times_fifo(void **state)
{
    (void)state;
    /* 300 events at three instants, scheduled interleaved and in a scrambled
     * instant order; each instant's events must pop in scheduling order
     * (arg = scheduling index). Then the same after cancelling every third,
     * which moves entries around the heap. */
    for (int cancel = 0; cancel <= 1; cancel++) {
        evq_t *q = evq_new(1);
        assert_non_null(q);
        evq_handle_t h[300];
        static const simtime_t inst[3] = {20, 10, 30};
        for (uint64_t i = 0; i < 300; i++)
            h[i] = evq_schedule(q, inst[i % 3], fn_a, NULL, i);
        if (cancel)
            for (uint64_t i = 0; i < 300; i += 3)
                assert_true(evq_cancel(q, h[i]));
        /* instant 10 is i%3==1, 20 is i%3==0, 30 is i%3==2 */
        static const int order[3] = {1, 0, 2};
        for (int k = 0; k < 3; k++)
            for (uint64_t i = (uint64_t)order[k]; i < 300; i += 3) {
                if (cancel && i % 3 == 0)
                    continue;
                expect_pop(q, inst[i % 3], i);
            }
        assert_int_equal(evq_size(q), 0);
        evq_free(q);
    }
}

static void test_cancel_head_middle_last(void **state)
{
    (void)state;
    evq_t *q = evq_new(8);
    assert_non_null(q);
    evq_handle_t h[5];
    /* Scheduled in time order, so the heap array is in scheduling order and
     * h[4] sits in the last heap position. */
    for (int i = 0; i < 5; i++)
        h[i] = evq_schedule(q, 10 * (i + 1), fn_a, NULL, (uint64_t)i);
    for (int i = 0; i < 5; i++)
        assert_true(evq_pending(q, h[i]));

    assert_true(evq_cancel(q, h[0]));          /* head */
    assert_false(evq_pending(q, h[0]));
    assert_int_equal(evq_peek_time(q), 20);
    assert_true(evq_cancel(q, h[2]));          /* middle */
    assert_true(evq_cancel(q, h[4]));          /* last */
    assert_int_equal(evq_size(q), 2);
    /* cancel twice: false, and nothing else changes */
    assert_false(evq_cancel(q, h[0]));
    assert_false(evq_cancel(q, h[2]));
    assert_false(evq_cancel(q, h[4]));
    assert_int_equal(evq_size(q), 2);
    assert_true(evq_pending(q, h[1]));
    assert_true(evq_pending(q, h[3]));

    expect_pop(q, 20, 1);
    assert_false(evq_pending(q, h[1]));        /* fired */
    assert_false(evq_cancel(q, h[1]));
    expect_pop(q, 40, 3);
    assert_int_equal(evq_size(q), 0);
    evq_free(q);
}

static void test_stale_handle_after_reuse(void **state)
{
    (void)state;
    evq_t *q = evq_new(1);
    assert_non_null(q);
    int oa, ob;
    evq_handle_t a = evq_schedule(q, 5, fn_a, &oa, 1);
    assert_true(a != 0);
    expect_pop(q, 5, 1);
    assert_false(evq_pending(q, a));
    /* B is scheduled into the slot A released: the header documents a handle
     * as "pool slot plus a generation" and evq.c keeps its free list LIFO,
     * so the slot (low 32 bits) is A's and only the generation differs. */
    evq_handle_t b = evq_schedule(q, 6, fn_b, &ob, 2);
    assert_true(b != 0);
    assert_int_equal((uint32_t)b, (uint32_t)a);
    assert_true(b != a);
    assert_false(evq_pending(q, a));
    assert_false(evq_cancel(q, a));            /* stale: must not cancel B */
    assert_true(evq_pending(q, b));
    assert_int_equal(evq_size(q), 1);
    evq_event_t ev;
    assert_true(evq_pop(q, &ev));
    assert_ptr_equal(ev.obj, &ob);
    assert_true(ev.fn == fn_b);

    /* Same with a cancelled (not fired) event, then many generations of one
     * slot: every old handle stays dead while the current one is live. */
    evq_handle_t old[1000];
    for (int i = 0; i < 1000; i++) {
        old[i] = evq_schedule(q, i, fn_a, NULL, (uint64_t)i);
        assert_true(old[i] != 0);
        for (int j = i - 1; j >= 0 && j >= i - 50; j--) {
            assert_false(evq_cancel(q, old[j]));
            assert_false(evq_pending(q, old[j]));
        }
        assert_true(evq_pending(q, old[i]));
        assert_int_equal(evq_size(q), 1);
        if (i & 1)
            assert_true(evq_cancel(q, old[i]));
        else
            expect_pop(q, i, (uint64_t)i);
    }
    for (int i = 0; i < 1000; i++)
        assert_false(evq_cancel(q, old[i]));
    assert_int_equal(evq_size(q), 0);
    evq_free(q);
}

static void test_growth_keeps_handles(void **state)
{
    (void)state;
    /* hint 1: the pool must grow (doubling) many times to hold 20000. */
    enum { N = 20000 };
    evq_t *q = evq_new(1);
    assert_non_null(q);
    size_t bytes0 = evq_bytes(q);
    static evq_handle_t h[N];
    sm_state = 42;
    static simtime_t t[N];
    for (int i = 0; i < N; i++) {
        t[i] = (simtime_t)sm_below(1000000);
        h[i] = evq_schedule(q, t[i], fn_a, NULL, (uint64_t)i);
        assert_true(h[i] != 0);
    }
    assert_true(evq_bytes(q) > bytes0);
    for (int i = 0; i < N; i++)
        assert_true(evq_pending(q, h[i]));
    /* cancel every third through handles issued before the growth */
    size_t left = N;
    for (int i = 0; i < N; i += 3) {
        assert_true(evq_cancel(q, h[i]));
        left--;
    }
    assert_int_equal(evq_size(q), left);
    /* the rest pop in (time, scheduling order) */
    simtime_t prev_t = INT64_MIN;
    uint64_t prev_i = 0;
    evq_event_t ev;
    size_t popped = 0;
    while (evq_pop(q, &ev)) {
        assert_true(ev.arg % 3 != 0);
        assert_int_equal(ev.time, t[ev.arg]);
        assert_true(ev.time > prev_t || (ev.time == prev_t && ev.arg > prev_i));
        prev_t = ev.time;
        prev_i = ev.arg;
        popped++;
    }
    assert_int_equal(popped, left);
    evq_free(q);
}

static void test_seq_renumbering(void **state)
{
    (void)state;
    /* 2^32 schedules stamp every 32-bit seq; the set then renumbers its
     * pending events. Equal times must still pop in scheduling order across
     * it, and handles issued before it must still cancel. 90 events at three
     * instants (arg = scheduling index) are scheduled, a third of them
     * before the seqs run out, the rest after one and then a second
     * renumbering. */
    evq_t *q = evq_new(4);
    assert_non_null(q);
    static const simtime_t inst[3] = {20, 10, 30};
    evq_handle_t h[90];
    for (uint64_t i = 0; i < 90; i++) {
        if (i == 30 || i == 60)
            evq__skip_seq(q, ((uint64_t)1 << 32) - 7); /* 7 more, then renumbered */
        h[i] = evq_schedule(q, inst[i % 3], fn_a, NULL, i);
        assert_true(h[i] != 0);
    }
    assert_int_equal(evq_size(q), 90);
    /* cancel through old and new handles: every 4th */
    for (uint64_t i = 0; i < 90; i += 4)
        assert_true(evq_cancel(q, h[i]));
    for (uint64_t i = 0; i < 90; i++)
        assert_true(evq_pending(q, h[i]) == (i % 4 != 0));
    static const int order[3] = {1, 0, 2}; /* instant 10, 20, 30 */
    for (int k = 0; k < 3; k++)
        for (uint64_t i = (uint64_t)order[k]; i < 90; i += 3)
            if (i % 4 != 0)
                expect_pop(q, inst[i % 3], i);
    assert_int_equal(evq_size(q), 0);
    evq_free(q);
}

/* ---- randomized comparison with a brute-force reference ----------------- */

typedef struct ref {
    simtime_t time;
    uint64_t seq;        /* the reference's own scheduling counter */
    uint64_t arg;
    void *obj;
    evq_handle_t h;
} ref_t;

/* skip_every > 0: every skip_every operations, the set's next seq jumps to
 * within 20 of 2^32, so the seqs are renumbered soon after. */
static void random_vs_reference(uint64_t seed, int skip_every)
{
    enum { OPS = 200000, MAXLIVE = 8192, NDEAD = 256 };
    static ref_t live[MAXLIVE];
    static char objs[64];
    evq_handle_t dead[NDEAD] = {0};
    size_t nlive = 0, ndead = 0;
    uint64_t seq = 0, pops = 0, cancels = 0, stale_tries = 0;
    simtime_t now = 0;
    sm_state = seed;
    evq_t *q = evq_new(2);
    assert_non_null(q);
    size_t maxlive = 0;

    for (int op = 0; op < OPS; op++) {
        if (skip_every > 0 && op % skip_every == skip_every - 1)
            evq__skip_seq(q, ((uint64_t)1 << 32) - sm_below(20));
        /* Phases of 10k operations alternately grow and drain the set, so
         * the pool grows several times and the heap is often near empty. */
        bool grow = (op / 10000) % 2 == 0;
        unsigned r = (unsigned)sm_below(100);
        unsigned p_sched = grow ? 60 : 25, p_cancel = 15, p_stale = 5;
        if (r < p_sched && nlive < MAXLIVE) {
            /* Times: often from a tiny window (many exact ties), sometimes
             * far ahead, sometimes exactly now. */
            simtime_t t;
            switch (sm_below(3)) {
            case 0: t = now + (simtime_t)sm_below(4); break;
            case 1: t = now + (simtime_t)sm_below(1000000); break;
            default: t = now; break;
            }
            void *obj = &objs[sm_below(64)];
            uint64_t arg = sm_next();
            evq_handle_t h = evq_schedule(q, t, (arg & 1) ? fn_b : fn_a, obj, arg);
            assert_true(h != 0);
            live[nlive++] = (ref_t){t, seq++, arg, obj, h};
            if (nlive > maxlive)
                maxlive = nlive;
        } else if (r < p_sched + p_cancel) {
            if (nlive == 0)
                continue;
            size_t k = (size_t)sm_below(nlive);
            assert_true(evq_cancel(q, live[k].h));
            assert_false(evq_pending(q, live[k].h));
            dead[ndead++ % NDEAD] = live[k].h;
            live[k] = live[--nlive];
            cancels++;
        } else if (r < p_sched + p_cancel + p_stale) {
            /* A handle of an event that fired or was cancelled, whose slot
             * has most likely been reused since. */
            if (ndead == 0)
                continue;
            evq_handle_t h = dead[sm_below(ndead < NDEAD ? ndead : NDEAD)];
            assert_false(evq_pending(q, h));
            assert_false(evq_cancel(q, h));
            stale_tries++;
        } else {
            evq_event_t ev;
            if (nlive == 0) {
                assert_false(evq_pop(q, &ev));
                assert_true(evq_peek_time(q) == SIM_NEVER);
                continue;
            }
            size_t m = 0;
            for (size_t k = 1; k < nlive; k++)
                if (live[k].time < live[m].time || (live[k].time == live[m].time && live[k].seq < live[m].seq))
                    m = k;
            assert_int_equal(evq_peek_time(q), live[m].time);
            assert_true(evq_pop(q, &ev));
            assert_int_equal(ev.time, live[m].time);
            assert_int_equal(ev.arg, live[m].arg);
            assert_ptr_equal(ev.obj, live[m].obj);
            assert_true(ev.fn == ((live[m].arg & 1) ? fn_b : fn_a));
            assert_false(evq_pending(q, live[m].h));
            dead[ndead++ % NDEAD] = live[m].h;
            now = ev.time;
            live[m] = live[--nlive];
            pops++;
        }
        assert_int_equal(evq_size(q), nlive);
        if (op % 4096 == 0)
            for (size_t k = 0; k < nlive; k++)
                assert_true(evq_pending(q, live[k].h));
    }
    /* The run exercised what it claims to (these hold for the fixed seed;
     * they guard against a generator change silently weakening the test). */
    assert_true(pops > 50000);
    assert_true(cancels > 20000);
    assert_true(stale_tries > 5000);
    assert_true(maxlive > 1000);
    /* drain: the remaining events in reference order */
    while (nlive > 0) {
        size_t m = 0;
        for (size_t k = 1; k < nlive; k++)
            if (live[k].time < live[m].time || (live[k].time == live[m].time && live[k].seq < live[m].seq))
                m = k;
        evq_event_t ev;
        assert_true(evq_pop(q, &ev));
        assert_int_equal(ev.time, live[m].time);
        assert_int_equal(ev.arg, live[m].arg);
        live[m] = live[--nlive];
    }
    assert_int_equal(evq_size(q), 0);
    evq_free(q);
}

static void test_random_vs_reference(void **state)
{
    (void)state;
    random_vs_reference(20240501, 0);
}

static void test_random_vs_reference_renumbering(void **state)
{
    (void)state;
    random_vs_reference(777, 4999);
}

/* ---- reschedule: the same as cancel then schedule ------------------------ */

/* Two sets driven alike, except that a move is evq_reschedule in one and
 * evq_cancel + evq_schedule in the other: every pop must agree (time, action,
 * argument), through ties at equal times, moves to now, earlier and later,
 * growth and renumberings of the seqs (every 5000 operations). A stale or
 * zero handle is not moved. */
static void test_reschedule_as_cancel_schedule(void **state)
{
    (void)state;
    enum { OPS = 100000, MAXLIVE = 2048 };
    static evq_handle_t ha[MAXLIVE], hb[MAXLIVE];
    static uint64_t args[MAXLIVE];
    size_t nlive = 0;
    uint64_t moves = 0, pops = 0;
    simtime_t now = 0;
    sm_state = 77;
    evq_t *a = evq_new(2), *b = evq_new(2);
    assert_true(a && b);
    assert_true(evq_reschedule(a, 0, 5) == 0);
    for (int op = 0; op < OPS; op++) {
        if (op % 5000 == 4999) {
            uint64_t s = ((uint64_t)1 << 32) - sm_below(20);
            evq__skip_seq(a, s);
            evq__skip_seq(b, s);
        }
        unsigned r = (unsigned)sm_below(100);
        simtime_t t = now + (simtime_t)(sm_below(2) ? sm_below(4) : sm_below(100000));
        if (r < 40 && nlive < MAXLIVE) {
            uint64_t arg = sm_next();
            ha[nlive] = evq_schedule(a, t, fn_a, NULL, arg);
            hb[nlive] = evq_schedule(b, t, fn_a, NULL, arg);
            assert_true(ha[nlive] && hb[nlive]);
            args[nlive++] = arg;
        } else if (r < 80 && nlive > 0) {
            size_t k = (size_t)sm_below(nlive);
            assert_true(evq_reschedule(a, ha[k], t) == ha[k]);
            assert_true(evq_pending(a, ha[k]));
            assert_true(evq_cancel(b, hb[k]));
            hb[k] = evq_schedule(b, t, fn_a, NULL, args[k]);
            assert_true(hb[k] != 0);
            moves++;
        } else if (nlive > 0) {
            evq_event_t ea, eb;
            assert_true(evq_pop(a, &ea));
            assert_true(evq_pop(b, &eb));
            assert_int_equal(ea.time, eb.time);
            assert_int_equal(ea.arg, eb.arg);
            size_t k = 0;
            while (args[k] != ea.arg)
                k++;
            assert_false(evq_pending(a, ha[k]));
            assert_true(evq_reschedule(a, ha[k], now) == 0); /* fired: stale */
            nlive--;
            ha[k] = ha[nlive], hb[k] = hb[nlive], args[k] = args[nlive];
            now = ea.time;
            pops++;
        }
        assert_int_equal(evq_size(a), evq_size(b));
    }
    assert_true(moves > 20000 && pops > 10000);
    evq_event_t ea, eb;
    while (evq_pop(b, &eb)) {
        assert_true(evq_pop(a, &ea));
        assert_int_equal(ea.time, eb.time);
        assert_int_equal(ea.arg, eb.arg);
    }
    assert_int_equal(evq_size(a), 0);
    evq_free(a);
    evq_free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_empty),
        cmocka_unit_test(test_pop_order_by_time),
        cmocka_unit_test(test_equal_times_fifo),
        cmocka_unit_test(test_cancel_head_middle_last),
        cmocka_unit_test(test_stale_handle_after_reuse),
        cmocka_unit_test(test_growth_keeps_handles),
        cmocka_unit_test(test_seq_renumbering),
        cmocka_unit_test(test_random_vs_reference),
        cmocka_unit_test(test_random_vs_reference_renumbering),
        cmocka_unit_test(test_reschedule_as_cancel_schedule),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
