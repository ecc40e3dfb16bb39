/* The ground truth tables: truth/flows.csv (one row per outbound connection) and truth/cps.csv
 * (the seed's CPS table). Both come from the per-connection tallies of the written packets. */
#include "synth/synth.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/outfile.h"
#include "common/xalloc.h"
#include "ingest/packet.h"

static const char *const reason_names[] = {"open", "fin", "rst", "udp_last"};

static int64_t ms(int64_t t_us) { return t_us / 1000; } /* all times are after 1970 */

static const cr_synth_conn *sort_conns; /* qsort has no context argument */

/* start_ms, protocol, src_port as the truth promises; the rest only makes the order total. */
static int flow_cmp(const void *a, const void *b)
{
    const cr_synth_conn *x = &sort_conns[*(const size_t *)a], *y = &sort_conns[*(const size_t *)b];
    int64_t sx = ms(x->first_us), sy = ms(y->first_us);
    if (sx != sy)
        return sx < sy ? -1 : 1;
    if (x->proto != y->proto)
        return x->proto < y->proto ? -1 : 1; /* tcp (6) before udp (17) */
    if (x->lport != y->lport)
        return x->lport < y->lport ? -1 : 1;
    int c = cr_addr_cmp(&x->remote, &y->remote);
    if (c)
        return c;
    return (x->rport > y->rport) - (x->rport < y->rport);
}

static int outbound(const cr_synth_conn *c) { return !c->inbound && c->packets > 0; }

static void write_flows(FILE *f, const cr_synth_machine *m)
{
    size_t n = 0, *idx = xmalloc((m->nconn + 1) * sizeof *idx);
    for (size_t i = 0; i < m->nconn; i++)
        if (outbound(&m->conns[i]))
            idx[n++] = i;
    sort_conns = m->conns;
    qsort(idx, n, sizeof *idx, flow_cmp);
    char src[CR_ADDR_STRLEN], dst[CR_ADDR_STRLEN];
    for (size_t i = 0; i < n; i++) {
        const cr_synth_conn *c = &m->conns[idx[i]];
        cr_addr_format(c->remote.family == 6 ? &m->local6 : &m->local4, src);
        cr_addr_format(&c->remote, dst);
        fprintf(f, "%s,%s,%d,%s,%u,%s,%u,%lld,", m->id, c->proto == CR_PROTO_TCP ? "tcp" : "udp",
                c->remote.family, src, c->lport, dst, c->rport, (long long)ms(c->first_us));
        if (c->end_us >= 0)
            fprintf(f, "%lld", (long long)ms(c->end_us));
        fprintf(f, ",%lld,%s,%u\n", (long long)ms(c->last_us), reason_names[c->end_reason],
                c->packets);
    }
    free(idx);
}

static void write_cps(FILE *f, const cr_synth_machine *m, int machine)
{
    if (m->first_us < 0)
        return;
    int64_t s0 = m->first_us / 1000000, nsec = m->last_us / 1000000 - s0 + 1;
    int (*cnt)[4] = xcalloc((size_t)nsec, sizeof *cnt);
    for (size_t i = 0; i < m->nconn; i++) {
        const cr_synth_conn *c = &m->conns[i];
        if (!outbound(c))
            continue;
        int udp = c->proto == CR_PROTO_UDP;
        cnt[c->first_us / 1000000 - s0][udp]++;
        if (c->end_us >= 0)
            cnt[c->end_us / 1000000 - s0][2 + udp]++;
    }
    for (int64_t s = 0; s < nsec; s++)
        fprintf(f, "%s,%d,%lld,%lld,%d,%d,%d,%d\n", m->id, machine, (long long)s + 1,
                (long long)s / 60 + 1, cnt[s][0], cnt[s][1], cnt[s][2], cnt[s][3]);
    free(cnt);
}

int cr_synth_write_truth(const char *dir, const cr_synth_machine *ms_, int k, cr_err *e)
{
    size_t n = strlen(dir) + 32;
    char *path = xmalloc(n);
    cr_outfile o;
    snprintf(path, n, "%s/truth/flows.csv", dir);
    if (cr_outfile_open(&o, path, e) != 0)
        goto fail;
    fputs("machine_id,protocol,ip_version,src_ip,src_port,dst_ip,dst_port,start_ms,end_ms,last_ms,"
          "end_reason,packets\n", o.fp);
    for (int i = 0; i < k; i++)
        write_flows(o.fp, &ms_[i]);
    if (cr_outfile_commit(&o, e) != 0)
        goto fail;
    snprintf(path, n, "%s/truth/cps.csv", dir);
    if (cr_outfile_open(&o, path, e) != 0)
        goto fail;
    fputs("machine_id,machine,second,minute,tcp_new,udp_new,tcp_end,udp_end\n", o.fp);
    for (int i = 0; i < k; i++)
        write_cps(o.fp, &ms_[i], i + 1);
    if (cr_outfile_commit(&o, e) != 0)
        goto fail;
    free(path);
    return 0;
fail:
    cr_outfile_abort(&o);
    free(path);
    return -1;
}
