#include "common/csv.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "common/xalloc.h"

/* Leading bytes a spreadsheet treats as a formula, plus the apostrophe that marks them. */
static const char NEUTRALISE[] = "=+-@\t\r'";

struct cr_csv {
    gzFile gz;             /* or NULL when reading memory */
    const unsigned char *mem;
    size_t mem_left;
    char *path;
    char delim;
    int plain;
    unsigned char buf[1 << 16];
    size_t pos, end;
    int eof;
    size_t line, record_line;
    char *out; /* the decoded record, fields NUL-separated */
    size_t out_len, out_cap;
    size_t *start; /* field offsets into out */
    cr_csv_field *fields;
    size_t nfields, fields_cap, start_cap;
};

/* Next byte, or -1 at the end (-2 on a read error). */
static int next_byte(cr_csv *r)
{
    if (r->pos == r->end) {
        if (r->eof)
            return -1;
        int n;
        if (r->gz) {
            n = gzread(r->gz, r->buf, sizeof r->buf);
        } else {
            n = (int)(r->mem_left < sizeof r->buf ? r->mem_left : sizeof r->buf);
            memcpy(r->buf, r->mem, (size_t)n);
            r->mem += n;
            r->mem_left -= (size_t)n;
        }
        if (n < 0)
            return -2;
        if (n == 0) {
            r->eof = 1;
            return -1;
        }
        r->pos = 0;
        r->end = (size_t)n;
    }
    return r->buf[r->pos++];
}

static int peek_byte(cr_csv *r)
{
    int c = next_byte(r);
    if (c >= 0)
        r->pos--;
    return c;
}

/* Skips a byte-order mark and settles the delimiter, from the first buffer read. */
static void start(cr_csv *r, char delim, int flags)
{
    r->line = 1;
    static const unsigned char bom[3] = {0xef, 0xbb, 0xbf};
    int i = 0;
    while (i < 3 && peek_byte(r) == bom[i]) {
        next_byte(r);
        i++;
    }
    if (i > 0 && i < 3) /* not a BOM after all: give back what was taken */
        r->pos -= (size_t)i;
    if (flags & CR_CSV_SNIFF) {
        delim = ',';
        for (size_t k = r->pos; k < r->end && r->buf[k] != '\n'; k++)
            if (r->buf[k] == '\t') {
                delim = '\t';
                break;
            }
    }
    r->delim = delim;
    r->plain = (flags & CR_CSV_PLAIN) || delim == 0;
}

int cr_csv_open(cr_csv **out, const char *path, char delim, int flags, cr_err *e)
{
    errno = 0;
    gzFile gz = gzopen(path, "rb");
    if (!gz)
        return cr_fail(e, "%s: cannot open: %s", path, errno ? strerror(errno) : "out of memory");
    gzbuffer(gz, 1 << 17);
    cr_csv *r = xcalloc(1, sizeof *r);
    r->gz = gz;
    r->path = xstrdup(path);
    start(r, delim, flags);
    *out = r;
    return 0;
}

cr_csv *cr_csv_open_mem(const void *buf, size_t len, const char *name, char delim, int flags)
{
    cr_csv *r = xcalloc(1, sizeof *r);
    r->mem = buf;
    r->mem_left = len;
    r->path = xstrdup(name);
    start(r, delim, flags);
    return r;
}

char cr_csv_delim(const cr_csv *r) { return r->delim; }

static void put(cr_csv *r, char c)
{
    if (r->out_len == r->out_cap) /* once per doubling, not a call per byte */
        xgrow(&r->out, &r->out_cap, r->out_len + 1, 1);
    r->out[r->out_len++] = c;
}

static void end_field(cr_csv *r)
{
    xgrow(&r->start, &r->start_cap, r->nfields + 1, sizeof *r->start);
    put(r, 0);
    r->nfields++;
}

static void begin_field(cr_csv *r)
{
    xgrow(&r->start, &r->start_cap, r->nfields + 1, sizeof *r->start);
    r->start[r->nfields] = r->out_len;
}

static int fail_at(cr_csv *r, cr_err *e, const char *what)
{
    return cr_fail(e, "%s:%zu: %s", r->path, r->line, what);
}

/* Appends a data byte, or fails on what cannot be in delimited text. */
static int take(cr_csv *r, int c, cr_err *e)
{
    if (c == 0)
        return fail_at(r, e, "NUL byte: binary data, not delimited text");
    if (c == -2)
        return cr_fail(e, "%s: read error (corrupt or truncated compressed data?)", r->path);
    if (r->out_len >= CR_CSV_MAX_RECORD)
        return fail_at(r, e, "record longer than 64 MiB (no line breaks?)");
    put(r, (char)c);
    return 0;
}

/* The byte that ends a field: '\n' for CRLF too. */
static int field_end(cr_csv *r, int c)
{
    if (c == '\r' && peek_byte(r) == '\n')
        return next_byte(r);
    return c;
}

/* Reads one field's bytes into the record; *ended gets what ended it ('\n', the delimiter, or
 * -1 at the end of the input). */
static int read_field(cr_csv *r, int *quoted, int *ended, cr_err *e)
{
    int c = next_byte(r);
    *quoted = !r->plain && c == '"';
    if (!*quoted) {
        for (;; c = next_byte(r)) {
            c = field_end(r, c);
            if (c == -1 || c == '\n' || (c == r->delim && r->delim != 0))
                break;
            if (take(r, c, e) != 0)
                return -1;
        }
        *ended = c;
        return 0;
    }
    size_t opened = r->line;
    for (;;) {
        c = next_byte(r);
        if (c == -1)
            return cr_fail(e, "%s:%zu: unterminated quoted field", r->path, opened);
        if (c == '"' && peek_byte(r) != '"')
            break;
        if (c == '"')
            next_byte(r);
        else if (c == '\n')
            r->line++;
        if (take(r, c, e) != 0)
            return -1;
    }
    c = field_end(r, next_byte(r));
    if (c != -1 && c != '\n' && c != r->delim)
        return fail_at(r, e, c == -2 ? "read error" : "text after a closing quote");
    *ended = c;
    return 0;
}

int cr_csv_next(cr_csv *r, cr_csv_field **fields, cr_err *e)
{
    r->out_len = 0;
    r->nfields = 0;
    r->record_line = r->line;
    if (peek_byte(r) == -1)
        return 0;
    int end = -1;
    do {
        int quoted;
        begin_field(r);
        if (read_field(r, &quoted, &end, e) != 0)
            return -1;
        end_field(r);
        xgrow(&r->fields, &r->fields_cap, r->nfields, sizeof *r->fields);
        r->fields[r->nfields - 1].quoted = quoted;
    } while (end == r->delim && r->delim != 0);
    if (end == '\n')
        r->line++;
    for (size_t i = 0; i < r->nfields; i++) {
        cr_csv_field *f = &r->fields[i];
        f->s = r->out + r->start[i];
        f->len = strlen(f->s);
        if (!r->plain && f->len >= 2 && f->s[0] == '\'' && strchr(NEUTRALISE, f->s[1])) {
            f->s++;
            f->len--;
        }
    }
    *fields = r->fields;
    return (int)r->nfields;
}

size_t cr_csv_line(const cr_csv *r) { return r->record_line; }

void cr_csv_close(cr_csv *r)
{
    if (!r)
        return;
    if (r->gz)
        gzclose(r->gz);
    free(r->path);
    free(r->out);
    free(r->start);
    free(r->fields);
    free(r);
}

void cr_csv_text(FILE *f, const char *s, char delim)
{
    int neutral = s[0] && strchr(NEUTRALISE, s[0]);
    int quote = 0;
    for (const char *p = s; *p && !quote; p++)
        quote = *p == delim || *p == '"' || *p == '\n' || *p == '\r';
    if (quote)
        fputc('"', f);
    if (neutral)
        fputc('\'', f);
    for (const char *p = s; *p; p++) {
        if (*p == '"' && quote)
            fputc('"', f);
        fputc(*p, f);
    }
    if (quote)
        fputc('"', f);
}

char *cr_csv_escape(const char *s, char delim)
{
    char *buf;
    size_t len;
    FILE *f = xmemstream_open(&buf, &len);
    cr_csv_text(f, s, delim);
    xmemstream_close(f);
    return buf;
}

void cr_csv_row(FILE *f, const char *const *cells, int n, char delim)
{
    for (int i = 0; i < n; i++) {
        if (i)
            fputc(delim, f);
        cr_csv_text(f, cells[i], delim);
    }
    fputc('\n', f);
}
