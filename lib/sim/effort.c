#include "sim/effort.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/splitmix.h"
#include "common/xalloc.h"

#define BATCH_DOMAIN 0x6261746368ULL

/* The projection aims at target^2 / MARGIN in variance, so that a round lands under the target
 * instead of just above it. */
#define MARGIN 1.1
/* Where the floor alone is above the target, batches are added only until their part of the
 * variance is at most this share of the floor (the error then within 5% of what any count of
 * batches would give). */
#define FLOOR_SHARE 0.1

uint64_t cr_sim_batch_seed(uint64_t seed, int b)
{
    return b == 0 ? seed : cr_splitmix64(cr_splitmix64(seed ^ BATCH_DOMAIN) + (uint64_t)b);
}

/* w^2 = a / B + f through the last two rounds; the plain law (f = 0) from the last one when
 * there is one round or the two do not make a falling error with a floor >= 0. */
static void error_law(int b0, double w0, int b1, double w1, double *a, double *f)
{
    *a = w1 * w1 * b1, *f = 0;
    if (b0 > 0 && b0 < b1 && w0 > w1) {
        double a2 = (w0 * w0 - w1 * w1) / (1.0 / b0 - 1.0 / b1), f2 = w1 * w1 - a2 / b1;
        if (f2 >= 0)
            *a = a2, *f = f2;
    }
}

/* f / (target^2 / MARGIN) of an estimate above the target whose floor is above it, else 0. */
static double floor_factor(const cr_sim_effort *ef, int b0, double w0, int b1, double w1)
{
    double a, f, room = ef->target * ef->target / MARGIN;
    error_law(b0, w0, b1, w1, &a, &f);
    return w1 > ef->target && !(room - f > 0) ? f / room : 0;
}

int cr_sim_effort_floored(const cr_sim_effort *ef, int b0, double w0, int b1, double w1)
{
    return floor_factor(ef, b0, w0, b1, w1) > 0;
}

int cr_sim_effort_next(const cr_sim_effort *ef, int b0, double w0, int b1, double w1)
{
    if (!(w1 > ef->target) || b1 >= ef->max_batches)
        return b1;
    double a, f;
    error_law(b0, w0, b1, w1, &a, &f);
    double room = ef->target * ef->target / MARGIN - f;
    if (!(room > 0) && a / b1 <= FLOOR_SHARE * f)
        return b1; /* the fit's draws, not the batches, hold the error up */
    double want = ceil(a / (room > 0 ? room : FLOOR_SHARE * f));
    int next = want < ef->max_batches ? (int)want : ef->max_batches;
    return next > b1 ? next : b1 + 1;
}

int cr_sim_effort_run(const cr_sim_effort *ef, int nestimates, cr_sim_batches_fn add,
                      cr_sim_rel_mcse_fn rel, void *ctx, cr_sim_effort_result *res, cr_err *e)
{
    const size_t n = (size_t)(nestimates > 0 ? nestimates : 1);
    double *r = xmalloc(n * sizeof *r), *r0 = xmalloc(n * sizeof *r0);
    int batches = 0, next = 1, rc = 0, b0 = 0;
    *res = (cr_sim_effort_result){0, 0, 0, CR_SIM_EFFORT_MET, 0, -1, 1};
    while (next > batches) {
        if ((rc = add(ctx, batches, next, e)) != 0)
            break;
        b0 = batches;
        batches = next;
        memcpy(r0, r, n * sizeof *r);
        rel(ctx, batches, r);
        res->rounds++;
        res->worst = 0;
        res->which = -1;
        for (int i = 0; i < nestimates && !isnan(res->worst); i++)
            if (isnan(r[i]) || r[i] > res->worst) {
                res->worst = r[i];
                res->which = i;
            }
        /* each estimate's own projection: the one that needs most decides */
        for (int i = 0; i < nestimates && !isnan(res->worst); i++) {
            int want = cr_sim_effort_next(ef, b0, b0 ? r0[i] : NAN, batches, r[i]);
            next = want > next ? want : next;
        }
    }
    res->batches = batches;
    /* above the target: by the floor of every estimate still above it, or else by the cap */
    int floored = 1;
    for (int i = 0; i < nestimates && rc == 0 && res->worst > ef->target; i++)
        if (r[i] > ef->target) {
            double k = floor_factor(ef, b0, b0 ? r0[i] : NAN, batches, r[i]);
            floored &= k > 0;
            res->fit_factor = k > res->fit_factor ? k : res->fit_factor;
        }
    if (rc == 0 && res->worst > ef->target)
        res->limited_by = floored ? CR_SIM_EFFORT_FIT : CR_SIM_EFFORT_CAP;
    res->capped = res->limited_by != CR_SIM_EFFORT_MET && batches >= ef->max_batches;
    free(r);
    free(r0);
    return rc;
}
