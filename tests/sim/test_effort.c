/* Adaptive effort (lib/sim/effort.c) and the Monte Carlo errors of batches that reuse their
 * posterior draws (lib/sim/mcse.h): the stop rule on toys whose error is known in closed form
 * (met, capped, met only past a floor, a floor above the target that the fit's draws set and
 * how many more of them it asks for, not estimable), batches of
 * lib/sim's users that come out the same on 1 and 2 threads, and the printed q99 error against
 * its brute-force value, the spread of q99 over independent seeds (fresh posterior draws,
 * users and seconds each), which the error of treating every reused draw as independent
 * misses. */
#include "test.h"

#include <string.h>

#include <gsl/gsl_randist.h>

#include "common/xalloc.h"
#include "sim/effort.h"
#include "sim/mcse.h"
#include "sim/users.h"

/* ---- the stop rule on known errors ---- */

/* The relative error after B batches: sqrt(a^2 / B + floor^2) (NAN when a is). */
typedef struct {
    double a, floor;
    int added, calls_ok; /* batches added so far; every call extended them in order */
} toy;

static int toy_add(void *ctx, int from, int to, cr_err *e)
{
    toy *t = ctx;
    t->calls_ok &= from == t->added && to > from;
    t->added = to;
    return 0;
}

static void toy_rel(void *ctx, int batches, double *rel)
{
    toy *t = ctx;
    rel[0] = 0.001; /* a second estimate, always met */
    rel[1] = sqrt(t->a * t->a / batches + t->floor * t->floor);
}

/* ok: the run succeeded and added its batches in order, each once */
static cr_sim_effort_result run_toy(double a, double fl, double target, int cap, int *ok)
{
    toy t = {a, fl, 0, 1};
    cr_sim_effort ef = {target, cap};
    cr_sim_effort_result r;
    cr_err e;
    int rc = cr_sim_effort_run(&ef, 2, toy_add, toy_rel, &t, &r, &e);
    *ok = rc == 0 && t.calls_ok && t.added == r.batches;
    return r;
}

static void stops_when_it_should(void)
{
    int ok;
    /* 5% after one batch, target 1%: the 1 / sqrt(B) law asks for 25 batches, 28 with the
     * margin, where the error is 0.945% */
    cr_sim_effort_result r = run_toy(0.05, 0, 0.01, 100, &ok);
    CHECK(ok && r.batches == 28 && r.rounds == 2 && !r.capped && r.which == 1);
    printf("  5%% after one batch: %d batches, %.3f%%\n", r.batches, 100 * r.worst);
    CHECK_NEAR(r.worst, 0.05 / sqrt(28), 1e-15);
    /* the same capped at 10 batches */
    r = run_toy(0.05, 0, 0.01, 10, &ok);
    CHECK(ok && r.batches == 10 && r.rounds == 2 && r.capped);
    CHECK_NEAR(r.worst, 0.05 / sqrt(10), 1e-15);
    /* met by the first batch: one batch, as without adaptive effort */
    r = run_toy(0.008, 0, 0.01, 100, &ok);
    CHECK(ok && r.batches == 1 && r.rounds == 1 && !r.capped);
    /* a cap of one batch never adds any */
    r = run_toy(0.05, 0, 0.01, 1, &ok);
    CHECK(ok && r.batches == 1 && r.capped);
    /* a floor of 0.9% under the 1% target: after the plain law's 29 batches (1.29%), the fit
     * through both rounds finds the floor and asks for 0.0025 / (1e-4 / 1.1 - 0.009^2) = 253 */
    r = run_toy(0.05, 0.009, 0.01, 1000, &ok);
    CHECK(ok && r.batches == 253 && r.rounds == 3 && !r.capped && r.worst <= 0.01);
    /* a floor above the target: the plain law's 30 batches show it, then batches only until
     * their part is a tenth of the floor's, 0.0025 / (0.1 x 0.012^2) = 174 (the error 1.049
     * times the floor), and the fit's draws are what stopped it */
    r = run_toy(0.05, 0.012, 0.01, 200, &ok);
    printf("  a floor of 1.2%% over a 1%% target: %d batches, %.3f%%\n", r.batches, 100 * r.worst);
    CHECK(ok && r.batches == 174 && r.rounds == 3 && !r.capped && r.worst > 0.012 &&
          r.limited_by == CR_SIM_EFFORT_FIT);
    CHECK(r.worst < 0.012 * sqrt(1.1));
    /* the fit's draws it asks for: the floor falls as 1 / draws, so 0.012^2 / (0.01^2 / 1.1) =
     * 1.584 times as many bring it under the target with the margin */
    CHECK_NEAR(r.fit_factor, 0.012 * 0.012 * 1.1 / (0.01 * 0.01), 1e-9);
    /* the same with a cap of 20: stopped there, by the cap, but no count of batches would
     * meet the target: the fit's draws limit it */
    r = run_toy(0.05, 0.012, 0.01, 20, &ok);
    CHECK(ok && r.batches == 20 && r.rounds == 2 && r.capped && r.limited_by == CR_SIM_EFFORT_FIT);
    CHECK_NEAR(r.fit_factor, 0.012 * 0.012 * 1.1 / (0.01 * 0.01), 1e-9);
    /* no floor above a target the cap stops short of: the batch cap */
    r = run_toy(0.05, 0.004, 0.01, 10, &ok);
    CHECK(ok && r.batches == 10 && r.capped && r.limited_by == CR_SIM_EFFORT_CAP);
    CHECK(r.fit_factor == 1); /* no estimate floored: the fit's draws need not grow */
    r = run_toy(0.05, 0.009, 0.01, 1000, &ok);
    CHECK(ok && r.limited_by == CR_SIM_EFFORT_MET && r.fit_factor == 1);
    /* an error that cannot be estimated stops at once */
    r = run_toy(NAN, 0, 0.01, 100, &ok);
    CHECK(ok && r.batches == 1 && !r.capped && isnan(r.worst) && r.which == 1);
    /* one estimate's projection alone */
    cr_sim_effort ef = {0.02, 50};
    CHECK_INT(cr_sim_effort_next(&ef, 0, NAN, 4, 0.02), 4);
    CHECK_INT(cr_sim_effort_next(&ef, 0, NAN, 4, 0.021), 5); /* ceil(1.1 x 4 x 1.1025) */
    CHECK_INT(cr_sim_effort_next(&ef, 0, NAN, 4, 0.03), 10); /* ceil(1.1 x 4 x 2.25) */
    CHECK_INT(cr_sim_effort_next(&ef, 0, NAN, 4, 1), 50);
    CHECK_INT(cr_sim_effort_next(&ef, 0, NAN, 50, 1), 50);
    /* an error that did not fall (noise): the plain law from the last round */
    CHECK_INT(cr_sim_effort_next(&ef, 2, 0.025, 4, 0.03), 10);
    CHECK(cr_sim_batch_seed(7, 0) == 7 && cr_sim_batch_seed(7, 1) != cr_sim_batch_seed(7, 2) &&
          cr_sim_batch_seed(7, 1) != cr_sim_batch_seed(8, 1));
}

/* ---- batches of lib/sim's users ---- */

enum { D = 200, S = 60, B = 4 };

/* B batches of the same D draws, one user each, streams from cr_sim_batch_seed, laid out
 * [batch][draw][second] as lib/sizing pools them; stopped by the rule at target 0 (never met)
 * and a cap of nb batches. */
typedef struct {
    const cr_sim_draw *draws;
    uint64_t seed;
    int threads;
    double *y; /* [B * D * S] */
} users_run;

static int users_add(void *ctx, int from, int to, cr_err *e)
{
    users_run *u = ctx;
    cr_sim_config cfg;
    cr_sim_config_default(&cfg);
    cfg.seconds = S;
    cfg.threads = u->threads;
    for (int b = from; b < to; b++) {
        cfg.seed = cr_sim_batch_seed(u->seed, b);
        if (cr_sim_users(u->draws, D, &cfg, u->y + (size_t)b * D * S, NULL, e) != 0)
            return -1;
    }
    return 0;
}

static void users_rel(void *ctx, int batches, double *rel)
{
    users_run *u = ctx;
    size_t n = (size_t)batches * D * S;
    double *x = xmalloc(n * sizeof *x);
    memcpy(x, u->y, n * sizeof *x);
    cr_sim_summary s;
    cr_sim_mcse m;
    cr_sim_summarize_draws(x, batches * D, D, NULL, S, &s, &m);
    rel[0] = m.q99 / s.q99;
    free(x);
}

static int users_batches(const cr_sim_draw *draws, uint64_t seed, int threads, int nb, double *y,
                         cr_sim_effort_result *r)
{
    users_run u = {draws, seed, threads, y};
    cr_sim_effort ef = {1e-9, nb};
    cr_err e;
    return cr_sim_effort_run(&ef, 1, users_add, users_rel, &u, r, &e);
}

/* D draws of a wide posterior: what one seed's fit could give. */
static void posterior(gsl_rng *r, cr_sim_draw *d)
{
    for (int i = 0; i < D; i++)
        d[i] = (cr_sim_draw){.alpha = log(3) + 0.5 * gsl_ran_gaussian(r, 1),
                             .sigma_machine = 0.3, .sigma_minute = 0.3, .phi = 2};
}

static void threads_do_not_matter(void)
{
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    cr_sim_draw d[D];
    posterior(r, d);
    gsl_rng_free(r);
    double *y1 = xcalloc((size_t)B * D * S, sizeof *y1);
    double *y2 = xcalloc((size_t)B * D * S, sizeof *y2);
    cr_sim_effort_result a, b;
    CHECK(users_batches(d, 11, 1, B, y1, &a) == 0 && users_batches(d, 11, 2, B, y2, &b) == 0);
    CHECK(a.batches == B && b.batches == B && a.capped && a.worst == b.worst);
    CHECK(memcmp(y1, y2, (size_t)B * D * S * sizeof *y1) == 0);
    /* the first batch is the one-batch simulation of the run's seed */
    double *one = xmalloc((size_t)D * S * sizeof *one);
    cr_sim_config cfg;
    cr_sim_config_default(&cfg);
    cfg.seconds = S;
    cfg.seed = 11;
    cr_err e;
    CHECK(cr_sim_users(d, D, &cfg, one, NULL, &e) == 0);
    CHECK(memcmp(y1, one, (size_t)D * S * sizeof *one) == 0);
    /* and later batches are other users */
    CHECK(memcmp(y1, y1 + (size_t)D * S, (size_t)D * S * sizeof *one) != 0);
    free(one);
    free(y1);
    free(y2);
}

/* Over R seeds, each with fresh posterior draws reused by B batches: the sd of q99 against the
 * root mean square of its printed error, and of the error that takes all B x D draws as
 * independent. */
static void mcse_matches_spread(void)
{
    enum { R = 120 };
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    double *y = xmalloc((size_t)B * D * S * sizeof *y), q[R], ms = 0, naive = 0;
    for (int k = 0; k < R; k++) {
        cr_sim_draw d[D];
        gsl_rng_set(r, 1000 + k);
        posterior(r, d);
        cr_sim_effort_result res;
        CHECK(users_batches(d, 1000 + k, 0, B, y, &res) == 0 && res.batches == B);
        cr_sim_summary s;
        cr_sim_mcse m, m1;
        double *x = xmalloc((size_t)B * D * S * sizeof *x);
        memcpy(x, y, (size_t)B * D * S * sizeof *x);
        cr_sim_summarize_draws(x, B * D, D, NULL, S, &s, &m);
        memcpy(x, y, (size_t)B * D * S * sizeof *x);
        cr_sim_summarize_draws(x, B * D, B * D, NULL, S, &s, &m1);
        free(x);
        q[k] = s.q99;
        ms += m.q99 * m.q99 / R;
        naive += m1.q99 * m1.q99 / R;
    }
    double mean = 0, var = 0;
    for (int k = 0; k < R; k++)
        mean += q[k] / R;
    for (int k = 0; k < R; k++)
        var += (q[k] - mean) * (q[k] - mean) / (R - 1);
    double sd = sqrt(var), ratio = sqrt(ms) / sd, ratio_naive = sqrt(naive) / sd;
    printf("  q99 %.2f: sd over %d seeds %.3f, printed mcse %.3f (x%.2f), as if independent "
           "%.3f (x%.2f)\n", mean, R, sd, sqrt(ms), ratio, sqrt(naive), ratio_naive);
    /* the sd of R = 120 values is known to about 1 / sqrt(2 (R - 1)) = 6.5%; the printed
     * error overstates a little under stratification (its draws are negatively dependent) */
    CHECK(ratio > 0.8 && ratio < 1.35);
    CHECK(ratio_naive < 0.87);
    free(y);
    gsl_rng_free(r);
}

/* Errors of a sample whose draws reuse 2 slots, by hand: x = [batch][slot][second] with
 * 2 batches x 2 slots x 2 seconds. */
static void slot_errors_by_hand(void)
{
    const double x[8] = {1, 5, 2, 2, 3, 7, 4, 4};
    /* shares above 4.5 per draw: 0.5, 0, 0.5, 0; slot means 0.5, 0: mean 0.25, se
     * sd(0.5, 0) / sqrt(2) = 0.25 */
    double se, p = cr_sim_share_above(x, 4, 2, NULL, 2, 4.5, &se);
    CHECK_NEAR(p, 0.25, 1e-15);
    CHECK_NEAR(se, 0.25, 1e-15);
    /* every draw its own slot: sd(0.5, 0, 0.5, 0) / 2 */
    p = cr_sim_share_above(x, 4, 4, NULL, 2, 4.5, &se);
    CHECK_NEAR(se, sqrt(1.0 / 12) / 2, 1e-15);
    /* draw means 3, 2, 5, 4; slot means 4, 3: se of the mean 0.5 */
    CHECK_NEAR(cr_sim_mcse_mean(x, 4, 2, NULL, 2), 0.5, 1e-15);
    CHECK(isnan(cr_sim_mcse_mean(x, 4, 1, NULL, 2)));
}

TEST_MAIN(RUN(slot_errors_by_hand); RUN(stops_when_it_should); RUN(threads_do_not_matter);
          RUN(mcse_matches_spread))
