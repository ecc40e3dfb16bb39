/* Firewall timeout profiles (lib/firewall/profiles.c): the values against the research notes'
 * table (../shared/notes/firewall-domain.md §2, transcribed here and also looked up in the
 * notes' own rows), the hold-time rule per connection, DNS, overrides and their errors, logs per
 * session, and the one-line descriptions. */
#include "test.h"

#include <stdlib.h>

#include "common/err.h"
#include "firewall/profiles.h"
#include "flows/flows.h"
#include "ingest/packet.h"

/* Transcribed from the notes (§0 summary and §2 table): FIN hold, RST hold, TCP idle, UDP idle,
 * DNS hold (-1: torn down on reply), logs per session, interim log interval. */
static const struct {
    const char *name, *row; /* row: how the notes' §2 table row starts ("" for none) */
    double fin, rst, idle, udp, dns;
    int logs;
    double interim;
} expected[] = {
    {"none", "", 0, 0, 0, 0, 0, 1, 0},
    {"linux", "| **Linux conntrack**", 120, 10, 432000, 30, 30, 1, 0},
    {"pf", "| **pf**", 45, 90, 86400, 60, 60, 1, 0},
    {"paloalto", "| **Palo Alto PAN-OS**", 15, 30, 3600, 30, 30, 1, 0},
    {"fortigate", "| **FortiGate**", 1, 1, 3600, 180, 180, 1, 120},
    {"asa", "| **Cisco ASA**", 60, 60, 3600, 120, -1, 2, 0},
    {"checkpoint", "| **Check Point**", 20, 20, 3600, 40, 40, 1, 0},
};
enum { NPROF = sizeof expected / sizeof expected[0] };

static void get(const char *name, cr_fw_profile *p)
{
    cr_err e;
    if (cr_fw_profile_get(p, name, &e) < 0) {
        fprintf(stderr, "%s\n", e.msg);
        abort();
    }
}

static void test_table_matches_notes(void)
{
    size_t n;
    const cr_fw_profile *all = cr_fw_profiles(&n);
    CHECK_INT(n, NPROF);
    CHECK_STR(all[0].name, "none");
    for (int i = 0; i < NPROF; i++) {
        cr_fw_profile p;
        get(expected[i].name, &p);
        CHECK_STR(p.name, expected[i].name);
        CHECK_NEAR(p.tcp_fin_hold, expected[i].fin, 0);
        CHECK_NEAR(p.tcp_rst_hold, expected[i].rst, 0);
        CHECK_NEAR(p.tcp_idle, expected[i].idle, 0);
        CHECK_NEAR(p.udp_idle, expected[i].udp, 0);
        CHECK_INT(p.dns_on_reply, expected[i].dns < 0);
        if (expected[i].dns >= 0)
            CHECK_NEAR(p.dns_timeout, expected[i].dns, 0);
        CHECK_INT(p.logs_per_session, expected[i].logs);
        CHECK_NEAR(p.interim_log_every, expected[i].interim, 0);
    }
    cr_fw_profile p;
    get("linux", &p);
    CHECK_NEAR(p.udp_stream_idle, 120, 0);
}

/* Every timer a profile uses must be printed in its platform's row of the notes' table (as a
 * number of seconds, "1:00:00" style for ASA's conn timeout). */
static void test_numbers_appear_in_notes_rows(void)
{
    const char *shared = cr_test_shared();
    if (!shared)
        SKIP("no shared reference folder");
    char path[512];
    snprintf(path, sizeof path, "%s/notes/firewall-domain.md", shared);
    char *notes = cr_test_slurp(path, NULL);
    if (!notes)
        SKIP("%s unreadable", path);
    for (int i = 1; i < NPROF; i++) {
        char *row = strstr(notes, expected[i].row), *end;
        CHECKF(row != NULL, "no row %s in the notes", expected[i].row);
        end = strchr(row, '\n');
        *end = 0;
        double v[] = {expected[i].fin, expected[i].rst, expected[i].idle, expected[i].udp};
        for (size_t j = 0; j < sizeof v / sizeof v[0]; j++) {
            char num[32];
            snprintf(num, sizeof num, "%g", v[j]);
            /* ASA's row has "1:00:00 = 3600", FortiGate's RST is "–" (the 1 s FIN timer is
             * reused, as the notes' §0 summary says "FIN/RST ... 1 s on FortiGate") */
            int found = 0;
            for (const char *s = row; (s = strstr(s, num)) != NULL; s++)
                if ((s == row || !strchr("0123456789.", s[-1])) &&
                    !strchr("0123456789.", s[strlen(num)]))
                    found = 1;
            CHECKF(found, "%s: %s s not in the notes' row", expected[i].name, num);
        }
        *end = '\n';
    }
    free(notes);
}

static void test_hold_rule(void)
{
    cr_fw_profile p;
    get("paloalto", &p);
    CHECK_NEAR(cr_fw_hold(&p, CR_PROTO_TCP, CR_REASON_FIN, 443, 5), 15, 0);
    CHECK_NEAR(cr_fw_hold(&p, CR_PROTO_TCP, CR_REASON_RST, 443, 5), 30, 0);
    CHECK_NEAR(cr_fw_hold(&p, CR_PROTO_TCP, CR_REASON_OPEN, 443, 5), 3600, 0);
    CHECK_NEAR(cr_fw_hold(&p, CR_PROTO_UDP, CR_REASON_UDP_LAST, 443, 5), 30, 0);
    /* TCP to port 53 is not the DNS rule */
    CHECK_NEAR(cr_fw_hold(&p, CR_PROTO_TCP, CR_REASON_FIN, 53, 0.1), 15, 0);
    get("linux", &p);
    CHECK_NEAR(cr_fw_hold(&p, CR_PROTO_UDP, CR_REASON_UDP_LAST, 123, 0.05), 30, 0);
    CHECK_NEAR(cr_fw_hold(&p, CR_PROTO_UDP, CR_REASON_UDP_LAST, 443, 1.99), 30, 0);
    CHECK_NEAR(cr_fw_hold(&p, CR_PROTO_UDP, CR_REASON_UDP_LAST, 443, 2), 120, 0);
    CHECK_NEAR(cr_fw_hold(&p, CR_PROTO_UDP, CR_REASON_UDP_LAST, 53, 10), 30, 0);
    CHECK_NEAR(cr_fw_hold(&p, CR_PROTO_TCP, CR_REASON_OPEN, 22, 10), 432000, 0);
    get("none", &p);
    CHECK_NEAR(cr_fw_hold(&p, CR_PROTO_TCP, CR_REASON_OPEN, 22, 10), 0, 0);
    CHECK_NEAR(cr_fw_hold(&p, CR_PROTO_UDP, CR_REASON_UDP_LAST, 53, 10), 0, 0);
}

static void test_dns(void)
{
    cr_fw_profile p;
    cr_err e;
    get("asa", &p);
    CHECK_NEAR(cr_fw_hold(&p, CR_PROTO_UDP, CR_REASON_UDP_LAST, 53, 0.02), 0, 0);
    CHECK_NEAR(cr_fw_hold(&p, CR_PROTO_UDP, CR_REASON_UDP_LAST, 5353, 0.02), 120, 0);
    /* a UDP timer override leaves ASA's DNS teardown alone */
    CHECK(cr_fw_override(&p, "--udp-timeout", "90", &e) == 0);
    CHECK_NEAR(cr_fw_hold(&p, CR_PROTO_UDP, CR_REASON_UDP_LAST, 53, 0.02), 0, 0);
    CHECK_NEAR(cr_fw_hold(&p, CR_PROTO_UDP, CR_REASON_UDP_LAST, 54, 0.02), 90, 0);
    CHECK(cr_fw_override(&p, "--dns-timeout", "5s", &e) == 0);
    CHECK_NEAR(cr_fw_hold(&p, CR_PROTO_UDP, CR_REASON_UDP_LAST, 53, 0.02), 5, 0);
    get("fortigate", &p);
    CHECK_NEAR(cr_fw_hold(&p, CR_PROTO_UDP, CR_REASON_UDP_LAST, 53, 0.02), 180, 0);
    CHECK(cr_fw_override(&p, "--udp-timeout", "1m", &e) == 0);
    CHECK_NEAR(cr_fw_hold(&p, CR_PROTO_UDP, CR_REASON_UDP_LAST, 53, 0.02), 60, 0);
}

static void test_overrides(void)
{
    cr_fw_profile p;
    cr_err e;
    get("linux", &p);
    CHECK(cr_fw_override(&p, "--tcp-fin-hold", "0", &e) == 0);
    CHECK(cr_fw_override(&p, "--tcp-rst-hold", "2.5", &e) == 0);
    CHECK(cr_fw_override(&p, "--udp-timeout", "1h", &e) == 0);
    CHECK_NEAR(cr_fw_hold(&p, CR_PROTO_TCP, CR_REASON_FIN, 80, 1), 0, 0);
    CHECK_NEAR(cr_fw_hold(&p, CR_PROTO_TCP, CR_REASON_RST, 80, 1), 2.5, 0);
    /* one UDP timer now: the stream rule is gone */
    CHECK_NEAR(cr_fw_hold(&p, CR_PROTO_UDP, CR_REASON_UDP_LAST, 443, 100), 3600, 0);
    CHECK_NEAR(cr_fw_hold(&p, CR_PROTO_UDP, CR_REASON_UDP_LAST, 53, 0), 3600, 0);
    double v;
    CHECK(cr_fw_parse_seconds("--x", "2d", 31 * 86400.0, &v, &e) == 0);
    CHECK_NEAR(v, 172800, 0);
    CHECK(cr_fw_parse_seconds("--x", "31d", 31 * 86400.0, &v, &e) == 0);

    static const struct {
        const char *opt, *arg, *expect;
    } bad[] = {
        {"--udp-timeout", "", "--udp-timeout: '' is not a duration"},
        {"--udp-timeout", "-5", "'-5' is not a duration"},
        {"--tcp-fin-hold", "abc", "--tcp-fin-hold: 'abc' is not"},
        {"--tcp-rst-hold", "5 s", "'5 s' is not"},
        {"--dns-timeout", "3x", "'3x' is not"},
        {"--dns-timeout", "1ms", "'1ms' is not"},
        {"--udp-timeout", "nan", "'nan' is not"},
        {"--udp-timeout", "0x10", "'0x10' is not"},
        {"--udp-timeout", ".", "'.' is not"},
        {"--udp-timeout", "32d", "longer than 31 days"},
        {"--udp-timeout", "1e3", "'1e3' is not"},
        {"--udp-timeout", "1.2.3", "'1.2.3' is not"},
        {"--udp-timeout", "99999999999999", "longer than 31 days"},
        {"--icmp-timeout", "5", "--icmp-timeout: not a firewall timeout option"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cr_fw_profile q;
        get("pf", &q);
        e.msg[0] = 0;
        CHECKF(cr_fw_override(&q, bad[i].opt, bad[i].arg, &e) < 0, "%s %s accepted", bad[i].opt,
               bad[i].arg);
        CHECKF(strstr(e.msg, bad[i].expect) != NULL, "error \"%s\" lacks \"%s\"", e.msg,
               bad[i].expect);
        CHECK(strchr(e.msg, '\n') == NULL);
        CHECK_NEAR(q.udp_idle, 60, 0);
        CHECK_NEAR(q.dns_timeout, 60, 0);
    }
    CHECK(cr_fw_profile_get(&p, "sonicwall", &e) < 0);
    CHECK(strstr(e.msg, "'sonicwall'") && strstr(e.msg, "none, linux, pf, paloalto, fortigate, "
                                                        "asa, checkpoint"));
}

static void test_logs_per_session(void)
{
    cr_fw_profile p;
    get("asa", &p);
    CHECK_NEAR(cr_fw_logs(&p, 0), 2, 0);
    CHECK_NEAR(cr_fw_logs(&p, 5000), 2, 0);
    get("paloalto", &p);
    CHECK_NEAR(cr_fw_logs(&p, 5000), 1, 0);
    /* FortiGate: sessions under 2 min give one log each (KB 393381), longer ones one interim
     * log per full 2 min they are still alive */
    get("fortigate", &p);
    CHECK_NEAR(cr_fw_logs(&p, 0), 1, 0);
    CHECK_NEAR(cr_fw_logs(&p, 119), 1, 0);
    CHECK_NEAR(cr_fw_logs(&p, 120), 1, 0);
    CHECK_NEAR(cr_fw_logs(&p, 121), 2, 0);
    CHECK_NEAR(cr_fw_logs(&p, 3601), 31, 0);
}

static void test_descriptions(void)
{
    size_t n;
    const cr_fw_profile *all = cr_fw_profiles(&n);
    for (size_t i = 0; i < n; i++) {
        char buf[1024];
        int len = cr_fw_describe(&all[i], buf, sizeof buf);
        CHECKF(len > 0 && (size_t)len < sizeof buf, "%s: length %d", all[i].name, len);
        CHECK(strchr(buf, '\n') == NULL);
        CHECK(strncmp(buf, all[i].name, strlen(all[i].name)) == 0);
        CHECK(strstr(buf, "; sources: ") != NULL);
        CHECK(strlen(strstr(buf, "; sources: ")) > 20);
        printf("     %s\n", buf);
    }
    cr_fw_profile p;
    char buf[1024];
    get("asa", &p);
    cr_fw_describe(&p, buf, sizeof buf);
    CHECK(strstr(buf, "DNS torn down on reply") && strstr(buf, "logs/session 2"));
    get("fortigate", &p);
    cr_fw_describe(&p, buf, sizeof buf);
    CHECK(strstr(buf, "logs/session 1 + 1 per 120 s alive") && strstr(buf, "UDP idle 180 s"));
}

TEST_MAIN(RUN(test_table_matches_notes); RUN(test_numbers_appear_in_notes_rows);
          RUN(test_hold_rule); RUN(test_dns); RUN(test_overrides); RUN(test_logs_per_session);
          RUN(test_descriptions))
