/* deployment: the Deployment controller of a service.
 *
 * It keeps the service's pods at `desired` replicas (initially the
 * service's `replicas`; autoscalers change it). Scaling down deletes pods
 * in Kubernetes' ActivePods order: not yet on a node before on one, Pending
 * before Running, not Ready before Ready, Ready for less time first, more
 * restarts first, newer first. A rollout replaces every pod by a new
 * revision: RollingUpdate keeps at most desired + maxSurge pods and at least
 * desired - maxUnavailable Ready ones (terminating pods are not counted, as
 * the ReplicaSets' replicas are not; old pods that are not Ready go first,
 * as far as maxScaledDown allows), and a change of desired replicas in the
 * middle of it is spread over the revisions in proportion to their sizes
 * (the controller's scale()); Recreate deletes every old pod and
 * starts the new ones when the old ones are gone. A rollout is complete when
 * every active pod is new and Ready. Each pass creates or deletes one pod
 * and passes repeat until nothing changes; the controller is safe to call
 * from within itself (pod events call it). One reconcile counts the pods
 * once and finds victims through heaps in deletion order, so it costs
 * O(pods + changes x log pods), not O(pods x changes). */
#ifndef MODELS_DEPLOYMENT_H
#define MODELS_DEPLOYMENT_H

#include <stdint.h>

#include "models/service.h"

/* Brings the pods in line with the Deployment (desired replicas, rollout). */
void deployment_reconcile(world_t *w, service_t *s);
/* Sets the desired replicas (an autoscaler's decision; `who` and `reason`
 * go to events.csv) and reconciles. */
void deployment_scale(world_t *w, service_t *s, int32_t desired, const char *who, const char *reason);
/* Starts a rollout of a new revision now. */
void deployment_rollout(world_t *w, service_t *s);
/* Frees the controller's buffers of s (service_destroy's use). */
void deployment_free(service_t *s);
/* The pods the controller of s has looked at, created or compared so far: a
 * count of its work that tests compare between sizes (one reconcile is
 * O(pods + changes x log pods)). */
uint64_t deployment_visits(const service_t *s);

#endif
