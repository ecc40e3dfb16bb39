/* The strict JSON reader of flow logs (lib/flowlog/json.c): objects framed out of lines (one
 * per line as Zeek writes them, or pretty-printed over many as nfdump does), members as text,
 * escapes to UTF-8, nested values checked and skipped, and everything RFC 8259 refuses
 * refused. */
#include "flowlog/flowlog_internal.h"
#include "flowlog_test.h"

/* Frames and parses text (lines separated by '\n') into j; returns objects found or -1. */
static int parse_lines(cr_fl_json *j, const char *text, char *err, size_t errlen)
{
    int objects = 0;
    const char *p = text;
    while (*p) {
        size_t len = strcspn(p, "\n"), off = 0, used;
        while (off < len) {
            int got = cr_fl_json_feed(j, p + off, len - off, &used, err, errlen);
            off += used;
            if (got < 0)
                return -1;
            if (got == 0)
                break;
            if (cr_fl_json_parse(j, err, errlen) < 0)
                return -1;
            objects++;
        }
        p += len + (p[len] == '\n');
    }
    return objects;
}

static void members(void)
{
    cr_fl_json j = {0};
    char err[128];
    const char *text = "{\"ts\":1547188415.857497,\"id.orig_h\":\"192.168.86.167\",\"a\":true,"
                       "\"b\":null,\"n\":[1,{\"x\":[]}],\"s\":\"\\u00e9\\ud83d\\ude00\\\"\\n\","
                       "\"neg\":-0.5e-3,\"o\":{}}";
    CHECKF(parse_lines(&j, text, err, sizeof err) == 1, "%s", err);
    CHECK_INT(j.n, 8);
    const cr_fl_jfield *f = cr_fl_json_get(&j, "ts");
    CHECK(f && f->type == CR_JSON_NUM);
    CHECK_STR(f->val, "1547188415.857497");
    CHECK_STR(cr_fl_json_get(&j, "id.orig_h")->val, "192.168.86.167");
    CHECK_INT(cr_fl_json_get(&j, "a")->type, CR_JSON_TRUE);
    CHECK_INT(cr_fl_json_get(&j, "b")->type, CR_JSON_NULL);
    CHECK_INT(cr_fl_json_get(&j, "n")->type, CR_JSON_NESTED);
    CHECK_STR(cr_fl_json_get(&j, "s")->val, "\xc3\xa9\xf0\x9f\x98\x80\"\n");
    CHECK_STR(cr_fl_json_get(&j, "neg")->val, "-0.5e-3");
    CHECK(cr_fl_json_get(&j, "missing") == NULL);
    cr_fl_json_free(&j);
}

static void framing(void)
{
    cr_fl_json j = {0};
    char err[128];
    /* nfdump's layout: an array, one member per line, objects separated by "}," */
    const char *text = "[\n{\n\t\"type\" : \"FLOW\",\n\t\"in_packets\" : 1\n},\n{\n"
                       "\t\"type\" : \"FLOW\", \"s\" : \"a}b{\"\n}]\n";
    CHECKF(parse_lines(&j, text, err, sizeof err) == 2, "%s", err);
    CHECK_STR(cr_fl_json_get(&j, "s")->val, "a}b{");
    cr_fl_json_reset(&j);
    /* two objects on one line */
    CHECKF(parse_lines(&j, "{\"a\":1}{\"a\":2}", err, sizeof err) == 2, "%s", err);
    CHECK_STR(cr_fl_json_get(&j, "a")->val, "2");
    cr_fl_json_free(&j);
}

static void refusals(void)
{
    static const struct {
        const char *text, *why;
    } cases[] = {
        {"{\"a\":1,}", "bad JSON member name"},
        {"{'a':1}", "bad JSON member name"},
        {"{\"a\":01}", "bad JSON value"},
        {"{\"a\":tru}", "bad JSON value"},
        {"{\"a\":truex}", "bad JSON value"},
        {"{\"a\":1.}", "bad JSON value"},
        {"{\"a\":\"x\ty\"}", "control character in a JSON string"},
        {"{\"a\":\"\\x\"}", "bad escape in a JSON string"},
        {"{\"a\":\"\\ud800\"}", "lone surrogate in a JSON string"},
        {"{\"a\":\"\\u0000\"}", "NUL in a JSON string"},
        {"{\"a\":1,\"a\":2}", "\"a\" appears twice"},
        {"{\"a\" 1}", "':' missing after \"a\""},
        {"{\"a\":[1 2]}", "',' or ']' missing in JSON"},
        {"{\"a\":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}",
         "JSON nested deeper than 32"},
        {"x{\"a\":1}", "not a JSON object (starts with 'x')"},
        {"\"a\"", "not a JSON object (starts with '\"')"},
    };
    char err[128];
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        cr_fl_json j = {0};
        err[0] = 0;
        CHECKF(parse_lines(&j, cases[k].text, err, sizeof err) < 0, "case %zu accepted", k);
        CHECKF(!strcmp(err, cases[k].why), "case %zu: '%s', expected '%s'", k, err, cases[k].why);
        cr_fl_json_free(&j);
    }
}

TEST_MAIN(RUN(members); RUN(framing); RUN(refusals))
