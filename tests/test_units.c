/* Unit tests of sim/units: quantities with units, as scenarios write them.
 *
 * Expected values are computed by hand from the unit definitions in
 * sim/units.h (1 min = 60 s, 1 h = 3600 s, 1 d = 86400 s; Ki = 2^10,
 * Mi = 2^20, Gi = 2^30; k = 10^3, M = 10^6, G = 10^9) and from the
 * Kubernetes quantity rules the header cites: CPU in millicores rounded up
 * (MilliValue), memory in bytes rounded up (Value()); both are exact decimal
 * arithmetic in Kubernetes, so "32.2G" is 32200000000 bytes, not one more.
 * The Kubernetes documentation ("Resource Management for Pods and
 * Containers") gives 128974848, 129e6, 129M and 123Mi as memory examples;
 * 123Mi = 123 * 2^20 = 128974848.
 *
 * Durations are "to nanoseconds (nearest)": where the exact value is a whole
 * number of ns, it must come out exactly. Rates are doubles computed with two
 * correctly rounded operations (strtod, one division), so they are compared
 * within 4 units in the last place (relative 4 * 2^-53). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "sim/units.h"

/* Things none of the parsers may accept. */
static const char *const garbage[] = {
    "", "   ", "abc", "5 parsecs", "1x", "nan", "NaN", "inf", "-inf", "infinity", "0x10", "0X1p3", "--5",
    "+-5", "5ms5", ".", "-", "1e", "1e400", "5 5", "s", "ms", "Mi", "m", "/s",
};
#define NGARBAGE (sizeof garbage / sizeof garbage[0])

static void check_duration(const char *s, simtime_t ns)
{
    simtime_t t = -12345;
    const char *err = units_duration(s, &t);
    if (err) {
        print_error("units_duration(\"%s\") rejected: %s\n", s, err);
        fail();
    }
    if (t != ns) {
        print_error("units_duration(\"%s\") = %lld, expected %lld\n", s, (long long)t, (long long)ns);
        fail();
    }
}

static void check_rate(const char *s, double per_s)
{
    double r = -1;
    const char *err = units_rate(s, &r);
    if (err) {
        print_error("units_rate(\"%s\") rejected: %s\n", s, err);
        fail();
    }
    if (!(fabs(r - per_s) <= 4 * 0x1p-53 * fabs(per_s))) {
        print_error("units_rate(\"%s\") = %.17g, expected %.17g\n", s, r, per_s);
        fail();
    }
}

static void check_cpu(const char *s, int64_t mc)
{
    int64_t m = -12345;
    const char *err = units_cpu(s, &m);
    if (err) {
        print_error("units_cpu(\"%s\") rejected: %s\n", s, err);
        fail();
    }
    if (m != mc) {
        print_error("units_cpu(\"%s\") = %lld, expected %lld\n", s, (long long)m, (long long)mc);
        fail();
    }
}

static void check_memory(const char *s, int64_t bytes)
{
    int64_t b = -12345;
    const char *err = units_memory(s, &b);
    if (err) {
        print_error("units_memory(\"%s\") rejected: %s\n", s, err);
        fail();
    }
    if (b != bytes) {
        print_error("units_memory(\"%s\") = %lld, expected %lld\n", s, (long long)b, (long long)bytes);
        fail();
    }
}

static void test_number(void **state)
{
    (void)state;
    double v = 0;
    assert_null(units_number("3.25", &v));
    assert_true(v == 3.25);
    assert_null(units_number("  42 ", &v));
    assert_true(v == 42.0);
    assert_null(units_number("1e3", &v));
    assert_true(v == 1000.0);
    assert_null(units_number("-0.5", &v));
    assert_true(v == -0.5);
    assert_null(units_number(".5", &v));
    assert_true(v == 0.5);
    assert_non_null(units_number("5s", &v));
    for (size_t i = 0; i < NGARBAGE; i++) {
        const char *err = units_number(garbage[i], &v);
        if (!err) {
            print_error("units_number accepted \"%s\"\n", garbage[i]);
            fail();
        }
        assert_true(err[0] != '\0');
    }
}

static void test_duration_units(void **state)
{
    (void)state;
    check_duration("1ns", 1);
    check_duration("250ns", 250);
    check_duration("250us", 250 * SIM_US);
    check_duration("5ms", 5 * SIM_MS);
    check_duration("30s", 30 * SIM_S);
    check_duration("10m", 600 * SIM_S);             /* m = minutes for durations */
    check_duration("10min", 600 * SIM_S);
    check_duration("2h", 7200 * SIM_S);
    check_duration("1d", 86400 * SIM_S);
    check_duration("7", 7 * SIM_S);                 /* bare number: seconds */
    check_duration("0.25", 250 * SIM_MS);
    check_duration("1.5h", 5400 * SIM_S);           /* 1.5 * 3600 */
    check_duration("0.5d", 43200 * SIM_S);
    check_duration("2.5min", 150 * SIM_S);
    check_duration("1.5us", 1500);
    check_duration("0.000001ms", 1);                /* 1e-6 ms = 1 ns */
    check_duration("  5ms  ", 5 * SIM_MS);          /* blanks around */
    check_duration("\t30s\n", 30 * SIM_S);
    check_duration("0", 0);
    check_duration("0s", 0);
    check_duration("1e3", 1000 * SIM_S);            /* strtod syntax */
    check_duration("1e-3s", SIM_MS);
    check_duration("0.4ns", 0);                     /* nearest ns */
    check_duration("0.6ns", 1);
    /* 9e9 s * 1e9 = 9e18 ns: exact in double, fits int64 (max ~9.22e18) */
    check_duration("9e9s", (simtime_t)9000000000000000000LL);
    simtime_t t;
    assert_non_null(units_duration("1e10s", &t));    /* > int64 ns (~292 years) */
    assert_non_null(units_duration("300y", &t));
    assert_non_null(units_duration("5 sec", &t));
    assert_non_null(units_duration("5S", &t));
    assert_non_null(units_duration("5Ms", &t));
    assert_non_null(units_duration("5/s", &t));
    for (size_t i = 0; i < NGARBAGE; i++)
        if (!units_duration(garbage[i], &t)) {
            print_error("units_duration accepted \"%s\"\n", garbage[i]);
            fail();
        }
}

/* "I.FFF<unit>" for many I and every FFF: the exact value is a whole number
 * of ns, (1000 I + FFF) * (ns per unit) / 1000, and must come out exactly.
 * Kept below 2^50 ns (13 days): beyond 2^52 ns a double has no
 * nanosecond resolution left. */
static void test_duration_decimals_exact(void **state)
{
    (void)state;
    static const struct {
        const char *u;
        int64_t ns;
        int imax;
    } units[] = {
        {"us", 1000, 1000}, {"ms", 1000000, 1000}, {"s", 1000000000, 1000},
        {"m", 60000000000, 1000}, {"min", 60000000000, 1000}, {"h", 3600000000000, 300}, {"d", 86400000000000, 13},
    };
    char s[64];
    size_t bad = 0;
    for (size_t k = 0; k < sizeof units / sizeof units[0]; k++)
        for (int i = 0; i < units[k].imax; i += (i < 20 ? 1 : 37))
            for (int f = 0; f < 1000; f++) {
                snprintf(s, sizeof s, "%d.%03d%s", i, f, units[k].u);
                int64_t exact = ((int64_t)i * 1000 + f) * (units[k].ns / 1000);
                simtime_t t;
                if (units_duration(s, &t) != NULL || t != exact) {
                    if (bad++ < 5)
                        print_error("%s -> %lld, expected %lld\n", s, (long long)t, (long long)exact);
                }
            }
    assert_int_equal(bad, 0);
}

static void test_rate(void **state)
{
    (void)state;
    check_rate("3.2/s", 3.2);
    check_rate("3.2", 3.2);                 /* bare: per second */
    check_rate("200/min", 200.0 / 60.0);
    check_rate("10/h", 10.0 / 3600.0);
    check_rate("5/ms", 5000.0);
    check_rate("2/us", 2e6);
    check_rate("1/d", 1.0 / 86400.0);
    check_rate("1e3/s", 1000.0);
    check_rate(" 3.2/s ", 3.2);             /* blanks around */
    check_rate("3.2 / s", 3.2);             /* and around the slash */
    check_rate("0/s", 0.0);
    double r;
    /* "/m" is ambiguous (per minute or per milli-): rejected */
    assert_non_null(units_rate("5/m", &r));
    assert_non_null(units_rate("5/ m", &r));
    assert_non_null(units_rate("5s", &r));   /* a duration, not a rate */
    assert_non_null(units_rate("5/", &r));
    assert_non_null(units_rate("5//s", &r));
    assert_non_null(units_rate("5/sec", &r));
    assert_non_null(units_rate("5/s/s", &r));
    for (size_t i = 0; i < NGARBAGE; i++)
        if (!units_rate(garbage[i], &r)) {
            print_error("units_rate accepted \"%s\"\n", garbage[i]);
            fail();
        }
}

/* Kubernetes' decimal suffixes n (10^-9) and u (10^-6), as any quantity
 * field reads them (an HPA's averageValue, a tolerance): scaled exactly,
 * rounded up as MilliValue() rounds. They were refused. */
static void test_quantity_small_suffixes(void **state)
{
    (void)state;
    int64_t v;
    assert_null(units_quantity("1n", 3, &v));
    assert_int_equal(v, 1);           /* 10^-6 milli, rounded up */
    assert_null(units_quantity("50u", 9, &v));
    assert_int_equal(v, 50000);       /* 5 10^-5 in nano-units */
    assert_null(units_quantity("500u", 3, &v));
    assert_int_equal(v, 1);           /* 0.5 milli, rounded up */
    assert_null(units_quantity("2500n", 9, &v));
    assert_int_equal(v, 2500);
    assert_null(units_quantity("1500000u", 0, &v));
    assert_int_equal(v, 2);           /* 1.5, rounded up */
    assert_non_null(units_quantity("1nn", 3, &v));
    assert_non_null(units_quantity("1U", 3, &v));
}

static void test_cpu(void **state)
{
    (void)state;
    check_cpu("500m", 500);
    check_cpu("0.5", 500);
    check_cpu("2", 2000);
    check_cpu("0.1", 100);       /* 0.1*1000 is 100.00000000000001 in double: must not round up */
    check_cpu("0.3", 300);
    check_cpu("0.7", 700);
    check_cpu("2.3", 2300);
    check_cpu("0.0001", 1);      /* 0.1 millicore, rounded up (MilliValue) */
    check_cpu("1.5m", 2);        /* rounded up */
    check_cpu("1m", 1);
    check_cpu("0", 0);
    check_cpu("0m", 0);
    check_cpu(" 250m ", 250);
    check_cpu("1e-3", 1);        /* 0.001 core */
    int64_t m;
    assert_non_null(units_cpu("500Mi", &m));
    assert_non_null(units_cpu("500M", &m));
    assert_non_null(units_cpu("2cores", &m));
    assert_non_null(units_cpu("1e17", &m));   /* 1e20 millicores: past int64 */
    for (size_t i = 0; i < NGARBAGE; i++)
        if (!units_cpu(garbage[i], &m)) {
            print_error("units_cpu accepted \"%s\"\n", garbage[i]);
            fail();
        }
}

/* "I.FFF" cores = 1000 I + FFF millicores exactly (Kubernetes parses the
 * decimal exactly). Small counts, plus a band around 2^15 cores where the
 * ulp of the product in millicores (2^-29 ~ 1.9e-9 at 3.3e7) exceeds the
 * 1e-9 slack units_cpu subtracts before rounding up. */
static void test_cpu_decimals_exact(void **state)
{
    (void)state;
    char s[64];
    size_t bad = 0, tried = 0;
    for (int band = 0; band < 2; band++)
        for (int i = band ? 32760 : 0; i < (band ? 32780 : 100); i++)
            for (int f = 0; f < 1000; f++) {
                snprintf(s, sizeof s, "%d.%03d", i, f);
                int64_t exact = (int64_t)i * 1000 + f, m = -1;
                tried++;
                if (units_cpu(s, &m) != NULL || m != exact) {
                    if (bad++ < 5)
                        print_error("units_cpu(\"%s\") = %lld, expected %lld\n", s, (long long)m, (long long)exact);
                }
            }
    /* exact: floating point would be one ulp off from 2^25 millicores up */
    if (bad)
        print_error("%zu of %zu decimal CPU quantities off\n", bad, tried);
    assert_int_equal(bad, 0);
}

static void test_memory(void **state)
{
    (void)state;
    check_memory("512Mi", 536870912);         /* 512 * 2^20 */
    check_memory("1Gi", 1073741824);          /* 2^30 */
    check_memory("1.2G", 1200000000);
    /* a fraction's trailing zeros do not overflow the scaling: 1.25 x 2^50,
     * 2 x 2^30, 0.5 x 2^60 (Kubernetes takes them all) */
    check_memory("1.2500Pi", 1407374883553280);
    check_memory("2.0000000000Gi", 2147483648);
    check_memory("0.50Ei", 576460752303423488);
    /* nor does a fraction with no trailing zero: divided out last, rounding
     * up (ceil(1.3333333333 x 2^30), ceil(1.1 x 2^60), by exact fractions) */
    check_memory("1.3333333333Gi", 1431655766);
    check_memory("1.1Ei", 1268213655067531674);
    {
        int64_t b;
        assert_non_null(units_memory("8.0000001Ei", &b)); /* just past 2^63 - 1 */
    }
    check_memory("800M", 800000000);
    check_memory("64Ki", 65536);
    check_memory("1Ti", 1099511627776LL);     /* 2^40 */
    check_memory("2k", 2000);
    check_memory("3T", 3000000000000LL);
    check_memory("128974848", 128974848);     /* bare: bytes */
    check_memory("123Mi", 128974848);         /* the Kubernetes docs' example */
    check_memory("129M", 129000000);
    check_memory("129e6", 129000000);         /* exponent form, as Kubernetes accepts */
    check_memory("1e3", 1000);
    check_memory("1.5Gi", 1610612736);        /* 1.5 * 2^30 */
    check_memory("0.1Ki", 103);               /* 102.4 rounded up */
    check_memory("1.1Gi", 1181116007);        /* 1181116006.4 rounded up */
    check_memory("1.5", 2);                   /* 1.5 bytes rounded up */
    check_memory(" 256Mi ", 268435456);
    check_memory("0", 0);
    int64_t b;
    assert_non_null(units_memory("512MB", &b));
    assert_non_null(units_memory("512mi", &b));
    assert_non_null(units_memory("1g", &b));
    check_memory("5E", 5000000000000000000);   /* exa, as Kubernetes (5e18 < 2^63) */
    assert_non_null(units_memory("1e19", &b));  /* past int64 */
    assert_non_null(units_memory("8Ei", &b));
    for (size_t i = 0; i < NGARBAGE; i++)
        if (!units_memory(garbage[i], &b)) {
            print_error("units_memory accepted \"%s\"\n", garbage[i]);
            fail();
        }
}

/* "I.FFF<suffix>" for I < 100 and every FFF: the exact byte count is
 * ceil((1000 I + FFF) * mult / 1000), computed here in integers. */
static void test_memory_decimals_exact(void **state)
{
    (void)state;
    static const struct {
        const char *u;
        uint64_t mult;
    } units[] = {
        {"k", 1000}, {"M", 1000000}, {"G", 1000000000}, {"T", 1000000000000ULL},
        {"Ki", 1ULL << 10}, {"Mi", 1ULL << 20}, {"Gi", 1ULL << 30}, {"Ti", 1ULL << 40},
    };
    char s[64];
    size_t bad = 0, tried = 0;
    for (size_t k = 0; k < sizeof units / sizeof units[0]; k++)
        for (uint64_t i = 0; i < 100; i++)
            for (uint64_t f = 0; f < 1000; f++) {
                snprintf(s, sizeof s, "%llu.%03llu%s", (unsigned long long)i, (unsigned long long)f, units[k].u);
                uint64_t milli = i * 1000 + f; /* < 1e5; times 2^40 < 1.2e17 */
                int64_t exact = (int64_t)((milli * units[k].mult + 999) / 1000);
                int64_t b = -1;
                tried++;
                if (units_memory(s, &b) != NULL || b != exact) {
                    if (bad++ < 5)
                        print_error("units_memory(\"%s\") = %lld, expected %lld\n", s, (long long)b,
                                    (long long)exact);
                }
            }
    /* exact: floating point would give 32200000001 for "32.2G" */
    if (bad)
        print_error("%zu of %zu decimal memory quantities off\n", bad, tried);
    assert_int_equal(bad, 0);
}

/* The header's examples and one value per remaining branch; whole minutes,
 * hours and days are swept in test_format_whole_units. */
static void test_format_duration(void **state)
{
    (void)state;
    static const struct {
        simtime_t t;
        const char *s;
    } cases[] = {
        {0, "0s"},
        {1500 * SIM_MS, "1.5s"},
        {250 * SIM_MS, "250ms"},
        {7200 * SIM_S, "2h"},
        {86400 * SIM_S, "1d"},
        {90 * SIM_S, "90s"},          /* not a whole number of minutes */
        {250 * SIM_US, "250us"},
        {1500, "1.5us"},
        {500, "500ns"},
        {1, "1ns"},
        {30 * SIM_S, "30s"},
    };
    char buf[32];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        units_format_duration(cases[i].t, buf, sizeof buf);
        if (strcmp(buf, cases[i].s) != 0) {
            print_error("format(%lld) = \"%s\", expected \"%s\"\n", (long long)cases[i].t, buf, cases[i].s);
            fail();
        }
        /* what is printed reads back as the same duration */
        simtime_t back;
        assert_null(units_duration(buf, &back));
        assert_int_equal(back, cases[i].t);
    }
    /* a small buffer is truncated, never overrun */
    char small[4] = {'x', 'x', 'x', 'x'};
    units_format_duration(250 * SIM_MS, small, 3);
    assert_string_equal(small, "25");
    assert_int_equal(small[3], 'x');
}

/* Whole minutes, hours and days print in the largest of those units that
 * divides them (the rule units_format_duration implements: "2h", not
 * "120m"). Every whole minute up to two days is tried. */
static void test_format_whole_units(void **state)
{
    (void)state;
    char buf[32], want[32];
    size_t bad = 0;
    for (long long m = 1; m <= 2 * 1440; m++) {
        if (m % 1440 == 0)
            snprintf(want, sizeof want, "%lldd", m / 1440);
        else if (m % 60 == 0)
            snprintf(want, sizeof want, "%lldh", m / 60);
        else
            snprintf(want, sizeof want, "%lldm", m);
        units_format_duration(m * 60 * SIM_S, buf, sizeof buf);
        if (strcmp(buf, want) != 0 && bad++ < 5)
            print_error("format(%lld min) = \"%s\", expected \"%s\"\n", m, buf, want);
    }
    /* whole units must be found on the integer (1e-9 s per ns is inexact) */
    assert_int_equal(bad, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_number),
        cmocka_unit_test(test_duration_units),
        cmocka_unit_test(test_duration_decimals_exact),
        cmocka_unit_test(test_rate),
        cmocka_unit_test(test_quantity_small_suffixes),
        cmocka_unit_test(test_cpu),
        cmocka_unit_test(test_cpu_decimals_exact),
        cmocka_unit_test(test_memory),
        cmocka_unit_test(test_memory_decimals_exact),
        cmocka_unit_test(test_format_duration),
        cmocka_unit_test(test_format_whole_units),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
