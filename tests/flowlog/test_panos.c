/* PAN-OS TRAFFIC logs (lib/flowlog/panos.c): the beats sample with counts awk takes from the
 * same file, one record's times worked by hand, start/end pairing, and malformed lines. */
#include <time.h>

#include "flowlog_test.h"

static int64_t utc_ms(int y, int mo, int d, int h, int mi, int s)
{
    struct tm t = {.tm_year = y - 1900,
                   .tm_mon = mo - 1,
                   .tm_mday = d,
                   .tm_hour = h,
                   .tm_min = mi,
                   .tm_sec = s};
    return (int64_t)timegm(&t) * 1000;
}

/* awk over the sample: session subtypes with TCP or UDP, and a condition of its own. */
#define AWK_SESSIONS(cond)                                                                         \
    "awk -F, '$4 == \"TRAFFIC\" && $5 ~ /^(end|deny|drop|start)$/ && ($30 == \"tcp\" || $30 "      \
    "== \"udp\") && (" cond ")' '%s' | wc -l"

static void sample(void)
{
    const char *p = fl_sample("panos/beats-panos-traffic.first35.log");
    if (!p)
        SKIP("../shared is absent");
    cr_flowlog_set s;
    cr_err e;
    CHECKF(fl_read(p, 1, &s, &e) == 0, "%s", e.msg);
    const cr_flowlog_file *f = &s.files[0];
    CHECK_INT(f->format, CR_FLOWLOG_PANOS);
    CHECK_INT(f->resolution_ms, 1000);
    CHECK_INT(f->records, cr_test_sh_count("wc -l < '%s'", p));
    CHECK_INT(fl_skipped(f, "not TCP or UDP"),
              cr_test_sh_count("awk -F, '$5 != \"\" && $5 != \"test\" && $30 !~ /^(tcp|udp)$/' '%s' | "
                          "wc -l",
                          p));
    CHECK_INT(fl_skipped(f, "missing field"), cr_test_sh_count("awk -F, '$5 == \"\"' '%s' | wc -l", p));
    CHECK_INT(fl_skipped(f, "not a session record"),
              cr_test_sh_count("awk -F, '$5 == \"test\"' '%s' | wc -l", p));
    char want[512];
    snprintf(want, sizeof want, "%s:%ld: subtype empty", p,
             cr_test_sh_count("awk -F, '$5 == \"\" { print NR }' '%s'", p));
    CHECK_STR(fl_warning(f, "missing field"), want);
    fl_counts c = fl_count(&s);
    CHECK_INT(c.flows, cr_test_sh_count(AWK_SESSIONS("1"), p));
    CHECK_INT(c.udp, cr_test_sh_count(AWK_SESSIONS("$30 == \"udp\""), p));
    CHECK_INT(c.open, cr_test_sh_count(AWK_SESSIONS("$5 == \"start\""), p));
    CHECK_INT(c.fin, cr_test_sh_count(AWK_SESSIONS("$5 != \"start\" && $47 == \"tcp-fin\""), p));
    CHECK_INT(c.rst, cr_test_sh_count(AWK_SESSIONS("$5 != \"start\" && $47 ~ /^tcp-rst/"), p));
    CHECK_INT(c.ended, cr_test_sh_count(AWK_SESSIONS("$5 != \"start\" && $30 == \"tcp\" && $47 !~ "
                                                "/^tcp-(fin|rst)/"),
                                   p));
    /* line 1: 192.168.15.207:55113 -> 184.51.253.152:443, started 2018/11/30 15:59:04 (firewall
     * time, read as UTC), 586 s elapsed, tcp-fin, 36 packets */
    const cr_flowlog_host *h = fl_host(&s, "192.168.15.207");
    CHECK(h != NULL);
    const cr_flow *x = NULL;
    for (size_t i = 0; i < h->nflows; i++)
        if (h->flows[i].sport == 55113)
            x = &h->flows[i];
    CHECK(x != NULL);
    CHECK_INT(x->start_ms, utc_ms(2018, 11, 30, 15, 59, 4));
    CHECK_INT(x->end_ms, x->start_ms + 586000);
    CHECK(x->reason == CR_REASON_FIN && x->packets == 36 && x->dport == 443);
    CHECK(h->dur[x - h->flows].lo_ms == 585001 && h->dur[x - h->flows].hi_ms == 587000);
    cr_flowlog_set_free(&s);

    CHECKF(fl_read(p, 0, &s, &e) == 0, "%s", e.msg);
    CHECK_INT(s.nhosts, cr_test_sh_count("awk -F, '$4 == \"TRAFFIC\" && $5 ~ /^(end|deny|drop|start)$/ "
                                    "&& $30 ~ /^(tcp|udp)$/ { print $8 }' '%s' | sort -u | wc -l",
                                    p));
    cr_flowlog_set_free(&s);
}

/* A TRAFFIC line with the fields connrate reads set (PAN-OS positions). */
static const char *line(const char *sub, const char *proto, const char *sport, const char *start,
                        const char *elapsed, const char *session, const char *why)
{
    static char buf[8][1024];
    static int k;
    char *b = buf[k++ % 8];
    const char *f[48];
    for (int i = 0; i < 48; i++)
        f[i] = "0";
    f[0] = "Nov 30 16:09:08 PA-220 1";
    f[1] = "2018/11/30 16:09:07";
    f[2] = "012801096514";
    f[3] = "TRAFFIC";
    f[4] = sub;
    f[7] = "192.168.15.207";
    f[8] = "184.51.253.152";
    f[22] = session;
    f[24] = sport;
    f[25] = "443";
    f[29] = proto;
    f[34] = "7";
    f[35] = start;
    f[36] = elapsed;
    f[46] = why;
    size_t n = 0;
    for (int i = 0; i < 48; i++)
        n += (size_t)snprintf(b + n, 1024 - n, "%s%s", i ? "," : "", f[i]);
    snprintf(b + n, 1024 - n, "\n");
    return b;
}

static void pairing_and_bad_lines(void)
{
    char text[8192];
    snprintf(text, sizeof text, "%s%s%s%s%s%s%s%s%s%s",
             line("start", "tcp", "1000", "2018/11/30 16:00:00", "0", "7", "n/a"), /* 1 */
             line("end", "tcp", "1000", "2018/11/30 16:00:00", "30", "7", "tcp-rst-from-server"),
             line("start", "udp", "1001", "2018/11/30 16:00:05", "0", "8", "n/a"),    /* 3 */
             line("end", "tcp", "1002", "2018/11/30 16:00:99", "3", "9", "tcp-fin"),  /* 4 */
             line("end", "tcp", "1003", "2018/11/30 16:00:10", "x", "10", "tcp-fin"), /* 5 */
             line("end", "tcp", "1003", "2018/11/30 16:00:10", "x", "10", "tcp-fin"), /* 6 */
             "Nov 30 16:09:08 PA-220 1,2018/11/30 16:09:07,0128,TRAFFIC,end,2049\n",  /* 7 */
             "Nov 30 16:09:08 PA-220 1,2018/11/30 16:09:07,0128,THREAT,url,2049\n",   /* 8 */
             "some other daemon said something\n",                                    /* 9 */
             line("deny", "udp", "1004", "2018/11/30 16:00:20", "0", "11", "policy-deny"));
    const char *p = fl_write("panos.log", text);
    cr_flowlog_set s;
    cr_err e;
    CHECKF(fl_read(p, 1, &s, &e) == 0, "%s", e.msg);
    const cr_flowlog_file *f = &s.files[0];
    CHECK_INT(f->records, 10);
    char want[512];
    FL_WARN(f, p, "unparsable time", "4: start time '2018/11/30 16:00:99' is not a date and time");
    FL_WARN(f, p, "unparsable duration", "5: elapsed 'x' is not seconds");
    FL_WARN(f, p, "wrong field count", "7: 6 fields, a TRAFFIC log has at least 37");
    FL_WARN(f, p, "not a log line", "9: not a PAN-OS log line: 'some other daemon said something'");
    CHECK_INT(fl_skipped(f, "repeated line"), 1);
    CHECK_INT(fl_skipped(f, "not a TRAFFIC log"), 1);
    /* session 7 started and ended: one connection, reset; session 8 only started: open at the
     * end of the file; the denied one is a connection attempt below 1 s */
    fl_counts c = fl_count(&s);
    CHECK(c.flows == 3 && c.rst == 1 && c.open == 1 && c.udp_last == 1);
    const cr_flowlog_host *h = fl_host(&s, "192.168.15.207");
    CHECK(h->flows[0].sport == 1000 && h->flows[0].end_ms == utc_ms(2018, 11, 30, 16, 0, 30));
    CHECK(h->flows[1].sport == 1001 && h->flows[1].end_ms == CR_NA_I64);
    CHECK(h->flows[2].sport == 1004 && h->dur[2].lo_ms == 0 && h->dur[2].hi_ms == 1000);
    cr_flowlog_set_free(&s);

    snprintf(text, sizeof text, "%s%s",
             line("end", "tcp", "1", "2018/11/30 16:00:00", "1", "1", "tcp-fin"),
             "<189>date=2020-04-23 time=01:16:08 logid=\"0000000013\" type=\"traffic\"\n");
    p = fl_write("mixed.log", text);
    CHECK(fl_read(p, 1, &s, &e) < 0);
    snprintf(want, sizeof want,
             "%s:2: a fortigate line in a pan-os file: a file must hold one "
             "format",
             p);
    CHECK_STR(e.msg, want);
}

TEST_MAIN(RUN(sample); RUN(pairing_and_bad_lines))
