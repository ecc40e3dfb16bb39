/* What vector a column really is. Modern R writes some vectors as ALTREP objects: a class name
 * and a compact state instead of the elements. The base classes are decoded here:
 * compact_intseq / compact_realseq (1:n), deferred_string (as.character() of numbers, formatted
 * when read) and the wrap_* classes (a vector plus sortedness metadata). Anything else is an
 * error that names the class, never a silent guess. */
#include "ingest/rds_internal.h"

#include <math.h>

#define MAX_NESTING 8

const char *rds_sym_text(const rds_node *n, size_t *len)
{
    if (n && n->type == RDS_SYMSXP)
        n = n->car;
    if (!n || n->type != RDS_CHARSXP || n->len < 0)
        return NULL;
    *len = (size_t)n->len;
    return (const char *)n->data;
}

rds_node *rds_attr(const rds_node *n, const char *name)
{
    size_t want = strlen(name);
    for (const rds_node *a = n ? n->attr : NULL; a && a->type == RDS_LISTSXP; a = a->cdr) {
        size_t len;
        const char *s = rds_sym_text(a->tag, &len);
        if (s && len == want && !memcmp(s, name, len))
            return a->car;
    }
    return NULL;
}

static int is(const char *s, size_t len, const char *want)
{
    return strlen(want) == len && !memcmp(s, want, len);
}

static int corrupt(const char *name, const char *cls, size_t len, cr_err *e)
{
    return cr_fail(e, "%s: corrupt R data (bad state for ALTREP class '%.*s')", name,
                   (int)(len > 64 ? 64 : len), cls);
}

/* compact_intseq / compact_realseq state: a double vector (length, first, step). */
static int compact_seq(const rds_node *state, int integer, rds_vec *v)
{
    if (!state || state->type != RDS_REALSXP || state->len != 3)
        return -1;
    double n = rds_be_double(state->data), start = rds_be_double(state->data + 8),
           step = rds_be_double(state->data + 16);
    if (!(n >= 0 && n <= 4503599627370496.0 && n == floor(n)) || !isfinite(start) ||
        !isfinite(step))
        return -1;
    if (integer) {
        double last = start + step * (n > 0 ? n - 1 : 0);
        if (start != floor(start) || step != floor(step) || fabs(start) > INT32_MAX ||
            fabs(last) > INT32_MAX)
            return -1;
    }
    v->sexptype = integer ? RDS_INTSXP : RDS_REALSXP;
    v->len = (int64_t)n;
    v->seq = 1;
    v->start = start;
    v->step = step;
    return 0;
}

static int resolve(const rds_node *n, rds_vec *v, const char *name, cr_err *e, int depth)
{
    memset(v, 0, sizeof *v);
    if (!n)
        return 0;
    if (n->type != RDS_ALTREP) {
        v->sexptype = n->type;
        v->len = n->len;
        v->data = n->data;
        v->conv = n->conv;
        return 0;
    }
    if (depth >= MAX_NESTING)
        return cr_fail(e, "%s: ALTREP objects nested more than %d deep", name, MAX_NESTING);
    size_t len = 0;
    const char *cls = n->car && n->car->type == RDS_LISTSXP ? rds_sym_text(n->car->car, &len)
                                                            : NULL;
    if (!cls)
        return cr_fail(e, "%s: corrupt R data (ALTREP object without a class name)", name);
    const rds_node *state = n->cdr;
    if (is(cls, len, "compact_intseq") || is(cls, len, "compact_realseq")) {
        if (compact_seq(state, is(cls, len, "compact_intseq"), v) != 0)
            return corrupt(name, cls, len, e);
        return 0;
    }
    if (is(cls, len, "deferred_string")) {
        /* state: (numbers . scipen) as a pairlist cell */
        if (!state || state->type != RDS_LISTSXP)
            return corrupt(name, cls, len, e);
        if (resolve(state->car, v, name, e, depth + 1) != 0)
            return -1;
        if (v->sexptype != RDS_INTSXP && v->sexptype != RDS_REALSXP)
            return corrupt(name, cls, len, e);
        const rds_node *info = state->cdr;
        int32_t scipen = 0;
        if (info && info->type == RDS_INTSXP && info->len >= 1)
            scipen = (int32_t)rds_be32(info->data);
        v->num_type = v->sexptype;
        v->sexptype = RDS_STRSXP;
        v->deferred = 1;
        /* Past +-1000 every number gets the same format, so clamping only avoids overflow. */
        v->scipen = scipen == RDS_NA_INT ? 0 : scipen < -1000 ? -1000
                                             : scipen > 1000 ? 1000 : scipen;
        return 0;
    }
    static const struct {
        const char *cls;
        int type;
    } wraps[] = {
        {"wrap_integer", RDS_INTSXP}, {"wrap_logical", RDS_LGLSXP}, {"wrap_real", RDS_REALSXP},
        {"wrap_string", RDS_STRSXP},  {"wrap_complex", RDS_CPLXSXP}, {"wrap_raw", RDS_RAWSXP},
        {"wrap_list", RDS_VECSXP},
    };
    for (size_t i = 0; i < sizeof wraps / sizeof wraps[0]; i++) {
        if (!is(cls, len, wraps[i].cls))
            continue;
        /* state: (wrapped vector . metadata) */
        if (!state || state->type != RDS_LISTSXP)
            return corrupt(name, cls, len, e);
        if (resolve(state->car, v, name, e, depth + 1) != 0)
            return -1;
        if (v->sexptype != wraps[i].type)
            return corrupt(name, cls, len, e);
        return 0;
    }
    return cr_fail(e, "%s: unknown ALTREP class '%.*s'", name, (int)(len > 64 ? 64 : len), cls);
}

int rds_resolve(const rds_node *n, rds_vec *v, const char *name, cr_err *e)
{
    return resolve(n, v, name, e, 0);
}
