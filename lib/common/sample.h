/* Uniform random samples chosen by hash (docs/scale.md, "Flow-log scale"): an item is in the
 * sample of size k when its key is among the k smallest keys of the population ("bottom-k"),
 * and its key is a hash of the seed and of the item's name. So the sample is a function of the
 * seed and of the population alone: it needs no first pass over the data, does not depend on
 * the order the items arrive in, and is the same for an item in every run that sees it. Keys of
 * distinct names behave as independent uniform draws, so every k-subset of the population is
 * equally likely. A stream keeps its bottom-k of the items seen so far: an item of the final
 * sample was below the running threshold whenever it was seen, since the threshold only falls. */
#ifndef CR_SAMPLE_H
#define CR_SAMPLE_H

#include <stddef.h>
#include <stdint.h>

/* The key of an item named by len bytes under seed. */
uint64_t cr_sample_key(uint64_t seed, const void *name, size_t len);
/* The key of the index-th part of an item of key `key` (the minutes of a host). */
uint64_t cr_sample_subkey(uint64_t key, int64_t index);

/* The items with the k smallest keys of those offered; distinct items must have distinct keys
 * (equal keys are one item). */
typedef struct {
    size_t k, n;
    uint64_t *key;  /* a max-heap of the n <= k kept keys */
    uint32_t *id;   /* the caller's id of each kept item */
} cr_bottomk;

void cr_bottomk_init(cr_bottomk *b, size_t k);
void cr_bottomk_free(cr_bottomk *b);
/* Offers a new item. Returns 1 when it enters the sample, 0 when not; when its entry pushes
 * another item out, that item's id goes to *evicted and *did_evict is set. */
int cr_bottomk_offer(cr_bottomk *b, uint64_t key, uint32_t id, uint32_t *evicted,
                     int *did_evict);

/* The k indices of [from, to] whose cr_sample_subkey(key, index) are the smallest, ascending,
 * into out[] (all of them when k > to - from); returns how many. */
size_t cr_sample_indices(uint64_t key, int64_t from, int64_t to, size_t k, int64_t *out);

#endif
