/* Records to connections. Whole connections (Zeek, firewalls, the flows table) are taken as
 * they are; one-way records (NetFlow) and pieces (argus status records, active timeouts) are
 * joined by the rules named in flowlog.h, in start order, per unordered 5-tuple: the latest
 * connection of a 5-tuple takes a record when the record overlaps it (the bidirectional join)
 * or follows it closely enough (the active-timeout join); otherwise the record opens a new
 * connection. */
#include "flowlog/flowlog_internal.h"

#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"

void cr_fl_conns_init(cr_fl_conns *c) { memset(c, 0, sizeof *c); }

void cr_fl_conns_free(cr_fl_conns *c)
{
    free(c->f);
    free(c->dur);
    free(c->local_orig);
    free(c->machine);
    for (size_t i = 0; i < c->nmachine_ids; i++)
        free(c->machine_ids[i]);
    free(c->machine_ids);
    free(c->file_end);
    memset(c, 0, sizeof *c);
}

static int32_t machine_index(cr_fl_conns *c, const char *id)
{
    for (size_t k = c->nmachine_ids; k-- > 0;)
        if (!strcmp(c->machine_ids[k], id))
            return (int32_t)k;
    xgrow(&c->machine_ids, &c->machine_cap, c->nmachine_ids + 1, sizeof *c->machine_ids);
    c->machine_ids[c->nmachine_ids] = xstrdup(id);
    return (int32_t)c->nmachine_ids++;
}

static void push(cr_fl_conns *c, const cr_flow *f, cr_flowlog_dur d, int8_t local_orig,
                 int32_t machine)
{
    if (c->n == c->cap) {
        size_t cap = c->cap, c2 = cap, c3 = cap;
        xgrow(&c->f, &c->cap, c->n + 1, sizeof *c->f);
        xgrow(&c->dur, &cap, c->n + 1, sizeof *c->dur);
        xgrow(&c->local_orig, &c2, c->n + 1, sizeof *c->local_orig);
        xgrow(&c->machine, &c3, c->n + 1, sizeof *c->machine);
    }
    c->f[c->n] = *f;
    c->dur[c->n] = d;
    c->local_orig[c->n] = local_orig;
    c->machine[c->n] = machine;
    c->n++;
}

int cr_fl_builder_add(void *builder, const cr_flowlog_rec *r, cr_err *e)
{
    cr_fl_builder *b = builder;
    if (b->hosts) {
        if (!cr_fl_hsample_keep(b->hosts, r))
            return 0;
        cr_fl_hsample_compact(b->hosts, b->out, b, 0);
    }
    if (r->kind == CR_FLOWLOG_WHOLE) {
        int32_t m = r->machine_id ? machine_index(b->out, r->machine_id) : -1;
        push(b->out, &r->f, r->dur, r->local_orig, m);
        b->sum->connections++;
        b->sum->open_at_end += r->f.reason == CR_REASON_OPEN;
        return 0;
    }
    xgrow(&b->pending, &b->pending_cap, b->npending + 1, sizeof *b->pending);
    b->pending[b->npending] = *r;
    b->pending[b->npending++].machine_id = NULL;
    return 0;
}

/* A connection being joined: side 0 is the direction of its first record (a -> b). */
typedef struct {
    cr_addr a, b;
    uint16_t pa, pb;
    uint8_t proto, bidir;
    int64_t first[2], last[2]; /* CR_NA_I64: no record of that side */
    uint8_t flags[2];
    uint64_t packets;
    uint32_t nrec;
    cr_flowlog_dur dur1;       /* of its first record, the connection's when it stays alone */
} jconn;

#define KEY_LEN 38

/* The unordered 5-tuple: the lower (address, port) first. */
static void make_key(const cr_flow *f, uint8_t key[KEY_LEN])
{
    int c = cr_addr_cmp(&f->src, &f->dst);
    int swap = c > 0 || (c == 0 && f->sport > f->dport);
    const cr_addr *x = swap ? &f->dst : &f->src, *y = swap ? &f->src : &f->dst;
    uint16_t px = swap ? f->dport : f->sport, py = swap ? f->sport : f->dport;
    key[0] = f->proto;
    key[1] = f->ipver;
    memcpy(key + 2, x->b, 16);
    memcpy(key + 18, y->b, 16);
    memcpy(key + 34, &px, 2);
    memcpy(key + 36, &py, 2);
}

static int64_t last_of(const jconn *j)
{
    return j->last[1] != CR_NA_I64 && j->last[1] > j->last[0] ? j->last[1] : j->last[0];
}

static int joins(const jconn *j, const cr_flowlog_rec *r, int64_t gap_ms)
{
    int64_t last = last_of(j);
    if (r->f.start_ms <= last)
        return 1;
    int64_t gap = r->f.start_ms - last;
    if (j->proto == CR_PROTO_UDP)
        return gap <= gap_ms;
    int closed = ((j->flags[0] | j->flags[1]) & (CR_TH_FIN | CR_TH_RST)) != 0;
    if (r->syn == 0 && !closed)
        return 1;
    return gap <= gap_ms && !(r->syn == 1 && closed);
}

static void take(jconn *j, int side, const cr_flowlog_rec *r)
{
    if (j->first[side] == CR_NA_I64 || r->f.start_ms < j->first[side])
        j->first[side] = r->f.start_ms;
    if (j->last[side] == CR_NA_I64 || r->f.last_ms > j->last[side])
        j->last[side] = r->f.last_ms;
    j->flags[side] |= r->tcp_flags;
    j->packets += r->f.packets;
    j->bidir |= r->kind == CR_FLOWLOG_PIECE;
    j->nrec++;
}

static int by_start(const void *x, const void *y)
{
    const cr_flowlog_rec *a = x, *b = y;
    if (a->f.start_ms != b->f.start_ms)
        return a->f.start_ms < b->f.start_ms ? -1 : 1;
    return (a->line > b->line) - (a->line < b->line);
}

/* The originator rule (flowlog.h); *rule gets which part of it decided. */
static int originator(const jconn *j, int *rule)
{
    *rule = 0;
    if (j->bidir || j->first[1] == CR_NA_I64)
        return 0;
    int s0 = (j->flags[0] & CR_TH_SYN) != 0, s1 = (j->flags[1] & CR_TH_SYN) != 0;
    *rule = 1;
    if (j->proto == CR_PROTO_TCP && s0 != s1)
        return s1;
    *rule = 2;
    if (j->first[0] != j->first[1])
        return j->first[1] < j->first[0];
    *rule = 3;
    return j->pb > j->pa;
}

static void finish_one(cr_fl_builder *b, const jconn *j)
{
    int rule, o = originator(j, &rule);
    if (rule)
        b->sum->orig_rule[rule - 1]++;
    cr_flow f = {.proto = j->proto, .ipver = j->a.family, .packets = j->packets};
    f.src = o ? j->b : j->a;
    f.dst = o ? j->a : j->b;
    f.sport = o ? j->pb : j->pa;
    f.dport = o ? j->pa : j->pb;
    int64_t last = last_of(j), first = j->first[0];
    if (j->first[1] != CR_NA_I64 && j->first[1] < first)
        first = j->first[1];
    int64_t span;
    if (j->proto == CR_PROTO_UDP) {
        f.start_ms = j->first[o];
        f.end_ms = j->last[o];
        f.last_ms = last;
        f.reason = CR_REASON_UDP_LAST;
        span = last - f.start_ms;
    } else {
        uint8_t fl = j->flags[0] | j->flags[1];
        f.start_ms = first;
        f.last_ms = last;
        /* the flags do not say which came first: a reset after a FIN is the common order */
        f.reason = fl & CR_TH_FIN ? CR_REASON_FIN : fl & CR_TH_RST ? CR_REASON_RST
                                                                   : CR_REASON_OPEN;
        f.end_ms = f.reason == CR_REASON_OPEN ? CR_NA_I64 : last;
        span = last - first;
    }
    cr_flowlog_dur d = j->nrec == 1 ? j->dur1 : cr_fl_dur(span, b->sum->resolution_ms);
    if (f.reason == CR_REASON_OPEN)
        d.hi_ms = CR_NA_I64;
    push(b->out, &f, d, -1, -1);
    b->sum->connections++;
    b->sum->open_at_end += f.reason == CR_REASON_OPEN;
}

void cr_fl_builder_finish(cr_fl_builder *b)
{
    if (b->npending)
        qsort(b->pending, b->npending, sizeof *b->pending, by_start);
    jconn *js = NULL;
    size_t nj = 0, cap = 0;
    cr_hmap latest;
    cr_hmap_init(&latest, KEY_LEN);
    for (size_t i = 0; i < b->npending; i++) {
        const cr_flowlog_rec *r = &b->pending[i];
        uint8_t key[KEY_LEN];
        make_key(&r->f, key);
        int created;
        uint32_t *slot = cr_hmap_put(&latest, key, &created);
        if (!created) {
            jconn *j = &js[*slot];
            int side = !(cr_addr_equal(&r->f.src, &j->a) && r->f.sport == j->pa);
            if (joins(j, r, b->join_gap_ms)) {
                if (j->first[side] == CR_NA_I64)
                    b->sum->joined_reply++;
                else
                    b->sum->joined_continued++;
                take(j, side, r);
                continue;
            }
        }
        xgrow(&js, &cap, nj + 1, sizeof *js);
        jconn *j = &js[nj];
        *j = (jconn){.a = r->f.src, .b = r->f.dst, .pa = r->f.sport, .pb = r->f.dport,
                     .proto = r->f.proto, .first = {CR_NA_I64, CR_NA_I64},
                     .last = {CR_NA_I64, CR_NA_I64}, .dur1 = r->dur};
        take(j, 0, r);
        *slot = (uint32_t)nj++;
    }
    for (size_t i = 0; i < nj; i++)
        finish_one(b, &js[i]);
    cr_hmap_free(&latest);
    free(js);
    free(b->pending);
    b->pending = NULL;
    b->npending = b->pending_cap = 0;
}
