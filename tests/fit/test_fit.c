/* The CPS reader (lib/model/cps_table.c), the convergence verdict and retry ladder
 * (lib/fit/fit.c), running a kept fit's chains on (lib/fit/fit_ladder.c), the engine's use of a model's registry entry (its name, loop log data and
 * predictive check) and `connrate fit` end to end: its files, their reproducibility across thread
 * counts, and its summaries recomputed by R's posterior package from the written draws. */
#include "test.h"
#include "brief_fit.h"

#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "common/progress.h"
#include "common/xalloc.h"
#include "fit/fit.h"
#include "series/cps_table.h"
#include "model/nbh.h"

static const char *HEADER = "machine_id,machine,second,minute,tcp_new,udp_new,tcp_end,udp_end\n";

static const char *write_tmp(const char *name, const char *text)
{
    static char path[512];
    snprintf(path, sizeof path, "%s/%s", cr_test_tmpdir(), name);
    FILE *f = fopen(path, "w");
    if (!f)
        return NULL;
    fputs(text, f);
    fclose(f);
    return path;
}

static void test_read_valid(void)
{
    const char *p = write_tmp("ok.csv",
                              "machine,machine_id,second,minute,tcp_new,udp_new,tcp_end,udp_end,"
                              "extra\r\n"
                              "1,\"a,b\",1,1,0,1,2,3,x\r\n"
                              "1,\"a,b\",61,2,4,5,6,7,y\r\n"
                              "2,\"say \"\"hi\"\"\",2,1,10,0,0,10000000,z\r\n"
                              "\n");
    cr_cps_table t;
    cr_err e;
    CHECKF(cr_cps_read(&t, p, &e) == 0, "%s", e.msg);
    CHECK_INT(t.nmachines, 2);
    CHECK_INT(t.nrows, 3);
    CHECK_STR(t.machine_ids[0], "a,b");
    CHECK_STR(t.machine_ids[1], "say \"hi\"");
    CHECK_INT(t.minute[1], 2);
    CHECK_INT(t.second[2], 2);
    CHECK_INT(t.count[CR_CPS_TCP_NEW][2], 10);
    CHECK_INT(t.count[CR_CPS_UDP_END][2], CR_CPS_MAX_COUNT);
    CHECK_INT(t.count[CR_CPS_TCP_END][1], 6);
    cr_cps_free(&t);
}

/* A spreadsheet's export: a byte-order mark, quoted names and CRLF line ends. */
static void test_read_bom_quoted(void)
{
    cr_cps_table t;
    cr_err e;
    CHECKF(cr_cps_read(&t, "tests/corpus/files/bom-quoted.csv", &e) == 0, "%s", e.msg);
    CHECK_INT(t.nmachines, 1);
    CHECK_INT(t.nrows, 2);
    CHECK_STR(t.machine_ids[0], "a,b");
    CHECK_INT(t.count[CR_CPS_TCP_NEW][1], 3);
    cr_cps_free(&t);
}

/* Each malformed table and the words its one-line error must contain. */
static void test_read_errors(void)
{
    static const struct {
        const char *body, *expect;
    } cases[] = {
        {"", "empty file"},
        {"machine_id,machine,second,minute,tcp_new,udp_new,tcp_end\n",
         ":1: missing column udp_end"},
        {"#H#", "no data rows"},
        {"#H#a,1,1,1,NA,0,0,0\n", ":2: column tcp_new: 'NA' is not a count from 0 to"},
        {"#H#a,1,1,1,10000001,0,0,0\n", ":2: column tcp_new: '10000001' is not a count"},
        {"#H#a,1,1,1,0,1.5,0,0\n", ":2: column udp_new: '1.5'"},
        {"#H#a,1,1,1,0,0,-1,0\n", ":2: column tcp_end: '-1'"},
        {"#H#a,1,1,1,0,0,0,\n", ":2: column udp_end: ''"},
        {"#H#a,1,1,1,0,0,0,99999999999\n", ":2: column udp_end: '99999999999'"},
        {"#H#a,1,2,1,0,0,0,0\na,1,2,1,0,0,0,0\n", ":3: column second: rows not ordered"},
        {"#H#a,1,1,1,0,0,0,0\nb,2,1,1,0,0,0,0\na,1,2,1,0,0,0,0\n", ":4: column machine: rows not"},
        {"#H#a,2,1,1,0,0,0,0\n", ":2: column machine: rows not ordered by machine"},
        {"#H#a,1,61,1,0,0,0,0\n", ":2: column minute: 1 does not match second 61"},
        {"#H#a,1,1,1,0,0,0,0\nb,1,2,1,0,0,0,0\n", ":3: column machine_id: 'b' differs"},
        {"#H#a,1,1,1,0,0,0,0\na,2,1,1,0,0,0,0\n", ":3: column machine_id: 'a' already used"},
        {"#H#a,1,1,1,0,0,0\n", ":2: 7 fields, header has 8"},
        {"#H#\"a,1,1,1,0,0,0,0\n", ":2: unterminated quoted field"},
        {"#H#\"a\"x,1,1,1,0,0,0,0\n", ":2: text after a closing quote"},
        {"#H#a,1,0,1,0,0,0,0\n", ":2: column second: '0' is not a second >= 1"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char body[512];
        const char *b = cases[i].body;
        if (!strncmp(b, "#H#", 3))
            snprintf(body, sizeof body, "%s%s", HEADER, b + 3);
        else
            snprintf(body, sizeof body, "%s", b);
        const char *p = write_tmp("bad.csv", body);
        cr_cps_table t;
        cr_err e;
        CHECKF(cr_cps_read(&t, p, &e) != 0, "case %zu accepted", i);
        CHECKF(strstr(e.msg, cases[i].expect) && strstr(e.msg, "bad.csv"),
               "case %zu: '%s' lacks '%s'", i, e.msg, cases[i].expect);
        CHECKF(!strchr(e.msg, '\n'), "case %zu: more than one line", i);
    }
    cr_err e;
    cr_cps_table t;
    CHECK(cr_cps_read(&t, "/nonexistent/x.csv", &e) != 0);
    CHECK(strstr(e.msg, "/nonexistent/x.csv: cannot open") != NULL);
}

/* The seed's own CPS table of the shared real captures (R, seed_cps.R) read back: row count
 * and per-series totals as R computes them. */
static void test_read_seed_table(void)
{
    const char *shared = cr_test_shared();
    if (!shared || cr_test_sh("command -v Rscript >/dev/null 2>&1") != 0)
        SKIP("needs ../shared and Rscript");
    const char *tmp = cr_test_tmpdir();
    CHECK(cr_test_sh("Rscript '%s/reference/seed_cps.R' '%s/captures/real' '%s/seed.csv' seed "
                     ">/dev/null 2>&1 && Rscript -e 'x <- read.csv(\"%s/seed.csv\"); cat(nrow(x), "
                     "max(x$machine), colSums(x[, 5:8]), \"\\n\")' >'%s/seed.sums'",
                     shared, shared, tmp, tmp, tmp) == 0);
    char path[512];
    snprintf(path, sizeof path, "%s/seed.sums", tmp);
    char *sums = cr_test_slurp(path, NULL);
    CHECK(sums != NULL);
    long ref[6];
    int n = sscanf(sums, "%ld %ld %ld %ld %ld %ld", &ref[0], &ref[1], &ref[2], &ref[3], &ref[4],
                   &ref[5]);
    free(sums);
    CHECK_INT(n, 6);
    snprintf(path, sizeof path, "%s/seed.csv", tmp);
    cr_cps_table t;
    cr_err e;
    CHECKF(cr_cps_read(&t, path, &e) == 0, "%s", e.msg);
    CHECK_INT(t.nrows, ref[0]);
    CHECK_INT(t.nmachines, ref[1]);
    for (int s = 0; s < CR_CPS_NSERIES; s++) {
        long tot = 0;
        for (size_t r = 0; r < t.nrows; r++)
            tot += t.count[s][r];
        CHECK_INT(tot, ref[2 + s]);
    }
    cr_cps_free(&t);
}

static void test_retry_ladder(void)
{
    cr_fit_options o;
    cr_fit_options_default(&o);
    CHECK_INT(o.attempts, 3);
    CHECK_INT(o.sampler.seed, 42);
    cr_chains_config c;
    cr_fit_attempt_config(&o, 1, &c);
    CHECK_NEAR(c.adapt_delta, 0.8, 0);
    CHECK_INT(c.warmup, 1000);
    cr_fit_attempt_config(&o, 2, &c);
    CHECK_NEAR(c.adapt_delta, 0.95, 0);
    CHECK_INT(c.warmup, 2000);
    cr_fit_attempt_config(&o, 3, &c);
    CHECK_NEAR(c.adapt_delta, 0.99, 0);
    CHECK_INT(c.warmup, 4000);
    CHECK_INT(c.samples, 1000);
    o.sampler.adapt_delta = 0.95; /* a first run at 0.95 is retried a step above it */
    cr_fit_attempt_config(&o, 2, &c);
    CHECK_NEAR(c.adapt_delta, 0.99, 0);
    o.sampler.adapt_delta = 0.995; /* and a run above the steps never lower */
    cr_fit_attempt_config(&o, 2, &c);
    CHECK_NEAR(c.adapt_delta, 0.995, 0);
    cr_fit_attempt_config(&o, 3, &c);
    CHECK_NEAR(c.adapt_delta, 0.995, 0);
}

/* Who is retried, on hand-made verdicts: a mixture's options (no new runs, an R-hat ceiling)
 * allow running on for R-hat or ESS alone and one new run for rare divergences in one mode,
 * nothing else. */
static void test_retry_rules(void)
{
    cr_fit_options o;
    cr_fit_options_default(&o);
    o.new_runs = 0;
    o.modes_rhat = 1.1;
    o.rare_divergences = 2;
    const cr_fit_check fine = {0, 0.9, 1.001, 900, 900, 0, 0, 0, 0, ""};
    cr_fit_check c = fine;
    c.pass = 1;
    CHECK(!cr_fit_retries(&o, &c, 1, 0));
    c = fine;
    c.max_rhat = 1.02; /* mixing only: run on */
    CHECK(cr_fit_retries(&o, &c, 1, 0));
    c.max_rhat = 1.2; /* the chains in different modes: no retry at all */
    CHECK(!cr_fit_retries(&o, &c, 1, 0));
    c = fine;
    c.divergences = 2; /* rare: one new run, and only one */
    CHECK(cr_fit_retries(&o, &c, 1, 0));
    CHECK(!cr_fit_retries(&o, &c, 2, 1));
    CHECK(!cr_fit_retries(&o, &c, 3, 0)); /* the attempts are spent */
    c.divergences = 3;
    CHECK(!cr_fit_retries(&o, &c, 1, 0));
    c.divergences = 1;
    c.max_rhat = 1.02; /* with mixing short of the modes: still rare */
    c.min_ess_tail = 350;
    CHECK(cr_fit_retries(&o, &c, 1, 0));
    c.max_rhat = 1.2; /* with the chains in different modes: not */
    CHECK(!cr_fit_retries(&o, &c, 1, 0));
    c = fine;
    c.divergences = 1;
    c.min_ebfmi = 0.2;
    CHECK(!cr_fit_retries(&o, &c, 1, 0));
    o.rare_divergences = 0; /* the default: divergences never start a run where none may */
    c = fine;
    c.divergences = 1;
    CHECK(!cr_fit_retries(&o, &c, 1, 0));
    o.new_runs = -1;
    c.divergences = 50; /* a rate fit: any failure is retried */
    CHECK(cr_fit_retries(&o, &c, 1, 0));
    CHECK(cr_fit_retries(&o, &c, 2, 1));
}

/* The seed's criteria on hand-made diagnostics: each failure named with its worst variable. */
static void test_assess(void)
{
    static const int ones[] = {1, 1};
    cr_nbh_data d;
    cr_nbh_data_from_rows(&d, 2, ones, ones, ones);
    cr_model m;
    cr_nbh_model(&m, &d); /* 6 outputs: alpha ... z_machine[1], z_minute[1,1] */
    cr_nuts_stats st[4];
    memset(st, 0, sizeof st);
    cr_chains_result res = {.chains = 2, .samples = 2, .nout = m.nout, .stats = st};
    cr_diag_summary sum[6];
    memset(sum, 0, sizeof sum);
    for (int j = 0; j < 6; j++)
        sum[j].rhat = 1.001, sum[j].ess_bulk = 1000, sum[j].ess_tail = 900;
    double ebfmi[2] = {0.9, 0.8};
    cr_fit_check chk;
    cr_fit_assess(&m, &res, ebfmi, sum, &chk);
    CHECK(chk.pass);
    CHECK_STR(chk.reasons, "");

    st[3].divergent = 1;
    ebfmi[1] = 0.3; /* must exceed 0.3 */
    sum[2].rhat = 1.01; /* must be below 1.01 */
    sum[5].rhat = 1.05;
    sum[4].ess_bulk = 400;
    sum[3].ess_tail = NAN;
    cr_fit_assess(&m, &res, ebfmi, sum, &chk);
    CHECK(!chk.pass);
    CHECK_INT(chk.divergences, 1);
    CHECK_STR(chk.reasons, "divergences=1 ebfmi=0.3(chain 2) rhat=1.05(z_minute[1,1]) "
                           "ess_bulk=400(z_machine[1]) ess_tail=NA(phi)");
    cr_nbh_data_free(&d);
}

/* A model of the engine's: a standard normal, under an entry whose hooks record their calls. */
static double normal_logp(const cr_model *m, const double *theta, double *grad, void *scratch)
{
    (void)m, (void)scratch;
    if (grad)
        grad[0] = -theta[0];
    return -0.5 * theta[0] * theta[0];
}
static void normal_name(const cr_model *m, int i, char *buf, size_t n)
{
    (void)m, (void)i;
    snprintf(buf, n, "x");
}
static void normal_constrain(const cr_model *m, const double *theta, double *out)
{
    (void)m;
    out[0] = theta[0];
}

static const double *ppc_draws; /* what the hook was given */
static size_t ppc_ndraws;
static int ppc_verdict; /* what it returns */
static int toy_ppc(const cr_model *m, const void *check, const double *draws, size_t ndraws,
                   uint64_t seed, int threads, void *out, cr_err *e)
{
    (void)m, (void)check, (void)seed, (void)threads;
    ppc_draws = draws;
    ppc_ndraws = ndraws;
    *(int *)out = 1;
    return ppc_verdict < 0 ? cr_fail(e, "no check") : ppc_verdict;
}
static void toy_log_data(const cr_model *m, FILE *f)
{
    fprintf(f, "\"toy\": %d", m->dim);
}

/* cr_fit_model names the fit and its loop log by the entry (or by the name it is given), the
 * log's data are the entry's (only the dimension without one), and cr_fit_ppc hands the entry's
 * check every draw of the attempt and passes its verdict on, its failure named. */
static void test_engine_uses_the_entry(void)
{
    static const cr_model_entry entry = {"toy", "models/toy.stan", "a toy", "a toy model",
                                         toy_ppc, toy_log_data};
    cr_model m = {1, normal_logp, 0, 1, normal_name, normal_constrain, NULL, &entry};
    cr_fit_options o;
    cr_fit_options_default(&o);
    o.sampler.chains = 2;
    o.sampler.warmup = 200;
    o.sampler.samples = 300;
    o.attempts = 1;
    cr_progress_set_quiet(1);
    cr_fit_logs logs = {0};
    cr_fit_attempt a;
    cr_err e;
    CHECK_INT(cr_fit_model(&m, "s", NULL, &o, &logs, &a, &e), 0);
    CHECK_STR(a.model, "toy");
    CHECK_INT(logs.n, 1);
    CHECK_STR(logs.name[0], "s-toy-1.json");
    CHECK(strstr(logs.text[0], "\"model\": \"toy\"") &&
          strstr(logs.text[0], "\"data\": {\"toy\": 1},\n"));
    int out = 0;
    ppc_verdict = 0;
    CHECK_INT(cr_fit_ppc(&m, NULL, &a, 1, 1, &out, &e), 0);
    CHECK(out == 1 && ppc_draws == a.res.draws && ppc_ndraws == 600);
    ppc_verdict = 1;
    CHECK_INT(cr_fit_ppc(&m, NULL, &a, 1, 1, &out, &e), 1);
    ppc_verdict = -1;
    CHECK_INT(cr_fit_ppc(&m, NULL, &a, 1, 1, &out, &e), -1);
    CHECK_STR(e.msg, "s toy: no check");
    cr_fit_attempt_free(&a);
    cr_fit_logs_free(&logs);

    m.entry = NULL; /* a model outside any registry: named by the caller */
    CHECK_INT(cr_fit_model(&m, "s", "plain", &o, &logs, &a, &e), 0);
    CHECK_STR(logs.name[0], "s-plain-1.json");
    CHECK(strstr(logs.text[0], "\"data\": {\"parameters\": 1},\n") != NULL);
    cr_fit_attempt_free(&a);
    cr_fit_logs_free(&logs);
}

/* A small CPS table drawn from the model: 2 machines, 130 and 170 seconds. */
static const char *small_cps(void)
{
    static char path[512];
    snprintf(path, sizeof path, "%s/small.csv", cr_test_tmpdir());
    FILE *f = fopen(path, "w");
    if (!f)
        return NULL;
    static const int nsec[2] = {130, 170};
    int machine[300], minute[300], y[CR_CPS_NSERIES][300];
    size_t n = 0;
    for (int k = 0; k < 2; k++)
        for (int s = 1; s <= nsec[k]; s++, n++)
            machine[n] = k + 1, minute[n] = (s - 1) / 60 + 1;
    gsl_rng *g = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(g, 3);
    for (int s = 0; s < CR_CPS_NSERIES; s++) {
        double v[4 + 2 + 6] = {0.5 - 0.3 * s, 0.4, 0.5, 3};
        for (int i = 4; i < 12; i++)
            v[i] = gsl_ran_gaussian(g, 1);
        cr_nbh_simulate(n, machine, minute, v, g, y[s]);
    }
    gsl_rng_free(g);
    fputs(HEADER, f);
    for (size_t r = 0, s = 1; r < n; r++, s++) {
        if (r && machine[r] != machine[r - 1])
            s = 1;
        fprintf(f, "m%d,%d,%zu,%d,%d,%d,%d,%d\n", machine[r], machine[r], s, minute[r], y[0][r],
                y[1][r], y[2][r], y[3][r]);
    }
    fclose(f);
    return path;
}

static int same_file(const char *a, const char *b)
{
    size_t na, nb;
    char *x = cr_test_slurp(a, &na), *y = cr_test_slurp(b, &nb);
    int same = x && y && na == nb && memcmp(x, y, na) == 0;
    free(x);
    free(y);
    return same;
}

static void test_cli_outputs(void)
{
    const char *tmp = cr_test_tmpdir(), *bin = cr_test_bin(), *cps = small_cps();
    CHECK(cps != NULL);
    const char *common = "--series tcp_new,udp_end --chains 3 --warmup 300 --samples 250 "
                         "--seed 11 --attempts 1 --quiet --model nbh --no-holdout";
    /* exit status 3 when a series fails its checks, which these short chains may */
    int rc1 = cr_test_sh("%s fit '%s' -o '%s/t1' %s --threads 1", bin, cps, tmp, common);
    int rc3 = cr_test_sh("%s fit '%s' -o '%s/t3' %s --threads 3", bin, cps, tmp, common);
    CHECKF((rc1 == 0 || rc1 == 3) && rc3 == rc1, "exit status %d and %d", rc1, rc3);
    static const char *files[] = {"diagnostics/tcp_new_summary.csv",
                                  "diagnostics/tcp_new_sampler.csv",
                                  "diagnostics/udp_end_summary.csv",
                                  "diagnostics/udp_end_sampler.csv", "diagnostics/status",
                                  "draws/tcp_new.csv", "draws/udp_end.csv"};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        char a[512], b[512];
        snprintf(a, sizeof a, "%s/t1/%s", tmp, files[i]);
        snprintf(b, sizeof b, "%s/t3/%s", tmp, files[i]);
        CHECKF(same_file(a, b), "%s differs between --threads 1 and 3", files[i]);
    }
    char path[512];
    snprintf(path, sizeof path, "%s/t1/loop_logs/udp_end-nbh-1.json", tmp);
    char *log = cr_test_slurp(path, NULL);
    CHECK(log && strstr(log, "\"attempt\": 1") && strstr(log, "\"sampling_s\""));
    /* the data as the rate models' entry logs them: the table's 2 machines, its 6 minutes */
    CHECK(log && strstr(log, "\"data\": {\"machines\": 2, \"cells\": 6, \"seconds\": 300, "));
    free(log);
    snprintf(path, sizeof path, "%s/t1/diagnostics/status", tmp);
    char *status = cr_test_slurp(path, NULL);
    CHECK(status != NULL);
    CHECKF(!strncmp(status, "tcp_new nbh PASS\n", 17) ||
               !strncmp(status, "tcp_new nbh FAIL ", 17),
           "status: %s", status);
    CHECK(strstr(status, "\nudp_end ") != NULL);
    CHECKF((strstr(status, " FAIL") != NULL) == (rc1 == 3), "exit status %d for status %s", rc1,
           status);
    free(status);

    /* shape of the tables, by awk */
    snprintf(path, sizeof path, "%s/t1/diagnostics/tcp_new_summary.csv", tmp);
    char *sum = cr_test_slurp(path, NULL);
    static const char head[] = "variable,mean,sd,mcse_mean,q5,q50,q95,rhat,ess_bulk,ess_tail\n"
                               "alpha,";
    CHECK(sum && !strncmp(sum, head, strlen(head)));
    CHECK(strstr(sum, "\n\"z_minute[2,3]\",") != NULL);
    free(sum);
    CHECK_INT(cr_test_sh("head -n 1 '%s/t1/draws/tcp_new.csv' | grep -q '^chain,iteration,lp__,"
                         ".*,energy__,alpha,sigma_machine,sigma_minute,phi,z_machine\\[1\\],.*,"
                         "\"z_minute\\[2,3\\]\"$'", tmp), 0);
    CHECK_INT(cr_test_sh("awk -F, 'NR > 1 && NF != 9 + 12 { exit 1 } "
                         "END { if (NR != 1 + 3 * 250) exit 1 }' '%s/t1/draws/tcp_new.csv'", tmp),
              0);
    CHECK_INT(cr_test_sh("awk -F, 'END { if (NR != 4 || $1 != 3) exit 1 }' "
                         "'%s/t1/diagnostics/udp_end_sampler.csv'", tmp), 0);
}

/* posterior's summarise_draws on the written draws against the written summary (numbers in the
 * draws file carry 9 significant digits, hence the tolerance). */
static void test_summary_vs_posterior(void)
{
    const char *tmp = cr_test_tmpdir();
    if (cr_test_sh("Rscript -e 'library(posterior)' >/dev/null 2>&1") != 0)
        SKIP("needs Rscript with the posterior package");
    char draws[512], summary[512];
    snprintf(draws, sizeof draws, "%s/t1/draws/tcp_new.csv", tmp);
    snprintf(summary, sizeof summary, "%s/t1/diagnostics/tcp_new_summary.csv", tmp);
    FILE *f = fopen(draws, "r");
    if (!f)
        SKIP("no draws (test_cli_outputs failed)");
    fclose(f);
    int rc = cr_test_sh(
        "Rscript -e 'suppressMessages(library(posterior)); "
        "d <- read.csv(\"%s\", check.names = FALSE); ours <- read.csv(\"%s\"); "
        "x <- as_draws_df(cbind(d[, -(1:9)], .chain = d$chain, .iteration = d$iteration, "
        ".draw = seq_len(nrow(d)))); "
        "s <- summarise_draws(x, \"mean\", \"sd\", \"mcse_mean\", "
        "~quantile2(.x, c(.05, .5, .95)), \"rhat\", \"ess_bulk\", \"ess_tail\"); "
        "stopifnot(identical(s$variable, ours$variable)); "
        "for (k in names(ours)[-1]) { r <- s[[k]]; o <- ours[[k]]; "
        "e <- abs(r - o) / (abs(r) + 1e-3); if (max(e) > 1e-6) { "
        "cat(k, max(e), \"\\n\"); quit(status = 1) } }' >'%s/post.log' 2>&1",
        draws, summary, tmp);
    CHECKF(rc == 0, "summary differs from posterior's (see %s/post.log)", tmp);
}

static void test_cli_errors(void)
{
    const char *tmp = cr_test_tmpdir(), *bin = cr_test_bin();
    CHECK_INT(cr_test_sh("%s fit --help | grep -q 'usage: connrate fit'", bin), 0);
    CHECK_INT(cr_test_sh("%s fit x.csv 2>/dev/null", bin), 2);
    CHECK_INT(cr_test_sh("%s fit x.csv -o %s/e --series tcp_new,bogus 2>/dev/null", bin, tmp), 2);
    CHECK_INT(cr_test_sh("%s fit x.csv -o %s/e --chains 0 2>/dev/null", bin, tmp), 2);
    CHECK_INT(cr_test_sh("%s fit x.csv -o %s/e --adapt-delta 1.5 2>/dev/null", bin, tmp), 2);
    const char *bad = write_tmp("bad2.csv", "machine_id,machine,second,minute,tcp_new,udp_new,"
                                            "tcp_end,udp_end\na,1,1,1,0,NA,0,0\n");
    CHECK_INT(cr_test_sh("%s fit '%s' -o %s/e 2>%s/err.txt", bin, bad, tmp, tmp), 1);
    char path[512];
    snprintf(path, sizeof path, "%s/err.txt", tmp);
    char *err = cr_test_slurp(path, NULL);
    CHECK(err && strstr(err, "bad2.csv:2: column udp_new: 'NA'"));
    free(err);
    snprintf(path, sizeof path, "%s/e", tmp);
    FILE *f = fopen(path, "r");
    CHECKF(f == NULL, "output directory created for a failed run");
}

/* nbh fitted to the small table, its draws kept as o_draws says. */
static int fit_small(const cr_cps_table *t, int o_draws, cr_fit_result *res, cr_err *e)
{
    cr_fit_ladder_options o;
    cr_test_brief_fit(&o, CR_LADDER_NBH, o_draws);
    cr_series series = {"tcp_new", t->count[CR_CPS_TCP_NEW]};
    return cr_fit_ladder_series(t, &series, &o, res, e);
}

/* Running the kept fit's chains on (cr_fit_run_on): the draws already made stay as they were,
 * and a result that keeps only the population columns gets, column for column and bit for bit,
 * the draws that the same chains run on with every output kept (cr_chains_extend on the model
 * itself) make; the same seed gives the same draws again. */
static void test_run_on(void)
{
    const char *path = small_cps();
    cr_cps_table t;
    cr_err e;
    CHECKF(path && cr_cps_read(&t, path, &e) == 0, "%s", e.msg);
    cr_progress_set_quiet(1);
    cr_fit_result all, pop, again;
    CHECKF(fit_small(&t, CR_FIT_DRAWS_ALL, &all, &e) == 0, "%s", e.msg);
    CHECKF(fit_small(&t, CR_FIT_DRAWS_POPULATION, &pop, &e) == 0, "%s", e.msg);
    CHECKF(fit_small(&t, CR_FIT_DRAWS_POPULATION, &again, &e) == 0, "%s", e.msg);
    const cr_fit_rung *ra = cr_fit_kept(&all), *rp = cr_fit_kept(&pop), *rg = cr_fit_kept(&again);
    const int nc = rp->ndraw_cols, nout = ra->fit.res.nout, C = rp->fit.res.chains;
    CHECK(rp->draw_cols && nc > 0 && nc < nout && ra->draw_cols == NULL);
    size_t before = (size_t)C * 100 * (size_t)nc;
    double *old = xmalloc(before * sizeof *old);
    memcpy(old, rp->fit.res.draws, before * sizeof *old);
    CHECKF(cr_fit_run_on(&all, 50, 2, &e) == 0, "%s", e.msg);
    CHECKF(cr_fit_run_on(&pop, 50, 2, &e) == 0, "%s", e.msg);
    CHECKF(cr_fit_run_on(&again, 50, 1, &e) == 0, "%s", e.msg);
    CHECK_INT(rp->fit.res.samples, 150);
    CHECK_INT(ra->fit.res.samples, 150);
    CHECK_INT(rp->fit.res.nout, nout);
    int kept = 1, same = 1, repeat = 1;
    for (int c = 0; c < C; c++)
        for (int i = 0; i < 150; i++) {
            const double *p = rp->fit.res.draws + ((size_t)c * 150 + i) * nc;
            const double *a = ra->fit.res.draws + ((size_t)c * 150 + i) * nout;
            const double *g = rg->fit.res.draws + ((size_t)c * 150 + i) * nc;
            for (int j = 0; j < nc; j++) {
                if (i < 100)
                    kept &= p[j] == old[((size_t)c * 100 + i) * nc + j];
                same &= p[j] == a[rp->draw_cols[j]];
                repeat &= p[j] == g[j];
            }
        }
    CHECKF(kept, "the draws made before the run-on changed");
    CHECKF(same, "trimmed run-on draws differ from the full model's");
    CHECKF(repeat, "the same seed (1 and 2 threads) gave other draws");
    CHECK(pop.status.pass == all.status.pass);
    free(old);
    cr_fit_result_free(&all);
    cr_fit_result_free(&pop);
    cr_fit_result_free(&again);
    cr_cps_free(&t);
}

TEST_MAIN(RUN(test_read_valid); RUN(test_read_bom_quoted); RUN(test_read_errors);
          RUN(test_read_seed_table); RUN(test_retry_ladder); RUN(test_retry_rules);
          RUN(test_assess);
          RUN(test_engine_uses_the_entry); RUN(test_cli_outputs);
          RUN(test_summary_vs_posterior); RUN(test_cli_errors); RUN(test_run_on))
