/* Delimited text exports (tshark -T fields, or CSV/TSV with the seed's column names): tab- or
 * comma-separated with a header line, optional RFC 4180 quotes, and NA as an empty field or the
 * bare word NA (what R's write.csv prints). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"
#include "ingest/fields.h"
#include "ingest/source.h"

typedef struct {
    cr_source base;
    FILE *f;
    char *line;
    size_t cap;
    char sep;
    uint64_t lineno;
    cr_fieldmap map;
    cr_value *row;
    int ncols;
} tsv_source;

/* Splits line in place into cells; returns the number of fields or -1 on an unterminated quote. */
static int split(char *line, size_t len, char sep, cr_value *cells, int max)
{
    while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
        line[--len] = 0;
    int n = 0;
    size_t i = 0;
    for (;;) {
        char *start = line + i, *w = start;
        int quoted = 0;
        if (i < len && line[i] == '"') {
            quoted = 1;
            i++;
            for (;;) {
                if (i >= len)
                    return -1;
                if (line[i] == '"') {
                    if (i + 1 < len && line[i + 1] == '"') {
                        *w++ = '"';
                        i += 2;
                        continue;
                    }
                    i++;
                    break;
                }
                *w++ = line[i++];
            }
            if (i < len && line[i] != sep)
                return -1;
        } else {
            while (i < len && line[i] != sep)
                i++;
            w = line + i;
        }
        if (n < max) {
            size_t l = (size_t)(w - start);
            if (!quoted && (l == 0 || (l == 2 && start[0] == 'N' && start[1] == 'A')))
                cells[n].kind = CR_VAL_NA;
            else
                cells[n].kind = CR_VAL_TEXT;
            cells[n].s = start;
            cells[n].len = l;
        }
        n++;
        if (i >= len)
            break;
        i++; /* separator */
    }
    return n;
}

static int tsv_next(cr_source *s, cr_packet *p, cr_err *e)
{
    tsv_source *t = (tsv_source *)s;
    for (;;) {
        ssize_t len = getline(&t->line, &t->cap, t->f);
        if (len < 0) {
            if (ferror(t->f))
                return cr_fail(e, "%s: read error: %s", s->path, strerror(errno));
            return 0;
        }
        t->lineno++;
        if (len == 0 || t->line[0] == '\n' || (t->line[0] == '\r' && t->line[1] == '\n'))
            continue;
        int n = split(t->line, (size_t)len, t->sep, t->row, t->ncols);
        if (n < 0)
            return cr_fail(e, "%s: line %llu: unterminated quote", s->path,
                           (unsigned long long)t->lineno);
        if (n != t->ncols)
            return cr_fail(e, "%s: line %llu: %d fields, the header has %d", s->path,
                           (unsigned long long)t->lineno, n, t->ncols);
        s->records++;
        const char *why = NULL;
        int rc = cr_fields_to_packet(&t->map, t->row, t->lineno, s->path, p, &why, e);
        if (rc == 1)
            return 1;
        if (rc < 0) /* name the line, not the data row: that is what an editor shows */
            return -1;
        cr_source_drop(s, why);
    }
}

static void tsv_close(cr_source *s)
{
    tsv_source *t = (tsv_source *)s;
    if (t->f)
        fclose(t->f);
    free(t->line);
    free(t->row);
    free(t);
}

static const cr_source_ops tsv_ops = {tsv_next, tsv_close};

int cr_tsv_source_open(cr_source **out, const char *path, cr_err *e)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return cr_fail(e, "%s: cannot open: %s", path, strerror(errno));
    return cr_tsv_source_stream(out, f, path, e);
}

int cr_tsv_source_stream(cr_source **out, FILE *f, const char *path, cr_err *e)
{
    tsv_source *t = xcalloc(1, sizeof *t);
    cr_source_init(&t->base, &tsv_ops, path, "tsv");
    t->f = f;
    ssize_t len = getline(&t->line, &t->cap, t->f);
    if (len <= 0) {
        cr_fail(e, "%s: empty file (expected a header line)", path);
        goto fail;
    }
    t->lineno = 1;
    if (memchr(t->line, 0, (size_t)len)) {
        cr_fail(e, "%s: not a capture, .Rds or text export (binary data)", path);
        goto fail;
    }
    t->sep = strchr(t->line, '\t') ? '\t' : ',';
    t->base.kind = t->sep == '\t' ? "tsv" : "csv";
    /* separators bound the number of fields (quoted ones may hold more) */
    int max = 1;
    for (ssize_t i = 0; i < len; i++)
        max += t->line[i] == t->sep;
    t->row = xcalloc((size_t)max, sizeof *t->row);
    int n = split(t->line, (size_t)len, t->sep, t->row, max);
    if (n <= 1) {
        cr_fail(e, "%s: not a capture, .Rds or text export (no tab- or comma-separated header)",
                path);
        goto fail;
    }
    t->ncols = n;
    const char **names = xmalloc((size_t)n * sizeof *names);
    for (int j = 0; j < n; j++) {
        t->row[j].s = t->row[j].s ? t->row[j].s : "";
        ((char *)t->row[j].s)[t->row[j].len] = 0;
        names[j] = t->row[j].s;
    }
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
