#include "common/sample.h"

#include <stdlib.h>

#include "common/hashmap.h"
#include "common/splitmix.h"
#include "common/xalloc.h"

uint64_t cr_sample_key(uint64_t seed, const void *name, size_t len)
{
    return cr_splitmix64(seed ^ cr_splitmix64(cr_hash_bytes(name, len)));
}

uint64_t cr_sample_subkey(uint64_t key, int64_t index)
{
    return cr_splitmix64(key ^ cr_splitmix64((uint64_t)index));
}

void cr_bottomk_init(cr_bottomk *b, size_t k)
{
    b->k = k;
    b->n = 0;
    b->key = xmalloc((k + 1) * sizeof *b->key);
    b->id = xmalloc((k + 1) * sizeof *b->id);
}

void cr_bottomk_free(cr_bottomk *b)
{
    free(b->key);
    free(b->id);
    b->key = NULL;
    b->id = NULL;
    b->n = b->k = 0;
}

static void swap(cr_bottomk *b, size_t i, size_t j)
{
    uint64_t k = b->key[i];
    uint32_t d = b->id[i];
    b->key[i] = b->key[j];
    b->id[i] = b->id[j];
    b->key[j] = k;
    b->id[j] = d;
}

int cr_bottomk_offer(cr_bottomk *b, uint64_t key, uint32_t id, uint32_t *evicted,
                     int *did_evict)
{
    *did_evict = 0;
    if (b->k == 0)
        return 0;
    if (b->n < b->k) {
        size_t i = b->n++;
        b->key[i] = key;
        b->id[i] = id;
        while (i > 0 && b->key[(i - 1) / 2] < b->key[i]) {
            swap(b, i, (i - 1) / 2);
            i = (i - 1) / 2;
        }
        return 1;
    }
    if (key >= b->key[0])
        return 0;
    *evicted = b->id[0];
    *did_evict = 1;
    b->key[0] = key;
    b->id[0] = id;
    for (size_t i = 0;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < b->n && b->key[l] > b->key[m])
            m = l;
        if (r < b->n && b->key[r] > b->key[m])
            m = r;
        if (m == i)
            break;
        swap(b, i, m);
        i = m;
    }
    return 1;
}

static int cmp_i64(const void *x, const void *y)
{
    int64_t a = *(const int64_t *)x, b = *(const int64_t *)y;
    return (a > b) - (a < b);
}

size_t cr_sample_indices(uint64_t key, int64_t from, int64_t to, size_t k, int64_t *out)
{
    cr_bottomk b;
    cr_bottomk_init(&b, k);
    for (int64_t i = from; i <= to; i++) {
        uint32_t ev;
        int did;
        cr_bottomk_offer(&b, cr_sample_subkey(key, i), (uint32_t)(i - from), &ev, &did);
    }
    size_t n = b.n;
    for (size_t j = 0; j < n; j++)
        out[j] = from + (int64_t)b.id[j];
    cr_bottomk_free(&b);
    qsort(out, n, sizeof *out, cmp_i64);
    return n;
}
