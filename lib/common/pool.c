#include "common/pool.h"

#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

#include "common/xalloc.h"

typedef struct {
    size_t n, next;
    cr_pool_job job;
    void *ctx;
    pthread_mutex_t lock;
} queue;

typedef struct {
    queue *q;
    int worker;
} worker_arg;

static void *drain(void *arg)
{
    const worker_arg *w = arg;
    queue *q = w->q;
    for (;;) {
        pthread_mutex_lock(&q->lock);
        size_t i = q->next < q->n ? q->next++ : q->n;
        pthread_mutex_unlock(&q->lock);
        if (i == q->n)
            return NULL;
        q->job(q->ctx, i, w->worker);
    }
}

int cr_pool_threads(int requested)
{
    if (requested > 0)
        return requested;
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (int)n : 1;
}

void cr_pool_run(size_t n, int threads, cr_pool_job job, void *ctx)
{
    if (threads < 1)
        threads = 1;
    if ((size_t)threads > n)
        threads = n > 0 ? (int)n : 1;
    queue q = {n, 0, job, ctx, PTHREAD_MUTEX_INITIALIZER};
    worker_arg *w = xmalloc((size_t)threads * sizeof *w);
    pthread_t *tid = xmalloc((size_t)threads * sizeof *tid);
    int started = 0;
    for (int t = 0; t < threads; t++)
        w[t] = (worker_arg){&q, t};
    /* worker 0 is the calling thread */
    while (started + 1 < threads &&
           pthread_create(&tid[started], NULL, drain, &w[started + 1]) == 0)
        started++;
    drain(&w[0]);
    for (int t = 0; t < started; t++)
        pthread_join(tid[t], NULL);
    pthread_mutex_destroy(&q.lock);
    free(w);
    free(tid);
}
