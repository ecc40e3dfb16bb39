/* report.html in a real browser: headless Chromium driven by playwright-core
 * (tests/report/browser_check.js; npm, installed by .ci/run under $CONNRATE_TEST_NODE, default
 * /opt/connrate-test-node) renders a small run's report, every figure has a box, no text
 * overflows its box or the viewport, no console error, the sizing sentences end within the
 * first screen (900 px of a 1280 px wide window); a PNG screenshot is kept beside the run.
 * The checker itself is shown a page with each fault. Skipped without node, playwright-core or
 * chromium. */
#include <stdlib.h>
#include <string.h>

#include "test.h"

static char node_modules[600], chromium[600];

static const char *node_dir(void)
{
    const char *d = getenv("CONNRATE_TEST_NODE");
    return d && *d ? d : "/opt/connrate-test-node";
}

/* NULL when the browser can run, else why not. */
static const char *missing(void)
{
    snprintf(node_modules, sizeof node_modules, "%s/node_modules", node_dir());
    const char *c = getenv("CHROMIUM");
    snprintf(chromium, sizeof chromium, "%s", c && *c ? c : "/usr/bin/chromium");
    if (cr_test_sh("command -v node >/dev/null 2>&1") != 0)
        return "node is not installed (apt-get install nodejs)";
    if (cr_test_sh("test -f %s/playwright-core/package.json", node_modules) != 0)
        return "playwright-core is not installed (npm install --prefix $CONNRATE_TEST_NODE "
               "playwright-core)";
    if (cr_test_sh("test -x %s", chromium) != 0)
        return "chromium is not installed (apt-get install chromium)";
    if (cr_test_sh("test -f tests/report/browser_check.js") != 0)
        return "not run from the source tree";
    return NULL;
}

/* The checker's exit status on page, its JSON line in NAME.json and screenshot NAME.png. */
static int check_page(const char *page, const char *name)
{
    const char *t = cr_test_tmpdir();
    return cr_test_sh("NODE_PATH=%s timeout 300 node tests/report/browser_check.js %s %s/%s.png "
                      "%s/%s-profile %s > %s/%s.json 2> %s/%s.err",
                      node_modules, page, t, name, t, name, chromium, t, name, t, name);
}

static char *slurp_in(const char *name)
{
    char p[700];
    snprintf(p, sizeof p, "%s/%s", cr_test_tmpdir(), name);
    return cr_test_slurp(p, NULL);
}

static void report_reads_well(void)
{
    const char *why = missing();
    if (why)
        SKIP("%s", why);
    const char *t = cr_test_tmpdir();
    CHECK(cr_test_sh("%s synth -q --machines 3 --minutes 10 --seed 11 -o %s/syn", cr_test_bin(),
                     t) == 0);
    CHECK(cr_test_ran(cr_test_sh("%s run -q %s/syn -o %s/run --draws 20 --seconds 600 --warmup "
                                 "200 --samples 200 --users 1,10,100 --firewall asa "
                                 "--capacity cps=50,sessions=20k,logs=100",
                                 cr_test_bin(), t, t)));
    char page[700];
    snprintf(page, sizeof page, "%s/run/report.html", t);
    int rc = check_page(page, "report");
    char *seen = slurp_in("report.json"), *err = slurp_in("report.err");
    CHECKF(rc == 0, "the report as Chromium shows it: %s %s", seen ? seen : "",
           err ? err : "");
    /* it measured something: the figures of docs/report.md and a page of text */
    int figures = 0, texts = 0;
    const char *f = seen ? strstr(seen, "\"figures\":") : NULL;
    const char *x = seen ? strstr(seen, "\"texts\":") : NULL;
    if (f && x) {
        figures = atoi(f + 10);
        texts = atoi(x + 8);
    }
    CHECKF(figures >= 4 && texts >= 50, "figures %d, text elements %d: %s", figures, texts, seen);
    const char *lead = seen ? strstr(seen, "\"lead_bottom\":") : NULL;
    int bottom = lead ? atoi(lead + 14) : 0;
    CHECKF(bottom > 0 && bottom <= 900, "the sizing sentences end at %d px: %s", bottom, seen);
    free(seen);
    free(err);
    CHECK(cr_test_sh("head -c 8 %s/report.png | od -An -c | tr -d ' \\n' | "
                     "grep -q '211PNG\\\\r\\\\n032\\\\n'",
                     t) == 0);
    CHECK(cr_test_sh("test $(wc -c < %s/report.png) -gt 20000", t) == 0);
}

static void checker_sees_faults(void)
{
    const char *why = missing();
    if (why)
        SKIP("%s", why);
    const char *t = cr_test_tmpdir();
    char page[700];
    snprintf(page, sizeof page, "%s/faults.html", t);
    FILE *f = fopen(page, "w");
    CHECK(f);
    fputs("<!doctype html><html><head><meta charset=\"utf-8\"><title>faults</title></head><body>"
          "<p style=\"width:100px\">Unbreakable_text_much_wider_than_its_one_hundred_pixel_box</p>"
          "<div style=\"width:3000px\">wider than the viewport</div>"
          "<svg width=\"0\" height=\"20\"></svg>"
          "<div style=\"overflow-x:auto;width:200px\"><table style=\"width:900px\"><tr>"
          "<td>a wide table in a scroller is fine</td></tr></table></div>"
          "<script>console.error('an error')</script></body></html>",
          f);
    fclose(f);
    CHECK(check_page(page, "faults") == 1);
    char *seen = slurp_in("faults.json");
    CHECK(seen);
    static const char *const want[] = {"text overflows its box", "runs past the viewport",
                                       "figure without a box: <svg>", "console: an error"};
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
        CHECKF(strstr(seen, want[i]), "missed \"%s\": %s", want[i], seen);
    CHECKF(!strstr(seen, "a wide table"), "flagged the scroller: %s", seen);
    free(seen);
}

TEST_MAIN(RUN(report_reads_well); RUN(checker_sees_faults))
