/* The check of a duration fit against Kaplan-Meier (lib/duration/check.c): its observed side
 * is Kaplan-Meier's, it is calibrated on data replicated from the truth, and it rejects the
 * two-component fit of four-group TCP lifetimes. */
#include "test.h"

#include <stdlib.h>


#include "common/xalloc.h"
#include "duration/check.h"
#include "duration/data.h"
#include "duration/km.h"
#include "duration/law.h"
#include "duration/mixture.h"
#include "duration/start.h"
#include "duration_test.h"

static void run_check(const cr_duration_params *p, size_t n, const int64_t *ms,
                      const uint8_t *cens, const int64_t *follow, unsigned long seed,
                      cr_duration_ppc *out)
{
    enum { NREP = 200 };
    cr_duration_params draws[NREP];
    for (int i = 0; i < NREP; i++)
        draws[i] = *p;
    cr_duration_obs o = {n, ms, cens, follow, 0, 1};
    cr_duration_ppc_run(&o, draws, NREP, seed, 2, out);
}

/* The observed statistics are Kaplan-Meier's at the grid edge at or below each time (uncensored
 * data: cr_km at that edge exactly) and its area within 1%; thread counts do not matter. */
static void test_check_observed_is_km(void)
{
    enum { N = 3000 };
    int64_t *ms = xmalloc(N * sizeof *ms), *follow = xmalloc(N * sizeof *follow);
    uint8_t *cens = xmalloc(N);
    synth_follow(&TCP4_TRUTH, N, 1e9, 5, ms, cens, follow);
    cr_duration_ppc r1, r2;
    run_check(&TCP4_TRUTH, N, ms, cens, follow, 9, &r1);
    cr_duration_params draws[200];
    for (int i = 0; i < 200; i++)
        draws[i] = TCP4_TRUTH;
    cr_duration_obs o = {N, ms, cens, follow, 0, 1};
    cr_duration_ppc_run(&o, draws, 200, 9, 1, &r2);
    CHECK(memcmp(&r1, &r2, sizeof r1) == 0);
    double *t = xmalloc(N * sizeof *t);
    for (size_t i = 0; i < N; i++)
        t[i] = (double)ms[i];
    cr_km km;
    cr_km_estimate(&km, N, t, NULL);
    for (int k = 0; k < CR_DUR_PPC_NTIMES; k++) {
        int64_t lo, hi;
        grid_bin((int64_t)(1000 * cr_duration_ppc_times[k]), 1, CR_DURATION_COARSEN, &lo, &hi);
        const cr_duration_ppc_stat *st = &r1.stat[k];
        CHECK(st->defined);
        CHECK_NEAR(st->obs, cr_km_at(&km, (double)lo - 0.5, NULL), 1e-12);
    }
    const cr_duration_ppc_stat *rm = &r1.stat[CR_DUR_PPC_RMST];
    CHECKF(fabs(rm->obs / (cr_km_mean(&km) / 1000) - 1) < 0.01, "area %g s, Kaplan-Meier %g s",
           rm->obs, cr_km_mean(&km) / 1000);
    printf("     S(1 s) %.4f, mean up to %.0f s %.2f s (Kaplan-Meier %.2f s)\n", r1.stat[0].obs,
           rm->t, rm->obs, cr_km_mean(&km) / 1000);
    cr_km_free(&km);
    free(t);
    free(ms);
    free(follow);
    free(cens);
}

/* Replicates from the true parameters: censored data sets (a 30 min capture, 1 h unobservable)
 * fail about 2% of the statistics, as the thresholds promise. */
static void test_check_calibrated(void)
{
    enum { N = 2000, SETS = 25 };
    int64_t *ms = xmalloc(N * sizeof *ms), *follow = xmalloc(N * sizeof *follow);
    uint8_t *cens = xmalloc(N);
    int checked = 0, failed = 0, hidden = 0;
    double psum = 0;
    for (int s = 0; s < SETS; s++) {
        synth_follow(&TCP4_TRUTH, N, 1800, 100 + (unsigned long)s, ms, cens, follow);
        cr_duration_ppc r;
        run_check(&TCP4_TRUTH, N, ms, cens, follow, 200 + (unsigned long)s, &r);
        for (int k = 0; k < CR_DUR_PPC_NSTATS; k++) {
            hidden += !r.stat[k].defined;
            if (!r.stat[k].defined)
                continue;
            checked++;
            failed += r.stat[k].fail;
            psum += r.stat[k].p;
        }
    }
    printf("     %d statistics checked (%d beyond the capture), %d failed, mean p %.3f\n",
           checked, hidden, failed, psum / checked);
    CHECK_INT(hidden, SETS); /* 3600 s is never observed in 30 min */
    /* 125 checks at 2% each: more than 8 failures has probability below 1% */
    CHECKF(failed <= 8, "%d of %d statistics failed", failed, checked);
    CHECK(fabs(psum / checked - 0.5) < 0.1);
    free(ms);
    free(follow);
    free(cens);
}

/* Power where it matters: on TCP lifetimes of four groups, the two-component fit (its mode)
 * overstates the tail and fails, the four-component one passes. */
static void test_check_rejects_two_components(void)
{
    enum { N = 30000 };
    int64_t *ms = xmalloc(N * sizeof *ms), *follow = xmalloc(N * sizeof *follow);
    uint8_t *cens = xmalloc(N);
    synth_follow(&TCP4_TRUTH, N, 8 * 3600, 3, ms, cens, follow);
    cr_duration_data d;
    cr_duration_data_init(&d, N, ms, cens, 1, CR_DURATION_COARSEN);
    int fails[2];
    for (int j = 0; j < 2; j++) {
        int k = j ? 4 : 2;
        cr_duration_start st;
        cr_duration_find_start(&d, k, 0, &st);
        cr_model m;
        cr_duration_model(&m, &d, k);
        double out[CR_DUR_MAXDIM];
        m.constrain(&m, st.mode, out);
        cr_duration_params p = cr_duration_params_at(k, 0.001, out);
        cr_duration_ppc r;
        run_check(&p, N, ms, cens, follow, 11, &r);
        fails[j] = r.nfail;
        printf("     %d components: mean %.1f s, %d of %d statistics fail; mean up to %.0f s: "
               "observed %.2f s, replicated %.2f to %.2f s\n", k, cr_duration_mean(&p), r.nfail,
               CR_DUR_PPC_NSTATS, r.stat[CR_DUR_PPC_RMST].t, r.stat[CR_DUR_PPC_RMST].obs,
               r.stat[CR_DUR_PPC_RMST].rep_lo, r.stat[CR_DUR_PPC_RMST].rep_hi);
    }
    CHECK(fails[0] >= 2);
    CHECK_INT(fails[1], 0);
    cr_duration_data_free(&d);
    free(ms);
    free(follow);
    free(cens);
}

TEST_MAIN(RUN(test_check_observed_is_km); RUN(test_check_calibrated);
          RUN(test_check_rejects_two_components))
