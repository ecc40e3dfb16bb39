/* Column roles shared by the export readers (.Rds and TSV/CSV): which column holds which packet
 * field, under the seed's names or tshark's field names, and how one row becomes a cr_packet. */
#ifndef CR_FIELDS_H
#define CR_FIELDS_H

#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "ingest/packet.h"

/* A cell as a reader sees it: NA, text (not NUL-terminated) or a number (R integer/double/
 * logical columns). */
typedef struct {
    enum { CR_VAL_NA = 0, CR_VAL_TEXT, CR_VAL_NUM } kind;
    const char *s;
    size_t len;
    double d;
} cr_value;

enum cr_role {
    CR_ROLE_ID,
    CR_ROLE_TIMESTAMP_MS,   /* seed: timestamp (ms since epoch) */
    CR_ROLE_TIME_EPOCH,     /* tshark: frame.time_epoch (s, 9 decimals) */
    CR_ROLE_PROTOCOL,
    CR_ROLE_IPVER,
    CR_ROLE_SRC_IP, CR_ROLE_SRC_IP6,
    CR_ROLE_DST_IP, CR_ROLE_DST_IP6,
    CR_ROLE_SRC_PORT, CR_ROLE_UDP_SRC_PORT,
    CR_ROLE_DST_PORT, CR_ROLE_UDP_DST_PORT,
    CR_ROLE_TCP_REL,
    CR_ROLE_TCP_COMP,
    CR_ROLE_TCP_STREAM,
    CR_ROLE_TCP_FLAGS,
    CR_ROLE_TCP_LEN,
    CR_ROLE_COUNT
};

/* Address texts already parsed in a column, by a hash of their text: a workstation talks to a
 * few hundred peers, so almost every row finds both of its addresses here and skips the parse
 * (a two-entry memo of the last texts missed a third of the rows of a synthetic workstation). */
#define CR_ADDR_MEMO_SLOTS 256
typedef struct {
    struct {
        char text[46]; /* the longest IPv6 text, with an IPv4 tail */
        uint8_t len;   /* 0: empty slot */
        cr_addr addr;
    } slot[CR_ADDR_MEMO_SLOTS];
} cr_addr_memo;

typedef struct {
    int col[CR_ROLE_COUNT]; /* column index, -1 if absent */
    int ncols;
    int tshark_names;       /* 1 when the header uses tshark field names */
    cr_addr_memo memo[2];   /* source, destination */
} cr_fieldmap;

/* Maps column names to roles. Fails (naming path and the missing columns) unless the columns
 * needed for counting are present. */
int cr_fieldmap_build(cr_fieldmap *m, const char *const *names, int n, const char *path,
                      cr_err *e);

/* Converts one row (values indexed by column) to a packet. Returns 1 for a TCP/UDP packet, 0 for
 * a row that is neither (*why says why it was skipped), -1 on a bad value (e names path, row and
 * column). */
int cr_fields_to_packet(cr_fieldmap *m, const cr_value *row, uint64_t rowno,
                        const char *path, cr_packet *p, const char **why, cr_err *e);

#endif
