#include "sim/stats.h"

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_statistics_double.h>
#include <math.h>
#include <stdlib.h>

double stats_t_quantile(double p, double dof) { return gsl_cdf_tdist_Pinv(p, dof); }

void stats_mean_ci95(const double *x, size_t n, double *mean, double *half)
{
    double buf[64];
    double *v = n <= 64 ? buf : malloc(n * sizeof *v);
    size_t k = 0;
    if (!v) {
        *mean = *half = NAN;
        return;
    }
    for (size_t i = 0; i < n; i++)
        if (!isnan(x[i]))
            v[k++] = x[i];
    if (k == 0) {
        *mean = NAN;
        *half = NAN;
    } else {
        *mean = gsl_stats_mean(v, 1, k);
        *half = k < 2 ? NAN : stats_t_quantile(0.975, (double)(k - 1)) * gsl_stats_sd(v, 1, k) / sqrt((double)k);
    }
    if (v != buf)
        free(v);
}
