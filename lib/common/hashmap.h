/* Open-addressing hash map from fixed-size byte keys to uint32 values (typically indexes into an
 * array of records). Linear probing with stored hashes: flows and streams are looked up once per
 * packet, so this is on the hot path and must not allocate per lookup. */
#ifndef CR_HASHMAP_H
#define CR_HASHMAP_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    uint64_t *hashes; /* 0 marks an empty slot */
    uint8_t *keys;
    uint32_t *vals;
    size_t cap;       /* power of two */
    size_t n;
    size_t klen;
} cr_hmap;

void cr_hmap_init(cr_hmap *m, size_t klen);
void cr_hmap_free(cr_hmap *m);
/* Slot of key's value, inserting it (value 0, *created = 1) when absent. The pointer is valid
 * until the next insertion. */
uint32_t *cr_hmap_put(cr_hmap *m, const void *key, int *created);
/* Slot of key's value, or NULL. */
uint32_t *cr_hmap_get(const cr_hmap *m, const void *key);
uint64_t cr_hash_bytes(const void *key, size_t len);

#endif
