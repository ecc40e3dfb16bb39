/* Progress as the command line shows it (lib/common/progress): heartbeat lines when stderr is a
 * file (the interval shrunk through CONNRATE_HEARTBEAT, so no timing is asserted), one strict
 * JSON object per line with --json-progress, nothing with --quiet, a redrawn bar on a terminal
 * (through script(1)'s pseudo-terminal); and the outputs are byte-identical whatever is shown. */
#include <stdlib.h>
#include <string.h>

#include "test.h"

#define SMALL "--users 1 --draws 10 --seconds 600 --warmup 100 --samples 100"

/* The sanitizer build's program prints LeakSanitizer's suppression counts on stderr at exit. */
#ifdef __SANITIZE_ADDRESS__
#define ENV "LSAN_OPTIONS=print_suppressions=0"
#else
#define ENV ""
#endif

static char syn[512];

static int captures(void)
{
    static int done = -1;
    if (done < 0) {
        snprintf(syn, sizeof syn, "%s/syn", cr_test_tmpdir());
        done = cr_test_sh("%s synth -q --machines 2 --minutes 5 --seed 3 -o %s", cr_test_bin(),
                          syn) == 0;
    }
    return done;
}

/* The stderr of `connrate run` over the captures into DIR/NAME, with extra options and
 * environment; NULL when the run did not finish. */
static char *run_stderr(const char *name, const char *env, const char *opts)
{
    const char *t = cr_test_tmpdir();
    if (!captures() || !cr_test_ran(cr_test_sh(ENV " %s %s run %s -o %s/%s %s %s 2> %s/%s.err",
                                               env, cr_test_bin(), syn, t, name, opts, SMALL, t,
                                               name)))
        return NULL;
    char p[700];
    snprintf(p, sizeof p, "%s/%s.err", t, name);
    return cr_test_slurp(p, NULL);
}

/* ---- a strict parser of the one JSON shape progress prints: a flat object of strings,
 * numbers and nulls ---- */

typedef struct {
    char key[4][16];
    char str[4][256]; /* string values */
    double num[4];    /* number values; NAN for null */
    int is_str[4], n;
} flat;

static const char *ws(const char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    return s;
}

static const char *string(const char *s, char *out, size_t n)
{
    if (*s++ != '"')
        return NULL;
    size_t k = 0;
    for (; *s != '"'; s++) {
        if ((unsigned char)*s < 0x20)
            return NULL;
        char c = *s;
        if (c == '\\') {
            const char *esc = strchr("\"\\/bfnrtu", *++s);
            if (!*s || !esc)
                return NULL;
            if (*s == 'u') {
                for (int i = 1; i <= 4; i++)
                    if (!strchr("0123456789abcdefABCDEF", s[i]) || !s[i])
                        return NULL;
                s += 4;
                c = '?';
            } else {
                c = "\"\\/\b\f\n\r\t"[esc - "\"\\/bfnrtu"];
            }
        }
        if (k + 1 < n)
            out[k++] = c;
    }
    out[k] = 0;
    return s + 1;
}

/* JSON's number grammar exactly: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)? */
static const char *number(const char *s, double *out)
{
    const char *p = s + (*s == '-');
    if (*p == '0')
        p++;
    else if (*p >= '1' && *p <= '9')
        while (*p >= '0' && *p <= '9')
            p++;
    else
        return NULL;
    if (*p == '.') {
        if (!(*++p >= '0' && *p <= '9'))
            return NULL;
        while (*p >= '0' && *p <= '9')
            p++;
    }
    if (*p == 'e' || *p == 'E') {
        p += p[1] == '+' || p[1] == '-';
        if (!(*++p >= '0' && *p <= '9'))
            return NULL;
        while (*p >= '0' && *p <= '9')
            p++;
    }
    *out = strtod(s, NULL);
    return p;
}

static int parse_flat(const char *s, flat *f)
{
    memset(f, 0, sizeof *f);
    s = ws(s);
    if (*s++ != '{')
        return -1;
    for (;;) {
        if (f->n == 4)
            return -1;
        int i = f->n++;
        s = string(ws(s), f->key[i], sizeof f->key[i]);
        if (!s || *(s = ws(s)) != ':')
            return -1;
        s = ws(s + 1);
        f->num[i] = NAN;
        if (*s == '"') {
            f->is_str[i] = 1;
            s = string(s, f->str[i], sizeof f->str[i]);
        } else if (!strncmp(s, "null", 4)) {
            s += 4;
        } else {
            s = number(s, &f->num[i]);
        }
        if (!s)
            return -1;
        s = ws(s);
        if (*s == '}')
            break;
        if (*s++ != ',')
            return -1;
    }
    return *ws(s + 1) ? -1 : 0;
}

static void parser_is_strict(void)
{
    flat f;
    CHECK(parse_flat("{\"stage\": \"a\\\"b\", \"done\": 1.5e3, \"total\": null, \"eta_s\": 0}",
                     &f) == 0);
    CHECK_STR(f.str[0], "a\"b");
    CHECK_NEAR(f.num[1], 1500, 0);
    CHECK(isnan(f.num[2]));
    const char *bad[] = {"{\"a\": 01}", "{\"a\": 1.}", "{\"a\": nan}", "{\"a\": 1,}",
                         "{\"a\": \"x\ty\"}", "{\"a\": 1} x", "{'a': 1}", "{\"a\" 1}",
                         "{\"a\": .5}", "{\"a\": \"\\x\"}"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        CHECKF(parse_flat(bad[i], &f) != 0, "accepted %s", bad[i]);
}

/* ---- the modes ---- */

static void heartbeat_when_not_a_terminal(void)
{
    char *err = run_stderr("beat", "CONNRATE_HEARTBEAT=0.001", "");
    CHECK(err);
    int beats = 0, counted = 0;
    for (char *line = strtok(err, "\n"); line; line = strtok(NULL, "\n")) {
        if (strncmp(line, "progress: ", 10))
            continue;
        beats++;
        /* a counted stage reads "STAGE P% (D/T), ETA X" */
        const char *pct = strchr(line, '%');
        counted += pct && strstr(pct, "), ETA ") != NULL;
    }
    CHECKF(beats >= 3 && counted >= 3, "%d heartbeat lines, %d with percent and ETA", beats,
           counted);
    CHECKF(!strchr(err, '\r') && !strchr(err, '\033'), "terminal codes in a file");
    free(err);
}

static void json_lines_parse(void)
{
    char *err = run_stderr("json", "", "-q --json-progress");
    CHECK(err);
    int lines = 0, ends = 0, reading = 0;
    for (char *line = strtok(err, "\n"); line; line = strtok(NULL, "\n")) {
        flat f;
        CHECKF(parse_flat(line, &f) == 0, "not one JSON object: %s", line);
        CHECKF(f.n == 4 && !strcmp(f.key[0], "stage") && !strcmp(f.key[1], "done") &&
                   !strcmp(f.key[2], "total") && !strcmp(f.key[3], "eta_s") && f.is_str[0] &&
                   !f.is_str[1] && !f.is_str[2] && !f.is_str[3],
               "keys or types: %s", line);
        CHECKF(!(f.num[1] > f.num[2]) && !(f.num[3] < 0), "done > total or negative ETA: %s",
               line);
        ends += f.num[1] == f.num[2] && f.num[3] == 0;
        if (!strcmp(f.str[0], "reading captures"))
            reading += f.num[2] == 2;
        lines++;
    }
    /* every stage's last step is shown: the two captures read, each fit, each simulation */
    CHECKF(lines >= 5 && ends >= 4 && reading >= 1, "%d lines, %d stage ends, %d reading", lines,
           ends, reading);
    free(err);
}

static void quiet_prints_nothing(void)
{
    char *err = run_stderr("quiet", "CONNRATE_HEARTBEAT=0.001", "-q");
    CHECK(err);
    CHECKF(!*err, "stderr with --quiet: %.200s", err);
    free(err);
}

/* The three runs above, same inputs and seed. */
static void outputs_never_depend_on_it(void)
{
    const char *t = cr_test_tmpdir();
    static const char *const files[] = {"sizing.csv", "sizing.json", "cps.csv", "flows.csv"};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++)
        CHECKF(cr_test_sh("cmp -s %s/beat/%s %s/json/%s && cmp -s %s/beat/%s %s/quiet/%s", t,
                          files[i], t, files[i], t, files[i], t, files[i]) == 0,
               "%s differs with the progress mode", files[i]);
}

static void bar_on_a_terminal(void)
{
    if (cr_test_sh("command -v script >/dev/null 2>&1") != 0)
        SKIP("script(1) is not installed (util-linux)");
    CHECK(captures());
    const char *t = cr_test_tmpdir();
    CHECK(cr_test_sh("script -qec '%s cps %s -o %s/tty.csv' /dev/null > %s/tty.out 2>&1",
                     cr_test_bin(), syn, t, t) == 0);
    CHECK(cr_test_sh("script -qec '" ENV " %s cps -q %s -o %s/tty-q.csv' /dev/null > %s/tty-q.out "
                     "2>&1",
                     cr_test_bin(), syn, t, t) == 0);
    char p[700];
    snprintf(p, sizeof p, "%s/tty.out", t);
    char *out = cr_test_slurp(p, NULL);
    CHECK(out);
    CHECKF(strstr(out, "\r\033[Kreading captures [") && strstr(out, "] 100% ETA 0s"),
           "no bar: %.300s", out);
    free(out);
    snprintf(p, sizeof p, "%s/tty-q.out", t);
    out = cr_test_slurp(p, NULL);
    CHECK(out);
    CHECKF(!*out, "output with -q on a terminal: %.200s", out);
    free(out);
}

TEST_MAIN(RUN(parser_is_strict); RUN(heartbeat_when_not_a_terminal); RUN(json_lines_parse);
          RUN(quiet_prints_nothing); RUN(outputs_never_depend_on_it); RUN(bar_on_a_terminal))
