/* Helpers shared by the AR(1) rate models' tests (nbh_ar1, hurdle_nbh_ar1): the AR states of
 * CPS-like rows counted from the rows themselves, and the textbook densities the brute-force
 * references are built from. Header-only: each test binary is built from a single test_*.c. */
#ifndef CR_AR1_TEST_H
#define CR_AR1_TEST_H

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "model/nbh_ar1.h"
#include "model_test.h"

/* The AR state of each row: one per minute from a machine's first to its last. Returns their
 * number. */
static inline int ar_row_states(const rows *r, int *state)
{
    int s = -1;
    for (size_t i = 0; i < r->n; i++) {
        if (i == 0 || r->machine[i] != r->machine[i - 1])
            s++;
        else
            s += r->minute[i] - r->minute[i - 1];
        state[i] = s;
    }
    return s + 1;
}

/* Drops the rows of one machine's minute (a capture gap inside a machine). */
static inline void ar_drop_minute(rows *r, int machine, int minute)
{
    size_t o = 0;
    for (size_t i = 0; i < r->n; i++)
        if (r->machine[i] != machine || r->minute[i] != minute)
            r->machine[o] = r->machine[i], r->minute[o] = r->minute[i], r->y[o++] = r->y[i];
    r->n = o;
}

/* z[s] from eps[s] by the recursion z = rho z_prev + sqrt(1 - rho^2) eps within a machine. */
static inline void ar_states_of(const rows *r, const int *state, int nstate, double rho,
                                const double *eps, double *z)
{
    for (int s = 0; s < nstate; s++)
        z[s] = eps[s];
    for (size_t i = 1; i < r->n; i++) /* a machine's states are consecutive */
        if (r->machine[i] == r->machine[i - 1])
            for (int s = state[i - 1] + 1; s <= state[i]; s++)
                z[s] = rho * z[s - 1] + sqrt(1 - rho * rho) * eps[s];
}

/* nbh_ar1's output values for simulation: population parameters v0, z_machine ~ normal(0,1)
 * and AR(1) z_minute. */
static inline void ar_draw_outputs(gsl_rng *g, int K, const rows *r, const int *state,
                                   int nstate, const double *v0, double *v)
{
    memcpy(v, v0, CR_NBH_AR1_NFIXED * sizeof(double));
    for (int k = 0; k < K; k++)
        v[CR_NBH_AR1_NFIXED + k] = gsl_ran_gaussian(g, 1);
    double *eps = xmalloc((size_t)(nstate + 1) * sizeof(double));
    for (int s = 0; s < nstate; s++)
        eps[s] = gsl_ran_gaussian(g, 1);
    ar_states_of(r, state, nstate, v0[CR_NBH_AR1_RHO], eps, v + CR_NBH_AR1_NFIXED + K);
    free(eps);
}

static inline double nb_log_pmf(int y, double mu, double phi)
{
    return log(gsl_ran_negative_binomial_pdf((unsigned)y, phi / (mu + phi), phi));
}

/* The prior of nbh_ar1's unconstrained coordinates th[0 .. NFIXED + K + C), constants included:
 * normal(0,3) on alpha, half-normal(0,1) on the scales with log Jacobians, beta(2,2) on
 * (rho + 1) / 2 with the Jacobian of rho = 2 inv_logit(x) - 1, normal(0,1) on z_machine and
 * eps. */
static inline double ar_brute_prior(const double *th, int dim)
{
    double w = 1 / (1 + exp(-th[CR_NBH_AR1_RHO]));
    double lp = log(gsl_ran_gaussian_pdf(th[CR_NBH_AR1_ALPHA], 3));
    static const int scales[] = {CR_NBH_AR1_LOG_SIGMA_MACHINE, CR_NBH_AR1_LOG_SIGMA_MINUTE,
                                 CR_NBH_AR1_LOG_INV_SQRT_PHI};
    for (int j = 0; j < 3; j++)
        lp += log(2 * gsl_ran_gaussian_pdf(exp(th[scales[j]]), 1)) + th[scales[j]];
    lp += log(gsl_ran_beta_pdf(w, 2, 2) / 2) + log(2 * w * (1 - w));
    for (int i = CR_NBH_AR1_NFIXED; i < dim; i++)
        lp += log(gsl_ran_gaussian_pdf(th[i], 1));
    return lp;
}

/* The log rate of every row at nbh_ar1's unconstrained point th. */
static inline void ar_brute_eta(const rows *r, const int *state, int nstate, int K,
                                const double *th, double *eta)
{
    double *z = xmalloc((size_t)(nstate + 1) * sizeof(double));
    double rho = 2 / (1 + exp(-th[CR_NBH_AR1_RHO])) - 1;
    ar_states_of(r, state, nstate, rho, th + CR_NBH_AR1_NFIXED + K, z);
    for (size_t i = 0; i < r->n; i++)
        eta[i] = th[CR_NBH_AR1_ALPHA] +
                 exp(th[CR_NBH_AR1_LOG_SIGMA_MACHINE]) * th[CR_NBH_AR1_NFIXED + r->machine[i] - 1] +
                 exp(th[CR_NBH_AR1_LOG_SIGMA_MINUTE]) * z[state[i]];
    free(z);
}

#endif
