/* Inside hosts and their outbound connections. A connection is outbound when its originator is
 * inside; each inside host becomes one machine named by its address. Which addresses are
 * inside, in order of authority:
 *  1. the local networks given (--local-nets);
 *  2. Zeek's local_orig, when some record has it T (Zeek's Site::local_nets said so);
 *  3. else inferred: the originators in private ranges (RFC 1918, RFC 6598 shared space, IPv6
 *     ULA, IPv4 and IPv6 link-local) when they open at least half of all connections, as on a
 *     network behind NAT; else those plus the originators in the /16 (IPv4) or /48 (IPv6) that
 *     opens some connection and is found at either end of the most: a log taken on the inside
 *     sees the inside network in every connection, an outside host only in its own.
 * The flows table names its machines itself. */
#include "flowlog/flowlog_internal.h"

#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"

int cr_fl_private_addr(const cr_addr *a)
{
    static const cr_cidr priv[] = {
        {{4, {10}}, 8},         {{4, {172, 16}}, 12},   {{4, {192, 168}}, 16},
        {{4, {100, 64}}, 10},   {{4, {169, 254}}, 16},  {{6, {0xfc}}, 7},
        {{6, {0xfe, 0x80}}, 10}};
    for (size_t k = 0; k < sizeof priv / sizeof priv[0]; k++)
        if (cr_cidr_contains(&priv[k], 1, a))
            return 1;
    return 0;
}

enum { IN_NETS, IN_LOCAL_ORIG, IN_PRIVATE, IN_PREFIX };

#define PREFIX_BITS(family) ((family) == 4 ? 16 : 48)

typedef struct {
    int mode;
    const cr_flowlog_opts *o;
    cr_cidr prefix;
} inside_rule;

static int inside(const inside_rule *r, const cr_fl_conns *c, size_t i)
{
    const cr_addr *a = &c->f[i].src;
    switch (r->mode) {
    case IN_NETS:
        return cr_cidr_contains(r->o->local_nets, r->o->nlocal_nets, a);
    case IN_LOCAL_ORIG: return c->local_orig[i] == 1;
    case IN_PRIVATE: return cr_fl_private_addr(a);
    default: return cr_fl_private_addr(a) || cr_cidr_contains(&r->prefix, 1, a);
    }
}

/* Connections per originating address or prefix. */
typedef struct {
    cr_hmap map;
    cr_addr *keys;
    uint64_t *count;
    uint8_t *origin; /* some connection was opened from it */
    size_t n, cap;
} tally;

static size_t tally_add(tally *t, const cr_addr *a)
{
    int created;
    uint32_t *slot = cr_hmap_put(&t->map, a, &created);
    if (created) {
        size_t cap = t->cap, cap2 = t->cap;
        xgrow(&t->keys, &t->cap, t->n + 1, sizeof *t->keys);
        xgrow(&t->count, &cap, t->n + 1, sizeof *t->count);
        xgrow(&t->origin, &cap2, t->n + 1, sizeof *t->origin);
        t->keys[t->n] = *a;
        t->count[t->n] = 0;
        t->origin[t->n] = 0;
        *slot = (uint32_t)t->n++;
    }
    t->count[*slot]++;
    return *slot;
}

static void tally_free(tally *t)
{
    cr_hmap_free(&t->map);
    free(t->keys);
    free(t->count);
    free(t->origin);
}

static void choose_rule(const cr_fl_conns *c, const cr_flowlog_opts *o, inside_rule *r,
                        cr_flowlog_set *s)
{
    r->o = o;
    if (o->nlocal_nets > 0) {
        r->mode = IN_NETS;
        snprintf(s->inside, sizeof s->inside, "the %d local network%s given", o->nlocal_nets,
                 o->nlocal_nets == 1 ? "" : "s");
        return;
    }
    size_t marked = 0, total = 0;
    for (size_t i = 0; i < c->n; i++) {
        marked += c->local_orig[i] == 1;
        total += c->machine[i] < 0;
    }
    if (total == 0) { /* only flows tables, whose machines are named */
        r->mode = IN_NETS;
        snprintf(s->inside, sizeof s->inside, "the machines the flows table names");
        return;
    }
    if (marked) {
        r->mode = IN_LOCAL_ORIG;
        snprintf(s->inside, sizeof s->inside, "Zeek's local_orig (T on %zu of %zu connections)",
                 marked, total);
        return;
    }
    tally hosts = {0}, prefixes = {0};
    cr_hmap_init(&hosts.map, sizeof(cr_addr));
    cr_hmap_init(&prefixes.map, sizeof(cr_addr));
    uint64_t priv = 0;
    for (size_t i = 0; i < c->n; i++) {
        if (c->machine[i] >= 0)
            continue;
        cr_addr p = c->f[i].src, q = c->f[i].dst;
        if (cr_fl_private_addr(&p)) {
            priv++;
            tally_add(&hosts, &p);
        }
        cr_addr_mask(&p, PREFIX_BITS(p.family));
        cr_addr_mask(&q, PREFIX_BITS(q.family));
        size_t k = tally_add(&prefixes, &p);
        prefixes.origin[k] = 1;
        if (!cr_addr_equal(&p, &q))
            tally_add(&prefixes, &q);
    }
    if (priv > 0 && 2 * priv >= total) {
        r->mode = IN_PRIVATE;
        snprintf(s->inside, sizeof s->inside,
                 "originators in private ranges (%zu addresses opening %.0f%% of the "
                 "connections)", hosts.n, 100.0 * (double)priv / (double)total);
    } else {
        size_t best = prefixes.n;
        for (size_t k = 0; k < prefixes.n; k++)
            if (prefixes.origin[k] &&
                (best == prefixes.n || prefixes.count[k] > prefixes.count[best] ||
                 (prefixes.count[k] == prefixes.count[best] &&
                  cr_addr_cmp(&prefixes.keys[k], &prefixes.keys[best]) < 0)))
                best = k;
        r->mode = IN_PREFIX;
        r->prefix.net = best < prefixes.n ? prefixes.keys[best] : (cr_addr){0};
        r->prefix.bits = PREFIX_BITS(r->prefix.net.family);
        char text[CR_ADDR_STRLEN];
        cr_addr_format(&r->prefix.net, text);
        snprintf(s->inside, sizeof s->inside,
                 "originators in %s/%d, the prefix at either end of the most connections "
                 "(%.0f%%), and in private ranges", text, r->prefix.bits,
                 total ? 100.0 * (double)(best < prefixes.n ? prefixes.count[best] : 0) /
                             (double)total
                       : 0.0);
    }
    tally_free(&hosts);
    tally_free(&prefixes);
}

typedef struct {
    const char *id;
    uint32_t k;
} by_name;

static int cmp_name(const void *x, const void *y)
{
    return strcmp(((const by_name *)x)->id, ((const by_name *)y)->id);
}

static int cmp_flow_ptr(const void *x, const void *y)
{
    return cr_flow_cmp(*(const cr_flow *const *)x, *(const cr_flow *const *)y);
}

/* Reorders f and dur in place so that position j holds what was at src[j] (src a permutation
 * of 0..n-1), cycle by cycle: no second copy of the connections. */
static void gather(cr_flow *f, cr_flowlog_dur *dur, const uint32_t *src, size_t n)
{
    uint8_t *done = xcalloc(n / 8 + 1, 1);
    for (size_t j = 0; j < n; j++) {
        if (done[j / 8] >> (j % 8) & 1)
            continue;
        cr_flow tf = f[j];
        cr_flowlog_dur td = dur[j];
        size_t cur = j;
        for (;;) {
            done[cur / 8] |= (uint8_t)(1u << (cur % 8));
            size_t next = src[cur];
            if (next == j)
                break;
            f[cur] = f[next];
            dur[cur] = dur[next];
            cur = next;
        }
        f[cur] = tf;
        dur[cur] = td;
    }
    free(done);
}

void cr_fl_group(cr_fl_conns *c, const cr_flowlog_opts *o, cr_flowlog_set *s)
{
    inside_rule rule;
    choose_rule(c, o, &rule, s);
    /* host of every connection (-1: not outbound) */
    int32_t *host = xmalloc((c->n + 1) * sizeof *host);
    cr_hmap by_key;
    cr_hmap_init(&by_key, sizeof(cr_addr));
    size_t nh = 0, hcap = 0, ncap = 0;
    cr_flowlog_host *h = NULL;
    uint8_t *named = NULL; /* by the flows table: a capture's machine, observed while it was */
    for (size_t i = 0; i < c->n; i++) {
        cr_addr key = c->f[i].src;
        if (c->machine[i] >= 0) { /* the flows table's machines: a key no address has */
            memset(&key, 0, sizeof key);
            key.family = 0xff;
            memcpy(key.b, &c->machine[i], sizeof c->machine[i]);
        } else if (!inside(&rule, c, i)) {
            host[i] = -1;
            s->not_outbound++;
            continue;
        }
        int created;
        uint32_t *slot = cr_hmap_put(&by_key, &key, &created);
        if (created) {
            xgrow(&h, &hcap, nh + 1, sizeof *h);
            xgrow(&named, &ncap, nh + 1, 1);
            memset(&h[nh], 0, sizeof h[nh]);
            named[nh] = c->machine[i] >= 0;
            h[nh].first_ms = h[nh].last_ms = CR_NA_I64;
            char text[CR_ADDR_STRLEN];
            if (c->machine[i] >= 0) {
                h[nh].machine_id = xstrdup(c->machine_ids[c->machine[i]]);
            } else {
                cr_addr_format(&key, text);
                h[nh].machine_id = xstrdup(text);
            }
            *slot = (uint32_t)nh++;
        }
        host[i] = (int32_t)*slot;
        cr_flowlog_host *x = &h[*slot];
        x->nflows++;
        int64_t end = c->f[i].end_ms != CR_NA_I64 && c->f[i].end_ms > c->f[i].last_ms
                          ? c->f[i].end_ms
                          : c->f[i].last_ms;
        if (x->first_ms == CR_NA_I64 || c->f[i].start_ms < x->first_ms)
            x->first_ms = c->f[i].start_ms;
        if (x->last_ms == CR_NA_I64 || end > x->last_ms)
            x->last_ms = end;
    }
    cr_hmap_free(&by_key);

    /* the files' window and resolution, and which files each host appears in */
    int64_t first = CR_NA_I64, last = CR_NA_I64, res = 1;
    for (int k = 0; k < s->nfiles; k++) {
        const cr_flowlog_file *f = &s->files[k];
        if (!f->used)
            continue;
        if (first == CR_NA_I64 || f->first_ms < first)
            first = f->first_ms;
        if (last == CR_NA_I64 || f->last_ms > last)
            last = f->last_ms;
        if (f->resolution_ms > res)
            res = f->resolution_ms;
    }
    int *seen_in = xmalloc((nh + 1) * sizeof *seen_in);
    uint8_t *keep = xmalloc(nh + 1);
    for (size_t k = 0; k < nh; k++) {
        seen_in[k] = -1;
        keep[k] = h[k].nflows >= o->min_flows;
    }
    size_t i = 0;
    for (int k = 0; k < c->nfiles; k++)
        for (; i < c->file_end[k]; i++)
            if (host[i] >= 0 && seen_in[host[i]] != k) {
                seen_in[host[i]] = k;
                s->files[k].hosts++;
                s->files[k].dropped_hosts += !keep[host[i]];
            }

    /* kept hosts by machine_id, their connections one after the other in that order */
    by_name *names = xmalloc((nh + 1) * sizeof *names);
    size_t nkept = 0, m = 0;
    for (size_t k = 0; k < nh; k++) {
        if (keep[k]) {
            names[nkept++] = (by_name){h[k].machine_id, (uint32_t)k};
        } else {
            s->dropped_hosts++;
            s->dropped_flows += h[k].nflows;
        }
    }
    qsort(names, nkept, sizeof *names, cmp_name);
    size_t *offset = xmalloc((nh + 1) * sizeof *offset), *fill = xmalloc((nh + 1) * sizeof *fill);
    for (size_t r = 0; r < nkept; r++) {
        offset[names[r].k] = fill[names[r].k] = m;
        m += h[names[r].k].nflows;
    }
    const cr_flow **order = xmalloc((m + 1) * sizeof *order);
    for (i = 0; i < c->n; i++)
        if (host[i] >= 0 && keep[host[i]])
            order[fill[host[i]]++] = &c->f[i];
    for (size_t r = 0; r < nkept; r++)
        qsort(order + offset[names[r].k], h[names[r].k].nflows, sizeof *order, cmp_flow_ptr);
    /* the rest of the permutation: what is dropped, in any order, after what is kept */
    uint32_t *src = xmalloc((c->n + 1) * sizeof *src);
    uint8_t *used = xcalloc(c->n + 1, 1);
    for (size_t j = 0; j < m; j++) {
        src[j] = (uint32_t)(order[j] - c->f);
        used[src[j]] = 1;
    }
    free(order);
    for (size_t j = m, k = 0; j < c->n; j++) {
        while (used[k])
            k++;
        src[j] = (uint32_t)k++;
    }
    free(used);
    gather(c->f, c->dur, src, c->n);
    free(src);
    s->flow_store = xrealloc(c->f, (m + 1) * sizeof *c->f);
    s->dur_store = xrealloc(c->dur, (m + 1) * sizeof *c->dur);
    c->f = NULL;
    c->dur = NULL;

    cr_flowlog_host *kept = xmalloc((nkept + 1) * sizeof *kept);
    for (size_t r = 0; r < nkept; r++) {
        cr_flowlog_host x = h[names[r].k];
        x.flows = s->flow_store + offset[names[r].k];
        x.dur = s->dur_store + offset[names[r].k];
        if (!named[names[r].k]) {
            x.first_ms = first;
            x.last_ms = last;
        }
        x.resolution_ms = res;
        kept[r] = x;
    }
    for (size_t k = 0; k < nh; k++)
        if (!keep[k])
            free(h[k].machine_id);
    s->hosts = kept;
    s->nhosts = nkept;
    free(h);
    free(named);
    free(names);
    free(offset);
    free(fill);
    free(host);
    free(seen_in);
    free(keep);
}
