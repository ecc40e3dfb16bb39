/* Zeek conn.log, TSV and JSON lines (lib/flowlog/zeek.c, jsonlog.c): the shared samples with
 * counts awk and grep take from the same files; the connections of the two Zeek/pcap pairs
 * against those connrate's packet path finds in the pcap; and malformed logs, each with its
 * exact warning and counts. */
#include <time.h>

#include "flowlog_test.h"

/* ---------------------------------------------------------------- samples */

static void ftp_zeek_cut(void)
{
    const char *p = fl_sample("zeek/ftp-ipv4/conn.zeek-cut-files.log");
    if (!p)
        SKIP("../shared is absent");
    cr_flowlog_set s;
    cr_err e;
    CHECKF(fl_read(p, 1, &s, &e) == 0, "%s", e.msg);
    const cr_flowlog_file *f = &s.files[0];
    CHECK_INT(f->format, CR_FLOWLOG_ZEEK_TSV);
    CHECK_INT(f->resolution_ms, 1);
    CHECK_INT(f->records, cr_test_sh_count("grep -vc '^#' '%s'", p));
    fl_counts c = fl_count(&s);
    CHECK_INT(c.tcp, cr_test_sh_count("awk -F'\\t' '!/^#/ && $7 == \"tcp\"' '%s' | wc -l", p));
    CHECK_INT(c.fin, cr_test_sh_count("awk -F'\\t' '!/^#/ && $12 == \"SF\"' '%s' | wc -l", p));
    CHECK_INT(c.udp + c.open, 0);
    /* the window: first ts to the last ts + duration, as awk adds them (to the ms) */
    CHECK_INT(f->first_ms, cr_test_sh_count("awk -F'\\t' '!/^#/ { t = int($1 * 1000); if (!m || t < m) "
                                       "m = t } END { printf \"%%.0f\", m }' '%s'",
                                       p));
    CHECK_INT(f->last_ms, 1329843200024); /* 1329843161.968492 + 38.055625 */
    cr_flowlog_set_free(&s);

    /* inferred: 141.142.0.0/16 is at an end of every connection; its one originator is the
     * client, the two ftp-data connections the server opened are inbound */
    CHECKF(fl_read(p, 0, &s, &e) == 0, "%s", e.msg);
    CHECK_INT(s.nhosts, 1);
    CHECK_STR(s.hosts[0].machine_id, "141.142.220.235");
    CHECK_INT(s.hosts[0].nflows,
              cr_test_sh_count("awk -F'\\t' '$3 == \"141.142.220.235\"' '%s' | wc -l", p));
    CHECK_INT(s.not_outbound,
              cr_test_sh_count("awk -F'\\t' '$3 == \"199.233.217.249\"' '%s' | wc -l", p));
    CHECK_STR(s.inside, "originators in 141.142.0.0/16, the prefix at either end of the most "
                        "connections (100%), and in private ranges");
    cr_flowlog_set_free(&s);
}

static void beats_json(void)
{
    const char *p = fl_sample("zeek/beats-connection-json.log");
    if (!p)
        SKIP("../shared is absent");
    cr_flowlog_set s;
    cr_err e;
    CHECKF(fl_read(p, 1, &s, &e) == 0, "%s", e.msg);
    const cr_flowlog_file *f = &s.files[0];
    CHECK_INT(f->format, CR_FLOWLOG_ZEEK_JSON);
    CHECK_INT(f->records, cr_test_sh_count("wc -l < '%s'", p));
    CHECK_INT(fl_skipped(f, "not TCP or UDP"), cr_test_sh_count("grep -c '\"proto\":\"icmp\"' '%s'", p));
    fl_counts c = fl_count(&s);
    CHECK_INT(c.udp, cr_test_sh_count("grep -c '\"proto\":\"udp\"' '%s'", p));
    CHECK_INT(c.tcp, cr_test_sh_count("grep -c '\"proto\":\"tcp\"' '%s'", p));
    /* the TCP one is OTH (history C): no close seen, open; its ts is ISO 8601 */
    CHECK_INT(c.open,
              cr_test_sh_count("grep '\"proto\":\"tcp\"' '%s' | grep -c '\"conn_state\":\"OTH\"'", p));
    const cr_flowlog_host *h = fl_host(&s, "10.0.2.15");
    CHECK(h && h->nflows == 1);
    struct tm t = {
        .tm_year = 121, .tm_mon = 5, .tm_mday = 9, .tm_hour = 20, .tm_min = 55, .tm_sec = 13};
    CHECK_INT(h->flows[0].start_ms, (int64_t)timegm(&t) * 1000 + 160);
    /* missing duration: one instant, [0, 1) ms, and still open */
    CHECK_INT(h->dur[0].lo_ms, 0);
    CHECK_INT(h->dur[0].hi_ms, CR_NA_I64);
    cr_flowlog_set_free(&s);

    /* local_orig T on three of the four TCP/UDP records: 192.168.86.167 (twice) and 10.0.2.15 */
    CHECKF(fl_read(p, 0, &s, &e) == 0, "%s", e.msg);
    CHECK_INT(s.nhosts, 2);
    CHECK_INT(fl_count(&s).flows,
              cr_test_sh_count("grep -v icmp '%s' | grep -c '\"local_orig\":true'", p));
    CHECK_INT(s.not_outbound, 1);
    CHECK_STR(s.inside, "Zeek's local_orig (T on 3 of 4 connections)");
    cr_flowlog_set_free(&s);
}

static void slips_portscan_json(void)
{
    const char *p = fl_sample("zeek/slips-portscan-vertical-conn.json.log");
    if (!p)
        SKIP("../shared is absent");
    cr_flowlog_set s;
    cr_err e;
    CHECKF(fl_read(p, 0, &s, &e) == 0, "%s", e.msg);
    CHECK_INT(s.files[0].records, cr_test_sh_count("wc -l < '%s'", p));
    CHECK_INT(s.nhosts, 1);
    CHECK_STR(s.hosts[0].machine_id, "192.168.1.9");
    fl_counts c = fl_count(&s);
    CHECK_INT(c.tcp, cr_test_sh_count("grep -c '\"proto\":\"tcp\"' '%s'", p));
    CHECK_INT(c.udp, cr_test_sh_count("grep -c '\"proto\":\"udp\"' '%s'", p));
#define TCP_STATES(re) "grep '\"proto\":\"tcp\"' '%s' | grep -Ec '\"conn_state\":\"(" re ")\"'"
    CHECK_INT(c.rst, cr_test_sh_count(TCP_STATES("REJ|RST[A-Z0-9]*"), p));
    CHECK_INT(c.open, cr_test_sh_count(TCP_STATES("S0|S1|OTH"), p));
    CHECK_INT(c.fin, cr_test_sh_count(TCP_STATES("SF|S2|S3|SH|SHR"), p));
    cr_flowlog_set_free(&s);
}

/* The baselines mask ts: nothing usable is left, and the error says why. */
static void masked_baselines(void)
{
    const char *p = fl_sample("zeek/wikipedia/conn.log");
    if (!p)
        SKIP("../shared is absent");
    cr_flowlog_set s;
    cr_err e;
    CHECK(fl_read(p, 0, &s, &e) < 0);
    char want[1024];
    snprintf(want, sizeof want,
             "%s: no usable connection records in this zeek-tsv file (%ld "
             "records read: %ld unparsable time)",
             p, cr_test_sh_count("grep -vc '^#' '%s'", p),
             cr_test_sh_count("grep -c '^XXXXXXXXXX.XXXXXX' '%s'", p));
    CHECK_STR(e.msg, want);
}

/* ---------------------------------------------------------------- against the pcap */

/* The connrate flow and the Zeek one agree: 5-tuple, start within 1 ms, the reason, and the
 * duration within 1 ms where both are known: Zeek's runs from the first to the last packet
 * (both directions; for TCP up to the last FIN), the packet path's from the first packet to
 * the close (the first FIN+ACK or RST) for TCP, to the last packet for UDP. For a stream
 * open at the end of the capture the last packets agree instead. */
static void same_flow(const cr_flow *pc, const cr_flow *z, cr_flowlog_dur zd)
{
    CHECKF(pc->start_ms - z->start_ms <= 1 && z->start_ms - pc->start_ms <= 1,
           "port %u: start %lld vs %lld", pc->sport, (long long)pc->start_ms,
           (long long)z->start_ms);
    CHECKF(pc->reason == z->reason, "port %u: reason %d vs %d", pc->sport, pc->reason, z->reason);
    int64_t d = pc->proto == CR_PROTO_UDP      ? pc->last_ms - pc->start_ms
                : pc->reason == CR_REASON_OPEN ? CR_NA_I64
                                               : pc->end_ms - pc->start_ms;
    if (d != CR_NA_I64)
        CHECKF(zd.lo_ms - d <= 1 && d - zd.lo_ms <= 1, "port %u: duration %lld vs [%lld, %lld)",
               pc->sport, (long long)d, (long long)zd.lo_ms, (long long)zd.hi_ms);
    else
        CHECKF(pc->last_ms - z->last_ms <= 1 && z->last_ms - pc->last_ms <= 1,
               "port %u: last packet %lld vs %lld", pc->sport, (long long)pc->last_ms,
               (long long)z->last_ms);
}

static void compare(const fl_capture *cap, const cr_flowlog_set *s)
{
    char local[CR_ADDR_STRLEN];
    cr_addr_format(&cap->m[0].local[0], local);
    const cr_flowlog_host *h = fl_host(s, local);
    CHECKF(h != NULL, "no host %s", local);
    CHECK_INT(h->nflows, cap->n);
    for (size_t i = 0; i < cap->n && !cr_test_stop; i++) {
        const cr_flow *pc = &cap->flows[i];
        const cr_flow *z = fl_find(h->flows, h->nflows, pc);
        CHECKF(z != NULL, "pcap flow from port %u not in conn.log", pc->sport);
        same_flow(pc, z, h->dur[z - h->flows]);
    }
}

/* ftp-ipv4: the zeek-cut file has the baseline's five connections with their real ts. */
static void ftp_matches_pcap(void)
{
    const char *log = fl_sample("zeek/ftp-ipv4/conn.zeek-cut-files.log");
    if (!log)
        SKIP("../shared is absent");
    fl_capture cap;
    cr_err e;
    CHECKF(fl_capture_load(&cap, fl_sample("zeek/ftp-ipv4/ipv4.pcap"), &e) == 0, "%s", e.msg);
    cr_flowlog_set s;
    CHECKF(fl_read(log, 1, &s, &e) == 0, "%s", e.msg);
    compare(&cap, &s);
    printf("     ftp-ipv4: %zu outbound connections agree\n", cap.n);
    cr_flowlog_set_free(&s);
    fl_capture_free(&cap);
}

/* wikipedia: ts is masked in the baseline, so it is recovered from the pcap by 5-tuple (the
 * first packet of the conversation, either direction) and written back to ms; the rest of each
 * line is Zeek's. */
static void wikipedia_matches_pcap(void)
{
    const char *log = fl_sample("zeek/wikipedia/conn.log");
    if (!log)
        SKIP("../shared is absent");
    fl_capture cap;
    cr_err e;
    CHECKF(fl_capture_load(&cap, fl_sample("zeek/wikipedia/wikipedia.pcap"), &e) == 0, "%s", e.msg);
    const cr_machine *m = &cap.m[0];
    char *text = cr_test_slurp(log, NULL);
    CHECK(text != NULL);
    char path[512];
    snprintf(path, sizeof path, "%s/wikipedia-conn.log", cr_test_tmpdir());
    FILE *out = fopen(path, "w");
    size_t recovered = 0;
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        if (strncmp(line, "XXXXXXXXXX.XXXXXX\t", 18)) {
            fprintf(out, "%s\n", line);
            continue;
        }
        char oh[64], rh[64], proto[8];
        unsigned op, rp;
        CHECK(sscanf(line + 18, "%*s %63s %u %63s %u %7s", oh, &op, rh, &rp, proto) == 5);
        cr_addr a, b;
        CHECK(cr_addr_parse(oh, strlen(oh), &a) == 0 && cr_addr_parse(rh, strlen(rh), &b) == 0);
        int64_t first = INT64_MAX;
        for (size_t i = 0; i < m->ntcp && !strcmp(proto, "tcp"); i++) {
            const cr_endpoints *x = &m->tcp[i].ep;
            if ((cr_addr_equal(&x->a, &a) && x->pa == op && cr_addr_equal(&x->b, &b) &&
                 x->pb == rp) ||
                (cr_addr_equal(&x->a, &b) && x->pa == rp && cr_addr_equal(&x->b, &a) &&
                 x->pb == op))
                first = m->tcp[i].first_ms;
        }
        for (size_t i = 0; i < m->nudp && !strcmp(proto, "udp"); i++) {
            const cr_endpoints *x = &m->udp[i].ep;
            if ((cr_addr_equal(&x->a, &a) && x->pa == op && cr_addr_equal(&x->b, &b) &&
                 x->pb == rp) ||
                (cr_addr_equal(&x->a, &b) && x->pa == rp && cr_addr_equal(&x->b, &a) &&
                 x->pb == op))
                first = m->udp[i].first_ms[0] < m->udp[i].first_ms[1] ? m->udp[i].first_ms[0]
                                                                      : m->udp[i].first_ms[1];
        }
        CHECKF(first != INT64_MAX, "%s %s:%u -> %s:%u not in the pcap", proto, oh, op, rh, rp);
        fprintf(out, "%lld.%03lld000%s\n", (long long)(first / 1000), (long long)(first % 1000),
                line + 17);
        recovered++;
    }
    fclose(out);
    free(text);
    CHECK_INT(recovered, cr_test_sh_count("grep -c '^XXXXXXXXXX' '%s'", log));

    cr_flowlog_set s;
    CHECKF(fl_read(path, 1, &s, &e) == 0, "%s", e.msg);
    compare(&cap, &s);
    printf("     wikipedia: %zu outbound connections of %zu in conn.log agree\n", cap.n, recovered);
    cr_flowlog_set_free(&s);
    fl_capture_free(&cap);
}

/* ---------------------------------------------------------------- malformed */

#define TSV_HEAD                                                                                   \
    "#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n#path\tconn\n"   \
    "#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tduration\tconn_state\n"  \
    "#types\ttime\tstring\taddr\tport\taddr\tport\tenum\tinterval\tstring\n"
#define ROW(port) "1329843175.736107\tC\t10.0.0.1\t" port "\t10.9.9.9\t80\ttcp\t0.5\tSF\n"

static void tsv_bad_records(void)
{
    const char *p =
        fl_write("bad.log", TSV_HEAD ROW("1000")          /* line 8 */
                 "1329843175.736107\tC\t10.0.0.1\t1001\n" /* 9: truncated */
                 "13298431x5.7\tC\t10.0.0.1\t1002\t10.9.9.9\t80\ttcp\t0.5\tSF\n"
                 "1329843175.7\tC\t10.0.0.1\t1003\t10.9.9.9\t80\ttcp\t-0.5\tSF\n"
                 "1329843175.7\tC\t10.0.0.300\t1004\t10.9.9.9\t80\ttcp\t0.5\tSF\n"
                 "1329843175.7\tC\t10.0.0.1\t70000\t10.9.9.9\t80\ttcp\t0.5\tSF\n"
                 "1329843175.7\tC\t10.0.0.1\t1005\t10.9.9.9\t80\ticmp\t0.5\tSF\n"
                 "1329843175.7\tC\t-\t1006\t10.9.9.9\t80\ttcp\t0.5\tSF\n"
                 "13298431x5.7\tC\t10.0.0.1\t1007\t10.9.9.9\t80\ttcp\t0.5\tSF\n"
                 /* 17: a new header, fields in another order */
                 "#fields\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tts\tconn_state\n"
                 "10.0.0.1\t1008\t10.9.9.9\t443\tudp\t1329843180.5\tS0\n");
    cr_flowlog_set s;
    cr_err e;
    CHECKF(fl_read(p, 1, &s, &e) == 0, "%s", e.msg);
    const cr_flowlog_file *f = &s.files[0];
    CHECK_INT(f->records, 10);
    CHECK_INT(f->used, 2);
    FL_WARN(f, p, "wrong field count", "9: 4 fields, #fields names 9");
    FL_WARN(f, p, "unparsable time", "10: ts '13298431x5.7' is not a time (2 records skipped for this, "
                            "lines 10, 16)");
    FL_WARN(f, p, "unparsable duration", "11: duration '-0.5' is not seconds");
    FL_WARN(f, p, "bad address", "12: '10.0.0.300' is not an IP address");
    FL_WARN(f, p, "bad port", "13: port '70000' is not 0..65535");
    FL_WARN(f, p, "missing field", "15: id.orig_h unset");
    FL_WARN(f, p, "header changed mid-file", "17: #fields differs from the first header; the rows below "
                                    "are read by it");
    CHECK_INT(fl_skipped(f, "not TCP or UDP"), 1);
    CHECK(!fl_skip(f, "not TCP or UDP")->bad);
    /* the row after the new header is read by it: UDP to 443 at 1329843180.5 */
    fl_counts c = fl_count(&s);
    CHECK_INT(c.udp, 1);
    const cr_flowlog_host *h = fl_host(&s, "10.0.0.1");
    CHECK(h && h->nflows == 2 && h->flows[1].dport == 443 && h->flows[1].start_ms == 1329843180500);
    cr_flowlog_set_free(&s);
}

static void tsv_fatal(void)
{
    static const struct {
        const char *text, *error; /* error after "PATH" */
    } cases[] = {
        {TSV_HEAD
         "Nov 30 16:09:08 fw date=2020-04-23 time=01:16:08 logid=\"13\" type=\"traffic\"\n",
         ":8: a fortigate line in a zeek-tsv file: a file must hold one format"},
        {"#separator \\x09\n#path\tdns\n", ":2: a Zeek dns log, not a conn.log"},
        {"#separator ,\n", ":1: Zeek separator ',' is not supported (only the default tab, \\x09)"},
        {"#separator \\x09\n#fields\tts\tuid\tid.orig_h\n", ":2: #fields has no id.orig_p: not a "
                                                            "Zeek conn.log"},
        {TSV_HEAD "13298431x5.7\tC\t10.0.0.1\t1\t10.9.9.9\t80\ttcp\t0.5\tSF\n",
         ": no usable connection records in this zeek-tsv file (1 record read: 1 unparsable time)"},
        {"#separator \\x09\nXXX\n", ": no usable connection records in this zeek-tsv file (1 "
                                    "record read: 1 no header)"},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        const char *p = fl_write("fatal.log", cases[k].text);
        cr_flowlog_set s;
        cr_err e;
        CHECKF(fl_read(p, 1, &s, &e) < 0, "case %zu accepted", k);
        char want[512];
        snprintf(want, sizeof want, "%s%s", p, cases[k].error);
        CHECK_STR(e.msg, want);
    }
}

/* A Zeek JSON line from its members after ts and the originator's port. */
#define J(ts, port, rest)                                                                          \
    "{\"ts\":" ts ",\"id.orig_h\":\"10.0.0.1\",\"id.orig_p\":" port ",\"id.resp_h\":\"10.9.9.9\"" \
    rest "}\n"
#define UDP53 ",\"id.resp_p\":53,\"proto\":\"udp\""

static void json_bad_records(void)
{
    /* lines 2 and 9 are cut short, 5 is not JSON, 6 has a member twice, 7 is no flow */
    const char *p = fl_write("bad.json", J("1.5", "1", UDP53)
                                         "{\"ts\":1.5,\"id.orig_h\":\"10.0.0.1\"\n"
                                         J("\"x\"", "3", UDP53)
                                         "{\"ts\":2.5,\"id.orig_h\":\"10.0.0.1\"" UDP53 "}\n"
                                         "not json at all\n"
                                         J("3.5", "5", UDP53 ",\"x\":1,\"x\":2")
                                         "{\"foo\":1}\n"
                                         J("4.25", "6", UDP53 ",\"duration\":0.5")
                                         "{\"ts\":5.5,\"id.orig_h\":\"10.0.0.1\"\n");
    cr_flowlog_set s;
    cr_err e;
    CHECKF(fl_read(p, 1, &s, &e) == 0, "%s", e.msg);
    const cr_flowlog_file *f = &s.files[0];
    CHECK_INT(f->records, 9);
    CHECK_INT(f->used, 2);
    FL_WARN(f, p, "bad JSON", "2: a JSON object cut short by the next line (4 records skipped for this, "
                     "lines 2, 5, 6, 9)");
    FL_WARN(f, p, "unparsable time", "3: ts 'x' is not a time");
    FL_WARN(f, p, "missing field", "4: id.orig_p unset");
    FL_WARN(f, p, "not a flow record", "7: a JSON object with neither Zeek's id.orig_h nor nfdump's first");
    /* the UDP flow at line 8: 4.25 s for 0.5 s, a duration written to 0.1 s: (400, 600) ms */
    const cr_flowlog_host *h = fl_host(&s, "10.0.0.1");
    CHECK(h && h->nflows == 2);
    CHECK(h->flows[1].start_ms == 4250 && h->flows[1].end_ms == 4750);
    CHECK(h->dur[1].lo_ms == 401 && h->dur[1].hi_ms == 600);
    cr_flowlog_set_free(&s);

    static const struct {
        const char *text, *error;
    } fatal[] = {
        {J("1.5", "1", UDP53) "{\"first\":\"2015-05-18T17:20:41.947\",\"proto\":17}\n",
         ":2: a nfdump-json record in a zeek-json file: a file must hold one format"},
        {"{\"ts\":1.5}\n"
         "Nov 30 16:09:08 PA-220 1,2018/11/30 16:09:07,012801096514,TRAFFIC,end,2049\n",
         ":2: a pan-os line in a zeek-json file: a file must hold one format"},
    };
    char want[512];
    for (size_t k = 0; k < sizeof fatal / sizeof fatal[0]; k++) {
        p = fl_write("fatal.json", fatal[k].text);
        CHECKF(fl_read(p, 1, &s, &e) < 0, "case %zu accepted", k);
        snprintf(want, sizeof want, "%s%s", p, fatal[k].error);
        CHECK_STR(e.msg, want);
    }
}

/* Times past the year 2262 do not fit in ns: refused, not overflowed (found by fuzz_flowlog). */
static void far_future(void)
{
    const char *p = fl_write("far.json", J("\"9999-12-31T23:59:59Z\"", "1", UDP53)
                                         J("1.5", "2", UDP53)
                                         J("9223372036.854775807", "3", UDP53)
                                         J("1.5", "4", UDP53 ",\"duration\":1e30"));
    cr_flowlog_set s;
    cr_err e;
    CHECKF(fl_read(p, 1, &s, &e) == 0, "%s", e.msg);
    CHECK_INT(s.files[0].used, 1);
    CHECK_INT(fl_skipped(&s.files[0], "unparsable time"), 2);
    CHECK_INT(fl_skipped(&s.files[0], "unparsable duration"), 1);
    cr_flowlog_set_free(&s);
}

TEST_MAIN(RUN(ftp_zeek_cut); RUN(beats_json); RUN(slips_portscan_json); RUN(masked_baselines);
          RUN(ftp_matches_pcap); RUN(wikipedia_matches_pcap); RUN(tsv_bad_records); RUN(tsv_fatal);
          RUN(json_bad_records); RUN(far_future))
