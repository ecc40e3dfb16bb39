/* Simulation-based calibration (Talts et al. 2018) and parameter recovery for the lower rungs of
 * the model ladder (pois, nb_machine) and for nbh_burst and nbh_burst_msd, model and sampler
 * together, in the sampling coordinates connrate's fit would choose (cr_*_prefer_centred).
 *
 * SBC: parameters from the prior, data from the model (3 machines x 5 minutes), short chains,
 * and the rank of each true population parameter among thinned posterior draws; when log
 * density, gradient and sampler are right the ranks are uniform (chi-square test, fixed seed).
 *
 * Recovery: data from the model at fixed, plausible parameters (8 machines x 5 minutes); the 90%
 * central posterior intervals of the population parameters, and of every output pooled, must
 * cover the truth at close to the nominal rate. */
#include "test.h"

#include <stdlib.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "common/xalloc.h"
#include "model/nb_machine.h"
#include "model/nbh_burst.h"
#include "model/nbh_burst_msd.h"
#include "model/pois.h"
#include "sampler/chains.h"

/* One rung of the ladder as the harness sees it. */
typedef struct {
    const char *name;
    int nfixed;                 /* population parameters first in the outputs */
    int ntail;                  /* and last in the outputs */
    const char *const *names;   /* their names, first then last */
    int minute_effects;         /* whether z_minute per cell follow z_machine */
    void (*prior)(gsl_rng *g, double *v); /* draws the nfixed + ntail population parameters */
    void (*simulate)(size_t n, const int *machine, const int *minute, const double *v,
                     gsl_rng *r, int *y);
    /* builds the model's data (the coordinates fit would choose) and m; returns the data */
    void *(*build)(cr_model *m, size_t n, const int *machine, const int *minute, const int *y);
    void (*destroy)(void *data);
    const double *recovery_truth; /* population parameters for the recovery study */
    int tail_per_machine;       /* standard normal values per machine after the tail */
} rung;

static double half_normal(gsl_rng *g)
{
    return fabs(gsl_ran_gaussian(g, 1));
}

static void pois_prior(gsl_rng *g, double *v)
{
    v[0] = gsl_ran_gaussian(g, 3);
    v[1] = half_normal(g);
    v[2] = half_normal(g);
}

static void *pois_build(cr_model *m, size_t n, const int *machine, const int *minute,
                        const int *y)
{
    cr_pois_data *d = xmalloc(sizeof *d);
    cr_pois_data_from_rows(d, n, machine, minute, y);
    d->centred = cr_pois_prefer_centred(d);
    cr_pois_model(m, d);
    return d;
}

static void pois_destroy(void *d)
{
    cr_pois_data_free(d);
    free(d);
}

static void nbm_prior(gsl_rng *g, double *v)
{
    v[0] = gsl_ran_gaussian(g, 3);
    v[1] = half_normal(g);
    double isp = half_normal(g);
    v[2] = 1 / (isp * isp);
}

static void *nbm_build(cr_model *m, size_t n, const int *machine, const int *minute,
                       const int *y)
{
    (void)minute;
    cr_nb_machine_data *d = xmalloc(sizeof *d);
    cr_nb_machine_data_from_rows(d, n, machine, y);
    d->centred = cr_nb_machine_prefer_centred(d);
    cr_nb_machine_model(m, d);
    return d;
}

static void nbm_destroy(void *d)
{
    cr_nb_machine_data_free(d);
    free(d);
}

static void burst_prior(gsl_rng *g, double *v)
{
    v[0] = gsl_ran_gaussian(g, 3);
    v[1] = half_normal(g);
    v[2] = half_normal(g);
    double isp = half_normal(g), isp_b = isp + 2 * half_normal(g);
    v[3] = 1 / (isp * isp);
    v[4] = gsl_ran_beta(g, 1, 9) / 2;
    v[5] = gsl_ran_lognormal(g, 2, 1.5);
    v[6] = 1 / (isp_b * isp_b);
}

static void *burst_build(cr_model *m, size_t n, const int *machine, const int *minute,
                         const int *y)
{
    cr_nbh_burst_data *d = xmalloc(sizeof *d);
    cr_nbh_burst_data_from_rows(d, n, machine, minute, y);
    d->nbh.centred = cr_nbh_prefer_centred(&d->nbh);
    cr_nbh_burst_model(m, d);
    return d;
}

static void burst_destroy(void *d)
{
    cr_nbh_burst_data_free(d);
    free(d);
}

static void msd_prior(gsl_rng *g, double *v)
{
    v[0] = gsl_ran_gaussian(g, 3);
    v[1] = half_normal(g);
    v[2] = gsl_ran_gaussian(g, 1) - 0.5;
    v[3] = 0.5 * half_normal(g);
    double isp = half_normal(g), isp_b = isp + 2 * half_normal(g);
    v[4] = 1 / (isp * isp);
    v[5] = gsl_ran_beta(g, 1, 9) / 2;
    v[6] = gsl_ran_lognormal(g, 2, 1.5);
    v[7] = 1 / (isp_b * isp_b);
}

static void *msd_build(cr_model *m, size_t n, const int *machine, const int *minute,
                       const int *y)
{
    cr_nbh_burst_msd_data *d = xmalloc(sizeof *d);
    cr_nbh_burst_msd_data_from_rows(d, n, machine, minute, y);
    cr_nbh_burst_msd_model(m, d);
    return d;
}

static void msd_destroy(void *d)
{
    cr_nbh_burst_msd_data_free(d);
    free(d);
}

static const char *const pois_names[] = {"alpha", "sigma_machine", "sigma_minute"};
static const char *const nbm_names[] = {"alpha", "sigma_machine", "phi"};
static const double pois_truth[] = {1.0, 0.5, 0.4};
static const double nbm_truth[] = {1.0, 0.5, 3.0};
static const char *const burst_names[] = {"alpha", "sigma_machine", "sigma_minute", "phi",
                                          "w", "lambda_b", "phi_b"};
static const double burst_truth[] = {-1.0, 0.5, 0.4, 5.0, 0.03, 12.0, 1.0};
static const char *const msd_names[] = {"alpha", "sigma_machine", "mu_s", "tau_s", "phi", "w",
                                        "lambda_b", "phi_b"};
static const double msd_truth[] = {-1.0, 0.5, -0.9, 0.3, 5.0, 0.03, 12.0, 1.0};
static const rung rungs[] = {
    {"pois", CR_POIS_NFIXED, 0, pois_names, 1, pois_prior, cr_pois_simulate, pois_build,
     pois_destroy, pois_truth, 0},
    {"nb_machine", CR_NB_MACHINE_NFIXED, 0, nbm_names, 0, nbm_prior, cr_nb_machine_simulate,
     nbm_build, nbm_destroy, nbm_truth, 0},
    {"nbh_burst", CR_NBH_NFIXED, CR_BURST_NTAIL, burst_names, 1, burst_prior,
     cr_nbh_burst_simulate, burst_build, burst_destroy, burst_truth, 0},
    {"nbh_burst_msd", CR_MSD_NFIXED, CR_BURST_NTAIL, msd_names, 1, msd_prior,
     cr_nbh_burst_msd_simulate, msd_build, msd_destroy, msd_truth, 1},
};
enum { NFIXED_MAX = 8 };

/* A CPS-like layout: machines x seconds, rows ordered by machine then second. */
typedef struct {
    size_t n;
    int nmachines, ncells;
    int *machine, *minute, *y;
} layout;

static void layout_init(layout *l, int machines, int seconds)
{
    l->nmachines = machines;
    l->ncells = machines * ((seconds + 59) / 60);
    l->n = (size_t)machines * (size_t)seconds;
    l->machine = xmalloc(l->n * sizeof(int));
    l->minute = xmalloc(l->n * sizeof(int));
    l->y = xmalloc(l->n * sizeof(int));
    for (size_t r = 0; r < l->n; r++) {
        l->machine[r] = (int)(r / (size_t)seconds) + 1;
        l->minute[r] = (int)(r % (size_t)seconds) / 60 + 1;
    }
}

static void layout_free(layout *l)
{
    free(l->machine);
    free(l->minute);
    free(l->y);
}

static int nout_of(const rung *rg, const layout *l)
{
    return rg->nfixed + l->nmachines * (1 + rg->tail_per_machine) +
           (rg->minute_effects ? l->ncells : 0) + rg->ntail;
}

/* Output index of population parameter j. */
static int pop_out(const rung *rg, const layout *l, int j)
{
    const int tail = nout_of(rg, l) - rg->ntail - rg->tail_per_machine * l->nmachines;
    return j < rg->nfixed ? j : tail + (j - rg->nfixed);
}

/* truth: the population parameters pop in their places, standard normal effects elsewhere. */
static void set_truth(const rung *rg, const layout *l, const double *pop, gsl_rng *g,
                      double *truth)
{
    const int tail = pop_out(rg, l, rg->nfixed);
    for (int i = rg->nfixed; i < nout_of(rg, l); i++)
        if (i < tail || i >= tail + rg->ntail)
            truth[i] = gsl_ran_gaussian(g, 1);
    for (int j = 0; j < rg->nfixed + rg->ntail; j++)
        truth[pop_out(rg, l, j)] = pop[j];
}

static void no_progress(void *ctx, int chain, int done, int total, int warmup)
{
    (void)ctx, (void)chain, (void)done, (void)total, (void)warmup;
}

/* Fits data l->y with 2 chains on 2 threads; returns 0 and fills res, or -1. */
static int fit(const rung *rg, const layout *l, int warmup, int samples, uint64_t seed,
               cr_chains_result *res)
{
    cr_model m;
    void *d = rg->build(&m, l->n, l->machine, l->minute, l->y);
    cr_chains_config cfg;
    cr_chains_config_default(&cfg);
    cfg.chains = 2;
    cfg.warmup = warmup;
    cfg.samples = samples;
    cfg.seed = seed;
    cfg.threads = 2;
    cfg.progress = no_progress;
    cr_err e;
    int rc = cr_chains_run(&m, &cfg, res, &e);
    rg->destroy(d);
    return rc;
}

static int divergences(const cr_chains_result *res)
{
    int n = 0;
    for (int i = 0; i < res->chains * res->samples; i++)
        n += res->stats[i].divergent;
    return n;
}

enum { SBC_MACHINES = 3, SBC_SECONDS = 300, SBC_REPS = 200, SBC_WARMUP = 200,
       SBC_SAMPLES = 100, THIN = 10, NRANK = 2 * SBC_SAMPLES / THIN + 1, BINS = 7 };

static void sbc(const rung *rg)
{
    layout l;
    layout_init(&l, SBC_MACHINES, SBC_SECONDS);
    const int nout = nout_of(rg, &l);
    double *truth = xmalloc((size_t)nout * sizeof(double)), pop[NFIXED_MAX];
    const int npop = rg->nfixed + rg->ntail;
    int count[NFIXED_MAX][BINS];
    memset(count, 0, sizeof count);
    gsl_rng *g = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(g, 20240611);
    int failed = 0, divergent_reps = 0;
    for (int rep = 0; rep < SBC_REPS; rep++) {
        rg->prior(g, pop);
        set_truth(rg, &l, pop, g, truth);
        rg->simulate(l.n, l.machine, l.minute, truth, g, l.y);
        cr_chains_result res;
        if (fit(rg, &l, SBC_WARMUP, SBC_SAMPLES, (uint64_t)rep + 1, &res) != 0) {
            failed++;
            continue;
        }
        divergent_reps += divergences(&res) > 0;
        for (int j = 0; j < npop; j++) {
            const int o = pop_out(rg, &l, j);
            int rank = 0;
            for (int i = THIN - 1; i < 2 * SBC_SAMPLES; i += THIN)
                rank += res.draws[(size_t)i * res.nout + o] < truth[o];
            count[j][rank * BINS / NRANK]++;
        }
        cr_chains_result_free(&res);
    }
    gsl_rng_free(g);
    layout_free(&l);
    free(truth);
    CHECKF(failed <= SBC_REPS / 100, "%s: %d of %d fits could not start", rg->name, failed,
           SBC_REPS);
    printf("     %s: %d replications, %d with divergences\n", rg->name, SBC_REPS - failed,
           divergent_reps);

    int worst = 0;
    double worst_p = 1;
    for (int j = 0; j < npop; j++) {
        int total = 0;
        for (int b = 0; b < BINS; b++)
            total += count[j][b];
        double chi2 = 0;
        for (int b = 0; b < BINS; b++) {
            /* NRANK ranks do not split evenly into BINS bins: expected share of bin b */
            int lo = (b * NRANK + BINS - 1) / BINS, hi = ((b + 1) * NRANK + BINS - 1) / BINS;
            double expect = (double)total * (hi - lo) / NRANK;
            chi2 += (count[j][b] - expect) * (count[j][b] - expect) / expect;
        }
        double p = gsl_cdf_chisq_Q(chi2, BINS - 1);
        printf("     %-13s chi2 %6.2f p %.4f bins", rg->names[j], chi2, p);
        for (int b = 0; b < BINS; b++)
            printf(" %d", count[j][b]);
        printf("\n");
        if (p < worst_p)
            worst_p = p, worst = j;
    }
    CHECKF(worst_p > 0.001, "%s: ranks of %s not uniform (p = %.2g)", rg->name,
           rg->names[worst], worst_p);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

enum { REC_MACHINES = 8, REC_SECONDS = 300, REC_REPS = 50, REC_WARMUP = 300,
       REC_SAMPLES = 200 };

/* Binomial(REC_REPS, 0.9) puts 0.2% below 38 covered; pooled over every output, intervals of
 * one replication are correlated, so the pooled rate gets a wider band than binomial. */
static void recovery(const rung *rg)
{
    layout l;
    layout_init(&l, REC_MACHINES, REC_SECONDS);
    const int nout = nout_of(rg, &l), ndraws = 2 * REC_SAMPLES;
    double *truth = xmalloc((size_t)nout * sizeof(double));
    double *col = xmalloc((size_t)ndraws * sizeof(double));
    int covered[NFIXED_MAX] = {0}, failed = 0, divergent_reps = 0;
    long pooled = 0, pooled_n = 0;
    gsl_rng *g = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(g, 20240612);
    const int npop = rg->nfixed + rg->ntail;
    for (int rep = 0; rep < REC_REPS; rep++) {
        set_truth(rg, &l, rg->recovery_truth, g, truth);
        rg->simulate(l.n, l.machine, l.minute, truth, g, l.y);
        cr_chains_result res;
        if (fit(rg, &l, REC_WARMUP, REC_SAMPLES, 1000 + (uint64_t)rep, &res) != 0) {
            failed++;
            continue;
        }
        divergent_reps += divergences(&res) > 0;
        for (int j = 0; j < nout; j++) {
            for (int i = 0; i < ndraws; i++)
                col[i] = res.draws[(size_t)i * res.nout + j];
            qsort(col, (size_t)ndraws, sizeof(double), cmp_double);
            double lo = col[(int)(0.05 * ndraws)], hi = col[(int)(0.95 * ndraws) - 1];
            int in = lo <= truth[j] && truth[j] <= hi;
            for (int p = 0; p < npop; p++)
                covered[p] += in && j == pop_out(rg, &l, p);
            pooled += in;
            pooled_n++;
        }
        cr_chains_result_free(&res);
    }
    gsl_rng_free(g);
    layout_free(&l);
    free(truth);
    free(col);
    CHECKF(failed == 0, "%s: %d of %d fits could not start", rg->name, failed, REC_REPS);
    printf("     %s: %d replications, %d with divergences; 90%% intervals cover", rg->name,
           REC_REPS, divergent_reps);
    for (int j = 0; j < npop; j++)
        printf(" %s %d/%d,", rg->names[j], covered[j], REC_REPS);
    double rate = (double)pooled / (double)pooled_n;
    printf(" all outputs %.3f\n", rate);
    for (int j = 0; j < npop; j++)
        CHECKF(covered[j] >= 38, "%s: 90%% intervals of %s cover the truth %d times in %d",
               rg->name, rg->names[j], covered[j], REC_REPS);
    CHECKF(rate >= 0.85 && rate <= 0.95, "%s: pooled coverage %.3f", rg->name, rate);
}

static void test_sbc_pois(void)
{
    sbc(&rungs[0]);
}

static void test_sbc_nb_machine(void)
{
    sbc(&rungs[1]);
}

static void test_recovery_pois(void)
{
    recovery(&rungs[0]);
}

static void test_recovery_nb_machine(void)
{
    recovery(&rungs[1]);
}

static void test_sbc_nbh_burst(void)
{
    sbc(&rungs[2]);
}

static void test_recovery_nbh_burst(void)
{
    recovery(&rungs[2]);
}

static void test_sbc_nbh_burst_msd(void)
{
    sbc(&rungs[3]);
}

static void test_recovery_nbh_burst_msd(void)
{
    recovery(&rungs[3]);
}

TEST_MAIN(RUN_SLOW(test_sbc_pois); RUN_SLOW(test_sbc_nb_machine); RUN_SLOW(test_recovery_pois);
          RUN_SLOW(test_recovery_nb_machine); RUN_SLOW(test_sbc_nbh_burst);
          RUN_SLOW(test_recovery_nbh_burst); RUN_SLOW(test_sbc_nbh_burst_msd);
          RUN_SLOW(test_recovery_nbh_burst_msd))
