/* The committed corpus of bad inputs and absurd options (tests/corpus/cases.tsv): each case runs
 * in a fresh directory holding copies of its files and must end with the exact exit status and
 * the exact one line on stderr, leave no output and no temporary behind, and leave every input
 * byte for byte as it was. Run by make check and, with the sanitizer build, by make check-san. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/csv.h"
#include "test.h"

enum { C_NAME, C_FILES, C_ARGS, C_EXIT, C_MESSAGE, C_ABSENT, NCOLS };

static int slurp_eq(const char *path, const char *want, char **got)
{
    *got = cr_test_slurp(path, NULL);
    return *got && !strcmp(*got, want);
}

static int run_case(const char *corpus, const char *bin, cr_csv_field *f)
{
    char dir[700], want[1200], p[800];
    snprintf(dir, sizeof dir, "%s/%s", cr_test_tmpdir(), f[C_NAME].s);
    int ok = cr_test_sh("mkdir -p '%s'", dir) == 0;
    char files[512];
    snprintf(files, sizeof files, "%s", f[C_FILES].s);
    for (char *save, *t = strtok_r(files, " ", &save); t && ok; t = strtok_r(NULL, " ", &save))
        ok = cr_test_sh("cp -r '%s/files/%s' '%s/'", corpus, t, dir) == 0;
    ok = ok && cr_test_sh("cd '%s' && find . -type f | sort | xargs -r cksum > ../%s.before",
                          dir, f[C_NAME].s) == 0;
    if (!ok) {
        printf("  %s: setup failed\n", f[C_NAME].s);
        return 0;
    }
    int rc = cr_test_sh("cd '%s' && %s %s > /dev/null 2> ../%s.err", dir, bin,
                        f[C_ARGS].s, f[C_NAME].s);
    snprintf(p, sizeof p, "%s/../%s.err", dir, f[C_NAME].s);
    snprintf(want, sizeof want, "%s\n", f[C_MESSAGE].s);
    char *err;
    if (rc != atoi(f[C_EXIT].s)) {
        printf("  %s: exit status %d, expected %s\n", f[C_NAME].s, rc, f[C_EXIT].s);
        ok = 0;
    }
    if (!slurp_eq(p, want, &err)) {
        printf("  %s: stderr was\n    %s  expected\n    %s", f[C_NAME].s, err ? err : "(none)\n",
               want);
        ok = 0;
    }
    free(err);
    char absent[512];
    snprintf(absent, sizeof absent, "%s", f[C_ABSENT].s);
    for (char *save, *t = strtok_r(absent, " ", &save); t; t = strtok_r(NULL, " ", &save))
        if (cr_test_sh("test -e '%s/%s'", dir, t) == 0) {
            printf("  %s: %s exists afterwards\n", f[C_NAME].s, t);
            ok = 0;
        }
    if (cr_test_sh("cd '%s' && test -z \"$(find . -name '.*connrate-tmp*')\"", dir) != 0) {
        printf("  %s: a temporary was left behind\n", f[C_NAME].s);
        ok = 0;
    }
    if (cr_test_sh("cd '%s' && find . -type f | sort | xargs -r cksum | "
                   "grep -v -e ' ./out' | cmp -s - ../%s.before",
                   dir, f[C_NAME].s) != 0) {
        printf("  %s: an input changed\n", f[C_NAME].s);
        ok = 0;
    }
    return ok;
}

static void corpus_cases(void)
{
    const char *corpus = "tests/corpus";
    char *bin = realpath(cr_test_bin(), NULL); /* each case runs in its own directory */
    CHECKF(bin, "%s: not built", cr_test_bin());
    char manifest[256];
    snprintf(manifest, sizeof manifest, "%s/cases.tsv", corpus);
    cr_csv *r;
    cr_err e;
    CHECKF(cr_csv_open(&r, manifest, '\t', CR_CSV_PLAIN, &e) == 0, "%s", e.msg);
    cr_csv_field *f;
    int n, cases = 0, failed = 0;
    while ((n = cr_csv_next(r, &f, &e)) > 0) {
        if (f[0].s[0] == '#' || (n == 1 && !f[0].len))
            continue;
        if (n != NCOLS) {
            printf("  %s:%zu: %d fields, expected %d\n", manifest, cr_csv_line(r), n, NCOLS);
            failed++;
            continue;
        }
        cases++;
        failed += !run_case(corpus, bin, f);
    }
    cr_csv_close(r);
    free(bin);
    CHECKF(n == 0, "%s", e.msg);
    printf("     %d cases\n", cases);
    CHECKF(failed == 0, "%d of %d corpus cases failed", failed, cases);
}

TEST_MAIN(RUN(corpus_cases))
