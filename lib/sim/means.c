#include "sim/means.h"

#include <math.h>

int cr_sim_exact_means(const cr_sim_draw *draws, int ndraws, int nusers,
                       const cr_sim_sessions *ss, double *arrivals, double *alive, cr_err *e)
{
    if (alive && !(ss && ss->stoploss))
        return cr_fail(e, "simulate: the mean of sessions alive needs the session law's "
                          "stop-loss function");
    for (int d = 0; d < ndraws; d++) {
        arrivals[d] = nusers * cr_sim_user_mean(&draws[d]);
        if (!alive)
            continue;
        double mean_session = ss->stoploss(ss->ctx, d, 0);
        if (!(mean_session >= 0) || !isfinite(mean_session))
            return cr_fail(e, "simulate: draw %d: mean session time %g seconds", d + 1,
                           mean_session);
        alive[d] = arrivals[d] * mean_session;
    }
    return 0;
}
