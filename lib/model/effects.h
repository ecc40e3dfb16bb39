/* The machine and minute effects of the rate models (nbh, pois, nb_machine, nbh_ar1):
 *   eta[c] = alpha + sigma_machine z_machine[k(c)] + sigma_minute z_minute[c],  z ~ normal(0, 1)
 * for each cell c of machine k(c); models without minute effects (cells are whole machines) drop
 * the last term. In log rates: machine k's level v[k] = alpha + sigma_machine z_machine[k] ~
 * normal(alpha, sigma_machine), and a cell's u[c] = eta[c] ~ normal(v[k(c)], sigma_minute).
 *
 * Several sampling coordinates carry the same posterior; the outputs are always alpha and the
 * z's (cr_effects_standardize). Which is best depends, level by level, on whether the data pin
 * the members against their scale: members sampled as themselves (centred) while their scale
 * can shrink below their noise are a funnel, and members sampled as z (non-centred) while the
 * data pin them are a curved ridge. A parent of a single member (alpha over one machine, a
 * machine over one minute) is never identified apart from that member and the scale, so it is
 * sampled from below: as its members' mean plus an offset that is normal(0, 1) a priori
 * whatever the scale (cr_level_lp).
 *   CR_EFFECTS_NONCENTRED  alpha, z_machine[k], z_minute[c]: the Stan programs' own.
 *   CR_EFFECTS_CENTRED     cells and machines pinned. The cell rates u[c]; each machine level
 *                          from below, v[k] = mean of its u + sigma_minute w[k] / sqrt(C_k)
 *                          (w[k] in z_machine[k]'s place); alpha from below, alpha = mean(v) +
 *                          sigma_machine w / sqrt(K) (w in alpha's place). Without minute
 *                          effects: the machine levels v[k], alpha from below.
 *   CR_EFFECTS_MACHINES    machines pinned, cells not: each machine's mean cell rate in
 *                          z_machine[k]'s place (v[k] = that mean - sigma_minute times the
 *                          mean of its z_minute over its cells with seconds), z_minute[c], and
 *                          alpha from below.
 *   CR_EFFECTS_CELLS       cells pinned, machines not: the cell rates u[c]; z_machine[k]; in
 *                          alpha's place the mean machine level, alpha = that mean -
 *                          sigma_machine mean(z_machine).
 *   CR_EFFECTS_COLLAPSED   cells pinned, the machines' scale not: the cell rates u[c], and the
 *                          machine levels and alpha as standard normal draws from their exact
 *                          conditional given the u: with n cells of mean ubar, machine k's
 *                          ubar ~ normal(v[k], sigma_minute^2 / n) about its level, so
 *                          alpha = M + w / sqrt(P) (P = 1/9 + sum 1 / (sigma_machine^2 +
 *                          sigma_minute^2 / n), M the correspondingly weighted mean of the
 *                          ubar) and v[k] = alpha + lambda (ubar - alpha) + s xi[k]
 *                          (lambda = sigma_machine^2 / (sigma_machine^2 + sigma_minute^2 / n),
 *                          s^2 = lambda sigma_minute^2 / n), w in alpha's place and xi[k] in
 *                          z_machine[k]'s. The machine level is then in effect integrated out:
 *                          neither a funnel when sigma_machine is small against a machine's
 *                          noise nor a ridge when it is large, which is what few machines
 *                          need, since their sigma_machine ranges over both (two machines 30
 *                          minutes long: from 0.03 to 1.4 at 90%), and every other
 *                          coordinate system diverged at one end or the other.
 *   CR_EFFECTS_COLLAPSED_NC the same for the machines over non-centred cells, z_minute[c] as
 *                          they are: the machine levels and alpha drawn as from their
 *                          conditional given a Gaussian stand-in for the data, each
 *                          machine's yhat = log((T + 1/2) / N) for T counts in N seconds with
 *                          variance 1 / (T + 1/2) about the mean log rate of its cells with
 *                          seconds, v[k] + sigma_minute mean(z_minute) (the formulas above
 *                          with ubar = yhat - sigma_minute mean(z_minute) and that variance
 *                          in sigma_minute^2 / n's place). Not exact, so not free of the
 *                          curvature the stand-in misses, but of the funnel and the ridge. */
#ifndef CR_EFFECTS_H
#define CR_EFFECTS_H

#include "model/cells.h"

enum { CR_EFFECTS_NONCENTRED, CR_EFFECTS_CENTRED, CR_EFFECTS_MACHINES, CR_EFFECTS_CELLS,
       CR_EFFECTS_COLLAPSED, CR_EFFECTS_COLLAPSED_NC, CR_EFFECTS_NCOORDS };

/* Whether coordinates coords sample the cell rates u[c] themselves. */
static inline int cr_effects_centred_cells(int coords)
{
    return coords == CR_EFFECTS_CENTRED || coords == CR_EFFECTS_CELLS ||
           coords == CR_EFFECTS_COLLAPSED;
}

/* "non-centred", "centred", "machines centred", "cells centred", "collapsed", "collapsed,
 * cells non-centred". */
const char *cr_effects_name(int coords);

/* The prior sd of alpha in every rate model (alpha ~ normal(0, 3)): CR_EFFECTS_COLLAPSED
 * scales alpha's coordinate by it. */
#define CR_EFFECTS_ALPHA_SD 3.0

typedef struct {
    double a; /* theta's first coordinate: alpha, or what stands in its place */
    double sigma_machine, sigma_minute; /* sigma_minute unused without minute effects */
    const double *zk; /* K machine coordinates */
    const double *zc; /* C cell coordinates; NULL: no minute effects */
    int coords;       /* CR_EFFECTS_... */
    double alpha;     /* set by cr_effects_eta */
    double *v;        /* K machine levels, written by cr_effects_eta (the caller's storage) */
} cr_effects;

/* Writes the log rate of every cell into eta, alpha into x->alpha and the machine levels into
 * x->v, and returns the prior log density of the effect coordinates (alpha's own prior left to
 * the model; constants dropped; the Jacobians of the coordinates included). */
double cr_effects_eta(const cr_cells *c, cr_effects *x, double *eta);

/* Chain rule back to the coordinates of the point cr_effects_eta saw, prior included. On entry
 * g[c] is d lp / d eta[c], gk[k] d lp / d v[k] from terms outside the effects (zero for most
 * models), gfixed[0] d lp / d alpha (alpha's prior) and gfixed[1], gfixed[2] the derivatives in
 * log sigma_machine and log sigma_minute so far. On return g holds the gradient of the cell
 * coordinates (when x->zc), gk that of the machine coordinates, gfixed[0] that of x->a, and the
 * effects' terms are added to gfixed[1] and (with minute effects) gfixed[2]. */
void cr_effects_grad(const cr_cells *c, const cr_effects *x, double *g, double *gk,
                     double *gfixed);

/* The outputs of the point: alpha, z_machine[K] and (with minute effects) z_minute[C]; zc may
 * be x->zc itself. */
void cr_effects_standardize(const cr_cells *c, const cr_effects *x, double *alpha, double *zk,
                            double *zc);

/* The log rate of (machine, minute) (1-based) at output values: alpha, the scales, z_machine[K]
 * and z_minute per cell (zc NULL without minute effects); NaN when c has no such cell. For the
 * models' pointwise log-likelihoods. */
double cr_effects_eta_at(const cr_cells *c, double alpha, double sm, double sn, const double *zk,
                         const double *zc, int machine, int minute);

/* The coordinates for data c, from estimates of the two scales: sigma_minute from the spread of
 * each machine's cells' log rates, sigma_machine from that of the machines' mean log rates, each
 * less the noise of what it spreads. A cell's noise, the sampling variance of its log rate, is
 * (1/m + 1/phi) / n for n seconds of mean m, 1/phi estimated by moments from the seconds' spread
 * within their cells (0 when poisson); a machine's, that of its cells' mean. A level is pinned
 * when its median member's noise is below a quarter of its scale: the cells when, besides,
 * cells_pinned (the model's judgement against the prior's scale, cr_effects_prefer_centred on
 * their Fisher information) and some machine has two cells with counts; the machines always
 * when there is one (its level is pinned where alpha never is). A single cell counts as pinned.
 * That choice is for one machine. With two or more, whose level needs no choice collapsed,
 * CR_EFFECTS_COLLAPSED when sigma_minute has at least 15 degrees of freedom (cells with counts,
 * less one per machine), else CR_EFFECTS_COLLAPSED_NC: the binary choice failed there on the
 * machines, since with few of them, or with some pinned and others not, sigma_machine's
 * posterior straddles their noise (2 machines x 30 minutes: 324 divergences in 3 of 4 data
 * sets, now none).
 * Without minute effects (whole-machine cells): CR_EFFECTS_CENTRED for one machine or when
 * cells_pinned, else CR_EFFECTS_NONCENTRED. */
int cr_effects_choose(const cr_cells *c, int cells_pinned, int poisson);

/* Whether the median of info[0..n) exceeds 4 (info is reordered). */
int cr_effects_prefer_centred(double *info, int n);

/* One level of the hierarchy sampled from below: n members x[i] ~ normal(m, s) are coordinates
 * and their mean is m = mean(x) + s w / sqrt(n), w the coordinate in m's place. Sets *m and
 * returns the members' prior with the Jacobian of w -> m, constants dropped:
 * -S / (2 s^2) - w^2 / 2 - (n - 1) log s, S = sum (x[i] - mean(x))^2. */
double cr_level_lp(int n, const double *x, double w, double s, double *m);

/* Its gradient, with gm = d lp / d m from outside the level (m's own prior, or a level above):
 * adds d lp / d x[i] to gx[i] and d lp / d log s to *glogs, and returns d lp / d w. */
double cr_level_grad(int n, const double *x, double w, double s, double gm, double *gx,
                     double *glogs);

#endif
