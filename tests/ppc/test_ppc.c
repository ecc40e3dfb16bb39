/* Posterior predictive checks on synthetic data whose answers are known: replicates that are
 * permutations of the data (p-values exactly 1/2), a Poisson model of zero-inflated data (the
 * zero fraction and class 0 fail), the true negative binomial model (passes), and every number
 * against plain R on shared replicate arrays; the check on sufficient statistics (cell counts)
 * identical to the per-second one on the same replicated seconds. */
#include <gsl/gsl_randist.h>
#include <stdlib.h>

#include "common/xalloc.h"
#include "ppc/ppc.h"
#include "test.h"

typedef struct {
    int K;
    size_t n;
    int *machine, *minute, *y;
    double *mu; /* per row: the true mean (for the model simulators) */
    double phi;
} synth;

/* K machines of secs[k] seconds; per-minute rates mu_k * Gamma(a, 1/a) (a = 0 for none), counts
 * NB(mu, phi) (phi = 0: Poisson), then a fraction zi of the seconds forced to zero. */
static void synth_make(synth *s, int K, const int *secs, const double *mu_k, double a, double phi,
                       double zi, unsigned long seed)
{
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, seed);
    memset(s, 0, sizeof *s);
    s->K = K;
    s->phi = phi;
    for (int k = 0; k < K; k++)
        s->n += (size_t)secs[k];
    s->machine = xmalloc(s->n * sizeof(int));
    s->minute = xmalloc(s->n * sizeof(int));
    s->y = xmalloc(s->n * sizeof(int));
    s->mu = xmalloc(s->n * sizeof(double));
    size_t i = 0;
    for (int k = 0; k < K; k++) {
        double rate = mu_k[k];
        for (int sec = 1; sec <= secs[k]; sec++, i++) {
            s->machine[i] = k + 1;
            s->minute[i] = (sec - 1) / 60 + 1;
            if (a > 0 && (sec - 1) % 60 == 0)
                rate = mu_k[k] * gsl_ran_gamma(r, a, 1 / a);
            s->mu[i] = rate * (1 - zi);
            double lam = phi > 0 ? gsl_ran_gamma(r, phi, rate / phi) : rate;
            s->y[i] = gsl_rng_uniform(r) < zi ? 0 : (int)gsl_ran_poisson(r, lam);
        }
    }
    gsl_rng_free(r);
}

static void synth_free(synth *s)
{
    free(s->machine);
    free(s->minute);
    free(s->y);
    free(s->mu);
}

static cr_ppc_data synth_data(const synth *s)
{
    return (cr_ppc_data){s->K, s->n, s->machine, s->minute, s->y};
}

static void sim_permute(void *ctx, int draw, int k, size_t row0, size_t n, gsl_rng *r, int *yr)
{
    const synth *s = ctx;
    memcpy(yr, s->y + row0, n * sizeof *yr);
    gsl_ran_shuffle(r, yr, n, sizeof *yr);
}

static void sim_bootstrap(void *ctx, int draw, int k, size_t row0, size_t n, gsl_rng *r, int *yr)
{
    const synth *s = ctx;
    for (size_t j = 0; j < n; j++)
        yr[j] = s->y[row0 + gsl_rng_uniform_int(r, n)];
}

/* The true model (phi 0: Poisson with the true means). */
static void sim_model(void *ctx, int draw, int k, size_t row0, size_t n, gsl_rng *r, int *yr)
{
    const synth *s = ctx;
    for (size_t j = 0; j < n; j++) {
        double mu = s->mu[row0 + j];
        yr[j] = (int)gsl_ran_poisson(r, s->phi > 0 ? gsl_ran_gamma(r, s->phi, mu / s->phi) : mu);
    }
}

static int has_failure(const cr_ppc_result *res, int machine, int stat, int cls)
{
    for (int f = 0; f < res->nfail; f++)
        if (res->fail[f].machine == machine && res->fail[f].stat == stat &&
            (stat >= 0 || res->fail[f].cls == cls))
            return 1;
    return 0;
}

static void print_failures(const cr_ppc_result *res)
{
    char buf[512];
    for (int f = 0; f < res->nfail; f++) {
        cr_ppc_failure_text(res, &res->fail[f], NULL, buf, sizeof buf);
        printf("    %s\n", buf);
    }
}

static void test_draw_index(void)
{
    CHECK_INT(cr_ppc_draw_index(0, 400, 4000), 5);
    CHECK_INT(cr_ppc_draw_index(1, 400, 4000), 15);
    CHECK_INT(cr_ppc_draw_index(399, 400, 4000), 3995);
    for (int i = 0; i < 50; i++)
        CHECK_INT(cr_ppc_draw_index(i, 50, 50), i);
}

/* Exchangeable replicates: every order-free statistic ties in every replicate, so mid-p gives
 * exactly 1/2 and every class band collapses onto the observed frequency. */
static void test_permutation_half(void)
{
    synth s;
    int secs[] = {3600, 1800};
    double mu[] = {3, 0.5};
    synth_make(&s, 2, secs, mu, 0, 0, 0, 1);
    cr_ppc_data d = synth_data(&s);
    cr_ppc_options o;
    cr_ppc_options_default(&o);
    o.ndraws = 1000;
    cr_ppc_result res;
    cr_err e;
    CHECK(cr_ppc_run(&d, sim_permute, &s, &o, &res, &e) == 0);
    CHECK_INT(res.nuse, 400);
    for (int k = -1; k < 2; k++) {
        const cr_ppc_check *c = k < 0 ? &res.pooled : &res.machines[k];
        for (int st = 0; st < CR_PPC_NSTATS; st++)
            if (st != CR_PPC_MINUTE_MAX)
                CHECK_NEAR(c->stat[st].p, 0.5, 0);
        /* Minutes are iid too: the observed maximum is one more exchangeable draw. */
        CHECK(c->stat[CR_PPC_MINUTE_MAX].p > 0.01 && c->stat[CR_PPC_MINUTE_MAX].p < 0.99);
        for (int j = 0; j < c->ncls; j++)
            CHECK(c->cls_lo[j] == c->cls_obs[j] && c->cls_hi[j] == c->cls_obs[j]);
    }
    CHECK_INT(res.machines[0].nseconds, 3600);
    CHECK_INT(res.pooled.nseconds, 5400);
    print_failures(&res);
    CHECK_INT(res.nfail, 0);
    cr_ppc_free(&res);
    synth_free(&s);
}

/* Bootstrap replicates of iid data: the mean's p-value is near 1/2 (its replicated mean equals
 * the observed one in expectation) and nothing fails. */
static void test_bootstrap(void)
{
    synth s;
    int secs[] = {3600};
    double mu[] = {2};
    synth_make(&s, 1, secs, mu, 0, 0, 0, 2);
    cr_ppc_data d = synth_data(&s);
    cr_ppc_options o;
    cr_ppc_options_default(&o);
    o.ndraws = 400;
    cr_ppc_result res;
    cr_err e;
    CHECK(cr_ppc_run(&d, sim_bootstrap, &s, &o, &res, &e) == 0);
    printf("    bootstrap p: mean %.3f var %.3f zero %.3f\n", res.machines[0].stat[0].p,
           res.machines[0].stat[1].p, res.machines[0].stat[2].p);
    for (int st = CR_PPC_MEAN; st <= CR_PPC_ZERO; st++)
        CHECK(fabs(res.machines[0].stat[st].p - 0.5) < 0.15);
    CHECK_INT(res.nfail, 0);
    cr_ppc_free(&res);
    synth_free(&s);
}

/* 40% structural zeros under a Poisson model with the right mean: observed zero fraction
 * 0.4 + 0.6 e^-4 = 0.411 against e^-2.4 = 0.091 replicated, far outside any replicate. */
static void test_zero_inflation_fails(void)
{
    synth s;
    int secs[] = {3600, 2400, 1200};
    double mu[] = {4, 4, 4};
    synth_make(&s, 3, secs, mu, 0, 0, 0.4, 3);
    s.phi = 0; /* replicates: Poisson(0.6 * 4) */
    cr_ppc_data d = synth_data(&s);
    cr_ppc_options o;
    cr_ppc_options_default(&o);
    o.ndraws = 4000;
    o.nthreads = 3;
    cr_ppc_result res;
    cr_err e;
    CHECK(cr_ppc_run(&d, sim_model, &s, &o, &res, &e) == 0);
    for (int k = -1; k < 3; k++) {
        const cr_ppc_check *c = k < 0 ? &res.pooled : &res.machines[k];
        CHECK_NEAR(c->stat[CR_PPC_ZERO].obs, 0.4 + 0.6 * exp(-4), 0.03);
        CHECK_NEAR(c->stat[CR_PPC_ZERO].rep_median, exp(-2.4), 0.01);
        CHECK_NEAR(c->stat[CR_PPC_ZERO].p, 0, 0);
        CHECK(c->cls_obs[0] > c->cls_hi[0]);
        CHECK(has_failure(&res, k, CR_PPC_ZERO, 0));
        CHECK(has_failure(&res, k, CR_PPC_VAR, 0)); /* ZIP variance > mean */
        CHECK(has_failure(&res, k, -1, 0));
    }
    char buf[512];
    cr_ppc_failure_text(&res, &res.fail[0], NULL, buf, sizeof buf);
    printf("    first of %d failures: %s\n", res.nfail, buf);
    cr_ppc_free(&res);
    synth_free(&s);
}

/* Negative binomial counts around gamma-distributed minute rates: the true model passes every
 * check, the Poisson model with the same means fails on spread and zeros. */
static void test_negbin(void)
{
    synth s;
    int secs[] = {3600, 3000, 2400};
    double mu[] = {1.5, 3, 0.7};
    synth_make(&s, 3, secs, mu, 4, 0.8, 0, 4);
    cr_ppc_data d = synth_data(&s);
    cr_ppc_options o;
    cr_ppc_options_default(&o);
    o.ndraws = 1000;
    o.nthreads = 4;
    cr_ppc_result res;
    cr_err e;
    CHECK(cr_ppc_run(&d, sim_model, &s, &o, &res, &e) == 0);
    print_failures(&res);
    CHECK_INT(res.nfail, 0);
    cr_ppc_free(&res);

    s.phi = 0;
    CHECK(cr_ppc_run(&d, sim_model, &s, &o, &res, &e) == 0);
    for (int k = -1; k < 3; k++) {
        CHECK(has_failure(&res, k, CR_PPC_VAR, 0));
        CHECK(has_failure(&res, k, CR_PPC_ZERO, 0));
    }
    cr_ppc_free(&res);
    synth_free(&s);
}

/* Calibration: with the true model, each statistic's p-value is uniform, so the 1%/99% rule
 * flags about 2% of (dataset, statistic) pairs. 100 datasets x 7 statistics = 700 pairs;
 * binomial(700, 0.02) has mean 14 and 99.9% of its mass in [3, 29]. */
static void test_false_alarm_rate(void)
{
    int flagged = 0, classes = 0, class_flagged = 0;
    for (int rep = 0; rep < 100; rep++) {
        synth s;
        int secs[] = {600};
        double mu[] = {2};
        synth_make(&s, 1, secs, mu, 0, 1.5, 0, 100 + (unsigned long)rep);
        cr_ppc_data d = synth_data(&s);
        cr_ppc_options o;
        cr_ppc_options_default(&o);
        o.ndraws = 400;
        o.seed = (unsigned long)rep;
        cr_ppc_result res;
        cr_err e;
        CHECK(cr_ppc_run(&d, sim_model, &s, &o, &res, &e) == 0);
        for (int st = 0; st < CR_PPC_NSTATS; st++)
            flagged += res.machines[0].stat[st].fail;
        classes += res.machines[0].ncls;
        for (int j = 0; j < res.machines[0].ncls; j++)
            class_flagged += res.machines[0].cls_fail[j];
        cr_ppc_free(&res);
        synth_free(&s);
    }
    printf("    true model: %d of 700 statistics and %d of %d classes flagged\n", flagged,
           class_flagged, classes);
    CHECK(flagged >= 3 && flagged <= 29);
    CHECK(class_flagged <= classes / 25); /* nominal 1%, less for discrete bands */
}

static void test_threads_and_seed(void)
{
    synth s;
    int secs[] = {900, 700};
    double mu[] = {2, 5};
    synth_make(&s, 2, secs, mu, 3, 2, 0, 5);
    cr_ppc_data d = synth_data(&s);
    cr_ppc_options o;
    cr_ppc_options_default(&o);
    o.ndraws = 300;
    cr_ppc_result a, b;
    cr_err e;
    CHECK(cr_ppc_run(&d, sim_model, &s, &o, &a, &e) == 0);
    o.nthreads = 7;
    CHECK(cr_ppc_run(&d, sim_model, &s, &o, &b, &e) == 0);
    for (int k = 0; k < 2; k++) {
        CHECK(memcmp(a.machines[k].stat, b.machines[k].stat, sizeof a.machines[k].stat) == 0);
        CHECK_INT(a.machines[k].ncls, b.machines[k].ncls);
        CHECK(memcmp(a.machines[k].cls_lo, b.machines[k].cls_lo,
                     (size_t)a.machines[k].ncls * sizeof(double)) == 0);
    }
    cr_ppc_free(&b);
    o.seed = 43;
    CHECK(cr_ppc_run(&d, sim_model, &s, &o, &b, &e) == 0);
    CHECK(a.machines[0].stat[CR_PPC_MEAN].rep_mean != b.machines[0].stat[CR_PPC_MEAN].rep_mean);
    cr_ppc_free(&a);
    cr_ppc_free(&b);
    synth_free(&s);
}

/* The points of a synth (cr_ppc_cells' layout), built here from the rows: per cell, its
 * distinct counts ascending with their numbers of seconds. */
typedef struct {
    size_t n;
    int *machine, *minute, *y;
    double *weight;
    size_t *row0; /* per point, the first row of its cell (for cell simulators) */
} points;

static void points_make(points *p, const synth *s)
{
    memset(p, 0, sizeof *p);
    p->machine = xmalloc(s->n * sizeof(int));
    p->minute = xmalloc(s->n * sizeof(int));
    p->y = xmalloc(s->n * sizeof(int));
    p->weight = xmalloc(s->n * sizeof(double));
    p->row0 = xmalloc(s->n * sizeof(size_t));
    for (size_t a = 0, b; a < s->n; a = b) {
        int top = 0;
        for (b = a; b < s->n && s->machine[b] == s->machine[a] && s->minute[b] == s->minute[a];
             b++)
            top = s->y[b] > top ? s->y[b] : top;
        for (int y = 0; y <= top; y++) {
            double w = 0;
            for (size_t i = a; i < b; i++)
                w += s->y[i] == y;
            if (w == 0)
                continue;
            p->machine[p->n] = s->machine[a], p->minute[p->n] = s->minute[a], p->y[p->n] = y;
            p->row0[p->n] = a;
            p->weight[p->n++] = w;
        }
    }
}

static void points_free(points *p)
{
    free(p->machine);
    free(p->minute);
    free(p->y);
    free(p->weight);
    free(p->row0);
}

typedef struct {
    const synth *s;
    const points *p;
} cells_ctx;

/* sim_model's seconds of one cell, drawn as sim_model draws them (same generator calls in the
 * same order), handed over as counts. */
static void sim_model_cell(void *ctx, int draw, int k, int minute, long n, gsl_rng *r,
                           cr_ppc_sink *sink)
{
    const cells_ctx *c = ctx;
    size_t i = 0;
    while (c->p->machine[i] != k + 1 || c->p->minute[i] != minute)
        i++;
    int *y = xmalloc((size_t)n * sizeof *y);
    sim_model((void *)c->s, draw, k, c->p->row0[i], (size_t)n, r, y);
    for (long j = 0; j < n; j++)
        cr_ppc_sink_add(sink, y[j], 1);
    free(y);
}

/* Sufficient statistics give the same check as the seconds: the same replicated seconds, handed
 * over per cell as counts rather than per machine as rows, give identical statistics, p-values,
 * bands and classes (partial minutes, over-dispersion and several machines included). */
static void test_cells_same_as_rows(void)
{
    synth s;
    int secs[] = {430, 95, 301};
    double mu[] = {2, 0.3, 6};
    synth_make(&s, 3, secs, mu, 2, 1.5, 0.2, 11);
    points p;
    points_make(&p, &s);
    cr_ppc_data d = synth_data(&s);
    cr_ppc_cells dc = {s.K, p.n, p.machine, p.minute, p.y, p.weight};
    cells_ctx c = {&s, &p};
    cr_ppc_options o;
    cr_ppc_options_default(&o);
    o.ndraws = 250;
    o.nthreads = 3;
    cr_ppc_result a, b;
    cr_err e;
    CHECK(cr_ppc_run(&d, sim_model, &s, &o, &a, &e) == 0);
    CHECK(cr_ppc_run_cells(&dc, sim_model_cell, &c, &o, &b, &e) == 0);
    CHECK_INT(a.nfail, b.nfail);
    for (int k = 0; k <= s.K; k++) {
        const cr_ppc_check *x = k < s.K ? &a.machines[k] : &a.pooled;
        const cr_ppc_check *z = k < s.K ? &b.machines[k] : &b.pooled;
        CHECK(x->nseconds == z->nseconds);
        CHECK(memcmp(x->stat, z->stat, sizeof x->stat) == 0);
        CHECK_INT(x->ncls, z->ncls);
        const size_t nc = (size_t)x->ncls * sizeof(double);
        CHECK(!memcmp(x->cls_obs, z->cls_obs, nc) && !memcmp(x->cls_mean, z->cls_mean, nc) &&
              !memcmp(x->cls_median, z->cls_median, nc) && !memcmp(x->cls_lo, z->cls_lo, nc) &&
              !memcmp(x->cls_hi, z->cls_hi, nc));
    }
    cr_ppc_free(&a);
    cr_ppc_free(&b);
    /* malformed points: out of order, a fraction of a second */
    p.y[1] = p.y[0];
    CHECK(cr_ppc_run_cells(&dc, sim_model_cell, &c, &o, &b, &e) != 0);
    CHECK(strstr(e.msg, "point 2") != NULL);
    p.y[1] = p.y[0] + 1;
    p.weight[0] = 0.5;
    CHECK(cr_ppc_run_cells(&dc, sim_model_cell, &c, &o, &b, &e) != 0);
    CHECK(strstr(e.msg, "point 1") != NULL);
    points_free(&p);
    synth_free(&s);
}

static void test_bad_input(void)
{
    int machine[] = {1, 2, 1}, minute[] = {1, 1, 1}, y[] = {0, 1, 2};
    cr_ppc_data d = {2, 3, machine, minute, y};
    cr_ppc_options o;
    cr_ppc_options_default(&o);
    o.ndraws = 10;
    cr_ppc_result res;
    cr_err e;
    CHECK(cr_ppc_run(&d, sim_permute, NULL, &o, &res, &e) != 0);
    CHECK(strstr(e.msg, "row 3") != NULL);
    machine[1] = 1;
    d.nmachines = 3;
    CHECK(cr_ppc_run(&d, sim_permute, NULL, &o, &res, &e) != 0);
    CHECK(strstr(e.msg, "machine 2 has no rows") != NULL);
}

/* Replicates fixed in advance, so R can judge the very same arrays. */
typedef struct {
    size_t n;
    const int *reps; /* [draw][row] */
} table_ctx;

static void sim_table(void *ctx, int draw, int k, size_t row0, size_t n, gsl_rng *r, int *yr)
{
    const table_ctx *t = ctx;
    memcpy(yr, t->reps + (size_t)draw * t->n + row0, n * sizeof *yr);
}

/* Parses one CSV row of the shared layout: 3 labels then 7 numbers (NA as NAN). */
static int parse_row(char *line, char lab[3][64], double *v)
{
    char *save = NULL, *tok = strtok_r(line, ",\n", &save);
    for (int i = 0; i < 10; i++, tok = strtok_r(NULL, ",\n", &save)) {
        if (!tok)
            return -1;
        if (i < 3)
            snprintf(lab[i], 64, "%s", tok);
        else
            v[i - 3] = strcmp(tok, "NA") == 0 ? NAN : strtod(tok, NULL);
    }
    return 0;
}

static void test_against_r(void)
{
    if (cr_test_sh("command -v Rscript >/dev/null 2>&1") != 0)
        SKIP("Rscript not installed");
    synth s;
    int secs[] = {250, 130};
    double mu[] = {2.5, 0.4};
    synth_make(&s, 2, secs, mu, 2, 1.2, 0.1, 6);
    enum { M = 60 };
    int *reps = xmalloc((size_t)M * s.n * sizeof *reps);
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 7);
    for (int i = 0; i < M; i++)
        sim_model(&s, 0, 0, 0, s.n, r, reps + (size_t)i * s.n);
    reps[5 * s.n + 3] = 70; /* one replicate beyond the class cap */
    gsl_rng_free(r);

    const char *dir = cr_test_tmpdir();
    char obs_path[512], reps_path[512], ours[512], ref[512];
    snprintf(obs_path, sizeof obs_path, "%s/obs.csv", dir);
    snprintf(reps_path, sizeof reps_path, "%s/reps.csv", dir);
    snprintf(ours, sizeof ours, "%s/ours.csv", dir);
    snprintf(ref, sizeof ref, "%s/ref.csv", dir);
    const char *ids[] = {"m1", "m2"};
    FILE *fp = fopen(obs_path, "w");
    fprintf(fp, "machine_id,machine,minute,y\n");
    for (size_t i = 0; i < s.n; i++)
        fprintf(fp, "%s,%d,%d,%d\n", ids[s.machine[i] - 1], s.machine[i], s.minute[i], s.y[i]);
    fclose(fp);
    fp = fopen(reps_path, "w");
    for (int i = 0; i < M; i++)
        for (size_t j = 0; j < s.n; j++)
            fprintf(fp, "%d%c", reps[(size_t)i * s.n + j], j + 1 < s.n ? ',' : '\n');
    fclose(fp);

    cr_ppc_data d = synth_data(&s);
    cr_ppc_options o;
    cr_ppc_options_default(&o);
    o.ndraws = M;
    table_ctx t = {s.n, reps};
    cr_ppc_result res;
    cr_err e;
    CHECK(cr_ppc_run(&d, sim_table, &t, &o, &res, &e) == 0);
    CHECK(cr_ppc_write_csv(ours, &res, ids, &e) == 0);
    cr_ppc_free(&res);
    CHECK(cr_test_sh("Rscript tests/ppc/ppc_ref.R %s %s %s", obs_path, reps_path, ref) == 0);

    char *a = cr_test_slurp(ours, NULL), *b = cr_test_slurp(ref, NULL);
    CHECK(a && b);
    char *sa = NULL, *sb = NULL, *la = strtok_r(a, "\n", &sa), *lb = strtok_r(b, "\n", &sb);
    int rows = 0;
    double worst = 0;
    for (; la && lb; la = strtok_r(NULL, "\n", &sa), lb = strtok_r(NULL, "\n", &sb)) {
        char laba[3][64], labb[3][64];
        double va[7], vb[7];
        if (rows++ == 0)
            continue; /* headers: same column names checked by parsing the same layout */
        CHECK(parse_row(la, laba, va) == 0 && parse_row(lb, labb, vb) == 0);
        for (int i = 0; i < 3; i++)
            CHECKF(strcmp(laba[i], labb[i]) == 0, "row %d: %s vs R %s", rows, laba[i], labb[i]);
        for (int i = 0; i < 7; i++) {
            CHECKF(isnan(va[i]) == isnan(vb[i]), "row %d col %d", rows, i);
            if (isnan(va[i]))
                continue;
            double err = fabs(va[i] - vb[i]) / fmax(1, fabs(vb[i]));
            worst = err > worst ? err : worst;
            CHECKF(err < 1e-12, "%s %s %s col %d: %.17g vs R %.17g", laba[0], laba[1], laba[2],
                   i, va[i], vb[i]);
        }
    }
    CHECK(!la && !lb);
    printf("    %d rows agree with R, largest relative difference %.2g\n", rows - 1, worst);
    free(a);
    free(b);
    free(reps);
    synth_free(&s);
}

TEST_MAIN(RUN(test_draw_index); RUN(test_permutation_half); RUN(test_bootstrap);
          RUN(test_zero_inflation_fails); RUN(test_negbin); RUN(test_false_alarm_rate);
          RUN(test_threads_and_seed); RUN(test_cells_same_as_rows); RUN(test_bad_input);
          RUN(test_against_r))
