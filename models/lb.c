/* lb: the table of load-balancer policies. Adding a policy: its file, one
 * row here, its test. */
#include "models/lb.h"

#include <stdio.h>
#include <string.h>

static const lb_kind_t *const table[] = {
    &lb_round_robin, &lb_least_connections, &lb_ip_hash, &lb_weighted_round_robin, &lb_random, &lb_power_of_two,
};
#define NKINDS (sizeof table / sizeof table[0])

const lb_kind_t *lb_find(const char *name)
{
    for (size_t i = 0; i < NKINDS; i++)
        if (strcmp(table[i]->name, name) == 0)
            return table[i];
    return NULL;
}

void lb_names(char *buf, size_t size)
{
    size_t k = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < NKINDS && k < size; i++)
        k += (size_t)snprintf(buf + k, size - k, "%s%s", i ? ", " : "", table[i]->name);
}

const lb_kind_t *const *lb_all(size_t *n)
{
    *n = NKINDS;
    return table;
}
