#include "test.h"

#include <stdarg.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

int cr_test_stop;
static int passed, failed, skipped;
static int cur_failed, cur_skipped;
static const char *cur_name;
static char tmpdir[256];

void cr_test_fail(const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    printf("FAIL %s (%s:%d): ", cur_name, file, line);
    vprintf(fmt, ap);
    printf("\n");
    va_end(ap);
    fflush(stdout);
    cur_failed = 1;
    cr_test_stop = 1;
}

void cr_test_skip(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    printf("skip %s: ", cur_name);
    vprintf(fmt, ap);
    printf("\n");
    va_end(ap);
    cur_skipped = 1;
    cr_test_stop = 1;
}

void cr_test_run(const char *name, void (*fn)(void))
{
    cur_name = name;
    cur_failed = cur_skipped = 0;
    cr_test_stop = 0;
    fn();
    if (cur_failed)
        failed++;
    else if (cur_skipped)
        skipped++;
    else {
        passed++;
        printf("ok   %s\n", name);
    }
    fflush(stdout);
}

int cr_test_summary(void)
{
    if (tmpdir[0] && !failed)
        cr_test_sh("rm -rf '%s'", tmpdir);
    printf("@@counts %d %d %d\n", passed, failed, skipped);
    return failed ? 1 : 0;
}

const char *cr_test_shared(void)
{
    static char path[1024];
    const char *env = getenv("CONNRATE_SHARED");
    snprintf(path, sizeof path, "%s", env && *env ? env : "../shared");
    struct stat st;
    if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode))
        return NULL;
    return path;
}

const char *cr_test_tmpdir(void)
{
    if (!tmpdir[0]) {
        const char *base = getenv("TMPDIR");
        snprintf(tmpdir, sizeof tmpdir, "%s/connrate-test-XXXXXX", base && *base ? base : "/tmp");
        if (!mkdtemp(tmpdir)) {
            perror("mkdtemp");
            exit(2);
        }
    }
    return tmpdir;
}

char *cr_test_slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    size_t r;
    while ((r = fread(buf + n, 1, cap - n - 1, f)) > 0) {
        n += r;
        if (cap - n < 2) {
            cap *= 2;
            buf = realloc(buf, cap);
        }
    }
    fclose(f);
    buf[n] = 0;
    if (len)
        *len = n;
    return buf;
}

int cr_test_sh(const char *fmt, ...)
{
    char cmd[8192];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    fflush(stdout);
    int rc = system(cmd);
    if (rc == -1)
        return -1;
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : 128 + WTERMSIG(rc);
}

long cr_test_sh_count(const char *fmt, ...)
{
    char cmd[4096], out[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    snprintf(out, sizeof out, "%s/sh_count.txt", cr_test_tmpdir());
    cr_test_sh("{ %s; } > '%s'", cmd, out);
    char *txt = cr_test_slurp(out, NULL), *end = NULL;
    long v = txt ? strtol(txt, &end, 10) : -1;
    if (txt && end == txt)
        v = -1;
    free(txt);
    return v;
}

const char *cr_test_bin(void)
{
    const char *b = getenv("CONNRATE_BIN");
    return b && *b ? b : "build/connrate";
}

int cr_test_skip_slow(void)
{
    const char *v = getenv("CONNRATE_SKIP_SLOW");
    return v && *v && strcmp(v, "0") != 0;
}

static void skip_slow(void)
{
    cr_test_skip("calibration study: runs in make check, not under the sanitizers");
}

void cr_test_run_slow(const char *name, void (*fn)(void))
{
    cr_test_run(name, cr_test_skip_slow() ? skip_slow : fn);
}
