/* simtime: simulated time is an int64 count of nanoseconds.
 *
 * Integer time makes every comparison exact: two events at the same instant
 * are equal, and their order is decided by the event set's sequence number,
 * never by floating-point noise. int64 nanoseconds reach 292 years. */
#ifndef SIM_SIMTIME_H
#define SIM_SIMTIME_H

#include <stdint.h>
#include <math.h>

typedef int64_t simtime_t;

#define SIM_NS  ((simtime_t)1)
#define SIM_US  ((simtime_t)1000)
#define SIM_MS  ((simtime_t)1000000)
#define SIM_S   ((simtime_t)1000000000)
#define SIM_NEVER INT64_MAX

/* Seconds as a double (for statistics and printing only). */
static inline double simtime_to_s(simtime_t t) { return (double)t * 1e-9; }

/* Nearest nanosecond to s seconds (halves away from zero); s must be finite
 * and in range. Written out rather than llround(), which is a libm call on
 * the hot path of every sampled duration. */
static inline simtime_t simtime_from_s(double s)
{
    double ns = s * 1e9;
    return (simtime_t)(ns >= 0 ? ns + 0.5 : ns - 0.5);
}

#endif
