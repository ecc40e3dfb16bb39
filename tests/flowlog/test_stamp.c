/* Times and field values of flow logs (lib/flowlog/stamp.c, fields.c): dates against glibc's
 * timegm, decimal seconds read exactly (no double on the way), syslog stamps with and without
 * a year or zone, h:mm:ss durations, and what a duration at a resolution may be. */
#include <time.h>

#include "flowlog/flowlog_internal.h"
#include "flowlog_test.h"

static int64_t ref_ms(int y, int mo, int d, int h, int mi, int s)
{
    struct tm t = {.tm_year = y - 1900,
                   .tm_mon = mo - 1,
                   .tm_mday = d,
                   .tm_hour = h,
                   .tm_min = mi,
                   .tm_sec = s};
    return (int64_t)timegm(&t) * 1000;
}

static void days_match_timegm(void)
{
    /* every 7th day from 1900 to 2100, leap days and century rules included */
    for (int64_t day = -25567; day < 47482; day += 7) {
        time_t t = (time_t)day * 86400;
        struct tm tm;
        gmtime_r(&t, &tm);
        CHECK_INT(cr_fl_days(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday), day);
    }
}

static void decimals_exact(void)
{
    int64_t v;
    CHECK(cr_fl_decimal("1431969641.947863", 17, 3, &v) == 0);
    CHECK_INT(v, 1431969641947);
    CHECK(cr_fl_decimal("1431969641.947863", 17, 9, &v) == 0);
    CHECK_INT(v, 1431969641947863000);
    /* 0.20696377754211426 s (a Zeek JSON duration) is 206963777 ns, floored */
    CHECK(cr_fl_decimal("0.20696377754211426", 19, 9, &v) == 0);
    CHECK_INT(v, 206963777);
    CHECK(cr_fl_decimal("1.5e3", 5, 3, &v) == 0);
    CHECK_INT(v, 1500000);
    CHECK(cr_fl_decimal("25E-1", 5, 0, &v) == 0);
    CHECK_INT(v, 2);
    CHECK(cr_fl_decimal("0.000", 5, 3, &v) == 0);
    CHECK_INT(v, 0);
    CHECK(cr_fl_decimal("19.144", 6, 3, &v) == 0);
    CHECK_INT(v, 19144);
    static const char *const bad[] = {"",
                                      ".",
                                      "-1",
                                      "1.2.3",
                                      "1e",
                                      "1e+",
                                      "12a",
                                      " 1",
                                      "XXXXXXXXXX.XXXXXX",
                                      "99999999999999999999e10"};
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++)
        CHECKF(cr_fl_decimal(bad[k], strlen(bad[k]), 3, &v) < 0, "'%s' accepted", bad[k]);
    CHECK_INT(cr_fl_decimal_res("1431969641.947863"), 1);
    CHECK_INT(cr_fl_decimal_res("19.14"), 10);
    CHECK_INT(cr_fl_decimal_res("3"), 1000);
}

static void datetimes(void)
{
    int64_t ms;
    int res;
    /* nfdump's and the pcap's view of the same packet */
    CHECK(cr_fl_datetime("2015-05-18 17:20:41.947", 23, &ms, &res) == 0);
    CHECK_INT(ms, 1431969641947);
    CHECK_INT(res, 1);
    CHECK(cr_fl_datetime("2015-05-18T17:20:41", 19, &ms, &res) == 0);
    CHECK_INT(ms, ref_ms(2015, 5, 18, 17, 20, 41));
    CHECK_INT(res, 1000);
    CHECK(cr_fl_datetime("2018/12/18 14:00:00.075359", 26, &ms, &res) == 0);
    CHECK_INT(ms, ref_ms(2018, 12, 18, 14, 0, 0) + 75);
    CHECK(cr_fl_datetime("2021-06-09T20:55:13.160328Z", 27, &ms, &res) == 0);
    CHECK_INT(ms, ref_ms(2021, 6, 9, 20, 55, 13) + 160);
    CHECK(cr_fl_datetime("2021-06-09T20:55:13+02:00", 25, &ms, &res) == 0);
    CHECK_INT(ms, ref_ms(2021, 6, 9, 18, 55, 13));
    CHECK(cr_fl_datetime("2021-06-09 20:55:13 EDT", 23, &ms, &res) == 0);
    CHECK_INT(ms, ref_ms(2021, 6, 10, 0, 55, 13));
    CHECK(cr_fl_datetime("2020-02-29 00:00:00.5", 21, &ms, &res) == 0);
    CHECK_INT(res, 100);
    static const char *const bad[] = {"2019-02-29 00:00:00",
                                      "2015-13-01 00:00:00",
                                      "2015-05-18 24:00:00",
                                      "2015-05-18 17:20",
                                      "2015-05-18",
                                      "2015-05-18 17:20:41.",
                                      "2015/05-18 17:20:41",
                                      "2015-05-18 17:20:41 XYZ",
                                      "2015-05-18 17:20:41+25:00",
                                      "14:00:00.075359"};
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++)
        CHECKF(cr_fl_datetime(bad[k], strlen(bad[k]), &ms, &res) < 0, "'%s' accepted", bad[k]);
}

static void syslog_stamps(void)
{
    cr_fl_clock c = {0};
    int64_t ms;
    int res;
    const char *s = "Apr 29 2013 12:59:50: %ASA-6-302013";
    CHECK_INT(cr_fl_syslog_time(&c, s, strlen(s), &ms, &res), 20);
    CHECK_INT(ms, ref_ms(2013, 4, 29, 12, 59, 50));
    s = "Apr 15 2014 09:34:34 EDT: %ASA";
    CHECK_INT(cr_fl_syslog_time(NULL, s, strlen(s), &ms, &res), 24);
    CHECK_INT(ms, ref_ms(2014, 4, 15, 13, 34, 34));
    /* no year: taken from the clock, which starts in 2000 and moves on when months wrap */
    s = "Nov 30 16:09:08 PA-220 1,";
    CHECK_INT(cr_fl_syslog_time(NULL, s, strlen(s), &ms, &res), 0);
    s = "Dec 31 23:59:59 host x";
    CHECK_INT(cr_fl_syslog_time(&c, s, strlen(s), &ms, &res), 15);
    CHECK_INT(ms, ref_ms(2000, 12, 31, 23, 59, 59));
    s = "Jan  1 00:00:01 host x";
    CHECK_INT(cr_fl_syslog_time(&c, s, strlen(s), &ms, &res), 15);
    CHECK_INT(ms, ref_ms(2001, 1, 1, 0, 0, 1));
    s = "Feb 29 00:00:01 host x"; /* 2001 has none */
    CHECK_INT(cr_fl_syslog_time(&c, s, strlen(s), &ms, &res), 0);
    s = "Foo 29 00:00:01 host";
    CHECK_INT(cr_fl_syslog_time(&c, s, strlen(s), &ms, &res), 0);
}

static void durations(void)
{
    int64_t ms;
    int res;
    CHECK(cr_fl_hms("1:23:45", 7, &ms, &res) == 0);
    CHECK_INT(ms, 5025000);
    CHECK_INT(res, 1000);
    CHECK(cr_fl_hms("00:02:40.133", 12, &ms, &res) == 0);
    CHECK_INT(ms, 160133);
    CHECK_INT(res, 1);
    CHECK(cr_fl_hms("123:00:00", 9, &ms, &res) == 0);
    CHECK_INT(ms, 442800000);
    static const char *const bad[] = {"1:2:3", "1:60:00", ":00:00", "1:00:00.", "1:00:00x"};
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++)
        CHECKF(cr_fl_hms(bad[k], strlen(bad[k]), &ms, &res) < 0, "'%s' accepted", bad[k]);

    /* at 1 ms a measured d is [d, d + 1); between two whole-second clocks (d - 1 s, d + 1 s),
     * so 0 s is "below 1 s" */
    cr_flowlog_dur d = cr_fl_dur(7, 1);
    CHECK(d.lo_ms == 7 && d.hi_ms == 8);
    d = cr_fl_dur(0, 1000);
    CHECK(d.lo_ms == 0 && d.hi_ms == 1000);
    d = cr_fl_dur(5000, 1000);
    CHECK(d.lo_ms == 4001 && d.hi_ms == 6000);
    /* a flows table may say anything: no overflow */
    d = cr_fl_dur(INT64_MAX, 1);
    CHECK(d.lo_ms == INT64_MAX && d.hi_ms == INT64_MAX);
}

static void fields(void)
{
    CHECK_INT(cr_fl_proto("TCP"), CR_PROTO_TCP);
    CHECK_INT(cr_fl_proto("17"), CR_PROTO_UDP);
    CHECK_INT(cr_fl_proto("icmp"), 0);
    uint16_t p;
    CHECK(cr_fl_port("65535", &p) == 0 && p == 65535);
    CHECK(cr_fl_port("65536", &p) < 0 && cr_fl_port("0x08", &p) < 0 && cr_fl_port("", &p) < 0);
    CHECK_INT(cr_fl_tcp_flags("...APRSF"),
              CR_TH_ACK | CR_TH_PSH | CR_TH_RST | CR_TH_SYN | CR_TH_FIN);
    CHECK_INT(cr_fl_tcp_flags("0x12"), CR_TH_SYN | CR_TH_ACK);
    CHECK_INT(cr_fl_tcp_flags("S_RA"), CR_TH_SYN | CR_TH_RST | CR_TH_ACK);
    CHECK_INT(cr_fl_tcp_flags("........"), 0);
}

TEST_MAIN(RUN(days_match_timegm); RUN(decimals_exact); RUN(datetimes); RUN(syslog_stamps);
          RUN(durations); RUN(fields))
