/* Simulation-based calibration (Talts et al. 2018) and parameter recovery for the AR(1) rungs of
 * the model ladder (nbh_ar1, hurdle_nbh_ar1), model and sampler together, in the sampling
 * coordinates connrate's fit would choose (cr_nbh_ar1_prefer_centred).
 *
 * SBC: every output drawn from the prior (minute effects as the AR(1) they are), data from the
 * model (3 machines x 5 minutes), short chains, and the rank of each true population parameter
 * among thinned posterior draws: uniform when log density, gradient and sampler are right
 * (chi-square test at a fixed seed).
 *
 * Recovery: data at fixed, plausible population parameters (8 machines x 5 minutes); the 90%
 * central posterior intervals of the population parameters, and of every output pooled, must
 * cover the truth at close to the nominal rate. */
#include "test.h"

#include <stdlib.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "common/xalloc.h"
#include "model/hurdle_nbh_ar1.h"
#include "model/nbh_ar1.h"
#include "sampler/chains.h"

enum { NF = CR_NBH_AR1_NFIXED, NPOP_MAX = NF + CR_HURDLE_NFIXED };

/* A CPS-like layout: machines x seconds, rows ordered by machine then second. */
typedef struct {
    size_t n;
    int nmachines, ncells;
    int *machine, *minute, *y;
} layout;

/* One model as the harness sees it. Population parameters are nbh_ar1's five outputs, then
 * (hurdle) mu_pi and sigma_pi after the cells. */
typedef struct {
    const char *name;
    int npop;
    int hurdle;
    void (*simulate)(size_t n, const int *machine, const int *minute, const double *v,
                     gsl_rng *r, int *y);
    void *(*build)(cr_model *m, const layout *l);
    void (*destroy)(void *data);
} spec;

static const char *const pop_names[] = {"alpha", "sigma_machine", "sigma_minute", "rho",
                                        "phi", "mu_pi", "sigma_pi"};

static int nout_of(const spec *s, const layout *l)
{
    return NF + l->nmachines + l->ncells + (s->hurdle ? CR_HURDLE_NFIXED + l->nmachines : 0);
}

/* Output index of population parameter j. */
static int pop_index(const layout *l, int j)
{
    return j < NF ? j : NF + l->nmachines + l->ncells + (j - NF);
}

static double half_normal(gsl_rng *g)
{
    return fabs(gsl_ran_gaussian(g, 1));
}

/* The population parameters from the prior into pop (npop values). */
static void prior_pop(const spec *s, gsl_rng *g, double *pop)
{
    pop[0] = gsl_ran_gaussian(g, 3);
    pop[1] = half_normal(g);
    pop[2] = half_normal(g);
    pop[3] = 2 * gsl_ran_beta(g, 2, 2) - 1;
    double isp = half_normal(g);
    pop[4] = 1 / (isp * isp);
    if (s->hurdle) {
        pop[5] = gsl_ran_gaussian(g, 2);
        pop[6] = half_normal(g);
    }
}

/* Every output: pop, z_machine ~ normal(0,1), each machine's z_minute a stationary AR(1),
 * z_pi ~ normal(0,1). */
static void draw_outputs(const spec *s, const layout *l, const double *pop, gsl_rng *g,
                         double *v)
{
    const int K = l->nmachines, M = l->ncells / K;
    for (int j = 0; j < s->npop; j++)
        v[pop_index(l, j)] = pop[j];
    for (int k = 0; k < K; k++)
        v[NF + k] = gsl_ran_gaussian(g, 1);
    double *z = v + NF + K, rho = pop[3];
    for (int k = 0; k < K; k++)
        for (int m = 0; m < M; m++) {
            double e = gsl_ran_gaussian(g, 1);
            z[k * M + m] = m == 0 ? e : rho * z[k * M + m - 1] + sqrt(1 - rho * rho) * e;
        }
    if (s->hurdle)
        for (int k = 0; k < K; k++)
            v[NF + K + l->ncells + CR_HURDLE_NFIXED + k] = gsl_ran_gaussian(g, 1);
}

static void *ar1_build(cr_model *m, const layout *l)
{
    cr_nbh_ar1_data *d = xmalloc(sizeof *d);
    cr_nbh_ar1_data_from_rows(d, l->n, l->machine, l->minute, l->y);
    d->centred = cr_nbh_ar1_prefer_centred(d);
    cr_nbh_ar1_model(m, d);
    return d;
}

static void ar1_destroy(void *d)
{
    cr_nbh_ar1_data_free(d);
    free(d);
}

static void *hurdle_build(cr_model *m, const layout *l)
{
    cr_hurdle_nbh_ar1_data *d = xmalloc(sizeof *d);
    cr_hurdle_nbh_ar1_data_from_rows(d, l->n, l->machine, l->minute, l->y);
    d->ar.centred = cr_nbh_ar1_prefer_centred(&d->ar);
    cr_hurdle_nbh_ar1_model(m, d);
    return d;
}

static void hurdle_destroy(void *d)
{
    cr_hurdle_nbh_ar1_data_free(d);
    free(d);
}

static const spec specs[] = {
    {"nbh_ar1", NF, 0, cr_nbh_ar1_simulate, ar1_build, ar1_destroy},
    {"hurdle_nbh_ar1", NPOP_MAX, 1, cr_hurdle_nbh_ar1_simulate, hurdle_build, hurdle_destroy},
};

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

static void no_progress(void *ctx, int chain, int done, int total, int warmup)
{
    (void)ctx, (void)chain, (void)done, (void)total, (void)warmup;
}

/* Fits data l->y with 2 chains on 2 threads; returns 0 and fills res, or -1. */
static int fit(const spec *s, const layout *l, int warmup, int samples, uint64_t seed,
               cr_chains_result *res)
{
    cr_model m;
    void *d = s->build(&m, l);
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
    s->destroy(d);
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

static void sbc(const spec *s)
{
    layout l;
    layout_init(&l, SBC_MACHINES, SBC_SECONDS);
    double *truth = xmalloc((size_t)nout_of(s, &l) * sizeof(double)), pop[NPOP_MAX];
    int count[NPOP_MAX][BINS];
    memset(count, 0, sizeof count);
    gsl_rng *g = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(g, 20240613);
    int failed = 0, divergent_reps = 0;
    for (int rep = 0; rep < SBC_REPS; rep++) {
        prior_pop(s, g, pop);
        draw_outputs(s, &l, pop, g, truth);
        s->simulate(l.n, l.machine, l.minute, truth, g, l.y);
        cr_chains_result res;
        if (fit(s, &l, SBC_WARMUP, SBC_SAMPLES, (uint64_t)rep + 1, &res) != 0) {
            failed++;
            continue;
        }
        divergent_reps += divergences(&res) > 0;
        for (int j = 0; j < s->npop; j++) {
            int rank = 0, at = pop_index(&l, j);
            for (int i = THIN - 1; i < 2 * SBC_SAMPLES; i += THIN)
                rank += res.draws[(size_t)i * res.nout + at] < pop[j];
            count[j][rank * BINS / NRANK]++;
        }
        cr_chains_result_free(&res);
    }
    gsl_rng_free(g);
    layout_free(&l);
    free(truth);
    CHECKF(failed <= SBC_REPS / 100, "%s: %d of %d fits could not start", s->name, failed,
           SBC_REPS);
    printf("     %s: %d replications, %d with divergences\n", s->name, SBC_REPS - failed,
           divergent_reps);

    int worst = 0;
    double worst_p = 1;
    for (int j = 0; j < s->npop; j++) {
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
        printf("     %-13s chi2 %6.2f p %.4f bins", pop_names[j], chi2, p);
        for (int b = 0; b < BINS; b++)
            printf(" %d", count[j][b]);
        printf("\n");
        if (p < worst_p)
            worst_p = p, worst = j;
    }
    CHECKF(worst_p > 0.001, "%s: ranks of %s not uniform (p = %.2g)", s->name,
           pop_names[worst], worst_p);
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
static void recovery(const spec *s)
{
    static const double truth_pop[NPOP_MAX] = {1.0, 0.5, 0.4, 0.6, 3.0, -0.5, 0.7};
    layout l;
    layout_init(&l, REC_MACHINES, REC_SECONDS);
    const int nout = nout_of(s, &l), ndraws = 2 * REC_SAMPLES;
    double *truth = xmalloc((size_t)nout * sizeof(double));
    double *col = xmalloc((size_t)ndraws * sizeof(double));
    int covered[NPOP_MAX] = {0}, failed = 0, divergent_reps = 0;
    long pooled = 0, pooled_n = 0;
    gsl_rng *g = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(g, 20240614);
    for (int rep = 0; rep < REC_REPS; rep++) {
        draw_outputs(s, &l, truth_pop, g, truth);
        s->simulate(l.n, l.machine, l.minute, truth, g, l.y);
        cr_chains_result res;
        if (fit(s, &l, REC_WARMUP, REC_SAMPLES, 1000 + (uint64_t)rep, &res) != 0) {
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
            for (int p = 0; p < s->npop; p++)
                covered[p] += in && j == pop_index(&l, p);
            pooled += in;
            pooled_n++;
        }
        cr_chains_result_free(&res);
    }
    gsl_rng_free(g);
    layout_free(&l);
    free(truth);
    free(col);
    CHECKF(failed == 0, "%s: %d of %d fits could not start", s->name, failed, REC_REPS);
    printf("     %s: %d replications, %d with divergences; 90%% intervals cover", s->name,
           REC_REPS, divergent_reps);
    for (int j = 0; j < s->npop; j++)
        printf(" %s %d/%d,", pop_names[j], covered[j], REC_REPS);
    double rate = (double)pooled / (double)pooled_n;
    printf(" all outputs %.3f\n", rate);
    for (int j = 0; j < s->npop; j++)
        CHECKF(covered[j] >= 38, "%s: 90%% intervals of %s cover the truth %d times in %d",
               s->name, pop_names[j], covered[j], REC_REPS);
    CHECKF(rate >= 0.85 && rate <= 0.95, "%s: pooled coverage %.3f", s->name, rate);
}

static void test_sbc_nbh_ar1(void)
{
    sbc(&specs[0]);
}

static void test_sbc_hurdle_nbh_ar1(void)
{
    sbc(&specs[1]);
}

static void test_recovery_nbh_ar1(void)
{
    recovery(&specs[0]);
}

static void test_recovery_hurdle_nbh_ar1(void)
{
    recovery(&specs[1]);
}

TEST_MAIN(RUN_SLOW(test_sbc_nbh_ar1); RUN_SLOW(test_sbc_hurdle_nbh_ar1);
          RUN_SLOW(test_recovery_nbh_ar1); RUN_SLOW(test_recovery_hurdle_nbh_ar1))
