#include "series/cps.h"

#include <inttypes.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "common/csv.h"
#include "common/xalloc.h"
#include "flows/flows.h"

static int64_t floordiv(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

int64_t cr_cps_second(int64_t first_ms, int64_t ms)
{
    return floordiv(ms, 1000) - floordiv(first_ms, 1000) + 1;
}

static void count(cr_cps_counts *c, int col, int64_t first_ms, int64_t ms)
{
    int64_t s = cr_cps_second(first_ms, ms);
    if (s >= 1 && s <= c->nsec) {
        c->col[col][s - 1]++;
        c->total[col]++;
    }
}

/* The seed groups TCP closes by directed 5-tuple, so streams that reuse a 4-tuple share one
 * close: the earliest. */
typedef struct {
    cr_addr src, dst;
    uint16_t sport, dport;
    int64_t ms;
} seed_close;

static int cmp_close(const void *x, const void *y)
{
    const seed_close *a = x, *b = y;
    int c = memcmp(a, b, offsetof(seed_close, ms));
    if (c)
        return c;
    return (a->ms > b->ms) - (a->ms < b->ms);
}

static void seed_ends(const cr_machine *m, cr_cps_counts *c)
{
    seed_close *v = NULL;
    size_t n = 0, cap = 0;
    for (size_t i = 0; i < m->ntcp; i++) {
        const cr_tcp_conn *t = &m->tcp[i];
        for (int d = 0; d < 2; d++) {
            const cr_addr *src = d ? &t->ep.b : &t->ep.a;
            if (t->seed_end_ms[d] == INT64_MAX || !cr_machine_is_local(m, src) ||
                cr_machine_scope(m, d ? &t->ep.a : &t->ep.b) != CR_SCOPE_FORWARDED)
                continue;
            xgrow(&v, &cap, n + 1, sizeof *v);
            memset(&v[n], 0, sizeof v[n]);
            v[n].src = *src;
            v[n].dst = d ? t->ep.a : t->ep.b;
            v[n].sport = d ? t->ep.pb : t->ep.pa;
            v[n].dport = d ? t->ep.pa : t->ep.pb;
            v[n].ms = t->seed_end_ms[d];
            n++;
        }
    }
    if (n)
        qsort(v, n, sizeof *v, cmp_close);
    for (size_t i = 0; i < n; i++)
        if (i == 0 || memcmp(&v[i], &v[i - 1], offsetof(seed_close, ms)) != 0)
            count(c, CR_CPS_TCP_END, m->first_ms, v[i].ms);
    free(v);
}

void cr_cps_build(const cr_machine *m, cr_tcp_end_rule rule, cr_cps_counts *c)
{
    memset(c, 0, sizeof *c);
    c->nsec = cr_cps_second(m->first_ms, m->last_ms);
    for (int k = 0; k < CR_CPS_NSERIES; k++)
        c->col[k] = xcalloc((size_t)c->nsec, sizeof *c->col[k]);

    for (size_t i = 0; i < m->nzero; i++) {
        const cr_zero_row *z = &m->zero[i];
        const cr_tcp_conn *t = &m->tcp[z->conn];
        if (cr_machine_is_local(m, z->dir ? &t->ep.b : &t->ep.a) &&
            cr_machine_scope(m, z->dir ? &t->ep.a : &t->ep.b) == CR_SCOPE_FORWARDED)
            count(c, CR_CPS_TCP_NEW, m->first_ms, z->ms);
    }

    for (size_t i = 0; i < m->ntcp; i++) {
        const cr_tcp_conn *t = &m->tcp[i];
        if (!cr_tcp_conn_outbound(m, t))
            continue;
        int why_out = cr_machine_scope(m, t->initiator ? &t->ep.a : &t->ep.b);
        if (why_out != CR_SCOPE_FORWARDED) {
            c->out_of_scope[why_out]++;
            continue;
        }
        c->tcp_streams_out++;
        uint8_t why;
        int64_t end = cr_tcp_conn_end(t, &why);
        if (end == CR_NA_I64)
            c->tcp_open_at_end++;
        else if (rule == CR_TCP_END_FLAGS)
            count(c, CR_CPS_TCP_END, m->first_ms, end);
        if (t->flags_known && t->end_flags_ms != CR_NA_I64 && t->end_export_ms == CR_NA_I64)
            c->closes_flags_only++;
    }
    if (rule == CR_TCP_END_SEED)
        seed_ends(m, c);

    for (size_t i = 0; i < m->nudp; i++) {
        const cr_udp_conv *u = &m->udp[i];
        for (int d = 0; d < 2; d++) {
            if (!u->packets[d] || !cr_machine_is_local(m, d ? &u->ep.b : &u->ep.a))
                continue;
            int why_out = cr_machine_scope(m, d ? &u->ep.a : &u->ep.b);
            if (why_out != CR_SCOPE_FORWARDED) {
                c->out_of_scope[why_out]++;
                continue;
            }
            count(c, CR_CPS_UDP_NEW, m->first_ms, u->first_ms[d]);
            count(c, CR_CPS_UDP_END, m->first_ms, u->last_ms[d]);
        }
    }
}

void cr_cps_from_flows(const cr_flow *fl, size_t n, int64_t first_ms, int64_t last_ms,
                       const cr_scope *scope, cr_cps_counts *c)
{
    memset(c, 0, sizeof *c);
    c->nsec = cr_cps_second(first_ms, last_ms);
    for (int k = 0; k < CR_CPS_NSERIES; k++)
        c->col[k] = xcalloc((size_t)c->nsec, sizeof *c->col[k]);
    for (size_t i = 0; i < n; i++) {
        const cr_flow *x = &fl[i];
        int why = cr_scope_classify(scope, &x->dst);
        if (why != CR_SCOPE_FORWARDED) {
            c->out_of_scope[why]++;
            continue;
        }
        int udp = x->proto == CR_PROTO_UDP;
        count(c, udp ? CR_CPS_UDP_NEW : CR_CPS_TCP_NEW, first_ms, x->start_ms);
        if (x->end_ms != CR_NA_I64)
            count(c, udp ? CR_CPS_UDP_END : CR_CPS_TCP_END, first_ms, x->end_ms);
        if (!udp) {
            c->tcp_streams_out++;
            c->tcp_open_at_end += x->end_ms == CR_NA_I64;
        }
    }
}

void cr_cps_counts_free(cr_cps_counts *c)
{
    for (int k = 0; k < CR_CPS_NSERIES; k++)
        free(c->col[k]);
    memset(c, 0, sizeof *c);
}

void cr_cps_write_header(FILE *f)
{
    fputs("machine_id,machine,second,minute,tcp_new,udp_new,tcp_end,udp_end\n", f);
}

void cr_cps_write(FILE *f, const char *machine_id, int machine, const cr_cps_counts *c)
{
    char *id = cr_csv_escape(machine_id, ',');
    for (int64_t s = 1; s <= c->nsec; s++)
        fprintf(f, "%s,%d,%" PRId64 ",%" PRId64 ",%u,%u,%u,%u\n", id, machine, s,
                (s - 1) / 60 + 1, c->col[CR_CPS_TCP_NEW][s - 1], c->col[CR_CPS_UDP_NEW][s - 1],
                c->col[CR_CPS_TCP_END][s - 1], c->col[CR_CPS_UDP_END][s - 1]);
    free(id);
}
