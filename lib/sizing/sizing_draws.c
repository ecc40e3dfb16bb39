/* Posterior draws of a rate model by column name, from lib/fit's result in memory or its draws
 * CSV. Which ladder model made them shows in the names (lib/model's output names): pois has no
 * phi, nb_machine no sigma_minute, nbh no rho, hurdle_nbh_ar1 adds mu_pi and sigma_pi, and
 * nbh_burst adds w, lambda_b and phi_b, and nbh_burst_msd has mu_s and tau_s for sigma_minute. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/csv.h"
#include "common/xalloc.h"
#include "sizing/sizing.h"

enum { COL_ALPHA, COL_SIGMA_MACHINE, COL_SIGMA_MINUTE, COL_PHI, COL_RHO, COL_MU_PI, COL_SIGMA_PI,
       COL_W, COL_LAMBDA_B, COL_PHI_B, COL_MU_S, COL_TAU_S, NCOLS };
static const char *const col_names[NCOLS] = {"alpha", "sigma_machine", "sigma_minute", "phi",
                                             "rho", "mu_pi", "sigma_pi", "w", "lambda_b",
                                             "phi_b", "mu_s", "tau_s"};

/* Marks column col in at[] when name[0..len) is one of the wanted names. */
static void match_column(const char *name, size_t len, int col, int *at)
{
    for (int k = 0; k < NCOLS; k++)
        if (strlen(col_names[k]) == len && !strncmp(name, col_names[k], len))
            at[k] = col;
}

/* Whether the columns found make a rate model the simulator draws; what names the source. */
static int check_columns(const int *at, const char *what, cr_err *e)
{
    for (int k = 0; k < COL_SIGMA_MINUTE; k++)
        if (at[k] < 0)
            return cr_fail(e, "%s: no column %s (the simulator needs alpha, sigma_machine, and "
                              "sigma_minute or phi)", what, col_names[k]);
    if (at[COL_SIGMA_MINUTE] < 0 && at[COL_PHI] < 0)
        return cr_fail(e, "%s: neither sigma_minute nor phi: not the draws of a rate model", what);
    int hurdle = at[COL_MU_PI] >= 0;
    if (hurdle != (at[COL_SIGMA_PI] >= 0) || (hurdle && at[COL_PHI] < 0))
        return cr_fail(e, "%s: a hurdle model needs mu_pi, sigma_pi and phi", what);
    int burst = at[COL_W] >= 0;
    if (burst != (at[COL_LAMBDA_B] >= 0) || burst != (at[COL_PHI_B] >= 0) ||
        (burst && at[COL_PHI] < 0))
        return cr_fail(e, "%s: a burst model needs w, lambda_b, phi_b and phi", what);
    if ((at[COL_MU_S] >= 0) != (at[COL_TAU_S] >= 0) || (at[COL_MU_S] >= 0 && !burst))
        return cr_fail(e, "%s: per-machine minute spreads need mu_s, tau_s and a burst model",
                       what);
    return 0;
}

size_t cr_sizing_thin_row(int i, size_t nrows, int ndraws)
{
    return (size_t)i * nrows / (size_t)ndraws;
}

void cr_sizing_slot_chains(int chains, int samples, int ndraws, int *chain)
{
    const size_t nrows = (size_t)chains * (size_t)samples;
    for (int i = 0; i < ndraws; i++)
        chain[i] = (int)(cr_sizing_thin_row(i, nrows, ndraws) / (size_t)samples);
}

/* out[ndraws], evenly thinned from nrows rows of NCOLS values (absent columns hold 0). */
static void thin(const double *v, size_t nrows, const int *at, int ndraws, cr_sim_draw *out)
{
    for (int i = 0; i < ndraws; i++) {
        const double *r = v + cr_sizing_thin_row(i, nrows, ndraws) * NCOLS;
        /* absent columns: nb_machine's rate stays put, pois has no gamma per second */
        out[i] = (cr_sim_draw){.alpha = r[COL_ALPHA], .sigma_machine = r[COL_SIGMA_MACHINE],
                               .sigma_minute = r[COL_SIGMA_MINUTE],
                               .phi = at[COL_PHI] < 0 ? INFINITY : r[COL_PHI],
                               .rho = r[COL_RHO], .hurdle = at[COL_MU_PI] >= 0,
                               .mu_pi = r[COL_MU_PI], .sigma_pi = r[COL_SIGMA_PI],
                               .burst = at[COL_W] >= 0, .w = r[COL_W],
                               .lambda_b = r[COL_LAMBDA_B], .phi_b = r[COL_PHI_B],
                               .spread = at[COL_MU_S] >= 0, .mu_s = r[COL_MU_S],
                               .tau_s = r[COL_TAU_S]};
    }
}

int cr_sizing_draws_from_columns(const cr_model *m, const cr_chains_result *res, const int *cols,
                                 int ncols, int ndraws, cr_sim_draw *out, const char *what,
                                 cr_err *e)
{
    int at[NCOLS];
    for (int k = 0; k < NCOLS; k++)
        at[k] = -1;
    char name[64];
    int width = cols ? ncols : m->nout;
    for (int i = 0; i < width; i++) {
        m->name(m, cols ? cols[i] : i, name, sizeof name);
        match_column(name, strlen(name), i, at);
    }
    size_t nrows = (size_t)res->chains * (size_t)res->samples;
    if (check_columns(at, what, e) != 0)
        return -1;
    if (nrows == 0)
        return cr_fail(e, "%s: no draws", what);
    double *v = xcalloc(nrows * NCOLS, sizeof *v);
    for (size_t j = 0; j < nrows; j++)
        for (int k = 0; k < NCOLS; k++)
            if (at[k] >= 0)
                v[j * NCOLS + k] = res->draws[j * (size_t)width + (size_t)at[k]];
    thin(v, nrows, at, ndraws, out);
    free(v);
    return 0;
}

int cr_sizing_draws_from_fit_trimmed(const cr_fit_rung *r, int ndraws, cr_sim_draw *out,
                                     cr_err *e)
{
    return cr_sizing_draws_from_columns(&r->ld.m, &r->fit.res, r->draw_cols, r->ndraw_cols,
                                        ndraws, out, r->ld.lm->entry.name, e);
}

/* A whole cell that is a finite number. */
static int cell_number(const cr_csv_field *f, double *x)
{
    char *end;
    errno = 0;
    *x = strtod(f->s, &end);
    return f->len && !*end && !errno && isfinite(*x) ? 0 : -1;
}

int cr_sizing_read_draws(const char *path, int ndraws, cr_sim_draw *out, cr_err *e)
{
    cr_csv *r;
    if (cr_csv_open(&r, path, ',', 0, e) != 0)
        return -1;
    cr_csv_field *f;
    int at[NCOLS], n = cr_csv_next(r, &f, e), rc = 0;
    size_t nrows = 0, nv = 0;
    double *v = NULL;
    for (int k = 0; k < NCOLS; k++)
        at[k] = -1;
    if (n == 0)
        rc = cr_fail(e, "%s: empty draws file", path);
    for (int i = 0; i < n; i++)
        match_column(f[i].s, f[i].len, i, at);
    int width = n;
    if (n < 0 || rc || (rc = check_columns(at, path, e)) != 0)
        goto done;
    while ((n = cr_csv_next(r, &f, e)) > 0) {
        double row[NCOLS] = {0};
        for (int k = 0; k < NCOLS && n == width; k++)
            if (at[k] >= 0 && cell_number(&f[at[k]], &row[k]) != 0) {
                rc = cr_fail(e, "%s:%zu: column %s: '%s' is not a number", path, cr_csv_line(r),
                             col_names[k], f[at[k]].s);
                goto done;
            }
        if (n != width) {
            rc = cr_fail(e, "%s:%zu: %d fields, the header has %d", path, cr_csv_line(r), n,
                         width);
            goto done;
        }
        xgrow(&v, &nv, (nrows + 1) * NCOLS, sizeof *v);
        memcpy(v + nrows * NCOLS, row, sizeof row);
        nrows++;
    }
    if (n < 0)
        rc = -1;
    else if (nrows == 0)
        rc = cr_fail(e, "%s: no draws", path);
    else
        thin(v, nrows, at, ndraws, out);
done:
    free(v);
    cr_csv_close(r);
    return rc ? -1 : 0;
}
