/* .Rds exports as a packet source: one cursor per column, walked row by row, each row mapped to
 * a packet by the same field rules as the text exports. The seed's exports are all character
 * columns, so those cells are read here directly, without the cursor's general dispatch (a
 * tenth of the row's cost on a 917k-row file). */
#include <stdlib.h>

#include "common/xalloc.h"
#include "ingest/fields.h"
#include "ingest/rds_internal.h"
#include "ingest/source.h"

typedef struct {
    cr_source base;
    cr_rds *df;
    cr_fieldmap map;
    cr_rds_cursor *cur;
    unsigned char *plain; /* per column: stored character strings (no ALTREP) */
    cr_value *row;
    int ncol;
    int64_t nrow, next;
} rds_source;

static int rds_next(cr_source *s, cr_packet *p, cr_err *e)
{
    rds_source *r = (rds_source *)s;
    while (r->next < r->nrow) {
        for (int j = 0; j < r->ncol; j++) {
            if (!r->plain[j]) {
                cr_rds_col_next(&r->cur[j], &r->row[j]);
                continue;
            }
            rds_str t;
            rds_str_next(&r->df->st, &r->cur[j].p, &r->cur[j].conv, &t);
            r->row[j] = t.s ? (cr_value){CR_VAL_TEXT, t.s, t.len, 0} : (cr_value){0};
        }
        uint64_t rowno = (uint64_t)++r->next;
        s->records++;
        const char *why = NULL;
        int rc = cr_fields_to_packet(&r->map, r->row, rowno, s->path, p, &why, e);
        if (rc != 0)
            return rc;
        cr_source_drop(s, why);
    }
    return 0;
}

static void rds_close(cr_source *s)
{
    rds_source *r = (rds_source *)s;
    cr_rds_close(r->df);
    free(r->cur);
    free(r->plain);
    free(r->row);
    free(r);
}

static const cr_source_ops rds_ops = {rds_next, rds_close};

int cr_rds_source_open(cr_source **out, const char *path, cr_err *e)
{
    *out = NULL;
    cr_rds *df;
    if (cr_rds_open(&df, path, e) != 0)
        return -1;
    cr_fieldmap map;
    if (cr_fieldmap_build(&map, cr_rds_colnames(df), cr_rds_ncol(df), path, e) != 0) {
        cr_rds_close(df);
        return -1;
    }
    rds_source *r = xcalloc(1, sizeof *r);
    cr_source_init(&r->base, &rds_ops, path, "rds");
    r->df = df;
    r->map = map;
    r->ncol = cr_rds_ncol(df);
    r->nrow = cr_rds_nrow(df);
    r->cur = xcalloc((size_t)r->ncol + 1, sizeof *r->cur);
    r->row = xcalloc((size_t)r->ncol + 1, sizeof *r->row);
    r->plain = xcalloc((size_t)r->ncol + 1, 1);
    for (int j = 0; j < r->ncol; j++) {
        cr_rds_cursor_init(&r->cur[j], df, j);
        r->plain[j] = df->cols[j].v.sexptype == RDS_STRSXP && !df->cols[j].v.deferred;
    }
    *out = &r->base;
    return 0;
}
