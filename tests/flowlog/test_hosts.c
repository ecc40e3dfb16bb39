/* Inside hosts (lib/flowlog/hosts.c): local networks parsed, each rule that finds the inside
 * hosts on logs made for it, min_flows, several files at once (the window and resolution of
 * all of them), and connrate's flows table as an input. */
#include "flowlog_test.h"

#define HEAD                                                                                       \
    "#separator \\x09\n#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\t"             \
    "proto\tduration\tconn_state\n"
#define C(ts, orig, resp) ts "\tC\t" orig "\t40000\t" resp "\t443\ttcp\t1.5\tSF\n"

static cr_flowlog_set read_with(const char *path, const char *nets, size_t min_flows)
{
    cr_flowlog_set s;
    memset(&s, 0, sizeof s);
    cr_flowlog_opts o;
    cr_flowlog_opts_init(&o);
    cr_cidr *n = NULL;
    int k = 0;
    cr_err e;
    if (nets && cr_cidr_parse_list(nets, &n, &k, &e) < 0)
        return s;
    o.local_nets = n;
    o.nlocal_nets = k;
    o.min_flows = min_flows;
    if (cr_flowlog_read(&path, 1, &o, &s, &e) < 0)
        printf("     %s\n", e.msg);
    free(n);
    return s;
}

static void private_ranges(void)
{
    /* 10.0.0.1 opens 3, fd00::2 (ULA) 1, 100.64.0.9 (RFC 6598) 1; 8.8.8.8 one, inbound */
    const char *p = fl_write(
        "priv.log", HEAD C("1.0", "10.0.0.1", "1.1.1.1") C("2.0", "10.0.0.1", "1.1.1.2")
                        C("3.0", "10.0.0.1", "1.1.1.3") C("4.0", "fd00::2", "2001:db8::1")
                            C("5.0", "100.64.0.9", "1.1.1.1") C("6.0", "8.8.8.8", "10.0.0.1"));
    cr_flowlog_set s = read_with(p, NULL, 1);
    CHECK_INT(s.nhosts, 3);
    CHECK_STR(s.hosts[0].machine_id, "10.0.0.1");
    CHECK_STR(s.hosts[1].machine_id, "100.64.0.9");
    CHECK_STR(s.hosts[2].machine_id, "fd00::2");
    CHECK_INT(s.hosts[0].nflows, 3);
    CHECK_INT(s.not_outbound, 1);
    CHECK_STR(s.inside, "originators in private ranges (3 addresses opening 83% of the "
                        "connections)");
    /* every host observed over the file's window, whether it was busy or not */
    for (size_t h = 0; h < s.nhosts; h++)
        CHECK(s.hosts[h].first_ms == 1000 && s.hosts[h].last_ms == 7500);
    cr_flowlog_set_free(&s);

    /* min_flows 2 drops the two hosts with one connection each */
    s = read_with(p, NULL, 2);
    CHECK(s.nhosts == 1 && s.dropped_hosts == 2 && s.dropped_flows == 2);
    CHECK(s.files[0].hosts == 3 && s.files[0].dropped_hosts == 2);
    cr_flowlog_set_free(&s);

    /* given networks win */
    s = read_with(p, "8.8.8.0/24", 1);
    CHECK(s.nhosts == 1 && s.hosts[0].nflows == 1 && s.not_outbound == 5);
    CHECK_STR(s.inside, "the 1 local network given");
    cr_flowlog_set_free(&s);
}

static void busiest_prefix(void)
{
    /* public addresses: 141.142.0.0/16 is at an end of four connections; 1.1.0.0/16 of four
     * too, but opens none; 9.9.9.9 <-> 1.1.1.1 is outside; 141.142.9.9 only answers */
    const char *p = fl_write(
        "pub.log", HEAD C("1.0", "141.142.1.1", "1.1.1.1") C("2.0", "141.142.1.1", "1.1.1.2")
                       C("3.0", "141.142.2.2", "1.1.1.3") C("4.0", "8.8.8.8", "141.142.9.9")
                           C("5.0", "9.9.9.9", "1.1.1.1"));
    cr_flowlog_set s = read_with(p, NULL, 1);
    CHECK_INT(s.nhosts, 2);
    CHECK_STR(s.hosts[0].machine_id, "141.142.1.1");
    CHECK_STR(s.hosts[1].machine_id, "141.142.2.2");
    CHECK_INT(s.not_outbound, 2);
    CHECK_STR(s.inside, "originators in 141.142.0.0/16, the prefix at either end of the most "
                        "connections (80%), and in private ranges");
    cr_flowlog_set_free(&s);
}

static void zeek_local_orig(void)
{
    const char *p = fl_write("lo.log", "#separator \\x09\n#fields\tts\tid.orig_h\tid.orig_p\t"
                                       "id.resp_h\tid.resp_p\tproto\tlocal_orig\n"
                                       "1.0\t10.0.0.1\t1\t1.1.1.1\t53\tudp\tF\n"
                                       "2.0\t141.142.1.1\t2\t1.1.1.1\t53\tudp\tT\n"
                                       "3.0\t141.142.1.1\t3\t1.1.1.1\t53\tudp\tT\n"
                                       "4.0\t10.0.0.2\t4\t1.1.1.1\t53\tudp\t-\n");
    cr_flowlog_set s = read_with(p, NULL, 1);
    CHECK(s.nhosts == 1 && s.hosts[0].nflows == 2 && s.not_outbound == 2);
    CHECK_STR(s.hosts[0].machine_id, "141.142.1.1");
    CHECK_STR(s.inside, "Zeek's local_orig (T on 2 of 4 connections)");
    cr_flowlog_set_free(&s);
}

static void several_files(void)
{
    const char *a = fl_write("a.log", HEAD C("100.000001", "10.0.0.1", "1.1.1.1")
                                          C("101.000001", "10.0.0.2", "1.1.1.1"));
    /* the second file in whole seconds, later */
    const char *b =
        fl_write("b.csv", "ts,te,td,sa,da,sp,dp,pr,flg\n"
                          "1970-01-01 00:05:00,1970-01-01 00:05:02,2.000,10.0.0.1,1.1.1.9,1,"
                          "53,UDP,........\n");
    const char *paths[2] = {a, b};
    cr_flowlog_opts o;
    cr_flowlog_opts_init(&o);
    cr_flowlog_set s;
    cr_err e;
    CHECKF(cr_flowlog_read(paths, 2, &o, &s, &e) == 0, "%s", e.msg);
    CHECK_INT(s.nfiles, 2);
    CHECK_INT(s.nhosts, 2);
    const cr_flowlog_host *h = fl_host(&s, "10.0.0.1");
    CHECK(h && h->nflows == 2 && h->first_ms == 100000 && h->last_ms == 302000);
    CHECK_INT(h->resolution_ms, 1000);
    CHECK(s.files[0].hosts == 2 && s.files[1].hosts == 1);
    CHECK(s.files[0].resolution_ms == 1 && s.files[1].resolution_ms == 1000);
    cr_flowlog_set_free(&s);

    /* one bad file: the whole read fails, naming it */
    const char *bad = fl_write("bad.log", "nothing here\n");
    paths[1] = bad;
    CHECK(cr_flowlog_read(paths, 2, &o, &s, &e) < 0);
    CHECK(strstr(e.msg, "bad.log: not a flow or session log") && s.nhosts == 0);
}

/* `connrate flows` of a capture read back: the same connections, machine_id kept. */
static void flows_table(void)
{
    const char *pcap = fl_sample("../captures/real/ndpi-skype.pcap");
    if (!pcap)
        SKIP("../shared is absent");
    if (cr_test_sh("test -x '%s'", cr_test_bin()) != 0)
        SKIP("%s not built", cr_test_bin());
    char path[512];
    snprintf(path, sizeof path, "%s/flows.csv", cr_test_tmpdir());
    CHECK(cr_test_sh("%s flows -q -o '%s' '%s'", cr_test_bin(), path, pcap) == 0);
    fl_capture cap;
    cr_err e;
    CHECKF(fl_capture_load(&cap, pcap, &e) == 0, "%s", e.msg);
    cr_flowlog_set s = read_with(path, NULL, 1);
    CHECK_INT(s.files[0].format, CR_FLOWLOG_FLOWS);
    CHECK(s.nhosts == 1 && s.not_outbound == 0);
    CHECK_STR(s.hosts[0].machine_id, "ndpi-skype");
    CHECK_STR(s.inside, "the machines the flows table names");
    CHECK_INT(s.hosts[0].nflows, cap.n);
    for (size_t i = 0; i < cap.n; i++)
        CHECKF(fl_flow_equal(&s.hosts[0].flows[i], &cap.flows[i]), "flow %zu differs", i);
    cr_flowlog_set_free(&s);
    fl_capture_free(&cap);

    const char *p = fl_write(
        "bad_flows.csv",
        "machine_id,protocol,ip_version,src_ip,src_port,dst_ip,dst_port,start_ms,end_ms,last_ms,"
        "end_reason,packets\n"
        "ws1,tcp,4,10.0.0.1,1,10.9.9.9,80,1000,2000,2000,fin,3\n"
        "ws1,tcp,4,10.0.0.1,2,10.9.9.9,80,1000,2000,2000,ended,3\n"
        "ws1,tcp,4,10.0.0.1,3,10.9.9.9,80,3000,2000,2000,fin,3\n");
    s = read_with(p, NULL, 1);
    CHECK(s.nhosts == 1 && s.hosts[0].nflows == 2 && s.hosts[0].flows[1].reason == CR_REASON_ENDED);
    char want[512];
    snprintf(want, sizeof want, "%s:4: connection ends before start_ms 3000", p);
    CHECK_STR(fl_warning(&s.files[0], "bad row"), want);
    cr_flowlog_set_free(&s);
}

TEST_MAIN(RUN(private_ranges); RUN(busiest_prefix); RUN(zeek_local_orig);
          RUN(several_files); RUN(flows_table))
