/* argus flow records as `ra -c ,` prints them (columns by their labels, any order) and the
 * CTU-13 "binetflow" layout (StartTime,Dur,...,State with both sides' TCP flags as "S_RA").
 * argus records are bidirectional, the source being the side argus took for the originator,
 * and argus writes a status record every few seconds of a long flow: the records are pieces,
 * joined into connections afterwards (join.c). Dir "<?>" means argus did not see the flow
 * start: such a TCP piece certainly continues an open connection. */
#include "flowlog/flowlog_internal.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/xalloc.h"

enum { A_START, A_LAST, A_DUR, A_PROTO, A_SRC, A_SPORT, A_DIR, A_DST, A_DPORT, A_STATE,
       A_SPKTS, A_DPKTS, A_TPKTS, A_N };

static const char *const names[A_N] = {"StartTime", "LastTime", "Dur",     "Proto",  "SrcAddr",
                                       "Sport",     "Dir",      "DstAddr", "Dport",  "State",
                                       "SrcPkts",   "DstPkts",  "TotPkts"};

static int required(int k)
{
    return k == A_START || k == A_PROTO || k == A_SRC || k == A_SPORT || k == A_DST ||
           k == A_DPORT;
}

static uint8_t argus_proto(const char *s)
{
    /* argus names UDP flows it recognises as RTP by the application */
    if (!strcasecmp(s, "rtp") || !strcasecmp(s, "rtcp"))
        return CR_PROTO_UDP;
    return cr_fl_proto(s);
}

/* Epoch seconds (ra -u) or a date and time; ms and resolution. */
static int argus_time(cr_fl_in *in, const char *name, const char *s, int64_t *ms, int64_t *res)
{
    size_t len = strlen(s);
    int r;
    if (cr_fl_decimal(s, len, 3, ms) == 0 && *ms <= CR_FL_MAX_MS) {
        *res = cr_fl_decimal_res(s);
        return 0;
    }
    if (cr_fl_datetime(s, len, ms, &r) == 0) {
        *res = r;
        return 0;
    }
    if (cr_fl_hms(s, len, ms, &r) == 0)
        cr_fl_skip(in, "unparsable time", 1, "%s '%.40s' has no date (print it with ra -u)",
                   name, s);
    else
        cr_fl_skip(in, "unparsable time", 1, "%s '%.40s' is not a time", name, s);
    return -1;
}

/* TCP flags and whether the originator's SYN was seen, from State. */
static void argus_state(const char *state, const char *dir, cr_flowlog_rec *r)
{
    const char *sep = strchr(state, '_');
    if (sep) { /* binetflow: originator's flags '_' responder's */
        r->tcp_flags = cr_fl_tcp_flags(state);
        r->syn = memchr(state, 'S', (size_t)(sep - state)) != NULL;
        return;
    }
    if (!strcmp(state, "FIN") || !strcmp(state, "CLO"))
        r->tcp_flags = CR_TH_FIN;
    else if (!strcmp(state, "RST"))
        r->tcp_flags = CR_TH_RST;
    r->syn = !strcmp(state, "REQ") ? 1 : strstr(dir, "<?>") ? 0 : -1;
}

static int argus_record(cr_fl_in *in, const char *const v[A_N])
{
    uint8_t proto = v[A_PROTO] ? argus_proto(v[A_PROTO]) : 0;
    if (!proto)
        return cr_fl_skip(in, "not TCP or UDP", 0, "Proto '%.20s'", v[A_PROTO] ? v[A_PROTO] : "");
    for (int k = 0; k < A_N; k++)
        if (required(k) && !*v[k])
            return cr_fl_skip(in, "missing field", 1, "%s missing", names[k]);
    cr_flowlog_rec r = {.kind = CR_FLOWLOG_PIECE, .syn = -1, .local_orig = -1};
    r.f.proto = proto;
    int64_t res, lres = 1, dur = -1;
    if (argus_time(in, names[A_START], v[A_START], &r.f.start_ms, &res) < 0)
        return 0;
    if (v[A_DUR] && *v[A_DUR]) {
        if (cr_fl_decimal(v[A_DUR], strlen(v[A_DUR]), 3, &dur) < 0 || dur > CR_FL_MAX_DUR_MS)
            return cr_fl_skip(in, "unparsable duration", 1, "Dur '%.40s' is not seconds",
                              v[A_DUR]);
        r.dur = cr_fl_dur(dur, cr_fl_decimal_res(v[A_DUR]));
    }
    if (v[A_LAST] && *v[A_LAST]) {
        if (argus_time(in, names[A_LAST], v[A_LAST], &r.f.last_ms, &lres) < 0)
            return 0;
        if (dur < 0)
            r.dur = cr_fl_dur(r.f.last_ms - r.f.start_ms, res > lres ? res : lres);
    } else if (dur >= 0) {
        r.f.last_ms = r.f.start_ms + dur;
    } else {
        return cr_fl_skip(in, "missing field", 1, "neither LastTime nor Dur");
    }
    if (r.f.last_ms < r.f.start_ms)
        return cr_fl_skip(in, "end before start", 1, "LastTime %.40s before StartTime %.40s",
                          v[A_LAST], v[A_START]);
    if (cr_fl_endpoints(in, &r, v[A_SRC], v[A_SPORT], v[A_DST], v[A_DPORT]) < 0)
        return 0;
    if (proto == CR_PROTO_TCP)
        argus_state(v[A_STATE] ? v[A_STATE] : "", v[A_DIR] ? v[A_DIR] : "", &r);
    r.f.end_ms = CR_NA_I64;
    r.f.reason = CR_REASON_OPEN;
    uint64_t a = 0, b = 0;
    if (v[A_TPKTS] && cr_fl_count(v[A_TPKTS], &a) == 0)
        r.f.packets = a;
    else if (v[A_SPKTS] && v[A_DPKTS] && cr_fl_count(v[A_SPKTS], &a) == 0 &&
             cr_fl_count(v[A_DPKTS], &b) == 0)
        r.f.packets = a + b;
    return cr_fl_emit(in, &r, res > lres ? res : lres);
}

static int map_header(const cr_csv_field *f, int n, int col[A_N])
{
    for (int k = 0; k < A_N; k++) {
        col[k] = -1;
        for (int i = 0; i < n; i++)
            if (!strcasecmp(f[i].s, names[k]))
                col[k] = i;
        if (required(k) && col[k] < 0)
            return 0;
    }
    return col[A_LAST] >= 0 || col[A_DUR] >= 0;
}

int cr_fl_read_argus(cr_fl_in *in)
{
    int col[A_N], ncols = 0, n = 0, rc = 0;
    char *header = NULL;
    cr_csv_field *f;
    while (rc == 0 && (n = cr_fl_next_row(in, &f)) > 0) {
        size_t len;
        const char *text = cr_fl_join_fields(in, f, n, ',', &len);
        int next[A_N];
        if (!strcasecmp(f[0].s, "StartTime") && map_header(f, n, next)) {
            if (cr_fl_header_row(in, &header, text)) {
                memcpy(col, next, sizeof col);
                ncols = n;
            }
            continue;
        }
        in->sum->records++;
        if (!ncols || n != ncols) {
            if ((rc = cr_fl_check_mixed(in, text, len)) < 0)
                break;
            if (!ncols)
                rc = cr_fail(in->e, "%s:%zu: no argus header (StartTime,...,Proto,SrcAddr,"
                                    "Sport,Dir,DstAddr,Dport,...)", in->path, in->line);
            else
                cr_fl_skip(in, "wrong field count", 1, "%d fields, the header names %d", n,
                           ncols);
            continue;
        }
        const char *v[A_N];
        for (int k = 0; k < A_N; k++) {
            v[k] = col[k] < 0 ? NULL : f[col[k]].s;
            while (v[k] && *v[k] == ' ')
                v[k]++;
        }
        rc = argus_record(in, v);
    }
    free(header);
    return rc < 0 || n < 0 ? -1 : 0;
}
