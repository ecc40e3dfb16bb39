#include "flows/scope.h"

#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"

const char *const cr_scope_reason_names[CR_SCOPE_NREASONS] = {
    "forwarded", "multicast", "broadcast", "link-local", "loopback", "unspecified",
    "inside network"};

static int prefix_match(const cr_addr *a, const cr_addr *net, int bits)
{
    if (a->family != net->family)
        return 0;
    int full = bits / 8, rest = bits % 8;
    if (memcmp(a->b, net->b, (size_t)full) != 0)
        return 0;
    if (!rest)
        return 1;
    unsigned mask = 0xffu << (8 - rest) & 0xffu;
    return (a->b[full] & mask) == (net->b[full] & mask);
}

int cr_cidr_contains(const cr_cidr *nets, int n, const cr_addr *a)
{
    for (int i = 0; i < n; i++)
        if (prefix_match(a, &nets[i].net, nets[i].bits))
            return 1;
    return 0;
}

void cr_addr_mask(cr_addr *a, int bits)
{
    int width = a->family == 4 ? 4 : 16;
    for (int i = 0; i < width; i++) {
        int keep = bits - 8 * i;
        a->b[i] &= keep >= 8 ? 0xff : keep <= 0 ? 0 : (uint8_t)(0xff00 >> keep);
    }
}

int cr_cidr_parse_list(const char *list, cr_cidr **nets, int *n, cr_err *e)
{
    *nets = NULL;
    *n = 0;
    size_t cap = 0;
    for (const char *p = list;;) {
        size_t len = strcspn(p, ",");
        const char *slash = memchr(p, '/', len);
        size_t alen = slash ? (size_t)(slash - p) : len;
        cr_cidr c;
        int bad = cr_addr_parse(p, alen, &c.net) < 0;
        int max = c.net.family == 4 ? 32 : 128;
        c.bits = max;
        if (!bad && slash) {
            char *end;
            long b = strtol(slash + 1, &end, 10);
            bad = end != p + len || slash + 1 == end || b < 0 || b > max;
            c.bits = (int)b;
        }
        if (bad) {
            free(*nets);
            *nets = NULL;
            *n = 0;
            return cr_fail(e, "'%.*s' is not a network (ADDRESS or ADDRESS/BITS)", (int)len,
                           p);
        }
        cr_addr_mask(&c.net, c.bits);
        xgrow(nets, &cap, (size_t)*n + 1, sizeof **nets);
        (*nets)[(*n)++] = c;
        if (!p[len])
            return 0;
        p += len + 1;
    }
}

static int v4(const cr_addr *a, unsigned b0, unsigned mask0)
{
    return a->family == 4 && (a->b[0] & mask0) == b0;
}

int cr_scope_classify(const cr_scope *s, const cr_addr *dst)
{
    if (!s || !s->firewall)
        return CR_SCOPE_FORWARDED;
    static const unsigned char zero[16];
    if (v4(dst, 224, 0xf0) || (dst->family == 6 && dst->b[0] == 0xff))
        return CR_SCOPE_MULTICAST;
    if (dst->family == 4 && dst->b[0] == 255 && dst->b[1] == 255 && dst->b[2] == 255 &&
        dst->b[3] == 255)
        return CR_SCOPE_BROADCAST;
    if ((dst->family == 4 && dst->b[0] == 169 && dst->b[1] == 254) ||
        (dst->family == 6 && dst->b[0] == 0xfe && (dst->b[1] & 0xc0) == 0x80))
        return CR_SCOPE_LINK_LOCAL;
    if (v4(dst, 127, 0xff) ||
        (dst->family == 6 && !memcmp(dst->b, zero, 15) && dst->b[15] == 1))
        return CR_SCOPE_LOOPBACK;
    if ((dst->family == 4 && !memcmp(dst->b, zero, 4)) ||
        (dst->family == 6 && !memcmp(dst->b, zero, 16)))
        return CR_SCOPE_UNSPECIFIED;
    if (cr_cidr_contains(s->nets, s->nnets, dst))
        return CR_SCOPE_LOCAL_NET;
    return CR_SCOPE_FORWARDED;
}
