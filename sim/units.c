#include "sim/units.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
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

const char *units_cpu(const char *s, int64_t *millicores)
{
    static const char *msg = "expected a CPU quantity such as 500m or 0.5 (cores)";
    double v;
    const char *suf;
    size_t n;
    if (split(s, &v, &suf, &n) != 0)
        return msg;
    double m;
    if (n == 0)
        m = v * 1000.0;
    else if (suffix_is(suf, n, "m"))
        m = v;
    else
        return msg;
    if (!(fabs(m) < 1e15))
        return "CPU quantity out of range";
    /* Kubernetes' MilliValue rounds up; the small epsilon keeps 0.1*1000 at 100. */
    *millicores = (int64_t)ceil(m - 1e-9);
    return NULL;
}

static const struct {
    const char *name;
    double mult;
} mem_units[] = {
    {"Ki", 1024.0}, {"Mi", 1048576.0}, {"Gi", 1073741824.0}, {"Ti", 1099511627776.0},
    {"k", 1e3}, {"K", 1e3}, {"M", 1e6}, {"G", 1e9}, {"T", 1e12},
};

const char *units_memory(const char *s, int64_t *bytes)
{
    static const char *msg = "expected a memory quantity such as 512Mi, 1Gi, 800M or a number of bytes";
    double v, mult = 1.0;
    const char *suf;
    size_t n;
    if (split(s, &v, &suf, &n) != 0)
        return msg;
    if (n > 0) {
        size_t i;
        for (i = 0; i < sizeof mem_units / sizeof mem_units[0]; i++)
            if (suffix_is(suf, n, mem_units[i].name))
                break;
        if (i == sizeof mem_units / sizeof mem_units[0])
            return msg;
        mult = mem_units[i].mult;
    }
    double b = v * mult;
    if (!(fabs(b) < 9e18))
        return "memory quantity out of range";
    *bytes = (int64_t)ceil(b - 1e-6);
    return NULL;
}

void units_format_duration(simtime_t t, char *buf, unsigned size)
{
    double s = simtime_to_s(t);
    double a = fabs(s);
    if (t == 0)
        snprintf(buf, size, "0s");
    else if (a >= 86400.0 && fmod(a, 86400.0) == 0.0)
        snprintf(buf, size, "%gd", s / 86400.0);
    else if (a >= 3600.0 && fmod(a, 3600.0) == 0.0)
        snprintf(buf, size, "%gh", s / 3600.0);
    else if (a >= 60.0 && fmod(a, 60.0) == 0.0)
        snprintf(buf, size, "%gm", s / 60.0);
    else if (a >= 1.0)
        snprintf(buf, size, "%gs", s);
    else if (a >= 1e-3)
        snprintf(buf, size, "%gms", s * 1e3);
    else if (a >= 1e-6)
        snprintf(buf, size, "%gus", s * 1e6);
    else
        snprintf(buf, size, "%lldns", (long long)t);
}
