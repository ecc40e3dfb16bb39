/* Which connections a firewall sees. A workstation's capture also holds traffic no firewall
 * forwards: multicast and broadcast (service discovery, NetBIOS, SSDP), link-local and loopback
 * addresses, and traffic to hosts on its own network. Sizing a firewall counts only the
 * connections that cross it; the seed's tables count everything, so the default depends on the
 * command (cps and flows: everything, for parity with the seed; run: what crosses). */
#ifndef CR_SCOPE_H
#define CR_SCOPE_H

#include <stddef.h>

#include "common/err.h"
#include "ingest/addr.h"

typedef struct {
    cr_addr net; /* with the bits beyond the prefix cleared */
    int bits;    /* prefix length */
} cr_cidr;

typedef struct {
    int firewall;        /* 0: every connection counts; 1: only those a firewall forwards */
    const cr_cidr *nets; /* inside networks (--local-nets): traffic between their hosts stays
                          * local */
    int nnets;
} cr_scope;

/* Why a destination is not forwarded, in the order they are tested. */
enum { CR_SCOPE_FORWARDED, CR_SCOPE_MULTICAST, CR_SCOPE_BROADCAST, CR_SCOPE_LINK_LOCAL,
       CR_SCOPE_LOOPBACK, CR_SCOPE_UNSPECIFIED, CR_SCOPE_LOCAL_NET, CR_SCOPE_NREASONS };
/* "forwarded", "multicast", "broadcast", "link-local", "loopback", "unspecified",
 * "inside network". */
extern const char *const cr_scope_reason_names[CR_SCOPE_NREASONS];

/* Parses "10.0.0.0/8,2001:db8::/32" (a bare address is a /32 or /128) into a fresh *nets. */
int cr_cidr_parse_list(const char *list, cr_cidr **nets, int *n, cr_err *e);

/* Whether a connection to dst is counted under s: CR_SCOPE_FORWARDED, or why it is not
 * (always CR_SCOPE_FORWARDED when s is NULL or s->firewall is 0). */
int cr_scope_classify(const cr_scope *s, const cr_addr *dst);

/* Clears the bits of a beyond its first `bits`. */
void cr_addr_mask(cr_addr *a, int bits);

/* Whether a is inside one of the networks. */
int cr_cidr_contains(const cr_cidr *nets, int n, const cr_addr *a);

#endif
