/* What one machine did, second by second, in the terms of the sizing: new connections,
 * terminations and the sessions a firewall would hold (connection plus the profile's hold), the
 * last counted as lib/sim counts them, at the instant that ends each second. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"
#include "ingest/packet.h"
#include "sizing/sizing_internal.h"

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return a % b && (a < 0) != (b < 0) ? q - 1 : q;
}

void cr_observed_machine(const cr_sizing_data *d, int k, const cr_fw_profile *fw,
                         cr_observed *o)
{
    memset(o, 0, sizeof *o);
    const cr_cps_table *t = &d->cps;
    size_t r0 = 0;
    while (r0 < t->nrows && t->machine[r0] != k + 1)
        r0++;
    size_t r1 = r0;
    while (r1 < t->nrows && t->machine[r1] == k + 1)
        r1++;
    o->nsec = r1 - r0;
    o->new_per_s = xcalloc(o->nsec + 1, sizeof *o->new_per_s);
    o->ends = xcalloc(o->nsec + 1, sizeof *o->ends);
    o->alive = xcalloc(o->nsec + 1, sizeof *o->alive);
    for (size_t r = r0; r < r1; r++) {
        size_t s = (size_t)t->second[r] - 1;
        o->new_per_s[s] = t->count[CR_CPS_TCP_NEW][r] + t->count[CR_CPS_UDP_NEW][r];
        o->ends[s] = t->count[CR_CPS_TCP_END][r] + t->count[CR_CPS_UDP_END][r];
    }
    /* A session held from a to b (ms) counts at the end T of every second with a < T < b: a
     * difference array over those seconds. */
    double *diff = xcalloc(o->nsec + 2, sizeof *diff);
    const int64_t s0 = floor_div(d->m[k].first_ms, 1000);
    const cr_sz_flows *f = &d->flows;
    for (size_t i = 0; i < f->n; i++) {
        if (f->machine[i] != k)
            continue;
        const cr_flow *x = &f->fl[i];
        int64_t ms;
        int idle;
        /* A TCP connection still open at the capture end is held from its last packet, as one
         * that went idle, which is where the duration fit censors it (sizing_internal.h); one
         * still busy has its last packet near the end anyway. */
        int open = cr_sz_flow_duration(f, i, &ms, &idle);
        uint8_t reason = x->proto == CR_PROTO_UDP ? CR_REASON_UDP_LAST
                         : idle || open          ? CR_REASON_OPEN
                                                 : x->reason;
        double end = (double)x->start_ms + (double)ms +
                     1000 * cr_fw_hold(fw, x->proto, reason, x->dport, ms / 1000.0);
        /* first second whose end instant lies after the start, last one not after the end */
        int64_t first = floor_div(x->start_ms, 1000) - s0 + 1;
        int64_t last = (int64_t)floor(end / 1000) - s0;
        if (first < 1)
            first = 1;
        if (last > (int64_t)o->nsec)
            last = (int64_t)o->nsec;
        if (last < first)
            continue;
        diff[first - 1] += 1;
        diff[last] -= 1;
    }
    double run = 0;
    for (size_t s = 0; s < o->nsec; s++)
        o->alive[s] = run += diff[s];
    free(diff);
}

void cr_observed_free(cr_observed *o)
{
    free(o->new_per_s);
    free(o->ends);
    free(o->alive);
    memset(o, 0, sizeof *o);
}
