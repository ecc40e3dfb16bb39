/* Monte Carlo standard errors of the pooled summaries (quantiles.h) of a predictive sample made
 * of D posterior draws x S seconds, laid out [draw][second] as lib/sim writes its outputs.
 * Seconds within a draw are dependent (same parameters and users, shared minutes, sessions
 * alive for many seconds), draws are independent (or, thinned from a Markov chain, counted
 * through their effective number: below), so an estimate's error shows in how much it varies
 * between draws:
 *
 *   mean        sd over draws of the draw means / sqrt(D);
 *   quantile p  with q the pooled mid-quantile (quantiles.h) and f_d draw d's mid-CDF at q, the
 *               one the quantile inverts (between the sample's distinct values lo and hi, at
 *               weight w: (1 - w) F_mid(lo) + w F_mid(hi) of the draw's seconds, whose mean
 *               over draws is p), the CDF estimate at q has standard error
 *               s = sd(f_d) / sqrt(D); the quantile's mcse is half the width of
 *               [Q(p - s), Q(p + s)] (probabilities clipped to [0, 1]), Q the pooled sample's
 *               mid-quantile function: the delta method s / density, with the density read off
 *               the sample. Q being continuous, the interval has a width even when both ends
 *               fall between the same two integers, where a step quantile (type 7) has an
 *               error of exactly 0.
 *
 * R's posterior::mcse_quantile does the same through an ESS (F (1 - F) / s^2 here) and the +-1
 * sd points of Beta(ESS p + 1, ESS (1 - p) + 1). In the bulk the two agree; where the tail
 * rests on a few draws (ESS (1 - p) near 1) the beta's upper point stops short of them and the
 * error comes out 1.6 to 4 times too small. docs/simulation.md has both against the spread over
 * repeated simulations, and the case no draw-based error can cover: a tail carried by one or
 * two draws. */
#ifndef CR_SIM_MCSE_H
#define CR_SIM_MCSE_H

#include "sim/quantiles.h"

typedef struct {
    double mean, q50, q90, q95, q99, q999;
    /* Draws with a second above q99 and above q999. A tail's error is estimated from the
     * draws that reach it; carried by 1 to 4 of them, q999's mcse was measured 2 to 2.6 times
     * too small and q99's up to 1.5 times too large (the pooled value stands or falls with
     * whether such a draw comes up). */
    int draws_above_q99, draws_above_q999;
} cr_sim_mcse;

/* Draws reused. A sample may hold B batches of the same D posterior draws, each batch with fresh
 * users and seconds, laid out [batch][slot][second] (ndraws = B nslots, nslots = D): draw j
 * simulates posterior slot j mod nslots. Draws of one slot share their parameters, so they are
 * not independent of each other; the slots are. Every error below is then read off the slots'
 * means of the per-draw values (the draw means, the shares f_d): a cluster estimate, which with
 * one batch (nslots = ndraws) is the estimate above, and which falls like 1 / sqrt(B) only as
 * long as the users and seconds, not the D parameter draws, are what varies
 * (docs/simulation.md, "Stability"). ndraws must be a multiple of nslots.
 *
 * The fit's draws. The slots are independent only when their posterior draws are: slots thinned
 * from consecutive draws of a Markov chain (NUTS) are correlated, and read as independent their
 * spread understates the error where the fit mixes slowly. chain[0..nslots), when given, says
 * which chain of the fit slot i's draws come from, the slots of a chain consecutive and in its
 * iteration order (lib/sizing's cr_sizing_slot_chains, where the draws are chosen); every error
 * is then sd / sqrt(ESS) of the slot values (for a quantile, its s), the ESS posterior's
 * ess_basic of them in that order, as posterior's mcse_quantile takes ess_basic of the
 * indicators of draws <= the quantile. NULL: the slots are taken as independent (ESS = nslots). */

/* cr_sim_summarize of x[0..ndraws * nsec) (x ends sorted, as there) and, into m, the standard
 * errors of its mean and quantiles, read from x's draw structure before sorting: NAN with one
 * slot. ndraws, nsec >= 1. */
void cr_sim_summarize_draws(double *x, int ndraws, int nslots, const int *chain, long nsec,
                            cr_sim_summary *s, cr_sim_mcse *m);

/* The mcse of the mid-quantile p of x[d * nsec + s], given the same values sorted. */
double cr_sim_mcse_quantile(const double *x, const double *sorted, int ndraws, int nslots,
                            const int *chain, long nsec, double p);

/* The standard error of x's mean from its draw means. */
double cr_sim_mcse_mean(const double *x, int ndraws, int nslots, const int *chain, long nsec);

/* The share of x's values above q, and into *mcse its standard error from the draws' own
 * shares. */
double cr_sim_share_above(const double *x, int ndraws, int nslots, const int *chain, long nsec,
                          double q, double *mcse);

/* How many draws have a second above q. */
int cr_sim_draws_above(const double *x, int ndraws, long nsec, double q);

#endif
