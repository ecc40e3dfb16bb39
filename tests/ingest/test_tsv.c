#include <stdio.h>
#include <stdlib.h>

#include "ingest/source.h"
#include "test.h"

static const char *write_file(const char *name, const char *text)
{
    static char p[512];
    snprintf(p, sizeof p, "%s/%s", cr_test_tmpdir(), name);
    FILE *f = fopen(p, "w");
    fputs(text, f);
    fclose(f);
    return p;
}

static void tshark_field_names(void)
{
    const char *p = write_file(
        "t.tsv",
        "frame.number\tframe.time_epoch\tip.version\tip.src\tipv6.src\tip.dst\tipv6.dst\t"
        "tcp.srcport\tudp.srcport\ttcp.dstport\tudp.dstport\ttcp.time_relative\ttcp.completeness\n"
        "1\t1700000000.001999999\t4\t10.0.0.1\t\t10.0.0.2\t\t40000\t\t443\t\t0.000000000\t0\n"
        "2\t1700000001.5\t6\t\t2001:db8::1\t\t2001:db8::2\t\t5353\t\t53\t\t\n"
        "3\t1700000002.000000000\t4\t10.0.0.1\t\t10.0.0.9\t\t\t\t\t\t\t\n");
    cr_source *s;
    cr_err e;
    CHECKF(cr_source_open(&s, p, &e) == 0, "%s", e.msg);
    cr_packet k;
    CHECK(cr_source_next(s, &k, &e) == 1);
    CHECK_INT(k.id, 1);
    CHECK_INT(k.ts_ns, 1700000000001999999LL);
    CHECK_INT(cr_packet_ms(&k), 1700000000001LL);
    CHECK_INT(k.proto, CR_PROTO_TCP);
    CHECK_INT(k.sport, 40000);
    CHECK_INT(k.completeness, 0);
    CHECK_INT(k.rel_ns, 0);
    CHECK(cr_source_next(s, &k, &e) == 1);
    CHECK_INT(k.proto, CR_PROTO_UDP);
    CHECK_INT(k.ipver, 6);
    CHECK_INT(k.dport, 53);
    CHECK_INT(k.completeness, -1);
    CHECK(cr_source_next(s, &k, &e) == 0); /* row 3 is neither TCP nor UDP */
    CHECK_INT(s->ndrops, 1);
    CHECK_INT(s->drops[0].n, 1);
    cr_source_close(s);
}

static void seed_names_csv_with_quotes_and_na(void)
{
    const char *p = write_file(
        "s.csv",
        "id,timestamp,protocol,ip_version,src_ip,dst_ip,src_port,dst_port,tcp_time_relative,"
        "tcp_completeness\r\n"
        "\"7\",1431969641947,\"tcp\",4,192.168.1.34,8.8.8.8,49163,443,0.000134084,1\r\n"
        "8,1431969641948,udp,4,192.168.1.34,8.8.8.8,49163,53,NA,NA\r\n");
    cr_source *s;
    cr_err e;
    CHECKF(cr_source_open(&s, p, &e) == 0, "%s", e.msg);
    CHECK_STR(s->kind, "csv");
    cr_packet k;
    CHECK(cr_source_next(s, &k, &e) == 1);
    CHECK_INT(k.id, 7);
    CHECK_INT(k.ts_ns, 1431969641947000000LL);
    CHECK_INT(k.rel_ns, 134084);
    CHECK_INT(k.completeness, 1);
    CHECK(cr_source_next(s, &k, &e) == 1);
    CHECK_INT(k.proto, CR_PROTO_UDP);
    CHECK(cr_source_next(s, &k, &e) == 0);
    cr_source_close(s);
}

static void expect_error(const char *name, const char *text, const char *needle)
{
    const char *p = write_file(name, text);
    cr_source *s;
    cr_err e;
    int rc = cr_source_open(&s, p, &e);
    if (rc == 0) {
        cr_packet k;
        while ((rc = cr_source_next(s, &k, &e)) == 1)
            ;
        cr_source_close(s);
        CHECKF(rc < 0, "%s: no error", name);
    }
    CHECKF(strstr(e.msg, p) != NULL, "error does not name the file: %s", e.msg);
    CHECKF(strstr(e.msg, needle) != NULL, "error '%s' lacks '%s'", e.msg, needle);
    CHECKF(strchr(e.msg, '\n') == NULL, "error is not one line: %s", e.msg);
}

static void bad_input_is_named(void)
{
    expect_error("missing.csv", "id,timestamp,protocol\n1,2,tcp\n", "missing columns");
    expect_error("empty.tsv", "", "empty file");
    expect_error("ts.csv",
                 "timestamp,protocol,ip_version,src_ip,dst_ip,src_port,dst_port,tcp_completeness\n"
                 "abc,tcp,4,1.2.3.4,5.6.7.8,1,2,0\n",
                 "timestamp = 'abc'");
    expect_error("na.csv",
                 "timestamp,protocol,ip_version,src_ip,dst_ip,src_port,dst_port,tcp_completeness\n"
                 "1000,tcp,4,1.2.3.4,5.6.7.8,NA,2,0\n",
                 "src_port is NA");
    expect_error("port.csv",
                 "timestamp,protocol,ip_version,src_ip,dst_ip,src_port,dst_port,tcp_completeness\n"
                 "1000,tcp,4,1.2.3.4,5.6.7.8,70000,2,0\n",
                 "not a port number");
    expect_error("ip.csv",
                 "timestamp,protocol,ip_version,src_ip,dst_ip,src_port,dst_port,tcp_completeness\n"
                 "1000,tcp,4,1.2.3.999,5.6.7.8,1,2,0\n",
                 "not an IP address");
    expect_error("fields.csv",
                 "timestamp,protocol,ip_version,src_ip,dst_ip,src_port,dst_port,tcp_completeness\n"
                 "1000,tcp,4,1.2.3.4\n",
                 "line 2: 4 fields, the header has 8");
    /* found by fuzz_tsv: values that overflow the nanosecond clock */
    expect_error("huge.tsv", "frame.time_epoch\tip.src\tip.dst\ttcp.srcport\tudp.srcport\t"
                 "tcp.dstport\tudp.dstport\ttcp.completeness\n"
                 "17957609745082346.5\t1.2.3.4\t5.6.7.8\t1\t\t2\t\t0\n",
                 "not a time in seconds");
    expect_error("exp.tsv", "frame.time_epoch\tip.src\tip.dst\ttcp.srcport\tudp.srcport\t"
                 "tcp.dstport\tudp.dstport\ttcp.completeness\n"
                 "1.7e21\t1.2.3.4\t5.6.7.8\t1\t\t2\t\t0\n",
                 "not a time in seconds");
    expect_error("binary.dat", "\x01\x02\x00\x03junk", "not a capture");
}

TEST_MAIN(RUN(tshark_field_names); RUN(seed_names_csv_with_quotes_and_na);
          RUN(bad_input_is_named))
