/* The flows reader (lib/flows/flows_read.c): a table with every protocol and end reason, and
 * one error per malformed field, each naming the file. */
#include "test.h"

#include <stdlib.h>

#include "flows/flows_read.h"
#include "ingest/packet.h"

static const char *HEADER = "machine_id,protocol,ip_version,src_ip,src_port,dst_ip,dst_port,"
                            "start_ms,end_ms,last_ms,end_reason,packets\n";

static const char *write_tmp(const char *name, const char *head, const char *body)
{
    static char path[512];
    snprintf(path, sizeof path, "%s/%s", cr_test_tmpdir(), name);
    FILE *f = fopen(path, "w");
    if (!f)
        return NULL;
    fputs(head, f);
    fputs(body, f);
    fclose(f);
    return path;
}

static void test_read_flows(void)
{
    const char *p = write_tmp("ok.csv", HEADER,
                              "ws01,tcp,4,10.0.0.2,50000,1.2.3.4,443,1000,5000,5100,fin,12\r\n"
                              "ws01,tcp,6,fe80::1,50001,2001:db8::1,80,2000,,9000,open,3\n"
                              "ws02,udp,4,10.0.0.9,5353,224.0.0.251,53,3000,3000,3010,udp_last,2\n"
                              "ws01,tcp,4,10.0.0.2,50002,1.2.3.4,443,4000,4000,4000,rst,1\n\n");
    cr_flow_table t;
    cr_err e;
    CHECKF(cr_flows_read(&t, p, &e) == 0, "%s", e.msg);
    CHECK_INT(t.n, 4);
    CHECK_INT(t.nmachines, 2);
    CHECK_STR(t.machine_ids[1], "ws02");
    CHECK_INT(t.machine[2], 1);
    CHECK_INT(t.flows[0].proto, CR_PROTO_TCP);
    CHECK_INT(t.flows[0].end_ms, 5000);
    CHECK_INT(t.flows[0].packets, 12);
    CHECK_INT(t.flows[1].ipver, 6);
    CHECK_INT(t.flows[1].end_ms, CR_NA_I64);
    CHECK_INT(t.flows[1].reason, CR_REASON_OPEN);
    CHECK_INT(t.flows[2].dport, 53);
    CHECK_INT(t.flows[2].reason, CR_REASON_UDP_LAST);
    CHECK_INT(t.flows[3].reason, CR_REASON_RST);
    CHECK_INT(t.last_seen_ms[0], 9000);
    CHECK_INT(t.last_seen_ms[1], 3010);

    cr_flow_table_free(&t);
}

static void test_read_flows_errors(void)
{
    static const struct {
        const char *head, *body, *expect;
    } cases[] = {
        {"", "", "empty file"},
        {"machine_id,protocol\n", "", "not a flows table"},
        {NULL, "a,tcp,4,1.2.3.4,1,5.6.7.8,2,10,20,20,fin\n", ":2: 11 fields, expected 12"},
        {NULL, "a,tcp,4,1.2.3.4,1,5.6.7.8,2,10,20,20,fin,1,x\n", "13 fields"},
        {NULL, ",tcp,4,1.2.3.4,1,5.6.7.8,2,10,20,20,fin,1\n", "empty machine_id"},
        {NULL, "a,icmp,4,1.2.3.4,1,5.6.7.8,2,10,20,20,fin,1\n", "protocol 'icmp' is not tcp"},
        {NULL, "a,tcp,5,1.2.3.4,1,5.6.7.8,2,10,20,20,fin,1\n", "ip_version '5'"},
        {NULL, "a,tcp,4,1.2.3,1,5.6.7.8,2,10,20,20,fin,1\n", "src_ip '1.2.3' is not an IP"},
        {NULL, "a,tcp,4,1.2.3.4,1,::1,2,10,20,20,fin,1\n", "dst_ip '::1' is not IPv4"},
        {NULL, "a,tcp,4,1.2.3.4,65536,5.6.7.8,2,10,20,20,fin,1\n", "src_port '65536'"},
        {NULL, "a,tcp,4,1.2.3.4,1,5.6.7.8,-2,10,20,20,fin,1\n", "dst_port '-2'"},
        {NULL, "a,tcp,4,1.2.3.4,1,5.6.7.8,2,1e3,20,20,fin,1\n", "start_ms '1e3'"},
        {NULL, "a,tcp,4,1.2.3.4,1,5.6.7.8,2,10,,20,fin,1\n", "end_ms '' is not a time"},
        {NULL, "a,tcp,4,1.2.3.4,1,5.6.7.8,2,10,20,20,open,1\n", "end_ms '20' given for an open"},
        {NULL, "a,tcp,4,1.2.3.4,1,5.6.7.8,2,10,20,20,udp_last,1\n", "fin, rst or open (tcp)"},
        {NULL, "a,udp,4,1.2.3.4,1,5.6.7.8,2,10,20,20,fin,1\n", "udp_last (udp)"},
        {NULL, "a,tcp,4,1.2.3.4,1,5.6.7.8,2,10,5,20,fin,1\n", "ends before start_ms 10"},
        {NULL, "a,tcp,4,1.2.3.4,1,5.6.7.8,2,10,20,9,fin,1\n", "ends before start_ms 10"},
        {NULL, "a,udp,4,1.2.3.4,1,5.6.7.8,2,10,30,20,udp_last,1\n", "after last_ms 20"},
        {NULL, "a,tcp,4,1.2.3.4,1,5.6.7.8,2,10,20,20,fin,0\n", "packets '0'"},
        {NULL, "a,tcp,4,1.2.3.4,1,5.6.7.8,2,10,20,20,fin,\n", "packets ''"},
    };
    cr_err e;
    cr_flow_table t;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *p = write_tmp("bad.csv", cases[i].head ? cases[i].head : HEADER, cases[i].body);
        CHECKF(cr_flows_read(&t, p, &e) < 0, "case %zu accepted", i);
        CHECKF(strstr(e.msg, cases[i].expect) && strstr(e.msg, "bad.csv"),
               "case %zu: \"%s\" lacks \"%s\"", i, e.msg, cases[i].expect);
        CHECK(strchr(e.msg, '\n') == NULL);
        CHECK(t.n == 0 && t.flows == NULL);
    }
    CHECK(cr_flows_read(&t, "/nonexistent/flows.csv", &e) < 0);
    CHECK(strstr(e.msg, "/nonexistent/flows.csv: No such file"));
}

TEST_MAIN(RUN(test_read_flows); RUN(test_read_flows_errors))
