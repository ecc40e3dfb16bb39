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

#define CR_SCOPE_MAX_NETS 64

typedef struct {
    cr_addr net;
    int bits; /* prefix length */
} cr_cidr;

typedef struct {
    int firewall; /* 0: every connection counts; 1: only those a firewall forwards */
    int nnets;    /* inside networks (--local-nets): traffic between their hosts stays local */
    cr_cidr nets[CR_SCOPE_MAX_NETS];
} cr_scope;

/* Why a destination is not forwarded, in the order they are tested. */
enum { CR_SCOPE_FORWARDED, CR_SCOPE_MULTICAST, CR_SCOPE_BROADCAST, CR_SCOPE_LINK_LOCAL,
       CR_SCOPE_LOOPBACK, CR_SCOPE_UNSPECIFIED, CR_SCOPE_LOCAL_NET, CR_SCOPE_NREASONS };
/* "forwarded", "multicast", "broadcast", "link-local", "loopback", "unspecified",
 * "inside network". */
extern const char *const cr_scope_reason_names[CR_SCOPE_NREASONS];

/* Parses "10.0.0.0/8,2001:db8::/32" (a bare address is a /32 or /128) into s->nets. */
int cr_scope_parse_nets(cr_scope *s, const char *list, cr_err *e);

/* Whether a connection to dst is counted under s: CR_SCOPE_FORWARDED, or why it is not
 * (always CR_SCOPE_FORWARDED when s is NULL or s->firewall is 0). */
int cr_scope_classify(const cr_scope *s, const cr_addr *dst);

/* Whether a is inside one of the networks. */
int cr_cidr_contains(const cr_cidr *nets, int n, const cr_addr *a);

#endif
