/* Records to connections (lib/flowlog/join.c): each join rule on records made for it, and the
 * nfdump and argus files of ndpi-skype against what connrate's packet path finds in
 * ../shared/captures/real/ndpi-skype.pcap: the same outbound connections per second and
 * protocol, and every difference explained by a named rule that the test checks on the
 * capture's packets. */
#include "flowlog_test.h"
#include "ingest/source.h"

/* ---------------------------------------------------------------- rules */

#define FMT_HEAD "ts,te,td,pr,sa,sp,da,dp,flg,ipkt,ibyt,opkt,obyt\n"
#define T(s) "2015-05-18 17:20:" s

static int64_t base_ms(void)
{
    return 1431969600000;
} /* 2015-05-18 17:20:00 UTC */

static void bidirectional_and_originator(void)
{
    const char *p = fl_write(
        "rules.csv",
        FMT_HEAD
            /* 1: a handshake, both directions show S; A's first packet is earlier */
            T("10.000") "," T("12.000") ",00:00:02.000,TCP,10.0.0.1,50001,10.9.9.9,443,...AP.SF,9,"
                                        "1,0,0\n" T("10.050") "," T(
                                            "12.010") ",00:00:01.960,TCP,10.9.9.9,443,10.0.0.1,"
                                                      "50001,...AP.SF,7,1,0,0\n"
        /* 2: same ms, only A's record has a SYN (refused: the reply is RST-ACK) */
        T("20.000") "," T("20.000") ",00:00:00.000,TCP,10.9.9.9,80,10.0.0.1,50002,...A.R..,1,1,0,"
                                    "0\n" T("20.000") "," T(
                                        "20.000") ",00:00:00.000,TCP,10.0.0.1,50002,10.9.9.9,80,..."
                                                  "...S.,1,1,0,0\n"
        /* 3: mid-stream, same ms, no SYN: the higher port is the client, whoever is listed first */
        T("30.000") "," T("31.000") ",00:00:01.000,TCP,10.9.9.9,443,10.0.0.1,50003,...AP...,3,1,0,"
                                    "0\n" T("30.000") "," T(
                                        "31.500") ",00:00:01.500,TCP,10.0.0.1,50003,10.9.9.9,443,.."
                                                  ".AP...,2,1,0,0\n");
    cr_flowlog_set s;
    cr_err e;
    CHECKF(fl_read(p, 1, &s, &e) == 0, "%s", e.msg);
    const cr_flowlog_file *f = &s.files[0];
    CHECK_INT(f->connections, 3);
    CHECK_INT(f->joined_reply, 3);
    CHECK_INT(f->orig_rule[0], 1); /* SYN */
    CHECK_INT(f->orig_rule[1], 1); /* first packet */
    CHECK_INT(f->orig_rule[2], 1); /* service port */
    const cr_flowlog_host *h = fl_host(&s, "10.0.0.1");
    CHECK(h && h->nflows == 3 && s.nhosts == 1);
    const cr_flow *c = h->flows;
    CHECK(c[0].dport == 443 && c[0].start_ms == base_ms() + 10000 && c[0].reason == CR_REASON_FIN);
    CHECK(c[0].end_ms == base_ms() + 12010 && c[0].last_ms == c[0].end_ms && c[0].packets == 16);
    CHECK_INT(h->dur[0].lo_ms, 2010);
    CHECK_INT(h->dur[0].hi_ms, 2011);
    CHECK(c[1].dport == 80 && c[1].reason == CR_REASON_RST && c[1].end_ms == base_ms() + 20000);
    CHECK(c[2].sport == 50003 && c[2].reason == CR_REASON_OPEN && c[2].end_ms == CR_NA_I64);
    CHECK(c[2].last_ms == base_ms() + 31500 && h->dur[2].lo_ms == 1500 &&
          h->dur[2].hi_ms == CR_NA_I64);
    cr_flowlog_set_free(&s);
}

static void active_timeout(void)
{
    const char *p = fl_write(
        "timeout.csv",
        FMT_HEAD
            /* UDP: 30 s apart joins, 70 s apart (over the 60 s gap) does not */
            T("01.000") "," T("01.000") ",00:00:00.000,UDP,10.0.0.1,5000,10.9.9.9,53,........,1,1,"
                                        "0,0\n" T("31.000") "," T(
                                            "31.200") ",00:00:00.200,UDP,10.0.0.1,5000,10.9.9.9,53,"
                                                      "........,2,1,0,0\n"
                                                      "2015-05-18 17:22:41.200,2015-05-18 "
                                                      "17:22:41.200,00:00:00.000,UDP,10.0.0.1,5000,"
                                                      "10.9.9.9,53,........,1,1,0,0\n"
        /* TCP: a piece without SYN continues the open connection after 90 s; a SYN after its
         * FIN opens a new one (a reused port), even 1 s later */
        T("02.000") "," T(
            "05.000") ",00:00:03.000,TCP,10.0.0.1,6000,10.9.9.9,22,...AP.S.,5,1,0,0\n"
                      "2015-05-18 17:21:35.000,2015-05-18 "
                      "17:21:36.000,00:00:01.000,TCP,10.0.0.1,6000,10.9.9.9,22,...AP..F,4,1,0,0\n"
                      "2015-05-18 17:21:37.000,2015-05-18 "
                      "17:21:37.000,00:00:00.000,TCP,10.0.0.1,6000,10.9.9.9,22,......S.,1,1,0,0\n");
    cr_flowlog_set s;
    cr_err e;
    CHECKF(fl_read(p, 1, &s, &e) == 0, "%s", e.msg);
    const cr_flowlog_file *f = &s.files[0];
    CHECK_INT(f->connections, 4);
    CHECK_INT(f->joined_continued, 2);
    CHECK_INT(f->joined_reply, 0);
    fl_counts c = fl_count(&s);
    CHECK(c.udp == 2 && c.tcp == 2 && c.fin == 1 && c.open == 1);
    const cr_flowlog_host *h = fl_host(&s, "10.0.0.1");
    /* sorted by start: UDP 01.000, TCP 02.000, TCP 97.000, UDP 161.200 */
    CHECK(h->flows[0].proto == CR_PROTO_UDP && h->flows[0].last_ms == base_ms() + 31200);
    CHECK(h->flows[1].proto == CR_PROTO_TCP && h->flows[1].end_ms == base_ms() + 96000);
    CHECK(h->flows[2].start_ms == base_ms() + 97000 && h->flows[2].reason == CR_REASON_OPEN);
    CHECK(h->flows[3].start_ms == base_ms() + 161200);
    cr_flowlog_set_free(&s);

    /* a gap of 20 s with join_gap_ms 10 s: two UDP connections */
    cr_flowlog_opts o;
    cr_flowlog_opts_init(&o);
    o.join_gap_ms = 10000;
    CHECKF(cr_flowlog_read(&p, 1, &o, &s, &e) == 0, "%s", e.msg);
    CHECK_INT(s.files[0].connections, 5);
    cr_flowlog_set_free(&s);
}

/* ---------------------------------------------------------------- against the pcap */

typedef struct {
    cr_flow f;                 /* the connection asked about */
    int64_t first[2];          /* first packet from f.src, from f.dst */
    int64_t fin_ms, rst_after; /* first FIN+ACK; a RST at or after it */
} probe;

/* Reads the capture's packets once for what each probe asks. */
static int probe_capture(const char *path, probe *pr, size_t n, cr_err *e)
{
    for (size_t i = 0; i < n; i++) {
        pr[i].first[0] = pr[i].first[1] = pr[i].fin_ms = CR_NA_I64;
        pr[i].rst_after = 0;
    }
    cr_source *s;
    if (cr_source_open(&s, path, e) != 0)
        return -1;
    cr_packet p;
    int rc;
    while ((rc = cr_source_next(s, &p, e)) == 1) {
        int64_t ms = cr_packet_ms(&p);
        for (size_t i = 0; i < n; i++) {
            const cr_flow *f = &pr[i].f;
            int d = -1;
            if (p.proto == f->proto && cr_addr_equal(&p.src, &f->src) && p.sport == f->sport &&
                cr_addr_equal(&p.dst, &f->dst) && p.dport == f->dport)
                d = 0;
            else if (p.proto == f->proto && cr_addr_equal(&p.src, &f->dst) && p.sport == f->dport &&
                     cr_addr_equal(&p.dst, &f->src) && p.dport == f->sport)
                d = 1;
            if (d < 0)
                continue;
            if (pr[i].first[d] == CR_NA_I64)
                pr[i].first[d] = ms;
            if (pr[i].fin_ms == CR_NA_I64 &&
                (p.flags & (CR_TH_FIN | CR_TH_ACK)) == (CR_TH_FIN | CR_TH_ACK))
                pr[i].fin_ms = ms;
            if (pr[i].fin_ms != CR_NA_I64 && (p.flags & CR_TH_RST))
                pr[i].rst_after = 1;
        }
    }
    cr_source_close(s);
    return rc < 0 ? -1 : 0;
}

static int64_t floordiv(int64_t a, int64_t b)
{
    return a / b - (a % b < 0);
}

/* By start second, then protocol and 5-tuple (not by ms: the logs in seconds floor them). */
static int by_tuple_second(const void *x, const void *y)
{
    const cr_flow *a = x, *b = y;
    int64_t sa = floordiv(a->start_ms, 1000), sb = floordiv(b->start_ms, 1000);
    if (sa != sb)
        return sa < sb ? -1 : 1;
    if (a->proto != b->proto)
        return a->proto < b->proto ? -1 : 1;
    int c = cr_addr_cmp(&a->src, &b->src);
    if (c)
        return c;
    if (a->sport != b->sport)
        return a->sport < b->sport ? -1 : 1;
    c = cr_addr_cmp(&a->dst, &b->dst);
    if (c)
        return c;
    return (a->dport > b->dport) - (a->dport < b->dport);
}

/* The capture's connections and the log's, matched by protocol, 5-tuple and start second. */
typedef struct {
    size_t matched, start_equal, packets_equal, reason_equal; /* start: at the log's resolution */
    size_t tcp[2], udp[2];                                    /* per side: capture, log */
    probe *only;                                              /* in one side only */
    size_t nonly;
    probe *reason_differs;
    size_t nreason;
} matching;

static void add_probe(probe **arr, size_t *n, const cr_flow *f)
{
    *arr = realloc(*arr, (*n + 1) * sizeof **arr);
    memset(&(*arr)[*n], 0, sizeof **arr);
    (*arr)[(*n)++].f = *f;
}

static matching match(const cr_flow *pc, size_t npc, const cr_flow *lg, size_t nlg, int64_t res)
{
    matching m = {0};
    cr_flow *a = malloc((npc + 1) * sizeof *a), *b = malloc((nlg + 1) * sizeof *b);
    memcpy(a, pc, npc * sizeof *a);
    memcpy(b, lg, nlg * sizeof *b);
    qsort(a, npc, sizeof *a, by_tuple_second);
    qsort(b, nlg, sizeof *b, by_tuple_second);
    size_t i = 0, j = 0;
    for (size_t k = 0; k < npc; k++)
        m.tcp[0] += a[k].proto == CR_PROTO_TCP, m.udp[0] += a[k].proto == CR_PROTO_UDP;
    for (size_t k = 0; k < nlg; k++)
        m.tcp[1] += b[k].proto == CR_PROTO_TCP, m.udp[1] += b[k].proto == CR_PROTO_UDP;
    while (i < npc || j < nlg) {
        int c = i == npc ? 1 : j == nlg ? -1 : by_tuple_second(&a[i], &b[j]);
        if (c == 0) {
            m.matched++;
            m.start_equal += b[j].start_ms == floordiv(a[i].start_ms, res) * res;
            m.packets_equal += a[i].packets == b[j].packets;
            if (a[i].reason == b[j].reason)
                m.reason_equal++;
            else
                add_probe(&m.reason_differs, &m.nreason, &a[i]);
            i++, j++;
        } else if (c <= 0) {
            add_probe(&m.only, &m.nonly, &a[i++]);
        } else {
            add_probe(&m.only, &m.nonly, &b[j++]);
        }
    }
    free(a);
    free(b);
    return m;
}

/* One log of ndpi-skype against the capture. Differences allowed, each checked on packets:
 *  - "resolution tie": a TCP connection whose two directions send their first packets within
 *    the same unit of the log's resolution; the capture's opener is the sender of the first
 *    packet, which the log cannot see, and the originator rule (or argus) took the client by
 *    its port. In the log as outbound and not in the capture, or the other way round.
 *  - "argus last state" (argus only): argus names a record by its last state, so a RST after
 *    the FIN that closed the connection shows as RST where the capture says fin. */
static void crosscheck(const char *rel, int64_t res, size_t ties, size_t last_state)
{
    const char *log = fl_sample(rel), *pcap_rel = "../captures/real/ndpi-skype.pcap";
    if (!log)
        SKIP("../shared is absent");
    const char *pcap = fl_sample(pcap_rel);
    fl_capture cap;
    cr_err e;
    CHECKF(fl_capture_load(&cap, pcap, &e) == 0, "%s", e.msg);
    cr_flowlog_set s;
    CHECKF(fl_read(log, 0, &s, &e) == 0, "%s", e.msg);
    CHECK_INT(s.files[0].resolution_ms, res);
    const cr_flowlog_host *h = fl_host(&s, "192.168.1.34");
    CHECK(h != NULL);
    matching m = match(cap.flows, cap.n, h->flows, h->nflows, res);
    CHECK_INT(m.nonly, ties);
    CHECK_INT(m.nreason, last_state);
    CHECK(probe_capture(pcap, m.only, m.nonly, &e) == 0);
    CHECK(probe_capture(pcap, m.reason_differs, m.nreason, &e) == 0);
    for (size_t k = 0; k < m.nonly; k++) {
        const probe *p = &m.only[k];
        CHECKF(p->f.proto == CR_PROTO_TCP && p->first[0] != CR_NA_I64 && p->first[1] != CR_NA_I64 &&
                   floordiv(p->first[0], res) == floordiv(p->first[1], res),
               "port %u: not a resolution tie (%lld, %lld)", p->f.sport, (long long)p->first[0],
               (long long)p->first[1]);
    }
    for (size_t k = 0; k < m.nreason; k++)
        CHECKF(m.reason_differs[k].f.reason == CR_REASON_FIN && m.reason_differs[k].rst_after,
               "port %u: reasons differ without a RST after the FIN", m.reason_differs[k].f.sport);
    /* matched connections: the same start (floored to the second where the log has seconds),
     * the same packets in both directions, the same close but for argus's last state */
    CHECK_INT(m.start_equal, m.matched);
    CHECK_INT(m.packets_equal, m.matched);
    CHECK_INT(m.matched + m.nreason, m.reason_equal + 2 * m.nreason);
    CHECK_INT(m.udp[0], m.udp[1]);
    printf("     %-28s TCP %zu/%zu UDP %zu/%zu (capture/log); %zu resolution ties, %zu argus "
           "last states\n",
           rel, m.tcp[0], m.tcp[1], m.udp[0], m.udp[1], m.nonly, m.nreason);
    free(m.only);
    free(m.reason_differs);
    cr_flowlog_set_free(&s);
    fl_capture_free(&cap);
}

static void nfdump_csv_vs_pcap(void)
{
    crosscheck("nfdump/ndpi-skype.nfdump.csv", 1000, 4, 0);
}
static void nfdump_fmt_vs_pcap(void)
{
    crosscheck("nfdump/ndpi-skype.nfdump.fmt.csv", 1, 1, 0);
}
static void nfdump_json_vs_pcap(void)
{
    crosscheck("nfdump/ndpi-skype.nfdump.json", 1, 1, 0);
}
static void argus_vs_pcap(void)
{
    crosscheck("argus/ndpi-skype.ra.csv", 1, 1, 8);
}

TEST_MAIN(RUN(bidirectional_and_originator); RUN(active_timeout); RUN(nfdump_csv_vs_pcap);
          RUN(nfdump_fmt_vs_pcap); RUN(nfdump_json_vs_pcap); RUN(argus_vs_pcap))
