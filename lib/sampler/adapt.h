/* Stan's warmup: dual-averaging step size adaptation, windowed estimation of a diagonal inverse
 * metric, and the step size search run at the start and after every metric update.
 *
 * One warmup iteration, as Stan's adapt_diag_e_nuts does it:
 *
 *     cr_nuts_transition(s, eps, rng, &st);
 *     cr_stepsize_learn(&da, &eps, st.accept_stat);
 *     int upd = cr_var_learn(&va, cr_nuts_inv_metric(s), cr_nuts_position(s));
 *     if (upd < 0) ...;                                    // metric overflowed
 *     if (upd) {
 *         if (cr_init_stepsize(s, &eps, rng, e) < 0) ...;
 *         cr_stepsize_restart(&da, eps);
 *     }
 *
 * and after the last one cr_stepsize_complete(&da, &eps). */
#ifndef CR_ADAPT_H
#define CR_ADAPT_H

#include <gsl/gsl_rng.h>

#include "common/err.h"
#include "sampler/nuts.h"

/* Nesterov dual averaging of log(step size) towards a target mean acceptance statistic. */
typedef struct {
    double mu, delta, gamma, kappa, t0;
    double counter, s_bar, x_bar;
} cr_stepsize_adapt;

/* Stan's defaults: gamma 0.05, kappa 0.75, t0 10, target delta (0.8 unless 0 < delta < 1), and
 * the shrinkage point mu = log(10 * eps0). */
void cr_stepsize_init(cr_stepsize_adapt *a, double eps0, double delta);
/* Forgets the averages and re-centres mu on log(10 * eps), as after a metric update. */
void cr_stepsize_restart(cr_stepsize_adapt *a, double eps);
/* Updates *eps after an iteration whose acceptance statistic was accept_stat. */
void cr_stepsize_learn(cr_stepsize_adapt *a, double *eps, double accept_stat);
/* Sets *eps to the averaged step size at the end of warmup (left alone when nothing was
 * learnt since the last restart, where Stan <= 2.36 would reset it to 1). */
void cr_stepsize_complete(const cr_stepsize_adapt *a, double *eps);

/* Stan's expanding windows for the inverse metric: an initial buffer where only the step size
 * adapts, windows of base, 2*base, 4*base... iterations (the last stretched to fill), a
 * terminal buffer for the final step size. */
typedef struct {
    int dim;
    unsigned num_warmup, init_buffer, term_buffer, base_window;
    unsigned counter, next_end, window_size;
    long nsamples;
    double *mean, *m2; /* Welford accumulators */
} cr_var_adapt;

/* Stan's defaults are init_buffer 75, term_buffer 50, base_window 25. When they do not fit in
 * num_warmup, the stages become 15% / 75% / 10% of it (one window; Stan announces this but,
 * through a missing reset, never updates the metric then); below 20 warmup iterations the
 * metric is not adapted. */
void cr_var_init(cr_var_adapt *v, int dim, unsigned num_warmup, unsigned init_buffer,
                 unsigned term_buffer, unsigned base_window);
void cr_var_free(cr_var_adapt *v);
/* Feeds the draw q of the current warmup iteration. At the end of a window writes the
 * regularized variances (n/(n+5)) var + 1e-3 (5/(n+5)) into inv_metric and returns 1;
 * returns 0 otherwise and -1 (inv_metric untouched) when they are not finite. */
int cr_var_learn(cr_var_adapt *v, double *inv_metric, const double *q);

/* Stan's step size heuristic from the current position: doubles or halves *eps until the
 * energy change of a single leapfrog step crosses log(0.8). Fails when the step size runs off
 * to 1e7 (improper posterior) or 0. */
int cr_init_stepsize(cr_nuts *s, double *eps, gsl_rng *r, cr_err *e);

#endif
