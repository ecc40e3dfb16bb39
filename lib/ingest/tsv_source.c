/* Delimited text exports (tshark -T fields, or CSV/TSV with the seed's column names): tab- or
 * comma-separated with a header line, read by the project's one delimited-text reader
 * (common/csv.h), and NA as an unquoted empty field or the bare word NA (what R's write.csv
 * prints). */
#include <stdlib.h>
#include <string.h>

#include "common/csv.h"
#include "common/xalloc.h"
#include "ingest/fields.h"
#include "ingest/source.h"

typedef struct {
    cr_source base;
    cr_csv *csv;
    cr_fieldmap map;
    cr_value *row;
    int ncols;
} tsv_source;

static void to_values(const cr_csv_field *f, int n, cr_value *row)
{
    for (int i = 0; i < n; i++) {
        int na = !f[i].quoted && (f[i].len == 0 || !strcmp(f[i].s, "NA"));
        row[i] = (cr_value){na ? CR_VAL_NA : CR_VAL_TEXT, f[i].s, f[i].len, 0};
    }
}

static int tsv_next(cr_source *s, cr_packet *p, cr_err *e)
{
    tsv_source *t = (tsv_source *)s;
    cr_csv_field *f;
    int n;
    while ((n = cr_csv_next(t->csv, &f, e)) > 0) {
        size_t line = cr_csv_line(t->csv);
        if (n == 1 && !f[0].len && !f[0].quoted)
            continue;
        if (n != t->ncols)
            return cr_fail(e, "%s: line %zu: %d fields, the header has %d", s->path, line, n,
                           t->ncols);
        to_values(f, n, t->row);
        s->records++;
        const char *why = NULL;
        int rc = cr_fields_to_packet(&t->map, t->row, line, s->path, p, &why, e);
        if (rc == 1)
            return 1;
        if (rc < 0) /* name the line, not the data row: that is what an editor shows */
            return -1;
        cr_source_drop(s, why);
    }
    return n;
}

static void tsv_close(cr_source *s)
{
    tsv_source *t = (tsv_source *)s;
    cr_csv_close(t->csv);
    free(t->row);
    free(t);
}

static const cr_source_ops tsv_ops = {tsv_next, tsv_close};

static int start(cr_source **out, cr_csv *csv, const char *path, cr_err *e)
{
    tsv_source *t = xcalloc(1, sizeof *t);
    cr_source_init(&t->base, &tsv_ops, path, "tsv");
    t->csv = csv;
    cr_csv_field *f;
    int n = cr_csv_next(csv, &f, e);
    if (n < 0) {
        cr_fail(e, "%s: not a capture, .Rds or text export (%s)", path,
                strstr(e->msg, "NUL byte") ? "binary data" : e->msg);
        goto fail;
    }
    if (n == 0) {
        cr_fail(e, "%s: empty file (expected a header line)", path);
        goto fail;
    }
    if (n <= 1) {
        cr_fail(e, "%s: not a capture, .Rds or text export (no tab- or comma-separated header)",
                path);
        goto fail;
    }
    t->base.kind = cr_csv_delim(csv) == '\t' ? "tsv" : "csv";
    t->ncols = n;
    t->row = xcalloc((size_t)n, sizeof *t->row);
    const char **names = xmalloc((size_t)n * sizeof *names);
    for (int j = 0; j < n; j++)
        names[j] = f[j].s;
    int rc = cr_fieldmap_build(&t->map, names, n, path, e);
    free(names);
    if (rc != 0)
        goto fail;
    *out = &t->base;
    return 0;
fail:
    cr_source_close(&t->base);
    return -1;
}

int cr_tsv_source_open(cr_source **out, const char *path, cr_err *e)
{
    cr_csv *csv;
    if (cr_csv_open(&csv, path, 0, CR_CSV_SNIFF, e) != 0)
        return -1;
    return start(out, csv, path, e);
}

int cr_tsv_source_mem(cr_source **out, const void *buf, size_t len, const char *name, cr_err *e)
{
    return start(out, cr_csv_open_mem(buf, len, name, 0, CR_CSV_SNIFF), name, e);
}
