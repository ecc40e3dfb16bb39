/* A small strict JSON reader for flow records: objects are framed out of lines (Zeek writes one
 * per line, nfdump pretty-prints an array of them over many lines), then parsed by the grammar
 * of RFC 8259. Top-level members are kept (strings unescaped to UTF-8, numbers and literals as
 * text); nested objects and arrays are checked and skipped. Everything is bounded: an object's
 * size, its nesting, its number of members. */
#include "flowlog/flowlog_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"

#define JSON_MAX_OBJECT ((size_t)1 << 20)
#define JSON_MAX_DEPTH 32
#define JSON_MAX_MEMBERS 4096

static int jfail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int jfail(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return -1;
}

void cr_fl_json_reset(cr_fl_json *j)
{
    j->len = 0;
    j->depth = 0;
    j->in_str = 0;
    j->esc = 0;
    j->n = 0;
}

void cr_fl_json_free(cr_fl_json *j)
{
    free(j->obj);
    free(j->buf);
    free(j->f);
    memset(j, 0, sizeof *j);
}

int cr_fl_json_feed(cr_fl_json *j, const char *s, size_t len, size_t *used, char *err,
                    size_t errlen)
{
    size_t i = 0;
    /* room for all of this line and its newline, so the loop below need not grow */
    xgrow(&j->obj, &j->cap, j->len + len + 2, 1);
    if (j->depth > 0) /* an object continues from the line before */
        j->obj[j->len++] = '\n';
    for (; i < len; i++) {
        char c = s[i];
        if (j->depth == 0) {
            if (c == ' ' || c == '\t' || c == '\r' || c == ',' || c == '[' || c == ']')
                continue;
            if (c != '{') {
                *used = i;
                return jfail(err, errlen, "not a JSON object (starts with '%c')", c);
            }
            j->len = 0; /* a new object: the one before was handed over */
        }
        if (j->len >= JSON_MAX_OBJECT) {
            *used = len;
            return jfail(err, errlen, "JSON object longer than 1 MiB");
        }
        j->obj[j->len++] = c;
        if (j->in_str) {
            if (j->esc)
                j->esc = 0;
            else if (c == '\\')
                j->esc = 1;
            else if (c == '"')
                j->in_str = 0;
        } else if (c == '"') {
            j->in_str = 1;
        } else if (c == '{' || c == '[') {
            j->depth++;
        } else if (c == '}' || c == ']') {
            if (--j->depth == 0) {
                *used = i + 1;
                return 1;
            }
        }
    }
    *used = len;
    return 0;
}

typedef struct {
    const char *s, *end;
    char *out;
    char *err;
    size_t errlen;
} jp;

static void ws(jp *p)
{
    while (p->s < p->end && (*p->s == ' ' || *p->s == '\t' || *p->s == '\n' || *p->s == '\r'))
        p->s++;
}

static int hex4(jp *p, unsigned *v)
{
    *v = 0;
    for (int k = 0; k < 4; k++, p->s++) {
        if (p->s >= p->end)
            return -1;
        char c = *p->s;
        int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
              : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
        if (d < 0)
            return -1;
        *v = *v << 4 | (unsigned)d;
    }
    return 0;
}

static void utf8(jp *p, unsigned cp, int keep)
{
    char b[4];
    int n;
    if (cp < 0x80) {
        b[0] = (char)cp;
        n = 1;
    } else if (cp < 0x800) {
        b[0] = (char)(0xc0 | cp >> 6);
        b[1] = (char)(0x80 | (cp & 0x3f));
        n = 2;
    } else if (cp < 0x10000) {
        b[0] = (char)(0xe0 | cp >> 12);
        b[1] = (char)(0x80 | (cp >> 6 & 0x3f));
        b[2] = (char)(0x80 | (cp & 0x3f));
        n = 3;
    } else {
        b[0] = (char)(0xf0 | cp >> 18);
        b[1] = (char)(0x80 | (cp >> 12 & 0x3f));
        b[2] = (char)(0x80 | (cp >> 6 & 0x3f));
        b[3] = (char)(0x80 | (cp & 0x3f));
        n = 4;
    }
    if (keep) {
        memcpy(p->out, b, (size_t)n);
        p->out += n;
    }
}

/* A string at p->s (on its opening quote); unescaped into p->out when keep. */
static int string(jp *p, int keep)
{
    p->s++;
    for (;;) {
        if (p->s >= p->end)
            return jfail(p->err, p->errlen, "unterminated JSON string");
        unsigned char c = (unsigned char)*p->s++;
        if (c == '"')
            break;
        if (c < 0x20)
            return jfail(p->err, p->errlen, "control character in a JSON string");
        if (c != '\\') {
            if (keep)
                *p->out++ = (char)c;
            continue;
        }
        if (p->s >= p->end)
            return jfail(p->err, p->errlen, "unterminated JSON string");
        char e = *p->s++;
        const char *simple = strchr("\"\\/bfnrt", e);
        if (e && simple) {
            static const char to[] = "\"\\/\b\f\n\r\t";
            if (keep)
                *p->out++ = to[simple - "\"\\/bfnrt"];
            continue;
        }
        unsigned cp, lo;
        if (e != 'u' || hex4(p, &cp) < 0)
            return jfail(p->err, p->errlen, "bad escape in a JSON string");
        if (cp >= 0xdc00 && cp <= 0xdfff)
            return jfail(p->err, p->errlen, "lone surrogate in a JSON string");
        if (cp >= 0xd800 && cp <= 0xdbff) {
            if (p->end - p->s < 6 || p->s[0] != '\\' || p->s[1] != 'u')
                return jfail(p->err, p->errlen, "lone surrogate in a JSON string");
            p->s += 2;
            if (hex4(p, &lo) < 0 || lo < 0xdc00 || lo > 0xdfff)
                return jfail(p->err, p->errlen, "lone surrogate in a JSON string");
            cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
        }
        if (cp == 0)
            return jfail(p->err, p->errlen, "NUL in a JSON string");
        utf8(p, cp, keep);
    }
    if (keep)
        *p->out++ = 0;
    return 0;
}

static int digits(jp *p)
{
    const char *start = p->s;
    while (p->s < p->end && *p->s >= '0' && *p->s <= '9')
        p->s++;
    return p->s > start ? 0 : -1;
}

static int number(jp *p)
{
    if (p->s < p->end && *p->s == '-')
        p->s++;
    if (p->s < p->end && *p->s == '0')
        p->s++;
    else if (digits(p) < 0)
        return -1;
    if (p->s < p->end && *p->s == '.') {
        p->s++;
        if (digits(p) < 0)
            return -1;
    }
    if (p->s < p->end && (*p->s == 'e' || *p->s == 'E')) {
        p->s++;
        if (p->s < p->end && (*p->s == '+' || *p->s == '-'))
            p->s++;
        if (digits(p) < 0)
            return -1;
    }
    return 0;
}

static int value(jp *p, int depth, int *type);

/* An object or array at p->s, checked and dropped. */
static int nested(jp *p, int depth)
{
    if (depth > JSON_MAX_DEPTH)
        return jfail(p->err, p->errlen, "JSON nested deeper than %d", JSON_MAX_DEPTH);
    char close = *p->s == '{' ? '}' : ']';
    int obj = close == '}';
    p->s++;
    ws(p);
    if (p->s < p->end && *p->s == close) {
        p->s++;
        return 0;
    }
    for (;;) {
        int t;
        ws(p);
        if (obj) {
            if (p->s >= p->end || *p->s != '"' || string(p, 0) < 0)
                return jfail(p->err, p->errlen, "bad JSON member name");
            ws(p);
            if (p->s >= p->end || *p->s++ != ':')
                return jfail(p->err, p->errlen, "':' missing in JSON");
        }
        if (value(p, depth, &t) < 0)
            return -1;
        ws(p);
        if (p->s < p->end && *p->s == ',') {
            p->s++;
            continue;
        }
        if (p->s < p->end && *p->s == close) {
            p->s++;
            return 0;
        }
        return jfail(p->err, p->errlen, "',' or '%c' missing in JSON", close);
    }
}

/* A value at p->s; top-level ones (depth 1) are copied to p->out. */
static int value(jp *p, int depth, int *type)
{
    ws(p);
    if (p->s >= p->end)
        return jfail(p->err, p->errlen, "JSON value missing");
    int keep = depth == 1;
    char c = *p->s;
    if (c == '"') {
        *type = CR_JSON_STR;
        return string(p, keep);
    }
    if (c == '{' || c == '[') {
        *type = CR_JSON_NESTED;
        if (nested(p, depth + 1) < 0)
            return -1;
        if (keep)
            *p->out++ = 0;
        return 0;
    }
    const char *start = p->s;
    static const struct {
        const char *word;
        int type;
    } lit[] = {{"true", CR_JSON_TRUE}, {"false", CR_JSON_FALSE}, {"null", CR_JSON_NULL}};
    *type = 0;
    for (size_t k = 0; k < 3; k++) {
        size_t n = strlen(lit[k].word);
        if ((size_t)(p->end - p->s) >= n && !memcmp(p->s, lit[k].word, n)) {
            p->s += n;
            *type = lit[k].type;
        }
    }
    if (!*type) {
        if (number(p) < 0)
            return jfail(p->err, p->errlen, "bad JSON value");
        *type = CR_JSON_NUM;
    }
    if (p->s < p->end && (*p->s == '_' || (*p->s >= 'a' && *p->s <= 'z') ||
                          (*p->s >= 'A' && *p->s <= 'Z') || (*p->s >= '0' && *p->s <= '9')))
        return jfail(p->err, p->errlen, "bad JSON value");
    if (keep) {
        memcpy(p->out, start, (size_t)(p->s - start));
        p->out += p->s - start;
        *p->out++ = 0;
    }
    return 0;
}

int cr_fl_json_parse(cr_fl_json *j, char *err, size_t errlen)
{
    size_t need = 2 * j->len + 16;
    if (j->bcap < need) {
        free(j->buf);
        j->buf = xmalloc(need);
        j->bcap = need;
    }
    jp p = {j->obj, j->obj + j->len, j->buf, err, errlen};
    j->n = 0;
    ws(&p);
    if (p.s >= p.end || *p.s++ != '{')
        return jfail(err, errlen, "not a JSON object");
    ws(&p);
    int empty = p.s < p.end && *p.s == '}';
    if (empty)
        p.s++;
    while (!empty) {
        ws(&p);
        if (p.s >= p.end || *p.s != '"')
            return jfail(err, errlen, "bad JSON member name");
        char *key = p.out;
        if (string(&p, 1) < 0)
            return -1;
        ws(&p);
        if (p.s >= p.end || *p.s++ != ':')
            return jfail(err, errlen, "':' missing after \"%.40s\"", key);
        char *val = p.out;
        int type;
        if (value(&p, 1, &type) < 0)
            return -1;
        size_t klen = strlen(key);
        for (size_t k = 0; k < j->n; k++)
            if (j->f[k].klen == klen && !memcmp(j->f[k].key, key, klen))
                return jfail(err, errlen, "\"%.40s\" appears twice", key);
        if (j->n >= JSON_MAX_MEMBERS)
            return jfail(err, errlen, "JSON object with more than %d members", JSON_MAX_MEMBERS);
        xgrow(&j->f, &j->fcap, j->n + 1, sizeof *j->f);
        j->f[j->n++] = (cr_fl_jfield){key, val, strlen(val), type, klen};
        ws(&p);
        if (p.s < p.end && *p.s == ',') {
            p.s++;
            continue;
        }
        if (p.s < p.end && *p.s == '}') {
            p.s++;
            break;
        }
        return jfail(err, errlen, "',' or '}' missing after \"%.40s\"", key);
    }
    ws(&p);
    if (p.s != p.end)
        return jfail(err, errlen, "text after the JSON object");
    return 0;
}

const cr_fl_jfield *cr_fl_json_get(const cr_fl_json *j, const char *key)
{
    size_t klen = strlen(key);
    for (size_t k = 0; k < j->n; k++)
        if (j->f[k].klen == klen && !memcmp(j->f[k].key, key, klen))
            return &j->f[k];
    return NULL;
}
