/* Cisco ASA 302013-302016 (lib/flowlog/asa.c): the beats sample, every built and teardown of it
 * followed by hand below, and constructed logs for the pairing, the originator of each side,
 * year-less stamps and malformed messages. */
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

/* The sample's 17 built/teardown lines (grep 30201[3-6]), by hand:
 *   7  built outbound TCP 89743274, 10.123.3.42:4952 -> 192.0.2.43:443      open at the end
 *   9  built outbound UDP 89743275, 10.123.1.35:52925 -> 192.0.2.222:53
 *  11  built outbound TCP 89743276, 10.123.3.42:4953 -> 192.0.2.1:80        open at the end
 *  12  teardown 89743275, duration 1:23:45                                  connection 1
 *  13  teardown 666 without built, 10:00:00: 52925 > 53, so 10.123.1.35 opened it, 10 h
 *      before                                                               connection 2
 *  16  built outbound TCP 89743277, 192.168.3.42:4954 -> 192.0.0.17:80      open at the end
 *  40  built outbound UDP 447235, 10.0.13.13:80 -> 192.168.77.12:11180      open at the end
 *  43  built 447236 names "OCSP_Server": not an address                     bad address
 *  44  the same line again                                                  repeated
 *  45  teardown 447236 without built: 192.168.1.34:5678 opened (5678 > 1234), TCP FINs
 *  46  teardown 447234 without built, 0:01:08, TCP FINs, 192.168.1.35:5678  connection 4
 *  47  the same line again                                                  repeated
 *  51  built outbound TCP 447237, 192.168.1.34:65000 -> 192.0.2.222:1234    open at the end
 *  52  the same line again                                                  repeated
 *  53  teardown 447237 naming 10.10.10.10/1235: not its built's endpoints   bad, left open
 *  54  teardown UDP 40 without built ("302016 Teardown", no colon), equal ports: the first
 *      listed, 10.44.4.4, opened it                                         connection 5
 *  72  built inbound TCP 27215708, 10.2.3.4:49926 (the first endpoint) -> 1.2.3.4:80   open
 * The other lines are other messages ("%ASA-session-5-..." included), 3 of them repeating
 * the line before. 11 connections, 6 of them open; 5 closed, 2 TCP FINs and 3 UDP. */
static void sample(void)
{
    const char *p = fl_sample("cisco-asa/beats-asa-sample.log");
    if (!p)
        SKIP("../shared is absent");
    cr_flowlog_set s;
    cr_err e;
    CHECKF(fl_read(p, 1, &s, &e) == 0, "%s", e.msg);
    const cr_flowlog_file *f = &s.files[0];
    CHECK_INT(f->format, CR_FLOWLOG_ASA);
    CHECK_INT(f->records, cr_test_sh_count("wc -l < '%s'", p));
    CHECK_INT(fl_skipped(f, "repeated line"), cr_test_sh_count("awk '$0 == prev { n++ } { prev = $0 } "
                                                          "END { print n }' '%s'",
                                                          p));
    CHECK_INT(fl_skipped(f, "other ASA message"),
              cr_test_sh_count("awk '$0 != prev && !/30201[3-6]/ { n++ } { prev = $0 } END { print n "
                          "}' '%s'",
                          p));
    char want[512];
    snprintf(want, sizeof want,
             "%s:43: endpoint 'dmz:OCSP_Server/5678' is not "
             "INTERFACE:IP/PORT",
             p);
    CHECK_STR(fl_warning(f, "bad address"), want);
    snprintf(want, sizeof want,
             "%s:53: teardown of connection 447237 names other endpoints "
             "than its built",
             p);
    CHECK_STR(fl_warning(f, "teardown unlike its built"), want);
    fl_counts c = fl_count(&s);
    CHECK(c.flows == 11 && c.open == 6 && c.fin == 2 && c.udp_last == 3);
    const cr_flowlog_host *h = fl_host(&s, "10.123.1.35");
    CHECK(h && h->nflows == 2);
    /* 666: torn down at 12:59:50 after 10 h; 89743275: built and torn down at 12:59:50, its
     * teardown says 1:23:45 (the sample's lines are made up): start and end from the log
     * times, the duration from the teardown */
    int64_t t = utc_ms(2013, 4, 29, 12, 59, 50);
    CHECK(h->flows[0].start_ms == t - 36000000 && h->flows[0].end_ms == t);
    CHECK(h->flows[1].start_ms == t && h->dur[1].lo_ms == 5025000 - 999);
    h = fl_host(&s, "10.2.3.4");
    CHECK(h && h->flows[0].dport == 80 && h->flows[0].reason == CR_REASON_OPEN);
    cr_flowlog_set_free(&s);
}

static void constructed(void)
{
    const char *p = fl_write(
        "asa.log",
        "<166>Dec 31 23:59:50 fw1 : %ASA-6-302013: Built inbound TCP connection 1 for "
        "outside:2001:db8::9/50000 (2001:db8::9/50000) to inside:2001:db8::1/443 "
        "(2001:db8::1/443)\n"
        "<166>Jan  1 00:00:10 fw1 : %ASA-6-302014: Teardown TCP connection 1 for "
        "outside:2001:db8::9/50000 to inside:2001:db8::1/443 duration 0:00:20 bytes 100 TCP "
        "Reset-I\n"
        "<166>Jan  1 00:00:11 fw1 : %ASA-6-302014: Teardown TCP connection 2 for "
        "outside:1.2.3.4/443 to inside:10.0.0.5/40000 duration 0:00:11 bytes 10 SYN Timeout\n"
        "<166>Jan  1 00:00:12 fw1 : %ASA-6-302015: Built outbound UDP connection 3 for "
        "outside:1.2.3.4/53 (1.2.3.4/53) to inside:10.0.0.5/40001 (10.0.0.5/40001)\n"
        "<166>Jan  1 00:00:13 fw1 : %ASA-6-302015: Built outbound UDP connection 3 for "
        "outside:1.2.3.4/53 (1.2.3.4/53) to inside:10.0.0.5/40002 (10.0.0.5/40002)\n" /* 5 */
        "<166>Jan  1 00:00:14 fw1 : %ASA-6-302016: Teardown UDP connection 4 for "
        "outside:1.2.3.4/53 to inside:10.0.0.5/40003 bytes 10\n"         /* 6 */
        "<166>Jan  1 00:00:15 fw1 : %ASA-6-302013: Built outbound TCP\n" /* 7 */
        "<166>Jan  1 00:00:16 fw1 : %ASA-6-302013: Built outbound ICMP connection 5 for "
        "outside:1.2.3.4/0 (1.2.3.4/0) to inside:10.0.0.5/0 (10.0.0.5/0)\n"
        "<166>Jan  1 00:00:17 fw1 : %ASA-6-302014: Teardown TCP connection 9 for "
        "outside:1.2.3.4/443 to inside:10.0.0.5/40009 duration 0:00:01 bytes 1 TCP FINs\n"
        "<166>garbled : %ASA-6-302014: Teardown TCP connection 9 for "
        "outside:1.2.3.4/443 to inside:10.0.0.5/40009 duration 0:00:01 bytes 1 TCP FINs\n" /* 10 */
        "Jan  1 00:00:18 host sshd[1]: Accepted publickey for root\n");
    cr_flowlog_set s;
    cr_err e;
    CHECKF(fl_read(p, 1, &s, &e) == 0, "%s", e.msg);
    const cr_flowlog_file *f = &s.files[0];
    CHECK_INT(f->records, 11);
    char want[512];
    FL_WARN(f, p, "connection built twice", "5: connection 3 built again before its teardown");
    FL_WARN(f, p, "unparsable duration", "6: teardown without a duration H:MM:SS");
    FL_WARN(f, p, "not a log line", "7: unreadable built message");
    FL_WARN(f, p, "unparsable time", "10: no time stamp before %ASA-6-302014");
    CHECK_INT(fl_skipped(f, "not TCP or UDP"), 1);
    CHECK_INT(fl_skipped(f, "not an ASA message"), 1);
    /* no year: Dec 31 is 2000, Jan 1 after it 2001. Connection 1 (inbound: the outside host
     * opened it) was built at 23:59:50 and reset 20 s later; 2 ended on a SYN timeout that
     * began 11 s before; 3 is open; 9 began a second before its FINs. */
    fl_counts c = fl_count(&s);
    CHECK(c.flows == 4 && c.rst == 1 && c.ended == 1 && c.open == 1 && c.fin == 1 && c.v6 == 1);
    const cr_flowlog_host *h = fl_host(&s, "2001:db8::9");
    CHECK(h && h->flows[0].start_ms == utc_ms(2000, 12, 31, 23, 59, 50));
    CHECK(h->flows[0].end_ms == utc_ms(2001, 1, 1, 0, 0, 10) && h->flows[0].dport == 443);
    h = fl_host(&s, "10.0.0.5");
    CHECK(h && h->nflows == 3);
    CHECK(h->flows[0].sport == 40000 && h->flows[0].start_ms == utc_ms(2001, 1, 1, 0, 0, 0));
    CHECK(h->flows[1].sport == 40001 && h->flows[1].end_ms == CR_NA_I64);
    CHECK(h->flows[2].sport == 40009 && h->dur[2].lo_ms == 1 && h->dur[2].hi_ms == 2000);
    cr_flowlog_set_free(&s);

    p = fl_write("mixed.log", "Apr 29 2013 12:59:50: %ASA-6-302015: Built outbound UDP "
                              "connection 3 for outside:1.2.3.4/53 (1.2.3.4/53) to "
                              "inside:10.0.0.5/40001 (10.0.0.5/40001)\n"
                              "Nov 30 16:09:08 PA-220 1,2018/11/30 16:09:07,0128,TRAFFIC,end,"
                              "2049\n");
    CHECK(fl_read(p, 1, &s, &e) < 0);
    snprintf(want, sizeof want,
             "%s:2: a pan-os line in a cisco-asa file: a file must hold one "
             "format",
             p);
    CHECK_STR(e.msg, want);
}

TEST_MAIN(RUN(sample); RUN(constructed))
