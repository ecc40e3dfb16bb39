/* The .Rds writer, read back twice: by our reader and, when R is installed, by R's readRDS(),
 * the independent reference (class, row count, every value, NA vs "" vs "NA", encodings). */
#include <dirent.h>
#include <stdlib.h>

#include "common/xalloc.h"
#include "ingest/rds.h"
#include "ingest/rds_write.h"
#include "test.h"

#define NROW 7
#define NCOL 3

static const char *const names[NCOL] = {"id", "label", "na\xc3\xafve"};
static char long_cell[100001];
static const char *cells[NCOL][NROW] = {
    {"1", "2", "3", "4", "5", "6", "7"},
    {NULL, "", "NA", "Z\xc3\xbcrich", "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e",
     "emoji \xf0\x9f\x98\x80", long_cell},
    {NULL, NULL, NULL, NULL, NULL, NULL, "last"},
};

static const char *cell(void *ctx, int col, int64_t row, size_t *len)
{
    const char *s = cells[col][row];
    *len = s ? strlen(s) : 0;
    return s;
}

static void write_frame(const char *path, int64_t nrow)
{
    memset(long_cell, 'x', sizeof long_cell - 1);
    cr_err e;
    int rc = cr_rds_write_strings(path, NCOL, names, nrow, cell, NULL, &e);
    CHECKF(rc == 0, "%s", e.msg);
}

static int same_cell(const cr_value *v, const char *want)
{
    if (!want)
        return v->kind == CR_VAL_NA;
    return v->kind == CR_VAL_TEXT && v->len == strlen(want) && !memcmp(v->s, want, v->len);
}

static void read_back(const char *path, int64_t nrow)
{
    cr_rds *df;
    cr_err e;
    CHECKF(cr_rds_open(&df, path, &e) == 0, "%s", e.msg);
    CHECK_INT(cr_rds_ncol(df), NCOL);
    CHECK_INT(cr_rds_nrow(df), nrow);
    CHECK_STR(cr_rds_class(df), "data.frame");
    for (int j = 0; j < NCOL; j++) {
        CHECK_STR(cr_rds_colname(df, j), names[j]);
        CHECK_INT(cr_rds_coltype(df, j), CR_RDS_STRING);
        cr_rds_cursor c;
        cr_rds_cursor_init(&c, df, j);
        cr_value v;
        for (int64_t i = 0; i < nrow; i++) {
            CHECK(cr_rds_col_next(&c, &v) == 1);
            CHECKF(same_cell(&v, cells[j][i]), "column %d row %lld", j, (long long)i);
        }
        CHECK_INT(cr_rds_col_next(&c, &v), 0);
    }
    cr_rds_close(df);
}

static void test_roundtrip(void)
{
    char path[512];
    snprintf(path, sizeof path, "%s/sub/frame.rds", cr_test_tmpdir());
    write_frame(path, NROW);
    if (cr_test_stop)
        return;
    read_back(path, NROW);
    if (cr_test_stop)
        return;
    /* only the final file is left behind, and it is gzip as saveRDS() writes it */
    char dir[512];
    snprintf(dir, sizeof dir, "%s/sub", cr_test_tmpdir());
    DIR *d = opendir(dir);
    CHECK(d);
    int n = 0;
    struct dirent *de;
    while ((de = readdir(d)))
        n += de->d_name[0] != '.';
    closedir(d);
    CHECK_INT(n, 1);
    size_t len;
    char *raw = cr_test_slurp(path, &len);
    CHECK(raw && len > 2 && (unsigned char)raw[0] == 0x1f && (unsigned char)raw[1] == 0x8b);
    free(raw);
}

static void test_zero_rows(void)
{
    char path[512];
    snprintf(path, sizeof path, "%s/empty.rds", cr_test_tmpdir());
    write_frame(path, 0);
    if (cr_test_stop)
        return;
    read_back(path, 0);
}

/* R reads our file: class, nrow, every value (NA marked as ref.R marks it), and the encoding
 * R records for each string. */
static void check_with_r(const char *path, int64_t nrow)
{
    char dump[512];
    snprintf(dump, sizeof dump, "%s.R.txt", path);
    int rc = cr_test_sh(
        "Rscript -e 'a <- commandArgs(TRUE); x <- readRDS(a[1]); "
        "stopifnot(identical(class(x), \"data.frame\"), nrow(x) == as.integer(a[3]), "
        "identical(names(x), c(\"id\", \"label\", \"na\\u00efve\"))); "
        "con <- file(a[2], \"wb\"); for (v in x) { e <- Encoding(v); v[is.na(v)] <- \"\\001NA\"; "
        "writeLines(paste(e, v), con, useBytes = TRUE) }; close(con)' '%s' '%s' %lld",
        path, dump, (long long)nrow);
    CHECK_INT(rc, 0);
    size_t len;
    char *got = cr_test_slurp(dump, &len);
    CHECK(got);
    char *want = xmalloc(1 << 20);
    size_t w = 0;
    for (int j = 0; j < NCOL; j++)
        for (int64_t i = 0; i < nrow; i++) {
            const char *s = cells[j][i];
            int ascii = 1;
            for (const char *p = s; p && *p; p++)
                ascii &= (unsigned char)*p < 0x80;
            w += (size_t)snprintf(want + w, (1 << 20) - w, "%s %s\n",
                                  ascii ? "unknown" : "UTF-8", s ? s : "\001NA");
        }
    CHECKF(len == w && !memcmp(got, want, w), "R's view differs:\n%.2000s", got);
    free(want);
    free(got);
}

static void test_with_r(void)
{
    if (cr_test_sh("command -v Rscript >/dev/null 2>&1") != 0)
        SKIP("no Rscript");
    char path[512];
    snprintf(path, sizeof path, "%s/r.rds", cr_test_tmpdir());
    write_frame(path, NROW);
    if (cr_test_stop)
        return;
    check_with_r(path, NROW);
    if (cr_test_stop)
        return;
    snprintf(path, sizeof path, "%s/r0.rds", cr_test_tmpdir());
    write_frame(path, 0);
    if (cr_test_stop)
        return;
    check_with_r(path, 0);
}

static void test_bad_path(void)
{
    cr_err e;
    CHECK(cr_rds_write_strings("/proc/no/such/x.rds", NCOL, names, 1, cell, NULL, &e) != 0);
    CHECK(strstr(e.msg, "/proc/no") != NULL);
}

TEST_MAIN(RUN(test_roundtrip); RUN(test_zero_rows); RUN(test_with_r); RUN(test_bad_path))
