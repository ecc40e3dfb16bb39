/* Delimited text, the one reader and the one writer of every CSV/TSV connrate reads or writes
 * (RFC 4180): fields may be quoted, a quoted field may hold the delimiter, doubled quotes and
 * line breaks, a UTF-8 byte-order mark before the first record is skipped, and lines may end in
 * CRLF or LF. Gzip-compressed files are read as they are (zlib reads plain files unchanged).
 *
 * Cells that a spreadsheet would run as a formula (starting with = + - @ tab or CR) are written
 * with a leading apostrophe, and so is a cell that itself starts with one; the reader removes
 * exactly that apostrophe, so every text round-trips byte for byte whatever it holds (a file
 * name like `=cmd|' /C calc'!A0.pcap` included). Numbers are written as they are. */
#ifndef CR_CSV_H
#define CR_CSV_H

#include <stddef.h>
#include <stdio.h>

#include "common/err.h"

/* Records are bounded so a file without line breaks (or a runaway quote) cannot take all memory. */
#define CR_CSV_MAX_RECORD ((size_t)64 << 20)

enum {
    CR_CSV_PLAIN = 1, /* no quoting at all (Zeek's TSV: a quote is an ordinary byte) */
    CR_CSV_SNIFF = 2, /* the delimiter is a tab when the first line holds one, else a comma */
};

typedef struct {
    char *s;     /* NUL-terminated, quotes and the neutralising apostrophe removed */
    size_t len;
    int quoted;  /* the field was quoted (so an empty quoted field is "", not missing) */
} cr_csv_field;

typedef struct cr_csv cr_csv;

/* Opens path for reading records separated by delim (',' or '\t'; 0 makes each line one field,
 * for logs that are not delimited text); flags CR_CSV_*. */
int cr_csv_open(cr_csv **out, const char *path, char delim, int flags, cr_err *e);
/* The same over len bytes in memory (not copied: they must outlive the reader); name stands for
 * the file in messages. */
cr_csv *cr_csv_open_mem(const void *buf, size_t len, const char *name, char delim, int flags);
/* The delimiter in use (after CR_CSV_SNIFF, the one chosen). */
char cr_csv_delim(const cr_csv *r);
/* The next record: returns its number of fields (>= 1; a blank line is one empty field), 0 at
 * the end, -1 on an error naming path and line (unterminated quote, text after a closing quote,
 * a NUL byte, a record over CR_CSV_MAX_RECORD, a read error). Fields stay valid until the next
 * call. */
int cr_csv_next(cr_csv *r, cr_csv_field **fields, cr_err *e);
/* Line of the file on which the last record began (1-based). */
size_t cr_csv_line(const cr_csv *r);
void cr_csv_close(cr_csv *r);

/* Writes one text cell: neutralised and quoted when it needs to be. */
void cr_csv_text(FILE *f, const char *s, char delim);
/* The cell cr_csv_text writes, in a fresh string (for a cell repeated on many rows). */
char *cr_csv_escape(const char *s, char delim);
/* Writes a whole row of text cells, separated by delim and ended by '\n'. */
void cr_csv_row(FILE *f, const char *const *cells, int n, char delim);

#endif
