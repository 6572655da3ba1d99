/* The queueing core (models/server.h), by hand: workers first, then a FIFO
 * queue up to its capacity, then refusal; a finished item hands its worker
 * to the head of the queue; a drain empties everything. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "models/server.h"

typedef struct item {
    server_item_t link; /* first */
    int id;
} item_t;

static void test_take_queue_refuse(void **state)
{
    (void)state;
    server_t s = {0};
    item_t it[6];
    const int workers = 2, capacity = 3;
    /* 2 take workers, 3 queue, the sixth finds no room */
    for (int i = 0; i < 6; i++) {
        it[i].id = i;
        if (i < 5) {
            assert_true(server_has_room(&s, workers, capacity));
            assert_int_equal(server_take(&s, workers, &it[i].link), i < 2);
        } else {
            assert_false(server_has_room(&s, workers, capacity));
        }
    }
    assert_int_equal(s.busy, 2);
    assert_int_equal(s.queued, 3);
    /* each release hands the worker to the queue's head, in FIFO order */
    for (int k = 2; k < 5; k++) {
        server_item_t *got = server_release(&s);
        assert_ptr_equal(got, &it[k].link);
        assert_int_equal(s.busy, 2);
        assert_int_equal(s.queued, 4 - k);
    }
    /* nothing waits: releases free workers */
    assert_null(server_release(&s));
    assert_int_equal(s.busy, 1);
    assert_null(server_release(&s));
    assert_int_equal(s.busy, 0);
    assert_null(s.qhead);
    assert_null(s.qtail);
}

static void test_zero_capacity_and_drain(void **state)
{
    (void)state;
    server_t s = {0};
    item_t a = {{NULL}, 1}, b = {{NULL}, 2}, c = {{NULL}, 3};
    /* no waiting room: the second arrival on one worker is refused */
    assert_true(server_take(&s, 1, &a.link));
    assert_false(server_has_room(&s, 1, 0));
    /* with room: two wait; a drain returns them in order and zeroes all */
    assert_false(server_take(&s, 1, &b.link));
    assert_false(server_take(&s, 1, &c.link));
    server_item_t *q = server_drain(&s);
    assert_ptr_equal(q, &b.link);
    assert_ptr_equal(q->next, &c.link);
    assert_null(q->next->next);
    assert_int_equal(s.busy, 0);
    assert_int_equal(s.queued, 0);
    assert_null(s.qhead);
    assert_true(server_take(&s, 1, &a.link));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_take_queue_refuse),
        cmocka_unit_test(test_zero_capacity_and_drain),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
