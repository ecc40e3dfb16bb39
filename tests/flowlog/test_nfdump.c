/* nfdump's CSV, fmt CSV and JSON exports (lib/flowlog/nfdump.c): the ndpi-skype samples with
 * counts awk and grep take from the same files (connections as the distinct unordered
 * 5-tuples: the capture reuses none), and malformed exports with their exact warnings. */
#include "flowlog_test.h"

/* awk over an nfdump CSV by its header: TCP/UDP connections as distinct unordered 5-tuples,
 * and the TCP ones whose flags never show F or R. */
#define AWK_CONNS                                                                                  \
    "awk -F, -v want=%s 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next } "                   \
    "/^Summary/ { exit } { p = $c[\"pr\"]; if (p != \"TCP\" && p != \"UDP\") next; "               \
    "a = $c[\"sa\"] \"|\" $c[\"sp\"]; b = $c[\"da\"] \"|\" $c[\"dp\"]; "                           \
    "k = p \"|\" (a < b ? a \"|\" b : b \"|\" a); f[k] = f[k] $c[\"flg\"]; pr[k] = p } "           \
    "END { for (k in f) { n[pr[k]]++; if (pr[k] == \"TCP\" && f[k] !~ /[FR]/) n[\"open\"]++ } "    \
    "print n[want] + 0 }' '%s'"

static void sample_csv(const char *rel, int64_t res, uint64_t bad_addresses)
{
    const char *p = fl_sample(rel);
    if (!p)
        SKIP("../shared is absent");
    cr_flowlog_set s;
    cr_err e;
    CHECKF(fl_read(p, 1, &s, &e) == 0, "%s", e.msg);
    const cr_flowlog_file *f = &s.files[0];
    CHECK_INT(f->format, CR_FLOWLOG_NFDUMP_CSV);
    CHECK_INT(f->resolution_ms, res);
    CHECK_INT(f->records,
              cr_test_sh_count("awk 'NR > 1 && /^Summary/ { exit } NR > 1' '%s' | wc -l", p));
    CHECK_INT(fl_skipped(f, "not TCP or UDP"),
              cr_test_sh_count("awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next } "
                          "/^Summary/ { exit } $c[\"pr\"] != \"TCP\" && $c[\"pr\"] != \"UDP\"' "
                          "'%s' | wc -l",
                          p));
    CHECK_INT(fl_skipped(f, "bad address"), bad_addresses);
    fl_counts c = fl_count(&s);
    /* a shortened IPv6 address leaves out one UDP record (its 5-tuple's only one) */
    CHECK_INT(c.tcp, cr_test_sh_count(AWK_CONNS, "TCP", p));
    CHECK_INT(c.udp + bad_addresses, cr_test_sh_count(AWK_CONNS, "UDP", p));
    CHECK_INT(c.open, cr_test_sh_count(AWK_CONNS, "open", p));
    CHECK_INT(f->open_at_end, c.open);
    int64_t first = f->first_ms, last = f->last_ms;
    cr_flowlog_set_free(&s);

    /* inferred: the private originators (192.168.1.34 the workstation, 192.168.1.92 and
     * 192.168.0.254 broadcasting, and an IPv6 link-local one where its address is whole) */
    CHECKF(fl_read(p, 0, &s, &e) == 0, "%s", e.msg);
    CHECK_INT(s.nhosts, 4 - bad_addresses);
    CHECK_STR(s.hosts[0].machine_id, "192.168.0.254");
    CHECK_STR(s.hosts[1].machine_id, "192.168.1.34");
    CHECK_STR(s.hosts[2].machine_id, "192.168.1.92");
    if (!bad_addresses)
        CHECK_STR(s.hosts[3].machine_id, "fe80::c62c:3ff:fe06:49fe");
    CHECK(s.hosts[0].first_ms == first && s.hosts[0].last_ms == last);
    CHECK_INT(s.hosts[1].resolution_ms, res);
    cr_flowlog_set_free(&s);
}

static void csv(void)
{
    sample_csv("nfdump/ndpi-skype.nfdump.csv", 1000, 0);
}

static void fmt_csv(void)
{
    sample_csv("nfdump/ndpi-skype.nfdump.fmt.csv", 1, 1);
    const char *p = fl_sample("nfdump/ndpi-skype.nfdump.fmt.csv");
    if (!p)
        return; /* skipped by sample_csv */
    cr_flowlog_set s;
    cr_err e;
    CHECKF(fl_read(p, 1, &s, &e) == 0, "%s", e.msg);
    long line = cr_test_sh_count("grep -n '\\.\\.[0-9a-f]*:' '%s' | cut -d: -f1", p);
    char want[512];
    snprintf(want, sizeof want,
             "%s:%ld: 'fe80::c..06:49fe' is an IPv6 address nfdump shortened "
             "(export with nfdump -6)",
             p, line);
    CHECK_STR(fl_warning(&s.files[0], "bad address"), want);
    cr_flowlog_set_free(&s);
}

static void json(void)
{
    const char *p = fl_sample("nfdump/ndpi-skype.nfdump.json");
    if (!p)
        SKIP("../shared is absent");
    const char *csv_path = fl_sample("nfdump/ndpi-skype.nfdump.csv");
    cr_flowlog_set s, t;
    cr_err e;
    CHECKF(fl_read(p, 1, &s, &e) == 0, "%s", e.msg);
    CHECKF(fl_read(csv_path, 1, &t, &e) == 0, "%s", e.msg);
    const cr_flowlog_file *f = &s.files[0];
    CHECK_INT(f->format, CR_FLOWLOG_NFDUMP_JSON);
    CHECK_INT(f->resolution_ms, 1);
    CHECK_INT(f->records, cr_test_sh_count("grep -c '\"type\" : \"FLOW\"' '%s'", p));
    CHECK_INT(fl_skipped(f, "not TCP or UDP"),
              cr_test_sh_count("grep -Ec '\"proto\" : (1|2|58),' '%s'", p));
    /* the same records as the CSV, to the ms instead of the second */
    fl_counts a = fl_count(&s), b = fl_count(&t);
    CHECK(a.tcp == b.tcp && a.udp == b.udp && a.open == b.open && a.fin == b.fin && a.v6 == 1);
    CHECK_INT(f->connections, t.files[0].connections);
    CHECK_INT(f->first_ms / 1000, t.files[0].first_ms / 1000);
    cr_flowlog_set_free(&s);
    cr_flowlog_set_free(&t);
}

/* ---------------------------------------------------------------- malformed */

#define HEAD "ts,te,td,sa,da,sp,dp,pr,flg,ipkt,opkt\n"
#define R(ts, te, td, sp, pr) ts "," te "," td ",10.0.0.1,10.9.9.9," sp ",443," pr ",......S.,1,0\n"

static void csv_bad_records(void)
{
    const char *p = fl_write(
        "bad.csv", HEAD R("2015-05-18 17:20:41", "2015-05-18 17:20:42", "1.000", "1", "TCP") /* 2 */
        "2015-05-18 17:20:41,2015-05-18 17:20:42,1.000,10.0.0.1\n"                           /* 3 */
        R("2015-05-18 25:20:41", "2015-05-18 17:20:42", "1.000", "2", "TCP")                 /* 4 */
        R("2015-05-18 17:20:43", "2015-05-18 17:20:42", "1.000", "3", "TCP")                 /* 5 */
        R("2015-05-18 17:20:41", "2015-05-18 17:20:42", "x", "4", "TCP")                     /* 6 */
        R("2015-05-18 17:20:41", "2015-05-18 17:20:42", "1.000", "", "TCP")                  /* 7 */
        R("2015-05-18 17:20:41", "2015-05-18 17:20:42", "1.000", "5", "ICMP")                /* 8 */
        HEAD                                                                   /* 9: the same */
        "pr,ts,te,sa,da,sp,dp\n"                                               /* 10 */
        "UDP,2015-05-18 17:21:00,2015-05-18 17:21:00,10.0.0.1,10.9.9.9,6,53\n" /* 11 */
        "2015-05-18 17:20:41,2015-05-18 17:20:42,1.000,10.0.0.1\n"             /* 12 */
        "Summary\n"
        "flows,bytes,packets,avg_bps,avg_pps,avg_bpp\n"
        "562,591207,3069,28320,18,192\n");
    cr_flowlog_set s;
    cr_err e;
    CHECKF(fl_read(p, 1, &s, &e) == 0, "%s", e.msg);
    const cr_flowlog_file *f = &s.files[0];
    CHECK_INT(f->records, 9);
    CHECK_INT(f->used, 2);
    FL_WARN(f, p, "wrong field count", "3: 4 fields, the header names 11 (2 records skipped for this, "
                              "lines 3, 12)");
    FL_WARN(f, p, "unparsable time", "4: ts '2015-05-18 25:20:41' is not a date and time");
    FL_WARN(f, p, "end before start", "5: te 2015-05-18 17:20:42 before ts 2015-05-18 17:20:43");
    FL_WARN(f, p, "unparsable duration", "6: td 'x' is not a duration");
    FL_WARN(f, p, "missing field", "7: sp missing");
    FL_WARN(f, p, "header changed mid-file", "10: the header differs from the first; the rows below are "
                                    "read by it");
    CHECK_INT(fl_skipped(f, "not TCP or UDP"), 1);
    fl_counts c = fl_count(&s);
    CHECK(c.tcp == 1 && c.udp == 1);
    /* whole seconds: the TCP record's td says 1.000 s exactly, and no FIN or RST: open, at
     * least 1 s; the UDP one has no td, so its duration is 0 s between two whole-second
     * clocks, below 1 s */
    const cr_flowlog_host *h = fl_host(&s, "10.0.0.1");
    CHECK(h->dur[0].lo_ms == 1000 && h->dur[0].hi_ms == CR_NA_I64);
    CHECK(h->dur[1].lo_ms == 0 && h->dur[1].hi_ms == 1000);
    cr_flowlog_set_free(&s);
}

static void csv_fatal(void)
{
    static const struct {
        const char *text, *error;
    } cases[] = {
        {HEAD R("2015-05-18 17:20:41", "2015-05-18 17:20:42", "1.000", "1",
                "TCP") "<189>date=2020-04-23 time=01:16:08 logid=\"0000000013\" type=\"traffic\"\n",
         ":3: a fortigate line in a nfdump-csv file: a file must hold one format"},
        /* a JSON line breaks the CSV's quoting before it can be told apart */
        {HEAD R("2015-05-18 17:20:41", "2015-05-18 17:20:42", "1.000", "1",
                "TCP") "{\"ts\":1.5,\"id.orig_h\":\"10.0.0.1\"}\n",
         ":3: text after a closing quote"},
        {HEAD "Summary\n", ": no usable connection records in this nfdump-csv file (0 records "
                           "read)"},
        {"ts,te,td,sa,da,sp,dp,flg\n", ": not a flow or session log connrate reads (Zeek "
                                       "conn.log, nfdump CSV or JSON, argus CSV, PAN-OS, "
                                       "FortiGate, Cisco ASA, connrate flows); it begins "
                                       "'ts,te,td,sa,da,sp,dp,flg'"},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        const char *p = fl_write("fatal.csv", cases[k].text);
        cr_flowlog_set s;
        cr_err e;
        CHECKF(fl_read(p, 1, &s, &e) < 0, "case %zu accepted", k);
        char want[512];
        snprintf(want, sizeof want, "%s%s", p, cases[k].error);
        CHECK_STR(e.msg, want);
    }
}

static void json_bad_records(void)
{
    const char *p = fl_write(
        "bad.json",
        "[\n{\n\t\"type\" : \"FLOW\",\n\t\"first\" : \"2015-05-18T17:20:41.947\",\n"
        "\t\"last\" : \"2015-05-18T17:20:41.990\",\n\t\"proto\" : 17,\n\t\"src_port\" : 1,\n"
        "\t\"dst_port\" : 53,\n\t\"src4_addr\" : \"10.0.0.1\",\n\t\"dst4_addr\" : "
        "\"10.9.9.9\"\n},\n"
        "{\n\t\"type\" : \"FLOW\",\n\t\"first\" : \"2015-05-18T17:20:42\",\n" /* 12 */
        "\t\"last\" : \"2015-05-18T17:20:41.990\",\n\t\"proto\" : 17,\n\t\"src_port\" : 2,\n"
        "\t\"dst_port\" : 53,\n\t\"src4_addr\" : \"10.0.0.1\",\n\t\"dst4_addr\" : "
        "\"10.9.9.9\"\n},\n"
        "{\n\t\"type\" : \"FLOW\",\n\t\"first\" : \"2015-05-18T17:20:42\",\n" /* 22 */
        "\t\"last\" : \"2015-05-18T17:20:43\",\n\t\"proto\" : 6,\n"
        "\t\"src4_addr\" : \"10.0.0.1\",\n\t\"dst4_addr\" : \"10.9.9.9\"\n},\n"
        "{\n\t\"type\" : \"FLOW\",\n\t\"first\" : 5,\n" /* 30 */
        "\t\"last\" : \"2015-05-18T17:20:43\",\n\t\"proto\" : 6,\n}\n"
        "]\n");
    cr_flowlog_set s;
    cr_err e;
    CHECKF(fl_read(p, 1, &s, &e) == 0, "%s", e.msg);
    const cr_flowlog_file *f = &s.files[0];
    CHECK_INT(f->format, CR_FLOWLOG_NFDUMP_JSON);
    CHECK_INT(f->records, 4);
    CHECK_INT(f->used, 1);
    FL_WARN(f, p, "end before start", "12: last 2015-05-18T17:20:41.990 before first 2015-05-18T17:20:42");
    FL_WARN(f, p, "missing field", "22: src_port missing");
    FL_WARN(f, p, "bad JSON", "30: bad JSON member name");
    cr_flowlog_set_free(&s);
}

/* As nfdump 1.7 prints them: fmt with its aligned labels and its statistics after the rows
 * (without -q), and -q rows with no header at all, fmt's order or -o csv's. */
static void raw_nfdump_output(void)
{
    const char *p = fl_write(
        "labels.txt",
        "Date first seen         Date last seen              Duration     Proto      Src IP Addr "
        "Src Pt      Dst IP Addr Dst Pt    Flags   In Pkt  In Byte  Out Pkt Out Byte\n"
        "2015-05-18 17:20:41.947,2015-05-18 17:20:41.947,    00:00:00.000,UDP  ,    192.168.1.34, "
        "49163,     192.168.1.1,    53,........,       1,      64,       0,       0\n"
        "2015-05-18 17:20:42.336,2015-05-18 17:21:01.480,    00:00:19.144,TCP  ,    192.168.1.34, "
        "50026,    65.55.223.33, 40002,...APRSF,      13,     789,       0,       0\n"
        "Summary: total flows: 2, total bytes: 853, total packets: 14, avg bps: 356, avg pps: 0, "
        "avg bpp: 60\n"
        "Time window: 2015-05-18 17:20:41 - 2015-05-18 17:23:28\n");
    cr_flowlog_set s;
    cr_err e;
    CHECKF(fl_read(p, 1, &s, &e) == 0, "%s", e.msg);
    CHECK(s.files[0].records == 2 && s.files[0].resolution_ms == 1);
    fl_counts c = fl_count(&s);
    CHECK(c.udp == 1 && c.tcp == 1 && c.fin == 1);
    const cr_flowlog_host *h = fl_host(&s, "192.168.1.34");
    CHECK(h && h->flows[1].start_ms == 1431969642336 && h->dur[1].lo_ms == 19144);
    cr_flowlog_set_free(&s);

    p = fl_write("q.fmt", "2015-05-18 17:20:41.947,2015-05-18 17:20:41.947,    00:00:00.000,"
                          "UDP  ,    192.168.1.34, 49163,     192.168.1.1,    53,........,       "
                          "1,      64,       0,       0\n");
    CHECKF(fl_read(p, 1, &s, &e) == 0, "%s", e.msg);
    CHECK(fl_count(&s).udp == 1 && s.hosts[0].flows[0].sport == 49163);
    cr_flowlog_set_free(&s);
    p = fl_write("q.csv", "2015-05-18 17:20:41,2015-05-18 17:20:41,0.000,192.168.1.34,"
                          "192.168.1.1,49163,53,UDP,........,0,0,1,64,0,0,0,0\n");
    CHECKF(fl_read(p, 1, &s, &e) == 0, "%s", e.msg);
    CHECK(fl_count(&s).udp == 1 && s.hosts[0].flows[0].dport == 53);
    CHECK_INT(s.files[0].resolution_ms, 1000);
    cr_flowlog_set_free(&s);
}

TEST_MAIN(RUN(csv); RUN(fmt_csv); RUN(json); RUN(csv_bad_records); RUN(csv_fatal);
          RUN(json_bad_records); RUN(raw_nfdump_output))
