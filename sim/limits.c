#include "sim/limits.h"

#include <stdint.h>
#include <stdlib.h>

#include "sim/scenario.h"

int limits_check(const struct scenario *sc, srcpos_t interval_pos, diag_t *d)
{
    int errs = 0;
    /* whole samples: on_sample fires at every interval up to the end */
    int64_t samples = sc->duration / sc->sample_interval;
    int64_t series = LIMIT_SERIES_RUN;
    for (size_t i = 0; i < sc->nstations; i++)
        series += (int64_t)sc->stations[i].kind->series_per_station;
    if (samples > LIMIT_SERIES_ROWS / series) {
        diag_error(d, interval_pos,
                   "sample_interval: %lld samples of %lld series make %lld rows of timeseries.csv, above "
                   "clustersim's limit of %d rows per replication; make it longer",
                   (long long)samples, (long long)series, (long long)(samples * series), LIMIT_SERIES_ROWS);
        errs++;
    }
    return errs;
}
