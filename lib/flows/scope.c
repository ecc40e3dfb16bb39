#include "flows/scope.h"

#include <stdlib.h>
#include <string.h>

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

int cr_scope_parse_nets(cr_scope *s, const char *list, cr_err *e)
{
    const char *p = list;
    s->nnets = 0;
    while (*p) {
        size_t len = strcspn(p, ",");
        char item[96];
        if (len == 0 || len >= sizeof item)
            return cr_fail(e, "--local-nets %s: expected networks like 10.0.0.0/8,2001:db8::/32",
                           list);
        memcpy(item, p, len);
        item[len] = 0;
        char *slash = strchr(item, '/');
        cr_cidr c;
        if (cr_addr_parse(item, slash ? (size_t)(slash - item) : len, &c.net) != 0)
            return cr_fail(e, "--local-nets %s: '%s' is not an address or network", list, item);
        int max = c.net.family == 4 ? 32 : 128;
        c.bits = max;
        if (slash) {
            char *end;
            long b = strtol(slash + 1, &end, 10);
            if (end == slash + 1 || *end || b < 0 || b > max)
                return cr_fail(e, "--local-nets %s: '%s' has a prefix length outside 0..%d", list,
                               item, max);
            c.bits = (int)b;
        }
        if (s->nnets == CR_SCOPE_MAX_NETS)
            return cr_fail(e, "--local-nets %s: more than %d networks", list, CR_SCOPE_MAX_NETS);
        s->nets[s->nnets++] = c;
        p += len + (p[len] == ',');
    }
    if (s->nnets == 0)
        return cr_fail(e, "--local-nets: empty list");
    return 0;
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
