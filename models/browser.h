/* browser: the users' browser caches (the station kind "browser", the
 * scenario's `browser:`), the first stop of every route.
 *
 * A class's responses are stored for its `max_age` (Cache-Control; the
 * plan's nginx rules: static assets 1 year immutable, html/json 1 hour
 * must-revalidate). A fresh copy answers the request in the browser, with
 * no network at all. A stale copy of a must-revalidate class costs a
 * conditional request: it travels the whole route (edge, and origin on an
 * edge miss) like a fetch and is counted as a miss and a revalidation (its
 * response is a 304: the saving is bytes, not time). Other stale copies are
 * fetched anew. Responses of classes with max_age 0 are not stored
 * (`bypass`).
 *
 * A browser is a client id in a user region (traffic.clients ids in each
 * region). All browsers share one LRU of `capacity_per_client` x clients x
 * regions bytes: under independent requests a
 * shared LRU of N C bytes has the characteristic time of N LRUs of C bytes
 * each (Che's approximation), so their hit ratios agree while the memory is
 * bounded by the objects actually held. TTL semantics as in the CDN
 * (`ttl_mode`; HTTP max-age is set_on_miss). */
#ifndef MODELS_BROWSER_H
#define MODELS_BROWSER_H

#include "models/cache.h"
#include "sim/station.h"

typedef struct browser_cfg {
    int64_t capacity_per_client_b;
    int ttl_mode;
} browser_cfg_t;

extern const station_kind_t station_browser;

#endif
