/* Posterior predictive per-second counts of N new users under any rate model of the ladder
 * (ladder/ladder.h): for each posterior draw, N fresh users (z_machine ~ N(0,1), and for the
 * hurdle a fresh zero chance), a fresh z_minute per user and minute (or an AR(1) path of them),
 * per-second counts summed over users. The same code serves new connections and terminations
 * (give it the draws of the series' fit). docs/simulation.md explains the fast method, its error,
 * and why the hurdle's users are drawn one by one.
 *
 *     cr_sim_config cfg;
 *     cr_sim_config_default(&cfg);
 *     cfg.nusers = 100;
 *     double *y = xmalloc(ndraws * cfg.seconds * sizeof *y);
 *     if (cr_sim_users(draws, ndraws, &cfg, y, NULL, &e) < 0) ...
 *     // aggregate count of second s of draw d: y[d * cfg.seconds + s]
 */
#ifndef CR_SIM_USERS_H
#define CR_SIM_USERS_H

#include <stdint.h>

#include <gsl/gsl_rng.h>

#include "common/err.h"
#include "sim/strata.h"

/* One posterior draw of the population parameters of a ladder model, as its Stan twin defines
 * them (models/NAME.stan). Per user u and minute m, log mu[u,m] = alpha + sigma_machine
 * z_machine[u] + sigma_minute z_minute[u,m], and a second's count is
 *   pois            Poisson(mu): phi = INFINITY (no gamma per second)
 *   nb_machine      NB2(mu, phi) with sigma_minute = 0 (one rate per user throughout)
 *   nbh             NB2(mu, phi), rho = 0 (independent minutes)
 *   nbh_ar1         NB2(mu, phi), z_minute[u,m] = rho z_minute[u,m-1] + sqrt(1 - rho^2) eps
 *                   (still N(0,1) at every minute)
 *   hurdle_nbh_ar1  hurdle = 1: zero with the user's chance pi[u], logit pi[u] = mu_pi + sigma_pi
 *                   z_pi[u] (z_pi ~ N(0,1), fresh per user), else zero-truncated NB2(mu, phi);
 *                   the rest as nbh_ar1 (phi finite). mu is the rate before truncation.
 *   nbh_burst       burst = 1: each user's second is, with chance w, a burst second with count
 *                   NB2(lambda_b, phi_b) whatever mu, else NB2(mu, phi); the rest as nbh.
 *                   Still a Poisson mixture: the intensity is a gamma of either component.
 *                   cr_sim_check wants w in [0, 1/2], lambda_b >= 0, phi_b > 0 and phi, all
 *                   finite.
 *   nbh_burst_msd   spread = 1 (with burst = 1): user u's own sigma_minute[u] = exp(mu_s +
 *                   tau_s z_s[u]), z_s ~ N(0,1) fresh per user, and minute effects centred on
 *                   their mean: log mu[u,m] = alpha + sigma_machine z_machine[u] +
 *                   sigma_minute[u] z_minute[u,m] - sigma_minute[u]^2 / 2 (sigma_minute
 *                   unused, 0 from the draws). The rest as nbh_burst. */
typedef struct {
    double alpha, sigma_machine, sigma_minute, phi, rho;
    int hurdle;
    double mu_pi, sigma_pi;
    int burst;
    double w, lambda_b, phi_b;
    int spread;
    double mu_s, tau_s;
} cr_sim_draw;

typedef struct {
    int nusers;      /* N: 1 */
    long seconds;    /* recorded seconds per draw: 3600 */
    uint64_t seed;   /* 42 */
    int threads;     /* 0: one per CPU; the output does not depend on it */
    /* 0.01: largest error allowed in the skewness of a minute's per-second aggregate count
     * (cr_sim_minute). Negative: every user drawn one by one (the exact, slow loop). */
    double skew_tol;
    /* 1: the users' z_machine stratified over the draws (sim/strata.h), keyed by seed; 0: each
     * drawn on its own. Either way every draw's users are independent N(0,1). */
    int stratify;
    /* 1: a draw for which cr_sim_large_n holds is drawn without its users (their minute sums
     * as a process, docs/simulation.md "Large N"); 0: every draw's users one by one. */
    int large_n;
} cr_sim_config;

void cr_sim_config_default(cr_sim_config *cfg);

/* Work counters: user-minutes simulated and how many of them were drawn user by user (the
 * rest went into moment-matched gammas; every hurdle user-minute is drawn user by user). */
typedef struct {
    long long user_minutes, exact_user_minutes;
} cr_sim_users_stats;

/* Expected count of one new user in one second under draw p, exact: the lognormal mean, with
 * bursts (1 - w) exp(alpha + s^2 / 2) + w lambda_b (s^2 = sigma_machine^2 + sigma_minute^2,
 * just sigma_machine^2 with spread), and for the hurdle E(1 - pi) E[mu / (1 - NB2(0))] by the
 * trapezoid rule over z_pi and the user's log rate, whose marginal is N(alpha,
 * sigma_machine^2 + sigma_minute^2) (to rounding for any sigma: docs/simulation.md). */
double cr_sim_user_mean(const cr_sim_draw *p);

/* Draws nsec per-second aggregate counts y[0..nsec) of n users whose rates in this minute are
 * mu[0..n) (mu is reordered). Per second the aggregate is Poisson(sum of the users' Gamma(phi,
 * mu/phi) rates). The largest users' gammas are drawn exactly; the others' sum is replaced by
 * one gamma with the same mean and variance, so the count's mean and variance stay exact and
 * only its skewness falls short, by at most skew_tol (relative to the count's standard
 * deviation cubed). Exact when all mu are equal or n == 1, and with phi = INFINITY (then the
 * aggregate is Poisson(sum of mu)). When rate is not NULL, rate[s] gets the Poisson mean y[s]
 * was drawn with (the aggregate intensity; the same random numbers are used either way).
 * Returns how many users were drawn exactly. */
int cr_sim_minute(double *mu, int n, double phi, double skew_tol, int nsec, gsl_rng *r,
                  double *y, double *rate);

/* cr_sim_minute for users with burst seconds (p->burst): each user's second is, independently
 * with chance p->w, a burst whose intensity is Gamma(phi_b, lambda_b / phi_b) instead of the
 * user's Gamma(phi, mu / phi). Per second the number of burst users is binomial and their
 * summed intensity one gamma (they share a law); the other users' intensities are drawn as
 * cr_sim_minute draws them all, the moment-matched gamma losing the burst users' terms, so the
 * count's mean and variance stay exact given the burst users and hence overall. Same
 * arguments and result as cr_sim_minute. */
int cr_sim_minute_burst(double *mu, int n, const cr_sim_draw *p, double skew_tol, int nsec,
                        gsl_rng *r, double *y, double *rate);

/* One posterior draw: N new users over nsec seconds (whole minutes, the last one possibly cut
 * short), counts into y[0..nsec), and when rate is not NULL the Poisson intensity of each
 * second (cr_sim_minute). User u's z_machine is st's slot u when st is not NULL (the draw's
 * stratum), else a normal from r. The hurdle's counts are not a Poisson mixture: rate must then be
 * NULL (cr_sim_poisson_mixture tells). stats may be NULL (else it is added to). With large_n,
 * a draw for which cr_sim_large_n holds is drawn as an aggregate, without users. */
void cr_sim_users_draw(const cr_sim_draw *p, int nusers, long nsec, double skew_tol,
                       int large_n, const cr_sim_strata *st, gsl_rng *r, double *y,
                       double *rate, cr_sim_users_stats *stats);
/* The same users' minutes before those nsec seconds, when only their intensity matters (the
 * old past of a burn-in, sim/concurrency.h): far_rate[0..far) gets, per minute, the expected
 * per-second intensity given the users' rates of that minute (sum of (1 - w) mu + w lambda_b),
 * the minute effects (AR(1) paths included) running on into the seconds that follow. A Poisson
 * mixture only (not the hurdle). far = 0 is cr_sim_users_draw. */
void cr_sim_users_draw_far(const cr_sim_draw *p, int nusers, long far, double *far_rate,
                           long nsec, double skew_tol, int large_n,
                           const cr_sim_strata *st, gsl_rng *r, double *y, double *rate,
                           cr_sim_users_stats *stats);
/* Whether N users of draw p may be drawn as an aggregate (cr_sim_config.large_n, the large-N
 * path of docs/simulation.md): a Poisson mixture with finite moments (not the hurdle, not
 * per-user minute spreads) where, for the users whose z_machine is below *cut (the others,
 * at most 2.3%, are drawn one by one; INFINITY: none), shifted gammas with the first three
 * cumulants of their per-minute sum and of a second's intensity given the minute miss the
 * fourth cumulants by no more than moves q99.9 as a skewness error of skew_tol would (the
 * tolerance of cr_sim_minute). cut may be NULL. */
int cr_sim_large_n(const cr_sim_draw *p, int nusers, double skew_tol, double *cut);
/* The strata of draw d of ndraws under cfg (NULL when cfg does not stratify; *st is the
 * storage). */
const cr_sim_strata *cr_sim_strata_of(const cr_sim_config *cfg, int d, int ndraws,
                                      cr_sim_strata *st);
/* Whether a draw's per-second aggregate counts are Poisson given an intensity (every model but
 * the hurdle). */
int cr_sim_poisson_mixture(const cr_sim_draw *p);

/* Checks the configuration and draws (finite alpha, sigmas >= 0, phi > 0 and finite but for
 * the Poisson model's INFINITY, |rho| < 1, for the hurdle finite mu_pi and phi, and an
 * expected aggregate rate N E[y] that doubles can simulate, up to 1e250/s); the message names
 * the bad draw. Any rate below that is simulated (common/poisson.h draws any mean). */
int cr_sim_check(const cr_sim_draw *draws, int ndraws, const cr_sim_config *cfg, cr_err *e);

/* All draws on cfg->threads threads, draw d on its own stream from (cfg->seed, d); counts into
 * y[d * cfg->seconds + s]. stats may be NULL. */
int cr_sim_users(const cr_sim_draw *draws, int ndraws, const cr_sim_config *cfg, double *y,
                 cr_sim_users_stats *stats, cr_err *e);

#endif
