/* The check values of a gzip stream (each member's CRC-32 and length mod 2^32), computed on a
 * thread of their own while the decoder inflates: zlib computes the CRC inline, which is a fifth
 * of the decoding time of a 150 MB image, and the reader's other core is idle until the image is
 * whole. The verdict comes at the end of each member, where zlib would give it, with zlib's
 * words. Without a thread the caller computes each member's CRC itself. */
#include "ingest/rds_internal.h"

#include <pthread.h>
#include <stdlib.h>
#include <zlib.h>

#include "common/xalloc.h"

#define CHUNK ((size_t)1 << 20)

struct rds_gzcheck {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    pthread_t tid;
    int threaded, stop, busy;
    const unsigned char *buf;
    size_t avail;        /* bytes decoded so far */
    size_t done;         /* bytes checksummed so far */
    size_t mstart;       /* where the current member's output began */
    size_t member_end;   /* where it ends, once the decoder has seen its trailer; else SIZE_MAX */
    uint32_t want_crc, want_len, crc;
    int checked;         /* the member at member_end has been judged */
    const char *verdict; /* NULL: it matched */
};

static const char *judge(const rds_gzcheck *g)
{
    if (g->crc != g->want_crc)
        return "incorrect data check";
    if ((uint32_t)(g->member_end - g->mstart) != g->want_len)
        return "incorrect length check";
    return NULL;
}

static void *checker(void *arg)
{
    rds_gzcheck *g = arg;
    pthread_mutex_lock(&g->lock);
    while (!g->stop) {
        size_t limit = g->avail < g->member_end ? g->avail : g->member_end;
        if (g->done < limit) {
            size_t from = g->done, to = limit - from > CHUNK ? from + CHUNK : limit;
            const unsigned char *b = g->buf;
            uint32_t crc = g->crc;
            g->busy = 1;
            pthread_mutex_unlock(&g->lock);
            crc = (uint32_t)crc32_z(crc, b + from, to - from);
            pthread_mutex_lock(&g->lock);
            g->crc = crc;
            g->done = to;
            g->busy = 0;
            pthread_cond_broadcast(&g->cond);
        } else if (g->member_end != SIZE_MAX && g->done == g->member_end && !g->checked) {
            g->verdict = judge(g);
            g->checked = 1;
            pthread_cond_broadcast(&g->cond);
        } else {
            pthread_cond_wait(&g->cond, &g->lock);
        }
    }
    pthread_mutex_unlock(&g->lock);
    return NULL;
}

rds_gzcheck *rds_gzcheck_start(const unsigned char *buf)
{
    rds_gzcheck *g = xcalloc(1, sizeof *g);
    pthread_mutex_init(&g->lock, NULL);
    pthread_cond_init(&g->cond, NULL);
    g->buf = buf;
    g->member_end = SIZE_MAX;
    g->crc = (uint32_t)crc32_z(0, NULL, 0);
    g->threaded = pthread_create(&g->tid, NULL, checker, g) == 0;
    return g;
}

void rds_gzcheck_progress(rds_gzcheck *g, size_t avail)
{
    if (!g->threaded)
        return;
    pthread_mutex_lock(&g->lock);
    g->avail = avail;
    pthread_cond_broadcast(&g->cond);
    pthread_mutex_unlock(&g->lock);
}

void rds_gzcheck_hold(rds_gzcheck *g)
{
    pthread_mutex_lock(&g->lock);
    while (g->busy)
        pthread_cond_wait(&g->cond, &g->lock);
}

void rds_gzcheck_release(rds_gzcheck *g, const unsigned char *buf)
{
    g->buf = buf;
    pthread_mutex_unlock(&g->lock);
}

const char *rds_gzcheck_member(rds_gzcheck *g, size_t end, const unsigned char *trailer)
{
    pthread_mutex_lock(&g->lock);
    g->want_crc = (uint32_t)trailer[0] | (uint32_t)trailer[1] << 8 |
                  (uint32_t)trailer[2] << 16 | (uint32_t)trailer[3] << 24;
    g->want_len = (uint32_t)trailer[4] | (uint32_t)trailer[5] << 8 |
                  (uint32_t)trailer[6] << 16 | (uint32_t)trailer[7] << 24;
    g->member_end = end;
    g->avail = end;
    if (g->threaded) {
        pthread_cond_broadcast(&g->cond);
        while (!g->checked)
            pthread_cond_wait(&g->cond, &g->lock);
    } else {
        g->crc = (uint32_t)crc32_z(g->crc, g->buf + g->done, end - g->done);
        g->done = end;
        g->verdict = judge(g);
    }
    const char *verdict = g->verdict;
    /* the next member starts here */
    g->crc = (uint32_t)crc32_z(0, NULL, 0);
    g->mstart = end;
    g->member_end = SIZE_MAX;
    g->checked = 0;
    pthread_mutex_unlock(&g->lock);
    return verdict;
}

void rds_gzcheck_end(rds_gzcheck *g)
{
    if (g->threaded) {
        pthread_mutex_lock(&g->lock);
        g->stop = 1;
        pthread_cond_broadcast(&g->cond);
        pthread_mutex_unlock(&g->lock);
        pthread_join(g->tid, NULL);
    }
    pthread_mutex_destroy(&g->lock);
    pthread_cond_destroy(&g->cond);
    free(g);
}
