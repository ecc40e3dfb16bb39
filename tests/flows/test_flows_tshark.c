/* `connrate flows` on the shared captures against the same table computed by
 * flows_from_tshark.awk from tshark's own per-packet export (its tcp.stream and tcp.flags). */
#include <stdio.h>

#include "test.h"

static const struct {
    const char *dir, *id, *ext, *local4, *local6; /* local addresses from captures/README.md */
} caps[] = {
    {"real", "ndpi-skype", "pcap", "192.168.1.34", NULL},
    {"real", "ndpi-alexa-app", "pcapng", "172.16.42.216", NULL},
    {"real", "community-DNS2-browsing-burst", "pcap", "192.168.1.104", NULL},
    {"real", "ndpi-reddit-ipv6", "pcap", NULL, "2a01:cb01:2049:8b07:991d:ec85:28df:f629"},
    {"real", "wireshark-Obsolete_Packets-lan-sll", "cap", "192.168.1.66", NULL},
    {"real", "ndpi-gnutella", "pcap", "10.0.2.15", NULL},
    {"real", "ndpi-wechat", "pcap", "192.168.1.103", NULL},
    {"edge", "lo", "pcapng", "127.0.0.1", "::1"},
    {"edge", "synthetic", "pcap", "10.0.0.1", NULL},
    {"edge", "stress", "pcapng", "127.0.0.1", "::1"},
};

static void flows_match_tshark(void)
{
    const char *sh = cr_test_shared();
    if (!sh)
        SKIP("../shared is absent");
    const char *tmp = cr_test_tmpdir();
    for (size_t i = 0; i < sizeof caps / sizeof caps[0]; i++) {
        char cap[1024], tsv[1024], given[512] = "";
        snprintf(cap, sizeof cap, "%s/captures/%s/%s.%s", sh, caps[i].dir, caps[i].id, caps[i].ext);
        snprintf(tsv, sizeof tsv, "%s/captures/%s/%s.tshark.tsv", sh, caps[i].dir, caps[i].id);
        /* Real captures test the seed's local-address inference too: nothing is given. */
        if (!strcmp(caps[i].dir, "edge")) {
            size_t n = 0;
            if (caps[i].local4)
                n += snprintf(given + n, sizeof given - n, " --local-ip %s=%s", caps[i].id,
                              caps[i].local4);
            if (caps[i].local6)
                snprintf(given + n, sizeof given - n, " --local-ip %s=%s", caps[i].id,
                         caps[i].local6);
        }
        CHECK(cr_test_sh("%s flows -q%s '%s' | tail -n +2 | LC_ALL=C sort > %s/mine.csv",
                         cr_test_bin(), given, cap, tmp) == 0);
        CHECK(cr_test_sh("awk -F'\\t' -v id=%s -v local4=%s -v local6=%s -f "
                         "tests/flows/flows_from_tshark.awk '%s' | LC_ALL=C sort > %s/ref.csv",
                         caps[i].id, caps[i].local4 ? caps[i].local4 : "-",
                         caps[i].local6 ? caps[i].local6 : "-", tsv, tmp) == 0);
        int rc = cr_test_sh("cmp -s %s/mine.csv %s/ref.csv", tmp, tmp);
        if (rc != 0)
            cr_test_sh("diff %s/ref.csv %s/mine.csv | head -5", tmp, tmp);
        CHECKF(rc == 0, "%s: flows differ from tshark's streams and flags", caps[i].id);
        cr_test_sh("printf '  %%-36s %%5s flows equal\\n' %s $(wc -l < %s/ref.csv)", caps[i].id,
                   tmp);
    }
}

TEST_MAIN(RUN(flows_match_tshark))
