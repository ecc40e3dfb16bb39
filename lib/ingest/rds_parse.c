/* R's XDR serialization (serialize.c, versions 2 and 3) read into a small tree of items. Vector
 * payloads are not copied: nodes point into the image. Every read is bounds-checked, lengths
 * are checked against the bytes left before anything is allocated, and nesting is capped, so
 * hostile input ends in a one-line error. */
#include "ingest/rds_internal.h"

#include <stdlib.h>
#include <strings.h>

#include "common/xalloc.h"

#define MAX_DEPTH 1000

typedef struct {
    const unsigned char *p, *end, *base;
    const char *name;
    cr_err *e;
    rds_strings *st;
    rds_node **refs;
    size_t nrefs, refcap;
    int depth;
} parser;

static int truncated(parser *ps)
{
    return cr_fail(ps->e, "%s: truncated R serialization data (%zu bytes)", ps->name,
                   (size_t)(ps->end - ps->base));
}

static int get_int(parser *ps, int32_t *v)
{
    if (ps->end - ps->p < 4)
        return truncated(ps);
    *v = (int32_t)rds_be32(ps->p);
    ps->p += 4;
    return 0;
}

/* Lengths of 2^31 and more are written as -1 and two words. */
static int get_length(parser *ps, int64_t *len)
{
    int32_t n = 0, hi = 0, lo = 0;
    if (get_int(ps, &n) != 0)
        return -1;
    if (n >= 0) {
        *len = n;
        return 0;
    }
    if (n != -1)
        return cr_fail(ps->e, "%s: corrupt R data (negative length %d at byte %zu)", ps->name, n,
                       (size_t)(ps->p - ps->base - 4));
    if (get_int(ps, &hi) != 0 || get_int(ps, &lo) != 0)
        return -1;
    uint64_t l = (uint64_t)(uint32_t)hi << 32 | (uint32_t)lo;
    if (l > ((uint64_t)1 << 52))
        return cr_fail(ps->e, "%s: corrupt R data (vector length %llu)", ps->name,
                       (unsigned long long)l);
    *len = (int64_t)l;
    return 0;
}

/* Fails unless `len` elements of at least `size` bytes each fit in what is left. */
static int fits(parser *ps, int64_t len, size_t size)
{
    if ((uint64_t)len > (size_t)(ps->end - ps->p) / size)
        return truncated(ps);
    return 0;
}

static rds_node *new_node(parser *ps, int type)
{
    rds_node *n = rds_alloc(&ps->st->arena, sizeof *n);
    n->type = type;
    return n;
}

static void add_ref(parser *ps, rds_node *n)
{
    xgrow(&ps->refs, &ps->refcap, ps->nrefs + 1, sizeof *ps->refs);
    ps->refs[ps->nrefs++] = n;
}

static void push_conv(rds_strings *st, const char *s, size_t len)
{
    xgrow(&st->conv, &st->convcap, st->nconv + 1, sizeof *st->conv);
    st->conv[st->nconv].s = s;
    st->conv[st->nconv++].len = len;
}

/* Latin-1 to UTF-8: every byte above 0x7f becomes two. */
static void convert_latin1(rds_strings *st, const unsigned char *s, size_t len)
{
    size_t extra = 0;
    for (size_t i = 0; i < len; i++)
        extra += s[i] >> 7;
    unsigned char *o = rds_alloc(&st->arena, len + extra + 1), *q = o;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < 0x80) {
            *q++ = s[i];
        } else {
            *q++ = (unsigned char)(0xc0 | s[i] >> 6);
            *q++ = (unsigned char)(0x80 | (s[i] & 0x3f));
        }
    }
    push_conv(st, (const char *)o, len + extra);
}

/* The hot loop for character vectors: validate each CHARSXP and re-encode the few that need it;
 * the cursor walks the same bytes again later without checks. */
static int read_strings(parser *ps, rds_node *n)
{
    if (fits(ps, n->len, 8) != 0)
        return -1;
    n->data = ps->p;
    n->conv = ps->st->nconv;
    int latin1 = ps->st->native_latin1;
    const unsigned char *p = ps->p, *end = ps->end;
    for (int64_t i = 0; i < n->len; i++) {
        if (end - p < 8) {
            ps->p = p;
            return truncated(ps);
        }
        uint32_t flags = rds_be32(p);
        int32_t len = (int32_t)rds_be32(p + 4);
        if ((flags & 0x2ff) != RDS_CHARSXP)
            return cr_fail(ps->e, "%s: corrupt R data (item type %u inside a character vector "
                                  "at byte %zu)",
                           ps->name, flags & 0xff, (size_t)(p - ps->base));
        p += 8;
        if (len == -1)
            continue;
        if (len < 0 || end - p < len) {
            ps->p = p;
            return len < 0 ? cr_fail(ps->e, "%s: corrupt R data (string length %d)", ps->name,
                                     len)
                           : truncated(ps);
        }
        if (rds_str_converted(flags, latin1))
            convert_latin1(ps->st, p, (size_t)len);
        p += len;
    }
    ps->p = p;
    return 0;
}

static int read_item(parser *ps, rds_node **out);

/* PERSISTSXP, PACKAGESXP, NAMESPACESXP: a zero, a count and that many strings. */
static int read_string_vec(parser *ps, rds_node *n)
{
    int32_t zero, len;
    if (get_int(ps, &zero) != 0 || get_int(ps, &len) != 0)
        return -1;
    if (zero != 0 || len < 0)
        return cr_fail(ps->e, "%s: corrupt R data (bad name vector at byte %zu)", ps->name,
                       (size_t)(ps->p - ps->base));
    if (fits(ps, len, 4) != 0)
        return -1;
    n->len = len;
    n->elts = rds_alloc(&ps->st->arena, (size_t)len * sizeof *n->elts + 1);
    for (int32_t i = 0; i < len; i++)
        if (read_item(ps, &n->elts[i]) != 0)
            return -1;
    return 0;
}

static int is_pairlist_type(int t)
{
    return t == RDS_LISTSXP || t == RDS_LANGSXP || t == RDS_CLOSXP || t == RDS_PROMSXP ||
           t == RDS_DOTSXP;
}

static int read_body(parser *ps, uint32_t flags, rds_node **out);

/* Pairlists are read as a loop over their CDRs (R recurses), so long attribute lists and
 * calls cost no stack. */
static int read_pairlist(parser *ps, uint32_t flags, rds_node **out)
{
    rds_node **link = out;
    for (;;) {
        rds_node *n = new_node(ps, (int)(flags & 0xff));
        *link = n;
        if ((flags & (1 << 9)) && read_item(ps, &n->attr) != 0)
            return -1;
        if ((flags & (1 << 10)) && read_item(ps, &n->tag) != 0)
            return -1;
        if (read_item(ps, &n->car) != 0)
            return -1;
        int32_t next;
        if (get_int(ps, &next) != 0)
            return -1;
        flags = (uint32_t)next;
        link = &n->cdr;
        if (!is_pairlist_type((int)(flags & 0xff)))
            return read_body(ps, flags, link);
    }
}

static int read_body(parser *ps, uint32_t flags, rds_node **out)
{
    int type = (int)(flags & 0xff);
    int has_attr = (flags >> 9) & 1;
    rds_node *n = NULL;
    *out = NULL;
    switch (type) {
    case RDS_NILVALUE:
        return 0;
    case RDS_EMPTYENV: case RDS_BASEENV: case RDS_GLOBALENV: case RDS_UNBOUNDVALUE:
    case RDS_MISSINGARG: case RDS_BASENAMESPACE:
        *out = new_node(ps, type);
        return 0;
    case RDS_REFSXP: {
        int32_t idx = (int32_t)(flags >> 8);
        if (idx == 0 && get_int(ps, &idx) != 0)
            return -1;
        if (idx < 1 || (size_t)idx > ps->nrefs)
            return cr_fail(ps->e, "%s: corrupt R data (reference %d of %zu at byte %zu)",
                           ps->name, idx, ps->nrefs, (size_t)(ps->p - ps->base));
        *out = ps->refs[idx - 1];
        return 0;
    }
    case RDS_PERSIST: case RDS_PACKAGE: case RDS_NAMESPACE:
        *out = n = new_node(ps, type);
        if (read_string_vec(ps, n) != 0)
            return -1;
        add_ref(ps, n);
        return 0;
    case RDS_SYMSXP:
        *out = n = new_node(ps, type);
        if (read_item(ps, &n->car) != 0)
            return -1;
        add_ref(ps, n);
        return 0;
    case RDS_ENVSXP: {
        int32_t locked;
        if (get_int(ps, &locked) != 0)
            return -1;
        *out = n = new_node(ps, type);
        add_ref(ps, n);
        /* enclosure, frame, hash table, attributes */
        return read_item(ps, &n->car) || read_item(ps, &n->cdr) || read_item(ps, &n->tag) ||
                       read_item(ps, &n->attr) ? -1 : 0;
    }
    case RDS_LISTSXP: case RDS_LANGSXP: case RDS_CLOSXP: case RDS_PROMSXP: case RDS_DOTSXP:
        return read_pairlist(ps, flags, out);
    case RDS_ALTREP:
        *out = n = new_node(ps, type);
        return read_item(ps, &n->car) || read_item(ps, &n->cdr) || read_item(ps, &n->attr)
                   ? -1 : 0;
    case RDS_EXTPTRSXP:
        *out = n = new_node(ps, type);
        add_ref(ps, n);
        if (read_item(ps, &n->car) != 0 || read_item(ps, &n->tag) != 0)
            return -1;
        break;
    case RDS_WEAKREFSXP:
        *out = n = new_node(ps, type);
        add_ref(ps, n);
        break;
    case RDS_SPECIALSXP: case RDS_BUILTINSXP: {
        int32_t len;
        if (get_int(ps, &len) != 0)
            return -1;
        if (len < 0 || fits(ps, len, 1) != 0)
            return len < 0 ? cr_fail(ps->e, "%s: corrupt R data (negative length)", ps->name)
                           : -1;
        *out = n = new_node(ps, type);
        ps->p += len;
        break;
    }
    case RDS_CHARSXP: {
        int32_t len;
        if (get_int(ps, &len) != 0)
            return -1;
        if (len < -1 || (len > 0 && fits(ps, len, 1) != 0))
            return len < -1 ? cr_fail(ps->e, "%s: corrupt R data (string length %d)", ps->name,
                                      len)
                            : -1;
        *out = n = new_node(ps, type);
        n->levels = flags >> 12;
        n->len = len;
        n->data = ps->p;
        if (len > 0)
            ps->p += len;
        break;
    }
    case RDS_LGLSXP: case RDS_INTSXP: case RDS_REALSXP: case RDS_CPLXSXP: case RDS_RAWSXP: {
        size_t size = type == RDS_RAWSXP ? 1 : type == RDS_REALSXP ? 8
                                             : type == RDS_CPLXSXP ? 16 : 4;
        *out = n = new_node(ps, type);
        if (get_length(ps, &n->len) != 0 || fits(ps, n->len, size) != 0)
            return -1;
        n->data = ps->p;
        ps->p += (size_t)n->len * size;
        break;
    }
    case RDS_STRSXP:
        *out = n = new_node(ps, type);
        if (get_length(ps, &n->len) != 0 || read_strings(ps, n) != 0)
            return -1;
        break;
    case RDS_VECSXP: case RDS_EXPRSXP:
        *out = n = new_node(ps, type);
        if (get_length(ps, &n->len) != 0 || fits(ps, n->len, 4) != 0)
            return -1;
        n->elts = rds_alloc(&ps->st->arena, (size_t)n->len * sizeof *n->elts + 1);
        for (int64_t i = 0; i < n->len; i++)
            if (read_item(ps, &n->elts[i]) != 0)
                return -1;
        break;
    case RDS_S4SXP:
        *out = n = new_node(ps, type);
        break;
    case RDS_BCODESXP: case RDS_BCREPDEF: case RDS_BCREPREF: case RDS_ATTRLIST:
    case RDS_ATTRLANG:
        return cr_fail(ps->e, "%s: the data holds compiled R code (byte code), which is not "
                              "supported",
                       ps->name);
    default:
        return cr_fail(ps->e, "%s: corrupt R data (unknown item type %d at byte %zu)", ps->name,
                       type, (size_t)(ps->p - ps->base - 4));
    }
    if (has_attr)
        return read_item(ps, &n->attr);
    return 0;
}

static int read_item(parser *ps, rds_node **out)
{
    *out = NULL;
    if (ps->depth >= MAX_DEPTH)
        return cr_fail(ps->e, "%s: R data nested more than %d levels deep", ps->name, MAX_DEPTH);
    int32_t flags;
    if (get_int(ps, &flags) != 0)
        return -1;
    ps->depth++;
    int rc = read_body(ps, (uint32_t)flags, out);
    ps->depth--;
    return rc;
}

static int is_latin1_name(const char *s, size_t n)
{
    static const char *const names[] = {"latin1", "ISO-8859-1", "ISO8859-1", "ISO_8859-1",
                                        "ISO-8859-15", "ISO8859-15"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strlen(names[i]) == n && strncasecmp(s, names[i], n) == 0)
            return 1;
    return 0;
}

int rds_parse(const rds_image *im, const char *name, rds_strings *st, rds_node **top, cr_err *e)
{
    parser ps = {.p = im->data, .end = im->data + im->len, .base = im->data, .name = name,
                 .e = e, .st = st};
    *top = NULL;
    const unsigned char *d = im->data;
    size_t n = im->len;
    if (n >= 4 && (!memcmp(d, "RDX", 3) || !memcmp(d, "RDA", 3)))
        return cr_fail(e, "%s: an R workspace from save(), not a saveRDS() file", name);
    if (n >= 2 && d[1] == '\n' && (d[0] == 'A' || d[0] == 'B'))
        return cr_fail(e, "%s: %s R serialization is not supported (only the default XDR "
                          "format)",
                       name, d[0] == 'A' ? "ASCII" : "native binary");
    if (n < 2 || d[0] != 'X' || d[1] != '\n')
        return cr_fail(e, "%s: not an R data file (no serialization header)", name);
    ps.p += 2;
    int32_t version, writer, minver;
    if (get_int(&ps, &version) || get_int(&ps, &writer) || get_int(&ps, &minver))
        return -1;
    if (version != 2 && version != 3)
        return cr_fail(e, "%s: unsupported R serialization version %d", name, version);
    if (version == 3) {
        int32_t nelen;
        if (get_int(&ps, &nelen) != 0)
            return -1;
        if (nelen < 0 || nelen > 255)
            return cr_fail(e, "%s: corrupt R data (native encoding name of %d bytes)", name,
                           nelen);
        if (fits(&ps, nelen, 1) != 0)
            return -1;
        st->native_latin1 = is_latin1_name((const char *)ps.p, (size_t)nelen);
        ps.p += nelen;
    }
    int rc = read_item(&ps, top);
    free(ps.refs);
    return rc;
}
