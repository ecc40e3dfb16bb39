/* Address text must be exactly tshark's ip.src / ipv6.src: checked against tshark itself on a
 * pcap of tricky IPv6 forms (zero-run compression, ties, IPv4-mapped and -compatible forms),
 * plus parsing round trips. */
#include <pcap/pcap.h>
#include <stdlib.h>
#include <string.h>

#include "ingest/addr.h"
#include "test.h"

static const char *const samples[] = {
    "::", "::1", "::2:3", "::1.2.3.4", "::ffff:1.2.3.4", "::ffff:0:1.2.3.4", "64:ff9b::1.2.3.4",
    "::ffff:0.0.0.0", "::0.0.1.0", "1::", "1:2::", "1::8", "1:0:0:2:0:0:0:3", "1:0:0:2:0:0:3:4",
    "1:0:2:0:3:0:4:0", "2001:db8:0:1:1:1:1:1", "fe80::211:22ff:fe33:4455",
    "2a01:cb01:2049:8b07:991d:ec85:28df:f629", "ff02::1:ff00:1", "0:1::", "::ffff:ffff:ffff",
    "1:2:3:4:5:6:7:8", "abcd:ef01:2345:6789:abcd:ef01:2345:6789", "0:0:1::",
    "::5efe:10.0.0.1", "2002:c000:204::1", "::1:0:0:0",
};
#define NSAMPLES (sizeof samples / sizeof *samples)

/* What tshark 4.0.17 printed for each sample (the same list is re-checked live below). */
static const char *const tshark_text[] = {
    "::", "::1", "::0.2.0.3", "::1.2.3.4", "::ffff:1.2.3.4", "::ffff:0:102:304",
    "64:ff9b::102:304", "::ffff:0.0.0.0", "::100", "1::", "1:2::", "1::8", "1:0:0:2::3",
    "1::2:0:0:3:4",
    "1:0:2:0:3:0:4:0", "2001:db8:0:1:1:1:1:1", "fe80::211:22ff:fe33:4455",
    "2a01:cb01:2049:8b07:991d:ec85:28df:f629", "ff02::1:ff00:1", "0:1::", "::ffff:255.255.255.255",
    "1:2:3:4:5:6:7:8", "abcd:ef01:2345:6789:abcd:ef01:2345:6789", "0:0:1::",
    "::5efe:a00:1", "2002:c000:204::1", "::1:0:0:0",
};

static void test_ipv4(void)
{
    cr_addr a;
    char s[CR_ADDR_STRLEN];
    CHECK(cr_addr_parse("192.168.1.104", 13, &a) == 0);
    CHECK_INT(a.family, 4);
    CHECK_INT(cr_addr_format(&a, s), 13);
    CHECK_STR(s, "192.168.1.104");
    CHECK(cr_addr_parse("0.0.0.0", 7, &a) == 0);
    cr_addr_format(&a, s);
    CHECK_STR(s, "0.0.0.0");
    CHECK(cr_addr_parse("255.255.255.255", 15, &a) == 0);
    cr_addr_format(&a, s);
    CHECK_STR(s, "255.255.255.255");
    CHECK(cr_addr_parse("256.1.1.1", 9, &a) != 0);
    CHECK(cr_addr_parse("1.2.3", 5, &a) != 0);
    CHECK(cr_addr_parse("1.2.3.4.5", 9, &a) != 0);
    CHECK(cr_addr_parse("", 0, &a) != 0);
    CHECK(cr_addr_parse("a.b.c.d", 7, &a) != 0);
}

static void test_ipv6_known_forms(void)
{
    for (size_t i = 0; i < NSAMPLES; i++) {
        cr_addr a;
        char s[CR_ADDR_STRLEN];
        CHECKF(cr_addr_parse(samples[i], strlen(samples[i]), &a) == 0, "parse %s", samples[i]);
        CHECK_INT(a.family, 6);
        cr_addr_format(&a, s);
        CHECK_STR(s, tshark_text[i]);
        cr_addr b;   /* the printed form parses back to the same address */
        CHECK(cr_addr_parse(s, strlen(s), &b) == 0);
        CHECK(cr_addr_equal(&a, &b));
    }
    cr_addr a;
    CHECK(cr_addr_parse("1::2::3", 7, &a) != 0);
    CHECK(cr_addr_parse("1:2:3:4:5:6:7:8:9", 17, &a) != 0);
    CHECK(cr_addr_parse(":1::", 4, &a) != 0);
    CHECK(cr_addr_parse("1:", 2, &a) != 0);
    CHECK(cr_addr_parse("12345::", 7, &a) != 0);
}

static void test_order(void)
{
    cr_addr a, b, c;
    cr_addr_parse("10.0.0.1", 8, &a);
    cr_addr_parse("10.0.0.2", 8, &b);
    cr_addr_parse("::1", 3, &c);
    CHECK(cr_addr_cmp(&a, &b) < 0);
    CHECK(cr_addr_cmp(&b, &a) > 0);
    CHECK(cr_addr_cmp(&a, &a) == 0);
    CHECK(cr_addr_cmp(&b, &c) < 0);   /* IPv4 before IPv6 */
    CHECK(!cr_addr_equal(&a, &b));
}

/* Raw-IP IPv6 packets (no transport) with each sample as source, printed by tshark. */
static void test_against_tshark(void)
{
    if (cr_test_sh("command -v tshark >/dev/null 2>&1") != 0)
        SKIP("tshark not installed");
    char path[4096], out[4096];
    snprintf(path, sizeof path, "%s/addr.pcap", cr_test_tmpdir());
    snprintf(out, sizeof out, "%s/addr.txt", cr_test_tmpdir());
    pcap_t *dead = pcap_open_dead(DLT_RAW, 65535);
    pcap_dumper_t *dump = pcap_dump_open(dead, path);
    CHECK(dump != NULL);
    char expect[8192] = "";
    size_t en = 0;
    for (size_t i = 0; i < NSAMPLES; i++) {
        uint8_t pkt[40] = {0x60, 0, 0, 0, 0, 0, 59, 64};
        cr_addr a;
        CHECK(cr_addr_parse(samples[i], strlen(samples[i]), &a) == 0);
        memcpy(pkt + 8, a.b, 16);
        memcpy(pkt + 24, a.b, 16);
        struct pcap_pkthdr h = {{1700000000, 0}, sizeof pkt, sizeof pkt};
        pcap_dump((u_char *)dump, &h, pkt);
        char s[CR_ADDR_STRLEN];
        cr_addr_format(&a, s);
        en += (size_t)snprintf(expect + en, sizeof expect - en, "%s\n", s);
    }
    pcap_dump_close(dump);
    pcap_close(dead);
    CHECK_INT(cr_test_sh("tshark -n -r %s -T fields -e ipv6.src > %s 2>/dev/null", path, out), 0);
    size_t len;
    char *got = cr_test_slurp(out, &len);
    CHECK(got != NULL);
    CHECK_STR(expect, got);
    free(got);
}

TEST_MAIN(RUN(test_ipv4); RUN(test_ipv6_known_forms); RUN(test_order); RUN(test_against_tshark))
