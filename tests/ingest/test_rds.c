/* The .Rds reader against R itself: every file in shared/rds-cases was written by R 4.2.2 and
 * expected/ holds R's own view of it (ref.R), so each file must reproduce R's names, types and
 * every value byte for byte. The real captures' .Rds files must hold the same rows as tshark's
 * own export of the capture. Corrupt and truncated input must fail with one line, never crash. */
#include <bzlib.h>
#include <dirent.h>
#include <lzma.h>
#include <stdint.h>
#include <stdlib.h>
#include <zlib.h>

#include "common/xalloc.h"
#include "ingest/rds.h"
#include "ingest/source.h"
#include "test.h"

typedef struct {
    char *p;
    size_t len, cap;
} sbuf;

static void sb_add(sbuf *b, const char *s, size_t n)
{
    xgrow(&b->p, &b->cap, b->len + n + 1, 1);
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = 0;
}

static void sb_str(sbuf *b, const char *s)
{
    sb_add(b, s, strlen(s));
}

/* One cell as ref.R's canon() writes it: factors as labels, logicals TRUE/FALSE, %d, %.17g,
 * NA as "\001NA". */
static void canon(sbuf *b, enum cr_rds_type t, const cr_value *v)
{
    char num[64];
    if (v->kind == CR_VAL_NA)
        sb_str(b, "\001NA");
    else if (v->kind == CR_VAL_TEXT)
        sb_add(b, v->s, v->len);
    else if (t == CR_RDS_LOGICAL)
        sb_str(b, v->d != 0 ? "TRUE" : "FALSE");
    else if (t == CR_RDS_INT)
        snprintf(num, sizeof num, "%d", (int)v->d), sb_str(b, num);
    else if (isinf(v->d))
        sb_str(b, v->d > 0 ? "Inf" : "-Inf");
    else
        snprintf(num, sizeof num, "%.17g", v->d), sb_str(b, num);
}

/* R's view (ref.R's stdout minus the class line) and its .values dump. */
static void describe(cr_rds *df, sbuf *txt, sbuf *values)
{
    char line[256];
    snprintf(line, sizeof line, "status=ok\nncol=%d nrow=%lld\n", cr_rds_ncol(df),
             (long long)cr_rds_nrow(df));
    sb_str(txt, line);
    for (int j = 0; j < cr_rds_ncol(df); j++) {
        enum cr_rds_type t = cr_rds_coltype(df, j);
        snprintf(line, sizeof line, "col %d name=%s type=%s first=[", j + 1, cr_rds_colname(df, j),
                 cr_rds_typename(t));
        sb_str(txt, line);
        cr_rds_cursor c;
        cr_rds_cursor_init(&c, df, j);
        cr_value v;
        for (int64_t i = 0; cr_rds_col_next(&c, &v) == 1; i++) {
            size_t at = values->len;
            canon(values, t, &v);
            size_t n = values->len - at;
            if (i < 3) {
                if (i)
                    sb_str(txt, ",");
                if (v.kind == CR_VAL_NA) {
                    sb_str(txt, "NA");
                } else {
                    sb_str(txt, "\"");
                    sb_add(txt, values->p + at, n > 40 ? 40 : n);
                    if (n > 40)
                        snprintf(line, sizeof line, "...(%zu bytes)", n), sb_str(txt, line);
                    sb_str(txt, "\"");
                }
            }
            sb_str(values, "\n");
        }
        sb_str(txt, "]\n");
    }
}

static int ends_with(const char *s, const char *suf)
{
    size_t a = strlen(s), b = strlen(suf);
    return a >= b && !strcmp(s + a - b, suf);
}

static void test_rds_cases(void)
{
    const char *sh = cr_test_shared();
    if (!sh)
        SKIP("no ../shared");
    char dir[512], path[1024];
    snprintf(dir, sizeof dir, "%s/rds-cases/files", sh);
    DIR *d = opendir(dir);
    CHECK(d);
    int files = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        if (!ends_with(de->d_name, ".rds"))
            continue;
        char stem[256];
        snprintf(stem, sizeof stem, "%.*s", (int)strlen(de->d_name) - 4, de->d_name);
        snprintf(path, sizeof path, "%s/rds-cases/expected/%s.values", sh, stem);
        size_t vlen, tlen;
        char *want_values = cr_test_slurp(path, &vlen);
        snprintf(path, sizeof path, "%s/rds-cases/expected/%s.txt", sh, stem);
        char *want_txt = cr_test_slurp(path, &tlen);
        if (!want_values || !want_txt) {
            free(want_values);
            free(want_txt);
            continue; /* the zero-row files have no dump; checked below */
        }
        snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        cr_rds *df;
        cr_err e = {{0}};
        int rc = cr_rds_open(&df, path, &e);
        CHECKF(rc == 0, "%s: %s", stem, e.msg);
        sbuf txt = {0}, values = {0};
        describe(df, &txt, &values);
        cr_rds_close(df);
        CHECKF(txt.len == tlen && !memcmp(txt.p, want_txt, tlen), "%s: view differs:\n%s--- R:\n%s",
               stem, txt.p, want_txt);
        size_t at = 0;
        while (at < vlen && at < values.len && values.p[at] == want_values[at])
            at++;
        CHECKF(values.len == vlen && at == vlen, "%s: values differ at byte %zu (ours %zu, R %zu)",
               stem, at, values.len, vlen);
        free(txt.p);
        free(values.p);
        free(want_values);
        free(want_txt);
        files++;
    }
    closedir(d);
    printf("  %d files match R\n", files);
    CHECK(files >= 40);
}

static void test_zero_rows(void)
{
    const char *sh = cr_test_shared();
    if (!sh)
        SKIP("no ../shared");
    static const char *const files[] = {"zero_rows_none_v3", "zero_rows_tibble_gz_v3"};
    static const char *const names[] = {"id", "timestamp", "protocol", "ip_version", "src_ip",
                                        "dst_ip", "src_port", "dst_port", "tcp_time_relative",
                                        "tcp_completeness"};
    for (int f = 0; f < 2; f++) {
        char path[1024];
        snprintf(path, sizeof path, "%s/rds-cases/files/%s.rds", sh, files[f]);
        cr_rds *df;
        cr_err e;
        CHECKF(cr_rds_open(&df, path, &e) == 0, "%s", e.msg);
        CHECK_INT(cr_rds_nrow(df), 0);
        CHECK_INT(cr_rds_ncol(df), 10);
        for (int j = 0; j < 10; j++)
            CHECK_STR(cr_rds_colname(df, j), names[j]);
        cr_rds_cursor c;
        cr_rds_cursor_init(&c, df, 0);
        cr_value v;
        CHECK_INT(cr_rds_col_next(&c, &v), 0);
        CHECK_STR(cr_rds_class(df), f ? "tbl_df,tbl,data.frame" : "data.frame");
        cr_rds_close(df);
    }
}

/* Class vectors as R reports them (one Rscript run over all files). */
static void test_classes_vs_r(void)
{
    const char *sh = cr_test_shared();
    if (!sh)
        SKIP("no ../shared");
    if (cr_test_sh("command -v Rscript >/dev/null 2>&1") != 0)
        SKIP("no Rscript");
    char out[512], path[1024];
    snprintf(out, sizeof out, "%s/classes.txt", cr_test_tmpdir());
    CHECK(cr_test_sh("Rscript -e 'for (f in list.files(commandArgs(TRUE)[1], full.names = TRUE)) "
                     "cat(basename(f), paste(class(readRDS(f)), collapse = \",\"), \"\\n\")' "
                     "'%s/rds-cases/files' > '%s'",
                     sh, out) == 0);
    FILE *fp = fopen(out, "r");
    CHECK(fp);
    char file[256], cls[256];
    int n = 0;
    while (fscanf(fp, "%255s %255s", file, cls) == 2) {
        snprintf(path, sizeof path, "%s/rds-cases/files/%s", sh, file);
        cr_rds *df;
        cr_err e;
        CHECKF(cr_rds_open(&df, path, &e) == 0, "%s", e.msg);
        CHECKF(!strcmp(cr_rds_class(df), cls), "%s: class %s, R says %s", file,
               cr_rds_class(df), cls);
        cr_rds_close(df);
        n++;
    }
    fclose(fp);
    CHECK(n >= 40);
}

/* ---- real captures: the .Rds against tshark's own fields ---------------------------------- */

typedef struct {
    char **f; /* fields of one row */
} tsv_row;

static int split_tabs(char *line, char **f, int max)
{
    int n = 0;
    f[n++] = line;
    for (char *p = line; *p && n < max; p++)
        if (*p == '\t') {
            *p = 0;
            f[n++] = p + 1;
        }
    return n;
}

static int col_of(char **hdr, int n, const char *name)
{
    for (int i = 0; i < n; i++)
        if (!strcmp(hdr[i], name))
            return i;
    return -1;
}

/* The seed's timestamp: epoch seconds and the first three decimals (pcap2rds.sh's ms()). */
static void epoch_ms(const char *t, char *out, size_t n)
{
    const char *dot = strchr(t, '.');
    char frac[4] = "000";
    if (dot)
        for (int i = 0; i < 3 && dot[1 + i]; i++)
            frac[i] = dot[1 + i];
    snprintf(out, n, "%.*s%s", dot ? (int)(dot - t) : (int)strlen(t), t, frac);
}

static int value_is(const cr_value *v, const char *want)
{
    if (!*want)
        return v->kind == CR_VAL_NA;
    return v->kind == CR_VAL_TEXT && v->len == strlen(want) && !memcmp(v->s, want, v->len);
}

static const char *first_of(char **f, int a, int b)
{
    return *f[a] ? f[a] : f[b];
}

static void check_capture(const char *rds, const char *tsv, int *rows_out)
{
    size_t len;
    char *text = cr_test_slurp(tsv, &len);
    CHECK(text);
    /* rows by frame number */
    char *save, *line = strtok_r(text, "\n", &save);
    char *hdr[32];
    int nh = split_tabs(line, hdr, 32);
    int c_num = col_of(hdr, nh, "frame.number"), c_t = col_of(hdr, nh, "frame.time_epoch");
    int c_v = col_of(hdr, nh, "ip.version"), c_s4 = col_of(hdr, nh, "ip.src");
    int c_s6 = col_of(hdr, nh, "ipv6.src"), c_d4 = col_of(hdr, nh, "ip.dst");
    int c_d6 = col_of(hdr, nh, "ipv6.dst"), c_ts = col_of(hdr, nh, "tcp.srcport");
    int c_us = col_of(hdr, nh, "udp.srcport"), c_td = col_of(hdr, nh, "tcp.dstport");
    int c_ud = col_of(hdr, nh, "udp.dstport"), c_rel = col_of(hdr, nh, "tcp.time_relative");
    int c_comp = col_of(hdr, nh, "tcp.completeness");
    CHECK(c_num >= 0 && c_t >= 0 && c_comp >= 0 && c_ud >= 0);
    size_t cap = 0, nrows = 0;
    tsv_row *rows = NULL;
    int64_t maxnum = 0;
    while ((line = strtok_r(NULL, "\n", &save))) {
        xgrow(&rows, &cap, nrows + 1, sizeof *rows);
        rows[nrows].f = xmalloc(32 * sizeof(char *));
        int n = split_tabs(line, rows[nrows].f, 32);
        for (int i = n; i < 32; i++)
            rows[nrows].f[i] = "";
        int64_t num = atoll(rows[nrows].f[c_num]);
        if (num > maxnum)
            maxnum = num;
        nrows++;
    }
    int64_t *by_num = xcalloc((size_t)maxnum + 1, sizeof *by_num);
    for (size_t i = 0; i < nrows; i++)
        by_num[atoll(rows[i].f[c_num])] = (int64_t)i + 1;

    cr_rds *df;
    cr_err e;
    CHECKF(cr_rds_open(&df, rds, &e) == 0, "%s", e.msg);
    CHECK_INT(cr_rds_ncol(df), 10);
    CHECK(cr_rds_nrow(df) > 0 && (size_t)cr_rds_nrow(df) <= nrows);
    cr_rds_cursor cur[10];
    for (int j = 0; j < 10; j++)
        cr_rds_cursor_init(&cur[j], df, j);
    cr_value v[10];
    int64_t r = 0;
    while (cr_rds_col_next(&cur[0], &v[0]) == 1) {
        for (int j = 1; j < 10; j++)
            CHECK(cr_rds_col_next(&cur[j], &v[j]) == 1);
        CHECK(v[0].kind == CR_VAL_TEXT);
        char num[32];
        snprintf(num, sizeof num, "%.*s", (int)v[0].len, v[0].s);
        int64_t fn = atoll(num);
        CHECKF(fn >= 1 && fn <= maxnum && by_num[fn], "%s: row %lld: frame %s not in tshark's "
               "export", rds, (long long)r + 1, num);
        char **f = rows[by_num[fn] - 1].f;
        char ms[64];
        epoch_ms(f[c_t], ms, sizeof ms);
        int tcp = *f[c_ts] != 0;
        const char *want[10] = {f[c_num], ms, tcp ? "tcp" : "udp", f[c_v],
                                first_of(f, c_s4, c_s6), first_of(f, c_d4, c_d6),
                                first_of(f, c_ts, c_us), first_of(f, c_td, c_ud), f[c_rel],
                                f[c_comp]};
        for (int j = 0; j < 10; j++)
            CHECKF(value_is(&v[j], want[j]), "%s: row %lld column %s: '%.*s', tshark '%s'", rds,
                   (long long)r + 1, cr_rds_colname(df, j), (int)v[j].len, v[j].s ? v[j].s : "NA",
                   want[j]);
        r++;
    }
    CHECK_INT(r, cr_rds_nrow(df));
    *rows_out = (int)r;
    cr_rds_close(df);
    for (size_t i = 0; i < nrows; i++)
        free(rows[i].f);
    free(rows);
    free(by_num);
    free(text);
}

static void test_real_captures(void)
{
    const char *sh = cr_test_shared();
    if (!sh)
        SKIP("no ../shared");
    char dir[512];
    snprintf(dir, sizeof dir, "%s/captures/real", sh);
    DIR *d = opendir(dir);
    CHECK(d);
    struct dirent *de;
    int files = 0;
    while ((de = readdir(d))) {
        if (!ends_with(de->d_name, ".Rds"))
            continue;
        char rds[1024], tsv[1024];
        snprintf(rds, sizeof rds, "%s/%s", dir, de->d_name);
        snprintf(tsv, sizeof tsv, "%s/%.*s.tshark.tsv", dir, (int)strlen(de->d_name) - 4,
                 de->d_name);
        int rows = 0;
        check_capture(rds, tsv, &rows);
        if (cr_test_stop)
            break;
        printf("  %s: %d rows match tshark\n", de->d_name, rows);
        files++;
    }
    closedir(d);
    CHECK(files >= 1);
}


/* ---- hostile input ---------------------------------------------------------------------- */

/* Opens a private copy of exactly n bytes, so the sanitizer sees any read past the end. */
static int open_copy(const void *data, size_t n, cr_rds **df, cr_err *e)
{
    void *copy = xmalloc(n ? n : 1);
    memcpy(copy, data, n);
    int rc = cr_rds_open_mem(df, copy, n, "x.rds", 64 << 20, e);
    if (rc == 0) {
        /* walk everything: cursors trust what the parser validated */
        cr_value v;
        for (int j = 0; j < cr_rds_ncol(*df); j++) {
            cr_rds_cursor c;
            cr_rds_cursor_init(&c, *df, j);
            for (int k = 0; k < 100000 && cr_rds_col_next(&c, &v) == 1; k++)
                ;
        }
        cr_rds_close(*df);
    }
    free(copy);
    return rc;
}

static unsigned char *compress_gz(const unsigned char *in, size_t n, size_t *out_n)
{
    z_stream z = {0};
    deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
    size_t cap = deflateBound(&z, n) + 64;
    unsigned char *out = xmalloc(cap);
    z.next_in = (unsigned char *)in;
    z.avail_in = (uInt)n;
    z.next_out = out;
    z.avail_out = (uInt)cap;
    deflate(&z, Z_FINISH);
    *out_n = cap - z.avail_out;
    deflateEnd(&z);
    return out;
}

static unsigned char *compress_bz2(const unsigned char *in, size_t n, size_t *out_n)
{
    unsigned cap = (unsigned)(n + n / 100 + 1024);
    unsigned char *out = xmalloc(cap);
    BZ2_bzBuffToBuffCompress((char *)out, &cap, (char *)in, (unsigned)n, 9, 0, 0);
    *out_n = cap;
    return out;
}

static unsigned char *compress_xz(const unsigned char *in, size_t n, size_t *out_n)
{
    size_t cap = lzma_stream_buffer_bound(n), pos = 0;
    unsigned char *out = xmalloc(cap);
    lzma_easy_buffer_encode(6, LZMA_CHECK_CRC64, NULL, in, n, out, &pos, cap);
    *out_n = pos;
    return out;
}

static char *case_file(const char *stem, size_t *n)
{
    const char *sh = cr_test_shared();
    char path[1024];
    snprintf(path, sizeof path, "%s/rds-cases/files/%s.rds", sh, stem);
    return cr_test_slurp(path, n);
}

/* Every proper prefix of a small file, plain and in each compression, fails with one line that
 * names the file; the whole file parses. */
static void test_truncation(void)
{
    if (!cr_test_shared())
        SKIP("no ../shared");
    size_t n;
    unsigned char *raw = (unsigned char *)case_file("Clocale_utf8_none_v3", &n);
    CHECK(raw);
    unsigned char *(*const pack[])(const unsigned char *, size_t, size_t *) = {
        NULL, compress_gz, compress_bz2, compress_xz};
    const char *what[] = {"truncated R serialization data", "truncated gzip stream",
                          "truncated bzip2 stream", "truncated xz stream"};
    for (int k = 0; k < 4; k++) {
        size_t len = n;
        unsigned char *img = pack[k] ? pack[k](raw, n, &len) : raw;
        cr_rds *df;
        cr_err e;
        CHECKF(open_copy(img, len, &df, &e) == 0, "%s", e.msg);
        int exact = 0;
        for (size_t cut = 0; cut < len; cut++) {
            e.msg[0] = 0;
            CHECKF(open_copy(img, cut, &df, &e) != 0, "kind %d: prefix of %zu bytes parsed", k,
                   cut);
            CHECKF(!strncmp(e.msg, "x.rds: ", 7) && !strchr(e.msg, '\n'), "bad message '%s'",
                   e.msg);
            exact += strstr(e.msg, what[k]) != NULL;
        }
        /* headers cut short give other messages (empty file, not an R file) */
        CHECKF(exact + 16 >= (int)len, "kind %d: only %d of %zu prefixes say '%s'", k, exact, len,
               what[k]);
        if (img != raw)
            free(img);
    }
    free(raw);
}

/* zlib's own verdict on a gzip stream (inflate checking CRC and length, as gunzip does): NULL
 * when it decodes whole, else its message. */
static const char *zlib_verdict(const unsigned char *in, size_t n, char *msg, size_t size)
{
    size_t cap = 64 << 20, pos = 0;
    unsigned char *out = xmalloc(cap);
    const char *verdict = NULL;
    while (pos < n && !verdict) {
        z_stream z = {0};
        inflateInit2(&z, 15 + 16);
        z.next_in = (unsigned char *)in + pos;
        z.avail_in = (uInt)(n - pos);
        z.next_out = out;
        z.avail_out = (uInt)cap;
        if (inflate(&z, Z_FINISH) != Z_STREAM_END) {
            snprintf(msg, size, "%s", z.msg ? z.msg : "no end");
            verdict = msg;
        }
        pos = n - z.avail_in;
        inflateEnd(&z);
    }
    free(out);
    return verdict;
}

/* The gzip check values (computed beside the decoder, rds_gzcheck.c) judged as zlib judges
 * them: a bad CRC or length in the trailer of the only member, or of the first of two. */
static void test_gzip_check_values(void)
{
    if (!cr_test_shared())
        SKIP("no ../shared");
    size_t n, n1, n2, len_one;
    unsigned char *raw = (unsigned char *)case_file("types_none_v3", &n);
    CHECK(raw);
    unsigned char *one = compress_gz(raw, n, &len_one);
    /* two members: the image cut in two, each part its own gzip stream */
    unsigned char *a = compress_gz(raw, n / 3, &n1), *b = compress_gz(raw + n / 3, n - n / 3, &n2);
    unsigned char *two = xmalloc(n1 + n2);
    memcpy(two, a, n1);
    memcpy(two + n1, b, n2);
    free(a);
    free(b);
    struct {
        unsigned char *img;
        size_t len, at;  /* the byte to flip, counted from the end of the first member */
        unsigned char x;
    } cases[] = {
        {one, len_one, 0, 0},    {one, len_one, 8, 0x01},  {one, len_one, 5, 0x80},
        {one, len_one, 4, 0x01}, {one, len_one, 1, 0x7f},  {two, n1 + n2, 0, 0},
        {two, n1 + n2, 8, 0x10}, {two, n1 + n2, 3, 0x01},
    };
    int refused = 0;
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        unsigned char *img = cases[k].img;
        size_t end = img == two ? n1 : cases[k].len;
        img[end - cases[k].at] ^= cases[k].x;
        char zmsg[256], want[300];
        const char *zv = zlib_verdict(img, cases[k].len, zmsg, sizeof zmsg);
        cr_rds *df;
        cr_err e = {{0}};
        int rc = open_copy(img, cases[k].len, &df, &e);
        img[end - cases[k].at] ^= cases[k].x;
        if (!zv) {
            CHECKF(rc == 0, "case %zu: %s", k, e.msg);
            continue;
        }
        snprintf(want, sizeof want, "x.rds: corrupt gzip stream (%s)", zv);
        CHECKF(rc != 0 && !strcmp(e.msg, want), "case %zu: '%s', zlib says '%s'", k, e.msg, zv);
        refused++;
    }
    CHECK_INT(refused, 6);
    free(one);
    free(two);
    free(raw);
}

/* Every byte of small files changed several ways: errors or values, never a crash. */
static void test_corruption(void)
{
    if (!cr_test_shared())
        SKIP("no ../shared");
    static const char *const stems[] = {"Clocale_utf8_none_v3", "altrep_deferred_attr_none_v3",
                                        "env_attr_none_v3", "types_none_v3"};
    int failed = 0, parsed = 0;
    for (size_t f = 0; f < sizeof stems / sizeof stems[0]; f++) {
        size_t n;
        unsigned char *raw = (unsigned char *)case_file(stems[f], &n);
        CHECK(raw);
        for (size_t i = 0; i < n && i < 6000; i++) {
            unsigned char keep = raw[i];
            const unsigned char vals[] = {0x00, 0xff, (unsigned char)(keep ^ 0x80),
                                          (unsigned char)(keep + 1), 0x7f};
            for (size_t v = 0; v < sizeof vals; v++) {
                raw[i] = vals[v];
                cr_rds *df;
                cr_err e;
                if (open_copy(raw, n, &df, &e) == 0)
                    parsed++;
                else
                    failed++;
            }
            raw[i] = keep;
        }
        free(raw);
    }
    printf("  %d corrupt variants rejected, %d still parse\n", failed, parsed);
    CHECK(failed > 0);
}

/* ---- hand-made files for the messages -------------------------------------------------- */

typedef struct {
    unsigned char b[4096];
    size_t n;
} bytes;

static void b_int(bytes *b, uint32_t v)
{
    unsigned char x[4] = {(unsigned char)(v >> 24), (unsigned char)(v >> 16),
                          (unsigned char)(v >> 8), (unsigned char)v};
    memcpy(b->b + b->n, x, 4);
    b->n += 4;
}

static void b_str(bytes *b, const char *s)
{
    b_int(b, 0x40009);
    b_int(b, (uint32_t)strlen(s));
    memcpy(b->b + b->n, s, strlen(s));
    b->n += strlen(s);
}

static void b_header(bytes *b)
{
    memcpy(b->b, "X\n", 2);
    b->n = 2;
    b_int(b, 3);
    b_int(b, 0x040202);
    b_int(b, 0x030500);
    b_int(b, 5);
    memcpy(b->b + b->n, "UTF-8", 5);
    b->n += 5;
}

/* Attributes of a one-column frame of n rows named "x". */
static void b_frame_attrs(bytes *b, int n)
{
    b_int(b, 0x402), b_int(b, 1), b_str(b, "names"), b_int(b, 16), b_int(b, 1), b_str(b, "x");
    b_int(b, 0x402), b_int(b, 1), b_str(b, "class"), b_int(b, 16), b_int(b, 1);
    b_str(b, "data.frame");
    b_int(b, 0x402), b_int(b, 1), b_str(b, "row.names"), b_int(b, 13), b_int(b, 2);
    b_int(b, 0x80000000u), b_int(b, (uint32_t)-n);
    b_int(b, 254);
}

static void expect_error(const bytes *b, const char *want)
{
    cr_rds *df;
    cr_err e;
    CHECK(open_copy(b->b, b->n, &df, &e) != 0);
    CHECKF(!strcmp(e.msg, want), "got '%s', expected '%s'", e.msg, want);
}

static void test_messages(void)
{
    bytes b;
    b_header(&b);
    b_int(&b, 16), b_int(&b, 1), b_str(&b, "a");
    expect_error(&b, "x.rds: not a data frame (top-level object is a character vector)");
    if (cr_test_stop)
        return;

    b_header(&b);
    b_int(&b, 0x313), b_int(&b, 1);
    b_int(&b, 238);                                           /* ALTREP column */
    b_int(&b, 2), b_int(&b, 1), b_str(&b, "foo");             /* class info: foo, */
    b_int(&b, 2), b_int(&b, 1), b_str(&b, "base");            /* base, */
    b_int(&b, 2), b_int(&b, 13), b_int(&b, 1), b_int(&b, 16); /* STRSXP */
    b_int(&b, 254);
    b_int(&b, 254), b_int(&b, 254);                           /* state, attributes */
    b_frame_attrs(&b, 1);
    expect_error(&b, "x.rds: unknown ALTREP class 'foo'");
    if (cr_test_stop)
        return;

    /* the same frame with a plain column parses, and a repeated symbol is a reference */
    b_header(&b);
    b_int(&b, 0x313), b_int(&b, 1), b_int(&b, 16), b_int(&b, 1), b_int(&b, 9), b_int(&b, -1);
    b_frame_attrs(&b, 1);
    cr_rds *df;
    cr_err e;
    CHECKF(open_copy(b.b, b.n, &df, &e) == 0, "%s", e.msg);

    /* a long-vector length (-1, then two words) for the same column */
    bytes l;
    b_header(&l);
    b_int(&l, 0x313), b_int(&l, 1), b_int(&l, 16), b_int(&l, (uint32_t)-1), b_int(&l, 0);
    b_int(&l, 1), b_str(&l, "long");
    b_frame_attrs(&l, 1);
    CHECKF(cr_rds_open_mem(&df, l.b, l.n, "l.rds", 0, &e) == 0, "%s", e.msg);
    cr_rds_cursor c;
    cr_rds_cursor_init(&c, df, 0);
    cr_value v;
    CHECK(cr_rds_col_next(&c, &v) == 1 && v.kind == CR_VAL_TEXT && v.len == 4);
    CHECK(!memcmp(v.s, "long", 4) && cr_rds_nrow(df) == 1);
    cr_rds_close(df);

    b.n -= 8; /* cut inside row.names */
    char msg[128];
    snprintf(msg, sizeof msg, "x.rds: truncated R serialization data (%zu bytes)", b.n);
    expect_error(&b, msg);
    if (cr_test_stop)
        return;

    const char junk[] = "hello, world\n";
    memcpy(b.b, junk, sizeof junk - 1);
    b.n = sizeof junk - 1;
    expect_error(&b, "x.rds: not an R data file (no serialization header)");
    if (cr_test_stop)
        return;

    size_t n;
    unsigned char text[2000];
    for (size_t i = 0; i < sizeof text; i++)
        text[i] = (unsigned char)junk[i % (sizeof junk - 1)];
    /* an R header first, or the reader stops at the first bytes out (the bomb check) */
    memcpy(text, "X\n", 2);
    unsigned char *gz = compress_gz(text, sizeof text, &n);
    gz[n / 2] ^= 0x55;
    CHECK(open_copy(gz, n, &df, &e) != 0);
    CHECKF(strstr(e.msg, "x.rds: corrupt gzip stream") == e.msg, "%s", e.msg);
    free(gz);
    for (size_t i = 0; i < sizeof text; i++)
        text[i] = (unsigned char)junk[i % (sizeof junk - 1)];
    gz = compress_gz(text, sizeof text, &n);
    CHECK(open_copy(gz, n, &df, &e) != 0);
    CHECK_STR(e.msg, "x.rds: gzip data that is not an R data file (no serialization header)");
    free(gz);

    cr_err fe;
    CHECK(cr_rds_open(&df, "/nonexistent/x.Rds", &fe) != 0);
    CHECK_STR(fe.msg, "/nonexistent/x.Rds: cannot open: No such file or directory");
}

/* as.character() of doubles by R with several scipen values, saved as deferred strings. */
static void test_deferred_doubles_vs_r(void)
{
    if (cr_test_sh("command -v Rscript >/dev/null 2>&1") != 0)
        SKIP("no Rscript");
    char rds[512], want[512];
    snprintf(rds, sizeof rds, "%s/dbl.rds", cr_test_tmpdir());
    snprintf(want, sizeof want, "%s/dbl.values", cr_test_tmpdir());
    int rc = cr_test_sh(
        "Rscript -e 'a <- commandArgs(TRUE); set.seed(1); "
        "m <- c(runif(3000) * 10^sample(-330:310, 3000, TRUE), round(runif(500, 0, 1e6), "
        "sample(0:9, 500, TRUE)), sample(1:1e9, 300) * 10^sample(-12:12, 300, TRUE), "
        "0, -0, NA, NaN, Inf, -Inf, 0.1 + 0.2, 1/3, 2/3, 1e5, 123456, 1e15, 1e16, 1e-5, 1e-4, "
        "99999.99999999999, 999999999999999.9, 0.30000000000000004, 5e-324, "
        ".Machine$double.xmax, 1e-300, 123456789012, 1234567890123456, 100000.5, "
        "0.1234567890123456); "
        "m <- c(m, -m); d <- list(); "
        "for (s in c(0, -5, 3, 100)) { options(scipen = s); "
        "d[[paste0(\"s\", s)]] <- as.character(m) }; "
        "class(d) <- \"data.frame\"; attr(d, \"row.names\") <- .set_row_names(length(m)); "
        "stopifnot(grepl(\"deferred\", capture.output(.Internal(inspect(d[[1]], 0, 0)))[1])); "
        "saveRDS(d, a[1], compress = FALSE); con <- file(a[2], \"wb\"); "
        "for (v in d) { v[is.na(v)] <- \"\\001NA\"; writeLines(v, con) }; close(con)' '%s' '%s'",
        rds, want);
    CHECK_INT(rc, 0);
    cr_rds *df;
    cr_err e;
    CHECKF(cr_rds_open(&df, rds, &e) == 0, "%s", e.msg);
    sbuf txt = {0}, values = {0};
    describe(df, &txt, &values);
    cr_rds_close(df);
    size_t n;
    char *w = cr_test_slurp(want, &n);
    CHECK(w);
    size_t at = 0;
    while (at < n && at < values.len && values.p[at] == w[at])
        at++;
    size_t line = at;
    while (line > 0 && w[line - 1] != '\n')
        line--;
    CHECKF(values.len == n && at == n, "differs at byte %zu: R '%.40s' ours '%.40s'", at,
           w + line, values.p + line);
    size_t lines = 0;
    for (size_t i = 0; i < n; i++)
        lines += w[i] == '\n';
    printf("  %zu doubles x 4 scipen values formatted as R does\n", lines / 4);
    free(w);
    free(txt.p);
    free(values.p);
}

/* The packet source: every row of a seed-format export becomes a TCP/UDP packet. */
static void test_source(void)
{
    const char *sh = cr_test_shared();
    if (!sh)
        SKIP("no ../shared");
    char path[1024];
    snprintf(path, sizeof path, "%s/captures/real/ndpi-skype.Rds", sh);
    cr_source *s;
    cr_err e;
    CHECKF(cr_source_open(&s, path, &e) == 0, "%s", e.msg);
    CHECK_STR(s->kind, "rds");
    CHECK_INT(s->has_flags, 0);
    cr_packet p;
    int rc;
    uint64_t n = 0;
    while ((rc = cr_source_next(s, &p, &e)) == 1)
        n++;
    CHECKF(rc == 0, "%s", e.msg);
    /* tshark's export of the same capture has 3056 TCP/UDP rows */
    CHECK_INT(s->records, 3056);
    CHECK_INT(n, 3056);
    cr_source_close(s);

    snprintf(path, sizeof path, "%s/rds-cases/files/types_none_v3.rds", sh);
    CHECK(cr_rds_source_open(&s, path, &e) == 0);
    cr_source_close(s);
}

TEST_MAIN(RUN(test_rds_cases); RUN(test_zero_rows); RUN(test_classes_vs_r);
          RUN(test_real_captures); RUN(test_truncation); RUN(test_corruption);
          RUN(test_messages); RUN(test_deferred_doubles_vs_r); RUN(test_source);
          RUN(test_gzip_check_values))
