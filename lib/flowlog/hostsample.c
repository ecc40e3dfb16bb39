/* The inside hosts kept when a log holds more than opts.max_hosts of them (flowlog.h): a
 * bottom-k sample by hash of the host (common/sample.h) over the hosts that may be inside,
 * taken while the records stream, so that only the sampled hosts' connections are ever held
 * for long. Until the population first exceeds the sample nothing is left out, so a log within
 * it is read exactly as without sampling. From then on a record is kept while one of its ends
 * is a host in the sample, and the connections held are compacted to the sample's each time
 * they have doubled: the sample only loses hosts, so what is dropped is never wanted again. */
#include "flowlog/flowlog_internal.h"

#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"

void cr_fl_hsample_init(cr_fl_hsample *s, const cr_flowlog_opts *o)
{
    memset(s, 0, sizeof *s);
    s->o = o;
    cr_hmap_init(&s->seen, sizeof(uint64_t));
    cr_bottomk_init(&s->b, o->max_hosts);
    s->compact_at = CR_FL_COMPACT_MIN;
}

void cr_fl_hsample_free(cr_fl_hsample *s)
{
    cr_hmap_free(&s->seen);
    cr_bottomk_free(&s->b);
    free(s->in);
    memset(s, 0, sizeof *s);
}

/* Whether the originator src may be an inside host, on what one record says: the networks
 * given, else Zeek's local_orig where the record has it, else a private address (the inside
 * rules of hosts.c that a single record can decide). */
static int candidate(const cr_flowlog_opts *o, const cr_addr *src, int8_t local_orig)
{
    if (o->nlocal_nets > 0)
        return cr_cidr_contains(o->local_nets, o->nlocal_nets, src);
    return local_orig == 1 || (local_orig == -1 && cr_fl_private_addr(src));
}

static uint64_t host_key(const cr_fl_hsample *s, const cr_addr *a, const char *machine_id)
{
    return machine_id ? cr_sample_key(s->o->seed, machine_id, strlen(machine_id))
                      : cr_sample_key(s->o->seed, a, sizeof *a);
}

/* The host's index among those seen, offered to the sample when new; -1 for no candidate. */
static long host(cr_fl_hsample *s, const cr_addr *a, int8_t local_orig, const char *machine_id,
                 int offer)
{
    if (!machine_id && !candidate(s->o, a, local_orig))
        return -1;
    uint64_t key = host_key(s, a, machine_id);
    if (!offer) {
        uint32_t *v = cr_hmap_get(&s->seen, &key);
        return v ? (long)*v : -1;
    }
    int created;
    uint32_t *v = cr_hmap_put(&s->seen, &key, &created);
    if (!created)
        return (long)*v;
    uint32_t i = (uint32_t)s->nseen++;
    *v = i;
    xgrow(&s->in, &s->in_cap, s->nseen, sizeof *s->in);
    uint32_t out;
    int evicted;
    s->in[i] = (uint8_t)cr_bottomk_offer(&s->b, key, i, &out, &evicted);
    if (evicted) {
        s->in[out] = 0;
        s->sampling = 1;
    }
    if (!s->in[i])
        s->sampling = 1;
    return (long)i;
}

static int in_sample(cr_fl_hsample *s, const cr_addr *a, int8_t local_orig,
                     const char *machine_id, int offer)
{
    long i = host(s, a, local_orig, machine_id, offer);
    return i >= 0 && s->in[i];
}

int cr_fl_hsample_keep(cr_fl_hsample *s, const cr_flowlog_rec *r)
{
    int src = in_sample(s, &r->f.src, r->local_orig, r->machine_id, 1);
    /* the answer of a one-way record may come from the inside host */
    int dst = r->kind != CR_FLOWLOG_WHOLE && in_sample(s, &r->f.dst, -1, NULL, 1);
    if (src || dst || !s->sampling)
        return 1;
    s->dropped++;
    return 0;
}

static int keep_conn(cr_fl_hsample *s, const cr_fl_conns *c, size_t i)
{
    const char *id = c->machine[i] >= 0 ? c->machine_ids[c->machine[i]] : NULL;
    return in_sample(s, &c->f[i].src, c->local_orig[i], id, 0);
}

void cr_fl_hsample_compact(cr_fl_hsample *s, cr_fl_conns *c, cr_fl_builder *b, int force)
{
    size_t held = c->n + (b ? b->npending : 0);
    if (held > s->held_peak)
        s->held_peak = held;
    if (!s->sampling || (!force && held < s->compact_at))
        return;
    size_t w = 0, i = 0;
    for (int k = 0; k <= c->nfiles; k++) { /* the files read, then the one being read */
        for (size_t end = k < c->nfiles ? c->file_end[k] : c->n; i < end; i++)
            if (keep_conn(s, c, i)) {
                c->f[w] = c->f[i];
                c->dur[w] = c->dur[i];
                c->local_orig[w] = c->local_orig[i];
                c->machine[w++] = c->machine[i];
            } else
                s->dropped++;
        if (k < c->nfiles)
            c->file_end[k] = w;
    }
    c->n = w;
    if (b) {
        size_t p = 0;
        for (size_t j = 0; j < b->npending; j++) {
            const cr_flowlog_rec *r = &b->pending[j];
            if (in_sample(s, &r->f.src, -1, NULL, 0) || in_sample(s, &r->f.dst, -1, NULL, 0))
                b->pending[p++] = *r;
            else
                s->dropped++;
        }
        b->npending = p;
    }
    held = c->n + (b ? b->npending : 0);
    s->compact_at = 2 * held > CR_FL_COMPACT_MIN ? 2 * held : CR_FL_COMPACT_MIN;
}

size_t cr_fl_hsample_population(const cr_fl_hsample *s) { return s->sampling ? s->nseen : 0; }
