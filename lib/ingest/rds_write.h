/* Writes a data.frame of character columns as R's saveRDS() does by default (XDR serialization
 * version 3, gzip), so connrate's synthetic captures come in the seed's own format. */
#ifndef CR_RDS_WRITE_H
#define CR_RDS_WRITE_H

#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

/* cell(ctx, col, row, &len) returns the bytes of a cell (UTF-8 or ASCII) or NULL for NA; the
 * pointer only needs to stay valid until the next call. Columns are written one after the other,
 * so cell() is called column by column, row by row. The file appears atomically. */
typedef const char *(*cr_rds_cell_fn)(void *ctx, int col, int64_t row, size_t *len);

int cr_rds_write_strings(const char *path, int ncol, const char *const *names, int64_t nrow,
                         cr_rds_cell_fn cell, void *ctx, cr_err *e);

#endif
