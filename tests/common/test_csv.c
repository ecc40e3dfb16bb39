#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "common/csv.h"
#include "common/splitmix.h"
#include "test.h"

static const char *write_file(const char *name, const char *text, size_t len)
{
    static char p[512];
    snprintf(p, sizeof p, "%s/%s", cr_test_tmpdir(), name);
    FILE *f = fopen(p, "wb");
    fwrite(text, 1, len, f);
    fclose(f);
    return p;
}

/* Reads every record of path into "a|b|c\n" lines, fields joined by '|'. */
static int read_all(const char *path, char delim, int flags, char *out, size_t cap, cr_err *e)
{
    cr_csv *r;
    if (cr_csv_open(&r, path, delim, flags, e) != 0)
        return -1;
    cr_csv_field *f;
    int n;
    size_t len = 0;
    out[0] = 0;
    while ((n = cr_csv_next(r, &f, e)) > 0) {
        for (int i = 0; i < n; i++)
            len += (size_t)snprintf(out + len, cap - len, "%s%s", i ? "|" : "", f[i].s);
        len += (size_t)snprintf(out + len, cap - len, "\n");
    }
    cr_csv_close(r);
    return n;
}

static void quoting_rules(void)
{
    static const char text[] = "\xef\xbb\xbf"
                               "id,name,note\r\n"
                               "1,\"a,b\",\"say \"\"hi\"\"\"\r\n"
                               "2,\"two\nlines\",plain\n"
                               "3,,\"\"\n"
                               "4,'=1+1,'x\n"
                               "5,last,no newline";
    const char *p = write_file("q.csv", text, sizeof text - 1);
    char out[512];
    cr_err e;
    CHECKF(read_all(p, ',', 0, out, sizeof out, &e) == 0, "%s", e.msg);
    CHECK_STR(out, "id|name|note\n1|a,b|say \"hi\"\n2|two\nlines|plain\n3||\n4|=1+1|'x\n"
                   "5|last|no newline\n");
}

static void line_numbers_and_quoted_flag(void)
{
    static const char text[] = "a,b\n\"x\ny\",\"\"\nz,w\n";
    const char *p = write_file("l.csv", text, sizeof text - 1);
    cr_csv *r;
    cr_err e;
    CHECK(cr_csv_open(&r, p, ',', 0, &e) == 0);
    cr_csv_field *f;
    CHECK_INT(cr_csv_next(r, &f, &e), 2);
    CHECK_INT(cr_csv_line(r), 1);
    CHECK_INT(cr_csv_next(r, &f, &e), 2);
    CHECK_INT(cr_csv_line(r), 2);
    CHECK(f[0].quoted && f[1].quoted && f[1].len == 0);
    CHECK_INT(cr_csv_next(r, &f, &e), 2);
    CHECK_INT(cr_csv_line(r), 4);
    CHECK(!f[0].quoted);
    CHECK_INT(cr_csv_next(r, &f, &e), 0);
    cr_csv_close(r);
}

static void plain_and_line_modes(void)
{
    static const char text[] = "#fields\tts\tnote\n1.5\t\"q\t'=x\n";
    const char *p = write_file("z.log", text, sizeof text - 1);
    char out[256];
    cr_err e;
    CHECKF(read_all(p, '\t', CR_CSV_PLAIN, out, sizeof out, &e) == 0, "%s", e.msg);
    CHECK_STR(out, "#fields|ts|note\n1.5|\"q|'=x\n");
    CHECKF(read_all(p, 0, 0, out, sizeof out, &e) == 0, "%s", e.msg);
    CHECK_STR(out, "#fields\tts\tnote\n1.5\t\"q\t'=x\n");
}

static void gzip_input(void)
{
    char p[512];
    snprintf(p, sizeof p, "%s/g.csv.gz", cr_test_tmpdir());
    gzFile g = gzopen(p, "wb");
    gzputs(g, "a,b\n1,\"2,3\"\n");
    gzclose(g);
    char out[128];
    cr_err e;
    CHECKF(read_all(p, ',', 0, out, sizeof out, &e) == 0, "%s", e.msg);
    CHECK_STR(out, "a|b\n1|2,3\n");
}

static void malformed(void)
{
    static const struct {
        const char *text;
        size_t len;
        const char *msg;
    } cases[] = {
        {"a,b\n1,\"open\n", 12, "bad.csv:2: unterminated quoted field"},
        {"a,b\n\"x\"y,1\n", 11, "bad.csv:2: text after a closing quote"},
        {"a,b\n1,\0\n", 8, "bad.csv:2: NUL byte: binary data, not delimited text"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *p = write_file("bad.csv", cases[i].text, cases[i].len);
        char out[128];
        cr_err e;
        CHECKF(read_all(p, ',', 0, out, sizeof out, &e) < 0, "case %zu accepted", i);
        CHECKF(strstr(e.msg, cases[i].msg) != NULL, "case %zu: %s", i, e.msg);
    }
    cr_csv *r;
    cr_err e;
    CHECK(cr_csv_open(&r, "/nonexistent/x.csv", ',', 0, &e) < 0);
    CHECK(strstr(e.msg, "/nonexistent/x.csv: cannot open") != NULL);
}

/* Any byte string but NUL survives the writer and the reader, in every position of a row. */
static void round_trip_random_text(void)
{
    uint64_t s = 7;
    char path[512];
    snprintf(path, sizeof path, "%s/rt.csv", cr_test_tmpdir());
    enum { ROWS = 400, COLS = 3 };
    static char cell[ROWS][COLS][64];
    for (char delim = ','; delim; delim = delim == ',' ? '\t' : 0) {
        FILE *f = fopen(path, "wb");
        for (int i = 0; i < ROWS; i++) {
            const char *row[COLS];
            for (int j = 0; j < COLS; j++) {
                int len = (int)(cr_splitmix64(s++) % 40);
                for (int k = 0; k < len; k++) {
                    /* favour the bytes that matter */
                    static const char special[] = ",\t\"\n\r'=+-@ ";
                    uint64_t u = cr_splitmix64(s++);
                    cell[i][j][k] = u % 3 ? special[u / 3 % (sizeof special - 1)]
                                          : (char)(1 + u / 3 % 255);
                }
                cell[i][j][len] = 0;
                row[j] = cell[i][j];
            }
            cr_csv_row(f, row, COLS, delim);
        }
        fclose(f);
        cr_csv *r;
        cr_err e;
        CHECK(cr_csv_open(&r, path, delim, 0, &e) == 0);
        cr_csv_field *fl;
        for (int i = 0; i < ROWS; i++) {
            int n = cr_csv_next(r, &fl, &e);
            CHECKF(n == COLS, "delim %d row %d: %d fields (%s)", delim, i, n, n < 0 ? e.msg : "");
            for (int j = 0; j < COLS; j++)
                CHECKF(!strcmp(fl[j].s, cell[i][j]), "delim %d row %d col %d differs", delim, i,
                       j);
        }
        CHECK_INT(cr_csv_next(r, &fl, &e), 0);
        cr_csv_close(r);
    }
}

/* R's read.csv, an independent RFC 4180 reader, sees the same cells the writer was given
 * (neutralised cells keep their apostrophe there, as a spreadsheet shows it). */
static void writer_against_r(void)
{
    if (cr_test_sh("command -v Rscript >/dev/null 2>&1") != 0)
        SKIP("Rscript not installed");
    const char *cells[] = {"plain", "a,b", "say \"hi\"", "two\nlines", "=cmd|' /C calc'!A0",
                           "-2", "caf\xc3\xa9"};
    int n = (int)(sizeof cells / sizeof cells[0]);
    char path[512], got[600];
    snprintf(path, sizeof path, "%s/r.csv", cr_test_tmpdir());
    snprintf(got, sizeof got, "%s/r.out", cr_test_tmpdir());
    FILE *f = fopen(path, "wb");
    fputs("x\n", f);
    for (int i = 0; i < n; i++)
        cr_csv_row(f, &cells[i], 1, ',');
    fclose(f);
    CHECK(cr_test_sh("Rscript -e 'd <- read.csv(\"%s\", colClasses = \"character\", "
                     "encoding = \"UTF-8\"); writeLines(sprintf(\"[%%s]\", "
                     "gsub(\"\\n\", \"<NL>\", d$x)), \"%s\")' >/dev/null 2>&1",
                     path, got) == 0);
    char *text = cr_test_slurp(got, NULL);
    CHECK(text != NULL);
    CHECK_STR(text, "[plain]\n[a,b]\n[say \"hi\"]\n[two<NL>lines]\n['=cmd|' /C calc'!A0]\n"
                    "['-2]\n[caf\xc3\xa9]\n");
    free(text);
}

TEST_MAIN(RUN(quoting_rules); RUN(line_numbers_and_quoted_flag); RUN(plain_and_line_modes);
          RUN(gzip_input); RUN(malformed); RUN(round_trip_random_text); RUN(writer_against_r))
