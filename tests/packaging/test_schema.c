/* sizing.json against its JSON Schema (schema/sizing.schema.json, draft 2020-12), judged by an
 * independent validator, ajv-cli from npm (.ci/run installs it under $CONNRATE_TEST_NODE,
 * default /opt/connrate-test-node; skipped when absent): a small run's file (datasheet limits
 * given, so every key is there) is valid, and the same file with a required key removed, an
 * unknown key added or a number made a string is not.
 * The schema names every metric of the library's table. */
#include <stdlib.h>
#include <string.h>

#include "sizing/sizing.h"
#include "test.h"

#define SCHEMA "schema/sizing.schema.json"

static char ajv[600], run_dir[600];

static const char *node_dir(void)
{
    const char *d = getenv("CONNRATE_TEST_NODE");
    return d && *d ? d : "/opt/connrate-test-node";
}

static int have_ajv(void)
{
    snprintf(ajv, sizeof ajv, "%s/node_modules/.bin/ajv", node_dir());
    return cr_test_sh("command -v node >/dev/null 2>&1 && test -x %s", ajv) == 0;
}

/* ajv's verdict on data: 0 valid, else its exit status (its messages in the tmpdir). */
static int validate(const char *data)
{
    return cr_test_sh("%s validate --spec=draft2020 --strict=true --all-errors -c ajv-formats "
                      "-s " SCHEMA " -d %s > %s/ajv.log 2>&1",
                      ajv, data, cr_test_tmpdir());
}

static int small_run(void)
{
    static int done = -1;
    if (done < 0) {
        const char *t = cr_test_tmpdir();
        snprintf(run_dir, sizeof run_dir, "%s/run", t);
        done = cr_test_sh("%s synth -q --machines 3 --minutes 10 --seed 7 -o %s/syn",
                          cr_test_bin(), t) == 0 &&
               cr_test_ran(cr_test_sh("%s run -q %s/syn -o %s --draws 20 --seconds 600 "
                                      "--warmup 200 --samples 200 --users 1,10 "
                                      "--capacity cps=50,sessions=20k,logs=100",
                                      cr_test_bin(), t, run_dir));
    }
    return done;
}

/* Why the checks with ajv cannot run here, or NULL. */
static const char *unready(void)
{
    if (!have_ajv())
        return "ajv-cli is not installed";
    return cr_test_sh("test -f " SCHEMA) != 0 ? "not run from the source tree" : NULL;
}

static void schema_names_every_metric(void)
{
    char *schema = cr_test_slurp(SCHEMA, NULL);
    if (!schema)
        SKIP("not run from the source tree");
    for (int k = 0; k < CR_SZ_NMETRICS; k++) {
        char q[64];
        snprintf(q, sizeof q, "\"%s\"", cr_sizing_metric_names[k]);
        CHECKF(strstr(schema, q), "the schema does not name metric %s", q);
    }
    CHECK(strstr(schema, "\"$schema\": \"https://json-schema.org/draft/2020-12/schema\""));
    free(schema);
}

static void sizing_json_is_valid(void)
{
    if (!have_ajv())
        SKIP("ajv-cli is not installed (npm install --prefix %s ajv-cli ajv-formats)",
             node_dir());
    if (cr_test_sh("test -f " SCHEMA) != 0)
        SKIP("not run from the source tree");
    CHECK(small_run());
    char data[700];
    snprintf(data, sizeof data, "%s/sizing.json", run_dir);
    int rc = validate(data);
    char log[700];
    snprintf(log, sizeof log, "%s/ajv.log", cr_test_tmpdir());
    char *msg = rc ? cr_test_slurp(log, NULL) : NULL;
    CHECKF(rc == 0, "ajv rejects sizing.json: %s", msg ? msg : "");
    free(msg);
}

/* A run cut to its busy hour (forced on the short synthetic captures) has a window object. */
static void windowed_json_is_valid(void)
{
    const char *why = unready();
    if (why)
        SKIP("%s", why);
    CHECK(small_run());
    const char *t = cr_test_tmpdir();
    CHECK(cr_test_ran(cr_test_sh("%s run -q %s/syn -o %s/windowed --draws 20 --seconds 600 "
                                 "--warmup 200 --samples 200 --users 1,10 --window busy-hour",
                                 cr_test_bin(), t, t)));
    char data[700];
    snprintf(data, sizeof data, "%s/windowed/sizing.json", t);
    char *json = cr_test_slurp(data, NULL);
    CHECK(json && strstr(json, "\"window\": {\"kind\": \"busy-hour\""));
    free(json);
    CHECK(validate(data) == 0);
    CHECK(cr_test_sh("node -e 'const fs = require(\"fs\"); const d = JSON.parse(fs.readFileSync("
                     "process.argv[1])); delete d.window.start_utc; fs.writeFileSync("
                     "process.argv[2], JSON.stringify(d))' %s %s/no_utc.json", data, t) == 0);
    snprintf(data, sizeof data, "%s/no_utc.json", t);
    CHECK(validate(data) != 0);
}

static void broken_files_are_invalid(void)
{
    const char *why = unready();
    if (why)
        SKIP("%s", why);
    CHECK(small_run());
    const char *t = cr_test_tmpdir();
    /* each a change of the real file, made by node */
    static const struct {
        const char *name, *js;
    } cases[] = {
        {"no_status", "delete d.status"},
        {"row_without_q99", "delete d.sizing[0].q99"},
        {"fit_without_ppc", "delete d.models.new.ppc"},
        {"unknown_key", "d.settings.colour = \"blue\""},
        {"number_as_text", "d.sizing[1].mean = String(d.sizing[1].mean)"},
        {"unknown_metric", "d.sizing[2].metric = \"packets_per_s\""},
        {"duration_half_fitted", "d.models.duration_tcp.fitted = false"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char out[700];
        snprintf(out, sizeof out, "%s/%s.json", t, cases[i].name);
        CHECK(cr_test_sh("node -e 'const fs = require(\"fs\"); const d = JSON.parse("
                         "fs.readFileSync(process.argv[1])); %s; fs.writeFileSync("
                         "process.argv[2], JSON.stringify(d))' %s/sizing.json %s",
                         cases[i].js, run_dir, out) == 0);
        CHECKF(validate(out) != 0, "ajv accepts sizing.json changed by: %s", cases[i].js);
    }
}

TEST_MAIN(RUN(schema_names_every_metric); RUN(sizing_json_is_valid);
          RUN(windowed_json_is_valid); RUN(broken_files_are_invalid))
