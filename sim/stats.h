/* stats: summary statistics over independent replications (GSL). */
#ifndef SIM_STATS_H
#define SIM_STATS_H

#include <stddef.h>

/* Mean of x[0..n) and the half-width of its 95% confidence interval
 * (Student t with n-1 degrees of freedom). NaN values are skipped; the mean
 * is NaN when none is left, the half-width when fewer than 2 are (one value
 * has no interval: 0 would claim it exact). */
void stats_mean_ci95(const double *x, size_t n, double *mean, double *half);
/* Student-t quantile t_{p, dof}. */
double stats_t_quantile(double p, double dof);

#endif
