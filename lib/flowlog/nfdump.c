/* nfdump's exports of NetFlow/IPFIX records: `-o csv` (whole-second ts/te, td in ms), a
 * `-o 'fmt:%ts,%te,%td,%pr,%sa,%sp,%da,%dp,%flg,%ipkt,...'` CSV (ms times, td as h:mm:ss.fff),
 * both by their header's names in any order, and `-o json`. nfpcapd and most exporters write
 * one record per direction and cut long flows at the active timeout: the records are one-way
 * and joined into connections afterwards (join.c). A record with output packets (NSEL, or
 * nfdump's bidirectional aggregation) holds both directions, its source the initiator. nfdump
 * prints local times without a zone: they are read as UTC (run nfdump with TZ=UTC). */
#include "flowlog/flowlog_internal.h"

#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"

enum { N_TS, N_TE, N_TD, N_PR, N_SA, N_SP, N_DA, N_DP, N_FLG, N_IPKT, N_OPKT, N_N };

static const char *const csv_names[N_N] = {"ts", "te", "td", "pr", "sa", "sp",
                                           "da", "dp", "flg", "ipkt", "opkt"};
static const char *const json_names[N_N] = {"first",   "last",     "td",        "proto",
                                            "src_addr", "src_port", "dst_addr", "dst_port",
                                            "tcp_flags", "in_packets", "out_packets"};

static int required(int k) { return k != N_TD && k != N_FLG && k != N_IPKT && k != N_OPKT; }

static int nf_time(cr_fl_in *in, const char *name, const char *s, int64_t *ms, int *res)
{
    if (cr_fl_datetime(s, strlen(s), ms, res) == 0)
        return 0;
    cr_fl_skip(in, "unparsable time", 1, "%s '%.40s' is not a date and time", name, s);
    return -1;
}

/* One record from its values (NULL: absent); names name them in messages. */
static int nf_record(cr_fl_in *in, const char *const v[N_N], const char *const *names)
{
    uint8_t proto = v[N_PR] ? cr_fl_proto(v[N_PR]) : 0;
    if (!proto)
        return cr_fl_skip(in, "not TCP or UDP", 0, "protocol '%.20s'", v[N_PR] ? v[N_PR] : "");
    for (int k = 0; k < N_N; k++)
        if (required(k) && (!v[k] || !*v[k]))
            return cr_fl_skip(in, "missing field", 1, "%s missing", names[k]);
    cr_flowlog_rec r = {.kind = CR_FLOWLOG_ONEWAY, .syn = -1, .local_orig = -1};
    r.f.proto = proto;
    int rs, re;
    if (nf_time(in, names[N_TS], v[N_TS], &r.f.start_ms, &rs) < 0 ||
        nf_time(in, names[N_TE], v[N_TE], &r.f.last_ms, &re) < 0)
        return 0;
    if (r.f.last_ms < r.f.start_ms)
        return cr_fl_skip(in, "end before start", 1, "%s %.40s before %s %.40s", names[N_TE],
                          v[N_TE], names[N_TS], v[N_TS]);
    if (cr_fl_endpoints(in, &r, v[N_SA], v[N_SP], v[N_DA], v[N_DP]) < 0)
        return 0;
    int64_t res = rs > re ? rs : re, td;
    int tres;
    r.dur = cr_fl_dur(r.f.last_ms - r.f.start_ms, res);
    if (v[N_TD] && *v[N_TD]) {
        /* nfdump keeps ms internally: td is exact where ts/te print whole seconds */
        size_t len = strlen(v[N_TD]);
        if (cr_fl_hms(v[N_TD], len, &td, &tres) < 0) {
            if (cr_fl_decimal(v[N_TD], len, 3, &td) < 0)
                return cr_fl_skip(in, "unparsable duration", 1, "td '%.40s' is not a duration",
                                  v[N_TD]);
            tres = (int)cr_fl_decimal_res(v[N_TD]);
        }
        r.dur = cr_fl_dur(td, tres);
    }
    r.f.end_ms = CR_NA_I64;
    r.f.reason = CR_REASON_OPEN;
    if (proto == CR_PROTO_TCP && v[N_FLG]) {
        r.tcp_flags = cr_fl_tcp_flags(v[N_FLG]);
        r.syn = (r.tcp_flags & CR_TH_SYN) != 0;
    }
    uint64_t ip = 0, op = 0;
    if (v[N_IPKT])
        cr_fl_count(v[N_IPKT], &ip);
    if (v[N_OPKT] && cr_fl_count(v[N_OPKT], &op) == 0 && op > 0)
        r.kind = CR_FLOWLOG_PIECE;
    r.f.packets = ip + op;
    return cr_fl_emit(in, &r, res);
}

int cr_fl_nfdump_json_record(cr_fl_in *in, const cr_fl_json *j)
{
    const cr_fl_jfield *type = cr_fl_json_get(j, "type");
    if (type && type->type == CR_JSON_STR && strcmp(type->val, "FLOW"))
        return cr_fl_skip(in, "not a flow record", 0, "type '%.20s'", type->val);
    static const char *const keys[N_N][2] = {
        {"first", NULL},         {"last", NULL},          {NULL, NULL},
        {"proto", NULL},         {"src4_addr", "src6_addr"}, {"src_port", NULL},
        {"dst4_addr", "dst6_addr"}, {"dst_port", NULL},   {"tcp_flags", NULL},
        {"in_packets", NULL},    {"out_packets", NULL}};
    const char *v[N_N];
    for (int k = 0; k < N_N; k++) {
        v[k] = NULL;
        for (int a = 0; a < 2 && !v[k] && keys[k][a]; a++) {
            const cr_fl_jfield *f = cr_fl_json_get(j, keys[k][a]);
            if (f && (f->type == CR_JSON_STR || f->type == CR_JSON_NUM))
                v[k] = f->val;
        }
    }
    return nf_record(in, v, json_names);
}

/* A header row begins with a column name (a data row with a date, number or address). */
static int is_name(const char *s)
{
    for (int k = 0; k < N_N; k++)
        if (!strcmp(s, csv_names[k]))
            return 1;
    return 0;
}

/* The column of each name; 0 when a required one is missing. */
static int map_names(const char *const *names, int n, int col[N_N])
{
    for (int k = 0; k < N_N; k++) {
        col[k] = -1;
        for (int i = 0; i < n; i++)
            if (!strcmp(names[i], csv_names[k]))
                col[k] = i;
        if (required(k) && col[k] < 0)
            return 0;
    }
    return 1;
}

/* nfdump's own header for `-o fmt:...` without -q: its labels aligned by blanks, in the
 * order of the format's fields. Returns the number of labels read (all must be known). */
static int text_header(const char *s, const char *names[64])
{
    static const struct {
        const char *label, *name;
    } labels[] = {{"Date first seen", "ts"}, {"Date last seen", "te"}, {"Duration", "td"},
                  {"Proto", "pr"},           {"Src IP Addr", "sa"},    {"Dst IP Addr", "da"},
                  {"Src Pt", "sp"},          {"Dst Pt", "dp"},         {"Flags", "flg"},
                  {"In Pkt", "ipkt"},        {"Out Pkt", "opkt"},      {"In Byte", "ibyt"},
                  {"Out Byte", "obyt"}};
    int n = 0;
    while (*s) {
        if (*s == ' ') {
            s++;
            continue;
        }
        size_t k = 0, nl = sizeof labels / sizeof labels[0];
        while (k < nl && strncmp(s, labels[k].label, strlen(labels[k].label)))
            k++;
        if (k == nl || n == 64)
            return 0;
        names[n++] = labels[k].name;
        s += strlen(labels[k].label);
    }
    return n;
}

/* Without a header (nfdump -q): `-o csv` puts the source address fourth, the format of
 * docs/flowlogs.md the protocol. */
static int implied_header(const cr_csv_field *f, int n, int col[N_N], int *ncols)
{
    static const char *const csv_order[] = {"ts", "te", "td", "sa", "da", "sp", "dp", "pr",
                                            "flg", "fwd", "stos", "ipkt", "ibyt", "opkt", "obyt"};
    static const char *const fmt_order[] = {"ts", "te", "td", "pr", "sa", "sp", "da", "dp",
                                            "flg", "ipkt", "ibyt", "opkt", "obyt"};
    cr_addr a;
    if (n < 8)
        return 0;
    int is_addr = cr_fl_addr(f[3].s, &a) == 0;
    const char *const *order = is_addr ? csv_order : fmt_order;
    int norder = is_addr ? 15 : 13;
    if (!map_names(order, n < norder ? n : norder, col))
        return 0;
    *ncols = n;
    return 1;
}

/* Leading and trailing blanks: nfdump pads its columns. */
static void trim(cr_csv_field *f, int n)
{
    for (int i = 0; i < n; i++) {
        while (f[i].len && f[i].s[f[i].len - 1] == ' ')
            f[i].s[--f[i].len] = 0;
        while (*f[i].s == ' ') {
            f[i].s++;
            f[i].len--;
        }
    }
}

/* A header row (names or nfdump's labels) read into col; 0 when the row is not one. */
static int header_row(const cr_csv_field *f, int n, int col[N_N], int *ncols)
{
    const char *names[64];
    int k = 0;
    if (n == 1 && !strncmp(f[0].s, "Date first seen", 15))
        k = text_header(f[0].s, names);
    else if (is_name(f[0].s))
        for (k = 0; k < n && k < 64; k++)
            names[k] = f[k].s;
    if (k == 0 || !map_names(names, k, col))
        return 0;
    *ncols = k;
    return 1;
}

int cr_fl_read_nfdump_csv(cr_fl_in *in)
{
    int col[N_N], ncols = 0, n = 0, rc = 0;
    char *header = NULL;
    cr_csv_field *f;
    while (rc == 0 && (n = cr_fl_next_row(in, &f)) > 0) {
        /* the statistics nfdump appends after the records */
        if (!strncmp(f[0].s, "Summary", 7) || !strcmp(f[0].s, "No matched flows"))
            break;
        trim(f, n);
        size_t len;
        const char *text = cr_fl_join_fields(in, f, n, ',', &len);
        int next[N_N], nnext;
        if (header_row(f, n, next, &nnext)) {
            if (cr_fl_header_row(in, &header, text)) {
                memcpy(col, next, sizeof col);
                ncols = nnext;
            }
            continue;
        }
        in->sum->records++;
        if (!ncols && !header && implied_header(f, n, col, &ncols))
            header = xstrdup("");
        if (!ncols || n != ncols) {
            if ((rc = cr_fl_check_mixed(in, text, len)) < 0)
                break;
            if (!ncols)
                rc = cr_fail(in->e, "%s:%zu: no nfdump CSV header (ts,te,...,pr,sa,da,sp,dp)",
                             in->path, in->line);
            else
                cr_fl_skip(in, "wrong field count", 1, "%d fields, the header names %d", n,
                           ncols);
            continue;
        }
        const char *v[N_N];
        for (int k = 0; k < N_N; k++)
            v[k] = col[k] < 0 ? NULL : f[col[k]].s;
        rc = nf_record(in, v, csv_names);
    }
    free(header);
    return rc < 0 || n < 0 ? -1 : 0;
}
