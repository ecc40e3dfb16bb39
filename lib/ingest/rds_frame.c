/* From the parse tree to a data frame: class, names, row count and one resolved vector per
 * column, with the checks that make later cursor walks safe without bounds tests (lengths
 * agree, factor codes index their levels). */
#include "ingest/rds_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "common/xalloc.h"

static const char *describe(int type)
{
    switch (type) {
    case 0: return "NULL";
    case RDS_STRSXP: return "character vector";
    case RDS_INTSXP: return "integer vector";
    case RDS_REALSXP: return "double vector";
    case RDS_LGLSXP: return "logical vector";
    case RDS_CPLXSXP: return "complex vector";
    case RDS_RAWSXP: return "raw vector";
    case RDS_VECSXP: return "list";
    case RDS_EXPRSXP: return "expression";
    case RDS_ENVSXP: case RDS_GLOBALENV: case RDS_BASEENV: case RDS_EMPTYENV:
        return "environment";
    case RDS_CLOSXP: case RDS_SPECIALSXP: case RDS_BUILTINSXP: return "function";
    case RDS_LISTSXP: return "pairlist";
    case RDS_LANGSXP: return "call";
    case RDS_SYMSXP: return "symbol";
    case RDS_S4SXP: return "S4 object";
    case RDS_EXTPTRSXP: return "external pointer";
    default: return "R object";
    }
}

/* Reads a short character vector (names, class, levels) into an array of strings. */
static int strings_of(cr_rds *df, const rds_node *n, const char *what, rds_str **out,
                      int64_t *count, cr_err *e)
{
    rds_col k = {.type = CR_RDS_STRING};
    if (rds_resolve(n, &k.v, df->name, e) != 0)
        return -1;
    if (k.v.sexptype != RDS_STRSXP)
        return cr_fail(e, "%s: %s is a %s, not a character vector", df->name, what,
                       describe(k.v.sexptype));
    if ((uint64_t)k.v.len > (df->im.len > (1u << 20) ? df->im.len : (1u << 20)))
        return cr_fail(e, "%s: %s has %lld elements", df->name, what, (long long)k.v.len);
    rds_str *a = rds_alloc(&df->st.arena, (size_t)k.v.len * sizeof *a + 1);
    cr_rds_cursor c;
    rds_cursor_start(&c, df, &k, k.v.len);
    cr_value v;
    for (int64_t i = 0; cr_rds_col_next(&c, &v) == 1; i++) {
        if (v.kind != CR_VAL_TEXT)
            continue;
        /* Copied with a terminator: deferred cells live in the cursor, names need a NUL. */
        char *s = rds_alloc(&df->st.arena, v.len + 1);
        memcpy(s, v.s, v.len);
        a[i].s = s;
        a[i].len = v.len;
    }
    *out = a;
    *count = k.v.len;
    return 0;
}

static int inherits(cr_rds *df, const rds_node *n, const char *cls, cr_err *e, int *yes)
{
    *yes = 0;
    const rds_node *a = rds_attr(n, "class");
    if (!a)
        return 0;
    rds_str *s;
    int64_t count;
    if (strings_of(df, a, "a class attribute", &s, &count, e) != 0)
        return -1;
    for (int64_t i = 0; i < count; i++)
        if (s[i].s && !strcmp(s[i].s, cls))
            *yes = 1;
    return 0;
}

/* row.names is c(NA, -n) in compact form, else one name per row. */
static int row_count(cr_rds *df, const rds_node *top, int64_t *nrow, cr_err *e)
{
    const rds_node *rn = rds_attr(top, "row.names");
    rds_vec v;
    if (rds_resolve(rn, &v, df->name, e) != 0)
        return -1;
    *nrow = v.len;
    if (!rn)
        *nrow = df->ncol ? df->cols[0].v.len : 0;
    else if (v.sexptype == RDS_INTSXP && !v.seq && v.len == 2 &&
             (int32_t)rds_be32(v.data) == RDS_NA_INT) {
        int32_t n = (int32_t)rds_be32(v.data + 4);
        *nrow = n == RDS_NA_INT ? 0 : n < 0 ? -(int64_t)n : n;
    }
    return 0;
}

static int check_factor(cr_rds *df, const rds_col *k, const char *col, cr_err *e)
{
    int bad = 0;
    if (k->v.seq && k->v.len > 0) {
        double last = k->v.start + k->v.step * (double)(k->v.len - 1);
        bad = fmin(k->v.start, last) < 1 || fmax(k->v.start, last) > (double)k->nlevels;
    } else if (!k->v.seq) {
        for (int64_t i = 0; i < k->v.len && !bad; i++) {
            int32_t x = (int32_t)rds_be32(k->v.data + 4 * i);
            bad = x != RDS_NA_INT && (x < 1 || x > k->nlevels);
        }
    }
    if (bad)
        return cr_fail(e, "%s: column '%s': factor code outside its %lld levels", df->name, col,
                       (long long)k->nlevels);
    return 0;
}

static int build_column(cr_rds *df, const rds_node *n, rds_col *k, const char *col, cr_err *e)
{
    if (rds_resolve(n, &k->v, df->name, e) != 0)
        return -1;
    int factor;
    switch (k->v.sexptype) {
    case RDS_STRSXP:
        k->type = CR_RDS_STRING;
        return 0;
    case RDS_INTSXP:
        if (inherits(df, n, "factor", e, &factor) != 0)
            return -1;
        if (!factor) {
            k->type = CR_RDS_INT;
            return 0;
        }
        k->type = CR_RDS_FACTOR;
        if (strings_of(df, rds_attr(n, "levels"), "a factor's levels", &k->levels, &k->nlevels,
                       e) != 0)
            return -1;
        return check_factor(df, k, col, e);
    case RDS_REALSXP:
        k->type = CR_RDS_REAL;
        return 0;
    case RDS_LGLSXP:
        k->type = CR_RDS_LOGICAL;
        return 0;
    default:
        return cr_fail(e, "%s: column '%s' is a %s, which is not supported", df->name, col,
                       describe(k->v.sexptype));
    }
}

static int build(cr_rds *df, const rds_node *top, cr_err *e)
{
    int is_df = 0;
    if (top && top->type == RDS_VECSXP && inherits(df, top, "data.frame", e, &is_df) != 0)
        return -1;
    if (!is_df)
        return cr_fail(e, "%s: not a data frame (top-level object is a %s%s)", df->name,
                       top && top->type == RDS_ALTREP ? "vector" : describe(top ? top->type : 0),
                       top && rds_attr(top, "class") ? " with another class" : "");
    rds_str *cls;
    int64_t ncls;
    if (strings_of(df, rds_attr(top, "class"), "the class attribute", &cls, &ncls, e) != 0)
        return -1;
    size_t clen = 1;
    for (int64_t i = 0; i < ncls; i++)
        clen += (cls[i].s ? cls[i].len : 2) + 1;
    df->klass = rds_alloc(&df->st.arena, clen);
    for (int64_t i = 0; i < ncls; i++) {
        if (i)
            strcat(df->klass, ",");
        strcat(df->klass, cls[i].s ? cls[i].s : "NA");
    }
    if (top->len > INT32_MAX)
        return cr_fail(e, "%s: %lld columns", df->name, (long long)top->len);
    df->ncol = (int)top->len;
    df->cols = rds_alloc(&df->st.arena, (size_t)df->ncol * sizeof *df->cols + 1);
    df->names = rds_alloc(&df->st.arena, (size_t)(df->ncol + 1) * sizeof *df->names);
    rds_str *names = NULL;
    int64_t nnames = 0;
    const rds_node *na = rds_attr(top, "names");
    if (na && strings_of(df, na, "the names attribute", &names, &nnames, e) != 0)
        return -1;
    for (int j = 0; j < df->ncol; j++)
        df->names[j] = j < nnames && names[j].s ? names[j].s : "";
    for (int j = 0; j < df->ncol; j++)
        if (build_column(df, top->elts[j], &df->cols[j], df->names[j], e) != 0)
            return -1;
    if (row_count(df, top, &df->nrow, e) != 0)
        return -1;
    for (int j = 0; j < df->ncol; j++)
        if (df->cols[j].v.len != df->nrow)
            return cr_fail(e, "%s: column '%s' has %lld values but the frame has %lld rows",
                           df->name, df->names[j], (long long)df->cols[j].v.len,
                           (long long)df->nrow);
    return 0;
}

static int open_image(cr_rds **out, cr_rds *df, cr_err *e)
{
    rds_node *top;
    if (rds_parse(&df->im, df->name, &df->st, &top, e) != 0 || build(df, top, e) != 0) {
        cr_rds_close(df);
        return -1;
    }
    *out = df;
    return 0;
}

int cr_rds_open(cr_rds **out, const char *path, cr_err *e)
{
    *out = NULL;
    cr_rds *df = xcalloc(1, sizeof *df);
    df->name = xstrdup(path);
    if (rds_image_file(&df->im, path, e) != 0) {
        cr_rds_close(df);
        return -1;
    }
    return open_image(out, df, e);
}

int cr_rds_open_mem(cr_rds **out, const void *buf, size_t len, const char *name,
                    size_t max_bytes, cr_err *e)
{
    *out = NULL;
    cr_rds *df = xcalloc(1, sizeof *df);
    df->name = xstrdup(name);
    if (rds_image_mem(&df->im, buf, len, name, max_bytes, e) != 0) {
        cr_rds_close(df);
        return -1;
    }
    return open_image(out, df, e);
}

void cr_rds_close(cr_rds *df)
{
    if (!df)
        return;
    rds_image_free(&df->im);
    rds_arena_free(&df->st.arena);
    free(df->st.conv);
    free(df->name);
    free(df);
}

int64_t cr_rds_nrow(const cr_rds *df)
{
    return df->nrow;
}

int cr_rds_ncol(const cr_rds *df)
{
    return df->ncol;
}

const char *cr_rds_colname(const cr_rds *df, int col)
{
    return df->names[col];
}

const char *const *cr_rds_colnames(const cr_rds *df)
{
    return df->names;
}

enum cr_rds_type cr_rds_coltype(const cr_rds *df, int col)
{
    return df->cols[col].type;
}

const char *cr_rds_class(const cr_rds *df)
{
    return df->klass;
}

const char *cr_rds_typename(enum cr_rds_type t)
{
    static const char *const names[] = {"string", "factor", "int32", "real", "logical"};
    return (unsigned)t < sizeof names / sizeof names[0] ? names[t] : "?";
}
