#include "sim/units.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Splits s into a number and a suffix: *suffix points after the number with
 * blanks skipped; trailing blanks are cut by *suffix_len. */
static int split(const char *s, double *num, const char **suffix, size_t *suffix_len)
{
    while (isspace((unsigned char)*s))
        s++;
    if (*s == '\0')
        return -1;
    /* strtod accepts "inf", "nan" and hex; a quantity never is one. */
    const char *p = s;
    if (*p == '+' || *p == '-')
        p++;
    if (!isdigit((unsigned char)*p) && *p != '.')
        return -1;
    if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X'))
        return -1;
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || errno == ERANGE || !isfinite(v))
        return -1;
    while (isspace((unsigned char)*end))
        end++;
    size_t n = strlen(end);
    while (n > 0 && isspace((unsigned char)end[n - 1]))
        n--;
    *num = v;
    *suffix = end;
    *suffix_len = n;
    return 0;
}

static int suffix_is(const char *suf, size_t n, const char *word)
{
    return strlen(word) == n && strncmp(suf, word, n) == 0;
}

const char *units_number(const char *s, double *out)
{
    double v;
    const char *suf;
    size_t n;
    if (split(s, &v, &suf, &n) != 0 || n != 0)
        return "expected a number";
    *out = v;
    return NULL;
}

static const struct {
    const char *name;
    double seconds;
} time_units[] = {
    {"ns", 1e-9}, {"us", 1e-6}, {"µs", 1e-6}, {"ms", 1e-3}, {"s", 1.0},
    {"m", 60.0}, {"min", 60.0}, {"h", 3600.0}, {"d", 86400.0},
};

static int time_unit(const char *suf, size_t n, double *sec)
{
    for (size_t i = 0; i < sizeof time_units / sizeof time_units[0]; i++)
        if (suffix_is(suf, n, time_units[i].name)) {
            *sec = time_units[i].seconds;
            return 0;
        }
    return -1;
}

const char *units_duration(const char *s, simtime_t *out)
{
    static const char *msg = "expected a duration such as 250ms, 30s, 10m, 2h or 1d (a bare number is seconds)";
    double v, unit = 1.0;
    const char *suf;
    size_t n;
    if (split(s, &v, &suf, &n) != 0)
        return msg;
    if (n > 0 && time_unit(suf, n, &unit) != 0)
        return msg;
    double sec = v * unit;
    if (!(fabs(sec) < 9.2e9))
        return "duration out of range (at most about 290 years)";
    *out = simtime_from_s(sec);
    return NULL;
}

const char *units_rate(const char *s, double *per_second)
{
    static const char *msg = "expected a rate such as 3.2/s, 200/min or 10/h (a bare number is per second)";
    double v, unit = 1.0;
    const char *suf;
    size_t n;
    if (split(s, &v, &suf, &n) != 0)
        return msg;
    if (n > 0) {
        if (suf[0] != '/')
            return msg;
        suf++;
        n--;
        while (n > 0 && isspace((unsigned char)*suf))
            suf++, n--;
        if (time_unit(suf, n, &unit) != 0 || suffix_is(suf, n, "m"))
            return msg; /* "/m" is ambiguous (minute or milli): write /min */
    }
    *per_second = v / unit;
    return NULL;
}

/* Kubernetes quantities, exactly: the number is read as a decimal mantissa
 * and exponent (no floating point), so "32.2G" is 32200000000 bytes and
 * "0.1" is 100 millicores, as resource.Quantity computes them. */

typedef unsigned __int128 u128;

static const struct {
    const char *name;
    int exp10;   /* decimal suffixes */
    int exp2;    /* binary suffixes */
} qsuffixes[] = {
    {"", 0, 0},    {"n", -9, 0},  {"u", -6, 0},  {"m", -3, 0},  {"k", 3, 0},   {"M", 6, 0},   {"G", 9, 0},   {"T", 12, 0},
    {"P", 15, 0},  {"E", 18, 0},  {"Ki", 0, 10}, {"Mi", 0, 20}, {"Gi", 0, 30}, {"Ti", 0, 40},
    {"Pi", 0, 50}, {"Ei", 0, 60},
};

const char *units_quantity(const char *s, int scale10, int64_t *out)
{
    static const char *msg = "expected a quantity such as 500m, 1.5, 2Gi, 800M or 1e3";
    while (isspace((unsigned char)*s))
        s++;
    int neg = 0;
    if (*s == '+' || *s == '-')
        neg = *s++ == '-';
    u128 mant = 0;
    int exp10 = 0, digits = 0, sig = 0;
    for (; isdigit((unsigned char)*s); s++, digits++) {
        if (sig < 36) {
            mant = mant * 10 + (u128)(*s - '0');
            sig += mant != 0;
        } else {
            exp10++; /* digits past 36 significant ones only scale the value */
        }
    }
    if (*s == '.') {
        for (s++; isdigit((unsigned char)*s); s++, digits++) {
            if (sig < 36) {
                mant = mant * 10 + (u128)(*s - '0');
                sig += mant != 0;
                exp10--;
            }
        }
    }
    if (digits == 0)
        return msg;
    /* a decimal exponent: e3, E-2 (but "E" alone is the exa suffix) */
    if ((*s == 'e' || *s == 'E') &&
        (isdigit((unsigned char)s[1]) || ((s[1] == '+' || s[1] == '-') && isdigit((unsigned char)s[2])))) {
        char *end;
        long e = strtol(s + 1, &end, 10);
        if (e > 1000 || e < -1000)
            return "quantity out of range";
        exp10 += (int)e;
        s = end;
    }
    size_t n = strlen(s);
    while (n > 0 && isspace((unsigned char)s[n - 1]))
        n--;
    size_t k;
    for (k = 0; k < sizeof qsuffixes / sizeof qsuffixes[0]; k++)
        if (strlen(qsuffixes[k].name) == n && strncmp(s, qsuffixes[k].name, n) == 0)
            break;
    if (k == sizeof qsuffixes / sizeof qsuffixes[0])
        return msg;
    exp10 += qsuffixes[k].exp10 + scale10;
    const u128 limit = (u128)INT64_MAX;
    /* value = mant * 2^exp2 * 10^exp10, rounded up. A fraction's 10^-k is
     * divided out last (exactly, rounding up), so the scaling before it
     * may reach limit * 10^k (1.1Ei is 11 x 2^60 / 10): the bound each
     * step checks. A denominator past 10^30 exceeds any mantissa here. */
    u128 den = 1;
    while (exp10 < 0 && den <= ((u128)1 << 100)) {
        den *= 10;
        exp10++;
    }
    bool tiny = exp10 < 0; /* below 10^-30 of the mantissa: rounds up to 1 */
    const u128 room = ~(u128)0 / 16;
    u128 bound = den <= room / limit ? limit * den : room;
    for (int e2 = qsuffixes[k].exp2; e2 > 0 && mant; e2--) {
        if (mant > bound / 2)
            return "quantity out of range";
        mant *= 2;
    }
    for (; exp10 > 0 && mant; exp10--) {
        if (mant > bound / 10)
            return "quantity out of range";
        mant *= 10;
    }
    if (mant && (den > 1 || tiny)) {
        u128 q = tiny ? 0 : mant / den, r = tiny ? mant : mant % den;
        mant = q + (r != 0); /* round the magnitude up, as MilliValue does */
    }
    if (mant > limit)
        return "quantity out of range";
    *out = neg ? -(int64_t)mant : (int64_t)mant;
    return NULL;
}

const char *units_cpu(const char *s, int64_t *millicores)
{
    static const char *msg = "expected a CPU quantity such as 500m or 0.5 (cores)";
    /* Scenarios take millicores or cores only: "500M" (mega-cores) or "1Gi"
     * is valid for Kubernetes but surely a typo here. */
    size_t n = strlen(s);
    while (n > 0 && isspace((unsigned char)s[n - 1]))
        n--;
    if (n > 0 && isalpha((unsigned char)s[n - 1]) && !(s[n - 1] == 'm' && (n < 2 || !isalpha((unsigned char)s[n - 2]))))
        return msg;
    if (units_quantity(s, 3, millicores) != NULL)
        return msg;
    return NULL;
}

const char *units_memory(const char *s, int64_t *bytes)
{
    if (units_quantity(s, 0, bytes) != NULL)
        return "expected a memory quantity such as 512Mi, 1Gi, 800M or a number of bytes";
    return NULL;
}

void units_format_duration(simtime_t t, char *buf, unsigned size)
{
    double s = simtime_to_s(t);
    double a = fabs(s);
    /* whole units are tested on the integer, where they are exact */
    if (t == 0)
        snprintf(buf, size, "0s");
    else if (t % (86400 * SIM_S) == 0)
        snprintf(buf, size, "%lldd", (long long)(t / (86400 * SIM_S)));
    else if (t % (3600 * SIM_S) == 0)
        snprintf(buf, size, "%lldh", (long long)(t / (3600 * SIM_S)));
    else if (t % (60 * SIM_S) == 0)
        snprintf(buf, size, "%lldm", (long long)(t / (60 * SIM_S)));
    else if (a >= 1.0)
        snprintf(buf, size, "%gs", s);
    else if (a >= 1e-3)
        snprintf(buf, size, "%gms", s * 1e3);
    else if (a >= 1e-6)
        snprintf(buf, size, "%gus", s * 1e6);
    else
        snprintf(buf, size, "%lldns", (long long)t);
}
