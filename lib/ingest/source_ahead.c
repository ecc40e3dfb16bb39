/* Read-ahead on a ring of packet batches: the reader thread fills a batch while the caller
 * drains an earlier one, and they meet only at batch boundaries (one lock per 2048 packets). */
#include "ingest/source_ahead.h"

#include <pthread.h>
#include <stdlib.h>

#include "common/xalloc.h"

#define BATCH 2048
#define NBATCH 4

typedef struct {
    cr_packet p[BATCH];
    int n;
} batch;

typedef struct {
    cr_source base;
    cr_source *inner;
    int threaded;
    pthread_t tid;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    batch buf[NBATCH];
    size_t filled, drained; /* batches handed over / given back; filled - drained <= NBATCH */
    int done, stop;         /* the reader has ended (end or error) / the caller closed early */
    int rc;                 /* the reader's last result: 0 or -1 */
    cr_err err;
    int have;               /* the caller is reading batch `drained` */
    int pos;
} ahead;

static void *reader(void *arg)
{
    ahead *a = arg;
    for (;;) {
        pthread_mutex_lock(&a->lock);
        while (a->filled - a->drained == NBATCH && !a->stop)
            pthread_cond_wait(&a->cond, &a->lock);
        int stop = a->stop;
        pthread_mutex_unlock(&a->lock);
        if (stop)
            return NULL;
        /* This batch is the caller's only once `filled` counts it. */
        batch *b = &a->buf[a->filled % NBATCH];
        int rc = 1;
        b->n = 0;
        while (b->n < BATCH && (rc = cr_source_next(a->inner, &b->p[b->n], &a->err)) == 1)
            b->n++;
        pthread_mutex_lock(&a->lock);
        a->filled++;
        if (rc != 1) {
            a->done = 1;
            a->rc = rc;
        }
        pthread_cond_broadcast(&a->cond);
        pthread_mutex_unlock(&a->lock);
        if (rc != 1)
            return NULL;
    }
}

/* The wrapped source has ended: its counts become ours. */
static int finish(ahead *a, int rc, cr_err *e)
{
    a->base.records = a->inner->records;
    a->base.ndrops = a->inner->ndrops;
    for (int i = 0; i < a->inner->ndrops; i++)
        a->base.drops[i] = a->inner->drops[i];
    if (rc < 0)
        *e = a->err;
    return rc;
}

static int ahead_next(cr_source *s, cr_packet *p, cr_err *e)
{
    ahead *a = (ahead *)s;
    if (!a->threaded) {
        int rc = cr_source_next(a->inner, p, &a->err);
        return rc == 1 ? 1 : finish(a, rc, e);
    }
    for (;;) {
        if (a->have) {
            const batch *b = &a->buf[a->drained % NBATCH];
            if (a->pos < b->n) {
                *p = b->p[a->pos++];
                return 1;
            }
            pthread_mutex_lock(&a->lock);
            a->drained++;
            a->have = 0;
            pthread_cond_broadcast(&a->cond);
            pthread_mutex_unlock(&a->lock);
        }
        pthread_mutex_lock(&a->lock);
        while (a->drained == a->filled && !a->done)
            pthread_cond_wait(&a->cond, &a->lock);
        int more = a->drained < a->filled, rc = a->rc;
        pthread_mutex_unlock(&a->lock);
        if (!more)
            return finish(a, rc, e);
        a->have = 1;
        a->pos = 0;
    }
}

static void ahead_close(cr_source *s)
{
    ahead *a = (ahead *)s;
    if (a->threaded) {
        pthread_mutex_lock(&a->lock);
        a->stop = 1;
        pthread_cond_broadcast(&a->cond);
        pthread_mutex_unlock(&a->lock);
        pthread_join(a->tid, NULL);
    }
    pthread_mutex_destroy(&a->lock);
    pthread_cond_destroy(&a->cond);
    cr_source_close(a->inner);
    free(a);
}

static const cr_source_ops ahead_ops = {ahead_next, ahead_close};

cr_source *cr_source_ahead(cr_source *inner)
{
    ahead *a = xcalloc(1, sizeof *a);
    cr_source_init(&a->base, &ahead_ops, inner->path, inner->kind);
    a->base.has_flags = inner->has_flags;
    a->inner = inner;
    pthread_mutex_init(&a->lock, NULL);
    pthread_cond_init(&a->cond, NULL);
    a->threaded = pthread_create(&a->tid, NULL, reader, a) == 0;
    return &a->base;
}
