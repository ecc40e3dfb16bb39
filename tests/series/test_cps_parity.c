/* The CPS table against the seed's own R pipeline (reference/seed_cps.R on the .Rds exports),
 * and the promises between input kinds: a pcap and the .Rds made from it give the same table
 * under the seed's rule; under the default rule only tcp_end may differ. */
#include <stdio.h>

#include "test.h"

#define REAL "%s/captures/real"
#define PCAPS REAL "/*.pcap " REAL "/*.pcapng " REAL "/*.cap"

static int have_r(void)
{
    return cr_test_sh("Rscript -e 'suppressMessages({library(dplyr); library(purrr); "
                      "library(tidyr)})' >/dev/null 2>&1") == 0;
}

static void seed_rule_equals_r_pipeline(void)
{
    const char *sh = cr_test_shared();
    if (!sh)
        SKIP("../shared is absent");
    if (!have_r())
        SKIP("Rscript with dplyr, purrr and tidyr is not installed");
    const char *t = cr_test_tmpdir();
    CHECK(cr_test_sh("Rscript %s/reference/seed_cps.R " REAL " %s/r.csv seed >/dev/null", sh, sh,
                     t) == 0);
    CHECK(cr_test_sh("%s cps -q --tcp-end=completeness -o %s/c.csv " REAL "/*.Rds",
                     cr_test_bin(), t, sh) == 0);
    CHECK(cr_test_sh("cmp %s/r.csv %s/c.csv", t, t) == 0);
    cr_test_sh("printf '  %%s rows byte-identical to seed_cps.R\\n' $(wc -l < %s/c.csv)", t);
}

static void pcap_equals_rds_under_seed_rule(void)
{
    const char *sh = cr_test_shared();
    if (!sh)
        SKIP("../shared is absent");
    const char *t = cr_test_tmpdir();
    CHECK(cr_test_sh("%s cps -q --tcp-end=completeness -o %s/rds.csv " REAL "/*.Rds",
                     cr_test_bin(), t, sh) == 0);
    CHECK(cr_test_sh("%s cps -q --tcp-end=completeness -o %s/pcap.csv " PCAPS, cr_test_bin(), t,
                     sh, sh, sh) == 0);
    CHECK(cr_test_sh("cmp %s/rds.csv %s/pcap.csv", t, t) == 0);
}

static void default_rule_differs_only_in_tcp_end(void)
{
    const char *sh = cr_test_shared();
    if (!sh)
        SKIP("../shared is absent");
    const char *t = cr_test_tmpdir();
    CHECK(cr_test_sh("%s cps -q -o %s/rds.csv " REAL "/*.Rds", cr_test_bin(), t, sh) == 0);
    CHECK(cr_test_sh("%s cps -o %s/pcap.csv " PCAPS " 2> %s/pcap.err", cr_test_bin(), t, sh, sh,
                     sh, t) == 0);
    CHECK(cr_test_sh("cmp -s %s/rds.csv %s/pcap.csv", t, t) != 0);
    CHECK(cr_test_sh("cut -d, -f1-6,8 %s/rds.csv > %s/a && cut -d, -f1-6,8 %s/pcap.csv > %s/b && "
                     "cmp %s/a %s/b", t, t, t, t, t, t) == 0);
    /* A capture sees every close an export sees, one packet earlier at most: never fewer. */
    CHECK(cr_test_sh("test $(awk -F, 'NR>1{s+=$7}END{print s}' %s/pcap.csv) -gt "
                     "$(awk -F, 'NR>1{s+=$7}END{print s}' %s/rds.csv)", t, t) == 0);
    CHECK(cr_test_sh("grep -q 'closes only the TCP flags revealed' %s/pcap.err", t) == 0);
    /* tshark's own export with its tcp.flags column knows as much as the capture */
    CHECK(cr_test_sh("%s cps -q -o %s/tsv.csv " REAL "/*.tshark.tsv", cr_test_bin(), t, sh) == 0);
    CHECK(cr_test_sh("sed 's/\\.tshark,/,/' %s/tsv.csv | cmp - %s/pcap.csv", t, t) == 0);
}

TEST_MAIN(RUN(seed_rule_equals_r_pipeline); RUN(pcap_equals_rds_under_seed_rule);
          RUN(default_rule_differs_only_in_tcp_end))
