/* connrate cps and flows recover the event log that `connrate synth` wrote while generating the
 * packets (its own ground truth, not a re-derivation from the capture). */
#include <stdio.h>

#include "test.h"

static void cps_and_flows_recover_truth(void)
{
    const char *t = cr_test_tmpdir();
    CHECK(cr_test_sh("%s synth -q --machines 4 --minutes 12 --seed 11 -o %s/syn", cr_test_bin(),
                     t) == 0);
    CHECK(cr_test_sh("%s cps -q -o %s/cps.csv %s/syn", cr_test_bin(), t, t) == 0);
    CHECK(cr_test_sh("cmp %s/cps.csv %s/syn/truth/cps.csv", t, t) == 0);
    CHECK(cr_test_sh("%s flows -q -o %s/flows.csv %s/syn", cr_test_bin(), t, t) == 0);
    CHECK(cr_test_sh("LC_ALL=C sort %s/flows.csv > %s/a && LC_ALL=C sort %s/syn/truth/flows.csv "
                     "> %s/b && cmp %s/a %s/b", t, t, t, t, t, t) == 0);
    cr_test_sh("printf '  %%s seconds, %%s flows recovered exactly\\n' "
               "$(tail -n +2 %s/cps.csv | wc -l) $(tail -n +2 %s/flows.csv | wc -l)", t, t);
}

/* The .Rds written by synth is a single-pass export: under the seed's rule it gives the same
 * table as the capture, and under the default rule it can only miss closes. */
static void rds_export_matches_capture(void)
{
    const char *t = cr_test_tmpdir();
    CHECK(cr_test_sh("%s synth -q --machines 2 --minutes 5 --seed 3 -o %s/p", cr_test_bin(), t) ==
          0);
    CHECK(cr_test_sh("%s synth -q --machines 2 --minutes 5 --seed 3 --format rds -o %s/r",
                     cr_test_bin(), t) == 0);
    CHECK(cr_test_sh("%s cps -q --tcp-end=completeness -o %s/p.csv %s/p", cr_test_bin(), t, t) ==
          0);
    CHECK(cr_test_sh("%s cps -q --tcp-end=completeness -o %s/r.csv %s/r", cr_test_bin(), t, t) ==
          0);
    CHECK(cr_test_sh("cmp %s/p.csv %s/r.csv", t, t) == 0);
}

TEST_MAIN(RUN(cps_and_flows_recover_truth); RUN(rds_export_matches_capture))
