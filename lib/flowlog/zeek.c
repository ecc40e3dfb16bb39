/* Zeek conn.log, TSV (any field order and extra fields, by its #fields header) and JSON lines.
 * Zeek writes a connection's line when it leaves Zeek's state: at its close, after an
 * inactivity timeout, or when the capture ends; ts is its first packet and duration reaches its
 * last (Zeek leaves duration unset when that is 0: a single packet). conn_state says how it
 * ended: SF, S2, S3, SH and SHR saw a FIN; REJ and RST* a reset; S0, S1 and OTH no close, so
 * they are open as the packet path calls a stream without FIN or RST. */
#include "flowlog/flowlog_internal.h"

#include <stdlib.h>
#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"

enum { Z_TS, Z_ORIG_H, Z_ORIG_P, Z_RESP_H, Z_RESP_P, Z_PROTO, Z_DURATION, Z_STATE,
       Z_LOCAL_ORIG, Z_ORIG_PKTS, Z_RESP_PKTS, Z_N };
#define Z_REQUIRED (Z_PROTO + 1)

static const char *const znames[Z_N] = {"ts", "id.orig_h", "id.orig_p", "id.resp_h",
                                        "id.resp_p", "proto", "duration", "conn_state",
                                        "local_orig", "orig_pkts", "resp_pkts"};

static int64_t floordiv(int64_t a, int64_t b) { return a / b - (a % b < 0); }

/* Epoch seconds (Zeek's default) or ISO 8601 (its JSON::TS_ISO8601) to ns. */
static int zeek_time(const char *s, int64_t *ns, int64_t *res)
{
    size_t len = strlen(s);
    if (cr_fl_decimal(s, len, 9, ns) == 0) {
        *res = cr_fl_decimal_res(s);
        return *ns <= INT64_MAX / 2 ? 0 : -1; /* leaves room for the duration */
    }
    int64_t ms;
    int r;
    if (cr_fl_datetime(s, len, &ms, &r) < 0 || ms > INT64_MAX / 2 / 1000000)
        return -1;
    *ns = ms * 1000000;
    *res = r;
    return 0;
}

static uint8_t tcp_reason(const char *state)
{
    static const char *const fin[] = {"SF", "S2", "S3", "SH", "SHR"};
    if (!state)
        return CR_REASON_OPEN;
    for (size_t k = 0; k < sizeof fin / sizeof fin[0]; k++)
        if (!strcmp(state, fin[k]))
            return CR_REASON_FIN;
    if (!strcmp(state, "REJ") || !strncmp(state, "RST", 3))
        return CR_REASON_RST;
    return CR_REASON_OPEN;
}

static int zeek_record(cr_fl_in *in, const char *const v[Z_N])
{
    uint8_t proto = v[Z_PROTO] ? cr_fl_proto(v[Z_PROTO]) : 0;
    if (!proto)
        return cr_fl_skip(in, "not TCP or UDP", 0, "proto '%.20s'",
                          v[Z_PROTO] ? v[Z_PROTO] : "-");
    for (int k = 0; k < Z_REQUIRED; k++)
        if (!v[k])
            return cr_fl_skip(in, "missing field", 1, "%s unset", znames[k]);
    cr_flowlog_rec r = {.kind = CR_FLOWLOG_WHOLE, .syn = -1, .local_orig = -1};
    r.f.proto = proto;
    int64_t ts, res, dur = 0, dres = 1;
    if (zeek_time(v[Z_TS], &ts, &res) < 0)
        return cr_fl_skip(in, "unparsable time", 1, "ts '%.40s' is not a time", v[Z_TS]);
    if (cr_fl_endpoints(in, &r, v[Z_ORIG_H], v[Z_ORIG_P], v[Z_RESP_H], v[Z_RESP_P]) < 0)
        return 0;
    if (v[Z_DURATION]) {
        if (cr_fl_decimal(v[Z_DURATION], strlen(v[Z_DURATION]), 9, &dur) < 0 ||
            dur / 1000000 > CR_FL_MAX_DUR_MS)
            return cr_fl_skip(in, "unparsable duration", 1, "duration '%.40s' is not seconds",
                              v[Z_DURATION]);
        dres = cr_fl_decimal_res(v[Z_DURATION]);
    }
    r.f.start_ms = floordiv(ts, 1000000);
    r.f.last_ms = floordiv(ts + dur, 1000000);
    r.dur = cr_fl_dur(dur / 1000000, dres);
    r.f.reason = proto == CR_PROTO_UDP ? CR_REASON_UDP_LAST : tcp_reason(v[Z_STATE]);
    r.f.end_ms = r.f.reason == CR_REASON_OPEN ? CR_NA_I64 : r.f.last_ms;
    if (r.f.reason == CR_REASON_OPEN)
        r.dur.hi_ms = CR_NA_I64;
    uint64_t po, pr;
    if (v[Z_ORIG_PKTS] && v[Z_RESP_PKTS] && cr_fl_count(v[Z_ORIG_PKTS], &po) == 0 &&
        cr_fl_count(v[Z_RESP_PKTS], &pr) == 0)
        r.f.packets = po + pr;
    if (v[Z_LOCAL_ORIG])
        r.local_orig = !strcmp(v[Z_LOCAL_ORIG], "T") || !strcmp(v[Z_LOCAL_ORIG], "true") ? 1
                       : !strcmp(v[Z_LOCAL_ORIG], "F") || !strcmp(v[Z_LOCAL_ORIG], "false") ? 0
                                                                                          : -1;
    return cr_fl_emit(in, &r, res);
}

int cr_fl_zeek_json_record(cr_fl_in *in, const cr_fl_json *j)
{
    const char *v[Z_N];
    for (int k = 0; k < Z_N; k++) {
        const cr_fl_jfield *f = cr_fl_json_get(j, znames[k]);
        v[k] = !f || f->type == CR_JSON_NULL || f->type == CR_JSON_NESTED ? NULL
               : f->type == CR_JSON_TRUE                                 ? "T"
               : f->type == CR_JSON_FALSE                                ? "F"
                                                                         : f->val;
    }
    return zeek_record(in, v);
}

typedef struct {
    int col[Z_N];
    int ncols;             /* 0 until #fields */
    char unset[64], empty[64];
    char *fields;          /* the first #fields line, to tell a changed header */
} tsv_header;

/* A '#' line: the header directives; returns 1 when it was one, -1 on a fatal header. */
static int directive(cr_fl_in *in, tsv_header *h, const cr_csv_field *f, int n)
{
    const char *d = f[0].s;
    if (!strncmp(d, "#separator", 10)) {
        const char *sep = d + 10 + strspn(d + 10, " ");
        if (n != 1 || strcmp(sep, "\\x09"))
            return cr_fail(in->e, "%s:%zu: Zeek separator '%.20s' is not supported (only the "
                                  "default tab, \\x09)", in->path, in->line, n == 1 ? sep : "\t");
        return 1;
    }
    if (n >= 2 && !strcmp(d, "#unset_field"))
        snprintf(h->unset, sizeof h->unset, "%s", f[1].s);
    else if (n >= 2 && !strcmp(d, "#empty_field"))
        snprintf(h->empty, sizeof h->empty, "%s", f[1].s);
    else if (n >= 2 && !strcmp(d, "#path") && strcmp(f[1].s, "conn"))
        return cr_fail(in->e, "%s:%zu: a Zeek %.40s log, not a conn.log", in->path, in->line,
                       f[1].s);
    if (strcmp(d, "#fields"))
        return 1;
    size_t len;
    const char *names = cr_fl_join_fields(in, f + 1, n - 1, '\t', &len);
    if (!h->fields) {
        h->fields = xstrdup(names);
    } else if (strcmp(h->fields, names)) {
        cr_fl_skip(in, "header changed mid-file", 1,
                   "#fields differs from the first header; the rows below are read by it");
        free(h->fields);
        h->fields = xstrdup(names);
    }
    for (int k = 0; k < Z_N; k++) {
        h->col[k] = -1;
        for (int i = 1; i < n; i++)
            if (!strcmp(f[i].s, znames[k]))
                h->col[k] = i - 1;
        if (k < Z_REQUIRED && h->col[k] < 0)
            return cr_fail(in->e, "%s:%zu: #fields has no %s: not a Zeek conn.log", in->path,
                           in->line, znames[k]);
    }
    h->ncols = n - 1;
    return 1;
}

int cr_fl_read_zeek_tsv(cr_fl_in *in)
{
    tsv_header h = {.unset = "-", .empty = "(empty)"};
    cr_csv_field *f;
    int n = 0, rc = 0;
    while (rc == 0 && (n = cr_fl_next_row(in, &f)) > 0) {
        if (f[0].s[0] == '#') {
            rc = directive(in, &h, f, n) < 0 ? -1 : 0;
            continue;
        }
        in->sum->records++;
        if (h.ncols == 0 || n != h.ncols) {
            size_t len;
            const char *text = cr_fl_join_fields(in, f, n, '\t', &len);
            if ((rc = cr_fl_check_mixed(in, text, len)) < 0)
                break;
            if (h.ncols == 0)
                cr_fl_skip(in, "no header", 1, "a row before the #fields header");
            else
                cr_fl_skip(in, "wrong field count", 1, "%d fields, #fields names %d", n,
                           h.ncols);
            continue;
        }
        const char *v[Z_N];
        for (int k = 0; k < Z_N; k++) {
            const char *s = h.col[k] < 0 ? NULL : f[h.col[k]].s;
            v[k] = s && !strcmp(s, h.unset) ? NULL : s && !strcmp(s, h.empty) ? "" : s;
        }
        rc = zeek_record(in, v);
    }
    free(h.fields);
    return rc < 0 || n < 0 ? -1 : 0;
}
