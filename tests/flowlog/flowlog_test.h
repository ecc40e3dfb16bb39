/* Helpers the flow log tests share: files written to the test's temporary directory, the
 * shared sample files, reading with every address inside (so every connection is counted),
 * counts over the result, and numbers computed by awk/grep from the same files. Header-only:
 * each test binary is built from a single test_*.c. */
#ifndef CR_FLOWLOG_TEST_H
#define CR_FLOWLOG_TEST_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flowlog/flowlog.h"
#include "flows/load.h"
#include "ingest/inputs.h"
#include "ingest/packet.h"
#include "test.h"

/* Writes text to name in the test's temporary directory; returns the path. */
static inline const char *fl_write(const char *name, const char *text)
{
    static char path[8][512];
    static int k;
    char *p = path[k++ % 8];
    snprintf(p, 512, "%s/%s", cr_test_tmpdir(), name);
    FILE *f = fopen(p, "wb");
    if (f) {
        fputs(text, f);
        fclose(f);
    }
    return p;
}

/* ../shared/flowlogs/rel, or NULL when ../shared is absent. */
static inline const char *fl_sample(const char *rel)
{
    static char path[8][1024];
    static int k;
    const char *shared = cr_test_shared();
    if (!shared)
        return NULL;
    char *p = path[k++ % 8];
    snprintf(p, 1024, "%s/flowlogs/%s", shared, rel);
    return p;
}

/* Reads one file; all: every originator inside (0.0.0.0/0 and ::/0). */
static inline int fl_read(const char *path, int all, cr_flowlog_set *s, cr_err *e)
{
    static const cr_cidr everything[2] = {{{4, {0}}, 0}, {{6, {0}}, 0}};
    cr_flowlog_opts o;
    cr_flowlog_opts_init(&o);
    if (all) {
        o.local_nets = everything;
        o.nlocal_nets = 2;
    }
    return cr_flowlog_read(&path, 1, &o, s, e);
}

typedef struct {
    size_t flows, tcp, udp, open, fin, rst, ended, udp_last, v6;
} fl_counts;

static inline fl_counts fl_count(const cr_flowlog_set *s)
{
    fl_counts c = {0};
    for (size_t h = 0; h < s->nhosts; h++)
        for (size_t i = 0; i < s->hosts[h].nflows; i++) {
            const cr_flow *f = &s->hosts[h].flows[i];
            c.flows++;
            c.tcp += f->proto == CR_PROTO_TCP;
            c.udp += f->proto == CR_PROTO_UDP;
            c.open += f->reason == CR_REASON_OPEN;
            c.fin += f->reason == CR_REASON_FIN;
            c.rst += f->reason == CR_REASON_RST;
            c.ended += f->reason == CR_REASON_ENDED;
            c.udp_last += f->reason == CR_REASON_UDP_LAST;
            c.v6 += f->ipver == 6;
        }
    return c;
}

static inline const cr_flowlog_skip *fl_skip(const cr_flowlog_file *f, const char *why)
{
    for (int k = 0; k < f->nskips; k++)
        if (!strcmp(f->skips[k].why, why))
            return &f->skips[k];
    return NULL;
}

static inline uint64_t fl_skipped(const cr_flowlog_file *f, const char *why)
{
    const cr_flowlog_skip *s = fl_skip(f, why);
    return s ? s->n : 0;
}

/* The warning line of a reason, as cr_flowlog_describe prints it. */
static inline const char *fl_warning(const cr_flowlog_file *f, const char *why)
{
    static char line[1024];
    const cr_flowlog_skip *s = fl_skip(f, why);
    if (!s)
        return "(no such reason)";
    cr_flowlog_skip_format(f, s, line, sizeof line);
    return line;
}

/* "path:text", what a warning of the file read as path says (a static buffer). */
static inline const char *fl_at(const char *path, const char *text)
{
    static char line[1024];
    snprintf(line, sizeof line, "%s:%s", path, text);
    return line;
}

/* The warning of f for why reads "path:text". A macro, so a failure names the test's line. */
#define FL_WARN(f, path, why, text) CHECK_STR(fl_warning(f, why), fl_at(path, text))

/* The host named id, or NULL. */
static inline const cr_flowlog_host *fl_host(const cr_flowlog_set *s, const char *id)
{
    for (size_t h = 0; h < s->nhosts; h++)
        if (!strcmp(s->hosts[h].machine_id, id))
            return &s->hosts[h];
    return NULL;
}

/* One capture read by the packet path (lib/flows), its local address inferred as connrate
 * does; *flows its outbound connections (cr_machine_flows). */
typedef struct {
    cr_inputs in;
    cr_machine *m;
    cr_flow *flows;
    size_t n;
} fl_capture;

static inline int fl_capture_load(fl_capture *c, const char *path, cr_err *e)
{
    char *paths[1] = {(char *)path};
    memset(c, 0, sizeof *c);
    if (cr_inputs_collect(&c->in, paths, 1, e) != 0)
        return -1;
    cr_load_options lo = {.threads = 1};
    if (cr_machines_load(&c->in, &lo, &c->m, e) != 0) {
        cr_inputs_free(&c->in);
        return -1;
    }
    c->n = cr_machine_flows(&c->m[0], &c->flows);
    return 0;
}

static inline void fl_capture_free(fl_capture *c)
{
    free(c->flows);
    cr_machines_free(c->m, c->in.n);
    cr_inputs_free(&c->in);
}

static inline int fl_flow_equal(const cr_flow *a, const cr_flow *b)
{
    return a->proto == b->proto && a->ipver == b->ipver && cr_addr_equal(&a->src, &b->src) &&
           cr_addr_equal(&a->dst, &b->dst) && a->sport == b->sport && a->dport == b->dport &&
           a->start_ms == b->start_ms && a->end_ms == b->end_ms && a->last_ms == b->last_ms &&
           a->reason == b->reason && a->packets == b->packets;
}

/* The flow of s matching f's 5-tuple (same direction), or NULL. */
static inline const cr_flow *fl_find(const cr_flow *fl, size_t n, const cr_flow *f)
{
    for (size_t i = 0; i < n; i++)
        if (fl[i].proto == f->proto && fl[i].sport == f->sport && fl[i].dport == f->dport &&
            cr_addr_equal(&fl[i].src, &f->src) && cr_addr_equal(&fl[i].dst, &f->dst))
            return &fl[i];
    return NULL;
}

#endif
