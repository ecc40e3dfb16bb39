/* Step 1 of a sizing run: the CPS and flows tables, written exactly as `connrate cps` and
 * `connrate flows` write them so that a run's inputs to the fits can be inspected and refitted
 * by hand, and the observed facts the report quotes. */
#include <stdlib.h>
#include <string.h>

#include "common/outfile.h"
#include "common/xalloc.h"
#include "ingest/packet.h"
#include "duration/from_flows.h"
#include "sizing/sizing_internal.h"

char *cr_sz_path(const char *dir, const char *a, const char *b)
{
    size_t n = strlen(dir) + strlen(a) + (b ? strlen(b) : 0) + 3;
    char *p = xmalloc(n);
    if (b)
        snprintf(p, n, "%s/%s/%s", dir, a, b);
    else
        snprintf(p, n, "%s/%s", dir, a);
    return p;
}

/* Closes are visible when the packets carried TCP flags (captures); single-pass exports only
 * show them through completeness, one packet late, and lose most (docs/report.md). */
static int machine_shows_closes(const cr_machine *m)
{
    for (size_t i = 0; i < m->ntcp; i++)
        if (!m->tcp[i].flags_known)
            return 0;
    return 1;
}

static int write_cps(const cr_machine *ms, int n, const char *path, cr_sizing *s, cr_err *e)
{
    cr_outfile o;
    if (cr_outfile_open(&o, path, e) != 0)
        return -1;
    cr_cps_write_header(o.fp);
    for (int i = 0; i < n; i++) {
        cr_cps_counts c;
        cr_cps_build(&ms[i], CR_TCP_END_FLAGS, &c);
        cr_cps_write(o.fp, &ms[i], &c);
        for (int k = 0; k < CR_CPS_NSERIES; k++)
            s->total[k] += c.total[k];
        s->seconds += (double)c.nsec;
        s->tcp_streams += c.tcp_streams_out;
        s->tcp_never_closed += c.tcp_open_at_end;
        cr_cps_counts_free(&c);
    }
    int rc = cr_outfile_commit(&o, e);
    cr_outfile_abort(&o);
    return rc;
}

static int collect_flows(const cr_machine *ms, int n, const char *path, cr_sz_flows *f,
                         cr_err *e)
{
    cr_outfile o;
    if (cr_outfile_open(&o, path, e) != 0)
        return -1;
    cr_flows_write_header(o.fp);
    f->capture_end_ms = xmalloc((size_t)n * sizeof *f->capture_end_ms);
    for (int i = 0; i < n; i++) {
        cr_flow *fl;
        size_t k = cr_machine_flows(&ms[i], &fl);
        cr_flows_write(o.fp, ms[i].machine_id, fl, k);
        f->fl = xrealloc(f->fl, (f->n + k + 1) * sizeof *f->fl);
        f->machine = xrealloc(f->machine, (f->n + k + 1) * sizeof *f->machine);
        memcpy(f->fl + f->n, fl, k * sizeof *fl);
        for (size_t j = 0; j < k; j++)
            f->machine[f->n + j] = i;
        f->n += k;
        f->capture_end_ms[i] = ms[i].last_ms;
        free(fl);
    }
    int rc = cr_outfile_commit(&o, e);
    cr_outfile_abort(&o);
    return rc;
}

int cr_sz_flow_duration(const cr_sz_flows *f, size_t i, int64_t *ms, int *idle)
{
    const cr_flow *x = &f->fl[i];
    int64_t end = f->capture_end_ms[f->machine[i]];
    *idle = x->proto == CR_PROTO_TCP && x->reason == CR_REASON_OPEN &&
            end - x->last_ms >= CR_SZ_IDLE_MS;
    if (*idle) {
        *ms = x->last_ms - x->start_ms;
        return 0;
    }
    return cr_flow_duration(x, end, ms);
}

/* The observed shares the session-time model plugs in (their uncertainty is small next to the
 * durations' and is not propagated). */
static void observed_shares(const cr_sz_flows *f, cr_sizing *s)
{
    double tcp = 0, rst = 0, idle = 0, udp = 0, dns = 0;
    for (size_t i = 0; i < f->n; i++) {
        const cr_flow *x = &f->fl[i];
        int64_t ms;
        int idled;
        int censored = cr_sz_flow_duration(f, i, &ms, &idled);
        if (x->proto == CR_PROTO_TCP && !censored) {
            tcp++;
            rst += x->reason == CR_REASON_RST;
            idle += idled;
        } else if (x->proto == CR_PROTO_UDP) {
            udp++;
            dns += x->dport == 53;
        }
    }
    double nnew = (double)(s->total[CR_CPS_TCP_NEW] + s->total[CR_CPS_UDP_NEW]);
    s->p_tcp = nnew > 0 ? s->total[CR_CPS_TCP_NEW] / nnew : 0;
    s->p_rst = tcp > 0 ? rst / tcp : 0;
    s->p_idle = tcp > 0 ? idle / tcp : 0;
    s->p_dns = udp > 0 ? dns / udp : 0;
}

int cr_sz_tables(const cr_machine *ms, int n, const char *dir, cr_sizing *s, cr_cps_table *t,
                 cr_sz_flows *f, cr_err *e)
{
    s->nmachines = n;
    s->machine_ids = xmalloc((size_t)n * sizeof(char *));
    s->inputs = xmalloc((size_t)n * sizeof(char *));
    s->kinds = xmalloc((size_t)n * sizeof(char *));
    s->closes_visible = 1;
    for (int i = 0; i < n; i++) {
        s->machine_ids[i] = xstrdup(ms[i].machine_id);
        s->inputs[i] = xstrdup(ms[i].path);
        s->kinds[i] = ms[i].kind;
        s->closes_visible &= machine_shows_closes(&ms[i]);
    }
    char *cps = cr_sz_path(dir, "cps.csv", NULL), *flows = cr_sz_path(dir, "flows.csv", NULL);
    int rc = -1;
    memset(f, 0, sizeof *f);
    if (write_cps(ms, n, cps, s, e) == 0 && cr_cps_read(t, cps, e) == 0) {
        if (collect_flows(ms, n, flows, f, e) == 0)
            rc = 0;
        else
            cr_cps_free(t);
    }
    if (rc == 0)
        observed_shares(f, s);
    else
        cr_sz_flows_free(f);
    free(cps);
    free(flows);
    return rc;
}

void cr_sz_flows_free(cr_sz_flows *f)
{
    free(f->fl);
    free(f->machine);
    free(f->capture_end_ms);
    memset(f, 0, sizeof *f);
}
