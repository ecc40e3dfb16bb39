/* Exact expectations of what lib/sim simulates, per posterior draw, for the sizing table's
 * means: a mean of simulated seconds carries Monte Carlo error (mcse.h) where the model's
 * expectation is known outright.
 *
 *   new sessions per second (or terminations, given the terminations fit's draws):
 *       N E[y], E[y] = cr_sim_user_mean(draw), exact for every model (lognormal mean; the
 *       hurdle's by quadrature to rounding);
 *   sessions alive at the end of a second, by Little's law in the snapshot convention of
 *   concurrency.h (a session is held k seconds after its arrival second with chance
 *   a[k] = G(k) - G(k + 1), and the a[k] sum to G(0) = E[T]):
 *       N E[y] E[T], E[T] = G(0), the session law's stop-loss at 0;
 *   sessions ending per second: N E[y] (each session ends once).
 *
 * They are steady-state values: the simulation starts after a burn-in and misses the sessions
 * older than it, so its mean alive is lower by up to cr_sim_concurrency_info.missed (at most
 * 1e-3 of it unless the burn-in cap bit). */
#ifndef CR_SIM_MEANS_H
#define CR_SIM_MEANS_H

#include "common/err.h"
#include "sim/concurrency.h"
#include "sim/users.h"

/* For draws 0..ndraws-1 and nusers users: arrivals[d] = N E[y], and when alive is not NULL
 * alive[d] = arrivals[d] x E[T] from ss->stoploss. Fails (with e) when alive is asked for
 * without a stop-loss function or a draw's E[T] is not finite and >= 0. */
int cr_sim_exact_means(const cr_sim_draw *draws, int ndraws, int nusers,
                       const cr_sim_sessions *ss, double *arrivals, double *alive, cr_err *e);

#endif
