/* The recommended figures and datasheet limits (sizing_recommend.c, sizing_capacity.c) against
 * references computed here: on a Poisson model with no user or minute effects, new sessions per
 * second are Poisson(N lambda) and firewall log lines per whole minute twice a Poisson(60 N
 * lambda), and sessions held Poisson(N lambda E[T]) (M/G/infinity, E[T] by hand), so the share
 * of seconds above a limit and the largest N whose 99th percentile (the mid-quantile) x 1.25
 * stays within it are known exactly (GSL's Poisson CDF); the shares and their Monte Carlo
 * errors also against a brute-force count over the simulated samples; the per-minute log lines
 * against the table to the bit, interim logs included; and the parsers of --capacity,
 * --capacity-file and --percentile with their messages. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_randist.h>

#include "common/progress.h"
#include "common/xalloc.h"
#include "sizing/sizing.h"
#include "sizing/sizing_internal.h"
#include "test.h"

#define NDRAWS 40
#define LAMBDA 0.5 /* new sessions per second per user */

static void set_durations(cr_sizing_duration *d)
{
    d->fitted = 1;
    d->draws = xmalloc(NDRAWS * sizeof *d->draws);
    for (int i = 0; i < NDRAWS; i++)
        d->draws[i] = (cr_duration_params){2, {0.7, 0.3}, {log(2), log(30)}, {0.8, 0.6}, 0, 0};
}

/* A run's simulation of Poisson users, 1, 10 and 100 of them; the caller frees s. */
static void poisson_run(cr_sizing_config *c, cr_sizing *s, cr_sim_draw *d)
{
    cr_sizing_config_default(c);
    c->nusers = 3;
    c->users[0] = 1, c->users[1] = 10, c->users[2] = 100;
    c->draws = NDRAWS;
    c->seconds = 1800;
    c->seed = 11;
    c->max_batches = 1;
    c->fw.tcp_fin_hold = 30, c->fw.tcp_rst_hold = 5, c->fw.tcp_idle = 120;
    c->fw.udp_idle = 60, c->fw.dns_timeout = 10, c->fw.dns_on_reply = 0;
    c->fw.udp_stream_after = 0, c->fw.logs_per_session = 2, c->fw.interim_log_every = 0;
    memset(s, 0, sizeof *s);
    set_durations(&s->dur[0]);
    set_durations(&s->dur[1]);
    s->p_tcp = 0.6, s->p_rst = 0.2, s->p_idle = 0.1, s->p_dns = 0.5;
    for (int i = 0; i < NDRAWS; i++)
        d[i] = (cr_sim_draw){.alpha = log(LAMBDA), .phi = INFINITY};
    s->draws[0] = s->draws[1] = d; /* the search simulates further N from them */
}

/* The mid-quantile p of X ~ Poisson(mu), which the table's quantiles estimate: the inverse of
 * the mid-CDF P(X < k) + P(X = k) / 2, linear between integers k. */
static double poisson_quantile(double mu, double p)
{
    unsigned k = 0;
    double prev = 0, f = gsl_ran_poisson_pdf(0, mu) / 2;
    while (f < p) {
        prev = f;
        k++;
        f = gsl_cdf_poisson_P(k, mu) - gsl_ran_poisson_pdf(k, mu) / 2;
    }
    return k == 0 ? 0 : k - 1 + (p - prev) / (f - prev);
}

/* The largest N (up to 1000) with scale x q99(Poisson(N mu1)) x headroom <= limit, q99 the
 * mid-quantile. */
static long largest_n(double mu1, double scale, double headroom, double limit)
{
    long n = 0;
    for (long N = 1; N <= 1000; N++)
        if (scale * poisson_quantile(N * mu1, 0.99) * headroom <= limit)
            n = N;
        else
            break;
    return n;
}

/* The share of x[d * per + i] above L and its error, counted here. */
static void brute_share(const double *x, int ndraws, size_t per, double L, double *p,
                        double *se)
{
    double f[NDRAWS], m = 0, ss = 0;
    for (int d = 0; d < ndraws; d++) {
        size_t k = 0;
        for (size_t i = 0; i < per; i++)
            k += x[(size_t)d * per + i] > L;
        f[d] = (double)k / (double)per;
        m += f[d] / ndraws;
    }
    for (int d = 0; d < ndraws; d++)
        ss += (f[d] - m) * (f[d] - m);
    *p = m;
    *se = sqrt(ss / (ndraws - 1) / ndraws);
}

static void poisson_limits(void)
{
    cr_sizing_config c;
    cr_sizing s;
    cr_sim_draw d[NDRAWS];
    poisson_run(&c, &s, d);
    c.capacity[CR_SZ_CPS] = 9;
    c.capacity[CR_SZ_SESSIONS] = 260;
    c.capacity[CR_SZ_LOGRATE] = 11; /* 660 lines in a minute */
    cr_err e;
    cr_progress_set_quiet(1);
    CHECKF(cr_sizing_simulate(&c, d, d, &s, &e) == 0, "%s", e.msg);
    CHECKF(cr_sizing_recommend(&c, &s, &e) == 0, "%s", e.msg);

    /* N = 10: P(Poisson(5) > 9), P(2 Poisson(300) > 660) per minute, and P(Poisson(5 E[T]) >
     * 260) with the session time's mean: the lognormal mixture's plus the holds by how
     * sessions end (TCP: RST, idle, FIN; UDP: DNS, other) */
    const int u = 1;
    double dur = 0.7 * 2 * exp(0.8 * 0.8 / 2) + 0.3 * 30 * exp(0.6 * 0.6 / 2);
    double hold = 0.6 * (0.2 * 5 + 0.1 * 120 + 0.7 * 30) + 0.4 * (0.5 * 10 + 0.5 * 60);
    double want[3] = {1 - gsl_cdf_poisson_P(9, 10 * LAMBDA),
                      1 - gsl_cdf_poisson_P(330, 60 * 10 * LAMBDA),
                      1 - gsl_cdf_poisson_P(260, 10 * LAMBDA * (dur + hold))};
    double n[3] = {NDRAWS * 1800.0, NDRAWS * 30.0, NDRAWS * 1800.0};
    const int lim[3] = {CR_SZ_CPS, CR_SZ_LOGRATE, CR_SZ_SESSIONS};
    for (int i = 0; i < 3; i++) {
        const cr_sizing_capacity *cap = &s.cap[lim[i]];
        double binom = sqrt(want[i] * (1 - want[i]) / n[i]); /* independent seconds here */
        printf("  %s N=10: exceeded %.5f +- %.5f, Poisson %.5f (binomial sd %.5f)\n",
               cr_sizing_limit_names[lim[i]], cap->p[u], cap->p_mcse[u], want[i], binom);
        CHECK_NEAR(cap->p[u], want[i], 4 * binom);
        CHECKF(cap->p_mcse[u] > 0.5 * binom && cap->p_mcse[u] < 2 * binom, "mcse %g, sd %g",
               cap->p_mcse[u], binom);
    }
    /* the same counted here over the samples */
    for (int v = 0; v < c.nusers; v++) {
        double p, se;
        brute_share(s.sample[v][0], NDRAWS, 1800, 9, &p, &se);
        CHECK_NEAR(s.cap[CR_SZ_CPS].p[v], p, 1e-15);
        CHECK_NEAR(s.cap[CR_SZ_CPS].p_mcse[v], se, 1e-12);
        double *logs = cr_sizing_log_minutes(&c, &s, v);
        brute_share(logs, NDRAWS, 30, 660, &p, &se);
        CHECK_NEAR(s.cap[CR_SZ_LOGRATE].p[v], p, 1e-15);
        CHECK_NEAR(s.cap[CR_SZ_LOGRATE].p_mcse[v], se, 1e-12);
        free(logs);
    }

    /* The largest N: q99 x 1.25 <= 9 new sessions/s, and 2 q99 x 1.25 <= 660 lines/min. */
    long n_cps = largest_n(LAMBDA, 1, 1.25, 9), n_logs = largest_n(60 * LAMBDA, 2, 1.25, 660);
    printf("  largest N: cps %ld (Poisson %ld, %d simulations), logs %ld (Poisson %ld, %d)\n",
           s.cap[CR_SZ_CPS].max_users, n_cps, s.cap[CR_SZ_CPS].simulations,
           s.cap[CR_SZ_LOGRATE].max_users, n_logs, s.cap[CR_SZ_LOGRATE].simulations);
    CHECK_INT(n_cps, 5);
    CHECK_INT(s.cap[CR_SZ_CPS].max_users, n_cps);
    CHECK_INT(s.cap[CR_SZ_LOGRATE].max_users, n_logs);
    CHECK(!s.cap[CR_SZ_CPS].at_least && s.cap[CR_SZ_CPS].simulations > 0);

    /* The figures: the table's 99th percentile x 1.25, and per draw the Poisson mid-quantile. */
    for (int v = 0; v < c.nusers; v++) {
        const cr_sizing_figure *f = &s.fig[v][CR_SZ_CPS];
        CHECK(f->q == s.sum[v][CR_SZ_NEW].q99 && f->size == 1.25 * f->q);
        CHECK(f->q_mcse == s.mcse[v][CR_SZ_NEW].q99);
        double q = poisson_quantile(c.users[v] * LAMBDA, 0.99);
        printf("  N=%d: q99 %.4f +- %.4f, Poisson %.4f\n", c.users[v], f->q, f->q_mcse, q);
        CHECKF(fabs(f->q - q) < 4 * f->q_mcse, "N=%d: q99 %g +- %g, Poisson %g", c.users[v],
               f->q, f->q_mcse, q);
        CHECKF(f->draws_q[0] <= q + 0.5 && f->draws_q[1] >= q - 0.5 &&
                   f->draws_q[1] - f->draws_q[0] <= 4,
               "N=%d: draws %g..%g, q99 %g", c.users[v], f->draws_q[0], f->draws_q[1], q);
        /* 30 minutes a draw leave too few beyond a 99th percentile to say */
        CHECK(isnan(s.fig[v][CR_SZ_LOGRATE].draws_q[0]));
    }
    s.draws[0] = s.draws[1] = NULL;
    cr_sizing_free(&s);
}

/* Above the table's N: a limit far beyond them is found by growing N, and one no N reaches
 * stops at the bound; below them, one not even a single user meets gives 0. */
static void limits_beyond_the_table(void)
{
    cr_sizing_config c;
    cr_sizing s;
    cr_sim_draw d[NDRAWS];
    poisson_run(&c, &s, d);
    c.nusers = 2; /* 1 and 10 users */
    c.search_max = 3000;
    c.capacity[CR_SZ_CPS] = 1.25 * 90; /* q99 of Poisson(N / 2) within 90 */
    c.capacity[CR_SZ_SESSIONS] = 1e12;
    c.capacity[CR_SZ_LOGRATE] = 0.01;
    cr_err e;
    CHECKF(cr_sizing_simulate(&c, d, d, &s, &e) == 0, "%s", e.msg);
    CHECKF(cr_sizing_recommend(&c, &s, &e) == 0, "%s", e.msg);
    long want = largest_n(LAMBDA, 1, 1.25, c.capacity[CR_SZ_CPS]);
    printf("  cps: %ld users (Poisson %ld) after %d simulations; sessions: %s%ld\n",
           s.cap[CR_SZ_CPS].max_users, want, s.cap[CR_SZ_CPS].simulations,
           s.cap[CR_SZ_SESSIONS].at_least ? "at least " : "", s.cap[CR_SZ_SESSIONS].max_users);
    CHECK_NEAR((double)s.cap[CR_SZ_CPS].max_users, (double)want, 1);
    CHECK(s.cap[CR_SZ_SESSIONS].at_least && s.cap[CR_SZ_SESSIONS].max_users == 3000);
    CHECK(s.cap[CR_SZ_LOGRATE].max_users == 0 && !s.cap[CR_SZ_LOGRATE].at_least);
    s.draws[0] = s.draws[1] = NULL;
    cr_sizing_free(&s);
}

/* Firewall log lines per minute with interim logs (lines per session vary by draw): the
 * minutes rebuilt for the figures and limits are the table's, to the bit. */
static void log_minutes_are_the_tables(void)
{
    cr_sizing_config c;
    cr_sizing s;
    cr_sim_draw d[NDRAWS];
    poisson_run(&c, &s, d);
    c.fw.interim_log_every = 20;
    for (int i = 0; i < NDRAWS; i++) /* durations that differ by draw */
        s.dur[0].draws[i].m[1] = log(20 + i);
    cr_err e;
    CHECKF(cr_sizing_simulate(&c, d, d, &s, &e) == 0, "%s", e.msg);
    CHECKF(cr_sizing_recommend(&c, &s, &e) == 0, "%s", e.msg);
    double lo = INFINITY, hi = 0;
    for (int i = 0; i < NDRAWS; i++)
        lo = fmin(lo, s.logs_per_draw[i]), hi = fmax(hi, s.logs_per_draw[i]);
    printf("  log lines per session %.3f to %.3f over draws\n", lo, hi);
    CHECK(hi > lo * 1.01);
    for (int u = 0; u < c.nusers; u++) {
        double *x = cr_sizing_log_minutes(&c, &s, u);
        cr_sim_summary m;
        cr_sim_summarize(x, s.nsample[1], &m);
        const cr_sim_summary *t = &s.sum[u][CR_SZ_FWLOGS];
        CHECK(m.q50 == t->q50 && m.q90 == t->q90 && m.q99 == t->q99 && m.q999 == t->q999 &&
              m.max == t->max);
        CHECK(s.fig[u][CR_SZ_LOGRATE].q == t->q99);
        free(x);
    }
    s.draws[0] = s.draws[1] = NULL;
    cr_sizing_free(&s);
}

static void parses_limits(void)
{
    cr_sizing_config c;
    cr_sizing_config_default(&c);
    cr_err e;
    int given[CR_SZ_NDATASHEET] = {0};
    CHECKF(cr_sizing_parse_capacity(&c, "--capacity", "cps=20k,sessions=1.5M,logs=5000", given,
                                    &e) == 0, "%s", e.msg);
    CHECK(c.capacity[0] == 2e4 && c.capacity[1] == 1.5e6 && c.capacity[2] == 5000);
    CHECK(given[0] && given[1] && given[2]);
    static const struct {
        const char *arg, *msg;
    } bad[] = {
        {"cps=0", "--capacity cps=0: cps: '0' is not a number above 0 (k and M allowed: 20k, "
                  "1.5M)"},
        {"cps=2x", "--capacity cps=2x: cps: '2x' is not a number above 0 (k and M allowed: "
                   "20k, 1.5M)"},
        {"conns=5", "--capacity conns=5: unknown limit 'conns' (expected cps=, sessions= or "
                    "logs= and a number)"},
        {"cps=1,cps=2", "--capacity cps=1,cps=2: cps given twice"},
        {"cps", "--capacity cps: unknown limit 'cps' (expected cps=, sessions= or logs= and a "
                "number)"},
        {"", "--capacity '': expected cps=, sessions= or logs= and a number"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        CHECK(cr_sizing_parse_capacity(&c, "--capacity", bad[i].arg, NULL, &e) != 0);
        CHECK_STR(e.msg, bad[i].msg);
    }
    CHECK(cr_sizing_parse_percentile(&c, "99.9", &e) == 0 && c.percentile == 99.9);
    CHECK(cr_sizing_parse_percentile(&c, "98", &e) != 0);
    CHECK_STR(e.msg, "--percentile 98: expected one of 50, 90, 95, 99, 99.9 (the table's "
                     "percentiles)");

    /* a datasheet file; the command line's keys win */
    char path[600];
    snprintf(path, sizeof path, "%s/fw.txt", cr_test_tmpdir());
    FILE *f = fopen(path, "w");
    fputs("# PA-440 datasheet\n\ncps = 3,000\n", f);
    fclose(f);
    CHECK(cr_sizing_read_capacity(&c, path, NULL, &e) != 0);
    char want[800];
    snprintf(want, sizeof want, "%s:3: cps: '3,000' is not a number above 0 (k and M allowed: "
                                "20k, 1.5M)", path);
    CHECK_STR(e.msg, want);
    f = fopen(path, "w");
    fputs("# PA-440 datasheet\r\n\r\ncps = 3k   # new sessions per second\r\nsessions=64000\r\n"
          "logs=2.5k\r\n", f);
    fclose(f);
    cr_sizing_config_default(&c);
    int cli[CR_SZ_NDATASHEET] = {0, 1, 0};
    c.capacity[1] = 7;
    CHECKF(cr_sizing_read_capacity(&c, path, cli, &e) == 0, "%s", e.msg);
    CHECK(c.capacity[0] == 3000 && c.capacity[1] == 7 && c.capacity[2] == 2500);
    f = fopen(path, "w");
    fputs("# nothing\n", f);
    fclose(f);
    CHECK(cr_sizing_read_capacity(&c, path, NULL, &e) != 0);
    snprintf(want, sizeof want, "%s: no limits (expected lines such as cps=20k, sessions=1.5M, "
                                "logs=5000)", path);
    CHECK_STR(e.msg, want);
}

TEST_MAIN(RUN(parses_limits); RUN(poisson_limits); RUN(limits_beyond_the_table);
          RUN(log_minutes_are_the_tables))
