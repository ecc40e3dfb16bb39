/* The machine-minutes a fit sees when a table holds more than it can fit in reasonable time
 * (docs/scale.md, "Flow-log scale"): every machine keeps the same number of its minutes, chosen
 * uniformly by hash of (seed, machine_id, minute) (common/sample.h). The rate models' minute
 * effects are independent within a machine and the choice does not look at the counts, so the
 * likelihood of the kept minutes is a valid likelihood of the same population parameters:
 * less information, the same target. Every machine keeps at least CR_CPS_SAMPLE_MIN_MINUTES,
 * so that machine and minute effects stay apart. Models with AR(1) minutes fill the gaps
 * between kept minutes back in (lib/model/nbh_ar1.h), so they gain nothing from it. */
#ifndef CR_CPS_SAMPLE_H
#define CR_CPS_SAMPLE_H

#include <stdint.h>

#include "series/cps_table.h"

#define CR_CPS_SAMPLE_MIN_MINUTES 2

/* Machine-minutes (cells) of t: distinct (machine, minute) of its rows. */
long cr_cps_cells(const cr_cps_table *t);

/* The machine-minutes cr_cps_sample_minutes keeps of t under the budget `cells` (all of them
 * when t is within it). */
long cr_cps_sample_cells(const cr_cps_table *t, long cells);

/* When t has more than `cells` machine-minutes (cells > 0), fills *out with the rows of
 * max(cells / K, CR_CPS_SAMPLE_MIN_MINUTES) minutes of each of its K machines (all of a machine
 * with fewer), machines, seconds and minutes numbered as in t, and returns 1; else returns 0
 * and leaves *out alone. The machine_ids of *out are t's (a fit's results borrow them, so they
 * must outlive *out): free it with cr_cps_sample_free. */
int cr_cps_sample_minutes(const cr_cps_table *t, long cells, uint64_t seed, cr_cps_table *out);
void cr_cps_sample_free(cr_cps_table *out);

#endif
