#include "ingest/fields.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct {
    const char *name;
    enum cr_role role;
    int tshark;
} names[] = {
    {"id", CR_ROLE_ID, 0},
    {"timestamp", CR_ROLE_TIMESTAMP_MS, 0},
    {"protocol", CR_ROLE_PROTOCOL, 0},
    {"ip_version", CR_ROLE_IPVER, 0},
    {"src_ip", CR_ROLE_SRC_IP, 0},
    {"dst_ip", CR_ROLE_DST_IP, 0},
    {"src_port", CR_ROLE_SRC_PORT, 0},
    {"dst_port", CR_ROLE_DST_PORT, 0},
    {"tcp_time_relative", CR_ROLE_TCP_REL, 0},
    {"tcp_completeness", CR_ROLE_TCP_COMP, 0},
    {"tcp_stream", CR_ROLE_TCP_STREAM, 0},
    {"tcp_flags", CR_ROLE_TCP_FLAGS, 0},
    {"tcp_len", CR_ROLE_TCP_LEN, 0},
    {"frame.number", CR_ROLE_ID, 1},
    {"frame.time_epoch", CR_ROLE_TIME_EPOCH, 1},
    {"ip.version", CR_ROLE_IPVER, 1},
    {"ip.src", CR_ROLE_SRC_IP, 1},
    {"ipv6.src", CR_ROLE_SRC_IP6, 1},
    {"ip.dst", CR_ROLE_DST_IP, 1},
    {"ipv6.dst", CR_ROLE_DST_IP6, 1},
    {"tcp.srcport", CR_ROLE_SRC_PORT, 1},
    {"udp.srcport", CR_ROLE_UDP_SRC_PORT, 1},
    {"tcp.dstport", CR_ROLE_DST_PORT, 1},
    {"udp.dstport", CR_ROLE_UDP_DST_PORT, 1},
    {"tcp.time_relative", CR_ROLE_TCP_REL, 1},
    {"tcp.completeness", CR_ROLE_TCP_COMP, 1},
    {"tcp.stream", CR_ROLE_TCP_STREAM, 1},
    {"tcp.flags", CR_ROLE_TCP_FLAGS, 1},
    {"tcp.len", CR_ROLE_TCP_LEN, 1},
};

static const char *role_name(const cr_fieldmap *m, enum cr_role r)
{
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (names[i].role == r && names[i].tshark == m->tshark_names)
            return names[i].name;
    return "?";
}

int cr_fieldmap_build(cr_fieldmap *m, const char *const *cols, int n, const char *path, cr_err *e)
{
    memset(m, 0, sizeof *m);
    for (int r = 0; r < CR_ROLE_COUNT; r++)
        m->col[r] = -1;
    m->ncols = n;
    int tshark = 0, seed = 0;
    for (int j = 0; j < n; j++)
        for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
            if (!strcmp(cols[j], names[i].name)) {
                if (m->col[names[i].role] >= 0)
                    return cr_fail(e, "%s: column '%s' appears twice", path, cols[j]);
                m->col[names[i].role] = j;
                tshark += names[i].tshark;
                seed += !names[i].tshark;
            }
    m->tshark_names = tshark > seed;
    /* What counting cannot do without: time, the 5-tuple, the address family and the
     * completeness that defines a new TCP connection. */
    static const enum cr_role need_seed[] = {CR_ROLE_TIMESTAMP_MS, CR_ROLE_PROTOCOL, CR_ROLE_IPVER,
                                             CR_ROLE_SRC_IP, CR_ROLE_DST_IP, CR_ROLE_SRC_PORT,
                                             CR_ROLE_DST_PORT, CR_ROLE_TCP_COMP};
    static const enum cr_role need_tshark[] = {CR_ROLE_TIME_EPOCH, CR_ROLE_SRC_IP, CR_ROLE_DST_IP,
                                               CR_ROLE_SRC_PORT, CR_ROLE_UDP_SRC_PORT,
                                               CR_ROLE_DST_PORT, CR_ROLE_UDP_DST_PORT,
                                               CR_ROLE_TCP_COMP};
    const enum cr_role *need = m->tshark_names ? need_tshark : need_seed;
    size_t nneed = m->tshark_names ? sizeof need_tshark / sizeof need_tshark[0]
                                   : sizeof need_seed / sizeof need_seed[0];
    char missing[512] = "";
    for (size_t i = 0; i < nneed; i++)
        if (m->col[need[i]] < 0) {
            size_t len = strlen(missing);
            snprintf(missing + len, sizeof missing - len, "%s%s", len ? ", " : "",
                     role_name(m, need[i]));
        }
    if (missing[0])
        return cr_fail(e, "%s: missing column%s %s (expected the original specification's "
                          "columns or tshark's field names)",
                       path, strchr(missing, ',') ? "s" : "", missing);
    return 0;
}

static const int64_t pow10_tab[19] = {
    1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000, 1000000000, 10000000000,
    100000000000, 1000000000000, 10000000000000, 100000000000000, 1000000000000000,
    10000000000000000, 100000000000000000, 1000000000000000000};

/* What nearly every cell of an export is: unsigned digits with at most one point, short enough
 * that the scaled value has at most 18 digits (so nothing can overflow). Returns 1 with what
 * parse_scaled gives; 0 when the text is anything else, for parse_scaled to decide. */
static int plain_scaled(const char *s, size_t len, int scale, int64_t *out)
{
    size_t i = 0;
    int64_t v = 0;
    unsigned d;
    while (i < len && i < 18 && (d = (unsigned)(unsigned char)s[i] - '0') < 10) {
        v = v * 10 + d;
        i++;
    }
    if (i + (size_t)scale > 18)
        return 0;
    int frac = 0, kept = i > 0;
    if (i < len) {
        if (s[i] != '.')
            return 0;
        for (i++; i < len; i++) {
            if ((d = (unsigned)(unsigned char)s[i] - '0') >= 10)
                return 0;
            if (frac < scale) {
                v = v * 10 + d;
                frac++;
                kept = 1;
            }
        }
    }
    if (!kept)
        return 0;
    *out = v * pow10_tab[scale - frac];
    return 1;
}

/* Unsigned digits only, 1 to 18 of them (ports, row numbers, completeness). */
static int plain_uint(const char *s, size_t len, int64_t *out)
{
    if (len == 0 || len > 18)
        return 0;
    int64_t v = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned d = (unsigned)(unsigned char)s[i] - '0';
        if (d >= 10)
            return 0;
        v = v * 10 + d;
    }
    *out = v;
    return 1;
}

/* Parses "[-]digits[.digits]" into an integer scaled by 10^scale (truncating extra decimals,
 * which is R's floor for the positive times used here). Exponents are accepted through strtod
 * because R's as.numeric accepts them. */
static int parse_scaled(const char *s, size_t len, int scale, int64_t *out)
{
    if (plain_scaled(s, len, scale, out))
        return 0;
    size_t i = 0;
    int neg = 0;
    if (i < len && (s[i] == '-' || s[i] == '+'))
        neg = s[i++] == '-';
    int64_t v = 0;
    int digits = 0, frac = 0, in_frac = 0;
    for (; i < len; i++) {
        char c = s[i];
        if (c >= '0' && c <= '9') {
            if (in_frac) {
                if (frac >= scale)
                    continue;
                frac++;
            }
            if (v > (INT64_MAX - 9) / 10)
                return -1;
            v = v * 10 + (c - '0');
            digits++;
        } else if (c == '.' && !in_frac) {
            in_frac = 1;
        } else if (c == 'e' || c == 'E') {
            char buf[64];
            if (len >= sizeof buf)
                return -1;
            memcpy(buf, s, len);
            buf[len] = 0;
            char *end;
            double d = strtod(buf, &end);
            double x = floor(d * pow(10, scale));
            if (*end || !(fabs(x) < 9e18))
                return -1;
            *out = (int64_t)x;
            return 0;
        } else {
            return -1;
        }
    }
    if (!digits)
        return -1;
    for (; frac < scale; frac++) {
        if (v > INT64_MAX / 10)
            return -1;
        v *= 10;
    }
    *out = neg ? -v : v;
    return 0;
}

static int value_scaled(const cr_value *v, int scale, int64_t *out)
{
    if (v->kind == CR_VAL_NUM) {
        if (!isfinite(v->d))
            return -1;
        double x = v->d * pow(10, scale);
        if (fabs(x) > 9e18)
            return -1;
        *out = (int64_t)llround(x);
        return 0;
    }
    return parse_scaled(v->s, v->len, scale, out);
}

static int value_int(const cr_value *v, int64_t lo, int64_t hi, int64_t *out)
{
    int64_t x;
    if (v->kind == CR_VAL_NUM) {
        if (!isfinite(v->d) || v->d != floor(v->d))
            return -1;
        x = (int64_t)v->d;
    } else if (plain_uint(v->s, v->len, &x)) {
        /* the common case, without the checks below */
    } else if (v->len > 2 && v->s[0] == '0' && (v->s[1] == 'x' || v->s[1] == 'X')) {
        x = 0;
        for (size_t i = 2; i < v->len; i++) {
            char c = v->s[i];
            int d = c >= '0' && c <= '9' ? c - '0'
                    : c >= 'a' && c <= 'f' ? c - 'a' + 10
                    : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
            if (d < 0 || x > (INT64_MAX >> 4))
                return -1;
            x = x * 16 + d;
        }
    } else {
        for (size_t i = 0; i < v->len; i++)
            if (v->s[i] == '.')
                return -1;
        if (parse_scaled(v->s, v->len, 0, &x) != 0)
            return -1;
    }
    if (x < lo || x > hi)
        return -1;
    *out = x;
    return 0;
}

static const cr_value na = {CR_VAL_NA, NULL, 0, 0};

static const cr_value *cell(const cr_fieldmap *m, const cr_value *row, enum cr_role r)
{
    int c = m->col[r];
    if (c < 0 || row[c].kind == CR_VAL_NA)
        return &na;
    return &row[c];
}

/* tshark exports print IPv4 and IPv6 addresses in different columns: take whichever is set. */
static const cr_value *either(const cr_fieldmap *m, const cr_value *row, enum cr_role a,
                              enum cr_role b)
{
    const cr_value *v = cell(m, row, a);
    return v->kind != CR_VAL_NA ? v : cell(m, row, b);
}

static int bad(cr_err *e, const char *path, uint64_t rowno, const char *col, const cr_value *v,
               const char *what)
{
    if (v->kind == CR_VAL_NA)
        return cr_fail(e, "%s: row %llu: %s is NA", path, (unsigned long long)rowno, col);
    if (v->kind == CR_VAL_NUM)
        return cr_fail(e, "%s: row %llu: %s = %g is not %s", path, (unsigned long long)rowno, col,
                       v->d, what);
    return cr_fail(e, "%s: row %llu: %s = '%.*s' is not %s", path, (unsigned long long)rowno, col,
                   (int)(v->len > 60 ? 60 : v->len), v->s, what);
}

/* Hashes the length and the last 8 bytes, where addresses of one network differ. */
static unsigned memo_slot(const char *s, size_t len)
{
    uint64_t tail = 0;
    memcpy(&tail, s + (len > 8 ? len - 8 : 0), len > 8 ? 8 : len);
    return (unsigned)(((tail ^ len) * UINT64_C(0x9e3779b97f4a7c15)) >> 56) % CR_ADDR_MEMO_SLOTS;
}

static int get_addr(cr_addr_memo *memo, const cr_value *v, cr_addr *a)
{
    if (v->kind != CR_VAL_TEXT)
        return -1;
    int fits = v->len > 0 && v->len <= sizeof memo->slot[0].text;
    unsigned k = fits ? memo_slot(v->s, v->len) : 0;
    if (fits && memo->slot[k].len == v->len && !memcmp(v->s, memo->slot[k].text, v->len)) {
        *a = memo->slot[k].addr;
        return 0;
    }
    if (cr_addr_parse(v->s, v->len, a) != 0)
        return -1;
    if (fits) {
        memcpy(memo->slot[k].text, v->s, v->len);
        memo->slot[k].len = (uint8_t)v->len;
        memo->slot[k].addr = *a;
    }
    return 0;
}

/* A three-letter lower-case word in any case (ASCII letters only, as strncasecmp in C). */
static int is_word3(const cr_value *v, const char *w)
{
    return v->kind == CR_VAL_TEXT && v->len == 3 && (v->s[0] | 0x20) == w[0] &&
           (v->s[1] | 0x20) == w[1] && (v->s[2] | 0x20) == w[2];
}

int cr_fields_to_packet(cr_fieldmap *m, const cr_value *row, uint64_t rowno,
                        const char *path, cr_packet *p, const char **why, cr_err *e)
{
    memset(p, 0, sizeof *p);
    const cr_value *v;
    int64_t x;

    int tcp;
    if (m->tshark_names) {
        int t = cell(m, row, CR_ROLE_SRC_PORT)->kind != CR_VAL_NA;
        int u = cell(m, row, CR_ROLE_UDP_SRC_PORT)->kind != CR_VAL_NA;
        if (!t && !u) {
            *why = "not TCP/UDP";
            return 0;
        }
        tcp = t;
    } else {
        v = cell(m, row, CR_ROLE_PROTOCOL);
        if (is_word3(v, "tcp"))
            tcp = 1;
        else if (is_word3(v, "udp"))
            tcp = 0;
        else {
            *why = "protocol not tcp/udp";
            return 0;
        }
    }
    p->proto = tcp ? CR_PROTO_TCP : CR_PROTO_UDP;

    v = cell(m, row, CR_ROLE_ID);
    if (m->col[CR_ROLE_ID] < 0)
        p->id = rowno;
    else if (value_int(v, 0, INT64_MAX, &x) != 0)
        return bad(e, path, rowno, role_name(m, CR_ROLE_ID), v, "a row number");
    else
        p->id = (uint64_t)x;

    if (m->tshark_names) {
        v = cell(m, row, CR_ROLE_TIME_EPOCH);
        if (v->kind == CR_VAL_NA || value_scaled(v, 9, &p->ts_ns) != 0)
            return bad(e, path, rowno, "frame.time_epoch", v, "a time in seconds");
    } else {
        v = cell(m, row, CR_ROLE_TIMESTAMP_MS);
        int64_t us;
        /* past the year 2262 nanoseconds overflow */
        if (v->kind == CR_VAL_NA || value_scaled(v, 3, &us) != 0 || us > INT64_MAX / 1000 ||
            us < INT64_MIN / 1000)
            return bad(e, path, rowno, "timestamp", v, "a time in milliseconds");
        p->ts_ns = us * 1000;
    }

    const cr_value *src = either(m, row, CR_ROLE_SRC_IP, CR_ROLE_SRC_IP6);
    if (get_addr(&m->memo[0], src, &p->src) != 0)
        return bad(e, path, rowno, role_name(m, CR_ROLE_SRC_IP), src, "an IP address");
    const cr_value *dst = either(m, row, CR_ROLE_DST_IP, CR_ROLE_DST_IP6);
    if (get_addr(&m->memo[1], dst, &p->dst) != 0)
        return bad(e, path, rowno, role_name(m, CR_ROLE_DST_IP), dst, "an IP address");

    v = cell(m, row, CR_ROLE_IPVER);
    if (m->col[CR_ROLE_IPVER] < 0 && m->tshark_names)
        p->ipver = p->src.family;
    else if (value_int(v, 4, 6, &x) != 0 || x == 5)
        return bad(e, path, rowno, role_name(m, CR_ROLE_IPVER), v, "4 or 6");
    else
        p->ipver = (uint8_t)x;
    if (p->src.family != p->ipver || p->dst.family != p->ipver)
        return bad(e, path, rowno, role_name(m, CR_ROLE_SRC_IP), src,
                   "an address of the row's ip_version");

    enum cr_role sp = CR_ROLE_SRC_PORT, dp = CR_ROLE_DST_PORT;
    if (m->tshark_names && !tcp) {
        sp = CR_ROLE_UDP_SRC_PORT;
        dp = CR_ROLE_UDP_DST_PORT;
    }
    v = cell(m, row, sp);
    if (value_int(v, 0, 65535, &x) != 0)
        return bad(e, path, rowno, role_name(m, sp), v, "a port number");
    p->sport = (uint16_t)x;
    v = cell(m, row, dp);
    if (value_int(v, 0, 65535, &x) != 0)
        return bad(e, path, rowno, role_name(m, dp), v, "a port number");
    p->dport = (uint16_t)x;

    p->completeness = -1;
    p->rel_ns = CR_NA_I64;
    p->stream = -1;
    p->flags = -1;
    p->tcp_len = -1;
    if (!tcp)
        return 1;
    v = cell(m, row, CR_ROLE_TCP_COMP);
    if (v->kind != CR_VAL_NA) {
        if (value_int(v, 0, 255, &x) != 0)
            return bad(e, path, rowno, role_name(m, CR_ROLE_TCP_COMP), v, "a completeness value");
        p->completeness = (int32_t)x;
    }
    v = cell(m, row, CR_ROLE_TCP_REL);
    if (v->kind != CR_VAL_NA && value_scaled(v, 9, &p->rel_ns) != 0)
        return bad(e, path, rowno, role_name(m, CR_ROLE_TCP_REL), v, "a time in seconds");
    v = cell(m, row, CR_ROLE_TCP_STREAM);
    if (v->kind != CR_VAL_NA) {
        if (value_int(v, 0, INT64_MAX, &x) != 0)
            return bad(e, path, rowno, role_name(m, CR_ROLE_TCP_STREAM), v, "a stream number");
        p->stream = x;
    }
    v = cell(m, row, CR_ROLE_TCP_FLAGS);
    if (v->kind != CR_VAL_NA) {
        if (value_int(v, 0, 0xfff, &x) != 0)
            return bad(e, path, rowno, role_name(m, CR_ROLE_TCP_FLAGS), v, "TCP flags");
        p->flags = (int32_t)x;
    }
    v = cell(m, row, CR_ROLE_TCP_LEN);
    if (v->kind != CR_VAL_NA) {
        if (value_int(v, 0, 65535, &x) != 0)
            return bad(e, path, rowno, role_name(m, CR_ROLE_TCP_LEN), v, "a length");
        p->tcp_len = (int32_t)x;
    }
    return 1;
}
