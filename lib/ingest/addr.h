/* IP addresses as connrate keeps them: binary, with their family, so that hashing and comparing
 * are cheap, and formatted exactly as tshark prints them when text is needed. */
#ifndef CR_ADDR_H
#define CR_ADDR_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    uint8_t family;   /* 4 or 6; 0 = unset */
    uint8_t b[16];    /* IPv4 uses the first 4 bytes, the rest are zero */
} cr_addr;

#define CR_ADDR_STRLEN 48

/* Text as tshark 4.0 prints ip.src / ipv6.src. Returns the length written. */
size_t cr_addr_format(const cr_addr *a, char out[CR_ADDR_STRLEN]);
/* Parses dotted IPv4 or any IPv6 text form; returns 0 on success, -1 when s is not an address. */
int cr_addr_parse(const char *s, size_t len, cr_addr *a);
int cr_addr_equal(const cr_addr *x, const cr_addr *y);
/* Total order (family, then bytes); used for deterministic tie-breaking and sorting. */
int cr_addr_cmp(const cr_addr *x, const cr_addr *y);

#endif
