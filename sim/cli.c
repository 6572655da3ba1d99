#include "sim/cli.h"

#include <stdio.h>
#include <stdlib.h>

int cli_usage_error(const char *cmd, const char *msg, const char *arg)
{
    fprintf(stderr, "clustersim%s%s: %s%s%s\n(see clustersim %s%s--help)\n", cmd ? " " : "", cmd ? cmd : "", msg,
            arg ? " " : "", arg ? arg : "", cmd ? cmd : "", cmd ? " " : "");
    return CLI_EXIT_INPUT;
}

int cli_parse_count(const char *s, long lo, long hi, long *out)
{
    char *end;
    long v = strtol(s, &end, 10);
    if (!*s || *end || v < lo || v > hi)
        return -1;
    *out = v;
    return 0;
}
