#include "common/hashmap.h"

#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"

/* 64-bit multiply-xorshift over 8-byte words: keys are short (at most a few dozen bytes) and
 * fixed-size, so a simple word loop beats a general-purpose hash here. */
uint64_t cr_hash_bytes(const void *key, size_t len)
{
    const uint8_t *p = key;
    uint64_t h = 0x9e3779b97f4a7c15ull ^ len;
    while (len >= 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        h = (h ^ w) * 0xff51afd7ed558ccdull;
        h ^= h >> 32;
        p += 8;
        len -= 8;
    }
    uint64_t w = 0;
    memcpy(&w, p, len);
    h = (h ^ w) * 0xc4ceb9fe1a85ec53ull;
    h ^= h >> 29;
    h *= 0x94d049bb133111ebull;
    h ^= h >> 32;
    return h | 1;
}

void cr_hmap_init(cr_hmap *m, size_t klen)
{
    memset(m, 0, sizeof *m);
    m->klen = klen;
}

void cr_hmap_free(cr_hmap *m)
{
    free(m->hashes);
    free(m->keys);
    free(m->vals);
    memset(m, 0, sizeof *m);
}

static size_t find(const cr_hmap *m, const void *key, uint64_t h)
{
    size_t mask = m->cap - 1, i = h & mask;
    while (m->hashes[i]) {
        if (m->hashes[i] == h && !memcmp(m->keys + i * m->klen, key, m->klen))
            return i;
        i = (i + 1) & mask;
    }
    return i;
}

static void grow(cr_hmap *m)
{
    cr_hmap old = *m;
    m->cap = old.cap ? old.cap * 2 : 1024;
    m->hashes = xcalloc(m->cap, sizeof *m->hashes);
    m->keys = xmalloc(m->cap * m->klen);
    m->vals = xmalloc(m->cap * sizeof *m->vals);
    for (size_t i = 0; i < old.cap; i++) {
        if (!old.hashes[i])
            continue;
        size_t j = old.hashes[i] & (m->cap - 1);
        while (m->hashes[j])
            j = (j + 1) & (m->cap - 1);
        m->hashes[j] = old.hashes[i];
        memcpy(m->keys + j * m->klen, old.keys + i * m->klen, m->klen);
        m->vals[j] = old.vals[i];
    }
    free(old.hashes);
    free(old.keys);
    free(old.vals);
}

uint32_t *cr_hmap_put(cr_hmap *m, const void *key, int *created)
{
    if ((m->n + 1) * 4 > m->cap * 3)
        grow(m);
    uint64_t h = cr_hash_bytes(key, m->klen);
    size_t i = find(m, key, h);
    *created = !m->hashes[i];
    if (*created) {
        m->hashes[i] = h;
        memcpy(m->keys + i * m->klen, key, m->klen);
        m->vals[i] = 0;
        m->n++;
    }
    return &m->vals[i];
}

uint32_t *cr_hmap_get(const cr_hmap *m, const void *key)
{
    if (!m->cap)
        return NULL;
    size_t i = find(m, key, cr_hash_bytes(key, m->klen));
    return m->hashes[i] ? &m->vals[i] : NULL;
}
