/* connrate fit against Stan itself: the seed's reference fit (shared/reference/fit_nbh.R, rstan,
 * 4 chains x 1000 + 1000) and `connrate fit` on the same CPS tables must agree: posterior means
 * of alpha, sigma_machine, sigma_minute and phi within 0.25 posterior sd of rstan's, posterior
 * sds within 15%. Tables: the seed's CPS of the shared real captures (seed_cps.R) and one drawn
 * from the model in R (gen_cps.R). Slow (rstan compiles for a minute or two, then samples for
 * minutes), hence its own binary. */
#include "test.h"

#include <stdlib.h>
#include <unistd.h>

static const char *const params[] = {"alpha", "sigma_machine", "sigma_minute", "phi"};

/* mean and sd of params[] from a summary CSV whose first three columns are variable,mean,sd
 * (names possibly quoted, as R writes them). */
static int read_summary(const char *path, double mean[4], double sd[4])
{
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    char line[4096];
    int found = 0;
    while (fgets(line, sizeof line, f)) {
        char name[64];
        double m, s;
        char *p = line + (line[0] == '"');
        size_t n = strcspn(p, "\",");
        if (n >= sizeof name)
            continue;
        memcpy(name, p, n);
        name[n] = 0;
        p += n + (p[n] == '"');
        if (sscanf(p, ",%lf,%lf", &m, &s) != 2)
            continue;
        for (int j = 0; j < 4; j++)
            if (!strcmp(name, params[j])) {
                mean[j] = m, sd[j] = s;
                found |= 1 << j;
            }
    }
    fclose(f);
    return found == 15 ? 0 : -1;
}

static void compare(const char *cps, const char *series)
{
    const char *shared = cr_test_shared(), *tmp = cr_test_tmpdir();
    const char *cache = getenv("CONNRATE_RSTAN_CACHE");
    char refdir[512];
    if (cache && *cache)
        snprintf(refdir, sizeof refdir, "%s/ref", cache);
    else
        snprintf(refdir, sizeof refdir, "%s/connrate-rstan-cache-%d/ref",
                 getenv("TMPDIR") && *getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp", (int)getuid());
    /* fit_nbh.R compiles nbh.stan beside itself with auto_write: run a copy, never in shared/ */
    CHECK(cr_test_sh("mkdir -p '%s' && for f in fit_nbh.R nbh.stan; do cmp -s '%s/reference/$f' "
                     "'%s/'$f || cp '%s/reference/'$f '%s/'; done",
                     refdir, shared, refdir, shared, refdir) == 0);
    int rc = cr_test_sh("sh tests/fit/with_rstan.sh '%s/fit_nbh.R' '%s' %s '%s/rstan_%s' "
                        ">'%s/rstan_%s.log' 2>&1", refdir, cps, series, tmp, series, tmp, series);
    if (rc == 77)
        SKIP("rstan not usable (R, rstan or Boost headers missing)");
    if (rc != 0)
        SKIP("rstan failed to compile or sample (see %s/rstan_%s.log)", tmp, series);
    /* a directory per series: an output directory belongs to one run (docs/testing.md) */
    CHECK(cr_test_ran(cr_test_sh("%s fit '%s' -o '%s/ours_%s' --series %s --model nbh "
                                 "--no-holdout --quiet", cr_test_bin(), cps, tmp, series, series)));
    char path[512];
    double m0[4], s0[4], m1[4], s1[4];
    snprintf(path, sizeof path, "%s/rstan_%s_summary.csv", tmp, series);
    CHECK(read_summary(path, m0, s0) == 0);
    snprintf(path, sizeof path, "%s/ours_%s/diagnostics/%s_summary.csv", tmp, series, series);
    CHECK(read_summary(path, m1, s1) == 0);
    for (int j = 0; j < 4; j++) {
        printf("     %s %-13s mean %9.5g vs rstan %9.5g (%+.3f sd)  sd %9.4g vs %9.4g (%+.1f%%)\n",
               series, params[j], m1[j], m0[j], (m1[j] - m0[j]) / s0[j], s1[j], s0[j],
               100 * (s1[j] / s0[j] - 1));
        CHECKF(fabs(m1[j] - m0[j]) <= 0.25 * s0[j], "%s %s: mean %g, rstan %g (sd %g)", series,
               params[j], m1[j], m0[j], s0[j]);
        CHECKF(fabs(s1[j] / s0[j] - 1) <= 0.15, "%s %s: sd %g, rstan %g", series, params[j],
               s1[j], s0[j]);
    }
}

static void test_real_captures(void)
{
    const char *shared = cr_test_shared(), *tmp = cr_test_tmpdir();
    if (!shared || cr_test_sh("command -v Rscript >/dev/null 2>&1") != 0)
        SKIP("needs ../shared and Rscript");
    char cps[512];
    snprintf(cps, sizeof cps, "%s/real.csv", tmp);
    CHECK(cr_test_sh("Rscript '%s/reference/seed_cps.R' '%s/captures/real' '%s' seed >/dev/null",
                     shared, shared, cps) == 0);
    compare(cps, "tcp_new");
}

static void test_synthetic(void)
{
    const char *shared = cr_test_shared(), *tmp = cr_test_tmpdir();
    if (!shared || cr_test_sh("command -v Rscript >/dev/null 2>&1") != 0)
        SKIP("needs ../shared and Rscript");
    char cps[512];
    snprintf(cps, sizeof cps, "%s/synthetic.csv", tmp);
    CHECK(cr_test_sh("Rscript tests/fit/gen_cps.R '%s' 1200,1800,2400,900 7", cps) == 0);
    compare(cps, "udp_new");
}

TEST_MAIN(RUN(test_real_captures); RUN(test_synthetic))
