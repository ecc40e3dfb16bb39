/* FortiOS traffic logs (lib/flowlog/fortios.c): the beats sample with counts grep takes from
 * the same file, its times worked by hand (eventtime in s and in ns, tz only without it), the
 * start/close pairing, interim records, and malformed lines. */
#include "flowlog_test.h"

static void sample(void)
{
    const char *p = fl_sample("fortigate/beats-fortinet-firewall-traffic.log");
    if (!p)
        SKIP("../shared is absent");
    cr_flowlog_set s;
    cr_err e;
    CHECKF(fl_read(p, 1, &s, &e) == 0, "%s", e.msg);
    const cr_flowlog_file *f = &s.files[0];
    CHECK_INT(f->format, CR_FLOWLOG_FORTIOS);
    CHECK_INT(f->resolution_ms, 1000);
    CHECK_INT(f->records, cr_test_sh_count("wc -l < '%s'", p));
    CHECK_INT(fl_skipped(f, "interim record"),
              cr_test_sh_count("grep -c 'logid=\"0000000020\"' '%s'", p));
    CHECK_INT(fl_skipped(f, "not TCP or UDP"), cr_test_sh_count("grep -Evc ' proto=(6|17) ' '%s'", p));
    fl_counts c = fl_count(&s);
    CHECK_INT(c.tcp, cr_test_sh_count("grep -c ' proto=6 ' '%s'", p));
    CHECK_INT(c.udp, cr_test_sh_count("grep -v 'logid=\"0000000020\"' '%s' | grep -c ' proto=17 '", p));
    CHECK_INT(c.fin, cr_test_sh_count("grep ' proto=6 ' '%s' | grep -c 'action=\"close\"'", p));
    CHECK_INT(c.rst,
              cr_test_sh_count("grep ' proto=6 ' '%s' | grep -Ec 'action=\"(client|server)-rst\"'", p));
    CHECK_INT(c.ended, cr_test_sh_count("grep ' proto=6 ' '%s' | grep -Evc 'action=\"(close|client-rst|"
                                   "server-rst)\"'",
                                   p));
    CHECK_INT(c.open, 0);
    /* line 1: eventtime 1592961368 (seconds; date/time say otherwise and lose), duration 0:
     * below 1 s. Line 7: eventtime in ns, 126 s before it. Line 2, a failed DNS attempt, has no
     * duration: unknown. */
    const cr_flowlog_host *h = fl_host(&s, "10.10.10.10");
    CHECK(h && h->flows[0].start_ms == 1592961368000 && h->flows[0].end_ms == 1592961368000);
    CHECK(h->dur[0].lo_ms == 0 && h->dur[0].hi_ms == 1000 && h->flows[0].dport == 161);
    h = fl_host(&s, "81.2.69.145");
    CHECK(h && h->flows[0].end_ms == 1587230069000 &&
          h->flows[0].start_ms == 1587230069000 - 126000);
    CHECK(h->flows[0].reason == CR_REASON_FIN && h->flows[0].packets == 113 + 70);
    h = fl_host(&s, "192.168.1.6");
    CHECK(h && h->flows[0].start_ms == 1587230049000 && h->dur[0].hi_ms == CR_NA_I64);
    cr_flowlog_set_free(&s);

    /* inferred: the private originators open 8 of the 10 connections */
    CHECKF(fl_read(p, 0, &s, &e) == 0, "%s", e.msg);
    CHECK_INT(s.nhosts, 6);
    CHECK_INT(s.not_outbound, 2);
    cr_flowlog_set_free(&s);
}

#define L(rest)                                                                                    \
    "<189>date=2020-04-23 time=12:00:00 devid=\"FG1\" vd=\"root\" logid=\"0000000013\" "           \
    "type=\"traffic\" subtype=\"forward\" srcip=10.0.0.1 dstip=10.9.9.9 " rest "\n"

/* Lines: 5 has a bad eventtime, 6 a zone name where FortiOS writes an offset, 7 no srcport,
 * 8 a negative duration, 9 is an event log, 10 no log line at all. */
#define TCP443 "dstport=443 proto=6 "

static void pairing_and_bad_lines(void)
{
    const char *p = fl_write(
        "forti.log",
        L("srcport=1 " TCP443 "sessionid=5 action=\"start\" eventtime=1587229900")
        L("srcport=1 " TCP443 "sessionid=5 action=\"close\" duration=100 eventtime=1587230000")
        L("srcport=2 " TCP443 "sessionid=6 action=\"start\" eventtime=1587230010")
        L("srcport=3 " TCP443 "sessionid=7 action=\"timeout\" duration=5 tz=\"-0500\"")
        L("srcport=4 " TCP443 "sessionid=8 action=\"close\" duration=5 eventtime=12x")
        L("srcport=5 " TCP443 "sessionid=9 action=\"close\" duration=5 tz=\"EST\"")
        L(TCP443 "sessionid=10 action=\"close\" duration=5")
        L("srcport=6 " TCP443 "sessionid=11 action=\"close\" duration=-5")
        "<189>date=2020-04-23 time=12:00:00 logid=\"0100032001\" type=\"event\"\n"
        "garbage without keys\n");
    cr_flowlog_set s;
    cr_err e;
    CHECKF(fl_read(p, 1, &s, &e) == 0, "%s", e.msg);
    const cr_flowlog_file *f = &s.files[0];
    CHECK_INT(f->records, 10);
    char want[512];
    FL_WARN(f, p, "unparsable time", "5: eventtime '12x' is not epoch time (2 records skipped for this, "
                            "lines 5, 6)");
    FL_WARN(f, p, "missing field", "7: srcip, dstip, srcport or dstport missing");
    FL_WARN(f, p, "unparsable duration", "8: duration '-5' is not seconds");
    FL_WARN(f, p, "not a log line", "10: not a FortiGate log line: 'garbage without keys'");
    CHECK_INT(fl_skipped(f, "not a traffic log"), 1);
    /* session 5: started at 1587229900, closed 100 s later (its start is the close's minus its
     * duration); session 6 open at the end; the timeout at 12:00:00 -0500 is 17:00:00 UTC */
    fl_counts c = fl_count(&s);
    CHECK(c.flows == 3 && c.fin == 1 && c.open == 1 && c.ended == 1);
    const cr_flowlog_host *h = fl_host(&s, "10.0.0.1");
    CHECK(h->flows[0].sport == 1 && h->flows[0].start_ms == 1587229900000);
    CHECK(h->flows[1].sport == 2 && h->flows[1].reason == CR_REASON_OPEN);
    CHECK(h->flows[2].sport == 3 && h->flows[2].end_ms == 1587661200000);
    CHECK(h->flows[2].start_ms == 1587661200000 - 5000);
    cr_flowlog_set_free(&s);

    p = fl_write("mixed.log",
                 L("srcport=1 dstport=443 proto=6 sessionid=5 action=\"close\" "
                   "duration=1 eventtime=1587229900") "Apr 29 2013 12:59:50: %ASA-6-302013: Built "
                                                      "outbound TCP\n");
    CHECK(fl_read(p, 1, &s, &e) < 0);
    snprintf(want, sizeof want,
             "%s:2: a cisco-asa line in a fortigate file: a file must hold "
             "one format",
             p);
    CHECK_STR(e.msg, want);
}

TEST_MAIN(RUN(sample); RUN(pairing_and_bad_lines))
