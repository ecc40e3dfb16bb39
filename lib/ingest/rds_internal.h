/* Shared between the rds*.c files only: the decompressed image, the parse tree of serialized
 * items, resolved vectors and the frame itself. */
#ifndef CR_RDS_INTERNAL_H
#define CR_RDS_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "common/err.h"
#include "ingest/rds.h"

/* SEXPTYPEs and the serializer's special item codes (R's serialize.c). */
enum {
    RDS_SYMSXP = 1, RDS_LISTSXP = 2, RDS_CLOSXP = 3, RDS_ENVSXP = 4, RDS_PROMSXP = 5,
    RDS_LANGSXP = 6, RDS_SPECIALSXP = 7, RDS_BUILTINSXP = 8, RDS_CHARSXP = 9, RDS_LGLSXP = 10,
    RDS_INTSXP = 13, RDS_REALSXP = 14, RDS_CPLXSXP = 15, RDS_STRSXP = 16, RDS_DOTSXP = 17,
    RDS_VECSXP = 19, RDS_EXPRSXP = 20, RDS_BCODESXP = 21, RDS_EXTPTRSXP = 22,
    RDS_WEAKREFSXP = 23, RDS_RAWSXP = 24, RDS_S4SXP = 25,
    RDS_ALTREP = 238, RDS_ATTRLIST = 239, RDS_ATTRLANG = 240, RDS_BASEENV = 241,
    RDS_EMPTYENV = 242, RDS_BCREPREF = 243, RDS_BCREPDEF = 244, RDS_GENERICREF = 245,
    RDS_CLASSREF = 246, RDS_BASENAMESPACE = 247, RDS_PERSIST = 248, RDS_PACKAGE = 249,
    RDS_NAMESPACE = 250, RDS_MISSINGARG = 251, RDS_UNBOUNDVALUE = 252, RDS_GLOBALENV = 253,
    RDS_NILVALUE = 254, RDS_REFSXP = 255,
};

/* CHARSXP encoding bits (the "levels" field of the item flags). */
enum { RDS_BYTES = 1 << 1, RDS_LATIN1 = 1 << 2, RDS_UTF8 = 1 << 3, RDS_ASCII = 1 << 6 };

#define RDS_NA_INT INT32_MIN

/* ---- memory ---------------------------------------------------------------------------- */

typedef struct rds_block rds_block;
typedef struct {
    rds_block *head;
} rds_arena;

void *rds_alloc(rds_arena *a, size_t n);
void rds_arena_free(rds_arena *a);

/* ---- the decompressed image (rds_stream.c) ------------------------------------------------ */

typedef struct {
    const unsigned char *data;
    size_t len;
    void *owned;   /* malloc'd buffer to free, or NULL */
    void *map;     /* mmap'd region to unmap, or NULL */
    size_t maplen;
    int anon;      /* map is decompressed data (parked for the next file when freed) */
} rds_image;

int rds_image_file(rds_image *im, const char *path, cr_err *e);
int rds_image_mem(rds_image *im, const void *buf, size_t len, const char *name, size_t max_bytes,
                  cr_err *e);
void rds_image_free(rds_image *im);

/* ---- parse tree (rds_parse.c) -------------------------------------------------------------- */

typedef struct rds_node rds_node;
struct rds_node {
    int type;                   /* SEXPTYPE or special item code; NULL node = R's NULL */
    unsigned levels;            /* gp bits: the encoding of a CHARSXP */
    int64_t len;                /* vectors; a CHARSXP's byte count, -1 for NA */
    const unsigned char *data;  /* first element (STRSXP: first CHARSXP item) */
    size_t conv;                /* STRSXP: index of its first re-encoded string */
    rds_node *attr;             /* attribute pairlist */
    rds_node *tag, *car, *cdr;  /* pairlists; SYMSXP: car = name; ALTREP: car = class info,
                                   cdr = state */
    rds_node **elts;            /* VECSXP / EXPRSXP */
};

/* A string cell: s == NULL is NA. */
typedef struct {
    const char *s;
    size_t len;
} rds_str;

typedef struct {
    rds_arena arena;
    rds_str *conv;   /* strings re-encoded to UTF-8, in file order */
    size_t nconv, convcap;
    int native_latin1;
} rds_strings;

/* Parses the serialization header and the top-level item of the image. */
int rds_parse(const rds_image *im, const char *name, rds_strings *st, rds_node **top,
              cr_err *e);

/* Strings need re-encoding when marked Latin-1, or unmarked in a file from a Latin-1 session. */
static inline int rds_str_converted(uint32_t flags, int native_latin1)
{
    unsigned lev = flags >> 12;
    return (lev & RDS_LATIN1) ||
           (native_latin1 && !(lev & (RDS_UTF8 | RDS_ASCII | RDS_BYTES)));
}

static inline uint32_t rds_be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline double rds_be_double(const unsigned char *p)
{
    uint64_t u = (uint64_t)rds_be32(p) << 32 | rds_be32(p + 4);
    double d;
    memcpy(&d, &u, sizeof d);
    return d;
}

/* R's NA_real_ is a NaN whose low word is 1954; other NaNs are NaN. */
static inline int rds_is_na_real(const unsigned char *p)
{
    return (rds_be32(p) & 0x7ff00000) == 0x7ff00000 && rds_be32(p + 4) == 1954;
}

/* Reads the next element of an already validated STRSXP walk at *p. */
static inline void rds_str_next(const rds_strings *st, const unsigned char **p, size_t *conv,
                                rds_str *out)
{
    uint32_t flags = rds_be32(*p);
    int32_t len = (int32_t)rds_be32(*p + 4);
    *p += 8;
    if (len < 0) {
        out->s = NULL;
        out->len = 0;
        return;
    }
    if (rds_str_converted(flags, st->native_latin1)) {
        *out = st->conv[(*conv)++];
    } else {
        out->s = (const char *)*p;
        out->len = (size_t)len;
    }
    *p += len;
}

/* ---- vectors behind a column, ALTREP resolved (rds_altrep.c) -------------------------------- */

typedef struct {
    int sexptype;      /* LGLSXP, INTSXP, REALSXP, STRSXP or another type (unsupported) */
    int64_t len;
    int seq;           /* numbers are start + step * i instead of data */
    double start, step;
    const unsigned char *data;
    size_t conv;       /* STRSXP */
    int deferred;      /* STRSXP formatted from numbers of type num_type */
    int num_type;
    int scipen;
} rds_vec;

int rds_resolve(const rds_node *n, rds_vec *v, const char *name, cr_err *e);

/* Attribute lookup by name; NULL when absent. */
rds_node *rds_attr(const rds_node *n, const char *name);
/* The text of a SYMSXP or CHARSXP node (NULL for anything else). */
const char *rds_sym_text(const rds_node *n, size_t *len);

/* ---- the frame (rds_frame.c, rds_cursor.c) ------------------------------------------------- */

typedef struct {
    enum cr_rds_type type;
    rds_vec v;
    rds_str *levels;
    int64_t nlevels;
} rds_col;

/* A cursor over any resolved vector of n cells (columns, names, levels). */
void rds_cursor_start(cr_rds_cursor *c, const cr_rds *df, const rds_col *k, int64_t n);

struct cr_rds {
    char *name;
    rds_image im;
    rds_strings st;
    int ncol;
    int64_t nrow;
    rds_col *cols;
    const char **names;
    char *klass;
};

#endif
