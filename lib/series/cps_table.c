#include "series/cps_table.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/csv.h"
#include "common/xalloc.h"

const char *const cr_cps_series_names[CR_CPS_NSERIES] = {"tcp_new", "udp_new", "tcp_end",
                                                          "udp_end"};

int cr_cps_series_index(const char *name)
{
    for (int i = 0; i < CR_CPS_NSERIES; i++)
        if (!strcmp(name, cr_cps_series_names[i]))
            return i;
    return -1;
}

/* Required columns, in the seed's order; the reader maps each to its position in the header. */
enum { COL_MACHINE_ID, COL_MACHINE, COL_SECOND, COL_MINUTE, COL_SERIES0, NCOLS = COL_SERIES0 + 4 };
static const char *const col_names[NCOLS] = {"machine_id", "machine", "second", "minute",
                                             "tcp_new", "udp_new", "tcp_end", "udp_end"};

/* A plain non-negative decimal integer up to max ("NA", "1.0", "-1", "" are errors). */
static int parse_count(const char *s, long max, int *out)
{
    if (!*s)
        return -1;
    long v = 0;
    for (; *s; s++) {
        unsigned d = (unsigned)(unsigned char)*s - '0';
        if (d >= 10)
            return -1;
        v = v * 10 + d;
        if (v > max) /* max < LONG_MAX / 10, so this stops before any overflow */
            return -1;
    }
    *out = (int)v;
    return 0;
}

typedef struct {
    const char *path;
    size_t line;
    cr_err *e;
} ctx;

static int bad_value(const ctx *c, int col, const char *v, const char *want)
{
    return cr_fail(c->e, "%s:%zu: column %s: '%s' is not %s", c->path, c->line, col_names[col], v,
                   want);
}

static int read_header(const ctx *c, const cr_csv_field *f, int nf, int *pos)
{
    for (int j = 0; j < NCOLS; j++) {
        pos[j] = -1;
        for (int i = 0; i < nf; i++)
            if (!strcmp(f[i].s, col_names[j]))
                pos[j] = i;
        if (pos[j] < 0)
            return cr_fail(c->e, "%s:1: missing column %s (need %s,%s,%s,%s,%s,%s,%s,%s)", c->path,
                           col_names[j], col_names[0], col_names[1], col_names[2], col_names[3],
                           col_names[4], col_names[5], col_names[6], col_names[7]);
    }
    return 0;
}

/* Checks one row against the previous one and appends it. */
static int add_row(cr_cps_table *t, size_t *cap, const ctx *c, const cr_csv_field *f,
                   const int *pos)
{
    int v[NCOLS];
    for (int j = COL_MACHINE; j < COL_SERIES0; j++)
        if (parse_count(f[pos[j]].s, INT_MAX, &v[j]) != 0)
            return bad_value(c, j, f[pos[j]].s, "a non-negative integer");
    for (int j = COL_SERIES0; j < NCOLS; j++)
        if (parse_count(f[pos[j]].s, CR_CPS_MAX_COUNT, &v[j]) != 0)
            return bad_value(c, j, f[pos[j]].s, "a count from 0 to " CR_CPS_MAX_COUNT_TEXT
                             " (connections of one machine in one second)");
    const char *id = f[pos[COL_MACHINE_ID]].s;
    if (!*id)
        return cr_fail(c->e, "%s:%zu: column machine_id: empty", c->path, c->line);
    if (v[COL_MACHINE] < 1)
        return bad_value(c, COL_MACHINE, f[pos[COL_MACHINE]].s, "a machine index >= 1");
    if (v[COL_SECOND] < 1)
        return bad_value(c, COL_SECOND, f[pos[COL_SECOND]].s, "a second >= 1");
    if (v[COL_MINUTE] != (v[COL_SECOND] - 1) / 60 + 1)
        return cr_fail(c->e, "%s:%zu: column minute: %d does not match second %d (expected %d)",
                       c->path, c->line, v[COL_MINUTE], v[COL_SECOND],
                       (v[COL_SECOND] - 1) / 60 + 1);

    int prev_machine = t->nrows ? t->machine[t->nrows - 1] : 0;
    if (v[COL_MACHINE] == prev_machine) {
        if (v[COL_SECOND] <= t->second[t->nrows - 1])
            return cr_fail(c->e, "%s:%zu: column second: rows not ordered by machine then second "
                           "(%d after %d)", c->path, c->line, v[COL_SECOND],
                           t->second[t->nrows - 1]);
        if (strcmp(id, t->machine_ids[prev_machine - 1]) != 0)
            return cr_fail(c->e, "%s:%zu: column machine_id: '%s' differs from '%s' for machine %d",
                           c->path, c->line, id, t->machine_ids[prev_machine - 1], prev_machine);
    } else if (v[COL_MACHINE] == prev_machine + 1) {
        for (int k = 0; k < t->nmachines; k++)
            if (!strcmp(id, t->machine_ids[k]))
                return cr_fail(c->e, "%s:%zu: column machine_id: '%s' already used by machine %d",
                               c->path, c->line, id, k + 1);
        t->machine_ids = xrealloc(t->machine_ids, (size_t)(t->nmachines + 1) * sizeof(char *));
        t->machine_ids[t->nmachines++] = xstrdup(id);
    } else {
        return cr_fail(c->e, "%s:%zu: column machine: rows not ordered by machine with indices "
                       "1..K (%d after %d)", c->path, c->line, v[COL_MACHINE], prev_machine);
    }

    if (t->nrows == *cap) {
        *cap = *cap ? 2 * *cap : 4096;
        t->machine = xrealloc(t->machine, *cap * sizeof(int));
        t->second = xrealloc(t->second, *cap * sizeof(int));
        t->minute = xrealloc(t->minute, *cap * sizeof(int));
        for (int s = 0; s < CR_CPS_NSERIES; s++)
            t->count[s] = xrealloc(t->count[s], *cap * sizeof(int));
    }
    size_t r = t->nrows++;
    t->machine[r] = v[COL_MACHINE];
    t->second[r] = v[COL_SECOND];
    t->minute[r] = v[COL_MINUTE];
    for (int s = 0; s < CR_CPS_NSERIES; s++)
        t->count[s][r] = v[COL_SERIES0 + s];
    return 0;
}

int cr_cps_is_table(const char *path)
{
    cr_csv *r;
    cr_err e;
    if (cr_csv_open(&r, path, ',', 0, &e) != 0)
        return 0;
    cr_csv_field *f;
    int nf = cr_csv_next(r, &f, &e), pos[NCOLS];
    ctx c = {path, 1, &e};
    int yes = nf > 0 && read_header(&c, f, nf, pos) == 0;
    cr_csv_close(r);
    return yes;
}

int cr_cps_read(cr_cps_table *t, const char *path, cr_err *e)
{
    memset(t, 0, sizeof *t);
    cr_csv *r;
    if (cr_csv_open(&r, path, ',', 0, e) != 0)
        return -1;
    ctx c = {path, 0, e};
    cr_csv_field *f;
    size_t rowcap = 0;
    int pos[NCOLS], width = 0, rc = 0, nf;
    while ((nf = cr_csv_next(r, &f, e)) > 0) {
        c.line = cr_csv_line(r);
        if (width == 0) {
            width = nf;
            if ((rc = read_header(&c, f, nf, pos)) != 0)
                break;
            continue;
        }
        if (nf == 1 && !f[0].len && !f[0].quoted)
            continue; /* blank line, e.g. a trailing one */
        if (nf != width) {
            rc = cr_fail(e, "%s:%zu: %d fields, header has %d", path, c.line, nf, width);
            break;
        }
        if ((rc = add_row(t, &rowcap, &c, f, pos)) != 0)
            break;
    }
    if (nf < 0)
        rc = -1;
    else if (!rc && width == 0)
        rc = cr_fail(e, "%s: empty file (no header)", path);
    else if (!rc && t->nrows == 0)
        rc = cr_fail(e, "%s: no data rows", path);
    cr_csv_close(r);
    if (rc)
        cr_cps_free(t);
    return rc;
}

void cr_cps_free(cr_cps_table *t)
{
    for (int k = 0; k < t->nmachines; k++)
        free(t->machine_ids[k]);
    free(t->machine_ids);
    free(t->machine);
    free(t->second);
    free(t->minute);
    for (int s = 0; s < CR_CPS_NSERIES; s++)
        free(t->count[s]);
    memset(t, 0, sizeof *t);
}

/* One machine of one input table: its id and its rows [first, first + nrows). */
typedef struct {
    const char *id;
    int table;
    size_t first, nrows;
} merge_part;

static int cmp_part(const void *a, const void *b)
{
    const merge_part *x = a, *y = b;
    int c = strcmp(x->id, y->id);
    /* equal ids are an error, reported in input order */
    return c ? c : (x->table > y->table) - (x->table < y->table);
}

int cr_cps_merge(cr_cps_table *out, const cr_cps_table *tables, const char *const *paths, int n,
                 cr_err *e)
{
    memset(out, 0, sizeof *out);
    size_t nparts = 0, nrows = 0;
    for (int i = 0; i < n; i++) {
        nparts += (size_t)tables[i].nmachines;
        nrows += tables[i].nrows;
    }
    merge_part *part = xcalloc(nparts + 1, sizeof *part);
    size_t k = 0;
    for (int i = 0; i < n; i++) {
        const cr_cps_table *t = &tables[i];
        for (size_t r = 0; r < t->nrows; r++) {
            if (r == 0 || t->machine[r] != t->machine[r - 1])
                part[k++] = (merge_part){t->machine_ids[t->machine[r] - 1], i, r, 0};
            part[k - 1].nrows++;
        }
    }
    qsort(part, nparts, sizeof *part, cmp_part);
    for (size_t j = 1; j < nparts; j++)
        if (!strcmp(part[j].id, part[j - 1].id)) {
            /* within one table the reader has already refused it */
            cr_fail(e, "%s and %s: both have machine_id '%s' (each machine may be in one table "
                       "only)", paths[part[j - 1].table], paths[part[j].table], part[j].id);
            free(part);
            return -1;
        }
    out->nmachines = (int)nparts;
    out->nrows = nrows;
    out->machine_ids = xcalloc(nparts + 1, sizeof *out->machine_ids);
    out->machine = xcalloc(nrows + 1, sizeof(int));
    out->second = xcalloc(nrows + 1, sizeof(int));
    out->minute = xcalloc(nrows + 1, sizeof(int));
    for (int s = 0; s < CR_CPS_NSERIES; s++)
        out->count[s] = xcalloc(nrows + 1, sizeof(int));
    size_t at = 0;
    for (size_t j = 0; j < nparts; j++) {
        const cr_cps_table *t = &tables[part[j].table];
        size_t f = part[j].first, m = part[j].nrows;
        out->machine_ids[j] = xstrdup(part[j].id);
        for (size_t r = 0; r < m; r++)
            out->machine[at + r] = (int)j + 1;
        memcpy(out->second + at, t->second + f, m * sizeof(int));
        memcpy(out->minute + at, t->minute + f, m * sizeof(int));
        for (int s = 0; s < CR_CPS_NSERIES; s++)
            memcpy(out->count[s] + at, t->count[s] + f, m * sizeof(int));
        at += m;
    }
    free(part);
    return 0;
}

/* ",N" for a non-negative int, at p; returns the end. */
static char *put_field(char *p, int v)
{
    char tmp[12];
    int n = 0;
    unsigned u = (unsigned)v;
    do {
        tmp[n++] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    *p++ = ',';
    while (n)
        *p++ = tmp[--n];
    return p;
}

/* The bytes of "%s,%d,%d,%d,%d,%d,%d,%d\n" (every number here is >= 0), formatted by hand:
 * printf was a quarter of merging 4 million rows. */
void cr_cps_table_write(FILE *f, const cr_cps_table *t)
{
    cr_cps_write_header(f);
    char *id = NULL, *line = NULL;
    size_t idlen = 0;
    for (size_t r = 0; r < t->nrows; r++) {
        if (r == 0 || t->machine[r] != t->machine[r - 1]) {
            free(id);
            free(line);
            id = cr_csv_escape(t->machine_ids[t->machine[r] - 1], ',');
            idlen = strlen(id);
            line = xmalloc(idlen + 8 * 12);
            memcpy(line, id, idlen);
        }
        char *p = line + idlen;
        p = put_field(p, t->machine[r]);
        p = put_field(p, t->second[r]);
        p = put_field(p, t->minute[r]);
        for (int s = 0; s < CR_CPS_NSERIES; s++)
            p = put_field(p, t->count[s][r]);
        *p++ = '\n';
        fwrite(line, 1, (size_t)(p - line), f);
    }
    free(id);
    free(line);
}
