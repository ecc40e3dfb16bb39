/* The sizing pipeline's simulation step against closed-form references: the seed's N x mu
 * scaling of mean new connections, steady-state terminations equal to arrivals, Little's law for
 * the session table (mean concurrency = arrival rate x mean session time, with the mean of the
 * lognormal mixture and the hold times computed here by hand), and the derived log metrics.
 * Plus the draws of every ladder model by name (from a draws CSV, and from a fit in memory
 * against the draws file that fit wrote) and the --users parser. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>

#include "common/progress.h"
#include "common/xalloc.h"
#include "sizing/sizing.h"
#include "sizing/sizing_internal.h"
#include "brief_fit.h"
#include "test.h"

#define NDRAWS 40

/* Mean of w LN(m1, s1) + (1 - w) LN(m2, s2). */
static double mixture_mean(double w, double m1, double s1, double m2, double s2)
{
    return w * exp(m1 + s1 * s1 / 2) + (1 - w) * exp(m2 + s2 * s2 / 2);
}

static void set_durations(cr_sizing_duration *d, double w, double m1, double s1, double m2,
                          double s2)
{
    d->fitted = 1;
    d->draws = xmalloc(NDRAWS * sizeof *d->draws);
    for (int i = 0; i < NDRAWS; i++)
        d->draws[i] = (cr_duration_params){2, {w, 1 - w}, {m1, m2}, {s1, s2}, 0, 0};
}

static void littles_law_and_scaling(void)
{
    cr_sizing_config c;
    cr_sizing_config_default(&c);
    c.nusers = 3;
    c.users[0] = 1, c.users[1] = 10, c.users[2] = 100;
    c.draws = NDRAWS;
    c.seconds = 1800;
    c.seed = 7;
    c.max_batches = 1; /* the tolerances below are for one batch of 40 draws */
    /* A profile with every hold different, so a mix-up of reasons shows in the mean. */
    c.fw.tcp_fin_hold = 30, c.fw.tcp_rst_hold = 5, c.fw.tcp_idle = 120;
    c.fw.udp_idle = 60, c.fw.dns_timeout = 10, c.fw.dns_on_reply = 0;
    c.fw.udp_stream_after = 0, c.fw.logs_per_session = 2, c.fw.interim_log_every = 0;

    cr_sizing s;
    memset(&s, 0, sizeof s);
    set_durations(&s.dur[0], 0.7, log(2), 0.8, log(30), 0.6);
    set_durations(&s.dur[1], 0.6, log(0.05), 0.5, log(8), 1.0);
    s.p_tcp = 0.6, s.p_rst = 0.2, s.p_idle = 0.1, s.p_dns = 0.5;

    cr_sim_draw d[NDRAWS];
    for (int i = 0; i < NDRAWS; i++)
        d[i] = (cr_sim_draw){.alpha = log(0.4), .sigma_machine = 0.1, .sigma_minute = 0.3,
                             .phi = 2, .rho = 0};
    cr_err e;
    cr_progress_set_quiet(1);
    CHECKF(cr_sizing_simulate(&c, d, d, &s, &e) == 0, "%s", e.msg);

    double rate = 0.4 * exp((0.1 * 0.1 + 0.3 * 0.3) / 2); /* E exp(alpha + sm z + sn z') */
    double dur = 0.6 * mixture_mean(0.7, log(2), 0.8, log(30), 0.6) +
                 0.4 * mixture_mean(0.6, log(0.05), 0.5, log(8), 1.0);
    double hold = 0.6 * (0.2 * 5 + 0.1 * 120 + 0.7 * 30) + 0.4 * (0.5 * 10 + 0.5 * 60);
    /* Relative tolerances of the simulated means: about 4 standard errors of the mean over 40
     * draws, dominated by the users' baselines (sd 0.1 / sqrt(N x 40)) and the minute effects.
     * The table's means are exact (N times the per-user expectation), the same per user at
     * every N. */
    static const double tol[3] = {0.08, 0.03, 0.02};
    for (int u = 0; u < c.nusers; u++) {
        double n = c.users[u];
        const cr_sim_summary *m = s.sum[u];
        double sim[3];
        for (int k = 0; k < 3; k++) {
            sim[k] = 0;
            for (size_t i = 0; i < s.nsample[k]; i++)
                sim[k] += s.sample[u][k][i];
            sim[k] /= (double)s.nsample[k];
        }
        printf("  N=%g: new %.4f simulated %.4f (expected %.4f), logs/min %.2f, %.2f (%.2f), "
               "concurrent %.2f, %.2f (%.2f)\n", n, m[CR_SZ_NEW].mean, sim[0], n * rate,
               m[CR_SZ_LOGS].mean, sim[1], 60 * n * rate, m[CR_SZ_CONC].mean, sim[2],
               n * rate * (dur + hold));
        CHECK_NEAR(m[CR_SZ_NEW].mean / (n * rate), 1, 1e-12);
        CHECK_NEAR(m[CR_SZ_LOGS].mean / (60 * n * rate), 1, 1e-12);
        CHECK_NEAR(m[CR_SZ_CONC].mean / (n * rate * (dur + hold)), 1, 1e-3);
        CHECK_NEAR(sim[0] / (n * rate), 1, tol[u]);
        CHECK_NEAR(sim[1] / (60 * n * rate), 1, tol[u]);
        CHECK_NEAR(sim[2] / (n * rate * (dur + hold)), 1, tol[u]);
        CHECK_NEAR(m[CR_SZ_NEW].mean / n, s.sum[0][CR_SZ_NEW].mean, 1e-12);
        /* Two log lines per session, 800 bytes each, 1440 minutes a day. */
        CHECK_NEAR(m[CR_SZ_FWLOGS].mean, 2 * m[CR_SZ_LOGS].mean, 1e-9 * m[CR_SZ_LOGS].mean);
        CHECK_NEAR(m[CR_SZ_FWLOGS].q99, 2 * m[CR_SZ_LOGS].q99, 1e-9 * m[CR_SZ_LOGS].q99);
        CHECK_NEAR(m[CR_SZ_BYTES].q99, m[CR_SZ_FWLOGS].q99 * 1440 * 800,
                   1e-6 * m[CR_SZ_BYTES].q99);
        for (int k = 0; k < CR_SZ_NMETRICS; k++)
            CHECK(m[k].q50 <= m[k].q90 && m[k].q90 <= m[k].q95 && m[k].q95 <= m[k].q99 &&
                  m[k].q99 <= m[k].q999 && m[k].q999 <= m[k].max);
    }
    CHECK(s.missed_max < 1e-2);
    cr_sizing_free(&s);
}

/* Adaptive effort through the sizing: 3 batches (the target out of reach), the later ones
 * taking the fit's other draws, come out the same on 1 and 2 threads; the first batch is the
 * one-batch run's; the means stay exact (the same as with one batch). */
static void batches_reproducible(void)
{
    enum { D = 20, NALL = 2 * D };
    cr_sizing_config c;
    cr_sizing_config_default(&c);
    c.nusers = 2;
    c.users[0] = 1, c.users[1] = 10;
    c.draws = D;
    c.seconds = 600;
    c.seed = 5;
    c.mcse_target = 1e-6;
    c.max_batches = 3;
    cr_sim_draw all[NALL], kept[D];
    for (int i = 0; i < NALL; i++)
        all[i] = (cr_sim_draw){.alpha = log(0.4) + 0.02 * i, .sigma_machine = 0.5,
                               .sigma_minute = 0.3, .phi = 2};
    for (int i = 0; i < D; i++)
        kept[i] = all[2 * i];
    int chain[D]; /* the 40 draws as 2 chains of 20 */
    cr_sizing_slot_chains(2, NALL / 2, D, chain);
    cr_sizing s[3];
    cr_err e;
    cr_progress_set_quiet(1);
    for (int k = 0; k < 3; k++) {
        memset(&s[k], 0, sizeof s[k]);
        set_durations(&s[k].dur[0], 0.7, log(2), 0.8, log(30), 0.6);
        set_durations(&s[k].dur[1], 0.6, log(0.05), 0.5, log(8), 1.0);
        s[k].p_tcp = 0.6, s[k].p_rst = 0.2, s[k].p_idle = 0.1, s[k].p_dns = 0.5;
        s[k].all_draws[0] = s[k].all_draws[1] = all;
        s[k].nall[0] = s[k].nall[1] = NALL;
        s[k].slot_chain[0] = s[k].slot_chain[1] = chain;
        cr_sizing_config ck = c;
        ck.threads = k == 1 ? 2 : 1;
        ck.max_batches = k == 2 ? 1 : 3;
        CHECKF(cr_sizing_simulate(&ck, kept, kept, &s[k], &e) == 0, "%s", e.msg);
    }
    CHECK(s[0].effort.batches == 3 && s[0].effort.capped && s[2].effort.batches == 1);
    /* one batch shows no floor: the cap stopped it */
    CHECK(s[2].effort.limited_by == CR_SIM_EFFORT_CAP &&
          s[0].effort.limited_by != CR_SIM_EFFORT_MET);
    CHECK_INT(cr_sizing_sim_draws(&c, &s[0]), 3 * D);
    CHECK(memcmp(s[0].sum, s[1].sum, sizeof s[0].sum) == 0);
    CHECK(memcmp(s[0].mcse, s[1].mcse, sizeof s[0].mcse) == 0);
    for (int u = 0; u < c.nusers; u++)
        for (int j = 0; j < 3; j++) {
            CHECK(s[0].nsample[j] == 3 * s[2].nsample[j]);
            CHECK(memcmp(s[0].sample[u][j], s[1].sample[u][j],
                         s[0].nsample[j] * sizeof(double)) == 0);
            CHECK(memcmp(s[0].sample[u][j], s[2].sample[u][j],
                         s[2].nsample[j] * sizeof(double)) == 0);
            /* batch 1 took the other draws (and other users): not batch 0 again */
            CHECK(memcmp(s[0].sample[u][j], s[0].sample[u][j] + s[2].nsample[j],
                         s[2].nsample[j] * sizeof(double)) != 0);
        }
    for (int u = 0; u < c.nusers; u++)
        for (int m = 0; m < CR_SZ_NMETRICS; m++)
            CHECK(s[0].sum[u][m].mean == s[2].sum[u][m].mean);
    for (int u = 0; u < c.nusers; u++) {
        printf("  N=%d: concurrent q99 %.0f +- %.1f (1 batch) and %.0f +- %.1f (3 batches)\n",
               c.users[u], s[2].sum[u][CR_SZ_CONC].q99, s[2].mcse[u][CR_SZ_CONC].q99,
               s[0].sum[u][CR_SZ_CONC].q99, s[0].mcse[u][CR_SZ_CONC].q99);
        CHECK(isfinite(s[0].mcse[u][CR_SZ_CONC].q99));
    }
    for (int k = 0; k < 3; k++) {
        s[k].all_draws[0] = s[k].all_draws[1] = NULL;
        s[k].slot_chain[0] = s[k].slot_chain[1] = NULL;
        cr_sizing_free(&s[k]);
    }
}

/* Which chain each draw slot's draws come from, by the thinning that chooses them: slot i takes
 * row i x rows / slots (and the rows after it in later batches). */
static void slot_chains(void)
{
    int chain[1000];
    cr_sizing_slot_chains(4, 1000, 1000, chain); /* rows 4i: 250 slots per chain, in order */
    for (int i = 0; i < 1000; i++)
        CHECK_INT(chain[i], i / 250);
    cr_sizing_slot_chains(3, 1000, 1000, chain); /* rows 3i: 334, 333 and 333 */
    int n[3] = {0};
    for (int i = 0; i < 1000; i++)
        n[chain[i]]++;
    CHECK(n[0] == 334 && n[1] == 333 && n[2] == 333 && chain[333] == 0 && chain[334] == 1);
    cr_sizing_slot_chains(4, 10, 3, chain); /* rows 0, 13, 26 */
    CHECK(chain[0] == 0 && chain[1] == 1 && chain[2] == 2);
    CHECK(cr_sizing_thin_row(2, 40, 3) == 26);
}

static void reads_draws_by_name(void)
{
    char path[512];
    snprintf(path, sizeof path, "%s/draws.csv", cr_test_tmpdir());
    FILE *f = fopen(path, "w");
    fputs("chain,iteration,lp__,\"phi\",sigma_minute,alpha,\"z_minute[1,1]\",sigma_machine\n", f);
    for (int i = 0; i < 10; i++)
        fprintf(f, "1,%d,-3.5,%d.5,0.%d,-%d,0.1,1%d\n", i + 1, i, i, i, i);
    fclose(f);
    cr_sim_draw d[5];
    cr_err e;
    CHECKF(cr_sizing_read_draws(path, 5, d, &e) == 0, "%s", e.msg);
    /* Five of ten rows, evenly: rows 0, 2, 4, 6, 8. */
    for (int i = 0; i < 5; i++) {
        CHECK_NEAR(d[i].alpha, -2.0 * i, 0);
        CHECK_NEAR(d[i].phi, 2 * i + 0.5, 0);
        CHECK_NEAR(d[i].sigma_minute, (2 * i) / 10.0, 1e-15);
        CHECK_NEAR(d[i].sigma_machine, 10 + 2 * i, 0);
        CHECK_NEAR(d[i].rho, 0, 0);
    }
    f = fopen(path, "w");
    fputs("alpha,phi,sigma_minute\n1,2,3\n", f);
    fclose(f);
    CHECK(cr_sizing_read_draws(path, 5, d, &e) != 0);
    CHECK(strstr(e.msg, "sigma_machine") != NULL);
}

static int same_draw(const cr_sim_draw *a, const cr_sim_draw *b)
{
    return a->alpha == b->alpha && a->sigma_machine == b->sigma_machine &&
           a->sigma_minute == b->sigma_minute && a->phi == b->phi && a->rho == b->rho &&
           a->hurdle == b->hurdle && a->mu_pi == b->mu_pi && a->sigma_pi == b->sigma_pi &&
           a->burst == b->burst && a->w == b->w && a->lambda_b == b->lambda_b &&
           a->phi_b == b->phi_b && a->spread == b->spread && a->mu_s == b->mu_s &&
           a->tau_s == b->tau_s;
}

static const char *write_draws(const char *text)
{
    static char path[512];
    snprintf(path, sizeof path, "%s/model_draws.csv", cr_test_tmpdir());
    FILE *f = fopen(path, "w");
    if (!f)
        return NULL;
    fputs(text, f);
    fclose(f);
    return path;
}

/* Each ladder model's parameter columns (lib/model's names, in the order its draws file has
 * them) and what the simulator must make of one row: pois has no gamma per second (phi
 * infinite), nb_machine no minute effects, only the hurdle a zero chance. */
static void reads_draws_of_every_model(void)
{
    static const struct {
        const char *name, *csv;
        cr_sim_draw want;
    } cases[] = {
        {"pois", "chain,iteration,lp__,alpha,sigma_machine,sigma_minute,z_machine[1],"
                 "\"z_minute[1,1]\"\n1,1,-2,-1.5,0.75,0.25,0.5,-0.5\n",
         {.alpha = -1.5, .sigma_machine = 0.75, .sigma_minute = 0.25, .phi = INFINITY}},
        {"nb_machine", "chain,iteration,lp__,alpha,sigma_machine,phi,z_machine[1]\n"
                       "1,1,-2,0.5,1.25,3.5,0.1\n",
         {.alpha = 0.5, .sigma_machine = 1.25, .phi = 3.5}},
        {"nbh", "chain,iteration,lp__,alpha,sigma_machine,sigma_minute,phi,z_machine[1]\n"
                "1,1,-2,0.5,1.25,0.625,3.5,0.1\n",
         {.alpha = 0.5, .sigma_machine = 1.25, .sigma_minute = 0.625, .phi = 3.5}},
        {"nbh_ar1", "chain,iteration,lp__,alpha,sigma_machine,sigma_minute,rho,phi\n"
                    "1,1,-2,0.5,1.25,0.625,0.875,3.5\n",
         {.alpha = 0.5, .sigma_machine = 1.25, .sigma_minute = 0.625, .rho = 0.875,
          .phi = 3.5}},
        {"hurdle_nbh_ar1", "chain,iteration,lp__,alpha,sigma_machine,sigma_minute,rho,phi,"
                           "z_machine[1],\"z_minute[1,1]\",mu_pi,sigma_pi,z_pi[1]\n"
                           "1,1,-2,0.5,1.25,0.625,-0.375,3.5,0.1,0.2,-1.75,0.5,0.3\n",
         {.alpha = 0.5, .sigma_machine = 1.25, .sigma_minute = 0.625, .rho = -0.375, .phi = 3.5,
          .hurdle = 1, .mu_pi = -1.75, .sigma_pi = 0.5}},
        {"nbh_burst", "chain,iteration,lp__,alpha,sigma_machine,sigma_minute,phi,z_machine[1],"
                      "\"z_minute[1,1]\",w,lambda_b,phi_b\n"
                      "1,1,-2,0.5,1.25,0.625,3.5,0.1,0.2,0.03125,12.5,1.5\n",
         {.alpha = 0.5, .sigma_machine = 1.25, .sigma_minute = 0.625, .phi = 3.5, .burst = 1,
          .w = 0.03125, .lambda_b = 12.5, .phi_b = 1.5}},
        {"nbh_burst_msd", "chain,iteration,lp__,alpha,sigma_machine,mu_s,tau_s,phi,z_machine[1],"
                          "\"z_minute[1,1]\",w,lambda_b,phi_b,z_s[1]\n"
                          "1,1,-2,0.5,1.25,-0.75,0.25,3.5,0.1,0.2,0.03125,12.5,1.5,0.3\n",
         {.alpha = 0.5, .sigma_machine = 1.25, .phi = 3.5, .burst = 1, .w = 0.03125,
          .lambda_b = 12.5, .phi_b = 1.5, .spread = 1, .mu_s = -0.75, .tau_s = 0.25}},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *path = write_draws(cases[i].csv);
        cr_sim_draw d[2], w = cases[i].want;
        cr_err e;
        CHECKF(cr_sizing_read_draws(path, 2, d, &e) == 0, "%s: %s", cases[i].name, e.msg);
        for (int k = 0; k < 2; k++)
            CHECKF(same_draw(&d[k], &w),
                   "%s: read alpha %g sigma_machine %g sigma_minute %g phi %g rho %g hurdle %d "
                   "mu_pi %g sigma_pi %g", cases[i].name, d[k].alpha, d[k].sigma_machine,
                   d[k].sigma_minute, d[k].phi, d[k].rho, d[k].hurdle, d[k].mu_pi,
                   d[k].sigma_pi);
    }
}

/* Files no ladder model writes: each is a one-line error naming the file and the problem. */
static void rejects_incomplete_draws(void)
{
    static const struct {
        const char *csv, *expect;
    } cases[] = {
        {"mu_pi\n0.5\n", "no column alpha"},
        {"alpha,sigma_machine,sigma_minute,phi,mu_pi\n1,2,3,4,5\n", "hurdle model needs"},
        {"alpha,sigma_machine,sigma_minute,sigma_pi,mu_pi\n1,2,3,4,5\n", "hurdle model needs"},
        {"alpha,sigma_machine,sigma_minute,phi,w,phi_b\n1,2,3,4,0.1,1\n", "burst model needs"},
        {"alpha,sigma_machine,phi,w,lambda_b,phi_b,mu_s\n1,2,3,0.1,4,1,-1\n",
         "minute spreads need"},
        {"alpha,sigma_machine,phi,mu_s,tau_s\n1,2,3,-1,0.5\n", "minute spreads need"},
        {"alpha,sigma_machine,z\n1,2,3\n", "neither sigma_minute nor phi"},
        {"alpha,sigma_machine,phi\n1,2,x\n", ":2: column phi: 'x' is not a number"},
        {"alpha,sigma_machine,phi\n", "no draws"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *path = write_draws(cases[i].csv);
        cr_sim_draw d[1];
        cr_err e;
        CHECKF(cr_sizing_read_draws(path, 1, d, &e) != 0, "case %zu accepted", i);
        CHECKF(strstr(e.msg, path) && strstr(e.msg, cases[i].expect) && !strchr(e.msg, '\n'),
               "case %zu: '%s' is not one line with the file and '%s'", i, e.msg,
               cases[i].expect);
    }
}

typedef struct {
    int called;
    cr_sim_draw *d;
    const char *dir;
} kept_ctx;

static int keep(void *ctx, const cr_model *m, const cr_chains_result *res, cr_err *e)
{
    kept_ctx *k = ctx;
    k->called++;
    return cr_sizing_draws_from_columns(m, res, NULL, 0, 50, k->d, k->dir, e);
}

/* Every model of the ladder fitted (briefly) to a small table through lib/fit's ladder loop:
 * the draws handed over in memory are those of the draws file the output layer wrote from the
 * result's population draws, read back by the CSV reader (17 significant digits: exact). */
static void draws_from_fit_match_the_file(void)
{
    const char *tmp = cr_test_tmpdir();
    char cps[512];
    snprintf(cps, sizeof cps, "%s/small_cps.csv", tmp);
    FILE *f = fopen(cps, "w");
    CHECK(f);
    fputs("machine_id,machine,second,minute,tcp_new,udp_new,tcp_end,udp_end\n", f);
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    for (int k = 1; k <= 3; k++)
        for (int sec = 1; sec <= 180; sec++) {
            /* zeros and bursts, so that every model has something to fit */
            unsigned y = gsl_rng_uniform(r) < 0.4 ? 0 : gsl_ran_negative_binomial(r, 0.3, k);
            fprintf(f, "m%d,%d,%d,%d,%u,0,0,0\n", k, k, sec, (sec - 1) / 60 + 1, y);
        }
    gsl_rng_free(r);
    fclose(f);
    cr_cps_table t;
    cr_err e;
    CHECKF(cr_cps_read(&t, cps, &e) == 0, "%s", e.msg);
    cr_progress_set_quiet(1);
    for (int i = 0; i < CR_LADDER_NMODELS; i++) {
        const char *name = cr_ladder_models[i].entry.name;
        char dir[512], file[600];
        snprintf(dir, sizeof dir, "%s/fit_%s", tmp, name);
        snprintf(file, sizeof file, "%s/draws/tcp_new.csv", dir);
        cr_fit_ladder_options o;
        cr_test_brief_fit(&o, i, CR_FIT_DRAWS_POPULATION);
        cr_sim_draw mem[50], disk[50];
        kept_ctx k = {0, mem, dir};
        o.kept = keep;
        o.kept_ctx = &k;
        cr_series series = {"tcp_new", t.count[CR_CPS_TCP_NEW]};
        cr_fit_result res;
        int rc = cr_fit_ladder_series(&t, &series, &o, &res, &e);
        CHECKF(rc == 0, "%s: %s", name, e.msg);
        rc = cr_fit_result_write(dir, &res, 0, NULL, &e);
        cr_fit_result_free(&res);
        CHECKF(rc == 0, "%s: %s", name, e.msg);
        CHECK_INT(k.called, 1);
        CHECKF(cr_sizing_read_draws(file, 50, disk, &e) == 0, "%s: %s", name, e.msg);
        for (int d = 0; d < 50; d++)
            CHECKF(same_draw(&mem[d], &disk[d]), "%s: draw %d in memory differs from %s", name,
                   d + 1, file);
        CHECKF(mem[0].hurdle == (i == CR_LADDER_HURDLE_NBH_AR1) &&
                   mem[0].burst == (i == CR_LADDER_NBH_BURST || i == CR_LADDER_NBH_BURST_MSD) &&
                   mem[0].spread == (i == CR_LADDER_NBH_BURST_MSD) &&
                   isinf(mem[0].phi) == (i == CR_LADDER_POIS),
               "%s: read as another model", name);
    }
    cr_cps_free(&t);
}

/* Every failing part of a run gets one line of advice, matched to what failed. */
static void status_and_advice(void)
{
    cr_sizing s;
    memset(&s, 0, sizeof s);
    s.fit_new.pass = 0;
    snprintf(s.fit_new.reasons, sizeof s.fit_new.reasons, "divergences=3");
    s.fit_end.pass = 0;
    snprintf(s.fit_end.reasons, sizeof s.fit_end.reasons, "ppc");
    s.dur[1].fitted = 1;
    snprintf(s.dur[1].check.reasons, sizeof s.dur[1].check.reasons, "Kaplan-Meier P(D > 1 s)");
    char status[1200], advice[512];
    cr_sizing_status(&s, status, sizeof status);
    CHECK_STR(status, "FAIL: new connections fit: divergences=3; terminations fit: ppc; UDP "
                      "durations fit: Kaplan-Meier P(D > 1 s)");
    CHECK(cr_sizing_advice(&s, 0, advice, sizeof advice) &&
          strstr(advice, "new connections: the sampler did not converge"));
    CHECK(cr_sizing_advice(&s, 1, advice, sizeof advice) &&
          strstr(advice, "terminations: the model does not reproduce"));
    CHECK(cr_sizing_advice(&s, 2, advice, sizeof advice) &&
          strstr(advice, "UDP durations: the mixture misses what Kaplan-Meier sees"));
    CHECK(!cr_sizing_advice(&s, 3, advice, sizeof advice));
    s.fit_new.pass = s.fit_end.pass = 1;
    s.dur[1].check.pass = 1;
    cr_sizing_status(&s, status, sizeof status);
    CHECK_STR(status, "PASS");
    CHECK(!cr_sizing_advice(&s, 0, advice, sizeof advice));
}

static void parses_users(void)
{
    cr_sizing_config c;
    cr_sizing_config_default(&c);
    cr_err e;
    CHECK_INT(c.nusers, 4);
    CHECK_INT(c.users[3], 100);
    CHECK(cr_sizing_parse_users(&c, "2,20,2000", &e) == 0);
    CHECK_INT(c.nusers, 3);
    CHECK_INT(c.users[2], 2000);
    CHECK(cr_sizing_parse_users(&c, "10,5", &e) != 0);
    CHECK(cr_sizing_parse_users(&c, "0", &e) != 0);
    CHECK(cr_sizing_parse_users(&c, "1,,2", &e) != 0);
    CHECK(cr_sizing_parse_users(&c, "", &e) != 0);
    CHECK(cr_sizing_parse_users(&c, "5x", &e) != 0);
}

/* The session law's closed-form stop-loss E[(T - x)+], which the concurrency simulation
 * convolves with the arrival intensity, against the mean of (T - x)+ over session times drawn
 * one by one, for every firewall profile (each has other holds, and linux splits UDP streams
 * at 2 s) at points around the holds, with durations whole and cut at a horizon (one beyond
 * most, one inside linux's UDP stream split). */
static void session_stoploss_matches_draws(void)
{
    static cr_sizing s;
    cr_duration_params pt = {2, {0.6, 0.4}, {log(2), log(40)}, {1.0, 1.5}, 0, 0};
    /* UDP with half its flows below a 1 ms resolution, as on real captures */
    cr_duration_params pu = {2, {0.7, 0.3}, {log(0.05), log(8)}, {0.8, 1.2}, 0.5, 0.001};
    s.dur[0].fitted = s.dur[1].fitted = 1;
    s.dur[0].draws = &pt, s.dur[1].draws = &pu;
    s.p_tcp = 0.7, s.p_rst = 0.1, s.p_idle = 0.2, s.p_dns = 0.4;
    size_t np;
    const cr_fw_profile *profiles = cr_fw_profiles(&np);
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    enum { NS = 400000 };
    const double xs[] = {-1, 0, 0.5, 1, 2.5, 10, 30, 60, 119, 121, 300, 1000, 4000};
    double *t = xmalloc(NS * sizeof *t), worst = 0;
    static const double horizons[] = {0, 100, 1.5};
    for (size_t f = 0; f < 3 * np; f++) {
        s.horizon = horizons[f / np];
        cr_sz_sessions sm = {&profiles[f % np], &s, NULL}, cached = sm;
        cr_sz_sessions_cache(&cached, 1);
        for (int i = 0; i < NS; i++)
            t[i] = cr_sz_session_seconds(&sm, r, 0);
        for (size_t j = 0; j < sizeof xs / sizeof *xs; j++) {
            double mc = 0, mc2 = 0;
            for (int i = 0; i < NS; i++) {
                double v = t[i] > xs[j] ? t[i] - xs[j] : 0;
                mc += v / NS, mc2 += v * v / NS;
            }
            double se = sqrt((mc2 - mc * mc) / NS), g = cr_sz_session_stoploss(&sm, 0, xs[j]);
            double z = se > 0 ? (g - mc) / se : (g - mc) * 1e12;
            worst = fabs(z) > worst ? fabs(z) : worst;
            CHECKF(fabs(z) < 4.5, "%s, horizon %g: E[(T - %g)+] %g by formula, %g by draws (se %g)",
                   profiles[f % np].name, s.horizon, xs[j], g, mc, se);
            CHECK(cr_sz_session_stoploss(&cached, 0, xs[j]) == g);
        }
        free(cached.within);
    }
    printf("  stop-loss vs draws: %zu profiles x 3 horizons x 13 points, largest |z| %.2f\n", np,
           worst);
    free(t);
    gsl_rng_free(r);
}

TEST_MAIN(RUN(littles_law_and_scaling); RUN(batches_reproducible); RUN(reads_draws_by_name);
          RUN(reads_draws_of_every_model);
          RUN(rejects_incomplete_draws); RUN(draws_from_fit_match_the_file);
          RUN(status_and_advice); RUN(parses_users);
          RUN(session_stoploss_matches_draws); RUN(slot_chains))
