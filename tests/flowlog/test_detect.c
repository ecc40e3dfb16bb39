/* Formats by content (lib/flowlog/detect.c) and the record stream (stream.c): every sample is
 * recognised whatever its name and gzipped or not, a binary nfcapd file and unknown text are
 * refused with one line naming the file, and the stream hands over each record as the file
 * has it (a whole connection, one direction, one piece), stopping when the callback says so. */
#include "flowlog_test.h"

static const struct {
    const char *rel;
    int format;
} samples[] = {
    {"zeek/wikipedia/conn.log", CR_FLOWLOG_ZEEK_TSV},
    {"zeek/ftp-ipv4/conn.zeek-cut-files.log", CR_FLOWLOG_ZEEK_TSV},
    {"zeek/beats-connection-json.log", CR_FLOWLOG_ZEEK_JSON},
    {"zeek/slips-portscan-vertical-conn.json.log", CR_FLOWLOG_ZEEK_JSON},
    {"nfdump/ndpi-skype.nfdump.csv", CR_FLOWLOG_NFDUMP_CSV},
    {"nfdump/ndpi-skype.nfdump.fmt.csv", CR_FLOWLOG_NFDUMP_CSV},
    /* JSON is one family until the first object's members tell: stream() says nfdump-json */
    {"nfdump/ndpi-skype.nfdump.json", CR_FLOWLOG_ZEEK_JSON},
    {"argus/ndpi-skype.ra.csv", CR_FLOWLOG_ARGUS},
    {"argus/slips-test3-mixed.binetflow", CR_FLOWLOG_ARGUS},
    {"panos/beats-panos-traffic.first35.log", CR_FLOWLOG_PANOS},
    {"fortigate/beats-fortinet-firewall-traffic.log", CR_FLOWLOG_FORTIOS},
    {"cisco-asa/beats-asa-sample.log", CR_FLOWLOG_ASA},
};

static void by_content(void)
{
    if (!cr_test_shared())
        SKIP("../shared is absent");
    const char *tmp = cr_test_tmpdir();
    for (size_t k = 0; k < sizeof samples / sizeof samples[0]; k++) {
        const char *p = fl_sample(samples[k].rel);
        cr_err e;
        CHECKF(cr_flowlog_detect(p, &e) == samples[k].format, "%s: %s", samples[k].rel, e.msg);
        /* the name says nothing, and gzip is read as it is */
        char renamed[512];
        snprintf(renamed, sizeof renamed, "%s/sample%zu.txt", tmp, k);
        CHECK(cr_test_sh("gzip -c '%s' > '%s'", p, renamed) == 0);
        CHECKF(cr_flowlog_detect(renamed, &e) == samples[k].format, "%s gzipped: %s",
               samples[k].rel, e.msg);
    }
}

static void refusals(void)
{
    cr_err e;
    const char *p = fl_sample("nfdump/ndpi-skype.nfcapd");
    if (p) {
        CHECK_INT(cr_flowlog_detect(p, &e), CR_FLOWLOG_UNKNOWN);
        char want[1024];
        snprintf(want, sizeof want,
                 "%s: a binary file, not a flow log (an nfcapd file? export "
                 "it with nfdump -r FILE -o csv)",
                 p);
        CHECK_STR(e.msg, want);
    }
    p = fl_write("empty.log", "\n\n");
    CHECK_INT(cr_flowlog_detect(p, &e), CR_FLOWLOG_UNKNOWN);
    CHECK(strstr(e.msg, "empty.log: empty file"));
    p = fl_write("text.log", "hello,world\nsecond line\n");
    CHECK_INT(cr_flowlog_detect(p, &e), CR_FLOWLOG_UNKNOWN);
    CHECK(strstr(e.msg, "text.log: not a flow or session log connrate reads (Zeek conn.log, "
                        "nfdump CSV or JSON, argus CSV, PAN-OS, FortiGate, Cisco ASA, connrate "
                        "flows); it begins 'hello,world'"));
    CHECK(strchr(e.msg, '\n') == NULL);
    CHECK_INT(cr_flowlog_detect("/nonexistent/conn.log", &e), CR_FLOWLOG_UNKNOWN);
    CHECK(strstr(e.msg, "/nonexistent/conn.log: cannot open"));
}

typedef struct {
    size_t n, kind[3], stop_after;
    size_t last_line;
} tally;

static int count(void *ctx, const cr_flowlog_rec *r, cr_err *e)
{
    tally *t = ctx;
    t->n++;
    t->kind[r->kind]++;
    t->last_line = r->line;
    if (t->stop_after && t->n == t->stop_after)
        return cr_fail(e, "stopped after %zu", t->n);
    return 0;
}

static void stream(void)
{
    const char *p = fl_sample("nfdump/ndpi-skype.nfdump.json");
    if (!p)
        SKIP("../shared is absent");
    tally t = {0};
    cr_flowlog_file f;
    cr_err e;
    CHECKF(cr_flowlog_stream(p, count, &t, &f, &e) == 0, "%s", e.msg);
    CHECK_INT(f.format, CR_FLOWLOG_NFDUMP_JSON);
    CHECK_INT(t.n, f.used);
    CHECK_INT(t.kind[CR_FLOWLOG_ONEWAY], f.used);
    CHECK_INT(f.connections, 0); /* the stream does not join */
    cr_flowlog_file_free(&f);

    p = fl_sample("argus/ndpi-skype.ra.csv");
    memset(&t, 0, sizeof t);
    CHECKF(cr_flowlog_stream(p, count, &t, &f, &e) == 0, "%s", e.msg);
    CHECK_INT(t.kind[CR_FLOWLOG_PIECE], f.used);
    cr_flowlog_file_free(&f);

    p = fl_sample("zeek/slips-portscan-vertical-conn.json.log");
    memset(&t, 0, sizeof t);
    t.stop_after = 7;
    CHECK(cr_flowlog_stream(p, count, &t, &f, &e) < 0);
    CHECK_STR(e.msg, "stopped after 7");
    CHECK_INT(t.last_line, 7);
    CHECK_INT(t.kind[CR_FLOWLOG_WHOLE], 7);
    cr_flowlog_file_free(&f);
}

TEST_MAIN(RUN(by_content); RUN(refusals); RUN(stream))
