#include "sim/strata.h"

#include <gsl/gsl_cdf.h>

#include "common/splitmix.h"

/* Keeps the strata's keys apart from every stream derived from the same seed. */
#define STRATA_DOMAIN 0x7374726174614c48ULL
#define ROUNDS 3

/* A keyed bijection of 0..2^bits-1: rounds of an odd multiplier and an addend (mod 2^bits), each
 * followed by a right xorshift, all invertible. Its quality only decides how well the slots'
 * permutations are mixed with one another; the offset makes every marginal exact anyway. */
static uint64_t mix(uint64_t x, const uint64_t *k, int bits, uint64_t mask)
{
    const int shift = (bits + 1) / 2;
    for (int i = 0; i < ROUNDS; i++) {
        x = (x * (k[2 * i] | 1) + k[2 * i + 1]) & mask;
        x ^= x >> shift;
    }
    return x;
}

long cr_sim_stratum(const cr_sim_strata *st, long u)
{
    const uint64_t n = (uint64_t)st->ndraws;
    if (n <= 1)
        return 0;
    uint64_t s = cr_splitmix64(cr_splitmix64(st->key ^ STRATA_DOMAIN) + (uint64_t)u), k[2 * ROUNDS];
    for (int i = 0; i < 2 * ROUNDS; i++)
        k[i] = s = cr_splitmix64(s);
    /* c_u, exactly uniform on 0..n-1: 64-bit values rejected above the last whole multiple */
    const uint64_t limit = UINT64_MAX - UINT64_MAX % n;
    uint64_t c;
    do
        c = s = cr_splitmix64(s);
    while (c >= limit);
    int bits = 1;
    while ((1ULL << bits) < n)
        bits++;
    const uint64_t mask = (1ULL << bits) - 1;
    /* cycle walking: the bijection of 0..2^bits-1 restricted to 0..n-1 (n > 2^(bits-1), so
     * fewer than two steps on average) */
    uint64_t x = (uint64_t)st->draw;
    do
        x = mix(x, k, bits, mask);
    while (x >= n);
    return (long)((x + c % n) % n);
}

double cr_sim_strata_z(const cr_sim_strata *st, long u, gsl_rng *r)
{
    return gsl_cdf_ugaussian_Pinv(((double)cr_sim_stratum(st, u) + gsl_rng_uniform_pos(r)) /
                                  st->ndraws);
}
