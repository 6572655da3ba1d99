/* test_capacity: the bottleneck report's ranking (sim/capacity.h:
 * capacity_rank, capacity_growth) on hand-built scores.
 *
 * The case that ranking by the mean got wrong (the Azora worked example
 * in README): auth-service's `rejected` was 129536 +- 5.07e5 at the break,
 * one bad replication of three, so its score was 1 + 129536 / total while
 * the interval's low end, 129536 - 507000 < 0, says nothing may have been
 * rejected: low end 0. database.primary's utilisation 0.6995 +- 0.168 has
 * the low end 0.6995 - 0.168 = 0.5315. By the mean auth-service leads
 * (1.018 > 0.6995); by the low end database.primary does (0.5315 > 0).
 *
 * Growth: a queue from 3 to 7 with add 1 scores 1 - (3 + 1) / (7 + 1) =
 * 0.5; from 0 to 0 (or shrinking) 0; misses to origin from 100 to 400 with
 * add 0 score 1 - 100 / 400 = 0.75; a NaN at either end scores 0. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>

#include "sim/capacity.h"

static void low_end_outranks_mean(void **state)
{
    (void)state;
    /* 0: auth-service (rejected), 1: database.primary, 2: education's CPU */
    double score[] = {1.018, 0.6995, 0.354};
    double lo[] = {0, 0.5315, 0.352};
    size_t order[3];
    capacity_rank(3, score, lo, order);
    assert_int_equal(order[0], 1);
    assert_int_equal(order[1], 2);
    assert_int_equal(order[2], 0);
}

static void ties_go_to_the_score_then_the_order(void **state)
{
    (void)state;
    double score[] = {0.5, 0.9, 0.9, 0.2};
    double lo[] = {0.4, 0.4, 0.4, 0.4};
    size_t order[4];
    capacity_rank(4, score, lo, order);
    /* equal low ends: the higher score first; equal both: as given */
    assert_int_equal(order[0], 1);
    assert_int_equal(order[1], 2);
    assert_int_equal(order[2], 0);
    assert_int_equal(order[3], 3);
}

static void growth(void **state)
{
    (void)state;
    assert_true(fabs(capacity_growth(7, 3, 1) - 0.5) < 1e-15);
    assert_true(fabs(capacity_growth(400, 100, 0) - 0.75) < 1e-15);
    assert_true(capacity_growth(0, 0, 1) == 0);
    assert_true(capacity_growth(2, 5, 1) == 0);
    assert_true(capacity_growth(NAN, 5, 1) == 0);
    assert_true(capacity_growth(5, NAN, 1) == 0);
}

/* The lead is told apart when its low end is at or above the second's
 * score: Azora's 0.687 (queue growth, low end) against a second at 0.72
 * is not; a back tier at 0.857 with low end 0.80 against a front at 0.389
 * is; one component always leads; a NaN low end never leads surely. */
static void lead_told_apart(void **state)
{
    (void)state;
    assert_false(capacity_lead_apart(2, (double[]){0.851, 0.72}, (double[]){0.687, 0.5}));
    assert_true(capacity_lead_apart(2, (double[]){0.857, 0.389}, (double[]){0.80, 0.35}));
    assert_true(capacity_lead_apart(2, (double[]){0.7, 0.7}, (double[]){0.7, 0.6}));
    assert_true(capacity_lead_apart(1, (double[]){0.1}, (double[]){0}));
    assert_true(capacity_lead_apart(0, NULL, NULL));
    assert_false(capacity_lead_apart(2, (double[]){0.9, 0.5}, (double[]){NAN, 0.4}));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(lead_told_apart),
        cmocka_unit_test(low_end_outranks_mean),
        cmocka_unit_test(ties_go_to_the_score_then_the_order),
        cmocka_unit_test(growth),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
