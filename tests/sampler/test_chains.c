/* The chain runner: determinism across thread counts, initialisation, errors, progress and
 * the layout of its results. */
#include <pthread.h>
#include <stdlib.h>

#include "sampler_test.h"
#include "test.h"

static cr_chains_config small_config(void)
{
    cr_chains_config cfg;
    cr_chains_config_default(&cfg);
    cfg.warmup = 300;
    cfg.samples = 200;
    cfg.seed = 99;
    return cfg;
}

static int same_results(const cr_chains_result *a, const cr_chains_result *b)
{
    size_t S = (size_t)a->chains * a->samples, W = (size_t)a->chains * a->warmup;
    return a->chains == b->chains && a->samples == b->samples &&
           !memcmp(a->draws, b->draws, S * a->nout * sizeof *a->draws) &&
           !memcmp(a->stats, b->stats, S * sizeof *a->stats) &&
           !memcmp(a->warmup_stats, b->warmup_stats, W * sizeof *a->warmup_stats) &&
           !memcmp(a->stepsize, b->stepsize, a->chains * sizeof *a->stepsize) &&
           !memcmp(a->inv_metric, b->inv_metric, a->chains * a->dim * sizeof(double));
}

static void test_same_seed_any_threads(void)
{
    gauss *G = ar1_gauss(20, 0.7);
    cr_model m = gauss_model(G);
    cr_chains_config cfg = small_config();
    cr_chains_result r[3];
    int threads[3] = {1, 4, 0};
    cr_err e;
    for (int k = 0; k < 3; k++) {
        cfg.threads = threads[k];
        CHECK(cr_chains_run(&m, &cfg, &r[k], &e) == 0);
    }
    CHECK(same_results(&r[0], &r[1]));
    CHECK(same_results(&r[0], &r[2]));
    /* chains differ from each other, and another seed gives other draws */
    CHECK(memcmp(r[0].draws, r[0].draws + (size_t)cfg.samples * r[0].nout,
                 cfg.samples * r[0].nout * sizeof(double)) != 0);
    cr_chains_result_free(&r[1]);
    cfg.seed = 100;
    CHECK(cr_chains_run(&m, &cfg, &r[1], &e) == 0);
    CHECK(!same_results(&r[0], &r[1]));
    for (int k = 0; k < 3; k++)
        cr_chains_result_free(&r[k]);
    gauss_free(G);
}

/* Finite only for theta[0] > 1.5: most inits in (-2, 2) fail, as for a badly bounded
 * parameter, and the runner must retry. The draws must then respect the support. */
static double shifted_logp(const cr_model *m, const double *th, double *grad, void *scratch)
{
    if (!(th[0] > 1.5))
        return -INFINITY;
    double u = log(th[0] - 1.5);
    if (grad)
        grad[0] = -u / (th[0] - 1.5);
    return -0.5 * u * u;
}

static void test_init_retries(void)
{
    cr_model m = {.dim = 1, .logp = shifted_logp, .nout = 1, .name = x_name,
                  .constrain = identity_constrain};
    cr_chains_config cfg = small_config();
    cr_chains_result r;
    cr_err e;
    CHECK(cr_chains_run(&m, &cfg, &r, &e) == 0);
    for (int k = 0; k < r.chains * r.samples; k++)
        CHECK(r.draws[k] > 1.5);
    cr_chains_result_free(&r);
}

static double nowhere_logp(const cr_model *m, const double *th, double *grad, void *scratch)
{
    return NAN;
}

static double nan_grad_logp(const cr_model *m, const double *th, double *grad, void *scratch)
{
    if (grad)
        grad[0] = NAN;
    return 0;
}

static void test_init_failure(void)
{
    cr_model m = {.dim = 2, .logp = nowhere_logp};
    cr_chains_config cfg = small_config();
    cr_chains_result r;
    cr_err e = {{0}};
    CHECK(cr_chains_run(&m, &cfg, &r, &e) < 0);
    CHECKF(strstr(e.msg, "chain 1") && strstr(e.msg, "100 random inits in (-2, 2)"),
           "message: %s", e.msg);
    CHECK(r.draws == NULL && r.stats == NULL);
    /* a finite density with a non-finite gradient is rejected too */
    m.logp = nan_grad_logp;
    m.dim = 1;
    cfg.init_radius = 0;
    CHECK(cr_chains_run(&m, &cfg, &r, &e) < 0);
    CHECKF(strstr(e.msg, "1 random inits in (-0, 0)"), "message: %s", e.msg);
}

static double flat_logp(const cr_model *m, const double *th, double *grad, void *scratch)
{
    if (grad)
        grad[0] = grad[1] = 0;
    return 0;
}

static void test_improper_posterior_fails(void)
{
    /* flat: the step size search runs away */
    cr_model m = {.dim = 2, .logp = flat_logp};
    cr_chains_config cfg = small_config();
    cr_chains_result r;
    cr_err e = {{0}};
    CHECK(cr_chains_run(&m, &cfg, &r, &e) < 0);
    CHECKF(strstr(e.msg, "chain 1") && strstr(e.msg, "improper"), "message: %s", e.msg);
}

typedef struct {
    pthread_mutex_t lock;
    int calls[4], last_done[4], last_total[4], warmup_seen[4], sampling_seen[4], monotone;
} progress_log;

static void on_progress(void *ctx, int chain, int done, int total, int warmup)
{
    progress_log *L = ctx;
    pthread_mutex_lock(&L->lock);
    if (done <= L->last_done[chain])
        L->monotone = 0;
    L->calls[chain]++;
    L->last_done[chain] = done;
    L->last_total[chain] = total;
    L->warmup_seen[chain] |= warmup;
    L->sampling_seen[chain] |= !warmup;
    pthread_mutex_unlock(&L->lock);
}

static void test_progress_and_layout(void)
{
    gauss *G = ar1_gauss(3, 0.5);
    for (int i = 0; i < 3; i++)
        G->mu[i] = 0;
    cr_model m = gauss_model(G);
    m.constrain = NULL; /* outputs computed below from the kept unconstrained draws */
    cr_chains_config cfg = small_config();
    progress_log L = {.lock = PTHREAD_MUTEX_INITIALIZER, .monotone = 1};
    cfg.progress = on_progress;
    cfg.progress_ctx = &L;
    cfg.keep_unconstrained = 1;
    cr_chains_result r;
    cr_err e;
    CHECK(cr_chains_run(&m, &cfg, &r, &e) == 0);
    CHECK(L.monotone);
    for (int c = 0; c < 4; c++) {
        CHECK_INT(L.last_done[c], 500);
        CHECK_INT(L.last_total[c], 500);
        CHECK(L.calls[c] >= 100 && L.calls[c] <= 500);
        CHECK(L.warmup_seen[c] && L.sampling_seen[c]);
        CHECK(r.stepsize[c] > 0 && r.time_warmup[c] >= 0 && r.time_sampling[c] >= 0);
    }
    CHECK_INT(r.nout, 0);
    CHECK_INT(r.dim, 3);
    /* each stat is that of the draw stored next to it */
    for (int k = 0; k < r.chains * r.samples; k++) {
        double lp = gauss_logp(&m, r.unconstrained + (size_t)k * 3, NULL, (double[3]){0});
        CHECK_NEAR(r.stats[k].lp, lp, 1e-12);
        CHECK_NEAR(r.stats[k].stepsize, r.stepsize[k / r.samples], 0);
    }
    cr_chains_result_free(&r);
    gauss_free(G);
}

static void test_no_warmup(void)
{
    /* without warmup nothing adapts: the given step size and the unit metric are used */
    gauss *G = ar1_gauss(2, 0);
    cr_model m = gauss_model(G);
    cr_chains_config cfg = small_config();
    cfg.warmup = 0;
    cfg.stepsize = 0.25;
    cr_chains_result r;
    cr_err e;
    CHECK(cr_chains_run(&m, &cfg, &r, &e) == 0);
    CHECK_NEAR(r.stepsize[0], 0.25, 0);
    CHECK_NEAR(r.inv_metric[0], 1, 0);
    CHECK_NEAR(r.stats[0].stepsize, 0.25, 0);
    cr_chains_result_free(&r);
    gauss_free(G);
}

/* Running chains on keeps their draws, adds draws that are still from the target (moments of
 * the 20-d AR(1) Gaussian within Monte Carlo error), does not depend on the threads, and a
 * bad request leaves the result untouched. */
static void test_extend(void)
{
    gauss *G = ar1_gauss(20, 0.7);
    cr_model m = gauss_model(G);
    cr_chains_config cfg = small_config();
    cr_chains_result r[2];
    cr_err e;
    const int S = cfg.samples, more = 3 * cfg.samples;
    for (int k = 0; k < 2; k++) {
        cfg.threads = k ? 1 : 3;
        CHECK(cr_chains_run(&m, &cfg, &r[k], &e) == 0);
    }
    double *first = malloc((size_t)cfg.chains * S * r[0].nout * sizeof(double));
    memcpy(first, r[0].draws, (size_t)cfg.chains * S * r[0].nout * sizeof(double));
    CHECK(cr_chains_extend(&m, &cfg, 0, &r[0], &e) < 0);
    CHECK(r[0].samples == S);
    for (int k = 0; k < 2; k++) {
        cfg.threads = k ? 1 : 3;
        CHECK(cr_chains_extend(&m, &cfg, more, &r[k], &e) == 0);
    }
    CHECK(r[0].samples == S + more);
    CHECK(same_results(&r[0], &r[1]));
    for (int c = 0; c < cfg.chains; c++)
        CHECK(!memcmp(r[0].draws + (size_t)c * (S + more) * r[0].nout,
                      first + (size_t)c * S * r[0].nout, (size_t)S * r[0].nout * sizeof(double)));
    for (int j = 0; j < 20; j += 19) {
        moment_check mc = check_moments(&r[0], j, j / 10.0 - 2, 1);
        CHECK(fabs(mc.z_mean) < 4 && fabs(mc.z_var) < 4);
    }
    free(first);
    for (int k = 0; k < 2; k++)
        cr_chains_result_free(&r[k]);
    gauss_free(G);
}

/* A warm start: each chain starts where it is told (a point without finite density falls back
 * to random inits), keeps the given metric through a warmup that tunes only the step size,
 * samples the target (moments of the 20-d AR(1) Gaussian) and does not depend on the threads. */
static void test_warm_start(void)
{
    gauss *G = ar1_gauss(20, 0.7);
    cr_model m = gauss_model(G);
    cr_chains_config cfg = small_config();
    cr_chains_result cold, warm[2];
    cr_err e;
    CHECK(cr_chains_run(&m, &cfg, &cold, &e) == 0);
    cfg.init = cold.last;
    cfg.inv_metric = cold.inv_metric;
    cfg.stepsizes = cold.stepsize;
    cfg.warmup = 60;
    cfg.samples = 1000;
    cfg.seed = 7;
    for (int k = 0; k < 2; k++) {
        cfg.threads = k ? 1 : 3;
        CHECK(cr_chains_run(&m, &cfg, &warm[k], &e) == 0);
    }
    CHECK(same_results(&warm[0], &warm[1]));
    CHECK(!memcmp(warm[0].inv_metric, cold.inv_metric,
                  (size_t)cold.chains * cold.dim * sizeof(double)));
    for (int j = 0; j < 20; j += 19) {
        moment_check mc = check_moments(&warm[0], j, j / 10.0 - 2, 1);
        CHECK(fabs(mc.z_mean) < 4 && fabs(mc.z_var) < 4);
    }
    cr_chains_result_free(&warm[1]);
    /* the first warmup transition starts from the given point */
    double *far = malloc((size_t)cold.chains * cold.dim * sizeof(double));
    for (size_t i = 0; i < (size_t)cold.chains * cold.dim; i++)
        far[i] = 30;
    cfg.init = far;
    cfg.warmup = 1;
    cfg.samples = 1;
    CHECK(cr_chains_run(&m, &cfg, &warm[1], &e) == 0);
    CHECK(warm[1].warmup_stats[0].lp < warm[0].warmup_stats[0].lp - 1000);
    cr_chains_result_free(&warm[1]);
    free(far);
    /* no finite density at the given point: random inits, as cold */
    cr_model s = {.dim = 1, .logp = shifted_logp, .nout = 1, .name = x_name,
                  .constrain = identity_constrain};
    double zero[4] = {0, 0, 0, 0};
    cr_chains_config c1 = small_config();
    c1.init = zero;
    CHECK(cr_chains_run(&s, &c1, &warm[1], &e) == 0);
    CHECK(warm[1].draws[0] > 1.5);
    cr_chains_result_free(&warm[1]);
    cr_chains_result_free(&warm[0]);
    cr_chains_result_free(&cold);
    gauss_free(G);
}

TEST_MAIN(RUN(test_same_seed_any_threads); RUN(test_init_retries); RUN(test_init_failure);
          RUN(test_improper_posterior_fails); RUN(test_progress_and_layout);
          RUN(test_no_warmup); RUN(test_extend); RUN(test_warm_start))
