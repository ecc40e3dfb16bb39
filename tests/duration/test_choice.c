/* How `connrate run` chooses the number of duration components, through the fit engine the rate
 * models use (lib/fit/fit_duration.c over cr_fit_select and cr_fit_model; reached here through
 * lib/sizing's cr_sz_fit_duration, which hands it the flows): on TCP-like flows drawn from a known
 * mixture of 1 or 3 well separated lognormal groups, with a capture end that censors the longest,
 * PSIS-LOO with the rate ladder's rule must keep the true number, the kept fit must pass its check
 * against Kaplan-Meier, and its mean must cover the true one, and each of its NUTS attempts leaves
 * its loop log; the outputs (candidates, checks, draws) must be byte-identical for 1 and 2
 * threads. The fit needs no GSL error handler set by its caller. Durations no mixture holds fail
 * every candidate, so the kept fit fails and so does the run (a chosen fit that failed its check
 * while another candidate passed would have been dropped and the choice made again:
 * tests/fit/test_select.c). */
#include "test.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_rng.h>

#include "common/progress.h"
#include "common/xalloc.h"
#include "ingest/packet.h"
#include "sizing/sizing.h"
#include "sizing/sizing_internal.h"

typedef double (*duration_fn)(const void *law, gsl_rng *g);

static double from_params(const void *law, gsl_rng *g)
{
    return cr_duration_draw(law, g);
}

/* One machine's TCP flows over a capture of T seconds: uniform starts, durations from law; a
 * connection still running at the end is open (its last packet at the end: not idle). */
static void make_flows_of(duration_fn draw, const void *law, size_t n, double T,
                          unsigned long seed, cr_sz_flows *f)
{
    gsl_rng *g = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(g, seed);
    memset(f, 0, sizeof *f);
    f->res_ms = 1;
    f->n = n;
    f->fl = xcalloc(n, sizeof *f->fl);
    f->machine = xcalloc(n, sizeof *f->machine);
    f->capture_end_ms = xmalloc(sizeof *f->capture_end_ms);
    f->capture_end_ms[0] = (int64_t)(1000 * T);
    for (size_t i = 0; i < n; i++) {
        cr_flow *x = &f->fl[i];
        double start = gsl_rng_uniform(g) * T, dur = draw(law, g);
        x->proto = CR_PROTO_TCP;
        x->start_ms = (int64_t)floor(1000 * start);
        if (start + dur > T) {
            x->reason = CR_REASON_OPEN;
            x->end_ms = CR_NA_I64;
            x->last_ms = f->capture_end_ms[0];
        } else {
            x->reason = CR_REASON_FIN;
            x->end_ms = x->last_ms = (int64_t)floor(1000 * (start + dur));
        }
    }
    gsl_rng_free(g);
}

static void make_flows(const cr_duration_params *p, size_t n, double T, unsigned long seed,
                       cr_sz_flows *f)
{
    make_flows_of(from_params, p, n, T, seed, f);
}

static void flows_free(cr_sz_flows *f)
{
    free(f->fl);
    free(f->machine);
    free(f->capture_end_ms);
}

/* The "components" of the row marked chosen in loo_duration_tcp.csv, and its mean_seconds (the
 * approximation's posterior mean of the mean duration) in *mean. */
static int chosen_components(const char *dir, double *mean)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/fit/durations/diagnostics/loo_duration_tcp.csv", dir);
    char *txt = cr_test_slurp(path, NULL);
    if (!txt)
        return -1;
    int k = -1;
    for (char *line = strchr(txt, '\n'); line && line[1]; line = strchr(line + 1, '\n')) {
        int comp, chosen;
        if (sscanf(line + 1, "%d,%d,", &comp, &chosen) == 2 && chosen) {
            k = comp;
            char *end = strchr(line + 1, '\n'), *last = line + 1;
            for (char *p = line + 1; p < (end ? end : p + strlen(p)); p++)
                if (*p == ',')
                    last = p + 1;
            *mean = strtod(last, NULL);
        }
    }
    free(txt);
    return k;
}

/* The fit of f's TCP durations as `connrate run --seed seed` makes it (0: run's default). */
static int fit_seeded(const cr_sz_flows *f, const char *dir, int threads, uint64_t seed,
                      cr_sizing_duration *d)
{
    cr_sizing_config c;
    cr_sizing_config_default(&c);
    c.out_dir = dir;
    c.threads = threads;
    if (seed)
        c.seed = seed;
    c.fit.sampler.seed = c.seed;
    cr_err e;
    int rc = cr_sz_fit_duration(f, CR_PROTO_TCP, &c, INFINITY, d, &e);
    if (rc != 0)
        fprintf(stderr, "%s\n", e.msg);
    return rc;
}

static int fit(const cr_sz_flows *f, const char *dir, int threads, cr_sizing_duration *d)
{
    return fit_seeded(f, dir, threads, 0, d);
}

static void check_choice(const cr_duration_params *truth, int threads, const char *name)
{
    cr_sz_flows f;
    make_flows(truth, 4000, 3600, 17, &f);
    char dir[512];
    snprintf(dir, sizeof dir, "%s/%s", cr_test_tmpdir(), name);
    cr_sizing_duration d;
    CHECK(fit(&f, dir, threads, &d) == 0);
    double approx = NAN;
    int k = chosen_components(dir, &approx);
    double mean = cr_duration_mean(truth);
    printf("     %d true components: kept %d, check %s; mean %.3g s (90%% %.3g to %.3g), true "
           "%.3g s; the approximation's %.3g s\n", truth->k, k,
           d.check.pass ? "pass" : d.check.reasons, d.mean_s[1], d.mean_s[0], d.mean_s[2],
           mean, approx);
    CHECK_INT(k, truth->k);
    /* the adapted approximation's posterior mean against NUTS's: within a quarter of the
     * posterior's 90% width of its median */
    CHECK(fabs(approx - d.mean_s[1]) < 0.25 * (d.mean_s[2] - d.mean_s[0]));
    CHECKF(d.check.pass, "%s", d.check.reasons);
    for (int a = 1; a <= d.attempts; a++) { /* the engine's loop logs, named by the registry */
        char path[1024], want[2][64];
        snprintf(path, sizeof path,
                 "%s/fit/durations/loop_logs/duration_tcp-duration_k%d-%d.json", dir, k, a);
        snprintf(want[0], sizeof want[0], "\"model\": \"duration_k%d\"", k);
        snprintf(want[1], sizeof want[1], "\"components\": %d, \"parameters\": %d", k, 3 * k);
        char *log = cr_test_slurp(path, NULL);
        CHECKF(log && strstr(log, "\"series\": \"duration_tcp\"") && strstr(log, want[0]) &&
                   strstr(log, want[1]), "%s", path);
        free(log);
    }
    CHECK(d.fitted && d.draws[0].k == truth->k);
    /* the truth within the 90% interval, or very near it (one miss in ten is expected) */
    CHECK(d.mean_s[0] < 1.05 * mean && mean < 1.05 * d.mean_s[2]);
    free(d.draws);
    flows_free(&f);
}

static const cr_duration_params ONE = {1, {1}, {0.5}, {1.1}, 0, 0};
/* refused-like 30 ms, 2 s sessions, 100 s sessions */
static const cr_duration_params THREE = {3, {0.2, 0.55, 0.25}, {-3.5, 0.7, 4.6}, {0.5, 0.8, 0.7},
                                         0, 0};

/* A caller's handler counts GSL's errors (the library keeps it). */
static int gsl_errors;
static void count_error(const char *reason, const char *file, int line, int err)
{
    (void)reason, (void)file, (void)line, (void)err;
    gsl_errors++;
}

/* A duration fit in a child process, under GSL's default handler (which aborts on the first
 * error) or under count_error: its exit status (0: fitted, and under count_error GSL raised
 * errors), or 128 + the signal that killed it. */
static int fit_in_child(int counting)
{
    pid_t pid = fork();
    if (pid == 0) {
        if (counting)
            gsl_set_error_handler(count_error);
        cr_sz_flows f;
        make_flows(&ONE, 300, 600, 5, &f);
        cr_sizing_duration d;
        int rc = fit(&f, NULL, 1, &d);
        _exit(rc != 0 ? 2 : counting && gsl_errors == 0 ? 3 : 0);
    }
    int st = 0;
    if (pid < 0 || waitpid(pid, &st, 0) != pid)
        return -1;
    return WIFEXITED(st) ? WEXITSTATUS(st) : WIFSIGNALED(st) ? 128 + WTERMSIG(st) : -1;
}

/* The start search meets matrices that are not positive definite, which GSL reports to its
 * error handler; its default one aborts, and the library turns it off itself
 * (common/gsl_handler.h), so a caller that never called gsl_set_error_handler_off gets its fit,
 * and a caller's own handler is kept. Run first: the children must be forked before this
 * process has called the library. */
static void test_fit_needs_no_gsl_handler(void)
{
    CHECK_INT(fit_in_child(0), 0);
    CHECK_INT(fit_in_child(1), 0);
}

static void test_keeps_one_component(void)
{
    check_choice(&ONE, 2, "one");
}

static void test_keeps_three_components(void)
{
    check_choice(&THREE, 2, "three");
}

/* The 1,500 flows of THREE fitted twice, fit t as `run --threads threads[t] --seed seed[t]`
 * into DIR/label1 and DIR/label2. */
static void fit_twice(const char *label, const int threads[2], const uint64_t seed[2],
                      char dir[2][512], cr_sizing_duration d[2])
{
    cr_sz_flows f;
    make_flows(&THREE, 1500, 1800, 23, &f);
    for (int t = 0; t < 2; t++) {
        snprintf(dir[t], sizeof dir[t], "%s/%s%d", cr_test_tmpdir(), label, t + 1);
        CHECK(fit_seeded(&f, dir[t], threads[t], seed[t], &d[t]) == 0);
    }
    flows_free(&f);
}

/* Whether both fits wrote the same bytes to diagnostics/name. */
static int same_diagnostics(char dir[2][512], const char *name)
{
    char p[2][1024];
    size_t n[2];
    char *txt[2];
    for (int t = 0; t < 2; t++) {
        snprintf(p[t], sizeof p[t], "%s/fit/durations/diagnostics/%s", dir[t], name);
        txt[t] = cr_test_slurp(p[t], &n[t]);
    }
    int same = txt[0] && txt[1] && n[0] == n[1] && memcmp(txt[0], txt[1], n[0]) == 0;
    free(txt[0]);
    free(txt[1]);
    return same;
}

/* The candidates, the checks and the draws do not depend on the thread count. */
static void test_reproducible_across_threads(void)
{
    char dir[2][512];
    cr_sizing_duration d[2];
    fit_twice("threads", (const int[2]){1, 2}, (const uint64_t[2]){0, 0}, dir, d);
    CHECK(same_diagnostics(dir, "loo_duration_tcp.csv"));
    CHECK(same_diagnostics(dir, "ppc_duration_tcp.csv"));
    cr_sizing_config c;
    cr_sizing_config_default(&c);
    CHECK(memcmp(d[0].draws, d[1].draws, (size_t)c.draws * sizeof *d[0].draws) == 0);
    CHECK(memcmp(d[0].mean_s, d[1].mean_s, sizeof d[0].mean_s) == 0);
    for (int t = 0; t < 2; t++)
        free(d[t].draws);
}

/* Which candidate is kept, and how each was judged, is a function of the data: another seed
 * leaves the candidates' table byte for byte and changes the kept fit's draws. */
static void test_choice_independent_of_seed(void)
{
    char dir[2][512];
    cr_sizing_duration d[2];
    fit_twice("seed", (const int[2]){2, 2}, (const uint64_t[2]){1, 2}, dir, d);
    CHECK(same_diagnostics(dir, "loo_duration_tcp.csv"));
    cr_sizing_config c;
    cr_sizing_config_default(&c);
    CHECK(memcmp(d[0].draws, d[1].draws, (size_t)c.draws * sizeof *d[0].draws) != 0);
    for (int t = 0; t < 2; t++)
        free(d[t].draws);
}

static double uniform_1_100(const void *law, gsl_rng *g)
{
    (void)law;
    return 1 + 99 * gsl_rng_uniform(g);
}

/* Durations no lognormal mixture holds: 100,000 uniform on [1, 100] s, flat with sharp edges.
 * The fit kept fails its check against Kaplan-Meier; the reasons name the statistics, and they
 * make the run's status FAIL. */
static void test_misfit_fails_the_run(void)
{
    cr_sz_flows f;
    make_flows_of(uniform_1_100, NULL, 100000, 3600, 29, &f);
    char dir[512];
    snprintf(dir, sizeof dir, "%s/misfit", cr_test_tmpdir());
    static cr_sizing s;
    CHECK(fit(&f, dir, 2, &s.dur[0]) == 0);
    s.fit_new.pass = s.fit_end.pass = 1;
    char status[1024];
    cr_sizing_status(&s, status, sizeof status);
    printf("     kept %d components: %s\n     %s\n", s.dur[0].draws[0].k,
           s.dur[0].check.pass ? "pass" : s.dur[0].check.reasons, status);
    CHECK(!s.dur[0].check.pass);
    CHECK(strstr(s.dur[0].check.reasons, "Kaplan-Meier ") &&
          strstr(s.dur[0].check.reasons, " outside the model's 98% band"));
    CHECK(strncmp(status, "FAIL: TCP durations fit: ", 25) == 0);
    CHECK(strstr(status, "Kaplan-Meier ") != NULL);
    free(s.dur[0].draws);
    flows_free(&f);
}

TEST_MAIN(cr_progress_set_quiet(1); RUN(test_fit_needs_no_gsl_handler);
          RUN(test_keeps_one_component); RUN(test_keeps_three_components);
          RUN(test_reproducible_across_threads); RUN(test_choice_independent_of_seed);
          RUN(test_misfit_fails_the_run))
