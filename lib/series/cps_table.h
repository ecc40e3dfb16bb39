/* The CPS table (`connrate cps`, the seed's format) read back for fitting: one row per machine
 * and second, four count series. The reader is strict because a silently misread count would
 * bias every posterior downstream: it names file, line and column for anything unexpected. */
#ifndef CR_CPS_TABLE_H
#define CR_CPS_TABLE_H

#include <stddef.h>
#include <stdio.h>

#include "common/err.h"
#include "series/cps.h" /* the series enum (CR_CPS_TCP_NEW ...) */

/* "tcp_new", "udp_new", "tcp_end", "udp_end" (the column names, in this order). */
extern const char *const cr_cps_series_names[CR_CPS_NSERIES];
/* Index of a series name, or -1. */
int cr_cps_series_index(const char *name);

typedef struct {
    int nmachines;        /* K; machines are numbered 1..K without gaps */
    char **machine_ids;   /* K names (machine_id column), index machine-1 */
    size_t nrows;
    int *machine;         /* per row, 1-based */
    int *second;          /* per row, 1-based within the machine, strictly increasing */
    int *minute;          /* per row, (second-1)/60+1 */
    int *count[CR_CPS_NSERIES]; /* per series, per row, >= 0 */
} cr_cps_table;

/* Largest count one machine can have in one second: beyond it a value is a corrupt table, not
 * traffic (and sums over users could overflow an int). */
#define CR_CPS_MAX_COUNT 10000000
#define CR_CPS_MAX_COUNT_TEXT "10000000"

/* Reads a CPS CSV (common/csv.h: quoted fields, a byte-order mark, gzip). Columns are found by
 * name (extra columns are ignored); rows must be ordered by machine then second, with minute
 * consistent with second and one machine_id per machine. */
int cr_cps_read(cr_cps_table *t, const char *path, cr_err *e);
/* Whether path reads as delimited text whose first record names every column of the table. */
int cr_cps_is_table(const char *path);
void cr_cps_free(cr_cps_table *t);

/* Joins tables computed apart (one per capture, on many machines) into the table `connrate cps`
 * computes from all the captures at once: machines renumbered 1..K in the order of their
 * machine_id as bytes (as cps orders its inputs), each with its rows as they were. Tables is n
 * tables read by cr_cps_read from paths[i]; a machine_id found in two of them is an error naming
 * both files. *out is a new table; the inputs are unchanged. */
int cr_cps_merge(cr_cps_table *out, const cr_cps_table *tables, const char *const *paths, int n,
                 cr_err *e);

/* Writes t as `connrate cps` does (header included): the same bytes for the same counts. */
void cr_cps_table_write(FILE *f, const cr_cps_table *t);

#endif
