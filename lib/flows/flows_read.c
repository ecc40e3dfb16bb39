#include "flows/flows_read.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/csv.h"
#include "common/xalloc.h"
#include "ingest/packet.h"

enum { C_MACHINE, C_PROTO, C_IPVER, C_SRC, C_SPORT, C_DST, C_DPORT, C_START, C_END, C_LAST,
       C_REASON, C_PACKETS, NCOLS };

static const char HEADER[] = "machine_id,protocol,ip_version,src_ip,src_port,dst_ip,dst_port,"
                             "start_ms,end_ms,last_ms,end_reason,packets";
static const char *const col_names[NCOLS] = {
    "machine_id", "protocol", "ip_version", "src_ip", "src_port", "dst_ip", "dst_port",
    "start_ms", "end_ms", "last_ms", "end_reason", "packets"};

typedef struct {
    const char *path;
    size_t line;
    cr_err *e;
} ctx;

static int bad(const ctx *c, int col, const char *v, const char *want)
{
    return cr_fail(c->e, "%s:%zu: %s '%s' is not %s", c->path, c->line, col_names[col], v, want);
}

/* Unsigned decimal digits only (no sign, blanks or hex) up to max. */
static int parse_u64(const char *s, uint64_t max, uint64_t *out)
{
    if (!*s || strspn(s, "0123456789") != strlen(s))
        return -1;
    errno = 0;
    unsigned long long v = strtoull(s, NULL, 10);
    if (errno || v > max)
        return -1;
    *out = v;
    return 0;
}

static int parse_ms(const ctx *c, int col, const char *s, int64_t *out)
{
    uint64_t v;
    if (parse_u64(s, INT64_MAX, &v) < 0)
        return bad(c, col, s, "a time in ms (non-negative integer)");
    *out = (int64_t)v;
    return 0;
}

static int parse_port(const ctx *c, int col, const char *s, uint16_t *out)
{
    uint64_t v;
    if (parse_u64(s, 65535, &v) < 0)
        return bad(c, col, s, "a port (0..65535)");
    *out = (uint16_t)v;
    return 0;
}

static int parse_addr(const ctx *c, int col, const char *s, uint8_t ipver, cr_addr *a)
{
    if (cr_addr_parse(s, strlen(s), a) < 0)
        return bad(c, col, s, "an IP address");
    if (a->family != ipver)
        return cr_fail(c->e, "%s:%zu: %s '%s' is not IPv%d as ip_version says", c->path,
                       c->line, col_names[col], s, ipver);
    return 0;
}

static int machine_index(cr_flow_table *t, const char *id)
{
    for (int k = t->nmachines - 1; k >= 0; k--)
        if (!strcmp(t->machine_ids[k], id))
            return k;
    size_t cap = (size_t)t->nmachines;
    xgrow(&t->machine_ids, &cap, (size_t)t->nmachines + 1, sizeof(char *));
    cap = (size_t)t->nmachines;
    xgrow(&t->last_seen_ms, &cap, (size_t)t->nmachines + 1, sizeof(int64_t));
    t->machine_ids[t->nmachines] = xstrdup(id);
    t->last_seen_ms[t->nmachines] = INT64_MIN;
    return t->nmachines++;
}

int cr_flows_is_header(const cr_csv_field *f, int n)
{
    if (n != NCOLS)
        return 0;
    for (int k = 0; k < NCOLS; k++)
        if (strcmp(f[k].s, col_names[k]))
            return 0;
    return 1;
}

int cr_flows_parse_row(const cr_csv_field *fields, int n, const char *path, size_t line,
                       cr_flow *fl, cr_err *e)
{
    const ctx cx = {path, line, e}, *c = &cx;
    if (n != NCOLS)
        return cr_fail(e, "%s:%zu: %d fields, expected %d", path, line, n, NCOLS);
    const char *f[NCOLS];
    for (int k = 0; k < NCOLS; k++)
        f[k] = fields[k].s;
    memset(fl, 0, sizeof *fl);
    if (!*f[C_MACHINE])
        return cr_fail(c->e, "%s:%zu: empty machine_id", c->path, c->line);
    if (!strcmp(f[C_PROTO], "tcp"))
        fl->proto = CR_PROTO_TCP;
    else if (!strcmp(f[C_PROTO], "udp"))
        fl->proto = CR_PROTO_UDP;
    else
        return bad(c, C_PROTO, f[C_PROTO], "tcp or udp");
    if (strcmp(f[C_IPVER], "4") && strcmp(f[C_IPVER], "6"))
        return bad(c, C_IPVER, f[C_IPVER], "4 or 6");
    fl->ipver = (uint8_t)(f[C_IPVER][0] - '0');
    uint64_t packets;
    if (parse_addr(c, C_SRC, f[C_SRC], fl->ipver, &fl->src) < 0 ||
        parse_port(c, C_SPORT, f[C_SPORT], &fl->sport) < 0 ||
        parse_addr(c, C_DST, f[C_DST], fl->ipver, &fl->dst) < 0 ||
        parse_port(c, C_DPORT, f[C_DPORT], &fl->dport) < 0 ||
        parse_ms(c, C_START, f[C_START], &fl->start_ms) < 0 ||
        parse_ms(c, C_LAST, f[C_LAST], &fl->last_ms) < 0)
        return -1;
    if (parse_u64(f[C_PACKETS], UINT64_MAX, &packets) < 0 || packets == 0)
        return bad(c, C_PACKETS, f[C_PACKETS], "a packet count >= 1");
    fl->packets = packets;

    static const struct {
        const char *name;
        uint8_t reason, proto;
    } reasons[] = {{"fin", CR_REASON_FIN, CR_PROTO_TCP},
                   {"rst", CR_REASON_RST, CR_PROTO_TCP},
                   {"open", CR_REASON_OPEN, CR_PROTO_TCP},
                   {"ended", CR_REASON_ENDED, CR_PROTO_TCP},
                   {"udp_last", CR_REASON_UDP_LAST, CR_PROTO_UDP}};
    for (size_t i = 0; i < sizeof reasons / sizeof reasons[0]; i++)
        if (!strcmp(f[C_REASON], reasons[i].name) && fl->proto == reasons[i].proto)
            fl->reason = reasons[i].reason;
    if (!fl->reason)
        return bad(c, C_REASON, f[C_REASON],
                   fl->proto == CR_PROTO_TCP ? "fin, rst or open (tcp) or ended"
                                             : "udp_last (udp)");

    fl->end_ms = CR_NA_I64;
    if (fl->reason == CR_REASON_OPEN) {
        if (*f[C_END])
            return cr_fail(c->e, "%s:%zu: end_ms '%s' given for an open connection", c->path,
                           c->line, f[C_END]);
    } else if (parse_ms(c, C_END, f[C_END], &fl->end_ms) < 0) {
        return -1;
    }
    if (fl->last_ms < fl->start_ms || (fl->end_ms != CR_NA_I64 && fl->end_ms < fl->start_ms))
        return cr_fail(c->e, "%s:%zu: connection ends before start_ms %" PRId64, c->path,
                       c->line, fl->start_ms);
    if (fl->proto == CR_PROTO_UDP && fl->end_ms > fl->last_ms)
        return cr_fail(c->e, "%s:%zu: udp end_ms %" PRId64 " after last_ms %" PRId64, c->path,
                       c->line, fl->end_ms, fl->last_ms);
    return 0;
}

static int read_rows(cr_flow_table *t, cr_csv *in, const char *path, cr_err *e)
{
    size_t cap = 0, mcap = 0;
    cr_csv_field *f;
    int n, rc = 0, header = 0;
    while ((n = cr_csv_next(in, &f, e)) > 0) {
        size_t line = cr_csv_line(in);
        if (!header) {
            header = 1;
            if (!cr_flows_is_header(f, n)) {
                rc = cr_fail(e, "%s:1: not a flows table (header must be %s)", path, HEADER);
                break;
            }
            continue;
        }
        if (n == 1 && f[0].len == 0)
            continue;
        xgrow(&t->flows, &cap, t->n + 1, sizeof *t->flows);
        if ((rc = cr_flows_parse_row(f, n, path, line, &t->flows[t->n], e)) < 0)
            break;
        xgrow(&t->machine, &mcap, t->n + 1, sizeof *t->machine);
        int k = machine_index(t, f[C_MACHINE].s);
        const cr_flow *fl = &t->flows[t->n];
        int64_t seen = fl->end_ms != CR_NA_I64 && fl->end_ms > fl->last_ms ? fl->end_ms
                                                                           : fl->last_ms;
        if (seen > t->last_seen_ms[k])
            t->last_seen_ms[k] = seen;
        t->machine[t->n++] = k;
    }
    if (n < 0)
        rc = -1;
    if (rc == 0 && !header)
        rc = cr_fail(e, "%s: empty file", path);
    return rc;
}

int cr_flows_read(cr_flow_table *t, const char *path, cr_err *e)
{
    memset(t, 0, sizeof *t);
    /* opened once by hand for the message this reader has always given a missing file */
    FILE *probe = fopen(path, "r");
    if (!probe)
        return cr_fail(e, "%s: %s", path, strerror(errno));
    fclose(probe);
    cr_csv *in;
    if (cr_csv_open(&in, path, ',', CR_CSV_PLAIN, e) != 0)
        return -1;
    int rc = read_rows(t, in, path, e);
    cr_csv_close(in);
    if (rc < 0)
        cr_flow_table_free(t);
    return rc;
}

void cr_flow_table_free(cr_flow_table *t)
{
    for (int k = 0; k < t->nmachines; k++)
        free(t->machine_ids[k]);
    free(t->machine_ids);
    free(t->last_seen_ms);
    free(t->flows);
    free(t->machine);
    memset(t, 0, sizeof *t);
}
