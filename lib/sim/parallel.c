#include "sim/parallel.h"
#include "common/splitmix.h"

#include <pthread.h>
#include <stdio.h>

#include "common/pool.h"
#include "common/progress.h"
#include "common/xalloc.h"

/* Keeps simulation streams apart from the sampler's chain streams when both use one seed. */
#define SIM_STREAM_DOMAIN 0x73696d756c617465ULL

void cr_sim_seed_stream(gsl_rng *r, uint64_t seed, int draw)
{
    gsl_rng_set(r, (unsigned long)cr_splitmix64(cr_splitmix64(seed ^ SIM_STREAM_DOMAIN) +
                                             (uint64_t)draw));
}

typedef struct {
    int ndraws, done;
    uint64_t seed;
    const char *what;
    cr_sim_draw_job job;
    void *ctx;
    gsl_rng **rng; /* [worker] */
    int *failed;   /* [draw] */
    cr_err *errs;
    int stop;
    pthread_mutex_t lock;
} pool;

static void draw_job(void *arg, size_t dd, int worker)
{
    pool *P = arg;
    const int d = (int)dd;
    pthread_mutex_lock(&P->lock);
    int stop = P->stop;
    pthread_mutex_unlock(&P->lock);
    if (stop)
        return;
    cr_sim_seed_stream(P->rng[worker], P->seed, d);
    int failed = P->job(P->ctx, d, P->rng[worker], &P->errs[d]) < 0;
    pthread_mutex_lock(&P->lock);
    P->failed[d] = failed;
    P->stop |= failed;
    P->done++;
    cr_progress_step(P->what, P->done, P->ndraws);
    pthread_mutex_unlock(&P->lock);
}

int cr_sim_parallel(int ndraws, int threads, uint64_t seed, const char *what, cr_sim_draw_job job,
                    void *ctx, cr_err *e)
{
    const int T = cr_pool_threads(threads);
    pool P = {.ndraws = ndraws, .seed = seed, .what = what, .job = job, .ctx = ctx};
    P.rng = xmalloc((size_t)T * sizeof *P.rng);
    for (int t = 0; t < T; t++)
        P.rng[t] = gsl_rng_alloc(gsl_rng_mt19937);
    P.failed = xcalloc((size_t)ndraws + 1, sizeof *P.failed);
    P.errs = xcalloc((size_t)ndraws + 1, sizeof *P.errs);
    pthread_mutex_init(&P.lock, NULL);
    cr_pool_run(ndraws > 0 ? (size_t)ndraws : 0, T, draw_job, &P);
    cr_progress_done();
    int rc = 0;
    for (int d = 0; d < ndraws && rc == 0; d++)
        if (P.failed[d])
            rc = cr_fail(e, "draw %d: %s", d + 1, P.errs[d].msg);
    pthread_mutex_destroy(&P.lock);
    for (int t = 0; t < T; t++)
        gsl_rng_free(P.rng[t]);
    free(P.rng);
    free(P.failed);
    free(P.errs);
    return rc;
}
