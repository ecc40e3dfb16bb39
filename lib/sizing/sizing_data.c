/* Step 1 of a sizing run: what is known of the observed machines, in memory: their per-second
 * table, their outbound connections, and the facts the report quotes. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"
#include "ingest/packet.h"
#include "duration/from_flows.h"
#include "series/busyhour.h"
#include "sizing/sizing_internal.h"

const char *const cr_sizing_window_names[CR_SZ_NWINDOWS] = {"auto", "busy-hour", "all"};

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

/* Room for `need` rows in t. */
static void reserve_rows(cr_cps_table *t, size_t *cap, size_t need)
{
    if (need <= *cap)
        return;
    *cap = need > 2 * *cap ? need : 2 * *cap;
    t->machine = xrealloc(t->machine, *cap * sizeof(int));
    t->second = xrealloc(t->second, *cap * sizeof(int));
    t->minute = xrealloc(t->minute, *cap * sizeof(int));
    for (int k = 0; k < CR_CPS_NSERIES; k++)
        t->count[k] = xrealloc(t->count[k], *cap * sizeof(int));
}

static void add_flows(cr_sz_flows *f, const cr_flow *fl, size_t n, int machine)
{
    f->fl = xrealloc(f->fl, (f->n + n + 1) * sizeof *f->fl);
    f->machine = xrealloc(f->machine, (f->n + n + 1) * sizeof *f->machine);
    memcpy(f->fl + f->n, fl, n * sizeof *fl);
    for (size_t j = 0; j < n; j++)
        f->machine[f->n + j] = machine;
    f->n += n;
}

/* The totals over machines. */
static void sum_machines(cr_sizing_data *d)
{
    d->closes_visible = 1;
    d->res_ms = 1;
    for (int i = 0; i < d->nmachines; i++) {
        const cr_sizing_machine *m = &d->m[i];
        for (int k = 0; k < CR_CPS_NSERIES; k++)
            d->total[k] += m->total[k];
        d->tcp_streams += m->tcp_streams;
        d->tcp_never_closed += m->tcp_never_closed;
        d->closes_visible &= m->closes_visible;
        for (int k = 0; k < CR_SCOPE_NREASONS; k++)
            d->out_of_scope[k] += m->out_of_scope[k];
        d->longest_capture = fmax(d->longest_capture, m->capture_s);
        d->res_ms = m->res_ms > d->res_ms ? m->res_ms : d->res_ms;
    }
    d->flows.res_ms = d->res_ms;
    d->seconds = (double)d->cps.nrows;
}

int cr_sz_flow_duration(const cr_sz_flows *f, size_t i, int64_t *ms, int *idle)
{
    const cr_flow *x = &f->fl[i];
    int64_t end = f->capture_end_ms[f->machine[i]];
    int open_tcp = x->proto == CR_PROTO_TCP && x->reason == CR_REASON_OPEN;
    *idle = open_tcp && end - x->last_ms >= CR_SZ_IDLE_MS;
    if (open_tcp) {
        *ms = x->last_ms - x->start_ms;
        return !*idle;
    }
    return cr_flow_duration(x, end, ms);
}

static void init(cr_sizing_data *d, int n)
{
    memset(d, 0, sizeof *d);
    d->nmachines = n;
    d->m = xcalloc((size_t)n + 1, sizeof *d->m);
    d->cps.nmachines = n;
    d->cps.machine_ids = xmalloc(((size_t)n + 1) * sizeof(char *));
    d->flows.capture_end_ms = xmalloc(((size_t)n + 1) * sizeof *d->flows.capture_end_ms);
    d->window.kind = CR_SZ_WINDOW_ALL;
}

void cr_sizing_data_init(cr_sizing_data *d) { init(d, 0); }

/* Room for one more machine; its index. */
static int new_machine(cr_sizing_data *d)
{
    int i = d->nmachines++;
    d->m = xrealloc(d->m, ((size_t)i + 2) * sizeof *d->m);
    d->cps.machine_ids = xrealloc(d->cps.machine_ids, ((size_t)i + 2) * sizeof(char *));
    d->flows.capture_end_ms =
        xrealloc(d->flows.capture_end_ms, ((size_t)i + 2) * sizeof *d->flows.capture_end_ms);
    d->cps.nmachines = d->nmachines;
    return i;
}

/* Appends one machine: its facts, its seconds (counts c) and its outbound connections. */
static void add(cr_sizing_data *d, const cr_sizing_machine *x, int64_t last_ms,
               const cr_cps_counts *c, const cr_flow *fl, size_t nfl)
{
    int i = new_machine(d);
    d->m[i] = *x;
    d->cps.machine_ids[i] = xstrdup(x->id);
    reserve_rows(&d->cps, &d->rows_cap, d->cps.nrows + (size_t)c->nsec);
    for (int64_t s = 0; s < c->nsec; s++) {
        size_t r = d->cps.nrows++;
        d->cps.machine[r] = i + 1;
        d->cps.second[r] = (int)s + 1;
        d->cps.minute[r] = (int)(s / 60) + 1;
        for (int k = 0; k < CR_CPS_NSERIES; k++)
            d->cps.count[k][r] = (int)c->col[k][s];
    }
    cr_sizing_machine *m = &d->m[i];
    for (int k = 0; k < CR_CPS_NSERIES; k++)
        m->total[k] = c->total[k];
    m->tcp_streams = c->tcp_streams_out;
    m->tcp_never_closed = c->tcp_open_at_end;
    memcpy(m->out_of_scope, c->out_of_scope, sizeof m->out_of_scope);
    add_flows(&d->flows, fl, nfl, i);
    d->flows.capture_end_ms[i] = last_ms;
}

void cr_sizing_data_add_machine(cr_sizing_data *d, const cr_machine *m, cr_tcp_end_rule rule)
{
    cr_sizing_machine x = {.id = xstrdup(m->machine_id),
                           .input = xstrdup(m->path),
                           .kind = m->kind,
                           .closes_visible = machine_shows_closes(m),
                           .capture_s = (double)(m->last_ms - m->first_ms) / 1000,
                           .first_ms = m->first_ms,
                           .res_ms = CR_DURATION_FLOWS_RES_MS};
    cr_cps_counts c;
    cr_cps_build(m, rule, &c);
    cr_flow *fl;
    size_t n = cr_machine_flows(m, &fl);
    add(d, &x, m->last_ms, &c, fl, n);
    d->scope_firewall |= m->scope && m->scope->firewall;
    free(fl);
    cr_cps_counts_free(&c);
}

void cr_sizing_data_add_host(cr_sizing_data *d, const cr_flowlog_host *h, const char *input,
                             const char *kind, const cr_scope *scope)
{
    cr_sizing_machine x = {.id = xstrdup(h->machine_id),
                           .input = xstrdup(input),
                           .kind = kind,
                           .closes_visible = 1, /* a flow record ends when its connection did */
                           /* connrate's own flows table is its capture's, to the millisecond */
                           .flow_records =
                               strcmp(kind, cr_flowlog_format_name(CR_FLOWLOG_FLOWS)) != 0,
                           .capture_s = (double)(h->last_ms - h->first_ms) / 1000,
                           .first_ms = h->first_ms,
                           .res_ms = h->resolution_ms};
    cr_cps_counts c;
    cr_cps_from_flows(h->flows, h->nflows, h->first_ms, h->last_ms, scope, &c);
    cr_flow *fl = xmalloc((h->nflows + 1) * sizeof *fl);
    size_t n = 0;
    for (size_t i = 0; i < h->nflows; i++)
        if (cr_scope_classify(scope, &h->flows[i].dst) == CR_SCOPE_FORWARDED)
            fl[n++] = h->flows[i];
    add(d, &x, h->last_ms, &c, fl, n);
    d->scope_firewall |= scope && scope->firewall;
    free(fl);
    cr_cps_counts_free(&c);
}

void cr_sizing_data_finish(cr_sizing_data *d) { sum_machines(d); }

void cr_sizing_data_from_machines(const cr_machine *ms, int n, cr_tcp_end_rule rule,
                                  cr_sizing_data *d)
{
    cr_sizing_data_init(d);
    for (int i = 0; i < n; i++)
        cr_sizing_data_add_machine(d, &ms[i], rule);
    cr_sizing_data_finish(d);
}

void cr_sizing_data_subset(const cr_sizing_data *d, const int *keep, int nkeep,
                           cr_sizing_data *out)
{
    init(out, nkeep);
    out->scope_firewall = d->scope_firewall;
    out->population_hosts = d->population_hosts;
    out->window = d->window;
    int *to = xmalloc(((size_t)d->nmachines + 1) * sizeof(int));
    for (int i = 0; i < d->nmachines; i++)
        to[i] = -1;
    for (int j = 0; j < nkeep; j++) {
        const cr_sizing_machine *x = &d->m[keep[j]];
        to[keep[j]] = j;
        out->m[j] = *x;
        out->m[j].id = xstrdup(x->id);
        out->m[j].input = xstrdup(x->input);
        out->cps.machine_ids[j] = xstrdup(x->id);
        out->flows.capture_end_ms[j] = d->flows.capture_end_ms[keep[j]];
    }
    const cr_cps_table *t = &d->cps;
    cr_cps_table *u = &out->cps;
    for (size_t r = 0; r < t->nrows; r++) {
        int j = to[t->machine[r] - 1];
        if (j < 0)
            continue;
        reserve_rows(u, &out->rows_cap, u->nrows + 1);
        size_t w = u->nrows++;
        u->machine[w] = j + 1;
        u->second[w] = t->second[r];
        u->minute[w] = t->minute[r];
        for (int k = 0; k < CR_CPS_NSERIES; k++)
            u->count[k][w] = t->count[k][r];
    }
    for (size_t i = 0; i < d->flows.n; i++)
        if (to[d->flows.machine[i]] >= 0)
            add_flows(&out->flows, &d->flows.fl[i], 1, to[d->flows.machine[i]]);
    free(to);
    sum_machines(out);
}

void cr_sizing_data_add_logfile(cr_sizing_data *d, const cr_flowlog_file *f)
{
    d->logs = xrealloc(d->logs, ((size_t)d->nlogs + 1) * sizeof *d->logs);
    d->logs[d->nlogs++] = (cr_sizing_logfile){xstrdup(f->path), cr_flowlog_format_name(f->format),
                                              f->records, f->connections, f->hosts,
                                              f->dropped_hosts};
}

void cr_sizing_data_free(cr_sizing_data *d)
{
    for (int i = 0; i < d->nlogs; i++)
        free(d->logs[i].path);
    free(d->logs);
    for (int i = 0; i < d->nmachines; i++) {
        free(d->m[i].id);
        free(d->m[i].input);
    }
    free(d->m);
    cr_cps_free(&d->cps);
    free(d->flows.fl);
    free(d->flows.machine);
    free(d->flows.capture_end_ms);
    if (d->whole) {
        cr_sizing_data_free(d->whole);
        free(d->whole);
    }
    memset(d, 0, sizeof *d);
}

/* Seconds of t_ms on the inputs' clock, rounded down as the tables count them. */
static int64_t floor_s(int64_t t_ms)
{
    return t_ms >= 0 ? t_ms / 1000 : -((-t_ms + 999) / 1000);
}

/* Machine i of w (its rows from r on) into d, cut to the seconds [ws, we) of the clock whose
 * second 0 is t0; nothing when it has none there. Returns the row after the machine's. */
static size_t add_window_machine(cr_sizing_data *d, const cr_sizing_data *w, int i, size_t r,
                                 int64_t t0, int64_t ws, int64_t we)
{
    const cr_cps_table *t = &w->cps;
    int64_t off = floor_s(w->m[i].first_ms) - t0, s0 = off > ws ? off : ws;
    size_t end = r;
    while (end < t->nrows && t->machine[end] == i + 1)
        end++;
    cr_cps_table *u = &d->cps;
    size_t first = u->nrows;
    uint64_t total[CR_CPS_NSERIES] = {0};
    for (; r < end; r++) {
        int64_t sec = off + t->second[r] - 1;
        if (sec < ws || sec >= we)
            continue;
        reserve_rows(u, &d->rows_cap, u->nrows + 1);
        size_t v = u->nrows++;
        u->machine[v] = d->nmachines + 1;
        u->second[v] = (int)(sec - s0) + 1;
        u->minute[v] = (u->second[v] - 1) / 60 + 1;
        for (int k = 0; k < CR_CPS_NSERIES; k++) {
            u->count[k][v] = t->count[k][r];
            total[k] += (uint64_t)t->count[k][r];
        }
    }
    if (u->nrows == first)
        return end;
    int j = new_machine(d);
    cr_sizing_machine *m = &d->m[j];
    *m = w->m[i];
    m->id = xstrdup(w->m[i].id);
    m->input = xstrdup(w->m[i].input);
    d->cps.machine_ids[j] = xstrdup(m->id);
    int64_t last_ms = w->flows.capture_end_ms[i], we_ms = (t0 + we) * 1000;
    m->first_ms = m->first_ms > (t0 + ws) * 1000 ? m->first_ms : (t0 + ws) * 1000;
    m->capture_s = (double)((last_ms < we_ms ? last_ms : we_ms) - m->first_ms) / 1000;
    memcpy(m->total, total, sizeof total);
    m->tcp_streams = m->tcp_never_closed = 0;
    d->flows.capture_end_ms[j] = last_ms;
    for (size_t f = 0; f < w->flows.n; f++) {
        const cr_flow *x = &w->flows.fl[f];
        if (w->flows.machine[f] != i || x->start_ms < (t0 + ws) * 1000 || x->start_ms >= we_ms)
            continue;
        add_flows(&d->flows, x, 1, j);
        m->tcp_streams += x->proto == CR_PROTO_TCP;
        m->tcp_never_closed += x->proto == CR_PROTO_TCP && x->reason == CR_REASON_OPEN;
    }
    return end;
}

int cr_sizing_data_window(cr_sizing_data *d, int kind)
{
    if (kind == CR_SZ_WINDOW_ALL || d->nmachines == 0 ||
        (kind == CR_SZ_WINDOW_AUTO && d->longest_capture <= CR_SZ_WINDOW_AUTO_S))
        return 0;
    cr_sizing_data *w = xmalloc(sizeof *w);
    *w = *d;
    int64_t t0 = INT64_MAX;
    for (int i = 0; i < w->nmachines; i++)
        t0 = floor_s(w->m[i].first_ms) < t0 ? floor_s(w->m[i].first_ms) : t0;
    int64_t *off = xmalloc((size_t)w->nmachines * sizeof *off);
    for (int i = 0; i < w->nmachines; i++)
        off[i] = floor_s(w->m[i].first_ms) - t0;
    size_t n;
    uint64_t *x = cr_busy_minute_totals(&w->cps, off, CR_CPS_TCP_NEW, CR_CPS_UDP_NEW, &n);
    cr_busy_window b = cr_busy_window_pick(x, n, CR_BUSY_HOUR_MINUTES);
    uint64_t all = 0;
    for (size_t k = 0; k < n; k++)
        all += x[k];
    free(x);
    free(off);
    int64_t ws = (int64_t)b.start * 60, we = (int64_t)(b.start + b.minutes) * 60;
    init(d, 0);
    d->scope_firewall = w->scope_firewall;
    d->population_hosts = w->population_hosts;
    for (int i = 0; i < w->nlogs; i++) {
        d->logs = xrealloc(d->logs, ((size_t)i + 1) * sizeof *d->logs);
        d->logs[i] = w->logs[i];
        d->logs[i].path = xstrdup(w->logs[i].path);
    }
    d->nlogs = w->nlogs;
    size_t r = 0;
    for (int i = 0; i < w->nmachines; i++)
        r = add_window_machine(d, w, i, r, t0, ws, we);
    sum_machines(d);
    d->longest_capture = w->longest_capture;
    d->window = (cr_sizing_window){CR_SZ_WINDOW_BUSY_HOUR, t0 * 1000, (long)ws, (long)we,
                                   (long)b.minutes, all ? (double)b.total / (double)all : 0,
                                   w->nmachines - d->nmachines};
    d->whole = w;
    return 1;
}
