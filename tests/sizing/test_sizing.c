/* The sizing pipeline's simulation step against closed-form references: the seed's N x mu
 * scaling of mean new connections, steady-state terminations equal to arrivals, Little's law for
 * the session table (mean concurrency = arrival rate x mean session time, with the mean of the
 * lognormal mixture and the hold times computed here by hand), and the derived log metrics.
 * Plus the draws reader and the --users parser. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/progress.h"
#include "common/xalloc.h"
#include "sizing/sizing.h"
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
        d->draws[i] = (cr_duration_params){w, m1, m2, s1, s2};
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
    /* Relative tolerances: about 4 standard errors of the mean over 40 draws, dominated by the
     * users' baselines (sd 0.1 / sqrt(N x 40)) and the minute effects. */
    static const double tol[3] = {0.08, 0.03, 0.02};
    for (int u = 0; u < c.nusers; u++) {
        double n = c.users[u];
        const cr_sim_summary *m = s.sum[u];
        printf("  N=%g: new %.4f (expected %.4f), logs/min %.2f (%.2f), concurrent %.2f (%.2f)\n",
               n, m[CR_SZ_NEW].mean, n * rate, m[CR_SZ_LOGS].mean, 60 * n * rate,
               m[CR_SZ_CONC].mean, n * rate * (dur + hold));
        CHECK_NEAR(m[CR_SZ_NEW].mean / (n * rate), 1, tol[u]);
        CHECK_NEAR(m[CR_SZ_LOGS].mean / (60 * n * rate), 1, tol[u]);
        CHECK_NEAR(m[CR_SZ_CONC].mean / (n * rate * (dur + hold)), 1, tol[u]);
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

TEST_MAIN(RUN(littles_law_and_scaling); RUN(reads_draws_by_name); RUN(parses_users))
