/* The CPS table of flow records (cr_cps_from_flows) against the CPS table of the capture they
 * were made from (ndpi-skype, whose table agrees with tshark and the seed's R): the same new
 * connections per second but for the documented resolution tie (docs/flowlogs.md), the same UDP
 * ends, and the same TCP closes, each at the connection's last packet, which a flow record
 * shows, instead of its first FIN or RST, which only the packets show: never earlier. */
#include <stdio.h>

#include "test.h"

#define CAPTURE "%s/captures/real/ndpi-skype.pcap"

/* Column col (5 tcp_new, 6 udp_new, 7 tcp_end, 8 udp_end) of the two tables side by side:
 * the seconds where they differ. */
#define DIFFERING "paste -d, %s/flows.csv %s/pcap.csv | awk -F, -v c=%d 'NR > 1 && $c != $(c + 8)' | wc -l"

#define DIFFERING_KEYS "paste -d, %s/flows.csv %s/pcap.csv | awk -F, '$1 $2 $3 $4 != $9 $10 $11 $12' | wc -l"

static const char *export_of(const char *rel)
{
    const char *sh = cr_test_shared();
    if (!sh)
        return NULL;
    static char p[1024];
    snprintf(p, sizeof p, "%s/flowlogs/%s", sh, rel);
    return p;
}

static void agrees_with_capture(const char *rel, int tcp_new_ties)
{
    const char *p = export_of(rel);
    if (!p)
        SKIP("../shared is absent");
    const char *t = cr_test_tmpdir();
    CHECK(cr_test_sh("%s cps -q -o %s/pcap.csv " CAPTURE, cr_test_bin(), t,
                     cr_test_shared()) == 0);
    /* the workstation alone: the export also holds the capture's two other senders */
    CHECK(cr_test_sh("%s cps -q --local-nets 192.168.1.34/32 -o %s/raw.csv '%s'", cr_test_bin(),
                     t, p) == 0);
    CHECK(cr_test_sh("sed 's/^192\\.168\\.1\\.34,/ndpi-skype,/' %s/raw.csv > %s/flows.csv", t,
                     t) == 0);
    CHECK(cr_test_sh("test $(wc -l < %s/flows.csv) = $(wc -l < %s/pcap.csv)", t, t) == 0);
    CHECK_INT(cr_test_sh_count(DIFFERING_KEYS, t, t), 0);
    CHECK_INT(cr_test_sh_count(DIFFERING, t, t, 5), tcp_new_ties);
    CHECK_INT(cr_test_sh_count(DIFFERING, t, t, 6), 0);
    CHECK_INT(cr_test_sh_count(DIFFERING, t, t, 8), 0);
    /* every close the capture saw, none sooner than the capture saw it */
    CHECK(cr_test_sh("paste -d, %s/flows.csv %s/pcap.csv | awk -F, 'NR > 1 { f += $7; c += $15; "
                     "if (f > c) bad = 1 } END { exit bad || f != c }'", t, t) == 0);
}

static void nfdump_fmt(void)
{
    agrees_with_capture("nfdump/ndpi-skype.nfdump.fmt.csv", 1);
}

static void nfdump_json(void)
{
    agrees_with_capture("nfdump/ndpi-skype.nfdump.json", 1);
}

static void argus(void)
{
    agrees_with_capture("argus/ndpi-skype.ra.csv", 1);
}

TEST_MAIN(RUN(nfdump_fmt); RUN(nfdump_json); RUN(argus))
