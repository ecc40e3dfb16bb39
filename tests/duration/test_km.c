/* Kaplan-Meier (lib/duration/km.c) against R's survival::survfit and a hand count. */
#include "test.h"

#include <stdlib.h>

#include "common/xalloc.h"
#include "duration/km.h"
#include "duration_test.h"

/* Kaplan-Meier and Greenwood's standard error against survival::survfit on a TCP-like set (a
 * 30 min capture, about 8% still open at its end; ties included: many durations share a ms);
 * its area against a hand count and the sample mean. */
static void test_km_vs_survfit(void)
{
    double tt[] = {1, 2, 2, 3, 4};
    uint8_t cc[] = {0, 0, 0, 1, 0};
    cr_km km;
    cr_km_estimate(&km, 5, tt, cc);
    /* S = 0.8 from 1, 0.4 from 2 (3 is censored), 0 from 4: area 1 + 0.8 + 0.4 * 2 */
    CHECK_NEAR(cr_km_mean(&km), 2.6, 1e-15);
    cr_km_free(&km);
    cr_km_estimate(&km, 4, tt, NULL);
    CHECK_NEAR(cr_km_mean(&km), 2, 1e-15);
    cr_km_free(&km);

    if (cr_test_sh("command -v Rscript >/dev/null && Rscript -e 'library(survival)' "
                   ">/dev/null 2>&1") != 0)
        SKIP("R or its survival package missing");
    const char *tmp = cr_test_tmpdir();
    enum { N = 3000 };
    static int64_t ms[N];
    static uint8_t cens[N];
    synth(&TCP_TRUTH, N, 1800, 101, ms, cens);
    char in[512], out[512];
    snprintf(in, sizeof in, "%s/km.in", tmp);
    snprintf(out, sizeof out, "%s/km.out", tmp);
    FILE *f = fopen(in, "w");
    CHECK(f != NULL);
    double *t = xmalloc(N * sizeof(double));
    for (size_t i = 0; i < N; i++) {
        t[i] = (double)ms[i];
        fprintf(f, "%lld %d\n", (long long)ms[i], !cens[i]);
    }
    fclose(f);
    CHECK_INT(cr_test_sh("Rscript -e 'suppressMessages(library(survival)); "
                         "d <- read.table(\"%s\"); f <- survfit(Surv(d$V1, d$V2) ~ 1); "
                         "k <- f$n.event > 0; write.table(cbind(f$time[k], f$surv[k], "
                         "f$std.err[k] * f$surv[k]), \"%s\", row.names = FALSE, "
                         "col.names = FALSE, na = \"NaN\")'", in, out), 0);
    cr_km_estimate(&km, N, t, cens);
    f = fopen(out, "r");
    CHECK(f != NULL);
    size_t n = 0;
    double rt, rs, rse, worst = 0;
    while (fscanf(f, "%lf %lf %lf", &rt, &rs, &rse) == 3) {
        CHECKF(n < km.n && km.t[n] == rt, "step %zu: time %g, survfit %g", n, km.t[n], rt);
        CHECK_NEAR(km.s[n], rs, 1e-12);
        if (isfinite(rse)) {
            CHECK_NEAR(km.se[n], rse, 1e-9 * (rse + 1e-6));
            worst = fmax(worst, fabs(km.se[n] - rse));
        }
        double se;
        CHECK_NEAR(cr_km_at(&km, rt + 0.5, &se), rs, 1e-12);
        n++;
    }
    fclose(f);
    CHECK_INT(n, km.n);
    CHECK_NEAR(cr_km_at(&km, -1, NULL), 1, 0);
    printf("     %zu KM steps equal survfit's; worst Greenwood se difference %.2g\n", n, worst);
    cr_km_free(&km);
    free(t);
}

TEST_MAIN(RUN(test_km_vs_survfit))
