/* --format rds: the capture read back through the tshark-emulating packet source and saved as
 * the seed's data frame. Cells are the first ten columns of the `packets` table, which already
 * prints every field as tshark does; its empty cells (UDP's tcp_* columns) become NA. */
#include "synth/synth.h"

#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"
#include "ingest/packet_format.h"
#include "ingest/rds_write.h"
#include "ingest/source.h"

enum { NCOL = 10 };

typedef struct {
    char *text;     /* per row: NCOL NUL-terminated cells */
    size_t len, cap;
    size_t *row;    /* offset of each row in text */
    size_t nrow, rowcap;
} cells;

static const char *cell(void *ctx, int col, int64_t r, size_t *len)
{
    const cells *c = ctx;
    const char *p = c->text + c->row[r];
    for (int i = 0; i < col; i++)
        p += strlen(p) + 1;
    *len = strlen(p);
    return *len ? p : NULL;
}

static void add_row(cells *c, const cr_packet *p)
{
    char line[CR_PACKET_ROW_MAX];
    size_t n = cr_packet_format(p, line);
    xgrow(&c->row, &c->rowcap, c->nrow + 1, sizeof *c->row);
    xgrow(&c->text, &c->cap, c->len + n, 1);
    c->row[c->nrow++] = c->len;
    int col = 0;
    for (size_t i = 0; i < n && col < NCOL; i++) {
        char ch = line[i] == '\t' || line[i] == '\n' ? 0 : line[i];
        c->text[c->len++] = ch;
        col += ch == 0;
    }
}

int cr_synth_pcap_to_rds(const char *pcap, const char *rds, cr_err *e)
{
    static const char *const names[NCOL] = {
        "id",     "timestamp", "protocol", "ip_version",        "src_ip",
        "dst_ip", "src_port",  "dst_port", "tcp_time_relative", "tcp_completeness"};
    cr_source *s;
    if (cr_source_open(&s, pcap, e) != 0)
        return -1;
    cells c;
    memset(&c, 0, sizeof c);
    cr_packet p;
    int rc;
    while ((rc = cr_source_next(s, &p, e)) == 1)
        add_row(&c, &p);
    cr_source_close(s);
    if (rc == 0)
        rc = cr_rds_write_strings(rds, NCOL, names, (int64_t)c.nrow, cell, &c, e);
    free(c.text);
    free(c.row);
    return rc;
}
