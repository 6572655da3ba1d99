/* Unit tests of models/trace: the CSV traces of `traffic.replay`.
 *
 * The fixtures in tests/traces/ are small and written by hand; the values
 * expected here are read off them (a time of 300.25 s is 300,250,000,000 ns).
 * Error cases are inline texts named "t.csv": each message's `t.csv:L:C:`
 * is counted by hand from the bytes of the text (lines and columns 1-based,
 * columns in bytes, blanks around a cell skipped). Run from the repository
 * root, as `make test` does. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "models/trace.h"
#include "tests/testlib.h"

typedef struct fixture {
    arena_t *a;
    diag_t d;
    trace_t t;
} fixture_t;

static int setup(void **state)
{
    fixture_t *f = calloc(1, sizeof *f);
    if (!f || !(f->a = arena_new())) {
        free(f);
        return -1;
    }
    diag_init(&f->d);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture_t *f = *state;
    arena_free(f->a);
    free(f);
    return 0;
}

static void load_ok(fixture_t *f, const char *path)
{
    if (trace_load(f->a, path, &f->t, &f->d) != 0) {
        print_error("%s: %s\n", path, tl_first_error(&f->d));
        fail();
    }
    assert_int_equal(f->d.errors, 0);
}

static void parse_ok(fixture_t *f, const char *text)
{
    if (trace_parse_text(f->a, "t.csv", text, strlen(text), &f->t, &f->d) != 0) {
        print_error("%s\n", tl_first_error(&f->d));
        fail();
    }
    assert_int_equal(f->d.errors, 0);
}

/* text (len bytes) fails with one error starting with prefix and holding
 * part, and leaves the trace empty. */
static void parse_fails_n(fixture_t *f, const char *text, size_t len, const char *prefix, const char *part)
{
    f->t = (trace_t){TRACE_TIMESTAMPS, 99, (simtime_t *)1, (double *)1};
    assert_int_equal(trace_parse_text(f->a, "t.csv", text, len, &f->t, &f->d), -1);
    tl_expect_error(&f->d, prefix, part);
    assert_int_equal(f->d.errors, 1);
    assert_int_equal(f->t.n, 0);
    assert_null(f->t.at);
    assert_null(f->t.rate);
}

static void parse_fails(fixture_t *f, const char *text, const char *prefix, const char *part)
{
    parse_fails_n(f, text, strlen(text), prefix, part);
}

/* ---- the two forms ------------------------------------------------------- */

static void test_rates_fixture(void **state)
{
    fixture_t *f = *state;
    load_ok(f, "tests/traces/rates.csv");
    assert_int_equal(f->t.kind, TRACE_RATES);
    assert_int_equal(f->t.n, 4);
    assert_non_null(f->t.rate);
    static const simtime_t at[] = {0, 60 * SIM_S, 120 * SIM_S, 300250000000};
    static const double rate[] = {10, 25.5, 0, 1000};
    for (size_t i = 0; i < 4; i++) {
        assert_int_equal(f->t.at[i], at[i]);
        assert_true(f->t.rate[i] == rate[i]); /* all exact in binary */
    }
}

static void test_timestamps_fixture(void **state)
{
    fixture_t *f = *state;
    load_ok(f, "tests/traces/timestamps.csv"); /* a comment before the header, a blank line */
    assert_int_equal(f->t.kind, TRACE_TIMESTAMPS);
    assert_int_equal(f->t.n, 6);
    assert_null(f->t.rate);
    static const simtime_t at[] = {0, 500000000, 500000000, 1000000001, 1000000001, 7 * SIM_S};
    for (size_t i = 0; i < 6; i++)
        assert_int_equal(f->t.at[i], at[i]);
}

static void test_crlf_fixture(void **state)
{
    fixture_t *f = *state;
    load_ok(f, "tests/traces/crlf.csv"); /* CRLF, comments, a blank line */
    assert_int_equal(f->t.kind, TRACE_RATES);
    assert_int_equal(f->t.n, 2);
    assert_int_equal(f->t.at[0], 1 * SIM_S);
    assert_int_equal(f->t.at[1], 2500000000);
    assert_true(f->t.rate[0] == 2 && f->t.rate[1] == 3);
}

/* Blanks around cells and header names, whitespace-only lines, a comment
 * before the header, a last line without a newline (and one ending in a
 * lone CR). */
static void test_layout(void **state)
{
    fixture_t *f = *state;
    parse_ok(f, "# recorded 2024-05-01\n\n time_s , rate \n  \n\t\n 1 , 2 \n# 3,4\n\r\n4,\t5");
    assert_int_equal(f->t.kind, TRACE_RATES);
    assert_int_equal(f->t.n, 2);
    assert_int_equal(f->t.at[0], SIM_S);
    assert_int_equal(f->t.at[1], 4 * SIM_S);
    assert_true(f->t.rate[0] == 2 && f->t.rate[1] == 5);
    parse_ok(f, "time_s\r\n3\r\n3\r");
    assert_int_equal(f->t.kind, TRACE_TIMESTAMPS);
    assert_int_equal(f->t.n, 2);
    assert_int_equal(f->t.at[1], 3 * SIM_S);
}

/* strtod's decimal syntax, to the nearest nanosecond; the bounds are in. */
static void test_numbers(void **state)
{
    fixture_t *f = *state;
    parse_ok(f, "time_s\n-0\n+0.5\n.75\n1.\n1e1\n1E1\n12.0000000004\n12.0000000006\n315360000\n");
    static const simtime_t at[] = {0, 500000000, 750000000, SIM_S, 10 * SIM_S, 10 * SIM_S,
                                   12000000000, 12000000001, 315360000 * SIM_S};
    assert_int_equal(f->t.n, 9);
    for (size_t i = 0; i < 9; i++)
        assert_int_equal(f->t.at[i], at[i]);
    parse_ok(f, "time_s,rate\n0,1e9\n1,0\n2,1e-400\n"); /* underflow: that tiny rate, 0 */
    assert_true(f->t.rate[0] == 1e9 && f->t.rate[1] == 0 && f->t.rate[2] == 0);
    /* Only len bytes are read: the text need not end in a NUL. */
    static const char text[] = "time_s\n1\n23";
    assert_int_equal(trace_parse_text(f->a, "t.csv", text, sizeof text - 2, &f->t, &f->d), 0);
    assert_int_equal(f->t.n, 2);
    assert_int_equal(f->t.at[1], 2 * SIM_S);
}

/* ---- errors, each at its line:col ---------------------------------------- */

#define ERROR_CASE(name, text, prefix, part)                                                                          \
    static void name(void **state) { parse_fails(*state, text, prefix, part); }

ERROR_CASE(test_err_decreasing, "time_s\n1\n3\n2\n", "t.csv:4:1: ",
           "time_s: '2' goes back (the row at line 3 is at '3'): rows must be in time order")
ERROR_CASE(test_err_decreasing_rates, "time_s,rate\n0,1\n\n5,2\n4.5,3\n", "t.csv:5:1: ",
           "'4.5' goes back (the row at line 4 is at '5')")
ERROR_CASE(test_err_repeated_rate_time, "time_s,rate\n0,1\n5,2\n5,3\n", "t.csv:4:1: ",
           "time_s: '5' repeats the time of the row at line 3: a rate profile's times strictly increase")
/* 1.0000000001 s and 1.0000000002 s both round to 1,000,000,000 ns */
ERROR_CASE(test_err_same_nanosecond, "time_s,rate\n1.0000000001,1\n1.0000000002,2\n", "t.csv:3:1: ",
           "'1.0000000002' is the same nanosecond as '1.0000000001' at line 2")
ERROR_CASE(test_err_negative_rate, "time_s,rate\n0,5\n10, -2\n", "t.csv:3:5: ",
           "rate: '-2' is negative: expected requests per second from 0 to 1e+09")
ERROR_CASE(test_err_rate_above, "time_s,rate\n0,1e9\n1,1.5e9\n", "t.csv:3:3: ",
           "rate: '1.5e9' is above 1e+09 requests per second, clustersim's limit")
ERROR_CASE(test_err_negative_time, "time_s\n-0.5\n", "t.csv:2:1: ", "time_s: '-0.5' is negative")
ERROR_CASE(test_err_time_above, "time_s\n315360000\n315360000.5\n", "t.csv:3:1: ",
           "time_s: '315360000.5' is beyond 315360000 s (3650 days, the longest scenario)")
ERROR_CASE(test_err_garbage_time, "time_s,rate\n0,1\n2.5s,3\n", "t.csv:3:4: ",
           "time_s: '2.5s' is not a number: 's' follows '2.5'")
ERROR_CASE(test_err_garbage_rate, "time_s,rate\n0,12 rps\n", "t.csv:2:6: ",
           "rate: '12 rps' is not a number: 'rps' follows '12'")
ERROR_CASE(test_err_not_a_number, "time_s\n1\nabc\n", "t.csv:3:1: ", "time_s: expected a number, got 'abc'")
ERROR_CASE(test_err_lone_point, "time_s,rate\n0,-.\n", "t.csv:2:3: ", "rate: expected a number, got '-.'")
ERROR_CASE(test_err_empty_cell, "time_s,rate\n0,\n", "t.csv:2:3: ", "rate: empty cell: expected a number")
ERROR_CASE(test_err_nan, "time_s\nnan\n", "t.csv:2:1: ",
           "time_s: 'nan' is not a finite number (NaN and infinities are not accepted)")
ERROR_CASE(test_err_inf, "time_s,rate\n0,inf\n", "t.csv:2:3: ", "rate: 'inf' is not a finite number")
ERROR_CASE(test_err_minus_infinity, "time_s\n1\n  -Infinity\n", "t.csv:3:3: ",
           "time_s: '-Infinity' is not a finite number")
ERROR_CASE(test_err_overflow, "time_s,rate\n0,1e999\n", "t.csv:2:3: ", "rate: '1e999' is out of range")
ERROR_CASE(test_err_hex, "time_s\n0x10\n", "t.csv:2:1: ", "time_s: '0x10': hexadecimal numbers are not accepted")
ERROR_CASE(test_err_extra_column, "time_s\n1\n2,3\n", "t.csv:3:3: ",
           "extra column 2 '3': the header 'time_s' has 1 column")
ERROR_CASE(test_err_trailing_comma, "time_s\n1,\n", "t.csv:2:3: ", "extra column 2 '': the header 'time_s' has 1")
ERROR_CASE(test_err_extra_rate_column, "time_s,rate\n1,2,eu-west\n", "t.csv:2:5: ",
           "extra column 3 'eu-west': the header 'time_s,rate' has 2 columns")
ERROR_CASE(test_err_missing_rate, "time_s,rate\n1\n2,3\n", "t.csv:2:2: ",
           "missing the rate: the header 'time_s,rate' has 2 columns")
ERROR_CASE(test_err_header_extra, "time_s,rate,region\n1,2,eu\n", "t.csv:1:13: ",
           "extra column 3 'region' in the trace's header (valid headers: 'time_s,rate', a rate profile in requests "
           "per second, or 'time_s', one request per row)")
ERROR_CASE(test_err_header_unknown, "timestamp\n1\n", "t.csv:1:1: ",
           "unknown column 'timestamp' in the trace's header (valid headers: 'time_s,rate', a rate profile in "
           "requests per second, or 'time_s', one request per row)")
ERROR_CASE(test_err_header_swapped, "# x\nrate,time_s\n", "t.csv:2:1: ", "unknown column 'rate'")
ERROR_CASE(test_err_header_second, "time_s, rps\n1,2\n", "t.csv:1:9: ",
           "unknown column 'rps' in the trace's header (valid headers: 'time_s,rate'")
ERROR_CASE(test_err_header_only, "time_s,rate\n", "t.csv:1:1: ",
           "empty trace: the header 'time_s,rate' is followed by no rows")
ERROR_CASE(test_err_header_and_comments, "# x\n\ntime_s\n# nothing yet\n\n", "t.csv:3:1: ",
           "empty trace: the header 'time_s' is followed by no rows")
ERROR_CASE(test_err_empty_file, "", "t.csv:1:1: ", "empty trace: expected a header (valid headers: 'time_s,rate'")
ERROR_CASE(test_err_only_comments, "# nothing\n\n", "t.csv:1:1: ", "empty trace: expected a header")
ERROR_CASE(test_err_bom, "\xEF\xBB\xBFtime_s\n1\n", "t.csv:1:1: ", "a UTF-8 byte-order mark starts the file")

/* "time_s\n" is bytes 0-6, "1\n" 7-8, "2" 9: the NUL at 10 is line 3, col 2. */
static void test_err_nul(void **state)
{
    static const char text[] = "time_s\n1\n2\0\n";
    parse_fails_n(*state, text, sizeof text - 1, "t.csv:3:2: ", "a NUL byte");
}

static void test_err_missing_file(void **state)
{
    fixture_t *f = *state;
    assert_int_equal(trace_load(f->a, "tests/traces/no-such-trace.csv", &f->t, &f->d), -1);
    tl_expect_error(&f->d, "tests/traces/no-such-trace.csv: ", "cannot open: No such file or directory");
    assert_int_equal(f->d.errors, 1);
    assert_int_equal(f->t.n, 0);
}

static void test_err_file_located(void **state)
{
    fixture_t *f = *state;
    assert_int_equal(trace_load(f->a, "tests/traces/bad_order.csv", &f->t, &f->d), -1);
    tl_expect_error(&f->d, "tests/traces/bad_order.csv:4:1: ", "time_s: '2' goes back");
    assert_int_equal(f->t.n, 0);
}

/* A bad row does not stop the others being checked (an out-of-order row
 * is compared with the last good one), up to TRACE_MAX_ERRORS. */
static void test_err_several(void **state)
{
    fixture_t *f = *state;
    assert_int_equal(trace_parse_text(f->a, "t.csv", "time_s\n5\n1\n6\nx\n7\n", 17, &f->t, &f->d), -1);
    assert_int_equal(f->d.errors, 2);
    tl_expect_error(&f->d, "t.csv:3:1: ", "'1' goes back (the row at line 2 is at '5')");
    assert_non_null(strstr(f->d.msgs[1].text, "t.csv:5:1: time_s: expected a number, got 'x'"));

    char text[4096] = "time_s\n";
    for (int i = 0; i < 2 * TRACE_MAX_ERRORS; i++)
        strcat(text, "-1\n");
    diag_init(&f->d);
    assert_int_equal(trace_parse_text(f->a, "t.csv", text, strlen(text), &f->t, &f->d), -1);
    assert_int_equal(f->d.errors, TRACE_MAX_ERRORS);
}

/* ---- size ---------------------------------------------------------------- */

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* One million timestamps, a millisecond apart: parsed in well under a
 * second, and the arena keeps only the 8 MB array, not the text. */
static void test_large(void **state)
{
    fixture_t *f = *state;
    const int n = 1000000;
    char *text = malloc((size_t)n * 16 + 16);
    assert_non_null(text);
    size_t k = (size_t)sprintf(text, "time_s\n");
    for (int i = 0; i < n; i++)
        k += (size_t)sprintf(text + k, "%d.%03d\n", i / 1000, i % 1000);
    double t0 = now_s();
    int rc = trace_parse_text(f->a, "big.csv", text, k, &f->t, &f->d);
    double dt = now_s() - t0;
    free(text);
    assert_int_equal(rc, 0);
    print_message("1,000,000 timestamps (%zu bytes) parsed in %.3f s\n", k, dt);
    assert_true(dt < 1.0);
    assert_int_equal(f->t.n, (size_t)n);
    assert_int_equal(f->t.at[0], 0);
    assert_int_equal(f->t.at[1], SIM_MS);
    assert_int_equal(f->t.at[123456], 123456 * SIM_MS);
    assert_int_equal(f->t.at[n - 1], 999999 * SIM_MS);
    assert_true(arena_bytes(f->a) < (size_t)n * sizeof(simtime_t) + ((size_t)256 << 10));
}

/* TRACE_MAX_RATES points load; one more is reported at its own line (the
 * header is line 1, row i at line i + 1). */
static void test_row_limit(void **state)
{
    fixture_t *f = *state;
    const size_t n = TRACE_MAX_RATES + 1;
    char *text = malloc(n * 16 + 16);
    assert_non_null(text);
    size_t k = (size_t)sprintf(text, "time_s,rate\n"), before_last = 0;
    for (size_t i = 0; i < n; i++) {
        before_last = k;
        k += (size_t)sprintf(text + k, "%zu,1\n", i);
    }
    assert_int_equal(trace_parse_text(f->a, "big.csv", text, before_last, &f->t, &f->d), 0);
    assert_int_equal(f->t.n, TRACE_MAX_RATES);
    assert_int_equal(f->t.at[TRACE_MAX_RATES - 1], (simtime_t)(TRACE_MAX_RATES - 1) * SIM_S);
    int rc = trace_parse_text(f->a, "big.csv", text, k, &f->t, &f->d);
    free(text);
    assert_int_equal(rc, -1);
    tl_expect_error(&f->d, "big.csv:1000002:1: ", "row 1000001 is beyond clustersim's limit of 1000000 rate points");
    assert_int_equal(f->d.errors, 1);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_rates_fixture),
        T(test_timestamps_fixture),
        T(test_crlf_fixture),
        T(test_layout),
        T(test_numbers),
        T(test_err_decreasing),
        T(test_err_decreasing_rates),
        T(test_err_repeated_rate_time),
        T(test_err_same_nanosecond),
        T(test_err_negative_rate),
        T(test_err_rate_above),
        T(test_err_negative_time),
        T(test_err_time_above),
        T(test_err_garbage_time),
        T(test_err_garbage_rate),
        T(test_err_not_a_number),
        T(test_err_lone_point),
        T(test_err_empty_cell),
        T(test_err_nan),
        T(test_err_inf),
        T(test_err_minus_infinity),
        T(test_err_overflow),
        T(test_err_hex),
        T(test_err_extra_column),
        T(test_err_trailing_comma),
        T(test_err_extra_rate_column),
        T(test_err_missing_rate),
        T(test_err_header_extra),
        T(test_err_header_unknown),
        T(test_err_header_swapped),
        T(test_err_header_second),
        T(test_err_header_only),
        T(test_err_header_and_comments),
        T(test_err_empty_file),
        T(test_err_only_comments),
        T(test_err_bom),
        T(test_err_nul),
        T(test_err_missing_file),
        T(test_err_file_located),
        T(test_err_several),
        T(test_large),
        T(test_row_limit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
