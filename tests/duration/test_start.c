/* Where the chains of a duration fit start (lib/duration/start.c): on data with a trap mode
 * thousands of log units below the main one, the start is the main mode. */
#include "test.h"

#include <stdlib.h>

#include <gsl/gsl_errno.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "common/xalloc.h"
#include "duration/data.h"
#include "duration/law.h"
#include "duration/mixture.h"
#include "duration/start.h"
#include "duration_test.h"

/* UDP as `connrate synth` makes it (docs/synth.md): two thirds DNS lookups answered after
 * LogNormal(12 ms, 0.6), 3% of them never (one packet: 0 ms), the rest QUIC sessions of
 * LogNormal(8 s, 1.2). Thousands of log units of posterior below the main mode, a component of
 * log-sd near 3 takes the unanswered lookups and the sessions together, with a mean duration
 * over ten times the data's (on `connrate synth` flows, 165 s for 4.7 s): the start must be the
 * main mode, whose mixture mean is the data's. */
static void test_start_avoids_the_trap_mode(void)
{
    enum { N = 60000 };
    int64_t *ms = xmalloc(N * sizeof *ms);
    gsl_rng *g = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(g, 41);
    double sum = 0;
    for (size_t i = 0; i < N; i++) {
        double u = gsl_rng_uniform(g);
        double dur = u < 0.02 ? 0 : u < 0.67 ? gsl_ran_lognormal(g, log(0.012), 0.6)
                                            : gsl_ran_lognormal(g, log(8.0), 1.2);
        ms[i] = (int64_t)floor(1000 * dur);
        sum += (double)ms[i];
    }
    gsl_rng_free(g);
    double mean = sum / N / 1000;
    cr_duration_data d;
    cr_duration_data_init(&d, N, ms, NULL, CR_DURATION_COARSEN);
    cr_duration_start s;
    cr_duration_find_start(&d, 2, 0, &s);
    double out[DIM2], out2[DIM2];
    cr_model m;
    cr_duration_model(&m, &d, 2);
    m.constrain(&m, s.mode, out);
    m.constrain(&m, s.next_mode, out2);
    cr_duration_params p = cr_duration_params_at(2, out), q = cr_duration_params_at(2, out2);
    printf("     data mean %.2f s; start: mean %.2f s, s2 %.2f, lp %.1f; %d modes from %d starts, "
           "next at lp %.1f with mean %.1f s, s2 %.2f\n", mean, cr_duration_mean(&p), p.s[1],
           s.lp, s.modes, s.starts, s.next_lp, cr_duration_mean(&q), q.s[1]);
    CHECK(s.modes >= 2);
    CHECK(s.lp - s.next_lp > 1000);
    CHECK(q.s[1] > 2.5 && cr_duration_mean(&q) > 10 * mean);
    CHECKF(fabs(cr_duration_mean(&p) / mean - 1) < 0.1, "start's mean %g s, data %g s",
           cr_duration_mean(&p), mean);
    for (int i = 0; i < DIM2; i++)
        CHECK(s.scale[i] > 0 && s.scale[i] < 0.1);
    cr_duration_data_free(&d);
    free(ms);
}

TEST_MAIN(gsl_set_error_handler_off(); RUN(test_start_avoids_the_trap_mode))
