/* Field values every format shares: protocols, ports, addresses, counts, TCP flags, and what a
 * measured duration says at a given resolution. */
#include "flowlog/flowlog_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

uint8_t cr_fl_proto(const char *s)
{
    if (!strcasecmp(s, "tcp") || !strcmp(s, "6"))
        return CR_PROTO_TCP;
    if (!strcasecmp(s, "udp") || !strcmp(s, "17"))
        return CR_PROTO_UDP;
    return 0;
}

int cr_fl_count(const char *s, uint64_t *out)
{
    if (!*s || strspn(s, "0123456789") != strlen(s))
        return -1;
    errno = 0;
    unsigned long long v = strtoull(s, NULL, 10);
    if (errno)
        return -1;
    *out = v;
    return 0;
}

int cr_fl_port(const char *s, uint16_t *out)
{
    uint64_t v;
    if (cr_fl_count(s, &v) < 0 || v > 65535)
        return -1;
    *out = (uint16_t)v;
    return 0;
}

int cr_fl_addr(const char *s, cr_addr *a) { return cr_addr_parse(s, strlen(s), a); }

int64_t cr_fl_decimal_res(const char *s)
{
    const char *dot = strchr(s, '.');
    size_t nd = dot ? strspn(dot + 1, "0123456789") : 0;
    return nd >= 3 ? 1 : nd == 2 ? 10 : nd == 1 ? 100 : 1000;
}

cr_flowlog_dur cr_fl_dur(int64_t d, int64_t res_ms)
{
    if (d < 0)
        d = 0;
    if (res_ms < 1)
        res_ms = 1;
    /* a flows table may hold any ms: saturate rather than overflow */
    int64_t hi = d > INT64_MAX - res_ms ? INT64_MAX : d + res_ms;
    if (res_ms == 1)
        return (cr_flowlog_dur){d, hi};
    /* two clocks read at res_ms each: the true duration is within res_ms either side */
    int64_t lo = d - res_ms + 1;
    return (cr_flowlog_dur){lo > 0 ? lo : 0, hi};
}

uint8_t cr_fl_tcp_flags(const char *s)
{
    if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
        return (uint8_t)strtoul(s + 2, NULL, 16);
    if (*s && strspn(s, "0123456789") == strlen(s))
        return (uint8_t)strtoul(s, NULL, 10);
    uint8_t f = 0;
    for (; *s; s++)
        switch (*s) {
        case 'F': f |= CR_TH_FIN; break;
        case 'S': f |= CR_TH_SYN; break;
        case 'R': f |= CR_TH_RST; break;
        case 'P': f |= CR_TH_PSH; break;
        case 'A': f |= CR_TH_ACK; break;
        case 'U': f |= CR_TH_URG; break;
        default: break;
        }
    return f;
}

int cr_fl_endpoints(cr_fl_in *in, cr_flowlog_rec *r, const char *src, const char *sport,
                    const char *dst, const char *dport)
{
    const char *bad = cr_fl_addr(src, &r->f.src) < 0 ? src
                      : cr_fl_addr(dst, &r->f.dst) < 0 ? dst : NULL;
    if (bad && strstr(bad, "..")) {
        cr_fl_skip(in, "bad address", 1, "'%.60s' is an IPv6 address nfdump shortened (export "
                   "with nfdump -6)", bad);
        return -1;
    }
    if (bad) {
        cr_fl_skip(in, "bad address", 1, "'%.60s' is not an IP address", bad);
        return -1;
    }
    if (r->f.src.family != r->f.dst.family) {
        cr_fl_skip(in, "bad address", 1, "%.60s and %.60s are of different IP versions", src, dst);
        return -1;
    }
    r->f.ipver = r->f.src.family;
    bad = cr_fl_port(sport, &r->f.sport) < 0 ? sport : cr_fl_port(dport, &r->f.dport) < 0 ? dport
                                                                                      : NULL;
    if (bad) {
        cr_fl_skip(in, "bad port", 1, "port '%.40s' is not 0..65535", bad);
        return -1;
    }
    return 0;
}
