#include "sim/parallel.h"
#include "common/splitmix.h"

#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

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
    int ndraws, next, done;
    uint64_t seed;
    const char *what;
    cr_sim_draw_job job;
    void *ctx;
    int *failed; /* [draw] */
    cr_err *errs;
    int stop;
    pthread_mutex_t lock;
} pool;

static void *worker(void *arg)
{
    pool *P = arg;
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    for (;;) {
        pthread_mutex_lock(&P->lock);
        int d = !P->stop && P->next < P->ndraws ? P->next++ : -1;
        pthread_mutex_unlock(&P->lock);
        if (d < 0)
            break;
        cr_sim_seed_stream(r, P->seed, d);
        int failed = P->job(P->ctx, d, r, &P->errs[d]) < 0;
        pthread_mutex_lock(&P->lock);
        P->failed[d] = failed;
        P->stop |= failed;
        P->done++;
        cr_progress(P->done == P->ndraws, "%s: %d/%d draws", P->what, P->done, P->ndraws);
        pthread_mutex_unlock(&P->lock);
    }
    gsl_rng_free(r);
    return NULL;
}

int cr_sim_parallel(int ndraws, int threads, uint64_t seed, const char *what, cr_sim_draw_job job,
                    void *ctx, cr_err *e)
{
    long T = threads > 0 ? threads : sysconf(_SC_NPROCESSORS_ONLN);
    if (T < 1)
        T = 1;
    if (T > ndraws)
        T = ndraws > 0 ? ndraws : 1;
    pool P = {.ndraws = ndraws, .seed = seed, .what = what, .job = job, .ctx = ctx};
    P.failed = xcalloc((size_t)ndraws + 1, sizeof *P.failed);
    P.errs = xcalloc((size_t)ndraws + 1, sizeof *P.errs);
    pthread_mutex_init(&P.lock, NULL);
    pthread_t *tid = xcalloc(T, sizeof *tid);
    long started = 0;
    while (started < T && pthread_create(&tid[started], NULL, worker, &P) == 0)
        started++;
    if (started == 0)
        worker(&P); /* no threads to be had: this one does all the work */
    for (long t = 0; t < started; t++)
        pthread_join(tid[t], NULL);
    cr_progress_done();
    int rc = 0;
    for (int d = 0; d < ndraws && rc == 0; d++)
        if (P.failed[d])
            rc = cr_fail(e, "draw %d: %s", d + 1, P.errs[d].msg);
    pthread_mutex_destroy(&P.lock);
    free(tid);
    free(P.failed);
    free(P.errs);
    return rc;
}
