#include "flows/machine.h"

#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"
#include "ingest/tcp_completeness.h"

/* Unordered conversation key: the two endpoints in a canonical order, so both directions of a
 * 4-tuple find the same record. */
typedef struct {
    uint8_t fam;
    uint8_t pad;
    uint16_t port_lo, port_hi;
    uint8_t lo[16], hi[16];
} conv_key;

static void make_key(conv_key *k, const cr_packet *p)
{
    memset(k, 0, sizeof *k);
    k->fam = p->ipver;
    int c = memcmp(p->src.b, p->dst.b, 16);
    int src_first = c < 0 || (c == 0 && p->sport <= p->dport);
    const cr_addr *lo = src_first ? &p->src : &p->dst, *hi = src_first ? &p->dst : &p->src;
    k->port_lo = src_first ? p->sport : p->dport;
    k->port_hi = src_first ? p->dport : p->sport;
    memcpy(k->lo, lo->b, 16);
    memcpy(k->hi, hi->b, 16);
}

static int is_dir_a(const cr_endpoints *ep, const cr_packet *p)
{
    return cr_addr_equal(&ep->a, &p->src) && ep->pa == p->sport;
}

void cr_machine_init(cr_machine *m, const char *machine_id, int machine, const char *path)
{
    memset(m, 0, sizeof *m);
    m->machine_id = xstrdup(machine_id);
    m->machine = machine;
    m->path = xstrdup(path);
    m->first_ms = INT64_MAX;
    m->last_ms = INT64_MIN;
    cr_hmap_init(&m->tcp_by_key, sizeof(conv_key));
    cr_hmap_init(&m->tcp_by_stream, sizeof(int64_t));
    cr_hmap_init(&m->udp_by_key, sizeof(conv_key));
}

void cr_machine_free(cr_machine *m)
{
    free(m->machine_id);
    free(m->path);
    free(m->tcp);
    free(m->udp);
    free(m->zero);
    cr_hmap_free(&m->tcp_by_key);
    cr_hmap_free(&m->tcp_by_stream);
    cr_hmap_free(&m->udp_by_key);
    memset(m, 0, sizeof *m);
}

static void endpoints_from(cr_endpoints *ep, const cr_packet *p)
{
    ep->a = p->src;
    ep->b = p->dst;
    ep->pa = p->sport;
    ep->pb = p->dport;
}

static uint32_t new_tcp(cr_machine *m, const cr_packet *p, int64_t ms)
{
    xgrow(&m->tcp, &m->tcp_cap, m->ntcp + 1, sizeof *m->tcp);
    cr_tcp_conn *c = &m->tcp[m->ntcp];
    memset(c, 0, sizeof *c);
    endpoints_from(&c->ep, p);
    c->first_ms = c->last_ms = ms;
    c->prev_ms = ms;
    c->end_flags_ms = c->end_export_ms = CR_NA_I64;
    c->seed_end_ms[0] = c->seed_end_ms[1] = INT64_MAX;
    /* A stream first seen at its SYN-ACK was opened by the other side. */
    if (p->flags >= 0 && (p->flags & (CR_TH_SYN | CR_TH_ACK)) == (CR_TH_SYN | CR_TH_ACK))
        c->initiator = 1;
    return (uint32_t)m->ntcp++;
}

/* Which record a TCP packet belongs to. Captures and exports with tcp.stream name it; seed
 * exports do not, so a stream is the 4-tuple until a row restarts tcp_time_relative at 0 after it
 * had advanced (tshark's port-reuse split, which resets the relative time). */
static uint32_t tcp_conn_of(cr_machine *m, const cr_packet *p, int64_t ms)
{
    int created;
    if (p->stream >= 0) {
        uint32_t *slot = cr_hmap_put(&m->tcp_by_stream, &p->stream, &created);
        if (created) {
            uint32_t idx = new_tcp(m, p, ms);
            slot = cr_hmap_get(&m->tcp_by_stream, &p->stream);
            *slot = idx;
        }
        return *slot;
    }
    conv_key k;
    make_key(&k, p);
    uint32_t *slot = cr_hmap_put(&m->tcp_by_key, &k, &created);
    if (created || (p->rel_ns == 0 && m->tcp[*slot].rel_advanced)) {
        uint32_t idx = new_tcp(m, p, ms);
        slot = cr_hmap_get(&m->tcp_by_key, &k);
        *slot = idx;
    }
    return *slot;
}

static void add_tcp(cr_machine *m, const cr_packet *p, int64_t ms)
{
    uint32_t idx = tcp_conn_of(m, p, ms);
    cr_tcp_conn *c = &m->tcp[idx];
    int dir = !is_dir_a(&c->ep, p);
    c->packets++;
    if (ms < c->first_ms)
        c->first_ms = ms;
    if (ms > c->last_ms)
        c->last_ms = ms;
    if (p->rel_ns != CR_NA_I64 && p->rel_ns > 0)
        c->rel_advanced = 1;
    if (p->flags >= 0) {
        c->flags_known = 1;
        int fin = (p->flags & (CR_TH_FIN | CR_TH_ACK)) == (CR_TH_FIN | CR_TH_ACK);
        int rst = (p->flags & CR_TH_RST) != 0;
        if ((fin || rst) && c->end_flags_ms == CR_NA_I64) {
            c->end_flags_ms = ms;
            c->end_flags_reason = rst ? CR_END_RST : CR_END_FIN;
        }
    }
    int comp = p->completeness;
    if (comp >= 0) {
        /* Single-pass exports show a FIN or RST one packet late: the closing packet is the one
         * before the first row that shows bit 16 or 32. */
        if ((comp & (CR_COMP_FIN | CR_COMP_RST)) && c->end_export_ms == CR_NA_I64) {
            c->end_export_ms = c->packets > 1 ? c->prev_ms : ms;
            c->end_export_reason = (comp & CR_COMP_RST) ? CR_END_RST : CR_END_FIN;
        }
        if ((comp == 15 || comp == 31 || comp == 63) && ms < c->seed_end_ms[dir])
            c->seed_end_ms[dir] = ms;
        if (comp == 0) {
            xgrow(&m->zero, &m->zero_cap, m->nzero + 1, sizeof *m->zero);
            m->zero[m->nzero++] = (cr_zero_row){idx, (uint8_t)dir, ms};
        }
    }
    c->prev_ms = ms;
}

static void add_udp(cr_machine *m, const cr_packet *p, int64_t ms)
{
    conv_key k;
    make_key(&k, p);
    int created;
    uint32_t *slot = cr_hmap_put(&m->udp_by_key, &k, &created);
    if (created) {
        xgrow(&m->udp, &m->udp_cap, m->nudp + 1, sizeof *m->udp);
        cr_udp_conv *u = &m->udp[m->nudp];
        memset(u, 0, sizeof *u);
        endpoints_from(&u->ep, p);
        u->first_ms[0] = u->first_ms[1] = INT64_MAX;
        u->last_ms[0] = u->last_ms[1] = INT64_MIN;
        *slot = (uint32_t)m->nudp++;
    }
    cr_udp_conv *u = &m->udp[*slot];
    int dir = !is_dir_a(&u->ep, p);
    u->packets[dir]++;
    if (ms < u->first_ms[dir])
        u->first_ms[dir] = ms;
    if (ms > u->last_ms[dir])
        u->last_ms[dir] = ms;
}

int cr_machine_scope(const cr_machine *m, const cr_addr *dst)
{
    return cr_scope_classify(m->scope, dst);
}

int cr_machine_ingest(cr_machine *m, cr_source *s, cr_err *e)
{
    m->kind = s->kind;
    cr_packet p;
    int rc;
    while ((rc = cr_source_next(s, &p, e)) == 1) {
        int64_t ms = cr_packet_ms(&p);
        m->packets++;
        if (ms < m->first_ms) {
            m->first_ms = ms;
            m->first_id = p.id;
        }
        if (ms > m->last_ms) {
            m->last_ms = ms;
            m->last_id = p.id;
        }
        if (p.proto == CR_PROTO_TCP) {
            m->tcp_packets++;
            add_tcp(m, &p, ms);
        } else {
            m->udp_packets++;
            add_udp(m, &p, ms);
        }
    }
    m->records = s->records;
    m->ndrops = s->ndrops;
    for (int i = 0; i < s->ndrops; i++) {
        m->drops[i].why = s->drops[i].why;
        m->drops[i].n = s->drops[i].n;
    }
    if (rc < 0)
        return -1;
    if (m->packets == 0)
        return cr_fail(e, "%s: no TCP or UDP packets (empty capture)", m->path);
    return 0;
}
