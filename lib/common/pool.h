/* A job queue on a few threads: job(ctx, i, worker) runs once for every i in [0, n), indices
 * claimed in increasing order by whichever thread is free. worker (0..threads-1) tells a job
 * which per-thread scratch to use. Callers that write results by index get output that does not
 * depend on the number of threads or their scheduling. When a thread cannot be created, the
 * calling thread does its share.
 *
 *     static void square(void *ctx, size_t i, int worker) { double *x = ctx; x[i] *= x[i]; }
 *     cr_pool_run(n, cr_pool_threads(0), square, x);
 */
#ifndef CR_POOL_H
#define CR_POOL_H

#include <stddef.h>

typedef void (*cr_pool_job)(void *ctx, size_t i, int worker);

/* The threads a request means: itself when positive, else one per online CPU (at least 1). */
int cr_pool_threads(int requested);

/* Runs the n jobs on at most `threads` threads (fewer when n is smaller) and returns when all
 * are done. */
void cr_pool_run(size_t n, int threads, cr_pool_job job, void *ctx);

#endif
