#include "ingest/tcp_completeness.h"

#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"
#include "ingest/packet.h"

/* One tshark TCP conversation. The key is the unordered endpoint pair, stored with the smaller
 * (address, port) first; direction 0 is "from endpoint 0". A port-reuse SYN replaces the record
 * in place: tshark never looks at the old conversation again once a newer one has the key. */
typedef struct {
    uint8_t addr[2][16];
    uint16_t port[2];
    uint8_t family;
    uint8_t comp;
    uint8_t base_set;      /* bit d: base_seq[d] is known (TCP_S_BASE_SEQ_SET) */
    uint32_t base_seq[2];
    int64_t ts_first;
    int64_t stream;
} conv;

struct cr_tcp_state {
    conv *convs;
    size_t nconv, capconv;
    uint32_t *slots;       /* open addressing, linear probing: conv index + 1, 0 = empty */
    size_t nslots;         /* power of two */
    int64_t nstreams;
};

cr_tcp_state *cr_tcp_state_new(void)
{
    cr_tcp_state *t = xcalloc(1, sizeof *t);
    t->nslots = 1024;
    t->slots = xcalloc(t->nslots, sizeof *t->slots);
    return t;
}

void cr_tcp_state_free(cr_tcp_state *t)
{
    if (!t)
        return;
    free(t->convs);
    free(t->slots);
    free(t);
}

int64_t cr_tcp_state_streams(const cr_tcp_state *t)
{
    return t->nstreams;
}

static uint64_t load64(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
}

static uint64_t mix(uint64_t h)
{
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ULL;
    h ^= h >> 33;
    return h;
}

static uint64_t key_hash(const uint8_t a[2][16], const uint16_t port[2], uint8_t family)
{
    uint64_t h = (uint64_t)family << 32 | (uint64_t)port[0] << 16 | port[1];
    for (int i = 0; i < 2; i++) {
        h = mix(h ^ load64(a[i]));
        h = mix(h ^ load64(a[i] + 8));
    }
    return h;
}

static int key_equal(const conv *c, const uint8_t a[2][16], const uint16_t port[2],
                     uint8_t family)
{
    return c->family == family && c->port[0] == port[0] && c->port[1] == port[1] &&
           memcmp(c->addr, a, sizeof c->addr) == 0;
}

static void rehash(cr_tcp_state *t)
{
    size_t n = t->nslots * 2;
    uint32_t *slots = xcalloc(n, sizeof *slots);
    for (size_t i = 0; i < t->nconv; i++) {
        const conv *c = &t->convs[i];
        size_t j = key_hash(c->addr, c->port, c->family) & (n - 1);
        while (slots[j])
            j = (j + 1) & (n - 1);
        slots[j] = (uint32_t)(i + 1);
    }
    free(t->slots);
    t->slots = slots;
    t->nslots = n;
}

static void conv_start(cr_tcp_state *t, conv *c, int64_t ts_ns, uint8_t comp)
{
    c->comp = comp;
    c->base_set = 0;
    c->ts_first = ts_ns;
    c->stream = t->nstreams++;
}

/* Finds the conversation for the key, creating it when absent (*created = 1). */
static conv *lookup(cr_tcp_state *t, const uint8_t a[2][16], const uint16_t port[2],
                    uint8_t family, int *created)
{
    size_t mask = t->nslots - 1;
    size_t j = key_hash(a, port, family) & mask;
    for (; t->slots[j]; j = (j + 1) & mask) {
        conv *c = &t->convs[t->slots[j] - 1];
        if (key_equal(c, a, port, family)) {
            *created = 0;
            return c;
        }
    }
    *created = 1;
    xgrow(&t->convs, &t->capconv, t->nconv + 1, sizeof *t->convs);
    conv *c = &t->convs[t->nconv++];
    memcpy(c->addr, a, sizeof c->addr);
    c->port[0] = port[0];
    c->port[1] = port[1];
    c->family = family;
    t->slots[j] = (uint32_t)t->nconv;
    if (t->nconv * 2 > t->nslots) {
        rehash(t);
        c = &t->convs[t->nconv - 1];
    }
    return c;
}

/* §1 step 6, for every packet but the first of a brand-new conversation. */
static uint8_t contribution(unsigned f, int32_t len)
{
    uint8_t c = 0;
    if ((f & (CR_TH_SYN | CR_TH_ACK)) == (CR_TH_SYN | CR_TH_ACK))
        c |= CR_COMP_SYNACK;
    if ((f & (CR_TH_SYN | CR_TH_ACK)) == CR_TH_ACK)
        c |= len > 0 ? CR_COMP_DATA : CR_COMP_ACK;
    if ((f & (CR_TH_FIN | CR_TH_ACK)) == (CR_TH_FIN | CR_TH_ACK))
        c |= CR_COMP_FIN;
    if (f & CR_TH_RST)
        c |= CR_COMP_RST;
    return c;
}

void cr_tcp_state_feed(cr_tcp_state *t, const cr_decoded *d, int64_t ts_ns, cr_tcp_view *v)
{
    uint8_t a[2][16];
    uint16_t port[2];
    int cmp = memcmp(d->src.b, d->dst.b, 16);
    int dir = cmp > 0 || (cmp == 0 && d->sport > d->dport);
    memcpy(a[dir], d->src.b, 16);
    memcpy(a[!dir], d->dst.b, 16);
    port[dir] = d->sport;
    port[!dir] = d->dport;

    int is_new;
    conv *c = lookup(t, a, port, d->src.family, &is_new);
    if (is_new)
        conv_start(t, c, ts_ns, 0);

    unsigned f = d->flags;
    unsigned synack = f & (CR_TH_SYN | CR_TH_ACK);
    int known = c->base_set >> dir & 1;
    int reuse = synack == CR_TH_SYN && known && d->seq != c->base_seq[dir];
    if (reuse)
        conv_start(t, c, ts_ns, CR_COMP_SYN);  /* port reuse: a new stream, SYN preset */
    else if (synack == (CR_TH_SYN | CR_TH_ACK) && known && d->seq != c->base_seq[dir])
        c->base_seq[dir] = d->seq;

    v->stream = c->stream;
    v->completeness = c->comp;
    v->rel_ns = ts_ns - c->ts_first;
    v->new_stream = is_new || reuse;

    /* Sequence analysis (which records base_seq) skips quoted headers and short segments. */
    if (!d->icmp_quoted && d->payload_len >= 0) {
        if (!(c->base_set >> dir & 1)) {
            c->base_seq[dir] = (f & CR_TH_SYN) ? d->seq : d->seq - 1;
            c->base_set |= (uint8_t)(1 << dir);
        }
        if ((f & CR_TH_ACK) && !(c->base_set >> !dir & 1)) {
            c->base_seq[!dir] = d->ack - 1;
            c->base_set |= (uint8_t)(1 << !dir);
        }
    }

    if (d->tcp_hlen < 20)
        return;   /* bogus header length: tshark gives up before counting the packet */
    int32_t len = d->icmp_quoted || d->payload_len < 0 ? 0 : d->payload_len;
    if (is_new)
        c->comp = synack == CR_TH_SYN ? (uint8_t)(CR_COMP_SYN | (len > 0 ? CR_COMP_DATA : 0)) : 0;
    else
        c->comp |= contribution(f, len);
}
