/* A data.frame of character columns in saveRDS()'s default form: XDR serialization version 3
 * (native encoding UTF-8), gzip, class "data.frame", compact row.names c(NA, -n), strings
 * flagged ASCII or UTF-8 the way R flags them, NA as R's NA_character_. */
#include "ingest/rds_write.h"

#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "common/outfile.h"
#include "common/xalloc.h"

#define WRITER_R_VERSION 0x040202 /* R 4.2.2, what the test files were written with */
#define MIN_R_VERSION 0x030500    /* version 3 needs R >= 3.5.0 */

typedef struct {
    cr_outfile out;
    z_stream z;
    unsigned char in[1 << 16], zout[1 << 16];
    size_t n;
    int zerr;
} writer;

static void deflate_out(writer *w, int flush)
{
    w->z.next_in = w->in;
    w->z.avail_in = (uInt)w->n;
    do {
        w->z.next_out = w->zout;
        w->z.avail_out = sizeof w->zout;
        int rc = deflate(&w->z, flush);
        if (rc == Z_STREAM_ERROR)
            w->zerr = 1;
        fwrite(w->zout, 1, sizeof w->zout - w->z.avail_out, w->out.fp);
    } while (w->z.avail_out == 0);
    w->n = 0;
}

static void put(writer *w, const void *p, size_t n)
{
    const unsigned char *s = p;
    while (n) {
        size_t k = sizeof w->in - w->n < n ? sizeof w->in - w->n : n;
        memcpy(w->in + w->n, s, k);
        w->n += k;
        s += k;
        n -= k;
        if (w->n == sizeof w->in)
            deflate_out(w, Z_NO_FLUSH);
    }
}

static void put_int(writer *w, int32_t v)
{
    uint32_t u = (uint32_t)v;
    unsigned char b[4] = {(unsigned char)(u >> 24), (unsigned char)(u >> 16),
                          (unsigned char)(u >> 8), (unsigned char)u};
    put(w, b, 4);
}

enum { CHARSXP = 9, STRSXP = 16, INTSXP = 13, VECSXP = 19, SYMSXP = 1, LISTSXP = 2,
       NILVALUE = 254, OBJECT = 1 << 8, HAS_ATTR = 1 << 9, HAS_TAG = 1 << 10,
       UTF8 = 1 << 3, ASCII = 1 << 6 };

/* A CHARSXP; NULL is NA_character_. */
static void put_string(writer *w, const char *s, size_t len)
{
    if (!s) {
        put_int(w, CHARSXP);
        put_int(w, -1);
        return;
    }
    int ascii = 1;
    for (size_t i = 0; i < len && ascii; i++)
        ascii = (unsigned char)s[i] < 0x80;
    put_int(w, CHARSXP | (ascii ? ASCII : UTF8) << 12);
    put_int(w, (int32_t)len);
    put(w, s, len);
}

static void put_cstring(writer *w, const char *s)
{
    put_string(w, s, strlen(s));
}

/* One tagged cell of an attribute pairlist; its value follows. Each symbol appears once, so no
 * reference-table entries are needed. */
static void put_attr_tag(writer *w, const char *name)
{
    put_int(w, LISTSXP | HAS_TAG);
    put_int(w, SYMSXP);
    put_cstring(w, name);
}

int cr_rds_write_strings(const char *path, int ncol, const char *const *names, int64_t nrow,
                         cr_rds_cell_fn cell, void *ctx, cr_err *e)
{
    if (nrow < 0 || nrow > INT32_MAX || ncol < 0)
        return cr_fail(e, "%s: cannot write %lld rows x %d columns as a data.frame", path,
                       (long long)nrow, ncol);
    writer *w = xcalloc(1, sizeof *w);
    if (cr_outfile_open(&w->out, path, e) != 0) {
        free(w);
        return -1;
    }
    if (deflateInit2(&w->z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
        cr_outfile_abort(&w->out);
        free(w);
        return cr_fail(e, "%s: cannot start gzip compression", path);
    }
    int rc = 0;
    put(w, "X\n", 2);
    put_int(w, 3);
    put_int(w, WRITER_R_VERSION);
    put_int(w, MIN_R_VERSION);
    put_int(w, 5);
    put(w, "UTF-8", 5);

    put_int(w, VECSXP | OBJECT | HAS_ATTR);
    put_int(w, ncol);
    for (int j = 0; j < ncol && rc == 0; j++) {
        put_int(w, STRSXP);
        put_int(w, (int32_t)nrow);
        for (int64_t i = 0; i < nrow; i++) {
            size_t len = 0;
            const char *s = cell(ctx, j, i, &len);
            if (s && len > INT32_MAX) {
                rc = cr_fail(e, "%s: a string of %zu bytes in column %d is longer than R allows",
                             path, len, j + 1);
                break;
            }
            put_string(w, s, len);
        }
    }
    put_attr_tag(w, "names");
    put_int(w, STRSXP);
    put_int(w, ncol);
    for (int j = 0; j < ncol; j++)
        put_cstring(w, names[j]);
    put_attr_tag(w, "class");
    put_int(w, STRSXP);
    put_int(w, 1);
    put_cstring(w, "data.frame");
    put_attr_tag(w, "row.names");
    put_int(w, INTSXP);
    if (nrow > 0) {
        put_int(w, 2);
        put_int(w, INT32_MIN); /* NA_integer_ */
        put_int(w, (int32_t)-nrow);
    } else {
        put_int(w, 0);
    }
    put_int(w, NILVALUE);
    deflate_out(w, Z_FINISH);
    deflateEnd(&w->z);
    if (rc == 0 && w->zerr)
        rc = cr_fail(e, "%s: gzip compression failed", path);
    if (rc == 0)
        rc = cr_outfile_commit(&w->out, e);
    else
        cr_outfile_abort(&w->out);
    free(w);
    return rc;
}
