#include "ingest/addr.h"

#include <string.h>

static const char hexdig[] = "0123456789abcdef";

static size_t put_u8(char *o, unsigned v)
{
    size_t n = 0;
    if (v >= 100)
        o[n++] = (char)('0' + v / 100);
    if (v >= 10)
        o[n++] = (char)('0' + v / 10 % 10);
    o[n++] = (char)('0' + v % 10);
    return n;
}

static size_t put_ipv4(char *o, const uint8_t *b)
{
    size_t n = 0;
    for (int i = 0; i < 4; i++) {
        if (i)
            o[n++] = '.';
        n += put_u8(o + n, b[i]);
    }
    return n;
}

static size_t put_hex16(char *o, unsigned v)
{
    size_t n = 0;
    for (int shift = 12; shift >= 0; shift -= 4)
        if (n || (v >> shift) & 0xf || shift == 0)
            o[n++] = hexdig[(v >> shift) & 0xf];
    return n;
}

/* tshark 4.0 prints IPv6 as inet_ntop(3) does (the BIND algorithm): the first longest run of two
 * or more zero groups becomes "::", and ::a.b.c.d / ::ffff:a.b.c.d keep the dotted IPv4 tail. */
static size_t put_ipv6(char *o, const uint8_t *b)
{
    unsigned w[8];
    int best = -1, bestlen = 0, cur = -1, curlen = 0;
    for (int i = 0; i < 8; i++) {
        w[i] = (unsigned)b[2 * i] << 8 | b[2 * i + 1];
        if (w[i] == 0) {
            if (cur < 0)
                cur = i, curlen = 0;
            if (++curlen > bestlen)
                best = cur, bestlen = curlen;
        } else {
            cur = -1;
        }
    }
    if (bestlen < 2)
        best = -1;
    size_t n = 0;
    for (int i = 0; i < 8; i++) {
        if (i == best) {
            o[n++] = ':';
            if (i + bestlen == 8)
                o[n++] = ':';
            i += bestlen - 1;
            continue;
        }
        if (i)
            o[n++] = ':';
        if (i == 6 && best == 0 && (bestlen == 6 || (bestlen == 5 && w[5] == 0xffff)))
            return n + put_ipv4(o + n, b + 12);
        n += put_hex16(o + n, w[i]);
    }
    return n;
}

size_t cr_addr_format(const cr_addr *a, char out[CR_ADDR_STRLEN])
{
    size_t n = 0;
    if (a->family == 4)
        n = put_ipv4(out, a->b);
    else if (a->family == 6)
        n = put_ipv6(out, a->b);
    out[n] = 0;
    return n;
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static int parse_ipv4(const char *s, size_t len, uint8_t out[4])
{
    size_t i = 0;
    for (int part = 0; part < 4; part++) {
        if (part) {
            if (i >= len || s[i] != '.')
                return -1;
            i++;
        }
        unsigned v = 0;
        size_t start = i;
        while (i < len && s[i] >= '0' && s[i] <= '9' && i - start < 3)
            v = v * 10 + (unsigned)(s[i++] - '0');
        if (i == start || v > 255)
            return -1;
        out[part] = (uint8_t)v;
    }
    return i == len ? 0 : -1;
}

static int parse_ipv6(const char *s, size_t len, uint8_t out[16])
{
    uint8_t b[16] = {0};
    int n = 0, gap = -1;
    size_t i = 0;
    if (len >= 2 && s[0] == ':' && s[1] == ':') {
        gap = 0;
        i = 2;
    } else if (len && s[0] == ':') {
        return -1;
    }
    while (i < len) {
        size_t start = i;
        unsigned v = 0;
        while (i < len && hexval((unsigned char)s[i]) >= 0 && i - start < 4)
            v = v << 4 | (unsigned)hexval((unsigned char)s[i++]);
        if (i < len && s[i] == '.') {
            if (n > 12 || parse_ipv4(s + start, len - start, b + n) != 0)
                return -1;
            n += 4;
            i = len;
            break;
        }
        if (i == start || n > 14)
            return -1;
        b[n++] = (uint8_t)(v >> 8);
        b[n++] = (uint8_t)v;
        if (i == len)
            break;
        if (s[i] != ':')
            return -1;
        i++;
        if (i < len && s[i] == ':') {
            if (gap >= 0)
                return -1;
            gap = n;
            i++;
        } else if (i == len) {
            return -1;
        }
    }
    if (gap >= 0) {
        if (n == 16)
            return -1;
        memmove(b + 16 - (n - gap), b + gap, (size_t)(n - gap));
        memset(b + gap, 0, (size_t)(16 - n));
    } else if (n != 16) {
        return -1;
    }
    memcpy(out, b, 16);
    return 0;
}

int cr_addr_parse(const char *s, size_t len, cr_addr *a)
{
    cr_addr r;
    memset(&r, 0, sizeof r);
    if (memchr(s, ':', len)) {
        if (parse_ipv6(s, len, r.b) != 0)
            return -1;
        r.family = 6;
    } else {
        if (parse_ipv4(s, len, r.b) != 0)
            return -1;
        r.family = 4;
    }
    *a = r;
    return 0;
}

int cr_addr_equal(const cr_addr *x, const cr_addr *y)
{
    return x->family == y->family && memcmp(x->b, y->b, 16) == 0;
}

int cr_addr_cmp(const cr_addr *x, const cr_addr *y)
{
    if (x->family != y->family)
        return x->family < y->family ? -1 : 1;
    int c = memcmp(x->b, y->b, 16);
    return (c > 0) - (c < 0);
}
