#include "models/cost.h"

#include <stdbool.h>
#include <string.h>

#define OFF(f) offsetof(cost_cfg_t, f)
static const param_t cost_params[] = {
    {"vcpu_hour", P_DOUBLE, OFF(vcpu_hour), "0.04048", 0, 1e6, 0, NULL, NULL, NULL, "USD per vCPU-hour requested"},
    {"gib_hour", P_DOUBLE, OFF(gib_hour), "0.004445", 0, 1e6, 0, NULL, NULL, NULL, "USD per GiB-hour requested"},
    {"min_vcpu", P_DOUBLE, OFF(min_vcpu), "0.25", 0, 1e4, 0, NULL, NULL, NULL,
     "vCPU billed for a pod without a CPU request"},
    {"min_gib", P_DOUBLE, OFF(min_gib), "0.5", 0, 1e6, 0, NULL, NULL, NULL,
     "GiB billed for a pod without a memory request"},
    {"egress_north_america_europe", P_DOUBLE, OFF(egress_na_eu), "0.085", 0, 1e3, 0, NULL, NULL, NULL,
     "USD per GiB sent by edges in london, frankfurt, new-york"},
    {"egress_south_africa", P_DOUBLE, OFF(egress_africa), "0.110", 0, 1e3, 0, NULL, NULL, NULL,
     "USD per GiB sent by edges in johannesburg, cape-town, nairobi"},
    {"egress_south_america", P_DOUBLE, OFF(egress_sa), "0.110", 0, 1e3, 0, NULL, NULL, NULL,
     "USD per GiB sent by the edge in sao-paulo"},
    {"egress_singapore", P_DOUBLE, OFF(egress_sg), "0.120", 0, 1e3, 0, NULL, NULL, NULL,
     "USD per GiB sent by the edge in singapore"},
    {"egress_australia", P_DOUBLE, OFF(egress_au), "0.114", 0, 1e3, 0, NULL, NULL, NULL,
     "USD per GiB sent by the edge in sydney"},
    {"redis_node_hour", P_DOUBLE, OFF(redis_node_hour), "0.206", 0, 1e6, 0, NULL, NULL, NULL,
     "USD per hour of one Redis node (each shard's primary and replicas)"},
    {"db_node_hour", P_DOUBLE, OFF(db_node_hour), "0.225", 0, 1e6, 0, NULL, NULL, NULL,
     "USD per hour of one PostgreSQL server (the primary and each replica)"},
};
const param_table_t cost_table = PARAM_TABLE(cost_params);

void cost_resolve(cost_cfg_t *c)
{
    static const struct {
        const char *loc;
        size_t off;
    } map[] = {{"johannesburg", OFF(egress_africa)}, {"cape-town", OFF(egress_africa)},
               {"nairobi", OFF(egress_africa)},      {"london", OFF(egress_na_eu)},
               {"frankfurt", OFF(egress_na_eu)},     {"new-york", OFF(egress_na_eu)},
               {"singapore", OFF(egress_sg)},        {"sydney", OFF(egress_au)},
               {"sao-paulo", OFF(egress_sa)}};
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++) {
        int loc = geo_find(map[i].loc);
        if (loc >= 0)
            c->egress_gib[loc] = *(const double *)((const char *)c + map[i].off);
    }
}

double cost_compute(const cost_cfg_t *c, double pod_hours, int64_t cpu_m, int64_t mem_b)
{
    double vcpu = cpu_m > 0 ? (double)cpu_m / 1000.0 : c->min_vcpu;
    double gib = mem_b > 0 ? (double)mem_b / 1073741824.0 : c->min_gib;
    return pod_hours * (vcpu * c->vcpu_hour + gib * c->gib_hour);
}

/* Whether path is services.NAME.<leaf>. */
static bool service_leaf(const char *p, size_t n, const char *leaf)
{
    size_t l = strlen(leaf);
    return n > l + 9 && strncmp(p, "services.", 9) == 0 && p[n - l - 1] == '.' && strcmp(p + n - l, leaf) == 0;
}

void cost_collect_total(metrics_t *m, double requests)
{
    double total = 0, compute = 0, used = 0, requested = 0;
    for (size_t i = 0; i < m->n; i++) {
        const char *p = m->v[i].path;
        size_t n = strlen(p);
        if (n > 4 && strcmp(p + n - 4, "_usd") == 0)
            total += m->v[i].value;
        if (service_leaf(p, n, "cost_usd"))
            compute += m->v[i].value;
        else if (service_leaf(p, n, "cpu_used_core_hours"))
            used += m->v[i].value;
        else if (service_leaf(p, n, "cpu_requested_core_hours"))
            requested += m->v[i].value;
    }
    metrics_add(m, compute, "cost.compute_usd");
    if (requested > 0)
        metrics_add(m, used / requested, "cost.cpu_utilization");
    metrics_add(m, total, "cost.total_usd");
    metrics_add(m, requests > 0 ? total / requests * 1e6 : 0.0, "cost.per_million_requests_usd");
}
