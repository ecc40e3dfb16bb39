/* argus `ra` CSV and CTU-13 binetflow (lib/flowlog/argus.c): the samples with counts awk takes
 * from the same files, and malformed files with their exact warnings. (The ra file against the
 * capture it was made from is in test_join.c.) */
#include "flowlog_test.h"

static void ra_csv(void)
{
    const char *p = fl_sample("argus/ndpi-skype.ra.csv");
    if (!p)
        SKIP("../shared is absent");
    cr_flowlog_set s;
    cr_err e;
    CHECKF(fl_read(p, 1, &s, &e) == 0, "%s", e.msg);
    const cr_flowlog_file *f = &s.files[0];
    CHECK_INT(f->format, CR_FLOWLOG_ARGUS);
    CHECK_INT(f->resolution_ms, 1);
    CHECK_INT(f->records, cr_test_sh_count("tail -n +2 '%s' | wc -l", p));
    /* argus names UDP flows it takes for RTP by that: rtp and rtcp are UDP */
    CHECK_INT(fl_skipped(f, "not TCP or UDP"),
              cr_test_sh_count("awk -F, 'NR > 1 && $4 !~ /^(tcp|udp|rtp|rtcp)$/' '%s' | wc -l", p));
    /* status records joined: one connection per unordered 5-tuple (the capture reuses none),
     * open when no record of it says FIN or RST */
    long conns = cr_test_sh_count("awk -F, 'NR > 1 && $4 ~ /^(tcp|udp|rtp|rtcp)$/ { a = $5 \"|\" $6; "
                             "b = $8 \"|\" $9; k = ($4 == \"tcp\") \"|\" (a < b ? a \"|\" b : b "
                             "\"|\" a); if (!(k in n)) c++; n[k] = n[k] $10 } END { print c }' "
                             "'%s'",
                             p);
    long open = cr_test_sh_count("awk -F, 'NR > 1 && $4 == \"tcp\" { a = $5 \"|\" $6; b = $8 \"|\" $9; "
                            "k = a < b ? a \"|\" b : b \"|\" a; n[k] = n[k] $10 } END { for (k in "
                            "n) if (n[k] !~ /FIN|RST|CLO/) o++; print o }' '%s'",
                            p);
    fl_counts c = fl_count(&s);
    CHECK_INT(f->connections, conns);
    CHECK_INT(c.open, open);
    CHECK_INT(f->joined_continued, f->used - conns);
    cr_flowlog_set_free(&s);
}

static void binetflow(void)
{
    const char *p = fl_sample("argus/slips-test3-mixed.binetflow");
    if (!p)
        SKIP("../shared is absent");
    cr_flowlog_set s;
    cr_err e;
    CHECKF(fl_read(p, 1, &s, &e) == 0, "%s", e.msg);
    const cr_flowlog_file *f = &s.files[0];
    CHECK_INT(f->records, cr_test_sh_count("tail -n +2 '%s' | wc -l", p));
    CHECK_INT(fl_skipped(f, "not TCP or UDP"),
              cr_test_sh_count("awk -F, 'NR > 1 && $3 != \"tcp\" && $3 != \"udp\"' '%s' | wc -l", p));
    /* per unordered 5-tuple in file (start) order: a record whose originator sent a SYN after
     * the connection before it closed (F or R) is a new connection; open: none closed */
    const char *awk = "awk -F, 'NR > 1 && ($3 == \"tcp\" || $3 == \"udp\") { a = $4 \"|\" $5; "
                      "b = $7 \"|\" $8; k = $3 \"|\" (a < b ? a \"|\" b : b \"|\" a); split($9, "
                      "fl, \"_\"); if (!(k in cl) || ($3 == \"tcp\" && cl[k] && fl[1] ~ /S/)) { "
                      "c++; if (k in cl && !cl[k]) o--; cl[k] = 0; if ($3 == \"tcp\") o++ } if "
                      "($9 ~ /[FR]/ && !cl[k] && $3 == \"tcp\") { cl[k] = 1; o-- } } END { print "
                      "%s }' '%s'";
    CHECK_INT(f->connections, cr_test_sh_count(awk, "c", p));
    CHECK_INT(fl_count(&s).open, cr_test_sh_count(awk, "o", p));
    cr_flowlog_set_free(&s);

    /* inferred: 147.32.0.0/16 (the CTU network) is at an end of most connections; its
     * originators and the private ones are the hosts */
    CHECKF(fl_read(p, 0, &s, &e) == 0, "%s", e.msg);
    CHECK_INT(s.nhosts, cr_test_sh_count("awk -F, 'NR > 1 && ($3 == \"tcp\" || $3 == \"udp\") && $4 "
                                    "~ /^(147\\.32\\.|192\\.168\\.|10\\.)/ { print $4 }' '%s' | "
                                    "sort -u | wc -l",
                                    p));
    CHECK(!strncmp(s.inside, "originators in 147.32.0.0/16", 28));
    cr_flowlog_set_free(&s);
}

#define HEAD "StartTime,LastTime,Dur,Proto,SrcAddr,Sport,Dir,DstAddr,Dport,State,SrcPkts,DstPkts\n"

static void bad_records(void)
{
    const char *p = fl_write(
        "bad.csv", HEAD
        "1431969641.947863,1431969644.055126,2.107263,udp,10.0.0.1,1,   ->,10.9.9.9,53,INT,3,0\n"
        "14:00:00.075359,14:00:01.0,1.0,udp,10.0.0.1,2,   ->,10.9.9.9,53,INT,1,0\n"   /* 3 */
        "1431969641.9,1431969640.0,0,tcp,10.0.0.1,3,   ->,10.9.9.9,80,REQ,1,0\n"      /* 4 */
        "1431969641.9,1431969642.0,x,tcp,10.0.0.1,4,   ->,10.9.9.9,80,REQ,1,0\n"      /* 5 */
        "1431969641.9,1431969642.0,0.1,tcp,10.0.0.1,http,   ->,10.9.9.9,80,REQ,1,0\n" /* 6 */
        "1431969641.9,1431969642.0,0.1,tcp,10.0.0.1\n"                                /* 7 */
        "1431969641.9,1431969642.0,0.1,arp,10.0.0.1,,  who,10.9.9.9,,INT,1,0\n"       /* 8 */
        "StartTime,Dur,Proto,SrcAddr,Sport,Dir,DstAddr,Dport,State\n"                 /* 9 */
        "2018/12/18 14:00:00.527012,0.699716,tcp,10.0.0.1,52798,   ->,10.9.9.9,445,S_RA\n");
    cr_flowlog_set s;
    cr_err e;
    CHECKF(fl_read(p, 1, &s, &e) == 0, "%s", e.msg);
    const cr_flowlog_file *f = &s.files[0];
    CHECK_INT(f->records, 8);
    CHECK_INT(f->used, 2);
    char want[512];
    FL_WARN(f, p, "unparsable time", "3: StartTime '14:00:00.075359' has no date (print it with ra -u)");
    FL_WARN(f, p, "end before start", "4: LastTime 1431969640.0 before StartTime 1431969641.9");
    FL_WARN(f, p, "unparsable duration", "5: Dur 'x' is not seconds");
    FL_WARN(f, p, "bad port", "6: port 'http' is not 0..65535");
    FL_WARN(f, p, "wrong field count", "7: 5 fields, the header names 12");
    FL_WARN(f, p, "header changed mid-file", "9: the header differs from the first; the rows below are "
                                    "read by it");
    CHECK_INT(fl_skipped(f, "not TCP or UDP"), 1);
    /* the binetflow row after the new header: a refused SYN, 0.699716 s */
    const cr_flowlog_host *h = fl_host(&s, "10.0.0.1");
    CHECK(h && h->nflows == 2 && h->flows[1].reason == CR_REASON_RST);
    CHECK(h->dur[1].lo_ms == 699 && h->dur[1].hi_ms == 700);
    cr_flowlog_set_free(&s);

    static const struct {
        const char *text, *error;
    } fatal[] = {
        {"StartTime,Proto,SrcAddr,Sport,DstAddr,Dport\n1.0,tcp,10.0.0.1,1,10.9.9.9,2\n",
         ":1: no argus header (StartTime,...,Proto,SrcAddr,Sport,Dir,DstAddr,Dport,...)"},
        {HEAD "Apr 29 2013 12:59:50: %ASA-6-302013: Built outbound TCP connection 1\n",
         ":2: a cisco-asa line in a argus-csv file: a file must hold one format"},
    };
    for (size_t k = 0; k < sizeof fatal / sizeof fatal[0]; k++) {
        p = fl_write("fatal.csv", fatal[k].text);
        CHECKF(fl_read(p, 1, &s, &e) < 0, "case %zu accepted", k);
        snprintf(want, sizeof want, "%s%s", p, fatal[k].error);
        CHECK_STR(e.msg, want);
    }
}

TEST_MAIN(RUN(ra_csv); RUN(binetflow); RUN(bad_records))
