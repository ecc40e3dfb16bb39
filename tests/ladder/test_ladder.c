/* The model ladder (lib/ladder) and `connrate fit --model auto` (lib/fit/fit_ladder.c): the
 * choice rule on made-up verdicts against loo_compare's formula written here, the per-machine
 * views of a draw, the distinct points of PSIS-LOO, every model fitted to a small synthetic
 * set, reproducible outputs, the shared real captures, and the leave-one-machine-out coverage
 * on data drawn from the model. */
#include "test.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "common/progress.h"
#include "common/xalloc.h"
#include "fit/fit.h"
#include "ladder/ladder.h"
#include "model/nbh.h"

/* sqrt(n var(a - b)) with the n - 1 variance, as loo_compare() computes se_diff. */
static double se_of_diff(const double *a, const double *b, int n)
{
    double m = 0, v = 0;
    for (int i = 0; i < n; i++)
        m += (a[i] - b[i]) / n;
    for (int i = 0; i < n; i++)
        v += (a[i] - b[i] - m) * (a[i] - b[i] - m) / (n - 1);
    return sqrt(n * v);
}

static void test_choose(void)
{
    enum { N = 200 };
    static double e[3][N];
    gsl_rng *g = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(g, 1);
    for (int i = 0; i < N; i++) {
        double base = -1 - gsl_ran_exponential(g, 1);
        e[2][i] = base;                                  /* best */
        e[1][i] = base - 0.005 + (i % 2 ? 0.1 : -0.1); /* 1 below, se 1.42: within */
        e[0][i] = base - 0.5 + gsl_ran_gaussian(g, 0.1);  /* ~100 below: far */
    }
    gsl_rng_free(g);
    const char *names[3] = {"a", "b", "c"};
    cr_ladder_candidate c[3] = {{1, 1, e[0], 1}, {1, 1, e[1], 1}, {1, 1, e[2], 1}};
    cr_ladder_choice ch;
    cr_ladder_choose(3, c, names, NULL, N, &ch);
    double d1 = 0;
    for (int i = 0; i < N; i++)
        d1 += e[1][i] - e[2][i];
    CHECK_INT(ch.best, 2);
    CHECK_INT(ch.chosen, 1);
    CHECK_INT(ch.failing, 0);
    CHECK_NEAR(ch.elpd_diff[1], d1, 1e-9);
    CHECK_NEAR(ch.se_diff[1], se_of_diff(e[1], e[2], N), 1e-9);
    CHECKF(-d1 <= 2 * ch.se_diff[1], "model b should be within 2 SE (%g, %g)", d1, ch.se_diff[1]);
    CHECK(strstr(ch.reason, "simpler b") != NULL);

    c[1].ppc_pass = 0; /* b dropped: a is far worse than c, so c */
    cr_ladder_choose(3, c, names, NULL, N, &ch);
    CHECK_INT(ch.chosen, 2);
    CHECK(isnan(ch.elpd_diff[1]) && !ch.compared[1]);

    c[2].converged = 0; /* only a passes */
    cr_ladder_choose(3, c, names, NULL, N, &ch);
    CHECK_INT(ch.chosen, 0);
    CHECK_INT(ch.failing, 0);

    c[0].ppc_pass = 0; /* none: the best elpd of all, failing */
    cr_ladder_choose(3, c, names, NULL, N, &ch);
    CHECK_INT(ch.chosen, 2);
    CHECK_INT(ch.failing, 1);
    CHECK(strstr(ch.reason, "marked as failing") != NULL);

    c[2].usable = 0; /* none passes: the best elpd of the usable ones */
    cr_ladder_choose(3, c, names, NULL, N, &ch);
    CHECK_INT(ch.chosen, 1);
    CHECK_INT(ch.failing, 1);
    CHECK(!ch.compared[2]);

    c[0].usable = c[1].usable = 0; /* nor is any usable: of all again */
    cr_ladder_choose(3, c, names, NULL, N, &ch);
    CHECK_INT(ch.chosen, 2);
    CHECK(ch.compared[0] && ch.compared[1] && ch.compared[2]);

    /* weights: a row of weight 2 is that row twice */
    double w[N], a2[N + 1], c2[N + 1];
    for (int i = 0; i < N; i++)
        w[i] = i == 0 ? 2 : 1, a2[i] = e[1][i], c2[i] = e[2][i];
    a2[N] = e[1][0], c2[N] = e[2][0];
    cr_ladder_candidate cw[2] = {{1, 1, e[1], 1}, {1, 1, e[2], 1}};
    cr_ladder_choose(2, cw, names, w, N, &ch);
    CHECK_NEAR(ch.se_diff[0], se_of_diff(a2, c2, N + 1), 1e-9);
}

static void test_points(void)
{
    static const int machine[] = {1, 1, 1, 1, 2, 2, 2}, minute[] = {1, 1, 1, 2, 1, 1, 1};
    static const int y[] = {3, 0, 3, 1, 0, 0, 5};
    const cr_ladder_rows r = {7, machine, minute, y};
    cr_ladder_points p;
    cr_ladder_points_init(&p, &r);
    CHECK_INT(p.n, 5); /* (1,1,0) (1,1,3)x2 (1,2,1) (2,1,0)x2 (2,1,5) */
    CHECK_INT(p.y[1], 3);
    CHECK_NEAR(p.weight[1], 2, 0);
    CHECK_INT(p.machine[3], 2);
    CHECK_NEAR(p.weight[3], 2, 0);
    cr_ladder_points_free(&p);
}

/* The view of machine 2 keeps machines 1..2, machine 2's cells and the tail. */
static void test_machine_view(void)
{
    static const int machine[] = {1, 1, 2, 2, 2, 3}, minute[] = {1, 2, 1, 3, 3, 1};
    static const int y[] = {1, 2, 3, 4, 5, 6};
    const cr_ladder_rows r = {6, machine, minute, y};
    cr_ladder_data ld;
    cr_ladder_data_init(&ld, cr_ladder_find("nbh"), &r);
    double v[64], out[64];
    for (int i = 0; i < ld.m.nout; i++)
        v[i] = i;
    /* nbh: 4 fixed, 3 machines (4..6), cells (1,1)(1,2)(2,1)(2,3)(3,1) at 7..11 */
    int n = cr_ladder_machine_view(&ld, v, 2, out);
    CHECK_INT(n, 4 + 2 + 2);
    CHECK_NEAR(out[5], 5, 0);
    CHECK_NEAR(out[6], 9, 0);
    CHECK_NEAR(out[7], 10, 0);
    cr_ladder_data_free(&ld);

    /* hurdle: nbh_ar1's 5 fixed, 3 machines (5..7), cells of every minute from each machine's
     * first to last: (1,1)(1,2)(2,1)(2,2)(2,3)(3,1) at 8..13, mu_pi 14, sigma_pi 15, z_pi 16..18 */
    cr_ladder_data_init(&ld, cr_ladder_find("hurdle_nbh_ar1"), &r);
    CHECK_INT(ld.m.nout, 19);
    for (int i = 0; i < ld.m.nout; i++)
        v[i] = i;
    n = cr_ladder_machine_view(&ld, v, 2, out);
    CHECK_INT(n, 5 + 2 + 3 + 2 + 2);
    CHECK_NEAR(out[7], 10, 0);
    CHECK_NEAR(out[9], 12, 0);
    CHECK_NEAR(out[10], 14, 0);
    CHECK_NEAR(out[12], 16, 0);
    CHECK_NEAR(out[13], 17, 0);
    /* a new machine keeps the population values and the tail's fixed values */
    gsl_rng *g = gsl_rng_alloc(gsl_rng_mt19937);
    cr_ladder_new_machine_view(&ld, v, 2, g, out);
    CHECK_NEAR(out[4], 4, 0);
    CHECK_NEAR(out[5 + 1 + 2], 14, 0);
    CHECK_NEAR(out[5 + 1 + 2 + 1], 15, 0);
    gsl_rng_free(g);
    cr_ladder_data_free(&ld);
}

/* K machines of nsec seconds drawn from nbh at (alpha, sigma_machine, sigma_minute, phi). */
static void synth_rows(int K, int nsec, const double *pop, gsl_rng *g, int *machine, int *minute,
                       int *y)
{
    size_t n = 0;
    for (int k = 1; k <= K; k++)
        for (int s = 1; s <= nsec; s++, n++)
            machine[n] = k, minute[n] = (s - 1) / 60 + 1;
    int C = K * ((nsec + 59) / 60);
    double *v = xmalloc((size_t)(CR_NBH_NFIXED + K + C) * sizeof(double));
    memcpy(v, pop, CR_NBH_NFIXED * sizeof(double));
    for (int i = CR_NBH_NFIXED; i < CR_NBH_NFIXED + K + C; i++)
        v[i] = gsl_ran_gaussian(g, 1);
    cr_nbh_simulate(n, machine, minute, v, g, y);
    free(v);
}

static void small_options(cr_fit_options *o, int warmup, int samples)
{
    cr_fit_options_default(o);
    o->sampler.warmup = warmup;
    o->sampler.samples = samples;
    o->sampler.threads = 2;
    o->attempts = 3;
}

static void test_every_model_fits(void)
{
    if (cr_test_skip_slow())
        SKIP("slow (half a minute; test_auto_reproducible runs the ladder briefly)");
    enum { K = 6, NSEC = 480 };
    int machine[K * NSEC], minute[K * NSEC], y[K * NSEC];
    gsl_rng *g = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(g, 5);
    static const double pop[4] = {0.0, 0.5, 0.4, 3};
    synth_rows(K, NSEC, pop, g, machine, minute, y);
    gsl_rng_free(g);
    const cr_ladder_rows r = {K * NSEC, machine, minute, y};
    cr_ladder_points pts;
    cr_ladder_points_init(&pts, &r);
    cr_fit_options o;
    small_options(&o, 1000, 1000);
    cr_progress_set_quiet(1);
    int converged = 0;
    for (int i = 0; i < CR_LADDER_NMODELS; i++) {
        const cr_ladder_model *lm = &cr_ladder_models[i];
        cr_ladder_data ld;
        cr_ladder_data_init(&ld, lm, &r);
        cr_fit_attempt a;
        cr_err e;
        CHECK_INT(cr_fit_model(&ld.m, "tcp_new", NULL, &o, NULL, &a, &e), 0);
        cr_ppc_result p;
        const int pass = cr_fit_ppc(&ld.m, &pts, &a, 42, 2, &p, &e);
        CHECK(pass >= 0);
        if (!a.chk.pass)
            printf("     %s did not converge: %s\n", lm->entry.name, a.chk.reasons);
        converged += a.chk.pass;
        int ppc_fails = cr_ladder_ppc_fails(&p);
        CHECK_INT(pass, !ppc_fails); /* the hook's verdict is the ladder's rule */
        double *elpd = xmalloc(pts.n * sizeof(double));
        cr_loo_estimates est;
        cr_ladder_loo(&ld, &a.res, &pts, 2, elpd, &est);
        CHECK_NEAR(est.n, K * NSEC, 0);
        CHECKF(isfinite(est.elpd_loo) && est.elpd_loo < 0, "%s elpd %g", lm->entry.name,
               est.elpd_loo);
        printf("     %-15s attempts %d, elpd_loo %.1f (SE %.1f), PPC %s\n", lm->entry.name,
               a.number, est.elpd_loo, est.se_elpd_loo, ppc_fails ? "fail" : "pass");
        /* the data are over-dispersed within minutes and vary between them: only the models
         * with both can reproduce them, and nbh is the truth */
        if (i == CR_LADDER_POIS || i == CR_LADDER_NB_MACHINE || i == CR_LADDER_NBH)
            CHECKF(ppc_fails == (i != CR_LADDER_NBH), "%s PPC %s", lm->entry.name,
                   ppc_fails ? "failed" : "passed");
        free(elpd);
        cr_ppc_free(&p);
        cr_fit_attempt_free(&a);
        cr_ladder_data_free(&ld);
    }
    CHECK_INT(converged, CR_LADDER_NMODELS);
    cr_ladder_points_free(&pts);
}

static const char *write_cps(const char *name, int K, int nsec, unsigned long seed)
{
    static char path[512];
    snprintf(path, sizeof path, "%s/%s", cr_test_tmpdir(), name);
    int n = K * nsec, *machine = xmalloc((size_t)n * sizeof(int));
    int *minute = xmalloc((size_t)n * sizeof(int)), *y[4];
    gsl_rng *g = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(g, seed);
    for (int s = 0; s < 4; s++) {
        static const double pop[4] = {0.2, 0.5, 0.5, 1.5};
        y[s] = xmalloc((size_t)n * sizeof(int));
        synth_rows(K, nsec, pop, g, machine, minute, y[s]);
    }
    gsl_rng_free(g);
    FILE *f = fopen(path, "w");
    fputs("machine_id,machine,second,minute,tcp_new,udp_new,tcp_end,udp_end\n", f);
    for (int i = 0; i < n; i++)
        fprintf(f, "m%d,%d,%d,%d,%d,%d,%d,%d\n", machine[i], machine[i], i % nsec + 1, minute[i],
                y[0][i], y[1][i], y[2][i], y[3][i]);
    fclose(f);
    for (int s = 0; s < 4; s++)
        free(y[s]);
    free(machine);
    free(minute);
    return path;
}

/* The same seed gives the same bytes whatever the thread count (loop_logs aside). */
static void test_auto_reproducible(void)
{
    const char *tmp = cr_test_tmpdir(), *bin = cr_test_bin();
    const char *cps = write_cps("auto.csv", 3, 180, 9);
    char common[160]; /* shorter chains under the sanitizers: the files matter here, not fits */
    snprintf(common, sizeof common, "--series tcp_new --chains 2 --warmup %d --samples %d "
             "--attempts 1 --quiet", cr_test_skip_slow() ? 100 : 300,
             cr_test_skip_slow() ? 100 : 300);
    CHECK(cr_test_ran(cr_test_sh("%s fit '%s' -o '%s/a1' %s --threads 1", bin, cps, tmp, common)));
    CHECK(cr_test_ran(cr_test_sh("%s fit '%s' -o '%s/a2' %s --threads 2", bin, cps, tmp, common)));
    CHECK_INT(cr_test_sh("cd '%s/a1' && for f in $(find . -type f ! -path './loop_logs/*'); do "
                         "cmp -s \"$f\" \"../a2/$f\" || { echo \"differs: $f\"; exit 1; }; done",
                         tmp), 0);
    CHECK_INT(cr_test_sh("test -s '%s/a1/plots/ppc_tcp_new.png' && test -s "
                         "'%s/a1/plots/ppc_density_tcp_new.svg' && test -s "
                         "'%s/a1/models/pois/plots/ppc_tcp_new.png' && ls '%s/a1/loop_logs' | "
                         "grep -q 'tcp_new-without-m3-'", tmp, tmp, tmp, tmp), 0);
    CHECK_INT(cr_test_sh("grep -q '^\\*\\*Choice: ' '%s/a1/NOTES.md' && grep -q 'Coverage:' "
                         "'%s/a1/NOTES.md'", tmp, tmp), 0);
}

/* The shared real captures: the notes, plots and choice, and pois failing on bursty data. */
static void test_real_captures(void)
{
    const char *shared = cr_test_shared(), *tmp = cr_test_tmpdir(), *bin = cr_test_bin();
    if (!shared)
        SKIP("no shared reference folder");
    if (cr_test_skip_slow())
        SKIP("slow (over a minute)");
    CHECK_INT(cr_test_sh("%s cps '%s'/captures/real/*.Rds -o '%s/real.csv' 2>/dev/null", bin,
                         shared, tmp), 0);
    CHECK(cr_test_ran(cr_test_sh("%s fit '%s/real.csv' -o '%s/real' --series tcp_new --quiet",
                                 bin, tmp, tmp)));
    char path[512];
    snprintf(path, sizeof path, "%s/real/NOTES.md", tmp);
    char *notes = cr_test_slurp(path, NULL);
    CHECK(notes != NULL);
    if (!notes)
        return;
    for (const char *s = notes; (s = strstr(s, "- **pois**")) != NULL; s++) {
        const char *end = strchr(s, '\n');
        char line[8192];
        snprintf(line, sizeof line, "%.*s", (int)(end ? end - s : 0), s);
        CHECKF(strstr(line, "does **not** reproduce") &&
                   (strstr(line, "zero_frac") || strstr(line, "q99") || strstr(line, "max")),
               "pois should fail the zero-fraction or tail check: %.300s", line);
    }
    CHECK(strstr(notes, "## tcp_new") != NULL);
    CHECK(strstr(notes, "| pois | yes | fail |") != NULL);
    CHECK(strstr(notes, "**Choice: ") != NULL && strstr(notes, "Coverage:") != NULL);
    free(notes);
    CHECK_INT(cr_test_sh("test -s '%s/real/plots/ppc_tcp_new.png' && test -s "
                         "'%s/real/plots/ppc_density_tcp_new.svg' && test -s "
                         "'%s/real/draws/tcp_new.csv'", tmp, tmp, tmp), 0);
}

/* The full fit of rows r that warm-starts the refits. */
static void full_fit(const cr_ladder_rows *r, const cr_fit_options *o, cr_ladder_data *ld,
                     cr_fit_attempt *a)
{
    cr_err e;
    cr_ladder_data_init(ld, cr_ladder_find("nbh"), r);
    CHECK_INT(cr_fit_model(&ld->m, "t", NULL, o, NULL, a, &e), 0);
}

/* On data drawn from nbh, the held-out machines fall inside the 90% interval of a new user
 * about 90% of the time, whether the refits start cold or warm from the full fit. */
static void test_holdout_coverage(void)
{
    if (cr_test_skip_slow())
        SKIP("slow (about a minute)");
    enum { K = 5, NSEC = 240, REPS = 10 };
    int machine[K * NSEC], minute[K * NSEC], y[K * NSEC];
    gsl_rng *g = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(g, 77);
    static const double pop[4] = {0.5, 0.6, 0.4, 2};
    cr_fit_options o;
    small_options(&o, 300, 250);
    o.attempts = 1;
    int inside[2][CR_HOLDOUT_NSTATS] = {{0}}, total = 0, converged[2] = {0, 0};
    for (int rep = 0; rep < REPS; rep++) {
        synth_rows(K, NSEC, pop, g, machine, minute, y);
        const cr_ladder_rows r = {K * NSEC, machine, minute, y};
        cr_holdout_machine h[2][K];
        cr_err e;
        o.sampler.seed = 100 + rep;
        cr_ladder_data ld;
        cr_fit_attempt a;
        full_fit(&r, &o, &ld, &a);
        const cr_fit_warm warm = {&ld, &a.res};
        CHECK_INT(cr_fit_holdout(ld.lm, &r, &o, 0.9, NULL, NULL, "t", h[0], &e), 0);
        CHECK_INT(cr_fit_holdout(ld.lm, &r, &o, 0.9, &warm, NULL, "t", h[1], &e), 0);
        for (int k = 0; k < K; k++, total++)
            for (int w = 0; w < 2; w++) {
                converged[w] += h[w][k].converged;
                for (int j = 0; j < CR_HOLDOUT_NSTATS; j++)
                    inside[w][j] += h[w][k].inside[j];
            }
        cr_fit_attempt_free(&a);
        cr_ladder_data_free(&ld);
    }
    gsl_rng_free(g);
    for (int w = 0; w < 2; w++) {
        printf("     %s refits: %d of %d converged\n", w ? "warm" : "cold", converged[w], total);
        for (int j = 0; j < CR_HOLDOUT_NSTATS; j++) {
            double cov = (double)inside[w][j] / total;
            printf("     %-16s coverage %.3f of %d held-out machines (nominal 0.90)\n",
                   cr_holdout_stat_names[j], cov, total);
            /* binomial sd at 50 machines: 0.042; 0.99 tolerates ties at the interval's ends */
            CHECKF(cov >= 0.78 && cov <= 1.0, "%s coverage %.3f", cr_holdout_stat_names[j],
                   cov);
        }
    }
    CHECKF(converged[1] >= converged[0] - 2, "warm refits converged %d times, cold %d",
           converged[1], converged[0]);
}

/* The refits run at once on the pool: the same results and loop logs (in machine order, marked
 * warm) whatever the number of threads. */
static void test_holdout_threads(void)
{
    enum { K = 4, NSEC = 180 };
    int machine[K * NSEC], minute[K * NSEC], y[K * NSEC];
    gsl_rng *g = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(g, 78);
    static const double pop[4] = {0.5, 0.6, 0.4, 2};
    synth_rows(K, NSEC, pop, g, machine, minute, y);
    gsl_rng_free(g);
    const cr_ladder_rows r = {K * NSEC, machine, minute, y};
    cr_fit_options o;
    small_options(&o, 200, 200);
    cr_progress_set_quiet(1);
    cr_ladder_data ld;
    cr_fit_attempt a;
    full_fit(&r, &o, &ld, &a);
    const cr_fit_warm warm = {&ld, &a.res};
    cr_holdout_machine h[2][K];
    cr_fit_logs logs[2];
    memset(logs, 0, sizeof logs);
    cr_err e;
    for (int t = 0; t < 2; t++) {
        o.sampler.threads = t ? 1 : 3;
        CHECK_INT(cr_fit_holdout(ld.lm, &r, &o, 0.9, &warm, &logs[t], "t", h[t], &e), 0);
    }
    CHECK(!memcmp(h[0], h[1], sizeof h[0]));
    CHECK_INT(logs[0].n, logs[1].n);
    CHECK(logs[0].n >= K);
    for (int i = 0; i < logs[0].n && i < logs[1].n; i++) {
        CHECK_STR(logs[0].name[i], logs[1].name[i]);
        /* the same but for the timings and threads */
        CHECK(strstr(logs[0].text[i], "\"warm_start\": 1") != NULL ||
              strstr(logs[0].name[i], "-1.json") == NULL);
    }
    CHECK_STR(logs[0].name[0], "t-without-m1-nbh-1.json");
    for (int t = 0; t < 2; t++)
        cr_fit_logs_free(&logs[t]);
    cr_fit_attempt_free(&a);
    cr_ladder_data_free(&ld);
}

TEST_MAIN(RUN(test_choose); RUN(test_points); RUN(test_machine_view);
          RUN(test_every_model_fits); RUN(test_auto_reproducible); RUN(test_real_captures);
          RUN(test_holdout_threads); RUN(test_holdout_coverage))
