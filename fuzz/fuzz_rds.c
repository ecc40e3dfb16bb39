/* libFuzzer target for the .Rds reader: parse a buffer as a file image (any compression) and
 * walk every column, so both the parser's checks and the cursors' trust in them are exercised.
 * Built by the fuzz rule with clang -fsanitize=fuzzer; it has no main of its own. */
#include <stddef.h>
#include <stdint.h>

#include "ingest/rds.h"

#define MAX_IMAGE ((size_t)64 << 20) /* decompression bombs stop here */
#define MAX_CELLS 200000             /* a compact sequence may claim 2^31 rows */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cr_rds *df;
    cr_err e;
    if (cr_rds_open_mem(&df, data, size, "fuzz.rds", MAX_IMAGE, &e) != 0)
        return 0;
    long cells = 0;
    for (int j = 0; j < cr_rds_ncol(df) && cells < MAX_CELLS; j++) {
        cr_rds_cursor c;
        cr_rds_cursor_init(&c, df, j);
        cr_value v;
        (void)cr_rds_colname(df, j);
        (void)cr_rds_coltype(df, j);
        while (cells++ < MAX_CELLS && cr_rds_col_next(&c, &v) == 1)
            if (v.kind == CR_VAL_TEXT && v.len)
                cells += v.s[0] == 0; /* touch the first byte */
    }
    cr_rds_close(df);
    return 0;
}
