/* Bump allocation for the parse tree and re-encoded strings: everything lives as long as the
 * frame and is freed at once. */
#include "ingest/rds_internal.h"

#include <stdlib.h>

#include "common/xalloc.h"

struct rds_block {
    rds_block *next;
    size_t used, cap;
    max_align_t mem[];
};

#define BLOCK_SIZE ((size_t)64 << 10)

void *rds_alloc(rds_arena *a, size_t n)
{
    n = (n + sizeof(max_align_t) - 1) / sizeof(max_align_t) * sizeof(max_align_t);
    rds_block *b = a->head;
    if (!b || b->cap - b->used < n) {
        size_t cap = n > BLOCK_SIZE / 2 ? n : BLOCK_SIZE;
        rds_block *nb = xmalloc(sizeof *nb + cap);
        nb->used = 0;
        nb->cap = cap;
        /* A large one-off block goes behind the current one so its free space stays usable. */
        if (b && cap != BLOCK_SIZE) {
            nb->next = b->next;
            b->next = nb;
        } else {
            nb->next = b;
            a->head = nb;
        }
        b = nb;
    }
    void *p = (char *)b->mem + b->used;
    b->used += n;
    memset(p, 0, n);
    return p;
}

void rds_arena_free(rds_arena *a)
{
    for (rds_block *b = a->head, *next; b; b = next) {
        next = b->next;
        free(b);
    }
    a->head = NULL;
}
