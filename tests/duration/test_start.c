/* Where the chains of a duration fit start (lib/duration/start.c): on data whose posterior has
 * several modes the start is the highest; on the UDP flows whose single packets made a trap
 * mode 2,000 log units below the main one before the zero class, the class holds them and the
 * trap is gone. */
#include "test.h"

#include <stdlib.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "common/xalloc.h"
#include "duration/data.h"
#include "duration/law.h"
#include "duration/mixture.h"
#include "duration/start.h"
#include "duration_test.h"

/* UDP as `connrate synth` makes it (docs/synth.md): two thirds DNS lookups answered after
 * LogNormal(12 ms, 0.6), 3% of them never (one packet, at `lost`), the rest QUIC sessions of
 * LogNormal(8 s, 1.2). The start on 2 components; the data's mean into *mean. (Without the zero
 * class, a component of log-sd near 3 took the unanswered lookups and the sessions together
 * 2,000 log units below the main mode, with a mean duration over ten times the data's: 165 s
 * for 4.7 s on `connrate synth` flows, and chains started at random settled in it.) */
static void start_on_udp(double lost, double *mean, cr_duration_start *s, cr_duration_data *d,
                         cr_duration_params *p, cr_duration_params *q)
{
    enum { N = 60000 };
    int64_t *ms = xmalloc(N * sizeof *ms);
    gsl_rng *g = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(g, 41);
    double sum = 0;
    for (size_t i = 0; i < N; i++) {
        double u = gsl_rng_uniform(g);
        double dur = u < 0.02 ? lost : u < 0.67 ? gsl_ran_lognormal(g, log(0.012), 0.6)
                                               : gsl_ran_lognormal(g, log(8.0), 1.2);
        ms[i] = (int64_t)floor(1000 * dur);
        sum += (double)ms[i];
    }
    gsl_rng_free(g);
    *mean = sum / N / 1000;
    cr_duration_data_init(d, N, ms, NULL, 1, CR_DURATION_COARSEN);
    cr_duration_find_start(d, 2, 0, s);
    double out[DIM2], out2[DIM2];
    cr_model m;
    cr_duration_model(&m, d, 2);
    m.constrain(&m, s->mode, out);
    m.constrain(&m, s->next_mode, out2);
    *p = cr_duration_params_at(2, 0.001, out);
    *q = cr_duration_params_at(2, 0.001, out2);
    printf("     lost lookups at %g ms: data mean %.2f s; start: mean %.2f s, s2 %.2f, p0 %.4f, "
           "lp %.1f; %d modes from %d starts", 1000 * lost, *mean, cr_duration_mean(p), p->s[1],
           p->p0, s->lp, s->modes, s->starts);
    if (s->modes > 1)
        printf(", next at lp %.1f with mean %.1f s, s2 %.2f", s->next_lp, cr_duration_mean(q),
               q->s[1]);
    printf("\n");
    free(ms);
}

/* TCP lifetimes as `connrate synth` makes them (four groups, a 1 h capture), on two
 * components: their posterior has modes far apart (which groups the second component takes),
 * and the start must be the highest of them, found from the quantile starts, with a Laplace
 * scale small enough for the whitened chains. */
static void test_start_is_the_highest_mode(void)
{
    enum { N = 30000 };
    int64_t *ms = xmalloc(N * sizeof *ms), *follow = xmalloc(N * sizeof *follow);
    uint8_t *cens = xmalloc(N);
    synth_follow(&TCP4_TRUTH, N, 3600, 3, ms, cens, follow);
    cr_duration_data d;
    cr_duration_data_init(&d, N, ms, cens, 1, CR_DURATION_COARSEN);
    cr_duration_start s;
    cr_duration_find_start(&d, 2, 0, &s);
    cr_model m;
    cr_duration_model(&m, &d, 2);
    double out[DIM2], out2[DIM2];
    m.constrain(&m, s.mode, out);
    m.constrain(&m, s.next_mode, out2);
    cr_duration_params p = cr_duration_params_at(2, 0.001, out),
                       q = cr_duration_params_at(2, 0.001, out2);
    printf("     %d modes from %d starts: the start at lp %.1f (mean %.1f s), the next at lp %.1f "
           "(mean %.1f s)\n", s.modes, s.starts, s.lp, cr_duration_mean(&p), s.next_lp,
           cr_duration_mean(&q));
    CHECK(s.modes >= 2);
    CHECK(s.lp - s.next_lp > 10);
    /* no start climbs higher than the one kept: the kept mode is a mode (zero gradient) */
    double gr[DIM2];
    CHECK_NEAR(cr_duration_logp(&m, s.mode, gr, NULL), s.lp, 0);
    for (int i = 0; i < DIM2; i++) {
        CHECKF(fabs(gr[i] * s.scale[i]) < 1e-2, "gradient %g along coordinate %d (sd %g)", gr[i],
               i, s.scale[i]);
        /* p0's own sd is about 1.3 on the logit scale: no connection of 0 ms */
        CHECK(s.scale[i] > 0 && s.scale[i] < (i == LOGIT_P0 ? 2 : 0.2));
    }
    cr_duration_data_free(&d);
    free(ms);
    free(follow);
    free(cens);
}

/* Lost lookups at 0 ms, below the resolution: the zero class holds them (p0 their share) and
 * the trap they made is gone, every start reaching the one mode. */
static void test_zero_class_removes_the_trap(void)
{
    double mean;
    cr_duration_start s;
    cr_duration_data d;
    cr_duration_params p, q;
    start_on_udp(0, &mean, &s, &d, &p, &q);
    CHECK_INT(s.modes, 1);
    CHECK_NEAR(p.p0, (d.n_zero + 1) / (double)(d.nended + 2), 1e-6);
    CHECKF(fabs(cr_duration_mean(&p) / mean - 1) < 0.1, "start's mean %g s, data %g s",
           cr_duration_mean(&p), mean);
    cr_duration_data_free(&d);
}

TEST_MAIN(RUN(test_start_is_the_highest_mode);
          RUN(test_zero_class_removes_the_trap))
