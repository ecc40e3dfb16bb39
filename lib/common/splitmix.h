/* SplitMix64 (Steele, Lea & Flood 2014): the mixer that turns (seed, chain/draw/replicate) into
 * independent RNG seeds, so every random stream depends on the user's --seed and its own index,
 * never on thread scheduling. */
#ifndef CR_SPLITMIX_H
#define CR_SPLITMIX_H

#include <stdint.h>

static inline uint64_t cr_splitmix64(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

#endif
