/* autoscaler_threshold: the `threshold` autoscaler kind, the seed plan's
 * triggers. Every period: up by `step` when the Ready pods' CPU (percent of
 * request) is above cpu_up, their memory above memory_up, or the requests
 * queued in the service are more than queue_up; down when CPU is below
 * cpu_down and memory below memory_down, each judged only once measured
 * (a CPU rate takes two scrapes); never sooner than `cooldown` after the
 * last change; within min_replicas..max_replicas. */
#include "models/autoscaler.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "models/service.h"
#include "models/traffic.h"
#include "models/k8s.h"
#include "models/deployment.h"
#include "sim/world.h"

/* ---- kind threshold -------------------------------------------------------- */

static simtime_t th_period(const autoscaler_cfg_t *c) { return c->period; }

static void th_sync(world_t *w, service_t *s)
{
    autoscaler_t *a = &s->autoscaler;
    const autoscaler_cfg_t *cfg = a->cfg;
    const service_cfg_t *c = s->cfg;
    double cpu_used = 0, mem_used = 0, queued = 0;
    int n_cpu = 0, n_mem = 0;
    for (uint32_t i = 0; i < s->npods; i++) {
        const pod_t *p = s->pods[i];
        const pod_metrics_t *m = service_pod_metrics(p, w->now);
        if (!pod_running(p) || m->scrapes == 0)
            continue;
        queued += m->queued;
        if (p->phase != POD_READY)
            continue;
        if (m->has_cpu) {
            cpu_used += (double)m->cpu_m;
            n_cpu++;
        }
        mem_used += (double)m->mem_b;
        n_mem++;
    }
    /* a metric with a request is judged once it is measured (CPU needs two
     * scrapes); one without a request cannot be judged and is left out */
    bool cpu_req = c->cpu_request_m > 0, mem_req = c->mem_request_b > 0;
    bool has_cpu = n_cpu > 0 && cpu_req, has_mem = n_mem > 0 && mem_req;
    double cpu = has_cpu ? 100.0 * cpu_used / ((double)n_cpu * (double)c->cpu_request_m) : NAN;
    double mem = has_mem ? 100.0 * mem_used / ((double)n_mem * (double)c->mem_request_b) : NAN;
    char reason[160] = "";
    bool up = false, down = false;
    if (has_cpu && cpu > cfg->cpu_up) {
        up = true;
        snprintf(reason, sizeof reason, "cpu %.1f%% > %g%%", cpu, cfg->cpu_up);
    } else if (has_mem && mem > cfg->memory_up) {
        up = true;
        snprintf(reason, sizeof reason, "memory %.1f%% > %g%%", mem, cfg->memory_up);
    } else if (queued > cfg->queue_up) {
        up = true;
        snprintf(reason, sizeof reason, "queue %.0f > %g", queued, cfg->queue_up);
    } else if ((cpu_req || mem_req) && (!cpu_req || (has_cpu && cpu < cfg->cpu_down)) &&
               (!mem_req || (has_mem && mem < cfg->memory_down))) {
        down = true;
        if (has_cpu && has_mem)
            snprintf(reason, sizeof reason, "cpu %.1f%% < %g%% and memory %.1f%% < %g%%", cpu, cfg->cpu_down, mem,
                     cfg->memory_down);
        else if (has_cpu)
            snprintf(reason, sizeof reason, "cpu %.1f%% < %g%%", cpu, cfg->cpu_down);
        else
            snprintf(reason, sizeof reason, "memory %.1f%% < %g%%", mem, cfg->memory_down);
    }
    int32_t cur = s->desired, want = cur;
    if (up)
        want = cur + cfg->step;
    else if (down)
        want = cur - cfg->step;
    if (want > cfg->max_replicas)
        want = cfg->max_replicas;
    if (want < cfg->min_replicas)
        want = cfg->min_replicas;
    if (cur > cfg->max_replicas || cur < cfg->min_replicas)
        snprintf(reason, sizeof reason, "outside [%d, %d]", cfg->min_replicas, cfg->max_replicas);
    bool cooling = a->scaled && w->now - a->last_scale < cfg->cooldown;
    bool change = want != cur && !cooling;
    if (w->autoscaler_log) {
        /* autoscaler.csv: the three triggers, the up threshold as target */
        char val[3][32] = {"", "", ""}, tgt[3][32], fin[16], why[200];
        if (has_cpu)
            snprintf(val[0], sizeof val[0], "%.6g", cpu);
        if (has_mem)
            snprintf(val[1], sizeof val[1], "%.6g", mem);
        snprintf(val[2], sizeof val[2], "%.6g", queued);
        snprintf(tgt[0], sizeof tgt[0], "%g", cfg->cpu_up);
        snprintf(tgt[1], sizeof tgt[1], "%g", cfg->memory_up);
        snprintf(tgt[2], sizeof tgt[2], "%g", cfg->queue_up);
        snprintf(fin, sizeof fin, "%" PRId32, change ? want : cur);
        snprintf(why, sizeof why, "%s%s", want != cur && cooling ? "cooldown: " : "", reason);
        static const char *const names[] = {"cpu", "memory", "queue"};
        for (int i = 0; i < 3; i++)
            autoscaler_log(w, s, &(autoscaler_row_t){cur, names[i], val[i], tgt[i], NULL, NULL, NULL, fin, why});
    }
    if (change) {
        a->scaled = true;
        a->last_scale = w->now;
        deployment_scale(w, s, want, "threshold", reason);
    }
    autoscaler_episode(w, s, up ? want : cur, cur);
}

const autoscaler_kind_t autoscaler_threshold = {"threshold", "the seed plan's utilisation triggers", NULL, th_sync,
                                                th_period, NULL};
