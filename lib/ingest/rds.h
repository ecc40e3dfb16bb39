/* Reader for data frames saved by R's saveRDS(): XDR serialization versions 2 and 3, gzip, bzip2,
 * xz or no compression, R's ALTREP forms (compact sequences, deferred strings, wrappers).
 *
 * The whole stream is decompressed into one buffer (an uncompressed file is mapped), parsed once
 * to find the columns, and strings stay in place: a cursor walks one column and hands out each
 * cell as a cr_value pointing into the buffer, so millions of rows cost no per-string allocation.
 * Values are exactly what R's readRDS() gives: NA is distinct from "" and "NA", Latin-1 strings
 * come out as UTF-8, deferred strings are formatted as R's as.character() would. */
#ifndef CR_RDS_H
#define CR_RDS_H

#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "ingest/fields.h"

typedef struct cr_rds cr_rds;

/* Column types as R reports them; every type is read through the same cursor. */
enum cr_rds_type {
    CR_RDS_STRING,  /* TEXT or NA */
    CR_RDS_FACTOR,  /* TEXT (the level's label) or NA */
    CR_RDS_INT,     /* NUM or NA */
    CR_RDS_REAL,    /* NUM or NA (NaN counts as NA, as is.na() does) */
    CR_RDS_LOGICAL, /* NUM 0 / 1 or NA */
};

/* Opens path (any compression, chosen by magic bytes). Errors name the file:
 * "x.Rds: truncated gzip stream", "x.Rds: not a data frame (top-level object is a list)". */
int cr_rds_open(cr_rds **out, const char *path, cr_err *e);

/* Parses a file image held in memory (copied when compressed, referenced in place otherwise:
 * buf must outlive the frame when it is not compressed). `name` is used in error messages.
 * max_bytes > 0 caps the decompressed size (for fuzzing); 0 means no cap. */
int cr_rds_open_mem(cr_rds **out, const void *buf, size_t len, const char *name,
                    size_t max_bytes, cr_err *e);

void cr_rds_close(cr_rds *df);

/* The memory of the last few decompressed images is kept for the next file, because fresh
 * memory costs the kernel more to hand out (zeroed, page by page) than inflating into it; this
 * returns it to the system, e.g. once every input is read. */
void cr_rds_drop_cache(void);

int64_t cr_rds_nrow(const cr_rds *df);
int cr_rds_ncol(const cr_rds *df);
/* The column's name (NUL-terminated, UTF-8; "" when R had none). */
const char *cr_rds_colname(const cr_rds *df, int col);
/* All column names, for cr_fieldmap_build(). */
const char *const *cr_rds_colnames(const cr_rds *df);
enum cr_rds_type cr_rds_coltype(const cr_rds *df, int col);
/* "string", "factor", "int32", "real", "logical". */
const char *cr_rds_typename(enum cr_rds_type t);
/* The frame's class vector joined with ",", e.g. "tbl_df,tbl,data.frame". */
const char *cr_rds_class(const cr_rds *df);

/* Walks one column from its first row. The fields are private; the struct is public so cursors
 * can live on the stack. `num` holds a deferred string's cell until the next call. */
typedef struct {
    const void *col;
    const cr_rds *df;
    int64_t i, n;
    const unsigned char *p;
    size_t conv;
    char num[400];
} cr_rds_cursor;

void cr_rds_cursor_init(cr_rds_cursor *c, const cr_rds *df, int col);
/* Fills *v with the next cell; returns 1, or 0 past the last row. Text is valid while the frame
 * is open (a deferred string's text only until the next call on this cursor). */
int cr_rds_col_next(cr_rds_cursor *c, cr_value *v);

/* R's as.character() of one double with the given scipen (15 significant digits, fixed or
 * scientific by width, trailing zeros dropped); buf needs 400 bytes. Returns the length;
 * NA_real_ is the caller's business (R gives NA_character_). */
size_t cr_rds_format_real(double x, int scipen, char *buf);

#endif
