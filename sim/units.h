/* units: parsing of quantities with units, as scenarios and manifests write them.
 *
 *   duration  "250us" "5ms" "30s" "10m" "2h" "1d" (also "ns", "min"); a bare number is seconds
 *   rate      "3.2/s" "200/min" "10/h" "5/ms"; a bare number is per second
 *   cpu       "500m" (millicores) or cores "0.5", "2"            (Kubernetes quantity)
 *   memory    "512Mi" "1Gi" "1.2G" "800M" "64Ki" or bytes          (Kubernetes quantity)
 *
 * Quantities follow Kubernetes' resource.Quantity: a decimal number with an
 * optional exponent (1e3) and one suffix of m k M G T P E Ki Mi Gi Ti Pi Ei,
 * read exactly (integer arithmetic, no rounding on the way) and rounded up
 * at the end, as Quantity.MilliValue() and Value() do.
 *
 * Each parser reads the whole string (surrounding blanks allowed) and returns
 * NULL on success or a static message saying what was expected. Values must be
 * finite and small enough for their integer representation. */
#ifndef SIM_UNITS_H
#define SIM_UNITS_H

#include <stdint.h>
#include "sim/simtime.h"

/* A plain decimal number (strtod syntax, finite). */
const char *units_number(const char *s, double *out);
/* A duration, to nanoseconds (nearest). */
const char *units_duration(const char *s, simtime_t *out);
/* A rate, to events per second. */
const char *units_rate(const char *s, double *per_second);
/* A CPU quantity, to millicores (Kubernetes MilliValue: rounded up). */
const char *units_cpu(const char *s, int64_t *millicores);
/* A memory quantity, to bytes (rounded up, as Kubernetes' Value()). */
const char *units_memory(const char *s, int64_t *bytes);
/* A Kubernetes quantity times 10^scale10, rounded up (away from zero): scale
 * 3 gives MilliValue(), 0 Value(). */
const char *units_quantity(const char *s, int scale10, int64_t *out);
/* Formats a duration compactly ("1.5s", "250ms", "2h") into buf. */
void units_format_duration(simtime_t t, char *buf, unsigned size);

#endif
