/* The model ladder: the rate models of a count series, simplest first, behind one
 * interface so that fitting, posterior predictive checks, PSIS-LOO and the leave-one-machine-out
 * check treat them alike.
 *
 *   pois            Poisson, machine and minute effects (no over-dispersion within a minute)
 *   nb_machine      negative binomial, machine effects only (no minute-to-minute variation)
 *   nbh             negative binomial, machine and independent minute effects
 *   nbh_ar1         as nbh with AR(1) minute effects per machine
 *   hurdle_nbh_ar1  as nbh_ar1 with a per-machine chance of a zero second
 *   nbh_burst       as nbh with a chance that a second is a burst of a size of its own
 *   nbh_burst_msd   as nbh_burst with each machine's own minute-to-minute spread
 *
 * Every model's output vector (cr_model.constrain) has the same shape:
 *   [nfixed population values][z_machine 1..K][one value per cell, when has_cells]
 *   [tail_fixed population values][tail_per_machine values per machine 1..K]
 * and every simulator draws rows ordered by machine then minute from such a vector, K being the
 * largest machine among the rows. That shape is what lets one draw be cut down to a single
 * machine (cr_ladder_machine_view) or extended to a new one (cr_ladder_new_machine_view). */
#ifndef CR_LADDER_H
#define CR_LADDER_H

#include <stddef.h>

#include <gsl/gsl_rng.h>

#include "common/err.h"
#include "loo/loo.h"
#include "model/cells.h"
#include "model/count_law.h"
#include "ppc/ppc.h"
#include "sampler/chains.h"
#include "model/model.h"

/* Rows of one count series ordered by machine then minute (1-based, as in the CPS table). */
typedef struct {
    size_t n;
    const int *machine, *minute, *y;
} cr_ladder_rows;

typedef struct cr_ladder_model cr_ladder_model;
struct cr_ladder_model {
    /* name, Stan twin, words for --help and the notes, and the engine's hooks: the PPC below
     * (cr_ladder_points against cr_ppc_result) and the loop log's data. The first member, so
     * that a model's m->entry leads back to its rung: (const cr_ladder_model *)m->entry. */
    cr_model_entry entry;
    int nfixed, has_cells, tail_fixed, tail_per_machine;
    int rho;           /* output index of an AR(1) coefficient of the minute effects, or -1 */
    /* Model-specific data: built from rows, freed, its cells (the rate cells: for the hurdle,
     * those of its positive seconds), its sampling-coordinates flag, and the model over it. */
    void *(*data_new)(const cr_ladder_rows *r);
    void (*data_free)(void *d);
    const cr_cells *(*cells)(const void *d);
    int *(*centred)(void *d);
    int (*prefer_centred)(const void *d);
    void (*model)(cr_model *m, const void *d);
    void (*simulate)(size_t nrows, const int *machine, const int *minute, const double *v,
                     gsl_rng *r, int *y);
    /* log p(y | draw v) of one second in (machine, minute), constants included; NaN when the
     * data have no such cell */
    double (*loglik)(const void *d, const double *v, int machine, int minute, int y);
    /* the law of one second's count in (machine, minute) at draw v, as for loglik (the
     * predictive checks draw each cell's seconds from it) */
    void (*law)(const void *d, const double *v, int machine, int minute, cr_count_law *out);
};

enum { CR_LADDER_POIS, CR_LADDER_NB_MACHINE, CR_LADDER_NBH, CR_LADDER_NBH_AR1,
       CR_LADDER_HURDLE_NBH_AR1, CR_LADDER_NBH_BURST,
       CR_LADDER_NBH_BURST_MSD, CR_LADDER_NMODELS };

/* The ladder in complexity order (simplest first). */
extern const cr_ladder_model cr_ladder_models[CR_LADDER_NMODELS];

/* The model called name, or NULL. */
const cr_ladder_model *cr_ladder_find(const char *name);

/* One model's data and log density for one series. */
typedef struct {
    const cr_ladder_model *lm;
    void *d;
    cr_model m;
    int nmachines;
} cr_ladder_data;

/* Builds the data and the model (its entry &lm->entry), in the sampling coordinates the data
 * favour. */
void cr_ladder_data_init(cr_ladder_data *ld, const cr_ladder_model *lm, const cr_ladder_rows *r);
void cr_ladder_data_free(cr_ladder_data *ld);
const cr_cells *cr_ladder_cells(const cr_ladder_data *ld);
int cr_ladder_centred(const cr_ladder_data *ld);

/* The outputs v of one draw cut down to machine k's (1-based) rows: what lm->simulate expects
 * for those rows alone (machines 1..k kept, the cells of machine k only). out holds m.nout
 * values; returns how many it wrote. */
int cr_ladder_machine_view(const cr_ladder_data *ld, const double *v, int k, double *out);

/* The outputs v of one draw of ld's model for a new machine numbered 1 with ncells cells (the
 * population predictive of a new user): population values from v, a new z_machine, new minute
 * effects (independent, or the AR(1) of the draw's rho with a stationary start) and new
 * per-machine tail values, all standard normal. out holds lm->nfixed + 1 + ncells +
 * lm->tail_fixed + lm->tail_per_machine values. */
void cr_ladder_new_machine_view(const cr_ladder_data *ld, const double *v, int ncells,
                                gsl_rng *r, double *out);

/* ---- Checks of a fitted model (ladder_check.c) ---- */

/* The distinct (machine, minute, y) of a series, with how many seconds each stands for: every
 * ladder model's likelihood is the same for those seconds, so PSIS-LOO is computed once per
 * point and weighted (loo/loo.h). Ordered by machine, minute, then y. */
typedef struct {
    size_t n;
    int *machine, *minute, *y;
    double *weight;
} cr_ladder_points;

void cr_ladder_points_init(cr_ladder_points *p, const cr_ladder_rows *r);
void cr_ladder_points_free(cr_ladder_points *p);

/* PSIS-LOO of a fit at the points: writes the pointwise elpd_loo into elpd[p->n] and the
 * weighted estimates into est. res holds the draws (chain-major) of ld's outputs. */
void cr_ladder_loo(const cr_ladder_data *ld, const cr_chains_result *res,
                   const cr_ladder_points *p, int threads, double *elpd, cr_loo_estimates *est);

/* The posterior predictive check of every rate model, its entry's ppc (model/model.h; the fit
 * engine calls it: cr_fit_ppc), on the series' points (cr_ladder_points: its cells' count
 * histograms) into a cr_ppc_result (ppc/ppc.h), each cell's seconds replicated at once from the
 * model's law for it (cr_ppc_run_cells). The PPC rule of the ladder: statistics are judged with a
 * Bonferroni correction over all the statistics of all machines and the pooled check (family-wise
 * false-alarm rate alpha = 0.01 under a correct model), with as many replicates as there are draws
 * (up to a budget of 10^8 cells and positive seconds drawn, at least 400) so that such small
 * p-values can be resolved; count classes keep the 99% band for the plots and the notes, but do
 * not fail a model on their own (with dozens of classes per machine, isolated misses are expected
 * from a correct model: the PPC study found one in three machines flagged). */
int cr_ladder_ppc(const cr_model *m, const void *points, const double *draws, size_t ndraws,
                  uint64_t seed, int threads, void *out, cr_err *e);
/* Whether res fails the ladder's PPC rule (a statistic failure; count classes do not count). */
int cr_ladder_ppc_fails(const cr_ppc_result *res);

/* ---- The automatic choice (ladder_choose.c) ---- */

/* What the choice needs to know of each model tried, in ladder order. */
typedef struct {
    int converged; /* the seed's convergence criteria */
    int ppc_pass;  /* cr_ladder_ppc_fails() == 0 */
    const double *elpd; /* pointwise elpd_loo over the same points for every model */
    int usable;    /* worth keeping though it fails (every rate model that ran; a duration
                    * candidate whose approximation holds) */
} cr_ladder_candidate;

typedef struct {
    int chosen;  /* index of the model kept */
    int failing; /* no model passed both checks: the best elpd is kept, marked failing */
    int best;    /* best elpd among the models compared */
    int compared[CR_LADDER_NMODELS];  /* in the LOO comparison (passing, or all when none) */
    double elpd_diff[CR_LADDER_NMODELS], se_diff[CR_LADDER_NMODELS]; /* to the best; NAN: not
                                                                       * compared */
    char reason[512]; /* plain sentence(s) */
} cr_ladder_choice;

/* The choice rule, of the rate ladder and of the duration mixtures alike: drop the models
 * that fail convergence or the PPC; among the rest keep the simplest (lowest index) whose
 * elpd_loo is within 2 standard errors of the difference (loo_compare's se_diff) of the best.
 * When none passes, keep the best elpd of the usable ones (of all when none is usable), marked
 * failing. n candidates (n <= CR_LADDER_NMODELS) named by names; weight[npoints] as for
 * cr_loo_compare. */
void cr_ladder_choose(int n, const cr_ladder_candidate *c, const char *const *names,
                      const double *weight, size_t npoints, cr_ladder_choice *out);

#endif
