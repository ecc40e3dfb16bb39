/* The generative process of synth.h: user rates, minute multipliers, page-load bursts and the
 * packet script of every connection. Packets past the capture window are never emitted, so what
 * the truth measures is exactly what the capture holds. */
#include "synth/synth.h"

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"
#include "ingest/packet.h"

#define EPOCH_S 1700000000LL /* captures start on 2023-11-14 or the following day */
#define EPHEMERAL_LO 49152
#define EPHEMERAL_N 16384

enum { NSERV4 = 400, NSERV6 = 200, NPEERS = 16, MAX_HOSTS = 16, MAX_EXCHANGES = 128 };

typedef struct {
    gsl_rng *r;
    cr_synth_machine *m;
    size_t cap_conn, cap_pkt;
    int64_t t0, t1;                /* capture window [t0, t1), µs */
    cr_addr serv4[NSERV4], serv6[NSERV6], dns4, dns6, peers[NPEERS];
    unsigned tcp_out[2], tcp_in[2]; /* TCP connections made so far, by family (0 = IPv4) */
    uint64_t *used;                /* open-addressing set of 4-tuple hashes; 0 = empty slot */
    size_t used_cap, used_n;
    unsigned next_port;
} gen;

/* One connection's packets being written in order; side 0 is the workstation, 1 the remote. */
typedef struct {
    gen *g;
    uint32_t conn;
    int64_t t;
    uint32_t nxt[2];
} script;

static uint64_t mix64(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

static int64_t us(double seconds)
{
    if (seconds > 1e7)
        seconds = 1e7;
    return (int64_t)llround(seconds * 1e6);
}

static double clampd(double x, double lo, double hi) { return x < lo ? lo : x > hi ? hi : x; }

static unsigned uniform_int(gsl_rng *r, unsigned n) { return (unsigned)gsl_rng_uniform_int(r, n); }

/* A false positive (two tuples with one hash) only skips a port, so uniqueness still holds. */
static int tuple_claim(gen *g, uint8_t proto, const cr_addr *ra, uint16_t rport, uint16_t lport)
{
    uint64_t h = mix64(proto);
    for (int i = 0; i < 16; i++)
        h = mix64(h ^ ra->b[i]);
    h = mix64(h ^ ((uint64_t)ra->family << 32 | (uint64_t)rport << 16 | lport));
    if (!h)
        h = 1;
    if (2 * (g->used_n + 1) > g->used_cap) {
        size_t ncap = g->used_cap ? 2 * g->used_cap : 4096;
        uint64_t *n = xcalloc(ncap, sizeof *n);
        for (size_t i = 0; i < g->used_cap; i++) {
            if (!g->used[i])
                continue;
            size_t j = g->used[i] & (ncap - 1);
            while (n[j])
                j = (j + 1) & (ncap - 1);
            n[j] = g->used[i];
        }
        free(g->used);
        g->used = n;
        g->used_cap = ncap;
    }
    size_t j = h & (g->used_cap - 1);
    while (g->used[j]) {
        if (g->used[j] == h)
            return 0;
        j = (j + 1) & (g->used_cap - 1);
    }
    g->used[j] = h;
    g->used_n++;
    return 1;
}

/* Ports are handed out sequentially (as Windows does), skipping any that would repeat a
 * 4-tuple; UINT32_MAX when every ephemeral port to that remote endpoint is taken. */
static uint32_t conn_new(gen *g, uint8_t proto, const cr_addr *ra, uint16_t rport, int inbound,
                         uint16_t lport)
{
    if (inbound) {
        for (int tries = 0;; tries++) {
            if (tries == EPHEMERAL_N)
                return UINT32_MAX;
            rport = (uint16_t)(1024 + uniform_int(g->r, 65536 - 1024));
            if (tuple_claim(g, proto, ra, rport, lport))
                break;
        }
    } else {
        for (int tries = 0;; tries++) {
            if (tries == EPHEMERAL_N)
                return UINT32_MAX;
            lport = (uint16_t)(EPHEMERAL_LO + g->next_port);
            g->next_port = (g->next_port + 1) % EPHEMERAL_N;
            if (tuple_claim(g, proto, ra, rport, lport))
                break;
        }
    }
    cr_synth_machine *m = g->m;
    xgrow(&m->conns, &g->cap_conn, m->nconn + 1, sizeof *m->conns);
    cr_synth_conn *c = &m->conns[m->nconn];
    memset(c, 0, sizeof *c);
    c->remote = *ra;
    c->proto = proto;
    c->inbound = (uint8_t)inbound;
    c->lport = lport;
    c->rport = rport;
    c->first_us = c->end_us = c->last_us = -1;
    return (uint32_t)m->nconn++;
}

static void script_start(script *s, gen *g, uint32_t conn, int64_t t)
{
    s->g = g;
    s->conn = conn;
    s->t = t - 1;
    s->nxt[0] = (uint32_t)gsl_rng_get(g->r);
    s->nxt[1] = (uint32_t)gsl_rng_get(g->r);
}

/* Sends one packet `delay` seconds (at least 1 µs) after the previous one of the connection. */
static void tx(script *s, double delay, int side, uint8_t flags, uint16_t len)
{
    int64_t d = us(delay);
    s->t += d < 1 ? 1 : d;
    if (s->t >= s->g->t1)
        return;
    cr_synth_machine *m = s->g->m;
    xgrow(&m->pkts, &s->g->cap_pkt, m->npkt + 1, sizeof *m->pkts);
    cr_synth_pkt *p = &m->pkts[m->npkt++];
    p->ts_us = s->t;
    p->conn = s->conn;
    p->seq = s->nxt[side];
    p->ack = (flags & CR_TH_ACK) ? s->nxt[!side] : 0;
    p->len = len;
    p->flags = flags;
    p->out = side == 0;
    s->nxt[side] += len + !!(flags & CR_TH_SYN) + !!(flags & CR_TH_FIN);
}

static void wait_until(script *s, int64_t t)
{
    if (t - 1 > s->t)
        s->t = t - 1;
}

static double gap(gsl_rng *r) { return gsl_ran_flat(r, 20e-6, 300e-6); }

static double rtt_draw(gsl_rng *r)
{
    return clampd(gsl_ran_lognormal(r, log(0.025), 0.7), 5e-4, 2.0);
}

/* Heavy-tailed connection lifetime: mostly short page fetches, some keep-alive sessions, a few
 * long-lived ones (push channels, mail, chat). */
static double duration_draw(gsl_rng *r)
{
    double u = gsl_rng_uniform(r);
    if (u < 0.75)
        return gsl_ran_lognormal(r, log(1.0), 1.0);
    if (u < 0.95)
        return gsl_ran_lognormal(r, log(20.0), 1.2);
    return gsl_ran_lognormal(r, log(300.0), 1.0);
}

/* k sorted times: the first at `from`, the others uniform in (from, to). */
static unsigned schedule(gsl_rng *r, int64_t from, int64_t to, unsigned k, int64_t *at)
{
    if (k > MAX_EXCHANGES)
        k = MAX_EXCHANGES;
    at[0] = from;
    for (unsigned i = 1; i < k; i++)
        at[i] = from + (int64_t)(gsl_rng_uniform(r) * (double)(to - from));
    for (unsigned i = 2; i < k; i++)
        for (unsigned j = i; j > 1 && at[j - 1] > at[j]; j--) {
            int64_t x = at[j];
            at[j] = at[j - 1];
            at[j - 1] = x;
        }
    return k;
}

static void tcp_exchange(script *s, int cl, double rtt)
{
    gsl_rng *r = s->g->r;
    int sv = !cl;
    tx(s, 0, cl, CR_TH_PSH | CR_TH_ACK, (uint16_t)(100 + uniform_int(r, 1300)));
    unsigned nseg = gsl_ran_geometric(r, 0.3);
    if (nseg > 40)
        nseg = 40;
    for (unsigned j = 0; j < nseg; j++) {
        int last = j + 1 == nseg;
        tx(s, j ? gap(r) : rtt, sv, CR_TH_ACK | (last ? CR_TH_PSH : 0),
           last ? (uint16_t)(1 + uniform_int(r, 1460)) : 1460);
        if (j % 2 == 1 || last)
            tx(s, gap(r), cl, CR_TH_ACK, 0);
    }
}

static void tcp_fin(script *s, int a, double rtt)
{
    gsl_rng *r = s->g->r;
    tx(s, 0, a, CR_TH_FIN | CR_TH_ACK, 0);
    tx(s, rtt * gsl_ran_flat(r, 0.5, 1.0), !a, CR_TH_FIN | CR_TH_ACK, 0);
    tx(s, rtt * gsl_ran_flat(r, 0.5, 1.0), a, CR_TH_ACK, 0);
}

static void tcp_conn(gen *g, int64_t t, const cr_addr *ra, uint16_t port, int inbound)
{
    if (t >= g->t1)
        return;
    gsl_rng *r = g->r;
    uint32_t c = conn_new(g, CR_PROTO_TCP, ra, inbound ? 0 : port, inbound, inbound ? port : 0);
    if (c == UINT32_MAX)
        return;
    (inbound ? g->tcp_in : g->tcp_out)[ra->family == 6]++;
    script s;
    script_start(&s, g, c, t);
    int cl = inbound ? 1 : 0, sv = !cl;
    double rtt = rtt_draw(r);
    tx(&s, 0, cl, CR_TH_SYN, 0);
    if (gsl_rng_uniform(r) < (inbound ? 0.2 : 0.02)) {
        s.nxt[sv] = 0; /* a refusing stack answers with seq 0, ack = ISN + 1 */
        tx(&s, rtt, sv, CR_TH_RST | CR_TH_ACK, 0);
        return;
    }
    tx(&s, rtt, sv, CR_TH_SYN | CR_TH_ACK, 0);
    tx(&s, gap(r), cl, CR_TH_ACK, 0);
    double d = duration_draw(r);
    int64_t at[MAX_EXCHANGES];
    unsigned k = schedule(r, s.t + 1, s.t + us(d), 1 + gsl_ran_poisson(r, fmin(d / 8.0, 60.0)), at);
    for (unsigned i = 0; i < k; i++) {
        wait_until(&s, at[i]);
        tcp_exchange(&s, cl, rtt);
    }
    wait_until(&s, at[0] + us(d));
    double u = gsl_rng_uniform(r);
    if (u < 0.50)
        tcp_fin(&s, cl, rtt);
    else if (u < 0.75)
        tcp_fin(&s, sv, rtt);
    else if (u < 0.83)
        tx(&s, 0, cl, CR_TH_RST | CR_TH_ACK, 0);
    else if (u < 0.90)
        tx(&s, 0, sv, CR_TH_RST, 0);
}

static void dns_query(gen *g, int64_t t, int v6)
{
    if (t >= g->t1)
        return;
    gsl_rng *r = g->r;
    uint32_t c = conn_new(g, CR_PROTO_UDP, v6 ? &g->dns6 : &g->dns4, 53, 0, 0);
    if (c == UINT32_MAX)
        return;
    script s;
    script_start(&s, g, c, t);
    uint16_t qlen = (uint16_t)(28 + uniform_int(r, 40));
    tx(&s, 0, 0, 0, qlen);
    if (gsl_rng_uniform(r) < 0.97)
        tx(&s, clampd(gsl_ran_lognormal(r, log(0.012), 0.6), 2e-4, 1.0), 1, 0,
           (uint16_t)(qlen + 16 + uniform_int(r, 200)));
}

static void quic_flow(gen *g, int64_t t, const cr_addr *ra)
{
    if (t >= g->t1)
        return;
    gsl_rng *r = g->r;
    uint32_t c = conn_new(g, CR_PROTO_UDP, ra, 443, 0, 0);
    if (c == UINT32_MAX)
        return;
    script s;
    script_start(&s, g, c, t);
    double rtt = rtt_draw(r);
    tx(&s, 0, 0, 0, (uint16_t)(1250 + uniform_int(r, 100)));
    for (unsigned i = 0, n = 1 + uniform_int(r, 3); i < n; i++)
        tx(&s, i ? gap(r) : rtt, 1, 0, (uint16_t)(1200 + uniform_int(r, 52)));
    tx(&s, gap(r), 0, 0, (uint16_t)(40 + uniform_int(r, 40)));
    double d = clampd(gsl_ran_lognormal(r, log(8.0), 1.2), 0.01, 3600.0);
    int64_t at[MAX_EXCHANGES];
    unsigned k = schedule(r, s.t + 1, s.t + us(d), gsl_ran_poisson(r, fmin(d / 2.0, 100.0)), at);
    for (unsigned i = 0; i < k; i++) {
        wait_until(&s, at[i]);
        tx(&s, 0, 0, 0, (uint16_t)(40 + uniform_int(r, 360)));
        unsigned n = gsl_ran_geometric(r, 0.4);
        for (unsigned j = 0; j < n && j < 20; j++)
            tx(&s, j ? gap(r) : rtt, 1, 0, (uint16_t)(1200 + uniform_int(r, 150)));
        tx(&s, gap(r), 0, 0, (uint16_t)(40 + uniform_int(r, 20)));
    }
}

/* Popularity is skewed: a few servers (CDNs, the mail and chat hosts) get most connections. */
static const cr_addr *pick_server(gen *g, int v6)
{
    double u = pow(gsl_rng_uniform(g->r), 2.5);
    return v6 ? &g->serv6[(size_t)(u * NSERV6)] : &g->serv4[(size_t)(u * NSERV4)];
}

static void page_load(gen *g, int64_t t, double p6)
{
    gsl_rng *r = g->r;
    int v6 = gsl_rng_uniform(r) < p6;
    dns_query(g, t, v6);
    const cr_addr *hosts[MAX_HOSTS];
    unsigned nh = 1 + gsl_ran_poisson(r, 2.0);
    if (nh > MAX_HOSTS)
        nh = MAX_HOSTS;
    for (unsigned i = 0; i < nh; i++)
        hosts[i] = pick_server(g, v6);
    unsigned n = 1 + gsl_ran_negative_binomial(r, 2.0 / 14.0, 2.0); /* mean 13 */
    if (n > 200)
        n = 200;
    for (unsigned i = 0; i < n; i++) {
        int64_t at = t + us(0.02 + fmin(gsl_ran_exponential(r, 0.2), 0.95));
        const cr_addr *h = hosts[uniform_int(r, nh)];
        if (gsl_rng_uniform(r) < 0.85)
            tcp_conn(g, at, h, 443, 0);
        else
            quic_flow(g, at, h);
    }
}

static void background(gen *g, int64_t t, double p6)
{
    gsl_rng *r = g->r;
    int v6 = gsl_rng_uniform(r) < p6;
    double u = gsl_rng_uniform(r);
    if (u < 0.6)
        tcp_conn(g, t, pick_server(g, v6), gsl_rng_uniform(r) < 0.9 ? 443 : 80, 0);
    else if (u < 0.9)
        dns_query(g, t, v6);
    else
        quic_flow(g, t, pick_server(g, v6));
}

/* Inbound connections stay rare next to the workstation's own (fewer than half its outbound TCP
 * connections in the family), so the seed's inference of the local address (the most common
 * source of SYNs) cannot pick a peer. */
static void inbound(gen *g, int64_t t, double p6)
{
    gsl_rng *r = g->r;
    int v6 = gsl_rng_uniform(r) < p6;
    const cr_addr *peer = &g->peers[uniform_int(r, NPEERS / 2) * 2 + v6];
    uint16_t port = gsl_rng_uniform(r) < 0.5 ? 22 : 3389;
    if (g->tcp_out[v6] > 2 * (g->tcp_in[v6] + 1))
        tcp_conn(g, t, peer, port, 1);
}

static void random_addr(gsl_rng *r, cr_addr *a, int family, const uint8_t *prefix, int plen)
{
    memset(a, 0, sizeof *a);
    a->family = (uint8_t)family;
    int n = family == 4 ? 4 : 16;
    for (int i = 0; i < n; i++)
        a->b[i] = i < plen ? prefix[i] : (uint8_t)uniform_int(r, 256);
    if (family == 4 && plen == 0) /* public unicast, away from 0/8, 10/8, 127/8 and multicast */
        a->b[0] = (uint8_t)(11 + uniform_int(r, 112));
    if (family == 4 && (a->b[3] == 0 || a->b[3] == 255))
        a->b[3] = 7;
}

static void addresses(gen *g)
{
    gsl_rng *r = g->r;
    cr_synth_machine *m = g->m;
    uint8_t lan4[3] = {192, 168, (uint8_t)uniform_int(r, 255)};
    uint8_t lan6[8] = {0x2a, 0x02, 0};
    for (int i = 2; i < 8; i++)
        lan6[i] = (uint8_t)uniform_int(r, 256);
    random_addr(r, &m->local4, 4, lan4, 3);
    m->local4.b[3] = (uint8_t)(100 + uniform_int(r, 100)); /* peers use .2-.99, the router .1 */
    random_addr(r, &m->local6, 6, lan6, 8);
    random_addr(r, &g->dns4, 4, lan4, 3);
    g->dns4.b[3] = 1;
    random_addr(r, &g->dns6, 6, lan6, 8);
    memset(g->dns6.b + 8, 0, 7);
    g->dns6.b[15] = 1;
    uint8_t g6[1] = {0x20};
    for (int i = 0; i < NSERV4; i++)
        random_addr(r, &g->serv4[i], 4, NULL, 0);
    for (int i = 0; i < NSERV6; i++) {
        random_addr(r, &g->serv6[i], 6, g6, 1);
        g->serv6[i].b[1] = (uint8_t)(g->serv6[i].b[1] | 1);
    }
    for (int i = 0; i < NPEERS; i++) {
        random_addr(r, &g->peers[i], i % 2 ? 6 : 4, i % 2 ? lan6 : lan4, i % 2 ? 8 : 3);
        if (i % 2 == 0)
            g->peers[i].b[3] = (uint8_t)(2 + i);
    }
    for (int i = 0; i < 6; i++) {
        m->mac_local[i] = (uint8_t)uniform_int(r, 256);
        m->mac_gw[i] = (uint8_t)uniform_int(r, 256);
    }
    /* unicast; the workstation's address is locally administered (randomised, as laptops do) */
    m->mac_local[0] = (uint8_t)((m->mac_local[0] & 0xfc) | 0x02);
    m->mac_gw[0] = (uint8_t)(m->mac_gw[0] & 0xfc);
}

static int pkt_cmp(const void *a, const void *b)
{
    const cr_synth_pkt *x = a, *y = b;
    if (x->ts_us != y->ts_us)
        return x->ts_us < y->ts_us ? -1 : 1;
    return (x->conn > y->conn) - (x->conn < y->conn);
}

static void tally(cr_synth_machine *m)
{
    for (size_t i = 0; i < m->npkt; i++) {
        const cr_synth_pkt *p = &m->pkts[i];
        cr_synth_conn *c = &m->conns[p->conn];
        if (!c->packets++)
            c->first_us = p->ts_us;
        c->last_us = p->ts_us;
        if (c->proto == CR_PROTO_UDP) {
            if (p->out) {
                c->end_us = p->ts_us;
                c->end_reason = CR_SYNTH_UDP_LAST;
            }
        } else if (c->end_us < 0) {
            if ((p->flags & (CR_TH_FIN | CR_TH_ACK)) == (CR_TH_FIN | CR_TH_ACK)) {
                c->end_us = p->ts_us;
                c->end_reason = CR_SYNTH_FIN;
            } else if (p->flags & CR_TH_RST) {
                c->end_us = p->ts_us;
                c->end_reason = CR_SYNTH_RST;
            }
        }
    }
    m->first_us = m->npkt ? m->pkts[0].ts_us : -1;
    m->last_us = m->npkt ? m->pkts[m->npkt - 1].ts_us : -1;
}

void cr_synth_model(cr_synth_machine *m, int index, uint64_t seed, double minutes)
{
    memset(m, 0, sizeof *m);
    gen g;
    memset(&g, 0, sizeof g);
    g.m = m;
    g.r = gsl_rng_alloc(gsl_rng_mt19937);
    /* mt19937 maps seed 0 to its default; mixing keeps every (seed, machine) stream distinct. */
    gsl_rng_set(g.r, (unsigned long)(mix64(mix64(seed) ^ (uint64_t)index) >> 1));
    gsl_rng *r = g.r;
    addresses(&g);
    g.next_port = uniform_int(r, EPHEMERAL_N);
    g.t0 = (EPOCH_S + (int64_t)uniform_int(r, 86400)) * 1000000 + uniform_int(r, 1000000);
    g.t1 = g.t0 + us(minutes * 60.0);

    double lambda = gsl_ran_lognormal(r, log(0.35), 0.7);
    double beta = gsl_ran_lognormal(r, log(1.0 / 75.0), 0.5);
    double p6 = gsl_ran_beta(r, 2.0, 3.0);
    double sigma = gsl_ran_flat(r, 0.4, 0.9);
    double z = gsl_ran_gaussian(r, sigma);

    /* The capture opens with a lookup and a connection in each family, so every capture has
     * flows and both local addresses show in SYNs, where the seed looks for them. */
    for (int v6 = 0; v6 < 2; v6++) {
        dns_query(&g, g.t0 + 1000 * v6, v6);
        tcp_conn(&g, g.t0 + us(0.015 + 0.005 * v6), pick_server(&g, v6), 443, 0);
    }
    for (int64_t start = g.t0; start < g.t1; start += 60000000) {
        if (start > g.t0)
            z = 0.7 * z + sqrt(1.0 - 0.49) * gsl_ran_gaussian(r, sigma);
        double mult = exp(z - sigma * sigma / 2.0);
        int64_t len = g.t1 - start < 60000000 ? g.t1 - start : 60000000;
        double secs = (double)len / 1e6;
        for (unsigned i = 0, n = gsl_ran_poisson(r, lambda * mult * secs); i < n; i++)
            background(&g, start + (int64_t)(gsl_rng_uniform(r) * (double)len), p6);
        for (unsigned i = 0, n = gsl_ran_poisson(r, beta * mult * secs); i < n; i++)
            page_load(&g, start + (int64_t)(gsl_rng_uniform(r) * (double)len), p6);
        for (unsigned i = 0, n = gsl_ran_poisson(r, secs / 400.0); i < n; i++)
            inbound(&g, start + (int64_t)(gsl_rng_uniform(r) * (double)len), p6);
    }
    gsl_rng_free(g.r);
    free(g.used);
    /* Within a connection times strictly increase, so (time, connection) is a total order. */
    qsort(m->pkts, m->npkt, sizeof *m->pkts, pkt_cmp);
    tally(m);
}

void cr_synth_machine_free(cr_synth_machine *m)
{
    free(m->conns);
    free(m->pkts);
    m->conns = NULL;
    m->pkts = NULL;
    m->nconn = m->npkt = 0;
}
