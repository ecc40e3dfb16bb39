/* Walking a column row by row. Character cells point into the image (or at their UTF-8
 * re-encoding); numbers are decoded from big-endian XDR on the fly; deferred strings are
 * formatted into the cursor's own buffer, so nothing is materialised per column. */
#include "ingest/rds_internal.h"

#include <math.h>

void rds_cursor_start(cr_rds_cursor *c, const cr_rds *df, const rds_col *k, int64_t n)
{
    c->col = k;
    c->df = df;
    c->i = 0;
    c->n = n;
    c->p = k->v.data;
    c->conv = k->v.conv;
}

void cr_rds_cursor_init(cr_rds_cursor *c, const cr_rds *df, int col)
{
    rds_cursor_start(c, df, &df->cols[col], df->nrow);
}

/* The next number of an INTSXP/LGLSXP/REALSXP (stored or a compact sequence); returns 1 for
 * NA. NaN other than NA_real_ comes back as a NaN value. */
static inline int next_number(cr_rds_cursor *c, const rds_vec *v, int type, int64_t i, double *d)
{
    if (v->seq) {
        *d = v->start + v->step * (double)i;
        return 0;
    }
    const unsigned char *p = c->p;
    if (type == RDS_REALSXP) {
        c->p += 8;
        if (rds_is_na_real(p))
            return 1;
        *d = rds_be_double(p);
        return 0;
    }
    c->p += 4;
    int32_t x = (int32_t)rds_be32(p);
    if (x == RDS_NA_INT)
        return 1;
    *d = x;
    return 0;
}

static size_t format_int(int32_t x, char *buf)
{
    char tmp[16];
    size_t n = 0;
    uint32_t u = x < 0 ? 0u - (uint32_t)x : (uint32_t)x;
    do {
        tmp[n++] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    size_t len = 0;
    if (x < 0)
        buf[len++] = '-';
    while (n)
        buf[len++] = tmp[--n];
    buf[len] = 0;
    return len;
}

static inline void set_na(cr_value *v)
{
    v->kind = CR_VAL_NA;
    v->s = NULL;
    v->len = 0;
    v->d = 0;
}

static inline void set_text(cr_value *v, const char *s, size_t len)
{
    v->kind = CR_VAL_TEXT;
    v->s = s;
    v->len = len;
    v->d = 0;
}

int cr_rds_col_next(cr_rds_cursor *c, cr_value *v)
{
    if (c->i >= c->n)
        return 0;
    const rds_col *k = c->col;
    int64_t i = c->i++;
    if (k->v.sexptype == RDS_STRSXP && !k->v.deferred) {
        rds_str s;
        rds_str_next(&c->df->st, &c->p, &c->conv, &s);
        if (s.s)
            set_text(v, s.s, s.len);
        else
            set_na(v);
        return 1;
    }
    int type = k->v.deferred ? k->v.num_type : k->v.sexptype;
    double d = 0;
    if (next_number(c, &k->v, type, i, &d)) {
        set_na(v);
        return 1;
    }
    switch (k->type) {
    case CR_RDS_STRING: {
        size_t n = type == RDS_REALSXP ? cr_rds_format_real(d, k->v.scipen, c->num)
                                       : format_int((int32_t)d, c->num);
        set_text(v, c->num, n);
        return 1;
    }
    case CR_RDS_FACTOR: {
        const rds_str *s = &k->levels[(int64_t)d - 1];
        if (s->s)
            set_text(v, s->s, s->len);
        else
            set_na(v);
        return 1;
    }
    case CR_RDS_REAL:
        if (isnan(d)) {
            set_na(v);
            return 1;
        }
        break;
    default:
        break;
    }
    v->kind = CR_VAL_NUM;
    v->s = NULL;
    v->len = 0;
    v->d = d;
    return 1;
}
