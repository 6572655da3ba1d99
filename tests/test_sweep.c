/* Unit tests of sim/sweep's grid: --vary values parsed into axes, the
 * points' order (the first axis slowest), ranges with and without units,
 * and the located errors. The expected values are the definitions in
 * sim/sweep.h worked by hand: a range is lo + i*step up to hi (with a
 * tolerance of 1e-9 steps, so 0..1:0.1 has 11 values), printed in 15
 * significant digits; point p's index on the last axis is p mod its count,
 * on the one before (p / last count) mod its count. The journal, resume and
 * the rows are tested end to end by tests/cli/test_sweep.sh. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "sim/sweep.h"

static void test_list(void **state)
{
    (void)state;
    sweep_grid_t g = {0};
    char err[512];
    assert_int_equal(sweep_grid_add(&g, "services.web.replicas=1, 2 ,4", 1, err, sizeof err), 0);
    assert_int_equal(g.naxes, 1);
    assert_int_equal(g.npoints, 3);
    assert_string_equal(g.axes[0].path, "services.web.replicas");
    assert_string_equal(g.axes[0].values[0], "1");
    assert_string_equal(g.axes[0].values[1], "2");  /* spaces around a value are not part of it */
    assert_string_equal(g.axes[0].values[2], "4");
    /* columns in the option: "services.web.replicas=" is 22 characters */
    assert_int_equal(g.axes[0].cols[0], 23);
    assert_int_equal(g.axes[0].cols[1], 26);
    assert_int_equal(g.axes[0].cols[2], 29);
    sweep_grid_free(&g);
}

static void test_ranges(void **state)
{
    (void)state;
    sweep_grid_t g = {0};
    char err[512];
    assert_int_equal(sweep_grid_add(&g, "a=0..1:0.1", 1, err, sizeof err), 0);
    assert_int_equal(g.axes[0].n, 11);
    assert_string_equal(g.axes[0].values[3], "0.3"); /* 3 * 0.1 in 15 digits */
    assert_string_equal(g.axes[0].values[10], "1");
    assert_int_equal(sweep_grid_add(&g, "b=100ms..250ms:50ms", 2, err, sizeof err), 0);
    assert_int_equal(g.axes[1].n, 4);
    assert_string_equal(g.axes[1].values[0], "100ms");
    assert_string_equal(g.axes[1].values[3], "250ms");
    assert_int_equal(sweep_grid_add(&g, "c=-2..2:2", 3, err, sizeof err), 0);
    assert_string_equal(g.axes[2].values[0], "-2");
    assert_string_equal(g.axes[2].values[1], "0");
    /* a step that does not reach hi stops below it; a step without a unit takes lo's */
    assert_int_equal(sweep_grid_add(&g, "d=1s..4s:2", 4, err, sizeof err), 0);
    assert_int_equal(g.axes[3].n, 2);
    assert_string_equal(g.axes[3].values[1], "3s");
    assert_int_equal(g.npoints, 11 * 4 * 3 * 2);
    sweep_grid_free(&g);
}

static void test_order(void **state)
{
    (void)state;
    sweep_grid_t g = {0};
    char err[512];
    assert_int_equal(sweep_grid_add(&g, "a=1,2,3", 1, err, sizeof err), 0);
    assert_int_equal(sweep_grid_add(&g, "b=x,y", 2, err, sizeof err), 0);
    assert_int_equal(g.npoints, 6);
    /* (a, b) by point: (1,x) (1,y) (2,x) (2,y) (3,x) (3,y) */
    static const size_t a[] = {0, 0, 1, 1, 2, 2}, b[] = {0, 1, 0, 1, 0, 1};
    for (size_t p = 0; p < 6; p++) {
        assert_int_equal(sweep_grid_index(&g, p, 0), a[p]);
        assert_int_equal(sweep_grid_index(&g, p, 1), b[p]);
    }
    sweep_grid_free(&g);
}

static void expect_error(const char *spec, const char *prefix)
{
    sweep_grid_t g = {0};
    char err[512];
    assert_int_equal(sweep_grid_add(&g, "z=1", 1, err, sizeof err), 0);
    int rc = sweep_grid_add(&g, spec, 2, err, sizeof err);
    if (rc != -1 || strncmp(err, prefix, strlen(prefix)) != 0)
        fail_msg("%s: rc %d, '%s' (want '%s...')", spec, rc, rc ? err : "", prefix);
    /* a failed add leaves the grid as it was */
    assert_int_equal(g.naxes, 1);
    assert_int_equal(g.npoints, 1);
    sweep_grid_free(&g);
}

static void test_errors(void **state)
{
    (void)state;
    expect_error("rate", "--vary[2]:1:1: expected PATH=");
    expect_error("=1,2", "--vary[2]:1:1: expected PATH=");
    expect_error("rate=", "--vary[2]:1:6: no values");
    expect_error("rate=1,,2", "--vary[2]:1:8: an empty value");
    expect_error("rate=1,2,", "--vary[2]:1:10: an empty value");
    expect_error("rate=1,2,1", "--vary[2]:1:10: the value '1' is in the list twice");
    expect_error("rate=5..1:1", "--vary[2]:1:6: the range 5..1:1 is empty");
    expect_error("rate=1..5:0", "--vary[2]:1:11: the range's step must be above 0");
    expect_error("rate=1..5:-1", "--vary[2]:1:11: the range's step must be above 0");
    expect_error("rate=1..5", "--vary[2]:1:6: a range is LO..HI:STEP");
    expect_error("rate=x..5:1", "--vary[2]:1:6: the range's start 'x'");
    expect_error("rate=1..y:1", "--vary[2]:1:9: the range's end 'y'");
    expect_error("rate=1..5:s1", "--vary[2]:1:11: the range's step 's1'");
    expect_error("t=1ms..1s:1ms", "--vary[2]:1:3: the range's start, end and step must have the same unit");
    expect_error("z=4,5", "--vary[2]:1:1: 'z' is varied already (--vary[1])");
    expect_error("a b=1", "--vary[2]:1:2: a space in the path");
    expect_error("rate=0..1e7:1", "--vary[2]:1:6: the range 0..1e7:1 has");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_list),
        cmocka_unit_test(test_ranges),
        cmocka_unit_test(test_order),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
